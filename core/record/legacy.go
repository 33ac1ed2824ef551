package record

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
)

// Legacy (magic 0 and 1) message layout after the 12-byte log overhead:
// crc u32, magic i8, attributes i8, [timestamp i64 for v1], key bytes
// (i32 length, -1 = null), value bytes. The CRC is CRC-32 (IEEE) over
// magic..end.
const (
	legacyCrcOffset   = 12
	legacyAttrsOffset = 17
	legacyMinLengthV0 = 4 + 1 + 1 + 4 + 4
	legacyMinLengthV1 = legacyMinLengthV0 + 8
	legacyTsTypeMask  = 0x08
)

// legacyMessage is one decoded magic 0/1 message.
type legacyMessage struct {
	offset    int64
	magic     int8
	codec     Codec
	logAppend bool
	timestamp int64
	key, val  []byte
}

func parseLegacy(e []byte) (legacyMessage, error) {
	m := legacyMessage{offset: int64(be.Uint64(e)), magic: int8(e[magicOffset]), timestamp: NoTimestamp}
	if stored, computed := be.Uint32(e[legacyCrcOffset:]), crc32.ChecksumIEEE(e[magicOffset:]); stored != computed {
		return m, fmt.Errorf("%w: message is corrupt (stored crc = %d, computed crc = %d)", ErrCorruptMessage, stored, computed)
	}
	attrs := e[legacyAttrsOffset]
	m.codec = Codec(attrs & codecMask)
	pos := legacyAttrsOffset + 1
	if m.magic == MagicV1 {
		m.timestamp = int64(be.Uint64(e[pos:]))
		m.logAppend = attrs&legacyTsTypeMask != 0
		pos += 8
	}
	var err error
	if m.key, pos, err = legacyBytes(e, pos); err != nil {
		return m, err
	}
	if m.val, pos, err = legacyBytes(e, pos); err != nil {
		return m, err
	}
	if pos != len(e) {
		return m, fmt.Errorf("%w: %d bytes after the message value", ErrCorruptMessage, len(e)-pos)
	}
	return m, nil
}

func legacyBytes(e []byte, pos int) ([]byte, int, error) {
	if pos+4 > len(e) {
		return nil, pos, fmt.Errorf("%w: message truncated", ErrCorruptMessage)
	}
	n := int32(be.Uint32(e[pos:]))
	pos += 4
	if n < 0 {
		return nil, pos, nil
	}
	if int(n) > len(e)-pos {
		return nil, pos, fmt.Errorf("%w: message field of %d bytes is truncated", ErrCorruptMessage, n)
	}
	return e[pos : pos+int(n) : pos+int(n)], pos + int(n), nil
}

// ConvertToV2 turns a magic 0/1 message set (compressed wrappers
// included) into one v2 batch at base offset 0, the way the broker
// up-converts on produce: keys, values and timestamps are kept (magic 0
// has none, so -1), and the batch uses the source codec.
func ConvertToV2(records []byte) ([]byte, error) {
	var out []Record
	codec := CodecNone
	var firstErr error
	add := func(m legacyMessage, wrapperTs int64) {
		ts := m.timestamp
		if wrapperTs != NoTimestamp {
			ts = wrapperTs
		}
		out = append(out, Record{Key: m.key, Value: m.val, Timestamp: ts})
	}
	err := IterateEntries(records, func(e []byte) bool {
		m, err := parseLegacyEntry(e)
		if err != nil {
			firstErr = err
			return false
		}
		if m.codec == CodecNone {
			add(m, NoTimestamp)
			return true
		}
		codec = m.codec
		inner, err := Decompress(m.codec, m.val)
		if err != nil {
			firstErr = fmt.Errorf("%w: cannot decompress %s message set: %v", ErrCorruptMessage, m.codec, err)
			return false
		}
		wrapperTs := NoTimestamp
		if m.logAppend {
			wrapperTs = m.timestamp
		}
		firstErr = IterateEntries(inner, func(ie []byte) bool {
			im, err := parseLegacyEntry(ie)
			if err == nil && im.codec != CodecNone {
				err = fmt.Errorf("%w: compressed message nested in a compressed message", ErrInvalidRecord)
			}
			if err != nil {
				firstErr = err
				return false
			}
			add(im, wrapperTs)
			return true
		})
		return firstErr == nil
	})
	if err != nil {
		return nil, err
	}
	if firstErr != nil {
		return nil, firstErr
	}
	if len(out) == 0 {
		return nil, nil
	}
	first := out[0].Timestamp
	for i := range out {
		out[i].TimestampDelta = out[i].Timestamp - first
	}
	return BuildBatchWith(DefaultBatchOptions(codec, first), out)
}

