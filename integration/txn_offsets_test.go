package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Transactional offset commits (TxnOffsetCommit, key 28): offsets a
// transactional producer commits for a group stay invisible to OffsetFetch
// until the transaction's commit marker reaches __consumer_offsets, and
// are dropped by an abort marker.

// txnOffsetsProps use one offsets partition (every group is in
// __consumer_offsets-0) and one transaction state partition.
var txnOffsetsProps = map[string]string{
	"offsets.topic.num.partitions":         "1",
	"transaction.state.log.num.partitions": "1",
	"group.initial.rebalance.delay.ms":     "0",
}

// rawConn is a connection to one broker for hand-made requests.
type rawConn struct {
	t    *testing.T
	addr string
	conn net.Conn
	corr int32
}

func dialRaw(t *testing.T, addr string) *rawConn {
	t.Helper()
	r := &rawConn{t: t, addr: addr}
	r.redial()
	t.Cleanup(func() { _ = r.conn.Close() })
	return r
}

func (r *rawConn) redial() {
	r.t.Helper()
	if r.conn != nil {
		_ = r.conn.Close()
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", r.addr, 5*time.Second)
		if err == nil {
			r.conn = conn
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("dial %s: %v", r.addr, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (r *rawConn) do(req kmsg.Request) kmsg.Response {
	r.t.Helper()
	r.corr++
	resp, err := RoundTrip(r.conn, req, r.corr, 15*time.Second)
	if err != nil {
		r.t.Fatalf("%s v%d: %v", kmsg.NameForKey(req.Key()), req.GetVersion(), err)
	}
	return resp
}

// findGroupCoordinator asks for the group's coordinator until there is one
// (the first FindCoordinator creates __consumer_offsets, as clients do
// before committing).
func (r *rawConn) findGroupCoordinator(group string) {
	r.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		req := kmsg.NewPtrFindCoordinatorRequest()
		req.Version = 2
		req.CoordinatorKey = group
		resp := r.do(req).(*kmsg.FindCoordinatorResponse)
		if resp.ErrorCode == 0 {
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("FindCoordinator %s: error %d", group, resp.ErrorCode)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// coordinatorRetriable are the answers of a coordinator that is not ready
// yet (offsets topic being created or loaded).
func coordinatorRetriable(code int16) bool {
	return code == kerr.CoordinatorNotAvailable.Code || code == kerr.CoordinatorLoadInProgress.Code || code == kerr.NotCoordinator.Code
}

// txnOffsetCommit sends TxnOffsetCommit at version v for one group and
// returns the error code per "topic-partition", retrying while the
// coordinator is not ready.
func (r *rawConn) txnOffsetCommit(v int16, group string, pid int64, epoch int16, offsets map[string]map[int32]int64) map[string]int16 {
	r.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		req := kmsg.NewPtrTxnOffsetCommitRequest()
		req.Version = v
		req.TransactionalID, req.Group, req.ProducerID, req.ProducerEpoch = "raw-"+group, group, pid, epoch
		for topic, ps := range offsets {
			rt := kmsg.NewTxnOffsetCommitRequestTopic()
			rt.Topic = topic
			for p, o := range ps {
				rp := kmsg.NewTxnOffsetCommitRequestTopicPartition()
				rp.Partition, rp.Offset = p, o
				md := fmt.Sprintf("txn-%d", pid)
				rp.Metadata = &md
				rt.Partitions = append(rt.Partitions, rp)
			}
			req.Topics = append(req.Topics, rt)
		}
		resp := r.do(req).(*kmsg.TxnOffsetCommitResponse)
		out := map[string]int16{}
		retry := false
		for _, t := range resp.Topics {
			for _, p := range t.Partitions {
				out[fmt.Sprintf("%s-%d", t.Topic, p.Partition)] = p.ErrorCode
				retry = retry || coordinatorRetriable(p.ErrorCode)
			}
		}
		if !retry || time.Now().After(deadline) {
			return out
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// fetchedOffset is one partition of an OffsetFetch answer.
type fetchedOffset struct {
	offset   int64
	metadata string
	code     int16
}

// offsetFetch asks for one partition's committed offset (v7 with
// require_stable when stable is set, else v5).
func (r *rawConn) offsetFetch(group, topic string, partition int32, stable bool) fetchedOffset {
	r.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		req := kmsg.NewPtrOffsetFetchRequest()
		req.Version = 5
		if stable {
			req.Version, req.RequireStable = 7, true
		}
		req.Group = group
		rt := kmsg.NewOffsetFetchRequestTopic()
		rt.Topic, rt.Partitions = topic, []int32{partition}
		req.Topics = append(req.Topics, rt)
		resp := r.do(req).(*kmsg.OffsetFetchResponse)
		if coordinatorRetriable(resp.ErrorCode) && time.Now().Before(deadline) {
			time.Sleep(200 * time.Millisecond)
			continue
		}
		if resp.ErrorCode != 0 {
			r.t.Fatalf("OffsetFetch %s: error %d", group, resp.ErrorCode)
		}
		for _, t := range resp.Topics {
			for _, p := range t.Partitions {
				f := fetchedOffset{offset: p.Offset, code: p.ErrorCode}
				if p.Metadata != nil {
					f.metadata = *p.Metadata
				}
				return f
			}
		}
		r.t.Fatalf("OffsetFetch %s: no partition in the answer", group)
	}
}

// writeMarker sends WriteTxnMarkers for pid to __consumer_offsets-0, as
// the transaction coordinator does when a transaction ends.
func (r *rawConn) writeMarker(pid int64, epoch int16, commit bool) {
	r.t.Helper()
	req := kmsg.NewPtrWriteTxnMarkersRequest()
	req.Version = 1
	m := kmsg.NewWriteTxnMarkersRequestMarker()
	m.ProducerID, m.ProducerEpoch, m.Committed, m.CoordinatorEpoch = pid, epoch, commit, 0
	mt := kmsg.NewWriteTxnMarkersRequestMarkerTopic()
	mt.Topic, mt.Partitions = "__consumer_offsets", []int32{0}
	m.Topics = append(m.Topics, mt)
	req.Markers = append(req.Markers, m)
	resp := r.do(req).(*kmsg.WriteTxnMarkersResponse)
	for _, rm := range resp.Markers {
		for _, t := range rm.Topics {
			for _, p := range t.Partitions {
				if p.ErrorCode != 0 {
					r.t.Fatalf("WriteTxnMarkers for producer %d: %s-%d error %d", pid, t.Topic, p.Partition, p.ErrorCode)
				}
			}
		}
	}
}

// TestTxnOffsetCommitRaw drives TxnOffsetCommit and the markers by hand:
// pending offsets are invisible (UNSTABLE_OFFSET_COMMIT with
// require_stable), a commit marker publishes them, an abort marker drops
// them, and an undecided transaction survives a broker restart.
func TestTxnOffsetCommitRaw(t *testing.T) {
	c := StartCluster(t, txnOffsetsProps)
	b := c.B()
	adm := kadmClient(t, b.Addr())
	if resp, err := adm.CreateTopic(testContext(t, 30*time.Second), 2, 1, nil, "txo-raw"); err != nil || resp.Err != nil {
		t.Fatalf("create topic: %v %v", err, resp.Err)
	}
	waitPartitions(t, b.Addr(), "txo-raw", 2, "led", func(p kadm.PartitionDetail) bool { return p.Leader >= 0 })
	r := dialRaw(t, b.Addr())
	const group = "txo-raw-g"
	unstable := kerr.UnstableOffsetCommit.Code
	r.findGroupCoordinator(group)

	// A transaction commits offsets for partition 0, and an unknown topic.
	codes := r.txnOffsetCommit(3, group, 5000, 0, map[string]map[int32]int64{"txo-raw": {0: 5}, "no-such-topic": {0: 1}})
	if codes["txo-raw-0"] != 0 || codes["no-such-topic-0"] != kerr.UnknownTopicOrPartition.Code {
		t.Fatalf("TxnOffsetCommit v3: %v", codes)
	}
	if f := r.offsetFetch(group, "txo-raw", 0, true); f.code != unstable || f.offset != -1 {
		t.Fatalf("require_stable fetch of a pending transactional offset: %+v, want UNSTABLE_OFFSET_COMMIT", f)
	}
	if f := r.offsetFetch(group, "txo-raw", 0, false); f.code != 0 || f.offset != -1 {
		t.Fatalf("fetch of a pending transactional offset: %+v, want none (-1)", f)
	}
	r.writeMarker(5000, 0, true)
	if f := r.offsetFetch(group, "txo-raw", 0, true); f.code != 0 || f.offset != 5 || f.metadata != "txn-5000" {
		t.Fatalf("after the commit marker: %+v, want offset 5", f)
	}

	// An aborted transaction (TxnOffsetCommit v0) leaves the offset alone.
	if codes := r.txnOffsetCommit(0, group, 5001, 0, map[string]map[int32]int64{"txo-raw": {0: 9}}); codes["txo-raw-0"] != 0 {
		t.Fatalf("TxnOffsetCommit v0: %v", codes)
	}
	if f := r.offsetFetch(group, "txo-raw", 0, true); f.code != unstable {
		t.Fatalf("require_stable with a second pending transaction: %+v", f)
	}
	r.writeMarker(5001, 0, false)
	if f := r.offsetFetch(group, "txo-raw", 0, true); f.code != 0 || f.offset != 5 {
		t.Fatalf("after the abort marker: %+v, want offset 5 still", f)
	}

	// An undecided transaction survives a restart (the offsets partition
	// is loaded again) and completes afterwards; a decided one stays.
	if codes := r.txnOffsetCommit(2, group, 5002, 0, map[string]map[int32]int64{"txo-raw": {0: 11, 1: 12}}); codes["txo-raw-0"] != 0 || codes["txo-raw-1"] != 0 {
		t.Fatalf("TxnOffsetCommit v2: %v", codes)
	}
	b.Restart()
	r.redial()
	if f := r.offsetFetch(group, "txo-raw", 0, true); f.code != unstable {
		t.Fatalf("require_stable after restart with an undecided transaction: %+v", f)
	}
	if f := r.offsetFetch(group, "txo-raw", 0, false); f.code != 0 || f.offset != 5 {
		t.Fatalf("fetch after restart: %+v, want offset 5", f)
	}
	if f := r.offsetFetch(group, "txo-raw", 1, false); f.code != 0 || f.offset != -1 {
		t.Fatalf("fetch after restart of a partition only the undecided transaction has: %+v", f)
	}
	r.writeMarker(5002, 0, true)
	if f := r.offsetFetch(group, "txo-raw", 0, true); f.code != 0 || f.offset != 11 {
		t.Fatalf("after committing the reloaded transaction: %+v, want 11", f)
	}
	if f := r.offsetFetch(group, "txo-raw", 1, true); f.code != 0 || f.offset != 12 {
		t.Fatalf("after committing the reloaded transaction (partition 1): %+v, want 12", f)
	}
	// kafka-consumer-groups sees the committed offsets.
	out, stderr, code := Kafka(t, "consumer-groups", "--bootstrap-server", b.Addr(), "--describe", "--group", group)
	if code != 0 {
		t.Fatalf("kafka-consumer-groups --describe: exit %d\n%s\n%s", code, out, stderr)
	}
	want := map[string]string{"0": "11", "1": "12"}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) >= 4 && f[0] == group && f[1] == "txo-raw" && want[f[2]] == f[3] {
			delete(want, f[2])
		}
	}
	if len(want) > 0 {
		t.Fatalf("kafka-consumer-groups --describe lacks the committed offsets of partitions %v:\n%s", want, out)
	}
}

// waitStable polls OffsetFetch with require_stable until the partition's
// offset is no longer unstable (the transaction's marker arrived).
func waitStable(t *testing.T, r *rawConn, group, topic string, partition int32) fetchedOffset {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		f := r.offsetFetch(group, topic, partition, true)
		if f.code != kerr.UnstableOffsetCommit.Code {
			return f
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s %s-%d still unstable after 30s", group, topic, partition)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestTxnOffsetsFranzTransactions uses franz-go's transactional client:
// offsets sent with TxnOffsetCommit inside a transaction that aborts are
// not visible; inside one that commits they are. Then a
// GroupTransactSession runs consume-transform-produce and its group's
// committed offsets match what it consumed.
func TestTxnOffsetsFranzTransactions(t *testing.T) {
	c := StartCluster(t, txnOffsetsProps)
	b := c.B()
	adm := kadmClient(t, b.Addr())
	for _, topic := range []string{"txo-in", "txo-out"} {
		if resp, err := adm.CreateTopic(testContext(t, 30*time.Second), 1, 1, nil, topic); err != nil || resp.Err != nil {
			t.Fatalf("create %s: %v %v", topic, err, resp.Err)
		}
		waitPartitions(t, b.Addr(), topic, 1, "led", func(p kadm.PartitionDetail) bool { return p.Leader >= 0 })
	}
	const n = 10
	produceN(t, b.Addr(), "txo-in", 0, n)
	r := dialRaw(t, b.Addr())

	// (1) TxnOffsetCommit by hand inside franz-go transactions.
	cl := NewClient(t, b.Addr(), kgo.TransactionalID("txo-manual"), kgo.DefaultProduceTopic("txo-out"),
		kgo.TransactionTimeout(30*time.Second))
	const group = "txo-manual-g"
	for _, round := range []struct {
		commit bool
		offset int64
		want   int64
	}{{false, 3, -1}, {true, 6, 6}, {false, 8, 6}} {
		ctx := testContext(t, 60*time.Second)
		if err := cl.BeginTransaction(); err != nil {
			t.Fatalf("begin: %v", err)
		}
		if err := cl.ProduceSync(ctx, &kgo.Record{Value: []byte(fmt.Sprintf("round-%d", round.offset))}).FirstErr(); err != nil {
			t.Fatalf("produce in transaction: %v", err)
		}
		pid, epoch, err := cl.ProducerID(ctx)
		if err != nil {
			t.Fatalf("producer id: %v", err)
		}
		add := kmsg.NewPtrAddOffsetsToTxnRequest()
		add.TransactionalID, add.ProducerID, add.ProducerEpoch, add.Group = "txo-manual", pid, epoch, group
		addResp, err := add.RequestWith(ctx, cl)
		if err != nil || addResp.ErrorCode != 0 {
			t.Fatalf("AddOffsetsToTxn: %v %v", err, errCode(addResp))
		}
		commit := kmsg.NewPtrTxnOffsetCommitRequest()
		commit.TransactionalID, commit.Group, commit.ProducerID, commit.ProducerEpoch = "txo-manual", group, pid, epoch
		ct := kmsg.NewTxnOffsetCommitRequestTopic()
		ct.Topic = "txo-in"
		cp := kmsg.NewTxnOffsetCommitRequestTopicPartition()
		cp.Partition, cp.Offset = 0, round.offset
		ct.Partitions = append(ct.Partitions, cp)
		commit.Topics = append(commit.Topics, ct)
		commitResp, err := commit.RequestWith(ctx, cl)
		if err != nil {
			t.Fatalf("TxnOffsetCommit: %v", err)
		}
		if code := commitResp.Topics[0].Partitions[0].ErrorCode; code != 0 {
			t.Fatalf("TxnOffsetCommit v%d: error %d", commitResp.Version, code)
		}
		if f := r.offsetFetch(group, "txo-in", 0, true); f.code != kerr.UnstableOffsetCommit.Code {
			t.Fatalf("before EndTxn: %+v, want UNSTABLE_OFFSET_COMMIT", f)
		}
		if err := cl.EndTransaction(ctx, kgo.TransactionEndTry(round.commit)); err != nil {
			t.Fatalf("end transaction (commit=%v): %v", round.commit, err)
		}
		if f := waitStable(t, r, group, "txo-in", 0); f.code != 0 || f.offset != round.want {
			t.Fatalf("after EndTxn (commit=%v): %+v, want offset %d", round.commit, f, round.want)
		}
	}

	// (2) Consume-transform-produce with GroupTransactSession.
	sess, err := kgo.NewGroupTransactSession(
		kgo.SeedBrokers(b.Addr()),
		kgo.TransactionalID("txo-session"),
		kgo.TransactionTimeout(30*time.Second),
		kgo.ConsumerGroup("txo-eos"),
		kgo.ConsumeTopics("txo-in"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.DefaultProduceTopic("txo-out"),
		kgo.SessionTimeout(10*time.Second),
	)
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	consumed := 0
	deadline := time.Now().Add(90 * time.Second)
	for consumed < n && time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		fetches := sess.PollFetches(ctx)
		cancel()
		var recs []*kgo.Record
		fetches.EachRecord(func(rec *kgo.Record) { recs = append(recs, rec) })
		if len(recs) == 0 {
			continue
		}
		if err := sess.Begin(); err != nil {
			t.Fatalf("session begin: %v", err)
		}
		ctx = testContext(t, 60*time.Second)
		for _, rec := range recs {
			sess.Produce(ctx, &kgo.Record{Value: append([]byte("out-"), rec.Value...)}, nil)
		}
		committed, err := sess.End(ctx, kgo.TryCommit)
		if err != nil {
			t.Fatalf("session end: %v", err)
		}
		if committed {
			consumed += len(recs)
		}
	}
	if consumed != n {
		t.Fatalf("consume-transform-produce committed %d of %d records", consumed, n)
	}
	if f := waitStable(t, r, "txo-eos", "txo-in", 0); f.code != 0 || f.offset != n {
		t.Fatalf("session group offset: %+v, want %d", f, n)
	}
	if got := committed(t, b.Addr(), "txo-eos", "txo-in"); got[0] != n {
		t.Fatalf("kadm FetchOffsets of the session group: %v, want %d", got, n)
	}
}

func errCode(r *kmsg.AddOffsetsToTxnResponse) int16 {
	if r == nil {
		return -1
	}
	return r.ErrorCode
}

// TestTxnOffsetsCoordinatorFailover kills the group coordinator while a
// transaction holds pending offsets: the new coordinator (the follower of
// __consumer_offsets-0) loads them as pending, the transaction goes on
// there (its next TxnOffsetCommit is in sequence with what was
// replicated), and the commit marker publishes them.
func TestTxnOffsetsCoordinatorFailover(t *testing.T) {
	c := StartClusterN(t, 2, map[string]string{
		"offsets.topic.num.partitions":     "1",
		"offsets.topic.replication.factor": "2",
		"zookeeper.session.timeout.ms":     "6000",
		"group.initial.rebalance.delay.ms": "0",
	})
	const topic, group = "txo-fo", "txo-fo-g"
	adm := kadmClient(t, c.Bootstrap())
	if resp, err := adm.CreateTopic(testContext(t, 30*time.Second), 1, 2, nil, topic); err != nil || resp.Err != nil {
		t.Fatalf("create topic: %v %v", err, resp.Err)
	}
	waitPartitions(t, c.Bootstrap(), topic, 1, "fully replicated", func(p kadm.PartitionDetail) bool { return len(p.ISR) == 2 })
	first := dialRaw(t, c.B().Addr())
	first.findGroupCoordinator(group)
	waitPartitions(t, c.Bootstrap(), "__consumer_offsets", 1, "fully replicated", func(p kadm.PartitionDetail) bool { return len(p.ISR) == 2 })
	md, err := adm.Metadata(testContext(t, 30*time.Second), "__consumer_offsets")
	if err != nil {
		t.Fatal(err)
	}
	var coordinator, survivor *Broker
	for _, b := range c.Brokers {
		if int32(b.ID) == md.Topics["__consumer_offsets"].Partitions[0].Leader {
			coordinator = b
		} else {
			survivor = b
		}
	}
	if coordinator == nil {
		t.Fatalf("no leader for __consumer_offsets-0: %+v", md.Topics["__consumer_offsets"])
	}
	r := dialRaw(t, coordinator.Addr())
	// Producer 7000's transaction stays open; producer 7001 commits.
	if codes := r.txnOffsetCommit(3, group, 7000, 0, map[string]map[int32]int64{topic: {0: 5}}); codes[topic+"-0"] != 0 {
		t.Fatalf("TxnOffsetCommit 7000: %v", codes)
	}
	if codes := r.txnOffsetCommit(3, group, 7001, 0, map[string]map[int32]int64{topic: {0: 6}}); codes[topic+"-0"] != 0 {
		t.Fatalf("TxnOffsetCommit 7001: %v", codes)
	}
	r.writeMarker(7001, 0, true)
	if f := r.offsetFetch(group, topic, 0, false); f.offset != 6 {
		t.Fatalf("before failover: %+v", f)
	}

	coordinator.Kill9()
	s := dialRaw(t, survivor.Addr())
	deadline := time.Now().Add(60 * time.Second)
	for {
		f := s.offsetFetch(group, topic, 0, false)
		if f.code == 0 && f.offset == 6 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("new coordinator never answered offset 6: %+v", f)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if f := s.offsetFetch(group, topic, 0, true); f.code != kerr.UnstableOffsetCommit.Code {
		t.Fatalf("require_stable on the new coordinator: %+v, want UNSTABLE_OFFSET_COMMIT (producer 7000 pending)", f)
	}
	if codes := s.txnOffsetCommit(3, group, 7000, 0, map[string]map[int32]int64{topic: {0: 8}}); codes[topic+"-0"] != 0 {
		t.Fatalf("TxnOffsetCommit 7000 on the new coordinator: %v", codes)
	}
	s.writeMarker(7000, 0, true)
	if f := s.offsetFetch(group, topic, 0, true); f.code != 0 || f.offset != 8 {
		t.Fatalf("after producer 7000 committed on the new coordinator: %+v, want 8", f)
	}
}

// TestTxnOffsetsConfluent runs consume-transform-produce with
// confluent-kafka (librdkafka's send_offsets_to_transaction, TxnOffsetCommit
// v3 with the member id and generation of a live group member): offsets of
// the aborted transaction are not committed, those of the committed one
// are, and a read_committed reader sees only the committed output.
func TestTxnOffsetsConfluent(t *testing.T) {
	requireConfluentKafka(t)
	c := StartCluster(t, txnOffsetsProps)
	b := c.B()
	adm := kadmClient(t, b.Addr())
	for _, topic := range []string{"txc-in", "txc-out"} {
		if resp, err := adm.CreateTopic(testContext(t, 30*time.Second), 2, 1, nil, topic); err != nil || resp.Err != nil {
			t.Fatalf("create %s: %v %v", topic, err, resp.Err)
		}
		waitPartitions(t, b.Addr(), topic, 2, "led", func(p kadm.PartitionDetail) bool { return p.Leader >= 0 })
	}
	const n = 12
	produceN(t, b.Addr(), "txc-in", 0, n)
	in, _ := json.Marshal(map[string]any{"bootstrap": b.Addr(), "group": "txc-g", "txid": "txc-producer", "in": "txc-in", "out": "txc-out", "n": n})
	path := filepath.Join(repoRoot, "integration", "testdata", "txn_offsets_confluent.py")
	stdout, stderr, code := RunCmd(t, 3*time.Minute, string(in), systemPython, path)
	if code != 0 {
		t.Fatalf("txn_offsets_confluent.py exited %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	var out struct {
		Consumed    int              `json:"consumed"`
		Offsets     map[string]int64 `json:"offsets"`
		AfterAbort  map[string]int64 `json:"after_abort"`
		AfterCommit map[string]int64 `json:"after_commit"`
	}
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("no JSON from txn_offsets_confluent.py (%v)\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr)
	}
	if out.Consumed != n || len(out.Offsets) != 2 {
		t.Fatalf("consumed %d records over %v, want %d over 2 partitions", out.Consumed, out.Offsets, n)
	}
	for tp, end := range out.Offsets {
		if got := out.AfterAbort[tp]; got >= 0 {
			t.Errorf("%s: committed offset %d after the aborted transaction, want none", tp, got)
		}
		if got := out.AfterCommit[tp]; got != end {
			t.Errorf("%s: committed offset %d after the committed transaction, want %d", tp, got, end)
		}
	}
	if got := committed(t, b.Addr(), "txc-g", "txc-in"); sum(got) != n {
		t.Errorf("kadm FetchOffsets of txc-g: %v, want %d in total", got, n)
	}
	// read_committed sees the committed transaction's output only.
	cl := NewClient(t, b.Addr(), kgo.ConsumeTopics("txc-out"), kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	var values []string
	deadline := time.Now().Add(30 * time.Second)
	for len(values) < n && time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) { values = append(values, string(r.Value)) })
		cancel()
	}
	for _, v := range values {
		if !strings.HasPrefix(v, "out-") {
			t.Fatalf("read_committed consumer got %q from the aborted transaction", v)
		}
	}
	if len(values) != n {
		t.Fatalf("read_committed consumer got %d records, want %d", len(values), n)
	}
}
