package tools

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gokafka/kafka/core/record"
)

// kafka-dump-log.sh (Kafka 2.8 DumpLogSegments): print the batches and
// records of .log segments, the entries of .index/.timeindex/.txnindex files
// and producer .snapshot files, with the same wording Kafka uses.

func dumpLogParser() *optionParser {
	p := newOptionParser()
	p.flag("print-data-log", "if set, printing the messages content when dumping data logs. Automatically set if any decoder option is specified.")
	p.flag("verify-index-only", "if set, just verify the index log without printing its content.")
	p.flag("index-sanity-check", "if set, just checks the index sanity without printing its content. This is the same check that is executed on broker startup to determine if an index needs rebuilding or not.")
	p.withArg("files", "REQUIRED: The comma separated list of data and index log files to be dumped.").describedAs("file1, file2, ...")
	p.withArg("max-message-size", "Size of largest message.").describedAs("size").ofType("Integer").withDefault("5242880")
	p.flag("deep-iteration", "if set, uses deep instead of shallow iteration. Automatically set if print-data-log is enabled.")
	p.withOptionalArg("value-decoder-class", "if set, used to deserialize the messages. This class should implement kafka.serializer.Decoder trait. Custom jar should be available in kafka/libs directory.").withDefault("kafka.serializer.StringDecoder")
	p.withOptionalArg("key-decoder-class", "if set, used to deserialize the keys. This class should implement kafka.serializer.Decoder trait. Custom jar should be available in kafka/libs directory.").withDefault("kafka.serializer.StringDecoder")
	p.flag("offsets-decoder", "if set, log data will be parsed as offset data from the __consumer_offsets topic.")
	p.flag("transaction-log-decoder", "if set, log data will be parsed as transaction metadata from the __transaction_state topic.")
	p.flag("cluster-metadata-decoder", "if set, log data will be parsed as cluster metadata records.")
	p.flag("skip-record-metadata", "whether to skip printing metadata for each record.")
	return p
}

// dumpOptions is DumpLogSegmentsOptions after parsing.
type dumpOptions struct {
	printData, deep, verifyOnly, sanityOnly, skipMetadata bool
	maxMessageSize                                        int
	parser                                                messageParser
}

// messageParser turns a record into the printed key and payload (nil = absent).
type messageParser func(r *record.Record) (key, payload *string, err error)

func stringDecoder(r *record.Record) (*string, *string, error) {
	var k, v *string
	if r.Key != nil {
		s := string(r.Key)
		k = &s
	}
	if r.Value != nil {
		s := string(r.Value)
		v = &s
	}
	return k, v, nil
}

// dumpErrors collects the problems DumpLogSegments reports on stderr at the end.
type dumpErrors struct {
	indexMismatches map[string][][2]int64
	indexOrder      []string
	timeMismatches  map[string][][2]int64
	timeOutOfOrder  map[string][][2]int64
	shallowNotFound map[string][][2]int64
	timeOrder       []string
	nonConsecutive  map[string][][2]int64
	nonConsecOrder  []string
}

func newDumpErrors() *dumpErrors {
	return &dumpErrors{indexMismatches: map[string][][2]int64{}, timeMismatches: map[string][][2]int64{},
		timeOutOfOrder: map[string][][2]int64{}, shallowNotFound: map[string][][2]int64{}, nonConsecutive: map[string][][2]int64{}}
}

func addPair(m map[string][][2]int64, order *[]string, file string, a, b int64, prepend bool) {
	if _, ok := m[file]; !ok {
		*order = append(*order, file)
	}
	if prepend {
		m[file] = append([][2]int64{{a, b}}, m[file]...)
	} else {
		m[file] = append(m[file], [2]int64{a, b})
	}
}

