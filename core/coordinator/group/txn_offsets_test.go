package group

import (
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gokafka/kafka/core/record"
	"github.com/gokafka/kafka/core/replica"
)

// marker writes a transaction marker for pid to offsets partition 0, as
// the WriteTxnMarkers handler does, and then tells the coordinator.
func (e *env) marker(pid int64, epoch int16, commit bool) {
	e.t.Helper()
	res := e.rm.AppendTxnMarker(replica.TopicPartition{Topic: OffsetsTopic, Partition: 0}, pid, epoch, commit, 0, 5*time.Second)
	if res.Err != nil {
		e.t.Fatalf("marker for producer %d: %v", pid, res.Err)
	}
	e.c.HandleTxnCompletion(pid, []int32{0}, commit)
}

// batches returns copies of the batches of offsets partition 0.
func (e *env) batches() []record.Batch {
	e.t.Helper()
	l := e.rm.Partition(OffsetsTopic, 0).Log()
	info, err := l.Read(l.LogStartOffset(), 1<<20, -1, true)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []record.Batch
	if err := record.Iterate(info.Records, func(b record.Batch) bool {
		out = append(out, append(record.Batch(nil), b...))
		return true
	}); err != nil {
		e.t.Fatal(err)
	}
	return out
}

func txnCommit(e *env, group string, pid int64, epoch int16, offsets map[TopicPartition]int64) map[TopicPartition]int16 {
	oms := map[TopicPartition]OffsetAndMetadata{}
	for tp, o := range offsets {
		oms[tp] = OffsetAndMetadata{Offset: o, LeaderEpoch: -1, CommitTimestamp: time.Now().UnixMilli(), ExpireTimestamp: -1}
	}
	return e.c.HandleTxnCommitOffsets(TxnCommit{GroupID: group, GenerationID: -1, ProducerID: pid, ProducerEpoch: epoch}, oms)
}

func mustTxnCommit(e *env, group string, pid int64, epoch int16, offsets map[TopicPartition]int64) {
	e.t.Helper()
	for tp, code := range txnCommit(e, group, pid, epoch, offsets) {
		if code != 0 {
			e.t.Fatalf("txn commit of %s for %s by producer %d: error %d", tp, group, pid, code)
		}
	}
}

func plainCommit(e *env, group string, offsets map[TopicPartition]int64) {
	e.t.Helper()
	oms := map[TopicPartition]OffsetAndMetadata{}
	for tp, o := range offsets {
		oms[tp] = OffsetAndMetadata{Offset: o, LeaderEpoch: -1, CommitTimestamp: time.Now().UnixMilli(), ExpireTimestamp: -1}
	}
	for tp, code := range e.c.HandleCommitOffsets(group, "", nil, -1, oms) {
		if code != 0 {
			e.t.Fatalf("commit of %s for %s: error %d", tp, group, code)
		}
	}
}

// fetched returns the visible offsets (-1 none) of tps, and with
// requireStable which of them are unstable.
func fetched(e *env, group string, requireStable bool, tps ...TopicPartition) (map[TopicPartition]int64, map[TopicPartition]bool) {
	e.t.Helper()
	code, offs := e.c.HandleFetchOffsets(group, requireStable, tps)
	if code != 0 {
		e.t.Fatalf("fetch offsets of %s: error %d", group, code)
	}
	out, unstable := map[TopicPartition]int64{}, map[TopicPartition]bool{}
	for tp, f := range offs {
		switch f.Error {
		case 0:
			out[tp] = f.Offset
		case errUnstableOffsetCommit:
			unstable[tp] = true
		default:
			e.t.Fatalf("fetch offset of %s for %s: error %d", tp, group, f.Error)
		}
	}
	return out, unstable
}

var (
	tp0 = TopicPartition{"t", 0}
	tp1 = TopicPartition{"t", 1}
)

