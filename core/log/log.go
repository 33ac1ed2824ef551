package log

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gokafka/kafka/core/logging"
	"github.com/gokafka/kafka/core/record"
)

var logger = logging.For("kafka.log.Log")

// Errors callers map to Kafka error codes.
var (
	// ErrOffsetOutOfRange: OFFSET_OUT_OF_RANGE.
	ErrOffsetOutOfRange = errors.New("offset out of range")
	// ErrUnexpectedAppendOffset: a follower append does not continue the log.
	ErrUnexpectedAppendOffset = errors.New("unexpected append offset")
	// ErrOffsetsOutOfOrder: batches of a follower append are not increasing.
	ErrOffsetsOutOfOrder = errors.New("offsets out of order")
	// ErrLogClosed: the log was closed or deleted.
	ErrLogClosed = errors.New("log is closed")
)

// Special timestamps of ListOffsets.
const (
	LatestTimestamp   int64 = -1
	EarliestTimestamp int64 = -2
)

// AppendResult describes where an append landed.
type AppendResult struct {
	FirstOffset, LastOffset int64
	LogAppendTime           int64 // -1 unless the topic uses LogAppendTime
	LogStartOffset          int64
	Records                 int64
	// Duplicate is set when an idempotent producer retried a batch that
	// is already in the log; the offsets are those of the first copy.
	Duplicate bool
}

// FetchDataInfo is the result of a read.
type FetchDataInfo struct {
	// Records are whole batches copied from the segment file; may be empty.
	Records []byte
	// HighWatermark is not set by Log; the replica layer fills it in.
	HighWatermark int64
}

// LoadParams is the state the LogManager read from its checkpoints.
type LoadParams struct {
	RecoveryPoint  int64
	LogStartOffset int64
	HighWatermark  int64
	CleanShutdown  bool
}

// Log is one partition's directory of segments (Kafka's kafka.log.Log).
//
// Locking: mu serialises everything that writes (appends, rolls,
// truncation, retention). segMu guards the segment list and the index
// mappings; readers hold it shared for a whole read, writers take it
// exclusively only for structural changes (roll, delete, truncate), so
// reads never wait for an ordinary append.
type Log struct {
	dir       string
	topic     string
	partition int32

	mu       sync.Mutex
	segMu    sync.RWMutex
	segments []*LogSegment
	closed   atomic.Bool

	cfg           atomic.Pointer[Config]
	leo           atomic.Int64
	logStart      atomic.Int64
	hw            atomic.Int64
	recoveryPoint atomic.Int64
	lastFlushMs   atomic.Int64

	epochs    *leaderEpochCache
	producers *producerState // guarded by mu
	bg        sync.WaitGroup

	// truncations counts truncations so a clean that started before one
	// is dropped instead of swapped in; truncatedTo is the lowest offset
	// truncated to since the cleaner last looked (MaxInt64: none), so the
	// cleaner checkpoint never stays past rewritten data.
	truncations atomic.Int64
	truncatedTo atomic.Int64
}

// ParseTopicPartitionName splits a partition directory name
// ("<topic>-<partition>", optionally followed by ".<id>-delete" or
// "-future") into topic and partition.
func ParseTopicPartitionName(name string) (string, int32, error) {
	base := name
	if strings.HasSuffix(base, "-delete") || strings.HasSuffix(base, "-future") {
		if dot := strings.LastIndexByte(base, '.'); dot > 0 {
			base = base[:dot]
		}
	}
	dash := strings.LastIndexByte(base, '-')
	if dash <= 0 || dash == len(base)-1 {
		return "", 0, fmt.Errorf("found directory %s, '%s' is not in the form of topic-partition", name, name)
	}
	p, err := strconv.ParseInt(base[dash+1:], 10, 32)
	if err != nil || p < 0 {
		return "", 0, fmt.Errorf("found directory %s, '%s' is not in the form of topic-partition", name, name)
	}
	return base[:dash], int32(p), nil
}

// OpenLog loads (or creates) the log in dir. After an unclean shutdown the
// segments from the recovery point on are re-validated and a torn or
// corrupt tail is cut off; missing or corrupt indexes are rebuilt.
func OpenLog(dir string, cfg Config, p LoadParams) (*Log, error) {
	topic, partition, err := ParseTopicPartitionName(filepath.Base(dir))
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	c := cfg.sanitized()
	l := &Log{dir: dir, topic: topic, partition: partition}
	l.truncatedTo.Store(math.MaxInt64)
	l.cfg.Store(&c)
	if l.epochs, err = loadLeaderEpochCache(filepath.Join(dir, LeaderEpochCheckpointFile)); err != nil {
		l.warnf("Error loading leader epoch checkpoint, starting with an empty cache: %v", err)
		l.epochs = &leaderEpochCache{path: filepath.Join(dir, LeaderEpochCheckpointFile)}
	}
	start := time.Now()
	if err := l.load(p); err != nil {
		for _, s := range l.segments {
			s.closeHandlers()
		}
		return nil, err
	}
	l.lastFlushMs.Store(time.Now().UnixMilli())
	l.infof("Completed load of log with %d segments, log start offset %d and log end offset %d in %d ms",
		len(l.segments), l.logStart.Load(), l.leo.Load(), time.Since(start).Milliseconds())
	return l, nil
}

