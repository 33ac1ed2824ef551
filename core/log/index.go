package log

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
)

// Index files are memory-mapped like Kafka's AbstractIndex: the active
// segment's index is preallocated to segment.index.bytes and trimmed to its
// entries when the segment is rolled or closed. Readers only look at the
// first n entries, where n is published atomically after an entry is written,
// so lookups never lock against appends. Remapping (resize) happens only
// while the owning Log holds its segment write lock.

const (
	offsetIndexEntrySize = 8
	timeIndexEntrySize   = 12
)

// errCorruptIndex marks an index that must be rebuilt from its segment.
var errCorruptIndex = errors.New("corrupt index")

type mmapIndex struct {
	path       string
	baseOffset int64
	entrySize  int
	f          *os.File
	mm         []byte
	n          atomic.Int64
}

func openMmapIndex(path string, baseOffset int64, entrySize int, maxSize int, active bool) (*mmapIndex, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	idx := &mmapIndex{path: path, baseOffset: baseOffset, entrySize: entrySize, f: f}
	// A file that is not a whole number of entries is corrupt; the sanity
	// check reports it, so keep the entries that are whole.
	entries := st.Size() / int64(entrySize)
	idx.n.Store(entries)
	size := st.Size()
	if active {
		size = max(int64(roundDown(maxSize, entrySize)), entries*int64(entrySize))
	}
	if err := idx.remap(size); err != nil {
		f.Close()
		return nil, err
	}
	// An index left preallocated by a crash ends in zero fill; those slots
	// are not entries (a real entry never has relative offset and position
	// both zero, since the first batch of a segment is never indexed).
	for entries > 0 && allZero(idx.mm[(entries-1)*int64(entrySize):entries*int64(entrySize)]) {
		entries--
	}
	idx.n.Store(entries)
	return idx, nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

func roundDown(n, m int) int { return n / m * m }

// remap sets the file length and maps all of it.
func (x *mmapIndex) remap(size int64) error {
	if x.mm != nil {
		if err := syscall.Munmap(x.mm); err != nil {
			return err
		}
		x.mm = nil
	}
	if err := x.f.Truncate(size); err != nil {
		return err
	}
	if size == 0 {
		return nil
	}
	mm, err := syscall.Mmap(int(x.f.Fd()), 0, int(size), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		return fmt.Errorf("mmap %s: %w", x.path, err)
	}
	x.mm = mm
	return nil
}

func (x *mmapIndex) entries() int    { return int(x.n.Load()) }
func (x *mmapIndex) maxEntries() int { return len(x.mm) / x.entrySize }
func (x *mmapIndex) isFull() bool    { return x.entries() >= x.maxEntries() }
func (x *mmapIndex) sizeInBytes() int64 {
	return int64(x.entries() * x.entrySize)
}

// resize keeps the entries and makes room for maxSize bytes (rounded down).
func (x *mmapIndex) resize(maxSize int) error {
	size := max(int64(roundDown(maxSize, x.entrySize)), x.sizeInBytes())
	return x.remap(size)
}

// trimToValidSize shrinks the file to exactly its entries (on roll/close).
func (x *mmapIndex) trimToValidSize() error { return x.remap(x.sizeInBytes()) }

// truncateToEntries drops entries from k on, zeroing them so a later crash
// cannot resurrect them.
func (x *mmapIndex) truncateToEntries(k int) {
	n := x.entries()
	if k >= n {
		return
	}
	x.n.Store(int64(k))
	clear(x.mm[k*x.entrySize : n*x.entrySize])
}

// reset empties the index, keeping room for maxSize bytes.
func (x *mmapIndex) reset(maxSize int) error {
	x.n.Store(0)
	if err := x.remap(0); err != nil {
		return err
	}
	return x.remap(int64(roundDown(maxSize, x.entrySize)))
}

func (x *mmapIndex) flush() error { return x.f.Sync() }

func (x *mmapIndex) close() error {
	var err error
	if x.mm != nil {
		err = syscall.Munmap(x.mm)
		x.mm = nil
	}
	if cerr := x.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// largestLowerBound returns the last slot whose key <= target, or -1.
func (x *mmapIndex) largestLowerBound(target int64, key func(i int) int64) int {
	lo, hi := 0, x.entries()-1
	if hi < 0 || key(0) > target {
		return -1
	}
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if key(mid) <= target {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo
}

// OffsetPosition is one .index entry with the offset made absolute.
type OffsetPosition struct {
	Offset   int64
	Position int32
}

// OffsetIndex maps offsets to byte positions in the segment's .log file.
type OffsetIndex struct{ *mmapIndex }

func openOffsetIndex(path string, baseOffset int64, maxSize int, active bool) (*OffsetIndex, error) {
	x, err := openMmapIndex(path, baseOffset, offsetIndexEntrySize, maxSize, active)
	if err != nil {
		return nil, err
	}
	return &OffsetIndex{x}, nil
}

func (x *OffsetIndex) relOffset(i int) int64 {
	return int64(binary.BigEndian.Uint32(x.mm[i*offsetIndexEntrySize:]))
}

func (x *OffsetIndex) entry(i int) OffsetPosition {
	b := x.mm[i*offsetIndexEntrySize:]
	return OffsetPosition{x.baseOffset + int64(binary.BigEndian.Uint32(b)), int32(binary.BigEndian.Uint32(b[4:]))}
}

// lastOffset is the offset of the last entry, or the base offset.
func (x *OffsetIndex) lastOffset() int64 {
	n := x.entries()
	if n == 0 {
		return x.baseOffset
	}
	return x.entry(n - 1).Offset
}

// lookup returns the last entry with offset <= target, or (base, 0).
func (x *OffsetIndex) lookup(target int64) OffsetPosition {
	i := x.largestLowerBound(target-x.baseOffset, x.relOffset)
	if i < 0 {
		return OffsetPosition{x.baseOffset, 0}
	}
	return x.entry(i)
}

// append adds an entry; entries must be strictly increasing, and a full
// index just stops growing (it only speeds up lookups).
func (x *OffsetIndex) append(offset int64, position int64) {
	n := x.entries()
	if n >= x.maxEntries() || (n > 0 && offset <= x.lastOffset()) {
		return
	}
	b := x.mm[n*offsetIndexEntrySize:]
	binary.BigEndian.PutUint32(b, uint32(offset-x.baseOffset))
	binary.BigEndian.PutUint32(b[4:], uint32(position))
	x.n.Store(int64(n + 1))
}

// truncateTo removes entries with offset >= offset.
func (x *OffsetIndex) truncateTo(offset int64) {
	i := x.largestLowerBound(offset-x.baseOffset, x.relOffset)
	k := i + 1
	if i >= 0 && x.relOffset(i) == offset-x.baseOffset {
		k = i
	}
	x.truncateToEntries(k)
}

// sanityCheck verifies entries are increasing and point inside the log.
func (x *OffsetIndex) sanityCheck(logSize int64) error {
	prevOff, prevPos := int64(-1), int64(-1)
	for i := 0; i < x.entries(); i++ {
		e := x.entry(i)
		if e.Offset <= prevOff || int64(e.Position) <= prevPos || int64(e.Position) >= logSize || e.Position < 0 {
			return fmt.Errorf("%w: offset index %s entry %d (%d, %d) is out of order or past the log end %d",
				errCorruptIndex, x.path, i, e.Offset, e.Position, logSize)
		}
		prevOff, prevPos = e.Offset, int64(e.Position)
	}
	return nil
}

// TimestampOffset is one .timeindex entry with the offset made absolute.
type TimestampOffset struct {
	Timestamp int64
	Offset    int64
}

// TimeIndex maps timestamps to the offset where they were first exceeded.
type TimeIndex struct{ *mmapIndex }

func openTimeIndex(path string, baseOffset int64, maxSize int, active bool) (*TimeIndex, error) {
	x, err := openMmapIndex(path, baseOffset, timeIndexEntrySize, maxSize, active)
	if err != nil {
		return nil, err
	}
	return &TimeIndex{x}, nil
}

func (x *TimeIndex) timestamp(i int) int64 {
	return int64(binary.BigEndian.Uint64(x.mm[i*timeIndexEntrySize:]))
}

func (x *TimeIndex) entry(i int) TimestampOffset {
	b := x.mm[i*timeIndexEntrySize:]
	return TimestampOffset{int64(binary.BigEndian.Uint64(b)), x.baseOffset + int64(binary.BigEndian.Uint32(b[8:]))}
}

// lastEntry is the last entry, or (-1, base) when empty.
func (x *TimeIndex) lastEntry() TimestampOffset {
	n := x.entries()
	if n == 0 {
		return TimestampOffset{-1, x.baseOffset}
	}
	return x.entry(n - 1)
}

// maybeAppend adds an entry only when the timestamp grows, as Kafka does.
func (x *TimeIndex) maybeAppend(ts, offset int64) {
	n := x.entries()
	last := x.lastEntry()
	if n >= x.maxEntries() || ts <= last.Timestamp || offset < last.Offset {
		return
	}
	b := x.mm[n*timeIndexEntrySize:]
	binary.BigEndian.PutUint64(b, uint64(ts))
	binary.BigEndian.PutUint32(b[8:], uint32(offset-x.baseOffset))
	x.n.Store(int64(n + 1))
}

// lookup returns the last entry with timestamp <= target, or (-1, base).
func (x *TimeIndex) lookup(target int64) TimestampOffset {
	i := x.largestLowerBound(target, x.timestamp)
	if i < 0 {
		return TimestampOffset{-1, x.baseOffset}
	}
	return x.entry(i)
}

// truncateTo removes entries whose offset >= offset.
func (x *TimeIndex) truncateTo(offset int64) {
	n := x.entries()
	k := n
	for k > 0 && x.entry(k-1).Offset >= offset {
		k--
	}
	x.truncateToEntries(k)
}

func (x *TimeIndex) sanityCheck() error {
	prev := TimestampOffset{-1, x.baseOffset}
	for i := 0; i < x.entries(); i++ {
		e := x.entry(i)
		if e.Timestamp <= prev.Timestamp || e.Offset < prev.Offset {
			return fmt.Errorf("%w: time index %s entry %d (%d, %d) is out of order", errCorruptIndex, x.path, i, e.Timestamp, e.Offset)
		}
		prev = e
	}
	return nil
}

// baseOffsetFromFile parses the 20-digit base offset of a segment file name.
func baseOffsetFromFile(path string) (int64, error) {
	name := filepath.Base(path)
	if i := strings.IndexByte(name, '.'); i > 0 {
		name = name[:i]
	}
	return strconv.ParseInt(name, 10, 64)
}

func readIndexFile(path string, entrySize int) (int64, []byte, error) {
	base, err := baseOffsetFromFile(path)
	if err != nil {
		return 0, nil, fmt.Errorf("%s is not named after a base offset: %w", path, err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, nil, err
	}
	return base, data[:roundDown(len(data), entrySize)], nil
}

// ReadOffsetIndexEntries returns the entries of a .index file (for
// kafka-dump-log), stopping at the zero fill of a preallocated index.
func ReadOffsetIndexEntries(path string) ([]OffsetPosition, error) {
	base, data, err := readIndexFile(path, offsetIndexEntrySize)
	if err != nil {
		return nil, err
	}
	var out []OffsetPosition
	for i := 0; i+offsetIndexEntrySize <= len(data); i += offsetIndexEntrySize {
		rel := binary.BigEndian.Uint32(data[i:])
		if rel == 0 && i > 0 {
			break
		}
		out = append(out, OffsetPosition{base + int64(rel), int32(binary.BigEndian.Uint32(data[i+4:]))})
	}
	return out, nil
}

// ReadTimeIndexEntries returns the entries of a .timeindex file, stopping
// at the zero fill of a preallocated index.
func ReadTimeIndexEntries(path string) ([]TimestampOffset, error) {
	base, data, err := readIndexFile(path, timeIndexEntrySize)
	if err != nil {
		return nil, err
	}
	var out []TimestampOffset
	for i := 0; i+timeIndexEntrySize <= len(data); i += timeIndexEntrySize {
		ts := int64(binary.BigEndian.Uint64(data[i:]))
		rel := binary.BigEndian.Uint32(data[i+8:])
		if ts == 0 && rel == 0 && i > 0 {
			break
		}
		out = append(out, TimestampOffset{ts, base + int64(rel)})
	}
	return out, nil
}
