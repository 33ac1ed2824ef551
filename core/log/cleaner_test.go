package log

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gokafka/kafka/core/record"
)

type kv struct {
	key string
	val []byte // nil = tombstone
}

func keyedBatch(t testing.TB, codec record.Codec, ts int64, kvs ...kv) []byte {
	t.Helper()
	recs := make([]record.Record, len(kvs))
	for i, x := range kvs {
		recs[i] = record.Record{TimestampDelta: int64(i), Key: []byte(x.key), Value: x.val}
	}
	b, err := record.BuildBatch(recs, codec, ts)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func compactConfig() Config {
	c := smallConfig()
	c.SegmentBytes = 4 << 10
	c.CleanupPolicy = "compact"
	c.MinCleanableDirtyRatio = 0.01
	return c
}

// newCleanerTestManager opens a LogManager with the cleaner enabled (its
// threads not started: tests run rounds with CleanFilthiestLog) and one
// log "t-0" with cfg.
func newCleanerTestManager(t testing.TB, dir string, cfg Config, dedupe int64) (*LogManager, *Log) {
	t.Helper()
	m, err := NewLogManager(ManagerConfig{Dirs: []string{dir}, Default: cfg, CleanerEnable: true,
		CleanerDedupeBufferSize: dedupe, CleanerBackoffMs: 20}, func(string) Config { return cfg })
	if err != nil {
		t.Fatal(err)
	}
	l, err := m.GetOrCreateLog("t", 0, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m, l
}

func forceRoll(t testing.TB, l *Log) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, err := l.roll(l.LogEndOffset()); err != nil {
		t.Fatal(err)
	}
}

// appendKVs appends one batch and records what went to which offset.
func appendKVs(t testing.TB, l *Log, written map[int64]kv, codec record.Codec, kvs ...kv) {
	t.Helper()
	res, err := l.Append(keyedBatch(t, codec, time.Now().UnixMilli(), kvs...), 0)
	if err != nil {
		t.Fatal(err)
	}
	for i, x := range kvs {
		written[res.FirstOffset+int64(i)] = x
	}
}

// cleanAll runs cleaner rounds until none is eligible (bounded).
func cleanAll(t testing.TB, m *LogManager) int {
	t.Helper()
	n := 0
	for ; n < 200 && m.Cleaner().CleanFilthiestLog(); n++ {
	}
	if u := m.Cleaner().uncleanablePartitions(); len(u) > 0 {
		t.Fatalf("partitions marked uncleanable: %v", u)
	}
	return n
}

// checkCompacted verifies what a reader sees: every record is the one
// written at its offset, the latest value of every key is there, and
// below the cleaner checkpoint no key appears twice.
func checkCompacted(t *testing.T, l *Log, written map[int64]kv, checkpoint int64, tombstonesMayGo bool) []record.Record {
	t.Helper()
	recs := readAll(t, l)
	latest := map[string]int64{}
	for off, x := range written {
		if cur, ok := latest[x.key]; !ok || off > cur {
			latest[x.key] = off
		}
	}
	seen := map[string][]byte{}
	seenBelow := map[string]int64{}
	prev := int64(-1)
	for _, r := range recs {
		if r.Offset <= prev {
			t.Fatalf("offsets not increasing: %d after %d", r.Offset, prev)
		}
		prev = r.Offset
		w, ok := written[r.Offset]
		if !ok || w.key != string(r.Key) || !bytes.Equal(w.val, r.Value) || (w.val == nil) != (r.Value == nil) {
			t.Fatalf("record at offset %d is %q=%q, written %q=%q", r.Offset, r.Key, r.Value, w.key, w.val)
		}
		if r.Offset < checkpoint {
			if o, dup := seenBelow[w.key]; dup {
				t.Fatalf("key %q at offsets %d and %d below the cleaner checkpoint %d", w.key, o, r.Offset, checkpoint)
			}
			seenBelow[w.key] = r.Offset
		}
		seen[w.key] = r.Value
	}
	for k, off := range latest {
		want := written[off].val
		got, ok := seen[k]
		switch {
		case want == nil && (!ok && tombstonesMayGo || ok && got == nil):
		case want != nil && ok && bytes.Equal(got, want):
		default:
			t.Fatalf("key %q: reader sees %q (present %v), latest written at %d is %q", k, got, ok, off, want)
		}
	}
	return recs
}

func TestCleanerKeepsLatestValueRandomised(t *testing.T) {
	codecs := []record.Codec{record.CodecNone, record.CodecGzip, record.CodecSnappy, record.CodecLZ4, record.CodecZstd}
	for _, tc := range []struct {
		name   string
		dedupe int64
	}{{"big-map", 1 << 20}, {"map-smaller-than-keys", 24 * 100}} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(7, uint64(len(tc.name))))
			m, l := newCleanerTestManager(t, t.TempDir(), compactConfig(), tc.dedupe)
			defer m.Shutdown()
			written := map[int64]kv{}
			for round := 0; round < 12; round++ {
				for i := 0; i < 60; i++ {
					n := 1 + rng.IntN(8)
					kvs := make([]kv, n)
					for j := range kvs {
						k := fmt.Sprintf("key-%03d", rng.IntN(300))
						var v []byte
						if rng.IntN(10) > 0 {
							v = []byte(fmt.Sprintf("%s=%d", k, rng.Int64()))
						}
						kvs[j] = kv{k, v}
					}
					appendKVs(t, l, written, codecs[rng.IntN(len(codecs))], kvs...)
				}
				l.UpdateHighWatermark(l.LogEndOffset())
				cleanAll(t, m)
				ck := m.Cleaner().Checkpoints()[l.TopicPartition()]
				checkCompacted(t, l, written, ck, false)
			}
			forceRoll(t, l)
			l.UpdateHighWatermark(l.LogEndOffset())
			cleanAll(t, m)
			ck := m.Cleaner().Checkpoints()[l.TopicPartition()]
			if ck != l.LogEndOffset() {
				t.Fatalf("checkpoint %d, want the log end %d", ck, l.LogEndOffset())
			}
			recs := checkCompacted(t, l, written, ck, false)
			keys := map[string]bool{}
			for _, x := range written {
				keys[x.key] = true
			}
			if len(recs) != len(keys) {
				t.Fatalf("%d records left for %d keys", len(recs), len(keys))
			}
			if l.Size() >= int64(len(written))*20 {
				t.Fatalf("log not smaller after compaction: %d bytes for %d records", l.Size(), len(written))
			}
		})
	}
}

