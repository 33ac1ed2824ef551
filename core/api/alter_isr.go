package api

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gokafka/kafka/core/controller"
	"github.com/gokafka/kafka/zkutil"
)

// handleAlterIsr serves AlterIsr (key 56, KIP-497) on the controller: the
// controller checks the sender's broker epoch, each partition's leader
// epoch and state znode version, writes the new ISRs and sends
// UpdateMetadata. Other brokers answer NOT_CONTROLLER. The answer lists
// each partition with its error or its new leader, leader epoch, ISR and
// state version (current_isr_version).
func (a *KafkaApis) handleAlterIsr(req *kmsg.AlterPartitionRequest) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.AlterPartitionResponse)
	resp.Topics = []kmsg.AlterPartitionResponseTopic{}
	if a.controller == nil || !a.controller.IsActive() {
		resp.ErrorCode = kerr.NotController.Code
		return resp
	}
	reqs := make(map[zkutil.TopicPartition]controller.AlterIsrRequest)
	for _, t := range req.Topics {
		for _, p := range t.Partitions {
			isr := p.NewISR
			if isr == nil {
				isr = []int32{}
			}
			// A partition named twice: the last entry wins, as in Kafka.
			reqs[zkutil.TopicPartition{Topic: t.Topic, Partition: p.Partition}] = controller.AlterIsrRequest{
				LeaderEpoch: p.LeaderEpoch, NewIsr: isr, CurrentIsrVersion: p.PartitionEpoch,
			}
		}
	}
	results, topErr, err := a.controller.AlterIsr(req.BrokerID, req.BrokerEpoch, reqs)
	switch {
	case err != nil:
		resp.ErrorCode = kerr.NotController.Code
		return resp
	case topErr != nil:
		resp.ErrorCode = topErr.Code
		return resp
	}
	eachByTopic(results, func(topic string) {
		rt := kmsg.NewAlterPartitionResponseTopic()
		rt.Topic = topic
		resp.Topics = append(resp.Topics, rt)
	}, func(tp zkutil.TopicPartition, r controller.AlterIsrResult) {
		rp := kmsg.NewAlterPartitionResponseTopicPartition()
		rp.Partition = tp.Partition
		if r.Err != nil {
			rp.ErrorCode = r.Err.Code
		} else {
			rp.LeaderID = r.State.Leader
			rp.LeaderEpoch = r.State.LeaderEpoch
			rp.ISR = append([]int32{}, r.State.Isr...)
			rp.PartitionEpoch = r.State.ZkVersion
		}
		rt := &resp.Topics[len(resp.Topics)-1]
		rt.Partitions = append(rt.Partitions, rp)
	})
	return resp
}
