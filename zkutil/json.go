package zkutil

import (
	"bytes"
	"encoding/json"
	"math/bits"
	"strconv"

	"github.com/gokafka/kafka/core/javacompat"
)

// Kafka encodes znodes with Jackson from Scala maps, so the key order on the
// wire is the iteration order of the map that built them. Parsers do not care,
// but operators compare `zookeeper-shell get` output with Kafka's, so we emit
// the same order. Small immutable Scala maps (up to 4 entries) keep insertion
// order; mutable.HashMap (broker registration, topic assignment) iterates in
// hash-bucket order, reproduced by scalaHashMapOrder for the Scala 2.12 build.

// field is one key/value of a JSON object, value already encoded.
type field struct {
	key   string
	value []byte
}

// object renders fields as a compact JSON object in the given order.
func object(fields []field) []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range fields {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(jsonString(f.key))
		b.WriteByte(':')
		b.Write(f.value)
	}
	b.WriteByte('}')
	return b.Bytes()
}

// hashMapObject renders fields (given in insertion order) in the order a
// Scala 2.12 mutable.HashMap would iterate them.
func hashMapObject(fields []field) []byte {
	byKey := make(map[string]field, len(fields))
	keys := make([]string, len(fields))
	for i, f := range fields {
		byKey[f.key] = f
		keys[i] = f.key
	}
	ordered := make([]field, 0, len(fields))
	for _, k := range scalaHashMapOrder(keys) {
		ordered = append(ordered, byKey[k])
	}
	return object(ordered)
}

// jsonString encodes s like Jackson: quotes and control characters escaped,
// but no HTML escaping of <, > and &.
func jsonString(s string) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return bytes.TrimRight(b.Bytes(), "\n")
}

func jsonInt(v int64) []byte { return []byte(strconv.FormatInt(v, 10)) }

// jsonInts encodes a list of broker ids like [1,2,3].
func jsonInts(vs []int32) []byte {
	b := []byte{'['}
	for i, v := range vs {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(v), 10)
	}
	return append(b, ']')
}

func jsonStrings(vs []string) []byte {
	b := []byte{'['}
	for i, v := range vs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, jsonString(v)...)
	}
	return append(b, ']')
}

// javaStringHash is java.lang.String.hashCode.
func javaStringHash(s string) int32 { return javacompat.StringHashCode(s) }

// scalaHashMapOrder returns keys in the iteration order of a Scala 2.12
// mutable.HashMap into which they were inserted in the given order: initial
// table of 16 buckets, load factor 0.75, new entries pushed at the bucket
// head, iteration from the last bucket down to the first.
func scalaHashMapOrder(keys []string) []string {
	const seed = 4 // Integer.bitCount(16 - 1), fixed at construction
	size := 16
	table := make([][]string, size)
	index := func(k string, size int) int {
		h := uint32(javaStringHash(k)) * 0x9e3775cd
		h = bits.ReverseBytes32(h) * 0x9e3775cd
		h = bits.RotateLeft32(h, -seed)
		return int(h>>uint(bits.LeadingZeros32(uint32(size-1)))) & (size - 1)
	}
	n := 0
	for _, k := range keys {
		i := index(k, size)
		table[i] = append([]string{k}, table[i]...)
		n++
		if n > size*3/4 {
			old := table
			size *= 2
			table = make([][]string, size)
			for j := len(old) - 1; j >= 0; j-- {
				for _, e := range old[j] {
					x := index(e, size)
					table[x] = append([]string{e}, table[x]...)
				}
			}
		}
	}
	out := make([]string, 0, len(keys))
	for i := size - 1; i >= 0; i-- {
		out = append(out, table[i]...)
	}
	return out
}
