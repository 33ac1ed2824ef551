package log

import (
	"encoding/binary"
	"os"
	"sort"
	"time"

	"github.com/gokafka/kafka/core/record"
)

// The transactional side of Log: producer state loading and replay, control
// markers, the last stable offset and aborted transactions for
// read_committed fetches.

// loadProducerState rebuilds the producer state for a log ending at leo:
// the newest readable snapshot at or below min(leo, rebuildFrom) is loaded
// and the batches after it are replayed. rebuildFrom is the base offset of
// the first segment whose transaction index recovery reset (MaxInt64 if
// none): the replay writes those segments' entries again. Caller holds mu
// (or owns the log during load).
func (l *Log) loadProducerState(leo, rebuildFrom int64) error {
	now := time.Now().UnixMilli()
	ps := newProducerState(l.dir)
	ps.snapshots = listSnapshots(l.dir)
	first := l.segments[0].baseOffset
	// Like Kafka's removeStraySnapshots: keep the snapshots at segment
	// bases and the newest one past the last base (written at shutdown);
	// drop the others (segments merged by the cleaner, truncated ones).
	bases := make(map[int64]bool, len(l.segments))
	for _, s := range l.segments {
		bases[s.baseOffset] = true
	}
	lastBase := l.segments[len(l.segments)-1].baseOffset
	newest := int64(-1)
	if n := len(ps.snapshots); n > 0 && ps.snapshots[n-1] > lastBase && ps.snapshots[n-1] <= leo {
		newest = ps.snapshots[n-1]
	}
	ps.deleteSnapshotsWhere(func(off int64) bool {
		return off > leo || off < first || (!bases[off] && off != newest)
	})
	limit := min(leo, rebuildFrom)
	start := first
	var bad []int64
	for i := len(ps.snapshots) - 1; i >= 0; i-- {
		off := ps.snapshots[i]
		if off > limit {
			continue
		}
		data, err := os.ReadFile(ProducerSnapshotFile(l.dir, off))
		var entries []ProducerSnapshotEntry
		if err == nil {
			entries, err = DecodeProducerSnapshot(data)
		}
		if err != nil {
			l.warnf("Failed to load producer snapshot from '%s': %v", ProducerSnapshotFile(l.dir, off), err)
			bad = append(bad, off)
			continue
		}
		l.infof("Loading producer state from snapshot file '%s'", ProducerSnapshotFile(l.dir, off))
		ps.loadSnapshotEntries(entries, now)
		start = off
		break
	}
	if len(bad) > 0 {
		ps.deleteSnapshotsWhere(func(off int64) bool {
			for _, b := range bad {
				if b == off {
					return true
				}
			}
			return false
		})
	}
	if start < leo {
		l.infof("Loading producer state till offset %d from offset %d", leo, start)
	}
	if err := l.replayProducerState(ps, start, leo); err != nil {
		return err
	}
	ps.removeExpired(now)
	ps.mapEndOffset = leo
	ps.lastSnapOffset = start
	if latest, ok := ps.latestSnapshotOffset(); ok && latest > start {
		ps.lastSnapOffset = latest
	}
	if l.producers == nil {
		l.producers = ps
	} else {
		l.producers.replaceWith(ps)
	}
	return nil
}

// replaceWith installs other's content in s, so readers of the
// transaction lists keep a stable pointer.
func (s *producerState) replaceWith(other *producerState) {
	s.txnMu.Lock()
	s.ongoing, s.unreplicated = other.ongoing, other.unreplicated
	s.txnMu.Unlock()
	s.producers = other.producers
	s.mapEndOffset, s.lastSnapOffset, s.snapshots = other.mapEndOffset, other.lastSnapOffset, other.snapshots
}

// replayProducerState feeds the batches in [from, to) to ps, reading
// whole batches only for control batches.
func (l *Log) replayProducerState(ps *producerState, from, to int64) error {
	defer func() {
		for _, s := range l.segments {
			s.txnIndexRebuilt = false
		}
	}()
	for i, s := range l.segments {
		if i+1 < len(l.segments) && l.segments[i+1].baseOffset <= from {
			continue
		}
		if s.baseOffset >= to {
			break
		}
		size := s.size.Load()
		pos := int64(0)
		if from > s.baseOffset {
			pos = int64(s.offsetIndex.lookup(from).Position)
		}
		for {
			h, err := s.header(pos, size)
			if err != nil {
				return err
			}
			if h == nil || h.BaseOffset() >= to {
				break
			}
			if h.LastOffset() >= from && h.ProducerID() >= 0 {
				b := h
				if h.IsControl() {
					full := make([]byte, h.Size())
					if _, err := s.log.ReadAt(full, pos); err != nil {
						return err
					}
					b = record.Batch(full)
				}
				if done := ps.update(b); done != nil {
					if done.aborted && s.txnIndexRebuilt {
						a := AbortedTxn{ProducerID: done.producerID, FirstOffset: done.first, LastOffset: done.last,
							LastStableOffset: ps.lastStableOffsetFor(done)}
						if err := s.txnIndex.append(a); err != nil {
							l.warnf("Error rebuilding the transaction index of segment %d: %v", s.baseOffset, err)
						}
					}
					ps.completeTxn(done)
				}
			}
			pos += int64(h.Size())
		}
	}
	return nil
}

