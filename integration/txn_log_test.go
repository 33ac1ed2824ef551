package integration

import (
	"bytes"
	"context"
	"fmt"
	"hash/crc32"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// rawBatch builds a v2 record batch the way a producer does, with kmsg's
// record encoding: producer id, epoch and base sequence as given.
func rawBatch(pid int64, epoch int16, seq int32, transactional bool, values ...string) []byte {
	var recs []byte
	for i, v := range values {
		r := kmsg.Record{OffsetDelta: int32(i), Value: []byte(v)}
		body := r.AppendTo(nil)
		r.Length = int32(len(body) - 1) // the varint 0 written for Length is one byte
		recs = r.AppendTo(recs)
	}
	now := time.Now().UnixMilli()
	b := kmsg.RecordBatch{
		Length:               int32(49 + len(recs)),
		PartitionLeaderEpoch: -1,
		Magic:                2,
		LastOffsetDelta:      int32(len(values) - 1),
		FirstTimestamp:       now,
		MaxTimestamp:         now,
		ProducerID:           pid,
		ProducerEpoch:        epoch,
		FirstSequence:        seq,
		NumRecords:           int32(len(values)),
		Records:              recs,
	}
	if transactional {
		b.Attributes = 0x10
	}
	raw := b.AppendTo(nil)
	crc := crc32.Checksum(raw[21:], crc32.MakeTable(crc32.Castagnoli))
	raw[17], raw[18], raw[19], raw[20] = byte(crc>>24), byte(crc>>16), byte(crc>>8), byte(crc)
	return raw
}

var corr int32

func roundTrip(t *testing.T, conn net.Conn, req kmsg.Request) kmsg.Response {
	t.Helper()
	corr++
	resp, err := RoundTrip(conn, req, corr, 40*time.Second)
	if err != nil {
		t.Fatalf("%s: %v", kmsg.NameForKey(req.Key()), err)
	}
	return resp
}

// produceTxnRaw sends one batch with acks=all and returns the partition's
// error code and base offset.
func produceTxnRaw(t *testing.T, conn net.Conn, topic string, batch []byte) (int16, int64) {
	t.Helper()
	req := kmsg.NewPtrProduceRequest()
	req.Version = 8
	req.Acks = -1
	req.TimeoutMillis = 30000
	txnID := "made-up-txn"
	req.TransactionID = &txnID
	rt := kmsg.NewProduceRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewProduceRequestTopicPartition()
	rp.Records = batch
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	resp := roundTrip(t, conn, req).(*kmsg.ProduceResponse)
	p := resp.Topics[0].Partitions[0]
	return p.ErrorCode, p.BaseOffset
}

func fetchRaw(t *testing.T, conn net.Conn, topic string, isolation int8) kmsg.FetchResponseTopicPartition {
	t.Helper()
	return fetchRawAt(t, conn, topic, isolation, 0)
}

// fetchRawAt fetches partition 0 from offset (one segment at most, as Kafka reads).
func fetchRawAt(t *testing.T, conn net.Conn, topic string, isolation int8, offset int64) kmsg.FetchResponseTopicPartition {
	t.Helper()
	req := kmsg.NewPtrFetchRequest()
	req.Version = 11
	req.ReplicaID = -1
	req.MaxBytes = 1 << 20
	req.IsolationLevel = isolation
	req.SessionEpoch = -1
	rt := kmsg.NewFetchRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewFetchRequestTopicPartition()
	rp.PartitionMaxBytes = 1 << 20
	rp.CurrentLeaderEpoch = -1
	rp.FetchOffset = offset
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	resp := roundTrip(t, conn, req).(*kmsg.FetchResponse)
	if resp.ErrorCode != 0 {
		t.Fatalf("fetch error %d", resp.ErrorCode)
	}
	return resp.Topics[0].Partitions[0]
}

func listLatest(t *testing.T, conn net.Conn, topic string, isolation int8) int64 {
	t.Helper()
	req := kmsg.NewPtrListOffsetsRequest()
	req.Version = 5
	req.ReplicaID = -1
	req.IsolationLevel = isolation
	rt := kmsg.NewListOffsetsRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewListOffsetsRequestTopicPartition()
	rp.Timestamp = -1
	rp.CurrentLeaderEpoch = -1
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	resp := roundTrip(t, conn, req).(*kmsg.ListOffsetsResponse)
	p := resp.Topics[0].Partitions[0]
	if p.ErrorCode != 0 {
		t.Fatalf("ListOffsets error %d", p.ErrorCode)
	}
	return p.Offset
}

// writeMarker sends WriteTxnMarkers (v1) for one partition and returns its code.
func writeMarker(t *testing.T, conn net.Conn, topic string, partition int32, pid int64, epoch int16, commit bool, coordinatorEpoch int32) int16 {
	t.Helper()
	req := kmsg.NewPtrWriteTxnMarkersRequest()
	req.Version = 1
	m := kmsg.NewWriteTxnMarkersRequestMarker()
	m.ProducerID, m.ProducerEpoch, m.Committed, m.CoordinatorEpoch = pid, epoch, commit, coordinatorEpoch
	mt := kmsg.NewWriteTxnMarkersRequestMarkerTopic()
	mt.Topic = topic
	mt.Partitions = []int32{partition}
	m.Topics = append(m.Topics, mt)
	req.Markers = append(req.Markers, m)
	resp := roundTrip(t, conn, req).(*kmsg.WriteTxnMarkersResponse)
	if len(resp.Markers) != 1 || resp.Markers[0].ProducerID != pid || len(resp.Markers[0].Topics) != 1 {
		t.Fatalf("WriteTxnMarkers response %+v", resp)
	}
	return resp.Markers[0].Topics[0].Partitions[0].ErrorCode
}

// batchValues decodes the record values of a fetch response's batches.
func batchValues(t *testing.T, raw []byte) (values []string, controls int) {
	t.Helper()
	for len(raw) > 0 {
		var b kmsg.RecordBatch
		if err := b.ReadFrom(raw); err != nil {
			t.Fatalf("batch: %v", err)
		}
		size := int(b.Length) + 12
		raw = raw[size:]
		if b.Attributes&0x20 != 0 {
			controls++
			continue
		}
		recs := b.Records
		for i := int32(0); i < b.NumRecords; i++ {
			var r kmsg.Record
			if err := r.ReadFrom(recs); err != nil {
				t.Fatalf("record: %v", err)
			}
			values = append(values, string(r.Value))
			n := len(r.AppendTo(nil))
			recs = recs[n:]
		}
	}
	return values, controls
}

// TestTransactionalLogRawProtocol drives the log side of transactions with
// raw requests, as a transaction coordinator would: transactional batches
// of a made-up producer id, then an ABORT marker through WriteTxnMarkers.
// read_committed fetches stop at the last stable offset and name the
// aborted transaction; read_uncommitted sees everything; a fenced epoch,
// a sequence gap and a stale coordinator are refused; DescribeProducers
// and kafka-dump-log show the producer and the control batch.
func TestTransactionalLogRawProtocol(t *testing.T) {
	c := StartCluster(t, nil)
	const topic = "txn-raw"
	CreateTopic(t, c.Bootstrap(), topic, 1, nil)
	conn := dial(t, c.B().Addr())
	const pid = int64(4242)

	if code, off := produceTxnRaw(t, conn, topic, rawBatch(-1, -1, -1, false, "plain-0")); code != 0 || off != 0 {
		t.Fatalf("plain produce: code %d offset %d", code, off)
	}
	if code, off := produceTxnRaw(t, conn, topic, rawBatch(pid, 0, 0, true, "aborted-1", "aborted-2")); code != 0 || off != 1 {
		t.Fatalf("transactional produce: code %d offset %d", code, off)
	}
	if code, off := produceTxnRaw(t, conn, topic, rawBatch(-1, -1, -1, false, "plain-3")); code != 0 || off != 3 {
		t.Fatalf("plain produce: code %d offset %d", code, off)
	}

	// Transactional batches need the request's transactional id.
	if code, _ := produceIdem(t, conn, topic, rawBatch(pid, 0, 2, true, "no-txn-id")); code != kerr.TransactionalIDAuthorizationFailed.Code {
		t.Errorf("transactional batch without a transactional id: %v", kerr.ErrorForCode(code))
	}

	// The open transaction holds read_committed readers at offset 1.
	p := fetchRaw(t, conn, topic, 1)
	if p.HighWatermark != 4 || p.LastStableOffset != 1 {
		t.Fatalf("open transaction: hw %d lso %d, want 4 and 1", p.HighWatermark, p.LastStableOffset)
	}
	if vals, _ := batchValues(t, p.RecordBatches); strings.Join(vals, ",") != "plain-0" {
		t.Fatalf("read_committed before the marker: %v", vals)
	}
	if got := listLatest(t, conn, topic, 1); got != 1 {
		t.Errorf("ListOffsets read_committed latest %d, want 1 (the LSO)", got)
	}
	if got := listLatest(t, conn, topic, 0); got != 4 {
		t.Errorf("ListOffsets read_uncommitted latest %d, want 4", got)
	}

	// DescribeProducers shows the open transaction.
	dreq := kmsg.NewPtrDescribeProducersRequest()
	dt := kmsg.NewDescribeProducersRequestTopic()
	dt.Topic, dt.Partitions = topic, []int32{0}
	dreq.Topics = append(dreq.Topics, dt)
	dresp := roundTrip(t, conn, dreq).(*kmsg.DescribeProducersResponse)
	dp := dresp.Topics[0].Partitions[0]
	if dp.ErrorCode != 0 || len(dp.ActiveProducers) != 1 {
		t.Fatalf("DescribeProducers: %+v", dp)
	}
	if ap := dp.ActiveProducers[0]; ap.ProducerID != pid || ap.ProducerEpoch != 0 || ap.LastSequence != 1 || ap.CurrentTxnStartOffset != 1 || ap.CoordinatorEpoch != -1 {
		t.Errorf("active producer %+v", ap)
	}

	// ABORT, as the coordinator would send it.
	if code := writeMarker(t, conn, topic, 0, pid, 0, false, 0); code != 0 {
		t.Fatalf("WriteTxnMarkers: %s", kerr.ErrorForCode(code))
	}
	if code := writeMarker(t, conn, "no-such-topic", 0, pid, 0, false, 0); code != kerr.UnknownTopicOrPartition.Code {
		t.Errorf("WriteTxnMarkers to an unknown topic: %v", kerr.ErrorForCode(code))
	}
	p = fetchRaw(t, conn, topic, 1)
	if p.HighWatermark != 5 || p.LastStableOffset != 5 {
		t.Fatalf("after the abort: hw %d lso %d, want 5 and 5", p.HighWatermark, p.LastStableOffset)
	}
	if len(p.AbortedTransactions) != 1 || p.AbortedTransactions[0].ProducerID != pid || p.AbortedTransactions[0].FirstOffset != 1 {
		t.Fatalf("aborted transactions %+v", p.AbortedTransactions)
	}
	vals, controls := batchValues(t, p.RecordBatches)
	if strings.Join(vals, ",") != "plain-0,aborted-1,aborted-2,plain-3" || controls != 1 {
		t.Fatalf("read_committed batches: %v, %d control batches", vals, controls)
	}
	u := fetchRaw(t, conn, topic, 0)
	if len(u.AbortedTransactions) != 0 || u.LastStableOffset != 5 {
		t.Errorf("read_uncommitted: aborted %+v, lso %d", u.AbortedTransactions, u.LastStableOffset)
	}
	if vals, _ := batchValues(t, u.RecordBatches); len(vals) != 4 {
		t.Errorf("read_uncommitted values %v", vals)
	}

	// A real client filters the aborted records out with read_committed.
	committed := pollValues(t, c.Bootstrap(), topic, kgo.ReadCommitted(), 2)
	if strings.Join(committed, ",") != "plain-0,plain-3" {
		t.Errorf("franz-go read_committed got %v", committed)
	}
	uncommitted := pollValues(t, c.Bootstrap(), topic, kgo.ReadUncommitted(), 4)
	if len(uncommitted) != 4 {
		t.Errorf("franz-go read_uncommitted got %v", uncommitted)
	}

	// Fencing: a new epoch starts at sequence 0 and fences the old one.
	if code, _ := produceTxnRaw(t, conn, topic, rawBatch(pid, 1, 0, true, "epoch-1")); code != 0 {
		t.Fatalf("new epoch: %v", kerr.ErrorForCode(code))
	}
	if code, _ := produceTxnRaw(t, conn, topic, rawBatch(pid, 0, 2, true, "zombie")); code != kerr.InvalidProducerEpoch.Code {
		t.Errorf("fenced epoch: got %v, want INVALID_PRODUCER_EPOCH", kerr.ErrorForCode(code))
	}
	if code, _ := produceTxnRaw(t, conn, topic, rawBatch(pid, 1, 5, true, "gap")); code != kerr.OutOfOrderSequenceNumber.Code {
		t.Errorf("sequence gap: got %v, want OUT_OF_ORDER_SEQUENCE_NUMBER", kerr.ErrorForCode(code))
	}
	if code := writeMarker(t, conn, topic, 0, pid, 1, true, 7); code != 0 {
		t.Fatalf("commit: %v", kerr.ErrorForCode(code))
	}
	if code := writeMarker(t, conn, topic, 0, pid, 1, true, 6); code != kerr.TransactionCoordinatorFenced.Code {
		t.Errorf("stale coordinator epoch: got %v, want TRANSACTION_COORDINATOR_FENCED", kerr.ErrorForCode(code))
	}
	if code := writeMarker(t, conn, topic, 0, pid, 0, true, 7); code != kerr.InvalidProducerEpoch.Code {
		t.Errorf("marker with an old producer epoch: got %v, want INVALID_PRODUCER_EPOCH", kerr.ErrorForCode(code))
	}
	if committed := pollValues(t, c.Bootstrap(), topic, kgo.ReadCommitted(), 3); committed[2] != "epoch-1" {
		t.Errorf("committed values %v", committed)
	}

	// kafka-dump-log shows the markers; after a clean stop the
	// transaction index and the producer snapshot are there too.
	c.B().Stop()
	dir := filepath.Join(c.B().LogDir, topic+"-0")
	out, errOut, code := script(t, "", "kafka-dump-log.sh", "--files", filepath.Join(dir, "00000000000000000000.log"), "--print-data-log")
	if code != 0 {
		t.Fatalf("kafka-dump-log exited %d: %s", code, errOut)
	}
	for _, want := range []string{
		"baseOffset: 4 lastOffset: 4 count: 1 baseSequence: -1 lastSequence: -1 producerId: 4242 producerEpoch: 0 partitionLeaderEpoch: 0 isTransactional: true isControl: true",
		"keySize: 4 valueSize: 6 CreateTime: ",
		"sequence: -1 headerKeys: [] endTxnMarker: ABORT coordinatorEpoch: 0",
		"endTxnMarker: COMMIT coordinatorEpoch: 7",
		"payload: aborted-1",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("kafka-dump-log output lacks %q:\n%s", want, out)
		}
	}
	out, _, _ = script(t, "", "kafka-dump-log.sh", "--files", filepath.Join(dir, "00000000000000000000.txnindex"))
	if !strings.Contains(out, "version: 0 producerId: 4242 firstOffset: 1 lastOffset: 4 lastStableOffset: 5") {
		t.Errorf("txnindex dump:\n%s", out)
	}
	snaps, _ := filepath.Glob(filepath.Join(dir, "*.snapshot"))
	if len(snaps) == 0 {
		entries, _ := os.ReadDir(dir)
		t.Fatalf("no producer snapshot after a clean stop: %v", entries)
	}
	out, _, _ = script(t, "", "kafka-dump-log.sh", "--files", snaps[len(snaps)-1])
	if !strings.Contains(out, "producerId: 4242 producerEpoch: 1 coordinatorEpoch: 7 currentTxnFirstOffset: None firstSequence: 0 lastSequence: 0") {
		t.Errorf("snapshot dump:\n%s", out)
	}

	// The producer state survives the restart (loaded from the snapshot).
	c.B().Start()
	WaitLeaders(t, kadmClient(t, c.Bootstrap()), topic, 1)
	conn = dial(t, c.B().Addr())
	if code, _ := produceTxnRaw(t, conn, topic, rawBatch(pid, 0, 3, true, "zombie")); code != kerr.InvalidProducerEpoch.Code {
		t.Errorf("fenced epoch after restart: %v", kerr.ErrorForCode(code))
	}
	if code, _ := produceTxnRaw(t, conn, topic, rawBatch(pid, 1, 1, true, "epoch-1-b")); code != 0 {
		t.Errorf("next sequence after restart: %v", kerr.ErrorForCode(code))
	}
	if !bytes.Contains([]byte(c.B().Log()), []byte("Loading producer state from snapshot file")) {
		t.Errorf("broker log does not mention loading the producer snapshot")
	}
}

