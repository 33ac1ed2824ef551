package log

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gokafka/kafka/core/record"
)

func TestAppendReadAcrossRolls(t *testing.T) {
	l := newTestLog(t, smallConfig())
	defer l.Close()
	for i := 0; i < 100; i++ {
		res, err := l.Append(batch(t, 5, 1000), 3)
		if err != nil {
			t.Fatal(err)
		}
		if res.FirstOffset != int64(i*5) || res.LastOffset != int64(i*5+4) || res.Records != 5 {
			t.Fatalf("append %d: %+v", i, res)
		}
	}
	if l.LogEndOffset() != 500 {
		t.Fatalf("leo %d", l.LogEndOffset())
	}
	if l.NumSegments() < 5 {
		t.Fatalf("expected rolls, have %d segments", l.NumSegments())
	}
	checkConsecutive(t, readAll(t, l), 0, 500)

	// Every start offset yields the batch containing it, with leader epoch stamped.
	for off := int64(0); off < 500; off += 7 {
		info, err := l.Read(off, 300, 500, true)
		if err != nil {
			t.Fatal(err)
		}
		b := record.Batch(info.Records)
		if len(info.Records) != b.Size() || b.BaseOffset() > off || b.LastOffset() < off || b.PartitionLeaderEpoch() != 3 {
			t.Fatalf("read %d: batch %d..%d size %d/%d", off, b.BaseOffset(), b.LastOffset(), b.Size(), len(info.Records))
		}
	}
	// maxOffset is exclusive and batch-granular.
	info, _ := l.Read(0, 1<<20, 12, true)
	var last int64
	record.Iterate(info.Records, func(b record.Batch) bool { last = b.LastOffset(); return true })
	if last != 9 {
		t.Fatalf("read up to hw 12 ended at %d, want 9", last)
	}
	if info, _ := l.Read(10, 1<<20, 10, true); len(info.Records) != 0 {
		t.Fatal("read at max offset must be empty")
	}
	// Too small maxBytes: nothing without minOneBatch.
	if info, _ := l.Read(0, 10, 500, false); len(info.Records) != 0 {
		t.Fatal("expected empty read")
	}
	if info, _ := l.Read(500, 100, 500, true); len(info.Records) != 0 {
		t.Fatal("read at LEO must be empty")
	}
	if _, err := l.Read(501, 100, 600, true); !errors.Is(err, ErrOffsetOutOfRange) {
		t.Fatalf("want out of range, got %v", err)
	}
	if _, err := l.Read(-1, 100, 600, true); !errors.Is(err, ErrOffsetOutOfRange) {
		t.Fatalf("want out of range, got %v", err)
	}
	if l.LatestEpoch() != 3 {
		t.Fatalf("epoch %d", l.LatestEpoch())
	}
}

func TestIndexesPointAtBatches(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "idx-0")
	l := openTestLog(t, dir, smallConfig(), LoadParams{CleanShutdown: true})
	appendN(t, l, 100, 5, 1000)
	bases := l.SegmentBaseOffsets()
	l.Close()
	for _, base := range bases {
		entries, err := ReadOffsetIndexEntries(segmentFile(dir, base, IndexFileSuffix))
		if err != nil {
			t.Fatal(err)
		}
		st, _ := os.Stat(segmentFile(dir, base, IndexFileSuffix))
		if st.Size() != int64(len(entries)*8) {
			t.Fatalf("index of %d not trimmed: %d bytes for %d entries", base, st.Size(), len(entries))
		}
		data, _ := os.ReadFile(segmentFile(dir, base, LogFileSuffix))
		if len(data) > 2048 && len(entries) == 0 {
			t.Fatalf("segment %d of %d bytes has no index entries", base, len(data))
		}
		for _, e := range entries {
			b := record.Batch(data[e.Position:])
			if b.LastOffset() != e.Offset {
				t.Fatalf("index entry %+v points at batch ending %d", e, b.LastOffset())
			}
		}
		tes, err := ReadTimeIndexEntries(segmentFile(dir, base, TimeIndexFileSuffix))
		if err != nil || len(tes) == 0 {
			t.Fatalf("time index of %d: %v %d", base, err, len(tes))
		}
		// The last time entry is the segment's max timestamp (written on roll/close).
		var maxTs int64
		record.Iterate(data, func(b record.Batch) bool { maxTs = max(maxTs, b.MaxTimestamp()); return true })
		if tes[len(tes)-1].Timestamp != maxTs {
			t.Fatalf("last time entry %+v, max ts %d", tes[len(tes)-1], maxTs)
		}
	}
}

