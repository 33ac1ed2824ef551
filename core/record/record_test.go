package record

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

func sampleRecords(n int) []Record {
	out := make([]Record, n)
	for i := range out {
		out[i] = Record{
			TimestampDelta: int64(i * 3),
			Key:            []byte(fmt.Sprintf("key-%d", i)),
			Value:          bytes.Repeat([]byte{byte('a' + i%26)}, 40+i),
		}
		if i%2 == 1 {
			out[i].Key = nil
			out[i].Headers = []Header{{Key: "h", Value: []byte("v")}, {Key: "null", Value: nil}}
		}
	}
	return out
}

var allCodecs = []Codec{CodecNone, CodecGzip, CodecSnappy, CodecLZ4, CodecZstd}

func TestBuildDecodeRoundTrip(t *testing.T) {
	for _, c := range allCodecs {
		t.Run(c.String(), func(t *testing.T) {
			in := sampleRecords(7)
			raw, err := BuildBatch(in, c, 1_600_000_000_000)
			if err != nil {
				t.Fatal(err)
			}
			b := Batch(raw)
			if b.Size() != len(raw) || b.Magic() != 2 || b.Codec() != c || !b.IsValidCRC() {
				t.Fatalf("header: size %d/%d magic %d codec %v crc ok %v", b.Size(), len(raw), b.Magic(), b.Codec(), b.IsValidCRC())
			}
			if b.RecordCount() != 7 || b.LastOffsetDelta() != 6 || b.MaxTimestamp() != 1_600_000_000_018 {
				t.Fatalf("count %d lastDelta %d maxTs %d", b.RecordCount(), b.LastOffsetDelta(), b.MaxTimestamp())
			}
			b.SetBaseOffset(100)
			out, err := DecodeRecords(b)
			if err != nil {
				t.Fatal(err)
			}
			for i, r := range out {
				if r.Offset != int64(100+i) || r.Timestamp != 1_600_000_000_000+int64(i*3) ||
					!bytes.Equal(r.Key, in[i].Key) || (r.Key == nil) != (in[i].Key == nil) || !bytes.Equal(r.Value, in[i].Value) ||
					len(r.Headers) != len(in[i].Headers) {
					t.Fatalf("record %d mismatch: %+v", i, r)
				}
				for j, h := range r.Headers {
					if h.Key != in[i].Headers[j].Key || (h.Value == nil) != (in[i].Headers[j].Value == nil) {
						t.Fatalf("header mismatch %+v", h)
					}
				}
			}
		})
	}
}

