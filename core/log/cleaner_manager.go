package log

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"sort"
	"sync"
	"time"
)

// CleanerOffsetCheckpointFile records, per log dir, where each compacted
// log's dirty section starts.
const CleanerOffsetCheckpointFile = "cleaner-offset-checkpoint"

// Kafka's defaults for the cleaner settings of ManagerConfig.
const (
	DefaultCleanerThreads          = 1
	DefaultCleanerBackoffMs        = 15000
	DefaultCleanerDedupeBufferSize = 128 << 20
	DefaultCleanerIoBufferSize     = 512 << 10
)

// LogCleaner runs the cleaner threads of a LogManager and decides which
// log each cleans next (Kafka's LogCleaner with its LogCleanerManager):
// the compacted log with the largest dirty ratio above its
// min.cleanable.dirty.ratio, or any log whose dirty data is older than
// max.compaction.lag.ms. It keeps the cleaner-offset-checkpoint files.
type LogCleaner struct {
	m           *LogManager
	threads     int
	backoff     time.Duration
	dedupeBytes int64
	ioBuffer    int

	mu          sync.Mutex
	changed     *sync.Cond // signalled when a clean ends or a checkpoint moves
	inProgress  map[TopicPartition]*cleaningState
	uncleanable map[TopicPartition]bool
	checkpoints map[string]map[TopicPartition]int64 // log dir -> checkpoint

	stop     chan struct{}
	stopOnce sync.Once
	wg       sync.WaitGroup
}

type cleaningState struct{ aborted bool }

func newLogCleaner(m *LogManager) *LogCleaner {
	c := m.cfg
	threads := c.CleanerThreads
	if threads <= 0 {
		threads = DefaultCleanerThreads
	}
	lc := &LogCleaner{m: m, threads: threads,
		backoff:     time.Duration(orDefault(c.CleanerBackoffMs, DefaultCleanerBackoffMs)) * time.Millisecond,
		dedupeBytes: orDefault(c.CleanerDedupeBufferSize, DefaultCleanerDedupeBufferSize),
		ioBuffer:    int(orDefault(int64(c.CleanerIoBufferSize), DefaultCleanerIoBufferSize)),
		inProgress:  map[TopicPartition]*cleaningState{}, uncleanable: map[TopicPartition]bool{},
		checkpoints: map[string]map[TopicPartition]int64{}, stop: make(chan struct{})}
	lc.changed = sync.NewCond(&lc.mu)
	for _, dir := range m.cfg.Dirs {
		lc.checkpoints[dir] = readCheckpointOrWarn(dir, CleanerOffsetCheckpointFile)
	}
	return lc
}

// startup starts the cleaner threads.
func (c *LogCleaner) startup() {
	cleanerLogger.Info("Starting the log cleaner")
	for i := 0; i < c.threads; i++ {
		c.wg.Add(1)
		go c.run(i)
	}
}

// shutdown stops the threads, aborting cleans in progress.
func (c *LogCleaner) shutdown() {
	cleanerLogger.Info("Shutting down the log cleaner.")
	c.stopOnce.Do(func() { close(c.stop) })
	c.wg.Wait()
}

func (c *LogCleaner) stopping() bool {
	select {
	case <-c.stop:
		return true
	default:
		return false
	}
}

func (c *LogCleaner) run(id int) {
	defer c.wg.Done()
	name := fmt.Sprintf("kafka-log-cleaner-thread-%d", id)
	cleanerLogger.Infof("[%s]: Starting", name)
	cl := newCleaner(id, c.dedupeBytes/int64(c.threads), c.ioBuffer, c.checkDone)
	for !c.stopping() {
		cleaned := c.cleanFilthiestLog(cl)
		c.deleteOldSegments()
		if !cleaned {
			select {
			case <-c.stop:
			case <-time.After(c.backoff):
			}
		}
	}
	cleanerLogger.Infof("[%s]: Stopped", name)
}

