package group

import "github.com/gokafka/kafka/core/javacompat"

// OffsetsTopic is the internal topic that stores committed offsets and
// group metadata (Kafka's Topic.GROUP_METADATA_TOPIC_NAME).
const OffsetsTopic = "__consumer_offsets"

// JavaStringHashCode is java.lang.String.hashCode; Kafka maps groups to
// offsets partitions with it, so the same group lands on the same
// partition as on a Java broker.
func JavaStringHashCode(s string) int32 { return javacompat.StringHashCode(s) }

// javaAbs is Kafka's Utils.abs: the absolute value, except that
// math.MinInt32 maps to 0 instead of staying negative.
func javaAbs(n int32) int32 {
	if n == -2147483648 {
		return 0
	}
	if n < 0 {
		return -n
	}
	return n
}

// PartitionFor returns the offsets topic partition that owns groupID.
func PartitionFor(groupID string, numPartitions int32) int32 {
	return javaAbs(JavaStringHashCode(groupID)) % numPartitions
}
