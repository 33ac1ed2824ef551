package transaction

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
)

// TransactionStateTopic is the internal topic holding the coordinator's
// state (Kafka's Topic.TRANSACTION_STATE_TOPIC_NAME).
const TransactionStateTopic = "__transaction_state"

// The records of __transaction_state (Kafka's TransactionLogKey and
// TransactionLogValue, both version 0), each prefixed with its int16
// version:
//
//	key   v0: transactional_id string
//	value v0: producer_id int64, producer_epoch int16,
//	          transaction_timeout_ms int32, transaction_status int8,
//	          transaction_partitions nullable array of
//	            [topic string, partition_ids array of int32],
//	          transaction_last_update_timestamp_ms int64,
//	          transaction_start_timestamp_ms int64
//
// Strings are int16 length + UTF-8, arrays int32 count (-1 = null). The
// partitions are null in state Empty. A null value is a tombstone: the
// transactional id expired.
const (
	keyVersion   int16 = 0
	valueVersion int16 = 0
)

var errTruncated = errors.New("truncated transaction log record")

// KeyBytes encodes the record key for a transactional id.
func KeyBytes(transactionalID string) []byte {
	b := make([]byte, 0, 4+len(transactionalID))
	b = binary.BigEndian.AppendUint16(b, uint16(keyVersion))
	return appendString(b, transactionalID)
}

// ValueBytes encodes the record value for a transition.
func ValueBytes(t TxnTransitMetadata) ([]byte, error) {
	if t.State == Empty && len(t.Partitions) != 0 {
		return nil, fmt.Errorf("Transaction is not expected to have any partitions since its state is %s: %s", t.State, t)
	}
	b := make([]byte, 0, 64)
	b = binary.BigEndian.AppendUint16(b, uint16(valueVersion))
	b = binary.BigEndian.AppendUint64(b, uint64(t.ProducerID))
	b = binary.BigEndian.AppendUint16(b, uint16(t.ProducerEpoch))
	b = binary.BigEndian.AppendUint32(b, uint32(t.TxnTimeoutMs))
	b = append(b, byte(t.State))
	if t.State == Empty {
		b = binary.BigEndian.AppendUint32(b, 0xffffffff) // null
	} else {
		byTopic := map[string][]int32{}
		for tp := range t.Partitions {
			byTopic[tp.Topic] = append(byTopic[tp.Topic], tp.Partition)
		}
		topics := make([]string, 0, len(byTopic))
		for topic := range byTopic {
			topics = append(topics, topic)
		}
		sort.Strings(topics)
		b = binary.BigEndian.AppendUint32(b, uint32(len(topics)))
		for _, topic := range topics {
			parts := byTopic[topic]
			sort.Slice(parts, func(i, j int) bool { return parts[i] < parts[j] })
			b = appendString(b, topic)
			b = binary.BigEndian.AppendUint32(b, uint32(len(parts)))
			for _, p := range parts {
				b = binary.BigEndian.AppendUint32(b, uint32(p))
			}
		}
	}
	b = binary.BigEndian.AppendUint64(b, uint64(t.TxnLastUpdate))
	b = binary.BigEndian.AppendUint64(b, uint64(t.TxnStartTimestamp))
	return b, nil
}

func appendString(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
	return append(b, s...)
}

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) take(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || len(d.b) < n {
		d.err = errTruncated
		return nil
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) i8() int8 {
	if v := d.take(1); v != nil {
		return int8(v[0])
	}
	return 0
}

func (d *decoder) i16() int16 {
	if v := d.take(2); v != nil {
		return int16(binary.BigEndian.Uint16(v))
	}
	return 0
}

func (d *decoder) i32() int32 {
	if v := d.take(4); v != nil {
		return int32(binary.BigEndian.Uint32(v))
	}
	return 0
}

func (d *decoder) i64() int64 {
	if v := d.take(8); v != nil {
		return int64(binary.BigEndian.Uint64(v))
	}
	return 0
}

func (d *decoder) str() string {
	n := d.i16()
	if n < 0 {
		if d.err == nil {
			d.err = errors.New("null string in transaction log record")
		}
		return ""
	}
	return string(d.take(int(n)))
}

// ReadKey decodes a record key into its transactional id.
func ReadKey(b []byte) (string, error) {
	d := &decoder{b: b}
	v := d.i16()
	if d.err != nil {
		return "", d.err
	}
	if v != keyVersion {
		return "", fmt.Errorf("Unknown version %d from the transaction log message", v)
	}
	id := d.str()
	return id, d.err
}

// ReadValue decodes a record value into metadata for transactionalID. A
// nil value (tombstone) returns nil.
func ReadValue(transactionalID string, b []byte) (*TransactionMetadata, error) {
	if b == nil {
		return nil, nil
	}
	d := &decoder{b: b}
	v := d.i16()
	if d.err != nil {
		return nil, d.err
	}
	if v != valueVersion {
		return nil, fmt.Errorf("Unknown version %d from the transaction log message value", v)
	}
	pid := d.i64()
	epoch := d.i16()
	timeout := d.i32()
	status := d.i8()
	parts := partitionSet{}
	n := d.i32()
	for i := int32(0); i < n && d.err == nil; i++ {
		topic := d.str()
		np := d.i32()
		for j := int32(0); j < np && d.err == nil; j++ {
			parts[TopicPartition{topic, d.i32()}] = struct{}{}
		}
	}
	lastUpdate := d.i64()
	start := d.i64()
	if d.err != nil {
		return nil, d.err
	}
	state, err := StateFromByte(status)
	if err != nil {
		return nil, err
	}
	m := newTransactionMetadata(transactionalID, pid, NoProducerID, epoch, NoProducerEpoch, timeout, state, lastUpdate)
	m.TxnStartTimestamp = start
	if state != Empty {
		m.Partitions = parts
	}
	return m, nil
}

// FormatRecord renders a record the way kafka-dump-log prints
// __transaction_state (TransactionLog.formatRecordKeyAndValue).
func FormatRecord(key, value []byte) (string, string, error) {
	id, err := ReadKey(key)
	if err != nil {
		return "", "", err
	}
	k := "transaction_metadata::transactionalId=" + id
	m, err := ReadValue(id, value)
	if err != nil {
		return k, "", err
	}
	if m == nil {
		return k, "<DELETE>", nil
	}
	parts := ""
	for i, tp := range m.Partitions.sorted() {
		if i > 0 {
			parts += ","
		}
		parts += tp.String()
	}
	return k, fmt.Sprintf("producerId:%d,producerEpoch:%d,state=%s,partitions=[%s],txnLastUpdateTimestamp=%d,txnTimeoutMs=%d",
		m.ProducerID, m.ProducerEpoch, m.State, parts, m.TxnLastUpdate, m.TxnTimeoutMs), nil
}