func runDumpLog(e *env, args []string) int {
	return runGuarded(func() int {
		p := dumpLogParser()
		o, err := p.parse(args)
		if err != nil {
			e.javaException(joptClass(err), err.Error())
		}
		e.printHelpAndExitIfNeeded(p, o, "This tool helps to parse a log file and dump its contents to the console, useful for debugging a seemingly corrupt log segment.")
		e.checkRequiredArgs(p, o, "files")
		opts := dumpOptions{verifyOnly: o.has("verify-index-only"), sanityOnly: o.has("index-sanity-check"),
			skipMetadata: o.has("skip-record-metadata"), parser: stringDecoder}
		opts.printData = o.has("print-data-log") || o.has("offsets-decoder") || o.has("transaction-log-decoder") ||
			o.has("cluster-metadata-decoder") || o.has("value-decoder-class") || o.has("key-decoder-class")
		opts.deep = o.has("deep-iteration") || opts.printData
		if o.has("offsets-decoder") {
			opts.parser = offsetsMessageParser
		} else if o.has("transaction-log-decoder") {
			opts.parser = transactionLogMessageParser
		}
		n, err := o.intOf("max-message-size")
		if err != nil {
			e.javaException("joptsimple.OptionArgumentConversionException", err.Error())
		}
		opts.maxMessageSize = int(n)
		errs := newDumpErrors()
		for _, f := range strings.Split(o.valueOf("files"), ",") {
			if err := e.dumpFile(f, opts, errs); err != nil {
				e.javaException(javaClassOf(err), err.Error())
			}
		}
		e.printDumpErrors(errs)
		return 0
	})
}

func (e *env) dumpFile(file string, opts dumpOptions, errs *dumpErrors) error {
	fmt.Fprintf(e.stdout, "Dumping %s\n", file)
	name := filepath.Base(file)
	dot := strings.LastIndex(name, ".")
	if dot < 0 {
		return &javaError{"java.lang.StringIndexOutOfBoundsException", "String index out of range: -1"}
	}
	switch name[dot:] {
	case ".log":
		return e.dumpLog(file, opts, errs)
	case ".index":
		return e.dumpIndex(file, opts, errs)
	case ".timeindex":
		return e.dumpTimeIndex(file, opts, errs)
	case ".snapshot":
		return e.dumpProducerSnapshot(file)
	case ".txnindex":
		return e.dumpTxnIndex(file)
	}
	fmt.Fprintf(e.stderr, "Ignoring unknown file %s\n", file)
	return nil
}

// segmentBaseOffset parses the number before the first '.' of a segment file name.
func segmentBaseOffset(file string) (int64, error) {
	prefix := strings.SplitN(filepath.Base(file), ".", 2)[0]
	n, err := strconv.ParseInt(prefix, 10, 64)
	if err != nil {
		return 0, &javaError{"java.lang.NumberFormatException", fmt.Sprintf("For input string: \"%s\"", prefix)}
	}
	return n, nil
}

// segmentFile is an open .log file read one batch at a time, like FileRecords.
type segmentFile struct {
	f    *os.File
	size int64
	name string
}

func openSegment(path string) (*segmentFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &javaError{"java.nio.file.NoSuchFileException", path}
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	return &segmentFile{f: f, size: st.Size(), name: path}, nil
}

// batchAt reads the log entry at pos; nil when fewer bytes than a full
// entry remain (FileLogInputStream stops there too).
func (s *segmentFile) batchAt(pos int64) (record.Batch, error) {
	if s.size-pos < record.HeaderSizeUpToMagic {
		return nil, nil
	}
	var hdr [record.LogOverhead]byte
	if _, err := s.f.ReadAt(hdr[:], pos); err != nil {
		return nil, err
	}
	size := int32(binary.BigEndian.Uint32(hdr[8:]))
	if size < 14 {
		return nil, &javaError{"org.apache.kafka.common.errors.CorruptRecordException",
			fmt.Sprintf("Found record size %d smaller than minimum record overhead (14) in file %s.", size, s.name)}
	}
	if pos > s.size-record.LogOverhead-int64(size) {
		return nil, nil
	}
	buf := make([]byte, record.LogOverhead+int(size))
	if _, err := s.f.ReadAt(buf, pos); err != nil && err != io.EOF {
		return nil, err
	}
	return record.Batch(buf), nil
}

