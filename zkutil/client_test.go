package zkutil

import (
	"errors"
	"net"
	"reflect"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/gokafka/kafka/zkutil/zktest"
)

func connect(t *testing.T, connect string) *Client {
	t.Helper()
	c, err := Connect(connect, 6*time.Second, 15*time.Second)
	if err != nil {
		t.Fatalf("connect %s: %v", connect, err)
	}
	t.Cleanup(c.Close)
	return c
}

func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestParseConnect(t *testing.T) {
	servers, chroot, err := ParseConnect("node1:2181,node2:2181,node3:2181/kafka")
	if err != nil || !reflect.DeepEqual(servers, []string{"node1:2181", "node2:2181", "node3:2181"}) || chroot != "/kafka" {
		t.Fatal(servers, chroot, err)
	}
	if _, chroot, _ := ParseConnect("h:2181/"); chroot != "" {
		t.Fatalf("chroot %q", chroot)
	}
	if _, _, err := ParseConnect("/kafka"); err == nil {
		t.Fatal("no servers must fail")
	}
}

func TestConnectTimesOutWhenZooKeeperIsDown(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	start := time.Now()
	_, err = Connect(addr, 6*time.Second, 1500*time.Millisecond)
	var te *TimeoutError
	if !errors.As(err, &te) || err.Error() != "Timed out waiting for connection while in state: CONNECTING" {
		t.Fatalf("got %v", err)
	}
	if d := time.Since(start); d < 1500*time.Millisecond || d > 10*time.Second {
		t.Fatalf("gave up after %v", d)
	}
}

func TestChrootIsCreatedAndIsolates(t *testing.T) {
	addr := zktest.Start(t)
	one := connect(t, addr+"/kafka/one")
	two := connect(t, addr+"/kafka/two")
	raw := connect(t, addr)
	if err := one.CreatePersistentPaths(); err != nil {
		t.Fatal(err)
	}
	for _, p := range PersistentZkPaths {
		if ok, _, err := raw.Exists("/kafka/one" + p); !ok || err != nil {
			t.Fatalf("%s missing under chroot: %v", p, err)
		}
	}
	if ok, _, _ := two.Exists(BrokerIDsPath); ok {
		t.Fatal("chroot two sees chroot one's paths")
	}
	if ok, _, _ := raw.Exists(BrokerIDsPath); ok {
		t.Fatal("root sees chroot paths")
	}

	// watch events carry Kafka paths, not server paths
	_, ch, err := one.GetAllTopicsW()
	if err != nil {
		t.Fatal(err)
	}
	other := connect(t, addr+"/kafka/one")
	if err := other.CreateTopicAssignment(TopicAssignment{Topic: "t", Partitions: map[int32][]int32{0: {1}}}); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-ch:
		if ev.Type != zk.EventNodeChildrenChanged || ev.Path != TopicsPath {
			t.Fatalf("event %+v", ev)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no child watch event")
	}
	created, err := one.Create(IsrChangeNotificationPath+"/"+IsrChangePrefix, []byte("x"), zk.FlagSequence)
	if err != nil || !regexp.MustCompile(`^/isr_change_notification/isr_change_\d{10}$`).MatchString(created) {
		t.Fatalf("sequential create returned %q, %v", created, err)
	}
}

func broker(id int32, port int32) BrokerInfo {
	return BrokerInfo{ID: id, Endpoints: []EndPoint{plaintext("localhost", port)}, JmxPort: -1,
		Timestamp: time.Now().UnixMilli()}
}

