package group

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Record schemas of __consumer_offsets. Every key and value starts with an
// int16 schema version followed by the fields of that version, encoded
// with Kafka's classic protocol types (int16-length strings, -1 for null,
// int32-length bytes, int32-count arrays). The layouts are those of
// GroupMetadataManager in Kafka 2.x, so logs written by either broker load
// in the other.
const (
	// Offset commit keys are written as version 1 (version 0 has the same
	// layout); group metadata keys are version 2.
	offsetKeyVersion = 1
	groupKeyVersion  = 2

	// Kafka 2.3+ (inter.broker.protocol.version >= 2.3) writes group
	// metadata values v3 and, without an explicit expire timestamp,
	// offset values v3.
	CurrentGroupValueVersion  = 3
	CurrentOffsetValueVersion = 3
)

var errSchema = errors.New("malformed __consumer_offsets record")

// GroupTopicPartition identifies one committed offset.
type GroupTopicPartition struct {
	Group     string
	Topic     string
	Partition int32
}

// Key is a decoded record key: an offset commit key or a group metadata key.
type Key struct {
	Version int16
	// Group is set for both kinds; Topic and Partition only for offsets.
	Group     string
	Topic     string
	Partition int32
}

// IsOffsetKey tells an offset commit key (versions 0 and 1) from a group
// metadata key (version 2).
func (k Key) IsOffsetKey() bool { return k.Version <= offsetKeyVersion }

// OffsetAndMetadata is one committed offset as stored.
type OffsetAndMetadata struct {
	Offset          int64
	LeaderEpoch     int32 // -1 when unknown
	Metadata        string
	CommitTimestamp int64
	// ExpireTimestamp is -1 unless the client asked for a per-commit
	// retention (OffsetCommit v1-v4), which forces value version 1.
	ExpireTimestamp int64
}

// MemberRecord is one member inside a group metadata value.
type MemberRecord struct {
	MemberID           string
	GroupInstanceID    *string
	ClientID           string
	ClientHost         string
	RebalanceTimeoutMs int32
	SessionTimeoutMs   int32
	Subscription       []byte
	Assignment         []byte
}

// GroupRecord is a decoded group metadata value.
type GroupRecord struct {
	Version      int16
	ProtocolType string
	Generation   int32
	Protocol     *string
	Leader       *string
	// CurrentStateTimestamp is -1 when absent (value versions 0 and 1).
	CurrentStateTimestamp int64
	Members               []MemberRecord
}

type writer struct{ b []byte }

func (w *writer) i16(v int16) { w.b = binary.BigEndian.AppendUint16(w.b, uint16(v)) }
func (w *writer) i32(v int32) { w.b = binary.BigEndian.AppendUint32(w.b, uint32(v)) }
func (w *writer) i64(v int64) { w.b = binary.BigEndian.AppendUint64(w.b, uint64(v)) }
func (w *writer) str(s string) {
	w.i16(int16(len(s)))
	w.b = append(w.b, s...)
}
func (w *writer) nstr(s *string) {
	if s == nil {
		w.i16(-1)
		return
	}
	w.str(*s)
}
func (w *writer) bytes(v []byte) {
	w.i32(int32(len(v)))
	w.b = append(w.b, v...)
}

type reader struct {
	b   []byte
	err error
}

func (r *reader) take(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.b) {
		r.err = fmt.Errorf("%w: needs %d bytes, %d left", errSchema, n, len(r.b))
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}
func (r *reader) i16() int16 {
	if v := r.take(2); v != nil {
		return int16(binary.BigEndian.Uint16(v))
	}
	return 0
}
func (r *reader) i32() int32 {
	if v := r.take(4); v != nil {
		return int32(binary.BigEndian.Uint32(v))
	}
	return 0
}
func (r *reader) i64() int64 {
	if v := r.take(8); v != nil {
		return int64(binary.BigEndian.Uint64(v))
	}
	return 0
}
func (r *reader) nstr() *string {
	n := r.i16()
	if r.err != nil || n < 0 {
		return nil
	}
	s := string(r.take(int(n)))
	return &s
}
func (r *reader) str() string {
	s := r.nstr()
	if s == nil {
		if r.err == nil {
			r.err = fmt.Errorf("%w: null in a non-nullable string", errSchema)
		}
		return ""
	}
	return *s
}
func (r *reader) bytes() []byte {
	n := r.i32()
	if r.err != nil || n < 0 {
		return nil
	}
	return append([]byte{}, r.take(int(n))...)
}

// OffsetCommitKey encodes the key of an offset commit record.
func OffsetCommitKey(group, topic string, partition int32) []byte {
	w := writer{}
	w.i16(offsetKeyVersion)
	w.str(group)
	w.str(topic)
	w.i32(partition)
	return w.b
}

