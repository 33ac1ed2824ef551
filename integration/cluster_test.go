package integration

// The course's three-node cluster: node1-node3 are separate machines with
// broker.id 1-3, all listening on the same port. Here each node is a broker
// process on its own loopback address (127.0.0.1, 127.0.0.2, 127.0.0.3;
// Linux routes all of 127/8 to lo without setup) sharing one free port, with
// a real ZooKeeper.

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gokafka/kafka/zkutil"
	"github.com/gokafka/kafka/zkutil/zktest"
)

// node is one broker of the three-node cluster, on address 127.0.0.<ID>.
type node struct {
	t         testing.TB
	ID        int
	Host      string
	Port      int
	Dir       string // server.properties, broker.log
	LogDir    string
	propsPath string
	logPath   string

	cmd    *exec.Cmd
	done   chan struct{}
	paused bool
}

func (n *node) Addr() string { return net.JoinHostPort(n.Host, strconv.Itoa(n.Port)) }

// Log is everything the broker printed so far (all starts).
func (n *node) Log() string {
	data, _ := os.ReadFile(n.logPath)
	return string(data)
}

// nodeCluster is ZooKeeper plus node1-node3.
type nodeCluster struct {
	t     *testing.T
	ZK    string
	Nodes []*node
}

// sharedLoopbackPort finds a port that is free on 127.0.0.1, .2 and .3, so
// the three nodes can listen on the same port like the course's machines.
func sharedLoopbackPort(t testing.TB) int {
	t.Helper()
	for attempt := 0; attempt < 50; attempt++ {
		first, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("listen: %v", err)
		}
		port := first.Addr().(*net.TCPAddr).Port
		ls := []net.Listener{first}
		ok := true
		for _, host := range []string{"127.0.0.2", "127.0.0.3"} {
			l, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
			if err != nil {
				ok = false
				break
			}
			ls = append(ls, l)
		}
		for _, l := range ls {
			l.Close()
		}
		if ok {
			return port
		}
	}
	t.Fatal("no port free on 127.0.0.1-3 after 50 attempts")
	return 0
}

// startNodeCluster starts ZooKeeper and node1-node3 (props on top of the
// harness's base properties; an empty value removes a key).
func startNodeCluster(t *testing.T, props map[string]string) *nodeCluster {
	t.Helper()
	requireZooKeeper(t)
	c := &nodeCluster{t: t, ZK: zktest.Start(t)}
	port := sharedLoopbackPort(t)
	for id := 1; id <= 3; id++ {
		c.Nodes = append(c.Nodes, newNode(t, c.ZK, id, port, props))
	}
	for _, n := range c.Nodes {
		n.Start()
	}
	return c
}

func newNode(t testing.TB, zkConnect string, id, port int, props map[string]string) *node {
	t.Helper()
	dir := t.TempDir()
	n := &node{
		t: t, ID: id, Host: fmt.Sprintf("127.0.0.%d", id), Port: port, Dir: dir,
		LogDir:    filepath.Join(dir, "kafka-logs"),
		propsPath: filepath.Join(dir, "server.properties"),
		logPath:   filepath.Join(dir, "broker.log"),
	}
	all := baseProps(id, port, zkConnect, n.LogDir)
	all["listeners"] = "PLAINTEXT://" + n.Addr()
	// Brokers stopped together at the end retry controlled shutdown when
	// no other replica is left; Kafka's 5 s backoff would only slow tests.
	all["controlled.shutdown.retry.backoff.ms"] = "500"
	for k, v := range props {
		if v == "" {
			delete(all, k)
		} else {
			all[k] = v
		}
	}
	var b strings.Builder
	b.WriteString("# written by integration/cluster_test.go\n")
	keys := make([]string, 0, len(all))
	for k := range all {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%s\n", k, all[k])
	}
	if err := os.WriteFile(n.propsPath, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			n.dumpLog()
			// CLUSTER_KEEP=<dir> keeps a failed run's node directories
			// (logs, segments) for a look with kafka-dump-log.sh.
			if keep := os.Getenv("CLUSTER_KEEP"); keep != "" {
				_ = exec.Command("cp", "-a", n.Dir, filepath.Join(keep, fmt.Sprint("node", n.ID))).Run()
			}
		}
	})
	t.Cleanup(n.Stop)
	return n
}

