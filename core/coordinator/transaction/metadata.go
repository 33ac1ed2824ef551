package transaction

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/twmb/franz-go/pkg/kerr"
)

// TransactionState is the state of a transactional id, as stored in the
// transaction_status byte of __transaction_state values.
type TransactionState int8

// The states of Kafka's TransactionMetadata. PrepareEpochFence is only ever
// a pending (in-memory) state: it is never written to the log.
const (
	Empty             TransactionState = 0
	Ongoing           TransactionState = 1
	PrepareCommit     TransactionState = 2
	PrepareAbort      TransactionState = 3
	CompleteCommit    TransactionState = 4
	CompleteAbort     TransactionState = 5
	Dead              TransactionState = 6
	PrepareEpochFence TransactionState = 7

	noState TransactionState = -1 // no pending transition
)

var stateNames = [...]string{"Empty", "Ongoing", "PrepareCommit", "PrepareAbort", "CompleteCommit", "CompleteAbort", "Dead", "PrepareEpochFence"}

func (s TransactionState) String() string {
	if s >= 0 && int(s) < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("TransactionState(%d)", int8(s))
}

// StateFromByte decodes a stored status byte.
func StateFromByte(b int8) (TransactionState, error) {
	if b < 0 || int(b) >= len(stateNames) {
		return noState, fmt.Errorf("Unknown transaction state byte %d from the transaction status message", b)
	}
	return TransactionState(b), nil
}

// expirationAllowed: a transactional id in this state may expire after
// transactional.id.expiration.ms without use.
func (s TransactionState) expirationAllowed() bool {
	return s == Empty || s == CompleteCommit || s == CompleteAbort
}

// validPreviousStates lists, for each target state, the states it may be
// entered from.
var validPreviousStates = map[TransactionState][]TransactionState{
	Empty:             {Empty, CompleteCommit, CompleteAbort},
	Ongoing:           {Ongoing, Empty, CompleteCommit, CompleteAbort},
	PrepareCommit:     {Ongoing},
	PrepareAbort:      {Ongoing, PrepareEpochFence},
	CompleteCommit:    {PrepareCommit},
	CompleteAbort:     {PrepareAbort},
	Dead:              {Empty, CompleteAbort, CompleteCommit},
	PrepareEpochFence: {Ongoing},
}

// IsValidTransition reports whether from -> to is allowed.
func IsValidTransition(from, to TransactionState) bool {
	for _, s := range validPreviousStates[to] {
		if s == from {
			return true
		}
	}
	return false
}

// Producer id and epoch sentinels (RecordBatch.NO_PRODUCER_ID/EPOCH).
const (
	NoProducerID    int64 = -1
	NoProducerEpoch int16 = -1
	maxEpoch        int16 = 32767
)

// isEpochExhausted: the coordinator keeps the last epoch (Short.MaxValue)
// to itself so that it can always fence the current producer.
func isEpochExhausted(epoch int16) bool { return epoch >= maxEpoch-1 }

// TopicPartition names one partition of a transaction.
type TopicPartition struct {
	Topic     string
	Partition int32
}

func (tp TopicPartition) String() string { return fmt.Sprintf("%s-%d", tp.Topic, tp.Partition) }

// partitionSet is a set of partitions.
type partitionSet map[TopicPartition]struct{}

func (s partitionSet) clone() partitionSet {
	out := make(partitionSet, len(s))
	for tp := range s {
		out[tp] = struct{}{}
	}
	return out
}

func (s partitionSet) subsetOf(o partitionSet) bool {
	for tp := range s {
		if _, ok := o[tp]; !ok {
			return false
		}
	}
	return true
}

func (s partitionSet) equal(o partitionSet) bool { return len(s) == len(o) && s.subsetOf(o) }

// sorted lists the partitions by topic, then partition.
func (s partitionSet) sorted() []TopicPartition {
	out := make([]TopicPartition, 0, len(s))
	for tp := range s {
		out = append(out, tp)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Topic != out[j].Topic {
			return out[i].Topic < out[j].Topic
		}
		return out[i].Partition < out[j].Partition
	})
	return out
}

func (s partitionSet) String() string {
	parts := make([]string, 0, len(s))
	for _, tp := range s.sorted() {
		parts = append(parts, tp.String())
	}
	return "Set(" + strings.Join(parts, ", ") + ")"
}

func newPartitionSet(tps ...TopicPartition) partitionSet {
	s := make(partitionSet, len(tps))
	for _, tp := range tps {
		s[tp] = struct{}{}
	}
	return s
}

