// Package fetchsession keeps the broker's incremental fetch sessions
// (KIP-227) with Kafka 2.8's rules (kafka.server.FetchSession):
//
//   - A FetchSession remembers, per partition, what the fetcher last asked
//     for (fetch offset, partition max bytes, current leader epoch, its own
//     log start offset) and what the broker last answered (high watermark,
//     log start offset). An incremental request lists only what changed and
//     the forgotten partitions; an incremental response only the partitions
//     with records, an error or a changed high watermark or log start
//     offset. Answered partitions go to the end of the session's order so
//     that the next read starts with the others.
//   - The FetchSessionCache holds at most max.incremental.fetch.session.cache.slots
//     sessions. When it is full a new session may replace one that has been
//     unused for longer than the eviction time, or, failing that, the least
//     valuable evictable one (follower sessions before consumer sessions,
//     then by size).
//   - The FetchManager turns a request's session id and epoch into a
//     FetchContext: sessionless, full (creating a session), incremental, or
//     a session error.
//
// The package knows nothing of the wire format: the API layer hands it
// replica.FetchPartition and replica.FetchResult values and writes the
// session id and error code it gets back into the response.
package fetchsession

import (
	"math"
	"sync"

	"github.com/gokafka/kafka/core/replica"
)

// Session ids and epochs with a special meaning in Fetch requests (v7+).
const (
	// InvalidSessionID is the session id of a fetch outside any session.
	InvalidSessionID int32 = 0
	// InitialEpoch asks for a full fetch that creates a new session.
	InitialEpoch int32 = 0
	// FinalEpoch asks for a full fetch without a session; with a session
	// id it also closes that session.
	FinalEpoch int32 = -1
	// DefaultEvictionMs is how long a session must stay unused before any
	// new session may take its slot, and how old a session must be before
	// a bigger consumer session may take it: Kafka 2.8's fixed
	// KafkaServer.MIN_INCREMENTAL_FETCH_SESSION_EVICTION_MS (2.8 has no
	// server property for it).
	DefaultEvictionMs int64 = 120000
)

// NextEpoch is the epoch that follows prev: after the maximum it starts
// again at 1 (0 would mean a new session), and a negative epoch stays
// FinalEpoch.
func NextEpoch(prev int32) int32 {
	switch {
	case prev < 0:
		return FinalEpoch
	case prev == math.MaxInt32:
		return 1
	default:
		return prev + 1
	}
}

// IsFull reports whether a request epoch asks for a full fetch (InitialEpoch
// or FinalEpoch); any other epoch is incremental.
func IsFull(epoch int32) bool { return epoch == InitialEpoch || epoch == FinalEpoch }

// cachedPartition is one partition of a session: the fetcher's last request
// parameters and the values last sent back, in a doubly linked list that
// keeps the session's order.
type cachedPartition struct {
	req replica.FetchPartition
	// highWatermark is the high watermark last answered; -1 after an error,
	// so that the partition is answered again once the error is gone.
	highWatermark int64
	// logStartOffset is the leader's log start offset last answered.
	logStartOffset int64

	prev, next *cachedPartition
}

// mustRespond reports whether an incremental response has to carry r:
// records, an error, or a high watermark or log start offset the fetcher
// has not seen yet. (Kafka also always answers a partition with a preferred
// read replica or a diverging epoch; this broker computes neither.)
func (c *cachedPartition) mustRespond(r *replica.FetchResult) bool {
	return len(r.Records) > 0 || r.Err != nil ||
		c.highWatermark != r.HighWatermark || c.logStartOffset != r.LogStartOffset
}

// answered records r as sent to the fetcher.
func (c *cachedPartition) answered(r *replica.FetchResult) {
	c.highWatermark = r.HighWatermark
	c.logStartOffset = r.LogStartOffset
	if r.Err != nil {
		c.highWatermark = -1
	}
}