func TestRegisterBrokerRefusesDuplicateID(t *testing.T) {
	addr := zktest.Start(t)
	a, b := connect(t, addr), connect(t, addr)
	if err := a.CreatePersistentPaths(); err != nil {
		t.Fatal(err)
	}
	epoch, err := a.RegisterBroker(broker(1, 9092))
	if err != nil || epoch <= 0 {
		t.Fatalf("register: %d %v", epoch, err)
	}
	// same session: accepted, same epoch
	if again, err := a.RegisterBroker(broker(1, 9092)); err != nil || again != epoch {
		t.Fatalf("re-register same session: %d %v", again, err)
	}
	_, err = b.RegisterBroker(broker(1, 9093))
	want := regexp.MustCompile(`^Error while creating ephemeral at /brokers/ids/1, node already exists and owner '(\d+)' does not match current session '(\d+)'$`)
	m := want.FindStringSubmatch(errString(err))
	if m == nil || !errors.Is(err, ErrNodeExists) {
		t.Fatalf("duplicate id error: %v", err)
	}
	if m[1] != strconv.FormatInt(a.SessionID(), 10) || m[2] != strconv.FormatInt(b.SessionID(), 10) {
		t.Fatalf("session ids in %q (a=%d b=%d)", err, a.SessionID(), b.SessionID())
	}
	if _, err := b.RegisterBroker(broker(2, 9093)); err != nil {
		t.Fatal(err)
	}
	all, err := b.GetAllBrokers()
	if err != nil || len(all) != 2 || all[0].ID != 1 || all[0].Epoch != epoch || all[1].ID != 2 ||
		all[1].Endpoints[0].Port != 9093 {
		t.Fatalf("brokers %+v %v", all, err)
	}
	ids, ch, err := b.GetBrokerIDsW()
	if err != nil || !reflect.DeepEqual(ids, []int32{1, 2}) {
		t.Fatal(ids, err)
	}
	a.Close()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatal("no watch event after broker 1 left")
	}
	if ids, _ := b.GetBrokerIDs(); !reflect.DeepEqual(ids, []int32{2}) {
		t.Fatalf("after close: %v", ids)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestControllerElectionRace(t *testing.T) {
	addr := zktest.Start(t)
	clients := []*Client{connect(t, addr), connect(t, addr)}
	type result struct {
		epoch, version int32
		err            error
	}
	results := make([]result, 2)
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			e, v, err := clients[i].RegisterControllerAndIncrementControllerEpoch(int32(i + 1))
			results[i] = result{e, v, err}
		}(i)
	}
	wg.Wait()
	winner := -1
	for i, r := range results {
		switch {
		case r.err == nil:
			if winner >= 0 {
				t.Fatalf("two winners: %+v", results)
			}
			winner = i
		case !errors.Is(r.err, ErrControllerMoved):
			t.Fatalf("loser error %v", r.err)
		}
	}
	if winner < 0 || results[winner].epoch != 1 {
		t.Fatalf("results %+v", results)
	}
	loser := clients[1-winner]
	id, ok, ch, err := loser.GetControllerIDW()
	if err != nil || !ok || id != int32(winner+1) {
		t.Fatal(id, ok, err)
	}
	epoch, version, _, _ := loser.GetControllerEpoch()
	if epoch != 1 || version != results[winner].version {
		t.Fatalf("epoch %d version %d, winner %+v", epoch, version, results[winner])
	}
	clients[winner].Close()
	select {
	case ev := <-ch:
		if ev.Type != zk.EventNodeDeleted || ev.Path != ControllerPath {
			t.Fatalf("event %+v", ev)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no /controller deletion event")
	}
	e, v, err := loser.RegisterControllerAndIncrementControllerEpoch(int32(2 - winner))
	if err != nil || e != 2 || v != version+1 {
		t.Fatalf("re-election: %d %d %v", e, v, err)
	}
	// a write fenced with the old epoch version is refused
	if err := loser.DeleteController(version); !errors.Is(err, ErrControllerMoved) {
		t.Fatalf("stale fenced delete: %v", err)
	}
	if err := loser.DeleteController(v); err != nil {
		t.Fatal(err)
	}
}

