package controller

import (
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gokafka/kafka/core/internal/reqtopics"
	"github.com/gokafka/kafka/zkutil"
)

// Versions of the controller-to-broker requests we send (Kafka 2.8's).
const (
	leaderAndIsrVersion   = 4
	updateMetadataVersion = 7
	stopReplicaVersion    = 3
)

// leaderDuringDelete tells brokers a partition is being deleted.
const leaderDuringDelete = -2

// sendLeaderAndIsr tells each live replica of tps its partitions' leader
// and ISR. isNew marks partitions just created.
func (c *KafkaController) sendLeaderAndIsr(tps []zkutil.TopicPartition, isNew map[zkutil.TopicPartition]bool) {
	perBroker := make(map[int32][]zkutil.TopicPartition)
	live := c.ctx.live()
	for _, tp := range tps {
		if _, ok := c.ctx.states[tp]; !ok {
			continue
		}
		for _, r := range c.ctx.replicas(tp) {
			if live[r] {
				perBroker[r] = append(perBroker[r], tp)
			}
		}
	}
	for id, parts := range perBroker {
		c.send(id, c.leaderAndIsrRequest(id, parts, isNew), nil)
	}
}

func (c *KafkaController) leaderAndIsrRequest(brokerID int32, tps []zkutil.TopicPartition, isNew map[zkutil.TopicPartition]bool) *kmsg.LeaderAndISRRequest {
	req := kmsg.NewPtrLeaderAndISRRequest()
	req.SetVersion(leaderAndIsrVersion)
	req.ControllerID = c.cfg.BrokerID
	req.ControllerEpoch = c.Epoch()
	req.BrokerEpoch = c.ctx.liveBrokers[brokerID].Epoch
	byTopic := make(map[string]int)
	leaders := make(map[int32]bool)
	for _, tp := range tps {
		s := c.ctx.states[tp]
		i := reqtopics.Slot(byTopic, tp.Topic, func() int {
			ts := kmsg.NewLeaderAndISRRequestTopicState()
			ts.Topic = tp.Topic
			ts.TopicID = topicIDBytes(c.ctx.assignments[tp.Topic].TopicID)
			req.TopicStates = append(req.TopicStates, ts)
			return len(req.TopicStates) - 1
		})
		ps := kmsg.NewLeaderAndISRRequestTopicPartition()
		ps.Topic = tp.Topic
		ps.Partition = tp.Partition
		ps.ControllerEpoch = s.ControllerEpoch
		ps.Leader = s.Leader
		ps.LeaderEpoch = s.LeaderEpoch
		ps.ISR = s.Isr
		ps.ZKVersion = s.ZkVersion
		ps.Replicas = c.ctx.replicas(tp)
		ps.AddingReplicas = []int32{}
		ps.RemovingReplicas = []int32{}
		ps.IsNew = isNew[tp]
		req.TopicStates[i].PartitionStates = append(req.TopicStates[i].PartitionStates, ps)
		if s.Leader >= 0 {
			leaders[s.Leader] = true
		}
	}
	for id := range leaders {
		b, ok := c.ctx.liveBrokers[id]
		if !ok {
			continue
		}
		ll := kmsg.NewLeaderAndISRRequestLiveLeader()
		ll.BrokerID = id
		ep := c.interBrokerEndpoint(b)
		ll.Host, ll.Port = ep.Host, ep.Port
		req.LiveLeaders = append(req.LiveLeaders, ll)
	}
	return req
}

func (c *KafkaController) interBrokerEndpoint(b zkutil.BrokerInfo) zkutil.EndPoint {
	for _, e := range b.Endpoints {
		if e.ListenerName == c.cfg.InterBrokerListener {
			return e
		}
	}
	if len(b.Endpoints) > 0 {
		return b.Endpoints[0]
	}
	return zkutil.EndPoint{}
}

// sendUpdateMetadata sends the live brokers and the states of tps to the
// given brokers.
func (c *KafkaController) sendUpdateMetadata(brokers []int32, tps []zkutil.TopicPartition) {
	for _, id := range brokers {
		c.send(id, c.updateMetadataRequest(id, tps, nil), nil)
	}
}

