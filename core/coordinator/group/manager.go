package group

import (
	"errors"
	"sync"
	"time"

	"github.com/gokafka/kafka/core/cluster"
	"github.com/gokafka/kafka/core/record"
	"github.com/gokafka/kafka/core/replica"
)

// scheduler runs loads and unloads of offsets partitions one at a time,
// in the order the controller's requests asked for them, off the
// LeaderAndIsr path (Kafka's group-metadata-manager thread).
type scheduler struct {
	mu    sync.Mutex
	tasks []func()
	wake  chan struct{}
}

func newScheduler() *scheduler { return &scheduler{wake: make(chan struct{}, 1)} }

func (s *scheduler) schedule(f func()) {
	s.mu.Lock()
	s.tasks = append(s.tasks, f)
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *scheduler) run(done <-chan struct{}) {
	for {
		s.mu.Lock()
		tasks := s.tasks
		s.tasks = nil
		s.mu.Unlock()
		for _, t := range tasks {
			select {
			case <-done:
				return
			default:
			}
			t()
		}
		select {
		case <-done:
			return
		case <-s.wake:
		}
	}
}

// onLeadershipChange is the ReplicaManager's hook: leading an offsets
// partition means coordinating its groups (load them), losing it means
// giving them up.
func (c *GroupCoordinator) onLeadershipChange(tp replica.TopicPartition, isLeader, stopped bool, leaderEpoch int32) {
	if tp.Topic != OffsetsTopic {
		return
	}
	if isLeader && !stopped {
		c.onElection(tp.Partition, leaderEpoch)
	} else {
		c.onResignation(tp.Partition, leaderEpoch)
	}
}

func (c *GroupCoordinator) onElection(p, epoch int32) {
	c.mu.Lock()
	if c.owned[p] {
		// Still the leader (a new epoch, or the same request again): the
		// groups in memory are current; reloading would lose parked joins.
		c.epochs[p] = epoch
		c.mu.Unlock()
		return
	}
	if e, ok := c.loading[p]; ok && e == epoch {
		c.mu.Unlock()
		return
	}
	c.infof("Elected as the group coordinator for partition %d in epoch %d", p, epoch)
	c.epochs[p] = epoch
	c.loading[p] = epoch
	c.mu.Unlock()
	scheduled := time.Now()
	c.mgrInfof("Scheduling loading of offsets and group metadata from %s-%d for epoch %d", OffsetsTopic, p, epoch)
	c.sched.schedule(func() { c.loadGroupsAndOffsets(p, epoch, scheduled) })
}

func (c *GroupCoordinator) onResignation(p, epoch int32) {
	c.mu.Lock()
	_, wasLoading := c.loading[p]
	if !c.owned[p] && !wasLoading {
		c.mu.Unlock()
		return
	}
	c.infof("Resigned as the group coordinator for partition %d in epoch %d", p, epoch)
	delete(c.owned, p)
	delete(c.loading, p)
	if epoch >= 0 {
		c.epochs[p] = epoch
	}
	c.mu.Unlock()
	c.mgrInfof("Scheduling unloading of offsets and group metadata from %s-%d", OffsetsTopic, p)
	c.sched.schedule(func() { c.removeGroupsForPartition(p) })
}

// loaded is what one pass over an offsets partition found.
type loaded struct {
	offsets map[string]map[TopicPartition]commitRecord
	groups  map[string]GroupRecord
	removed map[string]bool
}

func (c *GroupCoordinator) loadGroupsAndOffsets(p, epoch int32, scheduled time.Time) {
	start := time.Now()
	part := c.rm.Partition(OffsetsTopic, p)
	if part == nil || !part.IsLeader() {
		c.finishLoading(p, epoch, nil)
		return
	}
	data, err := c.readPartition(part)
	if err != nil {
		c.mgrErrorf("Error loading offsets from %s-%d: %v", OffsetsTopic, p, err)
		c.finishLoading(p, epoch, nil)
		return
	}
	if !c.finishLoading(p, epoch, data) {
		return
	}
	c.mgrInfof("Finished loading offsets and group metadata from %s-%d in %d milliseconds, of which %d milliseconds was spent in the scheduler.",
		OffsetsTopic, p, time.Since(scheduled).Milliseconds(), start.Sub(scheduled).Milliseconds())
}

