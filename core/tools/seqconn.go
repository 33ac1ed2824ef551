package tools

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"hash/crc32"
	"net"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// A non-idempotent Java producer writes baseSequence -1 in its batches and
// kafka-dump-log shows "baseSequence: -1 lastSequence: -1". franz-go writes
// 0 there, so the tools' producers would leave different logs than Kafka's
// tools. sequenceFixConn rewrites those four bytes (and the batch CRC) in
// outgoing Produce requests; nothing else on the wire changes size.

var castagnoliTable = crc32.MakeTable(crc32.Castagnoli)

// javaSequenceDialer wraps connections to brokers with sequenceFixConn;
// with TLS (security.protocol SSL or SASL_SSL) the wrapper sits on the TLS
// connection, where requests are still plain frames.
func javaSequenceDialer(tlsConfig *tls.Config) func(ctx context.Context, network, host string) (net.Conn, error) {
	dial := brokerDialer(tlsConfig)
	return func(ctx context.Context, network, host string) (net.Conn, error) {
		c, err := dial(ctx, network, host)
		if err != nil {
			return nil, err
		}
		return &sequenceFixConn{Conn: c}, nil
	}
}

type sequenceFixConn struct {
	net.Conn
	pending []byte
}

// Write forwards whole request frames, patching Produce requests.
func (c *sequenceFixConn) Write(p []byte) (int, error) {
	c.pending = append(c.pending, p...)
	for len(c.pending) >= 4 {
		size := int(binary.BigEndian.Uint32(c.pending))
		if len(c.pending) < 4+size {
			break
		}
		frame := c.pending[:4+size]
		fixProduceSequences(frame[4:])
		if _, err := c.Conn.Write(frame); err != nil {
			c.pending = nil
			return 0, err
		}
		c.pending = c.pending[4+size:]
	}
	if len(c.pending) == 0 {
		c.pending = nil
	}
	return len(p), nil
}

// fixProduceSequences patches, in place, every batch of a Produce request
// that has no producer id and base sequence 0.
func fixProduceSequences(msg []byte) {
	if len(msg) < 10 || int16(binary.BigEndian.Uint16(msg)) != 0 {
		return
	}
	req := kmsg.NewPtrProduceRequest()
	req.Version = int16(binary.BigEndian.Uint16(msg[2:]))
	body := msg[8:] // api key, version, correlation id
	idLen := int(int16(binary.BigEndian.Uint16(body)))
	if idLen < 0 {
		idLen = 0
	}
	if len(body) < 2+idLen {
		return
	}
	body = body[2+idLen:]
	if req.IsFlexible() {
		if len(body) == 0 || body[0] != 0 { // franz-go sends no header tags
			return
		}
		body = body[1:]
	}
	if err := req.ReadFrom(body); err != nil {
		return
	}
	for _, t := range req.Topics {
		for _, p := range t.Partitions {
			fixBatches(p.Records)
		}
	}
}

// fixBatches rewrites baseSequence 0 → -1 where producerId is -1.
func fixBatches(records []byte) {
	for len(records) >= 61 {
		size := 12 + int(int32(binary.BigEndian.Uint32(records[8:])))
		if size < 61 || size > len(records) || records[16] != 2 {
			return
		}
		b := records[:size]
		if int64(binary.BigEndian.Uint64(b[43:])) == -1 && binary.BigEndian.Uint32(b[53:]) == 0 {
			binary.BigEndian.PutUint32(b[53:], 0xFFFFFFFF)
			binary.BigEndian.PutUint32(b[17:], crc32.Checksum(b[21:], castagnoliTable))
		}
		records = records[size:]
	}
}
