package integration

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// TestCompactionEndToEnd: a compacted topic keeps the last value of every
// key, and real clients read the compacted log (with its offset gaps).
func TestCompactionEndToEnd(t *testing.T) {
	c := StartCluster(t, map[string]string{"log.cleaner.backoff.ms": "200"})
	s := func(v string) *string { return &v }
	CreateTopic(t, c.Bootstrap(), "ct", 1, map[string]*string{"cleanup.policy": s("compact"), "segment.bytes": s("2048"),
		"min.cleanable.dirty.ratio": s("0.01"), "delete.retention.ms": s("0")})
	cl := NewClient(t, c.Bootstrap(), kgo.DefaultProduceTopic("ct"))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for i := 0; i < 2000; i++ {
		r := &kgo.Record{Key: []byte(fmt.Sprintf("k%d", i%10)), Value: []byte(fmt.Sprintf("v%d", i))}
		if err := cl.ProduceSync(ctx, r).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	var n int
	latest := map[string]string{}
	for try := 0; try < 40; try++ {
		time.Sleep(500 * time.Millisecond)
		con := NewClient(t, c.Bootstrap(), kgo.ConsumeTopics("ct"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
		n = 0
		latest = map[string]string{}
		for n < 2000 {
			fctx, fc := context.WithTimeout(ctx, 2*time.Second)
			fs := con.PollFetches(fctx)
			fc()
			if fs.IsClientClosed() || fctx.Err() != nil && fs.NumRecords() == 0 {
				break
			}
			fs.EachRecord(func(r *kgo.Record) { n++; latest[string(r.Key)] = string(r.Value) })
		}
		con.Close()
		if n < 200 {
			break
		}
	}
	t.Logf("records read after compaction: %d, latest %v", n, latest)
	for k := 0; k < 10; k++ {
		if latest[fmt.Sprintf("k%d", k)] != fmt.Sprintf("v%d", 1990+k) {
			t.Fatalf("key k%d: %q", k, latest[fmt.Sprintf("k%d", k)])
		}
	}
	if n >= 200 {
		t.Fatalf("not compacted: %d records", n)
	}
	out, _, code := RunCmd(t, 30*time.Second, "", requireKcat(t), "-b", c.Bootstrap(), "-C", "-t", "ct", "-o", "beginning", "-e", "-f", "%k=%s@%o\n")
	if code != 0 {
		t.Fatalf("kcat exited %d: %s", code, out)
	}
	for k := 0; k < 10; k++ {
		if !strings.Contains(out, fmt.Sprintf("k%d=v%d@", k, 1990+k)) {
			t.Errorf("kcat does not show the last value of k%d:\n%s", k, out)
		}
	}
	py := `
from kafka import KafkaConsumer
c = KafkaConsumer("ct", bootstrap_servers="` + c.Bootstrap() + `", auto_offset_reset="earliest", consumer_timeout_ms=3000)
seen = [(m.offset, m.key.decode(), m.value.decode()) for m in c]
print(len(seen), sorted(set(v for _, _, v in seen[-10:])) == sorted("v%d" % (1990 + k) for k in range(10)))
`
	pout, perr, pcode := RunCmd(t, 60*time.Second, py, "/usr/bin/python3", "-")
	if pcode != 0 || strings.TrimSpace(pout) != fmt.Sprintf("%d True", n) {
		t.Errorf("kafka-python read %q (exit %d, stderr %s), want %d records ending with the last values", pout, pcode, perr, n)
	}
	log := c.B().Log()
	for _, want := range []string{"Beginning cleaning of log ct-0", "Log cleaner thread 0 cleaned log ct-0"} {
		if !strings.Contains(log, want) {
			t.Fatalf("broker log lacks %q", want)
		}
	}
}
