package tools

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gokafka/kafka/zkutil"
	"github.com/gokafka/kafka/zkutil/zktest"
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

func TestOrderedEntityNames(t *testing.T) {
	args := []string{"--entity-type", "users", "--entity-default", "--entity-type", "clients", "--entity-name=c1", "--describe", "--bootstrap-server", "x:1"}
	o, err := configsParser().parse(args)
	if err != nil {
		t.Fatal(err)
	}
	opts := configOptions{o, args}
	if got := opts.entityNames(); !reflect.DeepEqual(got, []string{"", "c1"}) {
		t.Fatalf("names %q, want the default first", got)
	}
	if got := opts.entityTypes(); !reflect.DeepEqual(got, []string{"users", "clients"}) {
		t.Fatalf("types %q", got)
	}
	// An --add-config value that looks like an option is not an entity.
	args = []string{"--add-config", "--entity-default", "--entity-name", "u"}
	o, _ = configsParser().parse(args)
	if got := (configOptions{o, args}).entityNames(); !reflect.DeepEqual(got, []string{"u"}) {
		t.Fatalf("names %q", got)
	}
}

func TestQuotaAlterArgumentErrors(t *testing.T) {
	// Rejected before any request is sent (no broker listens on port 1).
	bs := []string{"--bootstrap-server", "127.0.0.1:1", "--alter"}
	cases := []struct {
		args []string
		err  string
	}{
		{[]string{"--entity-type", "users", "--entity-name", "alice", "--add-config", "producer_byte_rate=10,SCRAM-SHA-256=[password=x]"},
			"Cannot alter both quota and SCRAM credential configs simultaneously for 'users' using --bootstrap-server.\n"},
		{[]string{"--entity-type", "clients", "--entity-name", "c", "--add-config", "SCRAM-SHA-256=[password=x]"},
			"Only quota configs can be added for 'clients' using --bootstrap-server. Unexpected config names: Set(SCRAM-SHA-256)\n"},
		{[]string{"--entity-type", "users", "--entity-default", "--add-config", "SCRAM-SHA-512=[password=x]"},
			"The use of --entity-default or --user-defaults is not allowed with User SCRAM Credentials using --bootstrap-server.\n"},
		{[]string{"--entity-type", "users", "--entity-name", "u", "--add-config", "retention.ms=1"},
			"Only quota and SCRAM credential configs can be added for 'users' using --bootstrap-server. Unexpected config names: Set(retention.ms)\n"},
		{[]string{"--entity-type", "users", "--entity-name", "u", "--add-config", "SCRAM-SHA-256=[iterations=100,password=x]"},
			"Iterations 100 is less than the minimum 4096 required for SCRAM-SHA-256\n"},
		{[]string{"--entity-type", "users", "--entity-name", "u", "--add-config", "SCRAM-SHA-256=[secret=x]"},
			"Invalid credential property SCRAM-SHA-256=secret=x\n"},
		{[]string{"--entity-type", "ips", "--entity-name", "1.2.3.4", "--add-config", "producer_byte_rate=1"},
			"Only connection quota configs can be added for 'ips' using --bootstrap-server. Unexpected config names: producer_byte_rate\n"},
		{[]string{"--entity-type", "users", "--entity-name", "u", "--entity-type", "clients", "--add-config", "producer_byte_rate=1"},
			"An entity name must be specified for every entity type\n"},
	}
	for _, tc := range cases {
		out, errOut, code := runConfigsForTest(append(append([]string(nil), bs...), tc.args...)...)
		if code != 1 || errOut != tc.err || out != "" {
			t.Errorf("%v: code %d, stdout %q, stderr %q; want %q", tc.args, code, out, errOut, tc.err)
		}
	}
}

func TestQuotaHashMapOrder(t *testing.T) {
	// "Aa" and "BB" share hash code 2112 (bucket 0, insertion order); "a" is
	// 97 (bucket 1), "b" and "c" follow.
	if got := javaHashMapOrder(-1, []string{"c", "BB", "a", "Aa", "b"}); !reflect.DeepEqual(got, []string{"BB", "Aa", "a", "b", "c"}) {
		t.Fatalf("got %q", got)
	}
}

func TestQuotaValuesText(t *testing.T) {
	got := quotaValuesText([]kmsg.DescribeClientQuotasResponseEntryValue{{Key: "producer_byte_rate", Value: 1024}})
	if got != "producer_byte_rate=1024.0" {
		t.Fatalf("got %q", got)
	}
	name := "alice"
	if got := quotaEntityText([]kmsg.DescribeClientQuotasResponseEntryEntity{{Type: "client-id"}, {Type: "user", Name: &name}}); got != "user-principal 'alice', the default client-id" {
		t.Fatalf("got %q", got)
	}
}

