package integration

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// acked is a record the broker confirmed, with where it said it put it.
type acked struct {
	partition int32
	offset    int64
	value     string
}

// ackLog collects produce results from promise callbacks.
type ackLog struct {
	mu     sync.Mutex
	acks   []acked
	failed int
	errs   map[string]int
	wg     sync.WaitGroup
}

func (l *ackLog) promise() func(*kgo.Record, error) {
	l.wg.Add(1)
	return func(r *kgo.Record, err error) {
		defer l.wg.Done()
		l.mu.Lock()
		defer l.mu.Unlock()
		if err != nil {
			l.failed++
			if l.errs == nil {
				l.errs = map[string]int{}
			}
			l.errs[err.Error()]++
			return
		}
		l.acks = append(l.acks, acked{r.Partition, r.Offset, string(r.Value)})
	}
}

// wait waits for every promise, bounded.
func (l *ackLog) wait(t testing.TB, timeout time.Duration) {
	t.Helper()
	done := make(chan struct{})
	go func() { l.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(timeout):
		t.Fatalf("produce promises still pending after %v", timeout)
	}
}

func (l *ackLog) snapshot() []acked {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]acked(nil), l.acks...)
}

// checkAcked reads the topic back and checks that every acked record is at
// its acked offset with its value, and that offsets have no holes.
func checkAcked(t *testing.T, bootstrap, topic string, acks []acked) map[int32][]*kgo.Record {
	t.Helper()
	got := ConsumeAll(t, bootstrap, topic, 90*time.Second)
	at := map[int32]map[int64]string{}
	for p, rs := range got {
		at[p] = map[int64]string{}
		for i, r := range rs {
			if i > 0 && r.Offset != rs[i-1].Offset+1 {
				t.Errorf("partition %d: offset %d follows %d", p, r.Offset, rs[i-1].Offset)
			}
			at[p][r.Offset] = string(r.Value)
		}
	}
	missing := 0
	for _, a := range acks {
		v, ok := at[a.partition][a.offset]
		if !ok || v != a.value {
			missing++
			if missing <= 10 {
				t.Errorf("acked %q at %d@%d: found %q (present %v)", a.value, a.partition, a.offset, v, ok)
			}
		}
	}
	if missing > 0 {
		t.Errorf("%d of %d acked records are not at their acked offset", missing, len(acks))
	}
	return got
}

// TestRestartKeepsAckedRecords: records acked with acks=all survive a
// graceful restart at the same offsets, and new records continue after them.
func TestRestartKeepsAckedRecords(t *testing.T) {
	c := StartCluster(t, nil)
	const topic, partitions, n = "restart", 4, 6000
	CreateTopic(t, c.Bootstrap(), topic, partitions, nil)

	produce := func(from, to int) []acked {
		cl := NewClient(t, c.Bootstrap(), kgo.RequiredAcks(kgo.AllISRAcks()), kgo.ProducerLinger(5*time.Millisecond))
		var l ackLog
		ctx := testContext(t, 60*time.Second)
		for i := from; i < to; i++ {
			cl.Produce(ctx, &kgo.Record{Topic: topic, Key: []byte(fmt.Sprint(i % 97)), Value: []byte(fmt.Sprintf("restart-%06d", i))}, l.promise())
		}
		l.wait(t, 60*time.Second)
		if l.failed > 0 {
			t.Fatalf("%d records failed: %v", l.failed, l.errs)
		}
		cl.Close()
		return l.snapshot()
	}

	acks := produce(0, n)
	ends := map[int32]int64{}
	for _, a := range acks {
		if a.offset+1 > ends[a.partition] {
			ends[a.partition] = a.offset + 1
		}
	}
	c.B().Stop()
	checkCleanShutdownFiles(t, c.B().LogDir, topic, ends)
	c.B().Start()
	checkAcked(t, c.Bootstrap(), topic, acks)

	more := produce(n, n+400)
	for _, a := range more {
		if a.offset < ends[a.partition] {
			t.Errorf("after restart, %q got offset %d@%d, below the old end %d", a.value, a.partition, a.offset, ends[a.partition])
		}
	}
	// And a second restart with both generations in the log.
	c.B().Restart()
	got := checkAcked(t, c.Bootstrap(), topic, append(acks, more...))
	total := 0
	for _, rs := range got {
		total += len(rs)
	}
	if total != n+400 {
		t.Errorf("log holds %d records, produced and acked %d", total, n+400)
	}
}

