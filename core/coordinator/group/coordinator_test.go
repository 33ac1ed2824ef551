package group

import (
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	klog "github.com/gokafka/kafka/core/log"
	"github.com/gokafka/kafka/core/record"
	"github.com/gokafka/kafka/core/replica"
)

// env is a coordinator over a real ReplicaManager and log directory that
// leads a one-partition __consumer_offsets.
type env struct {
	t    *testing.T
	dir  string
	cfg  Config
	logs *klog.LogManager
	rm   *replica.ReplicaManager
	c    *GroupCoordinator
}

func testConfig() Config {
	return Config{
		BrokerID: 0, OffsetsTopicNumPartitions: 1, OffsetsTopicReplicationFactor: 1, OffsetsTopicSegmentBytes: 1 << 20,
		OffsetsRetentionMs: 7 * 24 * 3600 * 1000, OffsetsCommitTimeoutMs: 5000, OffsetMetadataMaxBytes: 4096,
		GroupInitialRebalanceDelayMs: 0, GroupMinSessionTimeoutMs: 50, GroupMaxSessionTimeoutMs: 60000, GroupMaxSize: 100,
	}
}

func startEnv(t *testing.T, dir string, cfg Config) *env {
	t.Helper()
	logs, err := klog.NewLogManager(klog.ManagerConfig{Dirs: []string{dir}, Default: klog.DefaultConfig()},
		func(string) klog.Config { return klog.DefaultConfig() })
	if err != nil {
		t.Fatal(err)
	}
	rm := replica.NewReplicaManager(0, logs, func(string) (klog.Config, int, error) { return klog.DefaultConfig(), 1, nil })
	e := &env{t: t, dir: dir, cfg: cfg, logs: logs, rm: rm, c: NewGroupCoordinator(cfg, rm)}
	e.c.Startup()
	t.Cleanup(e.stop)
	e.lead(0)
	return e
}

func (e *env) stop() {
	if e.c == nil {
		return
	}
	e.c.Shutdown()
	e.rm.Shutdown()
	_ = e.logs.Shutdown()
	e.c = nil
}

// lead makes this broker leader of every offsets partition at epoch and
// waits until the coordinator has loaded them.
func (e *env) lead(epoch int32) {
	e.t.Helper()
	req := kmsg.NewPtrLeaderAndISRRequest()
	req.Version = 1
	req.ControllerEpoch = 1
	for p := int32(0); p < e.cfg.OffsetsTopicNumPartitions; p++ {
		ps := kmsg.NewLeaderAndISRRequestTopicPartition()
		ps.Topic, ps.Partition, ps.ControllerEpoch, ps.Leader, ps.LeaderEpoch = OffsetsTopic, p, 1, 0, epoch
		ps.ISR, ps.Replicas = []int32{0}, []int32{0}
		req.PartitionStates = append(req.PartitionStates, ps)
	}
	e.rm.BecomeLeaderOrFollower(req)
	waitFor(e.t, "offsets partitions loaded", func() bool {
		e.c.mu.Lock()
		defer e.c.mu.Unlock()
		return len(e.c.loading) == 0 && len(e.c.owned) == int(e.cfg.OffsetsTopicNumPartitions)
	})
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func subscription(topics ...string) []byte {
	m := kmsg.NewConsumerMemberMetadata()
	m.Topics = topics
	return m.AppendTo(nil)
}

func joinReq(group, member string, session int32, topics ...string) JoinRequest {
	return JoinRequest{
		GroupID: group, MemberID: member, ClientID: "client", ClientHost: "/127.0.0.1",
		RebalanceTimeoutMs: 5000, SessionTimeoutMs: session, ProtocolType: ConsumerProtocolType,
		Protocols: []Protocol{{Name: "range", Metadata: subscription(topics...)}},
	}
}

// joinAsync starts a JoinGroup and returns a channel with its answer.
func (e *env) joinAsync(r JoinRequest) <-chan JoinResult {
	ch := make(chan JoinResult, 1)
	go func() { ch <- e.c.HandleJoinGroup(r, nil) }()
	return ch
}

func recv[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("no answer to %s", what)
	}
	var zero T
	return zero
}

func (e *env) state(group string) string {
	_, s := e.c.HandleDescribeGroup(group)
	return s.State
}

// stableMember joins a new member alone and syncs it.
func (e *env) stableMember(group string, session int32) JoinResult {
	e.t.Helper()
	j := e.c.HandleJoinGroup(joinReq(group, "", session, "t"), nil)
	if j.Error != 0 {
		e.t.Fatalf("join: error %d", j.Error)
	}
	s := e.c.HandleSyncGroup(SyncRequest{GroupID: group, GenerationID: j.GenerationID, MemberID: j.MemberID,
		Assignments: map[string][]byte{j.MemberID: []byte("a1")}}, nil)
	if s.Error != 0 || string(s.Assignment) != "a1" {
		e.t.Fatalf("sync: %+v", s)
	}
	return j
}