func (e *env) dumpLog(file string, opts dumpOptions, errs *dumpErrors) error {
	start, err := segmentBaseOffset(file)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Starting offset: %d\n", start)
	seg, err := openSegment(file)
	if err != nil {
		return err
	}
	defer seg.f.Close()
	abs, _ := filepath.Abs(file)
	var valid int64
	lastOffset := int64(-1)
	for {
		b, err := seg.batchAt(valid)
		if err != nil {
			return err
		}
		if b == nil {
			break
		}
		fmt.Fprintln(e.stdout, batchLine(b, valid))
		if opts.deep && b.Magic() >= 2 {
			recs, err := record.DecodeRecords(b)
			if err != nil {
				return &javaError{"org.apache.kafka.common.errors.CorruptRecordException", err.Error()}
			}
			for i := range recs {
				r := &recs[i]
				if lastOffset != -1 && r.Offset != lastOffset+1 {
					addPair(errs.nonConsecutive, &errs.nonConsecOrder, abs, lastOffset, r.Offset, true)
				}
				lastOffset = r.Offset
				line, err := recordLine(b, r, valid, opts)
				if err != nil {
					return err
				}
				fmt.Fprintln(e.stdout, line)
			}
		}
		valid += int64(b.Size())
	}
	if trailing := seg.size - valid; trailing > 0 {
		fmt.Fprintf(e.stdout, "Found %d invalid bytes at the end of %s\n", trailing, filepath.Base(file))
	}
	return nil
}

// compressionName is CompressionType's enum name.
func compressionName(c record.Codec) string { return strings.ToUpper(c.String()) }

// incrementSequence wraps producer sequence numbers at Int32.MaxValue.
func incrementSequence(seq, inc int32) int32 {
	if seq > 2147483647-inc {
		return inc - (2147483647 - seq) - 1
	}
	return seq + inc
}

// decrementSequence steps a sequence back, wrapping below 0 to Int32.MaxValue.
func decrementSequence(seq, dec int32) int32 {
	if seq < dec {
		return int32(2147483647 - int64(dec-seq) + 1)
	}
	return seq - dec
}

func lastSequence(b record.Batch) int32 {
	if b.BaseSequence() == -1 {
		return -1
	}
	return incrementSequence(b.BaseSequence(), b.LastOffsetDelta())
}

func batchValid(b record.Batch) bool {
	return b.Size() >= record.BatchHeaderSize && b.IsValidCRC()
}

// batchLine is DumpLogSegments.printBatchLevel.
func batchLine(b record.Batch, position int64) string {
	var s strings.Builder
	if b.Magic() >= 2 {
		fmt.Fprintf(&s, "baseOffset: %d lastOffset: %d count: %d baseSequence: %d lastSequence: %d producerId: %d producerEpoch: %d partitionLeaderEpoch: %d isTransactional: %t isControl: %t",
			b.BaseOffset(), b.LastOffset(), b.RecordCount(), b.BaseSequence(), lastSequence(b), b.ProducerID(),
			b.ProducerEpoch(), b.PartitionLeaderEpoch(), b.IsTransactional(), b.IsControl())
		fmt.Fprintf(&s, " position: %d %s: %d size: %d magic: %d compresscodec: %s crc: %d isvalid: %t",
			position, b.TimestampType(), b.MaxTimestamp(), b.Size(), b.Magic(), compressionName(b.Codec()), b.CRC(), batchValid(b))
		return s.String()
	}
	return legacyBatchLine(b, position)
}

