package api

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

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
	byTopic := map[string]int{}
	for _, tp := range sortedKeys(results) {
		r := results[tp]
		i, ok := byTopic[tp.Topic]
		if !ok {
			t := kmsg.NewAlterPartitionAssignmentsResponseTopic()
			t.Topic = tp.Topic
			resp.Topics = append(resp.Topics, t)
			i = len(resp.Topics) - 1
			byTopic[tp.Topic] = i
		}
		p := kmsg.NewAlterPartitionAssignmentsResponseTopicPartition()
		p.Partition = tp.Partition
		if r.Err != nil {
			p.ErrorCode = r.Err.Code
			msg := r.Message
			p.ErrorMessage = &msg
		}
		resp.Topics[i].Partitions = append(resp.Topics[i].Partitions, p)
	}
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
	byTopic := map[string]int{}
	for _, tp := range sortedKeys(ongoing) {
		if req.Topics != nil && !wanted[tp] {
			continue
		}
		o := ongoing[tp]
		i, ok := byTopic[tp.Topic]
		if !ok {
			t := kmsg.NewListPartitionReassignmentsResponseTopic()
			t.Topic = tp.Topic
			resp.Topics = append(resp.Topics, t)
			i = len(resp.Topics) - 1
			byTopic[tp.Topic] = i
		}
		p := kmsg.NewListPartitionReassignmentsResponseTopicPartition()
		p.Partition = tp.Partition
		p.Replicas, p.AddingReplicas, p.RemovingReplicas = o.Replicas, nonNil(o.Adding), nonNil(o.Removing)
		resp.Topics[i].Partitions = append(resp.Topics[i].Partitions, p)
	}
	return resp
}

func nonNil(ids []int32) []int32 {
	if ids == nil {
		return []int32{}
	}
	return ids
}
