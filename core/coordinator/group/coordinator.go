// Package group is the broker's group coordinator: consumer group
// membership and rebalances (Kafka's GroupCoordinator and GroupMetadata)
// and the committed offsets and group records it keeps in the
// __consumer_offsets topic (GroupMetadataManager).
//
// Every group has its own lock; a request handler takes it, changes the
// group, and, for JoinGroup and SyncGroup, waits on a callback that a
// later request or a timer fires. Records go to the group's offsets
// partition through the ReplicaManager: the local append happens under the
// group lock (so the log order is the order of the changes), the wait for
// the replicas outside it.
package group

import (
	"crypto/rand"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/gokafka/kafka/core/coordinator/internal/scheduler"
	"github.com/gokafka/kafka/core/logging"
	"github.com/gokafka/kafka/core/record"
	"github.com/gokafka/kafka/core/replica"
)

// Config is the coordinator's part of the broker configuration.
type Config struct {
	BrokerID                        int32
	OffsetsTopicNumPartitions       int32
	OffsetsTopicReplicationFactor   int16
	OffsetsTopicSegmentBytes        int32
	OffsetsTopicCompression         record.Codec
	OffsetsRetentionMs              int64
	OffsetsRetentionCheckIntervalMs int64
	OffsetsCommitTimeoutMs          int64
	OffsetsLoadBufferSize           int32
	OffsetMetadataMaxBytes          int
	GroupInitialRebalanceDelayMs    int32
	GroupMinSessionTimeoutMs        int32
	GroupMaxSessionTimeoutMs        int32
	GroupMaxSize                    int
}

// newMemberJoinTimeoutMs bounds how long a member added in a rebalance may
// take to receive its JoinGroup answer before it is dropped.
const newMemberJoinTimeoutMs = 5 * 60 * 1000

// GroupCoordinator handles the group APIs for the groups whose offsets
// partitions this broker leads.
type GroupCoordinator struct {
	cfg    Config
	rm     *replica.ReplicaManager
	log    *logrus.Entry
	mgrLog *logrus.Entry
	active atomic.Bool
	done   chan struct{}
	wg     sync.WaitGroup

	mu      sync.Mutex
	groups  map[string]*GroupMetadata
	owned   map[int32]bool
	loading map[int32]int32 // partition -> epoch being loaded
	epochs  map[int32]int32

	sched *scheduler.Scheduler

	// txnMu serialises transactional offset appends with the producer
	// sequences they use (txn_offsets.go). Never held while taking mu.
	txnMu sync.Mutex

	// afterRead, in tests, runs between reading a partition and
	// installing what was read.
	afterRead func(p int32)
}

// NewGroupCoordinator returns a coordinator that loads and serves the
// offsets partitions rm makes this broker lead.
func NewGroupCoordinator(cfg Config, rm *replica.ReplicaManager) *GroupCoordinator {
	if cfg.OffsetsLoadBufferSize <= 0 {
		cfg.OffsetsLoadBufferSize = 5 << 20
	}
	if cfg.OffsetsCommitTimeoutMs <= 0 {
		cfg.OffsetsCommitTimeoutMs = 5000
	}
	if cfg.GroupMaxSize <= 0 {
		cfg.GroupMaxSize = int(^uint32(0) >> 1)
	}
	c := &GroupCoordinator{
		cfg: cfg, rm: rm, done: make(chan struct{}),
		log:    logging.For("kafka.coordinator.group.GroupCoordinator"),
		mgrLog: logging.For("kafka.coordinator.group.GroupMetadataManager"),
		groups: map[string]*GroupMetadata{}, owned: map[int32]bool{}, loading: map[int32]int32{}, epochs: map[int32]int32{},
		sched: scheduler.New(),
	}
	if rm != nil {
		rm.AddLeadershipListener(c.onLeadershipChange)
	}
	return c
}

func (c *GroupCoordinator) infof(f string, a ...any) {
	c.log.Infof(fmt.Sprintf("[GroupCoordinator %d]: ", c.cfg.BrokerID)+f, a...)
}
func (c *GroupCoordinator) warnf(f string, a ...any) {
	c.log.Warnf(fmt.Sprintf("[GroupCoordinator %d]: ", c.cfg.BrokerID)+f, a...)
}
func (c *GroupCoordinator) errorf(f string, a ...any) {
	c.log.Errorf(fmt.Sprintf("[GroupCoordinator %d]: ", c.cfg.BrokerID)+f, a...)
}
func (c *GroupCoordinator) mgrInfof(f string, a ...any) {
	c.mgrLog.Infof(fmt.Sprintf("[GroupMetadataManager brokerId=%d] ", c.cfg.BrokerID)+f, a...)
}
func (c *GroupCoordinator) mgrErrorf(f string, a ...any) {
	c.mgrLog.Errorf(fmt.Sprintf("[GroupMetadataManager brokerId=%d] ", c.cfg.BrokerID)+f, a...)
}