// readPartition replays the partition up to its high watermark; later
// records of a key replace earlier ones and tombstones delete.
func (c *GroupCoordinator) readPartition(part *cluster.Partition) (*loaded, error) {
	l := part.Log()
	hw := part.HighWatermark()
	data := &loaded{offsets: map[string]map[TopicPartition]commitRecord{}, groups: map[string]GroupRecord{}, removed: map[string]bool{}}
	offset := l.LogStartOffset()
	for offset < hw {
		info, err := l.Read(offset, c.cfg.OffsetsLoadBufferSize, hw, true)
		if err != nil {
			return nil, err
		}
		if len(info.Records) == 0 {
			break
		}
		next := offset
		var batchErr error
		err = record.Iterate(info.Records, func(b record.Batch) bool {
			next = b.NextOffset()
			if b.IsControl() || b.IsTransactional() {
				return true
			}
			recs, err := record.DecodeRecords(b)
			if err != nil {
				batchErr = err
				return false
			}
			for _, r := range recs {
				if err := data.apply(r, b.BaseOffset()); err != nil {
					batchErr = err
					return false
				}
			}
			return true
		})
		if err == nil {
			err = batchErr
		}
		if err != nil {
			return nil, err
		}
		if next <= offset {
			break
		}
		offset = next
	}
	return data, nil
}

func (d *loaded) apply(r record.Record, batchOffset int64) error {
	if r.Key == nil {
		return errors.New("Group metadata/offset entry key should not be null")
	}
	k, err := ReadKey(r.Key)
	if err != nil {
		return err
	}
	if k.IsOffsetKey() {
		tp := TopicPartition{k.Topic, k.Partition}
		if r.Value == nil {
			if m := d.offsets[k.Group]; m != nil {
				delete(m, tp)
			}
			return nil
		}
		om, err := ReadOffsetValue(r.Value)
		if err != nil {
			return err
		}
		if d.offsets[k.Group] == nil {
			d.offsets[k.Group] = map[TopicPartition]commitRecord{}
		}
		d.offsets[k.Group][tp] = commitRecord{appendedBatchOffset: batchOffset, om: om}
		return nil
	}
	if r.Value == nil {
		delete(d.groups, k.Group)
		d.removed[k.Group] = true
		return nil
	}
	g, err := ReadGroupValue(r.Value)
	if err != nil {
		return err
	}
	delete(d.removed, k.Group)
	d.groups[k.Group] = g
	return nil
}

// finishLoading installs what was read, unless the partition was lost or
// re-elected meanwhile; it reports whether the load counted.
func (c *GroupCoordinator) finishLoading(p, epoch int32, data *loaded) bool {
	c.mu.Lock()
	if e, ok := c.loading[p]; !ok || e != epoch {
		c.mu.Unlock()
		return false
	}
	var fresh []*GroupMetadata
	if data != nil {
		now := time.Now().UnixMilli()
		for id, rec := range data.groups {
			g := loadGroup(id, rec)
			g.offsets = data.offsets[id]
			if g.offsets == nil {
				g.offsets = map[TopicPartition]commitRecord{}
			}
			c.groups[id] = g
			fresh = append(fresh, g)
		}
		for id, offs := range data.offsets {
			if _, ok := data.groups[id]; ok || len(offs) == 0 {
				continue
			}
			g := newGroup(id, Empty, now)
			g.offsets = offs
			c.groups[id] = g
			fresh = append(fresh, g)
		}
	}
	delete(c.loading, p)
	if data != nil {
		c.owned[p] = true
	}
	c.mu.Unlock()
	for _, g := range fresh {
		c.onGroupLoaded(g)
	}
	return data != nil
}

func (c *GroupCoordinator) onGroupLoaded(g *GroupMetadata) {
	g.mu.Lock()
	defer g.mu.Unlock()
	c.infof("Loading group metadata for %s with generation %d", g.groupID, g.generationID)
	if g.size() > c.cfg.GroupMaxSize {
		c.prepareRebalance(g, "Freshly-loaded group is over capacity ("+itoa(int32(c.cfg.GroupMaxSize))+"). Rebalancing in order to give a chance for consumers to commit offsets")
	}
	for _, m := range g.allMembers() {
		c.completeAndScheduleNextHeartbeatExpiration(g, m, m.SessionTimeoutMs)
	}
}

// removeGroupsForPartition unloads the groups of a partition this broker
// no longer leads; their members are told to find the new coordinator.
func (c *GroupCoordinator) removeGroupsForPartition(p int32) {
	c.mu.Lock()
	if c.owned[p] {
		// Re-elected before the unload ran.
		c.mu.Unlock()
		return
	}
	var gone []*GroupMetadata
	for id, g := range c.groups {
		if c.PartitionFor(id) == p {
			gone = append(gone, g)
			delete(c.groups, id)
		}
	}
	c.mu.Unlock()
	offsets := 0
	for _, g := range gone {
		offsets += c.onGroupUnloaded(g)
	}
	c.mgrInfof("Finished unloading %s-%d. Removed %d cached offsets and %d cached groups.", OffsetsTopic, p, offsets, len(gone))
}