// legacyBatchLine covers magic 0/1 message sets (shallow entries).
func legacyBatchLine(b record.Batch, position int64) string {
	// Legacy entry: offset i64, size i32, crc u32, magic i8, attributes i8, [timestamp i64], ...
	crc := binary.BigEndian.Uint32(b[12:])
	magic := int8(b[16])
	attrs := b[17]
	tsType, ts := "NoTimestampType", int64(-1)
	if magic >= 1 && len(b) >= 26 {
		ts = int64(binary.BigEndian.Uint64(b[18:]))
		tsType = "CreateTime"
		if attrs&0x08 != 0 {
			tsType = "LogAppendTime"
		}
	}
	valid := crc32.ChecksumIEEE(b[16:]) == crc
	return fmt.Sprintf("offset: %d position: %d %s: %d size: %d magic: %d compresscodec: %s crc: %d isvalid: %t",
		b.BaseOffset(), position, tsType, ts, b.Size(), magic, compressionName(record.Codec(attrs&0x07)), crc, valid)
}

func headerKeys(r *record.Record) string {
	keys := make([]string, len(r.Headers))
	for i, h := range r.Headers {
		keys[i] = h.Key
	}
	return "[" + strings.Join(keys, ",") + "]"
}

// recordLine prints one record of a deep iteration.
func recordLine(b record.Batch, r *record.Record, position int64, opts dumpOptions) (string, error) {
	var s strings.Builder
	prefix := "| "
	if !opts.skipMetadata {
		seq := int32(-1)
		if b.BaseSequence() != -1 {
			seq = incrementSequence(b.BaseSequence(), r.OffsetDelta)
		}
		fmt.Fprintf(&s, "%soffset: %d isValid: true crc: null keySize: %d valueSize: %d %s: %d baseOffset: %d lastOffset: %d baseSequence: %d lastSequence: %d producerEpoch: %d partitionLeaderEpoch: %d batchSize: %d magic: %d compressType: %s position: %d",
			prefix, r.Offset, lenOrMinusOne(r.Key), lenOrMinusOne(r.Value), b.TimestampType(), r.Timestamp,
			b.BaseOffset(), b.LastOffset(), b.BaseSequence(), lastSequence(b), b.ProducerEpoch(), b.PartitionLeaderEpoch(),
			b.Size(), b.Magic(), compressionName(b.Codec()), position)
		prefix = " "
		fmt.Fprintf(&s, " sequence: %d headerKeys: %s", seq, headerKeys(r))
		if b.IsControl() {
			s.WriteString(controlRecordText(r))
		}
	}
	if opts.printData && !b.IsControl() {
		key, payload, err := opts.parser(r)
		if err != nil {
			return "", err
		}
		if key != nil {
			fmt.Fprintf(&s, "%skey: %s", prefix, *key)
			prefix = " "
		}
		if payload != nil {
			fmt.Fprintf(&s, " payload: %s", *payload)
		}
	}
	return s.String(), nil
}

func lenOrMinusOne(b []byte) int {
	if b == nil {
		return -1
	}
	return len(b)
}

// controlRecordText describes a transaction marker or other control record.
func controlRecordText(r *record.Record) string {
	if len(r.Key) < 4 {
		return " controlType: UNKNOWN(-1)"
	}
	typ := int16(binary.BigEndian.Uint16(r.Key[2:]))
	switch typ {
	case 0, 1:
		name := "ABORT"
		if typ == 1 {
			name = "COMMIT"
		}
		epoch := int32(-1)
		if len(r.Value) >= 6 {
			epoch = int32(binary.BigEndian.Uint32(r.Value[2:]))
		}
		return fmt.Sprintf(" endTxnMarker: %s coordinatorEpoch: %d", name, epoch)
	case 2:
		return " controlType: LEADER_CHANGE(2)"
	}
	return fmt.Sprintf(" controlType: UNKNOWN(%d)", typ)
}

