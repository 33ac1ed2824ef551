package fetchsession

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/gokafka/kafka/core/replica"
)

// clock is a settable millisecond clock.
type clock struct{ ms int64 }

func (c *clock) now() int64 { return c.ms }

func newManager(slots int, evictionMs int64) (*FetchManager, *clock) {
	clk := &clock{ms: 1_000_000}
	m := NewFetchManager(NewFetchSessionCache(slots, evictionMs))
	m.SetClock(clk.now)
	return m, clk
}

func tp(topic string, p int32) replica.TopicPartition {
	return replica.TopicPartition{Topic: topic, Partition: p}
}

func fp(topic string, p int32, offset int64) replica.FetchPartition {
	return replica.FetchPartition{TopicPartition: tp(topic, p), FetchOffset: offset, MaxBytes: 1 << 20, CurrentLeaderEpoch: -1, LogStartOffset: -1}
}

// quiet is a result without records whose high watermark and log start
// offset are hw and 0.
func quiet(hw int64) replica.FetchResult {
	return replica.FetchResult{HighWatermark: hw, LastStableOffset: hw, LogStartOffset: 0}
}

func withRecords(hw int64) replica.FetchResult {
	r := quiet(hw)
	r.Records = []byte{1, 2, 3}
	return r
}

// serve runs one request through its context and returns the answered
// partitions, the error code and the session id.
func serve(t *testing.T, m *FetchManager, r Request, result func(replica.FetchPartition) replica.FetchResult) ([]replica.TopicPartition, int16, int32) {
	t.Helper()
	ctx := m.NewContext(r)
	parts := ctx.Partitions()
	results := make([]replica.FetchResult, len(parts))
	for i, p := range parts {
		results[i] = result(p)
	}
	selected := ctx.Select(results)
	code, id := ctx.Complete(results, selected)
	var answered []replica.TopicPartition
	if code == 0 {
		for i, p := range parts {
			if selected == nil || selected[i] {
				answered = append(answered, p.TopicPartition)
			}
		}
	}
	return answered, code, id
}

// createSession makes a session over parts whose high watermarks are all hw.
func createSession(t *testing.T, m *FetchManager, hw int64, parts ...replica.FetchPartition) *FetchSession {
	t.Helper()
	_, code, id := serve(t, m, Request{Epoch: InitialEpoch, Partitions: parts}, func(replica.FetchPartition) replica.FetchResult { return quiet(hw) })
	if code != 0 || id == InvalidSessionID {
		t.Fatalf("full fetch: code %d, session %d", code, id)
	}
	s := m.Cache().Get(id)
	if s == nil {
		t.Fatalf("session %d not in the cache", id)
	}
	return s
}

func TestNextEpoch(t *testing.T) {
	for prev, want := range map[int32]int32{-1: -1, -7: -1, 0: 1, 1: 2, 41: 42, math.MaxInt32: 1} {
		if got := NextEpoch(prev); got != want {
			t.Errorf("NextEpoch(%d) = %d, want %d", prev, got, want)
		}
	}
}

func TestSessionlessFetch(t *testing.T) {
	m, _ := newManager(10, DefaultEvictionMs)
	parts := []replica.FetchPartition{fp("a", 0, 0), fp("a", 1, 0)}
	ctx := m.NewContext(Request{Epoch: FinalEpoch, Partitions: parts})
	if _, ok := ctx.(*SessionlessFetchContext); !ok {
		t.Fatalf("context %T", ctx)
	}
	answered, code, id := serve(t, m, Request{Epoch: FinalEpoch, Partitions: parts}, func(replica.FetchPartition) replica.FetchResult { return quiet(0) })
	if code != 0 || id != InvalidSessionID || len(answered) != 2 || m.Cache().Size() != 0 {
		t.Fatalf("answered %v code %d id %d sessions %d", answered, code, id, m.Cache().Size())
	}
}

