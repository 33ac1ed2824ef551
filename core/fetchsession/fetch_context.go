package fetchsession

import (
	"time"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/gokafka/kafka/core/replica"
)

// Request is what a Fetch request says about sessions, with its partitions
// already in the replica layer's form.
type Request struct {
	SessionID int32
	Epoch     int32
	// Partitions are the request's partitions in request order: for a full
	// fetch all of them, for an incremental one the added and changed ones.
	Partitions []replica.FetchPartition
	// Forgotten lists the partitions an incremental fetch drops from its
	// session (ignored by full fetches, as Kafka does).
	Forgotten []replica.TopicPartition
	// IsFollower: a broker fetching as a replica; its sessions are
	// privileged in eviction.
	IsFollower bool
}

// FetchContext is one request's view of its session, used in three steps:
// read Partitions, call Select with the results read, then Complete (or
// Throttled when a quota drops the response). Complete and Throttled return
// the response's top-level error code and session id; with a non-zero error
// code the response must carry no partitions.
type FetchContext interface {
	// Partitions are the partitions to read, in response order.
	Partitions() []replica.FetchPartition
	// Select reports which results (parallel to Partitions) belong in the
	// response, without changing the session; nil means all of them.
	Select(results []replica.FetchResult) []bool
	// Complete records in the session what the response carries (for a
	// full fetch: creates a session if the cache admits one).
	Complete(results []replica.FetchResult, selected []bool) (errorCode int16, sessionID int32)
	// Throttled is the outcome of a response a quota emptied: no session
	// is created and an existing one does not record any partition as sent.
	Throttled() (errorCode int16, sessionID int32)
}

// FetchManager creates FetchContexts over a FetchSessionCache.
type FetchManager struct {
	cache *FetchSessionCache
	// nowMs is the clock, in milliseconds; tests replace it.
	nowMs func() int64
}

// NewFetchManager returns a manager keeping its sessions in cache.
func NewFetchManager(cache *FetchSessionCache) *FetchManager {
	return &FetchManager{cache: cache, nowMs: func() int64 { return time.Now().UnixMilli() }}
}

// Cache is the manager's session cache.
func (m *FetchManager) Cache() *FetchSessionCache { return m.cache }

// SetClock replaces the manager's clock (milliseconds), for tests.
func (m *FetchManager) SetClock(nowMs func() int64) { m.nowMs = nowMs }

// NewContext starts serving a request:
//   - epoch FinalEpoch: closes the named session, if any; sessionless fetch;
//   - epoch InitialEpoch: closes the named session, if any; full fetch that
//     tries to create a new session when it completes;
//   - any other epoch: the named session must exist (else
//     FETCH_SESSION_ID_NOT_FOUND) and expect this epoch (else
//     INVALID_FETCH_SESSION_EPOCH). The request's partitions and forgotten
//     partitions are applied and the epoch advances; a session left empty is
//     closed and the request served sessionless.
func (m *FetchManager) NewContext(r Request) FetchContext {
	if IsFull(r.Epoch) {
		if r.SessionID != InvalidSessionID {
			m.cache.Remove(r.SessionID)
		}
		if r.Epoch == FinalEpoch {
			return &SessionlessFetchContext{parts: r.Partitions}
		}
		return &FullFetchContext{manager: m, parts: r.Partitions, privileged: r.IsFollower}
	}
	c := m.cache
	c.mu.Lock()
	s := c.sessions[r.SessionID]
	if s == nil {
		c.mu.Unlock()
		return &SessionErrorContext{ErrorCode: kerr.FetchSessionIDNotFound.Code}
	}
	s.mu.Lock()
	if s.epoch != r.Epoch {
		s.mu.Unlock()
		c.mu.Unlock()
		return &SessionErrorContext{ErrorCode: kerr.InvalidFetchSessionEpoch.Code}
	}
	s.update(r.Partitions, r.Forgotten)
	if len(s.index) == 0 {
		s.mu.Unlock()
		c.removeLocked(s)
		c.mu.Unlock()
		return &SessionlessFetchContext{parts: r.Partitions}
	}
	c.touchLocked(s, m.nowMs())
	s.epoch = NextEpoch(s.epoch)
	c.mu.Unlock()
	ctx := &IncrementalFetchContext{session: s, epoch: s.epoch, parts: s.requestPartitions()}
	s.mu.Unlock()
	return ctx
}