func TestCleanerLeavesActiveSegmentAndDataPastHighWatermark(t *testing.T) {
	cfg := compactConfig()
	m, l := newCleanerTestManager(t, t.TempDir(), cfg, 1<<20)
	defer m.Shutdown()
	written := map[int64]kv{}
	for i := 0; i < 400; i++ {
		appendKVs(t, l, written, record.CodecNone, kv{fmt.Sprintf("k%d", i%10), bytes.Repeat([]byte{'a' + byte(i%26)}, 50)})
	}
	if l.NumSegments() < 6 {
		t.Fatalf("want several segments, got %d", l.NumSegments())
	}
	bases := l.SegmentBaseOffsets()
	// The high watermark sits inside the fourth segment: it and every later
	// segment must stay byte for byte as they are.
	hw := bases[3] + 3
	l.UpdateHighWatermark(hw)
	files := func() map[int64][]byte {
		out := map[int64][]byte{}
		for _, b := range bases[3:] {
			data, err := os.ReadFile(segmentFile(l.Dir(), b, LogFileSuffix))
			if err != nil {
				t.Fatal(err)
			}
			out[b] = data
		}
		return out
	}
	before := files()
	if cleanAll(t, m) == 0 {
		t.Fatal("nothing cleaned")
	}
	after := files()
	for b, data := range before {
		if !bytes.Equal(data, after[b]) {
			t.Fatalf("segment %d (at or past the high watermark %d) changed", b, hw)
		}
	}
	if ck := m.Cleaner().Checkpoints()[l.TopicPartition()]; ck > bases[3] {
		t.Fatalf("checkpoint %d past the first uncleanable segment %d", ck, bases[3])
	}
	checkCompacted(t, l, written, bases[3], false)

	// With the high watermark at the end only the active segment stays.
	l.UpdateHighWatermark(l.LogEndOffset())
	act := l.SegmentBaseOffsets()[l.NumSegments()-1]
	activeBefore, _ := os.ReadFile(segmentFile(l.Dir(), act, LogFileSuffix))
	cleanAll(t, m)
	activeAfter, _ := os.ReadFile(segmentFile(l.Dir(), act, LogFileSuffix))
	if !bytes.Equal(activeBefore, activeAfter) || len(activeAfter) == 0 {
		t.Fatal("the active segment was touched")
	}
	if ck := m.Cleaner().Checkpoints()[l.TopicPartition()]; ck != act {
		t.Fatalf("checkpoint %d, want the active segment base %d", ck, act)
	}
	checkCompacted(t, l, written, act, false)
}

func TestCleanerReadsAcrossGaps(t *testing.T) {
	cfg := compactConfig()
	m, l := newCleanerTestManager(t, t.TempDir(), cfg, 1<<20)
	defer m.Shutdown()
	written := map[int64]kv{}
	// Batches of 5: key "hot" is rewritten all the time, "k<i>" once.
	for i := 0; i < 200; i++ {
		appendKVs(t, l, written, record.CodecLZ4, kv{"hot", []byte(fmt.Sprint(i))}, kv{"hot", []byte(fmt.Sprint(i))},
			kv{fmt.Sprintf("k%d", i), []byte("once")}, kv{"hot", []byte(fmt.Sprint(i))}, kv{"warm", []byte(fmt.Sprint(i))})
	}
	forceRoll(t, l)
	l.UpdateHighWatermark(l.LogEndOffset())
	cleanAll(t, m)
	recs := checkCompacted(t, l, written, l.LogEndOffset(), false)
	if len(recs) != 202 {
		t.Fatalf("%d records after compaction, want 202", len(recs))
	}
	// Every offset, kept or not, reads from the next record that survived.
	leo := l.LogEndOffset()
	next := 0
	for off := int64(0); off < leo; off++ {
		for next < len(recs) && recs[next].Offset < off {
			next++
		}
		// Like a consumer: skip records below the fetch offset and, when a
		// fetch holds none at or after it, go on from the batch end.
		var first *record.Record
		for pos := off; first == nil && pos < leo; {
			info, err := l.Read(pos, 1<<20, leo, true)
			if err != nil {
				t.Fatal(err)
			}
			if len(info.Records) == 0 {
				t.Fatalf("empty read at %d", pos)
			}
			record.Iterate(info.Records, func(b record.Batch) bool {
				rs, err := record.DecodeRecords(b)
				if err != nil {
					t.Fatal(err)
				}
				for i := range rs {
					if rs[i].Offset >= off {
						first = &rs[i]
						return false
					}
				}
				pos = b.NextOffset()
				return true
			})
		}
		if first == nil || first.Offset != recs[next].Offset {
			t.Fatalf("read at %d: got %v, want the record at %d", off, first, recs[next].Offset)
		}
	}
	// Batches kept their base and last offsets.
	info, _ := l.Read(0, 1<<20, leo, true)
	record.Iterate(info.Records, func(b record.Batch) bool {
		if b.BaseOffset()%5 != 0 || b.LastOffsetDelta() != 4 || !b.IsValidCRC() || b.Codec() != record.CodecLZ4 {
			t.Fatalf("batch at %d: last delta %d, codec %v", b.BaseOffset(), b.LastOffsetDelta(), b.Codec())
		}
		return true
	})
	// Timestamps lookups still work over the compacted log.
	if off, _, ok := l.FetchOffsetByTimestamp(0); !ok || off != recs[0].Offset {
		t.Fatalf("offset for timestamp 0: %d %v", off, ok)
	}
}

