package server

import (
	"sync"
	"testing"
	"time"

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
