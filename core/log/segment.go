package log

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/gokafka/kafka/core/record"
)

// File suffixes, as Kafka names them.
const (
	LogFileSuffix       = ".log"
	IndexFileSuffix     = ".index"
	TimeIndexFileSuffix = ".timeindex"
	TxnIndexFileSuffix  = ".txnindex"
	DeletedFileSuffix   = ".deleted"
	CleanedFileSuffix   = ".cleaned"
	SwapFileSuffix      = ".swap"
)

// filenamePrefix is the zero-padded base offset every segment file starts with.
func filenamePrefix(offset int64) string { return fmt.Sprintf("%020d", offset) }

func segmentFile(dir string, base int64, suffix string) string {
	return filepath.Join(dir, filenamePrefix(base)+suffix)
}

// LogSegment is one .log file with its offset and time indexes. Appends are
// serialised by the owning Log; reads run concurrently and only look below
// the published size.
type LogSegment struct {
	baseOffset int64
	dir        string
	log        *os.File
	size       atomic.Int64 // bytes of complete batches readers may see

	offsetIndex *OffsetIndex
	timeIndex   *TimeIndex
	txnIndex    *TransactionIndex
	// txnIndexRebuilt is set when recovery reset the transaction index,
	// so the producer state replay writes its entries again.
	txnIndexRebuilt bool

	indexIntervalBytes       int64
	bytesSinceLastIndexEntry int64
	// The largest batch timestamp and the last offset of that batch.
	maxTimestampSoFar         atomic.Int64
	offsetOfMaxTimestampSoFar atomic.Int64

	// rollingBasedTimestamp is the first batch's max timestamp, used for
	// time-based rolling; loaded lazily.
	rollingBasedTimestamp int64
	rollingLoaded         bool
	created               time.Time
	rollJitterMs          int64
	preallocated          bool

	markedPaths []string // files renamed to *.deleted, awaiting removal
}

func (s *LogSegment) BaseOffset() int64 { return s.baseOffset }
func (s *LogSegment) Size() int64       { return s.size.Load() }

// createSegment makes the files of a brand new segment; leftovers with the
// same name (e.g. from an interrupted roll) are replaced.
func createSegment(dir string, base int64, cfg *Config, jitterMs int64) (*LogSegment, error) {
	for _, suf := range []string{LogFileSuffix, IndexFileSuffix, TimeIndexFileSuffix, TxnIndexFileSuffix} {
		p := segmentFile(dir, base, suf)
		if _, err := os.Stat(p); err == nil {
			logger.Warnf("Newly rolled segment file %s already exists; deleting it first", p)
			os.Remove(p)
		}
	}
	f, err := os.OpenFile(segmentFile(dir, base, LogFileSuffix), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, err
	}
	s := &LogSegment{baseOffset: base, dir: dir, log: f, indexIntervalBytes: int64(cfg.IndexIntervalBytes),
		created: time.Now(), rollJitterMs: jitterMs, preallocated: cfg.Preallocate}
	if cfg.Preallocate {
		if err := f.Truncate(cfg.SegmentBytes); err != nil {
			f.Close()
			return nil, err
		}
	}
	s.maxTimestampSoFar.Store(record.NoTimestamp)
	s.offsetOfMaxTimestampSoFar.Store(base)
	if err := s.openIndexes(int(cfg.MaxIndexSize), true); err != nil {
		f.Close()
		return nil, err
	}
	s.txnIndex = &TransactionIndex{path: segmentFile(dir, base, TxnIndexFileSuffix)}
	return s, nil
}

