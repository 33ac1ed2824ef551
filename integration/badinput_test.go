package integration

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// closedWithin reports whether the broker closes conn (EOF or reset) within
// d, after draining anything it sends.
func closedWithin(conn net.Conn, d time.Duration) (bool, []byte) {
	_ = conn.SetReadDeadline(time.Now().Add(d))
	data, err := io.ReadAll(conn)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return false, data
	}
	return true, data
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// header builds a request header v1 followed by body, framed.
func frame(apiKey, version int16, corr int32, body []byte) []byte {
	var h []byte
	h = binary.BigEndian.AppendUint16(h, uint16(apiKey))
	h = binary.BigEndian.AppendUint16(h, uint16(version))
	h = binary.BigEndian.AppendUint32(h, uint32(corr))
	h = binary.BigEndian.AppendUint16(h, 2)
	h = append(h, "it"...)
	h = append(h, body...)
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(h))), h...)
}

// TestBadInputKeepsBrokerUp sends garbage, oversized and truncated frames,
// unknown API keys and versions on separate connections; the broker closes
// those connections or answers with an error, stays up, and a client that
// was connected throughout keeps working without losing data.
func TestBadInputKeepsBrokerUp(t *testing.T) {
	const maxRequest = 1 << 20
	c := StartCluster(t, map[string]string{"socket.request.max.bytes": "1048576"})
	const topic = "survivor"
	CreateTopic(t, c.Bootstrap(), topic, 1, nil)
	addr := c.B().Addr()

	// A healthy client connected before the abuse.
	healthy := NewClient(t, c.Bootstrap(), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	produce := func(v string) {
		t.Helper()
		if err := healthy.ProduceSync(testContext(t, 20*time.Second), &kgo.Record{Topic: topic, Value: []byte(v)}).FirstErr(); err != nil {
			t.Fatalf("healthy client produce %q: %v", v, err)
		}
	}
	produce("before")

	cases := []struct {
		name string
		data []byte
		// replyOK accepts an answer instead of a close.
		replyOK func(t *testing.T, data []byte) bool
	}{
		{name: "http-request", data: []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")},
		{name: "random-garbage", data: []byte{0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}},
		{name: "oversized-frame", data: binary.BigEndian.AppendUint32(nil, maxRequest+1)},
		{name: "negative-size", data: []byte{0xff, 0xff, 0xff, 0xf0, 1, 2, 3}},
		{name: "zero-size", data: []byte{0, 0, 0, 0}},
		{name: "header-garbage", data: append(binary.BigEndian.AppendUint32(nil, 6), 0, 0, 0xff, 0xff, 0xff, 0xff)},
		{name: "unknown-api-key", data: frame(9999, 0, 77, nil), replyOK: func(t *testing.T, data []byte) bool {
			return len(data) >= 8 && binary.BigEndian.Uint32(data[4:]) == 77
		}},
		{name: "unsupported-produce-version", data: frame(0, 99, 78, []byte{1, 2, 3}), replyOK: func(t *testing.T, data []byte) bool {
			return len(data) >= 8 && binary.BigEndian.Uint32(data[4:]) == 78
		}},
		{name: "produce-body-garbage", data: frame(0, 7, 79, []byte{0xff, 0xff, 0xff, 0xff, 0, 1, 2}), replyOK: func(t *testing.T, data []byte) bool {
			return len(data) >= 8 && binary.BigEndian.Uint32(data[4:]) == 79
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			conn := dial(t, addr)
			if _, err := conn.Write(tc.data); err != nil {
				t.Fatalf("write: %v", err)
			}
			closed, data := closedWithin(conn, 10*time.Second)
			if !closed && !(tc.replyOK != nil && tc.replyOK(t, data)) {
				t.Errorf("broker neither closed the connection nor answered within 10s (got %d bytes)", len(data))
			}
			if len(data) > 0 && tc.replyOK == nil {
				t.Logf("broker answered %d bytes before closing: %x", len(data), data[:min(len(data), 32)])
			}
		})
	}

	t.Run("truncated-frame", func(t *testing.T) {
		conn := dial(t, addr)
		msg := frame(18, 0, 5, nil)
		if _, err := conn.Write(msg[:len(msg)-3]); err != nil {
			t.Fatal(err)
		}
		conn.Close() // the broker sees EOF mid-frame
	})

	t.Run("api-versions-unsupported-version", func(t *testing.T) {
		// Kafka answers an ApiVersions it cannot parse with a v0 response
		// carrying UNSUPPORTED_VERSION and its supported ranges.
		conn := dial(t, addr)
		if _, err := conn.Write(frame(18, 99, 41, nil)); err != nil {
			t.Fatal(err)
		}
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		body, err := ReadFrame(conn)
		if err != nil {
			t.Fatalf("no ApiVersions answer: %v", err)
		}
		if binary.BigEndian.Uint32(body) != 41 {
			t.Fatalf("correlation id %d, want 41", binary.BigEndian.Uint32(body))
		}
		resp := kmsg.NewPtrApiVersionsResponse()
		resp.Version = 0
		if err := resp.ReadFrom(body[4:]); err != nil {
			t.Fatalf("decoding v0 response: %v", err)
		}
		if resp.ErrorCode != kerr.UnsupportedVersion.Code || len(resp.ApiKeys) == 0 {
			t.Errorf("ApiVersions v99: error %d with %d keys, want UNSUPPORTED_VERSION (35) and the key ranges", resp.ErrorCode, len(resp.ApiKeys))
		}
	})

	t.Run("pipelined-good-after-bad-elsewhere", func(t *testing.T) {
		// A fresh raw connection still gets correct answers.
		conn := dial(t, addr)
		for i := int32(0); i < 3; i++ {
			req := kmsg.NewPtrApiVersionsRequest()
			req.Version = 3
			req.ClientSoftwareName, req.ClientSoftwareVersion = "it", "1"
			resp, err := RoundTrip(conn, req, 100+i, 10*time.Second)
			if err != nil {
				t.Fatalf("ApiVersions v3: %v", err)
			}
			if code := resp.(*kmsg.ApiVersionsResponse).ErrorCode; code != 0 {
				t.Fatalf("ApiVersions v3 error %d", code)
			}
		}
	})

	t.Run("corrupt-batches", func(t *testing.T) {
		conn := dial(t, addr)
		good := oneBatch(t, "never stored")
		badCRC := append([]byte(nil), good...)
		badCRC[len(badCRC)-1] ^= 0xff // payload changed, CRC not
		shortLen := append([]byte(nil), good...)
		binary.BigEndian.PutUint32(shortLen[8:], uint32(len(good)-12+40)) // claims 40 bytes more than sent
		for i, batch := range [][]byte{badCRC, shortLen} {
			req := kmsg.NewPtrProduceRequest()
			req.Version = 7
			req.Acks = 1
			req.TimeoutMillis = 5000
			rt := kmsg.NewProduceRequestTopic()
			rt.Topic = topic
			rp := kmsg.NewProduceRequestTopicPartition()
			rp.Records = batch
			rt.Partitions = append(rt.Partitions, rp)
			req.Topics = append(req.Topics, rt)
			resp, err := RoundTrip(conn, req, 60+int32(i), 10*time.Second)
			if err != nil {
				// Closing the connection is acceptable too; reconnect.
				t.Logf("corrupt batch %d: %v", i, err)
				conn = dial(t, addr)
				continue
			}
			code := resp.(*kmsg.ProduceResponse).Topics[0].Partitions[0].ErrorCode
			if code != kerr.CorruptMessage.Code && code != kerr.InvalidRecord.Code {
				t.Errorf("corrupt batch %d: error %d (%v), want CORRUPT_MESSAGE (2)", i, code, kerr.ErrorForCode(code))
			}
		}
	})

	if !c.B().Running() {
		t.Fatalf("broker exited after bad input")
	}
	produce("after")
	got := ConsumeAll(t, c.Bootstrap(), topic, 30*time.Second)
	var vals []string
	for _, r := range got[0] {
		vals = append(vals, string(r.Value))
	}
	if strings.Join(vals, ",") != "before,after" {
		t.Errorf("topic holds %v, want [before after]", vals)
	}
	// The broker logged each bad connection it closed, naming the client.
	if n := strings.Count(c.B().Log(), "Closing socket connection to 127.0.0.1:"); n < 6 {
		t.Errorf("broker log has %d lines about closed bad connections, want one per bad client (at least 6)", n)
	}
}
