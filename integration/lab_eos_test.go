package integration

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestLabExactlyOnce runs the exactly-once part of the delivery-semantics
// lab (testdata/lab_exactly_once.py, quoted in
// docs/lab-delivery-semantics.md) with confluent-kafka against one broker
// configured like `make run`, and checks the output the page shows.
func TestLabExactlyOnce(t *testing.T) {
	requireConfluentKafka(t)
	c := StartCluster(t, nil)
	script := filepath.Join(repoRoot, "integration", "testdata", "lab_exactly_once.py")
	stdout, stderr, code := RunCmd(t, 120*time.Second, "", systemPython, script, c.Bootstrap(), "lab-eos")
	if code != 0 {
		t.Fatalf("lab script exited %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	want := strings.Join([]string{
		"read_committed:   ['committed-0', 'committed-1', 'committed-2']",
		"read_uncommitted: ['aborted-0', 'aborted-1', 'aborted-2', 'committed-0', 'committed-1', 'committed-2']",
		"transformed:      ['ALPHA', 'BETA', 'GAMMA']",
		"group offset:     3",
	}, "\n") + "\n"
	if stdout != want {
		t.Errorf("lab output:\n%s\nwant:\n%s\nstderr:\n%s", stdout, want, stderr)
	}
}