func TestFinalEpochClosesSession(t *testing.T) {
	m, _ := newManager(10, DefaultEvictionMs)
	s := createSession(t, m, 5, fp("a", 0, 0))
	_, code, id := serve(t, m, Request{SessionID: s.ID(), Epoch: FinalEpoch, Partitions: []replica.FetchPartition{fp("a", 0, 0)}}, func(replica.FetchPartition) replica.FetchResult { return quiet(5) })
	if code != 0 || id != InvalidSessionID {
		t.Fatalf("code %d id %d", code, id)
	}
	if m.Cache().Get(s.ID()) != nil || m.Cache().Size() != 0 {
		t.Fatal("the session survived a FINAL_EPOCH fetch")
	}
}

func TestFullFetchCreatesSession(t *testing.T) {
	m, _ := newManager(10, DefaultEvictionMs)
	parts := []replica.FetchPartition{fp("b", 1, 7), fp("a", 0, 3), fp("b", 0, 0)}
	answered, code, id := serve(t, m, Request{Epoch: InitialEpoch, Partitions: parts}, func(replica.FetchPartition) replica.FetchResult { return quiet(10) })
	if code != 0 || id == InvalidSessionID || len(answered) != 3 {
		t.Fatalf("answered %v code %d id %d", answered, code, id)
	}
	s := m.Cache().Get(id)
	if s == nil || s.Epoch() != 1 || s.Size() != 3 {
		t.Fatalf("session %+v", s)
	}
	if got, want := s.Partitions(), []replica.TopicPartition{tp("b", 1), tp("a", 0), tp("b", 0)}; !reflect.DeepEqual(got, want) {
		t.Fatalf("order %v, want %v", got, want)
	}
	if m.Cache().TotalPartitions() != 3 {
		t.Fatalf("total partitions %d", m.Cache().TotalPartitions())
	}

	// Epoch 0 naming the session replaces it with a new one.
	_, code, id2 := serve(t, m, Request{SessionID: id, Epoch: InitialEpoch, Partitions: parts[:1]}, func(replica.FetchPartition) replica.FetchResult { return quiet(10) })
	if code != 0 || id2 == InvalidSessionID || id2 == id {
		t.Fatalf("code %d, new id %d (old %d)", code, id2, id)
	}
	if m.Cache().Get(id) != nil || m.Cache().Size() != 1 || m.Cache().TotalPartitions() != 1 {
		t.Fatalf("old session kept: size %d, partitions %d", m.Cache().Size(), m.Cache().TotalPartitions())
	}
}

func TestSessionErrors(t *testing.T) {
	m, _ := newManager(10, DefaultEvictionMs)
	s := createSession(t, m, 0, fp("a", 0, 0))
	for _, tc := range []struct {
		name      string
		id, epoch int32
		want      int16
	}{
		{"unknown id", s.ID() + 1, 1, kerr.FetchSessionIDNotFound.Code},
		{"id 0 with an incremental epoch", InvalidSessionID, 1, kerr.FetchSessionIDNotFound.Code},
		{"old epoch", s.ID(), 0 + 5, kerr.InvalidFetchSessionEpoch.Code},
		{"negative epoch other than -1", s.ID(), -2, kerr.InvalidFetchSessionEpoch.Code},
	} {
		ctx := m.NewContext(Request{SessionID: tc.id, Epoch: tc.epoch, Partitions: []replica.FetchPartition{fp("a", 1, 0)}})
		if len(ctx.Partitions()) != 0 {
			t.Errorf("%s: reads %v", tc.name, ctx.Partitions())
		}
		code, id := ctx.Complete(nil, ctx.Select(nil))
		if code != tc.want || id != InvalidSessionID {
			t.Errorf("%s: code %d id %d, want code %d id 0", tc.name, code, id, tc.want)
		}
	}
	// The failed requests changed nothing.
	if s.Epoch() != 1 || s.Size() != 1 {
		t.Fatalf("epoch %d size %d", s.Epoch(), s.Size())
	}
}

