package log

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/gokafka/kafka/core/record"
)

// txnBatch is a transactional producer batch of n records.
func txnBatch(t *testing.T, pid int64, epoch int16, seq int32, n int) []byte {
	t.Helper()
	o := record.DefaultBatchOptions(record.CodecNone, time.Now().UnixMilli())
	o.ProducerID, o.ProducerEpoch, o.BaseSequence, o.Transactional = pid, epoch, seq, true
	recs := make([]record.Record, n)
	for i := range recs {
		recs[i] = record.Record{Value: []byte("txn")}
	}
	b, err := record.BuildBatchWith(o, recs)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustAppend(t *testing.T, l *Log, b []byte) AppendResult {
	t.Helper()
	res, err := l.Append(b, 0)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestSequenceAndEpochValidation(t *testing.T) {
	l := newTestLog(t, smallConfig())
	defer l.Close()
	mustAppend(t, l, idempotentBatch(t, 7, 0, 0, 3))
	// A gap is rejected, the next sequence accepted.
	if _, err := l.Append(idempotentBatch(t, 7, 0, 5, 1), 0); !errors.Is(err, ErrOutOfOrderSequence) {
		t.Fatalf("gap: %v", err)
	}
	mustAppend(t, l, idempotentBatch(t, 7, 0, 3, 2))
	// A retry of an earlier batch gets the first copy's offsets.
	if r := mustAppend(t, l, idempotentBatch(t, 7, 0, 0, 3)); !r.Duplicate || r.FirstOffset != 0 || r.LastOffset != 2 {
		t.Fatalf("dup: %+v", r)
	}
	// An older sequence that is not one of the retained batches is out of order.
	if _, err := l.Append(idempotentBatch(t, 7, 0, 1, 1), 0); !errors.Is(err, ErrOutOfOrderSequence) {
		t.Fatalf("old seq: %v", err)
	}
	// A new epoch must start at sequence 0.
	if _, err := l.Append(idempotentBatch(t, 7, 1, 5, 1), 0); !errors.Is(err, ErrOutOfOrderSequence) {
		t.Fatalf("new epoch: %v", err)
	}
	mustAppend(t, l, idempotentBatch(t, 7, 1, 0, 1))
	// The old epoch is fenced.
	if _, err := l.Append(idempotentBatch(t, 7, 0, 5, 1), 0); !errors.Is(err, ErrInvalidProducerEpoch) {
		t.Fatalf("fenced: %v", err)
	}
	// An unknown producer may start anywhere (its state may have expired).
	mustAppend(t, l, idempotentBatch(t, 8, 3, 42, 1))
	if l.LogEndOffset() != 7 {
		t.Fatalf("leo %d", l.LogEndOffset())
	}
	// Followers are not validated.
	if _, err := l.AppendAsFollower(withOffset(idempotentBatch(t, 7, 0, 99, 1), 7)); err != nil {
		t.Fatalf("follower: %v", err)
	}
	ps := l.ActiveProducers()
	if len(ps) != 2 || ps[0].ProducerID != 7 || ps[0].ProducerEpoch != 0 || ps[0].LastSequence != 99 || ps[1].LastSequence != 42 {
		t.Fatalf("active producers %+v", ps)
	}
}

// withOffset sets a batch's base offset (as a leader assigned it).
func withOffset(b []byte, off int64) []byte {
	record.Batch(b).SetBaseOffset(off)
	binaryFixCRC(b)
	return b
}

func binaryFixCRC(b []byte) {
	bb := record.Batch(b)
	c := bb.ComputeCRC()
	b[17], b[18], b[19], b[20] = byte(c>>24), byte(c>>16), byte(c>>8), byte(c)
}

func TestTransactionsLastStableOffsetAndAbortedReads(t *testing.T) {
	l := newTestLog(t, smallConfig())
	defer l.Close()
	appendN(t, l, 1, 2, time.Now().UnixMilli()) // 0-1
	mustAppend(t, l, txnBatch(t, 10, 0, 0, 2))  // 2-3, opens pid 10's transaction
	appendN(t, l, 1, 1, time.Now().UnixMilli()) // 4
	mustAppend(t, l, txnBatch(t, 11, 0, 0, 1))  // 5, opens pid 11's transaction
	l.UpdateHighWatermark(l.LogEndOffset())
	if lso := l.LastStableOffset(); lso != 2 {
		t.Fatalf("lso %d, want 2", lso)
	}
	// A non-transactional write during the transaction is refused.
	if _, err := l.Append(idempotentBatch(t, 10, 0, 2, 1), 0); !errors.Is(err, ErrInvalidTxnState) {
		t.Fatalf("non-txn write: %v", err)
	}
	res, err := l.AppendControlMarker(10, 0, false, 3, 0) // 6: abort
	if err != nil || res.FirstOffset != 6 {
		t.Fatalf("%v %+v", err, res)
	}
	// The marker is above the high watermark: still unstable.
	if lso := l.LastStableOffset(); lso != 2 {
		t.Fatalf("lso before the marker is replicated %d", lso)
	}
	l.UpdateHighWatermark(7)
	if lso := l.LastStableOffset(); lso != 5 {
		t.Fatalf("lso %d, want 5 (pid 11 open)", lso)
	}
	if _, err := l.AppendControlMarker(11, 0, true, 3, 0); err != nil { // 7: commit
		t.Fatal(err)
	}
	l.UpdateHighWatermark(8)
	if lso := l.LastStableOffset(); lso != 8 {
		t.Fatalf("lso %d, want 8", lso)
	}
	want := []AbortedTxn{{ProducerID: 10, FirstOffset: 2, LastOffset: 6, LastStableOffset: 5}}
	if got := l.ReadAbortedTransactions(0, 8); !reflect.DeepEqual(got, want) {
		t.Fatalf("aborted %+v", got)
	}
	if got := l.ReadAbortedTransactions(7, 8); len(got) != 0 {
		t.Fatalf("aborted after the marker %+v", got)
	}
	if got := l.ReadAbortedTransactions(0, 2); len(got) != 0 {
		t.Fatalf("aborted before the transaction %+v", got)
	}
	data, err := os.ReadFile(segmentFile(l.Dir(), 0, TxnIndexFileSuffix))
	if err != nil || len(data) != 34 {
		t.Fatalf("txnindex: %v %d bytes", err, len(data))
	}
	// The marker batch is a v2 control batch with the transactional bit.
	info, _ := l.Read(6, 1000, 7, true)
	b := record.Batch(info.Records)
	if !b.IsControl() || !b.IsTransactional() || b.ProducerID() != 10 || b.BaseSequence() != -1 {
		t.Fatalf("marker batch header wrong")
	}
	if ctype, ce, ok := endTxnMarker(b); !ok || ctype != controlTypeAbort || ce != 3 {
		t.Fatalf("marker %d %d %v", ctype, ce, ok)
	}
	ps := l.ActiveProducers()
	if len(ps) != 2 || ps[0].CoordinatorEpoch != 3 || ps[0].CurrentTxnStartOffset != -1 {
		t.Fatalf("%+v", ps)
	}
}

func TestMarkerFencing(t *testing.T) {
	l := newTestLog(t, smallConfig())
	defer l.Close()
	mustAppend(t, l, txnBatch(t, 5, 2, 0, 1))
	if _, err := l.AppendControlMarker(5, 2, true, 4, 0); err != nil {
		t.Fatal(err)
	}
	mustAppend(t, l, txnBatch(t, 5, 2, 1, 1))
	if _, err := l.AppendControlMarker(5, 2, false, 3, 0); !errors.Is(err, ErrTransactionCoordinatorFenced) {
		t.Fatalf("stale coordinator: %v", err)
	}
	if _, err := l.AppendControlMarker(5, 1, false, 4, 0); !errors.Is(err, ErrInvalidProducerEpoch) {
		t.Fatalf("stale producer epoch: %v", err)
	}
	// A marker with a newer epoch (the coordinator fenced the producer)
	// aborts and bumps the epoch; the old epoch's data is then refused.
	if _, err := l.AppendControlMarker(5, 3, false, 4, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Append(txnBatch(t, 5, 2, 2, 1), 0); !errors.Is(err, ErrInvalidProducerEpoch) {
		t.Fatalf("zombie: %v", err)
	}
	if got := l.ReadAbortedTransactions(0, 10); len(got) != 1 || got[0].FirstOffset != 2 || got[0].LastOffset != 3 {
		t.Fatalf("%+v", got)
	}
}

func TestSnapshotRoundTrip(t *testing.T) {
	in := []ProducerSnapshotEntry{
		{ProducerID: 1, ProducerEpoch: 2, LastSequence: 9, LastOffset: 100, OffsetDelta: 4, Timestamp: 1234, CoordinatorEpoch: -1, CurrentTxnFirstOffset: -1},
		{ProducerID: 3, ProducerEpoch: 0, LastSequence: -1, LastOffset: -1, OffsetDelta: 0, Timestamp: 99, CoordinatorEpoch: 7, CurrentTxnFirstOffset: 55},
	}
	data := EncodeProducerSnapshot(in)
	if len(data) != 10+2*46 || data[0] != 0 || data[1] != 1 {
		t.Fatalf("layout: %d bytes, version %x", len(data), data[:2])
	}
	out, err := DecodeProducerSnapshot(data)
	if err != nil || !reflect.DeepEqual(in, out) {
		t.Fatalf("%v %+v", err, out)
	}
	data[20] ^= 1
	if _, err := DecodeProducerSnapshot(data); !errors.Is(err, errCorruptSnapshot) {
		t.Fatalf("corrupt: %v", err)
	}
}

func TestSnapshotsOnRollAndCloseAndReload(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "snap-0")
	cfg := smallConfig()
	cfg.SegmentBytes = 300
	l := openTestLog(t, dir, cfg, LoadParams{CleanShutdown: true})
	seq := int32(0)
	for i := 0; i < 12; i++ {
		mustAppend(t, l, idempotentBatch(t, 9, 0, seq, 4))
		seq += 4
	}
	mustAppend(t, l, txnBatch(t, 20, 0, 0, 2))
	bases := l.SegmentBaseOffsets()
	if len(bases) < 3 {
		t.Fatalf("expected rolls, got %v", bases)
	}
	snaps := l.ProducerSnapshotOffsets()
	for _, b := range bases[1:] {
		if _, err := os.Stat(ProducerSnapshotFile(dir, b)); err != nil {
			t.Fatalf("no snapshot at segment %d: %v (have %v)", b, err, snaps)
		}
	}
	leo := l.LogEndOffset()
	l.Close()
	data, err := os.ReadFile(ProducerSnapshotFile(dir, leo))
	if err != nil {
		t.Fatalf("no snapshot at the log end after close: %v", err)
	}
	entries, err := DecodeProducerSnapshot(data)
	if err != nil || len(entries) != 2 || entries[0].ProducerID != 9 || entries[0].LastSequence != seq-1 ||
		entries[1].CurrentTxnFirstOffset != leo-2 {
		t.Fatalf("%v %+v", err, entries)
	}
	// Reopen: the last batch is still recognised, sequences continue and
	// the open transaction still holds back the LSO.
	l = openTestLog(t, dir, cfg, LoadParams{CleanShutdown: true, HighWatermark: leo})
	defer l.Close()
	if r := mustAppend(t, l, idempotentBatch(t, 9, 0, seq-4, 4)); !r.Duplicate {
		t.Fatalf("retry after reopen not a duplicate: %+v", r)
	}
	if _, err := l.Append(idempotentBatch(t, 9, 0, seq+1, 1), 0); !errors.Is(err, ErrOutOfOrderSequence) {
		t.Fatalf("gap after reopen: %v", err)
	}
	if lso := l.LastStableOffset(); lso != leo-2 {
		t.Fatalf("lso after reopen %d, want %d", lso, leo-2)
	}
}

func TestReplayWithoutSnapshotsAfterCrash(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "crash-0")
	cfg := smallConfig()
	cfg.SegmentBytes = 300
	l := openTestLog(t, dir, cfg, LoadParams{CleanShutdown: true})
	for i := 0; i < 6; i++ {
		mustAppend(t, l, idempotentBatch(t, 1, 0, int32(i*4), 4))
	}
	mustAppend(t, l, txnBatch(t, 2, 0, 0, 3))
	if _, err := l.AppendControlMarker(2, 0, false, 0, 0); err != nil {
		t.Fatal(err)
	}
	mustAppend(t, l, txnBatch(t, 2, 0, 3, 1))
	leo := l.LogEndOffset()
	abortedBefore := l.ReadAbortedTransactions(0, leo)
	l.Close()
	// Crash: snapshots and transaction indexes are gone, recovery from 0.
	for _, pat := range []string{"*.snapshot", "*.txnindex"} {
		ms, _ := filepath.Glob(filepath.Join(dir, pat))
		for _, m := range ms {
			os.Remove(m)
		}
	}
	l = openTestLog(t, dir, cfg, LoadParams{CleanShutdown: false, RecoveryPoint: 0, HighWatermark: leo})
	defer l.Close()
	if got := l.ReadAbortedTransactions(0, leo); len(got) != 1 || !reflect.DeepEqual(got, abortedBefore) {
		t.Fatalf("aborted after rebuild %+v, before %+v", got, abortedBefore)
	}
	if _, err := l.Append(idempotentBatch(t, 1, 0, 24, 1), 0); err != nil {
		t.Fatalf("sequence after replay: %v", err)
	}
	if lso := l.LastStableOffset(); lso != leo-1 {
		t.Fatalf("open transaction after replay: lso %d want %d", lso, leo-1)
	}
}

func TestTruncationReloadsProducerState(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "trunc-0")
	cfg := smallConfig()
	cfg.SegmentBytes = 300
	l := openTestLog(t, dir, cfg, LoadParams{CleanShutdown: true})
	defer l.Close()
	for i := 0; i < 8; i++ {
		mustAppend(t, l, idempotentBatch(t, 1, 0, int32(i*4), 4))
	}
	mustAppend(t, l, txnBatch(t, 2, 0, 0, 2))                           // 32-33
	if _, err := l.AppendControlMarker(2, 0, false, 0, 0); err != nil { // 34
		t.Fatal(err)
	}
	l.UpdateHighWatermark(l.LogEndOffset())
	snapsBefore := l.ProducerSnapshotOffsets()
	// Cut into the middle of producer 1's batches: the truncated sequences
	// become new again and later snapshots go.
	if err := l.TruncateTo(20); err != nil {
		t.Fatal(err)
	}
	for _, off := range l.ProducerSnapshotOffsets() {
		if off > 20 {
			t.Fatalf("snapshot %d survived truncation to 20 (before %v)", off, snapsBefore)
		}
	}
	if r := mustAppend(t, l, idempotentBatch(t, 1, 0, 20, 4)); r.Duplicate || r.FirstOffset != 20 {
		t.Fatalf("%+v", r)
	}
	if got := l.ReadAbortedTransactions(0, 100); len(got) != 0 {
		t.Fatalf("aborted transactions survived truncation: %+v", got)
	}
	if _, err := os.Stat(segmentFile(dir, 0, TxnIndexFileSuffix)); err == nil {
		if fi, _ := os.Stat(segmentFile(dir, 0, TxnIndexFileSuffix)); fi.Size() != 0 {
			t.Fatalf("txnindex not truncated")
		}
	}
	// An open transaction cut off by truncation no longer holds the LSO.
	mustAppend(t, l, txnBatch(t, 3, 0, 0, 1))
	l.UpdateHighWatermark(l.LogEndOffset())
	if lso := l.LastStableOffset(); lso != l.LogEndOffset()-1 {
		t.Fatalf("lso %d", lso)
	}
	if err := l.TruncateTo(l.LogEndOffset() - 1); err != nil {
		t.Fatal(err)
	}
	l.UpdateHighWatermark(l.LogEndOffset())
	if lso := l.LastStableOffset(); lso != l.LogEndOffset() {
		t.Fatalf("lso %d after truncating the transaction, leo %d", lso, l.LogEndOffset())
	}
	// Full truncation forgets everything.
	if err := l.TruncateFullyAndStartAt(100); err != nil {
		t.Fatal(err)
	}
	if len(l.ActiveProducers()) != 0 || len(l.ProducerSnapshotOffsets()) != 0 {
		t.Fatalf("state after full truncation: %+v %v", l.ActiveProducers(), l.ProducerSnapshotOffsets())
	}
}

