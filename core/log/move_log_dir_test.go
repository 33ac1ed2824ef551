package log

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gokafka/kafka/core/record"
)

// seqBatch is a batch of n records whose values carry the sequence numbers
// seq, seq+1, ... so a reader can tell that none is lost or repeated.
func seqBatch(t testing.TB, seq int64, n int) []byte {
	t.Helper()
	recs := make([]record.Record, n)
	for i := range recs {
		v := make([]byte, 8, 200)
		binary.BigEndian.PutUint64(v, uint64(seq+int64(i)))
		recs[i] = record.Record{TimestampDelta: int64(i), Key: []byte("k"), Value: append(v, bytes.Repeat([]byte{'x'}, 150)...)}
	}
	b, err := record.BuildBatch(recs, record.CodecNone, time.Now().UnixMilli())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func checkSequences(t testing.TB, l *Log, want int64) {
	t.Helper()
	recs := readAll(t, l)
	checkConsecutive(t, recs, 0, want)
	for i, r := range recs {
		if got := int64(binary.BigEndian.Uint64(r.Value)); got != int64(i) {
			t.Fatalf("record at offset %d carries sequence %d", r.Offset, got)
		}
	}
}

func otherDir(m *LogManager, l *Log) string {
	for _, d := range m.Dirs() {
		if d != filepath.Dir(l.Dir()) {
			return d
		}
	}
	return ""
}

func awaitGone(t *testing.T, pattern string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		m, _ := filepath.Glob(pattern)
		if len(m) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("still there: %v", m)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestMoveLogDirWithConcurrentAppends(t *testing.T) {
	d1, d2 := t.TempDir(), t.TempDir()
	m, err := NewLogManager(managerConfig(d1, d2), nil)
	if err != nil {
		t.Fatal(err)
	}
	l, err := m.GetOrCreateLog("moving", 0, smallConfig())
	if err != nil {
		t.Fatal(err)
	}
	var next atomic.Int64 // sequence of the next record to append
	appendOne := func() {
		n := int64(5)
		if _, err := l.Append(seqBatch(t, next.Load(), int(n)), 3); err != nil {
			t.Error(err)
			return
		}
		next.Add(n)
	}
	for i := 0; i < 300; i++ {
		appendOne()
	}
	l.UpdateHighWatermark(l.LogEndOffset())
	src := filepath.Dir(l.Dir())
	dst := otherDir(m, l)

	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { // the producer keeps going during the whole move
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
				appendOne()
			}
		}
	}()
	go func() { // and so do readers
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			info, err := l.Read(0, 64<<10, l.LogEndOffset(), true)
			if err != nil {
				t.Error(err)
				return
			}
			if err := record.Iterate(info.Records, func(b record.Batch) bool {
				if !b.IsValidCRC() {
					t.Errorf("corrupt batch at %d during the move", b.BaseOffset())
				}
				return true
			}); err != nil {
				t.Error(err)
				return
			}
		}
	}()

	if err := m.AlterLogDir("moving", 0, dst); err != nil {
		t.Fatal(err)
	}
	if !m.MoveInProgress("moving", 0) && filepath.Dir(l.Dir()) != dst {
		t.Fatal("no move started")
	}
	m.AwaitMove("moving", 0)
	time.Sleep(50 * time.Millisecond) // appends after the swap land in the new dir
	close(stop)
	wg.Wait()
	if t.Failed() {
		return
	}

	if got := filepath.Dir(l.Dir()); got != dst {
		t.Fatalf("log is in %s, want %s", got, dst)
	}
	if l.LogEndOffset() != next.Load() {
		t.Fatalf("log end %d, appended %d", l.LogEndOffset(), next.Load())
	}
	checkSequences(t, l, next.Load())
	if l.NumSegments() < 10 {
		t.Fatalf("only %d segments: the test should cover sealed segments", l.NumSegments())
	}
	segs, _ := filepath.Glob(filepath.Join(dst, "moving-0", "*.log"))
	if len(segs) != l.NumSegments() {
		t.Fatalf("%d .log files in the new dir for %d segments", len(segs), l.NumSegments())
	}
	if _, err := os.Stat(filepath.Join(src, "moving-0")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("old dir still there: %v", err)
	}
	awaitGone(t, filepath.Join(src, "moving-0*"))
	if f, _ := filepath.Glob(filepath.Join(dst, "*-future")); len(f) != 0 {
		t.Fatalf("future dirs left: %v", f)
	}
	if len(m.FutureLogs()) != 0 {
		t.Fatal("move still listed")
	}
	// Checkpoints of both dirs were rewritten.
	rp, _ := ReadCheckpoint(filepath.Join(dst, RecoveryPointCheckpointFile))
	if _, ok := rp[TopicPartition{"moving", 0}]; !ok {
		t.Fatalf("new dir's recovery point checkpoint lacks the partition: %v", rp)
	}
	rp, _ = ReadCheckpoint(filepath.Join(src, RecoveryPointCheckpointFile))
	if _, ok := rp[TopicPartition{"moving", 0}]; ok {
		t.Fatal("old dir's recovery point checkpoint still has the partition")
	}
	// Appends, rolls and reads go on in the new dir.
	for i := 0; i < 50; i++ {
		appendOne()
	}
	checkSequences(t, l, next.Load())
	if l.LatestEpoch() != 3 {
		t.Fatalf("leader epoch %d after the move", l.LatestEpoch())
	}

	// A restart finds the log in its new dir.
	leo := l.LogEndOffset()
	if err := m.Shutdown(); err != nil {
		t.Fatal(err)
	}
	m2, err := NewLogManager(managerConfig(d1, d2), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m2.Shutdown()
	l2 := m2.GetLog("moving", 0)
	if l2 == nil || filepath.Dir(l2.Dir()) != dst || l2.LogEndOffset() != leo {
		t.Fatalf("after restart: %v", l2)
	}
	checkSequences(t, l2, leo)
}

