package ssl

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
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// keytool runs Java's keytool (the tool Kafka's documentation uses to
// make stores); tests that need one skip without it.
func keytool(t *testing.T, dir string, args ...string) {
	t.Helper()
	path, err := exec.LookPath("keytool")
	if err != nil {
		t.Skip("keytool not found on PATH: install a Java runtime (e.g. openjdk-17-jre-headless) to test JKS/PKCS12 stores")
	}
	cmd := exec.Command(path, args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("keytool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// genKeyPair makes a store holding a self-signed EC key pair for
// localhost / 127.0.0.1.
func genKeyPair(t *testing.T, dir, file, storeType, storePass, keyPass, dname string) string {
	t.Helper()
	keytool(t, dir, "-genkeypair", "-alias", "broker", "-keyalg", "EC", "-groupname", "secp256r1",
		"-dname", dname, "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-validity", "2",
		"-storetype", storeType, "-keystore", file, "-storepass", storePass, "-keypass", keyPass)
	return filepath.Join(dir, file)
}

// trustStoreFor exports the certificate of keyStore and imports it into a
// new trust store.
func trustStoreFor(t *testing.T, dir, keyStore, storePass, file, storeType, trustPass string) string {
	t.Helper()
	keytool(t, dir, "-exportcert", "-alias", "broker", "-keystore", keyStore, "-storepass", storePass, "-rfc", "-file", file+".crt")
	keytool(t, dir, "-importcert", "-noprompt", "-alias", "ca", "-file", file+".crt",
		"-storetype", storeType, "-keystore", file, "-storepass", trustPass)
	return filepath.Join(dir, file)
}

func source(kv ...string) Source {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return MapSource(m)
}

func TestLoadPKCS12KeyStore(t *testing.T) {
	dir := t.TempDir()
	ks := genKeyPair(t, dir, "broker.p12", "PKCS12", "store-pw", "store-pw", "CN=localhost, OU=test, O=gokafka")
	s, err := Load(source("ssl.keystore.type", "PKCS12", "ssl.keystore.location", ks, "ssl.keystore.password", "store-pw"))
	if err != nil {
		t.Fatal(err)
	}
	dn, _ := DistinguishedName(s.Certificate.Leaf.RawSubject)
	if dn != "CN=localhost,OU=test,O=gokafka" {
		t.Fatalf("leaf DN %q", dn)
	}
	// keytool's default type aside, a PKCS12 file declared JKS loads too
	// (Java's keystore.type.compat).
	if _, err := Load(source("ssl.keystore.location", ks, "ssl.keystore.password", "store-pw")); err != nil {
		t.Fatalf("PKCS12 file as JKS: %v", err)
	}
	_, err = Load(source("ssl.keystore.type", "PKCS12", "ssl.keystore.location", ks, "ssl.keystore.password", "wrong"))
	want := "Failed to load SSL keystore " + ks + " of type PKCS12 (ssl.keystore.location): keystore password was incorrect"
	if err == nil || err.Error() != want {
		t.Fatalf("wrong password: %v\nwant %s", err, want)
	}
}

func TestLoadJKSKeyStore(t *testing.T) {
	dir := t.TempDir()
	ks := genKeyPair(t, dir, "broker.jks", "JKS", "store-pw", "key-pw", "CN=broker1,O=gokafka")
	src := source("ssl.keystore.location", ks, "ssl.keystore.password", "store-pw", "ssl.key.password", "key-pw")
	s, err := Load(src)
	if err != nil {
		t.Fatal(err)
	}
	if s.Certificate.Leaf.Subject.CommonName != "broker1" || len(s.Certificate.Certificate) != 1 {
		t.Fatalf("certificate %+v", s.Certificate.Leaf.Subject)
	}
	_, err = Load(source("ssl.keystore.location", ks, "ssl.keystore.password", "nope", "ssl.key.password", "key-pw"))
	want := "Failed to load SSL keystore " + ks + " of type JKS (ssl.keystore.location): Keystore was tampered with, or password was incorrect"
	if err == nil || err.Error() != want {
		t.Fatalf("wrong store password: %v\nwant %s", err, want)
	}
	// Without ssl.key.password the store password is tried on the key.
	_, err = Load(source("ssl.keystore.location", ks, "ssl.keystore.password", "store-pw"))
	if err == nil || !strings.Contains(err.Error(), "Cannot recover key") {
		t.Fatalf("wrong key password: %v", err)
	}
}

func TestKeyStoreConfigErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.jks")
	cases := []struct {
		src  Source
		want string
	}{
		{source("ssl.keystore.location", missing, "ssl.keystore.password", "x"),
			"Failed to load SSL keystore " + missing + " of type JKS (ssl.keystore.location): " + missing + " (no such file or directory)"},
		{source("ssl.keystore.location", missing),
			"SSL key store is specified, but key store password is not specified. (ssl.keystore.location, ssl.keystore.password)"},
		{source("ssl.keystore.password", "x"),
			"SSL key store is not specified, but key store password is specified. (ssl.keystore.location, ssl.keystore.password)"},
		{source("ssl.keystore.key", "k", "ssl.keystore.certificate.chain", "c"),
			"SSL private key can be specified only for PEM, but key store type is JKS. (ssl.keystore.key, ssl.keystore.type)"},
		{source("ssl.keystore.type", "PEM", "ssl.keystore.location", missing, "ssl.keystore.password", "x"),
			"SSL key store password cannot be specified with PEM format, only key password may be specified (ssl.keystore.password)"},
		{source("ssl.keystore.type", "JCEKS", "ssl.keystore.location", missing, "ssl.keystore.password", "x"),
			"Invalid value JCEKS for configuration ssl.keystore.type: supported key store types are JKS, PKCS12 and PEM"},
		{source("ssl.truststore.password", "x"),
			"SSL trust store is not specified, but trust store password is specified. (ssl.truststore.location, ssl.truststore.password)"},
		{source("ssl.cipher.suites", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_BOGUS"),
			"Invalid value TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_BOGUS for configuration ssl.cipher.suites: Unsupported CipherSuite: TLS_BOGUS"},
		{source("ssl.enabled.protocols", "TLSv1.2,SSLv3"),
			"Invalid value TLSv1.2,SSLv3 for configuration ssl.enabled.protocols: Unsupported protocol SSLv3 (supported: TLSv1, TLSv1.1, TLSv1.2, TLSv1.3)"},
		{source("ssl.protocol", "TLSv9"), "Invalid value TLSv9 for configuration ssl.protocol: TLSv9 SSLContext not available"},
		{source("ssl.client.auth", "sometimes"),
			"Invalid value sometimes for configuration ssl.client.auth: String must be one of: required, requested, none"},
		{source("ssl.endpoint.identification.algorithm", "ldaps"),
			"Invalid value ldaps for configuration ssl.endpoint.identification.algorithm: only https (check the server's host name) or an empty value (no check) are supported"},
	}
	for _, c := range cases {
		_, err := Load(c.src)
		if err == nil || err.Error() != c.want {
			t.Errorf("got  %v\nwant %s", err, c.want)
		}
	}
}

// A per-listener name shows in the message instead of the plain key.
func TestErrorsNameTheConfiguredKey(t *testing.T) {
	src := func(key string) (string, string, bool) {
		if key == "ssl.keystore.location" {
			return "/nonexistent/ks.jks", "listener.name.ssl.ssl.keystore.location", true
		}
		if key == "ssl.keystore.password" {
			return "pw", "listener.name.ssl.ssl.keystore.password", true
		}
		return "", "", false
	}
	_, err := Load(src)
	if err == nil || !strings.Contains(err.Error(), "Failed to load SSL keystore /nonexistent/ks.jks of type JKS (listener.name.ssl.ssl.keystore.location)") {
		t.Fatalf("err = %v", err)
	}
}

func TestTrustStores(t *testing.T) {
	dir := t.TempDir()
	ks := genKeyPair(t, dir, "broker.p12", "PKCS12", "store-pw", "store-pw", "CN=localhost")
	jks := trustStoreFor(t, dir, ks, "store-pw", "trust.jks", "JKS", "trust-pw")
	p12 := trustStoreFor(t, dir, ks, "store-pw", "trust.p12", "PKCS12", "trust-pw")
	server, err := Load(source("ssl.keystore.location", ks, "ssl.keystore.password", "store-pw"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		src  Source
	}{
		{"jks", source("ssl.truststore.location", jks, "ssl.truststore.password", "trust-pw")},
		{"jks-without-password", source("ssl.truststore.location", jks)},
		{"pkcs12", source("ssl.truststore.type", "PKCS12", "ssl.truststore.location", p12, "ssl.truststore.password", "trust-pw")},
		{"pem-file", source("ssl.truststore.type", "PEM", "ssl.truststore.location", filepath.Join(dir, "trust.jks.crt"))},
		{"pem-inline", source("ssl.truststore.type", "PEM", "ssl.truststore.certificates", readFile(t, filepath.Join(dir, "trust.jks.crt")))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			client, err := Load(tc.src)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := handshake(t, server, client, "localhost"); err != nil {
				t.Fatalf("handshake: %v", err)
			}
		})
	}
	_, err = Load(source("ssl.truststore.location", jks, "ssl.truststore.password", "bad"))
	if err == nil || !strings.Contains(err.Error(), "Keystore was tampered with, or password was incorrect") {
		t.Fatalf("wrong trust store password: %v", err)
	}
}

// TestHostnameVerification: https (the default) checks the name the
// client dialled; an empty algorithm only checks the chain.
func TestHostnameVerification(t *testing.T) {
	dir := t.TempDir()
	ks := genKeyPair(t, dir, "broker.p12", "PKCS12", "pw1234", "pw1234", "CN=localhost")
	trust := trustStoreFor(t, dir, ks, "pw1234", "trust.p12", "PKCS12", "pw1234")
	server, err := Load(source("ssl.keystore.location", ks, "ssl.keystore.password", "pw1234"))
	if err != nil {
		t.Fatal(err)
	}
	verifying, _ := Load(source("ssl.truststore.location", trust, "ssl.truststore.password", "pw1234"))
	if _, err := handshake(t, server, verifying, "other.example"); err == nil || !strings.Contains(err.Error(), "other.example") {
		t.Fatalf("wrong host accepted: %v", err)
	}
	lax, _ := Load(source("ssl.truststore.location", trust, "ssl.truststore.password", "pw1234", "ssl.endpoint.identification.algorithm", ""))
	if _, err := handshake(t, server, lax, "other.example"); err != nil {
		t.Fatalf("no endpoint identification: %v", err)
	}
	// Still, an untrusted server fails without identification.
	other := genKeyPair(t, dir, "other.p12", "PKCS12", "pw1234", "pw1234", "CN=localhost")
	otherServer, _ := Load(source("ssl.keystore.location", other, "ssl.keystore.password", "pw1234"))
	if _, err := handshake(t, otherServer, lax, "localhost"); err == nil {
		t.Fatal("untrusted certificate accepted")
	}
}

// TestPEMKeyStore: a PKCS#8 key and chain inline or in one file; an
// encrypted key (openssl pkcs8 -topk8 -v2) with ssl.key.password.
func TestPEMKeyStore(t *testing.T) {
	ca, caKey := newCA(t)
	key, chain := newLeaf(t, ca, caKey, pkix.Name{CommonName: "localhost"})
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	keyPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	s, err := Load(source("ssl.keystore.type", "PEM", "ssl.keystore.key", keyPEM, "ssl.keystore.certificate.chain", chain))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Certificate.Certificate) != 2 {
		t.Fatalf("chain of %d certificates, want leaf and CA", len(s.Certificate.Certificate))
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "broker.pem")
	os.WriteFile(file, []byte("leading text\n"+keyPEM+chain), 0o600)
	if _, err := Load(source("ssl.keystore.type", "PEM", "ssl.keystore.location", file)); err != nil {
		t.Fatalf("PEM file: %v", err)
	}
	if _, err := Load(source("ssl.keystore.type", "PEM", "ssl.keystore.key", keyPEM)); err == nil ||
		err.Error() != "SSL private key is specified, but certificate chain is not specified. (ssl.keystore.key, ssl.keystore.certificate.chain)" {
		t.Fatalf("key without chain: %v", err)
	}

	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Log("openssl not found: encrypted PKCS#8 key not tested")
		return
	}
	plain := filepath.Join(dir, "key.pem")
	os.WriteFile(plain, []byte(keyPEM), 0o600)
	for _, args := range [][]string{
		{"-v2", "aes-256-cbc"},
		{"-v2", "aes-128-cbc", "-v2prf", "hmacWithSHA1"},
		{"-v2", "des3"},
	} {
		enc := filepath.Join(dir, "enc.pem")
		cmd := exec.Command(openssl, append([]string{"pkcs8", "-topk8", "-in", plain, "-out", enc, "-passout", "pass:key-secret"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("openssl %v: %v\n%s", args, err, out)
		}
		encPEM := readFile(t, enc)
		if _, err := Load(source("ssl.keystore.type", "PEM", "ssl.keystore.key", encPEM, "ssl.keystore.certificate.chain", chain, "ssl.key.password", "key-secret")); err != nil {
			t.Fatalf("encrypted key %v: %v", args, err)
		}
		_, err := Load(source("ssl.keystore.type", "PEM", "ssl.keystore.key", encPEM, "ssl.keystore.certificate.chain", chain, "ssl.key.password", "wrong"))
		if err == nil || !strings.HasPrefix(err.Error(), "Invalid PEM keystore configs (ssl.keystore.key, ssl.keystore.certificate.chain)") {
			t.Fatalf("encrypted key %v, wrong password: %v", args, err)
		}
	}
}

// TestCipherSuitesAndProtocols: Java names map to crypto/tls suites; the
// suites decide whether TLS 1.3 stays on.
func TestCipherSuitesAndProtocols(t *testing.T) {
	s, err := Load(source("ssl.cipher.suites", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, SSL_RSA_WITH_3DES_EDE_CBC_SHA"))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.CipherSuites) != 2 || s.CipherSuites[0] != tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 ||
		s.CipherSuites[1] != tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA || s.MaxVersion != tls.VersionTLS12 {
		t.Fatalf("suites %x max %x", s.CipherSuites, s.MaxVersion)
	}
	s, _ = Load(source("ssl.cipher.suites", "TLS_AES_128_GCM_SHA256"))
	if s.MinVersion != tls.VersionTLS13 || s.CipherSuites != nil {
		t.Fatalf("TLS 1.3 suites only: min %x suites %x", s.MinVersion, s.CipherSuites)
	}
	s, _ = Load(source())
	if s.MinVersion != tls.VersionTLS12 || s.MaxVersion != tls.VersionTLS13 || s.ClientAuth != tls.NoClientCert || !s.VerifyHostname {
		t.Fatalf("defaults %+v", s)
	}
	s, _ = Load(source("ssl.enabled.protocols", "TLSv1.2", "ssl.client.auth", "REQUIRED"))
	if s.MaxVersion != tls.VersionTLS12 || s.ClientAuth != tls.RequireAndVerifyClientCert {
		t.Fatalf("TLSv1.2 only: %+v", s)
	}
	if _, err := Load(source("ssl.enabled.protocols", "TLSv1.3", "ssl.cipher.suites", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")); err == nil {
		t.Fatal("TLS 1.3 with only TLS 1.2 suites accepted")
	}
}

// handshake runs a TLS handshake over loopback between server and client
// settings, the client dialling host; it returns the server's view.
func handshake(t *testing.T, server, client *Settings, host string) (tls.ConnectionState, error) {
	t.Helper()
	scfg, err := server.ServerConfig()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	type result struct {
		cs  tls.ConnectionState
		err error
	}
	done := make(chan result, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			done <- result{err: err}
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		tc := tls.Server(c, scfg)
		err = tc.Handshake()
		if err == nil {
			_, err = tc.Read(make([]byte, 1)) // the client's byte: the client accepted too
		}
		done <- result{tc.ConnectionState(), err}
	}()
	conn, err := net.DialTimeout("tcp", ln.Addr().String(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	tc := tls.Client(conn, ForHost(client.ClientConfig(), net.JoinHostPort(host, "9093")))
	cerr := tc.Handshake()
	if cerr == nil {
		_, cerr = tc.Write([]byte{1})
	}
	if cerr != nil {
		conn.Close()
	}
	r := <-done
	if cerr != nil {
		return r.cs, cerr
	}
	return r.cs, r.err
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// newCA makes a self-signed CA certificate.
func newCA(t *testing.T) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(der)
	return ca, key
}

// newLeaf makes a key and a certificate for subject signed by ca, valid
// for localhost and 127.0.0.1; it returns the key and the chain as PEM
// (leaf, then CA).
func newLeaf(t *testing.T, ca *x509.Certificate, caKey *ecdsa.PrivateKey, subject pkix.Name) (*ecdsa.PrivateKey, string) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: subject,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	chain := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	chain = append(chain, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Raw})...)
	return key, string(chain)
}
