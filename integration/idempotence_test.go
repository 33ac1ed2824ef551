package integration

import (
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// TestIdempotentProducerAcrossLeaderKill keeps an idempotent producer
// (franz-go's default, acks=all) writing to a 3-broker cluster with
// replication factor 3 and min.insync.replicas=2 while the leader of a
// partition is killed with SIGKILL. The followers built the producer
// state from the replicated batches, so the producer's retries after the
// failover are answered as duplicates or continue its sequences: every
// acked record is in the log exactly once, at its acked offset.
func TestIdempotentProducerAcrossLeaderKill(t *testing.T) {
	const session = 6 * time.Second
	c := StartClusterN(t, 3, map[string]string{
		"zookeeper.session.timeout.ms": fmt.Sprint(session.Milliseconds()),
		"replica.lag.time.max.ms":      "10000",
	})
	const topic, partitions, total = "idem-failover", 2, 20000
	adm := kadmClient(t, c.Bootstrap())
	minISR := "2"
	resp, err := adm.CreateTopic(testContext(t, 30*time.Second), partitions, 3, map[string]*string{"min.insync.replicas": &minISR}, topic)
	if err != nil || resp.Err != nil {
		t.Fatalf("create: %v %v", err, resp.Err)
	}
	md := waitPartitions(t, c.Bootstrap(), topic, partitions, "fully replicated", func(p kadm.PartitionDetail) bool {
		return p.Leader >= 0 && len(p.ISR) == 3
	})
	victim := md.Partitions[0].Leader

	cl := NewClient(t, c.Bootstrap(), kgo.RequiredAcks(kgo.AllISRAcks()), kgo.ProducerLinger(2*time.Millisecond),
		kgo.RetryTimeout(90*time.Second), kgo.MaxBufferedRecords(2000))
	var l ackLog
	ctx := testContext(t, 3*time.Minute)
	produced := make(chan struct{})
	var sentMu sync.Mutex
	sent := 0
	go func() {
		defer close(produced)
		for i := 0; i < total && ctx.Err() == nil; i++ {
			cl.Produce(ctx, &kgo.Record{Topic: topic, Key: []byte(fmt.Sprint(i % 17)), Value: []byte(fmt.Sprintf("idem-%06d", i))}, l.promise())
			sentMu.Lock()
			sent = i + 1
			sentMu.Unlock()
			if i%500 == 0 {
				time.Sleep(30 * time.Millisecond) // keep producing across the failover
			}
		}
	}()
	deadline := time.Now().Add(60 * time.Second)
	for len(l.snapshot()) < 5000 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	c.Brokers[victim-1].Kill9()
	ackedAtKill := len(l.snapshot())
	<-produced
	l.wait(t, 2*time.Minute)
	sentMu.Lock()
	n := sent
	sentMu.Unlock()
	acks := l.snapshot()
	t.Logf("killed broker %d (leader of partition 0) after %d acks; sent %d, acked %d, failed %d", victim, ackedAtKill, n, len(acks), l.failed)
	if n != total || l.failed > 0 {
		t.Errorf("sent %d of %d, %d failed: %v", n, total, l.failed, l.errs)
	}
	live := bootstrapOf(c.Brokers...)
	got := checkAcked(t, live, topic, acks)
	seen := map[string]int{}
	for _, rs := range got {
		for _, r := range rs {
			seen[string(r.Value)]++
		}
	}
	dups := 0
	for v, k := range seen {
		if k > 1 {
			dups++
			if dups <= 5 {
				t.Errorf("%s is in the log %d times", v, k)
			}
		}
	}
	if dups > 0 || len(seen) != len(acks) {
		t.Errorf("%d duplicated values; %d distinct values in the log, %d acked", dups, len(seen), len(acks))
	}
	// The new leader knows the producer (DescribeProducers).
	md = waitPartitions(t, live, topic, partitions, "led", func(p kadm.PartitionDetail) bool { return p.Leader >= 0 && p.Leader != victim })
	leader := c.Brokers[md.Partitions[0].Leader-1]
	conn := dial(t, leader.Addr())
	req := kmsg.NewPtrDescribeProducersRequest()
	rt := kmsg.NewDescribeProducersRequestTopic()
	rt.Topic, rt.Partitions = topic, []int32{0}
	req.Topics = append(req.Topics, rt)
	dresp, err := RoundTrip(conn, req, 1, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	dp := dresp.(*kmsg.DescribeProducersResponse).Topics[0].Partitions[0]
	if dp.ErrorCode != 0 || len(dp.ActiveProducers) != 1 || dp.ActiveProducers[0].LastSequence < 0 {
		t.Errorf("DescribeProducers on the new leader: %+v", dp)
	}
}

// TestIdempotentProducerErrors: a zombie epoch gets INVALID_PRODUCER_EPOCH
// and a sequence gap OUT_OF_ORDER_SEQUENCE_NUMBER through the produce
// path, a retry gets the first copy's offset, and a follower that took
// over has the same state.
func TestIdempotentProducerErrors(t *testing.T) {
	c := StartClusterN(t, 2, nil)
	const topic = "idem-errors"
	adm := kadmClient(t, c.Bootstrap())
	resp, err := adm.CreateTopic(testContext(t, 30*time.Second), 1, 2, nil, topic)
	if err != nil || resp.Err != nil {
		t.Fatalf("create: %v %v", err, resp.Err)
	}
	md := waitPartitions(t, c.Bootstrap(), topic, 1, "fully replicated", func(p kadm.PartitionDetail) bool {
		return p.Leader >= 0 && len(p.ISR) == 2
	})
	leader := c.Brokers[md.Partitions[0].Leader-1]
	conn := dial(t, leader.Addr())
	const pid = int64(900)
	produce := func(conn net.Conn, epoch int16, seq int32, vals ...string) (int16, int64) {
		return produceIdem(t, conn, topic, rawBatch(pid, epoch, seq, false, vals...))
	}
	if code, off := produce(conn, 2, 0, "a", "b"); code != 0 || off != 0 {
		t.Fatalf("first batch: %v at %d", kerr.ErrorForCode(code), off)
	}
	if code, off := produce(conn, 2, 2, "c"); code != 0 || off != 2 {
		t.Fatalf("second batch: %v at %d", kerr.ErrorForCode(code), off)
	}
	if code, off := produce(conn, 2, 0, "a", "b"); code != 0 || off != 0 {
		t.Errorf("retry of the first batch: %v at %d, want its first offset 0", kerr.ErrorForCode(code), off)
	}
	if code, _ := produce(conn, 2, 9, "gap"); code != kerr.OutOfOrderSequenceNumber.Code {
		t.Errorf("gap: %v", kerr.ErrorForCode(code))
	}
	if code, _ := produce(conn, 1, 3, "zombie"); code != kerr.InvalidProducerEpoch.Code {
		t.Errorf("old epoch: %v", kerr.ErrorForCode(code))
	}
	if code, _ := produce(conn, 3, 4, "new epoch not at 0"); code != kerr.OutOfOrderSequenceNumber.Code {
		t.Errorf("new epoch at sequence 4: %v", kerr.ErrorForCode(code))
	}
	// Move leadership to the follower: it replicated the producer state.
	leader.Stop()
	md = waitPartitions(t, bootstrapOf(c.Brokers...), topic, 1, "moved", func(p kadm.PartitionDetail) bool {
		return p.Leader >= 0 && p.Leader != int32(leader.ID)
	})
	conn2 := dial(t, c.Brokers[md.Partitions[0].Leader-1].Addr())
	if code, off := produce(conn2, 2, 2, "c"); code != 0 || off != 2 {
		t.Errorf("retry on the new leader: %v at %d, want offset 2", kerr.ErrorForCode(code), off)
	}
	if code, _ := produce(conn2, 1, 3, "zombie"); code != kerr.InvalidProducerEpoch.Code {
		t.Errorf("old epoch on the new leader: %v", kerr.ErrorForCode(code))
	}
	if code, off := produce(conn2, 2, 3, "d"); code != 0 || off != 3 {
		t.Errorf("next sequence on the new leader: %v at %d", kerr.ErrorForCode(code), off)
	}
}

// produceIdem sends one batch with acks=all, without a transactional id.
func produceIdem(t *testing.T, conn net.Conn, topic string, batch []byte) (int16, int64) {
	t.Helper()
	req := kmsg.NewPtrProduceRequest()
	req.Version = 8
	req.Acks = -1
	req.TimeoutMillis = 30000
	rt := kmsg.NewProduceRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewProduceRequestTopicPartition()
	rp.Records = batch
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	resp := roundTrip(t, conn, req).(*kmsg.ProduceResponse)
	p := resp.Topics[0].Partitions[0]
	if p.ErrorCode != 0 && p.ErrorMessage != nil {
		t.Logf("produce: %s", *p.ErrorMessage)
	}
	return p.ErrorCode, p.BaseOffset
}
