package admin

import (
	"math/rand"
	"sort"

	"github.com/twmb/franz-go/pkg/kerr"
)

// BrokerMetadata is what replica assignment needs to know about a broker.
type BrokerMetadata struct {
	ID   int32
	Rack string // "" = no rack
}

// AssignReplicasToBrokers spreads nPartitions partitions with rf replicas
// over brokers without regard to racks (AdminUtils.assignReplicasToBrokers).
// The first replica of each partition goes round-robin from a start index;
// followers are shifted so that leaders' followers differ. fixedStartIndex < 0
// picks a random start and shift; startPartitionID < 0 means 0.
func AssignReplicasToBrokers(brokers []int32, nPartitions int32, rf int16, fixedStartIndex int, startPartitionID int32) (map[int32][]int32, error) {
	metas := make([]BrokerMetadata, len(brokers))
	for i, b := range brokers {
		metas[i] = BrokerMetadata{ID: b}
	}
	return AssignReplicas(metas, nPartitions, rf, fixedStartIndex, startPartitionID)
}

// AssignReplicas is AssignReplicasToBrokers with rack awareness: when every
// broker has a rack, replicas of a partition go to as many racks as possible.
func AssignReplicas(brokers []BrokerMetadata, nPartitions int32, rf int16, fixedStartIndex int, startPartitionID int32) (map[int32][]int32, error) {
	if nPartitions <= 0 {
		return nil, newError(kerr.InvalidPartitions, "Number of partitions must be larger than 0.")
	}
	if rf <= 0 {
		return nil, newError(kerr.InvalidReplicationFactor, "Replication factor must be larger than 0.")
	}
	if int(rf) > len(brokers) {
		return nil, newError(kerr.InvalidReplicationFactor, "Replication factor: %d larger than available brokers: %d.", rf, len(brokers))
	}
	sorted := append([]BrokerMetadata(nil), brokers...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].ID < sorted[j].ID })
	withRack := 0
	for _, b := range sorted {
		if b.Rack != "" {
			withRack++
		}
	}
	if withRack == 0 {
		ids := make([]int32, len(sorted))
		for i, b := range sorted {
			ids[i] = b.ID
		}
		return assignRackUnaware(ids, nPartitions, int(rf), fixedStartIndex, startPartitionID), nil
	}
	if withRack < len(sorted) {
		return nil, adminOperation("Not all brokers have rack information for replica rack aware assignment.")
	}
	return assignRackAware(sorted, nPartitions, int(rf), fixedStartIndex, startPartitionID), nil
}

// startAndShift returns the first-replica start index and the initial
// follower shift: both fixedStartIndex, or independent random picks.
func startAndShift(n, fixedStartIndex int) (int, int) {
	if fixedStartIndex >= 0 {
		return fixedStartIndex, fixedStartIndex
	}
	return rand.Intn(n), rand.Intn(n)
}

func assignRackUnaware(brokers []int32, nPartitions int32, rf, fixedStartIndex int, startPartitionID int32) map[int32][]int32 {
	n := len(brokers)
	out := make(map[int32][]int32, nPartitions)
	start, shift := startAndShift(n, fixedStartIndex)
	p := int(max(0, startPartitionID))
	for i := int32(0); i < nPartitions; i++ {
		if p > 0 && p%n == 0 {
			shift++
		}
		first := (p + start) % n
		replicas := []int32{brokers[first]}
		for j := 0; j < rf-1; j++ {
			replicas = append(replicas, brokers[replicaIndex(first, shift, j, n)])
		}
		out[int32(p)] = replicas
		p++
	}
	return out
}

// replicaIndex places the j-th follower: never on the first replica's broker.
func replicaIndex(first, shift, j, n int) int {
	return (first + 1 + (shift+j)%(n-1)) % n
}

func assignRackAware(brokers []BrokerMetadata, nPartitions int32, rf, fixedStartIndex int, startPartitionID int32) map[int32][]int32 {
	rackOf := make(map[int32]string, len(brokers))
	for _, b := range brokers {
		rackOf[b.ID] = b.Rack
	}
	racks := map[string]bool{}
	for _, r := range rackOf {
		racks[r] = true
	}
	numRacks := len(racks)
	arranged := RackAlternatedBrokerList(rackOf)
	n := len(arranged)
	out := make(map[int32][]int32, nPartitions)
	start, shift := startAndShift(n, fixedStartIndex)
	p := int(max(0, startPartitionID))
	for i := int32(0); i < nPartitions; i++ {
		if p > 0 && p%n == 0 {
			shift++
		}
		first := (p + start) % n
		leader := arranged[first]
		replicas := []int32{leader}
		racksUsed := map[string]bool{rackOf[leader]: true}
		brokersUsed := map[int32]bool{leader: true}
		k := 0
		for j := 0; j < rf-1; j++ {
			for {
				b := arranged[replicaIndex(first, shift*numRacks, k, n)]
				k++
				// Skip a broker whose rack already has a replica while some
				// rack has none, or that already has one while some broker has none.
				if (!racksUsed[rackOf[b]] || len(racksUsed) == numRacks) &&
					(!brokersUsed[b] || len(brokersUsed) == n) {
					replicas = append(replicas, b)
					racksUsed[rackOf[b]] = true
					brokersUsed[b] = true
					break
				}
			}
		}
		out[int32(p)] = replicas
		p++
	}
	return out
}

// RackAlternatedBrokerList orders brokers so that consecutive ones are on
// different racks: racks sorted by name, brokers of each rack by id, taken
// one rack at a time.
func RackAlternatedBrokerList(rackOf map[int32]string) []int32 {
	byRack := map[string][]int32{}
	for id, r := range rackOf {
		byRack[r] = append(byRack[r], id)
	}
	racks := make([]string, 0, len(byRack))
	for r, ids := range byRack {
		sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
		racks = append(racks, r)
	}
	sort.Strings(racks)
	next := make(map[string]int, len(racks))
	out := make([]int32, 0, len(rackOf))
	for i := 0; len(out) < len(rackOf); i = (i + 1) % len(racks) {
		r := racks[i]
		if next[r] < len(byRack[r]) {
			out = append(out, byRack[r][next[r]])
			next[r]++
		}
	}
	return out
}
