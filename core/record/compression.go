package record

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// maxDecompressedSize bounds what one batch may inflate to, so a hostile
// batch cannot exhaust memory in a tool or a timestamp lookup.
const maxDecompressedSize = 256 << 20

var errDecompressedTooLarge = errors.New("decompressed batch exceeds the 256 MiB safety limit")

// xerialMagic starts a snappy stream framed the way Java's SnappyOutputStream
// (snappy-java) writes it; Kafka's Java producer uses that framing.
var xerialMagic = []byte{0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0}

const xerialBlockSize = 32 << 10

var (
	zstdEncOnce sync.Once
	zstdEnc     *zstd.Encoder
	zstdDecOnce sync.Once
	zstdDec     *zstd.Decoder
)

func zstdEncoder() *zstd.Encoder {
	zstdEncOnce.Do(func() {
		zstdEnc, _ = zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
	})
	return zstdEnc
}

func zstdDecoder() *zstd.Decoder {
	zstdDecOnce.Do(func() {
		zstdDec, _ = zstd.NewReader(nil, zstd.WithDecoderConcurrency(0), zstd.WithDecoderMaxMemory(maxDecompressedSize))
	})
	return zstdDec
}

// Compress encodes raw with the codec the way Kafka's Java producer would.
func Compress(c Codec, raw []byte) ([]byte, error) {
	switch c {
	case CodecNone:
		return raw, nil
	case CodecGzip:
		var buf bytes.Buffer
		w := gzip.NewWriter(&buf)
		if _, err := w.Write(raw); err != nil {
			return nil, err
		}
		if err := w.Close(); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	case CodecSnappy:
		return xerialEncode(raw), nil
	case CodecLZ4:
		var buf bytes.Buffer
		w := lz4.NewWriter(&buf)
		// Java's KafkaLZ4BlockOutputStream: 64 KiB independent blocks, no content checksum.
		if err := w.Apply(lz4.BlockSizeOption(lz4.Block64Kb), lz4.ChecksumOption(false)); err != nil {
			return nil, err
		}
		if _, err := w.Write(raw); err != nil {
			return nil, err
		}
		if err := w.Close(); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	case CodecZstd:
		return zstdEncoder().EncodeAll(raw, nil), nil
	}
	return nil, fmt.Errorf("%w: unknown compression codec %d", ErrInvalidRecord, c)
}

// Decompress decodes a compressed records section.
func Decompress(c Codec, data []byte) ([]byte, error) {
	switch c {
	case CodecNone:
		return data, nil
	case CodecGzip:
		r, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, err
		}
		return readBounded(r)
	case CodecSnappy:
		return snappyDecode(data)
	case CodecLZ4:
		out, err := readBounded(lz4.NewReader(bytes.NewReader(data)))
		if errors.Is(err, lz4.ErrInvalidHeaderChecksum) {
			// Kafka before 0.10 (magic 0) computed the frame descriptor
			// checksum over the magic number too; repair and retry.
			if fixed := fixLegacyLZ4Header(data); fixed != nil {
				return readBounded(lz4.NewReader(bytes.NewReader(fixed)))
			}
		}
		return out, err
	case CodecZstd:
		return zstdDecoder().DecodeAll(data, nil)
	}
	return nil, fmt.Errorf("%w: unknown compression codec %d", ErrCorruptMessage, c)
}

func readBounded(r io.Reader) ([]byte, error) {
	var buf bytes.Buffer
	n, err := buf.ReadFrom(io.LimitReader(r, maxDecompressedSize+1))
	if err != nil {
		return nil, err
	}
	if n > maxDecompressedSize {
		return nil, errDecompressedTooLarge
	}
	return buf.Bytes(), nil
}

func xerialEncode(raw []byte) []byte {
	out := make([]byte, 0, 16+len(raw)+len(raw)/6+64)
	out = append(out, xerialMagic...)
	out = binary.BigEndian.AppendUint32(out, 1) // version
	out = binary.BigEndian.AppendUint32(out, 1) // minimum compatible version
	for len(raw) > 0 {
		n := min(len(raw), xerialBlockSize)
		block := s2.EncodeSnappy(nil, raw[:n])
		out = binary.BigEndian.AppendUint32(out, uint32(len(block)))
		out = append(out, block...)
		raw = raw[n:]
	}
	return out
}