// TxnTransitMetadata is the target of a state change: written to the log
// first, applied to the in-memory TransactionMetadata once durable.
type TxnTransitMetadata struct {
	ProducerID        int64
	LastProducerID    int64
	ProducerEpoch     int16
	LastProducerEpoch int16
	TxnTimeoutMs      int32
	State             TransactionState
	Partitions        partitionSet
	TxnStartTimestamp int64
	TxnLastUpdate     int64
}

func (t TxnTransitMetadata) String() string {
	return fmt.Sprintf("TxnTransitMetadata(producerId=%d, lastProducerId=%d, producerEpoch=%d, lastProducerEpoch=%d, txnTimeoutMs=%d, txnState=%s, topicPartitions=%s, txnStartTimestamp=%d, txnLastUpdateTimestamp=%d)",
		t.ProducerID, t.LastProducerID, t.ProducerEpoch, t.LastProducerEpoch, t.TxnTimeoutMs, t.State, t.Partitions, t.TxnStartTimestamp, t.TxnLastUpdate)
}

// TransactionMetadata is the coordinator's view of one transactional id.
// All fields are guarded by mu (Kafka's txnMetadata.inLock).
type TransactionMetadata struct {
	mu sync.Mutex

	TransactionalID   string
	ProducerID        int64
	LastProducerID    int64
	ProducerEpoch     int16
	LastProducerEpoch int16
	TxnTimeoutMs      int32
	State             TransactionState
	Partitions        partitionSet
	TxnStartTimestamp int64
	TxnLastUpdate     int64

	// pending is the state being written to the log (noState if none);
	// it blocks other transitions meanwhile.
	pending TransactionState
	// hasFailedEpochFence: an epoch bump for fencing may not have reached
	// the log, so the next fence does not bump again.
	hasFailedEpochFence bool
}

// newTransactionMetadata returns metadata in state with no partitions.
func newTransactionMetadata(id string, producerID, lastProducerID int64, epoch, lastEpoch int16, timeoutMs int32, state TransactionState, now int64) *TransactionMetadata {
	return &TransactionMetadata{
		TransactionalID: id, ProducerID: producerID, LastProducerID: lastProducerID, ProducerEpoch: epoch,
		LastProducerEpoch: lastEpoch, TxnTimeoutMs: timeoutMs, State: state, Partitions: partitionSet{},
		TxnStartTimestamp: -1, TxnLastUpdate: now, pending: noState,
	}
}

func (m *TransactionMetadata) lock()   { m.mu.Lock() }
func (m *TransactionMetadata) unlock() { m.mu.Unlock() }

func (m *TransactionMetadata) String() string {
	pending := "None"
	if m.pending != noState {
		pending = "Some(" + m.pending.String() + ")"
	}
	return fmt.Sprintf("TransactionMetadata(transactionalId=%s, producerId=%d, producerEpoch=%d, txnTimeoutMs=%d, state=%s, pendingState=%s, topicPartitions=%s, txnStartTimestamp=%d, txnLastUpdateTimestamp=%d)",
		m.TransactionalID, m.ProducerID, m.ProducerEpoch, m.TxnTimeoutMs, m.State, pending, m.Partitions, m.TxnStartTimestamp, m.TxnLastUpdate)
}

// pendingInProgress reports whether a transition is being written.
func (m *TransactionMetadata) pendingInProgress() bool { return m.pending != noState }

// PendingState returns the state being written, or -1.
func (m *TransactionMetadata) PendingState() TransactionState { return m.pending }

func (m *TransactionMetadata) isProducerEpochExhausted() bool {
	return isEpochExhausted(m.ProducerEpoch)
}

func (m *TransactionMetadata) hasPendingTransaction() bool {
	return m.State == Ongoing || m.State == PrepareAbort || m.State == PrepareCommit
}

// removePartition drops a partition whose marker was written (or which no
// longer exists) while the transaction completes.
func (m *TransactionMetadata) removePartition(tp TopicPartition) error {
	if m.State != PrepareCommit && m.State != PrepareAbort {
		return fmt.Errorf("Transaction metadata's current state is %s while trying to remove partitions whose txn marker has been sent, this is not expected", m.State)
	}
	delete(m.Partitions, tp)
	return nil
}