func TestPartitionStateConditionalUpdates(t *testing.T) {
	addr := zktest.Start(t)
	c := connect(t, addr)
	epoch, epochVersion, err := c.RegisterControllerAndIncrementControllerEpoch(1)
	if err != nil {
		t.Fatal(err)
	}
	tp0, tp1 := TopicPartition{"t", 0}, TopicPartition{"t", 1}
	if err := c.CreateTopicAssignment(TopicAssignment{Topic: "t", TopicID: GenerateUUID(),
		Partitions: map[int32][]int32{0: {1, 2}, 1: {2, 1}}}); err != nil {
		t.Fatal(err)
	}
	failed, err := c.CreatePartitionStates(epoch, epochVersion, map[TopicPartition]LeaderIsr{
		tp0: {Leader: 1, Isr: []int32{1, 2}}, tp1: {Leader: 2, Isr: []int32{2, 1}}})
	if err != nil || len(failed) != 0 {
		t.Fatal(failed, err)
	}
	data, _, _ := c.GetData(TopicPartitionStatePath(tp0))
	if string(data) != `{"controller_epoch":1,"leader":1,"version":1,"leader_epoch":0,"isr":[1,2]}` {
		t.Fatalf("state json %s", data)
	}
	// creating again fails per partition, not as a whole
	failed, err = c.CreatePartitionStates(epoch, epochVersion, map[TopicPartition]LeaderIsr{tp0: {Leader: 1}})
	if err != nil || !errors.Is(failed[tp0], ErrNodeExists) {
		t.Fatal(failed, err)
	}
	s0, ok, err := c.GetPartitionState(tp0)
	if err != nil || !ok || s0.ZkVersion != 0 || s0.ControllerEpoch != 1 {
		t.Fatalf("%+v %v %v", s0, ok, err)
	}
	stale := s0
	s0.LeaderEpoch, s0.Isr = 1, []int32{1}
	r, err := c.UpdatePartitionStates(epoch, epochVersion, map[TopicPartition]LeaderIsr{tp0: s0})
	if err != nil || r.Successful[tp0].ZkVersion != 1 {
		t.Fatalf("%+v %v", r, err)
	}
	r, err = c.UpdatePartitionStates(epoch, epochVersion, map[TopicPartition]LeaderIsr{tp0: stale})
	if err != nil || !reflect.DeepEqual(r.ToRetry, []TopicPartition{tp0}) {
		t.Fatalf("stale zkVersion: %+v %v", r, err)
	}
	if _, err := c.UpdatePartitionStates(epoch, epochVersion+5, map[TopicPartition]LeaderIsr{tp0: s0}); !errors.Is(err, ErrControllerMoved) {
		t.Fatalf("stale controller epoch: %v", err)
	}
	// leader-side ISR write (no epoch fence), idempotent on BADVERSION
	s1, _, _ := c.GetPartitionState(tp1)
	s1.Isr = []int32{2}
	v, err := c.ConditionalUpdatePartitionState(tp1, s1, s1.ZkVersion)
	if err != nil || v != 1 {
		t.Fatal(v, err)
	}
	if v, err := c.ConditionalUpdatePartitionState(tp1, s1, 0); err != nil || v != 1 {
		t.Fatalf("retried identical write: %d %v", v, err)
	}
	s1.Isr = []int32{2, 1}
	if _, err := c.ConditionalUpdatePartitionState(tp1, s1, 0); !errors.Is(err, ErrBadVersion) {
		t.Fatalf("conflicting write: %v", err)
	}
}

