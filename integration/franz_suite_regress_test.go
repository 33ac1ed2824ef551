package integration

import (
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Regressions found by running franz-go's own kgo integration suite
// (v1.22.2) against this broker.

// TestProduceAcksAllOneDeadlineForAllPartitions: Kafka's
// ReplicaManager.appendRecords appends every partition of a produce request
// and then parks one DelayedProduce for all of them, so an acks=all request
// costs one replication round and times out after timeout_ms in total. The
// broker used to append and wait partition by partition (a multi-partition
// acks=all produce on RF=3 took one ISR round per partition, which made
// franz-go's TestGroupETL ~20x slower than on one broker, and a request
// whose ISR stalled took timeout_ms once per partition).
func TestProduceAcksAllOneDeadlineForAllPartitions(t *testing.T) {
	c := StartClusterN(t, 2, nil)
	bootstrap := c.Bootstrap()
	const topic, partitions = "acks-all-deadline", 4

	cl := NewClient(t, bootstrap)
	create := kmsg.NewPtrCreateTopicsRequest()
	ct := kmsg.NewCreateTopicsRequestTopic()
	ct.Topic, ct.NumPartitions, ct.ReplicationFactor = topic, -1, -1
	for p := int32(0); p < partitions; p++ {
		a := kmsg.NewCreateTopicsRequestTopicReplicaAssignment()
		a.Partition, a.Replicas = p, []int32{1, 2}
		ct.ReplicaAssignment = append(ct.ReplicaAssignment, a)
	}
	create.Topics = append(create.Topics, ct)
	create.TimeoutMillis = 30000
	cresp, err := create.RequestWith(testContext(t, 40*time.Second), cl)
	if err != nil || cresp.Topics[0].ErrorCode != 0 {
		t.Fatalf("CreateTopics: %v %+v", err, cresp)
	}
	waitPartitions(t, bootstrap, topic, partitions, "leader 1 with ISR [1 2]", func(p kadm.PartitionDetail) bool {
		return p.Leader == 1 && len(p.ISR) == 2
	})

	conn := dial(t, c.Brokers[0].Addr())
	produce := func(corr int32, timeout time.Duration) (*kmsg.ProduceResponse, time.Duration) {
		t.Helper()
		req := kmsg.NewPtrProduceRequest()
		req.Version = 7
		req.Acks = -1
		req.TimeoutMillis = int32(timeout / time.Millisecond)
		rt := kmsg.NewProduceRequestTopic()
		rt.Topic = topic
		for p := int32(0); p < partitions; p++ {
			rp := kmsg.NewProduceRequestTopicPartition()
			rp.Partition, rp.Records = p, oneBatch(t, "v")
			rt.Partitions = append(rt.Partitions, rp)
		}
		req.Topics = append(req.Topics, rt)
		start := time.Now()
		resp, err := RoundTrip(conn, req, corr, 60*time.Second)
		if err != nil {
			t.Fatalf("Produce: %v", err)
		}
		return resp.(*kmsg.ProduceResponse), time.Since(start)
	}

	// Both replicas in sync: every partition is acknowledged.
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, _ := produce(1, 10*time.Second)
		ok := true
		for _, p := range resp.Topics[0].Partitions {
			ok = ok && p.ErrorCode == 0
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("acks=all produce with the ISR in sync: %+v", resp.Topics[0].Partitions)
		}
		time.Sleep(200 * time.Millisecond)
	}

	// The follower stops fetching but stays in the ISR (replica.lag.time.max.ms
	// is 30 s): the request times out once, after timeout_ms, with
	// REQUEST_TIMED_OUT for every partition.
	c.Brokers[1].Freeze()
	t.Cleanup(c.Brokers[1].Thaw)
	const timeout = 1500 * time.Millisecond
	resp, took := produce(2, timeout)
	c.Brokers[1].Thaw()
	for _, p := range resp.Topics[0].Partitions {
		if p.ErrorCode != kerr.RequestTimedOut.Code {
			t.Errorf("partition %d: error %d, want REQUEST_TIMED_OUT", p.Partition, p.ErrorCode)
		}
	}
	if took < timeout-100*time.Millisecond || took > 2*timeout {
		t.Errorf("acks=all produce to %d partitions with a stalled ISR answered after %v; Kafka answers after timeout_ms (%v) once for the whole request",
			partitions, took, timeout)
	}
}