func parseLegacyEntry(e []byte) (legacyMessage, error) {
	switch m := EntryMagic(e); m {
	case MagicV0, MagicV1:
		return parseLegacy(e)
	default:
		return legacyMessage{}, fmt.Errorf("%w: magic %d mixed into a legacy message set", ErrInvalidRecord, m)
	}
}

// DownConvert rewrites v2 batches as an uncompressed magic 0 or 1 message
// set for old fetchers, keeping each record's offset. Control batches and
// headers have no legacy form and are dropped, as Kafka does.
func DownConvert(records []byte, toMagic int8) ([]byte, error) {
	if toMagic != MagicV0 && toMagic != MagicV1 {
		return nil, fmt.Errorf("%w: cannot down-convert to magic %d", ErrUnsupportedMagic, toMagic)
	}
	out := make([]byte, 0, len(records))
	var convErr error
	err := IterateEntries(records, func(e []byte) bool {
		if EntryMagic(e) <= toMagic {
			out = append(out, e...)
			return true
		}
		if EntryMagic(e) != MagicV2 {
			// A v1 message for a v0 reader: re-encode it.
			m, err := parseLegacy(e)
			if err != nil {
				convErr = err
				return false
			}
			out = appendLegacy(out, toMagic, m.offset, CreateTime, m.timestamp, m.key, m.val)
			return true
		}
		b := Batch(e)
		if b.IsControl() {
			return true
		}
		recs, err := DecodeRecords(b)
		if err != nil {
			convErr = err
			return false
		}
		for i := range recs {
			r := &recs[i]
			out = appendLegacy(out, toMagic, r.Offset, b.TimestampType(), r.Timestamp, r.Key, r.Value)
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	return out, convErr
}

func appendLegacy(dst []byte, magic int8, offset int64, tt TimestampType, ts int64, key, val []byte) []byte {
	start := len(dst)
	dst = binary.BigEndian.AppendUint64(dst, uint64(offset))
	dst = append(dst, 0, 0, 0, 0, 0, 0, 0, 0) // size and crc, filled below
	dst = append(dst, byte(magic))
	var attrs byte
	if magic == MagicV1 && tt == LogAppendTime {
		attrs |= legacyTsTypeMask
	}
	dst = append(dst, attrs)
	if magic == MagicV1 {
		dst = binary.BigEndian.AppendUint64(dst, uint64(ts))
	}
	for _, f := range [][]byte{key, val} {
		if f == nil {
			dst = binary.BigEndian.AppendUint32(dst, 0xFFFFFFFF)
			continue
		}
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(f)))
		dst = append(dst, f...)
	}
	e := dst[start:]
	be.PutUint32(e[lengthOffset:], uint32(len(e)-LogOverhead))
	be.PutUint32(e[legacyCrcOffset:], crc32.ChecksumIEEE(e[magicOffset:]))
	return dst
}

// BuildLegacy encodes records as an uncompressed magic 0/1 message set
// (offsets 0..n-1), optionally wrapped in one compressed message; tests and
// old-client emulation use it.
func BuildLegacy(magic int8, codec Codec, timestamp int64, records []Record) ([]byte, error) {
	var inner []byte
	for i, r := range records {
		inner = appendLegacy(inner, magic, int64(i), CreateTime, timestamp+r.TimestampDelta, r.Key, r.Value)
	}
	if codec == CodecNone {
		return inner, nil
	}
	comp, err := Compress(codec, inner)
	if err != nil {
		return nil, err
	}
	out := appendLegacy(nil, magic, int64(len(records)-1), CreateTime, timestamp, nil, comp)
	out[legacyAttrsOffset] |= byte(codec)
	be.PutUint32(out[legacyCrcOffset:], crc32.ChecksumIEEE(out[magicOffset:]))
	return out, nil
}
