package log

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/gokafka/kafka/core/record"
)

// Producer state, after Kafka's ProducerStateManager: per producer id the
// epoch, the sequence ranges and offsets of its last five data batches
// (to answer retries with the first copy's offsets and to reject gaps),
// the epoch of the transaction coordinator that wrote its last marker and
// the first offset of its open transaction. Open transactions, and
// completed ones whose marker is not yet below the high watermark, hold
// back the last stable offset. The state is snapshotted to
// <offset>.snapshot files on every roll and on close; loading a log reads
// the newest usable snapshot and replays the batch headers after it.

// Errors of producer state validation; the API layer maps them to codes.
var (
	// ErrInvalidProducerEpoch: a batch or marker carries an epoch older
	// than the producer's current one (INVALID_PRODUCER_EPOCH, Kafka 2.7+).
	ErrInvalidProducerEpoch = errors.New("invalid producer epoch")
	// ErrOutOfOrderSequence: the batch does not continue the producer's
	// sequence (OUT_OF_ORDER_SEQUENCE_NUMBER).
	ErrOutOfOrderSequence = errors.New("out of order sequence number")
	// ErrInvalidTxnState: a non-transactional batch while the producer has
	// an open transaction (INVALID_TXN_STATE).
	ErrInvalidTxnState = errors.New("invalid transaction state")
	// ErrTransactionCoordinatorFenced: a marker from an older coordinator
	// epoch (TRANSACTION_COORDINATOR_FENCED).
	ErrTransactionCoordinatorFenced = errors.New("transaction coordinator fenced")
)

// ProducerSnapshotFileSuffix names producer state snapshots.
const ProducerSnapshotFileSuffix = ".snapshot"

// appendOrigin decides how much an append is validated (Kafka's AppendOrigin).
type appendOrigin int

const (
	originClient      appendOrigin = iota // producers: epoch, sequence and transaction checks
	originCoordinator                     // broker-written batches: epoch checks only
	originReplication                     // followers and recovery: no checks
)

// producerBatchesKept matches Kafka's ProducerStateEntry.NumBatchesToRetain.
const producerBatchesKept = 5

// producerIDExpirationMs is Kafka's default (transactional.id.expiration.ms).
const producerIDExpirationMs = 7 * 24 * 3600 * 1000

// batchMetadata is one retained data batch of a producer.
type batchMetadata struct {
	lastSeq     int32
	lastOffset  int64
	offsetDelta int32
	timestamp   int64
}

func (m batchMetadata) firstSeq() int32    { return decrementSequence(m.lastSeq, m.offsetDelta) }
func (m batchMetadata) firstOffset() int64 { return m.lastOffset - int64(m.offsetDelta) }

// producerEntry is Kafka's ProducerStateEntry.
type producerEntry struct {
	epoch            int16
	batches          []batchMetadata // oldest first, at most producerBatchesKept
	coordinatorEpoch int32
	lastTimestamp    int64
	txnFirstOffset   int64 // first offset of the open transaction, -1 if none
}

func newProducerEntry() *producerEntry {
	return &producerEntry{epoch: record.NoProducerEpoch, coordinatorEpoch: -1, lastTimestamp: record.NoTimestamp, txnFirstOffset: -1}
}

func (e *producerEntry) lastSeq() int32 {
	if len(e.batches) == 0 {
		return record.NoSequence
	}
	return e.batches[len(e.batches)-1].lastSeq
}

func (e *producerEntry) lastDataOffset() int64 {
	if len(e.batches) == 0 {
		return -1
	}
	return e.batches[len(e.batches)-1].lastOffset
}

func (e *producerEntry) lastOffsetDelta() int32 {
	if len(e.batches) == 0 {
		return 0
	}
	return e.batches[len(e.batches)-1].offsetDelta
}

func (e *producerEntry) maybeUpdateEpoch(epoch int16) {
	if e.epoch != epoch {
		e.batches = e.batches[:0]
		e.epoch = epoch
	}
}