// TestCRCMatchesFranzGo cross-checks our framing and CRC with kmsg's encoder.
func TestCRCMatchesFranzGo(t *testing.T) {
	var recs []byte
	for i := 0; i < 5; i++ {
		r := kmsg.Record{TimestampDelta64: int64(i), OffsetDelta: int32(i), Key: []byte("k"), Value: []byte(fmt.Sprint("value-", i))}
		r.Length = int32(len(r.AppendTo(nil)) - 1) // a zero length varint takes one byte
		recs = r.AppendTo(recs)
	}
	kb := kmsg.RecordBatch{
		FirstOffset: 0, PartitionLeaderEpoch: -1, Magic: 2, LastOffsetDelta: 4,
		FirstTimestamp: 1000, MaxTimestamp: 1004, ProducerID: -1, ProducerEpoch: -1, FirstSequence: -1,
		NumRecords: 5, Records: recs,
	}
	raw := kb.AppendTo(nil)
	kb.Length = int32(len(raw) - 12)
	raw = kb.AppendTo(nil)
	kb.CRC = int32(Batch(raw).ComputeCRC())
	raw = kb.AppendTo(nil)

	mine := make([]Record, 5)
	for i := range mine {
		mine[i] = Record{TimestampDelta: int64(i), Key: []byte("k"), Value: []byte(fmt.Sprint("value-", i))}
	}
	built, err := BuildBatch(mine, CodecNone, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(built, raw) {
		t.Fatalf("batches differ:\nmine %x\nkmsg %x", built, raw)
	}
	if _, err := Validate(raw, 1<<20); err != nil {
		t.Fatal(err)
	}
	var back kmsg.RecordBatch
	if err := back.ReadFrom(built); err != nil || uint32(back.CRC) != Batch(built).CRC() {
		t.Fatalf("kmsg read: %v crc %x", err, back.CRC)
	}
}

func mustBuild(t testing.TB, n int, c Codec) []byte {
	t.Helper()
	b, err := BuildBatch(sampleRecords(n), c, 5000)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestValidate(t *testing.T) {
	good := mustBuild(t, 3, CodecNone)
	two := append(append([]byte{}, good...), mustBuild(t, 4, CodecLZ4)...)
	badCRC := append([]byte{}, good...)
	badCRC[len(badCRC)-1] ^= 0xff
	torn := good[:len(good)-5]
	badMagic := append([]byte{}, good...)
	badMagic[16] = 3
	control, _ := BuildBatchWith(func() BatchOptions { o := DefaultBatchOptions(CodecNone, 1); o.Control = true; return o }(), sampleRecords(1))
	badCount := append([]byte{}, good...)
	be.PutUint32(badCount[recordCountOffset:], 5)
	Batch(badCount).SetMaxTimestamp(CreateTime, Batch(badCount).MaxTimestamp()) // recompute CRC
	tinyLen := append([]byte{}, good...)
	be.PutUint32(tinyLen[lengthOffset:], 10)

	cases := []struct {
		name string
		in   []byte
		max  int32
		want error
	}{
		{"one batch", good, 1 << 20, nil},
		{"two batches", two, 1 << 20, ErrInvalidRecord},
		{"bad crc", badCRC, 1 << 20, ErrCorruptMessage},
		{"torn", torn, 1 << 20, ErrCorruptMessage},
		{"short header", good[:10], 1 << 20, ErrCorruptMessage},
		{"too small length", tinyLen, 1 << 20, ErrCorruptMessage},
		{"magic 3", badMagic, 1 << 20, ErrUnsupportedMagic},
		{"too large", good, int32(len(good) - 1), ErrRecordTooLarge},
		{"control", control, 1 << 20, ErrInvalidRecord},
		{"count mismatch", badCount, 1 << 20, ErrInvalidRecord},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			info, err := Validate(c.in, c.max)
			if !errors.Is(err, c.want) || (c.want == nil) != (err == nil) {
				t.Fatalf("got %v want %v", err, c.want)
			}
			if err == nil && info.Bytes != len(c.in) {
				t.Fatalf("bytes %d want %d", info.Bytes, len(c.in))
			}
		})
	}
	info, _ := ValidateFollower(two)
	if info.Batches != 2 || info.Records != 7 || info.Codec != CodecLZ4 || info.FirstTimestamp != 5000 {
		t.Fatalf("info %+v", info)
	}
	// Both batches sit at base offset 0 here; the second has the larger max
	// timestamp (5000+9) and its last record is at delta 3.
	if info.MaxTimestamp != 5009 || info.OffsetOfMaxTimestampDelta != 3 {
		t.Fatalf("max ts %d at %d", info.MaxTimestamp, info.OffsetOfMaxTimestampDelta)
	}
	if _, err := ValidateFollower(control); err != nil {
		t.Fatalf("follower must accept control batches: %v", err)
	}
}

func TestSetLogAppendTime(t *testing.T) {
	b := Batch(mustBuild(t, 2, CodecGzip))
	b.SetBaseOffset(42)
	b.SetPartitionLeaderEpoch(7)
	b.SetLogAppendTime(99999)
	if !b.IsValidCRC() || b.TimestampType() != LogAppendTime || b.MaxTimestamp() != 99999 || b.BaseOffset() != 42 || b.PartitionLeaderEpoch() != 7 {
		t.Fatal("rewrite failed")
	}
	recs, err := DecodeRecords(b)
	if err != nil || recs[1].Timestamp != 99999 || recs[1].Offset != 43 {
		t.Fatalf("%v %+v", err, recs)
	}
}

func TestIterate(t *testing.T) {
	a, b := mustBuild(t, 1, CodecNone), mustBuild(t, 2, CodecSnappy)
	set := append(append([]byte{}, a...), b...)
	var sizes []int
	if err := Iterate(set, func(x Batch) bool { sizes = append(sizes, x.Size()); return true }); err != nil {
		t.Fatal(err)
	}
	if len(sizes) != 2 || sizes[0] != len(a) || sizes[1] != len(b) {
		t.Fatalf("sizes %v", sizes)
	}
	if err := Iterate(set[:len(set)-1], func(Batch) bool { return true }); !errors.Is(err, ErrCorruptMessage) {
		t.Fatalf("torn: %v", err)
	}
}

func TestLegacyRoundTrip(t *testing.T) {
	for _, magic := range []int8{0, 1} {
		for _, c := range []Codec{CodecNone, CodecGzip, CodecSnappy, CodecLZ4} {
			t.Run(fmt.Sprintf("v%d-%s", magic, c), func(t *testing.T) {
				in := sampleRecords(4)
				legacy, err := BuildLegacy(magic, c, 7000, in)
				if err != nil {
					t.Fatal(err)
				}
				v2, err := ConvertToV2(legacy)
				if err != nil {
					t.Fatal(err)
				}
				info, err := Validate(v2, 1<<20)
				if err != nil || info.Records != 4 || info.Codec != c {
					t.Fatalf("%v %+v", err, info)
				}
				recs, err := DecodeRecords(Batch(v2))
				if err != nil {
					t.Fatal(err)
				}
				for i, r := range recs {
					wantTs := int64(7000 + i*3)
					if magic == 0 {
						wantTs = NoTimestamp
					}
					if r.Timestamp != wantTs || !bytes.Equal(r.Value, in[i].Value) || (r.Key == nil) != (in[i].Key == nil) {
						t.Fatalf("record %d: %+v", i, r)
					}
				}
				// And back down for an old fetcher.
				Batch(v2).SetBaseOffset(10)
				down, err := DownConvert(v2, magic)
				if err != nil {
					t.Fatal(err)
				}
				n := 0
				err = IterateEntries(down, func(e []byte) bool {
					m, err := parseLegacy(e)
					if err != nil || m.offset != int64(10+n) || !bytes.Equal(m.val, in[n].Value) {
						t.Fatalf("down entry %d: %v %+v", n, err, m)
					}
					n++
					return true
				})
				if err != nil || n != 4 {
					t.Fatalf("%v n=%d", err, n)
				}
			})
		}
	}
}

