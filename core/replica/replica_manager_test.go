package replica

import (
	"errors"
	"os"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gokafka/kafka/core/cluster"
	klog "github.com/gokafka/kafka/core/log"
	"github.com/gokafka/kafka/core/record"
)

func newTestManager(tb testing.TB) *ReplicaManager {
	tb.Helper()
	logs, err := klog.NewLogManager(klog.ManagerConfig{Dirs: []string{tb.TempDir()}, Default: klog.DefaultConfig()},
		func(string) klog.Config { return klog.DefaultConfig() })
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { logs.Shutdown() })
	return NewReplicaManager(1, logs, func(string) (klog.Config, int, error) { return klog.DefaultConfig(), 1, nil })
}

// leaderAndIsr builds the controller's request making broker `leader`
// lead topic-0 with the given ISR.
func leaderAndIsr(controllerEpoch, leader, leaderEpoch int32, isr []int32) *kmsg.LeaderAndISRRequest {
	req := kmsg.NewPtrLeaderAndISRRequest()
	req.SetVersion(4)
	req.ControllerID = 1
	req.ControllerEpoch = controllerEpoch
	ts := kmsg.NewLeaderAndISRRequestTopicState()
	ts.Topic = "topic"
	ps := kmsg.NewLeaderAndISRRequestTopicPartition()
	ps.Partition, ps.ControllerEpoch, ps.Leader, ps.LeaderEpoch, ps.ISR, ps.Replicas = 0, controllerEpoch, leader, leaderEpoch, isr, isr
	ts.PartitionStates = append(ts.PartitionStates, ps)
	req.TopicStates = append(req.TopicStates, ts)
	return req
}

