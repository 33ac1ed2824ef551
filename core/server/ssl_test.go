package server

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// selfSignedPEM returns a PKCS#8 key and its self-signed certificate for
// 127.0.0.1, as ssl.keystore.key / ssl.keystore.certificate.chain values.
func selfSignedPEM(t *testing.T, cn string) (key, cert string) {
	t.Helper()
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	p8, _ := x509.MarshalPKCS8PrivateKey(k)
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p8})),
		string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// TestSSLListeners: SSL and SASL_SSL listeners get a TLS configuration
// from the plain keys or their listener.name.<listener>. overrides;
// PLAINTEXT listeners none.
func TestSSLListeners(t *testing.T) {
	key, cert := selfSignedPEM(t, "broker")
	c := mustConfig(t, "listeners", "PLAINTEXT://:9092,SSL://:9093,SASL_SSL://:9094,INTERNAL://:9095",
		"listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_SSL:SASL_SSL,INTERNAL:SSL",
		"ssl.keystore.type", "PEM", "ssl.keystore.key", key, "ssl.keystore.certificate.chain", cert,
		"ssl.truststore.type", "PEM", "ssl.truststore.certificates", cert,
		"ssl.client.auth", "required",
		"listener.name.internal.ssl.client.auth", "requested",
		"listener.name.internal.ssl.enabled.protocols", "TLSv1.3")
	got, err := c.sslListeners()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got["PLAINTEXT"] != nil {
		t.Fatalf("TLS listeners %v", got)
	}
	if a := got["SSL"].Config.ClientAuth; a != tls.RequireAndVerifyClientCert || got["SSL"].Principal == nil {
		t.Errorf("SSL: client auth %v", a)
	}
	// KIP-684: the broker-wide ssl.client.auth does not apply to SASL_SSL.
	if a := got["SASL_SSL"].Config.ClientAuth; a != tls.NoClientCert || got["SASL_SSL"].Principal != nil {
		t.Errorf("SASL_SSL: client auth %v", a)
	}
	if cfg := got["INTERNAL"].Config; cfg.ClientAuth != tls.VerifyClientCertIfGiven || cfg.MinVersion != tls.VersionTLS13 {
		t.Errorf("INTERNAL overrides: %v %x", cfg.ClientAuth, cfg.MinVersion)
	}
	if got, err := mustConfig(t).sslListeners(); got != nil || err != nil {
		t.Fatalf("PLAINTEXT only: %v %v", got, err)
	}
}

// TestSSLListenerErrors: start-up stops with a message naming the key.
func TestSSLListenerErrors(t *testing.T) {
	key, cert := selfSignedPEM(t, "broker")
	pemStore := []string{"ssl.keystore.type", "PEM", "ssl.keystore.key", key, "ssl.keystore.certificate.chain", cert}
	cases := []struct {
		props []string
		want  string
	}{
		{[]string{"listeners", "SSL://:9093", "security.inter.broker.protocol", "SSL"},
			"Invalid SSL configuration of listener SSL: SSL key store is not specified (ssl.keystore.location, or ssl.keystore.key and ssl.keystore.certificate.chain): a listener needs a certificate"},
		{[]string{"listeners", "PLAINTEXT://:9092,SSL://:9093", "listener.name.ssl.ssl.keystore.location", "/nonexistent/broker.jks",
			"listener.name.ssl.ssl.keystore.password", "pw"},
			"Invalid SSL configuration of listener SSL: Failed to load SSL keystore /nonexistent/broker.jks of type JKS (listener.name.ssl.ssl.keystore.location): /nonexistent/broker.jks (no such file or directory)"},
		{append([]string{"listeners", "PLAINTEXT://:9092,SSL://:9093", "ssl.principal.mapping.rules", "RULE:x/y/ junk"}, pemStore...),
			"Invalid value RULE:x/y/ junk for configuration ssl.principal.mapping.rules: Invalid rule: `RULE:x/y/ junk`, unmatched substring: ` junk`"},
		{append([]string{"listeners", "PLAINTEXT://:9092,SSL://:9093", "listener.name.ssl.ssl.cipher.suites", "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"}, pemStore...),
			"Invalid SSL configuration of listener SSL: Invalid value TLS_DHE_RSA_WITH_AES_128_GCM_SHA256 for configuration listener.name.ssl.ssl.cipher.suites: Unsupported CipherSuite: TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"},
	}
	for _, tc := range cases {
		_, err := mustConfig(t, tc.props...).sslListeners()
		if err == nil || err.Error() != tc.want {
			t.Errorf("%v:\n got %v\nwant %s", tc.props[:2], err, tc.want)
		}
	}
}

