package replica

import (
	"errors"
	"testing"
	"time"

	"github.com/gokafka/kafka/core/cluster"
	klog "github.com/gokafka/kafka/core/log"
	"github.com/gokafka/kafka/core/record"
)

func txnRecords(tb testing.TB, pid int64, epoch int16, seq int32, n int) []byte {
	tb.Helper()
	o := record.DefaultBatchOptions(record.CodecNone, time.Now().UnixMilli())
	o.ProducerID, o.ProducerEpoch, o.BaseSequence, o.Transactional = pid, epoch, seq, true
	recs := make([]record.Record, n)
	for i := range recs {
		recs[i] = record.Record{Value: []byte("t")}
	}
	b, err := record.BuildBatchWith(o, recs)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// TestReadCommittedFetch: a read_committed fetch stops at the last stable
// offset, a parked one wakes when a marker moves it, and the answer names
// the aborted transaction; followers and read_uncommitted consumers read
// up to the log end and the high watermark.
func TestReadCommittedFetch(t *testing.T) {
	rm := newTestManager(t)
	if resp := rm.BecomeLeaderOrFollower(leaderAndIsr(1, 1, 0, []int32{1})); resp.ErrorCode != 0 {
		t.Fatalf("%+v", resp)
	}
	if res := rm.AppendRecords(tp, records(t, 2, 10), -1, time.Second); res.Err != nil { // 0-1
		t.Fatal(res.Err)
	}
	if res := rm.AppendRecords(tp, txnRecords(t, 33, 0, 0, 3), -1, time.Second); res.Err != nil { // 2-4
		t.Fatal(res.Err)
	}
	part := []FetchPartition{{TopicPartition: tp, FetchOffset: 0, MaxBytes: 1 << 20, CurrentLeaderEpoch: -1}}
	rc := FetchParams{ReplicaID: -1, MinBytes: 1, MaxBytes: 1 << 20, IsolationLevel: ReadCommitted}
	out := rm.FetchMessages(rc, part, nil)
	if out[0].Err != nil || out[0].HighWatermark != 5 || out[0].LastStableOffset != 2 || lastOffsetOf(out[0].Records) != 1 {
		t.Fatalf("read_committed: %+v (last %d)", out[0], lastOffsetOf(out[0].Records))
	}
	ru := rm.FetchMessages(FetchParams{ReplicaID: -1, MinBytes: 1, MaxBytes: 1 << 20}, part, nil)
	if lastOffsetOf(ru[0].Records) != 4 || ru[0].LastStableOffset != 2 || len(ru[0].AbortedTransactions) != 0 {
		t.Fatalf("read_uncommitted: %+v", ru[0])
	}

	// A read_committed fetch from the LSO parks until the abort marker.
	from := []FetchPartition{{TopicPartition: tp, FetchOffset: 2, MaxBytes: 1 << 20, CurrentLeaderEpoch: -1}}
	done := make(chan []FetchResult, 1)
	go func() {
		p := rc
		p.MaxWait = 10 * time.Second
		done <- rm.FetchMessages(p, from, nil)
	}()
	time.Sleep(100 * time.Millisecond)
	select {
	case r := <-done:
		t.Fatalf("fetch answered before the marker: %+v", r[0])
	default:
	}
	if res := rm.AppendTxnMarker(tp, 33, 0, false, 2, time.Second); res.Err != nil || res.Result.FirstOffset != 5 {
		t.Fatalf("marker: %+v", res)
	}
	select {
	case r := <-done:
		want := []klog.AbortedTxn{{ProducerID: 33, FirstOffset: 2, LastOffset: 5, LastStableOffset: 6}}
		if r[0].LastStableOffset != 6 || lastOffsetOf(r[0].Records) != 5 || len(r[0].AbortedTransactions) != 1 || r[0].AbortedTransactions[0] != want[0] {
			t.Fatalf("after the marker: %+v", r[0])
		}
	case <-time.After(5 * time.Second):
		t.Fatal("parked read_committed fetch did not wake on the marker")
	}
	// Stale coordinator epochs and unknown partitions are refused.
	if res := rm.AppendTxnMarker(tp, 33, 0, true, 1, time.Second); !errors.Is(res.Err, klog.ErrTransactionCoordinatorFenced) {
		t.Fatalf("stale coordinator: %v", res.Err)
	}
	if res := rm.AppendTxnMarker(TopicPartition{"nope", 0}, 33, 0, true, 3, time.Second); !errors.Is(res.Err, ErrUnknownPartition) {
		t.Fatalf("unknown partition: %v", res.Err)
	}
	// A follower cannot write markers.
	rm.BecomeLeaderOrFollower(leaderAndIsr(1, 2, 1, []int32{1, 2}))
	if res := rm.AppendTxnMarker(tp, 33, 0, true, 3, time.Second); !errors.Is(res.Err, cluster.ErrNotLeader) {
		t.Fatalf("follower: %v", res.Err)
	}
}