// records decodes every record of the offsets partition.
func (e *env) records() []record.Record {
	e.t.Helper()
	l := e.rm.Partition(OffsetsTopic, 0).Log()
	info, err := l.Read(l.LogStartOffset(), 1<<20, -1, true)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []record.Record
	if err := record.Iterate(info.Records, func(b record.Batch) bool {
		rs, err := record.DecodeRecords(b)
		if err != nil {
			e.t.Fatal(err)
		}
		out = append(out, rs...)
		return true
	}); err != nil {
		e.t.Fatal(err)
	}
	return out
}

func TestSingleMemberLifecycle(t *testing.T) {
	e := startEnv(t, t.TempDir(), testConfig())
	j := e.c.HandleJoinGroup(joinReq("g", "", 10000, "t"), nil)
	if j.Error != 0 || j.GenerationID != 1 || j.LeaderID != j.MemberID || len(j.Members) != 1 || *j.ProtocolName != "range" {
		t.Fatalf("join = %+v", j)
	}
	if got := e.state("g"); got != "CompletingRebalance" {
		t.Fatalf("state after join %s", got)
	}
	if code := e.c.HandleHeartbeat("g", j.MemberID, nil, j.GenerationID); code != 0 {
		t.Fatalf("heartbeat while awaiting sync: %d", code)
	}
	s := e.c.HandleSyncGroup(SyncRequest{GroupID: "g", GenerationID: 1, MemberID: j.MemberID, Assignments: map[string][]byte{j.MemberID: []byte("A")}}, nil)
	if s.Error != 0 || string(s.Assignment) != "A" || *s.ProtocolType != "consumer" {
		t.Fatalf("sync = %+v", s)
	}
	if got := e.state("g"); got != "Stable" {
		t.Fatalf("state after sync %s", got)
	}
	// The group record holds the generation, protocol and assignment.
	recs := e.records()
	if len(recs) != 1 {
		t.Fatalf("%d records, want the group record", len(recs))
	}
	k, _ := ReadKey(recs[0].Key)
	gr, err := ReadGroupValue(recs[0].Value)
	if err != nil || k.Group != "g" || k.IsOffsetKey() || gr.Version != 3 || gr.Generation != 1 || *gr.Protocol != "range" ||
		len(gr.Members) != 1 || string(gr.Members[0].Assignment) != "A" || gr.Members[0].ClientHost != "/127.0.0.1" {
		t.Fatalf("group record %+v %+v %v", k, gr, err)
	}
	// Errors for wrong generations and members.
	if code := e.c.HandleHeartbeat("g", j.MemberID, nil, 7); code != errIllegalGeneration {
		t.Errorf("heartbeat with generation 7: %d", code)
	}
	if code := e.c.HandleHeartbeat("g", "nobody", nil, 1); code != errUnknownMemberID {
		t.Errorf("heartbeat of unknown member: %d", code)
	}
	if code := e.c.HandleHeartbeat("", "x", nil, 1); code != errInvalidGroupID {
		t.Errorf("heartbeat without group id: %d", code)
	}
	tp := TopicPartition{"t", 0}
	om := OffsetAndMetadata{Offset: 5, LeaderEpoch: -1, CommitTimestamp: time.Now().UnixMilli(), ExpireTimestamp: -1}
	if got := e.c.HandleCommitOffsets("g", j.MemberID, nil, 2, map[TopicPartition]OffsetAndMetadata{tp: om}); got[tp] != errIllegalGeneration {
		t.Errorf("commit with a wrong generation: %d", got[tp])
	}
	if got := e.c.HandleCommitOffsets("g", "stranger", nil, 1, map[TopicPartition]OffsetAndMetadata{tp: om}); got[tp] != errUnknownMemberID {
		t.Errorf("commit of an unknown member: %d", got[tp])
	}
	if got := e.c.HandleCommitOffsets("g", j.MemberID, nil, 1, map[TopicPartition]OffsetAndMetadata{tp: om}); got[tp] != 0 {
		t.Fatalf("commit: %d", got[tp])
	}
	if _, offs := e.c.HandleFetchOffsets("g", false, []TopicPartition{tp, {"t", 1}}); offs[tp].Offset != 5 || offs[TopicPartition{"t", 1}].Offset != -1 {
		t.Fatalf("fetch offsets %+v", offs)
	}
	// Leaving empties the group, which writes an Empty group record.
	code, per := e.c.HandleLeaveGroup("g", []LeavingMember{{MemberID: j.MemberID}, {MemberID: "ghost"}})
	if code != 0 || per[0] != 0 || per[1] != errUnknownMemberID {
		t.Fatalf("leave = %d %v", code, per)
	}
	if got := e.state("g"); got != "Empty" {
		t.Fatalf("state after leave %s", got)
	}
	waitFor(t, "empty group record", func() bool {
		recs := e.records()
		last := recs[len(recs)-1]
		gr, err := ReadGroupValue(last.Value)
		return err == nil && gr.Generation == 2 && len(gr.Members) == 0 && gr.Protocol == nil && gr.Leader == nil && gr.ProtocolType == "consumer"
	})
}

