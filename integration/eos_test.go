package integration

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestExactlyOnceConsumeTransformProduce runs the course's exactly-once
// pipeline with franz-go's GroupTransactSession: records of eos-in are
// read by a consumer group, transformed, and written to eos-out in a
// transaction that also commits the consumed offsets (TxnOffsetCommit).
// Midway the leader of an output partition is killed with SIGKILL. A
// read_committed reader of eos-out must then see every input exactly once.
func TestExactlyOnceConsumeTransformProduce(t *testing.T) {
	const session = 6 * time.Second
	c := StartClusterN(t, 3, map[string]string{
		"zookeeper.session.timeout.ms":             fmt.Sprint(session.Milliseconds()),
		"replica.lag.time.max.ms":                  "10000",
		"offsets.topic.replication.factor":         "3",
		"offsets.topic.num.partitions":             "5",
		"transaction.state.log.replication.factor": "3",
		"transaction.state.log.min.isr":            "2",
		"transaction.state.log.num.partitions":     "5",
	})
	all := c.Bootstrap()
	const in, out, partitions, n = "eos-in", "eos-out", 3, 3000
	adm := kadmClient(t, all)
	minISR := "2"
	for _, topic := range []string{in, out} {
		resp, err := adm.CreateTopic(testContext(t, 30*time.Second), partitions, 3, map[string]*string{"min.insync.replicas": &minISR}, topic)
		if err != nil || resp.Err != nil {
			t.Fatalf("create %s: %v %v", topic, err, resp.Err)
		}
	}
	md := waitPartitions(t, all, out, partitions, "fully replicated", func(p kadm.PartitionDetail) bool {
		return p.Leader >= 0 && len(p.ISR) == 3
	})
	waitPartitions(t, all, in, partitions, "fully replicated", func(p kadm.PartitionDetail) bool {
		return p.Leader >= 0 && len(p.ISR) == 3
	})

	// The input, written by an idempotent acks=all producer at about 300
	// records/s while the pipeline runs, so the kill lands mid-stream.
	// gzip, because kafka-python reads the topic at the end and Debian's
	// python3-kafka has no snappy (franz-go's default codec).
	prod := NewClient(t, all, kgo.RequiredAcks(kgo.AllISRAcks()), kgo.ProducerBatchCompression(kgo.GzipCompression()))
	var l ackLog
	inputDone := make(chan struct{})
	go func() {
		defer close(inputDone)
		for i := 0; i < n; i++ {
			prod.Produce(context.Background(), &kgo.Record{Topic: in, Key: []byte(fmt.Sprint(i)), Value: []byte(fmt.Sprintf("in-%05d", i))}, l.promise())
			if i%3 == 2 {
				time.Sleep(10 * time.Millisecond)
			}
		}
	}()

	// The transformer: one transaction per poll.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var committed atomic.Int64
	var wg sync.WaitGroup
	var transformErr atomic.Value
	wg.Add(1)
	go func() {
		defer wg.Done()
		transformErr.Store(runTransformer(ctx, t, all, in, out, &committed))
	}()
	defer func() { cancel(); wg.Wait() }()

	// Kill the leader of eos-out partition 0 once some transactions have
	// committed.
	waitUntil(t, 60*time.Second, "a third of the records transformed", func() bool { return committed.Load() >= n/3 })
	var victim *Broker
	for _, b := range c.Brokers {
		if int32(b.ID) == md.Partitions[0].Leader {
			victim = b
		}
	}
	t.Logf("killing broker %d (leader of %s-0) after %d records were committed", victim.ID, out, committed.Load())
	victim.Kill9()
	survivors := bootstrapOf(c.Brokers...)

	<-inputDone
	l.wait(t, 120*time.Second)
	if l.failed > 0 {
		t.Fatalf("%d input records failed: %v", l.failed, l.errs)
	}
	if c := committed.Load(); c >= n {
		t.Fatalf("all %d records were transformed before the kill; the test did not exercise a failover", c)
	}
	seen := readCommittedValues(t, survivors, out, n, 180*time.Second)
	cancel()
	wg.Wait()
	if err, _ := transformErr.Load().(error); err != nil && !errors.Is(err, context.Canceled) {
		t.Logf("transformer stopped with: %v", err)
	}
	var missing, dup []string
	for i := 0; i < n; i++ {
		v := fmt.Sprintf("out-in-%05d", i)
		switch seen[v] {
		case 0:
			missing = append(missing, v)
		case 1:
		default:
			dup = append(dup, fmt.Sprintf("%s x%d", v, seen[v]))
		}
	}
	if len(missing) > 0 || len(dup) > 0 || len(seen) != n {
		t.Fatalf("read_committed output: %d distinct values; %d missing (e.g. %s), %d duplicated (e.g. %s)",
			len(seen), len(missing), first(missing), len(dup), first(dup))
	}
	checkPlainClientsAfterTransactions(t, survivors, in, n)
}

