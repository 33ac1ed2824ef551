package record

import (
	"errors"
	"fmt"
)

// Sentinel errors; each maps to one Kafka error code.
var (
	// ErrCorruptMessage: bad CRC, impossible size, or a torn batch (CORRUPT_MESSAGE).
	ErrCorruptMessage = errors.New("corrupt message")
	// ErrRecordTooLarge: a batch exceeds max.message.bytes (RECORD_TOO_LARGE).
	ErrRecordTooLarge = errors.New("record too large")
	// ErrRecordBatchTooLarge: the record set exceeds segment.bytes (RECORD_BATCH_TOO_LARGE).
	ErrRecordBatchTooLarge = errors.New("record batch too large")
	// ErrInvalidRecord: header values that a client must not send (INVALID_RECORD).
	ErrInvalidRecord = errors.New("invalid record")
	// ErrUnsupportedMagic: a magic value this code cannot handle here
	// (UNSUPPORTED_FOR_MESSAGE_FORMAT / CORRUPT_MESSAGE depending on context).
	ErrUnsupportedMagic = errors.New("unsupported message format")
)

// minBatchLength is the smallest legal value of a v2 batch's length field.
const minBatchLength = BatchHeaderSize - LogOverhead

// AppendInfo summarises a validated record set without decoding records.
type AppendInfo struct {
	Batches int
	// Records is the sum of the batches' record counts.
	Records        int64
	FirstTimestamp int64 // first batch's firstTimestamp
	MaxTimestamp   int64 // largest batch maxTimestamp (-1 if none)
	// OffsetOfMaxTimestampDelta is the offset, relative to the first offset
	// of the set once offsets are assigned consecutively, of the last record
	// of the batch carrying MaxTimestamp (Kafka's shallowOffsetOfMaxTimestamp).
	OffsetOfMaxTimestampDelta int64
	// Codec is the codec of the last compressed batch (Kafka's sourceCodec), or none.
	Codec Codec
	Bytes int
	// FirstOffset and LastOffset are the offsets already present in the
	// batches (meaningful for follower appends; 0.. for producer sets).
	FirstOffset, LastOffset int64
	// OffsetsMonotonic is false when a batch does not start after the previous one.
	OffsetsMonotonic bool
}

// nextEntry returns the size of the entry at the head of buf after
// checking it is complete and plausible for its magic.
func nextEntry(buf []byte) (int, error) {
	if len(buf) < HeaderSizeUpToMagic {
		return 0, fmt.Errorf("%w: %d trailing bytes are too few for a record batch header", ErrCorruptMessage, len(buf))
	}
	length := int32(be.Uint32(buf[lengthOffset:]))
	magic := int8(buf[magicOffset])
	min := int32(minBatchLength)
	switch magic {
	case MagicV0:
		min = legacyMinLengthV0
	case MagicV1:
		min = legacyMinLengthV1
	}
	if length < min {
		return 0, fmt.Errorf("%w: record size %d is less than the minimum record overhead (%d)", ErrCorruptMessage, length, min)
	}
	size := int(length) + LogOverhead
	if size > len(buf) {
		return 0, fmt.Errorf("%w: batch of %d bytes is truncated to %d bytes", ErrCorruptMessage, size, len(buf))
	}
	return size, nil
}

// IterateEntries calls fn for each complete log entry (batch or legacy
// message) of any magic. It stops early when fn returns false, and reports
// ErrCorruptMessage for a torn or impossible entry.
func IterateEntries(records []byte, fn func(entry []byte) bool) error {
	for len(records) > 0 {
		n, err := nextEntry(records)
		if err != nil {
			return err
		}
		if !fn(records[:n]) {
			return nil
		}
		records = records[n:]
	}
	return nil
}

// Iterate calls fn for each complete v2 batch in records, stopping early
// when fn returns false. Legacy entries yield ErrUnsupportedMagic.
func Iterate(records []byte, fn func(b Batch) bool) error {
	var bad error
	err := IterateEntries(records, func(e []byte) bool {
		if m := EntryMagic(e); m != MagicV2 {
			bad = fmt.Errorf("%w: magic %d", ErrUnsupportedMagic, m)
			return false
		}
		return fn(Batch(e))
	})
	if err != nil {
		return err
	}
	return bad
}

