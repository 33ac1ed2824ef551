package api

import (
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gokafka/kafka/core/coordinator/group"
)

// handleTxnOffsetCommit stores offsets a transactional producer commits
// for a group (TxnOffsetCommit, KIP-98; v3 adds the member and generation
// of KIP-447). They become visible to OffsetFetch when the transaction
// commits.
func (a *KafkaApis) handleTxnOffsetCommit(body *kmsg.TxnOffsetCommitRequest) kmsg.Response {
	resp := body.ResponseKind().(*kmsg.TxnOffsetCommitResponse)
	now := time.Now().UnixMilli()
	codes := map[group.TopicPartition]int16{}
	offsets := map[group.TopicPartition]group.OffsetAndMetadata{}
	for _, t := range body.Topics {
		for _, p := range t.Partitions {
			tp := group.TopicPartition{Topic: t.Topic, Partition: p.Partition}
			if _, ok := a.cache.Partition(t.Topic, p.Partition); !ok {
				codes[tp] = kerr.UnknownTopicOrPartition.Code
				continue
			}
			om := group.OffsetAndMetadata{Offset: p.Offset, LeaderEpoch: -1, CommitTimestamp: now, ExpireTimestamp: -1}
			if body.Version >= 2 {
				om.LeaderEpoch = p.LeaderEpoch
			}
			if p.Metadata != nil {
				om.Metadata = *p.Metadata
			}
			offsets[tp] = om
		}
	}
	if len(offsets) > 0 {
		req := group.TxnCommit{
			GroupID: body.Group, MemberID: body.MemberID, InstanceID: body.InstanceID, GenerationID: body.Generation,
			ProducerID: body.ProducerID, ProducerEpoch: body.ProducerEpoch,
		}
		for tp, code := range a.groups.HandleTxnCommitOffsets(req, offsets) {
			// Producers before 2.0 (TxnOffsetCommit v0-v1) do not know
			// COORDINATOR_LOAD_IN_PROGRESS here (KAFKA-7296).
			if body.Version < 2 && code == kerr.CoordinatorLoadInProgress.Code {
				code = kerr.CoordinatorNotAvailable.Code
			}
			codes[tp] = code
		}
	}
	for _, t := range body.Topics {
		rt := kmsg.NewTxnOffsetCommitResponseTopic()
		rt.Topic = t.Topic
		for _, p := range t.Partitions {
			rp := kmsg.NewTxnOffsetCommitResponseTopicPartition()
			rp.Partition = p.Partition
			rp.ErrorCode = codes[group.TopicPartition{Topic: t.Topic, Partition: p.Partition}]
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp
}
