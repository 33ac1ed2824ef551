package group

import (
	"errors"
	"time"

	"github.com/gokafka/kafka/core/cluster"
	klog "github.com/gokafka/kafka/core/log"
	"github.com/gokafka/kafka/core/record"
	"github.com/gokafka/kafka/core/replica"
)

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
	scheduled := time.Now()
	c.mgrInfof("Scheduling loading of offsets and group metadata from %s-%d for epoch %d", OffsetsTopic, p, epoch)
	// Scheduled before mu is released: whoever sees the partition loading
	// (HandleTxnCompletion) and schedules work after the load finds it
	// queued behind the load.
	c.sched.Schedule(func() { c.loadGroupsAndOffsets(p, epoch, scheduled) })
	c.mu.Unlock()
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
	c.sched.Schedule(func() { c.removeGroupsForPartition(p) })
}

// loaded is what one pass over an offsets partition found.
type loaded struct {
	offsets map[string]map[TopicPartition]commitRecord
	groups  map[string]GroupRecord
	removed map[string]bool
	// pending holds transactional offset commits whose producer has no
	// marker yet, per producer id, group and partition.
	pending map[int64]map[string]map[TopicPartition]commitRecord
}

func newLoaded() *loaded {
	return &loaded{
		offsets: map[string]map[TopicPartition]commitRecord{}, groups: map[string]GroupRecord{}, removed: map[string]bool{},
		pending: map[int64]map[string]map[TopicPartition]commitRecord{},
	}
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
	if c.afterRead != nil {
		c.afterRead(p)
	}
	if !c.finishLoading(p, epoch, data) {
		return
	}
	c.mgrInfof("Finished loading offsets and group metadata from %s-%d in %d milliseconds, of which %d milliseconds was spent in the scheduler.",
		OffsetsTopic, p, time.Since(scheduled).Milliseconds(), start.Sub(scheduled).Milliseconds())
}

