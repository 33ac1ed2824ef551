package controller

import (
	"reflect"
	"testing"

	"github.com/gokafka/kafka/zkutil"
)

func TestOfflinePartitionLeader(t *testing.T) {
	live := map[int32]bool{2: true, 3: true}
	cases := []struct {
		name        string
		assignment  []int32
		isr         []int32
		unclean     bool
		wantLeader  int32
		wantUnclean bool
	}{
		{"first live in isr, in assignment order", []int32{1, 3, 2}, []int32{1, 2, 3}, false, 3, false},
		{"no live isr member, clean", []int32{1, 2}, []int32{1}, false, -1, false},
		{"no live isr member, unclean allowed", []int32{1, 2}, []int32{1}, true, 2, true},
		{"nobody alive", []int32{1, 4}, []int32{1, 4}, true, -1, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			leader, unclean := offlinePartitionLeader(c.assignment, c.isr, live, c.unclean)
			if leader != c.wantLeader || unclean != c.wantUnclean {
				t.Fatalf("got leader %d unclean %v, want %d %v", leader, unclean, c.wantLeader, c.wantUnclean)
			}
		})
	}
}

func TestLiveIsrKeepsOrder(t *testing.T) {
	got := liveIsr([]int32{3, 1, 2}, map[int32]bool{1: true, 3: true})
	if !reflect.DeepEqual(got, []int32{3, 1}) {
		t.Fatalf("got %v", got)
	}
}

func TestTopicIDBytes(t *testing.T) {
	// 16 bytes 0x00..0x0f in base64url without padding.
	got := topicIDBytes("AAECAwQFBgcICQoLDA0ODw")
	for i := 0; i < 16; i++ {
		if got[i] != byte(i) {
			t.Fatalf("byte %d = %d", i, got[i])
		}
	}
	if topicIDBytes("not-an-id") != ([16]byte{}) {
		t.Fatal("bad ids must decode to zero")
	}
}

func TestControlledShutdownNeverEmptiesIsr(t *testing.T) {
	c := &KafkaController{ctx: newControllerContext()}
	c.ctx.shuttingDown[3] = true
	live := map[int32]bool{1: true, 2: true}
	// Leaderless partition whose last ISR member is shutting down.
	if _, changed := c.controlledShutdownState(zkutil.LeaderIsr{Leader: -1, Isr: []int32{3}}, []int32{3, 2}, live); changed {
		t.Fatal("an offline partition must keep its ISR")
	}
	// Leader shutting down with an in-sync follower: leadership moves.
	next, changed := c.controlledShutdownState(zkutil.LeaderIsr{Leader: 3, LeaderEpoch: 4, Isr: []int32{3, 2}}, []int32{3, 2}, live)
	if !changed || next.Leader != 2 || !reflect.DeepEqual(next.Isr, []int32{2}) || next.LeaderEpoch != 5 {
		t.Fatalf("got %+v", next)
	}
	// Leader shutting down with no other in-sync replica keeps it.
	if _, changed := c.controlledShutdownState(zkutil.LeaderIsr{Leader: 3, Isr: []int32{3}}, []int32{3, 2}, live); changed {
		t.Fatal("no candidate: the leader keeps the partition")
	}
	// A follower that shuts down leaves the ISR.
	next, changed = c.controlledShutdownState(zkutil.LeaderIsr{Leader: 1, Isr: []int32{1, 3}}, []int32{1, 3}, live)
	if !changed || next.Leader != 1 || !reflect.DeepEqual(next.Isr, []int32{1}) {
		t.Fatalf("got %+v", next)
	}
}