func TestFetchOffsetByTimestamp(t *testing.T) {
	l := newTestLog(t, smallConfig())
	defer l.Close()
	// Record i has timestamp 10000 + 10*i.
	for i := 0; i < 60; i++ {
		recs := make([]record.Record, 5)
		for j := range recs {
			recs[j] = record.Record{TimestampDelta: int64(10 * j), Value: make([]byte, 100)}
		}
		b, _ := record.BuildBatch(recs, record.CodecNone, 10000+int64(50*i))
		if _, err := l.Append(b, 0); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct{ ts, off, gotTs int64 }{
		{0, 0, 10000}, {10000, 0, 10000}, {10001, 1, 10010}, {10010, 1, 10010},
		{12345, 235, 12350}, {12990, 299, 12990},
	} {
		off, ts, ok := l.FetchOffsetByTimestamp(c.ts)
		if !ok || off != c.off || ts != c.gotTs {
			t.Fatalf("ts %d: got (%d, %d, %v) want (%d, %d)", c.ts, off, ts, ok, c.off, c.gotTs)
		}
	}
	if _, _, ok := l.FetchOffsetByTimestamp(13000); ok {
		t.Fatal("no record is that new")
	}
	if off, _, _ := l.FetchOffsetByTimestamp(LatestTimestamp); off != 300 {
		t.Fatalf("latest %d", off)
	}
	if off, _, _ := l.FetchOffsetByTimestamp(EarliestTimestamp); off != 0 {
		t.Fatalf("earliest %d", off)
	}
}

func TestRetentionByTime(t *testing.T) {
	cfg := smallConfig()
	cfg.RetentionMs = 3600_000
	l := newTestLog(t, cfg)
	defer l.Close()
	old := time.Now().Add(-2 * time.Hour).UnixMilli()
	appendN(t, l, 40, 5, old)
	oldSegs := l.NumSegments()
	appendN(t, l, 1, 5, time.Now().UnixMilli()) // new batch lands in the last segment
	// Nothing is deleted above the high watermark.
	if n, _ := l.DeleteOldSegments(); n != 0 {
		t.Fatalf("deleted %d segments with hw 0", n)
	}
	l.UpdateHighWatermark(l.LogEndOffset())
	n, err := l.DeleteOldSegments()
	if err != nil {
		t.Fatal(err)
	}
	if n != oldSegs-1 || l.NumSegments() != 1 {
		t.Fatalf("deleted %d of %d, left %d", n, oldSegs, l.NumSegments())
	}
	bases := l.SegmentBaseOffsets()
	if l.LogStartOffset() != bases[0] {
		t.Fatalf("log start %d, first segment %d", l.LogStartOffset(), bases[0])
	}
	if _, err := l.Read(0, 100, 1000, true); !errors.Is(err, ErrOffsetOutOfRange) {
		t.Fatalf("read below log start: %v", err)
	}
	checkConsecutive(t, readAll(t, l), l.LogStartOffset(), 205)
	files, _ := filepath.Glob(filepath.Join(l.Dir(), "*.log"))
	if len(files) != 1 {
		t.Fatalf("files left: %v", files)
	}

	// All data expired: the active segment goes too, after rolling a new one.
	l2 := newTestLog(t, cfg)
	defer l2.Close()
	appendN(t, l2, 3, 5, old)
	l2.UpdateHighWatermark(l2.LogEndOffset())
	if n, _ := l2.DeleteOldSegments(); n != 1 || l2.NumSegments() != 1 || l2.LogStartOffset() != 15 || l2.LogEndOffset() != 15 {
		t.Fatalf("n=%d segs=%d start=%d", n, l2.NumSegments(), l2.LogStartOffset())
	}
	if res, err := l2.Append(batch(t, 1, old), 0); err != nil || res.FirstOffset != 15 {
		t.Fatalf("%v %+v", err, res)
	}
}

func TestRetentionBySize(t *testing.T) {
	cfg := smallConfig()
	cfg.RetentionMs = -1
	cfg.RetentionBytes = 20 << 10
	l := newTestLog(t, cfg)
	defer l.Close()
	appendN(t, l, 100, 5, time.Now().UnixMilli())
	before := l.Size()
	l.UpdateHighWatermark(l.LogEndOffset())
	n, err := l.DeleteOldSegments()
	if err != nil || n == 0 {
		t.Fatalf("n=%d err=%v", n, err)
	}
	// Kafka only deletes a segment if the log stays at or above retention.bytes.
	if l.Size() < cfg.RetentionBytes || l.Size() > cfg.RetentionBytes+cfg.SegmentBytes {
		t.Fatalf("size before %d after %d, retention %d", before, l.Size(), cfg.RetentionBytes)
	}
	checkConsecutive(t, readAll(t, l), l.LogStartOffset(), 500)
}

func TestDeleteDelayRenamesFirst(t *testing.T) {
	cfg := smallConfig()
	cfg.RetentionMs = 1
	cfg.FileDeleteDelayMs = 200
	l := newTestLog(t, cfg)
	defer l.Close()
	appendN(t, l, 40, 5, 1000)
	l.UpdateHighWatermark(l.LogEndOffset())
	if _, err := l.DeleteOldSegments(); err != nil {
		t.Fatal(err)
	}
	deleted, _ := filepath.Glob(filepath.Join(l.Dir(), "*.deleted"))
	if len(deleted) == 0 {
		t.Fatal("expected .deleted files during the delay")
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if d, _ := filepath.Glob(filepath.Join(l.Dir(), "*.deleted")); len(d) == 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal(".deleted files were not removed after the delay")
}

func TestLogStartOffsetAndTruncate(t *testing.T) {
	cfg := smallConfig()
	cfg.RetentionMs = -1
	l := newTestLog(t, cfg)
	defer l.Close()
	appendN(t, l, 50, 5, 1000)
	if err := l.MaybeIncrementLogStartOffset(10); !errors.Is(err, ErrOffsetOutOfRange) {
		t.Fatalf("log start beyond hw must fail: %v", err)
	}
	l.UpdateHighWatermark(250)
	if err := l.MaybeIncrementLogStartOffset(102); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Read(101, 100, 250, true); !errors.Is(err, ErrOffsetOutOfRange) {
		t.Fatal("read below log start")
	}
	info, err := l.Read(102, 100, 250, true)
	if err != nil || record.Batch(info.Records).BaseOffset() != 100 {
		t.Fatalf("read at log start: %v", err)
	}
	segs := l.NumSegments()
	if n, _ := l.DeleteOldSegments(); n == 0 || l.NumSegments() >= segs {
		t.Fatalf("segments below log start not deleted (%d)", n)
	}

	if err := l.TruncateTo(173); err != nil { // mid-batch: the batch 170..174 goes
		t.Fatal(err)
	}
	if l.LogEndOffset() != 170 || l.HighWatermark() != 170 {
		t.Fatalf("leo %d hw %d", l.LogEndOffset(), l.HighWatermark())
	}
	appendN(t, l, 2, 5, 1000)
	checkConsecutive(t, readAll(t, l), 102, 180)

	if err := l.TruncateFullyAndStartAt(1000); err != nil {
		t.Fatal(err)
	}
	if l.LogStartOffset() != 1000 || l.LogEndOffset() != 1000 || l.NumSegments() != 1 {
		t.Fatal("truncate fully")
	}
	if res, _ := l.Append(batch(t, 2, 1), 1); res.FirstOffset != 1000 {
		t.Fatalf("%+v", res)
	}
}

func TestTruncateToSegmentBoundary(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tr-0")
	l := openTestLog(t, dir, smallConfig(), LoadParams{CleanShutdown: true})
	appendN(t, l, 60, 5, 1000)
	bases := l.SegmentBaseOffsets()
	cut := bases[2]
	if err := l.TruncateTo(cut); err != nil {
		t.Fatal(err)
	}
	if l.LogEndOffset() != cut || l.NumSegments() != 3 { // like Kafka, the segment at the cut stays, empty
		t.Fatalf("leo %d segs %d", l.LogEndOffset(), l.NumSegments())
	}
	appendN(t, l, 30, 5, 1000)
	want := l.LogEndOffset()
	l.Flush()
	l.Close()
	l = openTestLog(t, dir, smallConfig(), LoadParams{CleanShutdown: false})
	defer l.Close()
	if l.LogEndOffset() != want {
		t.Fatalf("leo after reopen %d want %d", l.LogEndOffset(), want)
	}
	checkConsecutive(t, readAll(t, l), 0, want)
}

func TestLogAppendTime(t *testing.T) {
	cfg := smallConfig()
	cfg.MessageTimestampType = "LogAppendTime"
	l := newTestLog(t, cfg)
	defer l.Close()
	before := time.Now().UnixMilli()
	res, err := l.Append(batch(t, 3, 5), 0)
	if err != nil || res.LogAppendTime < before {
		t.Fatalf("%v %+v", err, res)
	}
	info, _ := l.Read(0, 1000, 10, true)
	b := record.Batch(info.Records)
	if b.TimestampType() != record.LogAppendTime || b.MaxTimestamp() != res.LogAppendTime || !b.IsValidCRC() {
		t.Fatal("batch not stamped with log append time")
	}
}

func TestLegacyProduceIsUpConverted(t *testing.T) {
	l := newTestLog(t, smallConfig())
	defer l.Close()
	recs := []record.Record{{Value: []byte("a")}, {Key: []byte("k"), Value: []byte("b")}}
	for _, magic := range []int8{0, 1} {
		for _, c := range []record.Codec{record.CodecNone, record.CodecGzip} {
			set, err := record.BuildLegacy(magic, c, 777, recs)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := l.Append(set, 0); err != nil {
				t.Fatal(err)
			}
		}
	}
	got := readAll(t, l)
	checkConsecutive(t, got, 0, 8)
	if string(got[7].Value) != "b" || string(got[7].Key) != "k" || got[7].Timestamp != 777 || got[0].Timestamp != -1 {
		t.Fatalf("%+v", got)
	}
}

func TestAppendRejectsBadInput(t *testing.T) {
	cfg := smallConfig()
	cfg.MaxMessageBytes = 300
	l := newTestLog(t, cfg)
	defer l.Close()
	b := batch(t, 5, 1)
	if _, err := l.Append(b, 0); !errors.Is(err, record.ErrRecordTooLarge) {
		t.Fatalf("want too large, got %v", err)
	}
	small := batch(t, 1, 1)
	small[len(small)-1] ^= 1
	if _, err := l.Append(small, 0); !errors.Is(err, record.ErrCorruptMessage) {
		t.Fatalf("want corrupt, got %v", err)
	}
	if l.LogEndOffset() != 0 || l.Size() != 0 {
		t.Fatal("rejected appends must not change the log")
	}
}

func TestFollowerAppend(t *testing.T) {
	leader := newTestLog(t, smallConfig())
	defer leader.Close()
	appendN(t, leader, 10, 5, 1000)
	leader.Append(batch(t, 5, 2000), 4)
	follower := newTestLog(t, smallConfig())
	defer follower.Close()
	for off := int64(0); off < leader.LogEndOffset(); {
		info, err := leader.Read(off, 700, leader.LogEndOffset(), true)
		if err != nil {
			t.Fatal(err)
		}
		res, err := follower.AppendAsFollower(info.Records)
		if err != nil {
			t.Fatal(err)
		}
		if res.FirstOffset != off {
			t.Fatalf("follower append at %d: %+v", off, res)
		}
		off = res.LastOffset + 1
	}
	if follower.LogEndOffset() != 55 || follower.LatestEpoch() != 4 {
		t.Fatalf("leo %d epoch %d", follower.LogEndOffset(), follower.LatestEpoch())
	}
	if e, off := follower.EndOffsetForEpoch(0); e != 0 || off != 50 {
		t.Fatalf("end offset for epoch 0: %d %d", e, off)
	}
	info, _ := leader.Read(0, 100, 100, true)
	if _, err := follower.AppendAsFollower(info.Records); !errors.Is(err, ErrUnexpectedAppendOffset) {
		t.Fatalf("stale append: %v", err)
	}
}

func TestConcurrentAppendAndRead(t *testing.T) {
	l := newTestLog(t, smallConfig())
	defer l.Close()
	var wg sync.WaitGroup
	done := make(chan struct{})
	for r := 0; r < 3; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				leo := l.LogEndOffset()
				if leo == 0 {
					continue
				}
				off := leo / 2
				info, err := l.Read(off, 2000, leo, true)
				if err != nil {
					t.Error(err)
					return
				}
				err = record.Iterate(info.Records, func(b record.Batch) bool {
					if !b.IsValidCRC() || b.LastOffset() >= leo {
						t.Errorf("bad batch %d..%d (leo %d)", b.BaseOffset(), b.LastOffset(), leo)
						return false
					}
					return true
				})
				if err != nil {
					t.Error(err)
				}
			}
		}()
	}
	appendN(t, l, 300, 4, 1)
	close(done)
	wg.Wait()
	checkConsecutive(t, readAll(t, l), 0, 1200)
}

