package log

import (
	"errors"
	"fmt"
	"math"
	"os"
)

// The parts of Log the cleaner works through.

// noteTruncation is called with mu held whenever the log is truncated.
func (l *Log) noteTruncation(offset int64) {
	l.truncations.Add(1)
	for {
		cur := l.truncatedTo.Load()
		if offset >= cur || l.truncatedTo.CompareAndSwap(cur, offset) {
			return
		}
	}
}

// takeTruncationPoint returns and forgets the lowest offset the log was
// truncated to since the last call (MaxInt64 if none).
func (l *Log) takeTruncationPoint() int64 { return l.truncatedTo.Swap(math.MaxInt64) }

// segmentsSnapshot copies the segment list.
func (l *Log) segmentsSnapshot() []*LogSegment {
	l.segMu.RLock()
	defer l.segMu.RUnlock()
	return append([]*LogSegment(nil), l.segments...)
}

// hasSegments reports whether every given segment is still in the log.
func (l *Log) hasSegments(segs []*LogSegment) bool {
	l.segMu.RLock()
	defer l.segMu.RUnlock()
	in := make(map[*LogSegment]bool, len(l.segments))
	for _, s := range l.segments {
		in[s] = true
	}
	for _, s := range segs {
		if !in[s] {
			return false
		}
	}
	return true
}

// lastOffsetsOfActiveProducers maps each known producer id to the last
// offset it wrote; the cleaner keeps (an empty copy of) that batch.
func (l *Log) lastOffsetsOfActiveProducers() map[int64]int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.producers.lastOffsetsOfProducers()
}

// isCompactAndDelete reports "compact,delete".
func (c *Config) isCompactAndDelete() bool { return c.compactEnabled() && c.deleteEnabled() }

// swapCrashHook lets tests stop a swap at a stage as a crash would; it is
// nil outside tests.
var swapCrashHook func(stage string) bool

var errSimulatedCrash = errors.New("simulated crash")

// replaceSegments swaps the cleaned segment at base in for old (Kafka's
// replaceSegments). Crash safety comes from the order of renames: the
// cleaned files become .swap (the .log last: that rename is the commit
// point), the old segments are renamed to .deleted, then the .swap files
// take their final names. Recovery deletes .cleaned and .deleted files and
// completes a .log.swap. The swap is dropped if the log was truncated,
// closed, or lost one of the old segments since the clean began.
func (l *Log) replaceSegments(base int64, old []*LogSegment, gen int64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed.Load() || l.truncations.Load() != gen {
		return fmt.Errorf("%w: log %s was closed or truncated", errCleaningAborted, l.TopicPartition())
	}
	l.segMu.Lock()
	idx := -1
	for i, s := range l.segments {
		if s == old[0] {
			idx = i
			break
		}
	}
	if idx < 0 || idx+len(old) >= len(l.segments) {
		l.segMu.Unlock()
		return fmt.Errorf("%w: segments of %s changed during cleaning", errCleaningAborted, l.TopicPartition())
	}
	for i, s := range old {
		if l.segments[idx+i] != s {
			l.segMu.Unlock()
			return fmt.Errorf("%w: segments of %s changed during cleaning", errCleaningAborted, l.TopicPartition())
		}
	}
	rename := func(from, to string) error {
		// The transaction index exists only when the group had aborted
		// transactions; it moves before the .log, the commit point.
		if p := segmentFile(l.dir, base, TxnIndexFileSuffix); fileExists(p + from) {
			if err := os.Rename(p+from, p+to); err != nil {
				return err
			}
		}
		for _, suf := range []string{IndexFileSuffix, TimeIndexFileSuffix, LogFileSuffix} {
			p := segmentFile(l.dir, base, suf)
			if err := os.Rename(p+from, p+to); err != nil {
				return err
			}
		}
		return syncDir(l.dir)
	}
	if err := rename(CleanedFileSuffix, SwapFileSuffix); err != nil {
		l.segMu.Unlock()
		for _, suf := range []string{TxnIndexFileSuffix, IndexFileSuffix, TimeIndexFileSuffix, LogFileSuffix} {
			os.Remove(segmentFile(l.dir, base, suf) + SwapFileSuffix)
		}
		return err
	}
	if swapCrashHook != nil && swapCrashHook("swap") {
		l.segMu.Unlock()
		return errSimulatedCrash
	}
	for _, s := range old {
		s.markedPaths = s.markDeleted()
	}
	if swapCrashHook != nil && swapCrashHook("deleted") {
		l.segMu.Unlock()
		return errSimulatedCrash
	}
	err := rename(SwapFileSuffix, "")
	var seg *LogSegment
	if err == nil {
		var rebuild bool
		seg, rebuild, err = openSegment(l.dir, base, l.cfg.Load(), false)
		if err == nil && rebuild {
			_, err = l.recoverSegment(seg, false)
		}
	}
	if err != nil {
		// The files on disk are complete (a restart finishes the swap);
		// keep serving the old segments, whose handles are still open.
		l.segMu.Unlock()
		l.errorf("Error swapping in cleaned segment %d: %v", base, err)
		return err
	}
	segs := make([]*LogSegment, 0, len(l.segments)-len(old)+1)
	segs = append(segs, l.segments[:idx]...)
	segs = append(segs, seg)
	segs = append(segs, l.segments[idx+len(old):]...)
	l.segments = segs
	l.segMu.Unlock()
	l.scheduleDeletion(old)
	return nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
