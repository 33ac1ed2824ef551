package integration

// Transactions end to end with franz-go: the transaction coordinator
// (FindCoordinator for transactions, InitProducerId with a transactional
// id, AddPartitionsToTxn, EndTxn, WriteTxnMarkers to the leaders) and the
// log side that makes read_committed consumers skip aborted records.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// txnProducer is a transactional franz-go client.
func txnProducer(t *testing.T, bootstrap, txnID, topic string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	all := append([]kgo.Opt{
		kgo.TransactionalID(txnID),
		kgo.DefaultProduceTopic(topic),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.TransactionTimeout(60 * time.Second),
	}, opts...)
	return NewClient(t, bootstrap, all...)
}

// produceTxn runs one transaction of values and ends it with commit or abort.
func produceTxn(t *testing.T, p *kgo.Client, commit bool, values ...string) {
	t.Helper()
	ctx := testContext(t, 60*time.Second)
	if err := p.BeginTransaction(); err != nil {
		t.Fatalf("BeginTransaction: %v", err)
	}
	for _, v := range values {
		if err := p.ProduceSync(ctx, &kgo.Record{Key: []byte(v), Value: []byte(v)}).FirstErr(); err != nil {
			t.Fatalf("produce %s in transaction: %v", v, err)
		}
	}
	if err := p.EndTransaction(ctx, kgo.TransactionEndTry(commit)); err != nil {
		t.Fatalf("EndTransaction(commit=%v): %v", commit, err)
	}
}

// txnReadValues consumes topic from the start at the isolation level until
// stop says it has enough or the timeout passes; it returns the values in
// the order read per partition.
func txnReadValues(t *testing.T, bootstrap, topic string, committed bool, timeout time.Duration, stop func([]string) bool) []string {
	t.Helper()
	level := kgo.ReadUncommitted()
	if committed {
		level = kgo.ReadCommitted()
	}
	cl := NewClient(t, bootstrap, kgo.ConsumeTopics(topic), kgo.FetchIsolationLevel(level),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(500*time.Millisecond))
	defer cl.Close()
	var out []string
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) && !stop(out) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		fs := cl.PollFetches(ctx)
		cancel()
		fs.EachRecord(func(r *kgo.Record) { out = append(out, string(r.Value)) })
	}
	return out
}

func txnAtLeast(n int) func([]string) bool { return func(v []string) bool { return len(v) >= n } }

// txnCount counts the values that start with prefix.
func txnCount(values []string, prefix string) int {
	n := 0
	for _, v := range values {
		if strings.HasPrefix(v, prefix) {
			n++
		}
	}
	return n
}

func txnSeq(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s-%02d", prefix, i)
	}
	return out
}

// findTxnCoordinator asks for the transaction coordinator of id.
func findTxnCoordinator(t *testing.T, bootstrap, id string) int32 {
	t.Helper()
	cl := NewClient(t, bootstrap)
	defer cl.Close()
	var last error
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		req := kmsg.NewPtrFindCoordinatorRequest()
		req.CoordinatorKey, req.CoordinatorType = id, 1
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		resp, err := req.RequestWith(ctx, cl)
		cancel()
		if err == nil {
			err = kerr.ErrorForCode(resp.ErrorCode)
		}
		if err == nil {
			return resp.NodeID
		}
		last = err
	}
	t.Fatalf("FindCoordinator(transaction %s): %v", id, last)
	return -1
}

