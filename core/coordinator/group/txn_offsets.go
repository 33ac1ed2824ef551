package group

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/gokafka/kafka/core/record"
)

// Transactional offset commits (KIP-98). A transactional producer commits
// a group's offsets with TxnOffsetCommit after AddOffsetsToTxn put the
// group's __consumer_offsets partition into its transaction. The records
// go to that partition in a transactional batch carrying the producer's id
// and epoch, and stay pending (invisible to OffsetFetch) until the
// transaction coordinator's marker settles them: a commit marker turns them
// into the group's committed offsets, an abort marker drops them. The
// WriteTxnMarkers handler tells the coordinator with HandleTxnCompletion;
// loading a partition replays the markers found in the log.

var errInvalidProducerEpoch = kerr.InvalidProducerEpoch.Code

// Control record types: the int16 after the version in a marker's key
// (Kafka's ControlRecordType).
const (
	controlTypeAbort  int16 = 0
	controlTypeCommit int16 = 1
)

// controlRecordType reads the type of a control batch's first record;
// ok is false for an empty batch (its records were cleaned away).
func controlRecordType(b record.Batch) (typ int16, ok bool, err error) {
	recs, err := record.DecodeRecords(b)
	if err != nil {
		return 0, false, err
	}
	if len(recs) == 0 {
		return 0, false, nil
	}
	key := recs[0].Key
	if len(key) < 4 {
		return 0, false, fmt.Errorf("control record key of %d bytes at offset %d", len(key), b.BaseOffset())
	}
	return int16(binary.BigEndian.Uint16(key[2:4])), true, nil
}

// TxnCommit identifies a TxnOffsetCommit: the group, the committing
// member when the producer is also a group member (v3), and the producer.
type TxnCommit struct {
	GroupID       string
	MemberID      string // "" when not given
	InstanceID    *string
	GenerationID  int32 // -1 when not given
	ProducerID    int64
	ProducerEpoch int16
}

// HandleTxnCommitOffsets stores offsets committed inside a transaction.
// They are written to the log now and become visible when the
// transaction commits. It returns one error code per partition.
func (c *GroupCoordinator) HandleTxnCommitOffsets(req TxnCommit, offsets map[TopicPartition]OffsetAndMetadata) map[TopicPartition]int16 {
	if code := c.validateGroupStatus(req.GroupID, apiTxnCommit); code != errNone {
		return allErrors(offsets, code)
	}
	g := c.getOrMaybeCreateGroup(req.GroupID, true)
	g.mu.Lock()
	var wait func() int16
	var accepted map[TopicPartition]commitRecord
	code := errNone
	switch {
	case g.is(Dead):
		// Removed meanwhile (deleted, or its partition moved away).
		code = errCoordinatorNotAvailable
	case g.isStaticMemberFenced(req.MemberID, req.InstanceID):
		code = errFencedInstanceID
	case req.MemberID != "" && !g.has(req.MemberID):
		// The member id and generation are checked only when given
		// (TxnOffsetCommit v3, KIP-447).
		code = errUnknownMemberID
	case req.GenerationID >= 0 && req.GenerationID != g.generationID:
		code = errIllegalGeneration
	default:
		accepted, wait, code = c.prepareStoreTxnOffsets(g, req, offsets)
	}
	g.mu.Unlock()
	if wait == nil {
		if code == errNone {
			return allErrors(offsets, errOffsetMetadataTooLarge)
		}
		return c.txnCommitStatus(offsets, code)
	}
	code = wait()
	if code != errNone {
		g.mu.Lock()
		if !g.is(Dead) {
			for tp, rec := range accepted {
				g.failPendingTxnOffsetCommit(req.ProducerID, tp, rec)
			}
		}
		g.mu.Unlock()
	}
	return c.txnCommitStatus(offsets, code)
}

// txnCommitStatus answers code for every commit with valid metadata and
// OFFSET_METADATA_TOO_LARGE for the others.
func (c *GroupCoordinator) txnCommitStatus(offsets map[TopicPartition]OffsetAndMetadata, code int16) map[TopicPartition]int16 {
	out := make(map[TopicPartition]int16, len(offsets))
	for tp, om := range offsets {
		if len(om.Metadata) > c.cfg.OffsetMetadataMaxBytes {
			out[tp] = errOffsetMetadataTooLarge
		} else {
			out[tp] = code
		}
	}
	return out
}