func (l *Log) prefix() string {
	return fmt.Sprintf("[Log partition=%s-%d, dir=%s] ", l.topic, l.partition, filepath.Dir(l.dir))
}
func (l *Log) infof(f string, a ...any)  { logger.Infof(l.prefix()+f, a...) }
func (l *Log) warnf(f string, a ...any)  { logger.Warnf(l.prefix()+f, a...) }
func (l *Log) errorf(f string, a ...any) { logger.Errorf(l.prefix()+f, a...) }

// load runs Kafka's loadSegments/recoverLog sequence.
func (l *Log) load(p LoadParams) error {
	cfg := l.cfg.Load()
	if err := l.removeTempFilesAndCompleteSwaps(); err != nil {
		return err
	}
	bases, err := l.segmentBaseOffsets()
	if err != nil {
		return err
	}
	l.producers = newProducerState(l.dir)
	for i, base := range bases {
		active := i == len(bases)-1
		seg, rebuild, err := openSegment(l.dir, base, cfg, active)
		if err != nil {
			return err
		}
		l.segments = append(l.segments, seg)
		if rebuild {
			if _, err := l.recoverSegment(seg, active); err != nil {
				return err
			}
		}
	}
	if !p.CleanShutdown {
		if err := l.recoverLog(p.RecoveryPoint); err != nil {
			return err
		}
	}
	logStart := p.LogStartOffset
	if len(l.segments) == 0 {
		seg, err := createSegment(l.dir, max(logStart, 0), cfg, l.jitter())
		if err != nil {
			return err
		}
		l.segments = append(l.segments, seg)
	}
	logStart = max(logStart, l.segments[0].baseOffset)
	leo, err := l.active().readNextOffset()
	if err != nil {
		return err
	}
	if leo < logStart {
		l.warnf("Deleting all segments because logEndOffset (%d) is smaller than logStartOffset (%d). This could happen if there is data corruption or if the log start offset checkpoint is stale", leo, logStart)
		for _, s := range l.segments {
			s.closeHandlers()
			removeFiles(s.paths())
		}
		seg, err := createSegment(l.dir, logStart, cfg, l.jitter())
		if err != nil {
			return err
		}
		l.segments = []*LogSegment{seg}
		leo = logStart
	}
	act := l.active()
	if err := act.offsetIndex.resize(int(cfg.MaxIndexSize)); err != nil {
		return err
	}
	if err := act.timeIndex.resize(int(cfg.MaxIndexSize)); err != nil {
		return err
	}
	act.bytesSinceLastIndexEntry = act.size.Load()
	if n := act.offsetIndex.entries(); n > 0 {
		act.bytesSinceLastIndexEntry = act.size.Load() - int64(act.offsetIndex.entry(n-1).Position)
	}
	l.leo.Store(leo)
	l.logStart.Store(logStart)
	// Everything on disk has now been validated (or was flushed before a
	// clean shutdown), so recovery restarts from the end next time.
	l.recoveryPoint.Store(leo)
	l.hw.Store(min(max(p.HighWatermark, logStart), leo))
	l.epochs.truncateFromEnd(leo)
	l.epochs.truncateFromStart(logStart)
	rebuildFrom := int64(math.MaxInt64)
	for _, s := range l.segments {
		if s.txnIndexRebuilt {
			rebuildFrom = s.baseOffset
			break
		}
	}
	return l.loadProducerState(leo, rebuildFrom)
}

// removeTempFilesAndCompleteSwaps deletes *.deleted and *.cleaned files
// and finishes an interrupted swap: a .log.swap replaces its .log (the
// indexes are rebuilt) and every old segment whose offsets it now covers
// is deleted, as Kafka's completeSwapOperations does.
func (l *Log) removeTempFilesAndCompleteSwaps() error {
	entries, err := os.ReadDir(l.dir)
	if err != nil {
		return err
	}
	var swaps []string
	for _, e := range entries {
		name := e.Name()
		path := filepath.Join(l.dir, name)
		switch {
		case strings.HasSuffix(name, DeletedFileSuffix), strings.HasSuffix(name, CleanedFileSuffix),
			strings.HasSuffix(name, ".tmp"):
			l.infof("Deleting stray temporary file %s", path)
			os.Remove(path)
		case strings.HasSuffix(name, SwapFileSuffix):
			if !strings.HasSuffix(strings.TrimSuffix(path, SwapFileSuffix), LogFileSuffix) {
				os.Remove(path)
				continue
			}
			swaps = append(swaps, path)
		}
	}
	for _, path := range swaps {
		if err := l.completeSwap(path); err != nil {
			return err
		}
	}
	return nil
}

