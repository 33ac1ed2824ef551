package server

import (
	"os"
	"path/filepath"
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
	if err != nil || ib == nil || *ib != (network.InterBrokerSasl{Mechanism: "PLAIN", Username: "adminplain", Password: "admin-secret"}) {
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
