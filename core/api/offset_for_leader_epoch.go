package api

import (
	"github.com/twmb/franz-go/pkg/kmsg"
)

// handleOffsetForLeaderEpoch tells a follower (or a client checking for
// log truncation) where a leader epoch ends in the leader's log, so that
// it can cut exactly the divergent suffix of its own log.
func (a *KafkaApis) handleOffsetForLeaderEpoch(req *kmsg.OffsetForLeaderEpochRequest) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.OffsetForLeaderEpochResponse)
	for _, t := range req.Topics {
		rt := kmsg.NewOffsetForLeaderEpochResponseTopic()
		rt.Topic = t.Topic
		for _, p := range t.Partitions {
			rp := kmsg.NewOffsetForLeaderEpochResponseTopicPartition()
			rp.Partition = p.Partition
			rp.LeaderEpoch, rp.EndOffset = -1, -1
			part := a.replicas.Partition(t.Topic, p.Partition)
			switch {
			case part == nil:
				rp.ErrorCode = a.notHostedCode(t.Topic, p.Partition)
			default:
				if err := part.CheckLeader(p.CurrentLeaderEpoch, req.ReplicaID != debuggingReplicaID); err != nil {
					rp.ErrorCode = errorCode(err)
					break
				}
				rp.LeaderEpoch, rp.EndOffset = part.Log().EndOffsetForEpoch(p.LeaderEpoch)
			}
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp
}
