package log

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"time"

	"github.com/gokafka/kafka/core/logging"
	"github.com/gokafka/kafka/core/record"
)

// This file is Kafka's Cleaner: it compacts one log. The offset map is
// built over the dirty section (from the cleaner checkpoint up to the first
// uncleanable offset); then every segment from the start of the log up to
// the end of what the map covers is rewritten, in groups that fit one
// segment, keeping a record only if no later record in the map has its
// key. Rewritten batches keep their base and last offsets, producer fields
// and codec, so offsets never move; readers see gaps instead.

var cleanerLogger = logging.For("kafka.log.LogCleaner")

// errCleaningAborted means the log changed under the cleaner (truncated,
// deleted, closed, segments removed by retention) or the cleaner is
// stopping; the clean is dropped and tried again later.
var errCleaningAborted = errors.New("log cleaning aborted")

// logToClean is a log picked for cleaning (Kafka's LogToClean).
type logToClean struct {
	log                    *Log
	firstDirtyOffset       int64
	firstUncleanableOffset int64 // a segment base offset
	cleanBytes             int64
	cleanableBytes         int64
	needCompactionNow      bool
	// truncations is the log's truncation count when the offsets were
	// computed; a truncation after that cancels the swap.
	truncations int64
}

func (c *logToClean) totalBytes() int64 { return c.cleanBytes + c.cleanableBytes }

func (c *logToClean) cleanableRatio() float64 {
	if c.totalBytes() == 0 {
		return 0
	}
	return float64(c.cleanableBytes) / float64(c.totalBytes())
}

// cleanerStats are the figures the cleaner thread logs after each clean.
type cleanerStats struct {
	bytesRead, bytesWritten       int64
	mapBytesRead, mapMessagesRead int64
	messagesRead, messagesWritten int64
	invalidMessages               int64
	start, mapDone, end           time.Time
	bufferUtilization             float64
}

// cleaner compacts logs; each cleaner thread owns one with its own map.
type cleaner struct {
	id           int
	offsetMap    *offsetMap
	ioBufferSize int
	txns         *txnOutcomes // of the log being cleaned
	// checkDone returns errCleaningAborted when the clean must stop.
	checkDone func(tp TopicPartition) error
}

func newCleaner(id int, dedupeBytes int64, ioBufferSize int, checkDone func(TopicPartition) error) *cleaner {
	if ioBufferSize < 4096 {
		ioBufferSize = 512 << 10
	}
	if checkDone == nil {
		checkDone = func(TopicPartition) error { return nil }
	}
	return &cleaner{id: id, offsetMap: newOffsetMap(dedupeBytes), ioBufferSize: ioBufferSize, checkDone: checkDone}
}

func (c *cleaner) infof(f string, a ...any) {
	cleanerLogger.Infof(fmt.Sprintf("Cleaner %d: ", c.id)+f, a...)
}

// segmentsBetween returns the segments holding offsets in [from, to): the
// one containing from (if any) and every later one whose base is below to
// (Kafka's Log.logSegments(from, to)).
func segmentsBetween(segs []*LogSegment, from, to int64) []*LogSegment {
	if from >= to {
		return nil
	}
	start := 0
	for i, s := range segs {
		if s.baseOffset <= from {
			start = i
		}
	}
	var out []*LogSegment
	for _, s := range segs[start:] {
		if s.baseOffset >= to {
			break
		}
		out = append(out, s)
	}
	return out
}

// lastModified is the segment file's modification time in ms, the clock
// Kafka uses for tombstone retention.
func (s *LogSegment) lastModified() (int64, error) {
	st, err := s.log.Stat()
	if err != nil {
		return 0, err
	}
	return st.ModTime().UnixMilli(), nil
}

// firstBatchTimestamp is the first batch's max timestamp, or -1.
func (s *LogSegment) firstBatchTimestamp() int64 {
	if h, _ := s.header(0, s.size.Load()); h != nil {
		return h.MaxTimestamp()
	}
	return record.NoTimestamp
}

// clean compacts the log and returns the offset the next clean starts
// from (the new cleaner checkpoint).
func (c *cleaner) clean(ltc *logToClean) (int64, *cleanerStats, error) {
	l := ltc.log
	gen := ltc.truncations
	segs := l.segmentsSnapshot()
	// Tombstones may go once they are delete.retention.ms older than the
	// last segment that was already clean when this run started.
	deleteHorizon := int64(0)
	if clean := segmentsBetween(segs, 0, ltc.firstDirtyOffset); len(clean) > 0 {
		lm, err := clean[len(clean)-1].lastModified()
		if err != nil {
			return 0, nil, l.cleanError(segs, err)
		}
		deleteHorizon = lm - l.cfg.Load().DeleteRetentionMs
	}
	return c.doClean(ltc, segs, gen, deleteHorizon)
}

