package server

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gokafka/kafka/core/logging"
	"github.com/gokafka/kafka/core/quota"
	"github.com/gokafka/kafka/zkutil"
	"github.com/gokafka/kafka/zkutil/zktest"
)

// recordingApplier remembers which topics were refreshed, in order.
type recordingApplier struct {
	mu     sync.Mutex
	topics []string
}

func (r *recordingApplier) RefreshTopicConfig(topic string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.topics = append(r.topics, topic)
	return nil
}

func (r *recordingApplier) seen() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.topics...)
}

func waitTopics(t *testing.T, r *recordingApplier, want []string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := r.seen()
		if len(got) == len(want) {
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("refreshed %v, want %v", got, want)
				}
			}
			return
		}
		if len(got) > len(want) || time.Now().After(deadline) {
			t.Fatalf("refreshed %v, want %v", got, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestConfigChangeListenerAppliesTopicChangesInOrder(t *testing.T) {
	zk, err := zkutil.Connect(zktest.Start(t)+"/kafka", 6*time.Second, 15*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer zk.Close()
	if err := zk.CreatePersistentPaths(); err != nil {
		t.Fatal(err)
	}
	// A notification present before start is handled at start-up.
	if err := zk.CreateConfigChangeNotification("topics/before"); err != nil {
		t.Fatal(err)
	}
	r := &recordingApplier{}
	done := make(chan struct{})
	defer close(done)
	NewConfigChangeListener(zk, r, done).Start()
	waitTopics(t, r, []string{"before"})

	for _, p := range []string{"topics/a", "brokers/1", "topics/b"} {
		if err := zk.CreateConfigChangeNotification(p); err != nil {
			t.Fatal(err)
		}
	}
	// Broker entities are not applied to topics; each topic once, in order.
	waitTopics(t, r, []string{"before", "a", "b"})
}

func TestNotificationSeq(t *testing.T) {
	got := sortedNotifications([]string{"config_change_0000000010", "junk", "config_change_0000000002"})
	if len(got) != 2 || got[0] != "config_change_0000000002" || notificationSeq(got[1]) != 10 {
		t.Fatalf("sorted %v", got)
	}
}

func TestClientQuotasLoadedAndAppliedLive(t *testing.T) {
	zk, err := zkutil.Connect(zktest.Start(t)+"/kafka", 6*time.Second, 15*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer zk.Close()
	if err := zk.CreatePersistentPaths(); err != nil {
		t.Fatal(err)
	}
	for path, cfg := range map[string]map[string]string{
		"clients/c1":                 {"producer_byte_rate": "1024"},
		"users/alice":                {"consumer_byte_rate": "2048", "SCRAM-SHA-256": "salt=x"},
		"users/alice/clients/c2":     {"request_percentage": "25.0"},
		"users/<default>/clients/c3": {"producer_byte_rate": "10"},
	} {
		typ, name, _ := strings.Cut(path, "/")
		if err := zk.SetOrCreateEntityConfig(typ, name, cfg); err != nil {
			t.Fatal(err)
		}
	}
	q := quota.NewManagers(quota.ManagersConfig{NumSamples: 11, WindowSize: time.Second})
	if err := LoadClientQuotas(zk, q); err != nil {
		t.Fatal(err)
	}
	if got := q.Produce.Quota("ANONYMOUS", "c1"); got != 1024 {
		t.Fatalf("clients/c1 producer quota = %v", got)
	}
	if got := q.Fetch.Quota("alice", "other"); got != 2048 {
		t.Fatalf("users/alice consumer quota = %v", got)
	}
	if got := q.Request.Quota("alice", "c2"); got != 25 {
		t.Fatalf("users/alice/clients/c2 request quota = %v", got)
	}
	if got := q.Produce.Quota("bob", "c3"); got != 10 {
		t.Fatalf("users/<default>/clients/c3 producer quota = %v", got)
	}

	s := &KafkaServer{zk: zk, quotas: q, log: logging.For("test")}
	done := make(chan struct{})
	defer close(done)
	l := NewConfigChangeListener(zk, &recordingApplier{}, done)
	s.watchQuotaConfigs(l)
	l.Start()
	// A change written with its notification reaches the managers.
	if err := zk.SetOrCreateEntityConfig("clients", "c1", map[string]string{"producer_byte_rate": "4096"}); err != nil {
		t.Fatal(err)
	}
	if err := zk.CreateConfigChangeNotification("clients/c1"); err != nil {
		t.Fatal(err)
	}
	if err := zk.SetOrCreateEntityConfig("users", "alice/clients/c2", map[string]string{}); err != nil {
		t.Fatal(err)
	}
	if err := zk.CreateConfigChangeNotification("users/alice/clients/c2"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for q.Produce.Quota("ANONYMOUS", "c1") != 4096 || q.Request.Quota("alice", "c2") != quota.NoQuota {
		if time.Now().After(deadline) {
			t.Fatalf("changes not applied: c1 producer %v, alice/c2 request %v",
				q.Produce.Quota("ANONYMOUS", "c1"), q.Request.Quota("alice", "c2"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}
