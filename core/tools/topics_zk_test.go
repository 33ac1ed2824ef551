package tools

import (
	"strings"
	"testing"
	"time"

	"github.com/gokafka/kafka/zkutil"
	"github.com/gokafka/kafka/zkutil/zktest"
)

// TestTopicsThroughZooKeeper runs kafka-topics --zookeeper against a real
// ZooKeeper with two registered brokers and no controller, so partition
// states are written here by hand where a controller would write them.
func TestTopicsThroughZooKeeper(t *testing.T) {
	connect := zktest.Start(t)
	zk, err := zkutil.Connect(connect, 10*time.Second, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer zk.Close()
	for _, p := range []string{zkutil.BrokerIDsPath, zkutil.TopicsPath, zkutil.DeleteTopicsPath, "/config/topics", "/config/changes"} {
		if err := zk.MakeSurePersistentPathExists(p); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []int32{1, 2} {
		b := zkutil.BrokerInfo{ID: id, Endpoints: []zkutil.EndPoint{{ListenerName: "PLAINTEXT", Host: "localhost", Port: 9090 + id, SecurityProtocol: "PLAINTEXT"}}, JmxPort: -1}
		if _, err := zk.RegisterBroker(b); err != nil {
			t.Fatal(err)
		}
	}
	zkc := []string{"--zookeeper", connect}
	run := func(args ...string) (string, string, int) {
		return topicsRun(t, append(args, zkc...)...)
	}
	expect := func(what, out string, code int, wantOut string, wantCode int) {
		t.Helper()
		if out != wantOut || code != wantCode {
			t.Errorf("%s: exit %d stdout %q, want %d %q", what, code, out, wantCode, wantOut)
		}
	}

	out, _, code := run("--create", "--topic", "first", "--partitions", "3", "--replication-factor", "2", "--config", "retention.ms=1000")
	expect("create", out, code, "Created topic first.\n", 0)
	out, _, code = run("--create", "--topic", "first", "--partitions", "1", "--replication-factor", "1")
	expect("create existing", out, code, "Error while executing topic command : Topic 'first' already exists.\n", 1)
	out, _, code = run("--create", "--topic", "first", "--partitions", "1", "--replication-factor", "1", "--if-not-exists")
	expect("create if-not-exists", out, code, "", 0)
	out, _, code = run("--create", "--topic", "wide", "--partitions", "1", "--replication-factor", "5")
	expect("create rf 5", out, code, "Error while executing topic command : Replication factor: 5 larger than available brokers: 2.\n", 1)
	out, _, code = run("--create", "--topic", "manual", "--replica-assignment", "2:1,1:2")
	expect("create manual", out, code, "Created topic manual.\n", 0)
	out, _, code = run("--list")
	expect("list", out, code, "first\nmanual\n", 0)

	a, ok, err := zk.GetTopicAssignment("first")
	if err != nil || !ok || len(a.Partitions) != 3 || len(a.Partitions[0]) != 2 || a.TopicID == "" {
		t.Fatalf("assignment %+v %v %v", a, ok, err)
	}
	// Stand in for the controller on partition 0 only.
	leader := a.Partitions[0][0]
	if err := zk.CreateRecursive(zkutil.TopicPartitionStatePath(zkutil.TopicPartition{Topic: "first", Partition: 0}),
		zkutil.EncodePartitionState(zkutil.LeaderIsr{Leader: leader, Isr: a.Partitions[0][:1], ControllerEpoch: 1})); err != nil {
		t.Fatal(err)
	}
	out, _, code = run("--describe", "--topic", "first")
	want := "Topic: first\tTopicId: " + a.TopicID + "\tPartitionCount: 3\tReplicationFactor: 2\tConfigs: retention.ms=1000\n" +
		"\tTopic: first\tPartition: 0\tLeader: " + itoa(leader) + "\tReplicas: " + joinIDs(a.Partitions[0]) + "\tIsr: " + itoa(leader) + "\n" +
		"\tTopic: first\tPartition: 1\tLeader: none\tReplicas: " + joinIDs(a.Partitions[1]) + "\tIsr: \n" +
		"\tTopic: first\tPartition: 2\tLeader: none\tReplicas: " + joinIDs(a.Partitions[2]) + "\tIsr: \n"
	expect("describe", out, code, want, 0)
	out, _, _ = run("--describe", "--topic", "first", "--under-replicated-partitions")
	if strings.Count(out, "\n") != 3 || strings.Contains(out, "PartitionCount") {
		t.Errorf("under-replicated: %q", out)
	}

	out, _, code = run("--alter", "--topic", "first", "--partitions", "4", "--config", "retention.ms=2000", "--delete-config", "retention.ms")
	expect("alter", out, code, "WARNING: Altering topic configuration from this script has been deprecated and may be removed in future releases.\n"+
		"         Going forward, please use kafka-configs.sh for this functionality\n"+
		"Updated config for topic first.\n"+
		"WARNING: If partitions are increased for a topic that has a key, the partition logic or ordering of the messages will be affected\n"+
		"Adding partitions succeeded!\n", 0)
	if a, _, _ = zk.GetTopicAssignment("first"); len(a.Partitions) != 4 {
		t.Errorf("partitions after alter: %v", a.Partitions)
	}
	if cfg, _ := zk.GetEntityConfig("topics", "first"); len(cfg) != 0 {
		t.Errorf("config after delete-config: %v", cfg)
	}
	out, _, code = run("--alter", "--topic", "first", "--partitions", "2")
	expect("shrink", out, code, "WARNING: If partitions are increased for a topic that has a key, the partition logic or ordering of the messages will be affected\n"+
		"Error while executing topic command : The number of partitions for a topic can only be increased. Topic first currently has 4 partitions, 2 would not be an increase.\n", 1)

	out, _, code = run("--delete", "--topic", "manual")
	expect("delete", out, code, "Topic manual is marked for deletion.\nNote: This will have no impact if delete.topic.enable is not set to true.\n", 0)
	out, _, code = run("--delete", "--topic", "manual")
	expect("delete again", out, code, "Topic manual is already marked for deletion.\n", 0)
	out, _, code = run("--list")
	expect("list marked", out, code, "first\nmanual - marked for deletion\n", 0)
	out, _, code = run("--delete", "--topic", "nosuch")
	expect("delete missing", out, code, "Error while executing topic command : Topic 'nosuch' does not exist as expected\n", 1)
	out, _, code = run("--delete", "--topic", "nosuch", "--if-exists")
	expect("delete missing if-exists", out, code, "", 0)
}

func itoa(n int32) string { return joinIDs([]int32{n}) }
