package server

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gokafka/kafka/core/network"
)

func TestSaslListenerConfigs(t *testing.T) {
	dir := t.TempDir()
	jaas := filepath.Join(dir, "kafka_jaas.conf")
	os.WriteFile(jaas, []byte(`KafkaServer {
 org.apache.kafka.common.security.plain.PlainLoginModule required
 username="adminplain" password="admin-secret" user_adminplain="admin-secret";
};`), 0o644)
	opts := "-Djava.security.auth.login.config=" + jaas

	// No SASL listener: nothing to load, no JAAS needed.
	if got, err := mustConfig(t).saslListenerConfigs(""); err != nil || got != nil {
		t.Fatalf("plaintext only: %v %v", got, err)
	}
	// kafka-go's cluster: JAAS file from KAFKA_OPTS.
	c := mustConfig(t, "listeners", "PLAINTEXT://:9092,SASL_PLAINTEXT://:9093", "sasl.enabled.mechanisms", "PLAIN,SCRAM-SHA-256,SCRAM-SHA-512")
	got, err := c.saslListenerConfigs(opts)
	if err != nil {
		t.Fatal(err)
	}
	lc := got["SASL_PLAINTEXT"]
	if lc == nil || strings.Join(lc.mechanisms, ",") != "PLAIN,SCRAM-SHA-256,SCRAM-SHA-512" || lc.jaas["PLAIN"][0].Options["user_adminplain"] != "admin-secret" {
		t.Fatalf("listener config %+v", lc)
	}
	// Without a JAAS file Kafka's message.
	if _, err := c.saslListenerConfigs(""); err == nil || !strings.Contains(err.Error(), "Could not find a 'KafkaServer' or 'sasl_plaintext.KafkaServer' entry") {
		t.Fatalf("no JAAS: %v", err)
	}
	// The default mechanism (GSSAPI) is refused naming the key.
	if _, err := mustConfig(t, "listeners", "PLAINTEXT://:9092,SASL_PLAINTEXT://:9093").saslListenerConfigs(opts); err == nil || !strings.Contains(err.Error(), "sasl.enabled.mechanisms") {
		t.Fatalf("GSSAPI: %v", err)
	}
	// Per-listener mechanisms and inline JAAS.
	c = mustConfig(t, "listeners", "PLAINTEXT://:9092,CLIENTS://:9093", "listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CLIENTS:SASL_PLAINTEXT",
		"listener.name.clients.sasl.enabled.mechanisms", "PLAIN",
		"listener.name.clients.plain.sasl.jaas.config", `org.apache.kafka.common.security.plain.PlainLoginModule required user_u="p";`)
	got, err = c.saslListenerConfigs("")
	if err != nil || got["CLIENTS"].jaas["PLAIN"][0].Options["user_u"] != "p" {
		t.Fatalf("inline: %+v %v", got, err)
	}
	// Inter-broker traffic over SASL: the mechanism must be enabled on the
	// listener; the credentials come from the listener's login module.
	c = mustConfig(t, "listeners", "PLAINTEXT://:9092,SASL_PLAINTEXT://:9093", "security.inter.broker.protocol", "SASL_PLAINTEXT",
		"sasl.enabled.mechanisms", "PLAIN")
	lcs, err := c.saslListenerConfigs(opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.interBrokerSasl(lcs); err == nil || err.Error() != "requirement failed: sasl.mechanism.inter.broker.protocol must be included in sasl.enabled.mechanisms when SASL is used for inter-broker communication" {
		t.Fatalf("GSSAPI inter-broker: %v", err)
	}
	c = mustConfig(t, "listeners", "PLAINTEXT://:9092,SASL_PLAINTEXT://:9093", "inter.broker.listener.name", "SASL_PLAINTEXT",
		"sasl.enabled.mechanisms", "PLAIN", "sasl.mechanism.inter.broker.protocol", "PLAIN")
	lcs, _ = c.saslListenerConfigs(opts)
	ib, err := c.interBrokerSasl(lcs)
	if err != nil || ib == nil || !reflect.DeepEqual(*ib, network.InterBrokerSasl{Mechanism: "PLAIN", Username: "adminplain", Password: "admin-secret"}) {
		t.Fatalf("PLAIN inter-broker: %+v %v", ib, err)
	}
	// A login module without username/password cannot be used.
	c = mustConfig(t, "listeners", "PLAINTEXT://:9092,CLIENTS://:9093", "listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CLIENTS:SASL_PLAINTEXT",
		"inter.broker.listener.name", "CLIENTS", "sasl.enabled.mechanisms", "PLAIN", "sasl.mechanism.inter.broker.protocol", "PLAIN",
		"listener.name.clients.plain.sasl.jaas.config", `org.apache.kafka.common.security.plain.PlainLoginModule required user_u="p";`)
	lcs, _ = c.saslListenerConfigs("")
	if _, err := c.interBrokerSasl(lcs); err == nil || !strings.Contains(err.Error(), "no username and password") {
		t.Fatalf("no credentials: %v", err)
	}
	// PLAINTEXT between brokers: nothing to do.
	c = mustConfig(t, "listeners", "PLAINTEXT://:9092,SASL_PLAINTEXT://:9093", "sasl.enabled.mechanisms", "PLAIN")
	lcs, _ = c.saslListenerConfigs(opts)
	if ib, err := c.interBrokerSasl(lcs); ib != nil || err != nil {
		t.Fatalf("plaintext inter-broker: %+v %v", ib, err)
	}
}

// OAUTHBEARER: the unsecured validator's options come from the listener's
// JAAS entry, inter-broker connections log in with the unsecuredLogin*
// options, and custom handler classes or bad options stop start-up
// naming the key.
func TestSaslOAuthBearerConfig(t *testing.T) {
	const module = `org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required `
	base := []string{"listeners", "PLAINTEXT://:9092,SASL_PLAINTEXT://:9093", "inter.broker.listener.name", "SASL_PLAINTEXT",
		"sasl.enabled.mechanisms", "PLAIN,OAUTHBEARER", "sasl.mechanism.inter.broker.protocol", "OAUTHBEARER",
		"listener.name.sasl_plaintext.plain.sasl.jaas.config", `org.apache.kafka.common.security.plain.PlainLoginModule required user_u="p";`}
	with := func(kv ...string) *KafkaConfig { return mustConfig(t, append(append([]string{}, base...), kv...)...) }

	c := with("listener.name.sasl_plaintext.oauthbearer.sasl.jaas.config", module+`unsecuredLoginStringClaim_sub="broker" unsecuredValidatorRequiredScope="kafka" unsecuredValidatorAllowableClockSkewMs="500";`)
	lcs, err := c.saslListenerConfigs("")
	if err != nil {
		t.Fatal(err)
	}
	v := lcs["SASL_PLAINTEXT"].oauth
	if v == nil || v.ClockSkewMs != 500 || strings.Join(v.RequiredScope, ",") != "kafka" || v.PrincipalClaim != "sub" {
		t.Fatalf("validator %+v", v)
	}
	ib, err := c.interBrokerSasl(lcs)
	if err != nil || ib.Mechanism != "OAUTHBEARER" || ib.OAuthLoginOptions["unsecuredLoginStringClaim_sub"] != "broker" {
		t.Fatalf("inter-broker %+v %v", ib, err)
	}

	// No principal for the broker's own token.
	c = with("listener.name.sasl_plaintext.oauthbearer.sasl.jaas.config", module+`unsecuredLoginStringClaim_user="broker";`)
	lcs, _ = c.saslListenerConfigs("")
	if _, err := c.interBrokerSasl(lcs); err == nil || !strings.Contains(err.Error(), "No principal name in JWT claim: sub") {
		t.Fatalf("no sub: %v", err)
	}
	for _, kv := range [][]string{
		{"listener.name.sasl_plaintext.oauthbearer.sasl.server.callback.handler.class", "com.example.Validator"},
		{"listener.name.sasl_plaintext.oauthbearer.sasl.login.callback.handler.class", "com.example.Login"},
		{"sasl.server.callback.handler.class", "com.example.Validator"},
		{"sasl.login.callback.handler.class", "com.example.Login"},
	} {
		c = with(append([]string{"listener.name.sasl_plaintext.oauthbearer.sasl.jaas.config", module + `unsecuredLoginStringClaim_sub="b";`}, kv...)...)
		if _, err := c.saslListenerConfigs(""); err == nil || !strings.Contains(err.Error(), kv[0]) {
			t.Errorf("%s: %v", kv[0], err)
		}
	}
	c = with("listener.name.sasl_plaintext.oauthbearer.sasl.jaas.config", module+`unsecuredValidatorAllowableClockSkewMs="-1";`)
	if _, err := c.saslListenerConfigs(""); err == nil || !strings.Contains(err.Error(), "must not be negative") {
		t.Fatalf("negative skew: %v", err)
	}
	// GSSAPI still stops start-up.
	c = mustConfig(t, "listeners", "PLAINTEXT://:9092,SASL_PLAINTEXT://:9093", "sasl.enabled.mechanisms", "GSSAPI,OAUTHBEARER")
	if _, err := c.saslListenerConfigs(""); err == nil || !strings.Contains(err.Error(), "Invalid value GSSAPI") {
		t.Fatalf("GSSAPI: %v", err)
	}
}