// FetchSession is one incremental fetch session. Its partitions and epoch
// are guarded by mu; the fields after the marker belong to the
// FetchSessionCache and are guarded by the cache's lock. When both locks
// are needed the cache's is taken first.
type FetchSession struct {
	id         int32
	privileged bool // created by a follower (replica id >= 0)
	creationMs int64

	mu    sync.Mutex
	epoch int32 // the epoch the next request must carry
	index map[replica.TopicPartition]*cachedPartition
	head  *cachedPartition
	tail  *cachedPartition

	// Cache bookkeeping (FetchSessionCache.mu).
	lastUsedMs int64
	// cachedSize is the partition count at the last touch, the size used
	// for eviction; -1 while the session is not in the cache.
	cachedSize int
	// Whether, at the last touch, the session could be evicted by a new
	// privileged session / by any new session (Kafka's evictableByPrivileged
	// and evictableByAll sets).
	evictableByPrivileged bool
	evictableByAll        bool
}

// newFetchSession builds a session from a full fetch's partitions and
// what was answered for each (results parallel to parts). A partition named
// twice keeps its first place and its last parameters.
func newFetchSession(id int32, privileged bool, now int64, parts []replica.FetchPartition, results []replica.FetchResult) *FetchSession {
	s := &FetchSession{
		id: id, privileged: privileged, creationMs: now, lastUsedMs: now,
		epoch:      NextEpoch(InitialEpoch),
		index:      make(map[replica.TopicPartition]*cachedPartition, len(parts)),
		cachedSize: -1,
	}
	nodes := make([]cachedPartition, len(parts)) // one allocation for the lot
	for i := range parts {
		c := &nodes[i]
		if old, ok := s.index[parts[i].TopicPartition]; ok {
			c = old
		} else {
			s.index[parts[i].TopicPartition] = c
			s.pushBack(c)
		}
		c.req = parts[i]
		c.answered(&results[i])
	}
	return s
}

// ID is the session id sent to the fetcher.
func (s *FetchSession) ID() int32 { return s.id }

// Epoch is the epoch the session's next request must carry.
func (s *FetchSession) Epoch() int32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.epoch
}

// Size is the number of partitions in the session.
func (s *FetchSession) Size() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.index)
}

// Partitions lists the session's partitions in its current order.
func (s *FetchSession) Partitions() []replica.TopicPartition {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]replica.TopicPartition, 0, len(s.index))
	for c := s.head; c != nil; c = c.next {
		out = append(out, c.req.TopicPartition)
	}
	return out
}

func (s *FetchSession) pushBack(c *cachedPartition) {
	c.prev, c.next = s.tail, nil
	if s.tail != nil {
		s.tail.next = c
	} else {
		s.head = c
	}
	s.tail = c
}

func (s *FetchSession) unlink(c *cachedPartition) {
	if c.prev != nil {
		c.prev.next = c.next
	} else {
		s.head = c.next
	}
	if c.next != nil {
		c.next.prev = c.prev
	} else {
		s.tail = c.prev
	}
	c.prev, c.next = nil, nil
}

func (s *FetchSession) moveToBack(c *cachedPartition) {
	if s.tail == c {
		return
	}
	s.unlink(c)
	s.pushBack(c)
}

// update applies an incremental request under s.mu: listed partitions are
// added at the end or get their new parameters, forgotten ones are dropped
// (a partition both listed and forgotten ends up dropped).
func (s *FetchSession) update(parts []replica.FetchPartition, forget []replica.TopicPartition) {
	for i := range parts {
		if c, ok := s.index[parts[i].TopicPartition]; ok {
			c.req = parts[i]
			continue
		}
		c := &cachedPartition{req: parts[i], highWatermark: -1, logStartOffset: -1}
		s.index[parts[i].TopicPartition] = c
		s.pushBack(c)
	}
	for _, tp := range forget {
		if c, ok := s.index[tp]; ok {
			delete(s.index, tp)
			s.unlink(c)
		}
	}
}

// requestPartitions copies the session's request parameters, in order,
// under s.mu.
func (s *FetchSession) requestPartitions() []replica.FetchPartition {
	out := make([]replica.FetchPartition, 0, len(s.index))
	for c := s.head; c != nil; c = c.next {
		out = append(out, c.req)
	}
	return out
}
