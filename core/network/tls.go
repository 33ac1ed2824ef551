package network

import (
	"context"
	"crypto/tls"
	"net"
	"time"
)

// TLSListener configures an SSL or SASL_SSL listener.
type TLSListener struct {
	// Config is the server side of the handshake (key store, trust store,
	// ssl.client.auth, protocols and cipher suites).
	Config *tls.Config
	// Principal names an SSL client from its handshake
	// (ssl.principal.mapping.rules; "" for User:ANONYMOUS). On SASL_SSL
	// it is nil: SASL names the client.
	Principal func(tls.ConnectionState) (string, error)
}

// tlsHandshakeTimeout bounds the handshake of a new connection, so a peer
// that connects and sends nothing does not hold a goroutine until
// shutdown (Kafka closes such a channel after connections.max.idle.ms).
const tlsHandshakeTimeout = 30 * time.Second

// startTLS runs the server handshake on a new connection and names its
// principal. A failure is logged as Kafka's Selector does ("Failed
// authentication with /host (SSL handshake failed)") and closes the
// connection: nothing is answered in plaintext.
func (s *SocketServer) startTLS(c net.Conn, host string, l *TLSListener) (net.Conn, string, bool) {
	tc := tls.Server(c, l.Config)
	// Shutdown closes the raw connection, which also ends a handshake.
	ctx, cancel := context.WithTimeout(context.Background(), tlsHandshakeTimeout)
	defer cancel()
	if err := tc.HandshakeContext(ctx); err != nil {
		s.log.Infof("Failed authentication with /%s (SSL handshake failed)", host)
		s.log.Debugf("SSL handshake with /%s: %v", host, err)
		return nil, "", false
	}
	if l.Principal == nil {
		return tc, "", true
	}
	principal, err := l.Principal(tc.ConnectionState())
	if err != nil {
		s.log.Infof("Failed authentication with /%s (%v)", host, err)
		return nil, "", false
	}
	return tc, principal, true
}