func TestJoinErrors(t *testing.T) {
	e := startEnv(t, t.TempDir(), testConfig())
	r := joinReq("g", "", 10, "t")
	if j := e.c.HandleJoinGroup(r, nil); j.Error != errInvalidSessionTimeout {
		t.Errorf("session timeout below the minimum: %d", j.Error)
	}
	r = joinReq("g", "", 10000, "t")
	r.ProtocolType = ""
	if j := e.c.HandleJoinGroup(r, nil); j.Error != errInconsistentGroupProtocol {
		t.Errorf("empty protocol type: %d", j.Error)
	}
	if j := e.c.HandleJoinGroup(joinReq("g", "made-up", 10000, "t"), nil); j.Error != errUnknownMemberID {
		t.Errorf("unknown member id for a new group: %d", j.Error)
	}
	first := e.stableMember("g", 10000)
	other := joinReq("g", "", 10000, "t")
	other.ProtocolType = "connect"
	if j := e.c.HandleJoinGroup(other, nil); j.Error != errInconsistentGroupProtocol {
		t.Errorf("other protocol type: %d", j.Error)
	}
	other = joinReq("g", "", 10000, "t")
	other.Protocols = []Protocol{{Name: "roundrobin"}}
	if j := e.c.HandleJoinGroup(other, nil); j.Error != errInconsistentGroupProtocol {
		t.Errorf("no common protocol: %d", j.Error)
	}
	if got := e.state("g"); got != "Stable" {
		t.Errorf("rejected joins disturbed the group: %s", got)
	}
	// MEMBER_ID_REQUIRED hands out an id; rejoining with it is accepted.
	r = joinReq("h", "", 10000, "t")
	r.RequireKnownMemberID = true
	j := e.c.HandleJoinGroup(r, nil)
	if j.Error != errMemberIDRequired || j.MemberID == "" {
		t.Fatalf("v4 join without id = %+v", j)
	}
	r.MemberID = j.MemberID
	if j2 := e.c.HandleJoinGroup(r, nil); j2.Error != 0 || j2.MemberID != j.MemberID {
		t.Fatalf("rejoin with the given id = %+v", j2)
	}
	_ = first

	cfg := testConfig()
	cfg.GroupMaxSize = 1
	small := startEnv(t, t.TempDir(), cfg)
	small.stableMember("g", 10000)
	if j := small.c.HandleJoinGroup(joinReq("g", "", 10000, "t"), nil); j.Error != errGroupMaxSizeReached {
		t.Errorf("second member of a group of max size 1: %d", j.Error)
	}
	if got := small.state("g"); got != "Stable" {
		t.Errorf("a refused member disturbed the group: %s", got)
	}
}