func TestUserAndClientConfigsThroughZooKeeper(t *testing.T) {
	connect := zktest.Start(t)
	zk, err := zkutil.Connect(connect, 10*time.Second, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer zk.Close()
	if err := zk.CreatePersistentPaths(); err != nil {
		t.Fatal(err)
	}
	warn := "Warning: --zookeeper is deprecated and will be removed in a future version of Kafka.\nUse --bootstrap-server instead to specify a broker to connect to.\n"
	run := func(args ...string) (string, string, int) {
		return runConfigsForTest(append([]string{"--zookeeper", connect}, args...)...)
	}
	out, errOut, code := run("--alter", "--entity-type", "clients", "--entity-name", "c 1", "--entity-type", "users", "--entity-name", "User:alice", "--add-config", "producer_byte_rate=1024,request_percentage=12.5")
	if code != 0 || out != warn+"Completed updating config for entity: user-principal 'User:alice', client-id 'c 1'.\n" {
		t.Fatalf("alter: %d %q %q", code, out, errOut)
	}
	cfg, err := zk.GetEntityConfig("users", "User%3Aalice/clients/c%201")
	if err != nil || cfg["producer_byte_rate"] != "1024" || cfg["request_percentage"] != "12.5" {
		t.Fatalf("stored %v %v", cfg, err)
	}
	changes, _ := zk.GetChildren(zkutil.ConfigChangesPath)
	if len(changes) != 1 {
		t.Fatalf("notifications %v", changes)
	}
	data, _, _ := zk.GetData(zkutil.ConfigChangesPath + "/" + changes[0])
	if p, _ := zkutil.DecodeConfigChangeNotification(data); p != "users/User%3Aalice/clients/c%201" {
		t.Fatalf("entity path %q", p)
	}
	out, _, code = run("--describe", "--entity-type", "users", "--entity-type", "clients")
	if code != 0 || out != warn+"Configs for user-principal 'User:alice', client-id 'c 1' are producer_byte_rate=1024,request_percentage=12.5\n" {
		t.Fatalf("describe: %d %q", code, out)
	}
	// A SCRAM credential is stored derived, never as the password.
	out, errOut, code = run("--alter", "--entity-type", "users", "--entity-name", "bob", "--add-config", "SCRAM-SHA-256=[iterations=4096,password=secret],consumer_byte_rate=10")
	if code != 0 || !strings.HasSuffix(out, "Completed updating config for entity: user-principal 'bob'.\n") {
		t.Fatalf("scram alter: %d %q %q", code, out, errOut)
	}
	cfg, _ = zk.GetEntityConfig("users", "bob")
	cred, err := zkutil.ParseScramCredential(cfg["SCRAM-SHA-256"])
	if err != nil || cred.Iterations != 4096 || strings.Contains(cfg["SCRAM-SHA-256"], "secret") {
		t.Fatalf("credential %q: %v", cfg["SCRAM-SHA-256"], err)
	}
	salted, _ := zkutil.SaltedPassword("SCRAM-SHA-256", "secret", cred.Salt, 4096)
	want, _ := zkutil.GenerateScramCredential("SCRAM-SHA-256", cred.Salt, salted, 4096)
	if !bytes.Equal(want.StoredKey, cred.StoredKey) || !bytes.Equal(want.ServerKey, cred.ServerKey) {
		t.Fatal("stored credential does not match the password")
	}
	// Describing all users skips users that only have <user, client> nodes.
	out, _, _ = run("--describe", "--entity-type", "users")
	if strings.Contains(out, "alice") || !strings.Contains(out, "Configs for user-principal 'bob' are SCRAM-SHA-256=salt=") {
		t.Fatalf("describe users: %q", out)
	}
	// Errors as 2.8.
	_, errOut, code = run("--alter", "--entity-type", "clients", "--entity-default", "--add-config", "foo=1")
	if code != 1 || errOut != "requirement failed: Unknown Dynamic Configuration: Set(foo).\n" {
		t.Fatalf("unknown key: %d %q", code, errOut)
	}
	_, errOut, code = run("--alter", "--entity-type", "clients", "--entity-default", "--delete-config", "producer_byte_rate")
	if code != 1 || errOut != "Invalid config(s): producer_byte_rate\n" {
		t.Fatalf("delete missing: %d %q", code, errOut)
	}
	out, _, code = run("--alter", "--entity-type", "clients", "--entity-default", "--add-config", "consumer_byte_rate=2048")
	if code != 0 || !strings.HasSuffix(out, "Completed updating config for entity: default client-id.\n") {
		t.Fatalf("default alter: %d %q", code, out)
	}
	if cfg, _ := zk.GetEntityConfig("clients", "<default>"); cfg["consumer_byte_rate"] != "2048" {
		t.Fatalf("default stored %v", cfg)
	}
}

func TestQuotaValuesOrderFollowsSizedHashMap(t *testing.T) {
	// HashMap(2) has 2 buckets, then 4 after the second put: the three
	// quota keys land in different buckets than with 16.
	vals := []kmsg.DescribeClientQuotasResponseEntryValue{{Key: "consumer_byte_rate", Value: 2048}, {Key: "request_percentage", Value: 12.5}}
	m := newJavaHashMap(2)
	m.put("consumer_byte_rate")
	m.put("request_percentage")
	want := make([]string, 0, 2)
	for _, k := range m.keys() {
		want = append(want, map[string]string{"consumer_byte_rate": "consumer_byte_rate=2048.0", "request_percentage": "request_percentage=12.5"}[k])
	}
	if got := quotaValuesText(vals); got != strings.Join(want, ", ") {
		t.Fatalf("got %q, want %q", got, strings.Join(want, ", "))
	}
}
