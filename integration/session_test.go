package integration

import (
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/gokafka/kafka/zkutil/zktest"
)

// znodeOwner returns the ephemeral owner (session id) of path, or 0.
func znodeOwner(t *testing.T, connect, path string) int64 {
	t.Helper()
	conn, _, err := zk.Connect([]string{connect}, 4*time.Second, zk.WithLogger(quietLogger{}))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ok, st, err := conn.Exists(path)
	if err != nil || !ok {
		return 0
	}
	return st.EphemeralOwner
}

// TestZooKeeperSessionExpiry cuts the broker off from ZooKeeper for longer
// than its session timeout: ZooKeeper expires the session and drops the
// broker's ephemeral znodes. When the connection comes back the broker
// must open a new session, register again, become controller again, and
// keep serving (also requests that need the controller).
func TestZooKeeperSessionExpiry(t *testing.T) {
	requireZooKeeper(t)
	zkc := zktest.Start(t)
	proxy := zktest.NewProxy(t, zkc)
	b := StartBroker(t, proxy.Addr, 1, map[string]string{"zookeeper.session.timeout.ms": "2000"})
	CreateTopic(t, b.Addr(), "before", 1, nil)
	cl := NewClient(t, b.Addr())
	if err := cl.ProduceSync(testContext(t, 20*time.Second), &kgo.Record{Topic: "before", Value: []byte("1")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	owner := znodeOwner(t, zkc, "/brokers/ids/1")
	if owner == 0 {
		t.Fatal("/brokers/ids/1 missing before the cut")
	}

	proxy.Block()
	WaitZNodeGone(t, zkc, "/brokers/ids/1", 20*time.Second)
	time.Sleep(500 * time.Millisecond)
	proxy.Unblock()

	deadline := time.Now().Add(40 * time.Second)
	for {
		o := znodeOwner(t, zkc, "/brokers/ids/1")
		c := znodeOwner(t, zkc, "/controller")
		if o != 0 && o != owner && c == o {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("40s after ZooKeeper came back: /brokers/ids/1 owner %x (old %x), /controller owner %x", o, owner, c)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if !b.Running() {
		t.Fatal("broker exited after its ZooKeeper session expired")
	}
	// Needs the controller: a new topic gets a leader.
	CreateTopic(t, b.Addr(), "after", 2, nil)
	for _, topic := range []string{"before", "after"} {
		if err := cl.ProduceSync(testContext(t, 20*time.Second), &kgo.Record{Topic: topic, Value: []byte("2")}).FirstErr(); err != nil {
			t.Errorf("produce to %s after the session expiry: %v", topic, err)
		}
	}
	got := ConsumeAll(t, b.Addr(), "before", 20*time.Second)
	if n := len(got[0]); n != 2 {
		t.Errorf("topic before holds %d records, want 2", n)
	}
}