func (e *producerEntry) addBatch(epoch int16, m batchMetadata) {
	e.maybeUpdateEpoch(epoch)
	if len(e.batches) == producerBatchesKept {
		e.batches = append(e.batches[:0], e.batches[1:]...)
	}
	e.batches = append(e.batches, m)
	e.lastTimestamp = m.timestamp
}

func (e *producerEntry) duplicateOf(epoch int16, firstSeq, lastSeq int32) (batchMetadata, bool) {
	if epoch != e.epoch {
		return batchMetadata{}, false
	}
	for _, m := range e.batches {
		if m.firstSeq() == firstSeq && m.lastSeq == lastSeq {
			return m, true
		}
	}
	return batchMetadata{}, false
}

// txnMetadata is an open transaction (last -1) or a completed one whose
// marker is not yet below the high watermark.
type txnMetadata struct {
	producerID int64
	first      int64
	last       int64
}

// completedTxn is what a marker closes.
type completedTxn struct {
	producerID  int64
	first, last int64
	aborted     bool
}

// ActiveProducer is one producer's state as DescribeProducers shows it.
type ActiveProducer struct {
	ProducerID            int64
	ProducerEpoch         int16
	LastSequence          int32
	LastTimestamp         int64
	CoordinatorEpoch      int32
	CurrentTxnStartOffset int64 // -1 when no transaction is open
}

// producerState is guarded by Log.mu, except the transaction lists, which
// txnMu guards so readers can compute the last stable offset.
type producerState struct {
	dir       string
	producers map[int64]*producerEntry

	txnMu        sync.Mutex
	ongoing      []txnMetadata // sorted by first offset
	unreplicated []txnMetadata // completed, marker at or above the high watermark

	mapEndOffset   int64
	lastSnapOffset int64
	snapshots      []int64 // offsets of the snapshot files, sorted
}

func newProducerState(dir string) *producerState {
	return &producerState{dir: dir, producers: map[int64]*producerEntry{}}
}

// ProducerSnapshotFile is the path of the snapshot at offset.
func ProducerSnapshotFile(dir string, offset int64) string {
	return filepath.Join(dir, filenamePrefix(offset)+ProducerSnapshotFileSuffix)
}

func decrementSequence(seq, dec int32) int32 {
	if seq < dec {
		return int32(int64(math.MaxInt32) - int64(dec-seq) + 1)
	}
	return seq - dec
}

// lastSequence adds the batch's offset span to its base sequence, wrapping
// past MaxInt32 to 0 as producers do.
func lastSequence(b record.Batch) int32 {
	if b.BaseSequence() == record.NoSequence {
		return record.NoSequence
	}
	base, delta := int64(b.BaseSequence()), int64(b.LastOffsetDelta())
	if base > math.MaxInt32-delta {
		return int32(delta - (math.MaxInt32 - base) - 1)
	}
	return int32(base + delta)
}

func inSequence(last, next int32) bool {
	return int64(next) == int64(last)+1 || (next == 0 && last == math.MaxInt32)
}

// findDuplicate returns the earlier copy of b if this producer already
// wrote the same sequence range in the same epoch.
func (s *producerState) findDuplicate(b record.Batch) (batchMetadata, bool) {
	if b.ProducerID() < 0 || b.IsControl() {
		return batchMetadata{}, false
	}
	e := s.producers[b.ProducerID()]
	if e == nil {
		return batchMetadata{}, false
	}
	return e.duplicateOf(b.ProducerEpoch(), b.BaseSequence(), lastSequence(b))
}

