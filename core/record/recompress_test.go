package record

import (
	"bytes"
	"errors"
	"testing"
)

func idempotentBatch(t *testing.T, codec Codec, n int) []byte {
	t.Helper()
	o := DefaultBatchOptions(codec, 1_700_000_000_000)
	o.ProducerID, o.ProducerEpoch, o.BaseSequence, o.Transactional = 4242, 7, 99, true
	o.PartitionLeaderEpoch = 3
	raw, err := BuildBatchWith(o, sampleRecords(n))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func sameRecords(t *testing.T, a, b []Record) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%d records, want %d", len(b), len(a))
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.Offset != y.Offset || x.Timestamp != y.Timestamp || x.OffsetDelta != y.OffsetDelta || x.Attributes != y.Attributes ||
			!bytes.Equal(x.Key, y.Key) || (x.Key == nil) != (y.Key == nil) ||
			!bytes.Equal(x.Value, y.Value) || (x.Value == nil) != (y.Value == nil) || len(x.Headers) != len(y.Headers) {
			t.Fatalf("record %d differs:\n%+v\n%+v", i, x, y)
		}
		for j := range x.Headers {
			if x.Headers[j].Key != y.Headers[j].Key || !bytes.Equal(x.Headers[j].Value, y.Headers[j].Value) ||
				(x.Headers[j].Value == nil) != (y.Headers[j].Value == nil) {
				t.Fatalf("record %d header %d differs", i, j)
			}
		}
	}
}

func TestRecompressEveryCodecPair(t *testing.T) {
	for _, from := range allCodecs {
		for _, to := range allCodecs {
			t.Run(from.String()+"->"+to.String(), func(t *testing.T) {
				src := idempotentBatch(t, from, 25)
				want, err := DecodeRecords(Batch(src))
				if err != nil {
					t.Fatal(err)
				}
				out, err := Recompress(Batch(src), to)
				if err != nil {
					t.Fatal(err)
				}
				b, s := Batch(out), Batch(src)
				if b.Size() != len(out) || !b.IsValidCRC() || b.Codec() != to || b.Magic() != MagicV2 {
					t.Fatalf("size %d/%d crc ok %v codec %v", b.Size(), len(out), b.IsValidCRC(), b.Codec())
				}
				if b.ProducerID() != 4242 || b.ProducerEpoch() != 7 || b.BaseSequence() != 99 || !b.IsTransactional() ||
					b.IsControl() || b.PartitionLeaderEpoch() != 3 || b.RecordCount() != 25 || b.LastOffsetDelta() != 24 {
					t.Fatalf("header not kept: pid %d epoch %d seq %d txn %v ple %d count %d", b.ProducerID(), b.ProducerEpoch(),
						b.BaseSequence(), b.IsTransactional(), b.PartitionLeaderEpoch(), b.RecordCount())
				}
				if b.FirstTimestamp() != s.FirstTimestamp() || b.MaxTimestamp() != s.MaxTimestamp() || b.TimestampType() != CreateTime {
					t.Fatalf("timestamps %d/%d, want %d/%d", b.FirstTimestamp(), b.MaxTimestamp(), s.FirstTimestamp(), s.MaxTimestamp())
				}
				got, err := DecodeRecords(b)
				if err != nil {
					t.Fatal(err)
				}
				sameRecords(t, want, got)
				if from == to && !bytes.Equal(b.RecordsSection(), s.RecordsSection()) && to == CodecNone {
					t.Fatal("uncompressed records section changed")
				}
			})
		}
	}
}