func TestTopicsConfigsAndDeletion(t *testing.T) {
	addr := zktest.Start(t)
	c := connect(t, addr)
	if err := c.CreatePersistentPaths(); err != nil {
		t.Fatal(err)
	}
	id, err := c.GetOrCreateClusterID("first")
	if err != nil || id != "first" {
		t.Fatal(id, err)
	}
	if id, err := c.GetOrCreateClusterID("second"); err != nil || id != "first" {
		t.Fatal(id, err)
	}
	a := TopicAssignment{Topic: "t", TopicID: GenerateUUID(), Partitions: map[int32][]int32{0: {1, 2}, 1: {2, 3}}}
	if err := c.CreateTopicAssignment(a); err != nil {
		t.Fatal(err)
	}
	if err := c.CreateTopicAssignment(a); !errors.Is(err, ErrNodeExists) {
		t.Fatalf("second create: %v", err)
	}
	got, ok, err := c.GetTopicAssignment("t")
	if err != nil || !ok || got.TopicID != a.TopicID || !reflect.DeepEqual(got.Partitions, a.Partitions) {
		t.Fatalf("%+v %v", got, err)
	}
	got.Partitions[2] = []int32{3, 1}
	if err := c.SetTopicAssignment(got, got.ZkVersion); err != nil {
		t.Fatal(err)
	}
	if err := c.SetTopicAssignment(got, got.ZkVersion); !errors.Is(err, ErrBadVersion) {
		t.Fatalf("stale set: %v", err)
	}
	all, _ := c.GetTopicAssignments([]string{"t", "missing"})
	if len(all) != 1 || len(all["t"].Partitions) != 3 {
		t.Fatalf("%+v", all)
	}

	if err := c.SetOrCreateEntityConfig(ConfigTypeTopic, "t", map[string]string{"retention.ms": "1000"}); err != nil {
		t.Fatal(err)
	}
	if cfg, err := c.GetEntityConfig(ConfigTypeTopic, "t"); err != nil || cfg["retention.ms"] != "1000" {
		t.Fatal(cfg, err)
	}
	if err := c.CreateConfigChangeNotification("topics/t"); err != nil {
		t.Fatal(err)
	}
	if names, _ := c.GetChildren(ConfigChangesPath); len(names) != 1 || names[0] != "config_change_0000000000" {
		t.Fatalf("notifications %v", names)
	}

	_, ch, err := c.GetDeleteTopicsW()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.CreateDeleteTopicNode("t"); err != nil {
		t.Fatal(err)
	}
	<-ch
	if marked, _ := c.IsTopicMarkedForDeletion("t"); !marked {
		t.Fatal("not marked")
	}
	if _, err := c.CreatePartitionStates(0, -1, map[TopicPartition]LeaderIsr{{"t", 0}: {Leader: 1, Isr: []int32{1}}}); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteTopicZNodes("t", -1); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteDeleteTopicNode("t", -1); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{TopicPath("t"), ConfigEntityPath(ConfigTypeTopic, "t"), DeleteTopicPath("t")} {
		if ok, _, _ := c.Exists(p); ok {
			t.Fatalf("%s still exists", p)
		}
	}

	if err := c.PropagateIsrChanges([]TopicPartition{{"t", 0}, {"t", 1}}); err != nil {
		t.Fatal(err)
	}
	names, _, _ := c.GetIsrChangeNotificationsW()
	tps, err := c.GetPartitionsFromIsrChangeNotifications(names)
	if err != nil || len(tps) != 2 {
		t.Fatal(tps, err)
	}
	if err := c.DeleteIsrChangeNotifications(names, -1); err != nil {
		t.Fatal(err)
	}

	b1, err := c.ClaimProducerIDBlock(1)
	if err != nil || b1 != (ProducerIDBlock{1, 0, 999}) {
		t.Fatal(b1, err)
	}
	if b2, err := c.ClaimProducerIDBlock(2); err != nil || b2 != (ProducerIDBlock{2, 1000, 1999}) {
		t.Fatal(b2, err)
	}
	if seq, err := c.GenerateBrokerSequenceID(); err != nil || seq != 1 {
		t.Fatal(seq, err)
	}
}

