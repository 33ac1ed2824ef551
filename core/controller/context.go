package controller

import (
	"encoding/base64"
	"sort"

	"github.com/gokafka/kafka/zkutil"
)

// controllerContext is the controller's cached view of the cluster, loaded
// from ZooKeeper at failover and kept current by watch events.
type controllerContext struct {
	liveBrokers    map[int32]zkutil.BrokerInfo
	assignments    map[string]zkutil.TopicAssignment
	states         map[zkutil.TopicPartition]zkutil.LeaderIsr
	topicsToDelete map[string]bool
	shuttingDown   map[int32]bool // brokers in controlled shutdown
	reassignments  map[zkutil.TopicPartition]reassignment
}

func newControllerContext() *controllerContext {
	return &controllerContext{
		liveBrokers:    make(map[int32]zkutil.BrokerInfo),
		assignments:    make(map[string]zkutil.TopicAssignment),
		states:         make(map[zkutil.TopicPartition]zkutil.LeaderIsr),
		topicsToDelete: make(map[string]bool),
		shuttingDown:   make(map[int32]bool),
		reassignments:  make(map[zkutil.TopicPartition]reassignment),
	}
}

// live returns the brokers that can lead: registered and not in a
// controlled shutdown.
func (cc *controllerContext) live() map[int32]bool {
	m := make(map[int32]bool, len(cc.liveBrokers))
	for id := range cc.liveBrokers {
		if !cc.shuttingDown[id] {
			m[id] = true
		}
	}
	return m
}

func (cc *controllerContext) liveBrokerIDs() []int32 {
	ids := make([]int32, 0, len(cc.liveBrokers))
	for id := range cc.liveBrokers {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

// replicas returns a partition's assigned replicas.
func (cc *controllerContext) replicas(tp zkutil.TopicPartition) []int32 {
	return cc.assignments[tp.Topic].Partitions[tp.Partition]
}

// allPartitions lists every partition of every known topic, sorted.
func (cc *controllerContext) allPartitions() []zkutil.TopicPartition {
	var out []zkutil.TopicPartition
	for t, a := range cc.assignments {
		for p := range a.Partitions {
			out = append(out, zkutil.TopicPartition{Topic: t, Partition: p})
		}
	}
	sortPartitions(out)
	return out
}

// partitionsOf lists one topic's partitions, sorted.
func (cc *controllerContext) partitionsOf(topic string) []zkutil.TopicPartition {
	var out []zkutil.TopicPartition
	for p := range cc.assignments[topic].Partitions {
		out = append(out, zkutil.TopicPartition{Topic: topic, Partition: p})
	}
	sortPartitions(out)
	return out
}

func sortPartitions(tps []zkutil.TopicPartition) {
	sort.Slice(tps, func(i, j int) bool {
		if tps[i].Topic != tps[j].Topic {
			return tps[i].Topic < tps[j].Topic
		}
		return tps[i].Partition < tps[j].Partition
	})
}

// topicIDBytes decodes the 22-character base64url topic id of the topic
// znode into the 16 bytes the protocol carries.
func topicIDBytes(id string) [16]byte {
	var out [16]byte
	b, err := base64.RawURLEncoding.DecodeString(id)
	if err == nil && len(b) == 16 {
		copy(out[:], b)
	}
	return out
}