// GroupMetadataKey encodes the key of a group metadata record.
func GroupMetadataKey(group string) []byte {
	w := writer{}
	w.i16(groupKeyVersion)
	w.str(group)
	return w.b
}

// ReadKey decodes either kind of key.
func ReadKey(b []byte) (Key, error) {
	r := reader{b: b}
	k := Key{Version: r.i16()}
	switch {
	case r.err != nil:
	case k.Version == 0 || k.Version == 1:
		k.Group, k.Topic, k.Partition = r.str(), r.str(), r.i32()
	case k.Version == groupKeyVersion:
		k.Group = r.str()
	default:
		return k, fmt.Errorf("%w: unknown key version %d", errSchema, k.Version)
	}
	return k, r.err
}

// OffsetValueVersion picks the value version Kafka 2.8 writes: 1 when the
// commit carries its own expire timestamp, else 3.
func OffsetValueVersion(om OffsetAndMetadata) int16 {
	if om.ExpireTimestamp >= 0 {
		return 1
	}
	return CurrentOffsetValueVersion
}

// OffsetCommitValue encodes om with the given value version (0-3).
func OffsetCommitValue(om OffsetAndMetadata, version int16) []byte {
	w := writer{}
	w.i16(version)
	w.i64(om.Offset)
	if version == 3 {
		w.i32(om.LeaderEpoch)
	}
	w.str(om.Metadata)
	w.i64(om.CommitTimestamp)
	if version == 1 {
		w.i64(om.ExpireTimestamp)
	}
	return w.b
}

// ReadOffsetValue decodes an offset value of any version.
func ReadOffsetValue(b []byte) (OffsetAndMetadata, error) {
	r := reader{b: b}
	v := r.i16()
	om := OffsetAndMetadata{LeaderEpoch: -1, ExpireTimestamp: -1}
	if v < 0 || v > 3 {
		return om, fmt.Errorf("%w: unknown offset value version %d", errSchema, v)
	}
	om.Offset = r.i64()
	if v == 3 {
		om.LeaderEpoch = r.i32()
	}
	om.Metadata = r.str()
	om.CommitTimestamp = r.i64()
	if v == 1 {
		om.ExpireTimestamp = r.i64()
	}
	return om, r.err
}

// GroupMetadataValue encodes g with value version 0-3. Fields a version
// lacks are left out.
func GroupMetadataValue(g GroupRecord, version int16) []byte {
	w := writer{}
	w.i16(version)
	w.str(g.ProtocolType)
	w.i32(g.Generation)
	w.nstr(g.Protocol)
	w.nstr(g.Leader)
	if version >= 2 {
		w.i64(g.CurrentStateTimestamp)
	}
	w.i32(int32(len(g.Members)))
	for _, m := range g.Members {
		w.str(m.MemberID)
		if version >= 3 {
			w.nstr(m.GroupInstanceID)
		}
		w.str(m.ClientID)
		w.str(m.ClientHost)
		if version >= 1 {
			w.i32(m.RebalanceTimeoutMs)
		}
		w.i32(m.SessionTimeoutMs)
		w.bytes(m.Subscription)
		w.bytes(m.Assignment)
	}
	return w.b
}

// ReadGroupValue decodes a group metadata value of any version. Version 0
// has no rebalance timeout; the session timeout stands in for it, as in
// Kafka.
func ReadGroupValue(b []byte) (GroupRecord, error) {
	r := reader{b: b}
	g := GroupRecord{Version: r.i16(), CurrentStateTimestamp: -1}
	if g.Version < 0 || g.Version > 3 {
		return g, fmt.Errorf("%w: unknown group metadata version %d", errSchema, g.Version)
	}
	g.ProtocolType = r.str()
	g.Generation = r.i32()
	g.Protocol = r.nstr()
	g.Leader = r.nstr()
	if g.Version >= 2 {
		g.CurrentStateTimestamp = r.i64()
	}
	n := r.i32()
	if r.err == nil && (n < 0 || int(n) > len(r.b)) {
		return g, fmt.Errorf("%w: %d members", errSchema, n)
	}
	for i := int32(0); i < n && r.err == nil; i++ {
		var m MemberRecord
		m.MemberID = r.str()
		if g.Version >= 3 {
			m.GroupInstanceID = r.nstr()
		}
		m.ClientID = r.str()
		m.ClientHost = r.str()
		if g.Version >= 1 {
			m.RebalanceTimeoutMs = r.i32()
		}
		m.SessionTimeoutMs = r.i32()
		if g.Version == 0 {
			m.RebalanceTimeoutMs = m.SessionTimeoutMs
		}
		m.Subscription = r.bytes()
		m.Assignment = r.bytes()
		g.Members = append(g.Members, m)
	}
	return g, r.err
}