// prepareTransitionTo checks the transition and marks it pending.
func (m *TransactionMetadata) prepareTransitionTo(state TransactionState, pid int64, epoch, lastEpoch int16, timeoutMs int32,
	parts partitionSet, start, now int64) (TxnTransitMetadata, error) {
	if m.pending != noState {
		return TxnTransitMetadata{}, fmt.Errorf("Preparing transaction state transition to %s while it already a pending state %s", state, m.pending)
	}
	if pid < 0 {
		return TxnTransitMetadata{}, fmt.Errorf("Illegal new producer id %d", pid)
	}
	if epoch < 0 {
		return TxnTransitMetadata{}, fmt.Errorf("Illegal new producer epoch %d", epoch)
	}
	if !IsValidTransition(m.State, state) {
		return TxnTransitMetadata{}, fmt.Errorf("Preparing transaction state transition to %s failed since the target state %s is not a valid previous state of the current state %s", state, state, m.State)
	}
	m.pending = state
	return TxnTransitMetadata{
		ProducerID: pid, LastProducerID: m.ProducerID, ProducerEpoch: epoch, LastProducerEpoch: lastEpoch,
		TxnTimeoutMs: timeoutMs, State: state, Partitions: parts, TxnStartTimestamp: start, TxnLastUpdate: now,
	}, nil
}

// prepareNoTransit is the current state as a transit, without a pending state.
func (m *TransactionMetadata) prepareNoTransit() TxnTransitMetadata {
	return TxnTransitMetadata{
		ProducerID: m.ProducerID, LastProducerID: m.LastProducerID, ProducerEpoch: m.ProducerEpoch, LastProducerEpoch: m.LastProducerEpoch,
		TxnTimeoutMs: m.TxnTimeoutMs, State: m.State, Partitions: m.Partitions.clone(), TxnStartTimestamp: m.TxnStartTimestamp, TxnLastUpdate: m.TxnLastUpdate,
	}
}

// prepareFenceProducerEpoch bumps the epoch (unless an earlier fence
// failed to reach the log) to abort the ongoing transaction.
func (m *TransactionMetadata) prepareFenceProducerEpoch() (TxnTransitMetadata, error) {
	if m.ProducerEpoch == maxEpoch {
		return TxnTransitMetadata{}, fmt.Errorf("Cannot fence producer with epoch equal to Short.MaxValue since this would overflow")
	}
	bumped := m.ProducerEpoch + 1
	if m.hasFailedEpochFence {
		bumped = m.ProducerEpoch
	}
	return m.prepareTransitionTo(PrepareEpochFence, m.ProducerID, bumped, NoProducerEpoch, m.TxnTimeoutMs,
		m.Partitions.clone(), m.TxnStartTimestamp, m.TxnLastUpdate)
}

// prepareIncrementProducerEpoch is InitProducerId's epoch bump; expected
// is the caller's epoch for KIP-360 recovery (nil when not given). The
// returned code is PRODUCER_FENCED for a stale expected epoch.
func (m *TransactionMetadata) prepareIncrementProducerEpoch(timeoutMs int32, expected *int16, now int64) (TxnTransitMetadata, int16, error) {
	if m.isProducerEpochExhausted() {
		return TxnTransitMetadata{}, 0, fmt.Errorf("Cannot allocate any more producer epochs for producerId %d", m.ProducerID)
	}
	bumped := m.ProducerEpoch + 1
	var next, last int16
	switch {
	case expected == nil:
		next, last = bumped, NoProducerEpoch
	case m.ProducerEpoch == NoProducerEpoch || *expected == m.ProducerEpoch:
		next, last = bumped, m.ProducerEpoch
	case *expected == m.LastProducerEpoch:
		// A retry of a bump whose answer the producer never got.
		next, last = m.ProducerEpoch, m.LastProducerEpoch
	default:
		return TxnTransitMetadata{}, kerr.ProducerFenced.Code, nil
	}
	t, err := m.prepareTransitionTo(Empty, m.ProducerID, next, last, timeoutMs, partitionSet{}, -1, now)
	return t, 0, err
}

// prepareProducerIDRotation moves to a new producer id at epoch 0 once the
// old id's epochs are exhausted.
func (m *TransactionMetadata) prepareProducerIDRotation(newPID int64, timeoutMs int32, now int64, recordLastEpoch bool) (TxnTransitMetadata, error) {
	if m.hasPendingTransaction() {
		return TxnTransitMetadata{}, fmt.Errorf("Cannot rotate producer ids while a transaction is still pending")
	}
	last := NoProducerEpoch
	if recordLastEpoch {
		last = m.ProducerEpoch
	}
	return m.prepareTransitionTo(Empty, newPID, 0, last, timeoutMs, partitionSet{}, -1, now)
}

