package api

import (
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gokafka/kafka/core/admin"
	"github.com/gokafka/kafka/core/metadata"
)

// propagationPoll is how often admin requests look at the metadata cache
// while waiting for the controller to finish their work.
const propagationPoll = 20 * time.Millisecond

// handleCreateTopics validates each topic, writes its assignment to
// ZooKeeper (the controller takes it from there) and waits until every
// partition has a leader or the request times out.
func (a *KafkaApis) handleCreateTopics(req *kmsg.CreateTopicsRequest) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.CreateTopicsResponse)
	deadline := time.Now().Add(millis(req.TimeoutMillis))
	var created []int
	seen := map[string]int{}
	for _, t := range req.Topics {
		seen[t.Topic]++
	}
	for _, t := range req.Topics {
		rt := kmsg.NewCreateTopicsResponseTopic()
		rt.Topic = t.Topic
		var err error
		switch {
		case seen[t.Topic] > 1:
			err = &admin.Error{Code: kerr.InvalidRequest.Code, Message: fmt.Sprintf("Create topics request from client contains duplicate topic %s.", t.Topic)}
		case !a.controller.IsActive():
			err = &admin.Error{Code: kerr.NotController.Code, Message: "This is not the correct controller for this cluster."}
		default:
			err = a.createTopic(req, t, &rt)
		}
		if err != nil {
			rt.ErrorCode = errorCode(err)
			if req.Version >= 1 {
				rt.ErrorMessage = errorMessage(err)
			}
		} else if !req.ValidateOnly {
			created = append(created, len(resp.Topics))
		}
		resp.Topics = append(resp.Topics, rt)
	}
	for _, i := range created {
		rt := &resp.Topics[i]
		if !a.awaitTopic(rt.Topic, deadline, true) && req.TimeoutMillis > 0 {
			rt.ErrorCode = kerr.RequestTimedOut.Code
		}
		rt.TopicID = a.cache.TopicID(rt.Topic)
	}
	return resp
}

// createTopic validates one topic and writes it to ZooKeeper.
func (a *KafkaApis) createTopic(req *kmsg.CreateTopicsRequest, t kmsg.CreateTopicsRequestTopic, rt *kmsg.CreateTopicsResponseTopic) error {
	if err := admin.ValidateTopicName(t.Topic); err != nil {
		return err
	}
	configs := map[string]string{}
	for _, c := range t.Configs {
		if c.Value != nil {
			configs[c.Name] = *c.Value
		}
	}
	if a.cfg.ValidateTopicConfig != nil {
		if err := a.cfg.ValidateTopicConfig(configs); err != nil {
			return &admin.Error{Code: kerr.InvalidConfig.Code, Message: err.Error()}
		}
	}
	assignment, err := a.topicAssignment(t)
	if err != nil {
		return err
	}
	if err := admin.CreateTopic(a.zk, t.Topic, assignment, configs, req.ValidateOnly); err != nil {
		return err
	}
	rt.NumPartitions = int32(len(assignment))
	rt.ReplicationFactor = int16(len(assignment[0]))
	if req.Version >= 5 && a.cfg.DescribeTopicConfigs != nil {
		for _, e := range a.cfg.DescribeTopicConfigs(configs) {
			c := kmsg.NewCreateTopicsResponseTopicConfig()
			v := e.Value
			c.Name, c.Value, c.ReadOnly, c.Source, c.IsSensitive = e.Name, &v, e.ReadOnly, e.Source, e.Sensitive
			rt.Configs = append(rt.Configs, c)
		}
	}
	if !req.ValidateOnly {
		a.log.Infof("Creating topic %s with configuration %v and initial partition assignment %v", t.Topic, configs, assignment)
	}
	return nil
}

// topicAssignment returns the manual assignment if one was given,
// otherwise Kafka's rack-unaware assignment over the live brokers.
func (a *KafkaApis) topicAssignment(t kmsg.CreateTopicsRequestTopic) (map[int32][]int32, error) {
	if len(t.ReplicaAssignment) > 0 {
		if t.NumPartitions != -1 || t.ReplicationFactor != -1 {
			return nil, &admin.Error{Code: kerr.InvalidRequest.Code, Message: "Both numPartitions or replicationFactor and replicasAssignment were set. Both cannot be used at the same time."}
		}
		manual := make(map[int32][]int32, len(t.ReplicaAssignment))
		for _, ra := range t.ReplicaAssignment {
			manual[ra.Partition] = ra.Replicas
		}
		if err := admin.ValidateNewTopicAssignment(manual); err != nil {
			return nil, err
		}
		return manual, nil
	}
	n, rf := t.NumPartitions, t.ReplicationFactor
	if n == -1 {
		n = a.cfg.NumPartitions
	}
	if rf == -1 {
		rf = a.cfg.DefaultReplicationFactor
	}
	return admin.AssignReplicasToBrokers(a.cache.AliveBrokerIDs(), n, rf, -1, 0)
}