// prepareStoreTxnOffsets appends the valid commits as one transactional
// batch of the producer and records them as the producer's pending
// commits. wait is nil when nothing was appended (code says why, or none
// was valid). Caller holds the group lock.
func (c *GroupCoordinator) prepareStoreTxnOffsets(g *GroupMetadata, req TxnCommit, offsets map[TopicPartition]OffsetAndMetadata) (map[TopicPartition]commitRecord, func() int16, int16) {
	valid := c.validOffsets(offsets)
	if len(valid) == 0 {
		return nil, nil, errNone
	}
	if g.receivedConsumerOffsetCommits {
		c.warnMixedCommits(g)
	}
	recs := offsetRecords(g.groupID, valid)
	p := c.PartitionFor(g.groupID)

	// The sequence bookkeeping and the append go together, so that two
	// commits of one producer never get the same sequence.
	c.txnMu.Lock()
	seq, code := c.nextTxnSequence(p, req.ProducerID, req.ProducerEpoch)
	if code != errNone {
		c.txnMu.Unlock()
		return nil, nil, code
	}
	opts := record.DefaultBatchOptions(c.cfg.OffsetsTopicCompression, time.Now().UnixMilli())
	opts.ProducerID, opts.ProducerEpoch, opts.BaseSequence, opts.Transactional = req.ProducerID, req.ProducerEpoch, seq, true
	base, wait := c.appendForGroupAt(g.groupID, recs, true, &opts)
	c.txnMu.Unlock()
	if base < 0 {
		return nil, nil, wait()
	}

	g.receivedTxnOffsetCommits = true
	pend := g.pendingTxnOffsets[req.ProducerID]
	if pend == nil {
		pend = map[TopicPartition]commitRecord{}
		g.pendingTxnOffsets[req.ProducerID] = pend
	}
	accepted := make(map[TopicPartition]commitRecord, len(valid))
	for tp, om := range valid {
		rec := commitRecord{appendedBatchOffset: base, om: om}
		pend[tp] = rec
		accepted[tp] = rec
	}
	c.debugf("TxnOffsetCommit for producer %d and group %s with offsets %v is pending", req.ProducerID, g.groupID, valid)
	return accepted, wait, errNone
}

func (c *GroupCoordinator) warnMixedCommits(g *GroupMetadata) {
	c.mgrLog.Warnf("[GroupMetadataManager brokerId=%d] group: %s with leader: %s has received offset commits from consumers as well as transactional producers. Mixing both types of offset commits will generally result in surprises and should be avoided.",
		c.cfg.BrokerID, g.groupID, g.leaderOrEmpty())
}

func (c *GroupCoordinator) debugf(f string, a ...any) {
	c.mgrLog.Debugf(fmt.Sprintf("[GroupMetadataManager brokerId=%d] ", c.cfg.BrokerID)+f, a...)
}

// HandleTxnCompletion is called by the WriteTxnMarkers handler after a
// transaction marker for producerID has been appended (and replicated) to
// the given __consumer_offsets partitions this broker leads: commit makes
// the producer's pending transactional offsets for groups on those
// partitions visible, abort drops them (Kafka's
// GroupCoordinator.scheduleHandleTxnCompletion). Partitions this broker
// does not coordinate are ignored. For a partition still being loaded the
// completion runs after the load, which may not have seen the marker.
func (c *GroupCoordinator) HandleTxnCompletion(producerID int64, offsetsPartitions []int32, commit bool) {
	parts := map[int32]bool{}
	var loading []int32
	c.mu.Lock()
	for _, p := range offsetsPartitions {
		if parts[p] {
			continue
		}
		parts[p] = true
		if _, ok := c.loading[p]; ok {
			loading = append(loading, p)
		}
	}
	c.mu.Unlock()
	c.completeTxn(producerID, parts, commit)
	if len(loading) > 0 {
		c.sched.Schedule(func() {
			ps := map[int32]bool{}
			for _, p := range loading {
				ps[p] = true
			}
			c.completeTxn(producerID, ps, commit)
		})
	}
}