func TestIncrementalUpdatesAndForgets(t *testing.T) {
	m, _ := newManager(10, DefaultEvictionMs)
	s := createSession(t, m, 10, fp("a", 0, 0), fp("a", 1, 0), fp("b", 0, 0))
	ctx := m.NewContext(Request{
		SessionID:  s.ID(),
		Epoch:      1,
		Partitions: []replica.FetchPartition{fp("a", 1, 8), fp("c", 0, 2)},
		Forgotten:  []replica.TopicPartition{tp("b", 0), tp("zz", 9)},
	})
	inc, ok := ctx.(*IncrementalFetchContext)
	if !ok {
		t.Fatalf("context %T", ctx)
	}
	want := []replica.FetchPartition{fp("a", 0, 0), fp("a", 1, 8), fp("c", 0, 2)}
	if got := inc.Partitions(); !reflect.DeepEqual(got, want) {
		t.Fatalf("reads %v, want %v", got, want)
	}
	if s.Epoch() != 2 {
		t.Fatalf("epoch %d, want 2", s.Epoch())
	}
	// The new partition has never been answered: it is sent even without
	// records. The others did not change.
	results := []replica.FetchResult{quiet(10), quiet(10), quiet(0)}
	selected := inc.Select(results)
	if !reflect.DeepEqual(selected, []bool{false, false, true}) {
		t.Fatalf("selected %v", selected)
	}
	if code, id := inc.Complete(results, selected); code != 0 || id != s.ID() {
		t.Fatalf("code %d id %d", code, id)
	}
	if m.Cache().TotalPartitions() != 3 {
		t.Fatalf("total partitions %d", m.Cache().TotalPartitions())
	}
}

func TestIncrementalAnswersOnlyChanges(t *testing.T) {
	m, _ := newManager(10, DefaultEvictionMs)
	s := createSession(t, m, 10, fp("a", 0, 10), fp("a", 1, 10), fp("a", 2, 10), fp("a", 3, 10), fp("a", 4, 10))
	epoch := int32(1)
	next := func(result func(replica.FetchPartition) replica.FetchResult) []replica.TopicPartition {
		t.Helper()
		answered, code, id := serve(t, m, Request{SessionID: s.ID(), Epoch: epoch}, result)
		if code != 0 || id != s.ID() {
			t.Fatalf("epoch %d: code %d id %d", epoch, code, id)
		}
		epoch++
		return answered
	}
	unchanged := func(replica.FetchPartition) replica.FetchResult { return quiet(10) }
	if got := next(unchanged); len(got) != 0 {
		t.Fatalf("nothing changed, answered %v", got)
	}
	got := next(func(p replica.FetchPartition) replica.FetchResult {
		switch p.Partition {
		case 1:
			return withRecords(10) // records
		case 2:
			return quiet(11) // high watermark
		case 3:
			r := quiet(10)
			r.LogStartOffset = 4 // log start offset
			return r
		case 4:
			r := quiet(10)
			r.LastStableOffset = 7 // not compared, as Kafka
			return r
		}
		return quiet(10)
	})
	// Answered partitions went to the end: a-0, a-4, then a-1, a-2, a-3.
	if want := []replica.TopicPartition{tp("a", 1), tp("a", 2), tp("a", 3)}; !reflect.DeepEqual(got, want) {
		t.Fatalf("answered %v, want %v", got, want)
	}
	if want := []replica.TopicPartition{tp("a", 0), tp("a", 4), tp("a", 1), tp("a", 2), tp("a", 3)}; !reflect.DeepEqual(s.Partitions(), want) {
		t.Fatalf("order %v, want %v", s.Partitions(), want)
	}
	// The new values were recorded: the same answer again is no change.
	same := func(p replica.FetchPartition) replica.FetchResult {
		r := quiet(10)
		switch p.Partition {
		case 2:
			r.HighWatermark = 11
		case 3:
			r.LogStartOffset = 4
		}
		return r
	}
	if got := next(same); len(got) != 0 {
		t.Fatalf("answered %v again", got)
	}
	// An error is always answered, and the partition is answered again
	// once the error is gone even if nothing else changed.
	failing := func(p replica.FetchPartition) replica.FetchResult {
		r := same(p)
		if p.Partition == 0 {
			r.Err = errors.New("not leader")
		}
		return r
	}
	for i := 0; i < 2; i++ {
		if got := next(failing); !reflect.DeepEqual(got, []replica.TopicPartition{tp("a", 0)}) {
			t.Fatalf("error round %d: answered %v", i, got)
		}
	}
	if got := next(same); !reflect.DeepEqual(got, []replica.TopicPartition{tp("a", 0)}) {
		t.Fatalf("after the error: answered %v", got)
	}
	if got := next(same); len(got) != 0 {
		t.Fatalf("answered %v", got)
	}
}