func TestRebalanceWithTwoMembers(t *testing.T) {
	e := startEnv(t, t.TempDir(), testConfig())
	m1 := e.stableMember("g", 10000)
	ch2 := e.joinAsync(joinReq("g", "", 10000, "t"))
	waitFor(t, "rebalance", func() bool { return e.state("g") == "PreparingRebalance" })
	if code := e.c.HandleHeartbeat("g", m1.MemberID, nil, m1.GenerationID); code != errRebalanceInProgress {
		t.Fatalf("heartbeat during rebalance: %d", code)
	}
	// A commit in PreparingRebalance with the old generation still counts.
	tp := TopicPartition{"t", 0}
	om := OffsetAndMetadata{Offset: 1, LeaderEpoch: -1, ExpireTimestamp: -1}
	if got := e.c.HandleCommitOffsets("g", m1.MemberID, nil, 1, map[TopicPartition]OffsetAndMetadata{tp: om}); got[tp] != 0 {
		t.Fatalf("commit during rebalance: %d", got[tp])
	}
	ch1 := e.joinAsync(joinReq("g", m1.MemberID, 10000, "t"))
	j1, j2 := recv(t, ch1, "m1 rejoin"), recv(t, ch2, "m2 join")
	if j1.Error != 0 || j2.Error != 0 || j1.GenerationID != 2 || j2.GenerationID != 2 {
		t.Fatalf("joins: %+v / %+v", j1, j2)
	}
	if j1.LeaderID != m1.MemberID || len(j1.Members) != 2 || len(j2.Members) != 0 {
		t.Fatalf("leader %s members %d/%d", j1.LeaderID, len(j1.Members), len(j2.Members))
	}
	if got := e.c.HandleCommitOffsets("g", m1.MemberID, nil, 2, map[TopicPartition]OffsetAndMetadata{tp: om}); got[tp] != errRebalanceInProgress {
		t.Fatalf("commit before the assignment: %d", got[tp])
	}
	// The follower's SyncGroup waits for the leader's.
	sch := make(chan SyncResult, 1)
	go func() {
		sch <- e.c.HandleSyncGroup(SyncRequest{GroupID: "g", GenerationID: 2, MemberID: j2.MemberID}, nil)
	}()
	time.Sleep(50 * time.Millisecond)
	select {
	case s := <-sch:
		t.Fatalf("follower synced before the leader: %+v", s)
	default:
	}
	s1 := e.c.HandleSyncGroup(SyncRequest{GroupID: "g", GenerationID: 2, MemberID: m1.MemberID,
		Assignments: map[string][]byte{m1.MemberID: []byte("p0"), j2.MemberID: []byte("p1")}}, nil)
	s2 := recv(t, sch, "follower sync")
	if string(s1.Assignment) != "p0" || string(s2.Assignment) != "p1" || s1.Error != 0 || s2.Error != 0 {
		t.Fatalf("assignments %+v %+v", s1, s2)
	}
	if s := e.c.HandleSyncGroup(SyncRequest{GroupID: "g", GenerationID: 1, MemberID: m1.MemberID}, nil); s.Error != errIllegalGeneration {
		t.Fatalf("sync with the old generation: %d", s.Error)
	}
	_, sum := e.c.HandleDescribeGroup("g")
	if sum.State != "Stable" || sum.Protocol != "range" || len(sum.Members) != 2 {
		t.Fatalf("describe %+v", sum)
	}
}

func TestSessionTimeoutRemovesMember(t *testing.T) {
	e := startEnv(t, t.TempDir(), testConfig())
	m := e.stableMember("g", 200)
	start := time.Now()
	waitFor(t, "expiry", func() bool { return e.state("g") == "Empty" })
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Fatalf("member expired after %v, before its 200 ms session", d)
	}
	if code := e.c.HandleHeartbeat("g", m.MemberID, nil, m.GenerationID); code != errUnknownMemberID {
		t.Fatalf("heartbeat of an expired member: %d", code)
	}

	// Heartbeats keep a member alive well past its session timeout.
	m2 := e.stableMember("h", 1000)
	for i := 0; i < 15; i++ {
		time.Sleep(100 * time.Millisecond)
		if code := e.c.HandleHeartbeat("h", m2.MemberID, nil, m2.GenerationID); code != 0 {
			t.Fatalf("heartbeat %d: %d", i, code)
		}
	}
	if got := e.state("h"); got != "Stable" {
		t.Fatalf("a heartbeating member was dropped: %s", got)
	}
}

func TestRebalanceTimeoutDropsMembersThatDoNotRejoin(t *testing.T) {
	e := startEnv(t, t.TempDir(), testConfig())
	m1 := e.stableMember("g", 60000)
	r := joinReq("g", "", 60000, "t")
	r.RebalanceTimeoutMs = 300
	start := time.Now()
	// m1 (rebalance timeout 5 s) never rejoins; the join phase lasts the
	// group's largest rebalance timeout, then m1 is dropped.
	j := recv(t, e.joinAsync(r), "join")
	if j.Error != 0 || j.GenerationID != 2 || j.LeaderID != j.MemberID || len(j.Members) != 1 {
		t.Fatalf("join = %+v", j)
	}
	if d := time.Since(start); d < 4*time.Second {
		t.Fatalf("join phase ended after %v, before the 5 s rebalance timeout", d)
	}
	if code := e.c.HandleHeartbeat("g", m1.MemberID, nil, 1); code != errUnknownMemberID {
		t.Fatalf("dropped member's heartbeat: %d", code)
	}
}

func TestInitialRebalanceDelay(t *testing.T) {
	cfg := testConfig()
	cfg.GroupInitialRebalanceDelayMs = 300
	e := startEnv(t, t.TempDir(), cfg)
	start := time.Now()
	ch1 := e.joinAsync(joinReq("g", "", 10000, "t"))
	time.Sleep(200 * time.Millisecond)
	ch2 := e.joinAsync(joinReq("g", "", 10000, "t"))
	j1, j2 := recv(t, ch1, "first"), recv(t, ch2, "second")
	d := time.Since(start)
	if j1.GenerationID != 1 || j2.GenerationID != 1 {
		t.Fatalf("both should join generation 1: %+v %+v", j1, j2)
	}
	// The second member arrived during the delay, which extended it once.
	if d < 550*time.Millisecond {
		t.Fatalf("initial rebalance finished after %v, want at least 2 delays", d)
	}
}

