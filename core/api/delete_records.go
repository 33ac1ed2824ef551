package api

import (
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// deleteToHighWatermark is DeleteRecords' offset -1: delete everything
// consumers can currently see.
const deleteToHighWatermark = -1

// handleDeleteRecords moves the log start offset of partitions this broker
// leads (kafka-delete-records.sh, AdminClient.deleteRecords). Records below
// it become invisible at once and their segments go with the next
// retention pass; followers learn the new start through their fetches.
//
// Kafka parks the answer until every replica has caught up with the new
// log start offset and answers the smallest one (DelayedDeleteRecords).
// This broker does not track followers' log start offsets, so it answers
// at once with the leader's new log start offset.
func (a *KafkaApis) handleDeleteRecords(req *kmsg.DeleteRecordsRequest) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.DeleteRecordsResponse)
	for _, t := range req.Topics {
		rt := kmsg.NewDeleteRecordsResponseTopic()
		rt.Topic = t.Topic
		for _, p := range t.Partitions {
			rp := kmsg.NewDeleteRecordsResponseTopicPartition()
			rp.Partition = p.Partition
			rp.LowWatermark, rp.ErrorCode = a.deleteRecordsOnLeader(t.Topic, p.Partition, p.Offset)
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp
}

// deleteRecordsOnLeader returns the new low watermark, or -1 and an error
// code.
func (a *KafkaApis) deleteRecordsOnLeader(topic string, partition int32, offset int64) (int64, int16) {
	part := a.replicas.Partition(topic, partition)
	if part == nil {
		return -1, a.notHostedCode(topic, partition)
	}
	if err := part.CheckLeader(-1, true); err != nil {
		return -1, errorCode(err)
	}
	l := part.Log()
	// Compacted topics keep their records by key, not by offset.
	if !strings.Contains(l.Config().CleanupPolicy, "delete") {
		return -1, kerr.PolicyViolation.Code
	}
	if offset == deleteToHighWatermark {
		offset = l.HighWatermark()
	}
	if offset < 0 {
		return -1, kerr.OffsetOutOfRange.Code
	}
	if err := l.MaybeIncrementLogStartOffset(offset); err != nil {
		return -1, errorCode(err)
	}
	return l.LogStartOffset(), 0
}