func TestFairnessOrder(t *testing.T) {
	m, _ := newManager(10, DefaultEvictionMs)
	var parts []replica.FetchPartition
	for p := int32(0); p < 6; p++ {
		parts = append(parts, fp("t", p, 0))
	}
	s := createSession(t, m, 100, parts...)
	// Partitions 0 and 3 had records: the next read starts with 1, 2, 4, 5.
	answered, _, _ := serve(t, m, Request{SessionID: s.ID(), Epoch: 1}, func(p replica.FetchPartition) replica.FetchResult {
		if p.Partition == 0 || p.Partition == 3 {
			return withRecords(100)
		}
		return quiet(100)
	})
	if !reflect.DeepEqual(answered, []replica.TopicPartition{tp("t", 0), tp("t", 3)}) {
		t.Fatalf("answered %v", answered)
	}
	ctx := m.NewContext(Request{SessionID: s.ID(), Epoch: 2})
	var order []int32
	for _, p := range ctx.Partitions() {
		order = append(order, p.Partition)
	}
	if want := []int32{1, 2, 4, 5, 0, 3}; !reflect.DeepEqual(order, want) {
		t.Fatalf("read order %v, want %v", order, want)
	}
}

func TestSessionEmptiedByForgetIsClosed(t *testing.T) {
	m, _ := newManager(10, DefaultEvictionMs)
	s := createSession(t, m, 0, fp("a", 0, 0))
	ctx := m.NewContext(Request{SessionID: s.ID(), Epoch: 1, Forgotten: []replica.TopicPartition{tp("a", 0)}})
	if _, ok := ctx.(*SessionlessFetchContext); !ok {
		t.Fatalf("context %T", ctx)
	}
	if code, id := ctx.Complete(nil, nil); code != 0 || id != InvalidSessionID {
		t.Fatalf("code %d id %d", code, id)
	}
	if m.Cache().Size() != 0 || m.Cache().TotalPartitions() != 0 {
		t.Fatalf("sessions %d partitions %d", m.Cache().Size(), m.Cache().TotalPartitions())
	}
}

func TestFullFetchIgnoresForgotten(t *testing.T) {
	m, _ := newManager(10, DefaultEvictionMs)
	ctx := m.NewContext(Request{Epoch: InitialEpoch, Partitions: []replica.FetchPartition{fp("a", 0, 0)}, Forgotten: []replica.TopicPartition{tp("a", 0)}})
	results := []replica.FetchResult{quiet(0)}
	code, id := ctx.Complete(results, ctx.Select(results))
	if code != 0 || id == InvalidSessionID || m.Cache().Get(id).Size() != 1 {
		t.Fatalf("code %d id %d", code, id)
	}
}

func TestThrottledKeepsAnsweredState(t *testing.T) {
	m, _ := newManager(10, DefaultEvictionMs)
	// A throttled full fetch creates no session.
	ctx := m.NewContext(Request{Epoch: InitialEpoch, Partitions: []replica.FetchPartition{fp("a", 0, 0)}})
	if code, id := ctx.Throttled(); code != 0 || id != InvalidSessionID || m.Cache().Size() != 0 {
		t.Fatalf("throttled full fetch: code %d id %d sessions %d", code, id, m.Cache().Size())
	}
	s := createSession(t, m, 10, fp("a", 0, 0), fp("a", 1, 0))
	ctx = m.NewContext(Request{SessionID: s.ID(), Epoch: 1})
	results := []replica.FetchResult{withRecords(12), quiet(10)}
	if sel := ctx.Select(results); !reflect.DeepEqual(sel, []bool{true, false}) {
		t.Fatalf("selected %v", sel)
	}
	if code, id := ctx.Throttled(); code != 0 || id != s.ID() {
		t.Fatalf("throttled incremental fetch: code %d id %d", code, id)
	}
	// The epoch moved on (the fetcher saw a successful response), but the
	// new high watermark counts as not sent, and the order is unchanged.
	if s.Epoch() != 2 {
		t.Fatalf("epoch %d", s.Epoch())
	}
	answered, code, _ := serve(t, m, Request{SessionID: s.ID(), Epoch: 2}, func(p replica.FetchPartition) replica.FetchResult {
		if p.Partition == 0 {
			return quiet(12)
		}
		return quiet(10)
	})
	if code != 0 || !reflect.DeepEqual(answered, []replica.TopicPartition{tp("a", 0)}) {
		t.Fatalf("code %d answered %v", code, answered)
	}
}

