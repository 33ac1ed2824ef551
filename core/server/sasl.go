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
	oauth      *security.OAuthBearerValidator // when OAUTHBEARER is enabled
}

// checkNoCustomOAuthHandlers refuses the settings that would replace
// 2.8's unsecured OAUTHBEARER handlers with Java classes, which this broker
// cannot load: running with the unsecured validator instead would accept
// tokens the operator meant to have verified. 2.8 reads the listener- and
// mechanism-prefixed keys; the broker-wide ones are refused as well since
// setting them shows the same intent.
func (c *KafkaConfig) checkNoCustomOAuthHandlers(listener string) error {
	prefix := listenerConfigPrefix(listener) + "oauthbearer."
	for _, key := range []string{
		prefix + "sasl.server.callback.handler.class",
		prefix + "sasl.login.callback.handler.class",
		prefix + "sasl.login.class",
		"sasl.server.callback.handler.class",
		"sasl.login.callback.handler.class",
	} {
		if v := strings.TrimSpace(c.Props[key]); v != "" {
			return fmt.Errorf("Invalid value %s for configuration %s: custom SASL callback handler and login classes cannot be loaded by this broker; OAUTHBEARER supports only 2.8's default unsecured-token handlers (remove the setting)", v, key)
		}
	}
	return nil
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
				return nil, fmt.Errorf("Invalid value %s for configuration sasl.enabled.mechanisms (listener %s): this broker supports the SASL mechanisms PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 and OAUTHBEARER (unsecured tokens) only (no GSSAPI/Kerberos)", m, l.ListenerName)
			}
			if m == security.MechanismOAuthBearer {
				if err := c.checkNoCustomOAuthHandlers(l.ListenerName); err != nil {
					return nil, err
				}
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
			if m == security.MechanismOAuthBearer {
				if lc.oauth, err = security.NewOAuthBearerValidator(entries); err != nil {
					return nil, fmt.Errorf("SASL/OAUTHBEARER on listener %s: %v", l.ListenerName, err)
				}
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
	entries := lc.jaas[mech]
	if mech == security.MechanismOAuthBearer {
		return interBrokerOAuth(entries, c.InterBrokerListenerName)
	}
	module := security.ScramLoginModule
	if mech == security.MechanismPlain {
		module = security.PlainLoginModule
	}
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

// interBrokerOAuth takes the unsecuredLogin* options of the listener's
// OAuthBearerLoginModule entry (or its only entry), as 2.8's default login
// handler does, and builds one token now so that bad options stop
// start-up rather than every inter-broker connection.
func interBrokerOAuth(entries []security.JaasEntry, listener string) (*network.InterBrokerSasl, error) {
	var opts map[string]string
	for _, e := range entries {
		if e.LoginModule == security.OAuthBearerLoginModule {
			opts = e.Options
			break
		}
	}
	if opts == nil && len(entries) == 1 {
		opts = entries[0].Options
	}
	if _, err := security.UnsecuredLoginToken(opts, time.Now()); err != nil {
		return nil, fmt.Errorf("sasl.mechanism.inter.broker.protocol=OAUTHBEARER: the JAAS login module of listener %s (inter-broker) cannot make the broker's token: %v", listener, err)
	}
	return &network.InterBrokerSasl{Mechanism: security.MechanismOAuthBearer, OAuthLoginOptions: opts}, nil
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
			case security.MechanismOAuthBearer:
				return security.NewOAuthBearerServer(lc.oauth), nil
			default:
				return security.NewScramServer(m, lookup)
			}
		},
		FailedAuthenticationDelay: time.Duration(s.cfg.int("connection.failed.authentication.delay.ms")) * time.Millisecond,
	}
}

// kafkaOpts is the broker's KAFKA_OPTS, as the start scripts pass it on.
func kafkaOpts() string { return os.Getenv("KAFKA_OPTS") }
