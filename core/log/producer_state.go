package log

import (
	"math"
	"time"

	"github.com/gokafka/kafka/core/record"
)

// Idempotent producers retry a batch when they miss its acknowledgement;
// Kafka answers such a retry with the offsets of the first copy instead of
// appending it again. This is the part of Kafka's ProducerStateManager that
// does that: per producer id, the sequence ranges and offsets of its last
// five batches. Sequence gaps are not rejected, and the state is not
// snapshotted; after a restart it is rebuilt from the newest segments.

// producerBatchesKept matches Kafka's ProducerStateEntry.NumBatchesToRetain.
const producerBatchesKept = 5

// producerIDExpirationMs is Kafka's default (transactional.id.expiration.ms).
const producerIDExpirationMs = 7 * 24 * 3600 * 1000

type producerBatch struct {
	epoch                   int16
	firstSeq, lastSeq       int32
	firstOffset, lastOffset int64
	timestamp               int64
}

type producerEntry struct {
	batches []producerBatch
	lastMs  int64 // wall time of the last append, for expiration
}

// producerState is guarded by Log.mu.
type producerState struct {
	producers map[int64]*producerEntry
}

func newProducerState() *producerState {
	return &producerState{producers: map[int64]*producerEntry{}}
}

// lastSequence adds the batch's offset span to its base sequence, wrapping
// past MaxInt32 to 0 as producers do.
func lastSequence(b record.Batch) int32 {
	base, delta := int64(b.BaseSequence()), int64(b.LastOffsetDelta())
	if base > math.MaxInt32-delta {
		return int32(delta - (math.MaxInt32 - base) - 1)
	}
	return int32(base + delta)
}

// findDuplicate returns the earlier copy of b if this producer already
// wrote the same sequence range in the same epoch.
func (s *producerState) findDuplicate(b record.Batch) (producerBatch, bool) {
	pid := b.ProducerID()
	if pid < 0 || b.IsControl() {
		return producerBatch{}, false
	}
	e := s.producers[pid]
	if e == nil {
		return producerBatch{}, false
	}
	first, last := b.BaseSequence(), lastSequence(b)
	for _, m := range e.batches {
		if m.epoch == b.ProducerEpoch() && m.firstSeq == first && m.lastSeq == last {
			return m, true
		}
	}
	return producerBatch{}, false
}

// update records a batch that was appended with its final offsets.
func (s *producerState) update(b record.Batch, nowMs int64) {
	pid := b.ProducerID()
	if pid < 0 || b.IsControl() || b.BaseSequence() < 0 {
		return
	}
	e := s.producers[pid]
	if e == nil {
		e = &producerEntry{}
		s.producers[pid] = e
	}
	if n := len(e.batches); n > 0 && e.batches[n-1].epoch != b.ProducerEpoch() {
		e.batches = e.batches[:0] // a new epoch restarts the sequences
	}
	e.batches = append(e.batches, producerBatch{epoch: b.ProducerEpoch(), firstSeq: b.BaseSequence(),
		lastSeq: lastSequence(b), firstOffset: b.BaseOffset(), lastOffset: b.LastOffset(), timestamp: b.MaxTimestamp()})
	if len(e.batches) > producerBatchesKept {
		e.batches = append(e.batches[:0], e.batches[len(e.batches)-producerBatchesKept:]...)
	}
	e.lastMs = nowMs
}

// truncateFrom forgets batches at or after offset (log truncation).
func (s *producerState) truncateFrom(offset int64) {
	for pid, e := range s.producers {
		kept := e.batches[:0]
		for _, m := range e.batches {
			if m.lastOffset < offset {
				kept = append(kept, m)
			}
		}
		e.batches = kept
		if len(kept) == 0 {
			delete(s.producers, pid)
		}
	}
}

// removeExpired drops producers idle for longer than the expiration time.
func (s *producerState) removeExpired(nowMs int64) {
	for pid, e := range s.producers {
		if nowMs-e.lastMs > producerIDExpirationMs {
			delete(s.producers, pid)
		}
	}
}

// rebuildProducerState scans the batch headers of the newest segments,
// which hold the batches a producer could still be retrying.
func (l *Log) rebuildProducerState() {
	l.producers = newProducerState()
	now := time.Now().UnixMilli()
	from := max(0, len(l.segments)-2)
	for _, s := range l.segments[from:] {
		size := s.size.Load()
		for pos := int64(0); ; {
			h, err := s.header(pos, size)
			if h == nil || err != nil {
				break
			}
			l.producers.update(h, now)
			pos += int64(h.Size())
		}
	}
}
