package controller

import (
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gokafka/kafka/core/network"
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
	client := network.NewBrokerClient(ch.addr, "controller", ch.timeout)
	defer client.Close()
	for {
		r, ok := ch.next()
		if !ok {
			return
		}
		for attempt := 0; ; attempt++ {
			if ch.isStopped() {
				return
			}
			resp, err := client.Send(r.req, 0)
			if err != nil {
				if attempt%10 == 0 {
					ch.log.Warnf("Controller failed to send %s to broker %d at %s: %v; retrying",
						kmsg.NameForKey(r.req.Key()), ch.brokerID, ch.addr, err)
				}
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