// validateProducers checks the batches of a leader append against the
// producer state. For a single client batch that repeats one of the
// producer's last five, dup is the first copy. Caller holds mu.
func (l *Log) validateProducers(records []byte, o appendOrigin, batches int) (dup *batchMetadata, err error) {
	tp := l.TopicPartition() // formatted only into errors: no per-append Sprintf
	for off := 0; off < len(records); {
		b := record.Batch(records[off:])
		off += b.Size()
		if b.ProducerID() < 0 {
			continue
		}
		if b.IsControl() {
			if ctype, coordEpoch, ok := endTxnMarker(b); ok && (ctype == controlTypeAbort || ctype == controlTypeCommit) {
				if err := l.producers.validateMarker(b.ProducerID(), b.ProducerEpoch(), coordEpoch, tp); err != nil {
					return nil, err
				}
			}
			continue
		}
		if o == originClient && batches == 1 {
			if m, ok := l.producers.findDuplicate(b); ok {
				return &m, nil
			}
		}
		if err := l.producers.validateData(b, o, tp); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

// updateProducers records appended batches; seg is the segment they were
// written to, whose transaction index gets the aborted transactions.
// Caller holds mu.
func (l *Log) updateProducers(records []byte, seg *LogSegment) {
	for off := 0; off < len(records); {
		b := record.Batch(records[off:])
		if done := l.producers.update(b); done != nil {
			if done.aborted {
				a := AbortedTxn{ProducerID: done.producerID, FirstOffset: done.first, LastOffset: done.last,
					LastStableOffset: l.producers.lastStableOffsetFor(done)}
				if err := seg.txnIndex.append(a); err != nil {
					l.errorf("Error appending to the transaction index of segment %d: %v", seg.baseOffset, err)
				}
			}
			l.producers.completeTxn(done)
		}
		off += b.Size()
	}
	l.producers.mapEndOffset = l.leo.Load()
}

// EndTxnMarkerRecord builds the key and value of Kafka's
// EndTransactionMarker control record.
func EndTxnMarkerRecord(commit bool, coordinatorEpoch int32) record.Record {
	key := make([]byte, 4)
	if commit {
		binary.BigEndian.PutUint16(key[2:], controlTypeCommit)
	}
	val := make([]byte, 6)
	binary.BigEndian.PutUint32(val[2:], uint32(coordinatorEpoch))
	return record.Record{Key: key, Value: val}
}

// AppendControlMarker writes a transaction marker (COMMIT or ABORT) for
// producerID as the leader: a v2 control batch with the transactional
// bit, the producer's id and epoch and base sequence -1. A marker with an
// older producer epoch fails with ErrInvalidProducerEpoch, one from an
// older coordinator epoch with ErrTransactionCoordinatorFenced.
func (l *Log) AppendControlMarker(producerID int64, producerEpoch int16, commit bool, coordinatorEpoch, leaderEpoch int32) (AppendResult, error) {
	o := record.BatchOptions{
		PartitionLeaderEpoch: leaderEpoch,
		Codec:                record.CodecNone,
		FirstTimestamp:       time.Now().UnixMilli(),
		LogAppendTime:        -1,
		ProducerID:           producerID,
		ProducerEpoch:        producerEpoch,
		BaseSequence:         record.NoSequence,
		Transactional:        true,
		Control:              true,
	}
	batch, err := record.BuildBatchWith(o, []record.Record{EndTxnMarkerRecord(commit, coordinatorEpoch)})
	if err != nil {
		return AppendResult{FirstOffset: -1, LastOffset: -1, LogAppendTime: -1}, err
	}
	return l.appendAsLeader(batch, leaderEpoch, originCoordinator)
}

// LastStableOffset is the offset below which every transaction is
// decided and its marker replicated: the first offset of the oldest open
// (or not yet replicated) transaction, at most the high watermark.
func (l *Log) LastStableOffset() int64 {
	hw := l.hw.Load()
	if l.producers == nil {
		return hw
	}
	fu := l.producers.firstUnstableOffset(hw)
	if fu < 0 || fu >= hw {
		return hw
	}
	return max(fu, l.logStart.Load())
}

// ReadAbortedTransactions returns the aborted transactions that overlap
// [from, upTo), from the transaction indexes of the segment holding from
// and the later ones.
func (l *Log) ReadAbortedTransactions(from, upTo int64) []AbortedTxn {
	l.segMu.RLock()
	defer l.segMu.RUnlock()
	i := sort.Search(len(l.segments), func(i int) bool { return l.segments[i].baseOffset > from }) - 1
	var out []AbortedTxn
	for i = max(i, 0); i < len(l.segments); i++ {
		var done bool
		if out, done = l.segments[i].txnIndex.collect(out, from, upTo); done {
			break
		}
	}
	return out
}

// ActiveProducers lists the producers the log knows (DescribeProducers).
func (l *Log) ActiveProducers() []ActiveProducer {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.producers.active()
}

// ProducerSnapshotOffsets lists the offsets of the snapshot files.
func (l *Log) ProducerSnapshotOffsets() []int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]int64(nil), l.producers.snapshots...)
}

// TakeProducerSnapshot writes a snapshot at the log end (tests, shutdown).
func (l *Log) TakeProducerSnapshot() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.producers.mapEndOffset = l.leo.Load()
	return l.producers.takeSnapshot()
}

// snapshotOnRoll writes the producer state at the new segment's base.
// Caller holds mu.
func (l *Log) snapshotOnRoll(newBase int64) {
	l.producers.mapEndOffset = max(l.producers.mapEndOffset, newBase)
	if err := l.producers.takeSnapshot(); err != nil {
		l.errorf("Error writing producer snapshot at offset %d: %v", newBase, err)
	}
}
