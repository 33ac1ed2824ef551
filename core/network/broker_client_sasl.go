package network

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gokafka/kafka/core/security"
)

// InterBrokerSasl is how this broker authenticates to the other brokers'
// inter-broker listener when that listener is SASL_PLAINTEXT
// (security.inter.broker.protocol / inter.broker.listener.name, with
// sasl.mechanism.inter.broker.protocol and the username / password of the
// listener's JAAS login module; for OAUTHBEARER the module's
// unsecuredLogin* options, from which each connection builds a fresh
// unsecured token).
type InterBrokerSasl struct {
	Mechanism, Username, Password string
	OAuthLoginOptions             map[string]string
}

// interBrokerSasl applies to every BrokerClient of the process: they all
// talk to the inter-broker listener. nil = PLAINTEXT.
var interBrokerSasl atomic.Pointer[InterBrokerSasl]

// SetInterBrokerSasl makes every BrokerClient connection authenticate
// first (nil turns it off).
func SetInterBrokerSasl(cfg *InterBrokerSasl) { interBrokerSasl.Store(cfg) }

// authenticate runs SaslHandshake v1 and SaslAuthenticate v1 on a new
// connection, as Kafka's SaslClientAuthenticator.
func (c *BrokerClient) authenticate(cfg *InterBrokerSasl) error {
	hs := kmsg.NewPtrSASLHandshakeRequest()
	hs.Version, hs.Mechanism = 1, cfg.Mechanism
	resp, err := c.roundTrip(hs, 0)
	if err != nil {
		return err
	}
	if r := resp.(*kmsg.SASLHandshakeResponse); r.ErrorCode != 0 {
		return fmt.Errorf("SASL handshake with %s for %s failed: %v (enabled mechanisms %v)", c.addr, cfg.Mechanism, kerr.ErrorForCode(r.ErrorCode), r.SupportedMechanisms)
	}
	step := func(token []byte) ([]byte, error) {
		a := kmsg.NewPtrSASLAuthenticateRequest()
		a.Version, a.SASLAuthBytes = 1, token
		resp, err := c.roundTrip(a, 0)
		if err != nil {
			return nil, err
		}
		r := resp.(*kmsg.SASLAuthenticateResponse)
		if r.ErrorCode != 0 {
			msg := ""
			if r.ErrorMessage != nil {
				msg = *r.ErrorMessage
			}
			return nil, fmt.Errorf("SASL authentication with %s failed: %v: %s", c.addr, kerr.ErrorForCode(r.ErrorCode), msg)
		}
		return r.SASLAuthBytes, nil
	}
	switch cfg.Mechanism {
	case security.MechanismOAuthBearer:
		return oauthBearerLogin(cfg, step)
	case security.MechanismPlain:
		_, err := step([]byte("\x00" + cfg.Username + "\x00" + cfg.Password))
		return err
	default:
		sc, err := security.NewScramClient(cfg.Mechanism, cfg.Username, cfg.Password)
		if err != nil {
			return err
		}
		serverFirst, err := step(sc.First())
		if err != nil {
			return err
		}
		final, err := sc.Final(serverFirst)
		if err != nil {
			return err
		}
		serverFinal, err := step(final)
		if err != nil {
			return err
		}
		return sc.Verify(serverFinal)
	}
}

// oauthBearerLogin sends an unsecured token. A server that refuses it
// answers with the RFC 7628 error JSON and expects a lone 0x01 before it
// fails the exchange (which step turns into the error returned).
func oauthBearerLogin(cfg *InterBrokerSasl, step func([]byte) ([]byte, error)) error {
	ir, err := security.UnsecuredLoginToken(cfg.OAuthLoginOptions, time.Now())
	if err != nil {
		return err
	}
	challenge, err := step(ir.Bytes())
	if err != nil || len(challenge) == 0 {
		return err
	}
	if _, err := step([]byte{0x01}); err != nil {
		return err
	}
	return errors.New("OAUTHBEARER: the server refused the token (" + string(challenge) + ") but did not fail the exchange")
}
