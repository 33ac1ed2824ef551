package integration

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/oauth"
	"github.com/twmb/franz-go/pkg/sasl/plain"

	"github.com/gokafka/kafka/zkutil/zktest"
)

const oauthModule = "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required"

// unsecuredJWT is a token as 2.8's unsecured validator wants it: header
// {"alg":"none"}, claims sub/exp/iat, empty signature.
func unsecuredJWT(sub string, exp time.Time) string {
	e := base64.RawURLEncoding
	claims := fmt.Sprintf(`{"sub":%q,"iat":%d,"exp":%d}`, sub, time.Now().Add(-time.Minute).Unix(), exp.Unix())
	return e.EncodeToString([]byte(`{"alg":"none"}`)) + "." + e.EncodeToString([]byte(claims)) + "."
}

func oauthUser(sub string) sasl.Mechanism {
	return oauth.Auth{Token: unsecuredJWT(sub, time.Now().Add(time.Hour))}.AsMechanism()
}

// startOAuthBroker starts a broker with a PLAINTEXT listener (between
// brokers, tools as User:ANONYMOUS) and a SASL_PLAINTEXT listener enabling
// PLAIN and OAUTHBEARER through listener-prefixed JAAS settings. It
// returns the broker and the SASL address.
func startOAuthBroker(t *testing.T, props map[string]string) (*Broker, string) {
	t.Helper()
	requireZooKeeper(t)
	zk := zktest.Start(t)
	all := map[string]string{
		"sasl.enabled.mechanisms":                                   "PLAIN,OAUTHBEARER",
		"listener.name.sasl_plaintext.plain.sasl.jaas.config":       `org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="alice-secret";`,
		"listener.name.sasl_plaintext.oauthbearer.sasl.jaas.config": oauthModule + ` unsecuredLoginStringClaim_sub="broker";`,
	}
	for k, v := range props {
		all[k] = v
	}
	t.Setenv("KAFKA_OPTS", "")
	b := NewStoppedBroker(t, zk, 1, all)
	port := zktest.FreePort(t)
	b.SetProps(map[string]string{
		"listeners":                  fmt.Sprintf("PLAINTEXT://127.0.0.1:%d,SASL_PLAINTEXT://127.0.0.1:%d", b.Port, port),
		"inter.broker.listener.name": "PLAINTEXT",
	})
	b.Start()
	return b, fmt.Sprintf("127.0.0.1:%d", port)
}

