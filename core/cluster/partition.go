// Package cluster holds Partition: one topic partition's replica on this
// broker, its role (leader or follower), ISR, leader epoch and high
// watermark. A partition's state has one owner, this type; other parts of
// the broker ask it rather than sharing its fields.
package cluster

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/sirupsen/logrus"

	klog "github.com/gokafka/kafka/core/log"
	"github.com/gokafka/kafka/core/logging"
)

// Errors a Partition returns; the API layer maps them to Kafka codes.
var (
	ErrNotLeader          = errors.New("this broker is not the leader for the partition")
	ErrNotEnoughReplicas  = errors.New("the ISR is smaller than min.insync.replicas")
	ErrFencedLeaderEpoch  = errors.New("the leader epoch in the request is older than the partition's")
	ErrUnknownLeaderEpoch = errors.New("the leader epoch in the request is newer than the partition's")
)

// State is the leader/ISR information the controller sends in LeaderAndIsr.
type State struct {
	ControllerEpoch int32
	Leader          int32
	LeaderEpoch     int32
	Isr             []int32
	ZkVersion       int32
	Replicas        []int32
	IsNew           bool
}

// followerState is what the leader knows about one follower.
type followerState struct {
	logEndOffset     int64
	lastCaughtUpTime time.Time
	// The leader's log end offset and the time of the follower's previous
	// fetch: a follower that has reached what the leader had then was
	// caught up then, even if new records arrived meanwhile.
	lastFetchLeaderLogEndOffset int64
	lastFetchTime               time.Time
}

// IsrWriter persists a new ISR for a partition this broker leads (in
// ZooKeeper, conditional on the state's zkVersion) and returns the new
// zkVersion.
type IsrWriter func(topic string, partition int32, s State) (int32, error)

// Partition is this broker's replica of one topic partition.
type Partition struct {
	Topic    string
	Index    int32
	brokerID int32
	log      *logrus.Entry

	mu              sync.RWMutex
	state           State
	minInsync       int
	plog            *klog.Log
	followers       map[int32]*followerState
	onHighWatermark func()
	isrWriter       IsrWriter
	policy          RecordPolicy
	// watchers are parked requests (fetches, acks=all produces) of this
	// partition: each gets a token on new data, a moving high watermark or
	// a role change, so only interested requests wake up.
	watchMu  sync.Mutex
	watchers map[chan struct{}]struct{}

	// hwMu makes the read-compare-update of the high watermark atomic
	// between concurrent appends that only hold mu for reading.
	hwMu sync.Mutex
}

// NewPartition returns a partition replica without a role yet.
func NewPartition(topic string, index int32, brokerID int32, onHighWatermark func()) *Partition {
	return &Partition{
		Topic:           topic,
		Index:           index,
		brokerID:        brokerID,
		log:             logging.For("kafka.cluster.Partition").WithField("prefix", fmt.Sprintf("[Partition %s-%d broker=%d]", topic, index, brokerID)),
		state:           State{Leader: -1, LeaderEpoch: -1},
		followers:       make(map[int32]*followerState),
		onHighWatermark: onHighWatermark,
		minInsync:       1,
		policy:          DefaultRecordPolicy(),
		watchers:        make(map[chan struct{}]struct{}),
	}
}

// Watch registers ch (buffered, capacity 1) to receive a token whenever
// something a parked request may wait for happens on this partition.
func (p *Partition) Watch(ch chan struct{}) {
	p.watchMu.Lock()
	p.watchers[ch] = struct{}{}
	p.watchMu.Unlock()
}

// Unwatch removes ch.
func (p *Partition) Unwatch(ch chan struct{}) {
	p.watchMu.Lock()
	delete(p.watchers, ch)
	p.watchMu.Unlock()
}

// wakeWatchers gives every watcher a token without blocking.
func (p *Partition) wakeWatchers() {
	p.watchMu.Lock()
	for ch := range p.watchers {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
	p.watchMu.Unlock()
}

// highWatermarkMoved tells watchers and the optional hook.
func (p *Partition) highWatermarkMoved() {
	p.wakeWatchers()
	if p.onHighWatermark != nil {
		p.onHighWatermark()
	}
}

func (p *Partition) String() string { return fmt.Sprintf("%s-%d", p.Topic, p.Index) }

// Log returns the partition's local log (nil before a role is set).
func (p *Partition) Log() *klog.Log {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.plog
}

// SetIsrWriter installs the function that persists ISR changes.
func (p *Partition) SetIsrWriter(w IsrWriter) {
	p.mu.Lock()
	p.isrWriter = w
	p.mu.Unlock()
}

// SetMinInsyncReplicas updates min.insync.replicas for acks=all.
func (p *Partition) SetMinInsyncReplicas(n int) {
	p.mu.Lock()
	p.minInsync = n
	p.mu.Unlock()
}

// LeaderEpoch returns the current leader epoch.
func (p *Partition) LeaderEpoch() int32 {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.state.LeaderEpoch
}

// State returns a copy of the partition's leader/ISR state.
func (p *Partition) State() State {
	p.mu.RLock()
	defer p.mu.RUnlock()
	s := p.state
	s.Isr = append([]int32(nil), s.Isr...)
	s.Replicas = append([]int32(nil), s.Replicas...)
	return s
}

// IsLeader reports whether this broker leads the partition.
func (p *Partition) IsLeader() bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.state.Leader == p.brokerID
}

