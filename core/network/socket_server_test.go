package network

import (
	"encoding/binary"
	"io"
	"net"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// echoVersions answers ApiVersions and closes on anything else.
type echoVersions struct{}

func (echoVersions) Handle(req *Request) (kmsg.Response, error) {
	resp := kmsg.NewPtrApiVersionsResponse()
	resp.SetVersion(0)
	return resp, nil
}

func startServer(t *testing.T, max int32) string {
	t.Helper()
	s := NewSocketServer(1, max, echoVersions{})
	addrs, err := s.Bind([]Listener{{Name: "PLAINTEXT", Host: "127.0.0.1", Port: 0}})
	if err != nil {
		t.Fatal(err)
	}
	s.Start([]string{"PLAINTEXT"})
	t.Cleanup(s.Shutdown)
	return addrs[0].String()
}

func apiVersionsFrame(correlation int32) []byte {
	req := kmsg.NewPtrApiVersionsRequest()
	req.SetVersion(0)
	return kmsg.NewRequestFormatter(kmsg.FormatterClientID("test")).AppendRequest(nil, req, correlation)
}

// roundTrip sends frame and returns the correlation id of the answer, or an
// error when the server closed the connection.
func roundTrip(t *testing.T, c net.Conn, frame []byte) (int32, error) {
	t.Helper()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write(frame); err != nil {
		return 0, err
	}
	var size [4]byte
	if _, err := io.ReadFull(c, size[:]); err != nil {
		return 0, err
	}
	body := make([]byte, binary.BigEndian.Uint32(size[:]))
	if _, err := io.ReadFull(c, body); err != nil {
		return 0, err
	}
	return int32(binary.BigEndian.Uint32(body)), nil
}

func TestServesPipelinedRequestsInOrder(t *testing.T) {
	addr := startServer(t, 1<<20)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var frames []byte
	for i := int32(1); i <= 5; i++ {
		frames = append(frames, apiVersionsFrame(i)...)
	}
	if _, err := c.Write(frames); err != nil {
		t.Fatal(err)
	}
	for i := int32(1); i <= 5; i++ {
		got, err := roundTrip(t, c, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got != i {
			t.Fatalf("response %d has correlation id %d", i, got)
		}
	}
}

func TestBadFramesCloseOnlyTheirConnection(t *testing.T) {
	addr := startServer(t, 1024)
	cases := map[string][]byte{
		"oversized frame":   binary.BigEndian.AppendUint32(nil, 4096),
		"negative size":     binary.BigEndian.AppendUint32(nil, 0xffffffff),
		"garbage header":    append(binary.BigEndian.AppendUint32(nil, 3), 1, 2, 3),
		"truncated body":    append(binary.BigEndian.AppendUint32(nil, 12), 0, 3, 0, 1, 0, 0, 0, 1, 0, 0, 0, 9),
		"bad client id len": append(binary.BigEndian.AppendUint32(nil, 10), 0, 18, 0, 0, 0, 0, 0, 1, 0x7f, 0xff),
	}
	good, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer good.Close()
	for name, frame := range cases {
		t.Run(name, func(t *testing.T) {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if _, err := roundTrip(t, c, frame); err == nil {
				t.Fatalf("expected the connection to be closed")
			}
			if id, err := roundTrip(t, good, apiVersionsFrame(7)); err != nil || id != 7 {
				t.Fatalf("other connection affected: id %d err %v", id, err)
			}
		})
	}
}

func TestParseRequestHeaderFlexible(t *testing.T) {
	req := kmsg.NewPtrApiVersionsRequest()
	req.SetVersion(3)
	req.ClientSoftwareName = "kcat"
	req.ClientSoftwareVersion = "1.7.1"
	frame := kmsg.NewRequestFormatter(kmsg.FormatterClientID("rdkafka")).AppendRequest(nil, req, 42)
	parsed, err := decodeRequest(frame[4:])
	if err != nil {
		t.Fatal(err)
	}
	h := parsed.Header
	if h.APIKey != 18 || h.APIVersion != 3 || h.CorrelationID != 42 || h.ClientID != "rdkafka" || !h.Flexible {
		t.Fatalf("unexpected header %+v", h)
	}
	got := parsed.Body.(*kmsg.ApiVersionsRequest)
	if got.ClientSoftwareName != "kcat" || got.ClientSoftwareVersion != "1.7.1" {
		t.Fatalf("unexpected body %+v", got)
	}
}

func TestUnknownKeyHasNoBody(t *testing.T) {
	frame := []byte{0x7f, 0x00, 0, 1, 0, 0, 0, 5, 0xff, 0xff}
	parsed, err := decodeRequest(frame)
	if err != nil {
		t.Fatal(err)
	}
	if parsed.Body != nil || parsed.Header.CorrelationID != 5 {
		t.Fatalf("unexpected %+v", parsed)
	}
}