// TestOAuthBearerListener: franz-go (OAUTHBEARER and PLAIN side by side),
// kcat with librdkafka's unsecured JWT, kafka-topics with
// --command-config and kafka-python all authenticate; an expired token is
// refused with the RFC 7628 error and then SASL_AUTHENTICATION_FAILED.
func TestOAuthBearerListener(t *testing.T) {
	b, addr := startOAuthBroker(t, nil)

	t.Run("franz-go", func(t *testing.T) {
		saslRoundTrip(t, b, addr, oauthUser("alice"))
		saslRoundTrip(t, b, addr, plain.Auth{User: "alice", Pass: "alice-secret"}.AsMechanism())
	})

	t.Run("expired-token", func(t *testing.T) {
		expired := oauth.Auth{Token: unsecuredJWT("alice", time.Now().Add(-time.Minute))}.AsMechanism()
		cl := NewClient(t, addr, kgo.SASL(expired), kgo.RequestRetries(0))
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		if _, err := cl.Request(ctx, kmsg.NewPtrMetadataRequest()); err == nil {
			t.Fatal("an expired token was accepted")
		}
		// On the wire: the error JSON as a challenge, then the failure
		// after the client's 0x01.
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		hs := kmsg.NewPtrSASLHandshakeRequest()
		hs.Version, hs.Mechanism = 1, "OAUTHBEARER"
		if _, err := RoundTrip(conn, hs, 1, 5*time.Second); err != nil {
			t.Fatal(err)
		}
		first := "n,,\x01auth=Bearer " + unsecuredJWT("alice", time.Now().Add(-time.Minute)) + "\x01\x01"
		r1 := oauthStep(t, conn, first, 2)
		if r1.ErrorCode != 0 || string(r1.SASLAuthBytes) != `{"status":"invalid_token"}` {
			t.Fatalf("expired token: %+v", r1)
		}
		r2 := oauthStep(t, conn, "\x01", 3)
		if r2.ErrorCode != kerr.SaslAuthenticationFailed.Code || r2.ErrorMessage == nil || *r2.ErrorMessage != `{"status":"invalid_token"}` {
			t.Fatalf("after 0x01: %+v", r2)
		}
	})

	t.Run("kcat", func(t *testing.T) {
		auth := []string{"-b", addr, "-X", "security.protocol=SASL_PLAINTEXT", "-X", "sasl.mechanisms=OAUTHBEARER",
			"-X", "enable.sasl.oauthbearer.unsecure.jwt=true", "-X", "sasl.oauthbearer.config=principal=alice"}
		if _, errOut, code := kcat(t, "from-kcat\n", append(auth, "-P", "-t", "kcat-oauth")...); code != 0 {
			t.Fatalf("kcat -P exited %d: %s", code, errOut)
		}
		out, errOut, code := kcat(t, "", append(auth, "-C", "-t", "kcat-oauth", "-o", "beginning", "-e", "-q")...)
		if code != 0 || out != "from-kcat\n" {
			t.Fatalf("kcat -C exited %d: %q %s", code, out, errOut)
		}
	})

	t.Run("tools-command-config", func(t *testing.T) {
		cfg := filepath.Join(t.TempDir(), "client-oauth.properties")
		os.WriteFile(cfg, []byte("security.protocol=SASL_PLAINTEXT\nsasl.mechanism=OAUTHBEARER\n"+
			"sasl.jaas.config="+oauthModule+` unsecuredLoginStringClaim_sub="alice";`+"\n"), 0o644)
		if out, errOut, code := Kafka(t, "topics", "--bootstrap-server", addr, "--command-config", cfg,
			"--create", "--topic", "tools-oauth", "--partitions", "2", "--replication-factor", "1"); code != 0 {
			t.Fatalf("kafka-topics --create exited %d: %s %s", code, out, errOut)
		}
		out, errOut, code := Kafka(t, "topics", "--bootstrap-server", addr, "--command-config", cfg, "--describe", "--topic", "tools-oauth")
		if code != 0 || !strings.Contains(out, "Topic: tools-oauth") || !strings.Contains(out, "PartitionCount: 2") {
			t.Fatalf("kafka-topics --describe exited %d: %s %s", code, out, errOut)
		}
	})

	t.Run("kafka-python", func(t *testing.T) {
		requirePythonKafka(t)
		script := fmt.Sprintf(`
from kafka import KafkaProducer, KafkaConsumer
from kafka.oauth import AbstractTokenProvider
class Tokens(AbstractTokenProvider):
    def token(self):
        return %q
kw = dict(bootstrap_servers=%q, security_protocol="SASL_PLAINTEXT", sasl_mechanism="OAUTHBEARER",
          sasl_oauth_token_provider=Tokens())
p = KafkaProducer(**kw)
p.send("python-oauth", b"from-python").get(timeout=30)
p.close()
c = KafkaConsumer("python-oauth", auto_offset_reset="earliest", consumer_timeout_ms=10000, **kw)
print([m.value.decode() for m in c])
c.close()
`, unsecuredJWT("alice", time.Now().Add(time.Hour)), addr)
		out, errOut, code := RunCmd(t, 90*time.Second, "", systemPython, "-c", script)
		if code != 0 || strings.TrimSpace(out) != "['from-python']" {
			t.Fatalf("kafka-python exited %d: %s\n%s", code, out, errOut)
		}
	})
}

