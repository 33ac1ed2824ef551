package fetchsession

import (
	"math"
	"math/rand/v2"
	"sync"

	"github.com/gokafka/kafka/core/replica"
)

// FetchSessionCache holds the broker's fetch sessions, at most maxEntries
// of them. Eviction follows Kafka 2.8's FetchSessionCache.tryEvict: a new
// session may take the slot of
//  1. the least recently used session, if it has been unused for more than
//     evictionMs (stale), or else
//  2. the least valuable evictable session, when the new one is worth at
//     least as much. Value orders consumer sessions before follower
//     ("privileged") ones, then by partition count, then by id; the new
//     session counts with id 0, so it must be strictly bigger than a session
//     of its own kind. Which sessions are evictable is decided each time a
//     session is used: a consumer session by new follower sessions always, a
//     follower session only once it is older than evictionMs, and by new
//     consumer sessions any session older than evictionMs.
//
// The scans behind eviction are linear in the number of sessions; they run
// only when a session is created while the cache is full.
type FetchSessionCache struct {
	maxEntries int
	evictionMs int64

	mu            sync.Mutex
	sessions      map[int32]*FetchSession
	numPartitions int64 // sum of the sessions' cachedSize
	evictions     int64
	// newID draws a candidate session id; tests replace it.
	newID func() int32
}

// NewFetchSessionCache returns a cache of at most maxEntries sessions
// (max.incremental.fetch.session.cache.slots; 0 disables sessions) in which a
// session unused for evictionMs may be evicted.
func NewFetchSessionCache(maxEntries int, evictionMs int64) *FetchSessionCache {
	return &FetchSessionCache{
		maxEntries: maxEntries,
		evictionMs: evictionMs,
		sessions:   make(map[int32]*FetchSession),
		// Kafka's ThreadLocalRandom.nextInt(1, Int.MaxValue): 1..MaxInt32-1.
		newID: func() int32 { return rand.Int32N(math.MaxInt32-1) + 1 },
	}
}

// Size is the number of sessions in the cache.
func (c *FetchSessionCache) Size() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.sessions)
}

// TotalPartitions is the number of cached partitions over all sessions (as
// of each session's last use; Kafka's NumIncrementalFetchPartitionsCached).
func (c *FetchSessionCache) TotalPartitions() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.numPartitions
}

// Evictions counts the sessions evicted to make room for new ones.
func (c *FetchSessionCache) Evictions() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.evictions
}

// Get returns the session with the given id, or nil.
func (c *FetchSessionCache) Get(id int32) *FetchSession {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sessions[id]
}

// Remove drops the session with the given id; false when there is none.
func (c *FetchSessionCache) Remove(id int32) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.sessions[id]
	if ok {
		c.removeLocked(s)
	}
	return ok
}

func (c *FetchSessionCache) removeLocked(s *FetchSession) {
	if c.sessions[s.id] != s {
		return
	}
	delete(c.sessions, s.id)
	c.numPartitions -= int64(s.cachedSize)
	s.cachedSize = -1
	s.evictableByAll, s.evictableByPrivileged = false, false
}

// newSessionIDLocked draws a random id that is neither 0 nor in use.
func (c *FetchSessionCache) newSessionIDLocked() int32 {
	for {
		id := c.newID()
		if _, used := c.sessions[id]; !used && id != InvalidSessionID {
			return id
		}
	}
}

// maybeCreateSession adds a session for a full fetch of size partitions
// if there is a free slot or one can be evicted, and returns its id;
// InvalidSessionID when the cache has no room for it.
func (c *FetchSessionCache) maybeCreateSession(now int64, privileged bool, size int, parts []replica.FetchPartition, results []replica.FetchResult) int32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.sessions) >= c.maxEntries && !c.tryEvictLocked(privileged, size, now) {
		return InvalidSessionID
	}
	s := newFetchSession(c.newSessionIDLocked(), privileged, now, parts, results)
	c.sessions[s.id] = s
	c.touchLocked(s, now) // the session is not shared yet: no s.mu needed
	return s.id
}

// tryEvictLocked makes room for a new session (privileged: from a
// follower; size: its partition count) and reports whether it did.
func (c *FetchSessionCache) tryEvictLocked(privileged bool, size int, now int64) bool {
	var lru *FetchSession
	for _, s := range c.sessions {
		if lru == nil || s.lastUsedMs < lru.lastUsedMs || (s.lastUsedMs == lru.lastUsedMs && s.id < lru.id) {
			lru = s
		}
	}
	if lru == nil {
		return false
	}
	if now-lru.lastUsedMs > c.evictionMs {
		c.removeLocked(lru)
		c.evictions++
		return true
	}
	var victim *FetchSession
	for _, s := range c.sessions {
		if privileged && !s.evictableByPrivileged || !privileged && !s.evictableByAll {
			continue
		}
		if victim == nil || lessValuable(s.privileged, s.cachedSize, s.id, victim.privileged, victim.cachedSize, victim.id) {
			victim = s
		}
	}
	if victim == nil || lessValuable(privileged, size, 0, victim.privileged, victim.cachedSize, victim.id) {
		return false
	}
	c.removeLocked(victim)
	c.evictions++
	return true
}

// lessValuable orders sessions for eviction (Kafka's EvictableKey):
// consumer sessions before follower ones, then smaller before bigger, then
// by id.
func lessValuable(aPriv bool, aSize int, aID int32, bPriv bool, bSize int, bID int32) bool {
	if aPriv != bPriv {
		return !aPriv
	}
	if aSize != bSize {
		return aSize < bSize
	}
	return aID < bID
}

// touchLocked marks s used at now and refreshes its size and evictability.
// The caller holds c.mu and s.mu (or has s to itself).
func (c *FetchSessionCache) touchLocked(s *FetchSession, now int64) {
	s.lastUsedMs = now
	if s.cachedSize >= 0 {
		c.numPartitions -= int64(s.cachedSize)
	}
	s.cachedSize = len(s.index)
	c.numPartitions += int64(s.cachedSize)
	old := now-s.creationMs > c.evictionMs
	s.evictableByPrivileged = !s.privileged || old
	s.evictableByAll = old
}
