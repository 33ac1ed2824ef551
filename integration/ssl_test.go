package integration

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl/oauth"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/gokafka/kafka/zkutil/zktest"
)

// sslPKI is a test CA and the stores made from it: the brokers' key
// store (JKS, written by keytool as Kafka's documentation does: genkeypair,
// certreq, signed by the CA, CA and reply imported) and trust store
// (PKCS12), plus the CA as PEM for kcat and kafka-python. Without keytool
// the broker stores are PEM files.
type sslPKI struct {
	dir    string
	ca     *x509.Certificate
	caKey  *ecdsa.PrivateKey
	caPEM  string            // path of the CA certificate
	broker map[string]string // ssl.keystore.* and ssl.truststore.* for server.properties
	client map[string]string // ssl.truststore.* for a client properties file
}

const (
	sslKeystorePass   = "ks-secret"
	sslKeyPass        = "key-secret"
	sslTruststorePass = "ts-secret"
)

func newSSLPKI(t *testing.T) *sslPKI {
	t.Helper()
	p := &sslPKI{dir: t.TempDir()}
	p.caKey, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "gokafka test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &p.caKey.PublicKey, p.caKey)
	if err != nil {
		t.Fatal(err)
	}
	p.ca, _ = x509.ParseCertificate(der)
	p.caPEM = p.write(t, "ca.pem", pemCert(der))
	if _, err := exec.LookPath("keytool"); err != nil {
		t.Logf("keytool not found: the brokers use PEM stores instead of JKS/PKCS12")
		p.pemStores(t)
	} else {
		p.keytoolStores(t)
	}
	return p
}

func (p *sslPKI) write(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(p.dir, name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func pemCert(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// sign issues a certificate for pub, valid for localhost and 127.0.0.1.
func (p *sslPKI) sign(t *testing.T, subject pkix.Name, pub any) []byte {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: subject,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.ca, pub, p.caKey)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func (p *sslPKI) keytool(t *testing.T, args ...string) {
	t.Helper()
	out, errOut, code := RunCmdIn(t, p.dir, nil, 60*time.Second, "", "keytool", args...)
	if code != 0 {
		t.Fatalf("keytool %s exited %d: %s %s", strings.Join(args, " "), code, out, errOut)
	}
}

// keytoolStores makes the broker key store and the trust store with
// keytool; the key has its own password (ssl.key.password).
func (p *sslPKI) keytoolStores(t *testing.T) {
	t.Helper()
	ks := filepath.Join(p.dir, "broker.keystore.jks")
	store := []string{"-keystore", ks, "-storepass", sslKeystorePass}
	p.keytool(t, append([]string{"-genkeypair", "-alias", "broker", "-keyalg", "EC", "-groupname", "secp256r1",
		"-dname", "CN=broker,OU=brokers,O=gokafka", "-validity", "2", "-storetype", "JKS", "-keypass", sslKeyPass}, store...)...)
	p.keytool(t, append([]string{"-certreq", "-alias", "broker", "-keypass", sslKeyPass, "-file", "broker.csr"}, store...)...)
	csrPEM, err := os.ReadFile(filepath.Join(p.dir, "broker.csr"))
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(csrPEM)
	csr, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil {
		t.Fatalf("keytool's CSR: %v", err)
	}
	signed := p.write(t, "broker-signed.pem", pemCert(p.sign(t, csr.Subject, csr.PublicKey)))
	p.keytool(t, append([]string{"-importcert", "-noprompt", "-alias", "CARoot", "-file", p.caPEM}, store...)...)
	p.keytool(t, append([]string{"-importcert", "-alias", "broker", "-keypass", sslKeyPass, "-file", signed}, store...)...)
	ts := filepath.Join(p.dir, "truststore.p12")
	p.keytool(t, "-importcert", "-noprompt", "-alias", "CARoot", "-file", p.caPEM, "-storetype", "PKCS12",
		"-keystore", ts, "-storepass", sslTruststorePass)
	p.broker = map[string]string{
		"ssl.keystore.location": ks, "ssl.keystore.password": sslKeystorePass, "ssl.key.password": sslKeyPass,
		"ssl.truststore.type": "PKCS12", "ssl.truststore.location": ts, "ssl.truststore.password": sslTruststorePass,
	}
	p.client = map[string]string{"ssl.truststore.type": "PKCS12", "ssl.truststore.location": ts, "ssl.truststore.password": sslTruststorePass}
}

// pemStores is the fallback without keytool: a PEM key store file (key
// and chain) and the CA as PEM trust store.
func (p *sslPKI) pemStores(t *testing.T) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der := p.sign(t, pkix.Name{CommonName: "broker", OrganizationalUnit: []string{"brokers"}, Organization: []string{"gokafka"}}, &key.PublicKey)
	p8, _ := x509.MarshalPKCS8PrivateKey(key)
	ks := p.write(t, "broker.pem", append(append(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p8}), pemCert(der)...), pemCert(p.ca.Raw)...))
	p.broker = map[string]string{"ssl.keystore.type": "PEM", "ssl.keystore.location": ks,
		"ssl.truststore.type": "PEM", "ssl.truststore.location": p.caPEM}
	p.client = map[string]string{"ssl.truststore.type": "PEM", "ssl.truststore.location": p.caPEM}
}

