package admin

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
)

// Internal topic names (org.apache.kafka.common.internals.Topic).
const (
	GroupMetadataTopicName    = "__consumer_offsets"
	TransactionStateTopicName = "__transaction_state"
	maxTopicNameLength        = 249
)

// IsInternal reports whether topic is one of Kafka's internal topics.
func IsInternal(topic string) bool {
	return topic == GroupMetadataTopicName || topic == TransactionStateTopicName
}

// ValidateTopicName applies Kafka's topic name rules with its messages
// (Topic.validate); failures are INVALID_TOPIC_EXCEPTION.
func ValidateTopicName(name string) error {
	switch {
	case name == "":
		return newError(kerr.InvalidTopicException, "Topic name is illegal, it can't be empty")
	case name == "." || name == "..":
		return newError(kerr.InvalidTopicException, `Topic name cannot be "." or ".."`)
	case len(name) > maxTopicNameLength:
		return newError(kerr.InvalidTopicException,
			"Topic name is illegal, it can't be longer than %d characters, topic name: %s", maxTopicNameLength, name)
	case !validTopicChars(name):
		return newError(kerr.InvalidTopicException,
			`Topic name "%s" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`, name)
	}
	return nil
}

func validTopicChars(name string) bool {
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// HasCollisionChars reports whether the name contains '.' or '_', which
// metric names cannot tell apart.
func HasCollisionChars(topic string) bool { return strings.ContainsAny(topic, "._") }

// HasCollision reports whether two names are equal once '.' is read as '_'.
func HasCollision(a, b string) bool {
	return strings.ReplaceAll(a, ".", "_") == strings.ReplaceAll(b, ".", "_")
}

// ValidateNewTopicAssignment checks a whole-topic assignment as topic
// creation does: same replica count everywhere, no duplicate broker in a
// partition, partitions numbered 0..n-1. Brokers are not checked to exist
// (Kafka does not either when creating).
func ValidateNewTopicAssignment(a map[int32][]int32) error {
	sizes := map[int]bool{}
	for _, r := range a {
		sizes[len(r)] = true
	}
	if len(sizes) != 1 {
		return newError(kerr.InvalidReplicaAssignment, "All partitions should have the same number of replicas")
	}
	for _, r := range a {
		if hasDuplicates(r) {
			return newError(kerr.InvalidReplicaAssignment, "Duplicate replica assignment found: %s", scalaAssignment(a))
		}
	}
	// Kafka's own test: the non-negative ids must sum to 0+1+...+(n-1).
	n := int64(len(a))
	var sum int64
	for p := range a {
		if p >= 0 {
			sum += int64(p)
		}
	}
	if sum != n*(n-1)/2 {
		return newError(kerr.InvalidReplicaAssignment, "partitions should be a consecutive 0-based integer sequence")
	}
	return nil
}

// ValidateReplicaAssignment checks replicas proposed for new partitions
// (AdminZkClient.validateReplicaAssignment): non-empty, no duplicates, only
// available brokers, and the topic's replication factor.
func ValidateReplicaAssignment(a map[int32][]int32, expectedReplicationFactor int, availableBrokers []int32) error {
	available := map[int32]bool{}
	for _, b := range availableBrokers {
		available[b] = true
	}
	var badPartitions, badFactors []string
	for _, p := range sortedKeys(a) {
		replicas := a[p]
		if len(replicas) == 0 {
			return newError(kerr.InvalidReplicaAssignment, "Cannot have replication factor of 0 for partition id %d.", p)
		}
		if hasDuplicates(replicas) {
			return newError(kerr.InvalidReplicaAssignment,
				"Duplicate brokers not allowed in replica assignment: %s for partition id %d.", joinIDs(replicas), p)
		}
		for _, b := range replicas {
			if !available[b] {
				return newError(kerr.BrokerNotAvailable,
					"Some brokers specified for partition id %d are not available. Specified brokers: %s, available brokers: %s.",
					p, joinIDs(replicas), joinIDs(sortedIDs(availableBrokers)))
			}
		}
		if len(replicas) != expectedReplicationFactor {
			badPartitions = append(badPartitions, strconv.Itoa(int(p)))
			badFactors = append(badFactors, strconv.Itoa(len(replicas)))
		}
	}
	if len(badPartitions) > 0 {
		return newError(kerr.InvalidReplicaAssignment,
			"Inconsistent replication factor between partitions, partition 0 has %d while partitions [%s] have replication factors [%s], respectively.",
			expectedReplicationFactor, strings.Join(badPartitions, ", "), strings.Join(badFactors, ", "))
	}
	return nil
}

// TopicConfigNames are the topic-level configs Kafka 2.8 knows (LogConfig).
var TopicConfigNames = []string{
	"segment.bytes", "segment.ms", "segment.jitter.ms", "segment.index.bytes", "flush.messages", "flush.ms",
	"retention.bytes", "retention.ms", "max.message.bytes", "index.interval.bytes", "file.delete.delay.ms",
	"delete.retention.ms", "min.compaction.lag.ms", "max.compaction.lag.ms", "min.cleanable.dirty.ratio",
	"cleanup.policy", "unclean.leader.election.enable", "min.insync.replicas", "compression.type", "preallocate",
	"message.format.version", "message.timestamp.type", "message.timestamp.difference.max.ms",
	"leader.replication.throttled.replicas", "follower.replication.throttled.replicas",
	"message.downconversion.enable",
}

// ValidateTopicConfig checks topic overrides before they are written. By
// default it rejects unknown names (LogConfig.validateNames); the log
// package may replace it with a check of values too.
var ValidateTopicConfig = func(config map[string]string) error {
	known := make(map[string]bool, len(TopicConfigNames))
	for _, n := range TopicConfigNames {
		known[n] = true
	}
	names := make([]string, 0, len(config))
	for k := range config {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if !known[k] {
			return newError(kerr.InvalidConfig, "Unknown topic config name: %s", k)
		}
	}
	return nil
}

func hasDuplicates(ids []int32) bool {
	seen := make(map[int32]bool, len(ids))
	for _, id := range ids {
		if seen[id] {
			return true
		}
		seen[id] = true
	}
	return false
}

func joinIDs(ids []int32) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.Itoa(int(id))
	}
	return strings.Join(s, ", ")
}

func sortedIDs(ids []int32) []int32 {
	out := append([]int32(nil), ids...)
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func sortedKeys(m map[int32][]int32) []int32 {
	keys := make([]int32, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	return keys
}

// scalaAssignment renders an assignment like Scala's Map.toString, which
// Kafka puts into some messages: Map(0 -> ArrayBuffer(1, 2), 1 -> ...).
func scalaAssignment(a map[int32][]int32) string {
	parts := make([]string, 0, len(a))
	for _, p := range sortedKeys(a) {
		parts = append(parts, fmt.Sprintf("%d -> ArrayBuffer(%s)", p, joinIDs(a[p])))
	}
	return "Map(" + strings.Join(parts, ", ") + ")"
}
