package cluster

import (
	"runtime"
	"sync"
	"weak"
)

// Follower log start offsets, for DeleteRecords: the leader answers a
// DeleteRecords request once every live replica has moved its log start
// offset (the partition's low watermark) to the requested offset. Followers
// report their log start offset in each fetch (Fetch v5+).
//
// The offsets live beside the Partition rather than in it; the entry of a
// partition goes away when the Partition is garbage collected.
var followerStarts = struct {
	mu sync.Mutex
	m  map[weak.Pointer[Partition]]map[int32]int64
}{m: map[weak.Pointer[Partition]]map[int32]int64{}}

// UpdateFollowerLogStartOffset records the log start offset a follower sent
// in a fetch (negative: unknown, ignored) and wakes parked requests when it
// moved.
func (p *Partition) UpdateFollowerLogStartOffset(replicaID int32, offset int64) {
	if offset < 0 {
		return
	}
	key := weak.Make(p)
	followerStarts.mu.Lock()
	starts, ok := followerStarts.m[key]
	if !ok {
		starts = map[int32]int64{}
		followerStarts.m[key] = starts
		runtime.AddCleanup(p, forgetFollowerStarts, key)
	}
	old, known := starts[replicaID]
	starts[replicaID] = offset
	followerStarts.mu.Unlock()
	if !known || old != offset {
		p.wakeWatchers()
	}
}

func forgetFollowerStarts(key weak.Pointer[Partition]) {
	followerStarts.mu.Lock()
	delete(followerStarts.m, key)
	followerStarts.mu.Unlock()
}

// LowWatermark is the smallest log start offset among this leader and the
// other replicas on live brokers (alive); a follower that has not reported
// one yet counts as -1. It fails with ErrNotLeader on a follower.
func (p *Partition) LowWatermark(alive func(brokerID int32) bool) (int64, error) {
	p.mu.RLock()
	if p.state.Leader != p.brokerID || p.plog == nil {
		p.mu.RUnlock()
		return -1, ErrNotLeader
	}
	low := p.plog.LogStartOffset()
	replicas := append([]int32(nil), p.state.Replicas...)
	p.mu.RUnlock()
	followerStarts.mu.Lock()
	defer followerStarts.mu.Unlock()
	starts := followerStarts.m[weak.Make(p)]
	for _, r := range replicas {
		if r == p.brokerID || !alive(r) {
			continue
		}
		start, ok := starts[r]
		if !ok {
			start = -1
		}
		low = min(low, start)
	}
	return low, nil
}
