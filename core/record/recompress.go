package record

import (
	"fmt"
	"strings"
)

// Broker-side compression: a topic's compression.type decides the codec
// the leader stores, as Kafka's LogValidator does. "producer" keeps
// whatever the producer sent; any other value makes the leader decode the
// batch and build it again with that codec ("uncompressed" means none).

// TargetCodec resolves a topic's compression.type against the codec the
// producer used (Kafka's BrokerCompressionCodec.getTargetCompressionCodec).
// An empty or unknown compression.type behaves as "producer".
func TargetCodec(compressionType string, source Codec) Codec {
	switch strings.ToLower(strings.TrimSpace(compressionType)) {
	case "uncompressed", "none":
		return CodecNone
	case "gzip":
		return CodecGzip
	case "snappy":
		return CodecSnappy
	case "lz4":
		return CodecLZ4
	case "zstd":
		return CodecZstd
	}
	return source
}

// ApplyTopicCompression rebuilds a validated leader record set with the
// topic's codec when it differs from the producer's. It returns the input
// unchanged when no recompression is needed: compression.type=producer,
// the batch already uses the target codec, an uncompressed control batch
// (Kafka never compresses transaction markers written uncompressed), or a
// set of several batches (only coordinators write those; a producer's set
// holds exactly one v2 batch). The rebuilt batch keeps the base offset,
// leader epoch, producer id/epoch, base sequence, transactional and control
// flags, timestamps (and their type), keys, values and headers; records
// are renumbered 0..n-1 after checking the producer numbered them so.
// info is recomputed for the new bytes, whose size is checked against
// maxBatchBytes (RECORD_TOO_LARGE), as Kafka checks a batch whose size may
// have changed.
func ApplyTopicCompression(records []byte, info AppendInfo, compressionType string, maxBatchBytes int32) ([]byte, AppendInfo, error) {
	if len(records) == 0 || EntryMagic(records) != MagicV2 {
		return records, info, nil
	}
	if EntrySize(records) != len(records) {
		return records, info, nil // several batches: coordinator writes
	}
	b := Batch(records)
	target := TargetCodec(compressionType, b.Codec())
	if target == b.Codec() || (b.IsControl() && b.Codec() == CodecNone) {
		return records, info, nil
	}
	out, err := Recompress(b, target)
	if err != nil {
		return records, info, err
	}
	newInfo, err := ValidateCoordinator(out, maxBatchBytes)
	if err != nil {
		return records, info, err
	}
	return out, newInfo, nil
}

// Recompress decodes one v2 batch and builds it again with codec,
// keeping everything but the compression of the records section.
func Recompress(b Batch, codec Codec) ([]byte, error) {
	if b.Magic() != MagicV2 {
		return nil, fmt.Errorf("%w: cannot recompress a magic %d entry", ErrUnsupportedMagic, b.Magic())
	}
	recs, err := DecodeRecords(b)
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("%w: record batch at offset %d has no records", ErrInvalidRecord, b.BaseOffset())
	}
	for i := range recs {
		if recs[i].OffsetDelta != int32(i) {
			return nil, fmt.Errorf("%w: inner record %d inside the compressed record batch does not have incremental offsets, expected offset delta is %d but found %d",
				ErrInvalidRecord, i, i, recs[i].OffsetDelta)
		}
	}
	o := BatchOptions{
		BaseOffset:           b.BaseOffset(),
		PartitionLeaderEpoch: b.PartitionLeaderEpoch(),
		Codec:                codec,
		FirstTimestamp:       b.FirstTimestamp(),
		LogAppendTime:        -1,
		ProducerID:           b.ProducerID(),
		ProducerEpoch:        b.ProducerEpoch(),
		BaseSequence:         b.BaseSequence(),
		Transactional:        b.IsTransactional(),
		Control:              b.IsControl(),
	}
	if b.TimestampType() == LogAppendTime {
		o.LogAppendTime = b.MaxTimestamp()
	}
	return BuildBatchWith(o, recs)
}