// indexEntries reads fixed-size entries; a preallocated tail of zeros is
// included, as Kafka's read-only index sees the whole file.
func readIndexFile(path string, entrySize int) ([]byte, int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, 0, &javaError{"java.nio.file.NoSuchFileException", path}
	}
	return data, len(data) / entrySize, nil
}

func (e *env) dumpIndex(file string, opts dumpOptions, errs *dumpErrors) error {
	base, err := segmentBaseOffset(file)
	if err != nil {
		return err
	}
	data, entries, err := readIndexFile(file, 8)
	if err != nil {
		return err
	}
	seg, err := openSegment(siblingLog(file))
	if err != nil {
		return err
	}
	defer seg.f.Close()
	if entries == 0 {
		fmt.Fprintf(e.stdout, "%s is empty.\n", file)
		return nil
	}
	abs, _ := filepath.Abs(file)
	if opts.sanityOnly {
		last := base + int64(binary.BigEndian.Uint32(data[(entries-1)*8:]))
		if last < base {
			return &javaError{"org.apache.kafka.common.errors.CorruptIndexException", fmt.Sprintf("Corrupt index found, index file (%s) has non-zero size but the last offset is %d which is less than the base offset %d.", abs, last, base)}
		}
		if len(data)%8 != 0 {
			return &javaError{"org.apache.kafka.common.errors.CorruptIndexException", fmt.Sprintf("Index file %s is corrupt, found %d bytes which is neither positive nor a multiple of 8.", abs, len(data))}
		}
		fmt.Fprintf(e.stdout, "%s passed sanity check.\n", file)
		return nil
	}
	var discard []string
	for i := 0; i < entries; i++ {
		offset := base + int64(int32(binary.BigEndian.Uint32(data[i*8:])))
		position := int64(int32(binary.BigEndian.Uint32(data[i*8+4:])))
		if offset == base && i > 0 {
			return nil
		}
		b, err := seg.batchAt(position)
		if err != nil {
			return err
		}
		if b == nil {
			return &javaError{"java.util.NoSuchElementException", ""}
		}
		if b.LastOffset() != offset {
			addPair(errs.indexMismatches, &discard, abs, offset, b.LastOffset(), true)
			if !contains(errs.indexOrder, abs) {
				errs.indexOrder = append(errs.indexOrder, abs)
			}
		}
		if !opts.verifyOnly {
			fmt.Fprintf(e.stdout, "offset: %d position: %d\n", offset, position)
		}
	}
	return nil
}

// siblingLog is the .log file of the segment an index belongs to.
func siblingLog(indexFile string) string {
	abs, _ := filepath.Abs(indexFile)
	prefix := strings.SplitN(filepath.Base(abs), ".", 2)[0]
	return filepath.Join(filepath.Dir(abs), prefix+".log")
}

// offsetIndexLookup is OffsetIndex.lookup over the used entries: the
// position of the last entry at or before target, else 0.
func offsetIndexLookup(data []byte, base, target int64) int64 {
	pos := int64(0)
	for i := 0; i+8 <= len(data); i += 8 {
		off := base + int64(int32(binary.BigEndian.Uint32(data[i:])))
		if off == base && i > 0 {
			break
		}
		if off > target {
			break
		}
		pos = int64(int32(binary.BigEndian.Uint32(data[i+4:])))
	}
	return pos
}

func (e *env) dumpTimeIndex(file string, opts dumpOptions, errs *dumpErrors) error {
	base, err := segmentBaseOffset(file)
	if err != nil {
		return err
	}
	data, entries, err := readIndexFile(file, 12)
	if err != nil {
		return err
	}
	seg, err := openSegment(siblingLog(file))
	if err != nil {
		return err
	}
	defer seg.f.Close()
	idx, _ := os.ReadFile(strings.TrimSuffix(siblingLog(file), ".log") + ".index")
	abs, _ := filepath.Abs(file)
	entry := func(i int) (int64, int64) {
		return int64(binary.BigEndian.Uint64(data[i*12:])), base + int64(int32(binary.BigEndian.Uint32(data[i*12+8:])))
	}
	if opts.sanityOnly {
		return e.timeIndexSanity(file, abs, data, entries, base, entry)
	}
	prev := int64(-1)
	for i := 0; i < entries; i++ {
		ts, offset := entry(i)
		if offset == base && i > 0 {
			return nil
		}
		if err := checkTimeEntry(seg, offsetIndexLookup(idx, base, offset), ts, offset, prev, abs, errs); err != nil {
			return err
		}
		if !opts.verifyOnly {
			fmt.Fprintf(e.stdout, "timestamp: %d offset: %d\n", ts, offset)
		}
		prev = ts
	}
	return nil
}