func TestTxnOffsetsVisibleOnlyAfterCommit(t *testing.T) {
	e := startEnv(t, t.TempDir(), testConfig())
	const pid = 4000
	plainCommit(e, "g", map[TopicPartition]int64{tp0: 5})
	mustTxnCommit(e, "g", pid, 0, map[TopicPartition]int64{tp0: 10, tp1: 20})

	got, _ := fetched(e, "g", false, tp0, tp1)
	if got[tp0] != 5 || got[tp1] != -1 {
		t.Fatalf("before the marker: %v, want the plain commit only", got)
	}
	if _, unstable := fetched(e, "g", true, tp0, tp1); !unstable[tp0] || !unstable[tp1] {
		t.Fatalf("require_stable before the marker: unstable %v, want both", unstable)
	}
	// Every partition of the group: only committed offsets are listed,
	// and with require_stable those with a pending transaction are unstable.
	if got, unstable := fetched(e, "g", true); len(got) != 0 || len(unstable) != 1 || !unstable[tp0] {
		t.Fatalf("fetch all with require_stable: %v unstable %v", got, unstable)
	}
	if got, _ := fetched(e, "g", false); len(got) != 1 || got[tp0] != 5 {
		t.Fatalf("fetch all: %v", got)
	}

	// The records are one transactional batch of the producer.
	bs := e.batches()
	last := bs[len(bs)-1]
	if !last.IsTransactional() || last.IsControl() || last.ProducerID() != pid || last.ProducerEpoch() != 0 || last.BaseSequence() != 0 || last.RecordCount() != 2 {
		t.Fatalf("txn commit batch: transactional=%v pid=%d epoch=%d seq=%d records=%d",
			last.IsTransactional(), last.ProducerID(), last.ProducerEpoch(), last.BaseSequence(), last.RecordCount())
	}
	// A second commit in the same transaction continues the sequence.
	mustTxnCommit(e, "g", pid, 0, map[TopicPartition]int64{tp1: 21})
	bs = e.batches()
	if s := bs[len(bs)-1].BaseSequence(); s != 2 {
		t.Fatalf("second txn commit batch has base sequence %d, want 2", s)
	}

	e.marker(pid, 0, true)
	got, unstable := fetched(e, "g", true, tp0, tp1)
	if len(unstable) != 0 || got[tp0] != 10 || got[tp1] != 21 {
		t.Fatalf("after the commit marker: %v unstable %v", got, unstable)
	}
	// The next transaction of the same producer goes on in sequence.
	mustTxnCommit(e, "g", pid, 0, map[TopicPartition]int64{tp0: 30})
	if s := e.batches()[len(e.batches())-1].BaseSequence(); s != 3 {
		t.Fatalf("next transaction's batch has base sequence %d, want 3", s)
	}
	e.marker(pid, 0, true)
	if got, _ := fetched(e, "g", false, tp0); got[tp0] != 30 {
		t.Fatalf("second transaction: %v", got)
	}
}

func TestTxnOffsetsAbort(t *testing.T) {
	e := startEnv(t, t.TempDir(), testConfig())
	plainCommit(e, "g", map[TopicPartition]int64{tp0: 5})
	mustTxnCommit(e, "g", 7, 0, map[TopicPartition]int64{tp0: 10, tp1: 20})
	// Another producer's transaction on the same group is independent.
	mustTxnCommit(e, "g", 8, 0, map[TopicPartition]int64{tp1: 40})
	e.marker(7, 0, false)
	got, unstable := fetched(e, "g", true, tp0, tp1)
	if got[tp0] != 5 || !unstable[tp1] {
		t.Fatalf("after producer 7 aborted: %v unstable %v (tp1 still pending for producer 8)", got, unstable)
	}
	e.marker(8, 0, true)
	if got, unstable := fetched(e, "g", true, tp0, tp1); got[tp0] != 5 || got[tp1] != 40 || len(unstable) != 0 {
		t.Fatalf("after producer 8 committed: %v unstable %v", got, unstable)
	}
	// A completion for a partition this coordinator does not have, or for a
	// producer without pending commits, changes nothing.
	e.c.HandleTxnCompletion(8, []int32{17}, true)
	e.c.HandleTxnCompletion(99, []int32{0}, true)
	if got, _ := fetched(e, "g", false, tp0, tp1); got[tp0] != 5 || got[tp1] != 40 {
		t.Fatalf("after unrelated completions: %v", got)
	}
}