// readPartition replays the partition up to its log end, as Kafka does:
// a new leader's high watermark may still lag records the previous leader
// had acknowledged, and a leader never truncates its own log. Later
// records of a key replace earlier ones and tombstones delete.
// Transactional offset commits wait for their producer's marker: a commit
// marker makes them committed offsets (unless a later commit of the same
// partition is already there), an abort marker drops them, and without a
// marker they stay pending.
func (c *GroupCoordinator) readPartition(part *cluster.Partition) (*loaded, error) {
	l := part.Log()
	end := l.LogEndOffset()
	data := newLoaded()
	offset := l.LogStartOffset()
	for offset < end {
		info, err := l.Read(offset, c.cfg.OffsetsLoadBufferSize, end, true)
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
			if b.IsControl() {
				batchErr = data.applyControl(b)
				return batchErr == nil
			}
			recs, err := record.DecodeRecords(b)
			if err != nil {
				batchErr = err
				return false
			}
			txnProducer := int64(-1)
			if b.IsTransactional() {
				txnProducer = b.ProducerID()
			}
			for _, r := range recs {
				if err := data.apply(r, b.BaseOffset(), txnProducer); err != nil {
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

// apply replays one record of a batch at batchOffset; txnProducer is the
// producer id of a transactional batch, -1 otherwise.
func (d *loaded) apply(r record.Record, batchOffset, txnProducer int64) error {
	if r.Key == nil {
		return errors.New("Group metadata/offset entry key should not be null")
	}
	k, err := ReadKey(r.Key)
	if err != nil {
		return err
	}
	if k.IsOffsetKey() {
		tp := TopicPartition{k.Topic, k.Partition}
		if txnProducer >= 0 {
			return d.applyTxnOffset(k.Group, tp, r.Value, batchOffset, txnProducer)
		}
		if r.Value == nil {
			if m := d.offsets[k.Group]; m != nil {
				delete(m, tp)
			}
			// The coordinator writes a tombstone when it drops a
			// partition's offsets, pending transactional ones included
			// (offset deletion, group deletion): those stay dropped.
			for pid, groups := range d.pending {
				if m := groups[k.Group]; m != nil {
					delete(m, tp)
					if len(m) == 0 {
						delete(groups, k.Group)
					}
				}
				if len(groups) == 0 {
					delete(d.pending, pid)
				}
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

func (d *loaded) applyTxnOffset(group string, tp TopicPartition, value []byte, batchOffset, pid int64) error {
	groups := d.pending[pid]
	if groups == nil {
		groups = map[string]map[TopicPartition]commitRecord{}
		d.pending[pid] = groups
	}
	if value == nil {
		if m := groups[group]; m != nil {
			delete(m, tp)
		}
		return nil
	}
	om, err := ReadOffsetValue(value)
	if err != nil {
		return err
	}
	if groups[group] == nil {
		groups[group] = map[TopicPartition]commitRecord{}
	}
	groups[group][tp] = commitRecord{appendedBatchOffset: batchOffset, om: om}
	return nil
}

// applyControl settles the pending commits of a marker's producer.
func (d *loaded) applyControl(b record.Batch) error {
	pid := b.ProducerID()
	typ, ok, err := controlRecordType(b)
	if err != nil {
		return err
	}
	if !ok {
		return nil
	}
	if typ == controlTypeCommit {
		for group, offs := range d.pending[pid] {
			for tp, rec := range offs {
				cur, ok := d.offsets[group][tp]
				if ok && cur.appendedBatchOffset >= rec.appendedBatchOffset {
					continue
				}
				if d.offsets[group] == nil {
					d.offsets[group] = map[TopicPartition]commitRecord{}
				}
				d.offsets[group][tp] = rec
			}
		}
	}
	delete(d.pending, pid)
	return nil
}

// pendingFor regroups the undecided transactional commits of one group
// by producer id.
func (d *loaded) pendingFor(group string) map[int64]map[TopicPartition]commitRecord {
	var out map[int64]map[TopicPartition]commitRecord
	for pid, groups := range d.pending {
		if offs := groups[group]; len(offs) > 0 {
			if out == nil {
				out = map[int64]map[TopicPartition]commitRecord{}
			}
			out[pid] = offs
		}
	}
	return out
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
		install := func(g *GroupMetadata) {
			if offs := data.offsets[g.groupID]; offs != nil {
				g.offsets = offs
			}
			if pend := data.pendingFor(g.groupID); pend != nil {
				g.pendingTxnOffsets = pend
				g.receivedTxnOffsetCommits = true
			}
			c.groups[g.groupID] = g
			fresh = append(fresh, g)
		}
		for id, rec := range data.groups {
			install(loadGroup(id, rec))
		}
		// Groups that only store offsets (no group record), committed or
		// still pending in a transaction.
		ids := map[string]bool{}
		for id, offs := range data.offsets {
			if len(offs) > 0 {
				ids[id] = true
			}
		}
		for _, groups := range data.pending {
			for id, offs := range groups {
				if len(offs) > 0 {
					ids[id] = true
				}
			}
		}
		for id := range ids {
			if _, ok := data.groups[id]; !ok {
				install(newGroup(id, Empty, now))
			}
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
	_, wait := c.appendForGroupAt(groupID, recs, commit, nil)
	return wait
}

// appendForGroupAt is appendForGroup that also returns the log offset of
// the appended batch (-1 when the append failed). opts, when set, gives
// the batch header (producer id, epoch, sequence, transactional bit).
func (c *GroupCoordinator) appendForGroupAt(groupID string, recs []record.Record, commit bool, opts *record.BatchOptions) (int64, func() int16) {
	part, base, want, code := c.appendLocalWith(groupID, recs, commit, opts)
	if code != errNone {
		return -1, func() int16 { return code }
	}
	timeout := time.Duration(c.cfg.OffsetsCommitTimeoutMs) * time.Millisecond
	return base, func() int16 { return c.awaitReplication(part, want, timeout, commit) }
}

// appendLocal appends to the leader's log only and returns the offset
// the high watermark must pass for the records to be replicated.
func (c *GroupCoordinator) appendLocal(groupID string, recs []record.Record, commit bool) (*cluster.Partition, int64, int16) {
	part, _, want, code := c.appendLocalWith(groupID, recs, commit, nil)
	return part, want, code
}

// appendLocalWith is appendLocal with an optional batch header; it also
// returns the base offset the batch got.
func (c *GroupCoordinator) appendLocalWith(groupID string, recs []record.Record, commit bool, opts *record.BatchOptions) (*cluster.Partition, int64, int64, int16) {
	p := c.PartitionFor(groupID)
	part := c.rm.Partition(OffsetsTopic, p)
	if part == nil || !part.IsLeader() {
		return nil, -1, 0, errNotCoordinator
	}
	if !part.HasMinInsyncReplicas() {
		return nil, -1, 0, appendErrorCode(cluster.ErrNotEnoughReplicas, commit)
	}
	o := record.DefaultBatchOptions(c.cfg.OffsetsTopicCompression, time.Now().UnixMilli())
	if opts != nil {
		o = *opts
	}
	batch, err := record.BuildBatchWith(o, recs)
	if err != nil {
		return nil, -1, 0, errUnknownServer
	}
	timeout := time.Duration(c.cfg.OffsetsCommitTimeoutMs) * time.Millisecond
	res := c.rm.AppendRecords(replica.TopicPartition{Topic: OffsetsTopic, Partition: p}, batch, 1, timeout)
	if res.Err != nil {
		return nil, -1, 0, appendErrorCode(res.Err, commit)
	}
	if res.Result.Duplicate {
		// The log took the batch for a retry of an earlier one and did
		// not write it: the commit is not stored.
		return nil, -1, 0, errUnknownServer
	}
	return part, res.Result.FirstOffset, res.Result.LastOffset + 1, errNone
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
		// Kafka's storeOffsets passes REQUEST_TIMED_OUT through; its
		// storeGroup turns it into REBALANCE_IN_PROGRESS.
		if commit {
			return kerrRequestTimedOut
		}
		return errRebalanceInProgress
	case errors.Is(err, klog.ErrInvalidProducerEpoch):
		// A transactional commit of a fenced producer.
		return errInvalidProducerEpoch
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
