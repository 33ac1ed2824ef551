package network

import (
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// ThrottlingHandler is a Handler that can also ask for the connection to be
// muted after its response (client quotas, KIP-219): the response goes out
// at once, then the connection's next request is not read until mute has
// passed. A nil response with a positive mute (a throttled acks=0 produce)
// mutes without answering.
type ThrottlingHandler interface {
	Handler
	HandleWithThrottle(req *Request) (resp kmsg.Response, mute time.Duration, err error)
}

// handleThrottled calls the handler, through HandleWithThrottle when it has
// one.
func (s *SocketServer) handleThrottled(req *Request) (kmsg.Response, time.Duration, error) {
	if th, ok := s.handler.(ThrottlingHandler); ok {
		var mute time.Duration
		resp, err := s.handle(req, func(r *Request) (kmsg.Response, error) {
			resp, m, err := th.HandleWithThrottle(r)
			mute = m
			return resp, err
		})
		return resp, mute, err
	}
	resp, err := s.handle(req, s.handler.Handle)
	return resp, 0, err
}

// mute keeps the connection's reader idle for d; false when the server is
// shutting down meanwhile.
func (s *SocketServer) mute(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.quit:
		return false
	}
}
