package tools

import (
	"reflect"
	"strings"
	"testing"

	"github.com/gokafka/kafka/core/admin"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func TestFormatReassignmentJSON(t *testing.T) {
	got := formatReassignmentJSON(map[topicPartition][]int32{
		{"b", 0}:  {3},
		{"a", 10}: {1, 2},
		{"a", 2}:  {2, 1},
	})
	want := `{"version":1,"partitions":[` +
		`{"topic":"a","partition":2,"replicas":[2,1],"log_dirs":["any","any"]},` +
		`{"topic":"a","partition":10,"replicas":[1,2],"log_dirs":["any","any"]},` +
		`{"topic":"b","partition":0,"replicas":[3],"log_dirs":["any"]}]}`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if got := formatReassignmentJSON(nil); got != `{"version":1,"partitions":[]}` {
		t.Errorf("empty: %s", got)
	}
}

func TestParseReassignmentJSON(t *testing.T) {
	parts, dirs, err := parseReassignmentJSON([]byte(`{"version":1,"partitions":[
		{"topic":"t","partition":1,"replicas":[2,3],"log_dirs":["any","/data/b"]},
		{"topic":"t","partition":0,"replicas":[1]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	wantParts := []partitionAssignment{{topicPartition{"t", 1}, []int32{2, 3}}, {topicPartition{"t", 0}, []int32{1}}}
	if !reflect.DeepEqual(parts, wantParts) || !reflect.DeepEqual(dirs, []replicaLogDir{{topicPartition{"t", 1}, 3, "/data/b"}}) {
		t.Errorf("got %v %v", parts, dirs)
	}
	// The version may be left out; a round trip through the printer parses back.
	parts, _, err = parseReassignmentJSON([]byte(formatReassignmentJSON(map[topicPartition][]int32{{"x", 0}: {4, 5}})))
	if err != nil || !reflect.DeepEqual(parts, []partitionAssignment{{topicPartition{"x", 0}, []int32{4, 5}}}) {
		t.Errorf("round trip: %v %v", parts, err)
	}
	cases := []struct{ json, msg string }{
		{`{"version":2,"partitions":[]}`, "Not supported version field value 2"},
		{`{"partitions":[{"topic":"t","partition":0,"replicas":[1,2],"log_dirs":["any"]}]}`,
			"Size of replicas list List(1, 2) is different from size of log dirs list List(any) for partition t-0"},
		{`{"partitions":[{"topic":"t","replicas":[1]}]}`, "No such field exists: `partition`"},
	}
	for _, c := range cases {
		if _, _, err := parseReassignmentJSON([]byte(c.json)); err == nil || err.Error() != c.msg {
			t.Errorf("%s: got %v, want %q", c.json, err, c.msg)
		}
	}
}

func TestValidateExecuteAssignment(t *testing.T) {
	cases := []struct {
		parts []partitionAssignment
		msg   string
	}{
		{nil, "Partition reassignment list cannot be empty"},
		{[]partitionAssignment{{topicPartition{"t", 0}, nil}}, "Partition replica list cannot be empty"},
		{[]partitionAssignment{{topicPartition{"t", 0}, []int32{1}}, {topicPartition{"t", 0}, []int32{2}}},
			"Partition reassignment contains duplicate topic partitions: t-0"},
		{[]partitionAssignment{{topicPartition{"t", 0}, []int32{1, 1}}, {topicPartition{"t", 1}, []int32{2, 3, 2}}},
			"Partition replica lists may not contain duplicate entries: t-0 contains multiple entries for 1. t-1 contains multiple entries for 2"},
	}
	for _, c := range cases {
		if _, err := validateExecuteAssignment(c.parts); err == nil || err.Error() != c.msg {
			t.Errorf("got %v, want %q", err, c.msg)
		}
	}
	got, err := validateExecuteAssignment([]partitionAssignment{{topicPartition{"t", 0}, []int32{2, 3}}})
	if err != nil || !reflect.DeepEqual(got, map[topicPartition][]int32{{"t", 0}: {2, 3}}) {
		t.Errorf("valid: %v %v", got, err)
	}
}

func TestParseTopicsToMoveJSON(t *testing.T) {
	topics, err := parseTopicsToMoveJSON([]byte(`{"topics":[{"topic":"foo"},{"topic":"foo1"}],"version":1}`))
	if err != nil || !reflect.DeepEqual(topics, []string{"foo", "foo1"}) {
		t.Errorf("got %v %v", topics, err)
	}
	if _, err := parseTopicsToMoveJSON([]byte(`{`)); err == nil || err.Error() != "The input string is not a valid JSON" {
		t.Errorf("bad json: %v", err)
	}
}

func TestCalculateAssignment(t *testing.T) {
	current := map[topicPartition][]int32{{"t", 0}: {1, 2}, {"t", 1}: {2, 1}, {"t", 2}: {1, 2}, {"u", 0}: {1}}
	brokers := []admin.BrokerMetadata{{ID: 3}, {ID: 4}, {ID: 5}}
	got, err := calculateAssignment(current, brokers)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(current) {
		t.Fatalf("got %v", got)
	}
	for tp, replicas := range got {
		if len(replicas) != len(current[tp]) {
			t.Errorf("%s: replication factor changed: %v", tp, replicas)
		}
		seen := map[int32]bool{}
		for _, r := range replicas {
			if r < 3 || r > 5 || seen[r] {
				t.Errorf("%s: bad replicas %v", tp, replicas)
			}
			seen[r] = true
		}
	}
	if _, err := calculateAssignment(map[topicPartition][]int32{{"t", 0}: {1, 2, 3}}, brokers[:2]); err == nil ||
		err.Error() != "Replication factor: 3 larger than available brokers: 2." {
		t.Errorf("rf 3 on 2 brokers: %v", err)
	}
}

func TestReassignmentStatesString(t *testing.T) {
	got := reassignmentStatesString(map[topicPartition]reassignmentState{
		{"t", 1}: {[]int32{2, 3, 1}, []int32{2, 3}, false},
		{"t", 0}: {[]int32{2, 3}, []int32{2, 3}, true},
		{"s", 0}: {[]int32{1}, []int32{2}, true},
	})
	want := "Status of partition reassignment:\n" +
		"There is no active reassignment of partition s-0, but replica set is 1 rather than 2.\n" +
		"Reassignment of partition t-0 is complete.\n" +
		"Reassignment of partition t-1 is still in progress."
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestReassignmentsString(t *testing.T) {
	if got := reassignmentsString(nil); got != "No partition reassignments found." {
		t.Errorf("empty: %q", got)
	}
	got := reassignmentsString(map[topicPartition]kmsg.ListPartitionReassignmentsResponseTopicPartition{
		{"t", 0}: {Replicas: []int32{2, 3, 1}, AddingReplicas: []int32{2, 3}, RemovingReplicas: []int32{1}},
		{"a", 5}: {Replicas: []int32{1, 2}, AddingReplicas: []int32{2}},
	})
	want := "Current partition reassignments:\na-5: replicas: 1,2. adding: 2.\nt-0: replicas: 2,3,1. adding: 2,3. removing: 1."
	if got != want {
		t.Errorf("got %q", got)
	}
}

func TestReassignArgumentErrors(t *testing.T) {
	cases := []struct{ args, stderr string }{
		{"--bootstrap-server h:1", "Command must include exactly one action: --generate, --execute, --verify, --cancel, --list"},
		{"--list --verify --bootstrap-server h:1", "Command must include exactly one action: --generate, --execute, --verify, --cancel, --list"},
		{"--list", "Please specify --bootstrap-server"},
		{"--execute --bootstrap-server h:1", `Missing required argument "[reassignment-json-file]"`},
		{"--generate --bootstrap-server h:1 --topics-to-move-json-file f", `Missing required argument "[broker-list]"`},
		{"--list --bootstrap-server h:1 --throttle 5", `Option "[throttle]" can't be used with action "[list]"`},
		{"--verify --bootstrap-server h:1 --reassignment-json-file f --additional", `Option "[additional]" can't be used with action "[verify]"`},
	}
	for _, c := range cases {
		out, errOut, code := runTool(t, runReassignPartitions, strings.Fields(c.args)...)
		if first := strings.SplitN(errOut, "\n", 2)[0]; first != c.stderr || code != 1 || out != "" {
			t.Errorf("%s: exit %d stderr %q stdout %q", c.args, code, first, out)
		}
	}
	out, _, code := runTool(t, runReassignPartitions, "--execute", "--bootstrap-server", "127.0.0.1:1", "--reassignment-json-file", "/nonexistent/plan.json")
	if code != 1 || !strings.HasPrefix(out, "Error: /nonexistent/plan.json\n") {
		t.Errorf("missing file: exit %d %q", code, out)
	}
}