func (c *cleaner) doClean(ltc *logToClean, segs []*LogSegment, gen, deleteHorizon int64) (int64, *cleanerStats, error) {
	l := ltc.log
	name := l.TopicPartition().String()
	stats := &cleanerStats{start: time.Now()}
	c.infof("Beginning cleaning of log %s.", name)
	c.infof("Building offset map for %s...", name)
	upper := ltc.firstUncleanableOffset
	txns, err := collectTxnOutcomes(segs)
	if err != nil {
		return 0, nil, l.cleanError(segs, err)
	}
	c.txns = txns
	if err := c.buildOffsetMap(l, segs, ltc.firstDirtyOffset, upper, stats); err != nil {
		return 0, nil, l.cleanError(segs, err)
	}
	endOffset := max(c.offsetMap.latestOffset+1, ltc.firstDirtyOffset)
	stats.mapDone = time.Now()

	cleanableHorizon := int64(0)
	if upTo := segmentsBetween(segs, 0, upper); len(upTo) > 0 {
		cleanableHorizon, _ = upTo[len(upTo)-1].lastModified()
	}
	c.infof("Cleaning log %s (cleaning prior to %s, discarding tombstones prior to %s)...", name,
		time.UnixMilli(cleanableHorizon).UTC().Format(time.UnixDate), time.UnixMilli(deleteHorizon).UTC().Format(time.UnixDate))
	producers := l.lastOffsetsOfActiveProducers()
	cfg := l.cfg.Load()
	cleaned := newCleanedTxns(txns)
	for _, group := range groupSegmentsBySize(segmentsBetween(segs, 0, endOffset), cfg.SegmentBytes, int64(cfg.MaxIndexSize), upper) {
		if err := c.cleanSegments(l, group, gen, deleteHorizon, stats, producers, cleaned); err != nil {
			return 0, nil, l.cleanError(segs, err)
		}
	}
	stats.bufferUtilization = c.offsetMap.utilization()
	stats.end = time.Now()
	return endOffset, stats, nil
}

// cleanError turns a failure caused by the log changing underneath (a
// segment closed by retention or truncation) into an abort.
func (l *Log) cleanError(segs []*LogSegment, err error) error {
	if err == nil || errors.Is(err, errCleaningAborted) {
		return err
	}
	if l.closed.Load() || !l.hasSegments(segs[:len(segs)-1]) {
		return fmt.Errorf("%w: %v", errCleaningAborted, err)
	}
	return err
}

// groupSegmentsBySize splits segments into runs that each fit one segment
// file: at most maxSize log bytes, maxIndexSize bytes of each index, and
// offsets within 2^31 of the group's base (Kafka's groupSegmentsBySize).
func groupSegmentsBySize(segs []*LogSegment, maxSize, maxIndexSize, firstUncleanableOffset int64) [][]*LogSegment {
	var groups [][]*LogSegment
	for len(segs) > 0 {
		group := []*LogSegment{segs[0]}
		logSize := segs[0].size.Load()
		idxSize := segs[0].offsetIndex.sizeInBytes()
		timeSize := segs[0].timeIndex.sizeInBytes()
		segs = segs[1:]
		for len(segs) > 0 {
			next := segs[0]
			lastOffset := firstUncleanableOffset - 1
			if len(segs) > 1 {
				lastOffset = segs[1].baseOffset - 1
			}
			if logSize+next.size.Load() > maxSize ||
				idxSize+next.offsetIndex.sizeInBytes() > maxIndexSize ||
				timeSize+next.timeIndex.sizeInBytes() > maxIndexSize ||
				(next.size.Load() > 0 && lastOffset-group[0].baseOffset > math.MaxInt32) {
				break
			}
			group = append(group, next)
			logSize += next.size.Load()
			idxSize += next.offsetIndex.sizeInBytes()
			timeSize += next.timeIndex.sizeInBytes()
			segs = segs[1:]
		}
		groups = append(groups, group)
	}
	return groups
}

// batchReader walks the batches of a sealed segment through its own
// buffer; it reads the file only (never the mmapped indexes), so a segment
// closed by retention meanwhile just gives an error.
type batchReader struct {
	r         *bufio.Reader
	pos, size int64
	buf       []byte
	name      string
}

func newBatchReader(s *LogSegment, bufSize int) *batchReader {
	size := s.size.Load()
	return &batchReader{r: bufio.NewReaderSize(io.NewSectionReader(s.log, 0, size), bufSize), size: size, name: s.log.Name()}
}

