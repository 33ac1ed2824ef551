package tools

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

func runConfigsForTest(args ...string) (string, string, int) {
	var out, errOut bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut}
	code := runConfigs(e, args)
	return out.String(), errOut.String(), code
}

func TestParseConfigsToBeAdded(t *testing.T) {
	p := configsParser()
	o, err := p.parse([]string{"--add-config", "k1=v1, k2 = [a,b,c],k3=,k4=[x=y]"})
	if err != nil {
		t.Fatal(err)
	}
	props, order, err := parseConfigsToBeAdded(configOptions{o, nil})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"k1": "v1", "k2": "a,b,c", "k3": "", "k4": "x=y"}
	if !reflect.DeepEqual(props, want) || !reflect.DeepEqual(order, []string{"k1", "k2", "k3", "k4"}) {
		t.Fatalf("got %v %v", props, order)
	}
	o, _ = p.parse([]string{"--add-config", "k1=v1,oops"})
	if _, _, err := parseConfigsToBeAdded(configOptions{o, nil}); err == nil || !strings.Contains(err.Error(), `all configs to be added must be in the format "key=val"`) {
		t.Fatalf("got %v", err)
	}
}

func TestParseConfigsToBeDeleted(t *testing.T) {
	o, err := configsParser().parse([]string{"--delete-config", "a, b", "--delete-config", "c"})
	if err != nil {
		t.Fatal(err)
	}
	if got := parseConfigsToBeDeleted(configOptions{o, nil}); !reflect.DeepEqual(got, []string{"a", "b", "c"}) {
		t.Fatalf("got %v", got)
	}
}

func TestConfigsArgumentErrors(t *testing.T) {
	cases := []struct {
		args []string
		err  string
	}{
		{[]string{"--bootstrap-server", "x:9092", "--entity-type", "topics"},
			"Command must include exactly one action: --describe, --alter\n"},
		{[]string{"--bootstrap-server", "x:9092", "--describe"},
			"At least one entity type must be specified\n"},
		{[]string{"--bootstrap-server", "x:9092", "--entity-type", "nodes", "--describe"},
			"Invalid entity type nodes, the entity type must be one of topics, clients, users, brokers, ips, broker-loggers with the --bootstrap-server argument\n"},
		{[]string{"--entity-type", "topics", "--describe"},
			"One of the required --bootstrap-server or --zookeeper arguments must be specified\n"},
		{[]string{"--bootstrap-server", "x:9092", "--zookeeper", "z:2181", "--entity-type", "topics", "--describe"},
			"Only one of --bootstrap-server or --zookeeper must be specified\n"},
		{[]string{"--bootstrap-server", "x:9092", "--entity-type", "topics", "--alter", "--add-config", "a=b"},
			"an entity name must be specified with --alter of topics\n"},
		{[]string{"--bootstrap-server", "x:9092", "--topic", "t", "--alter"},
			"At least one of --add-config, --add-config-file, or --delete-config must be specified with --alter\n"},
		{[]string{"--bootstrap-server", "x:9092", "--entity-type", "brokers", "--entity-name", "b1", "--describe"},
			"The entity name for brokers must be a valid integer broker id, but it is: b1\n"},
		{[]string{"--bootstrap-server", "x:9092", "--entity-name", "x", "--topic", "t", "--describe"},
			"--entity-{type,name,default} should not be used in conjunction with specific entity flags\n"},
	}
	for _, tc := range cases {
		out, errOut, code := runConfigsForTest(tc.args...)
		if code != 1 || !strings.HasPrefix(errOut, tc.err) || out != "" {
			t.Errorf("%v: code %d, stdout %q, stderr %q; want stderr starting %q", tc.args, code, out, errOut, tc.err)
		}
	}
}