// validateData checks a data batch before it is appended (Kafka's
// ProducerAppendInfo.appendDataBatch checks).
func (s *producerState) validateData(b record.Batch, o appendOrigin, tp TopicPartition) error {
	pid := b.ProducerID()
	if pid < 0 || o == originReplication {
		return nil
	}
	e := s.producers[pid]
	if e == nil {
		e = newProducerEntry()
	}
	epoch := b.ProducerEpoch()
	if epoch < e.epoch {
		return fmt.Errorf("%w: the epoch of producer %d in %s is %d, which is smaller than the last seen epoch %d",
			ErrInvalidProducerEpoch, pid, tp, epoch, e.epoch)
	}
	if o == originClient {
		first := b.BaseSequence()
		if epoch != e.epoch {
			if first != 0 && e.epoch != record.NoProducerEpoch {
				return fmt.Errorf("%w for the new epoch of producer %d in partition %s: %d (request epoch), %d (seq. number), %d (current producer epoch)",
					ErrOutOfOrderSequence, pid, tp, epoch, first, e.epoch)
			}
		} else if e.epoch != record.NoProducerEpoch && !inSequence(e.lastSeq(), first) {
			return fmt.Errorf("%w for producer %d in partition %s: %d (incoming seq. number), %d (current end sequence number)",
				ErrOutOfOrderSequence, pid, tp, first, e.lastSeq())
		}
	}
	if e.txnFirstOffset >= 0 && !b.IsTransactional() {
		return fmt.Errorf("%w: expected a transactional write from producer %d in partition %s", ErrInvalidTxnState, pid, tp)
	}
	return nil
}

// validateMarker checks a transaction marker before it is appended.
func (s *producerState) validateMarker(pid int64, epoch int16, coordinatorEpoch int32, tp TopicPartition) error {
	e := s.producers[pid]
	if e == nil {
		return nil
	}
	if epoch < e.epoch {
		return fmt.Errorf("%w: the epoch of producer %d in %s is %d, which is smaller than the last seen epoch %d",
			ErrInvalidProducerEpoch, pid, tp, epoch, e.epoch)
	}
	if e.coordinatorEpoch > coordinatorEpoch {
		return fmt.Errorf("%w: coordinator epoch for producerId %d in partition %s: %d (zombie), %d (current)",
			ErrTransactionCoordinatorFenced, pid, tp, coordinatorEpoch, e.coordinatorEpoch)
	}
	return nil
}

// Control record types (the int16 after the version in a marker's key).
const (
	controlTypeAbort  = 0
	controlTypeCommit = 1
)

// endTxnMarker decodes the first record of a control batch: its type and
// the coordinator epoch of a commit/abort marker. ok is false for an empty
// or undecodable batch.
func endTxnMarker(b record.Batch) (ctype int16, coordinatorEpoch int32, ok bool) {
	recs, err := record.DecodeRecords(b)
	if err != nil || len(recs) == 0 || len(recs[0].Key) < 4 {
		return 0, 0, false
	}
	ctype = int16(binary.BigEndian.Uint16(recs[0].Key[2:4]))
	coordinatorEpoch = -1
	if len(recs[0].Value) >= 6 {
		coordinatorEpoch = int32(binary.BigEndian.Uint32(recs[0].Value[2:6]))
	}
	return ctype, coordinatorEpoch, true
}

// update records a batch appended with its final offsets. b must be the
// whole batch for control batches (the marker is decoded); a header is
// enough otherwise. It returns the transaction a marker completed.
func (s *producerState) update(b record.Batch) *completedTxn {
	pid := b.ProducerID()
	if pid < 0 {
		return nil
	}
	e := s.producers[pid]
	if e == nil {
		e = newProducerEntry()
	}
	if b.IsControl() {
		if b.RecordCount() == 0 {
			return nil // the cleaner emptied it: its transaction is gone
		}
		ctype, coordEpoch, ok := endTxnMarker(b)
		if !ok || (ctype != controlTypeAbort && ctype != controlTypeCommit) {
			return nil
		}
		s.producers[pid] = e
		var done *completedTxn
		if e.txnFirstOffset >= 0 {
			done = &completedTxn{producerID: pid, first: e.txnFirstOffset, last: b.BaseOffset(), aborted: ctype == controlTypeAbort}
		}
		e.maybeUpdateEpoch(b.ProducerEpoch())
		e.txnFirstOffset = -1
		e.coordinatorEpoch = coordEpoch
		e.lastTimestamp = b.MaxTimestamp()
		return done
	}
	s.producers[pid] = e
	e.addBatch(b.ProducerEpoch(), batchMetadata{lastSeq: lastSequence(b), lastOffset: b.LastOffset(),
		offsetDelta: b.LastOffsetDelta(), timestamp: b.MaxTimestamp()})
	if e.txnFirstOffset < 0 && b.IsTransactional() {
		e.txnFirstOffset = b.BaseOffset()
		s.txnMu.Lock()
		s.ongoing = insertTxn(s.ongoing, txnMetadata{producerID: pid, first: b.BaseOffset(), last: -1})
		s.txnMu.Unlock()
	}
	return nil
}