func TestSessionExpiryRunsNewSessionHooks(t *testing.T) {
	addr := zktest.Start(t)
	proxy := zktest.NewProxy(t, addr)
	observer := connect(t, addr)
	c, err := Connect(proxy.Addr, 2*time.Second, 15*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	if err := c.CreatePersistentPaths(); err != nil {
		t.Fatal(err)
	}
	epoch, err := c.RegisterBroker(broker(1, 9092))
	if err != nil {
		t.Fatal(err)
	}
	expired := make(chan struct{}, 1)
	reregistered := make(chan int64, 1)
	c.OnSessionExpired(func() { expired <- struct{}{} })
	c.OnNewSession(func() {
		e, err := c.RegisterBroker(broker(1, 9092))
		if err != nil {
			t.Errorf("re-register: %v", err)
		}
		reregistered <- e
	})
	oldSession := c.SessionID()

	proxy.Block()
	waitFor(t, "the server to expire the session", 20*time.Second, func() bool {
		ok, _, _ := observer.Exists(BrokerIDPath(1))
		return !ok
	})
	proxy.Unblock()
	select {
	case <-expired:
	case <-time.After(20 * time.Second):
		t.Fatal("expiry hook did not run")
	}
	select {
	case e := <-reregistered:
		if e <= epoch {
			t.Fatalf("new broker epoch %d not above %d", e, epoch)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("new-session hook did not run")
	}
	if c.SessionID() == oldSession {
		t.Fatal("session id unchanged")
	}
	_, stat, err := observer.GetData(BrokerIDPath(1))
	if err != nil || stat.EphemeralOwner != c.SessionID() {
		t.Fatalf("registration owner %v, session %d: %v", stat, c.SessionID(), err)
	}
}

func TestWatchesOnMissingNodesAndAdminRequests(t *testing.T) {
	addr := zktest.Start(t)
	c := connect(t, addr+"/k")
	_, ok, ch, err := c.GetTopicAssignmentW("later")
	if err != nil || ok || ch == nil {
		t.Fatal(ok, ch, err)
	}
	if err := c.CreateTopicAssignment(TopicAssignment{Topic: "later", Partitions: map[int32][]int32{0: {1}}}); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-ch:
		if ev.Type != zk.EventNodeCreated || ev.Path != TopicPath("later") {
			t.Fatalf("event %+v", ev)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no creation event")
	}
	_, _, ch, _ = c.GetTopicAssignmentW("later")
	a, _, _ := c.GetTopicAssignment("later")
	a.Partitions[1] = []int32{1}
	if err := c.SetTopicAssignment(a, a.ZkVersion); err != nil {
		t.Fatal(err)
	}
	if ev := <-ch; ev.Type != zk.EventNodeDataChanged {
		t.Fatalf("event %+v", ev)
	}

	if err := c.CreatePreferredReplicaElection([]TopicPartition{{"later", 0}}); err != nil {
		t.Fatal(err)
	}
	if err := c.CreatePreferredReplicaElection(nil); !errors.Is(err, ErrNodeExists) {
		t.Fatal(err)
	}
	tps, ok, err := c.GetPreferredReplicaElection()
	if err != nil || !ok || !reflect.DeepEqual(tps, []TopicPartition{{"later", 0}}) {
		t.Fatal(tps, ok, err)
	}
	if err := c.DeletePreferredReplicaElection(-1); err != nil {
		t.Fatal(err)
	}
	r := map[TopicPartition][]int32{{"later", 0}: {2, 1}}
	if err := c.CreatePartitionReassignment(r); err != nil {
		t.Fatal(err)
	}
	if got, ok, err := c.GetPartitionReassignment(); err != nil || !ok || !reflect.DeepEqual(got, r) {
		t.Fatal(got, ok, err)
	}
	if err := c.DeletePartitionReassignment(-1); err != nil {
		t.Fatal(err)
	}
}

func TestConnectWaitsForZooKeeperToComeUp(t *testing.T) {
	srv := zktest.StartServer(t)
	srv.Stop()
	type result struct {
		c   *Client
		err error
	}
	done := make(chan result, 1)
	go func() {
		c, err := Connect(srv.Connect()+"/chroot", 6*time.Second, 60*time.Second)
		done <- result{c, err}
	}()
	time.Sleep(1500 * time.Millisecond)
	srv.Restart()
	select {
	case r := <-done:
		if r.err != nil {
			t.Fatal(r.err)
		}
		defer r.c.Close()
		if ok, _, err := r.c.Exists("/"); !ok || err != nil {
			t.Fatalf("chroot missing: %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("Connect did not return")
	}
}

func TestRequestsRetryAcrossConnectionLoss(t *testing.T) {
	srv := zktest.StartServer(t)
	c, err := Connect(srv.Connect(), 10*time.Second, 15*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.CreatePersistentPaths(); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	done := make(chan error, 1)
	go func() {
		_, err := c.GetOrCreateClusterID("abc")
		done <- err
	}()
	time.Sleep(time.Second)
	srv.Restart()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("request did not complete after ZooKeeper came back")
	}
	if id, ok, err := c.GetClusterID(); err != nil || !ok || id != "abc" {
		t.Fatal(id, ok, err)
	}
}