func (l *Log) completeSwap(path string) error {
	orig := strings.TrimSuffix(path, SwapFileSuffix)
	l.infof("Found log file %s from interrupted swap operation, repairing.", path)
	prefix := strings.TrimSuffix(orig, LogFileSuffix)
	for _, suf := range []string{IndexFileSuffix, TimeIndexFileSuffix, TxnIndexFileSuffix} {
		os.Remove(prefix + suf)
	}
	if err := os.Rename(path, orig); err != nil {
		return err
	}
	base, err := strconv.ParseInt(filepath.Base(prefix), 10, 64)
	if err != nil {
		return nil
	}
	next, err := logFileNextOffset(orig, base)
	if err != nil {
		return err
	}
	bases, err := l.segmentBaseOffsets()
	if err != nil {
		return err
	}
	for _, b := range bases {
		if b > base && b < next {
			l.infof("Deleting segment %d replaced by the swapped-in segment %d", b, base)
			for _, suf := range []string{LogFileSuffix, IndexFileSuffix, TimeIndexFileSuffix, TxnIndexFileSuffix} {
				os.Remove(segmentFile(l.dir, b, suf))
			}
		}
	}
	return syncDir(l.dir)
}

// logFileNextOffset scans the batch headers of a segment file for the
// offset after its last complete batch (base when it has none).
func logFileNextOffset(path string, base int64) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	size := st.Size()
	next := base
	h := make([]byte, record.BatchHeaderSize)
	for pos := int64(0); pos+record.BatchHeaderSize <= size; {
		if _, err := f.ReadAt(h, pos); err != nil {
			break
		}
		b := record.Batch(h)
		if b.Magic() != record.MagicV2 || b.BatchLength() < record.BatchHeaderSize-record.LogOverhead || pos+int64(b.Size()) > size {
			break
		}
		next = b.NextOffset()
		pos += int64(b.Size())
	}
	return next, nil
}

// segmentBaseOffsets lists the segments' base offsets and removes index
// files whose .log is gone.
func (l *Log) segmentBaseOffsets() ([]int64, error) {
	entries, err := os.ReadDir(l.dir)
	if err != nil {
		return nil, err
	}
	logs := map[string]bool{}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), LogFileSuffix) {
			logs[strings.TrimSuffix(e.Name(), LogFileSuffix)] = true
		}
	}
	var bases []int64
	for _, e := range entries {
		name := e.Name()
		ext := filepath.Ext(name)
		prefix := strings.TrimSuffix(name, ext)
		switch ext {
		case LogFileSuffix:
			if b, err := strconv.ParseInt(prefix, 10, 64); err == nil && len(prefix) == 20 {
				bases = append(bases, b)
			}
		case IndexFileSuffix, TimeIndexFileSuffix, TxnIndexFileSuffix:
			if !logs[prefix] {
				l.warnf("Found an orphaned index file %s, with no corresponding log file.", filepath.Join(l.dir, name))
				os.Remove(filepath.Join(l.dir, name))
			}
		}
	}
	sort.Slice(bases, func(i, j int) bool { return bases[i] < bases[j] })
	return bases, nil
}

// recoverSegment revalidates one segment and rebuilds its indexes.
func (l *Log) recoverSegment(seg *LogSegment, active bool) (int64, error) {
	truncated, err := seg.recover(int(l.cfg.Load().MaxIndexSize), func(b record.Batch) {
		if e := b.PartitionLeaderEpoch(); e >= 0 && e > l.epochs.latestEpoch() {
			l.epochs.assign(e, b.BaseOffset())
		}
	})
	if err != nil {
		return 0, err
	}
	if !active {
		if err := seg.offsetIndex.trimToValidSize(); err != nil {
			return 0, err
		}
		if err := seg.timeIndex.trimToValidSize(); err != nil {
			return 0, err
		}
	}
	return truncated, nil
}

// recoverLog re-validates every segment that may hold unflushed data. A
// segment with an invalid tail is truncated there and every later segment
// is deleted, since nothing after a corrupt batch can be trusted.
func (l *Log) recoverLog(recoveryPoint int64) error {
	for i := 0; i < len(l.segments); i++ {
		seg := l.segments[i]
		if i+1 < len(l.segments) && l.segments[i+1].baseOffset <= recoveryPoint {
			continue
		}
		l.infof("Recovering unflushed segment %d", seg.baseOffset)
		truncated, err := l.recoverSegment(seg, i == len(l.segments)-1)
		if err != nil {
			return err
		}
		if truncated > 0 {
			l.warnf("Found invalid messages in log segment %s at byte offset %d: %d bytes truncated",
				seg.log.Name(), seg.size.Load(), truncated)
			for _, later := range l.segments[i+1:] {
				l.warnf("Deleting segment %d after a corrupt segment", later.baseOffset)
				later.closeHandlers()
				removeFiles(later.paths())
			}
			l.segments = l.segments[:i+1]
			return nil
		}
	}
	return nil
}

func (l *Log) jitter() int64 {
	// Kafka draws the jitter below min(segment.jitter.ms, segment.ms).
	if c := l.cfg.Load(); c.SegmentJitterMs > 0 {
		return rand.Int64N(min(c.SegmentJitterMs, c.SegmentMs))
	}
	return 0
}

func (l *Log) active() *LogSegment { return l.segments[len(l.segments)-1] }

func removeFiles(paths []string) {
	for _, p := range paths {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			logger.Warnf("Failed to delete %s: %v", p, err)
		}
	}
}

// Topic is the partition's topic.
func (l *Log) Topic() string { return l.topic }

// Partition is the partition number.
func (l *Log) Partition() int32 { return l.partition }