func TestStaticMembership(t *testing.T) {
	e := startEnv(t, t.TempDir(), testConfig())
	r := joinReq("g", "", 10000, "t")
	r.GroupInstanceID = strPtr("inst-1")
	j := e.c.HandleJoinGroup(r, nil)
	if j.Error != 0 {
		t.Fatalf("static join %+v", j)
	}
	if s := e.c.HandleSyncGroup(SyncRequest{GroupID: "g", GenerationID: 1, MemberID: j.MemberID, GroupInstanceID: r.GroupInstanceID,
		Assignments: map[string][]byte{j.MemberID: []byte("x")}}, nil); s.Error != 0 {
		t.Fatalf("sync %+v", s)
	}
	// A restart of the same instance gets a new member id without a rebalance.
	j2 := e.c.HandleJoinGroup(r, nil)
	if j2.Error != 0 || j2.MemberID == j.MemberID || j2.GenerationID != 1 {
		t.Fatalf("static rejoin %+v", j2)
	}
	if got := e.state("g"); got != "Stable" {
		t.Fatalf("static rejoin caused a rebalance: %s", got)
	}
	if code := e.c.HandleHeartbeat("g", j.MemberID, r.GroupInstanceID, 1); code != errFencedInstanceID {
		t.Fatalf("old member id of the instance: %d", code)
	}
	if code := e.c.HandleHeartbeat("g", j2.MemberID, r.GroupInstanceID, 1); code != 0 {
		t.Fatalf("new member id of the instance: %d", code)
	}
	tp := TopicPartition{"t", 0}
	if got := e.c.HandleCommitOffsets("g", j.MemberID, r.GroupInstanceID, 1, map[TopicPartition]OffsetAndMetadata{tp: {ExpireTimestamp: -1}}); got[tp] != errFencedInstanceID {
		t.Fatalf("commit by the fenced id: %d", got[tp])
	}
	code, per := e.c.HandleLeaveGroup("g", []LeavingMember{{MemberID: j.MemberID, GroupInstanceID: r.GroupInstanceID}})
	if code != 0 || per[0] != errFencedInstanceID {
		t.Fatalf("leave with the fenced id: %d %v", code, per)
	}
	// Leaving by instance id alone removes the member.
	code, per = e.c.HandleLeaveGroup("g", []LeavingMember{{GroupInstanceID: r.GroupInstanceID}})
	if code != 0 || per[0] != 0 || e.state("g") != "Empty" {
		t.Fatalf("leave by instance id: %d %v %s", code, per, e.state("g"))
	}
}

