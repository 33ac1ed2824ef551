package log

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
)

// TransactionIndex is a segment's .txnindex file (Kafka's TransactionIndex):
// one 34-byte entry per aborted transaction whose marker is in the
// segment: version int16 (0), producerId int64, firstOffset int64,
// lastOffset int64 (the marker), lastStableOffset int64 (the LSO when the
// marker was written). The file is created with the first entry.
type TransactionIndex struct {
	mu      sync.Mutex
	path    string
	entries []AbortedTxn
	file    *os.File
}

// AbortedTxn is one entry of a transaction index.
type AbortedTxn struct {
	ProducerID       int64
	FirstOffset      int64
	LastOffset       int64
	LastStableOffset int64
}

const txnIndexEntrySize = 34

// EncodeAbortedTxn is an entry's bytes.
func EncodeAbortedTxn(a AbortedTxn) []byte {
	b := make([]byte, txnIndexEntrySize)
	binary.BigEndian.PutUint16(b, 0)
	binary.BigEndian.PutUint64(b[2:], uint64(a.ProducerID))
	binary.BigEndian.PutUint64(b[10:], uint64(a.FirstOffset))
	binary.BigEndian.PutUint64(b[18:], uint64(a.LastOffset))
	binary.BigEndian.PutUint64(b[26:], uint64(a.LastStableOffset))
	return b
}

// DecodeTxnIndex parses a .txnindex file; a torn last entry is ignored.
func DecodeTxnIndex(data []byte) ([]AbortedTxn, error) {
	var out []AbortedTxn
	for i := 0; i+txnIndexEntrySize <= len(data); i += txnIndexEntrySize {
		d := data[i:]
		if v := int16(binary.BigEndian.Uint16(d)); v != 0 {
			return out, fmt.Errorf("%w: unexpected aborted transaction version %d at position %d", errCorruptIndex, v, i)
		}
		out = append(out, AbortedTxn{
			ProducerID:       int64(binary.BigEndian.Uint64(d[2:])),
			FirstOffset:      int64(binary.BigEndian.Uint64(d[10:])),
			LastOffset:       int64(binary.BigEndian.Uint64(d[18:])),
			LastStableOffset: int64(binary.BigEndian.Uint64(d[26:])),
		})
	}
	return out, nil
}

// openTxnIndex loads the entries of path, if it exists.
func openTxnIndex(path string) (*TransactionIndex, error) {
	t := &TransactionIndex{path: path}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return t, nil
	}
	if err != nil {
		return nil, err
	}
	if t.entries, err = DecodeTxnIndex(data); err != nil {
		return nil, err
	}
	if len(data)%txnIndexEntrySize != 0 {
		if err := os.Truncate(path, int64(len(t.entries)*txnIndexEntrySize)); err != nil {
			return nil, err
		}
	}
	return t, nil
}

func (t *TransactionIndex) openFile() error {
	if t.file != nil {
		return nil
	}
	f, err := os.OpenFile(t.path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	t.file = f
	return nil
}

// append adds an entry at the end of the file.
func (t *TransactionIndex) append(a AbortedTxn) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if n := len(t.entries); n > 0 && t.entries[n-1].LastOffset >= a.LastOffset {
		return fmt.Errorf("the last offset of appended transaction %+v must be greater than the last offset %d in %s",
			a, t.entries[n-1].LastOffset, t.path)
	}
	if err := t.openFile(); err != nil {
		return err
	}
	if _, err := t.file.WriteAt(EncodeAbortedTxn(a), int64(len(t.entries)*txnIndexEntrySize)); err != nil {
		return err
	}
	t.entries = append(t.entries, a)
	return nil
}

// all returns a copy of the entries.
func (t *TransactionIndex) all() []AbortedTxn {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]AbortedTxn(nil), t.entries...)
}

// collect appends the entries overlapping [from, upTo) and reports whether
// the search is complete: an entry's last stable offset reached upTo, so
// no later segment can hold a transaction overlapping the range.
func (t *TransactionIndex) collect(out []AbortedTxn, from, upTo int64) ([]AbortedTxn, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, a := range t.entries {
		if a.LastOffset >= from && a.FirstOffset < upTo {
			out = append(out, a)
		}
		if a.LastStableOffset >= upTo {
			return out, true
		}
	}
	return out, false
}

// truncateTo removes the entries whose marker is at or after offset.
func (t *TransactionIndex) truncateTo(offset int64) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for n < len(t.entries) && t.entries[n].LastOffset < offset {
		n++
	}
	if n == len(t.entries) {
		return nil
	}
	t.entries = t.entries[:n]
	return t.truncateFile(int64(n * txnIndexEntrySize))
}

// reset drops every entry (segment recovery rebuilds them).
func (t *TransactionIndex) reset() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.entries = nil
	return t.truncateFile(0)
}

func (t *TransactionIndex) truncateFile(size int64) error {
	if t.file != nil {
		return t.file.Truncate(size)
	}
	err := os.Truncate(t.path, size)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

func (t *TransactionIndex) flush() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.file == nil {
		return nil
	}
	return t.file.Sync()
}

func (t *TransactionIndex) close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.file == nil {
		return nil
	}
	err := t.file.Close()
	t.file = nil
	return err
}
