package admin

import (
	"errors"
	"strings"
	"testing"

	"github.com/gokafka/kafka/zkutil"
	"github.com/twmb/franz-go/pkg/kerr"
)

func assignmentOf(p map[int32][]int32) zkutil.TopicAssignment {
	return zkutil.TopicAssignment{Topic: "t", Partitions: p}
}

func TestValidateTopicName(t *testing.T) {
	for _, ok := range []string{"a", "first", "a.b_c-D9", strings.Repeat("x", 249), "__consumer_offsets"} {
		if err := ValidateTopicName(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	cases := map[string]string{
		"":                       "Topic name is illegal, it can't be empty",
		".":                      `Topic name cannot be "." or ".."`,
		"..":                     `Topic name cannot be "." or ".."`,
		strings.Repeat("x", 250): "Topic name is illegal, it can't be longer than 249 characters, topic name: " + strings.Repeat("x", 250),
		"a b":                    `Topic name "a b" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`,
		"é":                      `Topic name "é" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`,
	}
	for name, msg := range cases {
		err := ValidateTopicName(name)
		if err == nil || err.Error() != msg || !errors.Is(err, kerr.InvalidTopicException) {
			t.Errorf("%q: %v", name, err)
		}
	}
}

func TestCollisions(t *testing.T) {
	if !HasCollisionChars("a.b") || !HasCollisionChars("a_b") || HasCollisionChars("ab") {
		t.Fatal("collision chars")
	}
	if !HasCollision("a.b", "a_b") || HasCollision("a.b", "a-b") {
		t.Fatal("collision")
	}
}

// AdminZkClientTest.testManualReplicaAssignment cases.
func TestValidateNewTopicAssignment(t *testing.T) {
	cases := []struct {
		a   map[int32][]int32
		msg string
	}{
		{map[int32][]int32{0: {0, 0}}, "Duplicate replica assignment found: Map(0 -> ArrayBuffer(0, 0))"},
		{map[int32][]int32{0: {0, 1}, 1: {0}}, "All partitions should have the same number of replicas"},
		{map[int32][]int32{1: {1, 2}, 2: {1, 2}}, "partitions should be a consecutive 0-based integer sequence"},
		{map[int32][]int32{-1: {1, 2}, 1: {1, 2}, 2: {1, 2}, 4: {1, 2}}, "partitions should be a consecutive 0-based integer sequence"},
	}
	for _, c := range cases {
		err := ValidateNewTopicAssignment(c.a)
		if err == nil || err.Error() != c.msg || !errors.Is(err, kerr.InvalidReplicaAssignment) {
			t.Errorf("%v: %v", c.a, err)
		}
	}
	if err := ValidateNewTopicAssignment(map[int32][]int32{0: {0, 1, 2}, 1: {1, 2, 3}}); err != nil {
		t.Fatal(err)
	}
}

func TestValidateReplicaAssignment(t *testing.T) {
	brokers := []int32{3, 1, 2}
	cases := []struct {
		a    map[int32][]int32
		code *kerr.Error
		msg  string
	}{
		{map[int32][]int32{3: {}}, kerr.InvalidReplicaAssignment, "Cannot have replication factor of 0 for partition id 3."},
		{map[int32][]int32{3: {1, 1}}, kerr.InvalidReplicaAssignment, "Duplicate brokers not allowed in replica assignment: 1, 1 for partition id 3."},
		{map[int32][]int32{3: {1, 5}}, kerr.BrokerNotAvailable, "Some brokers specified for partition id 3 are not available. Specified brokers: 1, 5, available brokers: 1, 2, 3."},
		{map[int32][]int32{3: {1}, 4: {1, 2, 3}, 5: {1, 2}}, kerr.InvalidReplicaAssignment, "Inconsistent replication factor between partitions, partition 0 has 2 while partitions [3, 4] have replication factors [1, 3], respectively."},
	}
	for _, c := range cases {
		err := ValidateReplicaAssignment(c.a, 2, brokers)
		if err == nil || err.Error() != c.msg || !errors.Is(err, c.code) {
			t.Errorf("%v: %v", c.a, err)
		}
	}
	if err := ValidateReplicaAssignment(map[int32][]int32{3: {1, 2}}, 2, brokers); err != nil {
		t.Fatal(err)
	}
}

func TestValidateTopicConfigNames(t *testing.T) {
	if err := ValidateTopicConfig(map[string]string{"retention.ms": "1", "cleanup.policy": "compact"}); err != nil {
		t.Fatal(err)
	}
	err := ValidateTopicConfig(map[string]string{"retention.ms": "1", "foo": "bar"})
	if err == nil || err.Error() != "Unknown topic config name: foo" || !errors.Is(err, kerr.InvalidConfig) {
		t.Fatal(err)
	}
}
