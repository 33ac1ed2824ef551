package tools

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/gokafka/kafka/core/coordinator/transaction"
	"github.com/gokafka/kafka/core/record"
)

// "kafka-dump-log --offsets-decoder" prints __consumer_offsets records the
// way GroupMetadataManager.formatRecordKeyAndValue does: offset commits as
// "offset_commit::group=g,partition=t-0" / "offset=5", group metadata as
// "group_metadata::group=g" / a JSON summary, tombstones as "<DELETE>".

var errShortBuffer = errors.New("buffer underflow")

// wireReader reads Kafka's old-style (non-flexible) encodings.
type wireReader struct {
	b   []byte
	err error
}

func (r *wireReader) take(n int) []byte {
	if r.err != nil || n < 0 || len(r.b) < n {
		r.err = errShortBuffer
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *wireReader) int16() int16 {
	if b := r.take(2); b != nil {
		return int16(binary.BigEndian.Uint16(b))
	}
	return 0
}

func (r *wireReader) int32() int32 {
	if b := r.take(4); b != nil {
		return int32(binary.BigEndian.Uint32(b))
	}
	return 0
}

func (r *wireReader) int64() int64 {
	if b := r.take(8); b != nil {
		return int64(binary.BigEndian.Uint64(b))
	}
	return 0
}

// nullableString returns nil for a null (-1 length) string.
func (r *wireReader) nullableString() *string {
	n := r.int16()
	if n < 0 {
		return nil
	}
	s := string(r.take(int(n)))
	return &s
}

func (r *wireReader) str() string {
	if s := r.nullableString(); s != nil {
		return *s
	}
	return ""
}

func (r *wireReader) bytes() []byte {
	n := r.int32()
	if n < 0 {
		return nil
	}
	return r.take(int(n))
}

func offsetsDecodeError(what string) error {
	return &javaError{"org.apache.kafka.common.KafkaException", "Failed to decode message using offset topic decoder (" + what + ")"}
}

func offsetsMessageParser(rec *record.Record) (*string, *string, error) {
	if rec.Key == nil {
		return nil, nil, offsetsDecodeError("message had a missing key")
	}
	kr := &wireReader{b: rec.Key}
	switch version := kr.int16(); version {
	case 0, 1:
		group, topic, partition := kr.str(), kr.str(), kr.int32()
		if kr.err != nil {
			return nil, nil, kr.err
		}
		key := fmt.Sprintf("offset_commit::group=%s,partition=%s-%d", group, topic, partition)
		value := offsetCommitValue(rec.Value)
		return &key, &value, nil
	case 2:
		group := kr.str()
		key := "group_metadata::group=" + group
		value, err := groupMetadataValue(rec.Value)
		if err != nil {
			return nil, nil, err
		}
		return &key, &value, nil
	}
	return nil, nil, offsetsDecodeError("message had an invalid key")
}

// offsetCommitValue renders an OffsetCommit value of any version.
func offsetCommitValue(v []byte) string {
	if v == nil {
		return "<DELETE>"
	}
	r := &wireReader{b: v}
	version := r.int16()
	offset := r.int64()
	if version >= 3 {
		r.int32() // leader epoch
	}
	metadata := r.str()
	if metadata == "" {
		return fmt.Sprintf("offset=%d", offset)
	}
	return fmt.Sprintf("offset=%d,metadata=%s", offset, metadata)
}

// groupMetadataValue renders a GroupMetadata value (versions 0-3).
func groupMetadataValue(v []byte) (string, error) {
	if v == nil {
		return "<DELETE>", nil
	}
	r := &wireReader{b: v}
	version := r.int16()
	protocolType := r.str()
	generation := r.int32()
	protocol := r.nullableString()
	r.nullableString() // leader
	if version >= 2 {
		r.int64() // current state timestamp
	}
	var members []string
	for i, n := 0, int(r.int32()); i < n && r.err == nil; i++ {
		memberID := r.str()
		if version >= 3 {
			r.nullableString() // group instance id
		}
		r.str() // client id
		r.str() // client host
		if version >= 1 {
			r.int32() // rebalance timeout
		}
		r.int32() // session timeout
		r.bytes() // subscription
		members = append(members, memberID+"="+assignmentText(protocolType, r.bytes()))
	}
	if r.err != nil {
		return "", offsetsDecodeError("message had an invalid value")
	}
	var proto any
	if protocol != nil {
		proto = *protocol
	}
	fields := []struct {
		k string
		v any
	}{{"protocolType", protocolType}, {"protocol", proto}, {"generationId", generation}, {"assignment", "{" + strings.Join(members, ",") + "}"}}
	var parts []string
	for _, f := range fields {
		k, _ := json.Marshal(f.k)
		v, _ := json.Marshal(f.v)
		parts = append(parts, string(k)+":"+string(v))
	}
	return "{" + strings.Join(parts, ",") + "}", nil
}

// assignmentText prints a consumer assignment as "[t-0, t-1]" (plus hex
// user data), other protocols as hex.
func assignmentText(protocolType string, a []byte) string {
	if protocolType != "consumer" {
		return upperHex(a)
	}
	r := &wireReader{b: a}
	r.int16()
	var tps []string
	for i, n := 0, int(r.int32()); i < n && r.err == nil; i++ {
		topic := r.str()
		for j, m := 0, int(r.int32()); j < m && r.err == nil; j++ {
			tps = append(tps, fmt.Sprintf("%s-%d", topic, r.int32()))
		}
	}
	out := "[" + strings.Join(tps, ", ") + "]"
	if ud := r.bytes(); len(ud) > 0 && r.err == nil {
		out += ":" + upperHex(ud)
	}
	return out
}

// upperHex is "%X".format(BigInt(1, bytes)): no leading zeros.
func upperHex(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return strings.ToUpper(new(big.Int).SetBytes(b).Text(16))
}

// transactionLogMessageParser renders __transaction_state records as
// kafka-dump-log --transaction-log-decoder does.
func transactionLogMessageParser(rec *record.Record) (*string, *string, error) {
	if rec.Key == nil {
		return nil, nil, offsetsDecodeError("message had a missing key")
	}
	k, v, err := transaction.FormatRecord(rec.Key, rec.Value)
	if err != nil {
		return nil, nil, err
	}
	return &k, &v, nil
}
