package api

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// handleDescribeProducers lists the active producers of partitions this
// broker leads (KIP-664, Kafka 2.8): id, epoch, last sequence and
// timestamp, coordinator epoch and the start of the open transaction.
func (a *KafkaApis) handleDescribeProducers(req *kmsg.DescribeProducersRequest) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.DescribeProducersResponse)
	for _, t := range req.Topics {
		rt := kmsg.NewDescribeProducersResponseTopic()
		rt.Topic = t.Topic
		for _, part := range t.Partitions {
			rp := kmsg.NewDescribeProducersResponseTopicPartition()
			rp.Partition = part
			rp.ActiveProducers = []kmsg.DescribeProducersResponseTopicPartitionActiveProducer{}
			p := a.replicas.Partition(t.Topic, part)
			switch {
			case p == nil:
				rp.ErrorCode = a.notHostedCode(t.Topic, part)
			case !p.IsLeader() || p.Log() == nil:
				rp.ErrorCode = kerr.NotLeaderForPartition.Code
			default:
				for _, ap := range p.Log().ActiveProducers() {
					x := kmsg.NewDescribeProducersResponseTopicPartitionActiveProducer()
					x.ProducerID = ap.ProducerID
					x.ProducerEpoch = int32(ap.ProducerEpoch)
					x.LastSequence = ap.LastSequence
					x.LastTimestamp = ap.LastTimestamp
					x.CoordinatorEpoch = ap.CoordinatorEpoch
					x.CurrentTxnStartOffset = ap.CurrentTxnStartOffset
					rp.ActiveProducers = append(rp.ActiveProducers, x)
				}
			}
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp
}
