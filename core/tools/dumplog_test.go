package tools

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gokafka/kafka/core/coordinator/transaction"
	klog "github.com/gokafka/kafka/core/log"
	"github.com/gokafka/kafka/core/record"
)

// writeSegment writes batches back to back as a broker would and returns
// the position of each batch.
func writeSegment(t *testing.T, dir string, base int64, batches ...[]byte) (string, []int64) {
	t.Helper()
	var buf bytes.Buffer
	var pos []int64
	for _, b := range batches {
		pos = append(pos, int64(buf.Len()))
		buf.Write(b)
	}
	path := filepath.Join(dir, fmt.Sprintf("%020d.log", base))
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, pos
}

func buildBatch(t *testing.T, base int64, ts int64, recs ...record.Record) record.Batch {
	t.Helper()
	o := record.DefaultBatchOptions(record.CodecNone, ts)
	o.BaseOffset = base
	o.PartitionLeaderEpoch = 0
	raw, err := record.BuildBatchWith(o, recs)
	if err != nil {
		t.Fatal(err)
	}
	return record.Batch(raw)
}

func runTool(t *testing.T, run func(*env, []string) int, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut}
	code := run(e, args)
	return out.String(), errOut.String(), code
}

func TestDumpLogPrintsBatchesAndRecords(t *testing.T) {
	dir := t.TempDir()
	b1 := buildBatch(t, 0, 1620000000000,
		record.Record{Value: []byte("hello")},
		record.Record{Key: []byte("k"), Value: []byte("world"), TimestampDelta: 5, Headers: []record.Header{{Key: "h1", Value: []byte("x")}}})
	b2 := buildBatch(t, 2, 1620000000100, record.Record{Value: nil})
	path, pos := writeSegment(t, dir, 0, b1, b2)

	out, errOut, code := runTool(t, runDumpLog, "--files", path, "--print-data-log")
	if code != 0 || errOut != "" {
		t.Fatalf("code %d stderr %q", code, errOut)
	}
	want := []string{
		"Dumping " + path,
		"Starting offset: 0",
		fmt.Sprintf("baseOffset: 0 lastOffset: 1 count: 2 baseSequence: -1 lastSequence: -1 producerId: -1 producerEpoch: -1 partitionLeaderEpoch: 0 isTransactional: false isControl: false position: 0 CreateTime: 1620000000005 size: %d magic: 2 compresscodec: NONE crc: %d isvalid: true", b1.Size(), b1.CRC()),
		fmt.Sprintf("| offset: 0 isValid: true crc: null keySize: -1 valueSize: 5 CreateTime: 1620000000000 baseOffset: 0 lastOffset: 1 baseSequence: -1 lastSequence: -1 producerEpoch: -1 partitionLeaderEpoch: 0 batchSize: %d magic: 2 compressType: NONE position: 0 sequence: -1 headerKeys: [] payload: hello", b1.Size()),
		fmt.Sprintf("| offset: 1 isValid: true crc: null keySize: 1 valueSize: 5 CreateTime: 1620000000005 baseOffset: 0 lastOffset: 1 baseSequence: -1 lastSequence: -1 producerEpoch: -1 partitionLeaderEpoch: 0 batchSize: %d magic: 2 compressType: NONE position: 0 sequence: -1 headerKeys: [h1] key: k payload: world", b1.Size()),
		fmt.Sprintf("baseOffset: 2 lastOffset: 2 count: 1 baseSequence: -1 lastSequence: -1 producerId: -1 producerEpoch: -1 partitionLeaderEpoch: 0 isTransactional: false isControl: false position: %d CreateTime: 1620000000100 size: %d magic: 2 compresscodec: NONE crc: %d isvalid: true", pos[1], b2.Size(), b2.CRC()),
		fmt.Sprintf("| offset: 2 isValid: true crc: null keySize: -1 valueSize: -1 CreateTime: 1620000000100 baseOffset: 2 lastOffset: 2 baseSequence: -1 lastSequence: -1 producerEpoch: -1 partitionLeaderEpoch: 0 batchSize: %d magic: 2 compressType: NONE position: %d sequence: -1 headerKeys: []", b2.Size(), pos[1]),
	}
	if got := strings.Split(strings.TrimSuffix(out, "\n"), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestDumpLogShallowAndTrailingBytes(t *testing.T) {
	dir := t.TempDir()
	b1 := buildBatch(t, 5, 1000, record.Record{Value: []byte("a")})
	path, _ := writeSegment(t, dir, 5, b1, b1[:20])
	out, _, code := runTool(t, runDumpLog, "--files="+path)
	if code != 0 {
		t.Fatal(code)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || lines[1] != "Starting offset: 5" || !strings.HasPrefix(lines[2], "baseOffset: 5 lastOffset: 5 count: 1") {
		t.Fatalf("unexpected output:\n%s", out)
	}
	if lines[3] != "Found 20 invalid bytes at the end of 00000000000000000005.log" {
		t.Errorf("trailing line %q", lines[3])
	}
}

func TestDumpIndexAndTimeIndex(t *testing.T) {
	dir := t.TempDir()
	b1 := buildBatch(t, 0, 1000, record.Record{Value: []byte("a")}, record.Record{Value: []byte("b")})
	b2 := buildBatch(t, 2, 2000, record.Record{Value: []byte("c")})
	_, pos := writeSegment(t, dir, 0, b1, b2)
	idx := make([]byte, 16) // one real entry and a preallocated zero tail
	binary.BigEndian.PutUint32(idx[0:], 2)
	binary.BigEndian.PutUint32(idx[4:], uint32(pos[1]))
	idxPath := filepath.Join(dir, "00000000000000000000.index")
	os.WriteFile(idxPath, idx, 0o644)
	tidx := make([]byte, 12)
	binary.BigEndian.PutUint64(tidx[0:], 2000)
	binary.BigEndian.PutUint32(tidx[8:], 2)
	tidxPath := filepath.Join(dir, "00000000000000000000.timeindex")
	os.WriteFile(tidxPath, tidx, 0o644)

	out, errOut, _ := runTool(t, runDumpLog, "--files", idxPath+","+tidxPath)
	want := fmt.Sprintf("Dumping %s\noffset: 2 position: %d\nDumping %s\ntimestamp: 2000 offset: 2\n", idxPath, pos[1], tidxPath)
	if out != want || errOut != "" {
		t.Errorf("got %q (stderr %q), want %q", out, errOut, want)
	}

	out, _, _ = runTool(t, runDumpLog, "--files", idxPath, "--index-sanity-check")
	if !strings.HasSuffix(out, idxPath+" passed sanity check.\n") {
		t.Errorf("sanity output %q", out)
	}

	// An index entry that points at the wrong batch is reported on stderr.
	binary.BigEndian.PutUint32(idx[4:], 0)
	os.WriteFile(idxPath, idx, 0o644)
	_, errOut, _ = runTool(t, runDumpLog, "--files", idxPath, "--verify-index-only")
	abs, _ := filepath.Abs(idxPath)
	if errOut != "Mismatches in :"+abs+"\n  Index offset: 2, log offset: 1\n" {
		t.Errorf("mismatch report %q", errOut)
	}
}

func TestDumpLogOffsetsDecoder(t *testing.T) {
	key := []byte{0, 1}
	key = appendStr(key, "g1")
	key = appendStr(key, "first")
	key = binary.BigEndian.AppendUint32(key, 2)
	val := []byte{0, 3}
	val = binary.BigEndian.AppendUint64(val, 42)
	val = binary.BigEndian.AppendUint32(val, 0)
	val = appendStr(val, "")
	val = binary.BigEndian.AppendUint64(val, 1620000000000)
	k, v, err := offsetsMessageParser(&record.Record{Key: key, Value: val})
	if err != nil || *k != "offset_commit::group=g1,partition=first-2" || *v != "offset=42" {
		t.Fatalf("got %v %v %v", k, v, err)
	}
	_, v, _ = offsetsMessageParser(&record.Record{Key: key})
	if *v != "<DELETE>" {
		t.Errorf("tombstone %q", *v)
	}
}

func appendStr(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
	return append(b, s...)
}

func TestUnknownFileIsIgnored(t *testing.T) {
	out, errOut, code := runTool(t, runDumpLog, "--files", "foo.txt")
	if code != 0 || out != "Dumping foo.txt\n" || errOut != "Ignoring unknown file foo.txt\n" {
		t.Errorf("got %q %q %d", out, errOut, code)
	}
}

// TestDumpTransactionalLog dumps files a Log wrote for an aborted
// transaction: the control batch and its marker record, the .txnindex
// entry and the producer .snapshot written on close.
func TestDumpTransactionalLog(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "txn-0")
	l, err := klog.OpenLog(dir, klog.DefaultConfig(), klog.LoadParams{CleanShutdown: true})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UnixMilli()
	o := record.DefaultBatchOptions(record.CodecNone, now)
	o.ProducerID, o.ProducerEpoch, o.BaseSequence, o.Transactional = 777, 3, 0, true
	raw, err := record.BuildBatchWith(o, []record.Record{{Value: []byte("a")}, {Value: []byte("b")}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Append(raw, 5); err != nil {
		t.Fatal(err)
	}
	if _, err := l.AppendControlMarker(777, 3, false, 9, 5); err != nil {
		t.Fatal(err)
	}
	l.UpdateHighWatermark(l.LogEndOffset())
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	seg := filepath.Join(dir, "00000000000000000000.log")
	out, _, code := runTool(t, runDumpLog, "--files", seg, "--print-data-log")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 7 {
		t.Fatalf("got %d lines:\n%s", len(lines), out)
	}
	if !strings.HasPrefix(lines[5], "baseOffset: 2 lastOffset: 2 count: 1 baseSequence: -1 lastSequence: -1 producerId: 777 producerEpoch: 3 partitionLeaderEpoch: 5 isTransactional: true isControl: true position: ") {
		t.Errorf("control batch line: %s", lines[5])
	}
	if !strings.HasPrefix(lines[6], "| offset: 2 isValid: true crc: null keySize: 4 valueSize: 6 CreateTime: ") ||
		!strings.HasSuffix(lines[6], " sequence: -1 headerKeys: [] endTxnMarker: ABORT coordinatorEpoch: 9") {
		t.Errorf("marker record line: %s", lines[6])
	}
	if !strings.HasSuffix(lines[3], "sequence: 0 headerKeys: [] payload: a") {
		t.Errorf("data record line: %s", lines[3])
	}

	out, _, _ = runTool(t, runDumpLog, "--files", filepath.Join(dir, "00000000000000000000.txnindex"))
	if want := "version: 0 producerId: 777 firstOffset: 0 lastOffset: 2 lastStableOffset: 3\n"; !strings.HasSuffix(out, want) {
		t.Errorf("txnindex dump:\n%s\nwant line %q", out, want)
	}
	out, errOut, _ := runTool(t, runDumpLog, "--files", filepath.Join(dir, "00000000000000000003.snapshot"))
	if want := "producerId: 777 producerEpoch: 3 coordinatorEpoch: 9 currentTxnFirstOffset: None firstSequence: 0 lastSequence: 1 lastOffset: 1 offsetDelta: 1 timestamp: "; !strings.Contains(out, want) {
		t.Errorf("snapshot dump:\n%s%s\nwant %q", out, errOut, want)
	}
}

func TestDumpLogTransactionLogDecoder(t *testing.T) {
	key := transaction.KeyBytes("my-txn")
	val, err := transaction.ValueBytes(transaction.TxnTransitMetadata{ProducerID: 7, ProducerEpoch: 2, TxnTimeoutMs: 60000,
		State: transaction.Empty, TxnLastUpdate: 1620000000000})
	if err != nil {
		t.Fatal(err)
	}
	k, v, err := transactionLogMessageParser(&record.Record{Key: key, Value: val})
	if err != nil || *k != "transaction_metadata::transactionalId=my-txn" ||
		*v != "producerId:7,producerEpoch:2,state=Empty,partitions=[],txnLastUpdateTimestamp=1620000000000,txnTimeoutMs=60000" {
		t.Fatalf("got %v %v %v", *k, *v, err)
	}
	if _, v, _ = transactionLogMessageParser(&record.Record{Key: key}); *v != "<DELETE>" {
		t.Errorf("tombstone %q", *v)
	}
}
