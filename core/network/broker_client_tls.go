package network

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"sync/atomic"

	"github.com/gokafka/kafka/core/security/ssl"
)

// interBrokerTLS applies to every BrokerClient of the process when the
// inter-broker listener is SSL or SASL_SSL: the listener's trust store
// checks the other broker, its key store is this broker's client
// certificate. nil = no TLS.
var interBrokerTLS atomic.Pointer[tls.Config]

// SetInterBrokerTLS makes every new BrokerClient connection start with a
// TLS handshake (nil turns it off).
func SetInterBrokerTLS(cfg *tls.Config) { interBrokerTLS.Store(cfg) }

// startTLS runs the client handshake within the client's timeout; the
// server name is the host dialled, which ssl.endpoint.identification.algorithm
// =https checks against the broker's certificate.
func (c *BrokerClient) startTLS(conn net.Conn, cfg *tls.Config) (net.Conn, error) {
	tc := tls.Client(conn, ssl.ForHost(cfg, c.addr))
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	if err := tc.HandshakeContext(ctx); err != nil {
		conn.Close()
		return nil, fmt.Errorf("SSL handshake with %s failed: %w", c.addr, err)
	}
	return tc, nil
}