// TestTransactionsCommitAbort: on one broker, committed transactions are
// visible to read_committed consumers, aborted ones only to
// read_uncommitted ones; __transaction_state is created with Kafka's
// settings on first use.
func TestTransactionsCommitAbort(t *testing.T) {
	c := StartCluster(t, nil)
	bs := c.Bootstrap()
	const topic = "txn-basic"
	CreateTopic(t, bs, topic, 2, nil)
	p := txnProducer(t, bs, "txn-basic-producer", topic)

	produceTxn(t, p, true, txnSeq("commit1", 6)...)
	produceTxn(t, p, false, txnSeq("abort", 5)...)
	produceTxn(t, p, true, txnSeq("commit2", 4)...)

	committed := txnReadValues(t, bs, topic, true, 30*time.Second, txnAtLeast(10))
	if txnCount(committed, "commit1") != 6 || txnCount(committed, "commit2") != 4 || txnCount(committed, "abort") != 0 || len(committed) != 10 {
		t.Fatalf("read_committed read %d values: %v", len(committed), committed)
	}
	all := txnReadValues(t, bs, topic, false, 30*time.Second, txnAtLeast(15))
	if txnCount(all, "abort") != 5 || len(all) != 15 {
		t.Fatalf("read_uncommitted read %d values: %v", len(all), all)
	}

	// The state topic: 50 partitions, compacted, uncompressed, no unclean election.
	adm := kadmClient(t, bs)
	ctx := testContext(t, 30*time.Second)
	md, err := adm.Metadata(ctx, "__transaction_state")
	if err != nil {
		t.Fatal(err)
	}
	if td := md.Topics["__transaction_state"]; len(td.Partitions) != 50 || !td.IsInternal {
		t.Fatalf("__transaction_state: %d partitions, internal=%v", len(td.Partitions), td.IsInternal)
	}
	rcs, err := adm.DescribeTopicConfigs(ctx, "__transaction_state")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"cleanup.policy": "compact", "compression.type": "uncompressed", "min.insync.replicas": "1",
		"segment.bytes": "104857600", "unclean.leader.election.enable": "false"}
	for _, rc := range rcs {
		for _, cfg := range rc.Configs {
			if w, ok := want[cfg.Key]; ok {
				if cfg.MaybeValue() != w || cfg.Source != kmsg.ConfigSourceDynamicTopicConfig {
					t.Errorf("__transaction_state %s = %q (source %v), want %q from the topic", cfg.Key, cfg.MaybeValue(), cfg.Source, w)
				}
				delete(want, cfg.Key)
			}
		}
	}
	if len(want) > 0 {
		t.Errorf("configs not described: %v", want)
	}

	// An EndTxn without a transaction, and a bad timeout, answer as Kafka.
	raw := NewClient(t, bs)
	id := "txn-basic-producer"
	coordinator := findTxnCoordinator(t, bs, id)
	if coordinator != 1 {
		t.Fatalf("coordinator = %d", coordinator)
	}
	init := kmsg.NewPtrInitProducerIDRequest()
	init.TransactionalID, init.TransactionTimeoutMillis = &id, 900001
	resp, err := init.RequestWith(ctx, raw)
	if err != nil || resp.ErrorCode != kerr.InvalidTransactionTimeout.Code {
		t.Fatalf("InitProducerId with timeout above transaction.max.timeout.ms: %v code %d", err, resp.ErrorCode)
	}
	// A request naming an unknown partition adds nothing.
	pid, epoch, err := p.ProducerID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	add := kmsg.NewPtrAddPartitionsToTxnRequest()
	add.TransactionalID, add.ProducerID, add.ProducerEpoch = id, pid, epoch
	for _, tp := range []struct {
		topic string
		parts []int32
	}{{topic, []int32{0}}, {"no-such-topic", []int32{0}}, {topic, []int32{7}}} {
		at := kmsg.NewAddPartitionsToTxnRequestTopic()
		at.Topic, at.Partitions = tp.topic, tp.parts
		add.Topics = append(add.Topics, at)
	}
	aresp, err := add.RequestWith(ctx, raw)
	if err != nil {
		t.Fatal(err)
	}
	codes := map[string]int16{}
	for _, rt := range aresp.Topics {
		for _, rp := range rt.Partitions {
			codes[fmt.Sprintf("%s-%d", rt.Topic, rp.Partition)] = rp.ErrorCode
		}
	}
	if codes[topic+"-0"] != kerr.OperationNotAttempted.Code || codes["no-such-topic-0"] != kerr.UnknownTopicOrPartition.Code ||
		codes[topic+"-7"] != kerr.UnknownTopicOrPartition.Code {
		t.Fatalf("AddPartitionsToTxn with unknown partitions: %v", codes)
	}
	end := kmsg.NewPtrEndTxnRequest()
	end.TransactionalID, end.ProducerID, end.ProducerEpoch, end.Commit = "never-initialised", 1, 0, true
	eresp, err := end.RequestWith(ctx, raw)
	if err != nil || eresp.ErrorCode != kerr.InvalidProducerIDMapping.Code {
		t.Fatalf("EndTxn for an unknown transactional id: %v code %d", err, eresp.ErrorCode)
	}
}

