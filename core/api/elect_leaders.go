package api

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gokafka/kafka/core/controller"
	"github.com/gokafka/kafka/zkutil"
)

// handleElectLeaders runs preferred or unclean leader elections on the
// controller (kafka-leader-election.sh, AdminClient.electLeaders).
func (a *KafkaApis) handleElectLeaders(req *kmsg.ElectLeadersRequest) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.ElectLeadersResponse)
	if !a.controller.IsActive() {
		resp.ErrorCode = kerr.NotController.Code
		return resp
	}
	var tps []zkutil.TopicPartition
	if req.Topics != nil {
		tps = []zkutil.TopicPartition{}
		for _, t := range req.Topics {
			for _, p := range t.Partitions {
				tps = append(tps, zkutil.TopicPartition{Topic: t.Topic, Partition: p})
			}
		}
	}
	results, err := a.controller.ElectLeaders(controller.ElectionType(req.ElectionType), tps)
	if err != nil {
		resp.ErrorCode = kerr.NotController.Code
		return resp
	}
	eachByTopic(results, func(topic string) {
		t := kmsg.NewElectLeadersResponseTopic()
		t.Topic = topic
		resp.Topics = append(resp.Topics, t)
	}, func(tp zkutil.TopicPartition, r controller.ElectionResult) {
		p := kmsg.NewElectLeadersResponseTopicPartition()
		p.Partition = tp.Partition
		if r.Err != nil {
			p.ErrorCode = r.Err.Code
			msg := r.Message
			p.ErrorMessage = &msg
		}
		last := &resp.Topics[len(resp.Topics)-1]
		last.Partitions = append(last.Partitions, p)
	})
	return resp
}
