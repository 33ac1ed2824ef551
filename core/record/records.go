package record

import (
	"encoding/binary"
	"fmt"
)

// Header is one record header; Value is nil for a null value.
type Header struct {
	Key   string
	Value []byte
}

// Record is one decoded v2 record. Offset and Timestamp are absolute values
// filled in by DecodeRecords; BuildBatch only reads the delta fields, key,
// value and headers.
type Record struct {
	Attributes     int8
	OffsetDelta    int32
	TimestampDelta int64
	Key, Value     []byte // nil means null
	Headers        []Header

	Offset    int64
	Timestamp int64
}

// DecodeRecords decompresses the batch if needed and decodes every record.
func DecodeRecords(b Batch) ([]Record, error) {
	data, err := Decompress(b.Codec(), b.RecordsSection())
	if err != nil {
		return nil, fmt.Errorf("%w: cannot decompress %s batch at offset %d: %v", ErrCorruptMessage, b.Codec(), b.BaseOffset(), err)
	}
	count := int(b.RecordCount())
	if count < 0 || count > len(data) {
		return nil, fmt.Errorf("%w: record count %d is impossible for %d bytes", ErrCorruptMessage, count, len(data))
	}
	out := make([]Record, 0, count)
	base, first, logAppend := b.BaseOffset(), b.FirstTimestamp(), b.TimestampType() == LogAppendTime
	for i := 0; i < count; i++ {
		var r Record
		n, err := decodeRecord(data, &r)
		if err != nil {
			return nil, fmt.Errorf("%w: record %d of batch at offset %d: %v", ErrCorruptMessage, i, base, err)
		}
		data = data[n:]
		r.Offset = base + int64(r.OffsetDelta)
		if logAppend {
			r.Timestamp = b.MaxTimestamp()
		} else {
			r.Timestamp = first + r.TimestampDelta
		}
		out = append(out, r)
	}
	if len(data) != 0 {
		return nil, fmt.Errorf("%w: %d bytes left after the last record of batch at offset %d", ErrCorruptMessage, len(data), base)
	}
	return out, nil
}

type reader struct {
	buf []byte
	err error
}

func (r *reader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.buf)
	if n <= 0 {
		r.err = fmt.Errorf("bad varint")
		return 0
	}
	r.buf = r.buf[n:]
	return v
}

// bytes reads a varint-length-prefixed byte string; -1 means null.
func (r *reader) bytes() []byte {
	n := r.varint()
	if r.err != nil || n < 0 {
		return nil
	}
	if n > int64(len(r.buf)) {
		r.err = fmt.Errorf("field of %d bytes exceeds remaining %d", n, len(r.buf))
		return nil
	}
	v := r.buf[:n:n]
	r.buf = r.buf[n:]
	return v
}

func decodeRecord(data []byte, rec *Record) (int, error) {
	length, n := binary.Varint(data)
	if n <= 0 || length < 0 || length > int64(len(data)-n) {
		return 0, fmt.Errorf("bad record length")
	}
	body := data[n : n+int(length)]
	if len(body) < 1 {
		return 0, fmt.Errorf("empty record")
	}
	rec.Attributes = int8(body[0])
	r := reader{buf: body[1:]}
	rec.TimestampDelta = r.varint()
	rec.OffsetDelta = int32(r.varint())
	rec.Key = r.bytes()
	rec.Value = r.bytes()
	nh := r.varint()
	if r.err == nil && (nh < 0 || nh > int64(len(r.buf))) {
		return 0, fmt.Errorf("bad header count %d", nh)
	}
	for i := int64(0); i < nh && r.err == nil; i++ {
		k := r.bytes()
		v := r.bytes()
		rec.Headers = append(rec.Headers, Header{Key: string(k), Value: v})
	}
	if r.err != nil {
		return 0, r.err
	}
	if len(r.buf) != 0 {
		return 0, fmt.Errorf("%d unread bytes inside record", len(r.buf))
	}
	return n + int(length), nil
}

func appendBytes(dst, v []byte) []byte {
	if v == nil {
		return binary.AppendVarint(dst, -1)
	}
	dst = binary.AppendVarint(dst, int64(len(v)))
	return append(dst, v...)
}