func (e *env) timeIndexSanity(file, abs string, data []byte, entries int, base int64, entry func(int) (int64, int64)) error {
	if entries != 0 {
		lastTs, lastOff := entry(entries - 1)
		firstTs, _ := entry(0)
		if lastTs < firstTs {
			return &javaError{"org.apache.kafka.common.errors.CorruptIndexException", fmt.Sprintf("Corrupt time index found, time index file (%s) has non-zero size but the last timestamp is %d which is less than the first timestamp %d", abs, lastTs, firstTs)}
		}
		if lastOff < base {
			return &javaError{"org.apache.kafka.common.errors.CorruptIndexException", fmt.Sprintf("Corrupt time index found, time index file (%s) has non-zero size but the last offset is %d which is less than the first offset %d", abs, lastOff, base)}
		}
	}
	if len(data)%12 != 0 {
		return &javaError{"org.apache.kafka.common.errors.CorruptIndexException", fmt.Sprintf("Time index file %s is corrupt, found %d bytes which is neither positive nor a multiple of 12.", abs, len(data))}
	}
	fmt.Fprintf(e.stdout, "%s passed sanity check.\n", file)
	return nil
}

// checkTimeEntry verifies one time index entry against the log, recording
// the three kinds of problems DumpLogSegments reports.
func checkTimeEntry(seg *segmentFile, pos, ts, offset, prev int64, abs string, errs *dumpErrors) error {
	for {
		b, err := seg.batchAt(pos)
		if err != nil {
			return err
		}
		if b == nil {
			addPair(errs.shallowNotFound, &errs.timeOrder, abs, offset, -1, false)
			return nil
		}
		if b.LastOffset() < offset {
			pos += int64(b.Size())
			continue
		}
		if b.LastOffset() != offset {
			addPair(errs.shallowNotFound, &errs.timeOrder, abs, offset, b.LastOffset(), false)
			return nil
		}
		maxTs := int64(-1)
		if recs, err := record.DecodeRecords(b); err == nil {
			for _, r := range recs {
				maxTs = max(maxTs, r.Timestamp)
			}
		}
		var discard []string
		if maxTs != ts {
			addPair(errs.timeMismatches, &discard, abs, ts, maxTs, false)
		}
		if prev >= ts {
			addPair(errs.timeOutOfOrder, &discard, abs, ts, prev, false)
		}
		return nil
	}
}

func (e *env) dumpTxnIndex(file string) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return &javaError{"java.nio.file.NoSuchFileException", file}
	}
	for i := 0; i+34 <= len(data); i += 34 {
		d := data[i:]
		fmt.Fprintf(e.stdout, "version: %d producerId: %d firstOffset: %d lastOffset: %d lastStableOffset: %d\n",
			int16(binary.BigEndian.Uint16(d)), int64(binary.BigEndian.Uint64(d[2:])), int64(binary.BigEndian.Uint64(d[10:])),
			int64(binary.BigEndian.Uint64(d[18:])), int64(binary.BigEndian.Uint64(d[26:])))
	}
	return nil
}