// clientCert issues a client certificate and writes its key and
// certificate as PEM files (for kcat); it returns the pair and the paths.
func (p *sslPKI) clientCert(t *testing.T, name string, subject pkix.Name) (tls.Certificate, string, string) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der := p.sign(t, subject, &key.PublicKey)
	p8, _ := x509.MarshalPKCS8PrivateKey(key)
	keyPath := p.write(t, name+".key", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p8}))
	certPath := p.write(t, name+".pem", pemCert(der))
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, certPath, keyPath
}

// tlsConfig is a franz-go client's TLS: the CA as root, an optional
// client certificate.
func (p *sslPKI) tlsConfig(certs ...tls.Certificate) *tls.Config {
	roots := x509.NewCertPool()
	roots.AddCert(p.ca)
	return &tls.Config{RootCAs: roots, Certificates: certs}
}

// propsFile writes a Java-style client properties file.
func (p *sslPKI) propsFile(t *testing.T, name string, props map[string]string) string {
	t.Helper()
	var b strings.Builder
	for k, v := range props {
		fmt.Fprintf(&b, "%s=%s\n", k, v)
	}
	return p.write(t, name, []byte(b.String()))
}

func merge(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// startSSLBroker starts a broker whose listeners are PLAINTEXT (the
// harness's, also inter-broker unless props say otherwise) plus the named
// extra listeners with their security protocols; it returns their
// addresses by name.
func startSSLBroker(t *testing.T, zk string, id int, p *sslPKI, extra []string, props map[string]string) (*Broker, map[string]string) {
	t.Helper()
	b := NewStoppedBroker(t, zk, id, merge(p.broker, props))
	listeners := []string{fmt.Sprintf("PLAINTEXT://127.0.0.1:%d", b.Port)}
	protos := []string{"PLAINTEXT:PLAINTEXT"}
	addrs := map[string]string{"PLAINTEXT": b.Addr()}
	for _, l := range extra {
		name, proto, _ := strings.Cut(l, ":")
		addr := fmt.Sprintf("127.0.0.1:%d", zktest.FreePort(t))
		listeners = append(listeners, name+"://"+addr)
		protos = append(protos, name+":"+proto)
		addrs[name] = addr
	}
	b.SetProps(map[string]string{"listeners": strings.Join(listeners, ","), "listener.security.protocol.map": strings.Join(protos, ",")})
	b.Start()
	return b, addrs
}

// roundTrip produces n records to topic through producer and reads them
// back through consumer (partition 0 from the start, no group).
func sslRoundTrip(t *testing.T, topic string, n int, producer, consumer []kgo.Opt, bootstrap string) {
	t.Helper()
	p := NewClient(t, bootstrap, append(producer, kgo.DefaultProduceTopic(topic))...)
	var recs []*kgo.Record
	for i := 0; i < n; i++ {
		recs = append(recs, &kgo.Record{Value: []byte(fmt.Sprintf("%s-%d", topic, i))})
	}
	produceSync(t, p, recs)
	c := NewClient(t, bootstrap, append(consumer, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {0: kgo.NewOffset().AtStart()}}))...)
	ctx := testContext(t, 30*time.Second)
	var got []string
	for len(got) < n {
		fs := c.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("%s: consumed %d of %d: %v", topic, len(got), n, fs.Errors())
		}
		fs.EachError(func(_ string, _ int32, err error) { t.Fatalf("%s: fetch: %v", topic, err) })
		fs.EachRecord(func(r *kgo.Record) { got = append(got, string(r.Value)) })
	}
	for i, v := range got {
		if want := fmt.Sprintf("%s-%d", topic, i); v != want {
			t.Fatalf("record %d = %q, want %q", i, v, want)
		}
	}
}

