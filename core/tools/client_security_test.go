package tools

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"
)

const oauthJaas = `org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required `

// TestSecurityOpts: security.protocol with its ssl.* and sasl.* keys.
func TestSecurityOpts(t *testing.T) {
	cases := []struct {
		props   map[string]string
		opts    int
		tls     bool
		wantErr string
	}{
		{map[string]string{}, 0, false, ""},
		{map[string]string{"security.protocol": "ssl"}, 1, true, ""},
		{map[string]string{"security.protocol": "SASL_SSL", "sasl.mechanism": "SCRAM-SHA-512",
			"sasl.jaas.config": `org.apache.kafka.common.security.scram.ScramLoginModule required username="alice" password="pw";`}, 2, true, ""},
		{map[string]string{"security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "PLAIN",
			"sasl.jaas.config": `org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="pw";`}, 1, false, ""},
		{map[string]string{"security.protocol": "TLS"}, 0, false,
			"Invalid value TLS for configuration security.protocol: String must be one of: PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL"},
		{map[string]string{"security.protocol": "SSL", "ssl.truststore.location": "/nonexistent/trust.jks"}, 0, false,
			"Failed to load SSL keystore /nonexistent/trust.jks of type JKS (ssl.truststore.location): /nonexistent/trust.jks (no such file or directory)"},
		{map[string]string{"security.protocol": "SASL_SSL", "sasl.mechanism": "PLAIN"}, 0, false,
			"Could not find a 'KafkaClient' entry in the JAAS configuration. System property 'java.security.auth.login.config' is not set"},
		{map[string]string{"security.protocol": "SASL_SSL"}, 0, false,
			"Invalid value GSSAPI for configuration sasl.mechanism: the tools support PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 and OAUTHBEARER"},
		{map[string]string{"security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "OAUTHBEARER",
			"sasl.jaas.config": oauthJaas + `unsecuredLoginStringClaim_sub="alice";`}, 1, false, ""},
		{map[string]string{"security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "OAUTHBEARER",
			"sasl.jaas.config": oauthJaas + `unsecuredLoginStringClaim_user="alice";`}, 0, false,
			"Invalid value for configuration sasl.jaas.config: No principal name in JWT claim: sub"},
		{map[string]string{"security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "OAUTHBEARER",
			"sasl.login.callback.handler.class": "com.example.Login",
			"sasl.jaas.config":                  oauthJaas + `unsecuredLoginStringClaim_sub="alice";`}, 0, false,
			"Invalid value com.example.Login for configuration sasl.login.callback.handler.class: the tools cannot load Java classes; OAUTHBEARER logs in with unsecured tokens only"},
	}
	for _, c := range cases {
		cfg := &clientConfig{props: c.props}
		opts, err := cfg.securityOpts()
		if c.wantErr != "" {
			if err == nil || err.Error() != c.wantErr {
				t.Errorf("%v: err %v\nwant %s", c.props, err, c.wantErr)
			}
			continue
		}
		if err != nil || len(opts) != c.opts || (cfg.tls != nil) != c.tls {
			t.Errorf("%v: %d options, tls %v, %v", c.props, len(opts), cfg.tls != nil, err)
		}
	}
}

// TestProducerDialerTLS: the non-idempotent producer's dialer (which
// patches batch sequences) runs over TLS when the protocol asks for it,
// checking the broker certificate against ssl.truststore.certificates.
func TestProducerDialerTLS(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "broker"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		io.Copy(c, c) // echo
	}()
	cfg := &clientConfig{props: map[string]string{"security.protocol": "SSL", "ssl.truststore.type": "PEM",
		"ssl.truststore.certificates": string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))}}
	if _, err := cfg.securityOpts(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := javaSequenceDialer(cfg.tls)(ctx, "tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	frame := []byte{0, 0, 0, 4, 'p', 'i', 'n', 'g'}
	if _, err := conn.Write(frame); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(frame))
	if _, err := io.ReadFull(conn, got); err != nil || !strings.HasSuffix(string(got), "ping") {
		t.Fatalf("echo %q %v", got, err)
	}
}