// TestSSLWrongKeystorePassword: a JKS store opened with the wrong password
// stops start-up as Kafka's "Failed to load SSL keystore".
func TestSSLWrongKeystorePassword(t *testing.T) {
	keytool, err := exec.LookPath("keytool")
	if err != nil {
		t.Skip("keytool not found on PATH: install a Java runtime to test JKS key stores")
	}
	dir := t.TempDir()
	ks := filepath.Join(dir, "broker.jks")
	out, err := exec.Command(keytool, "-genkeypair", "-alias", "broker", "-keyalg", "EC", "-groupname", "secp256r1",
		"-dname", "CN=broker", "-validity", "2", "-storetype", "JKS", "-keystore", ks, "-storepass", "right-pw", "-keypass", "right-pw").CombinedOutput()
	if err != nil {
		t.Fatalf("keytool: %v\n%s", err, out)
	}
	c := mustConfig(t, "listeners", "SSL://:9093", "security.inter.broker.protocol", "SSL",
		"ssl.keystore.location", ks, "ssl.keystore.password", "wrong-pw")
	_, err = c.sslListeners()
	want := "Invalid SSL configuration of listener SSL: Failed to load SSL keystore " + ks + " of type JKS (ssl.keystore.location): Keystore was tampered with, or password was incorrect"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
	c = mustConfig(t, "listeners", "SSL://:9093", "security.inter.broker.protocol", "SSL",
		"ssl.keystore.location", ks, "ssl.keystore.password", "right-pw")
	if _, err := c.sslListeners(); err != nil {
		t.Fatal(err)
	}
}

// TestInterBrokerTLS: the broker's own client uses the inter-broker
// listener's stores; PLAINTEXT and SASL_PLAINTEXT need no TLS.
func TestInterBrokerTLS(t *testing.T) {
	key, cert := selfSignedPEM(t, "broker")
	c := mustConfig(t, "listeners", "PLAINTEXT://:9092,REPLICATION://:9093", "inter.broker.listener.name", "REPLICATION",
		"listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,REPLICATION:SSL",
		"listener.name.replication.ssl.keystore.type", "PEM", "listener.name.replication.ssl.keystore.key", key,
		"listener.name.replication.ssl.keystore.certificate.chain", cert,
		"listener.name.replication.ssl.truststore.type", "PEM", "listener.name.replication.ssl.truststore.certificates", cert,
		"ssl.endpoint.identification.algorithm", "")
	cfg, err := c.interBrokerTLS()
	if err != nil {
		t.Fatal(err)
	}
	if cfg == nil || len(cfg.Certificates) != 1 || cfg.RootCAs == nil || !cfg.InsecureSkipVerify || cfg.VerifyConnection == nil {
		t.Fatalf("inter-broker TLS %+v", cfg)
	}
	for _, proto := range []string{"PLAINTEXT", "SASL_PLAINTEXT"} {
		c := mustConfig(t, "listeners", proto+"://:9092", "security.inter.broker.protocol", proto)
		if cfg, err := c.interBrokerTLS(); cfg != nil || err != nil {
			t.Errorf("%s: %v %v", proto, cfg, err)
		}
	}
}