// openSegment opens an existing segment. needsRebuild is true when an
// index file was missing or fails its sanity check.
func openSegment(dir string, base int64, cfg *Config, active bool) (s *LogSegment, needsRebuild bool, err error) {
	path := segmentFile(dir, base, LogFileSuffix)
	f, err := os.OpenFile(path, os.O_RDWR, 0o644)
	if err != nil {
		return nil, false, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, false, err
	}
	s = &LogSegment{baseOffset: base, dir: dir, log: f, indexIntervalBytes: int64(cfg.IndexIntervalBytes),
		created: st.ModTime(), preallocated: cfg.Preallocate}
	s.size.Store(st.Size())
	for _, suf := range []string{IndexFileSuffix, TimeIndexFileSuffix} {
		ist, err := os.Stat(segmentFile(dir, base, suf))
		if errors.Is(err, fs.ErrNotExist) {
			logger.Warnf("Could not find %s file corresponding to log file %s, recovering segment and rebuilding index files...", suf, path)
			needsRebuild = true
		} else if err == nil && suf == IndexFileSuffix && ist.Size()%offsetIndexEntrySize != 0 ||
			err == nil && suf == TimeIndexFileSuffix && ist.Size()%timeIndexEntrySize != 0 {
			needsRebuild = true
		}
	}
	if err := s.openIndexes(int(cfg.MaxIndexSize), active); err != nil {
		f.Close()
		return nil, false, err
	}
	if s.txnIndex, err = openTxnIndex(segmentFile(dir, base, TxnIndexFileSuffix)); err != nil {
		logger.Warnf("Found a corrupted transaction index corresponding to log file %s due to %v, recovering segment and rebuilding index files...", path, err)
		s.txnIndex = &TransactionIndex{path: segmentFile(dir, base, TxnIndexFileSuffix)}
		needsRebuild = true
	}
	if !needsRebuild {
		if err := s.sanityCheck(); err != nil {
			logger.Warnf("Found a corrupted index file corresponding to log file %s due to %v, recovering segment and rebuilding index files...", path, err)
			needsRebuild = true
		}
	}
	last := s.timeIndex.lastEntry()
	s.maxTimestampSoFar.Store(last.Timestamp)
	s.offsetOfMaxTimestampSoFar.Store(last.Offset)
	return s, needsRebuild, nil
}

func (s *LogSegment) openIndexes(maxIndexSize int, active bool) error {
	oi, err := openOffsetIndex(segmentFile(s.dir, s.baseOffset, IndexFileSuffix), s.baseOffset, maxIndexSize, active)
	if err != nil {
		return err
	}
	ti, err := openTimeIndex(segmentFile(s.dir, s.baseOffset, TimeIndexFileSuffix), s.baseOffset, maxIndexSize, active)
	if err != nil {
		oi.close()
		return err
	}
	s.offsetIndex, s.timeIndex = oi, ti
	return nil
}

func (s *LogSegment) sanityCheck() error {
	if err := s.offsetIndex.sanityCheck(s.size.Load()); err != nil {
		return err
	}
	if err := s.timeIndex.sanityCheck(); err != nil {
		return err
	}
	if last := s.timeIndex.lastEntry(); s.timeIndex.entries() > 0 && last.Offset < s.baseOffset {
		return fmt.Errorf("%w: time index last offset %d below base %d", errCorruptIndex, last.Offset, s.baseOffset)
	}
	return nil
}

// header reads the batch header at pos, or returns nil past the end.
func (s *LogSegment) header(pos, size int64) (record.Batch, error) {
	if pos+record.BatchHeaderSize > size {
		return nil, nil
	}
	h := make([]byte, record.BatchHeaderSize)
	if _, err := s.log.ReadAt(h, pos); err != nil {
		return nil, err
	}
	b := record.Batch(h)
	if b.Magic() != record.MagicV2 || b.BatchLength() < record.BatchHeaderSize-record.LogOverhead || pos+int64(b.Size()) > size {
		return nil, fmt.Errorf("%w: bad batch header at position %d of %s", record.ErrCorruptMessage, pos, s.log.Name())
	}
	return b, nil
}

// translateOffset finds the first batch at or after startPos whose last
// offset is >= offset; it returns its position and header, or nil.
func (s *LogSegment) translateOffset(offset, startPos, size int64) (int64, record.Batch, error) {
	for pos := startPos; ; {
		h, err := s.header(pos, size)
		if h == nil || err != nil {
			return 0, nil, err
		}
		if h.LastOffset() >= offset {
			return pos, h, nil
		}
		pos += int64(h.Size())
	}
}

