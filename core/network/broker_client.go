package network

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// BrokerClient is a blocking, one-request-at-a-time connection to another
// broker, used for inter-broker traffic (controller requests, replica
// fetches), like Kafka's NetworkClient in blocking mode. It reconnects
// lazily after a failure. Not safe for concurrent use.
type BrokerClient struct {
	addr     string
	clientID string
	timeout  time.Duration

	conn        net.Conn
	r           *bufio.Reader
	correlation int32
	buf         []byte
}

// NewBrokerClient returns a client for addr ("host:port").
func NewBrokerClient(addr, clientID string, timeout time.Duration) *BrokerClient {
	return &BrokerClient{addr: addr, clientID: clientID, timeout: timeout}
}

// Addr returns the remote address.
func (c *BrokerClient) Addr() string { return c.addr }

// Close drops the connection.
func (c *BrokerClient) Close() {
	if c.conn != nil {
		c.conn.Close()
		c.conn = nil
	}
}

// Send writes req and waits up to timeout (plus extra, e.g. a fetch's
// max wait) for its response. Any error closes the connection.
func (c *BrokerClient) Send(req kmsg.Request, extra time.Duration) (kmsg.Response, error) {
	if c.conn == nil {
		if err := c.connect(); err != nil {
			return nil, err
		}
	}
	resp, err := c.roundTrip(req, extra)
	if err != nil {
		c.Close()
	}
	return resp, err
}

func (c *BrokerClient) roundTrip(req kmsg.Request, extra time.Duration) (kmsg.Response, error) {
	c.correlation++
	c.conn.SetDeadline(time.Now().Add(c.timeout + extra))
	c.buf = kmsg.NewRequestFormatter(kmsg.FormatterClientID(c.clientID)).AppendRequest(c.buf[:0], req, c.correlation)
	if _, err := c.conn.Write(c.buf); err != nil {
		return nil, err
	}
	var sizeBuf [4]byte
	if _, err := io.ReadFull(c.r, sizeBuf[:]); err != nil {
		return nil, err
	}
	body := make([]byte, binary.BigEndian.Uint32(sizeBuf[:]))
	if _, err := io.ReadFull(c.r, body); err != nil {
		return nil, err
	}
	if len(body) < 4 || int32(binary.BigEndian.Uint32(body)) != c.correlation {
		return nil, fmt.Errorf("response correlation id mismatch from %s", c.addr)
	}
	body = body[4:]
	if req.IsFlexible() && req.Key() != 18 {
		if len(body) < 1 {
			return nil, fmt.Errorf("truncated response header from %s", c.addr)
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

// connect dials the broker and secures the connection as the inter-broker
// listener wants: a TLS handshake (SSL, SASL_SSL), then SASL
// authentication (SASL_PLAINTEXT, SASL_SSL).
func (c *BrokerClient) connect() error {
	conn, err := net.DialTimeout("tcp", c.addr, c.timeout)
	if err != nil {
		return err
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	if cfg := interBrokerTLS.Load(); cfg != nil {
		if conn, err = c.startTLS(conn, cfg); err != nil {
			return err
		}
	}
	c.conn = conn
	c.r = bufio.NewReaderSize(conn, 64<<10)
	if cfg := interBrokerSasl.Load(); cfg != nil {
		if err := c.authenticate(cfg); err != nil {
			c.Close()
			return err
		}
	}
	return nil
}
