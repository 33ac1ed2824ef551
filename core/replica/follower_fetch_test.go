package replica

import (
	"testing"
	"time"

	"github.com/gokafka/kafka/core/cluster"
	"github.com/gokafka/kafka/core/record"
)

// TestAcksAllWithFetchingFollower runs a producer with acks=all against a
// follower that fetches like a ReplicaFetcher: every append must be
// acknowledged once the follower has it, without stalls.
func TestAcksAllWithFetchingFollower(t *testing.T) {
	rm := newTestManager(t)
	req := leaderAndIsr(1, 1, 0, []int32{1, 2})
	rm.BecomeLeaderOrFollower(req)
	rm.Partition("topic", 0).SetIsrWriter(func(string, int32, cluster.State) (int32, error) { return 1, nil })
	stop := make(chan struct{})
	followerDone := make(chan struct{})
	go func() {
		defer close(followerDone)
		var offset int64
		for {
			select {
			case <-stop:
				return
			default:
			}
			out := rm.FetchMessages(FetchParams{ReplicaID: 2, MaxWait: 500 * time.Millisecond, MinBytes: 1, MaxBytes: 10 << 20},
				[]FetchPartition{{TopicPartition: tp, FetchOffset: offset, MaxBytes: 1 << 20, CurrentLeaderEpoch: 0}}, stop)
			if out[0].Err != nil {
				t.Errorf("follower fetch: %v", out[0].Err)
				return
			}
			record.Iterate(out[0].Records, func(b record.Batch) bool {
				offset = b.LastOffset() + 1
				return true
			})
		}
	}()
	batch := records(t, 150, 100)
	deadline := time.Now().Add(20 * time.Second)
	done := 0
	for i := 0; i < 300 && time.Now().Before(deadline); i++ {
		buf := append([]byte(nil), batch...)
		start := time.Now()
		res := rm.AppendRecords(tp, buf, -1, 5*time.Second)
		if res.Err != nil {
			t.Fatalf("append %d: %v", i, res.Err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("append %d took %v: the follower's fetch was not woken", i, d)
		}
		done++
	}
	if done < 300 {
		t.Errorf("only %d of 300 acks=all appends completed in 20s", done)
	}
	close(stop)
	<-followerDone
}