// agedTombstoneLog writes a segment of values and tombstones, then a
// segment of other keys, cleans once, and dates the tombstone segment
// age ago (the newer clean segment stays at now).
func tombstoneScenario(t *testing.T, age time.Duration, retention time.Duration) (*Log, map[int64]kv, *LogManager) {
	cfg := compactConfig()
	cfg.DeleteRetentionMs = retention.Milliseconds()
	m, l := newCleanerTestManager(t, t.TempDir(), cfg, 1<<20)
	written := map[int64]kv{}
	for i := 0; i < 10; i++ {
		appendKVs(t, l, written, record.CodecNone, kv{fmt.Sprintf("a%d", i), []byte("v1")})
	}
	for i := 0; i < 5; i++ {
		appendKVs(t, l, written, record.CodecNone, kv{fmt.Sprintf("a%d", i), nil})
	}
	forceRoll(t, l)
	for i := 0; i < 10; i++ {
		appendKVs(t, l, written, record.CodecNone, kv{fmt.Sprintf("b%d", i), []byte("v")})
	}
	forceRoll(t, l)
	l.UpdateHighWatermark(l.LogEndOffset())
	// Keep segments apart when cleaning, so each keeps its own age.
	c := cfg
	c.SegmentBytes = 1
	l.UpdateConfig(c)
	cleanAll(t, m)
	checkCompacted(t, l, written, l.LogEndOffset(), false)
	bases := l.SegmentBaseOffsets()
	old := time.Now().Add(-age)
	if err := os.Chtimes(segmentFile(l.Dir(), bases[0], LogFileSuffix), old, old); err != nil {
		t.Fatal(err)
	}
	// New dirty data makes the log eligible again.
	l.UpdateConfig(cfg)
	for i := 0; i < 10; i++ {
		appendKVs(t, l, written, record.CodecNone, kv{fmt.Sprintf("c%d", i), []byte("v")})
	}
	forceRoll(t, l)
	l.UpdateHighWatermark(l.LogEndOffset())
	l.UpdateConfig(c)
	if cleanAll(t, m) == 0 {
		t.Fatal("second clean did not run")
	}
	return l, written, m
}

func countTombstones(t *testing.T, l *Log) int {
	n := 0
	for _, r := range readAll(t, l) {
		if r.Value == nil {
			n++
		}
	}
	return n
}

func TestTombstonesKeptUntilDeleteRetention(t *testing.T) {
	l, written, m := tombstoneScenario(t, 30*time.Minute, time.Hour)
	defer m.Shutdown()
	if n := countTombstones(t, l); n != 5 {
		t.Fatalf("%d tombstones left, want all 5 (younger than delete.retention.ms)", n)
	}
	checkCompacted(t, l, written, l.LogEndOffset(), false)
}

func TestTombstonesRemovedAfterDeleteRetention(t *testing.T) {
	l, written, m := tombstoneScenario(t, 2*time.Hour, time.Hour)
	defer m.Shutdown()
	if n := countTombstones(t, l); n != 0 {
		t.Fatalf("%d tombstones left, want none (older than delete.retention.ms)", n)
	}
	recs := checkCompacted(t, l, written, l.LogEndOffset(), true)
	if len(recs) != 25 {
		t.Fatalf("%d records, want 5 a-keys + 10 b + 10 c", len(recs))
	}
	// The first clean never drops tombstones: there is no clean section yet.
	cfg := compactConfig()
	cfg.DeleteRetentionMs = 0
	m2, l2 := newCleanerTestManager(t, t.TempDir(), cfg, 1<<20)
	defer m2.Shutdown()
	w2 := map[int64]kv{}
	appendKVs(t, l2, w2, record.CodecNone, kv{"x", []byte("1")}, kv{"x", nil})
	forceRoll(t, l2)
	l2.UpdateHighWatermark(l2.LogEndOffset())
	cleanAll(t, m2)
	if n := countTombstones(t, l2); n != 1 {
		t.Fatalf("first clean left %d tombstones, want 1", n)
	}
}

