package tools

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseDeleteRecordsJSON(t *testing.T) {
	rs, err := parseDeleteRecordsJSON([]byte(`{"partitions":[{"topic":"a","partition":1,"offset":5},{"topic":"b","partition":0,"offset":-1}],"version":1}`))
	if err != nil || len(rs) != 2 || rs[0] != (recordsToDelete{topicPartition{"a", 1}, 5}) || rs[1] != (recordsToDelete{topicPartition{"b", 0}, -1}) {
		t.Fatalf("parsed %v, %v", rs, err)
	}
	// No version means version 1.
	if rs, err := parseDeleteRecordsJSON([]byte(`{"partitions":[{"topic":"a","partition":0,"offset":1}]}`)); err != nil || len(rs) != 1 {
		t.Errorf("without version: %v %v", rs, err)
	}
	for in, want := range map[string]string{
		`not json`:                      "The input string is not a valid JSON",
		`{"version":1}`:                 "Missing partitions field",
		`{"version":2,"partitions":[]}`: "Not supported version field value 2",
		`{"partitions":[{"partition":0,"offset":1}]}`:  "No such field exists: `topic`",
		`{"partitions":[{"topic":"a","partition":0}]}`: "No such field exists: `offset`",
	} {
		if _, err := parseDeleteRecordsJSON([]byte(in)); err == nil || err.Error() != want || javaClassOf(err) != "kafka.admin.AdminOperationException" {
			t.Errorf("%s: got %v, want %q", in, err, want)
		}
	}
}

func TestDeleteRecordsOutput(t *testing.T) {
	var out strings.Builder
	e := &env{stdout: &out}
	rs := []recordsToDelete{{topicPartition{"t", 1}, 5}, {topicPartition{"t", 0}, 500}, {topicPartition{"s", 0}, 1}}
	printDeleteRecordsResults(e, rs, map[topicPartition]deleteRecordsResult{
		{"t", 1}: {lowWatermark: 5},
		{"t", 0}: {-1, brokerError(1, nil)},
		{"s", 0}: {-1, brokerError(3, nil)},
	})
	// Java's HashMap order for these keys (hashes 1108, 1076, 1077 in 8
	// buckets), not the sorted order.
	want := "partition: t-1\tlow_watermark: 5\n" +
		"partition: s-0\terror: org.apache.kafka.common.errors.UnknownTopicOrPartitionException: This server does not host this topic-partition.\n" +
		"partition: t-0\terror: org.apache.kafka.common.errors.OffsetOutOfRangeException: The requested offset is not within the range of offsets maintained by the server.\n"
	if out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", out.String(), want)
	}
}

func TestDeleteRecordsArgumentErrors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "o.json")
	if err := os.WriteFile(file, []byte(`{"partitions":[{"topic":"t","partition":0,"offset":1},{"topic":"t","partition":0,"offset":2}],"version":1}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args, stderr string
	}{
		{"--offset-json-file " + file, "Missing required argument \"[bootstrap-server]\""},
		{"--bootstrap-server 127.0.0.1:1", "Missing required argument \"[offset-json-file]\""},
		{"--bootstrap-server 127.0.0.1:1 --offset-json-file " + file,
			"Exception in thread \"main\" kafka.common.AdminCommandFailedException: Offset json file contains duplicate topic partitions: t-0\n"},
		{"--bootstrap-server 127.0.0.1:1 --offset-json-file /nonexistent.json",
			"Exception in thread \"main\" java.nio.file.NoSuchFileException: /nonexistent.json\n"},
	} {
		out, errOut, code := runTool(t, runDeleteRecords, strings.Fields(tc.args)...)
		if code != 1 || out != "" || !strings.HasPrefix(errOut, tc.stderr) {
			t.Errorf("%s: code %d, stdout %q, stderr %q", tc.args, code, out, errOut)
		}
	}
}