func (c *KafkaController) updateMetadataRequest(brokerID int32, tps []zkutil.TopicPartition, deleting map[string]bool) *kmsg.UpdateMetadataRequest {
	req := kmsg.NewPtrUpdateMetadataRequest()
	req.SetVersion(updateMetadataVersion)
	req.ControllerID = c.cfg.BrokerID
	req.ControllerEpoch = c.Epoch()
	req.BrokerEpoch = c.ctx.liveBrokers[brokerID].Epoch
	live := c.ctx.live()
	byTopic := make(map[string]int)
	for _, tp := range tps {
		s, ok := c.ctx.states[tp]
		if !ok {
			continue
		}
		i := reqtopics.Slot(byTopic, tp.Topic, func() int {
			ts := kmsg.NewUpdateMetadataRequestTopicState()
			ts.Topic = tp.Topic
			ts.TopicID = topicIDBytes(c.ctx.assignments[tp.Topic].TopicID)
			req.TopicStates = append(req.TopicStates, ts)
			return len(req.TopicStates) - 1
		})
		ps := kmsg.NewUpdateMetadataRequestTopicPartition()
		ps.Topic = tp.Topic
		ps.Partition = tp.Partition
		ps.ControllerEpoch = s.ControllerEpoch
		ps.Leader = s.Leader
		if deleting[tp.Topic] {
			ps.Leader = leaderDuringDelete
		}
		ps.LeaderEpoch = s.LeaderEpoch
		ps.ISR = s.Isr
		ps.ZKVersion = s.ZkVersion
		ps.Replicas = c.ctx.replicas(tp)
		ps.OfflineReplicas = []int32{}
		for _, r := range ps.Replicas {
			if !live[r] {
				ps.OfflineReplicas = append(ps.OfflineReplicas, r)
			}
		}
		req.TopicStates[i].PartitionStates = append(req.TopicStates[i].PartitionStates, ps)
	}
	for _, id := range c.ctx.liveBrokerIDs() {
		b := c.ctx.liveBrokers[id]
		lb := kmsg.NewUpdateMetadataRequestLiveBroker()
		lb.ID = id
		if b.Rack != "" {
			rack := b.Rack
			lb.Rack = &rack
		}
		for _, e := range b.Endpoints {
			ep := kmsg.NewUpdateMetadataRequestLiveBrokerEndpoint()
			ep.Host, ep.Port, ep.ListenerName = e.Host, e.Port, e.ListenerName
			ep.SecurityProtocol = securityProtocolCode(e.SecurityProtocol)
			lb.Endpoints = append(lb.Endpoints, ep)
		}
		req.LiveBrokers = append(req.LiveBrokers, lb)
	}
	return req
}

// sendStopReplica asks a broker to stop (and optionally delete) replicas.
func (c *KafkaController) sendStopReplica(brokerID int32, tps []zkutil.TopicPartition, deletePartitions bool) {
	req := kmsg.NewPtrStopReplicaRequest()
	req.SetVersion(stopReplicaVersion)
	req.ControllerID = c.cfg.BrokerID
	req.ControllerEpoch = c.Epoch()
	req.BrokerEpoch = c.ctx.liveBrokers[brokerID].Epoch
	byTopic := make(map[string]int)
	for _, tp := range tps {
		i := reqtopics.Slot(byTopic, tp.Topic, func() int {
			t := kmsg.NewStopReplicaRequestTopic()
			t.Topic = tp.Topic
			req.Topics = append(req.Topics, t)
			return len(req.Topics) - 1
		})
		ps := kmsg.NewStopReplicaRequestTopicPartitionState()
		ps.Partition = tp.Partition
		ps.LeaderEpoch = leaderDuringDelete
		if s, ok := c.ctx.states[tp]; ok && !deletePartitions {
			ps.LeaderEpoch = s.LeaderEpoch
		}
		ps.Delete = deletePartitions
		req.Topics[i].PartitionStates = append(req.Topics[i].PartitionStates, ps)
	}
	c.send(brokerID, req, nil)
}

func (c *KafkaController) send(brokerID int32, req kmsg.Request, callback func(kmsg.Response)) {
	ch := c.channels[brokerID]
	if ch == nil {
		return
	}
	ch.enqueue(controllerRequest{req: req, callback: callback})
}

func securityProtocolCode(name string) int16 {
	switch name {
	case "SSL":
		return 1
	case "SASL_PLAINTEXT":
		return 2
	case "SASL_SSL":
		return 3
	}
	return 0
}
