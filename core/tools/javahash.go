package tools

import "github.com/gokafka/kafka/core/javacompat"

// Several Kafka 2.8 outputs are printed by iterating a java.util.HashMap: the
// topics of "kafka-topics --describe" via --bootstrap-server and the entries
// behind "Configs:". Users compare our output with Kafka's line by line, so
// this file reproduces HashMap's iteration order (bucket order, insertion
// order inside a bucket, table doubling at 3/4 load) for String keys.

// javaStringHash is java.lang.String.hashCode.
func javaStringHash(s string) int32 { return javacompat.StringHashCode(s) }

// javaHashMap models the bucket layout of a java.util.HashMap of strings.
type javaHashMap struct {
	table     [][]hashEntry
	size      int
	threshold int
}

// hashEntry is a key with its Java hashCode.
type hashEntry struct {
	key  string
	hash int32
}

// tableSizeFor is HashMap.tableSizeFor: the next power of two ≥ n.
func tableSizeFor(n int) int {
	c := 1
	for c < n {
		c <<= 1
	}
	return c
}

// newJavaHashMap is "new HashMap<>(initialCapacity)"; -1 means the no-arg
// constructor (16 buckets).
func newJavaHashMap(initialCapacity int) *javaHashMap {
	if initialCapacity < 0 {
		return &javaHashMap{}
	}
	return &javaHashMap{threshold: tableSizeFor(initialCapacity)}
}

// copyJavaHashMap is "new HashMap<>(other)".
func copyJavaHashMap(other *javaHashMap) *javaHashMap {
	m := &javaHashMap{}
	if s := other.size; s > 0 {
		t := int(float32(s)/0.75 + 1.0)
		m.threshold = tableSizeFor(t)
	}
	for _, b := range other.table {
		for _, en := range b {
			m.putHashed(en.key, en.hash)
		}
	}
	return m
}

func spread(h int32) uint32 {
	u := uint32(h)
	return u ^ (u >> 16)
}

func (m *javaHashMap) resize() {
	oldCap := len(m.table)
	var newCap int
	switch {
	case oldCap > 0:
		newCap = oldCap * 2
	case m.threshold > 0:
		newCap = m.threshold
	default:
		newCap = 16
	}
	m.threshold = int(float32(newCap) * 0.75)
	newTable := make([][]hashEntry, newCap)
	for _, bucket := range m.table {
		for _, en := range bucket {
			i := spread(en.hash) & uint32(newCap-1)
			newTable[i] = append(newTable[i], en)
		}
	}
	m.table = newTable
}

// put inserts a String key unless present.
func (m *javaHashMap) put(key string) { m.putHashed(key, javaStringHash(key)) }

// putHashed inserts a key whose Java hashCode is hash.
func (m *javaHashMap) putHashed(key string, hash int32) {
	if m.table == nil {
		m.resize()
	}
	i := spread(hash) & uint32(len(m.table)-1)
	for _, en := range m.table[i] {
		if en.key == key {
			return
		}
	}
	m.table[i] = append(m.table[i], hashEntry{key, hash})
	m.size++
	if m.size > m.threshold {
		m.resize()
	}
}

// keys lists the keys in iteration order.
func (m *javaHashMap) keys() []string {
	var out []string
	for _, b := range m.table {
		for _, en := range b {
			out = append(out, en.key)
		}
	}
	return out
}

// describeTopicsOrder is the order in which Kafka 2.8's AdminClient-based
// describe prints topics, given the sorted topic list it asked for.
func describeTopicsOrder(sorted []string) []string {
	futures := newJavaHashMap(len(sorted))
	for _, t := range sorted {
		futures.put(t)
	}
	result := copyJavaHashMap(futures)
	descriptions := newJavaHashMap(result.size)
	for _, t := range result.keys() {
		descriptions.put(t)
	}
	return descriptions.keys()
}

// configEntriesOrder is the iteration order of an admin Config built from
// entries in the order the broker returned them.
func configEntriesOrder(names []string) []string {
	m := newJavaHashMap(-1)
	for _, n := range names {
		m.put(n)
	}
	return m.keys()
}

// topicPartitionHash is org.apache.kafka.common.TopicPartition.hashCode.
func topicPartitionHash(topic string, partition int32) int32 {
	return 31*(31+partition) + javaStringHash(topic)
}