// checkDone aborts a clean when the cleaner stops or the log's cleaning
// was aborted (topic deletion).
func (c *LogCleaner) checkDone(tp TopicPartition) error {
	if c.stopping() {
		return fmt.Errorf("%w: the cleaner is shutting down", errCleaningAborted)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if st := c.inProgress[tp]; st != nil && st.aborted {
		return fmt.Errorf("%w: cleaning of %s was aborted", errCleaningAborted, tp)
	}
	return nil
}

// CleanFilthiestLog runs one round on the calling goroutine: it cleans the
// dirtiest eligible log, if any, and reports whether it cleaned one. It
// serves tests and tools; the cleaner threads do the same in a loop.
func (c *LogCleaner) CleanFilthiestLog() bool {
	return c.cleanFilthiestLog(newCleaner(0, c.dedupeBytes/int64(c.threads), c.ioBuffer, c.checkDone))
}

func (c *LogCleaner) cleanFilthiestLog(cl *cleaner) bool {
	ltc := c.grabFilthiestCompactedLog(time.Now().UnixMilli())
	if ltc == nil {
		return false
	}
	tp := ltc.log.TopicPartition()
	endOffset := ltc.firstDirtyOffset
	defer func() { c.doneCleaning(ltc.log, endOffset) }()
	next, stats, err := cl.clean(ltc)
	switch {
	case err == nil:
		endOffset = next
		c.recordStats(cl.id, tp.String(), ltc.firstDirtyOffset, next, stats)
		// A clean that could not move the checkpoint would be picked again
		// at once; let the thread back off instead.
		return next > ltc.firstDirtyOffset
	case errors.Is(err, errCleaningAborted):
		cleanerLogger.Infof("Cleaner %d: Cleaning of log %s stopped: %v", cl.id, tp, err)
	default:
		cleanerLogger.Warnf("Unexpected exception thrown when cleaning log %s. Marking its partition (%s) as uncleanable: %v", ltc.log.Dir(), tp, err)
		c.mu.Lock()
		c.uncleanable[tp] = true
		c.mu.Unlock()
	}
	return true
}

// deleteOldSegments applies retention to the compacted logs that are not
// being cleaned (for "compact,delete" by time and size, for all by the log
// start offset), keeping the cleaner off them meanwhile.
func (c *LogCleaner) deleteOldSegments() {
	c.mu.Lock()
	var logs []*Log
	for _, l := range c.m.AllLogs() {
		tp := l.TopicPartition()
		if l.cfg.Load().compactEnabled() && c.inProgress[tp] == nil && !c.uncleanable[tp] {
			c.inProgress[tp] = &cleaningState{}
			logs = append(logs, l)
		}
	}
	c.mu.Unlock()
	for _, l := range logs {
		if _, err := l.DeleteOldSegments(); err != nil {
			cleanerLogger.Errorf("Error while deleting old segments of %s: %v", l.TopicPartition(), err)
		}
	}
	c.mu.Lock()
	for _, l := range logs {
		delete(c.inProgress, l.TopicPartition())
	}
	c.changed.Broadcast()
	c.mu.Unlock()
}

func mb(n int64) float64 { return float64(n) / (1024 * 1024) }

func (c *LogCleaner) recordStats(id int, name string, from, to int64, s *cleanerStats) {
	total := s.end.Sub(s.start).Seconds()
	index := s.mapDone.Sub(s.start).Seconds()
	rate := func(b int64, secs float64) float64 {
		if secs <= 0 {
			return 0
		}
		return mb(b) / secs
	}
	pct := func(a, b float64) float64 {
		if b == 0 {
			return 0
		}
		return 100 * a / b
	}
	cleanerLogger.Infof("\n\tLog cleaner thread %d cleaned log %s (dirty section = [%d, %d])\n"+
		"\t%.1f MB of log processed in %.1f seconds (%.1f MB/sec).\n"+
		"\tIndexed %.1f MB in %.1f seconds (%.1f Mb/sec, %.1f%% of total time)\n"+
		"\tBuffer utilization: %.1f%%\n"+
		"\tCleaned %.1f MB in %.1f seconds (%.1f Mb/sec, %.1f%% of total time)\n"+
		"\tStart size: %.1f MB (%d messages)\n"+
		"\tEnd size: %.1f MB (%d messages)\n"+
		"\t%.1f%% size reduction (%.1f%% fewer messages)",
		id, name, from, to,
		mb(s.bytesRead), total, rate(s.bytesRead, total),
		mb(s.mapBytesRead), index, rate(s.mapBytesRead, index), pct(index, total),
		100*s.bufferUtilization,
		mb(s.bytesRead), total-index, rate(s.bytesRead, total-index), pct(total-index, total),
		mb(s.bytesRead), s.messagesRead,
		mb(s.bytesWritten), s.messagesWritten,
		100-pct(float64(s.bytesWritten), float64(s.bytesRead)), 100-pct(float64(s.messagesWritten), float64(s.messagesRead)))
}

// cleanableOffsets returns where the dirty section starts and the first
// offset that may not be cleaned: not the active segment, nothing at or
// past the high watermark, nothing younger than min.compaction.lag.ms. A
// checkpoint outside [log start, log end] is reset to the log start.
func cleanableOffsets(l *Log, segs []*LogSegment, checkpoint int64, hasCheckpoint bool, nowMs int64) (firstDirty, firstUncleanable int64, forceUpdate bool) {
	cfg := l.cfg.Load()
	logStart := l.LogStartOffset()
	firstDirty = logStart
	switch {
	case !hasCheckpoint:
	case checkpoint < logStart:
		if !cfg.isCompactAndDelete() {
			cleanerLogger.Warnf("Resetting first dirty offset of %s to log start offset %d since the checkpointed offset %d is invalid.",
				l.TopicPartition(), logStart, checkpoint)
		}
		forceUpdate = true
	case checkpoint > l.LogEndOffset():
		cleanerLogger.Warnf("The last checkpoint dirty offset for partition %s is %d, which is larger than the log end offset %d. Resetting to the log start offset %d.",
			l.TopicPartition(), checkpoint, l.LogEndOffset(), logStart)
		forceUpdate = true
	default:
		firstDirty = checkpoint
	}
	active := segs[len(segs)-1]
	firstUncleanable = min(l.HighWatermark(), active.baseOffset)
	if lag := cfg.MinCompactionLagMs; lag > 0 {
		for _, s := range segmentsBetween(segs[:len(segs)-1], firstDirty, active.baseOffset) {
			if s.largestTimestamp() > nowMs-lag {
				firstUncleanable = min(firstUncleanable, s.baseOffset)
				break
			}
		}
	}
	return firstDirty, max(firstDirty, firstUncleanable), forceUpdate
}

// newLogToClean measures a candidate; the uncleanable offset is rounded
// down to the base of the segment holding it, since only whole sealed
// segments are cleaned.
func newLogToClean(l *Log, segs []*LogSegment, firstDirty, uncleanable int64, needNow bool) *logToClean {
	active := segs[len(segs)-1]
	fu := active.baseOffset
	if nonActive := segmentsBetween(segs[:len(segs)-1], uncleanable, active.baseOffset); len(nonActive) > 0 {
		fu = nonActive[0].baseOffset
	}
	ltc := &logToClean{log: l, firstDirtyOffset: firstDirty, firstUncleanableOffset: fu, needCompactionNow: needNow}
	for _, s := range segs {
		if s.baseOffset < firstDirty {
			ltc.cleanBytes += s.size.Load()
		}
	}
	for _, s := range segmentsBetween(segs, min(firstDirty, fu), fu) {
		ltc.cleanableBytes += s.size.Load()
	}
	return ltc
}

// maxCompactionDelay is how far the oldest dirty sealed segment's first
// batch is past max.compaction.lag.ms (0 when it is not).
func maxCompactionDelay(l *Log, segs []*LogSegment, firstDirty, nowMs int64) int64 {
	active := segs[len(segs)-1]
	earliest := int64(math.MaxInt64)
	for _, s := range segmentsBetween(segs[:len(segs)-1], firstDirty, active.baseOffset) {
		if ts := s.firstBatchTimestamp(); ts > 0 && ts < earliest {
			earliest = ts
		}
	}
	cleanUntil := nowMs - max(l.cfg.Load().MaxCompactionLagMs, 0)
	if earliest < cleanUntil {
		return cleanUntil - earliest
	}
	return 0
}

// grabFilthiestCompactedLog picks the next log to clean and marks it in
// progress.
func (c *LogCleaner) grabFilthiestCompactedLog(nowMs int64) *logToClean {
	c.mu.Lock()
	defer c.mu.Unlock()
	var best *logToClean
	for _, l := range c.m.AllLogs() {
		cfg := l.cfg.Load()
		tp := l.TopicPartition()
		if !cfg.compactEnabled() || c.inProgress[tp] != nil || c.uncleanable[tp] || l.closed.Load() {
			continue
		}
		dir := filepath.Dir(l.Dir())
		gen := l.truncations.Load()
		ckpt, has := c.checkpoints[dir][tp]
		if t := l.takeTruncationPoint(); has && t < ckpt {
			ckpt = t
			c.setCheckpointLocked(dir, tp, t)
		}
		segs := l.segmentsSnapshot()
		firstDirty, uncleanable, force := cleanableOffsets(l, segs, ckpt, has, nowMs)
		if force {
			c.setCheckpointLocked(dir, tp, firstDirty)
		}
		needNow := maxCompactionDelay(l, segs, firstDirty, nowMs) > 0
		ltc := newLogToClean(l, segs, firstDirty, uncleanable, needNow)
		ltc.truncations = gen
		if ltc.totalBytes() == 0 {
			continue
		}
		if !(needNow && ltc.cleanableBytes > 0) && !(ltc.cleanableRatio() > cfg.MinCleanableDirtyRatio) {
			continue
		}
		if best == nil || ltc.cleanableRatio() > best.cleanableRatio() {
			best = ltc
		}
	}
	if best != nil {
		c.inProgress[best.log.TopicPartition()] = &cleaningState{}
	}
	return best
}

// doneCleaning ends a clean: the checkpoint moves to endOffset unless the
// clean was aborted by a deletion.
func (c *LogCleaner) doneCleaning(l *Log, endOffset int64) {
	tp := l.TopicPartition()
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.inProgress[tp]
	delete(c.inProgress, tp)
	if st == nil || !st.aborted {
		if t := l.takeTruncationPoint(); t < endOffset {
			endOffset = t
		}
		c.setCheckpointLocked(filepath.Dir(l.Dir()), tp, endOffset)
	}
	c.changed.Broadcast()
}

// setCheckpointLocked records and writes one log's checkpoint; entries of
// logs no longer in the dir are dropped, as Kafka does.
func (c *LogCleaner) setCheckpointLocked(dir string, tp TopicPartition, offset int64) {
	ck := c.checkpoints[dir]
	if ck == nil {
		ck = map[TopicPartition]int64{}
		c.checkpoints[dir] = ck
	}
	ck[tp] = offset
	c.writeCheckpointLocked(dir)
	c.changed.Broadcast()
}

func (c *LogCleaner) writeCheckpointLocked(dir string) {
	live := map[TopicPartition]bool{}
	for _, l := range c.m.AllLogs() {
		if filepath.Dir(l.Dir()) == dir {
			live[l.TopicPartition()] = true
		}
	}
	ck := c.checkpoints[dir]
	for tp := range ck {
		if !live[tp] {
			delete(ck, tp)
		}
	}
	if err := WriteCheckpoint(filepath.Join(dir, CleanerOffsetCheckpointFile), ck); err != nil {
		cleanerLogger.Errorf("Failed to write %s in %s: %v", CleanerOffsetCheckpointFile, dir, err)
	}
}

// abortAndWaitLocked marks a clean of tp in progress as aborted and waits
// until the cleaner has let go of it. Caller holds c.mu.
func (c *LogCleaner) abortAndWaitLocked(tp TopicPartition) {
	for {
		st := c.inProgress[tp]
		if st == nil {
			return
		}
		st.aborted = true
		c.changed.Wait()
	}
}

// abortCleaning stops any clean of tp, waits for it to end and forgets
// its checkpoint (the log is being deleted).
func (c *LogCleaner) abortCleaning(tp TopicPartition, dir string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.abortAndWaitLocked(tp)
	delete(c.uncleanable, tp)
	if ck := c.checkpoints[dir]; ck != nil {
		if _, ok := ck[tp]; ok {
			delete(ck, tp)
			c.writeCheckpointLocked(dir)
		}
	}
	cleanerLogger.Infof("The cleaning for partition %s is aborted", tp)
}

// Checkpoints returns the cleaner checkpoints of every log dir merged.
func (c *LogCleaner) Checkpoints() map[TopicPartition]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[TopicPartition]int64{}
	for _, ck := range c.checkpoints {
		for tp, off := range ck {
			out[tp] = off
		}
	}
	return out
}

// AwaitCleaned waits until the partition's cleaner checkpoint reaches
// offset, or the timeout passes; it reports whether it did.
func (c *LogCleaner) AwaitCleaned(topic string, partition int32, offset int64, timeout time.Duration) bool {
	tp := TopicPartition{topic, partition}
	deadline := time.Now().Add(timeout)
	t := time.AfterFunc(timeout, func() {
		c.mu.Lock()
		c.changed.Broadcast()
		c.mu.Unlock()
	})
	defer t.Stop()
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		for _, ck := range c.checkpoints {
			if off, ok := ck[tp]; ok && off >= offset {
				return true
			}
		}
		if !time.Now().Before(deadline) {
			return false
		}
		c.changed.Wait()
	}
}

// uncleanablePartitions lists partitions skipped after a cleaning error.
func (c *LogCleaner) uncleanablePartitions() []TopicPartition {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []TopicPartition
	for tp := range c.uncleanable {
		out = append(out, tp)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}