// TestSSLListeners: one broker with PLAINTEXT, SSL and SASL_SSL listeners;
// franz-go, kcat, kafka-python and the Go tools talk TLS to it; SCRAM
// runs over TLS; a plaintext client on a TLS port gets nothing.
func TestSSLListeners(t *testing.T) {
	requireZooKeeper(t)
	pki := newSSLPKI(t)
	zk := zktest.Start(t)
	b, addrs := startSSLBroker(t, zk, 1, pki, []string{"SSL:SSL", "SASL_SSL:SASL_SSL"}, map[string]string{
		"listener.name.sasl_ssl.sasl.enabled.mechanisms":        "SCRAM-SHA-256",
		"listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config": `org.apache.kafka.common.security.scram.ScramLoginModule required;`,
		"listener.name.ssl.ssl.client.auth":                     "requested",
	})
	sslAddr, saslAddr := addrs["SSL"], addrs["SASL_SSL"]
	if log := b.Log(); strings.Contains(log, "does not implement") || strings.Contains(log, "served as PLAINTEXT") {
		t.Fatalf("start-up still warns about TLS:\n%s", log)
	}

	t.Run("franz-go", func(t *testing.T) {
		CreateTopic(t, b.Addr(), "ssl-franz", 1, nil)
		tlsOpt := kgo.DialTLSConfig(pki.tlsConfig())
		sslRoundTrip(t, "ssl-franz", 20, []kgo.Opt{tlsOpt}, []kgo.Opt{tlsOpt}, sslAddr)
		// With a client certificate too (ssl.client.auth=requested).
		CreateTopic(t, b.Addr(), "ssl-franz-cert", 1, nil)
		cert, _, _ := pki.clientCert(t, "franz", pkix.Name{CommonName: "franz"})
		withCert := kgo.DialTLSConfig(pki.tlsConfig(cert))
		sslRoundTrip(t, "ssl-franz-cert", 5, []kgo.Opt{withCert}, []kgo.Opt{withCert}, sslAddr)
	})

	t.Run("plaintext-client-on-ssl-port", func(t *testing.T) {
		conn, err := net.DialTimeout("tcp", sslAddr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if _, err := RoundTrip(conn, kmsg.NewPtrApiVersionsRequest(), 1, 10*time.Second); err == nil {
			t.Fatal("a plaintext ApiVersions on the SSL listener was answered")
		}
		if !waitLog(b, "Failed authentication with /127.0.0.1 (SSL handshake failed)", 10*time.Second) {
			t.Fatalf("no handshake failure logged:\n%s", b.Log())
		}
	})

	t.Run("scram-over-ssl", func(t *testing.T) {
		if _, errOut, code := Kafka(t, "configs", "--bootstrap-server", b.Addr(), "--alter", "--entity-type", "users",
			"--entity-name", "alice", "--add-config", "SCRAM-SHA-256=[password=alice-pw]"); code != 0 {
			t.Fatalf("kafka-configs exited %d: %s", code, errOut)
		}
		CreateTopic(t, b.Addr(), "sasl-ssl", 1, nil)
		auth := []kgo.Opt{kgo.DialTLSConfig(pki.tlsConfig()), kgo.SASL(scram.Auth{User: "alice", Pass: "alice-pw"}.AsSha256Mechanism())}
		sslRoundTrip(t, "sasl-ssl", 10, auth, auth, saslAddr)
		bad := NewClient(t, saslAddr, kgo.DialTLSConfig(pki.tlsConfig()), kgo.RequestRetries(0),
			kgo.SASL(scram.Auth{User: "alice", Pass: "wrong"}.AsSha256Mechanism()))
		_, err := bad.Request(testContext(t, 15*time.Second), kmsg.NewPtrMetadataRequest())
		if !errors.Is(err, kerr.SaslAuthenticationFailed) {
			t.Fatalf("wrong SCRAM password over TLS: %v", err)
		}
	})

	t.Run("kcat", func(t *testing.T) {
		tlsArgs := []string{"-b", sslAddr, "-X", "security.protocol=ssl", "-X", "ssl.ca.location=" + pki.caPEM}
		if _, errOut, code := kcat(t, "from-kcat\n", append(tlsArgs, "-P", "-t", "kcat-ssl")...); code != 0 {
			t.Fatalf("kcat -P exited %d: %s", code, errOut)
		}
		out, errOut, code := kcat(t, "", append(tlsArgs, "-C", "-t", "kcat-ssl", "-o", "beginning", "-e", "-q")...)
		if code != 0 || out != "from-kcat\n" {
			t.Fatalf("kcat -C exited %d: %q %s", code, out, errOut)
		}
		// SCRAM over TLS with librdkafka.
		saslArgs := []string{"-b", saslAddr, "-X", "security.protocol=sasl_ssl", "-X", "ssl.ca.location=" + pki.caPEM,
			"-X", "sasl.mechanisms=SCRAM-SHA-256", "-X", "sasl.username=alice", "-X", "sasl.password=alice-pw"}
		out, errOut, code = kcat(t, "", append(saslArgs, "-C", "-t", "kcat-ssl", "-o", "beginning", "-e", "-q")...)
		if code != 0 || out != "from-kcat\n" {
			t.Fatalf("kcat SASL_SSL -C exited %d: %q %s", code, out, errOut)
		}
	})

	t.Run("kafka-python", func(t *testing.T) {
		requirePythonKafka(t)
		script := fmt.Sprintf(`
from kafka import KafkaProducer, KafkaConsumer
kw = dict(bootstrap_servers=%q, security_protocol="SSL", ssl_cafile=%q)
p = KafkaProducer(**kw)
p.send("python-ssl", b"from-python").get(timeout=30)
p.close()
c = KafkaConsumer("python-ssl", auto_offset_reset="earliest", consumer_timeout_ms=10000, **kw)
print([m.value.decode() for m in c])
c.close()
`, sslAddr, pki.caPEM)
		out, errOut, code := RunCmd(t, 90*time.Second, "", systemPython, "-c", script)
		if code != 0 || strings.TrimSpace(out) != "['from-python']" {
			t.Fatalf("kafka-python exited %d: %s\n%s", code, out, errOut)
		}
	})

	t.Run("tools-command-config", func(t *testing.T) {
		cfg := pki.propsFile(t, "client-ssl.properties", merge(pki.client, map[string]string{"security.protocol": "SSL"}))
		if out, errOut, code := Kafka(t, "topics", "--bootstrap-server", sslAddr, "--command-config", cfg,
			"--create", "--topic", "tools-ssl", "--partitions", "2", "--replication-factor", "1"); code != 0 {
			t.Fatalf("kafka-topics --create exited %d: %s %s", code, out, errOut)
		}
		out, errOut, code := Kafka(t, "topics", "--bootstrap-server", sslAddr, "--command-config", cfg, "--describe", "--topic", "tools-ssl")
		if code != 0 || !strings.Contains(out, "Topic: tools-ssl") || !strings.Contains(out, "PartitionCount: 2") {
			t.Fatalf("kafka-topics --describe exited %d: %s %s", code, out, errOut)
		}
		if _, errOut, code := RunCmd(t, 60*time.Second, "a\nb\n", kafkaBin, "console-producer", "--bootstrap-server", sslAddr,
			"--producer.config", cfg, "--topic", "tools-ssl"); code != 0 {
			t.Fatalf("console-producer exited %d: %s", code, errOut)
		}
		out, errOut, code = Kafka(t, "console-consumer", "--bootstrap-server", sslAddr, "--consumer.config", cfg,
			"--topic", "tools-ssl", "--from-beginning", "--max-messages", "2", "--timeout-ms", "20000")
		if code != 0 || len(strings.Fields(out)) != 2 {
			t.Fatalf("console-consumer exited %d: %q %s", code, out, errOut)
		}
		// A trust store without our CA: the tool fails instead of
		// falling back to plaintext.
		bad := pki.propsFile(t, "client-bad.properties", map[string]string{"security.protocol": "SSL",
			"ssl.truststore.location": filepath.Join(pki.dir, "missing.jks"), "ssl.truststore.password": "x"})
		_, errOut, code = Kafka(t, "topics", "--bootstrap-server", sslAddr, "--command-config", bad, "--list")
		if code == 0 || !strings.Contains(errOut, "Failed to load SSL keystore") {
			t.Fatalf("kafka-topics with a missing trust store exited %d: %s", code, errOut)
		}
	})
}

// waitLog polls the broker log for text.
func waitLog(b *Broker, text string, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if strings.Contains(b.Log(), text) {
			return true
		}
		time.Sleep(100 * time.Millisecond)
	}
	return false
}

