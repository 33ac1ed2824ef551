package cluster

import (
	"testing"
	"time"
)

func TestLowWatermark(t *testing.T) {
	p, _ := leaderPartition(t, []int32{1, 2, 3}, []int32{1, 2, 3})
	if _, err := p.AppendRecordsToLeader(batch(t, 10), 1); err != nil {
		t.Fatal(err)
	}
	p.UpdateFollowerFetchState(2, 10)
	p.UpdateFollowerFetchState(3, 10)
	if err := p.Log().MaybeIncrementLogStartOffset(6); err != nil {
		t.Fatal(err)
	}
	alive := map[int32]bool{1: true, 2: true, 3: true}
	isAlive := func(id int32) bool { return alive[id] }
	if lw, err := p.LowWatermark(isAlive); err != nil || lw != -1 {
		t.Errorf("followers unknown: %d %v", lw, err)
	}
	wake := make(chan struct{}, 1)
	p.Watch(wake)
	defer p.Unwatch(wake)
	p.UpdateFollowerLogStartOffset(2, 6)
	select {
	case <-wake:
	case <-time.After(time.Second):
		t.Error("a moved follower log start offset does not wake watchers")
	}
	p.UpdateFollowerLogStartOffset(3, 0)
	if lw, _ := p.LowWatermark(isAlive); lw != 0 {
		t.Errorf("low watermark %d, want the lagging follower's 0", lw)
	}
	p.UpdateFollowerLogStartOffset(3, -1) // unknown: ignored
	p.UpdateFollowerLogStartOffset(3, 8)
	if lw, _ := p.LowWatermark(isAlive); lw != 6 {
		t.Errorf("low watermark %d, want 6 (leader and follower 2)", lw)
	}
	alive[2] = false
	if lw, _ := p.LowWatermark(isAlive); lw != 6 {
		t.Errorf("low watermark without broker 2: %d, want the leader's 6", lw)
	}
	p.MakeFollower(State{Leader: 2, LeaderEpoch: 4, Isr: []int32{1, 2, 3}, Replicas: []int32{1, 2, 3}}, p.Log())
	if _, err := p.LowWatermark(isAlive); err != ErrNotLeader {
		t.Errorf("on a follower: %v", err)
	}
}
