package group

import (
	"sort"
	"strings"
	"time"

	"github.com/gokafka/kafka/core/record"
)

// HandleCommitOffsets stores offsets for a group member, or for a client
// that only uses Kafka to store offsets (generation -1, no member id).
// It returns one error code per partition.
func (c *GroupCoordinator) HandleCommitOffsets(groupID, memberID string, instanceID *string, generation int32,
	offsets map[TopicPartition]OffsetAndMetadata) map[TopicPartition]int16 {
	if code := c.validateGroupStatus(groupID, apiCommit); code != errNone {
		return allErrors(offsets, code)
	}
	g := c.getGroup(groupID)
	if g == nil {
		if generation >= 0 {
			// A generation of a group this coordinator does not know: an
			// old member, or a coordinator that moved. Either way, reject.
			return allErrors(offsets, errIllegalGeneration)
		}
		g = c.getOrMaybeCreateGroup(groupID, true)
	}
	g.mu.Lock()
	var wait func() int16
	var accepted map[TopicPartition]OffsetAndMetadata
	var base int64
	code := errNone
	switch {
	case g.is(Dead):
		code = errCoordinatorNotAvailable
	case g.isStaticMemberFenced(memberID, instanceID):
		code = errFencedInstanceID
	case generation < 0 && g.is(Empty):
		accepted, base, wait = c.prepareStoreOffsets(g, offsets)
	case !g.has(memberID):
		code = errUnknownMemberID
	case generation != g.generationID:
		code = errIllegalGeneration
	default:
		switch g.state {
		case Stable, PreparingRebalance:
			m := g.get(memberID)
			c.completeAndScheduleNextHeartbeatExpiration(g, m, m.SessionTimeoutMs)
			accepted, base, wait = c.prepareStoreOffsets(g, offsets)
		case CompletingRebalance:
			// The member has its new generation but not yet its
			// assignment: it should finish the rebalance first.
			code = errRebalanceInProgress
		default:
			code = errUnknownMemberID
		}
	}
	g.mu.Unlock()
	if wait == nil {
		if code == errNone {
			return allErrors(offsets, errOffsetMetadataTooLarge)
		}
		return allErrors(offsets, code)
	}
	code = wait()
	g.mu.Lock()
	if !g.is(Dead) {
		for tp, om := range accepted {
			if code == errNone {
				g.onOffsetCommitAppend(tp, commitRecord{appendedBatchOffset: base, om: om})
			} else {
				g.failPendingOffsetWrite(tp, om)
			}
		}
	}
	g.mu.Unlock()
	out := make(map[TopicPartition]int16, len(offsets))
	for tp := range offsets {
		if _, ok := accepted[tp]; ok {
			out[tp] = code
		} else {
			out[tp] = errOffsetMetadataTooLarge
		}
	}
	return out
}

// prepareStoreOffsets appends the valid commits (metadata within
// offset.metadata.max.bytes) and marks them pending; nil wait when none is
// valid. It returns the log offset of the batch, which orders the commit
// against others of the same partition (transactional ones included).
// Caller holds the group lock.
func (c *GroupCoordinator) prepareStoreOffsets(g *GroupMetadata, offsets map[TopicPartition]OffsetAndMetadata) (map[TopicPartition]OffsetAndMetadata, int64, func() int16) {
	valid := c.validOffsets(offsets)
	if len(valid) == 0 {
		return nil, -1, nil
	}
	if g.receivedTxnOffsetCommits {
		c.warnMixedCommits(g)
	}
	g.prepareOffsetCommit(valid)
	base, wait := c.appendForGroupAt(g.groupID, offsetRecords(g.groupID, valid), true, nil)
	return valid, base, wait
}

// validOffsets keeps the commits whose metadata fits
// offset.metadata.max.bytes.
func (c *GroupCoordinator) validOffsets(offsets map[TopicPartition]OffsetAndMetadata) map[TopicPartition]OffsetAndMetadata {
	valid := map[TopicPartition]OffsetAndMetadata{}
	for tp, om := range offsets {
		if len(om.Metadata) <= c.cfg.OffsetMetadataMaxBytes {
			valid[tp] = om
		}
	}
	return valid
}

// offsetRecords are the offset commit records of a group, in partition order.
func offsetRecords(groupID string, offsets map[TopicPartition]OffsetAndMetadata) []record.Record {
	var recs []record.Record
	for _, tp := range sortedTopicPartitions(offsets) {
		om := offsets[tp]
		recs = append(recs, record.Record{
			Key:   OffsetCommitKey(groupID, tp.Topic, tp.Partition),
			Value: OffsetCommitValue(om, OffsetValueVersion(om)),
		})
	}
	return recs
}

func allErrors(offsets map[TopicPartition]OffsetAndMetadata, code int16) map[TopicPartition]int16 {
	out := make(map[TopicPartition]int16, len(offsets))
	for tp := range offsets {
		out[tp] = code
	}
	return out
}

