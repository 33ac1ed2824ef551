package transaction

import (
	"bytes"
	"testing"
)

func TestKeyBytesMatchesSchema(t *testing.T) {
	// version 0, string "txn-1" (int16 length 5).
	want := []byte{0, 0, 0, 5, 't', 'x', 'n', '-', '1'}
	got := KeyBytes("txn-1")
	if !bytes.Equal(got, want) {
		t.Fatalf("KeyBytes = %v, want %v", got, want)
	}
	id, err := ReadKey(want)
	if err != nil || id != "txn-1" {
		t.Fatalf("ReadKey = %q, %v", id, err)
	}
	if _, err := ReadKey([]byte{0, 1, 0, 0}); err == nil {
		t.Fatal("key version 1 accepted")
	}
	if _, err := ReadKey([]byte{0, 0, 0, 9, 'a'}); err == nil {
		t.Fatal("truncated key accepted")
	}
}

func TestValueBytesMatchesSchema(t *testing.T) {
	tr := TxnTransitMetadata{
		ProducerID: 0x0102030405060708, ProducerEpoch: 3, TxnTimeoutMs: 60000, State: Ongoing,
		Partitions:    newPartitionSet(TopicPartition{"b", 2}, TopicPartition{"a", 1}, TopicPartition{"b", 0}),
		TxnLastUpdate: 1000, TxnStartTimestamp: 900,
	}
	want := []byte{
		0, 0, // version
		1, 2, 3, 4, 5, 6, 7, 8, // producer_id
		0, 3, // producer_epoch
		0, 0, 0xea, 0x60, // transaction_timeout_ms 60000
		1,          // transaction_status Ongoing
		0, 0, 0, 2, // two topics
		0, 1, 'a', 0, 0, 0, 1, 0, 0, 0, 1, // "a" [1]
		0, 1, 'b', 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 2, // "b" [0 2]
		0, 0, 0, 0, 0, 0, 0x03, 0xe8, // last update 1000
		0, 0, 0, 0, 0, 0, 0x03, 0x84, // start 900
	}
	got, err := ValueBytes(tr)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("ValueBytes =\n%v\nwant\n%v", got, want)
	}
	m, err := ReadValue("x", want)
	if err != nil {
		t.Fatal(err)
	}
	if m.ProducerID != tr.ProducerID || m.ProducerEpoch != 3 || m.TxnTimeoutMs != 60000 || m.State != Ongoing ||
		!m.Partitions.equal(tr.Partitions) || m.TxnLastUpdate != 1000 || m.TxnStartTimestamp != 900 ||
		m.LastProducerID != NoProducerID || m.LastProducerEpoch != NoProducerEpoch {
		t.Fatalf("ReadValue = %s", m)
	}
}

func TestEmptyStateHasNullPartitions(t *testing.T) {
	tr := TxnTransitMetadata{ProducerID: 7, ProducerEpoch: 0, TxnTimeoutMs: 1, State: Empty, TxnLastUpdate: 5, TxnStartTimestamp: -1}
	got, err := ValueBytes(tr)
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 1, 0, 0xff, 0xff, 0xff, 0xff,
		0, 0, 0, 0, 0, 0, 0, 5, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	if !bytes.Equal(got, want) {
		t.Fatalf("ValueBytes =\n%v\nwant\n%v", got, want)
	}
	tr.Partitions = newPartitionSet(TopicPartition{"a", 0})
	if _, err := ValueBytes(tr); err == nil {
		t.Fatal("Empty with partitions encoded")
	}
	// Partitions stored for an Empty state (older writers) are ignored.
	m, err := ReadValue("x", want)
	if err != nil || m.State != Empty || len(m.Partitions) != 0 || m.TxnStartTimestamp != -1 {
		t.Fatalf("ReadValue = %v, %v", m, err)
	}
}

func TestReadValueTombstoneAndErrors(t *testing.T) {
	if m, err := ReadValue("x", nil); m != nil || err != nil {
		t.Fatalf("tombstone = %v, %v", m, err)
	}
	if _, err := ReadValue("x", []byte{0, 1}); err == nil {
		t.Fatal("value version 1 accepted")
	}
	good, _ := ValueBytes(TxnTransitMetadata{ProducerID: 1, State: CompleteCommit, Partitions: partitionSet{}, TxnStartTimestamp: 1})
	if _, err := ReadValue("x", good[:len(good)-1]); err == nil {
		t.Fatal("truncated value accepted")
	}
	bad := append([]byte(nil), good...)
	bad[2+8+2+4] = 9 // status byte
	if _, err := ReadValue("x", bad); err == nil {
		t.Fatal("unknown status accepted")
	}
}

func TestFormatRecord(t *testing.T) {
	v, _ := ValueBytes(TxnTransitMetadata{ProducerID: 4, ProducerEpoch: 1, TxnTimeoutMs: 100, State: PrepareCommit,
		Partitions: newPartitionSet(TopicPartition{"t", 0}, TopicPartition{"t", 1}), TxnLastUpdate: 9, TxnStartTimestamp: 8})
	k, val, err := FormatRecord(KeyBytes("id"), v)
	if err != nil || k != "transaction_metadata::transactionalId=id" ||
		val != "producerId:4,producerEpoch:1,state=PrepareCommit,partitions=[t-0,t-1],txnLastUpdateTimestamp=9,txnTimeoutMs=100" {
		t.Fatalf("FormatRecord = %q %q %v", k, val, err)
	}
	if _, val, _ := FormatRecord(KeyBytes("id"), nil); val != "<DELETE>" {
		t.Fatalf("tombstone = %q", val)
	}
}
