package integration

import (
	"context"
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
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/gokafka/kafka/zkutil/zktest"
)

// saslJaas is kafka-go's docker-compose JAAS file (a KafkaServer section
// with a SCRAM and a PLAIN login module), plus a second PLAIN user.
const saslJaas = `KafkaServer {
org.apache.kafka.common.security.scram.ScramLoginModule required
 username="adminscram"
 password="admin-secret";
 org.apache.kafka.common.security.plain.PlainLoginModule required
 username="adminplain"
 password="admin-secret"
 user_adminplain="admin-secret"
 user_alice="alice-plain";
  };
`

// startSaslBroker starts one broker with a PLAINTEXT listener (also used
// between brokers) and a SASL_PLAINTEXT listener with PLAIN and
// SCRAM-SHA-256/512, its JAAS file named by KAFKA_OPTS as for Kafka's
// kafka-server-start.sh. It returns the broker and the SASL address.
func startSaslBroker(t *testing.T) (*Broker, string) {
	t.Helper()
	requireZooKeeper(t)
	zk := zktest.Start(t)
	b := NewStoppedBroker(t, zk, 1, map[string]string{"sasl.enabled.mechanisms": "PLAIN,SCRAM-SHA-256,SCRAM-SHA-512"})
	saslPort := zktest.FreePort(t)
	b.SetProps(map[string]string{"listeners": fmt.Sprintf("PLAINTEXT://127.0.0.1:%d,SASL_PLAINTEXT://127.0.0.1:%d", b.Port, saslPort)})
	jaas := filepath.Join(t.TempDir(), "kafka_server_jaas.conf")
	if err := os.WriteFile(jaas, []byte(saslJaas), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KAFKA_OPTS", "-Djava.security.auth.login.config="+jaas)
	b.Start()
	return b, fmt.Sprintf("127.0.0.1:%d", saslPort)
}

// saslRoundTrip produces records over the SASL listener with mech and reads
// them back on a second client with the same mechanism.
func saslRoundTrip(t *testing.T, b *Broker, addr string, mech sasl.Mechanism) {
	t.Helper()
	topic := fmt.Sprintf("sasl-%s-%d", strings.ToLower(mech.Name()), time.Now().UnixNano())
	CreateTopic(t, b.Addr(), topic, 1, nil)
	p := NewClient(t, addr, kgo.SASL(mech), kgo.DefaultProduceTopic(topic))
	var recs []*kgo.Record
	for i := 0; i < 10; i++ {
		recs = append(recs, &kgo.Record{Value: []byte(fmt.Sprintf("%s-%d", mech.Name(), i))})
	}
	produceSync(t, p, recs)
	c := NewClient(t, addr, kgo.SASL(mech), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	ctx := testContext(t, 30*time.Second)
	var got []string
	for len(got) < 10 {
		fs := c.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("%s: consumed %d of 10: %v", mech.Name(), len(got), fs.Errors())
		}
		fs.EachError(func(_ string, _ int32, err error) { t.Fatalf("%s: fetch: %v", mech.Name(), err) })
		fs.EachRecord(func(r *kgo.Record) { got = append(got, string(r.Value)) })
	}
	for i, v := range got {
		if want := fmt.Sprintf("%s-%d", mech.Name(), i); v != want {
			t.Fatalf("%s: record %d = %q, want %q", mech.Name(), i, v, want)
		}
	}
}

// saslFails checks that a client with mech cannot get metadata and sees
// SASL_AUTHENTICATION_FAILED with the given text.
func saslFails(t *testing.T, addr string, mech sasl.Mechanism, wantMsg string) {
	t.Helper()
	cl := NewClient(t, addr, kgo.SASL(mech), kgo.RequestRetries(0))
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	_, err := cl.Request(ctx, kmsg.NewPtrMetadataRequest())
	if !errors.Is(err, kerr.SaslAuthenticationFailed) || !strings.Contains(err.Error(), wantMsg) {
		t.Fatalf("%s with a wrong password: %v, want SASL_AUTHENTICATION_FAILED %q", mech.Name(), err, wantMsg)
	}
}

// TestSaslPlaintextListener: franz-go produces and consumes over SASL/PLAIN
// and SCRAM-SHA-256/512 (the SCRAM user created with kafka-configs.sh, live,
// with no restart); wrong passwords fail with 2.8's messages; a request
// before authentication closes the connection; the PLAINTEXT listener is
// unchanged; kcat and kafka-python authenticate with PLAIN.
func TestSaslPlaintextListener(t *testing.T) {
	b, saslAddr := startSaslBroker(t)
	// SCRAM credentials for alice, created while the broker runs.
	if out, errOut, code := Kafka(t, "configs", "--bootstrap-server", b.Addr(), "--alter", "--entity-type", "users", "--entity-name", "alice",
		"--add-config", "SCRAM-SHA-256=[iterations=8192,password=alice-256],SCRAM-SHA-512=[password=alice-512]"); code != 0 {
		t.Fatalf("kafka-configs exited %d: %s %s", code, out, errOut)
	}

	t.Run("plain", func(t *testing.T) {
		saslRoundTrip(t, b, saslAddr, plain.Auth{User: "adminplain", Pass: "admin-secret"}.AsMechanism())
		saslFails(t, saslAddr, plain.Auth{User: "adminplain", Pass: "wrong"}.AsMechanism(), "Authentication failed: Invalid username or password")
	})
	t.Run("scram-sha-256", func(t *testing.T) {
		saslRoundTrip(t, b, saslAddr, scram.Auth{User: "alice", Pass: "alice-256"}.AsSha256Mechanism())
		saslFails(t, saslAddr, scram.Auth{User: "alice", Pass: "alice-512"}.AsSha256Mechanism(),
			"Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256")
		saslFails(t, saslAddr, scram.Auth{User: "nobody", Pass: "x"}.AsSha256Mechanism(),
			"Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256")
	})
	t.Run("scram-sha-512", func(t *testing.T) {
		saslRoundTrip(t, b, saslAddr, scram.Auth{User: "alice", Pass: "alice-512"}.AsSha512Mechanism())
		saslFails(t, saslAddr, scram.Auth{User: "alice", Pass: "alice-256"}.AsSha512Mechanism(),
			"Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512")
	})
	t.Run("scram-password-change", func(t *testing.T) {
		if _, errOut, code := Kafka(t, "configs", "--bootstrap-server", b.Addr(), "--alter", "--entity-type", "users", "--entity-name", "alice",
			"--add-config", "SCRAM-SHA-256=[password=changed]"); code != 0 {
			t.Fatalf("kafka-configs exited %d: %s", code, errOut)
		}
		saslFails(t, saslAddr, scram.Auth{User: "alice", Pass: "alice-256"}.AsSha256Mechanism(),
			"Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256")
		saslRoundTrip(t, b, saslAddr, scram.Auth{User: "alice", Pass: "changed"}.AsSha256Mechanism())
	})

	t.Run("request-before-authentication", func(t *testing.T) {
		conn, err := net.Dial("tcp", saslAddr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if _, err := RoundTrip(conn, kmsg.NewPtrMetadataRequest(), 1, 5*time.Second); err == nil {
			t.Fatal("Metadata before authentication was answered")
		}
		// ApiVersions is answered, then the handshake lists the mechanisms.
		conn2, err := net.Dial("tcp", saslAddr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn2.Close()
		if _, err := RoundTrip(conn2, kmsg.NewPtrApiVersionsRequest(), 1, 5*time.Second); err != nil {
			t.Fatal(err)
		}
		hs := kmsg.NewPtrSASLHandshakeRequest()
		hs.Version, hs.Mechanism = 1, "GSSAPI"
		resp, err := RoundTrip(conn2, hs, 2, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		r := resp.(*kmsg.SASLHandshakeResponse)
		if r.ErrorCode != kerr.UnsupportedSaslMechanism.Code || strings.Join(r.SupportedMechanisms, ",") != "PLAIN,SCRAM-SHA-256,SCRAM-SHA-512" {
			t.Fatalf("GSSAPI handshake: %+v", r)
		}
	})

	t.Run("plaintext-unchanged", func(t *testing.T) {
		conn, err := net.Dial("tcp", b.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		hs := kmsg.NewPtrSASLHandshakeRequest()
		hs.Version, hs.Mechanism = 1, "PLAIN"
		resp, err := RoundTrip(conn, hs, 1, 5*time.Second)
		if err != nil || resp.(*kmsg.SASLHandshakeResponse).ErrorCode != kerr.IllegalSaslState.Code {
			t.Fatalf("SaslHandshake on PLAINTEXT: %+v %v", resp, err)
		}
		if _, err := RoundTrip(conn, kmsg.NewPtrMetadataRequest(), 2, 5*time.Second); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("kcat", func(t *testing.T) {
		auth := []string{"-b", saslAddr, "-X", "security.protocol=SASL_PLAINTEXT", "-X", "sasl.mechanisms=PLAIN",
			"-X", "sasl.username=alice", "-X", "sasl.password=alice-plain"}
		if _, errOut, code := kcat(t, "from-kcat\n", append(auth, "-P", "-t", "kcat-sasl")...); code != 0 {
			t.Fatalf("kcat -P exited %d: %s", code, errOut)
		}
		out, errOut, code := kcat(t, "", append(auth, "-C", "-t", "kcat-sasl", "-o", "beginning", "-e", "-q")...)
		if code != 0 || out != "from-kcat\n" {
			t.Fatalf("kcat -C exited %d: %q %s", code, out, errOut)
		}
		// SCRAM too (librdkafka 2.0 repeats its client nonce in the
		// client-final message, which 2.8 accepts).
		scramAuth := []string{"-b", saslAddr, "-X", "security.protocol=SASL_PLAINTEXT", "-X", "sasl.mechanisms=SCRAM-SHA-512",
			"-X", "sasl.username=alice", "-X", "sasl.password=alice-512"}
		out, errOut, code = kcat(t, "", append(scramAuth, "-C", "-t", "kcat-sasl", "-o", "beginning", "-e", "-q")...)
		if code != 0 || out != "from-kcat\n" {
			t.Fatalf("kcat SCRAM -C exited %d: %q %s", code, out, errOut)
		}
		// A wrong password fails.
		bad := []string{"-b", saslAddr, "-X", "security.protocol=SASL_PLAINTEXT", "-X", "sasl.mechanisms=PLAIN",
			"-X", "sasl.username=alice", "-X", "sasl.password=nope", "-L", "-m", "5"}
		if out, errOut, code := kcat(t, "", bad...); code == 0 {
			t.Fatalf("kcat with a wrong password succeeded: %s %s", out, errOut)
		}
	})

	t.Run("kafka-python", func(t *testing.T) {
		requirePythonKafka(t)
		script := fmt.Sprintf(`
from kafka import KafkaProducer, KafkaConsumer
kw = dict(bootstrap_servers=%q, security_protocol="SASL_PLAINTEXT", sasl_mechanism="PLAIN",
          sasl_plain_username="alice", sasl_plain_password="alice-plain")
p = KafkaProducer(**kw)
p.send("python-sasl", b"from-python").get(timeout=30)
p.close()
c = KafkaConsumer("python-sasl", auto_offset_reset="earliest", consumer_timeout_ms=10000, **kw)
print([m.value.decode() for m in c])
c.close()
`, saslAddr)
		out, errOut, code := RunCmd(t, 90*time.Second, "", systemPython, "-c", script)
		if code != 0 || strings.TrimSpace(out) != "['from-python']" {
			t.Fatalf("kafka-python exited %d: %s\n%s", code, out, errOut)
		}
	})
}

// TestSaslRefusedSettings: a SASL listener without JAAS configuration, or an
// inter-broker mechanism the listener does not enable, stops start-up with
// Kafka's message.
func TestSaslRefusedSettings(t *testing.T) {
	requireZooKeeper(t)
	zk := zktest.Start(t)
	b := NewStoppedBroker(t, zk, 1, map[string]string{"sasl.enabled.mechanisms": "PLAIN"})
	saslPort := zktest.FreePort(t)
	b.SetProps(map[string]string{
		"listeners":                      fmt.Sprintf("PLAINTEXT://127.0.0.1:%d,SASL_PLAINTEXT://127.0.0.1:%d", b.Port, saslPort),
		"security.inter.broker.protocol": "SASL_PLAINTEXT",
	})
	t.Setenv("KAFKA_OPTS", "")
	if code, out := b.StartExpectExit(30 * time.Second); code == 0 || !strings.Contains(out, "Could not find a 'KafkaServer' or 'sasl_plaintext.KafkaServer' entry in the JAAS configuration. System property 'java.security.auth.login.config' is not set") {
		t.Fatalf("no JAAS: exit %d\n%s", code, out)
	}
	jaas := filepath.Join(t.TempDir(), "jaas.conf")
	os.WriteFile(jaas, []byte(saslJaas), 0o644)
	t.Setenv("KAFKA_OPTS", "-Djava.security.auth.login.config="+jaas)
	// sasl.mechanism.inter.broker.protocol defaults to GSSAPI.
	if code, out := b.StartExpectExit(30 * time.Second); code == 0 || !strings.Contains(out, "sasl.mechanism.inter.broker.protocol must be included in sasl.enabled.mechanisms when SASL is used for inter-broker communication") {
		t.Fatalf("inter-broker GSSAPI: exit %d\n%s", code, out)
	}
}

// TestSaslInterBroker: two brokers whose inter-broker listener is
// SASL_PLAINTEXT (SCRAM-SHA-512, the broker user created with
// kafka-configs --zookeeper before start, as kafka-go's compose file does):
// the controller's requests, replica fetches and acks=all produces all go
// over authenticated connections.
func TestSaslInterBroker(t *testing.T) {
	requireZooKeeper(t)
	zk := zktest.Start(t)
	jaas := filepath.Join(t.TempDir(), "jaas.conf")
	os.WriteFile(jaas, []byte(`KafkaServer {
  org.apache.kafka.common.security.scram.ScramLoginModule required username="broker" password="broker-pw";
  org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="alice-plain";
};`), 0o644)
	t.Setenv("KAFKA_OPTS", "-Djava.security.auth.login.config="+jaas)
	if _, errOut, code := Kafka(t, "configs", "--zookeeper", zk, "--alter", "--entity-type", "users", "--entity-name", "broker",
		"--add-config", "SCRAM-SHA-512=[password=broker-pw]"); code != 0 {
		t.Fatalf("kafka-configs exited %d: %s", code, errOut)
	}
	var brokers []*Broker
	var saslAddrs []string
	for id := 1; id <= 2; id++ {
		b := NewStoppedBroker(t, zk, id, map[string]string{
			"sasl.enabled.mechanisms":              "PLAIN,SCRAM-SHA-512",
			"sasl.mechanism.inter.broker.protocol": "SCRAM-SHA-512",
			"inter.broker.listener.name":           "SASL_PLAINTEXT",
			"offsets.topic.replication.factor":     "2",
		})
		port := zktest.FreePort(t)
		b.SetProps(map[string]string{"listeners": fmt.Sprintf("PLAINTEXT://127.0.0.1:%d,SASL_PLAINTEXT://127.0.0.1:%d", b.Port, port)})
		b.Start()
		brokers = append(brokers, b)
		saslAddrs = append(saslAddrs, fmt.Sprintf("127.0.0.1:%d", port))
	}
	const topic = "sasl-replicated"
	adm := NewClient(t, brokers[0].Addr())
	createReplicatedTopic(t, adm, topic, 2, 2)
	mech := plain.Auth{User: "alice", Pass: "alice-plain"}.AsMechanism()
	p := NewClient(t, saslAddrs[1], kgo.SASL(mech), kgo.DefaultProduceTopic(topic), kgo.RequiredAcks(kgo.AllISRAcks()), kgo.DisableIdempotentWrite())
	var recs []*kgo.Record
	for i := 0; i < 20; i++ {
		recs = append(recs, &kgo.Record{Partition: int32(i % 2), Value: []byte(fmt.Sprint(i))})
	}
	produceSync(t, p, recs)
	// Both replicas of both partitions are in sync: the followers fetched
	// over SASL.
	waitISR(t, adm, topic, 2, 30*time.Second)
	for _, b := range brokers {
		if strings.Contains(b.Log(), "Failed authentication") || strings.Contains(b.Log(), "SASL authentication with") {
			t.Errorf("broker %d logged an authentication failure:\n%s", b.ID, b.Log())
		}
	}
}