// TestTxnOffsetsOrderedByLog commits a plain offset after a transactional
// one of the same partition: when the transaction commits, the later
// record in the log wins, in memory and after a reload.
func TestTxnOffsetsOrderedByLog(t *testing.T) {
	dir := t.TempDir()
	e := startEnv(t, dir, testConfig())
	mustTxnCommit(e, "g", 11, 0, map[TopicPartition]int64{tp0: 10, tp1: 20})
	plainCommit(e, "g", map[TopicPartition]int64{tp0: 7})
	e.marker(11, 0, true)
	if got, _ := fetched(e, "g", false, tp0, tp1); got[tp0] != 7 || got[tp1] != 20 {
		t.Fatalf("after commit: %v, want t-0 from the later plain commit", got)
	}
	e.stop()
	e2 := startEnv(t, dir, testConfig())
	if got, unstable := fetched(e2, "g", true, tp0, tp1); got[tp0] != 7 || got[tp1] != 20 || len(unstable) != 0 {
		t.Fatalf("after reload: %v unstable %v", got, unstable)
	}
}

// TestTxnOffsetsLoad restarts with transactions committed, aborted and
// undecided in the log.
func TestTxnOffsetsLoad(t *testing.T) {
	dir := t.TempDir()
	e := startEnv(t, dir, testConfig())
	m := e.stableMember("member", 60000)
	mustTxnCommit(e, "ga", 1, 0, map[TopicPartition]int64{tp0: 100})
	mustTxnCommit(e, "gb", 2, 0, map[TopicPartition]int64{tp0: 200})
	mustTxnCommit(e, "gc", 3, 0, map[TopicPartition]int64{tp0: 300})
	plainCommit(e, "gb", map[TopicPartition]int64{tp1: 1})
	mustTxnCommit(e, "member", 4, 0, map[TopicPartition]int64{tp0: 400})
	mustTxnCommit(e, "ga", 1, 0, map[TopicPartition]int64{tp1: 101})
	e.marker(1, 0, true)
	e.marker(2, 0, false)
	e.marker(4, 0, true)
	e.stop()

	e2 := startEnv(t, dir, testConfig())
	if got, u := fetched(e2, "ga", true, tp0, tp1); got[tp0] != 100 || got[tp1] != 101 || len(u) != 0 {
		t.Fatalf("committed transaction after reload: %v unstable %v", got, u)
	}
	if got, u := fetched(e2, "gb", true, tp0, tp1); got[tp0] != -1 || got[tp1] != 1 || len(u) != 0 {
		t.Fatalf("aborted transaction after reload: %v unstable %v", got, u)
	}
	if got, u := fetched(e2, "gc", true, tp0); len(got) != 0 || !u[tp0] {
		t.Fatalf("undecided transaction after reload: %v unstable %v, want unstable", got, u)
	}
	if got, _ := fetched(e2, "gc", false, tp0); got[tp0] != -1 {
		t.Fatalf("undecided transaction visible after reload: %v", got)
	}
	// The group with members keeps them and gets its transactional offset.
	if _, s := e2.c.HandleDescribeGroup("member"); s.State != "Stable" || len(s.Members) != 1 || s.Members[0].MemberID != m.MemberID {
		t.Fatalf("member group after reload: %+v", s)
	}
	if got, _ := fetched(e2, "member", false, tp0); got[tp0] != 400 {
		t.Fatalf("member group offsets after reload: %v", got)
	}
	// The undecided transaction goes on where the log left it (the next
	// batch is in sequence) and completes.
	mustTxnCommit(e2, "gc", 3, 0, map[TopicPartition]int64{tp1: 301})
	e2.marker(3, 0, true)
	if got, u := fetched(e2, "gc", true, tp0, tp1); got[tp0] != 300 || got[tp1] != 301 || len(u) != 0 {
		t.Fatalf("undecided transaction committed after reload: %v unstable %v", got, u)
	}
}