// pollValues reads topic partition 0 from the start with the isolation
// level until want values arrived (bounded), then a little longer to catch
// extra ones.
func pollValues(t *testing.T, bootstrap, topic string, iso kgo.IsolationLevel, want int) []string {
	t.Helper()
	cl := NewClient(t, bootstrap, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {0: kgo.NewOffset().AtStart()}}),
		kgo.FetchIsolationLevel(iso), kgo.FetchMaxWait(200*time.Millisecond))
	var vals []string
	deadline := time.Now().Add(20 * time.Second)
	extra := time.Time{}
	for time.Now().Before(deadline) {
		if len(vals) >= want && extra.IsZero() {
			extra = time.Now().Add(time.Second)
		}
		if !extra.IsZero() && time.Now().After(extra) {
			break
		}
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		fs := cl.PollFetches(ctx)
		cancel()
		fs.EachRecord(func(r *kgo.Record) { vals = append(vals, string(r.Value)) })
	}
	if len(vals) < want {
		t.Fatalf("%s: got %v, want %d values", topic, vals, want)
	}
	return vals
}

// TestTransactionalStateAfterKill9: after a SIGKILL the broker recovers
// the log without a clean-shutdown snapshot: the aborted transaction is
// still reported to read_committed fetches (its .txnindex entry), the
// open transaction still holds the LSO, and the producer's epoch and
// sequences are still enforced.
func TestTransactionalStateAfterKill9(t *testing.T) {
	const session = 6 * time.Second
	c := StartCluster(t, map[string]string{
		"zookeeper.session.timeout.ms": fmt.Sprint(session.Milliseconds()),
		"log.segment.bytes":            "2000", // several segments, snapshots on roll
	})
	const topic = "txn-crash"
	CreateTopic(t, c.Bootstrap(), topic, 1, nil)
	conn := dial(t, c.B().Addr())
	const pid = int64(77)
	seq := int32(0)
	for i := 0; i < 30; i++ { // plain data across several segments
		if code, _ := produceTxnRaw(t, conn, topic, rawBatch(-1, -1, -1, false, strings.Repeat("p", 100))); code != 0 {
			t.Fatalf("plain: %v", kerr.ErrorForCode(code))
		}
	}
	code, first := produceTxnRaw(t, conn, topic, rawBatch(pid, 0, seq, true, "aborted-a", "aborted-b"))
	if code != 0 {
		t.Fatalf("txn: %v", kerr.ErrorForCode(code))
	}
	seq += 2
	if code := writeMarker(t, conn, topic, 0, pid, 0, false, 1); code != 0 {
		t.Fatalf("abort: %v", kerr.ErrorForCode(code))
	}
	code, open := produceTxnRaw(t, conn, topic, rawBatch(pid, 0, seq, true, "open-c"))
	if code != 0 {
		t.Fatalf("txn: %v", kerr.ErrorForCode(code))
	}
	seq++
	before := fetchRawAt(t, conn, topic, 1, first)
	if before.LastStableOffset != open || len(before.AbortedTransactions) != 1 {
		t.Fatalf("before the crash: lso %d (want %d), aborted %+v", before.LastStableOffset, open, before.AbortedTransactions)
	}

	c.B().Kill9()
	c.B().AfterCrashStart(session)
	WaitLeaders(t, kadmClient(t, c.Bootstrap()), topic, 1)
	conn = dial(t, c.B().Addr())
	after := fetchRawAt(t, conn, topic, 1, first)
	if after.HighWatermark != before.HighWatermark || after.LastStableOffset != open {
		t.Errorf("after the crash: hw %d lso %d, want %d and %d", after.HighWatermark, after.LastStableOffset, before.HighWatermark, open)
	}
	if len(after.AbortedTransactions) != 1 || after.AbortedTransactions[0].ProducerID != pid || after.AbortedTransactions[0].FirstOffset != first {
		t.Errorf("aborted transactions after the crash: %+v", after.AbortedTransactions)
	}
	if code, _ := produceTxnRaw(t, conn, topic, rawBatch(pid, 0, seq+3, true, "gap")); code != kerr.OutOfOrderSequenceNumber.Code {
		t.Errorf("sequence gap after the crash: %v", kerr.ErrorForCode(code))
	}
	if code, _ := produceTxnRaw(t, conn, topic, rawBatch(pid, 0, seq, true, "open-d")); code != 0 {
		t.Errorf("next sequence after the crash: %v", kerr.ErrorForCode(code))
	}
	if code := writeMarker(t, conn, topic, 0, pid, 0, true, 0); code != kerr.TransactionCoordinatorFenced.Code {
		t.Errorf("older coordinator epoch after the crash: %v", kerr.ErrorForCode(code))
	}
	if code := writeMarker(t, conn, topic, 0, pid, 0, true, 1); code != 0 {
		t.Fatalf("commit: %v", kerr.ErrorForCode(code))
	}
	end := fetchRaw(t, conn, topic, 1)
	if end.LastStableOffset != end.HighWatermark {
		t.Errorf("after the commit: lso %d, hw %d", end.LastStableOffset, end.HighWatermark)
	}
}