func TestAlterLogDirErrorsAndPreferredDir(t *testing.T) {
	d1, d2 := t.TempDir(), t.TempDir()
	m, err := NewLogManager(managerConfig(d1, d2), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Shutdown()
	if err := m.AlterLogDir("t", 0, t.TempDir()); !errors.Is(err, ErrLogDirNotFound) {
		t.Fatalf("unknown dir: %v", err)
	}
	// No log yet: the dir is remembered for its creation. Ask twice for
	// the same dir so the balancing choice alone could not explain it.
	for p := int32(0); p < 2; p++ {
		if err := m.AlterLogDir("t", p, d2); !errors.Is(err, ErrNoLocalLog) {
			t.Fatalf("no log: %v", err)
		}
		l, err := m.GetOrCreateLog("t", p, smallConfig())
		if err != nil {
			t.Fatal(err)
		}
		if got := filepath.Dir(l.Dir()); got != d2 {
			t.Fatalf("partition %d created in %s, want the preferred %s", p, got, d2)
		}
	}
	// The dir the log is in: nothing to do.
	if err := m.AlterLogDir("t", 0, d2); err != nil || m.MoveInProgress("t", 0) {
		t.Fatalf("same dir: %v", err)
	}
}

func TestLogDirMoveRedoesCopyAfterTruncation(t *testing.T) {
	d1, d2 := t.TempDir(), t.TempDir()
	m, err := NewLogManager(managerConfig(d1, d2), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Shutdown()
	l, err := m.GetOrCreateLog("trunc", 0, smallConfig())
	if err != nil {
		t.Fatal(err)
	}
	for i := int64(0); i < 100; i++ {
		if _, err := l.Append(seqBatch(t, i*5, 5), 0); err != nil {
			t.Fatal(err)
		}
	}
	// Between the lock-free copy and the locked one the log is truncated
	// into copied data and rewritten with other records of the same size.
	var hooked atomic.Bool
	moveBeforeLockHook = func(hl *Log) {
		if hl != l || !hooked.CompareAndSwap(false, true) {
			return
		}
		if err := l.TruncateTo(200); err != nil {
			t.Error(err)
		}
		for i := int64(40); i < 120; i++ {
			if _, err := l.Append(seqBatch(t, i*5, 5), 1); err != nil {
				t.Error(err)
			}
		}
	}
	defer func() { moveBeforeLockHook = nil }()
	dst := otherDir(m, l)
	if err := m.AlterLogDir("trunc", 0, dst); err != nil {
		t.Fatal(err)
	}
	m.AwaitMove("trunc", 0)
	if !hooked.Load() {
		t.Fatal("hook did not run")
	}
	if filepath.Dir(l.Dir()) != dst {
		t.Fatal("not moved")
	}
	checkSequences(t, l, 600)
	if e := l.LeaderEpochEntries(); len(e) != 2 || e[1].Epoch != 1 || e[1].StartOffset != 200 {
		t.Fatalf("epochs after the move: %+v", e)
	}
}

func TestLogDirMoveResumesAfterRestart(t *testing.T) {
	d1, d2 := t.TempDir(), t.TempDir()
	m, err := NewLogManager(managerConfig(d1, d2), nil)
	if err != nil {
		t.Fatal(err)
	}
	l, err := m.GetOrCreateLog("resume", 0, smallConfig())
	if err != nil {
		t.Fatal(err)
	}
	for i := int64(0); i < 60; i++ {
		if _, err := l.Append(seqBatch(t, i*5, 5), 0); err != nil {
			t.Fatal(err)
		}
	}
	dst := otherDir(m, l)
	if err := m.Shutdown(); err != nil {
		t.Fatal(err)
	}
	// What a crash in the middle of a move leaves: a partial future dir.
	future := filepath.Join(dst, "resume-0.0123456789abcdef0123456789abcdef-future")
	os.MkdirAll(future, 0o755)
	os.WriteFile(filepath.Join(future, "00000000000000000000.log"), []byte("partial"), 0o644)

	m2, err := NewLogManager(managerConfig(d1, d2), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m2.Shutdown()
	m2.Startup()
	deadline := time.Now().Add(10 * time.Second)
	var l2 *Log
	for {
		m2.AwaitMove("resume", 0)
		l2 = m2.GetLog("resume", 0)
		if filepath.Dir(l2.Dir()) == dst {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the move did not resume; log in %s", l2.Dir())
		}
		time.Sleep(20 * time.Millisecond)
	}
	checkSequences(t, l2, 300)
	if _, err := os.Stat(future); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("stale future dir kept")
	}
}

func TestLogDirMoveCancelledByDeletion(t *testing.T) {
	d1, d2 := t.TempDir(), t.TempDir()
	m, err := NewLogManager(managerConfig(d1, d2), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Shutdown()
	l, err := m.GetOrCreateLog("gone", 0, smallConfig())
	if err != nil {
		t.Fatal(err)
	}
	for i := int64(0); i < 200; i++ {
		if _, err := l.Append(seqBatch(t, i*5, 5), 0); err != nil {
			t.Fatal(err)
		}
	}
	dst := otherDir(m, l)
	block := make(chan struct{})
	moveBeforeLockHook = func(*Log) { <-block }
	defer func() { moveBeforeLockHook = nil }()
	if err := m.AlterLogDir("gone", 0, dst); err != nil {
		t.Fatal(err)
	}
	if fl := m.FutureLogs(); len(fl) != 1 || fl[0].Dir != dst || fl[0].Topic != "gone" {
		t.Fatalf("future logs %+v", fl)
	}
	done := make(chan error)
	go func() { done <- m.AsyncDelete("gone", 0) }()
	time.Sleep(20 * time.Millisecond)
	close(block)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	awaitGone(t, filepath.Join(dst, "gone-0*"))
	awaitGone(t, filepath.Join(filepath.Dir(l.Dir()), "gone-0*"))
}

func TestLogDirMoveThrottle(t *testing.T) {
	d1, d2 := t.TempDir(), t.TempDir()
	m, err := NewLogManager(managerConfig(d1, d2), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Shutdown()
	var rate atomic.Int64
	rate.Store(100 << 10) // 100 KiB/s
	m.SetLogDirMoveThrottle(rate.Load)
	l, err := m.GetOrCreateLog("slow", 0, smallConfig())
	if err != nil {
		t.Fatal(err)
	}
	for i := int64(0); i < 400; i++ { // about 400 KiB
		if _, err := l.Append(seqBatch(t, i*5, 5), 0); err != nil {
			t.Fatal(err)
		}
	}
	dst := otherDir(m, l)
	if err := m.AlterLogDir("slow", 0, dst); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	fl := m.FutureLogs()
	if len(fl) != 1 || fl[0].Size <= 0 || fl[0].Size >= l.Size() || fl[0].LogEndOffset >= l.LogEndOffset() {
		t.Fatalf("throttled move after 0.5s: %+v (log size %d, end %d)", fl, l.Size(), l.LogEndOffset())
	}
	rate.Store(0) // the throttle is removed: the move finishes
	m.AwaitMove("slow", 0)
	if filepath.Dir(l.Dir()) != dst {
		t.Fatal("not moved")
	}
	checkSequences(t, l, 2000)
}

func TestLogDirMoveCancelledOrRedirected(t *testing.T) {
	d1, d2, d3 := t.TempDir(), t.TempDir(), t.TempDir()
	m, err := NewLogManager(managerConfig(d1, d2, d3), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Shutdown()
	var rate atomic.Int64
	rate.Store(50 << 10)
	m.SetLogDirMoveThrottle(rate.Load)
	l := newMoveTestLog(t, m, "redir")
	home := filepath.Dir(l.Dir())
	var others []string
	for _, d := range m.Dirs() {
		if d != home {
			others = append(others, d)
		}
	}
	// Asking for the dir the log is in cancels the move.
	if err := m.AlterLogDir("redir", 0, others[0]); err != nil {
		t.Fatal(err)
	}
	if !m.MoveInProgress("redir", 0) {
		t.Fatal("no move in progress")
	}
	if err := m.AlterLogDir("redir", 0, home); err != nil {
		t.Fatal(err)
	}
	if m.MoveInProgress("redir", 0) || filepath.Dir(l.Dir()) != home {
		t.Fatalf("move not cancelled; log in %s", l.Dir())
	}
	if f, _ := filepath.Glob(filepath.Join(others[0], "redir-0*")); len(f) != 0 {
		t.Fatalf("cancelled move left %v", f)
	}
	// Asking for a third dir during a move restarts it there.
	if err := m.AlterLogDir("redir", 0, others[0]); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if err := m.AlterLogDir("redir", 0, others[1]); err != nil {
		t.Fatal(err)
	}
	if fl := m.FutureLogs(); len(fl) != 1 || fl[0].Dir != others[1] {
		t.Fatalf("future logs %+v", fl)
	}
	rate.Store(0)
	m.AwaitMove("redir", 0)
	if filepath.Dir(l.Dir()) != others[1] {
		t.Fatalf("log in %s, want %s", l.Dir(), others[1])
	}
	if f, _ := filepath.Glob(filepath.Join(others[0], "redir-0*")); len(f) != 0 {
		t.Fatalf("abandoned move left %v", f)
	}
	checkSequences(t, l, 1000)
}

// newMoveTestLog creates partition 0 of topic with 1000 records (about 200 KiB).
func newMoveTestLog(t *testing.T, m *LogManager, topic string) *Log {
	t.Helper()
	l, err := m.GetOrCreateLog(topic, 0, smallConfig())
	if err != nil {
		t.Fatal(err)
	}
	for i := int64(0); i < 200; i++ {
		if _, err := l.Append(seqBatch(t, i*5, 5), 0); err != nil {
			t.Fatal(err)
		}
	}
	return l
}

// TestLogDirMoveOfCompactedLog: the cleaner's checkpoint follows the log to
// its new dir and cleaning goes on there.
func TestLogDirMoveOfCompactedLog(t *testing.T) {
	d1, d2 := t.TempDir(), t.TempDir()
	cfg := compactConfig()
	m, err := NewLogManager(ManagerConfig{Dirs: []string{d1, d2}, Default: cfg, CleanerEnable: true, CleanerBackoffMs: 20},
		func(string) Config { return cfg })
	if err != nil {
		t.Fatal(err)
	}
	defer m.Shutdown()
	l, err := m.GetOrCreateLog("cmp", 0, cfg)
	if err != nil {
		t.Fatal(err)
	}
	val := bytes.Repeat([]byte("v"), 100)
	write := func(round int) {
		for i := 0; i < 100; i++ {
			if _, err := l.Append(keyedBatch(t, record.CodecNone, time.Now().UnixMilli(), kv{fmt.Sprintf("k%d", i%10), append(val, byte(round))}), 0); err != nil {
				t.Fatal(err)
			}
		}
		forceRoll(t, l)
		l.UpdateHighWatermark(l.LogEndOffset())
	}
	write(1)
	if !m.Cleaner().CleanFilthiestLog() {
		t.Fatal("nothing cleaned")
	}
	tp := TopicPartition{"cmp", 0}
	before := m.Cleaner().Checkpoints()[tp]
	src, dst := filepath.Dir(l.Dir()), otherDir(m, l)
	if err := m.AlterLogDir("cmp", 0, dst); err != nil {
		t.Fatal(err)
	}
	m.AwaitMove("cmp", 0)
	if filepath.Dir(l.Dir()) != dst {
		t.Fatal("not moved")
	}
	ck, _ := ReadCheckpoint(filepath.Join(dst, CleanerOffsetCheckpointFile))
	if ck[tp] != before || before == 0 {
		t.Fatalf("cleaner checkpoint in the new dir %v, was %d", ck, before)
	}
	if ck, _ := ReadCheckpoint(filepath.Join(src, CleanerOffsetCheckpointFile)); len(ck) != 0 {
		t.Fatalf("old dir keeps a cleaner checkpoint: %v", ck)
	}
	write(2)
	if !m.Cleaner().CleanFilthiestLog() {
		t.Fatal("nothing cleaned after the move")
	}
	latest := map[string]byte{}
	for _, r := range readAll(t, l) {
		latest[string(r.Key)] = r.Value[len(r.Value)-1]
	}
	if len(latest) != 10 {
		t.Fatalf("keys %v", latest)
	}
	for k, v := range latest {
		if v != 2 {
			t.Fatalf("key %s has round %d", k, v)
		}
	}
	if n := len(readAll(t, l)); n > 30 {
		t.Fatalf("%d records left after cleaning in the new dir", n)
	}
	if f, _ := filepath.Glob(filepath.Join(src, "cmp-0", "*")); len(f) != 0 {
		t.Fatalf("cleaning wrote to the old dir: %v", f)
	}
}
