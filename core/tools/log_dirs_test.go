package tools

import (
	"strings"
	"testing"
)

func TestFormatLogDirsJSON(t *testing.T) {
	dirs := map[int32][]brokerLogDir{
		1: {{path: "/tmp/kafka-logs", partitions: []logDirPartition{
			{topicPartition{"a", 0}, 120, 0, false},
			{topicPartition{"b", 1}, 0, 3, false},
		}}},
		2: {{path: "/disk\"2", errorCode: 56}},
	}
	got := formatLogDirsJSON([]int32{1, 2}, dirs, nil)
	want := `{"version":1,"brokers":[{"broker":1,"logDirs":[{"logDir":"/tmp/kafka-logs","error":null,"partitions":[` +
		`{"partition":"a-0","size":120,"offsetLag":0,"isFuture":false},{"partition":"b-1","size":0,"offsetLag":3,"isFuture":false}]}]},` +
		`{"broker":2,"logDirs":[{"logDir":"/disk\"2","error":"org.apache.kafka.common.errors.KafkaStorageException","partitions":[]}]}]}`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	got = formatLogDirsJSON([]int32{1}, dirs, map[string]bool{"b": true})
	if !strings.Contains(got, `"partitions":[{"partition":"b-1"`) || strings.Contains(got, `"a-0"`) {
		t.Errorf("topic filter: %s", got)
	}
}

func TestLogDirsArgumentErrors(t *testing.T) {
	for args, want := range map[string]string{
		"--describe":                         "Missing required argument \"[bootstrap-server]\"",
		"--bootstrap-server 127.0.0.1:1":     "Missing required argument \"[describe]\"",
		"--bootstrap-server 127.0.0.1:1 --x": "Exception in thread \"main\" joptsimple.UnrecognizedOptionException: x is not a recognized option",
	} {
		out, errOut, code := runTool(t, runLogDirs, strings.Fields(args)...)
		if code != 1 || out != "" || !strings.HasPrefix(errOut, want) {
			t.Errorf("%s: code %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
}

func TestLogDirsJavaOrder(t *testing.T) {
	// TopicPartition hashes 1058 (a-0), 1089 (a-1), 1059 (b-0) in 16
	// buckets: a-1 comes first, as in Kafka's output.
	ps := javaPartitionOrder([]logDirPartition{{tp: topicPartition{"a", 0}}, {tp: topicPartition{"a", 1}}, {tp: topicPartition{"b", 0}}})
	var got []string
	for _, p := range ps {
		got = append(got, p.tp.String())
	}
	if strings.Join(got, ",") != "a-1,a-0,b-0" {
		t.Errorf("partition order %v", got)
	}
	dirs := javaLogDirOrder([]brokerLogDir{{path: "/b"}, {path: "/a"}})
	if len(dirs) != 2 || dirs[0].path != "/a" || dirs[1].path != "/b" {
		t.Errorf("dir order %v", dirs)
	}
}
