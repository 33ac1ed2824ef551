package integration

import (
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// systemPython is Debian's interpreter; python3-kafka installs for it only
// (a pyenv python3 earlier on PATH would not see the module).
const systemPython = "/usr/bin/python3"

func requirePythonKafka(t testing.TB) {
	t.Helper()
	out, err := exec.Command(systemPython, "-c", "import kafka; print(kafka.__version__)").CombinedOutput()
	if err != nil {
		t.Fatalf("kafka-python is missing for %s (%v: %s); `make test` installs it (apt-get install -y python3-kafka)",
			systemPython, err, strings.TrimSpace(string(out)))
	}
}

func requireKcat(t testing.TB) string {
	t.Helper()
	path, err := exec.LookPath("kcat")
	if err != nil {
		t.Fatalf("kcat is missing; `make test` installs it (apt-get install -y kcat)")
	}
	return path
}

// runPython runs testdata/<script> with input as JSON on stdin and decodes
// its JSON stdout into out.
func runPython(t testing.TB, script string, input, out any) {
	t.Helper()
	requirePythonKafka(t)
	in, err := json.Marshal(input)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(repoRoot, "integration", "testdata", script)
	stdout, stderr, code := RunCmd(t, 2*time.Minute, string(in), systemPython, path)
	if code != 0 {
		t.Fatalf("%s exited %d\nstdout:\n%s\nstderr:\n%s", script, code, stdout, stderr)
	}
	if err := json.Unmarshal([]byte(stdout), out); err != nil {
		t.Fatalf("%s printed no JSON (%v)\nstdout:\n%s\nstderr:\n%s", script, err, stdout, stderr)
	}
}

// kcat runs kcat against the broker with a time bound.
func kcat(t testing.TB, stdin string, args ...string) (string, string, int) {
	t.Helper()
	return RunCmd(t, 30*time.Second, stdin, requireKcat(t), args...)
}

// CreateTopic creates a topic through the admin API and waits until its
// partitions have leaders.
func CreateTopic(t testing.TB, bootstrap, topic string, partitions int32, configs map[string]*string) {
	t.Helper()
	cl := NewClient(t, bootstrap)
	adm := kadm.NewClient(cl)
	ctx := testContext(t, 30*time.Second)
	resp, err := adm.CreateTopic(ctx, partitions, 1, configs, topic)
	if err != nil || resp.Err != nil {
		t.Fatalf("create topic %s: %v / %v (%s)", topic, err, resp.Err, resp.ErrMessage)
	}
	WaitLeaders(t, adm, topic, int(partitions))
}

// WaitLeaders polls Metadata until every partition of topic has a leader.
func WaitLeaders(t testing.TB, adm *kadm.Client, topic string, partitions int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var last string
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		md, err := adm.Metadata(ctx, topic)
		cancel()
		if err == nil {
			td, ok := md.Topics[topic]
			if ok && td.Err == nil && len(td.Partitions) == partitions {
				ready := true
				for _, p := range td.Partitions {
					if p.Leader < 0 || p.Err != nil {
						ready = false
					}
				}
				if ready {
					return
				}
			}
			last = spew(td)
		} else {
			last = err.Error()
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("topic %s: partitions without leader after 30s: %s", topic, last)
}

func spew(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// ConsumeAll reads partitions of topic from the earliest offset until each
// partition reaches its current high watermark (at most timeout) and returns
// the records by partition, in offset order.
func ConsumeAll(t testing.TB, bootstrap, topic string, timeout time.Duration, opts ...kgo.Opt) map[int32][]*kgo.Record {
	t.Helper()
	cl := NewClient(t, bootstrap)
	adm := kadm.NewClient(cl)
	ctx := testContext(t, timeout)
	starts, err := adm.ListStartOffsets(ctx, topic)
	if err != nil {
		t.Fatalf("ListStartOffsets %s: %v", topic, err)
	}
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		t.Fatalf("ListEndOffsets %s: %v", topic, err)
	}
	want := map[int32]int64{}
	ends.Each(func(o kadm.ListedOffset) {
		if o.Err != nil {
			t.Fatalf("ListEndOffsets %s-%d: %v", topic, o.Partition, o.Err)
		}
		if s, ok := starts.Lookup(topic, o.Partition); ok && s.Err == nil && s.Offset < o.Offset {
			want[o.Partition] = o.Offset
		}
	})
	got := map[int32][]*kgo.Record{}
	if len(want) == 0 {
		return got
	}
	assign := map[string]map[int32]kgo.Offset{topic: {}}
	for p := range want {
		assign[topic][p] = kgo.NewOffset().AtStart()
	}
	cons := NewClient(t, bootstrap, append([]kgo.Opt{kgo.ConsumePartitions(assign), kgo.FetchMaxWait(200 * time.Millisecond)}, opts...)...)
	done := func() bool {
		for p, end := range want {
			rs := got[p]
			if len(rs) == 0 || rs[len(rs)-1].Offset < end-1 {
				return false
			}
		}
		return true
	}
	for !done() {
		fs := cons.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("consuming %s: timed out; wanted end offsets %v, got %s", topic, want, countByPartition(got))
		}
		fs.EachError(func(tp string, p int32, err error) {
			t.Errorf("fetch %s-%d: %v", tp, p, err)
		})
		fs.EachRecord(func(r *kgo.Record) { got[r.Partition] = append(got[r.Partition], r) })
	}
	return got
}

func countByPartition(m map[int32][]*kgo.Record) string {
	var b strings.Builder
	for p, rs := range m {
		b.WriteString(" p")
		b.WriteString(itoa(int64(p)))
		b.WriteString(":")
		b.WriteString(itoa(int64(len(rs))))
		if len(rs) > 0 {
			b.WriteString("@" + itoa(rs[len(rs)-1].Offset))
		}
	}
	return b.String()
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

// kadmClient is an admin client for the cluster, closed at cleanup.
func kadmClient(t testing.TB, bootstrap string) *kadm.Client {
	t.Helper()
	return kadm.NewClient(NewClient(t, bootstrap))
}
