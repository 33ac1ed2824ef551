package network

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gokafka/kafka/core/security"
	"github.com/gokafka/kafka/core/security/ssl"
)

// testPKI is a CA with certificates it signed.
type testPKI struct {
	ca    *x509.Certificate
	key   *ecdsa.PrivateKey
	roots *x509.CertPool
}

func newTestPKI(t *testing.T) *testPKI {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(der)
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	return &testPKI{ca: ca, key: key, roots: roots}
}

// issue signs a certificate for subject, valid for 127.0.0.1.
func (p *testPKI) issue(t *testing.T, subject pkix.Name) tls.Certificate {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: subject,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.ca, &key.PublicKey, p.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// startTLSServer serves an SSL listener (client certificates requested,
// principals mapped by rules) and a SASL_SSL listener with PLAIN.
func startTLSServer(t *testing.T, p *testPKI, rules string) (sslAddr, saslSSLAddr string, rec *principalRecorder) {
	t.Helper()
	mapper, err := ssl.ParsePrincipalMappingRules(rules)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{p.issue(t, pkix.Name{CommonName: "broker"})},
		ClientAuth: tls.VerifyClientCertIfGiven, ClientCAs: p.roots}
	jaas := []security.JaasEntry{{LoginModule: security.PlainLoginModule, Options: map[string]string{"user_alice": "alice-pw"}}}
	sasl := &SaslListener{Mechanisms: []string{"PLAIN"},
		NewServer: func(string) (security.Server, error) { return security.NewPlainServer(jaas), nil }}
	rec = &principalRecorder{}
	s := NewSocketServer(1, 1<<20, rec)
	addrs, err := s.Bind([]Listener{
		{Name: "SSL", Host: "127.0.0.1", TLS: &TLSListener{Config: cfg, Principal: mapper.Principal}},
		{Name: "SASL_SSL", Host: "127.0.0.1", Sasl: sasl, TLS: &TLSListener{Config: cfg}},
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Start([]string{"SSL", "SASL_SSL"})
	t.Cleanup(s.Shutdown)
	return addrs[0].String(), addrs[1].String(), rec
}

func dialTLS(t *testing.T, addr string, cfg *tls.Config) (net.Conn, error) {
	t.Helper()
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, cfg)
	if err == nil {
		t.Cleanup(func() { c.Close() })
	}
	return c, err
}

func apiVersions(t *testing.T, c net.Conn) error {
	t.Helper()
	av := kmsg.NewPtrApiVersionsRequest()
	av.Version = 0
	_, err := call(t, c, av, 1)
	return err
}

// TestSSLListenerPrincipal: the certificate's DN, mapped by the rules,
// reaches the request; no certificate is User:ANONYMOUS; a plaintext
// client gets nothing.
func TestSSLListenerPrincipal(t *testing.T) {
	p := newTestPKI(t)
	sslAddr, _, rec := startTLSServer(t, p, "RULE:^CN=([^,]*),OU=apps$/$1/L,DEFAULT")
	for _, c := range []struct {
		subject pkix.Name
		want    string
	}{
		{pkix.Name{CommonName: "Alice", OrganizationalUnit: []string{"apps"}}, "User:alice"},
		{pkix.Name{CommonName: "bob", Organization: []string{"Example"}}, "User:CN=bob,O=Example"},
	} {
		conn, err := dialTLS(t, sslAddr, &tls.Config{RootCAs: p.roots, Certificates: []tls.Certificate{p.issue(t, c.subject)}})
		if err != nil {
			t.Fatal(err)
		}
		if err := apiVersions(t, conn); err != nil {
			t.Fatal(err)
		}
		if got := rec.get(); got != c.want {
			t.Errorf("principal %q, want %q", got, c.want)
		}
	}
	conn, err := dialTLS(t, sslAddr, &tls.Config{RootCAs: p.roots})
	if err != nil {
		t.Fatal(err)
	}
	if err := apiVersions(t, conn); err != nil || rec.get() != "" {
		t.Fatalf("without certificate: principal %q, %v", rec.get(), err)
	}
	if err := apiVersions(t, dial(t, sslAddr)); err == nil {
		t.Fatal("a plaintext request on the SSL listener was answered")
	}
}

// TestSaslSSLListener: TLS first, then SASL names the client.
func TestSaslSSLListener(t *testing.T) {
	p := newTestPKI(t)
	_, addr, rec := startTLSServer(t, p, "DEFAULT")
	conn, err := dialTLS(t, addr, &tls.Config{RootCAs: p.roots, Certificates: []tls.Certificate{p.issue(t, pkix.Name{CommonName: "cert-user"})}})
	if err != nil {
		t.Fatal(err)
	}
	if r := handshake(t, conn, 1, "PLAIN"); r.ErrorCode != 0 {
		t.Fatalf("handshake %+v", r)
	}
	if r, err := authenticate(t, conn, 1, "\x00alice\x00alice-pw"); err != nil || r.ErrorCode != 0 {
		t.Fatalf("authenticate %+v %v", r, err)
	}
	if err := metadata(t, conn); err != nil || rec.get() != "User:alice" {
		t.Fatalf("principal %q, %v", rec.get(), err)
	}
}

// TestBrokerClientTLS: inter-broker connections handshake with the
// configured trust store, checking the address dialled, and then
// authenticate with SASL on SASL_SSL.
func TestBrokerClientTLS(t *testing.T) {
	p := newTestPKI(t)
	sslAddr, saslSSLAddr, rec := startTLSServer(t, p, "DEFAULT")
	t.Cleanup(func() { SetInterBrokerTLS(nil); SetInterBrokerSasl(nil) })
	send := func(addr string) error {
		bc := NewBrokerClient(addr, "broker-2", 5*time.Second)
		defer bc.Close()
		av := kmsg.NewPtrApiVersionsRequest()
		av.Version = 0
		_, err := bc.Send(av, 0)
		return err
	}
	SetInterBrokerTLS(&tls.Config{RootCAs: p.roots, Certificates: []tls.Certificate{p.issue(t, pkix.Name{CommonName: "broker2"})}})
	if err := send(sslAddr); err != nil || rec.get() != "User:CN=broker2" {
		t.Fatalf("SSL: principal %q, %v", rec.get(), err)
	}
	SetInterBrokerSasl(&InterBrokerSasl{Mechanism: "PLAIN", Username: "alice", Password: "alice-pw"})
	if err := send(saslSSLAddr); err != nil || rec.get() != "User:alice" {
		t.Fatalf("SASL_SSL: principal %q, %v", rec.get(), err)
	}
	SetInterBrokerSasl(nil)
	// A trust store without the broker's CA fails the handshake.
	SetInterBrokerTLS(&tls.Config{RootCAs: newTestPKI(t).roots})
	if err := send(sslAddr); err == nil {
		t.Fatal("untrusted broker certificate accepted")
	}
	// The certificate names 127.0.0.1 only: "localhost" does not match.
	SetInterBrokerTLS(&tls.Config{RootCAs: p.roots})
	_, port, _ := net.SplitHostPort(sslAddr)
	if err := send(net.JoinHostPort("localhost", port)); err == nil {
		t.Fatal("host name not checked")
	}
}

func (p *principalRecorder) get() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.principal
}