// awaitTopic polls the metadata cache until the topic exists with a
// leader for every partition (present=true) or is gone (present=false).
func (a *KafkaApis) awaitTopic(topic string, deadline time.Time, present bool) bool {
	for {
		parts, ok := a.cache.Partitions(topic)
		if present && ok && allLed(parts) {
			return true
		}
		if !present && !ok {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		select {
		case <-a.done:
			return false
		case <-time.After(propagationPoll):
		}
	}
}

func allLed(parts []metadata.PartitionState) bool {
	for _, p := range parts {
		if p.Leader < 0 {
			return false
		}
	}
	return len(parts) > 0
}

// handleDeleteTopics marks topics for deletion in ZooKeeper and waits for
// the controller to remove them.
func (a *KafkaApis) handleDeleteTopics(req *kmsg.DeleteTopicsRequest) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.DeleteTopicsResponse)
	deadline := time.Now().Add(millis(req.TimeoutMillis))
	names := req.TopicNames
	for _, t := range req.Topics {
		if t.Topic != nil {
			names = append(names, *t.Topic)
		} else if n, ok := a.cache.TopicName(t.TopicID); ok {
			names = append(names, n)
		} else {
			rt := kmsg.NewDeleteTopicsResponseTopic()
			rt.TopicID = t.TopicID
			rt.ErrorCode = kerr.UnknownTopicID.Code
			resp.Topics = append(resp.Topics, rt)
		}
	}
	var pending []int
	for _, name := range names {
		rt := kmsg.NewDeleteTopicsResponseTopic()
		n := name
		rt.Topic = &n
		rt.TopicID = a.cache.TopicID(name)
		var err error
		switch {
		case !a.controller.IsActive():
			err = kerr.NotController
		case !a.cfg.DeleteTopicEnable:
			err = &admin.Error{Code: kerr.TopicDeletionDisabled.Code, Message: "Topic deletion is disabled."}
		case !a.cache.Contains(name):
			err = kerr.UnknownTopicOrPartition
		default:
			err = admin.DeleteTopic(a.zk, name)
			if errors.Is(err, admin.ErrTopicAlreadyMarkedForDeletion) {
				err = nil // a second request for the same deletion just waits too
			}
		}
		if err != nil {
			rt.ErrorCode = errorCode(err)
			if req.Version >= 5 {
				rt.ErrorMessage = errorMessage(err)
			}
		} else {
			pending = append(pending, len(resp.Topics))
		}
		resp.Topics = append(resp.Topics, rt)
	}
	for _, i := range pending {
		if !a.awaitTopic(*resp.Topics[i].Topic, deadline, false) && req.TimeoutMillis > 0 {
			resp.Topics[i].ErrorCode = kerr.RequestTimedOut.Code
		}
	}
	return resp
}

// handleCreatePartitions adds partitions to existing topics.
func (a *KafkaApis) handleCreatePartitions(req *kmsg.CreatePartitionsRequest) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.CreatePartitionsResponse)
	deadline := time.Now().Add(millis(req.TimeoutMillis))
	var pending []int
	for _, t := range req.Topics {
		rt := kmsg.NewCreatePartitionsResponseTopic()
		rt.Topic = t.Topic
		err := a.createPartitions(req, t)
		if err != nil {
			rt.ErrorCode = errorCode(err)
			rt.ErrorMessage = errorMessage(err)
		} else if !req.ValidateOnly {
			pending = append(pending, len(resp.Topics))
		}
		resp.Topics = append(resp.Topics, rt)
	}
	for _, i := range pending {
		t := req.Topics[i]
		for time.Now().Before(deadline) {
			parts, _ := a.cache.Partitions(t.Topic)
			if int32(len(parts)) >= t.Count && allLed(parts) {
				break
			}
			time.Sleep(propagationPoll)
		}
	}
	return resp
}

func (a *KafkaApis) createPartitions(req *kmsg.CreatePartitionsRequest, t kmsg.CreatePartitionsRequestTopic) error {
	if !a.controller.IsActive() {
		return kerr.NotController
	}
	existing, ok, err := a.zk.GetTopicAssignment(t.Topic)
	if err != nil {
		return err
	}
	if !ok {
		return &admin.Error{Code: kerr.UnknownTopicOrPartition.Code, Message: fmt.Sprintf("The topic '%s' does not exist.", t.Topic)}
	}
	var manual map[int32][]int32
	if t.Assignment != nil {
		manual = make(map[int32][]int32, len(t.Assignment))
		start := int32(len(existing.Partitions))
		for i, as := range t.Assignment {
			manual[start+int32(i)] = as.Replicas
		}
	}
	_, err = admin.AddPartitions(a.zk, t.Topic, existing, t.Count, a.cache.AliveBrokerIDs(), manual, req.ValidateOnly)
	return err
}