func TestLegacyCorruptCRC(t *testing.T) {
	legacy, _ := BuildLegacy(1, CodecNone, 1, sampleRecords(2))
	legacy[len(legacy)-1] ^= 1
	if _, err := ConvertToV2(legacy); !errors.Is(err, ErrCorruptMessage) {
		t.Fatalf("got %v", err)
	}
}

func TestLegacyLZ4BrokenHeaderChecksum(t *testing.T) {
	raw := []byte("hello legacy lz4 world, hello legacy lz4 world")
	comp, err := Compress(CodecLZ4, raw)
	if err != nil {
		t.Fatal(err)
	}
	// Kafka 0.8/0.9 hashed the magic number into the header checksum.
	descLen := 2
	if comp[4]&0x08 != 0 {
		descLen += 8
	}
	comp[4+descLen] = byte(xxh32(comp[:4+descLen], 0) >> 8)
	out, err := Decompress(CodecLZ4, comp)
	if err != nil || !bytes.Equal(out, raw) {
		t.Fatalf("%v %q", err, out)
	}
}

func TestXXH32(t *testing.T) {
	// Reference values of the xxHash32 specification.
	if got := xxh32(nil, 0); got != 0x02CC5D05 {
		t.Fatalf("empty: %x", got)
	}
	if got := xxh32([]byte("Nobody inspects the spammish repetition"), 0); got != 0xE2293B2F {
		t.Fatalf("text: %x", got)
	}
}

func TestRawSnappyAccepted(t *testing.T) {
	raw := bytes.Repeat([]byte("abc"), 100)
	x := xerialEncode(raw)
	out, err := Decompress(CodecSnappy, x)
	if err != nil || !bytes.Equal(out, raw) {
		t.Fatal(err)
	}
	out, err = Decompress(CodecSnappy, x[20:]) // the raw block inside the frame
	if err != nil || !bytes.Equal(out, raw) {
		t.Fatal(err)
	}
}

func FuzzValidate(f *testing.F) {
	for _, c := range allCodecs {
		b, _ := BuildBatch(sampleRecords(3), c, 1)
		f.Add(b)
	}
	two, _ := BuildBatch(sampleRecords(1), CodecNone, 1)
	f.Add(append(append([]byte{}, two...), two...))
	f.Add([]byte{})
	f.Add(make([]byte, 61))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) >= BatchHeaderSize && data[magicOffset] == 2 {
			// Also push CRC-valid garbage through the record decoder.
			fixed := append([]byte(nil), data...)
			be.PutUint32(fixed[lengthOffset:], uint32(len(fixed)-LogOverhead))
			be.PutUint32(fixed[crcOffset:], Batch(fixed).ComputeCRC())
			_, _ = DecodeRecords(Batch(fixed))
		}
		info, err := Validate(data, 1<<20)
		if err != nil {
			return
		}
		if info.Bytes != len(data) {
			t.Fatalf("validated %d of %d bytes", info.Bytes, len(data))
		}
		_ = Iterate(data, func(b Batch) bool {
			_, _ = DecodeRecords(b) // must not panic on any CRC-valid batch
			return true
		})
	})
}

func BenchmarkValidate16K(b *testing.B) {
	recs := make([]Record, 160)
	for i := range recs {
		recs[i] = Record{Value: bytes.Repeat([]byte{'x'}, 100)}
	}
	batch, _ := BuildBatch(recs, CodecNone, 1)
	b.SetBytes(int64(len(batch)))
	for i := 0; i < b.N; i++ {
		if _, err := Validate(batch, 1<<20); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeRecords(b *testing.B) {
	recs := make([]Record, 160)
	for i := range recs {
		recs[i] = Record{Value: bytes.Repeat([]byte{'x'}, 100)}
	}
	batch, _ := BuildBatch(recs, CodecNone, 1)
	b.SetBytes(int64(len(batch)))
	for i := 0; i < b.N; i++ {
		if _, err := DecodeRecords(batch); err != nil {
			b.Fatal(err)
		}
	}
}