func TestTimeBasedRoll(t *testing.T) {
	cfg := smallConfig()
	cfg.SegmentMs = 1000
	l := newTestLog(t, cfg)
	defer l.Close()
	l.Append(batch(t, 1, 10_000), 0)
	l.Append(batch(t, 1, 10_900), 0) // 900 ms after the segment's first batch: same segment
	if l.NumSegments() != 1 {
		t.Fatalf("rolled too early: %d segments", l.NumSegments())
	}
	l.Append(batch(t, 1, 11_001), 0) // more than segment.ms later
	if got := l.SegmentBaseOffsets(); len(got) != 2 || got[1] != 2 {
		t.Fatalf("segments %v", got)
	}
}

func TestFlushIntervalMessages(t *testing.T) {
	cfg := smallConfig()
	cfg.FlushIntervalMessages = 10
	l := newTestLog(t, cfg)
	defer l.Close()
	appendN(t, l, 1, 5, 1)
	if l.RecoveryPoint() != 0 {
		t.Fatalf("flushed too early: %d", l.RecoveryPoint())
	}
	appendN(t, l, 1, 5, 1)
	if l.RecoveryPoint() != 10 {
		t.Fatalf("recovery point %d after 10 unflushed messages", l.RecoveryPoint())
	}
}

func TestCoordinatorAppendAllowsControlBatches(t *testing.T) {
	l := newTestLog(t, smallConfig())
	defer l.Close()
	o := record.DefaultBatchOptions(record.CodecNone, 1)
	o.Control, o.Transactional, o.ProducerID, o.ProducerEpoch = true, true, 7, 0
	marker, _ := record.BuildBatchWith(o, []record.Record{{Key: []byte{0, 0, 0, 1}, Value: []byte{0, 0, 0, 0, 0, 0}}})
	if _, err := l.Append(append([]byte(nil), marker...), 0); !errors.Is(err, record.ErrInvalidRecord) {
		t.Fatalf("client control batch: %v", err)
	}
	res, err := l.AppendAsCoordinator(append(batch(t, 2, 1), marker...), 0)
	if err != nil || res.FirstOffset != 0 || res.LastOffset != 2 {
		t.Fatalf("%v %+v", err, res)
	}
	info, _ := l.Read(2, 1000, 3, true)
	if b := record.Batch(info.Records); !b.IsControl() || b.BaseOffset() != 2 {
		t.Fatal("marker not stored at offset 2")
	}
}

