package log

import (
	"encoding/binary"
	"sort"

	"github.com/gokafka/kafka/core/record"
)

// Transactions in a compacted log, following Kafka's cleaner: records of
// aborted transactions never enter the offset map and are removed, so an
// aborted value can never make the cleaner drop the committed one before
// it; records of a transaction whose marker is not written yet do not enter
// the map either. A transaction marker goes once no batch of its
// transaction is left and its segment is past the delete horizon. Kafka
// learns which transactions aborted from its .txnindex files; here one scan
// of the batch headers finds every marker.

type offsetRange struct{ first, last int64 }

// txnOutcomes says, per producer id, which offsets belong to aborted
// transactions and from where a transaction is still open.
type txnOutcomes struct {
	aborted map[int64][]offsetRange // sorted by first
	ongoing map[int64]int64         // producer id -> first offset of its open transaction
}

func (t *txnOutcomes) isAborted(pid, offset int64) bool {
	rs := t.aborted[pid]
	i := sort.Search(len(rs), func(i int) bool { return rs[i].last >= offset })
	return i < len(rs) && rs[i].first <= offset
}

func (t *txnOutcomes) isOngoing(pid, offset int64) bool {
	first, ok := t.ongoing[pid]
	return ok && offset >= first
}

// controlType reads the type of a marker batch, or -1.
func controlType(b record.Batch) int {
	recs, err := record.DecodeRecords(b)
	if err != nil || len(recs) == 0 || len(recs[0].Key) < 4 {
		return -1
	}
	return int(int16(binary.BigEndian.Uint16(recs[0].Key[2:4])))
}

// collectTxnOutcomes scans the batch headers of every segment (reading
// whole batches only for markers).
func collectTxnOutcomes(segs []*LogSegment) (*txnOutcomes, error) {
	t := &txnOutcomes{aborted: map[int64][]offsetRange{}, ongoing: map[int64]int64{}}
	for _, s := range segs {
		size := s.size.Load()
		for pos := int64(0); ; {
			h, err := s.header(pos, size)
			if err != nil {
				return nil, err
			}
			if h == nil {
				break
			}
			if h.IsTransactional() && h.ProducerID() >= 0 {
				pid := h.ProducerID()
				if h.IsControl() {
					full := make([]byte, h.Size())
					if _, err := s.log.ReadAt(full, pos); err != nil {
						return nil, err
					}
					if first, open := t.ongoing[pid]; open {
						if controlType(full) == controlTypeAbort {
							t.aborted[pid] = append(t.aborted[pid], offsetRange{first, h.LastOffset()})
						}
						delete(t.ongoing, pid)
					}
				} else if _, open := t.ongoing[pid]; !open {
					t.ongoing[pid] = h.BaseOffset()
				}
			}
			pos += int64(h.Size())
		}
	}
	return t, nil
}

// keepOutOfMap reports batches whose records must not enter the map.
func (t *txnOutcomes) keepOutOfMap(b record.Batch) bool {
	if !b.IsTransactional() || t == nil {
		return false
	}
	return t.isAborted(b.ProducerID(), b.BaseOffset()) || t.isOngoing(b.ProducerID(), b.BaseOffset())
}

// cleanedTxns tracks, during one clean, whether batches of each producer's
// current transaction were seen, which decides if its marker may go.
type cleanedTxns struct {
	outcomes *txnOutcomes
	seenData map[int64]bool
}

func newCleanedTxns(o *txnOutcomes) *cleanedTxns {
	return &cleanedTxns{outcomes: o, seenData: map[int64]bool{}}
}

// onDataBatch notes a transactional batch and reports whether it belongs
// to an aborted transaction (and so is removed).
func (c *cleanedTxns) onDataBatch(b record.Batch) bool {
	if !b.IsTransactional() {
		return false
	}
	c.seenData[b.ProducerID()] = true
	return c.outcomes.isAborted(b.ProducerID(), b.BaseOffset())
}

// onMarker reports whether a marker may be removed: past the delete
// horizon and with no batch of its transaction left in this pass.
func (c *cleanedTxns) onMarker(b record.Batch, retainMarkers bool) bool {
	seen := c.seenData[b.ProducerID()]
	delete(c.seenData, b.ProducerID())
	return !retainMarkers && !seen
}
