package admin

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/gokafka/kafka/zkutil"
	"github.com/gokafka/kafka/zkutil/zktest"
)

func liveZk(t *testing.T) *zkutil.Client {
	t.Helper()
	zk, err := zkutil.Connect(zktest.Start(t)+"/kafka", 6*time.Second, 15*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(zk.Close)
	if err := zk.CreatePersistentPaths(); err != nil {
		t.Fatal(err)
	}
	return zk
}

func wantError(t *testing.T, err error, code *kerr.Error, msg string) {
	t.Helper()
	var ae *Error
	if !errors.As(err, &ae) || ae.Code != code.Code || ae.Message != msg {
		t.Fatalf("got %v, want %s %q", err, code.Message, msg)
	}
}

func TestCreateTopicInZooKeeper(t *testing.T) {
	zk := liveZk(t)
	// AdminZkClientTest.testTopicCreationInZK assignment
	assignment := map[int32][]int32{0: {0, 1, 2}, 1: {1, 2, 3}, 2: {2, 3, 4}, 3: {3, 4, 0}, 4: {4, 0, 1}, 5: {0, 2, 3},
		6: {1, 3, 4}, 7: {2, 4, 0}, 8: {3, 0, 1}, 9: {4, 1, 2}, 10: {1, 2, 3}, 11: {1, 3, 4}}
	if err := CreateTopic(zk, "test", assignment, map[string]string{"retention.ms": "1000"}, true); err != nil {
		t.Fatal(err)
	}
	if ok, _ := zk.TopicExists("test"); ok {
		t.Fatal("validateOnly wrote the topic")
	}
	if err := CreateTopic(zk, "test", assignment, map[string]string{"retention.ms": "1000"}, false); err != nil {
		t.Fatal(err)
	}
	a, ok, err := zk.GetTopicAssignment("test")
	if err != nil || !ok || !reflect.DeepEqual(a.Partitions, assignment) || len(a.TopicID) != 22 {
		t.Fatalf("%+v %v", a, err)
	}
	if cfg, _ := zk.GetEntityConfig(zkutil.ConfigTypeTopic, "test"); cfg["retention.ms"] != "1000" {
		t.Fatalf("config %v", cfg)
	}
	wantError(t, CreateTopic(zk, "test", assignment, nil, false), kerr.TopicAlreadyExists, "Topic 'test' already exists.")

	// a topic without overrides still gets {"version":1,"config":{}}
	if err := CreateTopic(zk, "test.topic", map[int32][]int32{0: {1}}, nil, false); err != nil {
		t.Fatal(err)
	}
	if data, _, _ := zk.GetData(zkutil.ConfigEntityPath(zkutil.ConfigTypeTopic, "test.topic")); string(data) != `{"version":1,"config":{}}` {
		t.Fatalf("config node %s", data)
	}
	wantError(t, CreateTopic(zk, "test_topic", map[int32][]int32{0: {1}}, nil, false), kerr.InvalidTopicException,
		"Topic 'test_topic' collides with existing topics: test.topic")
	wantError(t, CreateTopic(zk, "bad name", map[int32][]int32{0: {1}}, nil, false), kerr.InvalidTopicException,
		`Topic name "bad name" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`)
	wantError(t, CreateTopic(zk, "x", map[int32][]int32{0: {1}}, map[string]string{"nope": "1"}, false), kerr.InvalidConfig,
		"Unknown topic config name: nope")
}

func TestAddPartitionsAndDeleteTopic(t *testing.T) {
	zk := liveZk(t)
	for id := int32(0); id < 4; id++ {
		if _, err := zk.RegisterBroker(zkutil.BrokerInfo{ID: id, JmxPort: -1, Endpoints: []zkutil.EndPoint{
			{ListenerName: "PLAINTEXT", Host: "localhost", Port: 9092 + id, SecurityProtocol: "PLAINTEXT"}}}); err != nil {
			t.Fatal(err)
		}
	}
	metas, err := GetBrokerMetadatas(zk, RackAwareEnforced)
	if err != nil || len(metas) != 4 {
		t.Fatal(metas, err)
	}
	brokers := []int32{0, 1, 2, 3}
	if err := CreateTopic(zk, "t", map[int32][]int32{0: {1, 2}}, nil, false); err != nil {
		t.Fatal(err)
	}
	existing, _, _ := zk.GetTopicAssignment("t")

	wantError(t, errOnly(AddPartitions(zk, "t", existing, 0, brokers, nil, false)), kerr.InvalidPartitions,
		"Topic currently has 1 partitions, which is higher than the requested 0.")
	wantError(t, errOnly(AddPartitions(zk, "t", existing, 1, brokers, nil, false)), kerr.InvalidPartitions,
		"Topic already has 1 partitions.")
	wantError(t, errOnly(AddPartitions(zk, "missing", zkutil.TopicAssignment{}, 2, brokers, nil, false)),
		kerr.UnknownTopicOrPartition, "The topic 'missing' does not exist.")
	wantError(t, errOnly(AddPartitions(zk, "t", existing, 3, brokers, map[int32][]int32{1: {0, 7}}, false)),
		kerr.InvalidReplicaAssignment, "Unknown broker(s) in replica assignment: 7.")
	wantError(t, errOnly(AddPartitions(zk, "t", existing, 3, brokers, map[int32][]int32{1: {0, 1}}, false)),
		kerr.InvalidReplicaAssignment, "Increasing the number of partitions by 2 but 1 assignments provided.")
	wantError(t, errOnly(AddPartitions(zk, "t", existing, 3, brokers, map[int32][]int32{1: {0, 1}, 2: {0}}, false)),
		kerr.InvalidReplicaAssignment, "Inconsistent replication factor between partitions, partition 0 has 2 while partitions [2] have replication factors [1], respectively.")

	combined, err := AddPartitions(zk, "t", existing, 3, brokers, nil, true)
	if err != nil || len(combined) != 3 {
		t.Fatal(combined, err)
	}
	if a, _, _ := zk.GetTopicAssignment("t"); len(a.Partitions) != 1 {
		t.Fatal("validateOnly wrote the assignment")
	}
	combined, err = AddPartitions(zk, "t", existing, 3, brokers, nil, false)
	want := map[int32][]int32{0: {1, 2}, 1: {2, 0}, 2: {3, 1}}
	if err != nil || !reflect.DeepEqual(combined, want) {
		t.Fatal(combined, err)
	}
	a, _, _ := zk.GetTopicAssignment("t")
	if !reflect.DeepEqual(a.Partitions, want) || a.TopicID != existing.TopicID {
		t.Fatalf("stored %+v", a)
	}
	a.AddingReplicas = map[int32][]int32{0: {3}}
	wantError(t, errOnly(AddPartitions(zk, "t", a, 5, brokers, nil, false)), kerr.ReassignmentInProgress,
		"A partition reassignment is in progress for the topic 't'.")

	if err := ChangeTopicConfig(zk, "t", map[string]string{"cleanup.policy": "compact"}); err != nil {
		t.Fatal(err)
	}
	if names, _ := zk.GetChildren(zkutil.ConfigChangesPath); len(names) != 1 {
		t.Fatalf("change notifications %v", names)
	}
	wantError(t, ChangeTopicConfig(zk, "nope", nil), kerr.UnknownTopicOrPartition, "Topic 'nope' does not exist.")

	if err := DeleteTopic(zk, "t"); err != nil {
		t.Fatal(err)
	}
	if marked, _ := zk.IsTopicMarkedForDeletion("t"); !marked {
		t.Fatal("not marked")
	}
	if err := DeleteTopic(zk, "t"); !errors.Is(err, ErrTopicAlreadyMarkedForDeletion) {
		t.Fatal(err)
	}
	wantError(t, DeleteTopic(zk, "x"), kerr.UnknownTopicOrPartition, "Topic `x` to delete does not exist")
}

func errOnly(_ map[int32][]int32, err error) error { return err }