// TestSSLClientAuthAndACLs: with ssl.client.auth=required a client without
// certificate cannot connect; the certificate's DN, through
// ssl.principal.mapping.rules, is the principal ACLs are checked against.
func TestSSLClientAuthAndACLs(t *testing.T) {
	requireZooKeeper(t)
	pki := newSSLPKI(t)
	zk := zktest.Start(t)
	b, addrs := startSSLBroker(t, zk, 1, pki, []string{"SSL:SSL"}, map[string]string{
		"ssl.client.auth":             "required",
		"ssl.principal.mapping.rules": "RULE:^CN=([^,]+),OU=apps,O=gokafka$/$1/L,DEFAULT",
		"authorizer.class.name":       "kafka.security.authorizer.AclAuthorizer",
		"super.users":                 "User:ANONYMOUS",
	})
	sslAddr := addrs["SSL"]
	const topic = "ssl-acl"
	CreateTopic(t, b.Addr(), topic, 1, nil)

	// No certificate: the handshake fails, nothing is answered.
	anon := NewClient(t, sslAddr, kgo.DialTLSConfig(pki.tlsConfig()), kgo.RequestRetries(0))
	if _, err := anon.Request(testContext(t, 15*time.Second), kmsg.NewPtrMetadataRequest()); err == nil {
		t.Fatal("a client without certificate was served with ssl.client.auth=required")
	}

	// alice's DN maps to "alice"; bob's stays the whole DN (DEFAULT).
	alice, _, _ := pki.clientCert(t, "alice", pkix.Name{CommonName: "Alice", OrganizationalUnit: []string{"apps"}, Organization: []string{"gokafka"}})
	bob, bobCert, bobKey := pki.clientCert(t, "bob", pkix.Name{CommonName: "bob", OrganizationalUnit: []string{"ops"}, Organization: []string{"gokafka"}})
	const bobPrincipal = "User:CN=bob,OU=ops,O=gokafka"
	if _, errOut, code := Kafka(t, "acls", "--bootstrap-server", b.Addr(), "--add", "--allow-principal", "User:alice",
		"--operation", "Write", "--operation", "Describe", "--topic", topic); code != 0 {
		t.Fatalf("kafka-acls alice exited %d: %s", code, errOut)
	}
	if _, errOut, code := Kafka(t, "acls", "--bootstrap-server", b.Addr(), "--add", "--allow-principal", bobPrincipal,
		"--operation", "Read", "--topic", topic); code != 0 {
		t.Fatalf("kafka-acls bob exited %d: %s", code, errOut)
	}

	aliceOpt := kgo.DialTLSConfig(pki.tlsConfig(alice))
	bobOpt := kgo.DialTLSConfig(pki.tlsConfig(bob))
	waitAllowed(t, sslAddr, aliceOpt, topic)
	sslRoundTrip(t, topic, 5, []kgo.Opt{aliceOpt}, []kgo.Opt{bobOpt}, sslAddr)

	// bob may read but not write; the denial names his DN.
	p := NewClient(t, sslAddr, bobOpt, kgo.DefaultProduceTopic(topic), kgo.DisableIdempotentWrite(), kgo.RequestRetries(0), kgo.RecordRetries(1))
	err := p.ProduceSync(testContext(t, 20*time.Second), &kgo.Record{Value: []byte("x")}).FirstErr()
	if err == nil || !strings.Contains(err.Error(), "TOPIC_AUTHORIZATION_FAILED") {
		t.Fatalf("bob produce: %v", err)
	}
	if !waitLog(b, "Principal = "+bobPrincipal+" is Denied Operation = Write", 10*time.Second) {
		t.Errorf("no denial for %s in the authorizer log:\n%s", bobPrincipal, b.Log())
	}
	// kcat with bob's certificate reads.
	out, errOut, code := kcat(t, "", "-b", sslAddr, "-X", "security.protocol=ssl", "-X", "ssl.ca.location="+pki.caPEM,
		"-X", "ssl.certificate.location="+bobCert, "-X", "ssl.key.location="+bobKey,
		"-C", "-t", topic, "-p", "0", "-o", "beginning", "-e", "-q")
	if code != 0 || len(strings.Fields(out)) != 5 {
		t.Fatalf("kcat as bob exited %d: %q %s", code, out, errOut)
	}
}