func idempotentBatch(t *testing.T, pid int64, epoch int16, seq int32, n int) []byte {
	t.Helper()
	// Producer state expires by batch timestamp, so use the current time.
	o := record.DefaultBatchOptions(record.CodecNone, time.Now().UnixMilli())
	o.ProducerID, o.ProducerEpoch, o.BaseSequence = pid, epoch, seq
	recs := make([]record.Record, n)
	for i := range recs {
		recs[i] = record.Record{Value: []byte("idem")}
	}
	b, err := record.BuildBatchWith(o, recs)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestIdempotentRetryIsNotAppendedTwice(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "idem-0")
	l := openTestLog(t, dir, smallConfig(), LoadParams{CleanShutdown: true})
	appendN(t, l, 2, 5, 1)
	first, err := l.Append(idempotentBatch(t, 42, 0, 0, 3), 0)
	if err != nil || first.FirstOffset != 10 || first.Duplicate {
		t.Fatalf("%v %+v", err, first)
	}
	l.Append(idempotentBatch(t, 42, 0, 3, 2), 0)
	retry, err := l.Append(idempotentBatch(t, 42, 0, 0, 3), 0)
	if err != nil || !retry.Duplicate || retry.FirstOffset != 10 || retry.LastOffset != 12 || l.LogEndOffset() != 15 {
		t.Fatalf("retry: %v %+v leo %d", err, retry, l.LogEndOffset())
	}
	// Another producer, or a new epoch, with the same sequences is new data.
	if r, _ := l.Append(idempotentBatch(t, 43, 0, 0, 3), 0); r.Duplicate || r.FirstOffset != 15 {
		t.Fatalf("%+v", r)
	}
	if r, _ := l.Append(idempotentBatch(t, 42, 1, 0, 3), 0); r.Duplicate || r.FirstOffset != 18 {
		t.Fatalf("%+v", r)
	}
	l.Close()
	// The state survives a restart (rebuilt from the newest segments).
	l = openTestLog(t, dir, smallConfig(), LoadParams{CleanShutdown: true})
	defer l.Close()
	if r, _ := l.Append(idempotentBatch(t, 42, 1, 0, 3), 0); !r.Duplicate || r.FirstOffset != 18 {
		t.Fatalf("after restart: %+v", r)
	}
	// Truncation forgets the truncated batches.
	l.TruncateTo(18)
	if r, _ := l.Append(idempotentBatch(t, 42, 1, 0, 3), 0); r.Duplicate || r.FirstOffset != 18 {
		t.Fatalf("after truncation: %+v", r)
	}
}