// Dir is the partition directory.
func (l *Log) Dir() string {
	l.segMu.RLock() // a log dir move (move_log_dir.go) changes dir under segMu and mu
	defer l.segMu.RUnlock()
	return l.dir
}

// TopicPartition names the log.
func (l *Log) TopicPartition() TopicPartition { return TopicPartition{l.topic, l.partition} }

// Config returns the current configuration.
func (l *Log) Config() Config { return *l.cfg.Load() }

// UpdateConfig applies changed topic configs to future operations.
func (l *Log) UpdateConfig(c Config) {
	s := c.sanitized()
	l.cfg.Store(&s)
}

// LogEndOffset is the offset the next appended record gets.
func (l *Log) LogEndOffset() int64 { return l.leo.Load() }

// LogStartOffset is the first offset readers may fetch.
func (l *Log) LogStartOffset() int64 { return l.logStart.Load() }

// HighWatermark is the last value given to UpdateHighWatermark (clamped).
func (l *Log) HighWatermark() int64 { return l.hw.Load() }

// UpdateHighWatermark stores hw clamped to [log start, log end]; retention
// never deletes past it, and the LogManager checkpoints it.
func (l *Log) UpdateHighWatermark(hw int64) {
	l.hw.Store(min(max(hw, l.logStart.Load()), l.leo.Load()))
}

// RecoveryPoint is the offset up to which the log is known to be fsynced.
func (l *Log) RecoveryPoint() int64 { return l.recoveryPoint.Load() }

// LastFlushTime is the wall time (ms) of the last flush.
func (l *Log) LastFlushTime() int64 { return l.lastFlushMs.Load() }

// Size is the total size of all segments in bytes.
func (l *Log) Size() int64 {
	l.segMu.RLock()
	defer l.segMu.RUnlock()
	var n int64
	for _, s := range l.segments {
		n += s.size.Load()
	}
	return n
}

// NumSegments is the number of segments.
func (l *Log) NumSegments() int {
	l.segMu.RLock()
	defer l.segMu.RUnlock()
	return len(l.segments)
}

// SegmentBaseOffsets lists the segments' base offsets in order.
func (l *Log) SegmentBaseOffsets() []int64 {
	l.segMu.RLock()
	defer l.segMu.RUnlock()
	out := make([]int64, len(l.segments))
	for i, s := range l.segments {
		out[i] = s.baseOffset
	}
	return out
}

// LatestEpoch is the newest leader epoch seen in the log, or -1.
func (l *Log) LatestEpoch() int32 { return l.epochs.latestEpoch() }

// EndOffsetForEpoch answers OffsetForLeaderEpoch: the epoch found and the
// offset where the next epoch starts (or the log end for the latest).
func (l *Log) EndOffsetForEpoch(epoch int32) (int32, int64) {
	return l.epochs.endOffsetFor(epoch, l.leo.Load())
}

// LeaderEpochEntries returns the leader epoch cache.
func (l *Log) LeaderEpochEntries() []EpochEntry { return l.epochs.all() }

// Append is the leader's append: validate the producer's batches (legacy
// formats are up-converted to v2 first), assign offsets from the log end
// by rewriting each batch's base offset and leader epoch in place, stamp
// LogAppendTime when configured, then write to the active segment.
func (l *Log) Append(records []byte, leaderEpoch int32) (AppendResult, error) {
	return l.appendAsLeader(records, leaderEpoch, originClient)
}

// AppendAsCoordinator is the leader append for batches the broker writes
// itself (group metadata, transaction markers): control batches and
// several batches per call are allowed.
func (l *Log) AppendAsCoordinator(records []byte, leaderEpoch int32) (AppendResult, error) {
	return l.appendAsLeader(records, leaderEpoch, originCoordinator)
}