// AppendRecord appends the wire form of r (length prefix included).
func AppendRecord(dst []byte, r *Record) []byte {
	var body [binary.MaxVarintLen64 * 4]byte
	b := body[:0]
	b = append(b, byte(r.Attributes))
	b = binary.AppendVarint(b, r.TimestampDelta)
	b = binary.AppendVarint(b, int64(r.OffsetDelta))
	b = appendBytes(b, r.Key)
	b = appendBytes(b, r.Value)
	b = binary.AppendVarint(b, int64(len(r.Headers)))
	for _, h := range r.Headers {
		b = appendBytes(b, []byte(h.Key))
		b = appendBytes(b, h.Value)
	}
	dst = binary.AppendVarint(dst, int64(len(b)))
	return append(dst, b...)
}

// BatchOptions describes the header of a batch built by BuildBatchWith.
type BatchOptions struct {
	BaseOffset           int64
	PartitionLeaderEpoch int32
	Codec                Codec
	FirstTimestamp       int64
	// LogAppendTime, when >= 0, marks the batch LogAppendTime with this max timestamp.
	LogAppendTime int64
	ProducerID    int64
	ProducerEpoch int16
	BaseSequence  int32
	Transactional bool
	Control       bool
	// KeepOffsetDeltas uses each record's OffsetDelta (compacted or
	// converted data) instead of numbering records 0..n-1.
	KeepOffsetDeltas bool
}

// DefaultBatchOptions is what a non-idempotent producer sends.
func DefaultBatchOptions(codec Codec, firstTimestamp int64) BatchOptions {
	return BatchOptions{
		PartitionLeaderEpoch: NoPartitionLeaderEpoch, Codec: codec, FirstTimestamp: firstTimestamp,
		LogAppendTime: -1, ProducerID: NoProducerID, ProducerEpoch: NoProducerEpoch, BaseSequence: NoSequence,
	}
}

// BuildBatch builds a v2 batch at base offset 0 the way a plain producer
// would: offset deltas 0..n-1, timestamps baseTimestamp+TimestampDelta.
func BuildBatch(records []Record, codec Codec, baseTimestamp int64) ([]byte, error) {
	return BuildBatchWith(DefaultBatchOptions(codec, baseTimestamp), records)
}

// BuildBatchWith builds a complete v2 batch with a valid CRC.
func BuildBatchWith(o BatchOptions, records []Record) ([]byte, error) {
	if len(records) == 0 {
		return nil, fmt.Errorf("%w: a record batch needs at least one record", ErrInvalidRecord)
	}
	raw := make([]byte, 0, 64*len(records))
	maxTs := NoTimestamp
	var lastDelta int32
	for i := range records {
		r := records[i]
		if !o.KeepOffsetDeltas {
			r.OffsetDelta = int32(i)
		}
		lastDelta = max(lastDelta, r.OffsetDelta)
		if ts := o.FirstTimestamp + r.TimestampDelta; ts > maxTs {
			maxTs = ts
		}
		raw = AppendRecord(raw, &r)
	}
	if o.FirstTimestamp < 0 {
		maxTs = NoTimestamp
	}
	body, err := Compress(o.Codec, raw)
	if err != nil {
		return nil, err
	}
	attrs := int16(o.Codec) & codecMask
	if o.LogAppendTime >= 0 {
		attrs |= timestampTypeMask
		maxTs = o.LogAppendTime
	}
	if o.Transactional {
		attrs |= transactionalMask
	}
	if o.Control {
		attrs |= controlMask
	}
	b := make([]byte, BatchHeaderSize, BatchHeaderSize+len(body))
	be.PutUint64(b[baseOffsetOffset:], uint64(o.BaseOffset))
	be.PutUint32(b[lengthOffset:], uint32(BatchHeaderSize-LogOverhead+len(body)))
	be.PutUint32(b[partitionLeaderEpochOffset:], uint32(o.PartitionLeaderEpoch))
	b[magicOffset] = byte(MagicV2)
	be.PutUint16(b[attributesOffset:], uint16(attrs))
	be.PutUint32(b[lastOffsetDeltaOffset:], uint32(lastDelta))
	be.PutUint64(b[firstTimestampOffset:], uint64(o.FirstTimestamp))
	be.PutUint64(b[maxTimestampOffset:], uint64(maxTs))
	be.PutUint64(b[producerIDOffset:], uint64(o.ProducerID))
	be.PutUint16(b[producerEpochOffset:], uint16(o.ProducerEpoch))
	be.PutUint32(b[baseSequenceOffset:], uint32(o.BaseSequence))
	be.PutUint32(b[recordCountOffset:], uint32(len(records)))
	b = append(b, body...)
	be.PutUint32(b[crcOffset:], Batch(b).ComputeCRC())
	return b, nil
}