// snappyDecode accepts xerial framing (Java clients) and raw snappy
// (librdkafka and others), as snappy-java's reader does.
func snappyDecode(data []byte) ([]byte, error) {
	if len(data) < 16 || !bytes.HasPrefix(data, xerialMagic) {
		return snappyBlock(nil, data)
	}
	data = data[16:]
	var out []byte
	for len(data) > 0 {
		if len(data) < 4 {
			return nil, fmt.Errorf("%w: truncated xerial snappy block header", ErrCorruptMessage)
		}
		n := int(binary.BigEndian.Uint32(data))
		data = data[4:]
		if n < 0 || n > len(data) {
			return nil, fmt.Errorf("%w: truncated xerial snappy block", ErrCorruptMessage)
		}
		var err error
		if out, err = snappyBlock(out, data[:n]); err != nil {
			return nil, err
		}
		data = data[n:]
	}
	return out, nil
}

// snappyBlock appends the decoding of one raw snappy block to dst.
func snappyBlock(dst, block []byte) ([]byte, error) {
	n, err := s2.DecodedLen(block)
	if err != nil {
		return nil, err
	}
	if len(dst)+n > maxDecompressedSize {
		return nil, errDecompressedTooLarge
	}
	dec, err := s2.Decode(nil, block)
	if err != nil {
		return nil, err
	}
	return append(dst, dec...), nil
}

// fixLegacyLZ4Header returns a copy of an LZ4 frame with the descriptor
// checksum recomputed over the descriptor only (the standard), or nil when
// the data is not an LZ4 frame.
func fixLegacyLZ4Header(data []byte) []byte {
	if len(data) < 7 || binary.LittleEndian.Uint32(data) != 0x184D2204 {
		return nil
	}
	descLen := 2
	if data[4]&0x08 != 0 { // content size present
		descLen += 8
	}
	if len(data) < 4+descLen+1 {
		return nil
	}
	fixed := append([]byte(nil), data...)
	fixed[4+descLen] = byte(xxh32(fixed[4:4+descLen], 0) >> 8)
	return fixed
}

// xxh32 is the 32-bit xxHash used by the LZ4 frame format.
func xxh32(in []byte, seed uint32) uint32 {
	const (
		p1 uint32 = 2654435761
		p2 uint32 = 2246822519
		p3 uint32 = 3266489917
		p4 uint32 = 668265263
		p5 uint32 = 374761393
	)
	n := len(in)
	var h uint32
	if n >= 16 {
		v1, v2, v3, v4 := seed+p1+p2, seed+p2, seed, seed-p1
		round := func(v, x uint32) uint32 { return bits.RotateLeft32(v+x*p2, 13) * p1 }
		for len(in) >= 16 {
			v1 = round(v1, binary.LittleEndian.Uint32(in))
			v2 = round(v2, binary.LittleEndian.Uint32(in[4:]))
			v3 = round(v3, binary.LittleEndian.Uint32(in[8:]))
			v4 = round(v4, binary.LittleEndian.Uint32(in[12:]))
			in = in[16:]
		}
		h = bits.RotateLeft32(v1, 1) + bits.RotateLeft32(v2, 7) + bits.RotateLeft32(v3, 12) + bits.RotateLeft32(v4, 18)
	} else {
		h = seed + p5
	}
	h += uint32(n)
	for len(in) >= 4 {
		h += binary.LittleEndian.Uint32(in) * p3
		h = bits.RotateLeft32(h, 17) * p4
		in = in[4:]
	}
	for _, b := range in {
		h += uint32(b) * p5
		h = bits.RotateLeft32(h, 11) * p1
	}
	h ^= h >> 15
	h *= p2
	h ^= h >> 13
	h *= p3
	h ^= h >> 16
	return h
}