// prepareAddPartitions starts (or extends) the ongoing transaction.
func (m *TransactionMetadata) prepareAddPartitions(add partitionSet, now int64) (TxnTransitMetadata, error) {
	start := m.TxnStartTimestamp
	switch m.State {
	case Empty, CompleteAbort, CompleteCommit:
		start = now
	}
	parts := m.Partitions.clone()
	for tp := range add {
		parts[tp] = struct{}{}
	}
	return m.prepareTransitionTo(Ongoing, m.ProducerID, m.ProducerEpoch, m.LastProducerEpoch, m.TxnTimeoutMs, parts, start, now)
}

// prepareAbortOrCommit moves to PrepareCommit or PrepareAbort.
func (m *TransactionMetadata) prepareAbortOrCommit(state TransactionState, now int64) (TxnTransitMetadata, error) {
	return m.prepareTransitionTo(state, m.ProducerID, m.ProducerEpoch, m.LastProducerEpoch, m.TxnTimeoutMs,
		m.Partitions.clone(), m.TxnStartTimestamp, now)
}

// prepareComplete moves from PrepareX to CompleteX once the markers are written.
func (m *TransactionMetadata) prepareComplete(now int64) (TxnTransitMetadata, error) {
	state := CompleteAbort
	if m.State == PrepareCommit {
		state = CompleteCommit
	}
	m.hasFailedEpochFence = false
	return m.prepareTransitionTo(state, m.ProducerID, m.ProducerEpoch, m.LastProducerEpoch, m.TxnTimeoutMs,
		partitionSet{}, m.TxnStartTimestamp, now)
}

// prepareDead is the transition of an expiring transactional id.
func (m *TransactionMetadata) prepareDead() (TxnTransitMetadata, error) {
	return m.prepareTransitionTo(Dead, m.ProducerID, m.ProducerEpoch, m.LastProducerEpoch, m.TxnTimeoutMs,
		partitionSet{}, m.TxnStartTimestamp, m.TxnLastUpdate)
}

// completeTransitionTo applies a transition whose record is durable. It
// checks the same invariants as Kafka and refuses anything else.
func (m *TransactionMetadata) completeTransitionTo(t TxnTransitMetadata) error {
	fail := func() error {
		return fmt.Errorf("TransactionalId %s failed transition to state %s due to unexpected metadata (current %s)", m.TransactionalID, t, m)
	}
	if m.pending == noState {
		return fmt.Errorf("TransactionalId %s completing transaction state transition while it does not have a pending state", m.TransactionalID)
	}
	if m.pending != t.State {
		return fail()
	}
	sameProducer := t.ProducerEpoch == m.ProducerEpoch && t.ProducerID == m.ProducerID
	switch t.State {
	case Empty: // InitProducerId
		validBump := t.ProducerEpoch == m.ProducerEpoch+1 || (t.ProducerEpoch == 0 && t.ProducerID != m.ProducerID)
		if (m.ProducerEpoch != t.ProducerEpoch && !validBump) || len(t.Partitions) != 0 || t.TxnStartTimestamp != -1 {
			return fail()
		}
		m.TxnTimeoutMs = t.TxnTimeoutMs
		m.ProducerEpoch = t.ProducerEpoch
		m.LastProducerEpoch = t.LastProducerEpoch
		m.ProducerID = t.ProducerID
		m.LastProducerID = t.LastProducerID
	case Ongoing: // AddPartitions
		if !sameProducer || !m.Partitions.subsetOf(t.Partitions) || m.TxnTimeoutMs != t.TxnTimeoutMs {
			return fail()
		}
		m.TxnStartTimestamp = t.TxnStartTimestamp
		for tp := range t.Partitions {
			m.Partitions[tp] = struct{}{}
		}
	case PrepareAbort, PrepareCommit: // EndTxn
		if !sameProducer || !m.Partitions.equal(t.Partitions) || m.TxnTimeoutMs != t.TxnTimeoutMs || m.TxnStartTimestamp != t.TxnStartTimestamp {
			return fail()
		}
	case CompleteAbort, CompleteCommit: // markers written
		if !sameProducer || m.TxnTimeoutMs != t.TxnTimeoutMs || t.TxnStartTimestamp == -1 {
			return fail()
		}
		m.TxnStartTimestamp = t.TxnStartTimestamp
		m.Partitions = partitionSet{}
	default: // PrepareEpochFence and Dead are never completed
		return fail()
	}
	m.TxnLastUpdate = t.TxnLastUpdate
	m.pending = noState
	m.State = t.State
	return nil
}