func TestConcurrentEpochIsRefused(t *testing.T) {
	m, _ := newManager(10, DefaultEvictionMs)
	s := createSession(t, m, 10, fp("a", 0, 0))
	first := m.NewContext(Request{SessionID: s.ID(), Epoch: 1})
	// A client that does not wait for the answer sends epoch 2 at once.
	second := m.NewContext(Request{SessionID: s.ID(), Epoch: 2})
	results := []replica.FetchResult{withRecords(11)}
	if sel := first.Select(results); !reflect.DeepEqual(sel, []bool{false}) {
		t.Fatalf("a superseded context selected %v", sel)
	}
	if code, id := first.Complete(results, []bool{true}); code != kerr.InvalidFetchSessionEpoch.Code || id != s.ID() {
		t.Fatalf("superseded complete: code %d id %d", code, id)
	}
	if code, id := first.Throttled(); code != kerr.InvalidFetchSessionEpoch.Code || id != s.ID() {
		t.Fatalf("superseded throttled: code %d id %d", code, id)
	}
	sel := second.Select(results)
	if code, _ := second.Complete(results, sel); code != 0 || !sel[0] {
		t.Fatalf("current context: code %d selected %v", code, sel)
	}
	// A repeated request with an epoch already used is refused.
	if _, ok := m.NewContext(Request{SessionID: s.ID(), Epoch: 2}).(*SessionErrorContext); !ok {
		t.Fatal("a duplicate epoch was accepted")
	}
}

func TestEpochWraps(t *testing.T) {
	m, _ := newManager(10, DefaultEvictionMs)
	s := createSession(t, m, 0, fp("a", 0, 0))
	s.mu.Lock()
	s.epoch = math.MaxInt32
	s.mu.Unlock()
	if _, code, _ := serve(t, m, Request{SessionID: s.ID(), Epoch: math.MaxInt32}, func(replica.FetchPartition) replica.FetchResult { return quiet(0) }); code != 0 {
		t.Fatalf("code %d", code)
	}
	if s.Epoch() != 1 {
		t.Fatalf("epoch after MaxInt32: %d", s.Epoch())
	}
}

func TestSessionIDsAreRandomNonZeroAndUnique(t *testing.T) {
	m, _ := newManager(10, DefaultEvictionMs)
	draws := []int32{0, 5, 5, 0, 9}
	m.Cache().newID = func() int32 { id := draws[0]; draws = draws[1:]; return id }
	a := createSession(t, m, 0, fp("a", 0, 0))
	b := createSession(t, m, 0, fp("a", 0, 0))
	if a.ID() != 5 || b.ID() != 9 {
		t.Fatalf("ids %d, %d; want 5, 9", a.ID(), b.ID())
	}
	real := NewFetchSessionCache(1, DefaultEvictionMs)
	seen := map[int32]bool{}
	for i := 0; i < 1000; i++ {
		id := real.newID()
		if id <= 0 || id == math.MaxInt32 {
			t.Fatalf("id %d out of 1..MaxInt32-1", id)
		}
		seen[id] = true
	}
	if len(seen) < 990 {
		t.Fatalf("only %d distinct ids in 1000 draws", len(seen))
	}
}

func TestNoSlotsNoSessions(t *testing.T) {
	m, _ := newManager(0, DefaultEvictionMs)
	_, code, id := serve(t, m, Request{Epoch: InitialEpoch, Partitions: []replica.FetchPartition{fp("a", 0, 0)}, IsFollower: true}, func(replica.FetchPartition) replica.FetchResult { return quiet(0) })
	if code != 0 || id != InvalidSessionID || m.Cache().Size() != 0 {
		t.Fatalf("code %d id %d", code, id)
	}
}

