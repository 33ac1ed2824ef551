package integration

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// script runs bin/<name> from a scratch working directory (the scripts must
// work from anywhere), with LOG_DIR in a temp dir.
func script(t *testing.T, stdin, name string, args ...string) (string, string, int) {
	t.Helper()
	path := filepath.Join(repoRoot, "bin", name)
	return RunCmdIn(t, t.TempDir(), []string{"LOG_DIR=" + t.TempDir()}, 60*time.Second, stdin, path, args...)
}

// TestBinScripts: the course's first lab through the bin/ wrappers:
// kafka-topics.sh, then kafka-console-producer.sh with keys, then
// kafka-console-consumer.sh printing partition, offset and key.
func TestBinScripts(t *testing.T) {
	c := StartCluster(t, nil)
	b := c.Bootstrap()

	out, errOut, code := script(t, "", "kafka-topics.sh", "--bootstrap-server", b, "--create", "--topic", "lab",
		"--partitions", "1", "--replication-factor", "1")
	if !expectTool(t, "kafka-topics.sh --create", out, errOut, code, "Created topic lab.\n", 0) {
		t.FailNow()
	}
	WaitLeaders(t, kadmClient(t, b), "lab", 1)

	out, errOut, code = script(t, "k1:hello\nk2:kafka\nk3:world\n", "kafka-console-producer.sh",
		"--bootstrap-server", b, "--topic", "lab", "--property", "parse.key=true", "--property", "key.separator=:")
	if code != 0 || out != "" {
		t.Fatalf("console producer: exit %d, stdout %q, stderr %s", code, out, errOut)
	}
	// --partition reads without a consumer group.
	out, errOut, code = script(t, "", "kafka-console-consumer.sh", "--bootstrap-server", b, "--topic", "lab",
		"--partition", "0", "--from-beginning", "--max-messages", "3", "--timeout-ms", "20000",
		"--property", "print.key=true", "--property", "print.partition=true", "--property", "print.offset=true")
	want := "Partition:0\tOffset:0\tk1\thello\nPartition:0\tOffset:1\tk2\tkafka\nPartition:0\tOffset:2\tk3\tworld\n"
	if code != 0 || out != want {
		t.Errorf("console consumer: exit %d\nstdout:\n%q\nwant:\n%q\nstderr:\n%s", code, out, want, errOut)
	}
	if !strings.Contains(errOut, "Processed a total of 3 messages") {
		t.Errorf("console consumer stderr lacks %q:\n%s", "Processed a total of 3 messages", errOut)
	}

	// kafka-dump-log.sh reads the segment the broker wrote.
	seg := filepath.Join(c.B().LogDir, "lab-0", fmt.Sprintf("%020d.log", 0))
	out, errOut, code = script(t, "", "kafka-dump-log.sh", "--files", seg, "--print-data-log")
	if code != 0 {
		t.Fatalf("kafka-dump-log.sh exited %d: %s", code, errOut)
	}
	for _, want := range []string{
		"Dumping " + seg + "\n",
		"Starting offset: 0\n",
		"key: k1 payload: hello",
		"key: k2 payload: kafka",
		"key: k3 payload: world",
		"isvalid: true",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("kafka-dump-log.sh output lacks %q:\n%s", want, out)
		}
	}
}