// waitAllowed waits until the ACL just written has reached the broker's
// cache (change notifications are asynchronous).
func waitAllowed(t *testing.T, addr string, tlsOpt kgo.Opt, topic string) {
	t.Helper()
	cl := NewClient(t, addr, tlsOpt)
	deadline := time.Now().Add(20 * time.Second)
	for {
		req := kmsg.NewPtrMetadataRequest()
		rt := kmsg.NewMetadataRequestTopic()
		rt.Topic = kmsg.StringPtr(topic)
		req.Topics = append(req.Topics, rt)
		resp, err := req.RequestWith(testContext(t, 10*time.Second), cl)
		if err == nil && len(resp.Topics) == 1 && resp.Topics[0].ErrorCode == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("topic %s still not visible over TLS: %+v %v", topic, resp, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestSSLInterBroker: three brokers whose inter-broker listener is SSL,
// with client certificates required: the controller's requests and the
// replica fetchers go over TLS; an RF 3 topic takes acks=all records and
// keeps all three replicas in sync.
func TestSSLInterBroker(t *testing.T) {
	requireZooKeeper(t)
	pki := newSSLPKI(t)
	zk := zktest.Start(t)
	props := map[string]string{
		"security.inter.broker.protocol":   "SSL",
		"ssl.client.auth":                  "required",
		"offsets.topic.replication.factor": "3",
		"min.insync.replicas":              "2",
	}
	var brokers []*Broker
	var sslAddrs []string
	for id := 1; id <= 3; id++ {
		b, addrs := startSSLBroker(t, zk, id, pki, []string{"SSL:SSL"}, props)
		brokers = append(brokers, b)
		sslAddrs = append(sslAddrs, addrs["SSL"])
	}
	c := &Cluster{t: t, ZK: zk, Brokers: brokers}
	c.waitAllListed()

	const topic = "ssl-replicated"
	adm := NewClient(t, brokers[0].Addr())
	createReplicatedTopic(t, adm, topic, 3, 3)
	client, _, _ := pki.clientCert(t, "producer", pkix.Name{CommonName: "producer"})
	tlsOpt := kgo.DialTLSConfig(pki.tlsConfig(client))
	p := NewClient(t, strings.Join(sslAddrs, ","), tlsOpt, kgo.DefaultProduceTopic(topic), kgo.RequiredAcks(kgo.AllISRAcks()))
	var recs []*kgo.Record
	for i := 0; i < 60; i++ {
		recs = append(recs, &kgo.Record{Partition: int32(i % 3), Value: []byte(fmt.Sprint(i))})
	}
	produceSync(t, p, recs)
	waitISR(t, adm, topic, 3, 30*time.Second)
	for _, b := range brokers {
		if log := b.Log(); strings.Contains(log, "SSL handshake failed") || strings.Contains(log, "SSL handshake with") {
			t.Errorf("broker %d logged a TLS failure:\n%s", b.ID, log)
		}
	}
	// Every record is readable from the SSL listeners.
	cons := NewClient(t, strings.Join(sslAddrs, ","), tlsOpt, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	ctx := testContext(t, 30*time.Second)
	got := 0
	for got < len(recs) {
		fs := cons.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("consumed %d of %d: %v", got, len(recs), fs.Errors())
		}
		got += fs.NumRecords()
	}
}

// TestSSLRefusedSettings: a key store that cannot be opened stops start-up
// with Kafka's message naming the key.
func TestSSLRefusedSettings(t *testing.T) {
	requireZooKeeper(t)
	pki := newSSLPKI(t)
	if pki.broker["ssl.keystore.type"] == "PEM" {
		t.Skip("keytool not found: no JKS key store to open with a wrong password")
	}
	zk := zktest.Start(t)
	b := NewStoppedBroker(t, zk, 1, merge(pki.broker, map[string]string{"listener.name.ssl.ssl.keystore.password": "not-the-password"}))
	b.SetProps(map[string]string{"listeners": fmt.Sprintf("PLAINTEXT://127.0.0.1:%d,SSL://127.0.0.1:%d", b.Port, zktest.FreePort(t))})
	code, out := b.StartExpectExit(30 * time.Second)
	want := "Invalid SSL configuration of listener SSL: Failed to load SSL keystore " + pki.broker["ssl.keystore.location"]
	if code == 0 || !strings.Contains(out, want) || !strings.Contains(out, "(ssl.keystore.location)") {
		t.Fatalf("wrong key store password: exit %d, want %q in\n%s", code, want, out)
	}
	b.SetProps(map[string]string{"listener.name.ssl.ssl.keystore.password": "", "ssl.keystore.location": filepath.Join(pki.dir, "missing.jks")})
	if code, out := b.StartExpectExit(30 * time.Second); code == 0 || !strings.Contains(out, "missing.jks (no such file or directory)") {
		t.Fatalf("missing key store: exit %d\n%s", code, out)
	}
}

// TestSASLSSLInterBroker: two brokers whose inter-broker listener is
// SASL_SSL (PLAIN over TLS): the controller's requests and the followers'
// fetches authenticate over TLS, so an acks=all topic keeps both replicas
// in sync, and clients read the records back through SASL_SSL.
func TestSASLSSLInterBroker(t *testing.T) {
	requireZooKeeper(t)
	pki := newSSLPKI(t)
	zk := zktest.Start(t)
	props := map[string]string{
		"sasl.enabled.mechanisms":              "PLAIN",
		"sasl.mechanism.inter.broker.protocol": "PLAIN",
		"inter.broker.listener.name":           "SASL_SSL",
		"offsets.topic.replication.factor":     "2",
		"min.insync.replicas":                  "2",
		"listener.name.sasl_ssl.plain.sasl.jaas.config": `org.apache.kafka.common.security.plain.PlainLoginModule required ` +
			`username="broker" password="broker-pw" user_broker="broker-pw" user_alice="alice-pw";`,
	}
	var brokers []*Broker
	var saslAddrs []string
	for id := 1; id <= 2; id++ {
		b, addrs := startSSLBroker(t, zk, id, pki, []string{"SASL_SSL:SASL_SSL"}, props)
		brokers = append(brokers, b)
		saslAddrs = append(saslAddrs, addrs["SASL_SSL"])
	}
	c := &Cluster{t: t, ZK: zk, Brokers: brokers}
	c.waitAllListed()

	const topic = "sasl-ssl-replicated"
	adm := NewClient(t, brokers[0].Addr())
	createReplicatedTopic(t, adm, topic, 2, 2)
	opts := []kgo.Opt{kgo.DialTLSConfig(pki.tlsConfig()), kgo.SASL(plain.Auth{User: "alice", Pass: "alice-pw"}.AsMechanism())}
	p := NewClient(t, saslAddrs[1], append(opts, kgo.DefaultProduceTopic(topic), kgo.RequiredAcks(kgo.AllISRAcks()))...)
	var recs []*kgo.Record
	for i := 0; i < 40; i++ {
		recs = append(recs, &kgo.Record{Partition: int32(i % 2), Value: []byte(fmt.Sprint(i))})
	}
	produceSync(t, p, recs)
	waitISR(t, adm, topic, 2, 30*time.Second)
	for _, b := range brokers {
		if log := b.Log(); strings.Contains(log, "SSL handshake") || strings.Contains(log, "Failed authentication") {
			t.Errorf("broker %d logged a TLS or SASL failure:\n%s", b.ID, log)
		}
	}
	cons := NewClient(t, saslAddrs[0], append(opts, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))...)
	ctx := testContext(t, 30*time.Second)
	got := 0
	for got < len(recs) {
		fs := cons.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("consumed %d of %d: %v", got, len(recs), fs.Errors())
		}
		got += fs.NumRecords()
	}
}

// TestOAuthBearerOverSSL: OAUTHBEARER (2.8's unsecured tokens) on a
// SASL_SSL listener: franz-go and kcat authenticate over TLS, an expired
// token is refused.
func TestOAuthBearerOverSSL(t *testing.T) {
	requireZooKeeper(t)
	pki := newSSLPKI(t)
	zk := zktest.Start(t)
	t.Setenv("KAFKA_OPTS", "")
	_, addrs := startSSLBroker(t, zk, 1, pki, []string{"SASL_SSL:SASL_SSL"}, map[string]string{
		"sasl.enabled.mechanisms":                             "OAUTHBEARER",
		"listener.name.sasl_ssl.oauthbearer.sasl.jaas.config": oauthModule + ";",
	})
	addr := addrs["SASL_SSL"]
	tlsOpt := kgo.DialTLSConfig(pki.tlsConfig())
	CreateTopic(t, addrs["PLAINTEXT"], "oauth-ssl", 1, nil)
	sslRoundTrip(t, "oauth-ssl", 10, []kgo.Opt{tlsOpt, kgo.SASL(oauthUser("alice"))}, []kgo.Opt{tlsOpt, kgo.SASL(oauthUser("bob"))}, addr)

	// franz-go fails on the RFC 7628 error response (it expects none).
	expired := NewClient(t, addr, tlsOpt, kgo.RequestRetries(0),
		kgo.SASL(oauth.Auth{Token: unsecuredJWT("carol", time.Now().Add(-time.Hour))}.AsMechanism()))
	if err := expired.Ping(testContext(t, 15*time.Second)); err == nil {
		t.Fatal("an expired token was accepted over TLS")
	}
	// On the wire, over TLS: the error JSON, then the failure after 0x01.
	conn, err := tls.Dial("tcp", addr, pki.tlsConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	hs := kmsg.NewPtrSASLHandshakeRequest()
	hs.Version, hs.Mechanism = 1, "OAUTHBEARER"
	if _, err := RoundTrip(conn, hs, 1, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	r1 := oauthStep(t, conn, "n,,\x01auth=Bearer "+unsecuredJWT("carol", time.Now().Add(-time.Hour))+"\x01\x01", 2)
	r2 := oauthStep(t, conn, "\x01", 3)
	if string(r1.SASLAuthBytes) != `{"status":"invalid_token"}` || r2.ErrorCode != kerr.SaslAuthenticationFailed.Code {
		t.Fatalf("expired token over TLS: %+v then %+v", r1, r2)
	}

	auth := []string{"-b", addr, "-X", "security.protocol=SASL_SSL", "-X", "ssl.ca.location=" + pki.caPEM,
		"-X", "sasl.mechanisms=OAUTHBEARER", "-X", "enable.sasl.oauthbearer.unsecure.jwt=true", "-X", "sasl.oauthbearer.config=principal=alice"}
	if _, errOut, code := kcat(t, "from-kcat\n", append(auth, "-P", "-t", "oauth-ssl", "-p", "0")...); code != 0 {
		t.Fatalf("kcat -P exited %d: %s", code, errOut)
	}
	out, errOut, code := kcat(t, "", append(auth, "-C", "-t", "oauth-ssl", "-o", "-1", "-e", "-q")...)
	if code != 0 || out != "from-kcat\n" {
		t.Fatalf("kcat -C exited %d: %q %s", code, out, errOut)
	}
}
