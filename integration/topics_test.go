package integration

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// topicsTool runs `kafka topics` with the connection flag (either
// --bootstrap-server host:port or --zookeeper host:port) and args.
func topicsTool(t *testing.T, conn []string, args ...string) (string, string, int) {
	t.Helper()
	return Kafka(t, append(append([]string{"topics"}, conn...), args...)...)
}

// expectTool compares a tool run's stdout and exit code with the expected
// text, showing both in full on mismatch.
func expectTool(t *testing.T, what string, stdout, stderr string, code int, wantOut string, wantCode int) bool {
	t.Helper()
	if stdout != wantOut || code != wantCode {
		t.Errorf("%s: exit %d (want %d)\nstdout:\n%q\nwant:\n%q\nstderr:\n%s", what, code, wantCode, stdout, wantOut, stderr)
		return false
	}
	return true
}

// kafkaUUID renders a topic id as Kafka's Uuid.toString does: URL-safe
// base64 without padding.
func kafkaUUID(id kadm.TopicID) string { return base64.RawURLEncoding.EncodeToString(id[:]) }

func topicID(t *testing.T, adm *kadm.Client, topic string) string {
	t.Helper()
	md, err := adm.Metadata(testContext(t, 10*time.Second), topic)
	if err != nil {
		t.Fatalf("metadata %s: %v", topic, err)
	}
	id := md.Topics[topic].ID
	if id == (kadm.TopicID{}) {
		t.Errorf("topic %s has no topic id in Metadata (Kafka 2.8 assigns one)", topic)
	}
	return kafkaUUID(id)
}

// describeText is 2.8's --describe output for a single-broker topic whose
// partitions all lead on broker 1.
func describeText(topic, id string, partitions int, configs string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Topic: %s\tTopicId: %s\tPartitionCount: %d\tReplicationFactor: 1\tConfigs: %s\n", topic, id, partitions, configs)
	for p := 0; p < partitions; p++ {
		fmt.Fprintf(&b, "\tTopic: %s\tPartition: %d\tLeader: 1\tReplicas: 1\tIsr: 1\n", topic, p)
	}
	return b.String()
}

// TestTopicsTool drives `kafka topics` (kafka-topics.sh) through both
// connection modes and compares the output with Kafka 2.8's text.
func TestTopicsTool(t *testing.T) {
	c := StartCluster(t, map[string]string{"num.partitions": "2"})
	bs := []string{"--bootstrap-server", c.Bootstrap()}
	zkc := []string{"--zookeeper", c.ZK}
	adm := kadm.NewClient(NewClient(t, c.Bootstrap()))

	t.Run("bootstrap-server", func(t *testing.T) {
		out, errOut, code := topicsTool(t, bs, "--create", "--topic", "first", "--partitions", "3", "--replication-factor", "1")
		if !expectTool(t, "create first", out, errOut, code, "Created topic first.\n", 0) {
			t.FailNow()
		}
		WaitLeaders(t, adm, "first", 3)

		out, errOut, code = topicsTool(t, bs, "--create", "--topic", "second", "--partitions", "1", "--replication-factor", "1",
			"--config", "segment.bytes=104857600")
		expectTool(t, "create second", out, errOut, code, "Created topic second.\n", 0)
		WaitLeaders(t, adm, "second", 1)

		out, errOut, code = topicsTool(t, bs, "--list")
		expectTool(t, "list", out, errOut, code, "first\nsecond\n", 0)

		id := topicID(t, adm, "first")
		out, errOut, code = topicsTool(t, bs, "--describe", "--topic", "first")
		expectTool(t, "describe first", out, errOut, code, describeText("first", id, 3, "segment.bytes=1073741824"), 0)

		// A topic override replaces the broker default in Configs (one
		// entry, so the broker's config order does not matter).
		id2 := topicID(t, adm, "second")
		out, errOut, code = topicsTool(t, bs, "--describe", "--topic", "second")
		expectTool(t, "describe second", out, errOut, code,
			describeText("second", id2, 1, "segment.bytes=104857600"), 0)

		out, errOut, code = topicsTool(t, bs, "--create", "--topic", "first", "--partitions", "1", "--replication-factor", "1")
		expectTool(t, "create existing", out, errOut, code,
			"Error while executing topic command : Topic 'first' already exists.\n", 1)

		out, errOut, code = topicsTool(t, bs, "--create", "--topic", "wide", "--partitions", "1", "--replication-factor", "5")
		expectTool(t, "create rf 5", out, errOut, code,
			"Error while executing topic command : Replication factor: 5 larger than available brokers: 1.\n", 1)

		out, errOut, code = topicsTool(t, bs, "--describe", "--topic", "nosuch")
		expectTool(t, "describe missing", out, errOut, code,
			"Error while executing topic command : Topic 'nosuch' does not exist as expected\n", 1)

		out, errOut, code = topicsTool(t, bs, "--delete", "--topic", "second")
		expectTool(t, "delete second", out, errOut, code, "", 0)
		waitTopicList(t, bs, "first\n")
	})

	t.Run("zookeeper", func(t *testing.T) {
		out, errOut, code := topicsTool(t, zkc, "--create", "--topic", "zfirst", "--partitions", "2", "--replication-factor", "1")
		if !expectTool(t, "zk create", out, errOut, code, "Created topic zfirst.\n", 0) {
			t.FailNow()
		}
		WaitLeaders(t, adm, "zfirst", 2)

		out, errOut, code = topicsTool(t, zkc, "--list")
		expectTool(t, "zk list", out, errOut, code, "first\nzfirst\n", 0)

		// Through ZooKeeper only topic overrides count as configs.
		id := topicID(t, adm, "zfirst")
		out, errOut, code = topicsTool(t, zkc, "--describe", "--topic", "zfirst")
		expectTool(t, "zk describe", out, errOut, code, describeText("zfirst", id, 2, ""), 0)

		out, errOut, code = topicsTool(t, zkc, "--create", "--topic", "zfirst", "--partitions", "1", "--replication-factor", "1")
		expectTool(t, "zk create existing", out, errOut, code,
			"Error while executing topic command : Topic 'zfirst' already exists.\n", 1)

		out, errOut, code = topicsTool(t, zkc, "--create", "--topic", "zwide", "--partitions", "1", "--replication-factor", "5")
		expectTool(t, "zk create rf 5", out, errOut, code,
			"Error while executing topic command : Replication factor: 5 larger than available brokers: 1.\n", 1)

		out, errOut, code = topicsTool(t, zkc, "--delete", "--topic", "zfirst")
		expectTool(t, "zk delete", out, errOut, code,
			"Topic zfirst is marked for deletion.\nNote: This will have no impact if delete.topic.enable is not set to true.\n", 0)
		waitTopicList(t, zkc, "first\n")
		WaitZNodeGone(t, c.ZK, "/admin/delete_topics/zfirst", 30*time.Second)
	})

	t.Run("auto-create-on-produce", func(t *testing.T) {
		cl := NewClient(t, c.Bootstrap(), kgo.AllowAutoTopicCreation())
		ctx := testContext(t, 30*time.Second)
		if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "auto", Value: []byte("hello")}).FirstErr(); err != nil {
			t.Fatalf("produce to unknown topic with auto create on: %v", err)
		}
		WaitLeaders(t, adm, "auto", 2) // num.partitions=2
		id := topicID(t, adm, "auto")
		out, errOut, code := topicsTool(t, bs, "--describe", "--topic", "auto")
		expectTool(t, "describe auto", out, errOut, code, describeText("auto", id, 2, "segment.bytes=1073741824"), 0)
		got := ConsumeAll(t, c.Bootstrap(), "auto", 30*time.Second)
		n := 0
		for _, rs := range got {
			for _, r := range rs {
				n++
				if string(r.Value) != "hello" {
					t.Errorf("auto: read %q", r.Value)
				}
			}
		}
		if n != 1 {
			t.Errorf("auto: read %d records, want 1", n)
		}
	})
}