// FetchedOffset is one partition's answer to OffsetFetch.
type FetchedOffset struct {
	Offset      int64 // -1 when nothing is committed
	LeaderEpoch int32
	Metadata    string
	Error       int16
}

// HandleFetchOffsets returns committed offsets: of the given partitions,
// or of every partition the group has committed when partitions is nil.
func (c *GroupCoordinator) HandleFetchOffsets(groupID string, requireStable bool, partitions []TopicPartition) (int16, map[TopicPartition]FetchedOffset) {
	if code := c.validateGroupStatus(groupID, apiFetch); code != errNone {
		return code, nil
	}
	none := FetchedOffset{Offset: -1, LeaderEpoch: -1}
	out := map[TopicPartition]FetchedOffset{}
	g := c.getGroup(groupID)
	if g != nil {
		g.mu.Lock()
		defer g.mu.Unlock()
	}
	if g == nil || g.is(Dead) {
		for _, tp := range partitions {
			out[tp] = none
		}
		return errNone, out
	}
	if partitions == nil {
		for tp, om := range g.allOffsets() {
			if requireStable && g.hasPendingOffsetCommitsFor(tp) {
				out[tp] = FetchedOffset{Offset: -1, LeaderEpoch: -1, Error: errUnstableOffsetCommit}
				continue
			}
			out[tp] = FetchedOffset{Offset: om.Offset, LeaderEpoch: om.LeaderEpoch, Metadata: om.Metadata}
		}
		return errNone, out
	}
	for _, tp := range partitions {
		// require_stable (OffsetFetch v7): a commit still on its way, or
		// one in an undecided transaction, makes the offset unstable.
		if requireStable && g.hasPendingOffsetCommitsFor(tp) {
			out[tp] = FetchedOffset{Offset: -1, LeaderEpoch: -1, Error: errUnstableOffsetCommit}
			continue
		}
		if om, ok := g.offset(tp); ok {
			out[tp] = FetchedOffset{Offset: om.Offset, LeaderEpoch: om.LeaderEpoch, Metadata: om.Metadata}
		} else {
			out[tp] = none
		}
	}
	return errNone, out
}

// HandleDescribeGroup summarises a group; an unknown group is reported
// Dead without error, as Kafka 2.8 does.
func (c *GroupCoordinator) HandleDescribeGroup(groupID string) (int16, Summary) {
	if code := c.validateGroupStatus(groupID, apiDescribe); code != errNone {
		return code, Summary{}
	}
	g := c.getGroup(groupID)
	if g == nil {
		return errNone, Summary{State: Dead.String()}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return errNone, g.summary()
}

// Overview is one group in ListGroups.
type Overview struct {
	GroupID      string
	ProtocolType string
	State        string
}

// HandleListGroups lists the groups this coordinator has, optionally only
// those in the given states.
func (c *GroupCoordinator) HandleListGroups(states []string) (int16, []Overview) {
	if !c.active.Load() {
		return errCoordinatorNotAvailable, nil
	}
	c.mu.Lock()
	code := errNone
	if len(c.loading) > 0 {
		code = errLoadInProgress
	}
	groups := make([]*GroupMetadata, 0, len(c.groups))
	for _, g := range c.groups {
		groups = append(groups, g)
	}
	c.mu.Unlock()
	want := map[string]bool{}
	for _, s := range states {
		want[strings.ToLower(s)] = true
	}
	var out []Overview
	for _, g := range groups {
		g.mu.Lock()
		o := Overview{GroupID: g.groupID, State: g.state.String()}
		if g.protocolType != nil {
			o.ProtocolType = *g.protocolType
		}
		g.mu.Unlock()
		if len(want) > 0 && !want[strings.ToLower(o.State)] {
			continue
		}
		out = append(out, o)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].GroupID < out[j].GroupID })
	return code, out
}

// HandleDeleteGroups deletes Empty groups with their offsets.
func (c *GroupCoordinator) HandleDeleteGroups(groupIDs []string) map[string]int16 {
	out := map[string]int16{}
	var eligible []*GroupMetadata
	for _, id := range groupIDs {
		if code := c.validateGroupStatus(id, apiDelete); code != errNone {
			out[id] = code
			continue
		}
		g := c.getGroup(id)
		if g == nil {
			out[id] = c.notFoundCode(id)
			continue
		}
		g.mu.Lock()
		switch g.state {
		case Dead:
			out[id] = c.notFoundCode(id)
		case Empty:
			g.transitionTo(Dead)
			eligible = append(eligible, g)
		default:
			out[id] = errNonEmptyGroup
		}
		g.mu.Unlock()
	}
	if len(eligible) > 0 {
		removed := c.cleanupGroupMetadata(eligible, func(g *GroupMetadata) map[TopicPartition]OffsetAndMetadata { return g.removeAllOffsets() })
		var names []string
		for _, g := range eligible {
			out[g.groupID] = errNone
			names = append(names, g.groupID)
		}
		c.infof("The following groups were deleted: %s. A total of %d offsets were removed.", strings.Join(names, ", "), removed)
	}
	return out
}