// oauthStep sends one SaslAuthenticate v1 request.
func oauthStep(t *testing.T, conn net.Conn, token string, corr int32) *kmsg.SASLAuthenticateResponse {
	t.Helper()
	a := kmsg.NewPtrSASLAuthenticateRequest()
	a.Version, a.SASLAuthBytes = 1, []byte(token)
	resp, err := RoundTrip(conn, a, corr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return resp.(*kmsg.SASLAuthenticateResponse)
}

// TestOAuthBearerAcl: the connection's principal is User:<sub>, which
// AclAuthorizer checks: alice may write only once an ACL names her, bob
// stays denied.
func TestOAuthBearerAcl(t *testing.T) {
	b, addr := startOAuthBroker(t, map[string]string{
		"authorizer.class.name": "kafka.security.authorizer.AclAuthorizer",
		"super.users":           "User:ANONYMOUS",
	})
	const topic = "oauth-acl"
	CreateTopic(t, b.Addr(), topic, 1, nil)
	produce := func(sub string) error {
		cl := NewClient(t, addr, kgo.SASL(oauthUser(sub)), kgo.DefaultProduceTopic(topic), kgo.RequestRetries(0))
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		return cl.ProduceSync(ctx, &kgo.Record{Value: []byte(sub)}).FirstErr()
	}
	if err := produce("alice"); !errors.Is(err, kerr.TopicAuthorizationFailed) {
		t.Fatalf("alice before the ACL: %v", err)
	}
	admin := NewClient(t, b.Addr())
	for _, op := range []kmsg.ACLOperation{kmsg.ACLOperationWrite, kmsg.ACLOperationDescribe} {
		createACL(t, admin, kmsg.ACLResourceTypeTopic, topic, kmsg.ACLResourcePatternTypeLiteral, "User:alice", op, kmsg.ACLPermissionTypeAllow)
	}
	deadline := time.Now().Add(20 * time.Second)
	for err := produce("alice"); err != nil; err = produce("alice") {
		if time.Now().After(deadline) {
			t.Fatalf("alice with the ACL: %v", err)
		}
		time.Sleep(300 * time.Millisecond)
	}
	if err := produce("bob"); !errors.Is(err, kerr.TopicAuthorizationFailed) {
		t.Fatalf("bob: %v", err)
	}
	for !strings.Contains(b.Log(), "Principal = User:bob is Denied") {
		if time.Now().After(deadline.Add(10 * time.Second)) {
			t.Fatalf("no denial of User:bob in the authorizer log:\n%s", b.Log())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestOAuthBearerInterBroker: two brokers whose inter-broker listener is
// SASL_PLAINTEXT with sasl.mechanism.inter.broker.protocol=OAUTHBEARER,
// the broker's token made from the KafkaServer section of the JAAS file:
// replicas stay in sync under acks=all produces.
func TestOAuthBearerInterBroker(t *testing.T) {
	requireZooKeeper(t)
	zk := zktest.Start(t)
	jaas := filepath.Join(t.TempDir(), "jaas.conf")
	os.WriteFile(jaas, []byte("KafkaServer {\n  "+oauthModule+` unsecuredLoginStringClaim_sub="broker";`+"\n};\n"), 0o644)
	t.Setenv("KAFKA_OPTS", "-Djava.security.auth.login.config="+jaas)
	var brokers []*Broker
	var saslAddrs []string
	for id := 1; id <= 2; id++ {
		b := NewStoppedBroker(t, zk, id, map[string]string{
			"sasl.enabled.mechanisms":              "OAUTHBEARER",
			"sasl.mechanism.inter.broker.protocol": "OAUTHBEARER",
			"inter.broker.listener.name":           "SASL_PLAINTEXT",
			"offsets.topic.replication.factor":     "2",
		})
		port := zktest.FreePort(t)
		b.SetProps(map[string]string{"listeners": fmt.Sprintf("PLAINTEXT://127.0.0.1:%d,SASL_PLAINTEXT://127.0.0.1:%d", b.Port, port)})
		b.Start()
		brokers = append(brokers, b)
		saslAddrs = append(saslAddrs, fmt.Sprintf("127.0.0.1:%d", port))
	}
	const topic = "oauth-replicated"
	adm := NewClient(t, brokers[0].Addr())
	createReplicatedTopic(t, adm, topic, 2, 2)
	p := NewClient(t, saslAddrs[1], kgo.SASL(oauthUser("alice")), kgo.DefaultProduceTopic(topic),
		kgo.RequiredAcks(kgo.AllISRAcks()), kgo.DisableIdempotentWrite())
	var recs []*kgo.Record
	for i := 0; i < 20; i++ {
		recs = append(recs, &kgo.Record{Partition: int32(i % 2), Value: []byte(fmt.Sprint(i))})
	}
	produceSync(t, p, recs)
	waitISR(t, adm, topic, 2, 30*time.Second)
	for _, b := range brokers {
		if strings.Contains(b.Log(), "Failed authentication") || strings.Contains(b.Log(), "SASL authentication with") {
			t.Errorf("broker %d logged an authentication failure:\n%s", b.ID, b.Log())
		}
	}
}

// TestOAuthBearerCustomHandlerRefused: a custom server callback handler
// (a Java class this broker cannot load) stops start-up naming the key,
// rather than falling back to accepting unsecured tokens.
func TestOAuthBearerCustomHandlerRefused(t *testing.T) {
	requireZooKeeper(t)
	zk := zktest.Start(t)
	const key = "listener.name.sasl_plaintext.oauthbearer.sasl.server.callback.handler.class"
	t.Setenv("KAFKA_OPTS", "")
	b := NewStoppedBroker(t, zk, 1, map[string]string{
		"sasl.enabled.mechanisms":                                   "OAUTHBEARER",
		"listener.name.sasl_plaintext.oauthbearer.sasl.jaas.config": oauthModule + ";",
		key: "com.example.JwtValidator",
	})
	port := zktest.FreePort(t)
	b.SetProps(map[string]string{"listeners": fmt.Sprintf("PLAINTEXT://127.0.0.1:%d,SASL_PLAINTEXT://127.0.0.1:%d", b.Port, port)})
	if code, out := b.StartExpectExit(30 * time.Second); code == 0 || !strings.Contains(out, "Invalid value com.example.JwtValidator for configuration "+key) {
		t.Fatalf("exit %d\n%s", code, out)
	}
}
