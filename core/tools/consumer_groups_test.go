package tools

import (
	"strings"
	"testing"
	"time"
)

// Orders printed by java.util.HashMap<TopicPartition, _> on OpenJDK 17, as
// the admin client returns committed offsets.
func TestTopicPartitionHashOrder(t *testing.T) {
	for _, c := range []struct {
		topic string
		n     int32
		want  string
	}{
		{"first", 3, "2,1,0"}, {"bigdata01", 3, "1,2,0"}, {"test", 3, "1,0,2"},
		{"first", 10, "3,2,5,4,7,6,9,8,1,0"}, {"bigdata01", 10, "9,7,8,5,6,3,4,1,2,0"},
	} {
		m := newJavaHashMap(-1)
		for p := int32(0); p < c.n; p++ {
			m.putHashed(itoa(p), topicPartitionHash(c.topic, p))
		}
		if got := strings.Join(m.keys(), ","); got != c.want {
			t.Errorf("%s/%d: got %s want %s", c.topic, c.n, got, c.want)
		}
	}
}

func TestGroupHelpers(t *testing.T) {
	got := verboseAssignment([]topicPartition{{"b", 2}, {"a", 1}, {"b", 0}})
	if got != "a(1), b(0,2)" {
		t.Errorf("verbose assignment %q", got)
	}
	if verboseAssignment(nil) != "-" {
		t.Errorf("empty assignment")
	}
	ms, err := parseKafkaDateTime("2021-05-01T10:00:00.000")
	if err != nil || ms != time.Date(2021, 5, 1, 10, 0, 0, 0, time.UTC).UnixMilli() {
		t.Errorf("datetime without zone: %d %v", ms, err)
	}
	ms, err = parseKafkaDateTime("2021-05-01T10:00:00.000+08:00")
	if err != nil || ms != time.Date(2021, 5, 1, 2, 0, 0, 0, time.UTC).UnixMilli() {
		t.Errorf("datetime with zone: %d %v", ms, err)
	}
	if _, err := parseKafkaDateTime("2021-05-01"); err == nil {
		t.Errorf("missing T accepted")
	}
	if name, ok := groupStateName("stable"); !ok || name != "Stable" {
		t.Errorf("state parse %q", name)
	}
	plans := map[string]*resetPlan{"g": {}}
	plans["g"].set(topicPartition{"t", 1}, 5)
	if got := exportCSV([]string{"g"}, plans, true); got != "t,1,5\n" {
		t.Errorf("csv %q", got)
	}
	if got := exportCSV([]string{"g"}, plans, false); got != "g,t,1,5\n" {
		t.Errorf("csv with group %q", got)
	}
}

func TestConsumerGroupsArgumentErrors(t *testing.T) {
	for _, c := range []struct{ args, first string }{
		{"--list", "Missing required argument \"[bootstrap-server]\""},
		{"--bootstrap-server h:1 --describe", "Option [describe] takes one of these options: [group], [all-groups]"},
		{"--bootstrap-server h:1 --describe --group g --members --state", "Option [describe] takes at most one of these options: [members], [offsets], [state]"},
		{"--bootstrap-server h:1 --delete-offsets --group g", "Option [delete-offsets] takes the following options: [group], [topic]"},
		{"--bootstrap-server h:1 --reset-offsets --group g --to-earliest --to-latest --dry-run", "Option \"[to-earliest]\" can't be used with option \"[to-latest]\""},
		{"--bootstrap-server h:1 --list --members", "Option(s) [members] are unavailable given other options on the command line"},
		{"--bootstrap-server h:1 --list --describe --group g", "Option \"[group]\" can't be used with option \"[list]\""},
		{"--bootstrap-server h:1", "Command must include exactly one action: --list, --describe, --delete, --reset-offsets, --delete-offsets"},
	} {
		_, errOut, code := runTool(t, runConsumerGroups, strings.Fields(c.args)...)
		if first := strings.SplitN(errOut, "\n", 2)[0]; first != c.first || code != 1 {
			t.Errorf("%s: exit %d first stderr line %q", c.args, code, first)
		}
	}
}
