package api

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gokafka/kafka/core/controller"
	"github.com/gokafka/kafka/zkutil"
)

// handleAlterPartitionReassignments starts or cancels reassignments on the
// controller (kafka-reassign-partitions.sh --bootstrap-server).
func (a *KafkaApis) handleAlterPartitionReassignments(req *kmsg.AlterPartitionAssignmentsRequest) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.AlterPartitionAssignmentsResponse)
	if !a.controller.IsActive() {
		resp.ErrorCode = kerr.NotController.Code
		return resp
	}
	reqs := map[zkutil.TopicPartition][]int32{}
	for _, t := range req.Topics {
		for _, p := range t.Partitions {
			reqs[zkutil.TopicPartition{Topic: t.Topic, Partition: p.Partition}] = p.Replicas
		}
	}
	results, err := a.controller.AlterPartitionReassignments(reqs)
	if err != nil {
		resp.ErrorCode = kerr.NotController.Code
		return resp
	}
	eachByTopic(results, func(topic string) {
		t := kmsg.NewAlterPartitionAssignmentsResponseTopic()
		t.Topic = topic
		resp.Topics = append(resp.Topics, t)
	}, func(tp zkutil.TopicPartition, r controller.ReassignmentResult) {
		p := kmsg.NewAlterPartitionAssignmentsResponseTopicPartition()
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

// handleListPartitionReassignments reports ongoing reassignments.
func (a *KafkaApis) handleListPartitionReassignments(req *kmsg.ListPartitionReassignmentsRequest) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.ListPartitionReassignmentsResponse)
	if !a.controller.IsActive() {
		resp.ErrorCode = kerr.NotController.Code
		return resp
	}
	ongoing, err := a.controller.ListPartitionReassignments()
	if err != nil {
		resp.ErrorCode = kerr.NotController.Code
		return resp
	}
	wanted := map[zkutil.TopicPartition]bool{}
	for _, t := range req.Topics {
		for _, p := range t.Partitions {
			wanted[zkutil.TopicPartition{Topic: t.Topic, Partition: p}] = true
		}
	}
	for tp := range ongoing {
		if req.Topics != nil && !wanted[tp] {
			delete(ongoing, tp)
		}
	}
	eachByTopic(ongoing, func(topic string) {
		t := kmsg.NewListPartitionReassignmentsResponseTopic()
		t.Topic = topic
		resp.Topics = append(resp.Topics, t)
	}, func(tp zkutil.TopicPartition, o controller.OngoingReassignment) {
		p := kmsg.NewListPartitionReassignmentsResponseTopicPartition()
		p.Partition = tp.Partition
		p.Replicas, p.AddingReplicas, p.RemovingReplicas = o.Replicas, nonNil(o.Adding), nonNil(o.Removing)
		last := &resp.Topics[len(resp.Topics)-1]
		last.Partitions = append(last.Partitions, p)
	})
	return resp
}

func nonNil(ids []int32) []int32 {
	if ids == nil {
		return []int32{}
	}
	return ids
}