// completeTxn settles the producer's pending commits in the groups of
// the given partitions.
func (c *GroupCoordinator) completeTxn(producerID int64, parts map[int32]bool, commit bool) {
	c.mu.Lock()
	var groups []*GroupMetadata
	for id, g := range c.groups {
		if parts[c.PartitionFor(id)] {
			groups = append(groups, g)
		}
	}
	c.mu.Unlock()
	for _, g := range groups {
		g.mu.Lock()
		if !g.is(Dead) && g.hasPendingOffsetCommitsFromProducer(producerID) {
			g.completePendingTxnOffsetCommit(producerID, commit)
			if commit {
				c.debugf("TxnOffsetCommit for producer %d and group %s committed", producerID, g.groupID)
			} else {
				c.debugf("TxnOffsetCommit for producer %d and group %s aborted", producerID, g.groupID)
			}
		}
		g.mu.Unlock()
	}
}

// Group-side bookkeeping of pending transactional commits. Callers hold
// the group lock.

func (g *GroupMetadata) hasPendingOffsetCommitsFromProducer(pid int64) bool {
	return len(g.pendingTxnOffsets[pid]) > 0
}

// hasPendingOffsetCommitsFor is true while a plain commit of tp is being
// written or a transaction holding a commit of tp is undecided.
func (g *GroupMetadata) hasPendingOffsetCommitsFor(tp TopicPartition) bool {
	if _, ok := g.pendingOffsetCommits[tp]; ok {
		return true
	}
	for _, pend := range g.pendingTxnOffsets {
		if _, ok := pend[tp]; ok {
			return true
		}
	}
	return false
}

// failPendingTxnOffsetCommit forgets a commit whose write failed, unless
// a later commit of the same producer replaced it meanwhile.
func (g *GroupMetadata) failPendingTxnOffsetCommit(pid int64, tp TopicPartition, rec commitRecord) {
	pend := g.pendingTxnOffsets[pid]
	if cur, ok := pend[tp]; ok && cur == rec {
		delete(pend, tp)
	}
	if pend != nil && len(pend) == 0 {
		delete(g.pendingTxnOffsets, pid)
	}
}

// completePendingTxnOffsetCommit settles a producer's pending commits: on
// commit each becomes the partition's offset unless the current one was
// written later in the log; on abort they are dropped.
func (g *GroupMetadata) completePendingTxnOffsetCommit(pid int64, commit bool) {
	pend := g.pendingTxnOffsets[pid]
	delete(g.pendingTxnOffsets, pid)
	if !commit {
		return
	}
	for tp, rec := range pend {
		if cur, ok := g.offsets[tp]; !ok || cur.appendedBatchOffset < rec.appendedBatchOffset {
			g.offsets[tp] = rec
		}
	}
}

// Producer sequences. The batches of a transactional commit carry the
// producer's id and epoch like the producer's own batches, and the log
// checks each producer's sequences per partition as for any leader append,
// so the coordinator numbers its batches on from where the log's producer
// state stands for that producer in the offsets partition (0 for an epoch
// the partition has not seen). Kafka skips those checks for coordinator
// appends; numbering the batches keeps them meaningful here.

// nextTxnSequence returns the base sequence of the producer's next batch
// in the offsets partition, or INVALID_PRODUCER_EPOCH for an epoch older
// than the one the partition has seen (a fenced producer). Caller holds
// txnMu, so that no other transactional commit slips in before the append.
func (c *GroupCoordinator) nextTxnSequence(p int32, pid int64, epoch int16) (int32, int16) {
	part := c.rm.Partition(OffsetsTopic, p)
	if part == nil || part.Log() == nil {
		return 0, errNotCoordinator
	}
	for _, ap := range part.Log().ActiveProducers() {
		if ap.ProducerID != pid {
			continue
		}
		switch {
		case epoch < ap.ProducerEpoch:
			return 0, errInvalidProducerEpoch
		case epoch > ap.ProducerEpoch:
			return 0, errNone
		}
		return incSequence(ap.LastSequence), errNone
	}
	return 0, errNone
}

// incSequence is the sequence after seq, wrapping past MaxInt32 to 0 as
// producers do; after none (-1) comes 0.
func incSequence(seq int32) int32 {
	if seq < 0 || seq == math.MaxInt32 {
		return 0
	}
	return seq + 1
}
