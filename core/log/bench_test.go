package log

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/gokafka/kafka/core/record"
)

// batch16K is a producer batch of 100-byte records, about 16 KiB.
func batch16K(b *testing.B) []byte {
	recs := make([]record.Record, 140)
	for i := range recs {
		recs[i] = record.Record{TimestampDelta: int64(i), Value: bytes.Repeat([]byte{'x'}, 100)}
	}
	raw, err := record.BuildBatch(recs, record.CodecNone, 1_700_000_000_000)
	if err != nil {
		b.Fatal(err)
	}
	return raw
}

func BenchmarkLogAppend(b *testing.B) {
	cfg := DefaultConfig()
	cfg.SegmentBytes = 256 << 20
	l := openTestLog(b, filepath.Join(b.TempDir(), "bench-0"), cfg, LoadParams{CleanShutdown: true})
	defer l.Close()
	raw := batch16K(b)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		// Append rewrites the header in place, so the same buffer can be reused.
		if _, err := l.Append(raw, 0); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*140)/b.Elapsed().Seconds(), "records/s")
}

func BenchmarkLogRead(b *testing.B) {
	cfg := DefaultConfig()
	l := openTestLog(b, filepath.Join(b.TempDir(), "bench-0"), cfg, LoadParams{CleanShutdown: true})
	defer l.Close()
	raw := batch16K(b)
	for i := 0; i < 2000; i++ { // ~32 MiB
		if _, err := l.Append(raw, 0); err != nil {
			b.Fatal(err)
		}
	}
	leo := l.LogEndOffset()
	b.SetBytes(1 << 20)
	b.ReportAllocs()
	b.ResetTimer()
	var off int64
	for i := 0; i < b.N; i++ {
		info, err := l.Read(off, 1<<20, leo, true)
		if err != nil || len(info.Records) == 0 {
			b.Fatal(err)
		}
		off = (off + 7919*140) % (leo - 1000)
	}
}
