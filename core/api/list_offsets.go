package api

import (
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Special timestamps of ListOffsets.
const (
	latestTimestamp   = -1
	earliestTimestamp = -2
	// debuggingReplicaID lets tools read up to the log end offset.
	debuggingReplicaID = -2
)

// handleListOffsets resolves earliest, latest and by-timestamp offsets on
// partitions this broker leads.
func (a *KafkaApis) handleListOffsets(req *kmsg.ListOffsetsRequest) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.ListOffsetsResponse)
	for _, t := range req.Topics {
		rt := kmsg.NewListOffsetsResponseTopic()
		rt.Topic = t.Topic
		for _, p := range t.Partitions {
			rt.Partitions = append(rt.Partitions, a.listOffset(req, t.Topic, p))
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp
}

func (a *KafkaApis) listOffset(req *kmsg.ListOffsetsRequest, topic string, p kmsg.ListOffsetsRequestTopicPartition) kmsg.ListOffsetsResponseTopicPartition {
	rp := kmsg.NewListOffsetsResponseTopicPartition()
	rp.Partition = p.Partition
	rp.Timestamp, rp.Offset = -1, -1
	part := a.replicas.Partition(topic, p.Partition)
	if part == nil {
		rp.ErrorCode = a.notHostedCode(topic, p.Partition)
		return rp
	}
	if err := part.CheckLeader(p.CurrentLeaderEpoch, req.ReplicaID != debuggingReplicaID); err != nil {
		rp.ErrorCode = errorCode(err)
		return rp
	}
	l := part.Log()
	rp.LeaderEpoch = part.LeaderEpoch()
	upper := l.HighWatermark()
	if req.Version >= 2 && req.IsolationLevel == 1 {
		// read_committed consumers see only decided transactions.
		upper = l.LastStableOffset()
	}
	if req.ReplicaID == debuggingReplicaID {
		upper = l.LogEndOffset()
	}
	var offset, ts int64 = -1, -1
	switch p.Timestamp {
	case latestTimestamp:
		offset = upper
	case earliestTimestamp:
		offset = l.LogStartOffset()
	default:
		if o, t, found := l.FetchOffsetByTimestamp(p.Timestamp); found && o < upper {
			offset, ts = o, t
		}
	}
	if req.Version == 0 {
		rp.OldStyleOffsets = []int64{}
		if offset >= 0 && p.MaxNumOffsets > 0 {
			rp.OldStyleOffsets = append(rp.OldStyleOffsets, offset)
		}
		return rp
	}
	rp.Offset, rp.Timestamp = offset, ts
	if offset < 0 {
		rp.LeaderEpoch = -1
	}
	return rp
}
