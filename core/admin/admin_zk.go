package admin

import (
	"errors"
	"fmt"
	"sort"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/gokafka/kafka/core/logging"
	"github.com/gokafka/kafka/zkutil"
)

var log = logging.For("kafka.zk.AdminZkClient")

// RackAwareMode says how broker racks feed replica assignment.
type RackAwareMode int

const (
	// RackAwareEnforced uses racks and fails if only some brokers have one.
	RackAwareEnforced RackAwareMode = iota
	// RackAwareDisabled ignores racks.
	RackAwareDisabled
	// RackAwareSafe uses racks only if every broker has one.
	RackAwareSafe
)

// GetBrokerMetadatas reads the registered brokers as assignment input,
// sorted by id (AdminZkClient.getBrokerMetadatas).
func GetBrokerMetadatas(zk *zkutil.Client, mode RackAwareMode) ([]BrokerMetadata, error) {
	brokers, err := zk.GetAllBrokers()
	if err != nil {
		return nil, err
	}
	withRack := 0
	for _, b := range brokers {
		if b.Rack != "" {
			withRack++
		}
	}
	if mode == RackAwareEnforced && withRack > 0 && withRack < len(brokers) {
		return nil, adminOperation("Not all brokers have rack information. Add --disable-rack-aware in command line" +
			" to make replica assignment without rack information.")
	}
	useRacks := mode == RackAwareEnforced || (mode == RackAwareSafe && withRack == len(brokers))
	out := make([]BrokerMetadata, len(brokers))
	for i, b := range brokers {
		out[i] = BrokerMetadata{ID: b.ID}
		if useRacks {
			out[i].Rack = b.Rack
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// ValidateTopicCreate checks a topic before creation
// (AdminZkClient.validateTopicCreate): name, existence, '.'/'_' collisions,
// the assignment's shape and the config.
func ValidateTopicCreate(zk *zkutil.Client, topic string, assignment map[int32][]int32, config map[string]string) error {
	if err := ValidateTopicName(topic); err != nil {
		return err
	}
	exists, err := zk.TopicExists(topic)
	if err != nil {
		return adminOperation("%v", err)
	}
	if exists {
		return topicExists(topic)
	}
	if HasCollisionChars(topic) {
		all, err := zk.GetAllTopics()
		if err != nil {
			return adminOperation("%v", err)
		}
		var colliding []string
		for _, t := range all {
			if t == topic { // created meanwhile
				return topicExists(topic)
			}
			if HasCollision(topic, t) {
				colliding = append(colliding, t)
			}
		}
		if len(colliding) > 0 {
			return newError(kerr.InvalidTopicException, "Topic '%s' collides with existing topics: %s", topic, joinStrings(colliding))
		}
	}
	if err := ValidateNewTopicAssignment(assignment); err != nil {
		return err
	}
	return ValidateTopicConfig(config)
}

func topicExists(topic string) error {
	return newError(kerr.TopicAlreadyExists, "Topic '%s' already exists.", topic)
}

func joinStrings(s []string) string {
	out := ""
	for i, v := range s {
		if i > 0 {
			out += ", "
		}
		out += v
	}
	return out
}

// CreateTopic validates and, unless validateOnly, writes a new topic:
// /config/topics/<t> first (always, possibly {}), then /brokers/topics/<t>
// with a fresh topic id (AdminZkClient.createTopicWithAssignment). The
// controller notices the new child of /brokers/topics and does the rest.
func CreateTopic(zk *zkutil.Client, topic string, assignment map[int32][]int32, config map[string]string, validateOnly bool) error {
	if err := ValidateTopicCreate(zk, topic, assignment, config); err != nil {
		return err
	}
	if validateOnly {
		return nil
	}
	log.Infof("Creating topic %s with configuration %s and initial partition assignment %s",
		topic, javaProperties(config), scalaAssignment(assignment))
	if config == nil {
		config = map[string]string{}
	}
	// Not atomic with the assignment, as in Kafka: a config without a topic is harmless.
	if err := zk.SetOrCreateEntityConfig(zkutil.ConfigTypeTopic, topic, config); err != nil {
		return adminOperation("%v", err)
	}
	err := zk.CreateTopicAssignment(zkutil.TopicAssignment{Topic: topic, TopicID: zkutil.GenerateUUID(), Partitions: assignment})
	if errors.Is(err, zkutil.ErrNodeExists) {
		return topicExists(topic)
	}
	if err != nil {
		return adminOperation("%v", err)
	}
	return nil
}

// javaProperties renders a config like java.util.Properties.toString: {a=1, b=2}.
func javaProperties(config map[string]string) string {
	keys := make([]string, 0, len(config))
	for k := range config {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := "{"
	for i, k := range keys {
		if i > 0 {
			out += ", "
		}
		out += k + "=" + config[k]
	}
	return out + "}"
}

// DeleteTopic marks a topic for deletion by creating /admin/delete_topics/<t>.
// An already-marked topic gives an error wrapping ErrTopicAlreadyMarkedForDeletion.
func DeleteTopic(zk *zkutil.Client, topic string) error {
	exists, err := zk.TopicExists(topic)
	if err != nil {
		return adminOperation("%v", err)
	}
	if !exists {
		return newError(kerr.UnknownTopicOrPartition, "Topic `%s` to delete does not exist", topic)
	}
	err = zk.CreateDeleteTopicNode(topic)
	if errors.Is(err, zkutil.ErrNodeExists) {
		e := adminOperation("topic %s is already marked for deletion", topic)
		e.cause = ErrTopicAlreadyMarkedForDeletion
		return e
	}
	if err != nil {
		return adminOperation("%v", err)
	}
	return nil
}

// AddPartitions grows a topic to newCount partitions the way the
// CreatePartitions API does (ZkAdminManager.createPartitions). existing is
// the current assignment as read from ZooKeeper (empty Partitions = unknown
// topic); brokers are the live broker ids; manual, if not nil, gives the
// replicas of each new partition keyed by partition id (the request's
// assignments in order are partitions len(existing), len(existing)+1, ...).
// It returns the complete new assignment.
func AddPartitions(zk *zkutil.Client, topic string, existing zkutil.TopicAssignment, newCount int32,
	brokers []int32, manual map[int32][]int32, validateOnly bool) (map[int32][]int32, error) {
	for p := range existing.Partitions {
		if len(existing.AddingReplicas[p]) > 0 || len(existing.RemovingReplicas[p]) > 0 {
			return nil, newError(kerr.ReassignmentInProgress, "A partition reassignment is in progress for the topic '%s'.", topic)
		}
	}
	if len(existing.Partitions) == 0 {
		return nil, newError(kerr.UnknownTopicOrPartition, "The topic '%s' does not exist.", topic)
	}
	oldCount := int32(len(existing.Partitions))
	switch increment := newCount - oldCount; {
	case increment < 0:
		return nil, newError(kerr.InvalidPartitions,
			"Topic currently has %d partitions, which is higher than the requested %d.", oldCount, newCount)
	case increment == 0:
		return nil, newError(kerr.InvalidPartitions, "Topic already has %d partitions.", oldCount)
	}
	if manual != nil {
		if err := checkManualNewPartitions(manual, brokers, newCount-oldCount); err != nil {
			return nil, err
		}
	}
	added, err := CreateNewPartitionsAssignment(topic, existing, brokers, newCount, manual)
	if err != nil {
		return nil, err
	}
	combined := make(map[int32][]int32, newCount)
	for p, r := range existing.Partitions {
		combined[p] = r
	}
	for p, r := range added {
		combined[p] = r
	}
	if validateOnly {
		return combined, nil
	}
	log.Infof("Creating %d partitions for '%s' with the following replica assignment: %s.", len(added), topic, scalaAssignment(added))
	updated := existing
	updated.Partitions = combined
	if err := zk.SetTopicAssignment(updated, zkutil.MatchAnyVersion); err != nil {
		return nil, adminOperation("%v", err)
	}
	return combined, nil
}

// checkManualNewPartitions applies the API-level checks on explicit
// assignments: known brokers and one assignment per new partition.
func checkManualNewPartitions(manual map[int32][]int32, brokers []int32, increment int32) error {
	live := map[int32]bool{}
	for _, b := range brokers {
		live[b] = true
	}
	unknown := map[int32]bool{}
	for _, r := range manual {
		for _, b := range r {
			if !live[b] {
				unknown[b] = true
			}
		}
	}
	if len(unknown) > 0 {
		ids := make([]int32, 0, len(unknown))
		for b := range unknown {
			ids = append(ids, b)
		}
		return newError(kerr.InvalidReplicaAssignment, "Unknown broker(s) in replica assignment: %s.", joinIDs(sortedIDs(ids)))
	}
	if int32(len(manual)) != increment {
		return newError(kerr.InvalidReplicaAssignment,
			"Increasing the number of partitions by %d but %d assignments provided.", increment, len(manual))
	}
	return nil
}

// CreateNewPartitionsAssignment computes the replicas of partitions
// len(existing)..numPartitions-1 (AdminZkClient.createNewPartitionsAssignment,
// also what `kafka-topics --zookeeper --alter` uses): the manual assignment
// after validation, or the rack-unaware algorithm continuing the existing
// layout (start at the broker leading partition 0, same replication factor).
func CreateNewPartitionsAssignment(topic string, existing zkutil.TopicAssignment, brokers []int32,
	numPartitions int32, manual map[int32][]int32) (map[int32][]int32, error) {
	p0, ok := existing.Partitions[0]
	if !ok {
		return nil, adminOperation("Unexpected existing replica assignment for topic '%s', partition id 0 is missing. Assignment: %s",
			topic, scalaAssignment(existing.Partitions))
	}
	oldCount := int32(len(existing.Partitions))
	toAdd := numPartitions - oldCount
	if toAdd <= 0 {
		return nil, newError(kerr.InvalidPartitions,
			"The number of partitions for a topic can only be increased. Topic %s currently has %d partitions, %d would not be an increase.",
			topic, oldCount, numPartitions)
	}
	if manual != nil {
		if err := ValidateReplicaAssignment(manual, len(p0), brokers); err != nil {
			return nil, err
		}
		return manual, nil
	}
	sorted := sortedIDs(brokers)
	start := 0
	for i, b := range sorted {
		if len(p0) > 0 && b >= p0[0] {
			start = i
			break
		}
	}
	return AssignReplicasToBrokers(sorted, toAdd, int16(len(p0)), start, oldCount)
}

// ChangeTopicConfig replaces a topic's overrides and notifies brokers
// (AdminZkClient.changeTopicConfig).
func ChangeTopicConfig(zk *zkutil.Client, topic string, config map[string]string) error {
	if err := ValidateTopicName(topic); err != nil {
		return err
	}
	exists, err := zk.TopicExists(topic)
	if err != nil {
		return adminOperation("%v", err)
	}
	if !exists {
		return newError(kerr.UnknownTopicOrPartition, "Topic '%s' does not exist.", topic)
	}
	if err := ValidateTopicConfig(config); err != nil {
		return err
	}
	return changeEntityConfig(zk, zkutil.ConfigTypeTopic, topic, config)
}

func changeEntityConfig(zk *zkutil.Client, entityType, name string, config map[string]string) error {
	if err := zk.SetOrCreateEntityConfig(entityType, name, config); err != nil {
		return adminOperation("%v", err)
	}
	if err := zk.CreateConfigChangeNotification(fmt.Sprintf("%s/%s", entityType, name)); err != nil {
		return adminOperation("%v", err)
	}
	return nil
}