// next returns the next batch (valid until the following call), or nil at
// the end of the segment.
func (br *batchReader) next() (record.Batch, error) {
	if br.pos+record.BatchHeaderSize > br.size {
		return nil, nil
	}
	if len(br.buf) < record.BatchHeaderSize {
		br.buf = make([]byte, 64<<10)
	}
	if _, err := io.ReadFull(br.r, br.buf[:record.LogOverhead]); err != nil {
		return nil, err
	}
	total := int64(int32(binary.BigEndian.Uint32(br.buf[8:]))) + record.LogOverhead
	if total < record.BatchHeaderSize || br.pos+total > br.size {
		return nil, fmt.Errorf("%w: bad batch length at position %d of %s", record.ErrCorruptMessage, br.pos, br.name)
	}
	if int64(len(br.buf)) < total {
		nb := make([]byte, total)
		copy(nb, br.buf[:record.LogOverhead])
		br.buf = nb
	}
	if _, err := io.ReadFull(br.r, br.buf[record.LogOverhead:total]); err != nil {
		return nil, err
	}
	b := record.Batch(br.buf[:total])
	if b.Magic() != record.MagicV2 || !b.IsValidCRC() {
		return nil, fmt.Errorf("%w: invalid batch at position %d of %s", record.ErrCorruptMessage, br.pos, br.name)
	}
	br.pos += total
	return b, nil
}

// buildOffsetMap fills the map with key -> latest offset for the records
// in [start, end), stopping early when the map is full.
func (c *cleaner) buildOffsetMap(l *Log, segs []*LogSegment, start, end int64, stats *cleanerStats) error {
	m := c.offsetMap
	m.clear()
	dirty := segmentsBetween(segs, start, end)
	name := l.TopicPartition().String()
	c.infof("Building offset map for log %s for %d segments in offset range [%d, %d).", name, len(dirty), start, end)
	for i, s := range dirty {
		if err := c.checkDone(l.TopicPartition()); err != nil {
			return err
		}
		full, err := c.buildOffsetMapForSegment(l.TopicPartition(), s, start, stats)
		if err != nil {
			return err
		}
		if full {
			logger.Debugf("Cleaner %d: Offset map is full, %d segments fully mapped, segment with base offset %d is partially mapped", c.id, i, s.baseOffset)
			break
		}
	}
	c.infof("Offset map for log %s complete.", name)
	return nil
}

func (c *cleaner) buildOffsetMapForSegment(tp TopicPartition, s *LogSegment, start int64, stats *cleanerStats) (bool, error) {
	m := c.offsetMap
	br := newBatchReader(s, c.ioBufferSize/2)
	for n := 0; ; n++ {
		if n%256 == 255 {
			if err := c.checkDone(tp); err != nil {
				return false, err
			}
		}
		b, err := br.next()
		if b == nil || err != nil {
			return false, err
		}
		stats.mapBytesRead += int64(len(b))
		if b.LastOffset() < start {
			continue
		}
		if !b.IsControl() && !c.txns.keepOutOfMap(b) {
			recs, err := record.DecodeRecords(b)
			if err != nil {
				return false, err
			}
			for i := range recs {
				r := &recs[i]
				if r.Key != nil && r.Offset >= start {
					if m.full() {
						return true, nil
					}
					m.put(r.Key, r.Offset)
				}
				stats.mapMessagesRead++
			}
		}
		m.updateLatestOffset(b.LastOffset())
	}
}