// notFoundCode answers for a group that is missing or Dead: unknown
// here, or moved to another coordinator meanwhile.
func (c *GroupCoordinator) notFoundCode(id string) int16 {
	if c.ownsGroup(id) {
		return errGroupIDNotFound
	}
	return errNotCoordinator
}

// HandleDeleteOffsets deletes a group's offsets of some partitions: any of
// an Empty group, and of a live consumer group those of topics it does not
// subscribe to.
func (c *GroupCoordinator) HandleDeleteOffsets(groupID string, partitions []TopicPartition) (int16, map[TopicPartition]int16) {
	if code := c.validateGroupStatus(groupID, apiOffsetDelete); code != errNone {
		return code, nil
	}
	g := c.getGroup(groupID)
	if g == nil {
		return c.notFoundCode(groupID), nil
	}
	out := map[TopicPartition]int16{}
	var eligible []TopicPartition
	g.mu.Lock()
	switch {
	case g.is(Dead):
		g.mu.Unlock()
		return c.notFoundCode(groupID), nil
	case g.is(Empty):
		eligible = partitions
	case g.protocolType != nil && *g.protocolType == ConsumerProtocolType:
		for _, tp := range partitions {
			if g.isSubscribedToTopic(tp.Topic) {
				out[tp] = errGroupSubscribedToTopic
			} else {
				eligible = append(eligible, tp)
			}
		}
	default:
		g.mu.Unlock()
		return errNonEmptyGroup, nil
	}
	g.mu.Unlock()
	if len(eligible) > 0 {
		removed := c.cleanupGroupMetadata([]*GroupMetadata{g}, func(g *GroupMetadata) map[TopicPartition]OffsetAndMetadata { return g.removeOffsets(eligible) })
		var names []string
		for _, tp := range eligible {
			out[tp] = errNone
			names = append(names, tp.String())
		}
		c.infof("The following partitions of group %s were deleted: %s. A total of %d offsets were removed.", groupID, strings.Join(names, ","), removed)
	}
	return errNone, out
}

// cleanupGroupMetadata removes the offsets selector picks, turns groups
// left Empty without offsets into Dead, and writes tombstones for both. It
// returns how many offsets were removed.
func (c *GroupCoordinator) cleanupGroupMetadata(groups []*GroupMetadata, selector func(*GroupMetadata) map[TopicPartition]OffsetAndMetadata) int {
	total := 0
	for _, g := range groups {
		g.mu.Lock()
		removed := selector(g)
		if g.is(Empty) && !g.hasOffsets() {
			c.infof("Group %s transitioned to Dead in generation %d", g.groupID, g.generationID)
			g.transitionTo(Dead)
		}
		var tombstones []record.Record
		for _, tp := range sortedTopicPartitions(removed) {
			tombstones = append(tombstones, record.Record{Key: OffsetCommitKey(g.groupID, tp.Topic, tp.Partition)})
		}
		if g.is(Dead) && c.removeFromCache(g) && g.generationID > 0 {
			// Groups that only stored offsets (generation 0) never wrote
			// a group record, so they need no tombstone for it.
			tombstones = append(tombstones, record.Record{Key: GroupMetadataKey(g.groupID)})
		}
		if len(tombstones) > 0 {
			// No need to wait for the replicas: a lost tombstone is written
			// again by the next cleanup.
			if _, _, code := c.appendLocal(g.groupID, tombstones, false); code != errNone {
				c.mgrInfof("Failed to append %d tombstones to %s for expired/deleted offsets and/or metadata for group %s: error %d",
					len(tombstones), c.partitionName(g.groupID), g.groupID, code)
			} else {
				total += len(removed)
			}
		}
		g.mu.Unlock()
	}
	return total
}

func (c *GroupCoordinator) removeFromCache(g *GroupMetadata) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.groups[g.groupID] == g {
		delete(c.groups, g.groupID)
		return true
	}
	return false
}

// expirationLoop removes expired offsets every
// offsets.retention.check.interval.ms.
func (c *GroupCoordinator) expirationLoop() {
	defer c.wg.Done()
	t := time.NewTicker(time.Duration(c.cfg.OffsetsRetentionCheckIntervalMs) * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-t.C:
			c.cleanupExpiredOffsets()
		}
	}
}

func (c *GroupCoordinator) cleanupExpiredOffsets() {
	start := time.Now()
	c.mu.Lock()
	groups := make([]*GroupMetadata, 0, len(c.groups))
	for _, g := range c.groups {
		groups = append(groups, g)
	}
	c.mu.Unlock()
	now := start.UnixMilli()
	removed := c.cleanupGroupMetadata(groups, func(g *GroupMetadata) map[TopicPartition]OffsetAndMetadata {
		if g.is(Dead) {
			return nil
		}
		return g.removeExpiredOffsets(now, c.cfg.OffsetsRetentionMs)
	})
	c.mgrInfof("Removed %d expired offsets in %d milliseconds.", removed, time.Since(start).Milliseconds())
}
