package log

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/sirupsen/logrus"

	"github.com/gokafka/kafka/core/record"
)

func TestMain(m *testing.M) {
	flag.Parse()
	if !testing.Verbose() {
		logrus.SetOutput(io.Discard)
	}
	os.Exit(m.Run())
}

// batch builds a producer batch of n records with 100-byte values whose
// timestamps are ts, ts+1, ...
func batch(t testing.TB, n int, ts int64) []byte {
	t.Helper()
	recs := make([]record.Record, n)
	for i := range recs {
		recs[i] = record.Record{TimestampDelta: int64(i), Key: []byte(fmt.Sprintf("k%d", i)), Value: bytes.Repeat([]byte{'v'}, 100)}
	}
	b, err := record.BuildBatch(recs, record.CodecNone, ts)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func smallConfig() Config {
	c := DefaultConfig()
	c.SegmentBytes = 8 << 10
	c.IndexIntervalBytes = 1024
	c.MaxIndexSize = 4096
	c.FileDeleteDelayMs = 0
	return c
}

func openTestLog(t testing.TB, dir string, cfg Config, p LoadParams) *Log {
	t.Helper()
	l, err := OpenLog(dir, cfg, p)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func newTestLog(t testing.TB, cfg Config) *Log {
	t.Helper()
	return openTestLog(t, filepath.Join(t.TempDir(), "topic-0"), cfg, LoadParams{CleanShutdown: true})
}

// appendN appends count batches of n records with timestamps starting at ts.
func appendN(t testing.TB, l *Log, count, n int, ts int64) {
	t.Helper()
	for i := 0; i < count; i++ {
		if _, err := l.Append(batch(t, n, ts+int64(i*n)), 0); err != nil {
			t.Fatal(err)
		}
	}
}

// readAll reads the whole log through Read and returns every record offset.
func readAll(t testing.TB, l *Log) []record.Record {
	t.Helper()
	var out []record.Record
	off := l.LogStartOffset()
	for off < l.LogEndOffset() {
		info, err := l.Read(off, 1<<20, l.LogEndOffset(), true)
		if err != nil {
			t.Fatal(err)
		}
		if len(info.Records) == 0 {
			t.Fatalf("empty read at %d (leo %d)", off, l.LogEndOffset())
		}
		err = record.Iterate(info.Records, func(b record.Batch) bool {
			if !b.IsValidCRC() {
				t.Fatalf("bad crc at %d", b.BaseOffset())
			}
			recs, err := record.DecodeRecords(b)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range recs {
				if r.Offset >= off {
					out = append(out, r)
				}
			}
			off = b.NextOffset()
			return true
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func checkConsecutive(t testing.TB, recs []record.Record, from, to int64) {
	t.Helper()
	if int64(len(recs)) != to-from {
		t.Fatalf("got %d records, want %d (%d..%d)", len(recs), to-from, from, to)
	}
	for i, r := range recs {
		if r.Offset != from+int64(i) {
			t.Fatalf("record %d has offset %d, want %d", i, r.Offset, from+int64(i))
		}
	}
}