// cleanSegments rewrites a group of segments into one ".cleaned" segment
// and swaps it in.
func (c *cleaner) cleanSegments(l *Log, group []*LogSegment, gen, deleteHorizon int64, stats *cleanerStats, producers map[int64]int64, txns *cleanedTxns) error {
	cfg := l.cfg.Load()
	base := group[0].baseOffset
	dst, err := createCleanedSegment(l.dir, base, cfg)
	if err != nil {
		return err
	}
	swapped := false
	defer func() {
		if !swapped {
			dst.closeHandlers()
			removeFiles(cleanedPaths(l.dir, base))
		}
	}()
	name := l.TopicPartition().String()
	for _, s := range group {
		lm, err := s.lastModified()
		if err != nil {
			return err
		}
		retainDeletes := lm > deleteHorizon
		verb := "discarding"
		if retainDeletes {
			verb = "retaining"
		}
		c.infof("Cleaning LogSegment(baseOffset=%d, size=%d, lastModifiedTime=%d) in log %s into %d with deletion horizon %d, %s deletes.",
			s.baseOffset, s.size.Load(), lm, name, base, deleteHorizon, verb)
		if err := c.cleanInto(l.TopicPartition(), s, dst, retainDeletes, stats, producers, txns); err != nil {
			return err
		}
	}
	// The aborted transactions of the group stay indexed in the cleaned
	// segment: fetches below the markers still need them.
	for _, s := range group {
		for _, a := range s.txnIndex.all() {
			if err := dst.txnIndex.append(a); err != nil {
				return err
			}
		}
	}
	if err := dst.onBecomeInactive(); err != nil {
		return err
	}
	// The cleaned segment keeps the last original segment's modification
	// time, so tombstone and time retention age as if nothing happened.
	lm, err := group[len(group)-1].lastModified()
	if err != nil {
		return err
	}
	mt := time.UnixMilli(lm)
	if err := os.Chtimes(segmentFile(l.dir, base, LogFileSuffix)+CleanedFileSuffix, mt, mt); err != nil {
		return err
	}
	if err := dst.flush(); err != nil {
		return err
	}
	dst.closeHandlers()
	swapped = true // from here on replaceSegments owns the files
	bases := make([]int64, len(group))
	for i, s := range group {
		bases[i] = s.baseOffset
	}
	c.infof("Swapping in cleaned segment %d for segment(s) %v in log %s", base, bases, name)
	if err := l.replaceSegments(base, group, gen); err != nil {
		removeFiles(cleanedPaths(l.dir, base))
		return err
	}
	return nil
}

// cleanInto copies the records of src worth keeping into dst.
func (c *cleaner) cleanInto(tp TopicPartition, src, dst *LogSegment, retainDeletes bool, stats *cleanerStats, producers map[int64]int64, txns *cleanedTxns) error {
	br := newBatchReader(src, c.ioBufferSize/2)
	out := make([]byte, 0, c.ioBufferSize/2)
	flush := func() error {
		if len(out) == 0 {
			return nil
		}
		if err := dst.append(out); err != nil {
			return err
		}
		stats.bytesWritten += int64(len(out))
		out = out[:0]
		return nil
	}
	for n := 0; ; n++ {
		if n%256 == 255 {
			if err := c.checkDone(tp); err != nil {
				return err
			}
		}
		b, err := br.next()
		if err != nil {
			return err
		}
		if b == nil {
			return flush()
		}
		stats.bytesRead += int64(len(b))
		if out, err = c.filterBatch(out, b, retainDeletes, stats, producers, txns); err != nil {
			return err
		}
		if len(out) >= c.ioBufferSize/2 {
			if err := flush(); err != nil {
				return err
			}
		}
	}
}

// shouldRetain follows Kafka: records past the map are kept; otherwise a
// record stays only if it is the latest for its key and is not a
// tombstone past the delete horizon. Records without a key are dropped.
func (c *cleaner) shouldRetain(r *record.Record, retainDeletes bool, stats *cleanerStats) bool {
	if r.Offset > c.offsetMap.latestOffset {
		return true
	}
	if r.Key == nil {
		stats.invalidMessages++
		return false
	}
	return r.Offset >= c.offsetMap.get(r.Key) && (r.Value != nil || retainDeletes)
}

// filterBatch appends to out what survives of batch b: the original bytes
// when every record stays, a rebuilt batch (same offsets, producer fields
// and codec) when some do, an empty header when none do but it is the
// last batch of a live producer (its sequence must survive), or nothing.
// Batches of aborted transactions lose all their records; a transaction
// marker stays until its transaction's batches are gone and its segment
// is past the delete horizon.
func (c *cleaner) filterBatch(out []byte, b record.Batch, retainDeletes bool, stats *cleanerStats, producers map[int64]int64, txns *cleanedTxns) ([]byte, error) {
	if b.IsControl() {
		stats.messagesRead += int64(b.RecordCount())
		if txns != nil && b.IsTransactional() && txns.onMarker(b, retainDeletes) {
			return out, nil
		}
		stats.messagesWritten += int64(b.RecordCount())
		return append(out, b...), nil
	}
	aborted := txns != nil && txns.onDataBatch(b)
	recs, err := record.DecodeRecords(b)
	if err != nil {
		return out, err
	}
	stats.messagesRead += int64(len(recs))
	kept := make([]record.Record, 0, len(recs))
	for i := range recs {
		if !aborted && c.shouldRetain(&recs[i], retainDeletes, stats) {
			kept = append(kept, recs[i])
		}
	}
	stats.messagesWritten += int64(len(kept))
	switch {
	case len(kept) > 0 && len(kept) == len(recs):
		return append(out, b...), nil
	case len(kept) > 0:
		nb, err := rebuildBatch(b, kept)
		if err != nil {
			return out, err
		}
		return append(out, nb...), nil
	case b.ProducerID() >= 0 && producers[b.ProducerID()] == b.LastOffset():
		return append(out, emptyBatchHeader(b)...), nil
	}
	return out, nil
}

