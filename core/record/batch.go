// Package record reads, checks and rewrites Kafka record batches (message
// format v2, "magic 2") at the batch level, so that the broker's append path
// never has to decode individual records. It also converts the legacy
// message sets (magic 0 and 1) to and from v2 and decodes records for tools.
package record

import (
	"encoding/binary"
	"hash/crc32"
)

// Field offsets of the v2 batch header (DefaultRecordBatch in the Java client).
const (
	baseOffsetOffset           = 0
	lengthOffset               = 8
	partitionLeaderEpochOffset = 12
	magicOffset                = 16
	crcOffset                  = 17
	attributesOffset           = 21
	lastOffsetDeltaOffset      = 23
	firstTimestampOffset       = 27
	maxTimestampOffset         = 35
	producerIDOffset           = 43
	producerEpochOffset        = 51
	baseSequenceOffset         = 53
	recordCountOffset          = 57

	// LogOverhead is the baseOffset and length prefix every entry of a log
	// (batch or legacy message) starts with.
	LogOverhead = 12
	// BatchHeaderSize is the fixed size of a v2 batch header.
	BatchHeaderSize = 61
	// HeaderSizeUpToMagic is how many bytes must be present to know an
	// entry's size and magic.
	HeaderSizeUpToMagic = 17
)

// Magic values.
const (
	MagicV0 int8 = 0
	MagicV1 int8 = 1
	MagicV2 int8 = 2
)

// Sentinel values used in batch headers.
const (
	NoTimestamp            int64 = -1
	NoProducerID           int64 = -1
	NoProducerEpoch        int16 = -1
	NoSequence             int32 = -1
	NoPartitionLeaderEpoch int32 = -1
)

// Attribute bits of a v2 batch.
const (
	codecMask         = 0x07
	timestampTypeMask = 0x08
	transactionalMask = 0x10
	controlMask       = 0x20
)

// Codec is the compression codec stored in the low three attribute bits.
type Codec int8

// Compression codecs, numbered as on the wire.
const (
	CodecNone   Codec = 0
	CodecGzip   Codec = 1
	CodecSnappy Codec = 2
	CodecLZ4    Codec = 3
	CodecZstd   Codec = 4
)

// String returns Kafka's name for the codec (the compression.type value).
func (c Codec) String() string {
	switch c {
	case CodecNone:
		return "none"
	case CodecGzip:
		return "gzip"
	case CodecSnappy:
		return "snappy"
	case CodecLZ4:
		return "lz4"
	case CodecZstd:
		return "zstd"
	}
	return "unknown"
}

// TimestampType says whether a batch's timestamps are the producer's or the broker's.
type TimestampType int8

// Timestamp types; NoTimestampType only occurs in magic 0 data.
const (
	NoTimestampType TimestampType = -1
	CreateTime      TimestampType = 0
	LogAppendTime   TimestampType = 1
)

