package tools

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/oauth"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/gokafka/kafka/core/security"
	"github.com/gokafka/kafka/core/security/ssl"
)

// securityOpts maps security.protocol and its ssl.* / sasl.* keys as the
// Java clients do: SSL and SASL_SSL dial with TLS (trust store, optional
// key store, endpoint identification), SASL_PLAINTEXT and SASL_SSL
// authenticate with sasl.mechanism and the username / password of
// sasl.jaas.config. The TLS configuration is kept in c.tls for the
// producer's own dialer.
func (c *clientConfig) securityOpts() ([]kgo.Opt, error) {
	proto := strings.ToUpper(c.get("security.protocol", "PLAINTEXT"))
	var opts []kgo.Opt
	switch proto {
	case "PLAINTEXT":
		return nil, nil
	case "SSL", "SASL_SSL", "SASL_PLAINTEXT":
	default:
		return nil, fmt.Errorf("Invalid value %s for configuration security.protocol: String must be one of: PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL", c.get("security.protocol", ""))
	}
	if proto != "SASL_PLAINTEXT" {
		s, err := ssl.Load(ssl.MapSource(c.props))
		if err != nil {
			return nil, err
		}
		c.tls = s.ClientConfig()
		opts = append(opts, kgo.Dialer(brokerDialer(c.tls)))
	}
	if proto != "SSL" {
		mech, err := c.saslMechanism()
		if err != nil {
			return nil, err
		}
		opts = append(opts, kgo.SASL(mech))
	}
	return opts, nil
}

// brokerDialer dials a broker, with a TLS handshake when tlsConfig is set
// (what kgo.DialTLSConfig does, as a plain dialer so that other wrappers
// can sit on top). The server name is the host dialled, which endpoint
// identification checks.
func brokerDialer(tlsConfig *tls.Config) func(ctx context.Context, network, host string) (net.Conn, error) {
	d := &net.Dialer{Timeout: 10 * time.Second}
	if tlsConfig == nil {
		return d.DialContext
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		td := &tls.Dialer{NetDialer: d, Config: ssl.ForHost(tlsConfig, addr)}
		return td.DialContext(ctx, network, addr)
	}
}

// saslMechanism builds the client side of sasl.mechanism (GSSAPI by
// default, as in Java) from the login module options of sasl.jaas.config.
func (c *clientConfig) saslMechanism() (sasl.Mechanism, error) {
	mech := strings.ToUpper(c.get("sasl.mechanism", "GSSAPI"))
	jaas := c.get("sasl.jaas.config", "")
	if !security.SupportedMechanisms[mech] {
		return nil, fmt.Errorf("Invalid value %s for configuration sasl.mechanism: the tools support PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 and OAUTHBEARER", mech)
	}
	if jaas == "" {
		return nil, errors.New("Could not find a 'KafkaClient' entry in the JAAS configuration. System property 'java.security.auth.login.config' is not set")
	}
	entries, err := security.ParseJaasConfigValue(jaas)
	if err != nil {
		return nil, fmt.Errorf("Invalid value for configuration sasl.jaas.config: %v", err)
	}
	if mech == security.MechanismOAuthBearer {
		if cls := c.get("sasl.login.callback.handler.class", ""); cls != "" {
			return nil, fmt.Errorf("Invalid value %s for configuration sasl.login.callback.handler.class: the tools cannot load Java classes; OAUTHBEARER logs in with unsecured tokens only", cls)
		}
		return unsecuredOAuthMechanism(entries)
	}
	user, okUser := security.ConfigEntryOption(entries, "username", "")
	pass, okPass := security.ConfigEntryOption(entries, "password", "")
	if !okUser || !okPass {
		return nil, errors.New("Invalid value for configuration sasl.jaas.config: the login module needs username and password options")
	}
	switch mech {
	case security.MechanismPlain:
		return plain.Auth{User: user, Pass: pass}.AsMechanism(), nil
	case security.MechanismScramSHA256:
		return scram.Auth{User: user, Pass: pass}.AsSha256Mechanism(), nil
	}
	return scram.Auth{User: user, Pass: pass}.AsSha512Mechanism(), nil
}

// unsecuredOAuthMechanism logs in as the Java clients do without a custom
// sasl.login.callback.handler.class: an unsecured token made from the
// OAuthBearerLoginModule's unsecuredLogin* options, fresh for each
// connection so that it never expires under a long-running tool. The
// options are checked once here so that a bad sasl.jaas.config fails fast.
func unsecuredOAuthMechanism(entries []security.JaasEntry) (sasl.Mechanism, error) {
	if len(entries) != 1 {
		return nil, fmt.Errorf("Invalid value for configuration sasl.jaas.config: OAUTHBEARER needs exactly one login module, got %d", len(entries))
	}
	opts := entries[0].Options
	if _, err := security.UnsecuredLoginToken(opts, time.Now()); err != nil {
		return nil, fmt.Errorf("Invalid value for configuration sasl.jaas.config: %v", err)
	}
	return oauth.Oauth(func(context.Context) (oauth.Auth, error) {
		ir, err := security.UnsecuredLoginToken(opts, time.Now())
		if err != nil {
			return oauth.Auth{}, err
		}
		return oauth.Auth{Token: ir.Token, Extensions: ir.Extensions}, nil
	}), nil
}