func insertTxn(list []txnMetadata, t txnMetadata) []txnMetadata {
	i := sort.Search(len(list), func(i int) bool { return list[i].first >= t.first })
	list = append(list, txnMetadata{})
	copy(list[i+1:], list[i:])
	list[i] = t
	return list
}

// lastStableOffsetFor is the LSO to store with a completed transaction in
// the transaction index: the first offset of the next open transaction of
// another producer, or the offset after the marker.
func (s *producerState) lastStableOffsetFor(t *completedTxn) int64 {
	s.txnMu.Lock()
	defer s.txnMu.Unlock()
	for _, o := range s.ongoing {
		if o.producerID != t.producerID {
			return o.first
		}
	}
	return t.last + 1
}

// completeTxn moves a transaction from open to completed-but-unreplicated.
func (s *producerState) completeTxn(t *completedTxn) {
	s.txnMu.Lock()
	defer s.txnMu.Unlock()
	for i, o := range s.ongoing {
		if o.first == t.first && o.producerID == t.producerID {
			s.ongoing = append(s.ongoing[:i], s.ongoing[i+1:]...)
			break
		}
	}
	s.unreplicated = insertTxn(s.unreplicated, txnMetadata{producerID: t.producerID, first: t.first, last: t.last})
}

// firstUnstableOffset is the first offset of an open transaction or of a
// completed one whose marker is not below hw yet; -1 when there is none.
func (s *producerState) firstUnstableOffset(hw int64) int64 {
	s.txnMu.Lock()
	defer s.txnMu.Unlock()
	kept := s.unreplicated[:0]
	for _, t := range s.unreplicated {
		if t.last >= hw {
			kept = append(kept, t)
		}
	}
	s.unreplicated = kept
	first := int64(-1)
	if len(s.ongoing) > 0 {
		first = s.ongoing[0].first
	}
	if len(s.unreplicated) > 0 && (first < 0 || s.unreplicated[0].first < first) {
		first = s.unreplicated[0].first
	}
	return first
}

// removeExpired drops producers idle for longer than the expiration time
// and without an open transaction.
func (s *producerState) removeExpired(nowMs int64) {
	for pid, e := range s.producers {
		if e.txnFirstOffset < 0 && nowMs-e.lastTimestamp >= producerIDExpirationMs {
			delete(s.producers, pid)
		}
	}
}

func (s *producerState) active() []ActiveProducer {
	out := make([]ActiveProducer, 0, len(s.producers))
	for pid, e := range s.producers {
		out = append(out, ActiveProducer{ProducerID: pid, ProducerEpoch: e.epoch, LastSequence: e.lastSeq(),
			LastTimestamp: e.lastTimestamp, CoordinatorEpoch: e.coordinatorEpoch, CurrentTxnStartOffset: e.txnFirstOffset})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ProducerID < out[j].ProducerID })
	return out
}

// --- snapshots ---

// Snapshot layout (version 1): version int16, crc uint32 (CRC32C of what
// follows it), then an int32 count of 46-byte entries: producerId int64,
// epoch int16, lastSequence int32, lastOffset int64, offsetDelta int32,
// timestamp int64, coordinatorEpoch int32, currentTxnFirstOffset int64.
const (
	snapshotVersion   = 1
	snapshotEntrySize = 46
	snapshotCRCOffset = 2
	snapshotEntriesAt = 6
)

var errCorruptSnapshot = errors.New("corrupt producer snapshot")

// ProducerSnapshotEntry is one entry of a snapshot file.
type ProducerSnapshotEntry struct {
	ProducerID            int64
	ProducerEpoch         int16
	LastSequence          int32
	LastOffset            int64
	OffsetDelta           int32
	Timestamp             int64
	CoordinatorEpoch      int32
	CurrentTxnFirstOffset int64
}

