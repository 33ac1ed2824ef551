package transaction

import (
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	klog "github.com/gokafka/kafka/core/log"
	"github.com/gokafka/kafka/core/metadata"
	"github.com/gokafka/kafka/core/network"
	"github.com/gokafka/kafka/core/replica"
)

// fakeLeader is a broker that answers WriteTxnMarkers, recording the
// markers and answering with code (NONE unless set).
type fakeLeader struct {
	mu      sync.Mutex
	markers []kmsg.WriteTxnMarkersRequestMarker
	version int16
	code    int16
	// onlyV0 advertises WriteTxnMarkers v0 only.
	onlyV0 bool
}

func (f *fakeLeader) Handle(req *network.Request) (kmsg.Response, error) {
	switch body := req.Body.(type) {
	case *kmsg.ApiVersionsRequest:
		resp := body.ResponseKind().(*kmsg.ApiVersionsResponse)
		k := kmsg.NewApiVersionsResponseApiKey()
		k.ApiKey, k.MaxVersion = 27, 1
		if f.onlyV0 {
			k.MaxVersion = 0
		}
		resp.ApiKeys = append(resp.ApiKeys, k)
		return resp, nil
	case *kmsg.WriteTxnMarkersRequest:
		f.mu.Lock()
		defer f.mu.Unlock()
		f.version = body.Version
		resp := body.ResponseKind().(*kmsg.WriteTxnMarkersResponse)
		for _, m := range body.Markers {
			if f.code == 0 {
				f.markers = append(f.markers, m)
			}
			rm := kmsg.NewWriteTxnMarkersResponseMarker()
			rm.ProducerID = m.ProducerID
			for _, t := range m.Topics {
				rt := kmsg.NewWriteTxnMarkersResponseMarkerTopic()
				rt.Topic = t.Topic
				for _, p := range t.Partitions {
					rp := kmsg.NewWriteTxnMarkersResponseMarkerTopicPartition()
					rp.Partition, rp.ErrorCode = p, f.code
					rt.Partitions = append(rt.Partitions, rp)
				}
				rm.Topics = append(rm.Topics, rt)
			}
			resp.Markers = append(resp.Markers, rm)
		}
		return resp, nil
	}
	return nil, nil
}

func (f *fakeLeader) setCode(c int16) { f.mu.Lock(); f.code = c; f.mu.Unlock() }

func (f *fakeLeader) received() []kmsg.WriteTxnMarkersRequestMarker {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]kmsg.WriteTxnMarkersRequestMarker(nil), f.markers...)
}

type counterPIDs struct{ n atomic.Int64 }

func (c *counterPIDs) GenerateProducerID() (int64, error) { return c.n.Add(1) - 1, nil }

// env is a coordinator over a real ReplicaManager leading a one-partition
// __transaction_state, and a fake leader of topic "t" (partitions 0-1).
type env struct {
	t      *testing.T
	dir    string
	cfg    Config
	logs   *klog.LogManager
	rm     *replica.ReplicaManager
	cache  *metadata.MetadataCache
	leader *fakeLeader
	server *network.SocketServer
	pids   *counterPIDs
	c      *Coordinator
}

func testConfig() Config {
	return Config{
		BrokerID: 0, TransactionalIDExpirationMs: 7 * 24 * 3600 * 1000, TransactionMaxTimeoutMs: 60000,
		NumPartitions: 1, ReplicationFactor: 1, SegmentBytes: 1 << 20, MinInsyncReplicas: 1,
		RequestTimeoutMs: 5000, InterBrokerListener: "PLAINTEXT",
	}
}

func startEnv(t *testing.T, dir string, cfg Config) *env {
	t.Helper()
	e := &env{t: t, dir: dir, cfg: cfg, leader: &fakeLeader{}, pids: &counterPIDs{}}
	e.server = network.NewSocketServer(1, 1<<20, e.leader)
	addrs, err := e.server.Bind([]network.Listener{{Name: "PLAINTEXT", Host: "127.0.0.1", Port: 0}})
	if err != nil {
		t.Fatal(err)
	}
	e.server.Start([]string{"PLAINTEXT"})
	port := int32(addrs[0].(*net.TCPAddr).Port)
	e.cache = metadata.NewMetadataCache(0)
	var states []metadata.PartitionState
	for p := int32(0); p < 2; p++ {
		states = append(states, metadata.PartitionState{Topic: "t", Partition: p, Leader: 1, LeaderEpoch: 0, Isr: []int32{1}, Replicas: []int32{1}})
	}
	e.cache.Update(1, []metadata.Broker{{ID: 1, Endpoints: []metadata.Endpoint{{ListenerName: "PLAINTEXT", Host: "127.0.0.1", Port: port}}}}, states, nil)
	e.open()
	t.Cleanup(func() {
		e.close()
		e.server.Shutdown()
	})
	return e
}