func (l *Log) appendAsLeader(records []byte, leaderEpoch int32, origin appendOrigin) (AppendResult, error) {
	coordinator := origin == originCoordinator
	cfg := l.cfg.Load()
	res := AppendResult{FirstOffset: -1, LastOffset: -1, LogAppendTime: -1}
	if len(records) == 0 {
		res.LogStartOffset = l.logStart.Load()
		return res, nil
	}
	var info record.AppendInfo
	var err error
	if m := record.EntryMagic(records); m == record.MagicV0 || m == record.MagicV1 {
		if records, err = l.upConvert(records, cfg.MaxMessageBytes); err != nil {
			return res, err
		}
		info, err = record.Validate(records, math.MaxInt32)
	} else if coordinator {
		info, err = record.ValidateCoordinator(records, cfg.MaxMessageBytes)
	} else {
		info, err = record.Validate(records, cfg.MaxMessageBytes)
	}
	if err != nil {
		return res, err
	}
	// compression.type other than "producer": store the topic's codec (LogValidator).
	if records, info, err = record.ApplyTopicCompression(records, info, cfg.CompressionType, cfg.MaxMessageBytes); err != nil {
		return res, err
	}
	if int64(len(records)) > cfg.SegmentBytes {
		return res, fmt.Errorf("%w: message batch size is %d bytes in append to partition %s-%d which exceeds the maximum configured segment size of %d",
			record.ErrRecordBatchTooLarge, len(records), l.topic, l.partition, cfg.SegmentBytes)
	}

	l.mu.Lock()
	if l.closed.Load() {
		l.mu.Unlock()
		return res, ErrLogClosed
	}
	dup, err := l.validateProducers(records, origin, info.Batches)
	if err != nil {
		l.mu.Unlock()
		return res, err
	}
	if dup != nil {
		l.mu.Unlock()
		logger.Debugf("%sAppend of a duplicate batch (producer %d, sequences %d..%d) answered with offsets %d..%d",
			l.prefix(), record.Batch(records).ProducerID(), dup.firstSeq(), dup.lastSeq, dup.firstOffset(), dup.lastOffset)
		res.FirstOffset, res.LastOffset, res.Duplicate = dup.firstOffset(), dup.lastOffset, true
		res.LogStartOffset = l.logStart.Load()
		return res, nil
	}
	first := l.leo.Load()
	now := time.Now().UnixMilli()
	next := first
	for off := 0; off < len(records); {
		b := record.Batch(records[off:])
		b.SetBaseOffset(next)
		b.SetPartitionLeaderEpoch(leaderEpoch)
		if cfg.logAppendTime() {
			b.SetLogAppendTime(now)
		}
		next += int64(b.LastOffsetDelta()) + 1
		off += b.Size()
	}
	maxTs := info.MaxTimestamp
	if cfg.logAppendTime() {
		maxTs = now
		res.LogAppendTime = now
	}
	seg, err := l.appendLocked(records, first, next-1, maxTs, now)
	if err != nil {
		l.mu.Unlock()
		return res, err
	}
	if leaderEpoch >= 0 {
		l.epochs.assign(leaderEpoch, first)
	}
	l.updateProducers(records, seg)
	unflushed := next - l.recoveryPoint.Load()
	l.mu.Unlock()

	res.FirstOffset, res.LastOffset, res.Records = first, next-1, info.Records
	res.LogStartOffset = l.logStart.Load()
	if unflushed >= cfg.FlushIntervalMessages {
		if err := l.Flush(); err != nil {
			return res, err
		}
	}
	return res, nil
}

