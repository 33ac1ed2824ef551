package log

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/gokafka/kafka/core/record"
)

// crashLog simulates kill -9: the files stay exactly as the page cache has
// them (active indexes preallocated, nothing trimmed), the process just
// stops using them.
func crashLog(l *Log) {
	l.bg.Wait()
	l.segMu.Lock()
	defer l.segMu.Unlock()
	for _, s := range l.segments {
		s.closeHandlers()
	}
}

func lastSegmentFile(t *testing.T, l *Log) string {
	bases := l.SegmentBaseOffsets()
	return segmentFile(l.Dir(), bases[len(bases)-1], LogFileSuffix)
}

func TestReopenAfterCrashKeepsEverything(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "crash-0")
	l := openTestLog(t, dir, smallConfig(), LoadParams{CleanShutdown: true})
	appendN(t, l, 77, 5, 1000)
	leo := l.LogEndOffset()
	crashLog(l)
	l2 := openTestLog(t, dir, smallConfig(), LoadParams{CleanShutdown: false, RecoveryPoint: 0})
	defer l2.Close()
	if l2.LogEndOffset() != leo || l2.RecoveryPoint() != leo {
		t.Fatalf("leo %d want %d, recovery point %d", l2.LogEndOffset(), leo, l2.RecoveryPoint())
	}
	checkConsecutive(t, readAll(t, l2), 0, leo)
	res, err := l2.Append(batch(t, 2, 1), 0)
	if err != nil || res.FirstOffset != leo {
		t.Fatalf("%v %+v", err, res)
	}
}

func TestRecoveryTruncatesTornBatch(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "torn-0")
	l := openTestLog(t, dir, smallConfig(), LoadParams{CleanShutdown: true})
	appendN(t, l, 30, 5, 1000)
	path := lastSegmentFile(t, l)
	crashLog(l)
	st, _ := os.Stat(path)
	if err := os.Truncate(path, st.Size()-7); err != nil { // the last batch is torn
		t.Fatal(err)
	}
	l2 := openTestLog(t, dir, smallConfig(), LoadParams{CleanShutdown: false})
	defer l2.Close()
	if l2.LogEndOffset() != 145 {
		t.Fatalf("leo %d, want 145 (last batch dropped)", l2.LogEndOffset())
	}
	checkConsecutive(t, readAll(t, l2), 0, 145)
	if res, _ := l2.Append(batch(t, 1, 1), 0); res.FirstOffset != 145 {
		t.Fatalf("%+v", res)
	}
}

func TestRecoveryTruncatesAtCorruptByte(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "corrupt-0")
	l := openTestLog(t, dir, smallConfig(), LoadParams{CleanShutdown: true})
	appendN(t, l, 30, 5, 1000)
	path := lastSegmentFile(t, l)
	crashLog(l)
	data, _ := os.ReadFile(path)
	// Flip a value byte inside the second to last batch.
	var positions []int
	record.Iterate(data, func(b record.Batch) bool { positions = append(positions, len(positions)); return true })
	off, n := 0, 0
	record.Iterate(data, func(b record.Batch) bool {
		if n == len(positions)-2 {
			return false
		}
		off += b.Size()
		n++
		return true
	})
	data[off+record.BatchHeaderSize+20] ^= 0x40
	os.WriteFile(path, data, 0o644)
	want := record.Batch(data[off:]).BaseOffset()
	l2 := openTestLog(t, dir, smallConfig(), LoadParams{CleanShutdown: false})
	defer l2.Close()
	if l2.LogEndOffset() != want {
		t.Fatalf("leo %d want %d", l2.LogEndOffset(), want)
	}
	checkConsecutive(t, readAll(t, l2), 0, want)
}

func TestRecoveryOnlyFromRecoveryPoint(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "rp-0")
	l := openTestLog(t, dir, smallConfig(), LoadParams{CleanShutdown: true})
	appendN(t, l, 60, 5, 1000)
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	rp := l.RecoveryPoint()
	if rp != l.LogEndOffset() {
		t.Fatalf("recovery point %d after flush, leo %d", rp, l.LogEndOffset())
	}
	appendN(t, l, 10, 5, 1000)
	leo := l.LogEndOffset()
	crashLog(l)
	l2 := openTestLog(t, dir, smallConfig(), LoadParams{CleanShutdown: false, RecoveryPoint: rp})
	defer l2.Close()
	if l2.LogEndOffset() != leo {
		t.Fatalf("leo %d want %d", l2.LogEndOffset(), leo)
	}
	checkConsecutive(t, readAll(t, l2), 0, leo)
}