// SessionErrorContext answers a request whose session is unknown or
// expects another epoch: nothing is read, the response carries the error
// and session id 0.
type SessionErrorContext struct {
	ErrorCode int16
}

func (*SessionErrorContext) Partitions() []replica.FetchPartition { return nil }
func (*SessionErrorContext) Select([]replica.FetchResult) []bool  { return nil }
func (x *SessionErrorContext) Throttled() (int16, int32)          { return 0, InvalidSessionID }
func (x *SessionErrorContext) Complete([]replica.FetchResult, []bool) (int16, int32) {
	return x.ErrorCode, InvalidSessionID
}

// SessionlessFetchContext serves a full fetch outside any session (epoch
// FinalEpoch, Fetch v0-v6, or an incremental fetch that emptied its
// session).
type SessionlessFetchContext struct {
	parts []replica.FetchPartition
}

func (x *SessionlessFetchContext) Partitions() []replica.FetchPartition { return x.parts }
func (*SessionlessFetchContext) Select([]replica.FetchResult) []bool    { return nil }
func (*SessionlessFetchContext) Throttled() (int16, int32)              { return 0, InvalidSessionID }
func (*SessionlessFetchContext) Complete([]replica.FetchResult, []bool) (int16, int32) {
	return 0, InvalidSessionID
}

// FullFetchContext serves a full fetch with epoch InitialEpoch: everything
// is answered, and a session holding the request's partitions is created if
// the cache admits it (session id 0 otherwise).
type FullFetchContext struct {
	manager    *FetchManager
	parts      []replica.FetchPartition
	privileged bool
}

func (x *FullFetchContext) Partitions() []replica.FetchPartition { return x.parts }
func (*FullFetchContext) Select([]replica.FetchResult) []bool    { return nil }
func (*FullFetchContext) Throttled() (int16, int32)              { return 0, InvalidSessionID }

// Complete creates the session. Its size for eviction is the number of
// partitions in the request (Kafka counts distinct partitions; clients do
// not repeat one).
func (x *FullFetchContext) Complete(results []replica.FetchResult, _ []bool) (int16, int32) {
	m := x.manager
	return 0, m.cache.maybeCreateSession(m.nowMs(), x.privileged, len(x.parts), x.parts, results)
}

// IncrementalFetchContext serves a fetch within an existing session: every
// partition of the session is read, only changed ones are answered.
type IncrementalFetchContext struct {
	session *FetchSession
	// epoch is the session epoch this context left behind; if another
	// request moved it on meanwhile, this one answers
	// INVALID_FETCH_SESSION_EPOCH (Kafka: "possible duplicate request").
	epoch int32
	parts []replica.FetchPartition
}

func (x *IncrementalFetchContext) Partitions() []replica.FetchPartition { return x.parts }

// Session is the context's session.
func (x *IncrementalFetchContext) Session() *FetchSession { return x.session }

// Select compares each result with what the session last answered. While
// the session still has this context's epoch its partitions are exactly
// the ones Partitions returned, in the same order.
func (x *IncrementalFetchContext) Select(results []replica.FetchResult) []bool {
	selected := make([]bool, len(results))
	s := x.session
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.epoch != x.epoch {
		return selected
	}
	i := 0
	for c := s.head; c != nil && i < len(results); c = c.next {
		selected[i] = c.mustRespond(&results[i])
		i++
	}
	return selected
}

// Complete records the selected results as answered and moves their
// partitions to the end of the session's order, in response order.
func (x *IncrementalFetchContext) Complete(results []replica.FetchResult, selected []bool) (int16, int32) {
	s := x.session
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.epoch != x.epoch {
		return kerr.InvalidFetchSessionEpoch.Code, s.id
	}
	c := s.head
	for i := 0; i < len(results) && c != nil; i++ {
		next := c.next // c may move to the back
		if selected == nil || selected[i] {
			c.answered(&results[i])
			s.moveToBack(c)
		}
		c = next
	}
	return 0, s.id
}

// Throttled keeps the session's record of what was answered: the fetcher
// got nothing, so the next response carries every change again.
func (x *IncrementalFetchContext) Throttled() (int16, int32) {
	s := x.session
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.epoch != x.epoch {
		return kerr.InvalidFetchSessionEpoch.Code, s.id
	}
	return 0, s.id
}
