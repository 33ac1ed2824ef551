package server

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/gokafka/kafka/core/network"
	"github.com/gokafka/kafka/core/security"
	"github.com/gokafka/kafka/zkutil"
)

// usesSasl reports whether a security protocol authenticates with SASL.
func usesSasl(protocol string) bool { return protocol == "SASL_PLAINTEXT" || protocol == "SASL_SSL" }

// saslListenerConfig is what a SASL_PLAINTEXT or SASL_SSL listener
// authenticates with:
// its enabled mechanisms and, per mechanism, the JAAS entries of its login
// context (JaasContext.loadServerContext).
type saslListenerConfig struct {
	mechanisms []string
	jaas       map[string][]security.JaasEntry
}

// listenerConfigPrefix is ListenerName.configPrefix.
func listenerConfigPrefix(listener string) string {
	return "listener.name." + strings.ToLower(listener) + "."
}

// SaslEnabledMechanisms returns a listener's sasl.enabled.mechanisms, the
// listener.name.<listener>.sasl.enabled.mechanisms override first.
func (c *KafkaConfig) SaslEnabledMechanisms(listener string) []string {
	if v, ok := c.Props[listenerConfigPrefix(listener)+"sasl.enabled.mechanisms"]; ok {
		var out []string
		for _, m := range strings.Split(v, ",") {
			if m = strings.TrimSpace(m); m != "" {
				out = append(out, m)
			}
		}
		return out
	}
	return c.list("sasl.enabled.mechanisms")
}

// saslListenerConfigs checks and loads the SASL settings of every
// SASL_PLAINTEXT and SASL_SSL listener (nil when there is none). kafkaOpts is the
// KAFKA_OPTS environment variable, whose
// -Djava.security.auth.login.config=<file> names the JAAS file, as for
// Kafka's JVM. Errors name the key at fault; Kafka refuses to start in the
// same cases.
func (c *KafkaConfig) saslListenerConfigs(kafkaOpts string) (map[string]*saslListenerConfig, error) {
	var out map[string]*saslListenerConfig
	var jaasFile security.JaasConfig
	jaasPath := security.JaasFileFromKafkaOpts(kafkaOpts)
	jaasLoaded := false
	for _, l := range c.Listeners {
		if !usesSasl(l.SecurityProtocol) {
			continue
		}
		mechs := c.SaslEnabledMechanisms(l.ListenerName)
		if len(mechs) == 0 {
			return nil, fmt.Errorf("sasl.enabled.mechanisms must not be empty for SASL listener %s", l.ListenerName)
		}
		lc := &saslListenerConfig{mechanisms: mechs, jaas: map[string][]security.JaasEntry{}}
		for _, m := range mechs {
			if !security.SupportedMechanisms[m] {
				return nil, fmt.Errorf("Invalid value %s for configuration sasl.enabled.mechanisms (listener %s): this broker supports the SASL mechanisms PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512 only (no GSSAPI/Kerberos, no OAUTHBEARER)", m, l.ListenerName)
			}
			key := listenerConfigPrefix(l.ListenerName) + strings.ToLower(m) + ".sasl.jaas.config"
			inline := c.Props[key]
			if inline == "" && !jaasLoaded && jaasPath != "" {
				var err error
				if jaasFile, err = security.LoadJaasFile(jaasPath); err != nil {
					return nil, fmt.Errorf("java.security.auth.login.config (KAFKA_OPTS): %v", err)
				}
				jaasLoaded = true
			}
			entries, err := security.ServerContext(l.ListenerName, inline, jaasFile, jaasPath)
			if err != nil {
				if inline != "" {
					return nil, fmt.Errorf("Invalid value for configuration %s: %v", key, err)
				}
				return nil, err
			}
			lc.jaas[m] = entries
		}
		if out == nil {
			out = map[string]*saslListenerConfig{}
		}
		out[l.ListenerName] = lc
	}
	return out, nil
}

// interBrokerSasl returns how this broker authenticates to the others
// when its inter-broker listener is SASL_PLAINTEXT or SASL_SSL (nil
// otherwise; on SASL_SSL the TLS handshake comes first, see ssl.go):
// sasl.mechanism.inter.broker.protocol, which must be enabled on that
// listener, with the username and password options of the listener's JAAS
// login module for that mechanism (PlainLoginModule for PLAIN,
// ScramLoginModule for SCRAM; any module as a fallback), as Kafka's
// inter-broker client uses the KafkaServer login context.
func (c *KafkaConfig) interBrokerSasl(listeners map[string]*saslListenerConfig) (*network.InterBrokerSasl, error) {
	if !usesSasl(c.InterBrokerSecurityProtocol) {
		return nil, nil
	}
	mech := c.s("sasl.mechanism.inter.broker.protocol")
	lc := listeners[c.InterBrokerListenerName]
	enabled := false
	if lc != nil {
		for _, m := range lc.mechanisms {
			enabled = enabled || m == mech
		}
	}
	if !enabled {
		return nil, requirement("sasl.mechanism.inter.broker.protocol must be included in sasl.enabled.mechanisms when SASL is used for inter-broker communication")
	}
	module := security.ScramLoginModule
	if mech == security.MechanismPlain {
		module = security.PlainLoginModule
	}
	entries := lc.jaas[mech]
	user, okUser := security.ConfigEntryOption(entries, "username", module)
	pass, okPass := security.ConfigEntryOption(entries, "password", module)
	if !okUser || !okPass {
		user, okUser = security.ConfigEntryOption(entries, "username", "")
		pass, okPass = security.ConfigEntryOption(entries, "password", "")
	}
	if !okUser || !okPass {
		return nil, fmt.Errorf("sasl.mechanism.inter.broker.protocol=%s: the JAAS login module of listener %s (inter-broker) has no username and password options for the broker's own connections", mech, c.InterBrokerListenerName)
	}
	return &network.InterBrokerSasl{Mechanism: mech, Username: user, Password: pass}, nil
}

// saslListeners turns the loaded settings into the socket server's
// authenticators; SCRAM credentials are read from ZooKeeper at each
// authentication, so users created or changed by kafka-configs /
// AlterUserScramCredentials count at once.
func (s *KafkaServer) saslListener(name string) *network.SaslListener {
	lc := s.sasl[name]
	if lc == nil {
		return nil
	}
	lookup := func(mechanism, user string) (*zkutil.ScramCredential, error) {
		cfg, err := s.zk.GetEntityConfig("users", zkutil.SanitizeEntityName(user))
		if err != nil {
			return nil, err
		}
		v, ok := cfg[mechanism]
		if !ok {
			return nil, nil
		}
		cred, err := zkutil.ParseScramCredential(v)
		if err != nil {
			return nil, err
		}
		return &cred, nil
	}
	return &network.SaslListener{
		Mechanisms: lc.mechanisms,
		NewServer: func(m string) (security.Server, error) {
			switch m {
			case security.MechanismPlain:
				return security.NewPlainServer(lc.jaas[m]), nil
			default:
				return security.NewScramServer(m, lookup)
			}
		},
		FailedAuthenticationDelay: time.Duration(s.cfg.int("connection.failed.authentication.delay.ms")) * time.Millisecond,
	}
}

// kafkaOpts is the broker's KAFKA_OPTS, as the start scripts pass it on.
func kafkaOpts() string { return os.Getenv("KAFKA_OPTS") }
