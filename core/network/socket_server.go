package network

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"

	"github.com/sirupsen/logrus"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gokafka/kafka/core/logging"
)

// Handler serves decoded requests. A nil response with a nil error means
// "send nothing" (acks=0 produce). An error closes the connection, the way
// Kafka treats requests it cannot parse or serve.
type Handler interface {
	Handle(req *Request) (kmsg.Response, error)
}

// Listener is one address to accept on.
type Listener struct {
	Name string // listener name, e.g. PLAINTEXT
	Host string // "" = all interfaces
	Port int32
	// Sasl is set on a SASL_PLAINTEXT or SASL_SSL listener: every
	// connection must authenticate before its first other request (see
	// sasl_authenticator.go).
	Sasl *SaslListener
	// TLS is set on an SSL or SASL_SSL listener: every connection starts
	// with a TLS handshake, before any Kafka bytes (see tls.go).
	TLS *TLSListener
}

// listenerSecurity is what a bound listener asks of its connections.
type listenerSecurity struct {
	sasl *SaslListener
	tls  *TLSListener
}

// SocketServer accepts client connections and serves requests on them.
// Requests of one connection are handled strictly in order, one at a time,
// like Kafka's Processor which mutes a channel until its response is sent.
type SocketServer struct {
	maxRequestSize int32
	handler        Handler
	log            *logrus.Entry

	mu        sync.Mutex
	listeners []net.Listener
	security  []listenerSecurity // per bound listener
	conns     map[net.Conn]struct{}
	closed    bool
	quit      chan struct{} // closed by Shutdown; ends connection mutes
	wg        sync.WaitGroup
}

// NewSocketServer returns a server that rejects frames above maxRequestSize
// (socket.request.max.bytes).
func NewSocketServer(brokerID int32, maxRequestSize int32, handler Handler) *SocketServer {
	return &SocketServer{
		maxRequestSize: maxRequestSize,
		handler:        handler,
		log:            logging.For("kafka.network.SocketServer").WithField("broker", brokerID),
		conns:          make(map[net.Conn]struct{}),
		quit:           make(chan struct{}),
	}
}

// Bind opens every listener without accepting yet, so that start-up fails
// early on a port already in use. It returns the bound addresses.
func (s *SocketServer) Bind(ls []Listener) ([]net.Addr, error) {
	var addrs []net.Addr
	for _, l := range ls {
		addr := net.JoinHostPort(l.Host, strconv.Itoa(int(l.Port)))
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			s.closeListeners()
			return nil, fmt.Errorf("Socket server failed to bind to %s: %v", addr, err)
		}
		s.listeners = append(s.listeners, ln)
		s.security = append(s.security, listenerSecurity{sasl: l.Sasl, tls: l.TLS})
		addrs = append(addrs, ln.Addr())
	}
	return addrs, nil
}

// Start begins accepting connections on the bound listeners.
func (s *SocketServer) Start(names []string) {
	for i, ln := range s.listeners {
		name := "PLAINTEXT"
		if i < len(names) {
			name = names[i]
		}
		s.wg.Add(1)
		go s.acceptLoop(ln, name, s.security[i])
	}
}

func (s *SocketServer) acceptLoop(ln net.Listener, listenerName string, sec listenerSecurity) {
	defer s.wg.Done()
	for {
		c, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			s.log.Warnf("Error accepting connection on %s: %v", ln.Addr(), err)
			continue
		}
		if !s.track(c) {
			c.Close()
			return
		}
		s.wg.Add(1)
		go s.serve(c, listenerName, sec)
	}
}

func (s *SocketServer) track(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.conns[c] = struct{}{}
	return true
}