// Startup starts the loader and the offsets expiration loop.
func (c *GroupCoordinator) Startup() {
	c.infof("Starting up.")
	c.wg.Add(1)
	go func() { defer c.wg.Done(); c.sched.Run(c.done) }()
	if c.cfg.OffsetsRetentionCheckIntervalMs > 0 {
		c.wg.Add(1)
		go c.expirationLoop()
	}
	c.active.Store(true)
	c.infof("Startup complete.")
}

// Shutdown stops the loops and timers; parked JoinGroup and SyncGroup
// requests are released.
func (c *GroupCoordinator) Shutdown() {
	if !c.active.Swap(false) {
		return
	}
	c.infof("Shutting down.")
	close(c.done)
	c.wg.Wait()
	c.mu.Lock()
	groups := make([]*GroupMetadata, 0, len(c.groups))
	for _, g := range c.groups {
		groups = append(groups, g)
	}
	c.mu.Unlock()
	for _, g := range groups {
		g.mu.Lock()
		c.stopTimers(g)
		g.mu.Unlock()
	}
	c.infof("Shutdown complete.")
}

// PartitionFor returns the offsets partition of a group.
func (c *GroupCoordinator) PartitionFor(groupID string) int32 {
	return PartitionFor(groupID, c.cfg.OffsetsTopicNumPartitions)
}

func (c *GroupCoordinator) partitionName(groupID string) string {
	return fmt.Sprintf("%s-%d", OffsetsTopic, c.PartitionFor(groupID))
}

// OffsetsTopicConfigs are the topic configs __consumer_offsets is created with.
func (c *GroupCoordinator) OffsetsTopicConfigs() map[string]string {
	return map[string]string{
		"cleanup.policy":   "compact",
		"compression.type": "producer",
		"segment.bytes":    fmt.Sprint(c.cfg.OffsetsTopicSegmentBytes),
	}
}

// NumPartitions and ReplicationFactor of the offsets topic, for creating it.
func (c *GroupCoordinator) NumPartitions() int32     { return c.cfg.OffsetsTopicNumPartitions }
func (c *GroupCoordinator) ReplicationFactor() int16 { return c.cfg.OffsetsTopicReplicationFactor }

type api int

const (
	apiJoin api = iota
	apiSync
	apiHeartbeat
	apiLeave
	apiCommit
	apiFetch
	apiDescribe
	apiDelete
	apiOffsetDelete
	apiTxnCommit
)

// validateGroupStatus is the common gate of every group request.
func (c *GroupCoordinator) validateGroupStatus(groupID string, a api) int16 {
	switch a {
	case apiCommit, apiFetch, apiDescribe, apiDelete:
		// Offset storage and admin calls accept the empty group id, as
		// older clients used it.
	default:
		if groupID == "" {
			return errInvalidGroupID
		}
	}
	if !c.active.Load() {
		return errCoordinatorNotAvailable
	}
	p := c.PartitionFor(groupID)
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.loading[p]; ok {
		return errLoadInProgress
	}
	if !c.owned[p] {
		return errNotCoordinator
	}
	return errNone
}

func (c *GroupCoordinator) getGroup(id string) *GroupMetadata {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.groups[id]
}

func (c *GroupCoordinator) getOrMaybeCreateGroup(id string, create bool) *GroupMetadata {
	c.mu.Lock()
	defer c.mu.Unlock()
	g := c.groups[id]
	if g == nil && create {
		g = newGroup(id, Empty, time.Now().UnixMilli())
		c.groups[id] = g
	}
	return g
}

// ownsGroup is true when this broker coordinates the group's partition.
func (c *GroupCoordinator) ownsGroup(id string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.owned[c.PartitionFor(id)]
}

func newMemberID(clientID string, instanceID *string) string {
	if instanceID != nil {
		return *instanceID + "-" + randomUUID()
	}
	return clientID + "-" + randomUUID()
}

func optString(s *string) string {
	if s == nil {
		return "None"
	}
	return "Some(" + *s + ")"
}

// randomUUID formats a random (version 4) UUID like Java's UUID.toString.
func randomUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// OffsetMetadataMaxBytes is offset.metadata.max.bytes, for the
// ZooKeeper-stored commits of OffsetCommit v0.
func (c *GroupCoordinator) OffsetMetadataMaxBytes() int { return c.cfg.OffsetMetadataMaxBytes }