// String returns the name Kafka prints (e.g. in DumpLogSegments).
func (t TimestampType) String() string {
	switch t {
	case CreateTime:
		return "CreateTime"
	case LogAppendTime:
		return "LogAppendTime"
	}
	return "NoTimestampType"
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Batch is a view of one complete v2 record batch. Setters write through to
// the underlying bytes.
type Batch []byte

var be = binary.BigEndian

// BaseOffset is the offset of the batch's first record.
func (b Batch) BaseOffset() int64 { return int64(be.Uint64(b[baseOffsetOffset:])) }

// SetBaseOffset rewrites the base offset; the CRC does not cover it.
func (b Batch) SetBaseOffset(o int64) { be.PutUint64(b[baseOffsetOffset:], uint64(o)) }

// BatchLength is the length field: the bytes after it.
func (b Batch) BatchLength() int32 { return int32(be.Uint32(b[lengthOffset:])) }

// Size is the whole batch size including the log overhead.
func (b Batch) Size() int { return int(b.BatchLength()) + LogOverhead }

// PartitionLeaderEpoch is the leader epoch stamped by the broker on append.
func (b Batch) PartitionLeaderEpoch() int32 {
	return int32(be.Uint32(b[partitionLeaderEpochOffset:]))
}

// SetPartitionLeaderEpoch rewrites the leader epoch; the CRC does not cover it.
func (b Batch) SetPartitionLeaderEpoch(e int32) {
	be.PutUint32(b[partitionLeaderEpochOffset:], uint32(e))
}

// Magic is the format version (2 for a v2 batch).
func (b Batch) Magic() int8 { return int8(b[magicOffset]) }

// CRC is the stored CRC-32C.
func (b Batch) CRC() uint32 { return be.Uint32(b[crcOffset:]) }

// ComputeCRC computes the CRC-32C over attributes..end.
func (b Batch) ComputeCRC() uint32 { return crc32.Checksum(b[attributesOffset:], castagnoli) }

// IsValidCRC reports whether the stored CRC matches the content.
func (b Batch) IsValidCRC() bool { return b.CRC() == b.ComputeCRC() }

// Attributes is the raw attributes field.
func (b Batch) Attributes() int16 { return int16(be.Uint16(b[attributesOffset:])) }

// Codec is the compression codec of the records section.
func (b Batch) Codec() Codec { return Codec(b.Attributes() & codecMask) }

// IsTransactional reports the transactional attribute bit.
func (b Batch) IsTransactional() bool { return b.Attributes()&transactionalMask != 0 }

// IsControl reports the control attribute bit (transaction markers).
func (b Batch) IsControl() bool { return b.Attributes()&controlMask != 0 }

// TimestampType is CreateTime or LogAppendTime.
func (b Batch) TimestampType() TimestampType {
	if b.Attributes()&timestampTypeMask != 0 {
		return LogAppendTime
	}
	return CreateTime
}

// LastOffsetDelta is the offset delta of the batch's last record.
func (b Batch) LastOffsetDelta() int32 { return int32(be.Uint32(b[lastOffsetDeltaOffset:])) }

// LastOffset is BaseOffset + LastOffsetDelta.
func (b Batch) LastOffset() int64 { return b.BaseOffset() + int64(b.LastOffsetDelta()) }

// NextOffset is the offset right after the batch.
func (b Batch) NextOffset() int64 { return b.LastOffset() + 1 }

// FirstTimestamp is the timestamp of the first record (CreateTime base).
func (b Batch) FirstTimestamp() int64 { return int64(be.Uint64(b[firstTimestampOffset:])) }

// MaxTimestamp is the largest record timestamp (or the log append time).
func (b Batch) MaxTimestamp() int64 { return int64(be.Uint64(b[maxTimestampOffset:])) }

// SetMaxTimestamp sets the timestamp type and max timestamp and recomputes
// the CRC, which covers both.
func (b Batch) SetMaxTimestamp(t TimestampType, ts int64) {
	attrs := b.Attributes()
	if t == LogAppendTime {
		attrs |= timestampTypeMask
	} else {
		attrs &^= timestampTypeMask
	}
	be.PutUint16(b[attributesOffset:], uint16(attrs))
	be.PutUint64(b[maxTimestampOffset:], uint64(ts))
	be.PutUint32(b[crcOffset:], b.ComputeCRC())
}

// SetLogAppendTime stamps the batch with the broker's clock, as Kafka does
// for topics with message.timestamp.type=LogAppendTime.
func (b Batch) SetLogAppendTime(now int64) { b.SetMaxTimestamp(LogAppendTime, now) }

// ProducerID is the idempotent/transactional producer id or -1.
func (b Batch) ProducerID() int64 { return int64(be.Uint64(b[producerIDOffset:])) }

// ProducerEpoch is the producer epoch or -1.
func (b Batch) ProducerEpoch() int16 { return int16(be.Uint16(b[producerEpochOffset:])) }

// BaseSequence is the sequence number of the first record or -1.
func (b Batch) BaseSequence() int32 { return int32(be.Uint32(b[baseSequenceOffset:])) }

// RecordCount is the number of records the header claims.
func (b Batch) RecordCount() int32 { return int32(be.Uint32(b[recordCountOffset:])) }

// RecordsSection is the (possibly compressed) bytes after the header.
func (b Batch) RecordsSection() []byte { return b[BatchHeaderSize:] }

// EntryMagic returns the magic byte of the log entry starting at buf, or -1
// if buf is too short to tell. Legacy messages and v2 batches both keep
// it at byte 16.
func EntryMagic(buf []byte) int8 {
	if len(buf) < HeaderSizeUpToMagic {
		return -1
	}
	return int8(buf[magicOffset])
}

// EntrySize returns the total size of the log entry starting at buf
// (log overhead + length field), or -1 if buf is shorter than the overhead.
func EntrySize(buf []byte) int {
	if len(buf) < LogOverhead {
		return -1
	}
	return int(int32(be.Uint32(buf[lengthOffset:]))) + LogOverhead
}