func records(tb testing.TB, n, size int) []byte {
	tb.Helper()
	recs := make([]record.Record, n)
	val := make([]byte, size)
	for i := range recs {
		recs[i] = record.Record{OffsetDelta: int32(i), Value: val}
	}
	b, err := record.BuildBatch(recs, record.CodecNone, time.Now().UnixMilli())
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

var tp = TopicPartition{"topic", 0}

func TestLeaderAndIsrThenProduceAndFetch(t *testing.T) {
	rm := newTestManager(t)
	resp := rm.BecomeLeaderOrFollower(leaderAndIsr(1, 1, 0, []int32{1}))
	if resp.ErrorCode != 0 || resp.Partitions[0].ErrorCode != 0 {
		t.Fatalf("LeaderAndIsr failed: %+v", resp)
	}
	res := rm.AppendRecords(tp, records(t, 10, 10), -1, time.Second)
	if res.Err != nil || res.Result.FirstOffset != 0 || res.Result.LastOffset != 9 {
		t.Fatalf("append: %+v", res)
	}
	out := rm.FetchMessages(FetchParams{ReplicaID: -1, MinBytes: 1, MaxBytes: 1 << 20},
		[]FetchPartition{{TopicPartition: tp, FetchOffset: 0, MaxBytes: 1 << 20, CurrentLeaderEpoch: -1}}, nil)
	if out[0].Err != nil || out[0].HighWatermark != 10 || len(out[0].Records) == 0 {
		t.Fatalf("fetch: %+v", out[0])
	}
}

func TestStaleControllerEpochIsRejected(t *testing.T) {
	rm := newTestManager(t)
	rm.BecomeLeaderOrFollower(leaderAndIsr(5, 1, 0, []int32{1}))
	if resp := rm.BecomeLeaderOrFollower(leaderAndIsr(4, 2, 1, []int32{2})); resp.ErrorCode != kerr.StaleControllerEpoch.Code {
		t.Fatalf("got %d", resp.ErrorCode)
	}
	if !rm.Partition("topic", 0).IsLeader() {
		t.Fatal("a stale controller changed the role")
	}
}

func TestFetchLongPollWakesOnAppend(t *testing.T) {
	rm := newTestManager(t)
	rm.BecomeLeaderOrFollower(leaderAndIsr(1, 1, 0, []int32{1}))
	go func() {
		time.Sleep(100 * time.Millisecond)
		rm.AppendRecords(tp, records(t, 1, 10), 1, time.Second)
	}()
	start := time.Now()
	out := rm.FetchMessages(FetchParams{ReplicaID: -1, MaxWait: 10 * time.Second, MinBytes: 1, MaxBytes: 1 << 20},
		[]FetchPartition{{TopicPartition: tp, FetchOffset: 0, MaxBytes: 1 << 20, CurrentLeaderEpoch: -1}}, nil)
	if len(out[0].Records) == 0 {
		t.Fatal("woke without data")
	}
	if time.Since(start) > 5*time.Second {
		t.Fatal("the fetch waited for its timeout instead of the append")
	}
}

func TestFetchWaitEndsAtMaxWait(t *testing.T) {
	rm := newTestManager(t)
	rm.BecomeLeaderOrFollower(leaderAndIsr(1, 1, 0, []int32{1}))
	out := rm.FetchMessages(FetchParams{ReplicaID: -1, MaxWait: 50 * time.Millisecond, MinBytes: 1, MaxBytes: 1 << 20},
		[]FetchPartition{{TopicPartition: tp, FetchOffset: 0, MaxBytes: 1 << 20, CurrentLeaderEpoch: -1}}, nil)
	if out[0].Err != nil || len(out[0].Records) != 0 {
		t.Fatalf("got %+v", out[0])
	}
}

func TestFollowerRefusesProduceAndUnknownPartition(t *testing.T) {
	rm := newTestManager(t)
	rm.BecomeLeaderOrFollower(leaderAndIsr(1, 2, 0, []int32{2, 1}))
	if res := rm.AppendRecords(tp, records(t, 1, 1), 1, time.Second); !errors.Is(res.Err, cluster.ErrNotLeader) {
		t.Fatalf("got %v", res.Err)
	}
	if res := rm.AppendRecords(TopicPartition{"other", 0}, records(t, 1, 1), 1, time.Second); !errors.Is(res.Err, ErrUnknownPartition) {
		t.Fatalf("got %v", res.Err)
	}
}

func TestStopReplicaDeletesLog(t *testing.T) {
	rm := newTestManager(t)
	rm.BecomeLeaderOrFollower(leaderAndIsr(1, 1, 0, []int32{1}))
	req := kmsg.NewPtrStopReplicaRequest()
	req.SetVersion(3)
	req.ControllerEpoch = 1
	st := kmsg.NewStopReplicaRequestTopic()
	st.Topic = "topic"
	ps := kmsg.NewStopReplicaRequestTopicPartitionState()
	ps.Partition, ps.LeaderEpoch, ps.Delete = 0, -2, true
	st.PartitionStates = append(st.PartitionStates, ps)
	req.Topics = append(req.Topics, st)
	if resp := rm.StopReplicas(req); resp.ErrorCode != 0 || resp.Partitions[0].ErrorCode != 0 {
		t.Fatalf("%+v", resp)
	}
	if rm.Partition("topic", 0) != nil || rm.logs.GetLog("topic", 0) != nil {
		t.Fatal("partition still hosted")
	}
}

// BenchmarkAppendRecords measures the produce path below the API layer:
// 16 KiB batches of 100-byte records, acks=1.
func BenchmarkAppendRecords(b *testing.B) {
	rm := newTestManager(b)
	rm.BecomeLeaderOrFollower(leaderAndIsr(1, 1, 0, []int32{1}))
	batch := records(b, 150, 100)
	buf := make([]byte, len(batch))
	b.SetBytes(int64(len(batch)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		copy(buf, batch) // the log rewrites the header in place
		if res := rm.AppendRecords(tp, buf, 1, time.Second); res.Err != nil {
			b.Fatal(res.Err)
		}
	}
}

// BenchmarkFetchMessages measures consumer reads of 1 MiB from the log.
func BenchmarkFetchMessages(b *testing.B) {
	rm := newTestManager(b)
	rm.BecomeLeaderOrFollower(leaderAndIsr(1, 1, 0, []int32{1}))
	batch := records(b, 150, 100)
	for i := 0; i < 2000; i++ {
		buf := append([]byte(nil), batch...)
		rm.AppendRecords(tp, buf, 1, time.Second)
	}
	parts := []FetchPartition{{TopicPartition: tp, FetchOffset: 0, MaxBytes: 1 << 20, CurrentLeaderEpoch: -1}}
	b.ReportAllocs()
	b.ResetTimer()
	var n int
	for i := 0; i < b.N; i++ {
		parts[0].FetchOffset = int64(i%1000) * 150
		out := rm.FetchMessages(FetchParams{ReplicaID: -1, MinBytes: 1, MaxBytes: 1 << 20}, parts, nil)
		n = len(out[0].Records)
	}
	b.SetBytes(int64(n))
}

func TestMain(m *testing.M) {
	logrus.SetLevel(logrus.WarnLevel) // keep test output to what matters
	os.Exit(m.Run())
}

func TestNotEnoughReplicasAfterAppend(t *testing.T) {
	rm := newTestManager(t)
	rm.BecomeLeaderOrFollower(leaderAndIsr(1, 1, 0, []int32{1}))
	p := rm.Partition("topic", 0)
	p.SetMinInsyncReplicas(1)
	if res := rm.AppendRecords(tp, records(t, 1, 1), -1, time.Second); res.Err != nil {
		t.Fatalf("append with a big enough ISR: %v", res.Err)
	}
	// The ISR is now smaller than required: the append is refused up front.
	p.SetMinInsyncReplicas(2)
	if res := rm.AppendRecords(tp, records(t, 1, 1), -1, time.Second); !errors.Is(res.Err, cluster.ErrNotEnoughReplicas) {
		t.Fatalf("got %v", res.Err)
	}
	// Written, then found short of replicas while waiting.
	if err := rm.AwaitHighWatermark(p, 1, time.Second); !errors.Is(err, ErrNotEnoughReplicasAfterAppend) {
		t.Fatalf("got %v", err)
	}
}

func TestStaleControllerEpochForUpdateMetadata(t *testing.T) {
	rm := newTestManager(t)
	if !rm.AcceptControllerEpoch(3) || rm.AcceptControllerEpoch(2) || !rm.AcceptControllerEpoch(3) {
		t.Fatal("controller epochs must never go back")
	}
}
