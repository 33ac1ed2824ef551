package tools

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseElectionPartitions(t *testing.T) {
	tps, err := parseElectionPartitions([]byte(`{"partitions":[{"topic":"a","partition":1},{"topic":"b","partition":0}]}`), "Replica election")
	if err != nil || !reflect.DeepEqual(tps, []topicPartition{{"a", 1}, {"b", 0}}) {
		t.Fatalf("got %v %v", tps, err)
	}
	cases := []struct{ json, what, msg string }{
		{`{"partitions":[{"topic":"a","partition":1},{"topic":"a","partition":1}]}`, "Replica election", "Replica election data contains duplicate partitions: a-1"},
		{`{"other":[]}`, "Replica election", `Replica election data is missing "partition" field`},
		{`{"other":[]}`, "Preferred replica election", "Preferred replica election data is empty"},
		{`not json`, "Replica election", "Replica election data is empty"},
		{`{"partitions":[{"partition":1}]}`, "Replica election", "No such field exists: `topic`"},
	}
	for _, c := range cases {
		_, err := parseElectionPartitions([]byte(c.json), c.what)
		if err == nil || err.Error() != c.msg || javaClassOf(err) != "kafka.admin.AdminOperationException" {
			t.Errorf("%s: got %v, want %q", c.json, err, c.msg)
		}
	}
}

func TestParseElectionType(t *testing.T) {
	for in, want := range map[string]electionType{"preferred": preferredElection, "PREFERRED": preferredElection, "Unclean": uncleanElection} {
		if got, err := parseElectionType(in); err != nil || got != want {
			t.Errorf("%s: %v %v", in, got, err)
		}
	}
	if _, err := parseElectionType("dirty"); err == nil || err.Error() != "Cannot parse argument 'dirty' of option election-type" {
		t.Errorf("dirty: %v", err)
	}
}

func TestLeaderElectionArgumentErrors(t *testing.T) {
	const failed = `Exception in thread "main" kafka.common.AdminCommandFailedException: `
	cases := []struct{ args, stderr string }{
		{"--all-topic-partitions --bootstrap-server h:1", failed + "Missing required option(s): election-type"},
		{"--all-topic-partitions", failed + "Missing required option(s): election-type, bootstrap-server"},
		{"--election-type preferred --bootstrap-server h:1", failed + "One and only one of the following options is required: topic, all-topic-partitions, path-to-json-file"},
		{"--election-type preferred --bootstrap-server h:1 --topic t --all-topic-partitions", failed + "One and only one of the following options is required: topic, all-topic-partitions, path-to-json-file"},
		{"--election-type preferred --bootstrap-server h:1 --topic t", failed + "Missing required option(s): partition"},
		{"--election-type preferred --bootstrap-server h:1 --all-topic-partitions --partition 1", failed + "Option partition is only allowed if topic is used"},
		{"--election-type dirty --bootstrap-server h:1 --all-topic-partitions", `Exception in thread "main" joptsimple.OptionArgumentConversionException: Cannot parse argument 'dirty' of option election-type`},
		{"--election-type preferred --bootstrap-server h:1 --path-to-json-file /nonexistent/x.json", `Exception in thread "main" java.nio.file.NoSuchFileException: /nonexistent/x.json`},
	}
	for _, c := range cases {
		out, errOut, code := runTool(t, runLeaderElection, strings.Fields(c.args)...)
		if first := strings.SplitN(errOut, "\n", 2)[0]; first != c.stderr || code != 1 || out != "" {
			t.Errorf("%s: exit %d stderr %q stdout %q", c.args, code, first, out)
		}
	}
	_, errOut, code := runTool(t, runLeaderElection)
	if code != 1 || !strings.HasPrefix(errOut, leaderElectionHelp+"\nOption") {
		t.Errorf("no args: %d %q", code, errOut)
	}
}

func TestPreferredReplicaElectionArguments(t *testing.T) {
	out, errOut, code := runTool(t, runPreferredReplicaElection, "--path-to-json-file", "x")
	if code != 1 || out != "This tool is deprecated. Please use kafka-leader-election tool. Tracking issue: KAFKA-8405\n" ||
		!strings.HasPrefix(errOut, "Exactly one of '[bootstrap-server]' or '[zookeeper]' must be provided\n") {
		t.Errorf("exit %d stdout %q stderr %q", code, out, errOut)
	}
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"partitions":[{"topic":"a","partition":0},{"topic":"a","partition":0}]}`), 0o644)
	_, errOut, code = runTool(t, runPreferredReplicaElection, "--bootstrap-server", "127.0.0.1:1", "--path-to-json-file", bad)
	if code != 1 || errOut != "Exception in thread \"main\" kafka.admin.AdminOperationException: Preferred replica election data contains duplicate partitions: a-0\n" {
		t.Errorf("duplicates: exit %d stderr %q", code, errOut)
	}
}

func TestElectionErrorToString(t *testing.T) {
	msg := "The preferred leader was not available."
	if got := javaToString(brokerError(83, &msg)); got != "org.apache.kafka.common.errors.PreferredLeaderNotAvailableException: "+msg {
		t.Errorf("83: %s", got)
	}
	if got := javaToString(brokerError(3, nil)); got != "org.apache.kafka.common.errors.UnknownTopicOrPartitionException: This server does not host this topic-partition." {
		t.Errorf("3: %s", got)
	}
}