func TestSimpleCommitsAndDeletion(t *testing.T) {
	e := startEnv(t, t.TempDir(), testConfig())
	tp := TopicPartition{"t", 3}
	now := time.Now().UnixMilli()
	// A commit for an unknown group with a generation is refused and stores nothing.
	if got := e.c.HandleCommitOffsets("ghost", "m", nil, 4, map[TopicPartition]OffsetAndMetadata{tp: {Offset: 9, ExpireTimestamp: -1}}); got[tp] != errIllegalGeneration {
		t.Fatalf("commit to an unknown generation: %d", got[tp])
	}
	if n := len(e.records()); n != 0 {
		t.Fatalf("a refused commit wrote %d records", n)
	}
	// assign()ed consumers commit with generation -1 and no member id.
	big := OffsetAndMetadata{Offset: 1, Metadata: string(make([]byte, 5000)), ExpireTimestamp: -1}
	res := e.c.HandleCommitOffsets("simple", "", nil, -1, map[TopicPartition]OffsetAndMetadata{
		tp:       {Offset: 11, LeaderEpoch: 2, Metadata: "meta", CommitTimestamp: now, ExpireTimestamp: -1},
		{"t", 4}: big,
	})
	if res[tp] != 0 || res[TopicPartition{"t", 4}] != errOffsetMetadataTooLarge {
		t.Fatalf("simple commit: %v", res)
	}
	code, all := e.c.HandleFetchOffsets("simple", false, nil)
	if code != 0 || len(all) != 1 || all[tp].Offset != 11 || all[tp].LeaderEpoch != 2 || all[tp].Metadata != "meta" {
		t.Fatalf("fetch all: %d %+v", code, all)
	}
	// OffsetDelete of an Empty group deletes; DeleteGroups then removes the rest.
	code, per := e.c.HandleDeleteOffsets("simple", []TopicPartition{tp})
	if code != 0 || per[tp] != 0 {
		t.Fatalf("delete offsets: %d %v", code, per)
	}
	if got := e.c.HandleDeleteGroups([]string{"simple"}); got["simple"] != errGroupIDNotFound {
		t.Fatalf("delete of a group whose last offset went: %v", got)
	}
	m := e.stableMember("busy", 10000)
	if got := e.c.HandleDeleteGroups([]string{"busy"}); got["busy"] != errNonEmptyGroup {
		t.Fatalf("delete of a live group: %v", got)
	}
	// A live consumer group's offsets can be deleted only for topics it
	// does not subscribe to.
	e.c.HandleCommitOffsets("busy", m.MemberID, nil, 1, map[TopicPartition]OffsetAndMetadata{{"t", 0}: {Offset: 1, ExpireTimestamp: -1}, {"u", 0}: {Offset: 2, ExpireTimestamp: -1}})
	code, per = e.c.HandleDeleteOffsets("busy", []TopicPartition{{"t", 0}, {"u", 0}})
	if code != 0 || per[TopicPartition{"t", 0}] != errGroupSubscribedToTopic || per[TopicPartition{"u", 0}] != 0 {
		t.Fatalf("delete offsets of a live group: %d %v", code, per)
	}
	e.c.HandleLeaveGroup("busy", []LeavingMember{{MemberID: m.MemberID}})
	if got := e.c.HandleDeleteGroups([]string{"busy", "nope"}); got["busy"] != 0 || got["nope"] != errGroupIDNotFound {
		t.Fatalf("delete groups: %v", got)
	}
	if _, s := e.c.HandleDescribeGroup("busy"); s.State != "Dead" {
		t.Fatalf("deleted group described as %s", s.State)
	}
	// The log ends with tombstones for the offset and the group.
	waitFor(t, "tombstones", func() bool {
		recs := e.records()
		var groupTomb, offsetTomb bool
		for _, r := range recs {
			k, _ := ReadKey(r.Key)
			if r.Value == nil && k.Group == "busy" {
				if k.IsOffsetKey() {
					offsetTomb = true
				} else {
					groupTomb = true
				}
			}
		}
		return groupTomb && offsetTomb
	})
}

func TestOffsetsExpire(t *testing.T) {
	cfg := testConfig()
	cfg.OffsetsRetentionMs = 100
	e := startEnv(t, t.TempDir(), cfg)
	tp := TopicPartition{"t", 0}
	old := time.Now().UnixMilli() - 1000
	e.c.HandleCommitOffsets("simple", "", nil, -1, map[TopicPartition]OffsetAndMetadata{tp: {Offset: 3, CommitTimestamp: old, ExpireTimestamp: -1}})
	m := e.stableMember("live", 60000)
	e.c.HandleCommitOffsets("live", m.MemberID, nil, 1, map[TopicPartition]OffsetAndMetadata{tp: {Offset: 4, CommitTimestamp: old, ExpireTimestamp: -1}})
	e.c.cleanupExpiredOffsets()
	if _, offs := e.c.HandleFetchOffsets("simple", false, []TopicPartition{tp}); offs[tp].Offset != -1 {
		t.Fatalf("expired offset still there: %+v", offs)
	}
	// The live group subscribes to t: its offset stays while it is active.
	if _, offs := e.c.HandleFetchOffsets("live", false, []TopicPartition{tp}); offs[tp].Offset != 4 {
		t.Fatalf("offset of a subscribed topic expired: %+v", offs)
	}
	e.c.HandleLeaveGroup("live", []LeavingMember{{MemberID: m.MemberID}})
	time.Sleep(150 * time.Millisecond)
	e.c.cleanupExpiredOffsets()
	if _, offs := e.c.HandleFetchOffsets("live", false, []TopicPartition{tp}); offs[tp].Offset != -1 {
		t.Fatalf("offset kept after the group was Empty for the retention: %+v", offs)
	}
	if _, s := e.c.HandleDescribeGroup("live"); s.State != "Dead" {
		t.Fatalf("empty group without offsets is %s, want Dead", s.State)
	}
}