// EncodeProducerSnapshot serialises entries in Kafka's snapshot format.
func EncodeProducerSnapshot(entries []ProducerSnapshotEntry) []byte {
	buf := make([]byte, snapshotEntriesAt+4, snapshotEntriesAt+4+len(entries)*snapshotEntrySize)
	binary.BigEndian.PutUint16(buf, snapshotVersion)
	binary.BigEndian.PutUint32(buf[snapshotEntriesAt:], uint32(len(entries)))
	var e [snapshotEntrySize]byte
	for _, x := range entries {
		binary.BigEndian.PutUint64(e[0:], uint64(x.ProducerID))
		binary.BigEndian.PutUint16(e[8:], uint16(x.ProducerEpoch))
		binary.BigEndian.PutUint32(e[10:], uint32(x.LastSequence))
		binary.BigEndian.PutUint64(e[14:], uint64(x.LastOffset))
		binary.BigEndian.PutUint32(e[22:], uint32(x.OffsetDelta))
		binary.BigEndian.PutUint64(e[26:], uint64(x.Timestamp))
		binary.BigEndian.PutUint32(e[34:], uint32(x.CoordinatorEpoch))
		binary.BigEndian.PutUint64(e[38:], uint64(x.CurrentTxnFirstOffset))
		buf = append(buf, e[:]...)
	}
	binary.BigEndian.PutUint32(buf[snapshotCRCOffset:], crc32.Checksum(buf[snapshotEntriesAt:], crc32.MakeTable(crc32.Castagnoli)))
	return buf
}

// DecodeProducerSnapshot parses a snapshot file's bytes.
func DecodeProducerSnapshot(data []byte) ([]ProducerSnapshotEntry, error) {
	if len(data) < snapshotEntriesAt+4 {
		return nil, fmt.Errorf("%w: snapshot failed schema validation: %d bytes", errCorruptSnapshot, len(data))
	}
	if v := int16(binary.BigEndian.Uint16(data)); v != snapshotVersion {
		return nil, fmt.Errorf("%w: snapshot contained an unknown file version %d", errCorruptSnapshot, v)
	}
	stored := binary.BigEndian.Uint32(data[snapshotCRCOffset:])
	if computed := crc32.Checksum(data[snapshotEntriesAt:], crc32.MakeTable(crc32.Castagnoli)); stored != computed {
		return nil, fmt.Errorf("%w: snapshot is corrupt (CRC is no longer valid). Stored crc: %d. Computed crc: %d", errCorruptSnapshot, stored, computed)
	}
	n := int(int32(binary.BigEndian.Uint32(data[snapshotEntriesAt:])))
	if n < 0 || len(data) != snapshotEntriesAt+4+n*snapshotEntrySize {
		return nil, fmt.Errorf("%w: snapshot failed schema validation: %d entries in %d bytes", errCorruptSnapshot, n, len(data))
	}
	out := make([]ProducerSnapshotEntry, n)
	for i := range out {
		e := data[snapshotEntriesAt+4+i*snapshotEntrySize:]
		out[i] = ProducerSnapshotEntry{
			ProducerID:            int64(binary.BigEndian.Uint64(e[0:])),
			ProducerEpoch:         int16(binary.BigEndian.Uint16(e[8:])),
			LastSequence:          int32(binary.BigEndian.Uint32(e[10:])),
			LastOffset:            int64(binary.BigEndian.Uint64(e[14:])),
			OffsetDelta:           int32(binary.BigEndian.Uint32(e[22:])),
			Timestamp:             int64(binary.BigEndian.Uint64(e[26:])),
			CoordinatorEpoch:      int32(binary.BigEndian.Uint32(e[34:])),
			CurrentTxnFirstOffset: int64(binary.BigEndian.Uint64(e[38:])),
		}
	}
	return out, nil
}

func (s *producerState) snapshotEntries() []ProducerSnapshotEntry {
	out := make([]ProducerSnapshotEntry, 0, len(s.producers))
	for pid, e := range s.producers {
		out = append(out, ProducerSnapshotEntry{ProducerID: pid, ProducerEpoch: e.epoch, LastSequence: e.lastSeq(),
			LastOffset: e.lastDataOffset(), OffsetDelta: e.lastOffsetDelta(), Timestamp: e.lastTimestamp,
			CoordinatorEpoch: e.coordinatorEpoch, CurrentTxnFirstOffset: e.txnFirstOffset})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ProducerID < out[j].ProducerID })
	return out
}