func TestTxnOffsetCommitErrors(t *testing.T) {
	e := startEnv(t, t.TempDir(), testConfig())
	om := func(o int64, md string) OffsetAndMetadata {
		return OffsetAndMetadata{Offset: o, LeaderEpoch: -1, Metadata: md, ExpireTimestamp: -1}
	}
	one := map[TopicPartition]OffsetAndMetadata{tp0: om(1, "")}
	if got := e.c.HandleTxnCommitOffsets(TxnCommit{GroupID: "", GenerationID: -1, ProducerID: 1}, one); got[tp0] != errInvalidGroupID {
		t.Fatalf("empty group id: %d", got[tp0])
	}
	// v3 member checks, only when a member id / generation is given.
	j := e.c.HandleJoinGroup(JoinRequest{GroupID: "g", ClientID: "c", ClientHost: "/h", RebalanceTimeoutMs: 5000, SessionTimeoutMs: 60000,
		ProtocolType: ConsumerProtocolType, GroupInstanceID: strPtr("inst"), Protocols: []Protocol{{Name: "range", Metadata: subscription("t")}}}, nil)
	if j.Error != 0 {
		t.Fatalf("join: %d", j.Error)
	}
	e.c.HandleSyncGroup(SyncRequest{GroupID: "g", GenerationID: j.GenerationID, MemberID: j.MemberID, GroupInstanceID: strPtr("inst"),
		Assignments: map[string][]byte{j.MemberID: nil}}, nil)
	cases := []struct {
		name string
		req  TxnCommit
		want int16
	}{
		{"unknown member", TxnCommit{GroupID: "g", MemberID: "nobody", GenerationID: -1, ProducerID: 1}, errUnknownMemberID},
		{"old generation", TxnCommit{GroupID: "g", MemberID: j.MemberID, GenerationID: j.GenerationID - 1, ProducerID: 1}, errIllegalGeneration},
		{"generation without member", TxnCommit{GroupID: "g", GenerationID: j.GenerationID + 1, ProducerID: 1}, errIllegalGeneration},
		{"fenced instance", TxnCommit{GroupID: "g", MemberID: "other", InstanceID: strPtr("inst"), GenerationID: j.GenerationID, ProducerID: 1}, errFencedInstanceID},
		{"member and generation", TxnCommit{GroupID: "g", MemberID: j.MemberID, InstanceID: strPtr("inst"), GenerationID: j.GenerationID, ProducerID: 1}, 0},
		{"no member (v0-v2)", TxnCommit{GroupID: "g", GenerationID: -1, ProducerID: 2}, 0},
	}
	for _, c := range cases {
		if got := e.c.HandleTxnCommitOffsets(c.req, one); got[tp0] != c.want {
			t.Errorf("%s: error %d, want %d", c.name, got[tp0], c.want)
		}
	}
	// Metadata over offset.metadata.max.bytes fails alone.
	res := e.c.HandleTxnCommitOffsets(TxnCommit{GroupID: "m", GenerationID: -1, ProducerID: 5},
		map[TopicPartition]OffsetAndMetadata{tp0: om(1, strings.Repeat("x", 5000)), tp1: om(2, "ok")})
	if res[tp0] != errOffsetMetadataTooLarge || res[tp1] != 0 {
		t.Fatalf("metadata too large: %v", res)
	}
	res = e.c.HandleTxnCommitOffsets(TxnCommit{GroupID: "m", GenerationID: -1, ProducerID: 5},
		map[TopicPartition]OffsetAndMetadata{tp0: om(1, strings.Repeat("x", 5000))})
	if res[tp0] != errOffsetMetadataTooLarge {
		t.Fatalf("only too large metadata: %v", res)
	}
	e.marker(5, 0, true)
	if got, _ := fetched(e, "m", false, tp0, tp1); got[tp0] != -1 || got[tp1] != 2 {
		t.Fatalf("after commit: %v", got)
	}
	// A producer fenced by a newer epoch (its marker was written with
	// the bumped epoch) can no longer commit.
	mustTxnCommit(e, "f", 6, 3, map[TopicPartition]int64{tp0: 1})
	e.marker(6, 4, false)
	if got := txnCommit(e, "f", 6, 3, map[TopicPartition]int64{tp0: 2}); got[tp0] != errInvalidProducerEpoch {
		t.Fatalf("commit with a fenced epoch: %d", got[tp0])
	}
	// The new epoch starts its sequence at 0.
	mustTxnCommit(e, "f", 6, 4, map[TopicPartition]int64{tp0: 3})
	if b := e.batches()[len(e.batches())-1]; b.ProducerEpoch() != 4 || b.BaseSequence() != 0 {
		t.Fatalf("new epoch batch: epoch %d seq %d", b.ProducerEpoch(), b.BaseSequence())
	}
}