// read returns whole batches starting with the one holding startOffset,
// none whose last offset reaches maxOffset, within maxSize bytes unless
// minOneBatch lets the first batch exceed it. found is false when the
// segment has no batch at or after startOffset.
func (s *LogSegment) read(startOffset int64, maxSize int, maxOffset int64, minOneBatch bool) (data []byte, found bool, err error) {
	size := s.size.Load()
	start := s.offsetIndex.lookup(startOffset).Position
	pos, first, err := s.translateOffset(startOffset, int64(start), size)
	if first == nil || err != nil {
		return nil, false, err
	}
	if first.LastOffset() >= maxOffset {
		return nil, true, nil
	}
	limit := int64(maxSize)
	if minOneBatch && int64(first.Size()) > limit {
		limit = int64(first.Size())
	}
	n := min(size-pos, limit)
	if n < int64(first.Size()) {
		return nil, true, nil
	}
	buf := make([]byte, n)
	if _, err := s.log.ReadAt(buf, pos); err != nil {
		return nil, true, err
	}
	off := 0
	for off+record.BatchHeaderSize <= len(buf) {
		b := record.Batch(buf[off:])
		bs := b.Size()
		if bs < record.BatchHeaderSize || off+bs > len(buf) || b.LastOffset() >= maxOffset {
			break
		}
		off += bs
	}
	return buf[:off:off], true, nil
}

// append writes already validated batches with assigned offsets and
// indexes them: an offset entry (batch last offset -> batch position) and a
// time entry each time more than index.interval.bytes were written since
// the last entry.
func (s *LogSegment) append(records []byte) error {
	pos := s.size.Load()
	if _, err := s.log.WriteAt(records, pos); err != nil {
		return err
	}
	if !s.rollingLoaded && pos == 0 {
		s.rollingBasedTimestamp = record.Batch(records).MaxTimestamp()
		s.rollingLoaded = true
	}
	for off := 0; off < len(records); {
		b := record.Batch(records[off:])
		if ts := b.MaxTimestamp(); ts > s.maxTimestampSoFar.Load() {
			s.maxTimestampSoFar.Store(ts)
			s.offsetOfMaxTimestampSoFar.Store(b.LastOffset())
		}
		if s.bytesSinceLastIndexEntry > s.indexIntervalBytes {
			s.offsetIndex.append(b.LastOffset(), pos+int64(off))
			s.timeIndex.maybeAppend(s.maxTimestampSoFar.Load(), s.offsetOfMaxTimestampSoFar.Load())
			s.bytesSinceLastIndexEntry = 0
		}
		s.bytesSinceLastIndexEntry += int64(b.Size())
		off += b.Size()
	}
	s.size.Store(pos + int64(len(records)))
	return nil
}

// recover re-reads the whole segment, keeps the valid prefix of batches,
// truncates anything after it, and rebuilds both indexes. It returns how
// many bytes were cut off.
func (s *LogSegment) recover(maxIndexSize int, onBatch func(record.Batch)) (int64, error) {
	if err := s.offsetIndex.reset(maxIndexSize); err != nil {
		return 0, err
	}
	if err := s.timeIndex.reset(maxIndexSize); err != nil {
		return 0, err
	}
	if err := s.txnIndex.reset(); err != nil {
		return 0, err
	}
	s.txnIndexRebuilt = true
	st, err := s.log.Stat()
	if err != nil {
		return 0, err
	}
	fileSize := st.Size()
	r := bufio.NewReaderSize(io.NewSectionReader(s.log, 0, fileSize), 256<<10)
	var valid, lastIndexEntry int64
	maxTs, offMax := int64(record.NoTimestamp), s.baseOffset
	buf := make([]byte, 64<<10)
	for {
		if _, err := io.ReadFull(r, buf[:record.HeaderSizeUpToMagic]); err != nil {
			break
		}
		length := int64(int32(be32(buf[8:])))
		total := length + record.LogOverhead
		if buf[16] != byte(record.MagicV2) || length < record.BatchHeaderSize-record.LogOverhead || valid+total > fileSize {
			break
		}
		if int64(len(buf)) < total {
			nb := make([]byte, total)
			copy(nb, buf[:record.HeaderSizeUpToMagic])
			buf = nb
		}
		if _, err := io.ReadFull(r, buf[record.HeaderSizeUpToMagic:total]); err != nil {
			break
		}
		b := record.Batch(buf[:total])
		if !b.IsValidCRC() || b.BaseOffset() < s.baseOffset || b.LastOffset()-s.baseOffset > math.MaxInt32 || b.LastOffset() < b.BaseOffset() {
			break
		}
		if ts := b.MaxTimestamp(); ts > maxTs {
			maxTs, offMax = ts, b.LastOffset()
		}
		if valid-lastIndexEntry > s.indexIntervalBytes {
			s.offsetIndex.append(b.LastOffset(), valid)
			s.timeIndex.maybeAppend(maxTs, offMax)
			lastIndexEntry = valid
		}
		if onBatch != nil {
			onBatch(b)
		}
		valid += total
	}
	truncated := fileSize - valid
	if truncated > 0 {
		if err := s.log.Truncate(valid); err != nil {
			return 0, err
		}
	}
	s.size.Store(valid)
	s.maxTimestampSoFar.Store(maxTs)
	s.offsetOfMaxTimestampSoFar.Store(offMax)
	s.bytesSinceLastIndexEntry = valid - lastIndexEntry
	s.rollingLoaded = false
	s.timeIndex.maybeAppend(maxTs, offMax)
	return truncated, nil
}