// MakeLeader installs the leader role from a LeaderAndIsr request. It
// returns false when the request's leader epoch is not newer than ours.
func (p *Partition) MakeLeader(s State, l *klog.Log) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.plog != nil && s.LeaderEpoch < p.state.LeaderEpoch {
		return false
	}
	p.plog = l
	p.state = s
	p.followers = make(map[int32]*followerState)
	now := time.Now()
	for _, r := range s.Replicas {
		if r != p.brokerID {
			p.followers[r] = &followerState{logEndOffset: -1, lastCaughtUpTime: now}
		}
	}
	p.maybeIncrementHighWatermarkLocked()
	defer p.wakeWatchers()
	p.log.Infof("Leader %s starts at leader epoch %d from offset %d with high watermark %d. Previous leader epoch was %d.",
		p, s.LeaderEpoch, l.LogEndOffset(), l.HighWatermark(), s.LeaderEpoch-1)
	return true
}

// MakeFollower installs the follower role. Replication itself is driven
// by the ReplicaFetcher; here we only record who leads.
func (p *Partition) MakeFollower(s State, l *klog.Log) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.plog != nil && s.LeaderEpoch < p.state.LeaderEpoch {
		return false
	}
	p.plog = l
	p.state = s
	p.followers = make(map[int32]*followerState)
	defer p.wakeWatchers()
	return true
}

func (p *Partition) prefix() string {
	return fmt.Sprintf("[Partition %s-%d broker=%d]", p.Topic, p.Index, p.brokerID)
}

// AppendRecordsToLeader appends a producer's record set when this broker
// leads the partition. acks=-1 requires the ISR to have at least
// min.insync.replicas members.
func (p *Partition) AppendRecordsToLeader(records []byte, requiredAcks int16) (klog.AppendResult, error) {
	return p.appendToLeader(requiredAcks, func(l *klog.Log, leaderEpoch int32) (klog.AppendResult, error) {
		if err := p.policy.checkRecords(records, p.String()); err != nil {
			return klog.AppendResult{}, err
		}
		return l.Append(records, leaderEpoch)
	})
}

// AppendControlMarkerToLeader writes a transaction marker (WriteTxnMarkers)
// when this broker leads the partition, with the checks of a leader
// append with acks=requiredAcks.
func (p *Partition) AppendControlMarkerToLeader(producerID int64, producerEpoch int16, commit bool, coordinatorEpoch int32, requiredAcks int16) (klog.AppendResult, error) {
	return p.appendToLeader(requiredAcks, func(l *klog.Log, leaderEpoch int32) (klog.AppendResult, error) {
		return l.AppendControlMarker(producerID, producerEpoch, commit, coordinatorEpoch, leaderEpoch)
	})
}

// appendToLeader runs write under the leader checks every leader append
// shares, then moves the high watermark and wakes the parked requests:
// followers need the new records to advance it, consumers the moved mark.
func (p *Partition) appendToLeader(requiredAcks int16, write func(l *klog.Log, leaderEpoch int32) (klog.AppendResult, error)) (klog.AppendResult, error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.state.Leader != p.brokerID || p.plog == nil {
		return klog.AppendResult{}, ErrNotLeader
	}
	if requiredAcks == -1 && len(p.state.Isr) < p.minInsync {
		return klog.AppendResult{}, ErrNotEnoughReplicas
	}
	res, err := write(p.plog, p.state.LeaderEpoch)
	if err != nil {
		return res, err
	}
	if p.maybeIncrementHighWatermarkLocked() && p.onHighWatermark != nil {
		p.onHighWatermark()
	}
	p.wakeWatchers()
	return res, nil
}

// LastStableOffset is the offset read_committed consumers may read up to
// (-1 before the partition has a log).
func (p *Partition) LastStableOffset() int64 {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.plog == nil {
		return -1
	}
	return p.plog.LastStableOffset()
}

// HasMinInsyncReplicas reports whether the ISR is large enough for an
// acks=all write (min.insync.replicas).
func (p *Partition) HasMinInsyncReplicas() bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return len(p.state.Isr) >= p.minInsync
}

// maybeIncrementHighWatermarkLocked moves the high watermark to the
// smallest log end offset among the ISR. Caller holds p.mu (read or write);
// the log serialises its own high-watermark updates.
func (p *Partition) maybeIncrementHighWatermarkLocked() bool {
	if p.plog == nil || p.state.Leader != p.brokerID {
		return false
	}
	p.hwMu.Lock()
	defer p.hwMu.Unlock()
	hw := p.plog.LogEndOffset()
	for _, r := range p.state.Isr {
		if r == p.brokerID {
			continue
		}
		f := p.followers[r]
		if f == nil || f.logEndOffset < 0 {
			return false
		}
		if f.logEndOffset < hw {
			hw = f.logEndOffset
		}
	}
	if hw > p.plog.HighWatermark() {
		p.plog.UpdateHighWatermark(hw)
		return true
	}
	return false
}