// Start launches the broker and waits until it answers Metadata listing
// itself and a controller.
func (n *node) Start() {
	n.t.Helper()
	if n.Running() {
		n.t.Fatalf("node%d already running", n.ID)
	}
	logFile, err := os.OpenFile(n.logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		n.t.Fatal(err)
	}
	fmt.Fprintf(logFile, "===== cluster test: starting node%d at %s =====\n", n.ID, time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(kafkaBin, "server", "kafka.Kafka", n.propsPath)
	cmd.Dir = n.Dir
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.Env = append(os.Environ(), "LOG_DIR=")
	if err := cmd.Start(); err != nil {
		logFile.Close()
		n.t.Fatalf("starting %s: %v", kafkaBin, err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		logFile.Close()
		close(done)
	}()
	n.cmd, n.done, n.paused = cmd, done, false
	alive := func() bool {
		select {
		case <-done:
			return false
		default:
			return true
		}
	}
	if err := waitBrokerReady(n.Addr(), n.ID, alive, brokerStartTimeout); err != nil {
		n.Kill9()
		n.t.Fatalf("node%d: %v (log %s)", n.ID, err, n.logPath)
	}
}

// waitBrokerReady polls addr until the broker answers ApiVersions and its
// Metadata lists broker id and a controller; alive reports whether the
// process still runs.
func waitBrokerReady(addr string, id int, alive func() bool, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		if !alive() {
			return errors.New("process exited during start-up")
		}
		if last = probeBroker(addr, id); last == nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("not ready within %v: %v", timeout, last)
}

func probeBroker(addr string, id int) error {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	av := kmsg.NewPtrApiVersionsRequest()
	av.Version = 0
	if _, err := RoundTrip(conn, av, 1, 2*time.Second); err != nil {
		return fmt.Errorf("ApiVersions: %w", err)
	}
	m, err := brokersMetadata(conn, 2)
	if err != nil {
		return err
	}
	if m.ControllerID < 0 {
		return errors.New("no controller yet")
	}
	for _, b := range m.Brokers {
		if b.NodeID == int32(id) {
			return nil
		}
	}
	return fmt.Errorf("Metadata does not list broker %d yet", id)
}

// brokersMetadata asks conn for Metadata v1 without topics (brokers and
// controller only).
func brokersMetadata(conn net.Conn, correlationID int32) (*kmsg.MetadataResponse, error) {
	md := kmsg.NewPtrMetadataRequest()
	md.Version = 1
	md.Topics = []kmsg.MetadataRequestTopic{}
	resp, err := RoundTrip(conn, md, correlationID, 2*time.Second)
	if err != nil {
		return nil, fmt.Errorf("Metadata: %w", err)
	}
	return resp.(*kmsg.MetadataResponse), nil
}

func (n *node) Running() bool {
	if n.cmd == nil {
		return false
	}
	select {
	case <-n.done:
		return false
	default:
		return true
	}
}

// Stop is a graceful stop (SIGTERM, bounded wait, then SIGKILL); a
// non-zero exit after SIGTERM is an error.
func (n *node) Stop() {
	if n.cmd == nil {
		return
	}
	cmd, done := n.cmd, n.Term()
	select {
	case <-done:
		n.cmd = nil
		if !cmd.ProcessState.Success() && cmd.ProcessState.String() != "signal: killed" {
			n.t.Errorf("node%d (pid %d) exited with %s after SIGTERM", n.ID, cmd.Process.Pid, cmd.ProcessState)
		}
	case <-time.After(brokerStopTimeout):
		n.t.Errorf("node%d did not stop within %v of SIGTERM; killing it", n.ID, brokerStopTimeout)
		n.Kill9()
	}
}

// Term sends SIGTERM and returns a channel closed when the process has
// exited.
func (n *node) Term() <-chan struct{} {
	if n.paused {
		_ = n.cmd.Process.Signal(syscall.SIGCONT)
		n.paused = false
	}
	_ = n.cmd.Process.Signal(syscall.SIGTERM)
	return n.done
}

// Kill9 ends the process with SIGKILL, like a power cut.
func (n *node) Kill9() {
	if n.cmd == nil {
		return
	}
	cmd, done := n.cmd, n.done
	n.cmd = nil
	_ = cmd.Process.Kill()
	<-done
}

// Pause and Resume freeze and thaw the process (SIGSTOP / SIGCONT): the
// broker stops fetching but keeps its ZooKeeper session until it expires.
func (n *node) Pause() {
	_ = n.cmd.Process.Signal(syscall.SIGSTOP)
	n.paused = true
}

func (n *node) Resume() {
	_ = n.cmd.Process.Signal(syscall.SIGCONT)
	n.paused = false
}

func (n *node) dumpLog() {
	data, err := os.ReadFile(n.logPath)
	if err != nil {
		return
	}
	if len(data) > logTailBytes {
		data = data[len(data)-logTailBytes:]
	}
	n.t.Logf("---- tail of node%d log (%s) ----\n%s---- end of node%d log ----", n.ID, n.logPath, data, n.ID)
}

// Bootstrap lists the running nodes' addresses.
func (c *nodeCluster) Bootstrap() string {
	var addrs []string
	for _, n := range c.Nodes {
		if n.Running() {
			addrs = append(addrs, n.Addr())
		}
	}
	return strings.Join(addrs, ",")
}

func (c *nodeCluster) node(id int32) *node { return c.Nodes[id-1] }

// zkClient connects to the cluster's ZooKeeper through zkutil.
func zkClient(t testing.TB, connect string) *zkutil.Client {
	t.Helper()
	cl, err := zkutil.Connect(connect, 10*time.Second, 10*time.Second)
	if err != nil {
		t.Fatalf("zkutil.Connect %s: %v", connect, err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// controllerOf reads /controller and /controller_epoch.
func controllerOf(t testing.TB, zc *zkutil.Client) (id, epoch int32) {
	t.Helper()
	id, ok, err := zc.GetControllerID()
	if err != nil || !ok {
		t.Fatalf("/controller: exists %v, err %v", ok, err)
	}
	epoch, _, ok, err = zc.GetControllerEpoch()
	if err != nil || !ok {
		t.Fatalf("/controller_epoch: exists %v, err %v", ok, err)
	}
	return id, epoch
}

// described is one partition line of kafka-topics --describe.
type described struct {
	Partition, Leader int32
	Replicas, Isr     []int32
}

var describeLine = regexp.MustCompile(`^\tTopic: (\S+)\tPartition: (\d+)\tLeader: (-?\d+|none)\tReplicas: ([\d,]*)\tIsr: ([\d,]*)$`)

func parseIDList(s string) []int32 {
	var out []int32
	for _, f := range strings.Split(s, ",") {
		if v, err := strconv.Atoi(f); err == nil {
			out = append(out, int32(v))
		}
	}
	return out
}

// describeTopic runs kafka-topics --describe and parses its output: the
// header line and the partition lines in Kafka's tab-separated format.
func describeTopic(t *testing.T, bootstrap, topic string) (string, []described) {
	t.Helper()
	out, errOut, code := Kafka(t, "topics", "--bootstrap-server", bootstrap, "--describe", "--topic", topic)
	if code != 0 {
		t.Fatalf("describe %s: exit %d\n%s\n%s", topic, code, out, errOut)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	var parts []described
	for _, l := range lines[1:] {
		m := describeLine.FindStringSubmatch(l)
		if m == nil || m[1] != topic {
			t.Fatalf("describe %s: line %q is not Kafka's partition line; output:\n%s", topic, l, out)
		}
		p, _ := strconv.Atoi(m[2])
		leader := int32(-1)
		if m[3] != "none" {
			v, _ := strconv.Atoi(m[3])
			leader = int32(v)
		}
		parts = append(parts, described{int32(p), leader, parseIDList(m[4]), parseIDList(m[5])})
	}
	return lines[0], parts
}

var describeHeader = regexp.MustCompile(`^Topic: (\S+)\tTopicId: [A-Za-z0-9_-]{22}\tPartitionCount: (\d+)\tReplicationFactor: (\d+)\tConfigs: (.*)$`)

func checkDescribeHeader(t *testing.T, header, topic string, partitions, rf int) {
	t.Helper()
	m := describeHeader.FindStringSubmatch(header)
	if m == nil || m[1] != topic || m[2] != strconv.Itoa(partitions) || m[3] != strconv.Itoa(rf) {
		t.Errorf("describe header %q; want topic %s, PartitionCount: %d, ReplicationFactor: %d", header, topic, partitions, rf)
	}
}

// waitZKState polls the partition state znode until check accepts it.
func waitZKState(t *testing.T, zc *zkutil.Client, topic string, p int32, what string, timeout time.Duration, check func(zkutil.LeaderIsr) bool) zkutil.LeaderIsr {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last zkutil.LeaderIsr
	for time.Now().Before(deadline) {
		s, ok, err := zc.GetPartitionState(zkutil.TopicPartition{Topic: topic, Partition: p})
		if err == nil && ok {
			last = s
			if check(s) {
				return s
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s-%d: state znode not %s after %v; last %+v", topic, p, what, timeout, last)
	return last
}

// TestClusterCourseTopics follows the course's topic commands on the
// three-node cluster, then: a frozen follower leaves the ISR after
// replica.lag.time.max.ms and rejoins; SIGTERM (controlled shutdown) moves a
// broker's leaderships before it exits; after its restart the replicas
// rejoin and a preferred leader election gives leadership back.
func TestClusterCourseTopics(t *testing.T) {
	c := startNodeCluster(t, map[string]string{
		"replica.lag.time.max.ms":              "3000",
		"controlled.shutdown.retry.backoff.ms": "500",
		"auto.leader.rebalance.enable":         "false", // leadership goes back only when asked
	})
	all := c.Bootstrap()
	zc := zkClient(t, c.ZK)

	// (a) kafka-topics.sh --create --topic bigdata01 --partitions 3 --replication-factor 2
	out, errOut, code := Kafka(t, "topics", "--create", "--topic", "bigdata01", "--partitions", "3",
		"--replication-factor", "2", "--bootstrap-server", all)
	if !expectTool(t, "create bigdata01", out, errOut, code, "Created topic bigdata01.\n", 0) {
		t.FailNow()
	}
	header, parts := describeTopic(t, all, "bigdata01")
	checkDescribeHeader(t, header, "bigdata01", 3, 2)
	if len(parts) != 3 {
		t.Fatalf("bigdata01: %d partition lines, want 3", len(parts))
	}
	// Rack-unaware assignment over brokers [1,2,3]: first replicas follow
	// each other from a random start, the second replica sits a fixed
	// distance (1 or 2) after the first; the first replica leads and the
	// ISR is the whole replica list.
	start := parts[0].Replicas[0] - 1
	gap := (parts[0].Replicas[1] - parts[0].Replicas[0] + 3) % 3
	for i, p := range parts {
		wantFirst := (start+int32(i))%3 + 1
		if p.Partition != int32(i) || len(p.Replicas) != 2 || p.Replicas[0] != wantFirst ||
			p.Replicas[1] != (wantFirst-1+gap)%3+1 || gap == 0 {
			t.Errorf("partition line %d: %+v does not fit the rack-unaware assignment (start %d, gap %d)", i, p, start+1, gap)
		}
		if p.Leader != p.Replicas[0] || !slices.Equal(p.Isr, p.Replicas) {
			t.Errorf("partition %d: leader %d, isr %v; want leader = first replica and isr = replicas %v", i, p.Leader, p.Isr, p.Replicas)
		}
	}

	// Defaults: one partition, one replica.
	out, errOut, code = Kafka(t, "topics", "--create", "--topic", "test1", "--bootstrap-server", all)
	expectTool(t, "create test1", out, errOut, code, "Created topic test1.\n", 0)
	header, parts = describeTopic(t, all, "test1")
	checkDescribeHeader(t, header, "test1", 1, 1)
	if len(parts) != 1 || len(parts[0].Replicas) != 1 || parts[0].Leader != parts[0].Replicas[0] ||
		!slices.Equal(parts[0].Isr, parts[0].Replicas) || parts[0].Leader < 1 || parts[0].Leader > 3 {
		t.Errorf("test1: %+v; want one partition led by its only replica", parts)
	}
	test1Leader := parts[0].Leader

	// (b) more replicas than brokers.
	out, errOut, code = Kafka(t, "topics", "--create", "--topic", "test2", "--replication-factor", "5", "--bootstrap-server", all)
	expectTool(t, "create test2 rf 5", out, errOut, code,
		"Error while executing topic command : Replication factor: 5 larger than available brokers: 3.\n", 1)
	out, errOut, code = Kafka(t, "topics", "--list", "--bootstrap-server", all)
	expectTool(t, "list", out, errOut, code, "bigdata01\ntest1\n", 0)

	t.Run("FrozenFollowerLeavesAndRejoinsISR", func(t *testing.T) { frozenFollower(t, c, zc) })
	if t.Failed() {
		return
	}

	// (f) Controlled shutdown of a broker that leads a bigdata01 partition
	// (every broker leads one), is not the controller and does not lead the
	// single-replica test1 (which could not move).
	ctrl, _ := controllerOf(t, zc)
	var victim *node
	for _, n := range c.Nodes {
		if int32(n.ID) != ctrl && int32(n.ID) != test1Leader {
			victim = n
			break
		}
	}
	vid := int32(victim.ID)
	select {
	case <-victim.Term():
	case <-time.After(brokerStopTimeout):
		t.Fatalf("node%d did not exit within %v of SIGTERM", victim.ID, brokerStopTimeout)
	}
	if st := victim.cmd.ProcessState; !st.Success() {
		t.Errorf("node%d exited with %s after SIGTERM", victim.ID, st)
	}
	others := c.Bootstrap()
	_, parts = describeTopic(t, others, "bigdata01")
	for _, p := range parts {
		if p.Leader == vid || slices.Contains(p.Isr, vid) {
			t.Errorf("right after node%d exited: %+v still has it as leader or in the ISR", vid, p)
		}
		if slices.Contains(p.Replicas, vid) && p.Leader < 0 {
			t.Errorf("partition %d lost its leader with node%d's controlled shutdown: %+v", p.Partition, vid, p)
		}
	}
	vlog := victim.Log()
	iStart := strings.Index(vlog, "Starting controlled shutdown")
	iOK := strings.Index(vlog, "Controlled shutdown request returned successfully after 1 attempt(s)")
	iDone := strings.LastIndex(vlog, "shut down completed")
	if iStart < 0 || iOK < iStart || iDone < iOK {
		t.Errorf("node%d's log lacks controlled shutdown before exit (start %d, success %d, completed %d)", vid, iStart, iOK, iDone)
	}

	// (h) Restart: replicas catch up and rejoin the ISR, leadership stays
	// away until a preferred leader election brings it back.
	victim.Start()
	md := waitPartitions(t, all, "bigdata01", 3, "back to full ISRs", func(p kadm.PartitionDetail) bool {
		return len(p.ISR) == 2
	})
	preferredHere := map[int32]bool{}
	for _, p := range md.Partitions {
		if p.Replicas[0] == vid {
			preferredHere[p.Partition] = true
			if p.Leader == vid {
				t.Errorf("partition %d is led by restarted node%d before any election", p.Partition, vid)
			}
		}
	}
	if len(preferredHere) != 1 {
		t.Fatalf("node%d should be the preferred leader of exactly one bigdata01 partition: %s", vid, spew(md.Partitions))
	}
	adm := kadmClient(t, all)
	res, err := adm.ElectLeaders(testContext(t, 30*time.Second), kadm.ElectPreferredReplica, kadm.TopicsSet{"bigdata01": {0: {}, 1: {}, 2: {}}})
	if err != nil {
		t.Fatalf("ElectLeaders: %v", err)
	}
	for p, r := range res["bigdata01"] {
		switch {
		case preferredHere[p] && r.Err != nil:
			t.Errorf("ElectLeaders bigdata01-%d: %v %s", p, r.Err, r.ErrMessage)
		case !preferredHere[p] && !errors.Is(r.Err, kerr.ElectionNotNeeded):
			t.Errorf("ElectLeaders bigdata01-%d (already on its preferred leader): %v, want ELECTION_NOT_NEEDED", p, r.Err)
		}
	}
	if len(res["bigdata01"]) != 3 {
		t.Errorf("ElectLeaders answered for %d partitions, want 3: %v", len(res["bigdata01"]), res)
	}
	waitPartitions(t, all, "bigdata01", 3, "led by their preferred replicas", func(p kadm.PartitionDetail) bool {
		return p.Leader == p.Replicas[0] && len(p.ISR) == 2
	})
	_, parts = describeTopic(t, all, "bigdata01")
	for _, p := range parts {
		if p.Leader != p.Replicas[0] {
			t.Errorf("after the preferred election: %+v", p)
		}
	}
}

// frozenFollower: (d) a follower that stops fetching (SIGSTOP; its
// ZooKeeper session outlives the pause) leaves the ISR once it has been
// behind for replica.lag.time.max.ms (3 s), through the leader's ISR update
// in ZooKeeper, and rejoins after it resumes and catches up.
func frozenFollower(t *testing.T, c *nodeCluster, zc *zkutil.Client) {
	const topic = "lagging"
	adm := kadmClient(t, c.Bootstrap())
	if resp, err := adm.CreateTopic(testContext(t, 30*time.Second), 1, 3, nil, topic); err != nil || resp.Err != nil {
		t.Fatalf("create %s: %v %v", topic, err, resp.Err)
	}
	st := waitZKState(t, zc, topic, 0, "fully in sync", 30*time.Second, func(s zkutil.LeaderIsr) bool { return len(s.Isr) == 3 })
	ctrl, _ := controllerOf(t, zc)
	var follower *node
	for _, n := range c.Nodes {
		if id := int32(n.ID); id != st.Leader && id != ctrl {
			follower = n
			break
		}
	}
	fid := int32(follower.ID)
	leader := c.node(st.Leader)
	cl := NewClient(t, leader.Addr(), kgo.RequiredAcks(kgo.LeaderAck()), kgo.DisableIdempotentWrite(),
		kgo.ProducerLinger(0))
	produce := func(n int) {
		t.Helper()
		ctx := testContext(t, 20*time.Second)
		for i := 0; i < n; i++ {
			if err := cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Value: []byte("lag")}).FirstErr(); err != nil {
				t.Fatalf("produce to %s: %v", topic, err)
			}
		}
	}
	produce(5)

	follower.Pause()
	paused := time.Now()
	var shrunk time.Duration
	for deadline := paused.Add(15 * time.Second); ; {
		produce(5) // the follower only falls behind while the log grows
		s, ok, err := zc.GetPartitionState(zkutil.TopicPartition{Topic: topic, Partition: 0})
		if err == nil && ok && !slices.Contains(s.Isr, fid) {
			shrunk = time.Since(paused)
			if s.Leader != st.Leader || len(s.Isr) != 2 {
				t.Errorf("after the shrink: %+v; want leader %d with the two live replicas", s, st.Leader)
			}
			break
		}
		if time.Now().After(deadline) {
			follower.Resume()
			t.Fatalf("node%d (frozen follower) still in the ISR of %s-0 after %v: %+v", fid, topic, time.Since(paused), s)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// lastCaughtUp can predate the pause by one fetch wait (500 ms).
	if shrunk < 2*time.Second {
		t.Errorf("ISR shrank %v after the follower froze; replica.lag.time.max.ms is 3000", shrunk)
	}
	t.Logf("frozen follower node%d left the ISR after %v", fid, shrunk.Round(time.Millisecond))
	if !strings.Contains(leader.Log(), "Shrinking ISR") {
		t.Errorf("leader node%d does not log the ISR shrink", leader.ID)
	}
	// Clients learn about it too (/isr_change_notification -> UpdateMetadata).
	// Asked of the leader directly: a client might pick the frozen broker.
	waitUntil(t, 20*time.Second, "Metadata to report the shrunk ISR", func() bool {
		isr, err := metadataISR(leader.Addr(), topic, 0)
		return err == nil && len(isr) == 2 && !slices.Contains(isr, fid)
	})

	follower.Resume()
	waitZKState(t, zc, topic, 0, "back to three in-sync replicas", 20*time.Second, func(s zkutil.LeaderIsr) bool {
		return len(s.Isr) == 3 && s.Leader == st.Leader
	})
	waitPartitions(t, c.Bootstrap(), topic, 1, "reported with the full ISR", func(p kadm.PartitionDetail) bool {
		return len(p.ISR) == 3
	})
}

// metadataISR asks one broker for a partition's ISR (Metadata v1).
func metadataISR(addr, topic string, partition int32) ([]int32, error) {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	req := kmsg.NewPtrMetadataRequest()
	req.Version = 1
	rt := kmsg.NewMetadataRequestTopic()
	rt.Topic = kmsg.StringPtr(topic)
	req.Topics = append(req.Topics, rt)
	resp, err := RoundTrip(conn, req, 1, 3*time.Second)
	if err != nil {
		return nil, err
	}
	for _, tp := range resp.(*kmsg.MetadataResponse).Topics {
		for _, p := range tp.Partitions {
			if p.Partition == partition {
				return p.ISR, nil
			}
		}
	}
	return nil, fmt.Errorf("%s-%d not in Metadata", topic, partition)
}

// seqProducer produces "seq-%07d" values round-robin over partitions with
// acks=all until stopped, recording every result.
type seqProducer struct {
	cl         *kgo.Client
	clientLog  string // the client's warnings
	topic      string
	partitions int
	log        ackLog
	mu         sync.Mutex
	next       int
	stop       chan struct{}
	stopped    chan struct{}
}

func startSeqProducer(t *testing.T, bootstrap, topic string, partitions, from int, opts ...kgo.Opt) *seqProducer {
	clientLog := filepath.Join(t.TempDir(), "client.log")
	w, err := os.Create(clientLog)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	p := &seqProducer{
		cl: NewClient(t, bootstrap, append([]kgo.Opt{kgo.RequiredAcks(kgo.AllISRAcks()), kgo.ProducerLinger(2 * time.Millisecond),
			kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.WithLogger(kgo.BasicLogger(w, kgo.LogLevelWarn, nil))}, opts...)...),
		clientLog: clientLog,
		topic:     topic, partitions: partitions, next: from,
		stop: make(chan struct{}), stopped: make(chan struct{}),
	}
	ctx := testContext(t, 2*time.Minute)
	go func() {
		defer close(p.stopped)
		for {
			select {
			case <-p.stop:
				return
			default:
			}
			for j := 0; j < 10; j++ {
				p.mu.Lock()
				i := p.next
				p.next++
				p.mu.Unlock()
				p.cl.Produce(ctx, &kgo.Record{Topic: topic, Partition: int32(i % partitions),
					Value: []byte(fmt.Sprintf("seq-%07d", i))}, p.log.promise())
			}
			time.Sleep(10 * time.Millisecond) // about 1000 records/s
		}
	}()
	return p
}

// sent is how many records were handed to the client so far.
func (p *seqProducer) sent() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.next
}

// finish stops producing and waits for every outstanding result.
func (p *seqProducer) finish(t *testing.T) []acked {
	t.Helper()
	close(p.stop)
	<-p.stopped
	p.log.wait(t, 90*time.Second)
	if p.log.failed > 0 {
		data, _ := os.ReadFile(p.clientLog)
		t.Errorf("%d acks=all records failed: %v\nclient warnings:\n%s", p.log.failed, p.log.errs, data)
	}
	return p.log.snapshot()
}

// ackedSince counts acked records of a partition with sequence >= from.
func ackedSince(l *ackLog, partition int32, from int) int {
	n := 0
	for _, a := range l.snapshot() {
		seq, _ := strconv.Atoi(strings.TrimPrefix(a.value, "seq-"))
		if a.partition == partition && seq >= from {
			n++
		}
	}
	return n
}

// checkExactlyOnce: every acked record is at its acked offset (checkAcked),
// no value is in the log twice, and per partition the acked records appear
// in the order they were produced.
func checkExactlyOnce(t *testing.T, bootstrap, topic string, acks []acked) {
	t.Helper()
	checkAckedInOrder(t, bootstrap, topic, acks, false)
}

// checkAckedInOrder is checkExactlyOnce, optionally tolerating extra copies
// of records: without idempotence a retried batch that had been written
// but not acknowledged is legitimately in the log twice.
func checkAckedInOrder(t *testing.T, bootstrap, topic string, acks []acked, allowDuplicates bool) {
	t.Helper()
	got := checkAcked(t, bootstrap, topic, acks)
	ackedAt := map[string]bool{}
	for _, a := range acks {
		ackedAt[a.value] = true
	}
	for p, rs := range got {
		seen := map[string]int64{}
		last := -1
		for _, r := range rs {
			v := string(r.Value)
			prev, dup := seen[v]
			if dup && !allowDuplicates {
				t.Errorf("partition %d: %s at offsets %d and %d", p, v, prev, r.Offset)
			}
			seen[v] = r.Offset
			if !ackedAt[v] || dup {
				continue
			}
			seq, _ := strconv.Atoi(strings.TrimPrefix(v, "seq-"))
			if seq <= last {
				t.Errorf("partition %d: acked %s at offset %d comes after seq %d", p, v, r.Offset, last)
			}
			last = seq
		}
	}
}

// TestClusterFailover: (c) kill -9 of a partition leader during an acks=all
// run (RF 3, min.insync.replicas 2): an in-sync replica takes over, the
// producer carries on and every acked record is in the log exactly once,
// in order; (e) the controller killed: another broker takes /controller
// with a higher epoch and the cluster keeps serving.
func TestClusterFailover(t *testing.T) {
	const session = 6 * time.Second
	c := startNodeCluster(t, map[string]string{
		"zookeeper.session.timeout.ms":         fmt.Sprint(session.Milliseconds()),
		"controlled.shutdown.retry.backoff.ms": "500",
	})
	all := c.Bootstrap()
	zc := zkClient(t, c.ZK)
	// The same run twice over: franz-go's default idempotent producer, and
	// a plain one, whose retries may legitimately leave a second copy of a
	// record that was written but not acknowledged.
	const topic, plain, partitions = "failover", "failover-plain", 3
	adm := kadmClient(t, all)
	for _, name := range []string{topic, plain} {
		resp, err := adm.CreateTopic(testContext(t, 30*time.Second), partitions, 3, map[string]*string{"min.insync.replicas": strPtr("2")}, name)
		if err != nil || resp.Err != nil {
			t.Fatalf("create %s: %v %v", name, err, resp.Err)
		}
	}
	md := waitPartitions(t, all, topic, partitions, "fully replicated", func(p kadm.PartitionDetail) bool {
		return p.Leader > 0 && len(p.ISR) == 3
	})
	mdPlain := waitPartitions(t, all, plain, partitions, "fully replicated", func(p kadm.PartitionDetail) bool {
		return p.Leader > 0 && len(p.ISR) == 3
	})

	// The victim leads a partition and is not the controller (that is (e)).
	ctrl, epoch := controllerOf(t, zc)
	var target kadm.PartitionDetail
	for _, p := range md.Partitions {
		if p.Leader != ctrl {
			target = p
			break
		}
	}
	victim := c.node(target.Leader)
	plainTarget := int32(-1)
	for _, p := range mdPlain.Partitions {
		if p.Leader == target.Leader {
			plainTarget = p.Partition
		}
	}
	if plainTarget < 0 {
		t.Fatalf("node%d leads no partition of %s: %s", victim.ID, plain, spew(mdPlain.Partitions))
	}

	prod := startSeqProducer(t, all, topic, partitions, 0)
	plainProd := startSeqProducer(t, all, plain, partitions, 0, kgo.DisableIdempotentWrite())
	waitUntil(t, 30*time.Second, "500 acks before the crash", func() bool {
		return len(prod.log.snapshot()) >= 500 && len(plainProd.log.snapshot()) >= 500
	})
	killedAt, plainKilledAt := prod.sent(), plainProd.sent()
	victim.Kill9()
	killTime := time.Now()
	survivors := c.Bootstrap()
	st := waitZKState(t, zc, topic, target.Partition, "led by another in-sync replica", session+30*time.Second, func(s zkutil.LeaderIsr) bool {
		return s.Leader > 0 && s.Leader != target.Leader
	})
	elected := time.Since(killTime)
	if !slices.Contains(target.ISR, st.Leader) || slices.Contains(st.Isr, target.Leader) {
		t.Errorf("after the crash: %+v; want a leader from the old ISR %v and the dead broker out of the ISR", st, target.ISR)
	}
	waitPartitions(t, survivors, topic, partitions, "led by a live in-sync replica", func(p kadm.PartitionDetail) bool {
		return p.Leader > 0 && p.Leader != target.Leader && slices.Contains(target.ISR, p.Leader)
	})
	t.Logf("partition %d: leader node%d killed (session timeout %v); node%d elected after %v, clients see it after %v",
		target.Partition, victim.ID, session, st.Leader, elected.Round(time.Millisecond), time.Since(killTime).Round(time.Millisecond))
	waitUntil(t, 40*time.Second, "the producers to carry on after the crash", func() bool {
		return ackedSince(&prod.log, target.Partition, killedAt) >= 200 && ackedSince(&plainProd.log, plainTarget, plainKilledAt) >= 200
	})
	acks := prod.finish(t)
	plainAcks := plainProd.finish(t)
	t.Logf("%d + %d (plain) records acked, %d + %d sent before the kill", len(acks), len(plainAcks), killedAt, plainKilledAt)
	checkExactlyOnce(t, survivors, topic, acks)
	checkAckedInOrder(t, survivors, plain, plainAcks, true)

	// The crashed broker returns (once ZooKeeper dropped its session) and
	// rejoins every ISR.
	WaitZNodeGone(t, c.ZK, fmt.Sprintf("/brokers/ids/%d", victim.ID), session+20*time.Second)
	victim.Start()
	waitPartitions(t, all, topic, partitions, "back to full ISRs", func(p kadm.PartitionDetail) bool { return len(p.ISR) == 3 })

	// (e) Kill the controller.
	if now, _ := controllerOf(t, zc); now != ctrl {
		t.Fatalf("controller moved from %d to %d without a failure", ctrl, now)
	}
	c.node(ctrl).Kill9()
	var newCtrl, newEpoch int32
	waitUntil(t, session+30*time.Second, "another broker to become controller", func() bool {
		id, ok, err := zc.GetControllerID()
		if err != nil || !ok || id == ctrl {
			return false
		}
		newCtrl, newEpoch = controllerOf(t, zc)
		return newCtrl == id
	})
	if newEpoch <= epoch {
		t.Errorf("/controller_epoch %d after the failover, was %d", newEpoch, epoch)
	}
	t.Logf("controller node%d killed; node%d took over with epoch %d", ctrl, newCtrl, newEpoch)
	survivors = c.Bootstrap()
	waitPartitions(t, survivors, topic, partitions, "led by live brokers", func(p kadm.PartitionDetail) bool {
		return p.Leader > 0 && p.Leader != ctrl
	})
	more := startSeqProducer(t, survivors, topic, partitions, 1_000_000)
	waitUntil(t, 30*time.Second, "300 acks after the controller failover", func() bool { return len(more.log.snapshot()) >= 300 })
	acks = append(acks, more.finish(t)...)
	checkExactlyOnce(t, survivors, topic, acks)
	// Topic creation needs the new controller.
	CreateTopic(t, survivors, "after-failover", 2, nil)
}

// waitUntil polls cond every 50 ms for at most timeout.
func waitUntil(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// processGone reports whether pid has exited (a zombie counts as gone:
// orphaned brokers are reaped by whoever adopted them).
func processGone(pid int) bool {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	s := string(data)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && len(s) > i+2 {
		return s[i+2] == 'Z'
	}
	return false
}

// TestClusterStartStopScripts: (g) bin/start-kafka.sh and bin/stop-kafka.sh
// run unmodified. An "ssh" on PATH (scripts/local-node/ssh behind a wrapper
// that records its arguments) treats host nodeN as the directory
// <tmp>/nodeN that scripts/local-cluster.sh configure lays out; the scripts
// use KAFKA_HOME=. as each node's install lives in its "home directory".
func TestClusterStartStopScripts(t *testing.T) {
	requireZooKeeper(t)
	zkConnect := zktest.Start(t)
	port := sharedLoopbackPort(t)
	nodesDir := t.TempDir()
	env := []string{
		"KAFKA_CLUSTER_DIR=" + nodesDir,
		"KAFKA_PORT=" + strconv.Itoa(port),
		"KAFKA_ZK_CONNECT=" + zkConnect,
		"LOG_DIR=" + t.TempDir(),
	}
	out, errOut, code := RunCmdIn(t, repoRoot, env, 60*time.Second, "", filepath.Join(repoRoot, "scripts/local-cluster.sh"), "configure")
	if code != 0 {
		t.Fatalf("local-cluster.sh configure: exit %d\n%s\n%s", code, out, errOut)
	}
	base := readProps(t, filepath.Join(repoRoot, "config/server.properties"))
	var pidFiles []string
	for id := 1; id <= 3; id++ {
		home := filepath.Join(nodesDir, fmt.Sprintf("node%d", id))
		props := readProps(t, filepath.Join(home, "config/server.properties"))
		host := fmt.Sprintf("127.0.0.%d", id)
		want := map[string]string{
			"broker.id":           strconv.Itoa(id),
			"listeners":           fmt.Sprintf("PLAINTEXT://%s:%d", host, port),
			"log.dirs":            filepath.Join(home, "kafka-logs"),
			"zookeeper.connect":   zkConnect,
			"delete.topic.enable": "true",
			"host.name":           host,
		}
		for k, v := range props {
			if w, changed := want[k]; changed {
				if v != w {
					t.Errorf("node%d: %s=%s, want %s", id, k, v, w)
				}
			} else if base[k] != v {
				t.Errorf("node%d: %s=%s differs from config/server.properties (%s), which the course does not change", id, k, v, base[k])
			}
		}
		for k := range base {
			if _, ok := props[k]; !ok {
				t.Errorf("node%d: %s of config/server.properties is missing", id, k)
			}
		}
		// Test-only: stopping all three at once makes the last ones retry
		// controlled shutdown; Kafka's 5 s backoff would slow the test.
		f, err := os.OpenFile(filepath.Join(home, "config/server.properties"), os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(f, "controlled.shutdown.retry.backoff.ms=500")
		f.Close()
		pidFiles = append(pidFiles, filepath.Join(home, "logs/kafkaServer.pid"))
	}
	// Whatever happens, the brokers the scripts started are stopped by PID.
	t.Cleanup(func() {
		for _, f := range pidFiles {
			if pid, ok := brokerPID(f); ok {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})

	// "ssh" on PATH: records host and command, then runs the stand-in.
	shimDir := t.TempDir()
	trace := filepath.Join(shimDir, "trace")
	wrapper := fmt.Sprintf("#!/bin/sh\nprintf '%%s\\n' \"$*\" >>%q\nexec %q \"$@\"\n", trace, filepath.Join(repoRoot, "scripts/local-node/ssh"))
	if err := os.WriteFile(filepath.Join(shimDir, "ssh"), []byte(wrapper), 0o755); err != nil {
		t.Fatal(err)
	}
	env = append(env, "PATH="+shimDir+":"+os.Getenv("PATH"), "KAFKA_SSH=ssh", "KAFKA_HOME=.")

	// An unrelated broker on the same machine must survive stop-kafka.sh.
	bystander := NewStoppedBroker(t, zktest.Start(t), 7, nil)
	bystander.Start()

	out, errOut, code = RunCmdIn(t, t.TempDir(), env, 60*time.Second, "", filepath.Join(repoRoot, "bin/start-kafka.sh"))
	expectTool(t, "start-kafka.sh", out, errOut, code, "node1\nnode1 started\nnode2\nnode2 started\nnode3\nnode3 started\n", 0)
	for id := 1; id <= 3; id++ {
		f := pidFiles[id-1]
		waitUntil(t, 20*time.Second, fmt.Sprintf("node%d's broker to record its PID", id), func() bool { _, ok := brokerPID(f); return ok })
		if err := waitBrokerReady(fmt.Sprintf("127.0.0.%d:%d", id, port), id, func() bool { _, ok := brokerPID(f); return ok }, brokerStartTimeout); err != nil {
			t.Fatalf("node%d started by start-kafka.sh: %v\n%s", id, err, readTail(filepath.Join(nodesDir, fmt.Sprintf("node%d/logs/server.log", id))))
		}
	}
	var wantTrace strings.Builder
	for id := 1; id <= 3; id++ {
		fmt.Fprintf(&wantTrace, "node%d cd .;source /etc/profile;export JMX_PORT=9988;./bin/kafka-server-start.sh ./config/server.properties >>/dev/null 2>&1 &\n", id)
	}
	if got, _ := os.ReadFile(trace); string(got) != wantTrace.String() {
		t.Errorf("ssh was called with\n%s\nwant the course's command lines\n%s", got, wantTrace.String())
	}

	bootstrap := fmt.Sprintf("127.0.0.1:%d,127.0.0.2:%d,127.0.0.3:%d", port, port, port)
	out, errOut, code = script(t, "", "kafka-topics.sh", "--create", "--topic", "bigdata01", "--partitions", "3",
		"--replication-factor", "2", "--bootstrap-server", bootstrap)
	expectTool(t, "kafka-topics.sh --create", out, errOut, code, "Created topic bigdata01.\n", 0)
	_, parts := describeTopic(t, bootstrap, "bigdata01")
	leaders := map[int32]bool{}
	for _, p := range parts {
		leaders[p.Leader] = true
	}
	if len(parts) != 3 || len(leaders) != 3 {
		t.Errorf("bigdata01 on the scripted cluster: %+v; want 3 partitions led by 3 different brokers", parts)
	}

	os.Remove(trace)
	pids := make([]int, 3)
	for i, f := range pidFiles {
		pids[i], _ = brokerPID(f)
	}
	out, errOut, code = RunCmdIn(t, t.TempDir(), env, 60*time.Second, "", filepath.Join(repoRoot, "bin/stop-kafka.sh"))
	expectTool(t, "stop-kafka.sh", out, errOut, code, "node1\nnode1 stoped\nnode2\nnode2 stoped\nnode3\nnode3 stoped\n", 0)
	wantTrace.Reset()
	for id := 1; id <= 3; id++ {
		fmt.Fprintf(&wantTrace, "node%d cd .;source /etc/profile;./bin/kafka-server-stop.sh\n", id)
	}
	if got, _ := os.ReadFile(trace); string(got) != wantTrace.String() {
		t.Errorf("ssh was called with\n%s\nwant\n%s", got, wantTrace.String())
	}
	for i, pid := range pids {
		waitUntil(t, 45*time.Second, fmt.Sprintf("node%d (pid %d) to exit after stop-kafka.sh", i+1, pid), func() bool { return processGone(pid) })
		log := readTail(filepath.Join(nodesDir, fmt.Sprintf("node%d/logs/server.log", i+1)))
		if !strings.Contains(log, fmt.Sprintf("[KafkaServer id=%d] shut down completed", i+1)) {
			t.Errorf("node%d did not shut down cleanly:\n%s", i+1, log)
		}
	}
	if !bystander.Running() {
		t.Errorf("stop-kafka.sh stopped a broker that is not one of the nodes")
	}
	// Nothing left to stop: Kafka's message, per node.
	out, _, _ = RunCmdIn(t, t.TempDir(), env, 60*time.Second, "", filepath.Join(repoRoot, "bin/stop-kafka.sh"))
	if strings.Count(out, "No kafka server to stop") != 3 {
		t.Errorf("stop-kafka.sh with nothing running printed:\n%s", out)
	}
}

// brokerPID reads a kafkaServer.pid and reports the PID if it is a live
// broker process.
func brokerPID(file string) (int, bool) { return pidOf(file, " kafka.Kafka ") }

// zooKeeperPID is the PID in file when that process runs ZooKeeper.
func zooKeeperPID(file string) (int, bool) { return pidOf(file, "QuorumPeerMain") }

// pidOf reads a PID file and returns the PID when that process still runs
// and its command line contains what (a recycled PID does not count).
func pidOf(file, what string) (int, bool) {
	data, err := os.ReadFile(file)
	if err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || processGone(pid) {
		return 0, false
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || !strings.Contains(strings.ReplaceAll(string(cmdline), "\x00", " "), what) {
		return 0, false
	}
	return pid, true
}

func readProps(t *testing.T, path string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	props := map[string]string{}
	for _, l := range strings.Split(string(data), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if k, v, ok := strings.Cut(l, "="); ok {
			props[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return props
}

func readTail(path string) string {
	data, _ := os.ReadFile(path)
	if len(data) > 8<<10 {
		data = data[len(data)-8<<10:]
	}
	return string(data)
}

// TestClusterAcksAllLatency: an acks=all write to a fully in-sync RF 3
// partition is acknowledged as soon as both followers fetched it — on
// loopback a few milliseconds in Kafka, not replica.fetch.wait.max.ms
// (500 ms): the leader's append must wake the followers' parked fetches
// (cluster-findings C1).
func TestClusterAcksAllLatency(t *testing.T) {
	c := startNodeCluster(t, nil)
	const topic = "latency"
	adm := kadmClient(t, c.Bootstrap())
	if resp, err := adm.CreateTopic(testContext(t, 30*time.Second), 1, 3, nil, topic); err != nil || resp.Err != nil {
		t.Fatalf("create %s: %v %v", topic, err, resp.Err)
	}
	waitPartitions(t, c.Bootstrap(), topic, 1, "fully in sync", func(p kadm.PartitionDetail) bool { return len(p.ISR) == 3 })
	median := func(acks kgo.Acks) time.Duration {
		cl := NewClient(t, c.Bootstrap(), kgo.RequiredAcks(acks), kgo.DisableIdempotentWrite())
		ctx := testContext(t, 60*time.Second)
		var ds []time.Duration
		for i := 0; i < 21; i++ {
			start := time.Now()
			if err := cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Value: []byte("x")}).FirstErr(); err != nil {
				t.Fatalf("produce: %v", err)
			}
			if i > 0 { // the first one also loads metadata and connects
				ds = append(ds, time.Since(start))
			}
			time.Sleep(20 * time.Millisecond)
		}
		slices.Sort(ds)
		return ds[len(ds)/2]
	}
	one, all := median(kgo.LeaderAck()), median(kgo.AllISRAcks())
	t.Logf("median produce latency: acks=1 %v, acks=all %v", one, all)
	if all > 100*time.Millisecond {
		t.Errorf("acks=all median latency %v (acks=1: %v); followers should fetch new records at once, not after replica.fetch.wait.max.ms", all, one)
	}
}

// TestLocalClusterScript: scripts/local-cluster.sh (make cluster) brings up
// node1-node3 through start-kafka.sh, reports them, and stops them through
// stop-kafka.sh; records written through node2 are read back through node3.
func TestLocalClusterScript(t *testing.T) {
	requireZooKeeper(t)
	zkConnect := zktest.Start(t)
	port := sharedLoopbackPort(t)
	nodesDir := t.TempDir()
	env := []string{
		"KAFKA_CLUSTER_DIR=" + nodesDir,
		"KAFKA_PORT=" + strconv.Itoa(port),
		"KAFKA_ZK_CONNECT=" + zkConnect,
		"LOG_DIR=" + t.TempDir(),
	}
	var pidFiles []string
	for id := 1; id <= 3; id++ {
		pidFiles = append(pidFiles, filepath.Join(nodesDir, fmt.Sprintf("node%d/logs/kafkaServer.pid", id)))
	}
	t.Cleanup(func() {
		for _, f := range pidFiles {
			if pid, ok := brokerPID(f); ok {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})
	localCluster := func(cmd string) string {
		t.Helper()
		out, errOut, code := RunCmdIn(t, t.TempDir(), env, 120*time.Second, "", filepath.Join(repoRoot, "scripts/local-cluster.sh"), cmd)
		if code != 0 {
			t.Fatalf("local-cluster.sh %s: exit %d\n%s\n%s", cmd, code, out, errOut)
		}
		return out
	}

	out := localCluster("start")
	for id := 1; id <= 3; id++ {
		if want := fmt.Sprintf("node%d is up (PID ", id); !strings.Contains(out, want) {
			t.Errorf("start output lacks %q:\n%s", want, out)
		}
	}
	out = localCluster("status")
	for id := 1; id <= 3; id++ {
		if want := fmt.Sprintf("node%d: running (PID ", id); !strings.Contains(out, want) {
			t.Errorf("status output lacks %q:\n%s", want, out)
		}
	}
	if again := localCluster("start"); strings.Count(again, "is already running") != 3 || strings.Contains(again, "started") {
		t.Errorf("a second start should leave the running nodes alone:\n%s", again)
	}

	node := func(id int) string { return fmt.Sprintf("127.0.0.%d:%d", id, port) }
	all := node(1) + "," + node(2) + "," + node(3)
	out, errOut, code := script(t, "", "kafka-topics.sh", "--create", "--topic", "lab3", "--partitions", "1",
		"--replication-factor", "3", "--bootstrap-server", all)
	expectTool(t, "create lab3", out, errOut, code, "Created topic lab3.\n", 0)
	out, errOut, code = script(t, "one\ntwo\nthree\n", "kafka-console-producer.sh", "--bootstrap-server", node(2), "--topic", "lab3",
		"--producer-property", "acks=all")
	if code != 0 {
		t.Fatalf("console producer: exit %d\n%s\n%s", code, out, errOut)
	}
	out, errOut, code = script(t, "", "kafka-console-consumer.sh", "--bootstrap-server", node(3), "--topic", "lab3",
		"--from-beginning", "--max-messages", "3", "--timeout-ms", "20000")
	if code != 0 || out != "one\ntwo\nthree\n" {
		t.Errorf("console consumer through node3: exit %d, stdout %q\n%s", code, out, errOut)
	}

	pids := make([]int, 3)
	for i, f := range pidFiles {
		pids[i], _ = brokerPID(f)
	}
	out = localCluster("stop")
	for i, pid := range pids {
		if !processGone(pid) {
			t.Errorf("node%d (pid %d) still runs after local-cluster.sh stop returned:\n%s", i+1, pid, out)
		}
	}
	out = localCluster("status")
	for id := 1; id <= 3; id++ {
		if want := fmt.Sprintf("node%d: not running", id); !strings.Contains(out, want) {
			t.Errorf("status after stop lacks %q:\n%s", want, out)
		}
	}
}

// TestLocalClusterOwnZooKeeper: without KAFKA_ZK_CONNECT, local-cluster.sh
// runs a ZooKeeper of its own whose data lives apart from make run's
// (data/zookeeper-cluster), so the cluster never inherits topics placed on
// the single broker; it refuses a running ZooKeeper that serves another
// data dir, naming it.
func TestLocalClusterOwnZooKeeper(t *testing.T) {
	requireZooKeeper(t)
	foreign := zktest.StartServer(t)
	nodesDir, logDir := t.TempDir(), t.TempDir()
	env := []string{
		"KAFKA_CLUSTER_DIR=" + nodesDir,
		"KAFKA_NODES=node1",
		"KAFKA_PORT=" + strconv.Itoa(sharedLoopbackPort(t)),
		"KAFKA_ZK_PORT=" + strconv.Itoa(foreign.Port),
		"LOG_DIR=" + logDir,
	}
	nodePID := filepath.Join(nodesDir, "node1/logs/kafkaServer.pid")
	zkPID := filepath.Join(logDir, "zookeeper.pid")
	t.Cleanup(func() {
		if pid, ok := brokerPID(nodePID); ok {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		if pid, ok := zooKeeperPID(zkPID); ok {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	localCluster := func(cmd string) (string, string, int) {
		t.Helper()
		return RunCmdIn(t, t.TempDir(), env, 120*time.Second, "", filepath.Join(repoRoot, "scripts/local-cluster.sh"), cmd)
	}

	out, errOut, code := localCluster("start")
	if code != 1 || !strings.Contains(errOut, "keeps its data in "+filepath.Join(foreign.Dir, "data")) ||
		!strings.Contains(errOut, "Stop that ZooKeeper first (make stop)") {
		t.Fatalf("start with another set-up's ZooKeeper running: exit %d\n%s\n%s", code, out, errOut)
	}
	if _, ok := brokerPID(nodePID); ok {
		t.Fatalf("node1 was started on the refused ZooKeeper")
	}
	foreign.Stop()

	out, errOut, code = localCluster("start")
	if code != 0 || !strings.Contains(out, "node1 is up (PID ") {
		t.Fatalf("start: exit %d\n%s\n%s", code, out, errOut)
	}
	ownData := filepath.Join(nodesDir, "zookeeper-cluster")
	cfg, err := os.ReadFile(filepath.Join(nodesDir, "zookeeper-cluster.properties"))
	if err != nil || !strings.Contains(string(cfg), "\ndataDir="+ownData+"\n") ||
		!strings.Contains(string(cfg), fmt.Sprintf("\nclientPort=%d\n", foreign.Port)) {
		t.Fatalf("cluster ZooKeeper config (%v):\n%s", err, cfg)
	}
	if _, err := os.Stat(filepath.Join(ownData, "version-2")); err != nil {
		t.Errorf("the cluster's ZooKeeper keeps no data in %s: %v", ownData, err)
	}
	nodeCfg, _ := os.ReadFile(filepath.Join(nodesDir, "node1/config/server.properties"))
	if want := fmt.Sprintf("\nzookeeper.connect=localhost:%d\n", foreign.Port); !strings.Contains(string(nodeCfg), want) {
		t.Errorf("node1's server.properties lacks %q:\n%s", want, nodeCfg)
	}

	zk, _ := zooKeeperPID(zkPID)
	out, errOut, code = localCluster("stop")
	if code != 0 || !strings.Contains(out, "ZooKeeper stopped.") || zk == 0 || !processGone(zk) {
		t.Errorf("stop: exit %d, ZooKeeper pid %d\n%s\n%s", code, zk, out, errOut)
	}
}