// sessionOf creates a session of n partitions of topic name.
func sessionOf(t *testing.T, m *FetchManager, name string, n int, follower bool) int32 {
	t.Helper()
	parts := make([]replica.FetchPartition, n)
	for i := range parts {
		parts[i] = fp(name, int32(i), 0)
	}
	_, _, id := serve(t, m, Request{Epoch: InitialEpoch, Partitions: parts, IsFollower: follower}, func(replica.FetchPartition) replica.FetchResult { return quiet(0) })
	return id
}

// use sends an incremental fetch without changes on session id.
func use(t *testing.T, m *FetchManager, id int32) {
	t.Helper()
	s := m.Cache().Get(id)
	if s == nil {
		t.Fatalf("session %d is gone", id)
	}
	if _, code, _ := serve(t, m, Request{SessionID: id, Epoch: s.Epoch()}, func(replica.FetchPartition) replica.FetchResult { return quiet(0) }); code != 0 {
		t.Fatalf("session %d: code %d", id, code)
	}
}

func TestEvictionOfStaleSession(t *testing.T) {
	m, clk := newManager(2, 1000)
	a := sessionOf(t, m, "a", 5, true)
	clk.ms += 10
	b := sessionOf(t, m, "b", 5, false)
	// Full, nothing stale, the new consumer session is smaller: refused.
	clk.ms += 10
	if id := sessionOf(t, m, "c", 1, false); id != InvalidSessionID {
		t.Fatalf("a session was created in a full cache: %d", id)
	}
	// a stays in use, b does not: once b has been unused for longer than
	// the eviction time it is stale and goes first, even for a small session.
	clk.ms += 600
	use(t, m, a)
	clk.ms += 500
	use(t, m, a)
	c := sessionOf(t, m, "c", 1, false)
	if c == InvalidSessionID || m.Cache().Get(b) != nil || m.Cache().Get(a) == nil {
		t.Fatalf("c=%d; b kept=%v a kept=%v", c, m.Cache().Get(b) != nil, m.Cache().Get(a) != nil)
	}
	if m.Cache().Evictions() != 1 || m.Cache().Size() != 2 || m.Cache().TotalPartitions() != 6 {
		t.Fatalf("evictions %d size %d partitions %d", m.Cache().Evictions(), m.Cache().Size(), m.Cache().TotalPartitions())
	}
}

func TestEvictionBySizeAndPrivilege(t *testing.T) {
	m, clk := newManager(2, 1000)
	small := sessionOf(t, m, "small", 2, false)
	fol := sessionOf(t, m, "follower", 3, true)

	// A new consumer session may not evict sessions younger than the
	// eviction time, however big it is.
	clk.ms += 100
	use(t, m, small)
	use(t, m, fol)
	if id := sessionOf(t, m, "big", 50, false); id != InvalidSessionID {
		t.Fatal("a young session was evicted by a consumer")
	}
	// A follower session may evict a consumer session at once (consumer
	// sessions are evictable by privileged ones from their first use),
	// but not a young follower session.
	fol2 := sessionOf(t, m, "follower2", 1, true)
	if fol2 == InvalidSessionID || m.Cache().Get(small) != nil {
		t.Fatal("a follower session did not evict a consumer session")
	}
	if id := sessionOf(t, m, "follower3", 100, true); id != InvalidSessionID {
		t.Fatal("a young follower session was evicted")
	}

	// Once older than the eviction time (and used since, which is when
	// evictability is updated), sessions can be evicted by value: a
	// consumer session never evicts a follower session...
	clk.ms += 1500
	use(t, m, fol)
	use(t, m, fol2)
	if id := sessionOf(t, m, "big", 50, false); id != InvalidSessionID {
		t.Fatal("a consumer session evicted a follower session")
	}
	// ... a follower session evicts the smallest one if it is at least as
	// big (strictly bigger: equal sizes keep the existing session).
	if id := sessionOf(t, m, "follower4", 1, true); id != InvalidSessionID {
		t.Fatal("a follower session of equal size evicted another")
	}
	fol5 := sessionOf(t, m, "follower5", 2, true)
	if fol5 == InvalidSessionID || m.Cache().Get(fol2) != nil || m.Cache().Get(fol) == nil {
		t.Fatal("the smallest follower session was not the one evicted")
	}
}