// loadSnapshotEntries replaces the state with a snapshot's entries.
func (s *producerState) loadSnapshotEntries(entries []ProducerSnapshotEntry, nowMs int64) {
	s.producers = map[int64]*producerEntry{}
	s.txnMu.Lock()
	s.ongoing, s.unreplicated = nil, nil
	s.txnMu.Unlock()
	for _, x := range entries {
		e := &producerEntry{epoch: x.ProducerEpoch, coordinatorEpoch: x.CoordinatorEpoch, lastTimestamp: x.Timestamp, txnFirstOffset: x.CurrentTxnFirstOffset}
		if x.LastOffset >= 0 {
			e.batches = []batchMetadata{{lastSeq: x.LastSequence, lastOffset: x.LastOffset, offsetDelta: x.OffsetDelta, timestamp: x.Timestamp}}
		}
		if e.txnFirstOffset < 0 && nowMs-e.lastTimestamp >= producerIDExpirationMs {
			continue
		}
		s.producers[x.ProducerID] = e
		if e.txnFirstOffset >= 0 {
			s.ongoing = insertTxn(s.ongoing, txnMetadata{producerID: x.ProducerID, first: e.txnFirstOffset, last: -1})
		}
	}
}

// listSnapshots reads the snapshot offsets present in dir.
func listSnapshots(dir string) []int64 {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []int64
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ProducerSnapshotFileSuffix) {
			continue
		}
		prefix := strings.TrimSuffix(name, ProducerSnapshotFileSuffix)
		if off, err := strconv.ParseInt(prefix, 10, 64); err == nil && len(prefix) == 20 {
			out = append(out, off)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// takeSnapshot writes the state at mapEndOffset unless a snapshot there
// exists already.
func (s *producerState) takeSnapshot() error {
	if s.mapEndOffset <= s.lastSnapOffset {
		return nil
	}
	path := ProducerSnapshotFile(s.dir, s.mapEndOffset)
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(EncodeProducerSnapshot(s.snapshotEntries())); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	f.Close()
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	i := sort.Search(len(s.snapshots), func(i int) bool { return s.snapshots[i] >= s.mapEndOffset })
	if i == len(s.snapshots) || s.snapshots[i] != s.mapEndOffset {
		s.snapshots = append(s.snapshots, 0)
		copy(s.snapshots[i+1:], s.snapshots[i:])
		s.snapshots[i] = s.mapEndOffset
	}
	s.lastSnapOffset = s.mapEndOffset
	logger.Infof("[ProducerStateManager partition=%s] Wrote producer snapshot at offset %d with %d producer ids",
		filepath.Base(s.dir), s.mapEndOffset, len(s.producers))
	return nil
}

// deleteSnapshotsWhere removes the snapshot files matching pred.
func (s *producerState) deleteSnapshotsWhere(pred func(off int64) bool) {
	kept := s.snapshots[:0]
	for _, off := range s.snapshots {
		if pred(off) {
			if err := os.Remove(ProducerSnapshotFile(s.dir, off)); err != nil && !errors.Is(err, os.ErrNotExist) {
				logger.Warnf("Failed to delete producer snapshot %s: %v", ProducerSnapshotFile(s.dir, off), err)
			}
			continue
		}
		kept = append(kept, off)
	}
	s.snapshots = kept
}

func (s *producerState) latestSnapshotOffset() (int64, bool) {
	if len(s.snapshots) == 0 {
		return 0, false
	}
	return s.snapshots[len(s.snapshots)-1], true
}

// lastOffsetsOfProducers maps each producer id to the last offset of its
// last data batch.
func (s *producerState) lastOffsetsOfProducers() map[int64]int64 {
	out := make(map[int64]int64, len(s.producers))
	for pid, e := range s.producers {
		if off := e.lastDataOffset(); off >= 0 {
			out[pid] = off
		}
	}
	return out
}