// waitTopicList polls --list until it prints want (deletion is async).
func waitTopicList(t *testing.T, conn []string, want string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var out, errOut string
	var code int
	for time.Now().Before(deadline) {
		out, errOut, code = topicsTool(t, conn, "--list")
		if out == want && code == 0 {
			return
		}
		time.Sleep(300 * time.Millisecond)
	}
	t.Errorf("--list still prints %q (exit %d, stderr %s), want %q", out, code, errOut, want)
}

// TestDeleteTopicDisabled: with delete.topic.enable=false a delete through
// the admin API fails with TOPIC_DELETION_DISABLED and one through
// ZooKeeper is dropped by the controller; either way the topic and its
// data stay.
func TestDeleteTopicDisabled(t *testing.T) {
	c := StartCluster(t, map[string]string{"delete.topic.enable": "false"})
	CreateTopic(t, c.Bootstrap(), "keeper", 1, nil)
	cl := NewClient(t, c.Bootstrap())
	if err := cl.ProduceSync(testContext(t, 10*time.Second), &kgo.Record{Topic: "keeper", Value: []byte("kept")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := topicsTool(t, []string{"--bootstrap-server", c.Bootstrap()}, "--delete", "--topic", "keeper")
	if code != 1 || !strings.Contains(out, "Topic deletion is disabled.") {
		t.Errorf("delete with deletion disabled: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	out, errOut, code = topicsTool(t, []string{"--zookeeper", c.ZK}, "--delete", "--topic", "keeper")
	expectTool(t, "zk delete with deletion disabled", out, errOut, code,
		"Topic keeper is marked for deletion.\nNote: This will have no impact if delete.topic.enable is not set to true.\n", 0)
	// The controller drops the request (Kafka removes the
	// /admin/delete_topics entry when deletion is disabled).
	WaitZNodeGone(t, c.ZK, "/admin/delete_topics/keeper", 20*time.Second)
	out, errOut, code = topicsTool(t, []string{"--zookeeper", c.ZK}, "--list")
	expectTool(t, "zk list", out, errOut, code, "keeper\n", 0)
	got := ConsumeAll(t, c.Bootstrap(), "keeper", 20*time.Second)
	if len(got[0]) != 1 || string(got[0][0].Value) != "kept" {
		t.Errorf("topic data after refused deletions: %d records", len(got[0]))
	}
}
