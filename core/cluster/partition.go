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
}

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
	}
}

func (p *Partition) String() string { return fmt.Sprintf("%s-%d", p.Topic, p.Index) }

// Log returns the partition's local log (nil before a role is set).
func (p *Partition) Log() *klog.Log {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.plog
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
	p.log.Infof("%s Leader %s starts at leader epoch %d from offset %d with high watermark %d. Previous leader epoch was %d.",
		p.prefix(), p, s.LeaderEpoch, l.LogEndOffset(), l.HighWatermark(), s.LeaderEpoch-1)
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
	return true
}

func (p *Partition) prefix() string {
	return fmt.Sprintf("[Partition %s-%d broker=%d]", p.Topic, p.Index, p.brokerID)
}

// AppendRecordsToLeader appends a producer's record set when this broker
// leads the partition. acks=-1 requires the ISR to have at least
// min.insync.replicas members.
func (p *Partition) AppendRecordsToLeader(records []byte, requiredAcks int16) (klog.AppendResult, error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.state.Leader != p.brokerID || p.plog == nil {
		return klog.AppendResult{}, ErrNotLeader
	}
	if requiredAcks == -1 && len(p.state.Isr) < p.minInsync {
		return klog.AppendResult{}, ErrNotEnoughReplicas
	}
	res, err := p.plog.Append(records, p.state.LeaderEpoch)
	if err != nil {
		return res, err
	}
	if p.maybeIncrementHighWatermarkLocked() && p.onHighWatermark != nil {
		p.onHighWatermark()
	}
	return res, nil
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
// uses it to move the high watermark.
func (p *Partition) UpdateFollowerFetchState(replicaID int32, fetchOffset int64) {
	p.mu.Lock()
	f := p.followers[replicaID]
	if f == nil {
		f = &followerState{}
		p.followers[replicaID] = f
	}
	f.logEndOffset = fetchOffset
	if p.plog != nil && fetchOffset >= p.plog.LogEndOffset() {
		f.lastCaughtUpTime = time.Now()
	}
	moved := p.maybeIncrementHighWatermarkLocked()
	p.mu.Unlock()
	if moved && p.onHighWatermark != nil {
		p.onHighWatermark()
	}
}