func be32(b []byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// readNextOffset scans from the last index entry to the end for the offset
// after the last batch.
func (s *LogSegment) readNextOffset() (int64, error) {
	size := s.size.Load()
	pos := int64(0)
	if n := s.offsetIndex.entries(); n > 0 {
		pos = int64(s.offsetIndex.entry(n - 1).Position)
	}
	next := s.baseOffset
	for {
		h, err := s.header(pos, size)
		if err != nil {
			return 0, err
		}
		if h == nil {
			return next, nil
		}
		next = h.NextOffset()
		pos += int64(h.Size())
	}
}

// loadRollingTimestamp reads the first batch's max timestamp once.
func (s *LogSegment) loadRollingTimestamp() {
	if s.rollingLoaded {
		return
	}
	s.rollingBasedTimestamp = record.NoTimestamp
	if h, _ := s.header(0, s.size.Load()); h != nil {
		s.rollingBasedTimestamp = h.MaxTimestamp()
		s.rollingLoaded = true
	}
}

// timeWaitedForRoll follows Kafka: with a first-batch timestamp, the age
// is the incoming batch's timestamp minus it; otherwise wall time since
// the segment was created.
func (s *LogSegment) timeWaitedForRoll(nowMs, messageTimestamp int64) int64 {
	s.loadRollingTimestamp()
	if s.rollingLoaded && s.rollingBasedTimestamp >= 0 {
		return messageTimestamp - s.rollingBasedTimestamp
	}
	return nowMs - s.created.UnixMilli()
}

// truncateTo removes every batch from the one holding offset on and
// returns the bytes removed. The segment becomes the active one, so its
// indexes get room to grow again.
func (s *LogSegment) truncateTo(offset int64, maxIndexSize int) (int64, error) {
	size := s.size.Load()
	pos, h, err := s.translateOffset(offset, int64(s.offsetIndex.lookup(offset).Position), size)
	if err != nil {
		return 0, err
	}
	if err := s.offsetIndex.resize(maxIndexSize); err != nil {
		return 0, err
	}
	if err := s.timeIndex.resize(maxIndexSize); err != nil {
		return 0, err
	}
	if h == nil {
		return 0, nil
	}
	s.offsetIndex.truncateTo(offset)
	s.timeIndex.truncateTo(offset)
	if err := s.txnIndex.truncateTo(offset); err != nil {
		return 0, err
	}
	if err := s.log.Truncate(pos); err != nil {
		return 0, err
	}
	s.size.Store(pos)
	last := s.timeIndex.lastEntry()
	s.maxTimestampSoFar.Store(last.Timestamp)
	s.offsetOfMaxTimestampSoFar.Store(last.Offset)
	s.bytesSinceLastIndexEntry = 0
	if pos == 0 {
		s.rollingLoaded = false
		s.created = time.Now()
	}
	return size - pos, nil
}

// onBecomeInactive seals a segment on roll: a final time index entry for
// its largest timestamp, then both indexes (and a preallocated log)
// trimmed to their used size.
func (s *LogSegment) onBecomeInactive() error {
	s.timeIndex.maybeAppend(s.maxTimestampSoFar.Load(), s.offsetOfMaxTimestampSoFar.Load())
	if err := s.offsetIndex.trimToValidSize(); err != nil {
		return err
	}
	if err := s.timeIndex.trimToValidSize(); err != nil {
		return err
	}
	if s.preallocated {
		return s.log.Truncate(s.size.Load())
	}
	return nil
}

// largestTimestamp is what time retention compares: the largest batch
// timestamp, or the file's modification time when batches carry none.
func (s *LogSegment) largestTimestamp() int64 {
	if ts := s.maxTimestampSoFar.Load(); ts >= 0 {
		return ts
	}
	if st, err := s.log.Stat(); err == nil {
		return st.ModTime().UnixMilli()
	}
	return 0
}

// findOffsetByTimestamp returns the first record at or after
// startingOffset with timestamp >= ts, decoding only the first batch whose
// max timestamp qualifies.
func (s *LogSegment) findOffsetByTimestamp(ts, startingOffset int64) (int64, int64, bool, error) {
	size := s.size.Load()
	te := s.timeIndex.lookup(ts)
	pos := int64(s.offsetIndex.lookup(max(te.Offset, startingOffset)).Position)
	for {
		h, err := s.header(pos, size)
		if h == nil || err != nil {
			return 0, 0, false, err
		}
		if h.MaxTimestamp() >= ts && h.LastOffset() >= startingOffset {
			full := make([]byte, h.Size())
			if _, err := s.log.ReadAt(full, pos); err != nil {
				return 0, 0, false, err
			}
			recs, err := record.DecodeRecords(full)
			if err != nil {
				return 0, 0, false, err
			}
			for _, r := range recs {
				if r.Timestamp >= ts && r.Offset >= startingOffset {
					return r.Offset, r.Timestamp, true, nil
				}
			}
		}
		pos += int64(h.Size())
	}
}

func (s *LogSegment) flush() error {
	if err := s.log.Sync(); err != nil && !errors.Is(err, os.ErrClosed) {
		return err
	}
	if err := s.offsetIndex.flush(); err != nil && !errors.Is(err, os.ErrClosed) {
		return err
	}
	if err := s.timeIndex.flush(); err != nil && !errors.Is(err, os.ErrClosed) {
		return err
	}
	if err := s.txnIndex.flush(); err != nil && !errors.Is(err, os.ErrClosed) {
		return err
	}
	return nil
}

// close seals the segment like a roll does (Kafka appends the final time
// index entry on close too) and closes the files.
func (s *LogSegment) close() error {
	err := s.onBecomeInactive()
	if e := s.offsetIndex.close(); err == nil {
		err = e
	}
	if e := s.timeIndex.close(); err == nil {
		err = e
	}
	if e := s.txnIndex.close(); err == nil {
		err = e
	}
	if e := s.log.Close(); err == nil {
		err = e
	}
	return err
}

// closeHandlers releases files without touching their content.
func (s *LogSegment) closeHandlers() {
	s.offsetIndex.close()
	s.timeIndex.close()
	s.txnIndex.close()
	s.log.Close()
}

// paths returns the segment's files that exist.
func (s *LogSegment) paths() []string {
	var out []string
	for _, suf := range []string{LogFileSuffix, IndexFileSuffix, TimeIndexFileSuffix, TxnIndexFileSuffix} {
		p := segmentFile(s.dir, s.baseOffset, suf)
		if _, err := os.Stat(p); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// markDeleted renames the files to *.deleted and returns the new names.
func (s *LogSegment) markDeleted() []string {
	var out []string
	for _, p := range s.paths() {
		if err := os.Rename(p, p+DeletedFileSuffix); err == nil {
			out = append(out, p+DeletedFileSuffix)
		} else {
			logger.Warnf("Failed to rename %s for deletion: %v", p, err)
			out = append(out, p)
		}
	}
	return out
}