func TestReloadAfterRestart(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig()
	cfg.OffsetsTopicNumPartitions = 3
	e := startEnv(t, dir, cfg)
	m := e.stableMember("stays", 60000)
	tp := TopicPartition{"t", 1}
	e.c.HandleCommitOffsets("stays", m.MemberID, nil, 1, map[TopicPartition]OffsetAndMetadata{tp: {Offset: 100, Metadata: "x", LeaderEpoch: 3, ExpireTimestamp: -1}})
	e.c.HandleCommitOffsets("stays", m.MemberID, nil, 1, map[TopicPartition]OffsetAndMetadata{tp: {Offset: 101, LeaderEpoch: -1, ExpireTimestamp: -1}})
	e.c.HandleCommitOffsets("simple", "", nil, -1, map[TopicPartition]OffsetAndMetadata{tp: {Offset: 7, LeaderEpoch: -1, ExpireTimestamp: 1 << 50}})
	gone := e.stableMember("gone", 60000)
	e.c.HandleLeaveGroup("gone", []LeavingMember{{MemberID: gone.MemberID}})
	e.c.HandleDeleteGroups([]string{"gone"})
	e.stop()

	e2 := startEnv(t, dir, cfg)
	_, s := e2.c.HandleDescribeGroup("stays")
	if s.State != "Stable" || len(s.Members) != 1 || s.Members[0].MemberID != m.MemberID || string(s.Members[0].Assignment) != "a1" {
		t.Fatalf("reloaded group %+v", s)
	}
	if _, offs := e2.c.HandleFetchOffsets("stays", false, []TopicPartition{tp}); offs[tp].Offset != 101 || offs[tp].Metadata != "" {
		t.Fatalf("reloaded offsets %+v", offs)
	}
	if _, offs := e2.c.HandleFetchOffsets("simple", false, nil); offs[tp].Offset != 7 {
		t.Fatalf("reloaded simple offsets %+v", offs)
	}
	if _, s := e2.c.HandleDescribeGroup("gone"); s.State != "Dead" {
		t.Fatalf("deleted group came back: %+v", s)
	}
	// The reloaded member keeps its generation and heartbeats normally.
	if code := e2.c.HandleHeartbeat("stays", m.MemberID, nil, 1); code != 0 {
		t.Fatalf("heartbeat after reload: %d", code)
	}
	_, groups := e2.c.HandleListGroups(nil)
	if len(groups) != 2 || groups[0].GroupID != "simple" || groups[1].GroupID != "stays" || groups[1].State != "Stable" {
		t.Fatalf("list groups %+v", groups)
	}
	if _, g := e2.c.HandleListGroups([]string{"Empty"}); len(g) != 1 || g[0].GroupID != "simple" {
		t.Fatalf("list Empty groups %+v", g)
	}
	// Losing leadership unloads; requests then go elsewhere.
	req := kmsg.NewPtrStopReplicaRequest()
	req.Version, req.ControllerEpoch = 1, 1
	st := kmsg.NewStopReplicaRequestTopic()
	st.Topic, st.Partitions = OffsetsTopic, []int32{e2.c.PartitionFor("stays")}
	req.Topics = append(req.Topics, st)
	e2.rm.StopReplicas(req)
	waitFor(t, "unload", func() bool { return e2.c.HandleHeartbeat("stays", m.MemberID, nil, 1) == errNotCoordinator })
}

func TestStateTransitions(t *testing.T) {
	valid := map[[2]GroupState]bool{}
	for to, froms := range validPrevious {
		for _, from := range froms {
			valid[[2]GroupState{from, to}] = true
		}
	}
	for from := Empty; from <= Dead; from++ {
		for to := Empty; to <= Dead; to++ {
			g := newGroup("g", from, 0)
			panicked := func() (p bool) {
				defer func() { p = recover() != nil }()
				g.transitionTo(to)
				return
			}()
			if panicked == valid[[2]GroupState{from, to}] {
				t.Errorf("%s -> %s: panicked=%v", from, to, panicked)
			}
		}
	}
	if !valid[[2]GroupState{Stable, PreparingRebalance}] || valid[[2]GroupState{Empty, Stable}] || valid[[2]GroupState{Dead, Empty}] {
		t.Error("transition table differs from Kafka's")
	}
}

