package cluster

import (
	"errors"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	klog "github.com/gokafka/kafka/core/log"
	"github.com/gokafka/kafka/core/record"
)

func openLog(t *testing.T) *klog.Log {
	t.Helper()
	l, err := klog.OpenLog(filepath.Join(t.TempDir(), "t-0"), klog.DefaultConfig(), klog.LoadParams{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func batch(t *testing.T, n int) []byte {
	t.Helper()
	recs := make([]record.Record, n)
	for i := range recs {
		recs[i] = record.Record{OffsetDelta: int32(i), Value: []byte("v")}
	}
	b, err := record.BuildBatch(recs, record.CodecNone, time.Now().UnixMilli())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fakeIsrStore records ISR writes and hands out increasing zkVersions.
type fakeIsrStore struct {
	writes [][]int32
	fail   bool
}

func (f *fakeIsrStore) write(topic string, partition int32, s State) (int32, error) {
	if f.fail {
		return 0, errors.New("version conflict")
	}
	f.writes = append(f.writes, append([]int32(nil), s.Isr...))
	return s.ZkVersion + 1, nil
}

func leaderPartition(t *testing.T, isr, replicas []int32) (*Partition, *fakeIsrStore) {
	p := NewPartition("t", 0, 1, nil)
	store := &fakeIsrStore{}
	p.SetIsrWriter(store.write)
	if !p.MakeLeader(State{Leader: 1, LeaderEpoch: 3, Isr: isr, Replicas: replicas}, openLog(t)) {
		t.Fatal("MakeLeader refused")
	}
	return p, store
}

func TestHighWatermarkFollowsAppendsWhenLeaderIsAlone(t *testing.T) {
	p, _ := leaderPartition(t, []int32{1}, []int32{1})
	res, err := p.AppendRecordsToLeader(batch(t, 5), 1)
	if err != nil {
		t.Fatal(err)
	}
	if res.FirstOffset != 0 || res.LastOffset != 4 || p.HighWatermark() != 5 {
		t.Fatalf("append %+v, hw %d", res, p.HighWatermark())
	}
}

func TestHighWatermarkWaitsForIsrFollowers(t *testing.T) {
	p, _ := leaderPartition(t, []int32{1, 2}, []int32{1, 2})
	if _, err := p.AppendRecordsToLeader(batch(t, 3), -1); err != nil {
		t.Fatal(err)
	}
	if hw := p.HighWatermark(); hw != 0 {
		t.Fatalf("hw moved to %d before the follower fetched", hw)
	}
	p.UpdateFollowerFetchState(2, 2)
	if hw := p.HighWatermark(); hw != 2 {
		t.Fatalf("hw = %d, want the follower's position 2", hw)
	}
	p.UpdateFollowerFetchState(2, 3)
	if hw := p.HighWatermark(); hw != 3 {
		t.Fatalf("hw = %d, want 3", hw)
	}
}

func TestMinInsyncReplicasForAcksAll(t *testing.T) {
	p, _ := leaderPartition(t, []int32{1}, []int32{1, 2})
	p.SetMinInsyncReplicas(2)
	if _, err := p.AppendRecordsToLeader(batch(t, 1), -1); !errors.Is(err, ErrNotEnoughReplicas) {
		t.Fatalf("acks=all with ISR below min.insync.replicas: %v", err)
	}
	if _, err := p.AppendRecordsToLeader(batch(t, 1), 1); err != nil {
		t.Fatalf("acks=1 must not need the ISR: %v", err)
	}
}

func TestFollowerRejoinsIsrOnceCaughtUp(t *testing.T) {
	p, store := leaderPartition(t, []int32{1}, []int32{1, 2})
	p.AppendRecordsToLeader(batch(t, 4), 1)
	p.UpdateFollowerFetchState(2, 2) // behind the high watermark (4)
	if len(store.writes) != 0 {
		t.Fatalf("lagging follower added to ISR: %v", store.writes)
	}
	p.UpdateFollowerFetchState(2, 4)
	if !reflect.DeepEqual(store.writes, [][]int32{{1, 2}}) || !reflect.DeepEqual(p.InSyncReplicas(), []int32{1, 2}) {
		t.Fatalf("writes %v, isr %v", store.writes, p.InSyncReplicas())
	}
}

func TestLaggingFollowerLeavesIsr(t *testing.T) {
	p, store := leaderPartition(t, []int32{1, 2}, []int32{1, 2})
	p.AppendRecordsToLeader(batch(t, 2), 1)
	p.MaybeShrinkIsr(time.Hour)
	if len(store.writes) != 0 {
		t.Fatal("shrunk before the lag time")
	}
	time.Sleep(20 * time.Millisecond)
	p.MaybeShrinkIsr(10 * time.Millisecond)
	if !reflect.DeepEqual(p.InSyncReplicas(), []int32{1}) {
		t.Fatalf("isr %v", p.InSyncReplicas())
	}
	// With the follower gone from the ISR the leader alone moves the HW.
	if hw := p.HighWatermark(); hw != 2 {
		t.Fatalf("hw %d", hw)
	}
}

func TestFailedIsrWriteKeepsState(t *testing.T) {
	p, store := leaderPartition(t, []int32{1}, []int32{1, 2})
	store.fail = true
	p.UpdateFollowerFetchState(2, 0)
	if !reflect.DeepEqual(p.InSyncReplicas(), []int32{1}) {
		t.Fatalf("isr changed without a successful write: %v", p.InSyncReplicas())
	}
}

func TestStaleLeaderEpochIsRejected(t *testing.T) {
	p, _ := leaderPartition(t, []int32{1}, []int32{1})
	if p.MakeLeader(State{Leader: 1, LeaderEpoch: 2, Isr: []int32{1}}, p.Log()) {
		t.Fatal("older leader epoch applied")
	}
	if err := p.CheckLeader(2, true); !errors.Is(err, ErrFencedLeaderEpoch) {
		t.Fatalf("got %v", err)
	}
	if err := p.CheckLeader(4, true); !errors.Is(err, ErrUnknownLeaderEpoch) {
		t.Fatalf("got %v", err)
	}
	if !p.MakeFollower(State{Leader: 2, LeaderEpoch: 4, Isr: []int32{2, 1}}, p.Log()) {
		t.Fatal("newer epoch refused")
	}
	if _, err := p.AppendRecordsToLeader(batch(t, 1), 1); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("follower accepted a produce: %v", err)
	}
}