// TestKill9KeepsAckedRecords kills the broker with SIGKILL while a producer
// (acks=1) is running; after a restart every record whose produce succeeded
// is readable at exactly its acked offset.
func TestKill9KeepsAckedRecords(t *testing.T) {
	const session = 6 * time.Second
	c := StartCluster(t, map[string]string{"zookeeper.session.timeout.ms": fmt.Sprint(session.Milliseconds())})
	const topic, partitions = "crash", 3
	CreateTopic(t, c.Bootstrap(), topic, partitions, nil)

	cl := NewClient(t, c.Bootstrap(),
		kgo.RequiredAcks(kgo.LeaderAck()), kgo.DisableIdempotentWrite(),
		kgo.ProducerLinger(2*time.Millisecond), kgo.RecordDeliveryTimeout(8*time.Second),
		kgo.MaxBufferedRecords(5000))
	var l ackLog
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		for i := 0; ctx.Err() == nil && i < 5_000_000; i++ {
			size := 20 + (i*37)%900
			v := fmt.Sprintf("crash-%07d-", i)
			for len(v) < size {
				v += "x"
			}
			cl.Produce(ctx, &kgo.Record{Topic: topic, Value: []byte(v)}, l.promise())
		}
	}()

	// Kill once a good amount is acked (bounded in time).
	deadline := time.Now().Add(20 * time.Second)
	for len(l.snapshot()) < 20000 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	c.B().Kill9()
	killedAt := len(l.snapshot())
	time.Sleep(300 * time.Millisecond)
	cancel()
	<-stopped
	abortCtx, abortCancel := context.WithTimeout(context.Background(), 15*time.Second)
	_ = cl.AbortBufferedRecords(abortCtx)
	abortCancel()
	l.wait(t, 30*time.Second)
	cl.Close()
	acks := l.snapshot()
	t.Logf("acked %d records (%d when killed), %d failed", len(acks), killedAt, l.failed)
	if len(acks) < 1000 {
		t.Fatalf("only %d records acked before the kill; producer errors: %v", len(acks), l.errs)
	}

	c.B().AfterCrashStart(session)
	WaitLeaders(t, kadmClient(t, c.Bootstrap()), topic, partitions)
	got := checkAcked(t, c.Bootstrap(), topic, acks)

	// The log accepts new records right after its recovered end.
	ends := map[int32]int64{}
	for p, rs := range got {
		if len(rs) > 0 {
			ends[p] = rs[len(rs)-1].Offset + 1
		}
	}
	pc := NewClient(t, c.Bootstrap(), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	for p := int32(0); p < partitions; p++ {
		r := &kgo.Record{Topic: topic, Partition: p, Value: []byte("after-crash")}
		if err := pc.ProduceSync(testContext(t, 30*time.Second), r).FirstErr(); err != nil {
			t.Fatalf("produce after recovery to partition %d: %v", p, err)
		}
		if r.Offset != ends[p] {
			t.Errorf("partition %d: first record after recovery at offset %d, want %d", p, r.Offset, ends[p])
		}
	}
}