func TestCleanerCheckpointRoundTrip(t *testing.T) {
	dir := t.TempDir()
	cfg := compactConfig()
	m, l := newCleanerTestManager(t, dir, cfg, 1<<20)
	written := map[int64]kv{}
	for i := 0; i < 300; i++ {
		appendKVs(t, l, written, record.CodecNone, kv{fmt.Sprintf("k%d", i%7), bytes.Repeat([]byte{'x'}, 40)})
	}
	l.UpdateHighWatermark(l.LogEndOffset())
	cleanAll(t, m)
	act := l.SegmentBaseOffsets()[l.NumSegments()-1]
	onDisk, err := ReadCheckpoint(filepath.Join(dir, CleanerOffsetCheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	if onDisk[TopicPartition{"t", 0}] != act || len(onDisk) != 1 {
		t.Fatalf("checkpoint file %v, want t-0 at %d", onDisk, act)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, CleanerOffsetCheckpointFile))
	if want := fmt.Sprintf("0\n1\nt 0 %d\n", act); string(raw) != want {
		t.Fatalf("checkpoint text %q, want %q", raw, want)
	}
	if err := m.Shutdown(); err != nil {
		t.Fatal(err)
	}
	m2, l2 := newCleanerTestManager(t, dir, cfg, 1<<20)
	defer m2.Shutdown()
	if got := m2.Cleaner().Checkpoints()[l2.TopicPartition()]; got != act {
		t.Fatalf("reloaded checkpoint %d, want %d", got, act)
	}
	// Nothing new is dirty, so nothing is cleaned again.
	l2.UpdateHighWatermark(l2.LogEndOffset())
	if m2.Cleaner().CleanFilthiestLog() {
		t.Fatal("a clean log was cleaned again after restart")
	}
	checkCompacted(t, l2, written, act, false)
}

func TestCleanerDirtyRatioThreshold(t *testing.T) {
	cfg := compactConfig()
	cfg.MinCleanableDirtyRatio = 0.5
	m, l := newCleanerTestManager(t, t.TempDir(), cfg, 1<<20)
	defer m.Shutdown()
	written := map[int64]kv{}
	key := 0
	fill := func(segments int) {
		for n := l.NumSegments() + segments; l.NumSegments() < n; key++ {
			appendKVs(t, l, written, record.CodecNone, kv{fmt.Sprintf("u%d", key), bytes.Repeat([]byte{'u'}, 100)})
		}
		l.UpdateHighWatermark(l.LogEndOffset())
	}
	fill(6)
	if !m.Cleaner().CleanFilthiestLog() {
		t.Fatal("an all-dirty log was not cleaned")
	}
	// Unique keys: the clean section keeps its size, so one new segment is
	// well below a dirty ratio of 0.5.
	fill(1)
	if m.Cleaner().CleanFilthiestLog() {
		t.Fatal("cleaned below min.cleanable.dirty.ratio")
	}
	c := cfg
	c.MinCleanableDirtyRatio = 0.1
	m.UpdateTopicConfig("t", c)
	if !m.Cleaner().CleanFilthiestLog() {
		t.Fatal("not cleaned after lowering min.cleanable.dirty.ratio to 0.1")
	}
	m.UpdateTopicConfig("t", cfg)
	fill(1)
	if m.Cleaner().CleanFilthiestLog() {
		t.Fatal("cleaned below min.cleanable.dirty.ratio")
	}
	fill(8)
	if !m.Cleaner().CleanFilthiestLog() {
		t.Fatal("not cleaned above min.cleanable.dirty.ratio")
	}
	// max.compaction.lag.ms forces a clean whatever the ratio.
	fill(1)
	if m.Cleaner().CleanFilthiestLog() {
		t.Fatal("cleaned below min.cleanable.dirty.ratio")
	}
	c = cfg
	c.MaxCompactionLagMs = 1
	m.UpdateTopicConfig("t", c)
	time.Sleep(5 * time.Millisecond)
	if !m.Cleaner().CleanFilthiestLog() {
		t.Fatal("max.compaction.lag.ms did not force a clean")
	}
	// A delete-only topic is never compacted.
	c = cfg
	c.CleanupPolicy = "delete"
	m.UpdateTopicConfig("t", c)
	fill(10)
	if m.Cleaner().CleanFilthiestLog() {
		t.Fatal("a log with cleanup.policy=delete was compacted")
	}
}

func TestMinCompactionLagKeepsRecentSegments(t *testing.T) {
	cfg := compactConfig()
	cfg.MinCompactionLagMs = time.Hour.Milliseconds()
	m, l := newCleanerTestManager(t, t.TempDir(), cfg, 1<<20)
	defer m.Shutdown()
	written := map[int64]kv{}
	old := time.Now().Add(-2 * time.Hour).UnixMilli()
	for i := 0; i < 100; i++ {
		ts := old
		if i >= 50 {
			ts = time.Now().UnixMilli()
		}
		res, err := l.Append(keyedBatch(t, record.CodecNone, ts, kv{fmt.Sprintf("k%d", i%5), bytes.Repeat([]byte{'x'}, 100)}), 0)
		if err != nil {
			t.Fatal(err)
		}
		written[res.FirstOffset] = kv{fmt.Sprintf("k%d", i%5), bytes.Repeat([]byte{'x'}, 100)}
	}
	l.UpdateHighWatermark(l.LogEndOffset())
	cleanAll(t, m)
	ck := m.Cleaner().Checkpoints()[l.TopicPartition()]
	if ck > 50 || ck == 0 {
		t.Fatalf("checkpoint %d: cleaning must stop at the first segment younger than min.compaction.lag.ms", ck)
	}
	for _, r := range readAll(t, l) {
		if r.Offset >= 50 && written[r.Offset].key != string(r.Key) {
			t.Fatal("mismatch")
		}
	}
	n := 0
	for _, r := range readAll(t, l) {
		if r.Offset >= 50 {
			n++
		}
	}
	if n != 50 {
		t.Fatalf("%d recent records left, want all 50", n)
	}
}

func TestCompactDeleteAlsoAppliesRetention(t *testing.T) {
	for _, policy := range []string{"compact,delete", "compact"} {
		cfg := compactConfig()
		cfg.CleanupPolicy = policy
		cfg.RetentionMs = time.Hour.Milliseconds()
		m, l := newCleanerTestManager(t, t.TempDir(), cfg, 1<<20)
		old := time.Now().Add(-3 * time.Hour).UnixMilli()
		for i := 0; i < 200; i++ {
			if _, err := l.Append(keyedBatch(t, record.CodecNone, old, kv{fmt.Sprintf("k%d", i), bytes.Repeat([]byte{'x'}, 100)}), 0); err != nil {
				t.Fatal(err)
			}
		}
		l.UpdateHighWatermark(l.LogEndOffset())
		cleanAll(t, m)
		n, err := l.DeleteOldSegments()
		if err != nil {
			t.Fatal(err)
		}
		if policy == "compact,delete" && (n == 0 || l.LogStartOffset() == 0) {
			t.Fatalf("%s: retention deleted %d segments, log start %d", policy, n, l.LogStartOffset())
		}
		if policy == "compact" && (n != 0 || l.LogStartOffset() != 0) {
			t.Fatalf("%s: retention deleted %d segments", policy, n)
		}
		// The cleaner copes with the log start having moved past its checkpoint.
		for i := 0; i < 50; i++ {
			appendKVs(t, l, map[int64]kv{}, record.CodecNone, kv{"again", []byte("v")})
		}
		forceRoll(t, l)
		l.UpdateHighWatermark(l.LogEndOffset())
		cleanAll(t, m)
		m.Shutdown()
	}
}

func TestCrashDuringCleaningRecovers(t *testing.T) {
	for _, tc := range []struct {
		stage string
		merge bool
	}{{"cleaned", false}, {"swap", false}, {"deleted", false}, {"swap", true}, {"deleted", true}} {
		stage := tc.stage
		t.Run(fmt.Sprintf("%s-merge=%v", tc.stage, tc.merge), func(t *testing.T) {
			dir := t.TempDir()
			cfg := compactConfig()
			m, l := newCleanerTestManager(t, dir, cfg, 1<<20)
			written := map[int64]kv{}
			for i := 0; i < 300; i++ {
				appendKVs(t, l, written, record.CodecGzip, kv{fmt.Sprintf("k%d", i%13), []byte(fmt.Sprintf("value-%d", i))},
					kv{fmt.Sprintf("u%d", i), []byte("once")})
			}
			l.UpdateHighWatermark(l.LogEndOffset())
			leo := l.LogEndOffset()
			segsBefore := l.NumSegments()
			if tc.merge {
				// One group: every sealed segment is rewritten into one.
				c := cfg
				c.SegmentBytes = 1 << 20
				l.UpdateConfig(c)
				segsBefore = 2
			}
			if stage == "cleaned" {
				// A crash while writing: a partial .cleaned segment on disk.
				for _, suf := range []string{LogFileSuffix, IndexFileSuffix, TimeIndexFileSuffix} {
					os.WriteFile(segmentFile(l.Dir(), 0, suf)+CleanedFileSuffix, []byte("partial"), 0o644)
				}
			} else {
				swapCrashHook = func(s string) bool { return s == stage }
				defer func() { swapCrashHook = nil }()
				m.Cleaner().CleanFilthiestLog()
				swapCrashHook = nil
				if _, err := os.Stat(segmentFile(l.Dir(), 0, LogFileSuffix) + SwapFileSuffix); err != nil {
					t.Fatalf("no .swap file left by the simulated crash: %v", err)
				}
			}
			// kill -9: nothing flushed or closed properly.
			m.shutdown = true
			crashLog(l)
			m.unlockAll()

			l2 := openTestLog(t, filepath.Join(dir, "t-0"), cfg, LoadParams{CleanShutdown: false})
			defer l2.Close()
			if l2.LogEndOffset() != leo {
				t.Fatalf("log end %d after recovery, want %d", l2.LogEndOffset(), leo)
			}
			entries, _ := os.ReadDir(l2.Dir())
			for _, e := range entries {
				if filepath.Ext(e.Name()) == CleanedFileSuffix || filepath.Ext(e.Name()) == SwapFileSuffix {
					t.Fatalf("leftover %s", e.Name())
				}
			}
			recs := checkCompacted(t, l2, written, 0, false)
			if stage != "cleaned" && len(recs) >= len(written) {
				t.Fatalf("the completed swap is missing: %d records (were %d)", len(recs), len(written))
			}
			if l2.NumSegments() != segsBefore {
				t.Fatalf("%d segments after recovery, want %d", l2.NumSegments(), segsBefore)
			}
			if stage == "cleaned" && len(recs) != len(written) {
				t.Fatalf("%d records, want all %d", len(recs), len(written))
			}
			// Segments must not overlap: each base is above the previous
			// segment's last offset.
			prevEnd := int64(-1)
			for _, s := range l2.segmentsSnapshot() {
				if s.baseOffset <= prevEnd {
					t.Fatalf("segment %d overlaps the previous one ending at %d", s.baseOffset, prevEnd)
				}
				next, _ := s.readNextOffset()
				prevEnd = next - 1
			}
		})
	}
}

func TestCleanerThreadsCleanInBackground(t *testing.T) {
	dir := t.TempDir()
	cfg := compactConfig()
	m, l := newCleanerTestManager(t, dir, cfg, 1<<20)
	m.Startup()
	written := map[int64]kv{}
	for i := 0; i < 500; i++ {
		appendKVs(t, l, written, record.CodecNone, kv{fmt.Sprintf("k%d", i%3), bytes.Repeat([]byte{'z'}, 60)})
	}
	l.UpdateHighWatermark(l.LogEndOffset())
	act := l.SegmentBaseOffsets()[l.NumSegments()-1]
	if !m.Cleaner().AwaitCleaned("t", 0, act, 10*time.Second) {
		t.Fatalf("not cleaned up to %d in time: %v", act, m.Cleaner().Checkpoints())
	}
	checkCompacted(t, l, written, act, false)
	// Deleting the topic aborts and forgets the partition.
	if err := m.AsyncDelete("t", 0); err != nil {
		t.Fatal(err)
	}
	if _, ok := m.Cleaner().Checkpoints()[TopicPartition{"t", 0}]; ok {
		t.Fatal("checkpoint of a deleted partition kept")
	}
	if err := m.Shutdown(); err != nil {
		t.Fatal(err)
	}
}

func TestOffsetMap(t *testing.T) {
	m := newOffsetMap(24 * 1000)
	if m.capacity() != 900 {
		t.Fatalf("capacity %d", m.capacity())
	}
	for i := 0; i < 2000; i++ {
		if m.full() {
			break
		}
		m.put([]byte(fmt.Sprint(i)), int64(i))
	}
	if m.size() != 900 || m.latestOffset != 899 || len(m.slots) > 1000 {
		t.Fatalf("size %d latest %d slots %d", m.size(), m.latestOffset, len(m.slots))
	}
	m.put([]byte("5"), 5000)
	if m.get([]byte("5")) != 5000 || m.get([]byte("899")) != 899 || m.get([]byte("1999")) != -1 {
		t.Fatal("lookups wrong")
	}
	m.clear()
	if m.get([]byte("5")) != -1 || m.size() != 0 {
		t.Fatal("clear")
	}
}

func BenchmarkCleanLog(b *testing.B) {
	cfg := DefaultConfig()
	cfg.CleanupPolicy = "compact"
	cfg.SegmentBytes = 8 << 20
	recs := make([]record.Record, 100)
	var total int64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		m, l := newCleanerTestManager(b, b.TempDir(), cfg, 16<<20)
		for j := 0; j < 2000; j++ { // 200k records over 10k keys, ~28 MiB
			for k := range recs {
				recs[k] = record.Record{TimestampDelta: int64(k), Key: []byte(fmt.Sprintf("key-%05d", (j*100+k)*7919%10000)),
					Value: bytes.Repeat([]byte{'v'}, 100)}
			}
			raw, err := record.BuildBatch(recs, record.CodecNone, 1_700_000_000_000)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := l.Append(raw, 0); err != nil {
				b.Fatal(err)
			}
		}
		forceRoll(b, l)
		l.UpdateHighWatermark(l.LogEndOffset())
		size := l.Size()
		b.StartTimer()
		if !m.Cleaner().CleanFilthiestLog() {
			b.Fatal("nothing cleaned")
		}
		b.StopTimer()
		total += size
		m.Shutdown()
		b.StartTimer()
	}
	b.SetBytes(total / int64(b.N))
}