// onGroupUnloaded marks a group Dead and answers its parked requests; it
// returns how many offsets the group held.
func (c *GroupCoordinator) onGroupUnloaded(g *GroupMetadata) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	c.infof("Unloading group metadata for %s with generation %d", g.groupID, g.generationID)
	prev := g.state
	g.state = Dead
	switch prev {
	case PreparingRebalance:
		for _, m := range g.allMembers() {
			g.maybeInvokeJoinCallback(m, joinError(m.MemberID, errNotCoordinator))
		}
	case Stable, CompletingRebalance:
		for _, m := range g.allMembers() {
			g.maybeInvokeSyncCallback(m, SyncResult{Error: errNotCoordinator})
		}
	}
	c.stopTimers(g)
	return len(g.offsets)
}

// Writing records.

// appendForGroup appends records to the group's offsets partition. The
// local append happens now (the caller holds the group lock, so records
// reach the log in the order of the changes); the returned function waits
// until the replicas have them and returns the error code for the client.
func (c *GroupCoordinator) appendForGroup(groupID string, recs []record.Record, commit bool) func() int16 {
	part, want, code := c.appendLocal(groupID, recs, commit)
	if code != errNone {
		return func() int16 { return code }
	}
	timeout := time.Duration(c.cfg.OffsetsCommitTimeoutMs) * time.Millisecond
	return func() int16 { return c.awaitReplication(part, want, timeout, commit) }
}

// appendLocal appends to the leader's log only and returns the offset
// the high watermark must pass for the records to be replicated.
func (c *GroupCoordinator) appendLocal(groupID string, recs []record.Record, commit bool) (*cluster.Partition, int64, int16) {
	p := c.PartitionFor(groupID)
	part := c.rm.Partition(OffsetsTopic, p)
	if part == nil || !part.IsLeader() {
		return nil, 0, errNotCoordinator
	}
	if !part.HasMinInsyncReplicas() {
		return nil, 0, appendErrorCode(cluster.ErrNotEnoughReplicas, commit)
	}
	batch, err := record.BuildBatch(recs, c.cfg.OffsetsTopicCompression, time.Now().UnixMilli())
	if err != nil {
		return nil, 0, errUnknownServer
	}
	timeout := time.Duration(c.cfg.OffsetsCommitTimeoutMs) * time.Millisecond
	res := c.rm.AppendRecords(replica.TopicPartition{Topic: OffsetsTopic, Partition: p}, batch, 1, timeout)
	if res.Err != nil {
		return nil, 0, appendErrorCode(res.Err, commit)
	}
	return part, res.Result.LastOffset + 1, errNone
}

// awaitReplication waits for the high watermark to pass want (acks=-1).
func (c *GroupCoordinator) awaitReplication(part *cluster.Partition, want int64, timeout time.Duration, commit bool) int16 {
	err := c.rm.AwaitHighWatermark(part, want, timeout)
	switch {
	case err == nil:
		return errNone
	case errors.Is(err, cluster.ErrNotLeader):
		return errNotCoordinator
	default:
		return appendErrorCode(err, commit)
	}
}

// appendErrorCode maps a failed write the way Kafka's coordinator does:
// partition trouble means "find the coordinator again", size trouble is
// the commit's fault.
func appendErrorCode(err error, commit bool) int16 {
	switch {
	case errors.Is(err, cluster.ErrNotLeader):
		return errNotCoordinator
	case errors.Is(err, replica.ErrUnknownPartition), errors.Is(err, cluster.ErrNotEnoughReplicas):
		return errCoordinatorNotAvailable
	case errors.Is(err, replica.ErrRequestTimedOut):
		if commit {
			return kerrRequestTimedOut
		}
		return errCoordinatorNotAvailable
	case errors.Is(err, record.ErrRecordTooLarge):
		if commit {
			return kerrInvalidCommitOffsetSize
		}
		return errUnknownServer
	}
	return errUnknownServer
}

// storeGroup writes the group's metadata record (value v3) for the
// current generation with the given assignment. Caller holds the group lock.
func (c *GroupCoordinator) storeGroup(g *GroupMetadata, assignment map[string][]byte) func() int16 {
	value := GroupMetadataValue(g.record(assignment), CurrentGroupValueVersion)
	return c.appendForGroup(g.groupID, []record.Record{{Key: GroupMetadataKey(g.groupID), Value: value}}, false)
}