// TestExpirationKeepsPendingTxnOffsets: an undecided transaction keeps
// its group and partition offsets from expiring.
func TestExpirationKeepsPendingTxnOffsets(t *testing.T) {
	cfg := testConfig()
	cfg.OffsetsRetentionMs = 1
	e := startEnv(t, t.TempDir(), cfg)
	old := time.Now().UnixMilli() - 1000
	e.c.HandleCommitOffsets("g", "", nil, -1, map[TopicPartition]OffsetAndMetadata{
		tp0: {Offset: 5, LeaderEpoch: -1, CommitTimestamp: old, ExpireTimestamp: -1},
		tp1: {Offset: 6, LeaderEpoch: -1, CommitTimestamp: old, ExpireTimestamp: -1},
	})
	mustTxnCommit(e, "g", 9, 0, map[TopicPartition]int64{tp0: 50})
	mustTxnCommit(e, "only-txn", 9, 0, map[TopicPartition]int64{tp0: 70})
	time.Sleep(5 * time.Millisecond)
	e.c.cleanupExpiredOffsets()
	if got, _ := fetched(e, "g", false, tp0, tp1); got[tp0] != 5 || got[tp1] != -1 {
		t.Fatalf("after expiration: %v, want t-0 kept (pending transaction) and t-1 expired", got)
	}
	if _, s := e.c.HandleDescribeGroup("only-txn"); s.State != "Empty" {
		t.Fatalf("group with only a pending transaction is %s after expiration", s.State)
	}
	e.marker(9, 0, true)
	if got, _ := fetched(e, "g", false, tp0); got[tp0] != 50 {
		t.Fatalf("committed after expiration ran: %v", got)
	}
	if got, _ := fetched(e, "only-txn", false, tp0); got[tp0] != 70 {
		t.Fatalf("only-txn committed after expiration ran: %v", got)
	}
}

// TestDeleteGroupDropsPendingTxnOffsets: deleting an Empty group drops
// its undecided transactional offsets for good, also after a reload.
func TestDeleteGroupDropsPendingTxnOffsets(t *testing.T) {
	dir := t.TempDir()
	e := startEnv(t, dir, testConfig())
	mustTxnCommit(e, "g", 12, 0, map[TopicPartition]int64{tp0: 10})
	if got := e.c.HandleDeleteGroups([]string{"g"}); got["g"] != 0 {
		t.Fatalf("delete group: %v", got)
	}
	e.marker(12, 0, true)
	if got, _ := fetched(e, "g", false, tp0); got[tp0] != -1 {
		t.Fatalf("deleted group's transaction committed: %v", got)
	}
	e.stop()
	e2 := startEnv(t, dir, testConfig())
	if got, _ := fetched(e2, "g", false, tp0); got[tp0] != -1 {
		t.Fatalf("deleted group's transactional offset came back after reload: %v", got)
	}
	if _, s := e2.c.HandleDescribeGroup("g"); s.State != "Dead" {
		t.Fatalf("deleted group after reload: %s", s.State)
	}
}

