package log

import (
	"crypto/md5"
	"encoding/binary"
	"math"
)

// offsetMapEntrySize is what one key costs in the dedupe buffer, as in
// Kafka's SkimpyOffsetMap: a 16-byte MD5 of the key and an 8-byte offset.
const offsetMapEntrySize = 24

// dedupeBufferLoadFactor is Kafka's log.cleaner.io.buffer.load.factor
// default: the map counts as full at 90% of its slots, so probing stays
// short.
const dedupeBufferLoadFactor = 0.9

type offsetMapSlot struct {
	hash   [16]byte
	offset int64 // -1 marks an empty slot
}

// offsetMap maps a key's hash to the latest offset seen for it
// (Kafka's SkimpyOffsetMap). Its capacity comes from the dedupe buffer
// size; the table itself grows on demand up to that capacity so a small
// log does not pin the whole buffer. A hash collision (MD5, so in
// practice never) would make the cleaner keep an older value too, never
// lose the latest one of the map's winning key.
type offsetMap struct {
	slots        []offsetMapSlot
	maxSlots     int
	entries      int
	latestOffset int64
}

func newOffsetMap(bufferBytes int64) *offsetMap {
	n := bufferBytes / offsetMapEntrySize
	if n < 16 {
		n = 16
	}
	if n > math.MaxInt32 {
		n = math.MaxInt32
	}
	return &offsetMap{maxSlots: int(n), latestOffset: -1}
}

// capacity is how many keys fit before the map counts as full.
func (m *offsetMap) capacity() int { return int(float64(m.maxSlots) * dedupeBufferLoadFactor) }

func (m *offsetMap) size() int { return m.entries }

func (m *offsetMap) full() bool { return m.entries >= m.capacity() }

// utilization is the share of the buffer's slots in use.
func (m *offsetMap) utilization() float64 { return float64(m.entries) / float64(m.maxSlots) }

func (m *offsetMap) clear() {
	m.slots = m.slots[:0]
	m.entries = 0
	m.latestOffset = -1
}

func hashKey(key []byte) [16]byte { return md5.Sum(key) }

func (m *offsetMap) probe(h *[16]byte) int {
	n := uint64(len(m.slots))
	i := binary.BigEndian.Uint64(h[:8]) % n
	for {
		s := &m.slots[i]
		if s.offset < 0 || s.hash == *h {
			return int(i)
		}
		if i++; i == n {
			i = 0
		}
	}
}

// grow doubles the table once it is half full, never past maxSlots, so
// memory stays within the dedupe buffer.
func (m *offsetMap) grow() {
	n := min(max(1024, 2*len(m.slots)), m.maxSlots)
	old := m.slots
	m.slots = make([]offsetMapSlot, n)
	for i := range m.slots {
		m.slots[i].offset = -1
	}
	for i := range old {
		if old[i].offset >= 0 {
			m.slots[m.probe(&old[i].hash)] = old[i]
		}
	}
}

// put records offset as the latest for key. The caller checks full()
// first; put on a full map is ignored.
func (m *offsetMap) put(key []byte, offset int64) {
	h := hashKey(key)
	if m.entries*2 >= len(m.slots) && len(m.slots) < m.maxSlots {
		m.grow()
	}
	i := m.probe(&h)
	if m.slots[i].offset < 0 {
		if m.full() {
			return
		}
		m.entries++
		m.slots[i].hash = h
	}
	m.slots[i].offset = offset
	m.latestOffset = max(m.latestOffset, offset)
}

// get returns the latest offset for key, or -1.
func (m *offsetMap) get(key []byte) int64 {
	if m.entries == 0 {
		return -1
	}
	h := hashKey(key)
	return m.slots[m.probe(&h)].offset
}

// updateLatestOffset moves the map's high mark past batches whose records
// were all skipped (no key, or control batches).
func (m *offsetMap) updateLatestOffset(offset int64) { m.latestOffset = max(m.latestOffset, offset) }