// upConvert checks legacy message sizes against max.message.bytes (as
// Kafka does on the original entries) and converts them to one v2 batch.
func (l *Log) upConvert(records []byte, maxMessageBytes int32) ([]byte, error) {
	var tooBig error
	err := record.IterateEntries(records, func(e []byte) bool {
		if len(e) > int(maxMessageBytes) {
			tooBig = fmt.Errorf("%w: the message is %d bytes which is larger than the maximum allowed %d", record.ErrRecordTooLarge, len(e), maxMessageBytes)
			return false
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	if tooBig != nil {
		return nil, tooBig
	}
	return record.ConvertToV2(records)
}

// AppendAsFollower appends batches copied from the leader, keeping their
// offsets and leader epochs.
func (l *Log) AppendAsFollower(records []byte) (AppendResult, error) {
	res := AppendResult{FirstOffset: -1, LastOffset: -1, LogAppendTime: -1}
	if len(records) == 0 {
		res.LogStartOffset = l.logStart.Load()
		return res, nil
	}
	info, err := record.ValidateFollower(records)
	if err != nil {
		return res, err
	}
	if !info.OffsetsMonotonic {
		return res, fmt.Errorf("%w: out of order offsets found in append to %s-%d", ErrOffsetsOutOfOrder, l.topic, l.partition)
	}
	l.mu.Lock()
	if l.closed.Load() {
		l.mu.Unlock()
		return res, ErrLogClosed
	}
	if leo := l.leo.Load(); info.FirstOffset < leo {
		l.mu.Unlock()
		return res, fmt.Errorf("%w: unexpected offset in append to %s-%d. First offset %d is less than the next offset %d",
			ErrUnexpectedAppendOffset, l.topic, l.partition, info.FirstOffset, leo)
	}
	seg, err := l.appendLocked(records, info.FirstOffset, info.LastOffset, info.MaxTimestamp, time.Now().UnixMilli())
	if err != nil {
		l.mu.Unlock()
		return res, err
	}
	for off := 0; off < len(records); {
		b := record.Batch(records[off:])
		if e := b.PartitionLeaderEpoch(); e >= 0 && e > l.epochs.latestEpoch() {
			l.epochs.assign(e, b.BaseOffset())
		}
		off += b.Size()
	}
	l.updateProducers(records, seg)
	unflushed := info.LastOffset + 1 - l.recoveryPoint.Load()
	l.mu.Unlock()
	res.FirstOffset, res.LastOffset, res.Records = info.FirstOffset, info.LastOffset, info.Records
	res.LogStartOffset = l.logStart.Load()
	if unflushed >= l.cfg.Load().FlushIntervalMessages {
		if err := l.Flush(); err != nil {
			return res, err
		}
	}
	return res, nil
}

// appendLocked rolls if needed, writes, and publishes the new log end.
func (l *Log) appendLocked(records []byte, firstOffset, lastOffset, maxTs, nowMs int64) (*LogSegment, error) {
	seg, err := l.maybeRoll(len(records), firstOffset, lastOffset, maxTs, nowMs)
	if err != nil {
		return nil, err
	}
	if err := seg.append(records); err != nil {
		return nil, fmt.Errorf("error appending to %s: %w", seg.log.Name(), err)
	}
	l.leo.Store(lastOffset + 1)
	return seg, nil
}

// maybeRoll applies Kafka's roll rules: the segment would exceed
// segment.bytes, it is older than segment.ms minus its jitter, an index is
// full, or the new offsets do not fit a 32-bit relative offset.
func (l *Log) maybeRoll(size int, firstOffset, lastOffset, maxTs, nowMs int64) (*LogSegment, error) {
	cfg := l.cfg.Load()
	seg := l.active()
	segSize := seg.size.Load()
	var reason string
	switch {
	case segSize > cfg.SegmentBytes-int64(size):
		reason = "segment size"
	case segSize > 0 && seg.timeWaitedForRoll(nowMs, maxTs) > cfg.SegmentMs-seg.rollJitterMs:
		reason = "segment age"
	case seg.offsetIndex.isFull(), seg.timeIndex.isFull():
		reason = "index full"
	case lastOffset-seg.baseOffset > math.MaxInt32 || firstOffset < seg.baseOffset:
		reason = "offset overflow"
	default:
		return seg, nil
	}
	logger.Debugf("%sRolling new log segment because of %s", l.prefix(), reason)
	return l.roll(firstOffset)
}

// roll seals the active segment and starts a new one at newBase. An empty
// active segment is replaced instead of sealed.
func (l *Log) roll(newBase int64) (*LogSegment, error) {
	start := time.Now()
	cfg := l.cfg.Load()
	l.snapshotOnRoll(newBase)
	l.segMu.Lock()
	old := l.active()
	var dropped *LogSegment
	if old.size.Load() == 0 {
		if old.baseOffset == newBase {
			l.segMu.Unlock()
			return old, nil
		}
		dropped = old
		l.segments = l.segments[:len(l.segments)-1]
	} else if err := old.onBecomeInactive(); err != nil {
		l.segMu.Unlock()
		return nil, err
	}
	seg, err := createSegment(l.dir, newBase, cfg, l.jitter())
	if err != nil {
		if dropped != nil {
			l.segments = append(l.segments, dropped)
		}
		l.segMu.Unlock()
		return nil, err
	}
	l.segments = append(l.segments, seg)
	l.segMu.Unlock()
	if dropped != nil {
		dropped.closeHandlers()
		removeFiles(dropped.paths())
	}
	l.infof("Rolled new log segment at offset %d in %d ms.", newBase, time.Since(start).Milliseconds())
	// Like Kafka, flush the sealed segments in the background so the
	// recovery point follows the rolls.
	l.bg.Add(1)
	go func() {
		defer l.bg.Done()
		if err := l.flushTo(newBase); err != nil {
			l.errorf("Error flushing log up to offset %d: %v", newBase, err)
		}
	}()
	return seg, nil
}

// Read returns whole batches starting at the batch that contains
// startOffset, stopping before any batch that reaches maxOffset (exclusive
// bound such as the high watermark) and within maxBytes, except that with
// minOneBatch the first batch is returned even if it is larger. Reading at
// the log end returns nothing; outside [log start, log end] is
// ErrOffsetOutOfRange.
func (l *Log) Read(startOffset int64, maxBytes int32, maxOffset int64, minOneBatch bool) (FetchDataInfo, error) {
	leo := l.leo.Load()
	if startOffset == leo {
		return FetchDataInfo{}, nil
	}
	if ls := l.logStart.Load(); startOffset < ls || startOffset > leo {
		return FetchDataInfo{}, fmt.Errorf("%w: received request for offset %d for partition %s-%d, but we only have log segments in the range %d to %d.",
			ErrOffsetOutOfRange, startOffset, l.topic, l.partition, ls, leo)
	}
	if maxOffset < 0 || maxOffset > leo {
		maxOffset = leo
	}
	l.segMu.RLock()
	defer l.segMu.RUnlock()
	if l.closed.Load() {
		return FetchDataInfo{}, ErrLogClosed
	}
	i := sort.Search(len(l.segments), func(i int) bool { return l.segments[i].baseOffset > startOffset }) - 1
	for i = max(i, 0); i < len(l.segments); i++ {
		data, found, err := l.segments[i].read(startOffset, int(max(maxBytes, 0)), maxOffset, minOneBatch)
		if err != nil {
			return FetchDataInfo{}, err
		}
		if found {
			return FetchDataInfo{Records: data}, nil
		}
	}
	return FetchDataInfo{}, nil
}

// FetchOffsetByTimestamp returns the first offset whose record timestamp is
// >= ts (ListOffsets). -2 gives the log start and -1 the log end, both
// with timestamp -1.
func (l *Log) FetchOffsetByTimestamp(ts int64) (offset int64, timestamp int64, found bool) {
	switch ts {
	case EarliestTimestamp:
		return l.logStart.Load(), record.NoTimestamp, true
	case LatestTimestamp:
		return l.leo.Load(), record.NoTimestamp, true
	}
	l.segMu.RLock()
	defer l.segMu.RUnlock()
	if l.closed.Load() {
		return -1, -1, false
	}
	start := l.logStart.Load()
	for i, s := range l.segments {
		if i+1 < len(l.segments) && l.segments[i+1].baseOffset <= start {
			continue
		}
		if s.largestTimestamp() < ts {
			continue
		}
		off, t, ok, err := s.findOffsetByTimestamp(ts, start)
		if err != nil {
			l.warnf("Error searching segment %d for timestamp %d: %v", s.baseOffset, ts, err)
			return -1, -1, false
		}
		if ok {
			return off, t, true
		}
	}
	return -1, -1, false
}

// TruncateTo removes everything from offset on (a follower diverging from
// its leader). It is a no-op when offset >= the log end.
func (l *Log) TruncateTo(offset int64) error {
	if offset < 0 {
		return fmt.Errorf("cannot truncate partition %s-%d to a negative offset (%d)", l.topic, l.partition, offset)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed.Load() {
		return ErrLogClosed
	}
	if offset >= l.leo.Load() {
		return nil
	}
	l.infof("Truncating to offset %d", offset)
	l.noteTruncation(offset)
	if l.segments[0].baseOffset > offset {
		return l.truncateFullyLocked(offset)
	}
	cfg := l.cfg.Load()
	l.segMu.Lock()
	cut := sort.Search(len(l.segments), func(i int) bool { return l.segments[i].baseOffset > offset })
	removed := append([]*LogSegment(nil), l.segments[cut:]...)
	l.segments = l.segments[:cut]
	act := l.active()
	_, err := act.truncateTo(offset, int(cfg.MaxIndexSize))
	var leo int64
	if err == nil {
		leo, err = act.readNextOffset()
	}
	l.segMu.Unlock()
	l.deleteSegmentFiles(removed)
	if err != nil {
		return err
	}
	l.leo.Store(leo)
	if ls := l.logStart.Load(); leo < ls {
		l.logStart.Store(leo)
	}
	if l.recoveryPoint.Load() > leo {
		l.recoveryPoint.Store(leo)
	}
	if l.hw.Load() > leo {
		l.hw.Store(leo)
	}
	l.epochs.truncateFromEnd(leo)
	return l.loadProducerState(leo, math.MaxInt64)
}

// TruncateFullyAndStartAt deletes every segment and restarts the log empty
// at offset.
func (l *Log) TruncateFullyAndStartAt(offset int64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed.Load() {
		return ErrLogClosed
	}
	return l.truncateFullyLocked(offset)
}

func (l *Log) truncateFullyLocked(offset int64) error {
	l.infof("Truncating to offset %d and starting at it (all segments deleted)", offset)
	l.noteTruncation(offset)
	l.segMu.Lock()
	old := l.segments
	for _, s := range old {
		s.markedPaths = s.markDeleted()
	}
	seg, err := createSegment(l.dir, offset, l.cfg.Load(), l.jitter())
	if err != nil {
		l.segMu.Unlock()
		return err
	}
	l.segments = []*LogSegment{seg}
	l.segMu.Unlock()
	l.scheduleDeletion(old)
	l.leo.Store(offset)
	l.logStart.Store(offset)
	l.recoveryPoint.Store(offset)
	l.hw.Store(offset)
	l.epochs.clearAndFlush()
	l.producers.deleteSnapshotsWhere(func(int64) bool { return true })
	l.producers.replaceWith(newProducerState(l.dir))
	l.producers.mapEndOffset, l.producers.lastSnapOffset = offset, offset
	return nil
}

// deleteSegmentFiles renames removed segments to *.deleted and unlinks
// them after file.delete.delay.ms, like Kafka's asynchronous delete.
func (l *Log) deleteSegmentFiles(segs []*LogSegment) {
	for _, s := range segs {
		s.markedPaths = s.markDeleted()
	}
	l.scheduleDeletion(segs)
}

func (l *Log) scheduleDeletion(segs []*LogSegment) {
	if len(segs) == 0 {
		return
	}
	var paths []string
	for _, s := range segs {
		s.closeHandlers()
		paths = append(paths, s.markedPaths...)
	}
	delay := time.Duration(l.cfg.Load().FileDeleteDelayMs) * time.Millisecond
	if delay <= 0 {
		removeFiles(paths)
		return
	}
	time.AfterFunc(delay, func() { removeFiles(paths) })
}

// DeleteOldSegments applies retention (Kafka 2.8): with a delete cleanup
// policy, segments past retention.ms (by largest timestamp) and beyond
// retention.bytes, and always segments wholly below the log start offset.
// Only segments below the high watermark go, the active one included if
// it is not empty (a new one is rolled first). It returns how many
// segments were deleted.
func (l *Log) DeleteOldSegments() (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed.Load() {
		return 0, nil
	}
	cfg := l.cfg.Load()
	l.producers.removeExpired(time.Now().UnixMilli())
	total := 0
	defer func() {
		if first := l.segments[0].baseOffset; len(l.producers.snapshots) > 0 && l.producers.snapshots[0] < first {
			l.producers.deleteSnapshotsWhere(func(off int64) bool { return off < first })
		}
	}()
	if cfg.deleteEnabled() {
		if cfg.RetentionMs >= 0 {
			now := time.Now().UnixMilli()
			n, err := l.deleteOldSegmentsLocked(func(s, _ *LogSegment) bool {
				return now-s.largestTimestamp() > cfg.RetentionMs
			}, fmt.Sprintf("retention time %dms breach", cfg.RetentionMs))
			if err != nil {
				return total, err
			}
			total += n
		}
		if cfg.RetentionBytes >= 0 {
			if diff := l.Size() - cfg.RetentionBytes; diff > 0 {
				n, err := l.deleteOldSegmentsLocked(func(s, _ *LogSegment) bool {
					if diff-s.size.Load() >= 0 {
						diff -= s.size.Load()
						return true
					}
					return false
				}, fmt.Sprintf("retention size in bytes %d breach", cfg.RetentionBytes))
				if err != nil {
					return total, err
				}
				total += n
			}
		}
	}
	ls := l.logStart.Load()
	n, err := l.deleteOldSegmentsLocked(func(_, next *LogSegment) bool {
		return next != nil && next.baseOffset <= ls
	}, fmt.Sprintf("log start offset %d breach", ls))
	return total + n, err
}

func (l *Log) deleteOldSegmentsLocked(pred func(s, next *LogSegment) bool, reason string) (int, error) {
	hw, leo := l.hw.Load(), l.leo.Load()
	var deletable []*LogSegment
	for i, s := range l.segments {
		var next *LogSegment
		upper, lastAndEmpty := leo, false
		if i+1 < len(l.segments) {
			next = l.segments[i+1]
			upper = next.baseOffset
		} else {
			lastAndEmpty = s.size.Load() == 0
		}
		if hw < upper || lastAndEmpty || !pred(s, next) {
			break
		}
		deletable = append(deletable, s)
	}
	if len(deletable) == 0 {
		return 0, nil
	}
	bases := make([]string, len(deletable))
	for i, s := range deletable {
		bases[i] = strconv.FormatInt(s.baseOffset, 10)
	}
	l.infof("Found deletable segments with base offsets [%s] due to %s", strings.Join(bases, ","), reason)
	if len(deletable) == len(l.segments) {
		if _, err := l.roll(leo); err != nil {
			return 0, err
		}
	}
	l.segMu.Lock()
	l.segments = l.segments[len(deletable):]
	newStart := l.segments[0].baseOffset
	l.segMu.Unlock()
	if newStart > l.logStart.Load() {
		l.logStart.Store(newStart)
		l.epochs.truncateFromStart(newStart)
		l.infof("Incremented log start offset to %d due to SegmentDeletion", newStart)
	}
	l.infof("Deleting segments %s", strings.Join(bases, ","))
	l.deleteSegmentFiles(deletable)
	return len(deletable), nil
}

// MaybeIncrementLogStartOffset moves the log start forward (DeleteRecords
// or a follower tracking its leader); it may not pass the high watermark.
func (l *Log) MaybeIncrementLogStartOffset(off int64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if hw := l.hw.Load(); off > hw {
		return fmt.Errorf("%w: cannot increment the log start offset to %d of partition %s-%d since it is larger than the high watermark %d",
			ErrOffsetOutOfRange, off, l.topic, l.partition, hw)
	}
	if off > l.logStart.Load() {
		l.logStart.Store(off)
		l.epochs.truncateFromStart(off)
		l.infof("Incremented log start offset to %d due to ClientRecordDeletion", off)
	}
	return nil
}

// Flush fsyncs everything up to the log end and moves the recovery point.
func (l *Log) Flush() error { return l.flushTo(l.leo.Load()) }

// flushTo fsyncs the segments holding [recovery point, offset) without
// holding the append lock, then advances the recovery point.
func (l *Log) flushTo(offset int64) error {
	rp := l.recoveryPoint.Load()
	if offset <= rp {
		return nil
	}
	l.segMu.RLock()
	var segs []*LogSegment
	for i, s := range l.segments {
		if i+1 < len(l.segments) && l.segments[i+1].baseOffset <= rp {
			continue
		}
		if s.baseOffset >= offset && i > 0 {
			break
		}
		segs = append(segs, s)
	}
	l.segMu.RUnlock()
	for _, s := range segs {
		if err := s.flush(); err != nil {
			return err
		}
	}
	if err := syncDir(l.Dir()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	l.mu.Lock()
	if offset > l.recoveryPoint.Load() && offset <= l.leo.Load() {
		l.recoveryPoint.Store(offset)
	}
	l.lastFlushMs.Store(time.Now().UnixMilli())
	l.mu.Unlock()
	return nil
}

// Close seals the active segment (trimming its indexes) and closes every
// file. It does not fsync; call Flush first for a clean shutdown.
func (l *Log) Close() error {
	l.mu.Lock()
	if l.closed.Load() {
		l.mu.Unlock()
		return nil
	}
	l.closed.Store(true)
	l.producers.mapEndOffset = l.leo.Load()
	if err := l.producers.takeSnapshot(); err != nil {
		l.warnf("Error writing producer snapshot at offset %d on close: %v", l.leo.Load(), err)
	}
	l.mu.Unlock()
	l.bg.Wait()
	l.segMu.Lock()
	defer l.segMu.Unlock()
	var err error
	for _, s := range l.segments {
		if e := s.close(); e != nil && err == nil {
			err = e
		}
	}
	return err
}