// TestIdempotentProducerAcrossRestarts keeps an idempotent producer
// (franz-go's default, acks=all) running while the broker restarts, first
// gracefully and then after kill -9. The producer retries through each
// outage; in the end every record is acked exactly once: the log holds
// each value once, at its acked offset, with no gaps.
func TestIdempotentProducerAcrossRestarts(t *testing.T) {
	const session = 6 * time.Second
	c := StartCluster(t, map[string]string{"zookeeper.session.timeout.ms": fmt.Sprint(session.Milliseconds())})
	const topic, partitions, total = "idempotent", 3, 30000
	CreateTopic(t, c.Bootstrap(), topic, partitions, nil)

	cl := NewClient(t, c.Bootstrap(), kgo.ProducerLinger(2*time.Millisecond), kgo.RetryTimeout(60*time.Second),
		kgo.MaxBufferedRecords(2000))
	var l ackLog
	ctx := testContext(t, 3*time.Minute)
	produced := make(chan struct{})
	sent := 0
	var sentMu sync.Mutex
	go func() {
		defer close(produced)
		for i := 0; i < total && ctx.Err() == nil; i++ {
			cl.Produce(ctx, &kgo.Record{Topic: topic, Key: []byte(fmt.Sprint(i % 31)), Value: []byte(fmt.Sprintf("idem-%06d", i))}, l.promise())
			sentMu.Lock()
			sent = i + 1
			sentMu.Unlock()
			if i%500 == 0 {
				time.Sleep(20 * time.Millisecond) // keep it running across the outages
			}
		}
	}()
	waitAcked := func(n int) {
		deadline := time.Now().Add(60 * time.Second)
		for len(l.snapshot()) < n && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitAcked(5000)
	c.B().Restart()
	waitAcked(12000)
	c.B().Kill9()
	c.B().AfterCrashStart(session)
	<-produced
	l.wait(t, 2*time.Minute)
	sentMu.Lock()
	n := sent
	sentMu.Unlock()
	acks := l.snapshot()
	t.Logf("sent %d, acked %d, failed %d", n, len(acks), l.failed)
	if n != total || l.failed > 0 {
		t.Errorf("sent %d of %d, %d failed: %v", n, total, l.failed, l.errs)
	}
	got := checkAcked(t, c.Bootstrap(), topic, acks)
	if !brokerSupports(t, c.B().Addr(), kmsg.InitProducerID.Int16()) {
		// franz-go then produces without a producer id, and a retried
		// batch whose first attempt was written may be duplicated.
		t.Logf("broker does not advertise InitProducerId: the producer ran non-idempotent, duplicates not checked")
		return
	}
	seen := map[string]int{}
	for _, rs := range got {
		for _, r := range rs {
			seen[string(r.Value)]++
		}
	}
	dups := 0
	for v, k := range seen {
		if k > 1 {
			dups++
			if dups <= 5 {
				t.Errorf("%s is in the log %d times", v, k)
			}
		}
	}
	if dups > 0 || len(seen) != len(acks) {
		t.Errorf("%d duplicated values; %d distinct values in the log, %d acked", dups, len(seen), len(acks))
	}
}

// brokerSupports reports whether the broker advertises the API key.
func brokerSupports(t *testing.T, addr string, key int16) bool {
	t.Helper()
	conn := dial(t, addr)
	req := kmsg.NewPtrApiVersionsRequest()
	req.Version = 3
	req.ClientSoftwareName, req.ClientSoftwareVersion = "integration", "1"
	resp, err := RoundTrip(conn, req, 1, 10*time.Second)
	if err != nil {
		t.Fatalf("ApiVersions: %v", err)
	}
	for _, k := range resp.(*kmsg.ApiVersionsResponse).ApiKeys {
		if k.ApiKey == key {
			return true
		}
	}
	return false
}

// checkCleanShutdownFiles looks at a log dir after a graceful stop: the
// clean shutdown marker, meta.properties and the checkpoint files in
// Kafka's text format ("0", count, "topic partition offset" lines), with
// the recovery point and high watermark at each partition's end.
func checkCleanShutdownFiles(t *testing.T, logDir, topic string, ends map[int32]int64) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(logDir, ".kafka_cleanshutdown")); err != nil {
		t.Errorf("no clean shutdown marker after a graceful stop: %v", err)
	}
	meta, err := os.ReadFile(filepath.Join(logDir, "meta.properties"))
	if err != nil || !strings.Contains(string(meta), "broker.id=1") || !strings.Contains(string(meta), "cluster.id=") {
		t.Errorf("meta.properties: %q (%v)", meta, err)
	}
	for _, name := range []string{"recovery-point-offset-checkpoint", "replication-offset-checkpoint", "log-start-offset-checkpoint"} {
		data, err := os.ReadFile(filepath.Join(logDir, name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
		if len(lines) < 2 || lines[0] != "0" || lines[1] != fmt.Sprint(len(lines)-2) {
			t.Errorf("%s is not in checkpoint format:\n%s", name, data)
			continue
		}
		got := map[int32]int64{}
		for _, l := range lines[2:] {
			var tp string
			var p int32
			var off int64
			if n, _ := fmt.Sscanf(l, "%s %d %d", &tp, &p, &off); n != 3 {
				t.Errorf("%s: bad line %q", name, l)
			}
			if tp == topic {
				got[p] = off
			}
		}
		if name == "log-start-offset-checkpoint" {
			// Kafka writes only partitions whose log start is above 0.
			for p, off := range got {
				if off != 0 {
					t.Errorf("%s: %s-%d at %d, want 0 or absent", name, topic, p, off)
				}
			}
			continue
		}
		for p, end := range ends {
			if got[p] != end {
				t.Errorf("%s: %s-%d = %d, want the log end %d\n%s", name, topic, p, got[p], end, data)
			}
		}
	}
}