// TestTransactionStateTopicNeedsEnoughBrokers: with fewer live brokers
// than transaction.state.log.replication.factor the topic is not created
// and FindCoordinator answers COORDINATOR_NOT_AVAILABLE.
func TestTransactionStateTopicNeedsEnoughBrokers(t *testing.T) {
	c := StartCluster(t, map[string]string{"transaction.state.log.replication.factor": "3"})
	cl := NewClient(t, c.Bootstrap())
	for i := 0; i < 3; i++ {
		req := kmsg.NewPtrFindCoordinatorRequest()
		req.CoordinatorKey, req.CoordinatorType = "lonely", 1
		resp, err := req.RequestWith(testContext(t, 10*time.Second), cl)
		if err != nil || resp.ErrorCode != kerr.CoordinatorNotAvailable.Code || resp.NodeID != -1 {
			t.Fatalf("FindCoordinator: %v %+v", err, resp)
		}
	}
	md, err := kadmClient(t, c.Bootstrap()).Metadata(testContext(t, 10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := md.Topics["__transaction_state"]; ok {
		t.Fatal("__transaction_state was created with too few brokers")
	}
	want := "Number of alive brokers '1' does not meet the required replication factor '3' for the transactions state topic (configured via 'transaction.state.log.replication.factor')"
	if !strings.Contains(c.B().Log(), want) {
		t.Fatalf("broker log lacks %q", want)
	}
}

// TestTransactionsZombieFencing: a second producer with the same
// transactional id aborts the first one's open transaction and fences it.
func TestTransactionsZombieFencing(t *testing.T) {
	c := StartCluster(t, map[string]string{"transaction.state.log.num.partitions": "5"})
	bs := c.Bootstrap()
	const topic, id = "txn-zombie", "zombie"
	CreateTopic(t, bs, topic, 1, nil)
	ctx := testContext(t, 90*time.Second)

	p1 := txnProducer(t, bs, id, topic)
	if err := p1.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	if err := p1.ProduceSync(ctx, &kgo.Record{Value: []byte("zombie-00")}).FirstErr(); err != nil {
		t.Fatalf("first producer: %v", err)
	}
	pid1, epoch1, err := p1.ProducerID(ctx)
	if err != nil {
		t.Fatal(err)
	}

	// The second instance: its InitProducerId aborts p1's transaction
	// (CONCURRENT_TRANSACTIONS until the markers are written) and bumps
	// the epoch twice.
	p2 := txnProducer(t, bs, id, topic)
	produceTxn(t, p2, true, "fresh-00", "fresh-01")

	// p1 is fenced: its next write or its commit fails.
	produceErr := p1.ProduceSync(ctx, &kgo.Record{Value: []byte("zombie-01")}).FirstErr()
	endErr := p1.EndTransaction(ctx, kgo.TryCommit)
	t.Logf("fenced producer: produce error %v, EndTransaction error %v", produceErr, endErr)
	if endErr == nil {
		t.Fatal("the fenced producer committed")
	}
	if !errors.Is(endErr, kerr.ProducerFenced) && !errors.Is(endErr, kerr.InvalidProducerEpoch) && produceErr == nil {
		t.Errorf("EndTransaction failed with %v, not a fencing error", endErr)
	}

	// The old epoch, sent by hand: PRODUCER_FENCED for EndTxn and
	// AddPartitionsToTxn v2+, INVALID_PRODUCER_EPOCH for older versions.
	conn, err := net.Dial("tcp", c.B().Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for i, v := range []int16{0, 1, 2, 3} {
		want := kerr.ProducerFenced.Code
		if v < 2 {
			want = kerr.InvalidProducerEpoch.Code
		}
		end := kmsg.NewPtrEndTxnRequest()
		end.Version, end.TransactionalID, end.ProducerID, end.ProducerEpoch, end.Commit = v, id, pid1, epoch1, true
		resp, err := RoundTrip(conn, end, int32(2*i), 10*time.Second)
		if err != nil || resp.(*kmsg.EndTxnResponse).ErrorCode != want {
			t.Fatalf("EndTxn v%d with the fenced epoch: %v %+v, want code %d", v, err, resp, want)
		}
		add := kmsg.NewPtrAddPartitionsToTxnRequest()
		add.Version, add.TransactionalID, add.ProducerID, add.ProducerEpoch = v, id, pid1, epoch1
		at := kmsg.NewAddPartitionsToTxnRequestTopic()
		at.Topic, at.Partitions = topic, []int32{0}
		add.Topics = append(add.Topics, at)
		aresp, err := RoundTrip(conn, add, int32(2*i+1), 10*time.Second)
		if err != nil || aresp.(*kmsg.AddPartitionsToTxnResponse).Topics[0].Partitions[0].ErrorCode != want {
			t.Fatalf("AddPartitionsToTxn v%d with the fenced epoch: %v %+v, want code %d", v, err, aresp, want)
		}
	}

	committed := txnReadValues(t, bs, topic, true, 20*time.Second, txnAtLeast(2))
	if txnCount(committed, "fresh") != 2 || txnCount(committed, "zombie") != 0 {
		t.Fatalf("read_committed: %v", committed)
	}
	all := txnReadValues(t, bs, topic, false, 20*time.Second, txnAtLeast(3))
	if txnCount(all, "zombie-00") != 1 {
		t.Fatalf("read_uncommitted: %v", all)
	}
	// The second producer keeps working.
	produceTxn(t, p2, true, "fresh-02")
	if got := txnReadValues(t, bs, topic, true, 20*time.Second, txnAtLeast(3)); txnCount(got, "fresh") != 3 {
		t.Fatalf("read_committed after another commit: %v", got)
	}
}

// TestTransactionTimeoutAbortsHungTransaction: a transaction left open
// past its timeout is aborted by the coordinator, which unblocks
// read_committed consumers and fences the producer.
func TestTransactionTimeoutAbortsHungTransaction(t *testing.T) {
	c := StartCluster(t, map[string]string{
		"transaction.state.log.num.partitions":                        "5",
		"transaction.abort.timed.out.transaction.cleanup.interval.ms": "500",
	})
	bs := c.Bootstrap()
	const topic = "txn-timeout"
	CreateTopic(t, bs, topic, 1, nil)
	ctx := testContext(t, 90*time.Second)

	hung := txnProducer(t, bs, "hung", topic, kgo.TransactionTimeout(3*time.Second))
	if err := hung.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	for _, v := range txnSeq("hung", 3) {
		if err := hung.ProduceSync(ctx, &kgo.Record{Value: []byte(v)}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	// A plain record after the open transaction: read_committed readers
	// see it only once the transaction is resolved.
	plain := NewClient(t, bs, kgo.DefaultProduceTopic(topic))
	if err := plain.ProduceSync(ctx, &kgo.Record{Value: []byte("plain-00")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	committed := txnReadValues(t, bs, topic, true, 45*time.Second, func(v []string) bool { return txnCount(v, "plain") == 1 })
	if txnCount(committed, "plain") != 1 || txnCount(committed, "hung") != 0 {
		t.Fatalf("read_committed: %v", committed)
	}
	if waited := time.Since(start); waited < 2*time.Second {
		t.Fatalf("the transaction was resolved after %v, before its 3 s timeout", waited)
	}
	if all := txnReadValues(t, bs, topic, false, 20*time.Second, txnAtLeast(4)); txnCount(all, "hung") != 3 {
		t.Fatalf("read_uncommitted: %v", all)
	}
	// The producer was fenced by the abort's epoch bump.
	if err := hung.EndTransaction(ctx, kgo.TryCommit); err == nil {
		t.Fatal("the timed-out transaction committed")
	} else {
		t.Logf("EndTransaction after the timeout: %v", err)
	}
	if got := txnReadValues(t, bs, topic, true, 5*time.Second, txnAtLeast(2)); txnCount(got, "hung") != 0 {
		t.Fatalf("read_committed after the late commit: %v", got)
	}
}

// TestTransactionsCoordinatorFailover: on three brokers
// (__transaction_state RF 3, min ISR 2) the coordinator is killed with
// SIGKILL in the middle of a transaction. The transaction ends up either
// fully committed or fully aborted, and the producer (re-initialised)
// proceeds with the new coordinator.
func TestTransactionsCoordinatorFailover(t *testing.T) {
	const session = 6 * time.Second
	c := StartClusterN(t, 3, map[string]string{
		"zookeeper.session.timeout.ms":             fmt.Sprint(session.Milliseconds()),
		"transaction.state.log.replication.factor": "3",
		"transaction.state.log.min.isr":            "2",
		"transaction.state.log.num.partitions":     "10",
	})
	bs := c.Bootstrap()
	const topic, id = "txn-failover", "failover-producer"
	adm := kadmClient(t, bs)
	resp, err := adm.CreateTopic(testContext(t, 30*time.Second), 3, 3, nil, topic)
	if err != nil || resp.Err != nil {
		t.Fatalf("create: %v %v", err, resp.Err)
	}
	waitPartitions(t, bs, topic, 3, "fully replicated", func(p kadm.PartitionDetail) bool { return p.Leader >= 0 && len(p.ISR) == 3 })

	p := txnProducer(t, bs, id, topic, kgo.RecordPartitioner(kgo.RoundRobinPartitioner()))
	produceTxn(t, p, true, txnSeq("before", 9)...)
	produceTxn(t, p, false, txnSeq("aborted", 6)...)
	waitPartitions(t, bs, "__transaction_state", 10, "fully replicated", func(d kadm.PartitionDetail) bool { return d.Leader >= 0 && len(d.ISR) == 3 })

	coordinator := findTxnCoordinator(t, bs, id)
	ctx := testContext(t, 180*time.Second)
	if err := p.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	for _, v := range txnSeq("during", 9) {
		if err := p.ProduceSync(ctx, &kgo.Record{Value: []byte(v)}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	var victim *Broker
	for _, b := range c.Brokers {
		if int32(b.ID) == coordinator {
			victim = b
		}
	}
	t.Logf("killing the transaction coordinator, broker %d, in the middle of a transaction", coordinator)
	victim.Kill9()
	survivors := bootstrapOf(c.Brokers...)

	endCtx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	endErr := p.EndTransaction(endCtx, kgo.TryCommit)
	cancel()
	t.Logf("EndTransaction(commit) across the failover: %v", endErr)
	p.Close()

	// A fresh instance of the producer re-initialises with the new
	// coordinator and commits.
	newCoordinator := findTxnCoordinator(t, survivors, id)
	if newCoordinator == coordinator {
		t.Fatalf("coordinator still %d after it was killed", newCoordinator)
	}
	p2 := txnProducer(t, survivors, id, topic, kgo.RecordPartitioner(kgo.RoundRobinPartitioner()))
	produceTxn(t, p2, true, txnSeq("after", 9)...)

	got := txnReadValues(t, survivors, topic, true, 60*time.Second, func(v []string) bool {
		return txnCount(v, "before") == 9 && txnCount(v, "after") == 9
	})
	during := txnCount(got, "during")
	if txnCount(got, "before") != 9 || txnCount(got, "after") != 9 || (during != 0 && during != 9) || txnCount(got, "aborted") != 0 {
		sort.Strings(got)
		t.Fatalf("read_committed after the failover (%d values): %v", len(got), got)
	}
	if endErr == nil && during != 9 {
		t.Fatalf("EndTransaction reported a commit but read_committed sees %d of its 9 records", during)
	}
	t.Logf("the interrupted transaction was %s", map[bool]string{true: "committed", false: "aborted"}[during == 9])
}

// TestConfluentTransactions: librdkafka's transactional producer
// (confluent-kafka-python) commits, aborts, and is fenced by a second
// instance with the same transactional.id.
func TestConfluentTransactions(t *testing.T) {
	requireConfluentKafka(t)
	c := StartCluster(t, map[string]string{"transaction.state.log.num.partitions": "5"})
	bs := c.Bootstrap()
	const topic = "txn-confluent"
	CreateTopic(t, bs, topic, 1, nil)
	commit, abort := txnSeq("committed", 5), txnSeq("aborted", 3)
	in, err := json.Marshal(map[string]any{
		"bootstrap": bs, "topic": topic, "txn_id": "confluent-txn", "commit": commit, "abort": abort,
		// committed values plus the successor's; every record plus the zombie's.
		"expect": map[string]int{"committed": 6, "uncommitted": 10},
	})
	if err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(repoRoot, "integration", "testdata", "txn_confluent.py")
	stdout, stderr, code := RunCmd(t, 150*time.Second, string(in), systemPython, script)
	if code != 0 {
		t.Fatalf("txn_confluent.py exited %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	var out struct {
		Committed   []string `json:"committed"`
		Uncommitted []string `json:"uncommitted"`
		Fenced      *struct {
			Name  string `json:"name"`
			Fatal bool   `json:"fatal"`
		} `json:"fenced"`
	}
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("no JSON from txn_confluent.py (%v)\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr)
	}
	if txnCount(out.Committed, "committed") != 5 || txnCount(out.Committed, "successor") != 1 ||
		txnCount(out.Committed, "aborted") != 0 || txnCount(out.Committed, "zombie") != 0 {
		t.Errorf("read_committed: %v", out.Committed)
	}
	if txnCount(out.Uncommitted, "aborted") != 3 || txnCount(out.Uncommitted, "zombie") != 1 || len(out.Uncommitted) != 10 {
		t.Errorf("read_uncommitted: %v", out.Uncommitted)
	}
	if out.Fenced == nil {
		t.Errorf("the fenced producer committed")
	} else {
		t.Logf("fenced producer: %s (fatal %v)", out.Fenced.Name, out.Fenced.Fatal)
	}
}

// TestTransactionsMarkersPendingAcrossFailover: the coordinator has
// answered EndTxn (PrepareCommit is durable) but cannot deliver the
// marker because the partition's leader is frozen; then the coordinator
// is killed. The new coordinator reads PrepareCommit back, sends the
// marker once the leader is back, and completes the transaction.
func TestTransactionsMarkersPendingAcrossFailover(t *testing.T) {
	const session = 10 * time.Second
	c := StartClusterN(t, 3, map[string]string{
		"zookeeper.session.timeout.ms":             fmt.Sprint(session.Milliseconds()),
		"replica.lag.time.max.ms":                  "2000",
		"transaction.state.log.replication.factor": "3",
		"transaction.state.log.min.isr":            "2",
		"transaction.state.log.num.partitions":     "4",
	})
	bs := c.Bootstrap()
	const topic, id = "txn-pending", "pending-producer"
	adm := kadmClient(t, bs)
	if resp, err := adm.CreateTopic(testContext(t, 30*time.Second), 3, 1, nil, topic); err != nil || resp.Err != nil {
		t.Fatalf("create: %v %v", err, resp.Err)
	}
	md := waitPartitions(t, bs, topic, 3, "led", func(p kadm.PartitionDetail) bool { return p.Leader >= 0 })
	p := txnProducer(t, bs, id, topic, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	produceTxn(t, p, true, "warm-up")
	waitPartitions(t, bs, "__transaction_state", 4, "fully replicated", func(d kadm.PartitionDetail) bool { return d.Leader >= 0 && len(d.ISR) == 3 })
	coordinator := findTxnCoordinator(t, bs, id)
	var part int32 = -1
	var frozen, coord *Broker
	for _, pd := range md.Partitions {
		if pd.Leader != coordinator {
			part = pd.Partition
			frozen = c.Brokers[pd.Leader-1]
		}
	}
	coord = c.Brokers[coordinator-1]
	t.Logf("coordinator %d; partition %d led by broker %d, which gets frozen", coordinator, part, frozen.ID)

	ctx := testContext(t, 120*time.Second)
	if err := p.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	for _, v := range txnSeq("pending", 5) {
		if err := p.ProduceSync(ctx, &kgo.Record{Partition: part, Value: []byte(v)}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	frozen.Freeze()
	thawed := false
	defer func() {
		if !thawed {
			frozen.Thaw()
		}
	}()
	// PrepareCommit needs the state partition's ISR to drop the frozen
	// broker first (replica.lag.time.max.ms), then EndTxn answers.
	if err := p.EndTransaction(ctx, kgo.TryCommit); err != nil {
		t.Fatalf("EndTransaction: %v", err)
	}
	p.Close()
	coord.Kill9()
	time.Sleep(time.Second)
	frozen.Thaw()
	thawed = true

	survivors := bootstrapOf(c.Brokers...)
	got := txnReadValues(t, survivors, topic, true, 90*time.Second, func(v []string) bool { return txnCount(v, "pending") == 5 })
	// The warm-up record went to partition 0 (RF 1); it is readable unless
	// partition 0's only replica is the killed coordinator.
	wantWarmUp := 1
	for _, pd := range md.Partitions {
		if pd.Partition == 0 && pd.Leader == coordinator {
			wantWarmUp = 0
		}
	}
	if txnCount(got, "pending") != 5 || txnCount(got, "warm-up") != wantWarmUp {
		t.Fatalf("read_committed after the failover: %v (want 5 pending and %d warm-up)", got, wantWarmUp)
	}
	// The new coordinator wrote CompleteCommit (the old one never heard
	// back from the frozen leader).
	newCoordinator := findTxnCoordinator(t, survivors, id)
	waitUntil(t, 30*time.Second, "the new coordinator completes the transaction", func() bool {
		return strings.Contains(c.Brokers[newCoordinator-1].Log(), "Completed transaction for "+id)
	})
	// A new instance gets through InitProducerId and commits.
	// Its record goes to the partition of the thawed broker (partition 0
	// may have been on the killed coordinator).
	p2 := txnProducer(t, survivors, id, topic, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err := p2.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	if err := p2.ProduceSync(ctx, &kgo.Record{Partition: part, Value: []byte("next")}).FirstErr(); err != nil {
		t.Fatalf("produce next: %v", err)
	}
	if err := p2.EndTransaction(ctx, kgo.TryCommit); err != nil {
		t.Fatalf("EndTransaction next: %v", err)
	}
	got = txnReadValues(t, survivors, topic, true, 30*time.Second, func(v []string) bool { return txnCount(v, "next") == 1 })
	if txnCount(got, "next") != 1 {
		t.Fatalf("read_committed after the next transaction: %v", got)
	}
}

// TestSaramaTransactions: sarama's transactional producer at protocol
// versions 0.11 (InitProducerId/AddPartitionsToTxn/EndTxn v0), 2.0 (v1)
// and 2.8 (the newest) commits and aborts.
func TestSaramaTransactions(t *testing.T) {
	watchSaramaLog(t)
	c := StartCluster(t, map[string]string{"transaction.state.log.num.partitions": "5"})
	bs := c.Bootstrap()
	for _, v := range []sarama.KafkaVersion{sarama.V0_11_0_0, sarama.V2_0_0_0, sarama.V2_8_0_0} {
		topic := "txn-sarama-" + strings.ReplaceAll(v.String(), ".", "-")
		CreateTopic(t, bs, topic, 1, nil)
		cfg := saramaConfig(v)
		cfg.Producer.Idempotent = true
		cfg.Producer.RequiredAcks = sarama.WaitForAll
		cfg.Producer.Transaction.ID = "sarama-" + v.String()
		cfg.Net.MaxOpenRequests = 1
		p, err := sarama.NewSyncProducer(strings.Split(bs, ","), cfg)
		if err != nil {
			t.Fatalf("%s: NewSyncProducer: %v", v, err)
		}
		run := func(commit bool, values ...string) {
			if err := p.BeginTxn(); err != nil {
				t.Fatalf("%s: BeginTxn: %v", v, err)
			}
			for _, val := range values {
				if _, _, err := p.SendMessage(&sarama.ProducerMessage{Topic: topic, Value: sarama.StringEncoder(val)}); err != nil {
					t.Fatalf("%s: SendMessage: %v", v, err)
				}
			}
			end := p.CommitTxn
			if !commit {
				end = p.AbortTxn
			}
			if err := end(); err != nil {
				t.Fatalf("%s: end transaction (commit=%v): %v", v, commit, err)
			}
		}
		run(true, txnSeq("kept", 3)...)
		run(false, txnSeq("dropped", 2)...)
		run(true, txnSeq("kept-again", 2)...)
		_ = p.Close()
		got := txnReadValues(t, bs, topic, true, 20*time.Second, txnAtLeast(5))
		if txnCount(got, "kept") != 5 || txnCount(got, "dropped") != 0 {
			t.Errorf("%s: read_committed: %v", v, got)
		}
		if all := txnReadValues(t, bs, topic, false, 20*time.Second, txnAtLeast(7)); txnCount(all, "dropped") != 2 {
			t.Errorf("%s: read_uncommitted: %v", v, all)
		}
	}
}