// HighWatermark returns the partition's high watermark.
func (p *Partition) HighWatermark() int64 {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.plog == nil {
		return -1
	}
	return p.plog.HighWatermark()
}

// CheckLeader verifies that this broker leads the partition, and that a
// client-supplied leader epoch (or -1) matches.
func (p *Partition) CheckLeader(currentLeaderEpoch int32, requireLeader bool) error {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if currentLeaderEpoch >= 0 {
		if currentLeaderEpoch < p.state.LeaderEpoch {
			return ErrFencedLeaderEpoch
		}
		if currentLeaderEpoch > p.state.LeaderEpoch {
			return ErrUnknownLeaderEpoch
		}
	}
	if requireLeader && p.state.Leader != p.brokerID {
		return ErrNotLeader
	}
	if p.plog == nil {
		return ErrNotLeader
	}
	return nil
}

// UpdateFollowerFetchState records a follower's fetch position; the leader
// uses it to move the high watermark and to let the follower back into the
// ISR once it has caught up.
func (p *Partition) UpdateFollowerFetchState(replicaID int32, fetchOffset int64) {
	now := time.Now()
	p.mu.Lock()
	if p.plog == nil || p.state.Leader != p.brokerID {
		p.mu.Unlock()
		return
	}
	f := p.followers[replicaID]
	if f == nil {
		f = &followerState{lastCaughtUpTime: now}
		p.followers[replicaID] = f
	}
	leo := p.plog.LogEndOffset()
	switch {
	case fetchOffset >= leo:
		f.lastCaughtUpTime = now
	case fetchOffset >= f.lastFetchLeaderLogEndOffset && !f.lastFetchTime.IsZero():
		f.lastCaughtUpTime = f.lastFetchTime
	}
	f.logEndOffset = fetchOffset
	f.lastFetchLeaderLogEndOffset = leo
	f.lastFetchTime = now
	moved := p.maybeIncrementHighWatermarkLocked()
	expand := !contains(p.state.Isr, replicaID) && contains(p.state.Replicas, replicaID) && fetchOffset >= p.plog.HighWatermark()
	var next State
	if expand {
		next = p.stateWithIsr(append(append([]int32(nil), p.state.Isr...), replicaID))
	}
	p.mu.Unlock()
	if expand {
		p.log.Infof("Expanding ISR from %v to %v", p.state.Isr, next.Isr)
		moved = p.applyIsr(next) || moved
	}
	if moved {
		p.highWatermarkMoved()
	}
}

// MaybeShrinkIsr removes followers that have not caught up within maxLag
// (replica.lag.time.max.ms) from the ISR.
func (p *Partition) MaybeShrinkIsr(maxLag time.Duration) {
	now := time.Now()
	p.mu.RLock()
	if p.plog == nil || p.state.Leader != p.brokerID {
		p.mu.RUnlock()
		return
	}
	leo := p.plog.LogEndOffset()
	var keep, dropped []int32
	for _, r := range p.state.Isr {
		f := p.followers[r]
		if r != p.brokerID && f != nil && f.logEndOffset < leo && now.Sub(f.lastCaughtUpTime) > maxLag {
			dropped = append(dropped, r)
			continue
		}
		keep = append(keep, r)
	}
	if len(dropped) == 0 {
		p.mu.RUnlock()
		return
	}
	next := p.stateWithIsr(keep)
	old := p.state.Isr
	p.mu.RUnlock()
	p.log.Infof("Shrinking ISR from %v to %v. Leader: (highWatermark: %d, endOffset: %d). Out of sync replicas: %v.",
		old, keep, p.HighWatermark(), leo, dropped)
	if p.applyIsr(next) {
		p.highWatermarkMoved()
	}
}

// stateWithIsr copies the current state with a new ISR. Caller holds mu.
func (p *Partition) stateWithIsr(isr []int32) State {
	s := p.state
	s.Isr = isr
	s.Replicas = append([]int32(nil), s.Replicas...)
	return s
}

// applyIsr persists next through the IsrWriter and installs it if the
// partition did not change meanwhile. It reports whether the high
// watermark moved.
func (p *Partition) applyIsr(next State) bool {
	p.mu.RLock()
	w := p.isrWriter
	p.mu.RUnlock()
	if w == nil {
		return false
	}
	zkVersion, err := w(p.Topic, p.Index, next)
	if err != nil {
		p.log.Infof("Cached zkVersion %d not equal to that in zookeeper or write failed (%v), skip updating ISR", next.ZkVersion, err)
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.state.LeaderEpoch != next.LeaderEpoch || p.state.Leader != p.brokerID {
		return false
	}
	p.state.Isr = next.Isr
	p.state.ZkVersion = zkVersion
	return p.maybeIncrementHighWatermarkLocked()
}

// InSyncReplicas returns the current ISR.
func (p *Partition) InSyncReplicas() []int32 {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return append([]int32(nil), p.state.Isr...)
}

func contains(ids []int32, id int32) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}
