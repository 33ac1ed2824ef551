package integration

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/gokafka/kafka/zkutil/zktest"
)

func zkExists(t *testing.T, connect, path string) bool {
	t.Helper()
	conn, _, err := zk.Connect([]string{connect}, 4*time.Second, zk.WithLogger(quietLogger{}))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ok, _, err := conn.Exists(path)
	if err != nil {
		t.Fatalf("zk exists %s: %v", path, err)
	}
	return ok
}

// TestBrokerStartup covers server.properties handling and the start-up
// checks: unknown keys, invalid values, --override, legacy host.name/port,
// a chroot in zookeeper.connect, a duplicate broker id, a log dir that
// belongs to another broker id, and ZooKeeper being unreachable.
func TestBrokerStartup(t *testing.T) {
	requireZooKeeper(t)
	zkc := zktest.Start(t)

	a := StartBroker(t, zkc, 1, map[string]string{"foo.bar.baz": "1"})

	t.Run("unknown-key-warns", func(t *testing.T) {
		if want := "The configuration 'foo.bar.baz' was supplied but isn't a known config."; !strings.Contains(a.Log(), want) {
			t.Errorf("broker log lacks %q", want)
		}
	})

	t.Run("invalid-value", func(t *testing.T) {
		b := NewStoppedBroker(t, zkc, 2, map[string]string{"num.partitions": "abc"})
		code, out := b.StartExpectExit(30 * time.Second)
		if code == 0 || !strings.Contains(out, "num.partitions") || !strings.Contains(out, "abc") {
			t.Errorf("num.partitions=abc: exit %d, log should name the key and the value:\n%s", code, out)
		}
	})

	t.Run("duplicate-broker-id", func(t *testing.T) {
		// A short session keeps the broker's wait for the holder to
		// expire (it might be a crashed broker 1) brief.
		b := NewStoppedBroker(t, zkc, 1, map[string]string{"zookeeper.session.timeout.ms": "3000"})
		code, out := b.StartExpectExit(40 * time.Second)
		if code == 0 || !strings.Contains(out, "/brokers/ids/1") {
			t.Errorf("second broker with id 1: exit %d, log should say /brokers/ids/1 is taken:\n%s", code, out)
		}
		if err := a.probe(); err != nil {
			t.Errorf("the first broker 1 stopped serving: %v", err)
		}
	})

	t.Run("override", func(t *testing.T) {
		b := NewStoppedBroker(t, zkc, 3, nil)
		b.SetOverrides("num.partitions=3")
		b.Start()
		cl := NewClient(t, b.Addr(), kgo.AllowAutoTopicCreation())
		if err := cl.ProduceSync(testContext(t, 20*time.Second), &kgo.Record{Topic: "overridden", Value: []byte("x")}).FirstErr(); err != nil {
			t.Fatalf("auto-create: %v", err)
		}
		WaitLeaders(t, kadmClient(t, b.Addr()), "overridden", 3)
		// Its RF-1 partitions need no moving: the stop is prompt and clean
		// (integration-findings F4).
		t0 := time.Now()
		b.Stop()
		if took := time.Since(t0); took > 5*time.Second || strings.Contains(b.Log(), "unclean shutdown") {
			t.Errorf("graceful stop of broker 3 (leader of RF-1 partitions only) took %v; unclean: %v", took,
				strings.Contains(b.Log(), "unclean shutdown"))
		}
	})

	t.Run("meta-properties-mismatch", func(t *testing.T) {
		b := StartBroker(t, zkc, 4, nil)
		b.Stop()
		b.SetProps(map[string]string{"broker.id": "40"})
		code, out := b.StartExpectExit(30 * time.Second)
		if code == 0 || !strings.Contains(out, "meta.properties") {
			t.Errorf("broker.id 40 on broker 4's log dir: exit %d, log should point at meta.properties:\n%s", code, out)
		}
		b.SetProps(map[string]string{"broker.id": "4"})
		b.Start()
		b.Stop()
	})

	t.Run("legacy-host-port", func(t *testing.T) {
		b := NewStoppedBroker(t, zkc, 5, nil)
		b.SetProps(map[string]string{"listeners": "", "host.name": "127.0.0.1", "port": fmt.Sprint(b.Port)})
		b.Start()
		b.Stop()
	})

	t.Run("chroot", func(t *testing.T) {
		b := NewStoppedBroker(t, zkc, 6, nil)
		b.SetProps(map[string]string{"zookeeper.connect": zkc + "/course/kafka"})
		b.Start()
		if !zkExists(t, zkc, "/course/kafka/brokers/ids/6") || !zkExists(t, zkc, "/course/kafka/cluster/id") {
			t.Errorf("broker with chroot /course/kafka did not register under it")
		}
		if zkExists(t, zkc, "/brokers/ids/6") {
			t.Errorf("broker with a chroot registered at the root")
		}
		b.Stop()
	})

	t.Run("advertised-listeners", func(t *testing.T) {
		b := NewStoppedBroker(t, zkc, 9, nil)
		b.SetProps(map[string]string{"advertised.listeners": fmt.Sprintf("PLAINTEXT://localhost:%d", b.Port)})
		b.Start()
		md, err := kadmClient(t, b.Addr()).BrokerMetadata(testContext(t, 10*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, br := range md.Brokers {
			if br.NodeID == 9 {
				found = true
				if br.Host != "localhost" || br.Port != int32(b.Port) {
					t.Errorf("broker 9 advertised as %s:%d, want localhost:%d", br.Host, br.Port, b.Port)
				}
			}
		}
		if !found {
			t.Errorf("broker 9 missing from Metadata: %+v", md.Brokers)
		}
		b.Stop()
	})

	t.Run("cluster-id-mismatch", func(t *testing.T) {
		// A log dir that belongs to another cluster (another ZooKeeper,
		// hence another /cluster/id) is refused.
		b := StartBroker(t, zkc, 10, nil)
		b.Stop()
		other := zktest.Start(t)
		b.SetProps(map[string]string{"zookeeper.connect": other})
		code, out := b.StartExpectExit(30 * time.Second)
		if code == 0 || !strings.Contains(out, "doesn't match stored clusterId") {
			t.Errorf("log dir of another cluster: exit %d, log should say the cluster id doesn't match:\n%s", code, out)
		}
	})

	t.Run("zookeeper-unreachable", func(t *testing.T) {
		dead := fmt.Sprintf("127.0.0.1:%d", zktest.FreePort(t))
		b := NewStoppedBroker(t, dead, 8, map[string]string{"zookeeper.connection.timeout.ms": "3000"})
		start := time.Now()
		code, out := b.StartExpectExit(40 * time.Second)
		took := time.Since(start)
		if code == 0 {
			t.Errorf("broker without ZooKeeper exited 0:\n%s", out)
		}
		if took < 2500*time.Millisecond {
			t.Errorf("broker gave up after %v, before zookeeper.connection.timeout.ms=3000", took)
		}
		if !strings.Contains(strings.ToLower(out), "zookeeper") {
			t.Errorf("log does not mention ZooKeeper:\n%s", out)
		}
	})
}