func TestApplyTopicCompression(t *testing.T) {
	src := idempotentBatch(t, CodecSnappy, 10)
	info, err := Validate(src, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	// producer (and an empty value) keep the producer's bytes.
	for _, ct := range []string{"producer", "", "snappy"} {
		out, got, err := ApplyTopicCompression(src, info, ct, 1<<20)
		if err != nil || &out[0] != &src[0] || got != info {
			t.Fatalf("%q: recompressed (err %v)", ct, err)
		}
	}
	for ct, want := range map[string]Codec{"gzip": CodecGzip, "uncompressed": CodecNone, "lz4": CodecLZ4, "zstd": CodecZstd} {
		out, got, err := ApplyTopicCompression(src, info, ct, 1<<20)
		if err != nil {
			t.Fatalf("%s: %v", ct, err)
		}
		if Batch(out).Codec() != want || got.Codec != want || got.Records != 10 || got.Batches != 1 || got.Bytes != len(out) ||
			got.MaxTimestamp != info.MaxTimestamp || got.OffsetOfMaxTimestampDelta != info.OffsetOfMaxTimestampDelta {
			t.Fatalf("%s: codec %v info %+v (was %+v)", ct, Batch(out).Codec(), got, info)
		}
	}

	// The rebuilt batch is checked against max.message.bytes.
	big := make([]Record, 50)
	for i := range big {
		big[i].Value = bytes.Repeat([]byte("x"), 1000)
	}
	gz, err := BuildBatch(big, CodecGzip, 1)
	if err != nil {
		t.Fatal(err)
	}
	ginfo, err := Validate(gz, 10_000)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := ApplyTopicCompression(gz, ginfo, "uncompressed", 10_000); !errors.Is(err, ErrRecordTooLarge) {
		t.Fatalf("decompressed batch over the limit: %v", err)
	}
}

func TestApplyTopicCompressionLeavesControlAndMultiBatchSets(t *testing.T) {
	o := DefaultBatchOptions(CodecNone, 5)
	o.Control, o.ProducerID, o.ProducerEpoch = true, 1, 0
	ctrl, err := BuildBatchWith(o, []Record{{Key: []byte{0, 0, 0, 1}, Value: []byte{0, 0, 0, 0, 0, 0}}})
	if err != nil {
		t.Fatal(err)
	}
	info, _ := ValidateCoordinator(ctrl, 1<<20)
	if out, _, err := ApplyTopicCompression(ctrl, info, "gzip", 1<<20); err != nil || Batch(out).Codec() != CodecNone {
		t.Fatalf("control batch recompressed: %v", err)
	}
	a, _ := BuildBatch(sampleRecords(2), CodecNone, 1)
	b, _ := BuildBatch(sampleRecords(3), CodecNone, 1)
	set := append(append([]byte(nil), a...), b...)
	info, _ = ValidateCoordinator(set, 1<<20)
	if out, _, err := ApplyTopicCompression(set, info, "gzip", 1<<20); err != nil || !bytes.Equal(out, set) {
		t.Fatalf("multi-batch set changed: %v", err)
	}
}

func TestRecompressRejectsNonIncrementalOffsets(t *testing.T) {
	recs := sampleRecords(3)
	recs[2].OffsetDelta = 5
	o := DefaultBatchOptions(CodecNone, 1)
	o.KeepOffsetDeltas = true
	raw, err := BuildBatchWith(o, recs)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Recompress(Batch(raw), CodecGzip); !errors.Is(err, ErrInvalidRecord) {
		t.Fatalf("got %v", err)
	}
}

func TestRecompressKeepsLogAppendTime(t *testing.T) {
	raw, _ := BuildBatch(sampleRecords(4), CodecLZ4, 1000)
	Batch(raw).SetLogAppendTime(123456)
	out, err := Recompress(Batch(raw), CodecNone)
	if err != nil {
		t.Fatal(err)
	}
	if b := Batch(out); b.TimestampType() != LogAppendTime || b.MaxTimestamp() != 123456 || !b.IsValidCRC() {
		t.Fatalf("type %v max %d", b.TimestampType(), b.MaxTimestamp())
	}
}

func TestTargetCodec(t *testing.T) {
	cases := map[string]Codec{"producer": CodecSnappy, "": CodecSnappy, "uncompressed": CodecNone, "GZIP": CodecGzip,
		"snappy": CodecSnappy, "lz4": CodecLZ4, "zstd": CodecZstd}
	for ct, want := range cases {
		if got := TargetCodec(ct, CodecSnappy); got != want {
			t.Errorf("%q: %v, want %v", ct, got, want)
		}
	}
}