func (s *SocketServer) untrack(c net.Conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

// serve reads frames from one connection until it closes or misbehaves.
// On a TLS listener the handshake comes first; the principal is then the
// SASL one (SASL_SSL, SASL_PLAINTEXT), else the certificate's (SSL), else
// "" (User:ANONYMOUS).
func (s *SocketServer) serve(raw net.Conn, listenerName string, sec listenerSecurity) {
	defer s.wg.Done()
	defer s.untrack(raw)
	defer raw.Close()
	if tc, ok := raw.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	host, _, _ := net.SplitHostPort(raw.RemoteAddr().String())
	c, principal := raw, ""
	if sec.tls != nil {
		var ok bool
		if c, principal, ok = s.startTLS(raw, host, sec.tls); !ok {
			return
		}
	}
	r := bufio.NewReaderSize(c, 64<<10)
	w := bufio.NewWriterSize(c, 64<<10)
	var sizeBuf [4]byte
	var out []byte
	if sec.sasl != nil {
		var ok bool
		if principal, ok = s.authenticate(c, r, w, host, listenerName, sec.sasl); !ok {
			return
		}
	}
	for {
		if _, err := io.ReadFull(r, sizeBuf[:]); err != nil {
			return
		}
		size := int32(binary.BigEndian.Uint32(sizeBuf[:]))
		if size < 0 || size > s.maxRequestSize {
			s.log.Warnf("Closing socket connection to %s: request of size %d is outside 0..%d (socket.request.max.bytes)",
				c.RemoteAddr(), size, s.maxRequestSize)
			return
		}
		// A fresh buffer per request: decoded requests may alias it.
		frame := make([]byte, size)
		if _, err := io.ReadFull(r, frame); err != nil {
			s.log.Debugf("Connection from %s closed mid-frame: %v", c.RemoteAddr(), err)
			return
		}
		req, err := decodeRequest(frame)
		if err != nil {
			s.log.Warnf("Closing socket connection to %s due to invalid request: %v", c.RemoteAddr(), err)
			return
		}
		req.ClientHost = host
		req.ListenerName = listenerName
		req.Principal = principal
		req.Size = int(size) + 4
		resp, mute, err := s.handleThrottled(req)
		if err != nil {
			s.log.Warnf("Closing socket connection to %s: %v", c.RemoteAddr(), err)
			return
		}
		if resp == nil {
			if mute > 0 && !s.mute(mute) {
				return
			}
			continue
		}
		out = AppendResponse(out[:0], req.Header, resp)
		if _, err := w.Write(out); err != nil {
			return
		}
		// Flush only when no further request is already buffered, so
		// pipelined requests get their responses in one write.
		if r.Buffered() == 0 || mute > 0 {
			if err := w.Flush(); err != nil {
				return
			}
		}
		// A throttled client's connection is muted after its response.
		if mute > 0 && !s.mute(mute) {
			return
		}
		if cap(out) > 1<<20 {
			out = nil
		}
	}
}

// handle calls the handler, turning a panic into a closed connection so a
// bad request can never take the broker down.
func (s *SocketServer) handle(req *Request, handler func(*Request) (kmsg.Response, error)) (resp kmsg.Response, err error) {
	defer func() {
		if p := recover(); p != nil {
			s.log.Errorf("Error while handling %s v%d request (correlation id %d) from client %q: %v",
				kmsg.NameForKey(req.Header.APIKey), req.Header.APIVersion, req.Header.CorrelationID, req.Header.ClientID, p)
			resp, err = nil, fmt.Errorf("request handling failed: %v", p)
		}
	}()
	return handler(req)
}

// decodeRequest parses the header and, when the key and version are known,
// the body.
func decodeRequest(frame []byte) (*Request, error) {
	h, pos, err := ParseRequestHeader(frame)
	if err != nil {
		return nil, err
	}
	req := &Request{Header: h}
	body := kmsg.RequestForKey(h.APIKey)
	if body == nil || h.APIVersion < 0 || h.APIVersion > body.MaxVersion() {
		return req, nil
	}
	body.SetVersion(h.APIVersion)
	if err := body.ReadFrom(frame[pos:]); err != nil {
		return nil, fmt.Errorf("%w: %s v%d body: %v", ErrMalformedRequest, kmsg.NameForKey(h.APIKey), h.APIVersion, err)
	}
	req.Body = body
	return req, nil
}

// Shutdown closes the listeners and every connection, then waits for the
// connection goroutines to finish.
func (s *SocketServer) Shutdown() {
	s.mu.Lock()
	if !s.closed {
		close(s.quit)
	}
	s.closed = true
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.closeListeners()
	s.wg.Wait()
}

func (s *SocketServer) closeListeners() {
	for _, ln := range s.listeners {
		ln.Close()
	}
}