// TestTxnOffsetsConcurrentProducers runs transactions of several
// producers on groups of one offsets partition at once, with plain
// commits in between: every append is accepted (each producer's batches
// are in sequence), and only offsets of committed transactions show.
func TestTxnOffsetsConcurrentProducers(t *testing.T) {
	e := startEnv(t, t.TempDir(), testConfig())
	const producers, txns = 6, 15
	groups := []string{"g0", "g1", "g2"}
	errs := make(chan string, producers*txns)
	done := make(chan struct{})
	for p := 0; p < producers; p++ {
		go func(pid int64) {
			defer func() { done <- struct{}{} }()
			for i := 0; i < txns; i++ {
				commit := i%2 == 0
				// Odd offsets only for transactions that commit.
				off := pid*1000 + int64(2*i)
				if commit {
					off++
				}
				g := groups[(int(pid)+i)%len(groups)]
				for tp, code := range txnCommit(e, g, pid, 0, map[TopicPartition]int64{tp0: off, tp1: off}) {
					if code != 0 {
						errs <- g + " " + tp.String() + ": error " + itoa(int32(code))
					}
				}
				res := e.rm.AppendTxnMarker(replica.TopicPartition{Topic: OffsetsTopic, Partition: 0}, pid, 0, commit, 0, 5*time.Second)
				if res.Err != nil {
					errs <- "marker: " + res.Err.Error()
				}
				e.c.HandleTxnCompletion(pid, []int32{0}, commit)
				if i%5 == 0 {
					e.c.HandleCommitOffsets(g, "", nil, -1, map[TopicPartition]OffsetAndMetadata{{"plain", int32(pid)}: {Offset: int64(i), LeaderEpoch: -1, ExpireTimestamp: -1}})
				}
			}
		}(int64(p + 1))
	}
	for p := 0; p < producers; p++ {
		<-done
	}
	close(errs)
	for msg := range errs {
		t.Error(msg)
	}
	for _, g := range groups {
		got, unstable := fetched(e, g, true, tp0, tp1)
		if len(unstable) != 0 {
			t.Errorf("%s: unstable %v after every transaction ended", g, unstable)
		}
		for tp, off := range got {
			if off%2 != 1 {
				t.Errorf("%s %s = %d: an aborted transaction's offset is visible", g, tp, off)
			}
		}
	}
	// The same state comes back from the log.
	want := map[string]map[TopicPartition]int64{}
	for _, g := range groups {
		want[g], _ = fetched(e, g, false, tp0, tp1)
	}
	e.stop()
	e2 := startEnv(t, e.dir, testConfig())
	for _, g := range groups {
		got, unstable := fetched(e2, g, true, tp0, tp1)
		if len(unstable) != 0 || got[tp0] != want[g][tp0] || got[tp1] != want[g][tp1] {
			t.Errorf("%s after reload: %v unstable %v, want %v", g, got, unstable, want[g])
		}
	}
}

// TestTxnCompletionDuringLoad: the marker arrives after the load read the
// partition but before it installed the groups; the completion still
// applies once the load is done.
func TestTxnCompletionDuringLoad(t *testing.T) {
	dir := t.TempDir()
	e := startEnv(t, dir, testConfig())
	mustTxnCommit(e, "g", 21, 0, map[TopicPartition]int64{tp0: 10})
	e.stop()

	e2 := startEnv(t, dir, testConfig())
	// Lose and regain leadership; hold the new load between its read and
	// its install.
	read, release := make(chan struct{}), make(chan struct{})
	e2.c.afterRead = func(int32) {
		read <- struct{}{}
		<-release
	}
	e2.c.onResignation(0, 1)
	req := kmsg.NewPtrLeaderAndISRRequest()
	req.Version, req.ControllerEpoch = 1, 1
	ps := kmsg.NewLeaderAndISRRequestTopicPartition()
	ps.Topic, ps.Partition, ps.ControllerEpoch, ps.Leader, ps.LeaderEpoch = OffsetsTopic, 0, 1, 0, 2
	ps.ISR, ps.Replicas = []int32{0}, []int32{0}
	req.PartitionStates = append(req.PartitionStates, ps)
	e2.rm.BecomeLeaderOrFollower(req)
	recv(t, read, "load read the partition")
	e2.marker(21, 0, true)
	close(release)
	waitFor(t, "load finished", func() bool { return e2.c.validateGroupStatus("g", apiFetch) == errNone })
	waitFor(t, "transaction completed", func() bool {
		got, unstable := fetched(e2, "g", true, tp0)
		return len(unstable) == 0 && got[tp0] == 10
	})
}