// open starts a coordinator over the log directory.
func (e *env) open() {
	logs, err := klog.NewLogManager(klog.ManagerConfig{Dirs: []string{e.dir}, Default: klog.DefaultConfig()},
		func(string) klog.Config { return klog.DefaultConfig() })
	if err != nil {
		e.t.Fatal(err)
	}
	e.logs = logs
	e.rm = replica.NewReplicaManager(0, logs, func(string) (klog.Config, int, error) { return klog.DefaultConfig(), 1, nil })
	e.c = NewCoordinator(e.cfg, e.rm, e.cache, e.pids)
	e.c.markers.retryBackoff = 20 * time.Millisecond
	e.c.Startup(0)
}

func (e *env) close() {
	if e.c == nil {
		return
	}
	e.c.Shutdown()
	e.rm.Shutdown()
	_ = e.logs.Shutdown()
	e.c = nil
}

// lead makes this broker leader (or follower) of __transaction_state-0.
func (e *env) lead(leader, epoch int32) {
	e.t.Helper()
	req := kmsg.NewPtrLeaderAndISRRequest()
	req.Version = 1
	req.ControllerEpoch = 1
	ps := kmsg.NewLeaderAndISRRequestTopicPartition()
	ps.Topic, ps.Partition, ps.ControllerEpoch, ps.Leader, ps.LeaderEpoch = TransactionStateTopic, 0, 1, leader, epoch
	ps.ISR, ps.Replicas = []int32{0}, []int32{0}
	req.PartitionStates = append(req.PartitionStates, ps)
	e.rm.BecomeLeaderOrFollower(req)
	if leader == 0 {
		waitFor(e.t, "partition loaded", func() bool {
			e.c.sm.mu.RLock()
			defer e.c.sm.mu.RUnlock()
			return len(e.c.sm.loading) == 0 && e.c.sm.cache[0] != nil
		})
	}
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

func (e *env) state(id string) TransactionState {
	s, _, _, _, ok := e.c.TransactionState(id)
	if !ok {
		return noState
	}
	return s
}

func (e *env) waitState(id string, want TransactionState) {
	e.t.Helper()
	waitFor(e.t, id+" in state "+want.String(), func() bool { return e.state(id) == want && e.c.markers.numTxnsWithPendingMarkers() == 0 })
}

func tps(parts ...int32) []TopicPartition {
	var out []TopicPartition
	for _, p := range parts {
		out = append(out, TopicPartition{"t", p})
	}
	return out
}

func TestCommitSendsMarkersAndCompletes(t *testing.T) {
	e := startEnv(t, t.TempDir(), testConfig())
	e.lead(0, 3)
	r := e.c.HandleInitProducerID("a", 10000, nil)
	if r.ErrorCode != 0 || r.ProducerID != 0 || r.ProducerEpoch != 0 {
		t.Fatalf("init = %+v", r)
	}
	if code := e.c.HandleAddPartitionsToTransaction("a", 0, 0, tps(0, 1)); code != 0 {
		t.Fatalf("add = %d", code)
	}
	if code := e.c.HandleAddPartitionsToTransaction("a", 0, 0, tps(1)); code != 0 {
		t.Fatalf("re-add = %d", code)
	}
	if code := e.c.HandleAddPartitionsToTransaction("a", 0, 1, tps(1)); code != kerr.ProducerFenced.Code {
		t.Fatalf("add with another epoch = %d", code)
	}
	if code := e.c.HandleAddPartitionsToTransaction("a", 9, 0, tps(1)); code != kerr.InvalidProducerIDMapping.Code {
		t.Fatalf("add with another producer id = %d", code)
	}
	if code := e.c.HandleEndTransaction("a", 0, 0, true); code != 0 {
		t.Fatalf("commit = %d", code)
	}
	e.waitState("a", CompleteCommit)
	ms := e.leader.received()
	if len(ms) != 1 || !ms[0].Committed || ms[0].ProducerID != 0 || ms[0].ProducerEpoch != 0 || ms[0].CoordinatorEpoch != 3 ||
		len(ms[0].Topics) != 1 || len(ms[0].Topics[0].Partitions) != 2 || e.leader.version != 1 {
		t.Fatalf("markers = %+v (v%d)", ms, e.leader.version)
	}
	if code := e.c.HandleEndTransaction("a", 0, 0, true); code != 0 {
		t.Fatalf("commit retry = %d", code)
	}
	if code := e.c.HandleEndTransaction("a", 0, 0, false); code != kerr.InvalidTxnState.Code {
		t.Fatalf("abort after commit = %d", code)
	}
	if code := e.c.HandleEndTransaction("b", 0, 0, false); code != kerr.InvalidProducerIDMapping.Code {
		t.Fatalf("end for unknown id = %d", code)
	}
	// The next InitProducerId bumps the epoch; the old epoch is fenced.
	if r := e.c.HandleInitProducerID("a", 10000, nil); r.ErrorCode != 0 || r.ProducerEpoch != 1 || r.ProducerID != 0 {
		t.Fatalf("re-init = %+v", r)
	}
	if code := e.c.HandleEndTransaction("a", 0, 0, true); code != kerr.ProducerFenced.Code {
		t.Fatalf("end with the old epoch = %d", code)
	}
	if r := e.c.HandleInitProducerID("a", 60001, nil); r.ErrorCode != kerr.InvalidTransactionTimeout.Code {
		t.Fatalf("too long timeout = %+v", r)
	}
	if r := e.c.HandleInitProducerID("", 1000, nil); r.ErrorCode != kerr.InvalidRequest.Code {
		t.Fatalf("empty id = %+v", r)
	}
}

func TestInitProducerIDFencesOngoingTransaction(t *testing.T) {
	e := startEnv(t, t.TempDir(), testConfig())
	e.lead(0, 0)
	e.c.HandleInitProducerID("z", 10000, nil)
	if code := e.c.HandleAddPartitionsToTransaction("z", 0, 0, tps(0)); code != 0 {
		t.Fatal(code)
	}
	if r := e.c.HandleInitProducerID("z", 10000, nil); r.ErrorCode != kerr.ConcurrentTransactions.Code {
		t.Fatalf("init during a transaction = %+v", r)
	}
	e.waitState("z", CompleteAbort)
	ms := e.leader.received()
	if len(ms) != 1 || ms[0].Committed || ms[0].ProducerEpoch != 1 {
		t.Fatalf("abort markers = %+v", ms)
	}
	r := e.c.HandleInitProducerID("z", 10000, nil)
	if r.ErrorCode != 0 || r.ProducerEpoch != 2 {
		t.Fatalf("init after the fence = %+v", r)
	}
	if code := e.c.HandleEndTransaction("z", 0, 0, true); code != kerr.ProducerFenced.Code {
		t.Fatalf("zombie commit = %d", code)
	}
	// KIP-360: the current producer recovers with its id and epoch; a
	// stale epoch is fenced.
	if r := e.c.HandleInitProducerID("z", 10000, &ProducerIDAndEpoch{0, 2}); r.ErrorCode != 0 || r.ProducerEpoch != 3 {
		t.Fatalf("recovery = %+v", r)
	}
	if r := e.c.HandleInitProducerID("z", 10000, &ProducerIDAndEpoch{0, 1}); r.ErrorCode != kerr.ProducerFenced.Code {
		t.Fatalf("stale recovery = %+v", r)
	}
	if r := e.c.HandleInitProducerID("z", 10000, &ProducerIDAndEpoch{77, 3}); r.ErrorCode != kerr.ProducerFenced.Code {
		t.Fatalf("recovery with a foreign id = %+v", r)
	}
}

func TestReloadCompletesPreparedTransaction(t *testing.T) {
	dir := t.TempDir()
	e := startEnv(t, dir, testConfig())
	e.lead(0, 1)
	e.c.HandleInitProducerID("r", 10000, nil)
	e.c.HandleAddPartitionsToTransaction("r", 0, 0, tps(0))
	e.c.HandleInitProducerID("idle", 10000, nil)
	e.leader.setCode(kerr.NotLeaderForPartition.Code) // markers keep failing
	if code := e.c.HandleEndTransaction("r", 0, 0, true); code != 0 {
		t.Fatal(code)
	}
	time.Sleep(100 * time.Millisecond)
	if s := e.state("r"); s != PrepareCommit {
		t.Fatalf("state with failing markers = %s", s)
	}
	if code := e.c.HandleAddPartitionsToTransaction("r", 0, 0, tps(1)); code != kerr.ConcurrentTransactions.Code {
		t.Fatalf("add while completing = %d", code)
	}
	// Another broker takes over: this one unloads.
	e.lead(5, 2)
	if _, _, code := e.c.sm.getTransactionState("r"); code != kerr.NotCoordinator.Code {
		t.Fatalf("after resignation: code %d", code)
	}
	if r := e.c.HandleInitProducerID("r", 10000, nil); r.ErrorCode != kerr.NotCoordinator.Code {
		t.Fatalf("init on a non-coordinator = %+v", r)
	}
	// A restart of the broker that then leads again at epoch 4: the
	// transaction is read back in PrepareCommit and completed with the
	// new coordinator epoch.
	e.close()
	e.open()
	e.leader.setCode(0)
	e.lead(0, 4)
	e.waitState("r", CompleteCommit)
	ms := e.leader.received()
	if len(ms) != 1 || !ms[0].Committed || ms[0].CoordinatorEpoch != 4 {
		t.Fatalf("markers after reload = %+v", ms)
	}
	if s, pid, epoch, _, ok := e.c.TransactionState("idle"); !ok || s != Empty || pid != 1 || epoch != 0 {
		t.Fatalf("idle after reload = %s %d %d %v", s, pid, epoch, ok)
	}
}

func TestTimedOutTransactionIsAbortedAndFenced(t *testing.T) {
	e := startEnv(t, t.TempDir(), testConfig())
	e.lead(0, 0)
	e.c.HandleInitProducerID("slow", 50, nil)
	e.c.HandleInitProducerID("fast", 60000, nil)
	e.c.HandleAddPartitionsToTransaction("slow", 0, 0, tps(0))
	e.c.HandleAddPartitionsToTransaction("fast", 1, 0, tps(1))
	time.Sleep(100 * time.Millisecond)
	e.c.abortTimedOutTransactions()
	e.waitState("slow", CompleteAbort)
	if s := e.state("fast"); s != Ongoing {
		t.Fatalf("fast = %s", s)
	}
	ms := e.leader.received()
	if len(ms) != 1 || ms[0].Committed || ms[0].ProducerID != 0 || ms[0].ProducerEpoch != 1 {
		t.Fatalf("markers = %+v", ms)
	}
	if code := e.c.HandleEndTransaction("slow", 0, 0, true); code != kerr.ProducerFenced.Code {
		t.Fatalf("late commit = %d", code)
	}
}

func TestDeletedPartitionIsSkipped(t *testing.T) {
	e := startEnv(t, t.TempDir(), testConfig())
	e.lead(0, 0)
	e.c.HandleInitProducerID("d", 10000, nil)
	if code := e.c.HandleAddPartitionsToTransaction("d", 0, 0, []TopicPartition{{"gone", 0}, {"t", 0}}); code != 0 {
		t.Fatal(code)
	}
	if code := e.c.HandleEndTransaction("d", 0, 0, false); code != 0 {
		t.Fatal(code)
	}
	e.waitState("d", CompleteAbort)
	if ms := e.leader.received(); len(ms) != 1 || ms[0].Topics[0].Topic != "t" {
		t.Fatalf("markers = %+v", ms)
	}
}

func TestExpiredTransactionalIDIsRemoved(t *testing.T) {
	cfg := testConfig()
	cfg.TransactionalIDExpirationMs = 50
	dir := t.TempDir()
	e := startEnv(t, dir, cfg)
	e.lead(0, 0)
	e.c.HandleInitProducerID("old", 10000, nil)
	e.c.HandleInitProducerID("busy", 10000, nil)
	e.c.HandleAddPartitionsToTransaction("busy", 1, 0, tps(0))
	time.Sleep(100 * time.Millisecond)
	e.c.sm.removeExpiredTransactionalIDs()
	if _, _, _, _, ok := e.c.TransactionState("old"); ok {
		t.Fatal("expired id still cached")
	}
	if s := e.state("busy"); s != Ongoing {
		t.Fatalf("ongoing transaction expired: %s", s)
	}
	// The tombstone keeps it gone after a reload.
	e.close()
	e.open()
	e.lead(0, 1)
	if _, _, _, _, ok := e.c.TransactionState("old"); ok {
		t.Fatal("expired id loaded again")
	}
	if s := e.state("busy"); s != Ongoing {
		t.Fatalf("busy after reload = %s", s)
	}
}

// secondLeader starts another fake broker (id 2) and returns its endpoint.
func (e *env) secondLeader(onlyV0 bool) (*fakeLeader, metadata.Broker) {
	e.t.Helper()
	f := &fakeLeader{onlyV0: onlyV0}
	srv := network.NewSocketServer(2, 1<<20, f)
	addrs, err := srv.Bind([]network.Listener{{Name: "PLAINTEXT", Host: "127.0.0.1", Port: 0}})
	if err != nil {
		e.t.Fatal(err)
	}
	srv.Start([]string{"PLAINTEXT"})
	e.t.Cleanup(srv.Shutdown)
	return f, metadata.Broker{ID: 2, Endpoints: []metadata.Endpoint{{ListenerName: "PLAINTEXT", Host: "127.0.0.1", Port: int32(addrs[0].(*net.TCPAddr).Port)}}}
}

func (e *env) brokers() []metadata.Broker { return e.cache.AliveBrokers() }

func TestMarkersFollowLeadershipChanges(t *testing.T) {
	e := startEnv(t, t.TempDir(), testConfig())
	e.lead(0, 0)
	second, b2 := e.secondLeader(true)
	e.c.HandleInitProducerID("m", 10000, nil)
	e.c.HandleAddPartitionsToTransaction("m", 0, 0, tps(0, 1))
	// t-0's leader answers NOT_LEADER_OR_FOLLOWER; t-1 has no leader.
	e.leader.setCode(kerr.NotLeaderForPartition.Code)
	e.cache.Update(1, e.brokers(), []metadata.PartitionState{{Topic: "t", Partition: 1, Leader: -1, LeaderEpoch: 1}}, nil)
	if code := e.c.HandleEndTransaction("m", 0, 0, true); code != 0 {
		t.Fatal(code)
	}
	time.Sleep(100 * time.Millisecond)
	if s := e.state("m"); s != PrepareCommit {
		t.Fatalf("state while no leader takes the markers: %s", s)
	}
	// Leadership moves to broker 2, which only speaks WriteTxnMarkers v0.
	e.cache.Update(1, append(e.brokers(), b2), []metadata.PartitionState{
		{Topic: "t", Partition: 0, Leader: 2, LeaderEpoch: 1},
		{Topic: "t", Partition: 1, Leader: 2, LeaderEpoch: 2},
	}, nil)
	e.waitState("m", CompleteCommit)
	parts := map[int32]bool{}
	for _, m := range second.received() {
		for _, tp := range m.Topics {
			for _, p := range tp.Partitions {
				parts[p] = true
			}
		}
	}
	if !parts[0] || !parts[1] || second.version != 0 {
		t.Fatalf("new leader got markers for %v at v%d", parts, second.version)
	}
}

func TestLoadInProgressAndEpochRotation(t *testing.T) {
	e := startEnv(t, t.TempDir(), testConfig())
	e.lead(0, 0)
	e.c.HandleInitProducerID("x", 10000, nil)
	// Exhaust the epochs: the next InitProducerId moves to a new id.
	_, m, _ := e.c.sm.getTransactionState("x")
	m.lock()
	m.ProducerEpoch = 32766
	m.unlock()
	r := e.c.HandleInitProducerID("x", 10000, nil)
	if r.ErrorCode != 0 || r.ProducerID != 1 || r.ProducerEpoch != 0 {
		t.Fatalf("init with exhausted epochs = %+v", r)
	}
	// While a partition loads, its ids answer COORDINATOR_LOAD_IN_PROGRESS.
	block := make(chan struct{})
	e.c.sm.sched.Schedule(func() { <-block })
	e.lead(5, 1)
	req := kmsg.NewPtrLeaderAndISRRequest()
	req.Version, req.ControllerEpoch = 1, 1
	ps := kmsg.NewLeaderAndISRRequestTopicPartition()
	ps.Topic, ps.ControllerEpoch, ps.Leader, ps.LeaderEpoch, ps.ISR, ps.Replicas = TransactionStateTopic, 1, 0, 2, []int32{0}, []int32{0}
	req.PartitionStates = append(req.PartitionStates, ps)
	e.rm.BecomeLeaderOrFollower(req)
	if r := e.c.HandleInitProducerID("x", 10000, nil); r.ErrorCode != kerr.CoordinatorLoadInProgress.Code {
		t.Fatalf("init while loading = %+v", r)
	}
	if code := e.c.HandleEndTransaction("x", 1, 0, true); code != kerr.CoordinatorLoadInProgress.Code {
		t.Fatalf("end while loading = %d", code)
	}
	close(block)
	waitFor(t, "loaded", func() bool { return e.state("x") == Empty })
	if _, pid, epoch, _, _ := e.c.TransactionState("x"); pid != 1 || epoch != 0 {
		t.Fatalf("after reload: producer %d epoch %d", pid, epoch)
	}
}

func TestClientEndTxnDuringFenceIsConcurrent(t *testing.T) {
	e := startEnv(t, t.TempDir(), testConfig())
	e.lead(0, 0)
	e.c.HandleInitProducerID("f", 10000, nil)
	e.c.HandleAddPartitionsToTransaction("f", 0, 0, tps(0))
	_, m, _ := e.c.sm.getTransactionState("f")
	m.lock()
	fence, err := m.prepareFenceProducerEpoch()
	m.unlock()
	if err != nil {
		t.Fatal(err)
	}
	if code := e.c.HandleEndTransaction("f", 0, 0, true); code != kerr.ConcurrentTransactions.Code {
		t.Fatalf("client commit during a fence = %d", code)
	}
	if code := e.c.endTransaction("f", fence.ProducerID, fence.ProducerEpoch, false, false); code != 0 {
		t.Fatalf("fence abort = %d", code)
	}
	e.waitState("f", CompleteAbort)
	if _, _, epoch, _, _ := e.c.TransactionState("f"); epoch != 1 {
		t.Fatalf("epoch after the fence = %d", epoch)
	}
}

func TestFailedWriteLeavesStateUnchanged(t *testing.T) {
	e := startEnv(t, t.TempDir(), testConfig())
	e.lead(0, 0)
	if r := e.c.HandleInitProducerID("w", 10000, nil); r.ErrorCode != 0 {
		t.Fatal(r)
	}
	// The ISR (1 replica) is now below min.insync.replicas.
	part := e.rm.Partition(TransactionStateTopic, 0)
	part.SetMinInsyncReplicas(2)
	if code := e.c.HandleAddPartitionsToTransaction("w", 0, 0, tps(0)); code != kerr.CoordinatorNotAvailable.Code {
		t.Fatalf("add with too small an ISR = %d", code)
	}
	if r := e.c.HandleInitProducerID("w", 10000, nil); r.ErrorCode != kerr.CoordinatorNotAvailable.Code {
		t.Fatalf("init with too small an ISR = %+v", r)
	}
	s, pid, epoch, parts, _ := e.c.TransactionState("w")
	_, m, _ := e.c.sm.getTransactionState("w")
	if s != Empty || pid != 0 || epoch != 0 || len(parts) != 0 || m.PendingState() != noState {
		t.Fatalf("after failed writes: %s %d %d %v pending %s", s, pid, epoch, parts, m.PendingState())
	}
	part.SetMinInsyncReplicas(1)
	if code := e.c.HandleAddPartitionsToTransaction("w", 0, 0, tps(0)); code != 0 {
		t.Fatalf("add once the ISR is back = %d", code)
	}
	if code := e.c.HandleEndTransaction("w", 0, 0, true); code != 0 {
		t.Fatal(code)
	}
	e.waitState("w", CompleteCommit)
}

func TestCompletionWriteIsRetried(t *testing.T) {
	e := startEnv(t, t.TempDir(), testConfig())
	e.lead(0, 0)
	e.c.HandleInitProducerID("q", 10000, nil)
	e.c.HandleAddPartitionsToTransaction("q", 0, 0, tps(0))
	e.leader.setCode(kerr.NotLeaderForPartition.Code)
	if code := e.c.HandleEndTransaction("q", 0, 0, true); code != 0 {
		t.Fatal(code)
	}
	part := e.rm.Partition(TransactionStateTopic, 0)
	part.SetMinInsyncReplicas(2)
	e.leader.setCode(0)
	waitFor(t, "marker written", func() bool { return len(e.leader.received()) == 1 })
	time.Sleep(100 * time.Millisecond)
	if s := e.state("q"); s != PrepareCommit {
		t.Fatalf("state while CompleteCommit cannot be written = %s", s)
	}
	part.SetMinInsyncReplicas(1)
	waitFor(t, "CompleteCommit", func() bool { return e.state("q") == CompleteCommit })
}
