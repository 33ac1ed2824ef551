package integration

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gokafka/kafka/zkutil/zktest"
)

// StartClusterN starts ZooKeeper and n brokers with ids 1..n.
func StartClusterN(t testing.TB, n int, props map[string]string) *Cluster {
	t.Helper()
	requireZooKeeper(t)
	c := &Cluster{t: t, ZK: zktest.Start(t)}
	for id := 1; id <= n; id++ {
		c.Brokers = append(c.Brokers, StartBroker(t, c.ZK, id, props))
	}
	c.waitAllListed()
	return c
}

// waitAllListed waits until every broker's Metadata lists all the
// brokers. A broker is ready once it lists itself, but topics created
// before the controller's metadata has every broker would be assigned to
// fewer brokers than the test started.
func (c *Cluster) waitAllListed() {
	c.t.Helper()
	deadline := time.Now().Add(brokerStartTimeout)
	for _, b := range c.Brokers {
		for {
			err := brokerListsAll(b.Addr(), len(c.Brokers))
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				c.t.Fatalf("broker %d: %v", b.ID, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

func brokerListsAll(addr string, n int) error {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	m, err := brokersMetadata(conn, 1)
	if err != nil {
		return err
	}
	if got := len(m.Brokers); got != n {
		return fmt.Errorf("Metadata lists %d of %d brokers", got, n)
	}
	return nil
}

// bootstrapOf lists the addresses of the running brokers.
func bootstrapOf(bs ...*Broker) string {
	s := ""
	for _, b := range bs {
		if !b.Running() {
			continue
		}
		if s != "" {
			s += ","
		}
		s += b.Addr()
	}
	return s
}

// waitPartitions polls Metadata (through the given brokers) until check
// accepts every partition of topic; it returns the last metadata seen.
func waitPartitions(t *testing.T, bootstrap, topic string, partitions int, what string, check func(kadm.PartitionDetail) bool) kadm.TopicDetail {
	t.Helper()
	adm := kadmClient(t, bootstrap)
	deadline := time.Now().Add(60 * time.Second)
	replicaNotAvailableSeen := false
	var last kadm.TopicDetail
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		md, err := adm.Metadata(ctx, topic)
		cancel()
		if err == nil {
			last = md.Topics[topic]
			ok := last.Err == nil && len(last.Partitions) == partitions
			for _, p := range last.Partitions {
				// Kafka reports no partition error for an offline
				// follower (v1+); see integration-findings F3.
				if errors.Is(p.Err, kerr.ReplicaNotAvailable) {
					if !replicaNotAvailableSeen {
						replicaNotAvailableSeen = true
						t.Errorf("Metadata reports REPLICA_NOT_AVAILABLE for partition %d with a live leader (Kafka 2.8: NONE for v1+)", p.Partition)
					}
					p.Err = nil
				}
				ok = ok && p.Err == nil && check(p)
			}
			if ok {
				return last
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("%s: partitions of %s not %s after 60s: %s", t.Name(), topic, what, spew(last.Partitions))
	return last
}

// TestThreeBrokers: a replicated topic on three brokers survives the
// leader's crash (a new leader from the ISR, no acked record lost), the
// crashed broker catches up and rejoins the ISR, and after the other two
// stop it serves every acked record alone.
func TestThreeBrokers(t *testing.T) {
	const session = 6 * time.Second
	c := StartClusterN(t, 3, map[string]string{
		"zookeeper.session.timeout.ms":         fmt.Sprint(session.Milliseconds()),
		"replica.lag.time.max.ms":              "10000",
		"controlled.shutdown.retry.backoff.ms": "500",
	})
	all := c.Bootstrap()

	out, errOut, code := Kafka(t, "topics", "--bootstrap-server", all, "--create", "--topic", "wide",
		"--partitions", "1", "--replication-factor", "5")
	expectTool(t, "create rf 5 on 3 brokers", out, errOut, code,
		"Error while executing topic command : Replication factor: 5 larger than available brokers: 3.\n", 1)

	const topic, partitions = "replicated", 3
	adm := kadmClient(t, all)
	if resp, err := adm.CreateTopic(testContext(t, 30*time.Second), partitions, 3, nil, topic); err != nil || resp.Err != nil {
		t.Fatalf("create %s: %v %v", topic, err, resp.Err)
	}
	md := waitPartitions(t, all, topic, partitions, "fully replicated", func(p kadm.PartitionDetail) bool {
		return p.Leader >= 0 && len(p.Replicas) == 3 && len(p.ISR) == 3
	})
	// Rack-unaware assignment: leaders spread over the three brokers.
	leaders := map[int32]bool{}
	for _, p := range md.Partitions {
		leaders[p.Leader] = true
	}
	if len(leaders) != 3 {
		t.Errorf("3 partitions on 3 brokers should have 3 different leaders: %s", spew(md.Partitions))
	}

	produce := func(bootstrap string, from, to int) []acked {
		t.Helper()
		cl := NewClient(t, bootstrap, kgo.RequiredAcks(kgo.AllISRAcks()), kgo.ProducerLinger(5*time.Millisecond))
		defer cl.Close()
		var l ackLog
		ctx := testContext(t, 60*time.Second)
		for i := from; i < to; i++ {
			cl.Produce(ctx, &kgo.Record{Topic: topic, Key: []byte(fmt.Sprint(i)), Value: []byte(fmt.Sprintf("rep-%06d", i))}, l.promise())
		}
		l.wait(t, 90*time.Second)
		if l.failed > 0 {
			t.Fatalf("%d of %d acks=all records failed: %v", l.failed, to-from, l.errs)
		}
		return l.snapshot()
	}
	// A consumer that lives through the failover (it has to follow the
	// leader change, validating its position with OffsetForLeaderEpoch).
	tail := newTailer(t, all, topic)
	acks := produce(all, 0, 3000)

	// Followers copy the leader's batches byte for byte.
	for p := 0; p < partitions; p++ {
		waitSameSegments(t, c.Brokers, fmt.Sprintf("%s-%d", topic, p))
	}

	// Crash the leader of partition 0.
	var victim *Broker
	for _, b := range c.Brokers {
		if int32(b.ID) == md.Partitions[0].Leader {
			victim = b
		}
	}
	victim.Kill9()
	survivors := bootstrapOf(c.Brokers...)
	waitPartitions(t, survivors, topic, partitions, "led by a live broker", func(p kadm.PartitionDetail) bool {
		return p.Leader >= 0 && p.Leader != int32(victim.ID)
	})
	acks = append(acks, produce(survivors, 3000, 4000)...)
	checkAcked(t, survivors, topic, acks)
	tail.waitFor(t, acks, 60*time.Second)

	// The crashed broker comes back, catches up and rejoins every ISR.
	victim.AfterCrashStart(session)
	waitPartitions(t, all, topic, partitions, "back to a full ISR", func(p kadm.PartitionDetail) bool {
		return len(p.ISR) == 3
	})

	// Stop the other two: the rejoined broker alone has everything.
	for _, b := range c.Brokers {
		if b != victim {
			b.Stop()
		}
	}
	waitPartitions(t, victim.Addr(), topic, partitions, "led by the last broker", func(p kadm.PartitionDetail) bool {
		return p.Leader == int32(victim.ID)
	})
	got := checkAcked(t, victim.Addr(), topic, acks)
	total := 0
	for _, rs := range got {
		total += len(rs)
	}
	if total != len(acks) {
		ids := make([]int, 0)
		for p := range got {
			ids = append(ids, int(p))
		}
		sort.Ints(ids)
		t.Errorf("last broker holds %d records, %d were acked (partitions %v)", total, len(acks), ids)
	}
}

// waitSameSegments waits until every broker's first segment of the
// partition directory holds the same bytes (and at least one batch).
func waitSameSegments(t *testing.T, brokers []*Broker, partDir string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var sizes []int
	for time.Now().Before(deadline) {
		var first []byte
		same := true
		sizes = sizes[:0]
		for i, b := range brokers {
			data, err := os.ReadFile(filepath.Join(b.LogDir, partDir, fmt.Sprintf("%020d.log", 0)))
			if err != nil {
				same = false
				sizes = append(sizes, -1)
				continue
			}
			sizes = append(sizes, len(data))
			if i == 0 {
				first = data
			} else if !bytes.Equal(first, data) {
				same = false
			}
		}
		if same && len(first) > 0 {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Errorf("%s: replicas' segments differ after 30s (sizes %v)", partDir, sizes)
}

// tailer consumes a topic in the background from the start and remembers
// every record by partition and offset, flagging offsets that go backwards.
type tailer struct {
	mu     sync.Mutex
	seen   map[[2]int64]string
	last   map[int32]int64
	errs   []string
	cancel context.CancelFunc
	done   chan struct{}
}

func newTailer(t *testing.T, bootstrap, topic string) *tailer {
	t.Helper()
	cl := NewClient(t, bootstrap, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxWait(200*time.Millisecond))
	ctx, cancel := context.WithCancel(context.Background())
	tl := &tailer{seen: map[[2]int64]string{}, last: map[int32]int64{}, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(tl.done)
		for ctx.Err() == nil {
			fs := cl.PollFetches(ctx)
			tl.mu.Lock()
			fs.EachRecord(func(r *kgo.Record) {
				if l, ok := tl.last[r.Partition]; ok && r.Offset <= l {
					tl.errs = append(tl.errs, fmt.Sprintf("partition %d: offset %d after %d", r.Partition, r.Offset, l))
				}
				tl.last[r.Partition] = r.Offset
				tl.seen[[2]int64{int64(r.Partition), r.Offset}] = string(r.Value)
			})
			tl.mu.Unlock()
		}
	}()
	t.Cleanup(func() { cancel(); <-tl.done })
	return tl
}

// waitFor waits until the tailer has seen every acked record (at its
// offset, with its value), then stops it and reports what went wrong.
func (tl *tailer) waitFor(t *testing.T, acks []acked, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	missing := 0
	for {
		tl.mu.Lock()
		missing = 0
		for _, a := range acks {
			if tl.seen[[2]int64{int64(a.partition), a.offset}] != a.value {
				missing++
			}
		}
		tl.mu.Unlock()
		if missing == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	tl.cancel()
	<-tl.done
	tl.mu.Lock()
	defer tl.mu.Unlock()
	if missing > 0 {
		t.Errorf("the tailing consumer never saw %d of %d acked records (within %v)", missing, len(acks), timeout)
	}
	for _, e := range tl.errs[:min(len(tl.errs), 10)] {
		t.Errorf("tailing consumer: %s", e)
	}
}

// TestDivergentLogTruncation crashes a leader whose last acks=1 records
// were never copied (its followers were frozen).
// A follower takes over and gets new records; when the old leader comes
// back it must cut its log back to where it diverged (leader epochs) and
// copy the new leader's: in the end all three logs are byte-identical.
func TestDivergentLogTruncation(t *testing.T) {
	const session = 6 * time.Second
	c := StartClusterN(t, 3, map[string]string{"zookeeper.session.timeout.ms": fmt.Sprint(session.Milliseconds())})
	all := c.Bootstrap()
	const topic = "diverge"
	adm := kadmClient(t, all)
	if resp, err := adm.CreateTopic(testContext(t, 30*time.Second), 1, 3, nil, topic); err != nil || resp.Err != nil {
		t.Fatalf("create %s: %v %v", topic, err, resp.Err)
	}
	md := waitPartitions(t, all, topic, 1, "fully replicated", func(p kadm.PartitionDetail) bool {
		return p.Leader >= 0 && len(p.ISR) == 3
	})
	var leader *Broker
	for _, b := range c.Brokers {
		if int32(b.ID) == md.Partitions[0].Leader {
			leader = b
		}
	}

	cl := NewClient(t, leader.Addr(), kgo.RequiredAcks(kgo.LeaderAck()), kgo.DisableIdempotentWrite(),
		kgo.RecordDeliveryTimeout(5*time.Second))
	produceSync(t, cl, []*kgo.Record{{Topic: topic, Value: []byte("replicated")}})
	waitSameSegments(t, c.Brokers, topic+"-0")
	// Freeze the followers (still in the ISR), so that what the leader
	// acks now exists only on the leader; then crash the leader and let
	// the followers go on.
	for _, b := range c.Brokers {
		if b != leader {
			b.Freeze()
		}
	}
	// Let the followers' parked fetches expire (replica.fetch.wait.max.ms
	// is 500 ms), or the leader would answer them with the new records and
	// the kernel would hold those for the frozen followers.
	time.Sleep(1200 * time.Millisecond)
	var tailRecs []*kgo.Record
	for i := 0; i < 200; i++ {
		tailRecs = append(tailRecs, &kgo.Record{Topic: topic, Value: []byte(fmt.Sprintf("leader-only-%03d", i))})
	}
	produceSync(t, cl, tailRecs)
	cl.Close()
	leader.Kill9()
	for _, b := range c.Brokers {
		b.Thaw()
	}

	survivors := bootstrapOf(c.Brokers...)
	after := waitPartitions(t, survivors, topic, 1, "led by a survivor with the dead broker out of the ISR", func(p kadm.PartitionDetail) bool {
		return p.Leader >= 0 && p.Leader != int32(leader.ID) && len(p.ISR) == 2
	})
	// kafka-topics' health reports see the dead replica.
	p0 := after.Partitions[0]
	line := fmt.Sprintf("\tTopic: %s\tPartition: 0\tLeader: %d\tReplicas: %s\tIsr: %s\n", topic, p0.Leader, joinIDs(p0.Replicas), joinIDs(p0.ISR))
	out, errOut, code := Kafka(t, "topics", "--bootstrap-server", survivors, "--describe", "--under-replicated-partitions")
	expectTool(t, "--under-replicated-partitions with a broker down", out, errOut, code, line, 0)
	out, errOut, code = Kafka(t, "topics", "--bootstrap-server", survivors, "--describe", "--unavailable-partitions")
	expectTool(t, "--unavailable-partitions with a live leader", out, errOut, code, "", 0)
	// How far the dead leader ran ahead.
	seg := func(b *Broker) int64 {
		st, err := os.Stat(filepath.Join(b.LogDir, topic+"-0", fmt.Sprintf("%020d.log", 0)))
		if err != nil {
			return -1
		}
		return st.Size()
	}
	for _, b := range c.Brokers {
		t.Logf("broker %d (leader before the crash: %v): %d bytes", b.ID, b == leader, seg(b))
		if b != leader && seg(b) >= seg(leader) {
			t.Errorf("the followers hold everything the crashed leader had; no divergence to repair")
		}
	}
	pc := NewClient(t, survivors, kgo.RequiredAcks(kgo.AllISRAcks()))
	var recs []*kgo.Record
	for i := 0; i < 500; i++ {
		recs = append(recs, &kgo.Record{Topic: topic, Value: []byte(fmt.Sprintf("after-%03d", i))})
	}
	produceSync(t, pc, recs)

	leader.AfterCrashStart(session)
	waitPartitions(t, all, topic, 1, "back to a full ISR", func(p kadm.PartitionDetail) bool {
		return len(p.ISR) == 3
	})
	waitSameSegments(t, c.Brokers, topic+"-0")
	out, errOut, code = Kafka(t, "topics", "--bootstrap-server", all, "--describe", "--under-replicated-partitions")
	expectTool(t, "--under-replicated-partitions after the rejoin", out, errOut, code, "", 0)
}

func joinIDs(ids []int32) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = fmt.Sprint(id)
	}
	return strings.Join(s, ",")
}

// createReplicatedTopic creates topic through cl with CreateTopics (30 s
// timeout), failing the test on any error.
func createReplicatedTopic(t *testing.T, cl *kgo.Client, topic string, partitions int32, rf int16) {
	t.Helper()
	req := kmsg.NewPtrCreateTopicsRequest()
	rt := kmsg.NewCreateTopicsRequestTopic()
	rt.Topic, rt.NumPartitions, rt.ReplicationFactor = topic, partitions, rf
	req.Topics, req.TimeoutMillis = append(req.Topics, rt), 30000
	if resp, err := req.RequestWith(testContext(t, 40*time.Second), cl); err != nil || resp.Topics[0].ErrorCode != 0 {
		t.Fatalf("CreateTopics %s: %+v %v", topic, resp, err)
	}
}

// waitISR polls Metadata until every partition of topic has n in-sync
// replicas.
func waitISR(t *testing.T, cl *kgo.Client, topic string, n int, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		req := kmsg.NewPtrMetadataRequest()
		rt := kmsg.NewMetadataRequestTopic()
		rt.Topic = kmsg.StringPtr(topic)
		req.Topics = append(req.Topics, rt)
		m, err := req.RequestWith(testContext(t, 10*time.Second), cl)
		ok := err == nil && len(m.Topics) == 1 && len(m.Topics[0].Partitions) > 0
		if ok {
			for _, pt := range m.Topics[0].Partitions {
				ok = ok && len(pt.ISR) == n
			}
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not all partitions have %d in-sync replicas: %+v %v", topic, n, m, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