func TestRetentionDeletesOldSnapshots(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ret-0")
	cfg := smallConfig()
	cfg.SegmentBytes = 300
	l := openTestLog(t, dir, cfg, LoadParams{CleanShutdown: true})
	defer l.Close()
	for i := 0; i < 12; i++ {
		mustAppend(t, l, idempotentBatch(t, 1, 0, int32(i*4), 4))
	}
	l.UpdateHighWatermark(l.LogEndOffset())
	bases := l.SegmentBaseOffsets()
	if err := l.MaybeIncrementLogStartOffset(bases[2]); err != nil {
		t.Fatal(err)
	}
	if _, err := l.DeleteOldSegments(); err != nil {
		t.Fatal(err)
	}
	first := l.SegmentBaseOffsets()[0]
	if first != bases[2] {
		t.Fatalf("first segment %d want %d", first, bases[2])
	}
	for _, off := range l.ProducerSnapshotOffsets() {
		if off < first {
			t.Fatalf("snapshot %d below the first segment %d", off, first)
		}
	}
	if _, err := os.Stat(ProducerSnapshotFile(dir, bases[1])); err == nil {
		t.Fatalf("snapshot file %d still on disk", bases[1])
	}
}

func TestStraySnapshotsRemovedOnLoad(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "stray-0")
	cfg := smallConfig()
	cfg.SegmentBytes = 300
	l := openTestLog(t, dir, cfg, LoadParams{CleanShutdown: true})
	for i := 0; i < 6; i++ {
		mustAppend(t, l, idempotentBatch(t, 1, 0, int32(i*4), 4))
	}
	if err := l.TakeProducerSnapshot(); err != nil { // not at a segment base
		t.Fatal(err)
	}
	stray := l.LogEndOffset()
	mustAppend(t, l, idempotentBatch(t, 1, 0, 24, 1))
	bases := l.SegmentBaseOffsets()
	if bases[len(bases)-1] == stray {
		t.Fatalf("the stray snapshot landed on a segment base %v", bases)
	}
	leo := l.LogEndOffset()
	l.Close()
	l = openTestLog(t, dir, cfg, LoadParams{CleanShutdown: true})
	defer l.Close()
	got := l.ProducerSnapshotOffsets()
	want := append(append([]int64(nil), bases[1:]...), leo)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("snapshots after load %v, want %v (stray %d)", got, want, stray)
	}
	if _, err := os.Stat(ProducerSnapshotFile(dir, stray)); err == nil {
		t.Fatalf("stray snapshot %d still on disk", stray)
	}
}

