package network

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gokafka/kafka/core/security"
)

// SaslListener configures authentication on a SASL_PLAINTEXT listener.
type SaslListener struct {
	// Mechanisms are the enabled mechanisms (sasl.enabled.mechanisms), in
	// configuration order; the handshake lists them.
	Mechanisms []string
	// NewServer starts the server side of one exchange.
	NewServer func(mechanism string) (security.Server, error)
	// FailedAuthenticationDelay (connections.failed.authentication.delay.ms)
	// delays the failure response and the close, as Kafka's Selector does.
	FailedAuthenticationDelay time.Duration
}

// saslMaxReceiveSize bounds the frames of a connection that has not
// authenticated (Kafka's sasl.server.max.receive.size default, 512 KiB).
const saslMaxReceiveSize = 524288

var errInvalidSaslFrame = errors.New("SASL frame size out of range")

type saslState int

const (
	saslHandshakeOrVersions saslState = iota // first request
	saslHandshake                            // ApiVersions answered
	saslAuthenticate                         // mechanism chosen
)

// authenticate runs Kafka's SaslServerAuthenticator on a new connection:
// ApiVersions (once) and SaslHandshake are the only requests accepted
// before authentication, anything else closes the connection. After a v0
// handshake the SASL tokens travel as bare size-prefixed frames; after v1
// they travel in SaslAuthenticate requests. A failed exchange gets
// SASL_AUTHENTICATION_FAILED (v1; nothing for v0) and the connection is
// closed. It returns the principal ("User:<name>") on success.
func (s *SocketServer) authenticate(c net.Conn, r *bufio.Reader, w *bufio.Writer, host, listenerName string, l *SaslListener) (string, bool) {
	state := saslHandshakeOrVersions
	var mech string
	var srv security.Server
	authHeaders := false
	var out []byte
	send := func(h RequestHeader, resp kmsg.Response) bool {
		out = AppendResponse(out[:0], h, resp)
		if _, err := w.Write(out); err != nil {
			return false
		}
		return w.Flush() == nil
	}
	fail := func(format string, args ...interface{}) (string, bool) {
		s.log.Infof("Failed authentication with /%s (%s)", host, fmt.Sprintf(format, args...))
		return "", false
	}
	// failWith delays, answers and closes (Selector's delayed close on
	// authentication failure).
	failWith := func(h RequestHeader, resp kmsg.Response, msg string) (string, bool) {
		if l.FailedAuthenticationDelay > 0 && !s.mute(l.FailedAuthenticationDelay) {
			return "", false
		}
		if resp != nil {
			send(h, resp)
		}
		return fail("%s", msg)
	}
	for {
		frame, err := readSaslFrame(r)
		if err != nil {
			return "", false
		}
		if state == saslAuthenticate && !authHeaders {
			// SaslHandshake v0: bare tokens both ways.
			challenge, err := srv.Evaluate(frame)
			if drop := (*security.ConnectionDropError)(nil); errors.As(err, &drop) {
				return fail("Unexpected error: %v", err)
			}
			if err != nil {
				return failWith(RequestHeader{}, nil, security.FailureMessage(mech, err))
			}
			if challenge != nil {
				out = binary.BigEndian.AppendUint32(out[:0], uint32(len(challenge)))
				out = append(out, challenge...)
				if _, err := w.Write(out); err != nil || w.Flush() != nil {
					return "", false
				}
			}
			if srv.Complete() {
				return "User:" + srv.AuthorizationID(), true
			}
			continue
		}
		req, err := decodeRequest(frame)
		if err != nil {
			// Not a Kafka request: a 0.9 GSSAPI client's first token,
			// which this broker does not serve.
			return fail("invalid request before authentication: %v", err)
		}
		req.ClientHost, req.ListenerName = host, listenerName
		req.Size = len(frame) + 4
		h := req.Header
		switch state {
		case saslHandshakeOrVersions, saslHandshake:
			switch h.APIKey {
			case 18: // ApiVersions
				if state != saslHandshakeOrVersions {
					return fail("Unexpected ApiVersions request received during SASL authentication state %d", state)
				}
				resp, err := s.handle(req, s.handler.Handle)
				if err != nil || resp == nil {
					return "", false
				}
				if !send(h, resp) {
					return "", false
				}
				if av, ok := resp.(*kmsg.ApiVersionsResponse); ok && av.ErrorCode == 0 {
					state = saslHandshake
				}
			case 17: // SaslHandshake
				hs, ok := req.Body.(*kmsg.SASLHandshakeRequest)
				if !ok {
					return fail("unsupported SaslHandshake version %d", h.APIVersion)
				}
				resp := hs.ResponseKind().(*kmsg.SASLHandshakeResponse)
				resp.SupportedMechanisms = append([]string{}, l.Mechanisms...)
				enabled := false
				for _, m := range l.Mechanisms {
					enabled = enabled || m == hs.Mechanism
				}
				if !enabled {
					resp.ErrorCode = kerr.UnsupportedSaslMechanism.Code
					return failWith(h, resp, "Unsupported SASL mechanism "+hs.Mechanism)
				}
				if srv, err = l.NewServer(hs.Mechanism); err != nil {
					resp.ErrorCode = kerr.UnsupportedSaslMechanism.Code
					return failWith(h, resp, err.Error())
				}
				mech, authHeaders, state = hs.Mechanism, h.APIVersion >= 1, saslAuthenticate
				if !send(h, resp) {
					return "", false
				}
			default:
				return fail("Unexpected Kafka request of type %s during SASL handshake.", kmsg.NameForKey(h.APIKey))
			}
		case saslAuthenticate:
			if h.APIKey != 36 {
				return fail("Unexpected Kafka request of type %s during SASL authentication.", kmsg.NameForKey(h.APIKey))
			}
			ar, ok := req.Body.(*kmsg.SASLAuthenticateRequest)
			if !ok {
				return fail("unsupported SaslAuthenticate version %d", h.APIVersion)
			}
			resp := ar.ResponseKind().(*kmsg.SASLAuthenticateResponse)
			challenge, err := srv.Evaluate(ar.SASLAuthBytes)
			if drop := (*security.ConnectionDropError)(nil); errors.As(err, &drop) {
				// 2.8 meets these as unexpected exceptions: close, no answer.
				return fail("Unexpected error: %v", err)
			}
			if err != nil {
				msg := security.FailureMessage(mech, err)
				resp.ErrorCode = kerr.SaslAuthenticationFailed.Code
				resp.ErrorMessage = &msg
				resp.SASLAuthBytes = []byte{}
				return failWith(h, resp, msg)
			}
			if challenge == nil {
				challenge = []byte{}
			}
			resp.SASLAuthBytes = challenge
			// connections.max.reauth.ms is 0: no re-authentication.
			resp.SessionLifetimeMillis = 0
			if !send(h, resp) {
				return "", false
			}
			if srv.Complete() {
				return "User:" + srv.AuthorizationID(), true
			}
		}
	}
}

// readSaslFrame reads one size-prefixed frame of an unauthenticated
// connection.
func readSaslFrame(r *bufio.Reader) ([]byte, error) {
	var sizeBuf [4]byte
	if _, err := io.ReadFull(r, sizeBuf[:]); err != nil {
		return nil, err
	}
	size := int32(binary.BigEndian.Uint32(sizeBuf[:]))
	if size < 0 || size > saslMaxReceiveSize {
		return nil, errInvalidSaslFrame
	}
	frame := make([]byte, size)
	if _, err := io.ReadFull(r, frame); err != nil {
		return nil, err
	}
	return frame, nil
}