// dumpProducerSnapshot prints a producer state snapshot (version 1 layout).
func (e *env) dumpProducerSnapshot(file string) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return &javaError{"java.nio.file.NoSuchFileException", file}
	}
	if len(data) < 10 {
		fmt.Fprintln(e.stderr, "Snapshot failed schema validation: Error reading field 'version': java.nio.BufferUnderflowException")
		return nil
	}
	if v := int16(binary.BigEndian.Uint16(data)); v != 1 {
		fmt.Fprintf(e.stderr, "Snapshot contained an unknown file version %d\n", v)
		return nil
	}
	stored := binary.BigEndian.Uint32(data[2:])
	if computed := crc32.Checksum(data[6:], crc32.MakeTable(crc32.Castagnoli)); computed != stored {
		fmt.Fprintf(e.stderr, "Snapshot is corrupt (CRC is no longer valid). Stored crc: %d. Computed crc: %d\n", stored, computed)
		return nil
	}
	n := int(int32(binary.BigEndian.Uint32(data[6:])))
	for i, p := 0, 10; i < n && p+46 <= len(data); i, p = i+1, p+46 {
		d := data[p:]
		pid, epoch := int64(binary.BigEndian.Uint64(d)), int16(binary.BigEndian.Uint16(d[8:]))
		seq, lastOff := int32(binary.BigEndian.Uint32(d[10:])), int64(binary.BigEndian.Uint64(d[14:]))
		delta, ts := int32(binary.BigEndian.Uint32(d[22:])), int64(binary.BigEndian.Uint64(d[26:]))
		coordEpoch, txnFirst := int32(binary.BigEndian.Uint32(d[34:])), int64(binary.BigEndian.Uint64(d[38:]))
		first := "None"
		if txnFirst >= 0 {
			first = fmt.Sprintf("Some(%d)", txnFirst)
		}
		fmt.Fprintf(e.stdout, "producerId: %d producerEpoch: %d coordinatorEpoch: %d currentTxnFirstOffset: %s ", pid, epoch, coordEpoch, first)
		if lastOff >= 0 {
			fmt.Fprintf(e.stdout, "firstSequence: %d lastSequence: %d lastOffset: %d offsetDelta: %d timestamp: %d",
				decrementSequence(seq, delta), seq, lastOff, delta, ts)
		}
		fmt.Fprintln(e.stdout)
	}
	return nil
}

// printDumpErrors writes the summaries DumpLogSegments prints to stderr.
func (e *env) printDumpErrors(errs *dumpErrors) {
	for _, f := range errs.indexOrder {
		fmt.Fprintf(e.stderr, "Mismatches in :%s\n", f)
		for _, p := range errs.indexMismatches[f] {
			fmt.Fprintf(e.stderr, "  Index offset: %d, log offset: %d\n", p[0], p[1])
		}
	}
	for f, list := range errs.timeMismatches {
		fmt.Fprintf(e.stderr, "Found timestamp mismatch in :%s\n", f)
		for _, p := range list {
			fmt.Fprintf(e.stderr, "  Index timestamp: %d, log timestamp: %d\n", p[0], p[1])
		}
	}
	for f, list := range errs.timeOutOfOrder {
		fmt.Fprintf(e.stderr, "Found out of order timestamp in :%s\n", f)
		for _, p := range list {
			fmt.Fprintf(e.stderr, "  Index timestamp: %d, Previously indexed timestamp: %d\n", p[0], p[1])
		}
	}
	for _, f := range errs.timeOrder {
		fmt.Fprintln(e.stderr, "The following indexed offsets are not found in the log.")
		for _, p := range errs.shallowNotFound[f] {
			fmt.Fprintf(e.stderr, "Indexed offset: %d, found log offset: %d\n", p[0], p[1])
		}
	}
	for _, f := range errs.nonConsecOrder {
		fmt.Fprintf(e.stderr, "Non-consecutive offsets in %s\n", f)
		for _, p := range errs.nonConsecutive[f] {
			fmt.Fprintf(e.stderr, "  %d is followed by %d\n", p[0], p[1])
		}
	}
}