// TestConcurrentTransactionalReads runs read_committed style readers
// (LSO, aborted transactions, reads up to the LSO) against transactional
// appends, markers, truncations and rolls; run with -race.
func TestConcurrentTransactionalReads(t *testing.T) {
	cfg := smallConfig()
	cfg.SegmentBytes = 600
	l := newTestLog(t, cfg)
	defer l.Close()
	stop := make(chan struct{})
	errs := make(chan error, 4)
	for r := 0; r < 2; r++ {
		go func() {
			for {
				select {
				case <-stop:
					errs <- nil
					return
				default:
				}
				lso := l.LastStableOffset()
				if hw := l.HighWatermark(); lso > hw {
					errs <- fmt.Errorf("lso %d above hw %d", lso, hw)
					return
				}
				start := l.LogStartOffset()
				if _, err := l.Read(start, 4096, lso, true); err != nil && !errors.Is(err, ErrOffsetOutOfRange) {
					errs <- err
					return
				}
				for _, a := range l.ReadAbortedTransactions(start, lso) {
					if a.FirstOffset > a.LastOffset {
						errs <- fmt.Errorf("bad entry %+v", a)
						return
					}
				}
			}
		}()
	}
	deadline := time.Now().Add(1500 * time.Millisecond)
	epoch := int16(0)
	for i := 0; time.Now().Before(deadline); i++ {
		pid := int64(100 + i%3)
		if _, err := l.Append(txnBatch(t, pid, epoch, 0, 2), 0); err != nil && !errors.Is(err, ErrOutOfOrderSequence) {
			t.Fatal(err)
		}
		if _, err := l.AppendControlMarker(pid, epoch+1, i%2 == 0, 0, 0); err != nil {
			t.Fatal(err)
		}
		l.UpdateHighWatermark(l.LogEndOffset())
		if i%25 == 24 {
			if err := l.TruncateTo(l.LogEndOffset() - 3); err != nil {
				t.Fatal(err)
			}
			l.UpdateHighWatermark(l.LogEndOffset())
		}
		if i%3 == 2 {
			epoch++
		}
	}
	close(stop)
	for r := 0; r < 2; r++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}
