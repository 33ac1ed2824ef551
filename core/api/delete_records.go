package api

import (
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gokafka/kafka/core/cluster"
)

// deleteToHighWatermark is DeleteRecords' offset -1: delete everything
// consumers can currently see.
const deleteToHighWatermark = -1

// pendingDeletion is a partition whose log start offset moved on the
// leader and whose answer waits for the replicas to follow.
type pendingDeletion struct {
	part *cluster.Partition
	want int64
	resp *kmsg.DeleteRecordsResponseTopicPartition
}

// handleDeleteRecords moves the log start offset of partitions this broker
// leads (kafka-delete-records.sh, AdminClient.deleteRecords). Records below
// it become invisible at once and their segments go with the next
// retention pass. Like Kafka (DelayedDeleteRecords), the answer waits, up
// to the request's timeout, until every replica on a live broker has moved
// its own log start offset that far (followers learn it from their fetch
// responses and report it in their next fetch), and carries that low
// watermark.
func (a *KafkaApis) handleDeleteRecords(req *kmsg.DeleteRecordsRequest) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.DeleteRecordsResponse)
	for _, t := range req.Topics {
		rt := kmsg.NewDeleteRecordsResponseTopic()
		rt.Topic = t.Topic
		for _, p := range t.Partitions {
			rp := kmsg.NewDeleteRecordsResponseTopicPartition()
			rp.Partition, rp.LowWatermark = p.Partition, -1
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	var pending []pendingDeletion
	for i, t := range req.Topics {
		for j, p := range t.Partitions {
			rp := &resp.Topics[i].Partitions[j]
			part, want, code := a.deleteRecordsOnLeader(t.Topic, p.Partition, p.Offset)
			rp.ErrorCode = code
			if code == 0 {
				pending = append(pending, pendingDeletion{part, want, rp})
			}
		}
	}
	a.awaitLowWatermarks(pending, millis(req.TimeoutMillis))
	return resp
}

// deleteRecordsOnLeader moves the leader's log start offset and returns
// the offset the replicas must reach, or an error code.
func (a *KafkaApis) deleteRecordsOnLeader(topic string, partition int32, offset int64) (*cluster.Partition, int64, int16) {
	part := a.replicas.Partition(topic, partition)
	if part == nil {
		return nil, -1, a.notHostedCode(topic, partition)
	}
	if err := part.CheckLeader(-1, true); err != nil {
		return nil, -1, errorCode(err)
	}
	l := part.Log()
	// Compacted topics keep their records by key, not by offset.
	if !strings.Contains(l.Config().CleanupPolicy, "delete") {
		return nil, -1, kerr.PolicyViolation.Code
	}
	if offset == deleteToHighWatermark {
		offset = l.HighWatermark()
	}
	if offset < 0 {
		return nil, -1, kerr.OffsetOutOfRange.Code
	}
	if err := l.MaybeIncrementLogStartOffset(offset); err != nil {
		return nil, -1, errorCode(err)
	}
	return part, offset, 0
}

// awaitLowWatermarks parks until each pending partition's low watermark
// reaches its requested offset; what is still pending at the timeout (or
// shutdown) is answered REQUEST_TIMED_OUT, a lost leadership
// NOT_LEADER_OR_FOLLOWER.
func (a *KafkaApis) awaitLowWatermarks(pending []pendingDeletion, timeout time.Duration) {
	if len(pending) == 0 {
		return
	}
	wake := make(chan struct{}, 1)
	for _, d := range pending {
		d.part.Watch(wake)
		defer d.part.Unwatch(wake)
	}
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	alive := func(id int32) bool { _, ok := a.cache.Broker(id); return ok }
	for {
		left := pending[:0]
		for _, d := range pending {
			lw, err := d.part.LowWatermark(alive)
			switch {
			case err != nil:
				d.resp.ErrorCode = errorCode(err)
			case lw >= d.want:
				d.resp.LowWatermark = lw
			default:
				left = append(left, d)
			}
		}
		if pending = left; len(pending) == 0 {
			return
		}
		select {
		case <-wake:
			continue
		case <-deadline.C:
		case <-a.done:
		}
		for _, d := range pending {
			d.resp.ErrorCode = kerr.RequestTimedOut.Code
		}
		return
	}
}