// TestLoadOlderRecordVersions loads a log written with every older value
// version (as older Kafka brokers leave it), with later records of a key
// replacing earlier ones and tombstones deleting them.
func TestLoadOlderRecordVersions(t *testing.T) {
	dir := t.TempDir()
	e := startEnv(t, dir, testConfig())
	now := time.Now().UnixMilli()
	sub := subscription("t")
	g0 := GroupRecord{ProtocolType: "consumer", Generation: 5, Protocol: strPtr("range"), Leader: strPtr("m0"),
		Members: []MemberRecord{{MemberID: "m0", ClientID: "c0", ClientHost: "/h", SessionTimeoutMs: 30000, Subscription: sub, Assignment: []byte("a0")}}}
	g2 := g0
	g2.Generation, g2.CurrentStateTimestamp = 6, now
	empty := GroupRecord{ProtocolType: "consumer", Generation: 9, CurrentStateTimestamp: now}
	recs := []record.Record{
		{Key: GroupMetadataKey("old"), Value: GroupMetadataValue(g0, 0)},
		{Key: GroupMetadataKey("old"), Value: GroupMetadataValue(g2, 2)}, // replaces the v0 record
		{Key: GroupMetadataKey("gone"), Value: GroupMetadataValue(g0, 1)},
		{Key: GroupMetadataKey("gone")}, // tombstone
		{Key: GroupMetadataKey("idle"), Value: GroupMetadataValue(empty, 3)},
		{Key: OffsetCommitKey("old", "t", 0), Value: OffsetCommitValue(OffsetAndMetadata{Offset: 1, CommitTimestamp: now}, 0)},
		{Key: OffsetCommitKey("old", "t", 1), Value: OffsetCommitValue(OffsetAndMetadata{Offset: 2, CommitTimestamp: now, ExpireTimestamp: now + 1e9}, 1)},
		{Key: OffsetCommitKey("old", "t", 2), Value: OffsetCommitValue(OffsetAndMetadata{Offset: 3, CommitTimestamp: now}, 2)},
		{Key: OffsetCommitKey("old", "t", 3), Value: OffsetCommitValue(OffsetAndMetadata{Offset: 4, LeaderEpoch: 2, CommitTimestamp: now}, 3)},
		{Key: OffsetCommitKey("old", "t", 4), Value: OffsetCommitValue(OffsetAndMetadata{Offset: 5, CommitTimestamp: now}, 3)},
		{Key: OffsetCommitKey("old", "t", 4)}, // tombstone
		{Key: OffsetCommitKey("idle", "t", 0), Value: OffsetCommitValue(OffsetAndMetadata{Offset: 8, LeaderEpoch: -1, CommitTimestamp: now}, 3)},
	}
	// Two batches, one compressed, as a log may hold.
	for i, part := range [][]record.Record{recs[:5], recs[5:]} {
		codec := record.CodecNone
		if i == 1 {
			codec = record.CodecGzip
		}
		batch, err := record.BuildBatch(part, codec, now)
		if err != nil {
			t.Fatal(err)
		}
		if res := e.rm.AppendRecords(replica.TopicPartition{Topic: OffsetsTopic, Partition: 0}, batch, 1, time.Second); res.Err != nil {
			t.Fatal(res.Err)
		}
	}
	e.stop()

	e2 := startEnv(t, dir, testConfig())
	_, s := e2.c.HandleDescribeGroup("old")
	if s.State != "Stable" || len(s.Members) != 1 || s.Members[0].ClientID != "c0" || string(s.Members[0].Assignment) != "a0" {
		t.Fatalf("group from v0/v2 records: %+v", s)
	}
	if code := e2.c.HandleHeartbeat("old", "m0", nil, 6); code != 0 {
		t.Fatalf("heartbeat in the loaded generation 6: %d", code)
	}
	if _, s := e2.c.HandleDescribeGroup("gone"); s.State != "Dead" {
		t.Fatalf("tombstoned group loaded: %+v", s)
	}
	if _, s := e2.c.HandleDescribeGroup("idle"); s.State != "Empty" || s.ProtocolType != "consumer" {
		t.Fatalf("empty group: %+v", s)
	}
	_, offs := e2.c.HandleFetchOffsets("old", false, nil)
	want := map[int32]int64{0: 1, 1: 2, 2: 3, 3: 4}
	if len(offs) != len(want) {
		t.Fatalf("loaded offsets %+v", offs)
	}
	for p, o := range want {
		if got := offs[TopicPartition{"t", p}]; got.Offset != o {
			t.Errorf("t-%d = %+v, want %d", p, got, o)
		}
	}
	if got := offs[TopicPartition{"t", 3}].LeaderEpoch; got != 2 {
		t.Errorf("leader epoch from a v3 value = %d", got)
	}
	if _, o := e2.c.HandleFetchOffsets("idle", false, nil); o[TopicPartition{"t", 0}].Offset != 8 {
		t.Errorf("idle offsets %+v", o)
	}
}

// TestNewLeaderEpochKeepsGroups re-elects this broker with a higher epoch
// while a rebalance is under way: the groups in memory stay.
func TestNewLeaderEpochKeepsGroups(t *testing.T) {
	e := startEnv(t, t.TempDir(), testConfig())
	m1 := e.stableMember("g", 60000)
	ch2 := e.joinAsync(joinReq("g", "", 60000, "t"))
	waitFor(t, "rebalance", func() bool { return e.state("g") == "PreparingRebalance" })
	e.lead(1)
	j1 := e.c.HandleJoinGroup(joinReq("g", m1.MemberID, 60000, "t"), nil)
	j2 := recv(t, ch2, "parked join")
	if j1.Error != 0 || j2.Error != 0 || j1.GenerationID != 2 || j2.GenerationID != 2 {
		t.Fatalf("joins across the epoch change: %+v %+v", j1, j2)
	}
}
