package controller

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// controllerRequest is one request queued for a broker, with an optional
// callback for its response.
type controllerRequest struct {
	req      kmsg.Request
	callback func(kmsg.Response)
}

// brokerChannel sends the controller's requests to one broker over the
// Kafka protocol, in order, retrying on connection failures until the
// broker is removed (like Kafka's RequestSendThread).
type brokerChannel struct {
	brokerID int32
	addr     string
	timeout  time.Duration
	log      *logrus.Entry

	mu      sync.Mutex
	cond    *sync.Cond
	queue   []controllerRequest
	stopped bool
	done    chan struct{}
}

func newBrokerChannel(brokerID int32, host string, port int32, timeout time.Duration, log *logrus.Entry) *brokerChannel {
	ch := &brokerChannel{
		brokerID: brokerID,
		addr:     net.JoinHostPort(host, strconv.Itoa(int(port))),
		timeout:  timeout,
		log:      log,
		done:     make(chan struct{}),
	}
	ch.cond = sync.NewCond(&ch.mu)
	go ch.run()
	return ch
}

func (ch *brokerChannel) enqueue(r controllerRequest) {
	ch.mu.Lock()
	ch.queue = append(ch.queue, r)
	ch.cond.Signal()
	ch.mu.Unlock()
}

func (ch *brokerChannel) stop() {
	ch.mu.Lock()
	ch.stopped = true
	ch.cond.Broadcast()
	ch.mu.Unlock()
	<-ch.done
}

// next blocks until a request is queued or the channel stops.
func (ch *brokerChannel) next() (controllerRequest, bool) {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	for len(ch.queue) == 0 && !ch.stopped {
		ch.cond.Wait()
	}
	if ch.stopped {
		return controllerRequest{}, false
	}
	r := ch.queue[0]
	ch.queue = ch.queue[1:]
	return r, true
}

func (ch *brokerChannel) isStopped() bool {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return ch.stopped
}

func (ch *brokerChannel) run() {
	defer close(ch.done)
	var conn net.Conn
	defer func() {
		if conn != nil {
			conn.Close()
		}
	}()
	var correlation int32
	for {
		r, ok := ch.next()
		if !ok {
			return
		}
		for attempt := 0; ; attempt++ {
			if ch.isStopped() {
				return
			}
			if conn == nil {
				c, err := net.DialTimeout("tcp", ch.addr, ch.timeout)
				if err != nil {
					if attempt%10 == 0 {
						ch.log.Warnf("Controller's connection to broker %d at %s was unsuccessful: %v", ch.brokerID, ch.addr, err)
					}
					time.Sleep(100 * time.Millisecond)
					continue
				}
				conn = c
			}
			correlation++
			resp, err := roundTrip(conn, r.req, correlation, ch.timeout)
			if err != nil {
				ch.log.Warnf("Controller failed to send %s to broker %d: %v; reconnecting", kmsg.NameForKey(r.req.Key()), ch.brokerID, err)
				conn.Close()
				conn = nil
				time.Sleep(100 * time.Millisecond)
				continue
			}
			if r.callback != nil {
				r.callback(resp)
			}
			break
		}
	}
}

// roundTrip writes one request and reads its response.
func roundTrip(conn net.Conn, req kmsg.Request, correlation int32, timeout time.Duration) (kmsg.Response, error) {
	conn.SetDeadline(time.Now().Add(timeout))
	frame := kmsg.NewRequestFormatter(kmsg.FormatterClientID("controller")).AppendRequest(nil, req, correlation)
	if _, err := conn.Write(frame); err != nil {
		return nil, err
	}
	r := bufio.NewReader(conn)
	var sizeBuf [4]byte
	if _, err := io.ReadFull(r, sizeBuf[:]); err != nil {
		return nil, err
	}
	body := make([]byte, binary.BigEndian.Uint32(sizeBuf[:]))
	if _, err := io.ReadFull(r, body); err != nil {
		return nil, err
	}
	if len(body) < 4 || int32(binary.BigEndian.Uint32(body)) != correlation {
		return nil, fmt.Errorf("response correlation id mismatch")
	}
	body = body[4:]
	if req.IsFlexible() {
		if len(body) < 1 {
			return nil, fmt.Errorf("truncated response header")
		}
		body = body[1:] // empty tagged fields of response header v1
	}
	resp := req.ResponseKind()
	resp.SetVersion(req.GetVersion())
	if err := resp.ReadFrom(body); err != nil {
		return nil, err
	}
	return resp, nil
}