// checkPlainClientsAfterTransactions checks that the course's clients
// (kcat and kafka-python, neither transactional) still read the input
// topic written by the idempotent producer, on the cluster that just ran
// transactions through a failover.
func checkPlainClientsAfterTransactions(t *testing.T, bootstrap, topic string, n int) {
	t.Helper()
	stdout, stderr, code := kcat(t, "", "-C", "-b", bootstrap, "-t", topic, "-o", "beginning", "-e", "-q", "-f", "%s\\n")
	if lines := strings.Count(stdout, "\n"); code != 0 || lines != n {
		t.Errorf("kcat read %d records of %s (exit %d), want %d; stderr: %s", lines, topic, code, n, stderr)
	}
	var py struct {
		FromBeginning []struct {
			Value string `json:"value"`
		} `json:"from_beginning"`
	}
	runPython(t, "consumer.py", map[string]any{
		"bootstrap": strings.Split(bootstrap, ",")[0], "topic": topic, "partitions": 3, "simple": true, "expect": n,
	}, &py)
	distinct := map[string]bool{}
	for _, r := range py.FromBeginning {
		distinct[r.Value] = true
	}
	if len(py.FromBeginning) != n || len(distinct) != n {
		t.Errorf("kafka-python read %d records (%d distinct) of %s, want %d", len(py.FromBeginning), len(distinct), topic, n)
	}
}

func first(s []string) string {
	if len(s) == 0 {
		return "-"
	}
	return s[0]
}

// runTransformer consumes in, writes "out-"+value to out and commits the
// consumed offsets in the same transaction, until ctx ends.
func runTransformer(ctx context.Context, t *testing.T, bootstrap, in, out string, committed *atomic.Int64) error {
	clientLog, ferr := os.Create(filepath.Join(t.TempDir(), "transformer-client.log"))
	if ferr != nil {
		return ferr
	}
	defer clientLog.Close()
	defer func() {
		if t.Failed() {
			b, _ := os.ReadFile(clientLog.Name())
			if len(b) > 8000 {
				b = b[len(b)-8000:]
			}
			t.Logf("tail of the transformer's franz-go log:\n%s", b)
		}
	}()
	sess, err := kgo.NewGroupTransactSession(
		kgo.SeedBrokers(strings.Split(bootstrap, ",")...),
		kgo.TransactionalID("eos-transformer"),
		kgo.TransactionTimeout(30*time.Second),
		kgo.ConsumerGroup("eos-group"),
		kgo.ConsumeTopics(in),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.RequireStableFetchOffsets(),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.FetchMaxWait(300*time.Millisecond),
		kgo.WithLogger(kgo.BasicLogger(clientLog, kgo.LogLevelInfo, nil)),
	)
	if err != nil {
		return err
	}
	defer sess.Close()
	for ctx.Err() == nil {
		fs := sess.PollRecords(ctx, 100)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var recs []*kgo.Record
		fs.EachRecord(func(r *kgo.Record) { recs = append(recs, r) })
		if len(recs) == 0 {
			continue
		}
		if err := sess.Begin(); err != nil {
			t.Logf("transformer stops: begin: %v", err)
			return fmt.Errorf("begin: %w", err)
		}
		for _, r := range recs {
			sess.Produce(ctx, &kgo.Record{Topic: out, Key: r.Key, Value: append([]byte("out-"), r.Value...)}, nil)
		}
		ok, err := sess.End(ctx, kgo.TryCommit)
		if err != nil && ctx.Err() == nil {
			t.Logf("transaction of %d records not committed: %v", len(recs), err)
			// A failed commit is retried by the next poll (the session rewinds).
			time.Sleep(200 * time.Millisecond)
			continue
		}
		if ok {
			committed.Add(int64(len(recs)))
		}
	}
	return ctx.Err()
}

// readCommittedValues tails topic with a read_committed consumer until it
// has seen want distinct values and no new value for a few seconds (so
// late duplicates are caught too), returning how often each value came.
func readCommittedValues(t *testing.T, bootstrap, topic string, want int, timeout time.Duration) map[string]int {
	t.Helper()
	cons := NewClient(t, bootstrap,
		kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.FetchMaxWait(300*time.Millisecond))
	seen := map[string]int{}
	deadline := time.Now().Add(timeout)
	var complete time.Time
	for time.Now().Before(deadline) {
		pctx, cancel := context.WithTimeout(context.Background(), time.Second)
		fs := cons.PollFetches(pctx)
		cancel()
		fs.EachRecord(func(r *kgo.Record) { seen[string(r.Value)]++ })
		if len(seen) >= want {
			if complete.IsZero() {
				complete = time.Now()
			} else if time.Since(complete) > 5*time.Second {
				return seen
			}
		}
	}
	t.Fatalf("read_committed reader of %s saw %d of %d values after %v", topic, len(seen), want, timeout)
	return nil
}
