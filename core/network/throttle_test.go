package network

import (
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// muting answers ApiVersions and asks for a mute after the first request.
type muting struct {
	mute    time.Duration
	handled atomic.Int32
}

func (m *muting) Handle(req *Request) (kmsg.Response, error) {
	resp := kmsg.NewPtrApiVersionsResponse()
	resp.SetVersion(0)
	return resp, nil
}

func (m *muting) HandleWithThrottle(req *Request) (kmsg.Response, time.Duration, error) {
	resp, err := m.Handle(req)
	if m.handled.Add(1) == 1 {
		return resp, m.mute, err
	}
	return resp, 0, err
}

func TestThrottledConnectionIsMutedAfterItsResponse(t *testing.T) {
	h := &muting{mute: 400 * time.Millisecond}
	s := NewSocketServer(1, 1<<20, h)
	addrs, err := s.Bind([]Listener{{Name: "PLAINTEXT", Host: "127.0.0.1", Port: 0}})
	if err != nil {
		t.Fatal(err)
	}
	s.Start([]string{"PLAINTEXT"})
	defer s.Shutdown()
	c, err := net.Dial("tcp", addrs[0].String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// Two pipelined requests: the first answer comes at once, the second
	// request is not read until the mute has passed.
	start := time.Now()
	if _, err := c.Write(append(apiVersionsFrame(1), apiVersionsFrame(2)...)); err != nil {
		t.Fatal(err)
	}
	if id, err := roundTrip(t, c, nil); err != nil || id != 1 {
		t.Fatalf("first response: %d %v", id, err)
	}
	first := time.Since(start)
	if id, err := roundTrip(t, c, nil); err != nil || id != 2 {
		t.Fatalf("second response: %d %v", id, err)
	}
	if first >= h.mute {
		t.Fatalf("first response took %v: it must not wait for the mute", first)
	}
	if got := time.Since(start); got < h.mute {
		t.Fatalf("second response after %v, before the %v mute ended", got, h.mute)
	}
}

func TestShutdownEndsAMute(t *testing.T) {
	h := &muting{mute: time.Hour}
	s := NewSocketServer(1, 1<<20, h)
	addrs, err := s.Bind([]Listener{{Name: "PLAINTEXT", Host: "127.0.0.1", Port: 0}})
	if err != nil {
		t.Fatal(err)
	}
	s.Start([]string{"PLAINTEXT"})
	c, err := net.Dial("tcp", addrs[0].String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if id, err := roundTrip(t, c, apiVersionsFrame(1)); err != nil || id != 1 {
		t.Fatalf("response: %d %v", id, err)
	}
	done := make(chan struct{})
	go func() { s.Shutdown(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Shutdown waited for a muted connection")
	}
}
