package log

import (
	"sync"
)

// UndefinedEpoch and UndefinedEpochOffset are Kafka's "unknown" answers
// for OffsetForLeaderEpoch.
const (
	UndefinedEpoch       int32 = -1
	UndefinedEpochOffset int64 = -1
)

// leaderEpochCache remembers the first offset of each leader epoch (Kafka's
// LeaderEpochFileCache) and persists it to leader-epoch-checkpoint.
type leaderEpochCache struct {
	mu      sync.RWMutex
	path    string
	entries []EpochEntry // ascending epochs and start offsets
}

func loadLeaderEpochCache(path string) (*leaderEpochCache, error) {
	entries, err := ReadLeaderEpochCheckpoint(path)
	if err != nil {
		return nil, err
	}
	return &leaderEpochCache{path: path, entries: entries}, nil
}

func (c *leaderEpochCache) flushLocked() {
	if err := WriteLeaderEpochCheckpoint(c.path, c.entries); err != nil {
		logger.Errorf("Error while writing to checkpoint file %s: %v", c.path, err)
	}
}

// assign records that epoch starts at startOffset, dropping entries that
// would no longer be monotonic.
func (c *leaderEpochCache) assign(epoch int32, startOffset int64) {
	if epoch < 0 || startOffset < 0 {
		return
	}
	c.mu.RLock()
	n := len(c.entries)
	needed := n == 0 || epoch != c.entries[n-1].Epoch || startOffset < c.entries[n-1].StartOffset
	c.mu.RUnlock()
	if !needed {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	kept := c.entries[:0]
	for _, e := range c.entries {
		if e.Epoch < epoch && e.StartOffset < startOffset {
			kept = append(kept, e)
		}
	}
	c.entries = append(kept, EpochEntry{epoch, startOffset})
	c.flushLocked()
}

func (c *leaderEpochCache) latestEpoch() int32 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if len(c.entries) == 0 {
		return UndefinedEpoch
	}
	return c.entries[len(c.entries)-1].Epoch
}

func (c *leaderEpochCache) all() []EpochEntry {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return append([]EpochEntry(nil), c.entries...)
}

// endOffsetFor answers OffsetForLeaderEpoch the way Kafka 2.8 does.
func (c *leaderEpochCache) endOffsetFor(requested int32, logEndOffset int64) (int32, int64) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	n := len(c.entries)
	switch {
	case requested == UndefinedEpoch:
		return UndefinedEpoch, UndefinedEpochOffset
	case n > 0 && c.entries[n-1].Epoch == requested:
		return requested, logEndOffset
	}
	higher, floor := -1, -1
	for i, e := range c.entries {
		if e.Epoch > requested {
			higher = i
			break
		}
		floor = i
	}
	if higher < 0 {
		return UndefinedEpoch, UndefinedEpochOffset
	}
	if floor < 0 {
		return requested, c.entries[higher].StartOffset
	}
	return c.entries[floor].Epoch, c.entries[higher].StartOffset
}

// truncateFromEnd drops epochs starting at or after endOffset.
func (c *leaderEpochCache) truncateFromEnd(endOffset int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := len(c.entries)
	for n > 0 && c.entries[n-1].StartOffset >= endOffset {
		n--
	}
	if n != len(c.entries) {
		c.entries = c.entries[:n]
		c.flushLocked()
	}
}

// truncateFromStart drops epochs wholly below startOffset and moves the
// start of the one containing it up to startOffset.
func (c *leaderEpochCache) truncateFromStart(startOffset int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	i := 0
	for i < len(c.entries) && c.entries[i].StartOffset <= startOffset {
		i++
	}
	if i == 0 {
		return
	}
	last := c.entries[i-1]
	if i == 1 && last.StartOffset == startOffset {
		return
	}
	last.StartOffset = startOffset
	c.entries = append([]EpochEntry{last}, c.entries[i:]...)
	c.flushLocked()
}

func (c *leaderEpochCache) clearAndFlush() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries = nil
	c.flushLocked()
}