func TestConsumerEvictsSmallerOldConsumer(t *testing.T) {
	m, clk := newManager(2, 1000)
	a := sessionOf(t, m, "a", 3, false)
	b := sessionOf(t, m, "b", 4, false)
	clk.ms += 1001
	use(t, m, a)
	use(t, m, b)
	if id := sessionOf(t, m, "c", 3, false); id != InvalidSessionID {
		t.Fatal("a session of equal size evicted another")
	}
	c := sessionOf(t, m, "c", 4, false)
	if c == InvalidSessionID || m.Cache().Get(a) != nil || m.Cache().Get(b) == nil {
		t.Fatal("the smallest evictable consumer session was not evicted")
	}
}

// BenchmarkIncrementalFetchSession measures the session work of one
// incremental fetch of a 1000-partition session (no partitions in the
// request, 10 with records): the context, the selection and the completion.
// The reads themselves are not included.
func BenchmarkIncrementalFetchSession(b *testing.B) {
	const n = 1000
	m := NewFetchManager(NewFetchSessionCache(1000, DefaultEvictionMs))
	parts := make([]replica.FetchPartition, n)
	results := make([]replica.FetchResult, n)
	for i := range parts {
		parts[i] = fp(fmt.Sprintf("topic-%d", i%20), int32(i/20), 0)
		results[i] = quiet(100)
	}
	ctx := m.NewContext(Request{Epoch: InitialEpoch, Partitions: parts})
	_, id := ctx.Complete(results, nil)
	s := m.Cache().Get(id)
	epoch := s.Epoch()
	one := []byte{1}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ctx := m.NewContext(Request{SessionID: id, Epoch: epoch})
		for j := 0; j < 10; j++ {
			results[(i*10+j)%n].Records = one
		}
		sel := ctx.Select(results)
		if code, _ := ctx.Complete(results, sel); code != 0 {
			b.Fatal(code)
		}
		for j := 0; j < 10; j++ {
			results[(i*10+j)%n].Records = nil
		}
		epoch = NextEpoch(epoch)
	}
}

// TestConcurrentSessions runs clients creating, using, replacing and
// closing sessions in a small cache at once (for the race detector), then
// checks the cache's bookkeeping.
func TestConcurrentSessions(t *testing.T) {
	m, _ := newManager(4, 0)
	done := make(chan struct{})
	for g := 0; g < 8; g++ {
		go func(g int) {
			defer func() { done <- struct{}{} }()
			parts := []replica.FetchPartition{fp("t", int32(g), 0), fp("t", int32(g+8), 0)}
			var id, epoch int32
			for i := 0; i < 300; i++ {
				var r Request
				switch {
				case id == InvalidSessionID || i%50 == 0:
					r = Request{SessionID: id, Epoch: InitialEpoch, Partitions: parts, IsFollower: g%2 == 0}
				case i%77 == 0:
					r = Request{SessionID: id, Epoch: FinalEpoch, Partitions: parts}
				default:
					r = Request{SessionID: id, Epoch: epoch, Partitions: parts[:i%2]}
				}
				ctx := m.NewContext(r)
				results := make([]replica.FetchResult, len(ctx.Partitions()))
				for j := range results {
					results[j] = quiet(int64(g))
					if (i+j)%3 == 0 {
						results[j].Records = []byte{1}
					}
				}
				var code int16
				if i%5 == 0 {
					code, id = ctx.Throttled()
				} else {
					code, id = ctx.Complete(results, ctx.Select(results))
				}
				if code != 0 {
					id = InvalidSessionID
				}
				epoch = NextEpoch(r.Epoch)
				if IsFull(r.Epoch) {
					epoch = 1 // a new session starts at 1
				}
			}
		}(g)
	}
	for g := 0; g < 8; g++ {
		<-done
	}
	c := m.Cache()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.sessions) > 4 {
		t.Fatalf("%d sessions in a cache of 4", len(c.sessions))
	}
	var total int64
	for _, s := range c.sessions {
		total += int64(s.cachedSize)
	}
	if total != c.numPartitions {
		t.Fatalf("numPartitions %d, sessions hold %d", c.numPartitions, total)
	}
}