func TestCleanerKeepsLastBatchOfProducerEmpty(t *testing.T) {
	cfg := compactConfig()
	m, l := newCleanerTestManager(t, t.TempDir(), cfg, 1<<20)
	defer m.Shutdown()
	o := record.DefaultBatchOptions(record.CodecZstd, time.Now().UnixMilli())
	o.ProducerID, o.ProducerEpoch, o.BaseSequence = 7, 0, 0
	idem, err := record.BuildBatchWith(o, []record.Record{{Key: []byte("a"), Value: []byte("1")}, {OffsetDelta: 1, Key: []byte("b"), Value: []byte("1")}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := l.Append(idem, 0)
	if err != nil {
		t.Fatal(err)
	}
	written := map[int64]kv{}
	appendKVs(t, l, written, record.CodecNone, kv{"a", []byte("2")}, kv{"b", []byte("2")})
	forceRoll(t, l)
	l.UpdateHighWatermark(l.LogEndOffset())
	cleanAll(t, m)
	info, err := l.Read(0, 1<<20, l.LogEndOffset(), true)
	if err != nil {
		t.Fatal(err)
	}
	first := record.Batch(info.Records)
	first = first[:first.Size()]
	if first.BaseOffset() != res.FirstOffset || first.LastOffset() != res.LastOffset || first.RecordCount() != 0 ||
		first.ProducerID() != 7 || first.BaseSequence() != 0 || !first.IsValidCRC() || first.Size() != record.BatchHeaderSize {
		t.Fatalf("producer's last batch not kept as an empty batch: base %d last %d (want %d, %d) count %d pid %d seq %d crc %v size %d",
			first.BaseOffset(), first.LastOffset(), res.FirstOffset, res.LastOffset, first.RecordCount(), first.ProducerID(),
			first.BaseSequence(), first.IsValidCRC(), first.Size())
	}
	// A retry of the producer's batch is still answered as a duplicate.
	again, err := record.BuildBatchWith(o, []record.Record{{Key: []byte("a"), Value: []byte("1")}, {OffsetDelta: 1, Key: []byte("b"), Value: []byte("1")}})
	if err != nil {
		t.Fatal(err)
	}
	if r, err := l.Append(again, 0); err != nil || !r.Duplicate || r.FirstOffset != res.FirstOffset {
		t.Fatalf("%+v %v", r, err)
	}
	checkCompacted(t, l, written, l.LogEndOffset(), false)
}

func TestCleanerAndTruncation(t *testing.T) {
	cfg := compactConfig()
	m, l := newCleanerTestManager(t, t.TempDir(), cfg, 1<<20)
	defer m.Shutdown()
	written := map[int64]kv{}
	for i := 0; i < 300; i++ {
		appendKVs(t, l, written, record.CodecNone, kv{fmt.Sprintf("k%d", i%11), []byte(fmt.Sprintf("v%d", i))})
	}
	l.UpdateHighWatermark(l.LogEndOffset())
	// A truncation between picking the log and swapping cancels the swap.
	ltc := m.Cleaner().grabFilthiestCompactedLog(time.Now().UnixMilli())
	if ltc == nil {
		t.Fatal("nothing to clean")
	}
	cut := int64(250)
	if err := l.TruncateTo(cut); err != nil {
		t.Fatal(err)
	}
	for off := range written {
		if off >= cut {
			delete(written, off)
		}
	}
	cl := newCleaner(0, 1<<20, 0, m.Cleaner().checkDone)
	if _, _, err := cl.clean(ltc); !errors.Is(err, errCleaningAborted) {
		t.Fatalf("clean after truncation: %v, want an abort", err)
	}
	m.Cleaner().doneCleaning(l, ltc.firstDirtyOffset)
	checkCompacted(t, l, written, 0, false)
	entries, _ := os.ReadDir(l.Dir())
	for _, e := range entries {
		if filepath.Ext(e.Name()) == CleanedFileSuffix || filepath.Ext(e.Name()) == SwapFileSuffix {
			t.Fatalf("leftover %s", e.Name())
		}
	}
	// Clean, truncate below the checkpoint, write different data: the
	// checkpoint follows the truncation and the new data is compacted too.
	for i := 0; i < 100; i++ {
		appendKVs(t, l, written, record.CodecNone, kv{fmt.Sprintf("k%d", i%11), []byte(fmt.Sprintf("w%d", i))})
	}
	l.UpdateHighWatermark(l.LogEndOffset())
	cleanAll(t, m)
	ck := m.Cleaner().Checkpoints()[l.TopicPartition()]
	cut = ck - 20
	if err := l.TruncateTo(cut); err != nil {
		t.Fatal(err)
	}
	for off := range written {
		if off >= cut {
			delete(written, off)
		}
	}
	for i := 0; i < 200; i++ {
		appendKVs(t, l, written, record.CodecNone, kv{fmt.Sprintf("k%d", i%11), []byte(fmt.Sprintf("x%d", i))})
	}
	forceRoll(t, l)
	l.UpdateHighWatermark(l.LogEndOffset())
	cleanAll(t, m)
	if ck := m.Cleaner().Checkpoints()[l.TopicPartition()]; ck != l.LogEndOffset() {
		t.Fatalf("checkpoint %d, want %d", ck, l.LogEndOffset())
	}
	if recs := checkCompacted(t, l, written, l.LogEndOffset(), false); len(recs) != 11 {
		t.Fatalf("%d records left, want 11", len(recs))
	}
}

// TestCleanerConcurrentWithAppendsReadsAndRetention runs the cleaner
// threads while a producer appends, a consumer tails from the log start
// and retention deletes segments (compact,delete); the latest values of
// the compact-only log must survive.
func TestCleanerConcurrentWithAppendsReadsAndRetention(t *testing.T) {
	dir := t.TempDir()
	cfg := compactConfig()
	cd := cfg
	cd.CleanupPolicy = "compact,delete"
	cd.RetentionBytes = 16 << 10
	m, err := NewLogManager(ManagerConfig{Dirs: []string{dir}, Default: cfg, CleanerEnable: true, CleanerThreads: 2,
		CleanerBackoffMs: 5, CleanerDedupeBufferSize: 1 << 20, RetentionCheckMs: 10},
		func(topic string) Config {
			if topic == "cd" {
				return cd
			}
			return cfg
		})
	if err != nil {
		t.Fatal(err)
	}
	lc, _ := m.GetOrCreateLog("c", 0, cfg)
	ld, _ := m.GetOrCreateLog("cd", 0, cd)
	m.Startup()
	stop := make(chan struct{})
	errs := make(chan error, 4)
	reader := func(l *Log) {
		off := l.LogStartOffset()
		for {
			select {
			case <-stop:
				errs <- nil
				return
			default:
			}
			info, err := l.Read(off, 64<<10, l.HighWatermark(), true)
			if errors.Is(err, ErrOffsetOutOfRange) {
				off = l.LogStartOffset()
				continue
			}
			if err != nil {
				errs <- err
				return
			}
			err = record.Iterate(info.Records, func(b record.Batch) bool {
				if !b.IsValidCRC() || b.BaseOffset() < off && b.LastOffset() < off {
					err = fmt.Errorf("bad batch at %d reading from %d", b.BaseOffset(), off)
					return false
				}
				off = b.NextOffset()
				return true
			})
			if err != nil {
				errs <- err
				return
			}
			if len(info.Records) == 0 {
				time.Sleep(time.Millisecond)
			}
		}
	}
	go reader(lc)
	go reader(ld)
	written := map[int64]kv{}
	deadline := time.Now().Add(2 * time.Second)
	for i := 0; time.Now().Before(deadline); i++ {
		appendKVs(t, lc, written, record.CodecSnappy, kv{fmt.Sprintf("k%d", i%37), []byte(fmt.Sprintf("v%d", i))},
			kv{fmt.Sprintf("k%d", (i*7)%37), []byte(fmt.Sprintf("w%d", i))})
		appendKVs(t, ld, map[int64]kv{}, record.CodecNone, kv{fmt.Sprintf("k%d", i%37), bytes.Repeat([]byte{'d'}, 80)})
		lc.UpdateHighWatermark(lc.LogEndOffset())
		ld.UpdateHighWatermark(ld.LogEndOffset())
		if i%500 == 0 {
			time.Sleep(time.Millisecond)
		}
	}
	close(stop)
	for i := 0; i < 2; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	forceRoll(t, lc)
	lc.UpdateHighWatermark(lc.LogEndOffset())
	if !m.Cleaner().AwaitCleaned("c", 0, lc.LogEndOffset(), 20*time.Second) {
		t.Fatalf("log not cleaned to its end: %v", m.Cleaner().Checkpoints())
	}
	if u := m.Cleaner().uncleanablePartitions(); len(u) > 0 {
		t.Fatalf("uncleanable: %v", u)
	}
	if recs := checkCompacted(t, lc, written, lc.LogEndOffset(), false); len(recs) != 37 {
		t.Fatalf("%d records left, want 37", len(recs))
	}
	if ld.LogStartOffset() == 0 {
		t.Fatal("retention never ran on the compact,delete log")
	}
	if err := m.Shutdown(); err != nil {
		t.Fatal(err)
	}
}

func TestCleanerHandlesTransactions(t *testing.T) {
	cfg := compactConfig()
	cfg.DeleteRetentionMs = 0
	m, l := newCleanerTestManager(t, t.TempDir(), cfg, 1<<20)
	defer m.Shutdown()
	seq := map[int64]int32{}
	txnBatch := func(pid int64, kvs ...kv) {
		o := record.DefaultBatchOptions(record.CodecNone, time.Now().UnixMilli())
		o.ProducerID, o.ProducerEpoch, o.BaseSequence, o.Transactional = pid, 0, seq[pid], true
		recs := make([]record.Record, len(kvs))
		for i, x := range kvs {
			recs[i] = record.Record{Key: []byte(x.key), Value: x.val}
		}
		seq[pid] += int32(len(kvs))
		b, err := record.BuildBatchWith(o, recs)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := l.Append(b, 0); err != nil {
			t.Fatal(err)
		}
	}
	marker := func(pid int64, typ byte) {
		o := record.DefaultBatchOptions(record.CodecNone, time.Now().UnixMilli())
		o.ProducerID, o.ProducerEpoch, o.Transactional, o.Control = pid, 0, true, true
		b, err := record.BuildBatchWith(o, []record.Record{{Key: []byte{0, 0, 0, typ}, Value: []byte{0, 0, 0, 0, 0, 0}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := l.AppendAsCoordinator(b, 0); err != nil {
			t.Fatal(err)
		}
	}
	written := map[int64]kv{}
	appendKVs(t, l, written, record.CodecNone, kv{"k", []byte("committed")}, kv{"j", []byte("committed")})
	txnBatch(5, kv{"k", []byte("aborted")})
	marker(5, controlTypeAbort)
	txnBatch(5, kv{"t", []byte("in-committed-txn")})
	marker(5, controlTypeCommit)
	txnBatch(9, kv{"j", []byte("open-txn")}) // no marker yet
	for i := 0; i < 40; i++ {
		appendKVs(t, l, written, record.CodecNone, kv{fmt.Sprintf("f%d", i), bytes.Repeat([]byte{'f'}, 100)})
	}
	forceRoll(t, l)
	l.UpdateHighWatermark(l.LogEndOffset())
	view := func() (map[string][]string, int) {
		out := map[string][]string{}
		markers := 0
		info, err := l.Read(0, 1<<20, l.LogEndOffset(), true)
		if err != nil {
			t.Fatal(err)
		}
		record.Iterate(info.Records, func(b record.Batch) bool {
			if b.IsControl() {
				markers++
				return true
			}
			rs, _ := record.DecodeRecords(b)
			for _, r := range rs {
				out[string(r.Key)] = append(out[string(r.Key)], string(r.Value))
			}
			return true
		})
		return out, markers
	}
	cleanAll(t, m)
	v, markers := view()
	if fmt.Sprint(v["k"]) != "[committed]" || fmt.Sprint(v["t"]) != "[in-committed-txn]" || fmt.Sprint(v["j"]) != "[committed open-txn]" {
		t.Fatalf("after the first clean: k=%v t=%v j=%v", v["k"], v["t"], v["j"])
	}
	if markers != 2 {
		t.Fatalf("%d markers after the first clean, want 2 (their transactions' batches were still there)", markers)
	}
	// The cleaned segment took over the aborted transaction's .txnindex entry.
	if got := l.ReadAbortedTransactions(0, l.LogEndOffset()); len(got) != 1 || got[0].ProducerID != 5 || got[0].FirstOffset != 2 || got[0].LastOffset != 3 {
		t.Fatalf("aborted transactions after cleaning: %+v", got)
	}
	if _, err := os.Stat(segmentFile(l.Dir(), 0, TxnIndexFileSuffix)); err != nil {
		t.Fatalf("cleaned segment has no .txnindex: %v", err)
	}
	// Second clean: the aborted transaction has no batch left, so its
	// marker goes; the committed one keeps its data and its marker.
	for i := 0; i < 40; i++ {
		appendKVs(t, l, written, record.CodecNone, kv{fmt.Sprintf("g%d", i), bytes.Repeat([]byte{'g'}, 100)})
	}
	forceRoll(t, l)
	l.UpdateHighWatermark(l.LogEndOffset())
	cleanAll(t, m)
	v, markers = view()
	if fmt.Sprint(v["k"]) != "[committed]" || fmt.Sprint(v["t"]) != "[in-committed-txn]" || markers != 1 {
		t.Fatalf("after the second clean: k=%v t=%v, %d markers (want 1)", v["k"], v["t"], markers)
	}
}