// Validate checks a producer's record set the way the leader does before
// assigning offsets: exactly one complete batch (Kafka rejects more than
// one v2 batch per partition), magic 2, CRC-32C intact,
// lastOffsetDelta+1 == recordCount > 0, no control batches, producer id
// implies a base sequence, and the batch within maxBatchBytes.
func Validate(records []byte, maxBatchBytes int32) (AppendInfo, error) {
	return validate(records, maxBatchBytes, originClient)
}

// ValidateCoordinator checks batches written by the broker itself (group
// and transaction coordinators): sizes, magic and CRC only, so control
// batches (transaction markers) and several batches are allowed.
func ValidateCoordinator(records []byte, maxBatchBytes int32) (AppendInfo, error) {
	return validate(records, maxBatchBytes, originCoordinator)
}

type origin int

const (
	originClient origin = iota
	originCoordinator
	originReplication
)

// ValidateFollower checks a record set copied from a leader: complete
// batches, magic 2, CRCs. Control batches and compacted batches (fewer
// records than lastOffsetDelta+1) are legal here.
func ValidateFollower(records []byte) (AppendInfo, error) {
	return validate(records, -1, originReplication)
}

func validate(records []byte, maxBatchBytes int32, o origin) (AppendInfo, error) {
	info := AppendInfo{MaxTimestamp: NoTimestamp, FirstTimestamp: NoTimestamp, FirstOffset: -1, LastOffset: -1, OffsetsMonotonic: true}
	if len(records) == 0 {
		return info, nil
	}
	var verr error
	err := IterateEntries(records, func(e []byte) bool {
		b := Batch(e)
		if verr = checkBatch(b, maxBatchBytes, o); verr != nil {
			return false
		}
		if info.Batches == 1 && o == originClient {
			// Kafka accepts exactly one v2 batch per partition from a producer.
			verr = fmt.Errorf("%w: compressed outer record has more than one batch", ErrInvalidRecord)
			return false
		}
		if info.Batches == 0 {
			info.FirstTimestamp = b.FirstTimestamp()
			info.FirstOffset = b.BaseOffset()
		} else if b.BaseOffset() <= info.LastOffset {
			info.OffsetsMonotonic = false
		}
		count := int64(b.RecordCount())
		if ts := b.MaxTimestamp(); ts > info.MaxTimestamp {
			info.MaxTimestamp = ts
			if o != originReplication {
				info.OffsetOfMaxTimestampDelta = info.Records + int64(b.LastOffsetDelta())
			} else {
				info.OffsetOfMaxTimestampDelta = b.LastOffset() - info.FirstOffset
			}
		}
		if c := b.Codec(); c != CodecNone {
			info.Codec = c
		}
		info.LastOffset = b.LastOffset()
		info.Records += count
		info.Batches++
		info.Bytes += len(e)
		return true
	})
	if err != nil {
		return info, err
	}
	return info, verr
}

func checkBatch(b Batch, maxBatchBytes int32, o origin) error {
	if m := b.Magic(); m != MagicV2 {
		return fmt.Errorf("%w: magic %d in a record set that must be magic 2", ErrUnsupportedMagic, m)
	}
	if maxBatchBytes >= 0 && len(b) > int(maxBatchBytes) {
		return fmt.Errorf("%w: the batch is %d bytes which is larger than the maximum allowed %d", ErrRecordTooLarge, len(b), maxBatchBytes)
	}
	if stored, computed := b.CRC(), b.ComputeCRC(); stored != computed {
		return fmt.Errorf("%w: record batch is corrupt (stored crc = %d, computed crc = %d)", ErrCorruptMessage, stored, computed)
	}
	if o != originClient {
		return nil // Kafka checks the rest only for producer batches
	}
	count := b.RecordCount()
	if count <= 0 || int64(b.LastOffsetDelta())+1 != int64(count) {
		return fmt.Errorf("%w: record count %d does not match lastOffsetDelta %d + 1", ErrInvalidRecord, count, b.LastOffsetDelta())
	}
	if b.IsControl() {
		return fmt.Errorf("%w: clients are not allowed to write control records", ErrInvalidRecord)
	}
	if b.ProducerID() >= 0 && b.BaseSequence() < 0 {
		return fmt.Errorf("%w: invalid sequence number %d in record batch with producerId %d", ErrInvalidRecord, b.BaseSequence(), b.ProducerID())
	}
	return nil
}