// Header field positions of a v2 batch used when rewriting one.
const (
	batchCRCPos        = 17
	batchAttrsPos      = 21
	batchLastDeltaPos  = 23
	batchFirstTsPos    = 27
	batchMaxTsPos      = 35
	batchCountPos      = 57
	batchCodecAttrMask = 0x07
)

// rebuildBatch builds a batch of the kept records that keeps the original
// base offset, last offset delta (so producer sequences still line up),
// leader epoch, producer fields, timestamp type and codec.
func rebuildBatch(b record.Batch, kept []record.Record) ([]byte, error) {
	o := record.BatchOptions{
		BaseOffset:           b.BaseOffset(),
		PartitionLeaderEpoch: b.PartitionLeaderEpoch(),
		Codec:                b.Codec(),
		FirstTimestamp:       b.FirstTimestamp(),
		LogAppendTime:        -1,
		ProducerID:           b.ProducerID(),
		ProducerEpoch:        b.ProducerEpoch(),
		BaseSequence:         b.BaseSequence(),
		Transactional:        b.IsTransactional(),
		KeepOffsetDeltas:     true,
	}
	if b.TimestampType() == record.LogAppendTime {
		o.LogAppendTime = b.MaxTimestamp()
	}
	nb, err := record.BuildBatchWith(o, kept)
	if err != nil {
		return nil, err
	}
	binary.BigEndian.PutUint32(nb[batchLastDeltaPos:], uint32(b.LastOffsetDelta()))
	binary.BigEndian.PutUint32(nb[batchCRCPos:], record.Batch(nb).ComputeCRC())
	return nb, nil
}

// emptyBatchHeader is b's header with no records, uncompressed, as Kafka
// writes for a producer's last batch whose records were all removed.
func emptyBatchHeader(b record.Batch) []byte {
	h := append([]byte(nil), b[:record.BatchHeaderSize]...)
	binary.BigEndian.PutUint32(h[8:], uint32(record.BatchHeaderSize-record.LogOverhead))
	attrs := binary.BigEndian.Uint16(h[batchAttrsPos:]) &^ batchCodecAttrMask
	binary.BigEndian.PutUint16(h[batchAttrsPos:], attrs)
	copy(h[batchFirstTsPos:batchFirstTsPos+8], h[batchMaxTsPos:batchMaxTsPos+8])
	binary.BigEndian.PutUint32(h[batchCountPos:], 0)
	binary.BigEndian.PutUint32(h[batchCRCPos:], record.Batch(h).ComputeCRC())
	return h
}

func cleanedPaths(dir string, base int64) []string {
	var out []string
	for _, suf := range []string{LogFileSuffix, IndexFileSuffix, TimeIndexFileSuffix, TxnIndexFileSuffix} {
		out = append(out, segmentFile(dir, base, suf)+CleanedFileSuffix)
	}
	return out
}

// createCleanedSegment makes an empty segment whose files carry the
// .cleaned suffix, so a crash before the swap leaves only files that
// recovery deletes.
func createCleanedSegment(dir string, base int64, cfg *Config) (*LogSegment, error) {
	removeFiles(cleanedPaths(dir, base))
	f, err := os.OpenFile(segmentFile(dir, base, LogFileSuffix)+CleanedFileSuffix, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, err
	}
	s := &LogSegment{baseOffset: base, dir: dir, log: f, indexIntervalBytes: int64(cfg.IndexIntervalBytes), created: time.Now()}
	s.maxTimestampSoFar.Store(record.NoTimestamp)
	s.offsetOfMaxTimestampSoFar.Store(base)
	oi, err := openOffsetIndex(segmentFile(dir, base, IndexFileSuffix)+CleanedFileSuffix, base, int(cfg.MaxIndexSize), true)
	if err != nil {
		f.Close()
		return nil, err
	}
	ti, err := openTimeIndex(segmentFile(dir, base, TimeIndexFileSuffix)+CleanedFileSuffix, base, int(cfg.MaxIndexSize), true)
	if err != nil {
		oi.close()
		f.Close()
		return nil, err
	}
	s.offsetIndex, s.timeIndex = oi, ti
	s.txnIndex = &TransactionIndex{path: segmentFile(dir, base, TxnIndexFileSuffix) + CleanedFileSuffix}
	return s, nil
}
