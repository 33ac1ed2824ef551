package admin

import (
	"errors"
	"reflect"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
)

func TestAssignReplicasFactsExample(t *testing.T) {
	got, err := AssignReplicasToBrokers([]int32{3, 1, 2}, 3, 2, 0, 0)
	want := map[int32][]int32{0: {1, 2}, 1: {2, 3}, 2: {3, 1}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v %v", got, err)
	}
}

// AdminRackAwareTest.testReplicaAssignment (Kafka 2.8).
func TestAssignReplicasKafkaTenPartitions(t *testing.T) {
	got, err := AssignReplicasToBrokers([]int32{0, 1, 2, 3, 4}, 10, 3, 0, -1)
	want := map[int32][]int32{
		0: {0, 1, 2}, 1: {1, 2, 3}, 2: {2, 3, 4}, 3: {3, 4, 0}, 4: {4, 0, 1},
		5: {0, 2, 3}, 6: {1, 3, 4}, 7: {2, 4, 0}, 8: {3, 0, 1}, 9: {4, 1, 2}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v %v", got, err)
	}
}

// AddPartitionsTest.testReplicaPlacementAllServers / PartialServers: new
// partitions continue from the broker leading partition 0.
func TestNewPartitionsContinueExistingLayout(t *testing.T) {
	brokers := []int32{0, 1, 2, 3}
	cases := []struct {
		p0      []int32
		count   int32
		leaders map[int32]int32
		sets    map[int32][]int32
	}{
		{[]int32{2, 3, 0, 1}, 7, map[int32]int32{1: 3, 2: 0, 3: 1, 4: 2, 5: 3, 6: 0}, nil},
		{[]int32{1, 2}, 3, map[int32]int32{1: 2, 2: 3}, map[int32][]int32{1: {2, 0}, 2: {3, 1}}},
	}
	for _, c := range cases {
		existing := assignmentOf(map[int32][]int32{0: c.p0})
		got, err := CreateNewPartitionsAssignment("t", existing, brokers, c.count, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != int(c.count)-1 {
			t.Fatalf("got %v", got)
		}
		for p, leader := range c.leaders {
			if got[p][0] != leader || len(got[p]) != len(c.p0) {
				t.Fatalf("partition %d: %v", p, got[p])
			}
		}
		for p, set := range c.sets {
			if !reflect.DeepEqual(got[p], set) {
				t.Fatalf("partition %d: %v want %v", p, got[p], set)
			}
		}
	}
}

func TestAssignReplicasErrors(t *testing.T) {
	cases := []struct {
		n    int32
		rf   int16
		code *kerr.Error
		msg  string
	}{
		{0, 1, kerr.InvalidPartitions, "Number of partitions must be larger than 0."},
		{10, 0, kerr.InvalidReplicationFactor, "Replication factor must be larger than 0."},
		{10, 5, kerr.InvalidReplicationFactor, "Replication factor: 5 larger than available brokers: 3."},
	}
	for _, c := range cases {
		_, err := AssignReplicasToBrokers([]int32{1, 2, 3}, c.n, c.rf, -1, -1)
		var ae *Error
		if !errors.As(err, &ae) || ae.Code != c.code.Code || ae.Message != c.msg || !errors.Is(err, c.code) {
			t.Errorf("n=%d rf=%d: %v", c.n, c.rf, err)
		}
	}
}

func TestAssignReplicasRandomStartIsValid(t *testing.T) {
	for i := 0; i < 50; i++ {
		got, err := AssignReplicasToBrokers([]int32{5, 6, 7, 8}, 8, 3, -1, -1)
		if err != nil || len(got) != 8 {
			t.Fatal(got, err)
		}
		leaders := map[int32]int{}
		for p := int32(0); p < 8; p++ {
			r := got[p]
			if len(r) != 3 || hasDuplicates(r) {
				t.Fatalf("partition %d: %v", p, r)
			}
			leaders[r[0]]++
		}
		for b, n := range leaders {
			if n != 2 {
				t.Fatalf("leaders unbalanced: broker %d leads %d", b, n)
			}
		}
	}
}

// AdminRackAwareTest.testGetRackAlternatedBrokerListAndAssignReplicasToBrokers.
func TestRackAwareAssignment(t *testing.T) {
	racks := map[int32]string{0: "rack1", 1: "rack3", 2: "rack3", 3: "rack2", 4: "rack2", 5: "rack1"}
	if got := RackAlternatedBrokerList(racks); !reflect.DeepEqual(got, []int32{0, 3, 1, 5, 4, 2}) {
		t.Fatal(got)
	}
	without5 := map[int32]string{0: "rack1", 1: "rack3", 2: "rack3", 3: "rack2", 4: "rack2"}
	if got := RackAlternatedBrokerList(without5); !reflect.DeepEqual(got, []int32{0, 3, 1, 4, 2}) {
		t.Fatal(got)
	}
	var metas []BrokerMetadata
	for id, r := range racks {
		metas = append(metas, BrokerMetadata{ID: id, Rack: r})
	}
	got, err := AssignReplicas(metas, 7, 3, 0, 0)
	want := map[int32][]int32{0: {0, 3, 1}, 1: {3, 1, 5}, 2: {1, 5, 4}, 3: {5, 4, 2}, 4: {4, 2, 0}, 5: {2, 0, 3}, 6: {0, 4, 2}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v %v", got, err)
	}
	// every partition spans all three racks when rf = racks
	got, _ = AssignReplicas(metas, 12, 3, -1, -1)
	for p, r := range got {
		seen := map[string]bool{}
		for _, b := range r {
			seen[racks[b]] = true
		}
		if len(seen) != 3 {
			t.Fatalf("partition %d %v not rack-spread", p, r)
		}
	}
	metas[0].Rack = ""
	if _, err := AssignReplicas(metas, 1, 1, 0, 0); err == nil ||
		err.Error() != "Not all brokers have rack information for replica rack aware assignment." {
		t.Fatal(err)
	}
}
