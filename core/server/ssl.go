package server

import (
	"crypto/tls"
	"fmt"
	"strings"

	"github.com/gokafka/kafka/core/network"
	"github.com/gokafka/kafka/core/security/ssl"
)

// usesTLS reports whether a security protocol runs over TLS.
func usesTLS(protocol string) bool { return protocol == "SSL" || protocol == "SASL_SSL" }

// sslSource reads a listener's ssl.* settings as Kafka's
// ListenerName.configPrefix lookups do: listener.name.<listener>.<key>
// first, then the plain key. Errors then name the key actually set.
func (c *KafkaConfig) sslSource(listener string) ssl.Source {
	prefix := listenerConfigPrefix(listener)
	return func(key string) (string, string, bool) {
		if v, ok := c.Props[prefix+key]; ok {
			return strings.TrimSpace(v), prefix + key, true
		}
		v, ok := c.Props[key]
		return strings.TrimSpace(v), key, ok
	}
}

// sslSettings loads one listener's stores and TLS settings. On SASL_SSL,
// ssl.client.auth applies only when set for that listener (KIP-684): the
// broker-wide value is meant for SSL listeners, whose clients
// authenticate with certificates.
func (c *KafkaConfig) sslSettings(e Endpoint) (*ssl.Settings, error) {
	src := c.sslSource(e.ListenerName)
	if e.SecurityProtocol == "SASL_SSL" {
		plain := src
		src = func(key string) (string, string, bool) {
			v, name, ok := plain(key)
			if key == "ssl.client.auth" && name == key {
				return "", "", false
			}
			return v, name, ok
		}
	}
	s, err := ssl.Load(src)
	if err != nil {
		return nil, fmt.Errorf("Invalid SSL configuration of listener %s: %v", e.ListenerName, err)
	}
	return s, nil
}

// sslListeners builds the TLS side of every SSL and SASL_SSL listener
// (nil when there is none). A key store that cannot be loaded, or any
// invalid ssl.* value, stops start-up with a message naming the key, as
// Kafka's SslFactory does when the socket server starts.
func (c *KafkaConfig) sslListeners() (map[string]*network.TLSListener, error) {
	var out map[string]*network.TLSListener
	for _, e := range c.Listeners {
		if !usesTLS(e.SecurityProtocol) {
			continue
		}
		s, err := c.sslSettings(e)
		if err != nil {
			return nil, err
		}
		cfg, err := s.ServerConfig()
		if err != nil {
			return nil, fmt.Errorf("Invalid SSL configuration of listener %s: %v", e.ListenerName, err)
		}
		l := &network.TLSListener{Config: cfg}
		if e.SecurityProtocol == "SSL" {
			if l.Principal, err = c.principalMapper(e.ListenerName); err != nil {
				return nil, err
			}
		}
		if out == nil {
			out = map[string]*network.TLSListener{}
		}
		out[e.ListenerName] = l
	}
	return out, nil
}

// principalMapper parses a listener's ssl.principal.mapping.rules.
func (c *KafkaConfig) principalMapper(listener string) (func(tls.ConnectionState) (string, error), error) {
	rules, name, ok := c.sslSource(listener)("ssl.principal.mapping.rules")
	if !ok {
		rules = ssl.DefaultPrincipalMappingRules
	}
	m, err := ssl.ParsePrincipalMappingRules(rules)
	if err != nil {
		return nil, fmt.Errorf("Invalid value %s for configuration %s: %v", rules, name, err)
	}
	return m.Principal, nil
}

// interBrokerTLS is the client side of this broker's own connections to
// the inter-broker listener when it runs over TLS (nil otherwise): that
// listener's trust store checks the other brokers (and, with
// ssl.endpoint.identification.algorithm=https, their host names), its key
// store is this broker's client certificate.
func (c *KafkaConfig) interBrokerTLS() (*tls.Config, error) {
	if !usesTLS(c.InterBrokerSecurityProtocol) {
		return nil, nil
	}
	for _, e := range c.Listeners {
		if e.ListenerName == c.InterBrokerListenerName {
			s, err := c.sslSettings(e)
			if err != nil {
				return nil, err
			}
			return s.ClientConfig(), nil
		}
	}
	return nil, fmt.Errorf("inter-broker listener %s is not among the listeners", c.InterBrokerListenerName)
}

// startSSL loads the TLS side of the listeners and the inter-broker
// client's TLS settings before anything is bound; it returns the listeners'.
func (s *KafkaServer) startSSL() (map[string]*network.TLSListener, error) {
	listeners, err := s.cfg.sslListeners()
	if err != nil {
		return nil, err
	}
	client, err := s.cfg.interBrokerTLS()
	if err != nil {
		return nil, err
	}
	network.SetInterBrokerTLS(client)
	return listeners, nil
}
