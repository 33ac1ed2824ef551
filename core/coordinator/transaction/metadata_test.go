package transaction

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
)

func TestValidTransitions(t *testing.T) {
	valid := map[[2]TransactionState]bool{}
	for to, froms := range validPreviousStates {
		for _, from := range froms {
			valid[[2]TransactionState{from, to}] = true
		}
	}
	cases := []struct {
		from, to TransactionState
		ok       bool
	}{
		{Empty, Ongoing, true}, {Ongoing, PrepareCommit, true}, {PrepareCommit, CompleteCommit, true},
		{Ongoing, PrepareEpochFence, true}, {PrepareEpochFence, PrepareAbort, true}, {CompleteAbort, Dead, true},
		{Empty, PrepareCommit, false}, {PrepareCommit, PrepareAbort, false}, {PrepareAbort, CompleteCommit, false},
		{Ongoing, Dead, false}, {Ongoing, Empty, false}, {PrepareEpochFence, CompleteAbort, false},
	}
	for _, c := range cases {
		if got := IsValidTransition(c.from, c.to); got != c.ok || valid[[2]TransactionState{c.from, c.to}] != c.ok {
			t.Errorf("%s -> %s valid = %v, want %v", c.from, c.to, got, c.ok)
		}
	}
	if Empty.String() != "Empty" || PrepareEpochFence.String() != "PrepareEpochFence" {
		t.Fatal("state names")
	}
}

func newMeta() *TransactionMetadata {
	return newTransactionMetadata("t", 10, NoProducerID, NoProducerEpoch, NoProducerEpoch, 1000, Empty, 0)
}

func mustComplete(t *testing.T, m *TransactionMetadata, tr TxnTransitMetadata, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	if err := m.completeTransitionTo(tr); err != nil {
		t.Fatal(err)
	}
}

func TestTransactionLifecycle(t *testing.T) {
	m := newMeta()
	tr, code, err := m.prepareIncrementProducerEpoch(2000, nil, 1)
	if code != 0 {
		t.Fatal(code)
	}
	mustComplete(t, m, tr, err)
	if m.ProducerEpoch != 0 || m.State != Empty || m.TxnTimeoutMs != 2000 {
		t.Fatalf("after init: %s", m)
	}
	// A second transition while one is pending is refused.
	tr, err = m.prepareAddPartitions(newPartitionSet(TopicPartition{"a", 0}), 5)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.prepareAddPartitions(newPartitionSet(TopicPartition{"a", 1}), 5); err == nil {
		t.Fatal("second pending transition allowed")
	}
	mustComplete(t, m, tr, nil)
	if m.State != Ongoing || m.TxnStartTimestamp != 5 || len(m.Partitions) != 1 {
		t.Fatalf("after add: %s", m)
	}
	tr, err = m.prepareAddPartitions(newPartitionSet(TopicPartition{"b", 0}), 7)
	mustComplete(t, m, tr, err)
	if m.TxnStartTimestamp != 5 || len(m.Partitions) != 2 || m.TxnLastUpdate != 7 {
		t.Fatalf("after second add: %s", m)
	}
	tr, err = m.prepareAbortOrCommit(PrepareCommit, 8)
	mustComplete(t, m, tr, err)
	if m.State != PrepareCommit || len(m.Partitions) != 2 {
		t.Fatalf("after prepare: %s", m)
	}
	complete, err := m.prepareComplete(9)
	if err != nil || complete.State != CompleteCommit || len(complete.Partitions) != 0 {
		t.Fatalf("prepareComplete = %s, %v", complete, err)
	}
	// Markers written partition by partition.
	for _, tp := range m.Partitions.sorted() {
		if err := m.removePartition(tp); err != nil {
			t.Fatal(err)
		}
	}
	mustComplete(t, m, complete, nil)
	if m.State != CompleteCommit || len(m.Partitions) != 0 || m.TxnLastUpdate != 9 {
		t.Fatalf("after complete: %s", m)
	}
	if err := m.removePartition(TopicPartition{"a", 0}); err == nil {
		t.Fatal("removePartition outside Prepare* allowed")
	}
}

func TestCompleteTransitionChecksInvariants(t *testing.T) {
	m := newMeta()
	if err := m.completeTransitionTo(TxnTransitMetadata{State: Empty}); err == nil {
		t.Fatal("completion without pending state allowed")
	}
	tr, _, _ := m.prepareIncrementProducerEpoch(1000, nil, 1)
	bad := tr
	bad.ProducerEpoch = 5 // not a bump by one
	if err := m.completeTransitionTo(bad); err == nil {
		t.Fatal("epoch jump accepted")
	}
	bad = tr
	bad.State = Ongoing
	if err := m.completeTransitionTo(bad); err == nil {
		t.Fatal("transition to a state other than the pending one accepted")
	}
	mustComplete(t, m, tr, nil)
	if _, err := m.prepareAbortOrCommit(PrepareCommit, 2); err == nil {
		t.Fatal("Empty -> PrepareCommit allowed")
	}
}

func TestEpochFenceAndRecovery(t *testing.T) {
	m := newMeta()
	tr, _, err := m.prepareIncrementProducerEpoch(1000, nil, 1)
	mustComplete(t, m, tr, err)
	tr, err = m.prepareAddPartitions(newPartitionSet(TopicPartition{"a", 0}), 2)
	mustComplete(t, m, tr, err)
	fence, err := m.prepareFenceProducerEpoch()
	if err != nil || fence.ProducerEpoch != 1 || fence.State != PrepareEpochFence || m.PendingState() != PrepareEpochFence {
		t.Fatalf("fence = %s, %v", fence, err)
	}
	m.pending = noState
	m.hasFailedEpochFence = true
	fence, _ = m.prepareFenceProducerEpoch()
	if fence.ProducerEpoch != 0 {
		t.Fatalf("failed fence bumped again: %s", fence)
	}
	m.pending = noState

	// KIP-360: expected epochs.
	m = newMeta()
	m.ProducerEpoch, m.LastProducerEpoch = 5, 4
	zero := int16(5)
	tr, code, err := m.prepareIncrementProducerEpoch(1000, &zero, 1)
	if err != nil || code != 0 || tr.ProducerEpoch != 6 || tr.LastProducerEpoch != 5 {
		t.Fatalf("matching expected epoch: %s %d %v", tr, code, err)
	}
	m.pending = noState
	four := int16(4)
	tr, code, _ = m.prepareIncrementProducerEpoch(1000, &four, 1)
	if code != 0 || tr.ProducerEpoch != 5 || tr.LastProducerEpoch != 4 {
		t.Fatalf("retry of a bump: %s %d", tr, code)
	}
	m.pending = noState
	two := int16(2)
	if _, code, _ = m.prepareIncrementProducerEpoch(1000, &two, 1); code != kerr.ProducerFenced.Code {
		t.Fatalf("stale epoch code %d", code)
	}
	// Exhausted epochs: no more bumps, rotation to a new id instead.
	m = newMeta()
	m.ProducerEpoch = 32766
	if _, _, err := m.prepareIncrementProducerEpoch(1000, nil, 1); err == nil {
		t.Fatal("bump past the exhausted epoch")
	}
	tr, err = m.prepareProducerIDRotation(11, 1000, 1, true)
	mustComplete(t, m, tr, err)
	if m.ProducerID != 11 || m.ProducerEpoch != 0 || m.LastProducerEpoch != 32766 || m.LastProducerID != 10 {
		t.Fatalf("after rotation: %s last=%d/%d", m, m.LastProducerID, m.LastProducerEpoch)
	}
}