func TestRebuildMissingAndCorruptIndexes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "rebuild-0")
	l := openTestLog(t, dir, smallConfig(), LoadParams{CleanShutdown: true})
	appendN(t, l, 60, 5, 1000)
	bases := l.SegmentBaseOffsets()
	l.Close()
	if len(bases) < 4 {
		t.Fatalf("need several segments, have %d", len(bases))
	}
	origIdx, _ := ReadOffsetIndexEntries(segmentFile(dir, bases[1], IndexFileSuffix))
	origTime, _ := ReadTimeIndexEntries(segmentFile(dir, bases[2], TimeIndexFileSuffix))
	if len(origIdx) == 0 || len(origTime) == 0 {
		t.Fatal("expected index entries")
	}
	os.Remove(segmentFile(dir, bases[1], IndexFileSuffix))
	os.Remove(segmentFile(dir, bases[0], TimeIndexFileSuffix))
	// Garbage in a time index: out of order timestamps.
	garbage := bytes.Repeat([]byte{0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 3)
	os.WriteFile(segmentFile(dir, bases[2], TimeIndexFileSuffix), garbage, 0o644)
	// An offset index entry pointing past the log.
	os.WriteFile(segmentFile(dir, bases[3], IndexFileSuffix), []byte{0, 0, 0, 1, 0x7f, 0, 0, 0}, 0o644)
	// An orphaned index without a log is removed.
	os.WriteFile(segmentFile(dir, 99999, IndexFileSuffix), nil, 0o644)

	l2 := openTestLog(t, dir, smallConfig(), LoadParams{CleanShutdown: true})
	checkConsecutive(t, readAll(t, l2), 0, 300)
	l2.Close()
	idx, _ := ReadOffsetIndexEntries(segmentFile(dir, bases[1], IndexFileSuffix))
	if !reflect.DeepEqual(idx, origIdx) {
		t.Fatalf("rebuilt offset index differs:\n%v\n%v", idx, origIdx)
	}
	tidx, _ := ReadTimeIndexEntries(segmentFile(dir, bases[2], TimeIndexFileSuffix))
	if !reflect.DeepEqual(tidx, origTime) {
		t.Fatalf("rebuilt time index differs:\n%v\n%v", tidx, origTime)
	}
	if _, err := os.Stat(segmentFile(dir, 99999, IndexFileSuffix)); !os.IsNotExist(err) {
		t.Fatal("orphaned index not removed")
	}
}

func TestStrayTempFilesRemoved(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tmp-0")
	l := openTestLog(t, dir, smallConfig(), LoadParams{CleanShutdown: true})
	appendN(t, l, 5, 5, 1000)
	l.Close()
	for _, name := range []string{"00000000000000000100.log.deleted", "00000000000000000000.log.cleaned", "00000000000000000000.index.swap"} {
		os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o644)
	}
	l2 := openTestLog(t, dir, smallConfig(), LoadParams{CleanShutdown: true})
	defer l2.Close()
	for _, pattern := range []string{"*.deleted", "*.cleaned", "*.swap"} {
		if m, _ := filepath.Glob(filepath.Join(dir, pattern)); len(m) != 0 {
			t.Fatalf("left over: %v", m)
		}
	}
	checkConsecutive(t, readAll(t, l2), 0, 25)
}

func TestPreallocatedSegments(t *testing.T) {
	cfg := smallConfig()
	cfg.Preallocate = true
	dir := filepath.Join(t.TempDir(), "pre-0")
	l := openTestLog(t, dir, cfg, LoadParams{CleanShutdown: true})
	appendN(t, l, 30, 5, 1000)
	leo := l.LogEndOffset()
	crashLog(l) // active .log is still SegmentBytes long, zero filled
	l2 := openTestLog(t, dir, cfg, LoadParams{CleanShutdown: false})
	if l2.LogEndOffset() != leo {
		t.Fatalf("leo %d want %d", l2.LogEndOffset(), leo)
	}
	appendN(t, l2, 3, 5, 1000)
	l2.Close()
	l3 := openTestLog(t, dir, cfg, LoadParams{CleanShutdown: true})
	defer l3.Close()
	checkConsecutive(t, readAll(t, l3), 0, leo+15)
}

func TestLeaderEpochCheckpointPersists(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "epoch-0")
	l := openTestLog(t, dir, smallConfig(), LoadParams{CleanShutdown: true})
	l.Append(batch(t, 5, 1), 0)
	l.Append(batch(t, 5, 1), 2)
	l.Append(batch(t, 5, 1), 5)
	l.Close()
	entries, err := ReadLeaderEpochCheckpoint(filepath.Join(dir, LeaderEpochCheckpointFile))
	want := []EpochEntry{{0, 0}, {2, 5}, {5, 10}}
	if err != nil || !reflect.DeepEqual(entries, want) {
		t.Fatalf("%v %v", err, entries)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, LeaderEpochCheckpointFile))
	if string(raw) != "0\n3\n0 0\n2 5\n5 10\n" {
		t.Fatalf("file content %q", raw)
	}
	l2 := openTestLog(t, dir, smallConfig(), LoadParams{CleanShutdown: true})
	defer l2.Close()
	if e, off := l2.EndOffsetForEpoch(2); e != 2 || off != 10 {
		t.Fatalf("epoch 2 ends at %d (%d)", off, e)
	}
	if e, off := l2.EndOffsetForEpoch(3); e != 2 || off != 10 {
		t.Fatalf("epoch 3 -> (%d, %d)", e, off)
	}
	if e, off := l2.EndOffsetForEpoch(5); e != 5 || off != 15 {
		t.Fatalf("latest epoch -> (%d, %d)", e, off)
	}
	l2.TruncateTo(10)
	if got := l2.LeaderEpochEntries(); !reflect.DeepEqual(got, []EpochEntry{{0, 0}, {2, 5}}) {
		t.Fatalf("after truncate %v", got)
	}
}
