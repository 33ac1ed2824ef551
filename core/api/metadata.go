package api

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gokafka/kafka/core/admin"
	"github.com/gokafka/kafka/core/coordinator/group"
	"github.com/gokafka/kafka/core/coordinator/transaction"
	"github.com/gokafka/kafka/core/metadata"
	"github.com/gokafka/kafka/core/network"
	"github.com/gokafka/kafka/zkutil"
)

// internalTopics are hidden from clients' writes and flagged in Metadata.
var internalTopics = map[string]bool{"__consumer_offsets": true, "__transaction_state": true}

// handleMetadata answers with the live brokers (on the listener the request
// came in on), the controller and the requested topics, auto-creating
// unknown topics when the broker and the request allow it.
func (a *KafkaApis) handleMetadata(req *network.Request, body *kmsg.MetadataRequest) kmsg.Response {
	resp := body.ResponseKind().(*kmsg.MetadataResponse)
	for _, b := range a.liveBrokersOn(req.ListenerName) {
		rb := kmsg.NewMetadataResponseBroker()
		rb.NodeID, rb.Host, rb.Port, rb.Rack = b.id, b.host, b.port, b.rack
		resp.Brokers = append(resp.Brokers, rb)
	}
	clusterID := a.cfg.ClusterID
	resp.ClusterID = &clusterID
	resp.ControllerID = a.cache.ControllerID()

	allTopics := body.Topics == nil || (body.Version == 0 && len(body.Topics) == 0)
	var names []string
	if allTopics {
		names = a.cache.Topics()
	} else {
		for _, t := range body.Topics {
			if t.Topic != nil {
				names = append(names, *t.Topic)
			} else if name, ok := a.cache.TopicName(t.TopicID); ok {
				names = append(names, name)
			}
		}
	}
	allowAutoCreate := body.Version < 4 || body.AllowAutoTopicCreation
	for _, name := range names {
		resp.Topics = append(resp.Topics, a.metadataTopic(name, !allTopics && allowAutoCreate, body.Version))
	}
	a.setMetadataAuthorizedOperations(req, body, resp)
	return resp
}

// setMetadataAuthorizedOperations fills the fields the request asked for
// (the flags are decoded only from v8, the cluster one only up to v10; left
// alone they stay Int.MinValue). As in 2.8 every topic answered here gets
// its bits, errors included; the TOPIC_AUTHORIZATION_FAILED entries that
// the authorizer adds afterwards keep Int.MinValue.
func (a *KafkaApis) setMetadataAuthorizedOperations(req *network.Request, body *kmsg.MetadataRequest, resp *kmsg.MetadataResponse) {
	if body.IncludeClusterAuthorizedOperations {
		resp.AuthorizedOperations = a.clusterAuthorizedOperations(req)
	}
	if body.IncludeTopicAuthorizedOperations {
		for i := range resp.Topics {
			if t := resp.Topics[i].Topic; t != nil {
				resp.Topics[i].AuthorizedOperations = a.authorizedOperations(req, zkutil.ResourceTopic, *t)
			}
		}
	}
}

// brokerAddress is a live broker as clients on one listener reach it.
type brokerAddress struct {
	id   int32
	host string
	port int32
	rack *string
}

// liveBrokersOn lists the live brokers' endpoints on the named listener:
// clients must be told the addresses of the listener they connected to.
func (a *KafkaApis) liveBrokersOn(listener string) []brokerAddress {
	var out []brokerAddress
	for _, b := range a.cache.AliveBrokers() {
		ep, ok := b.EndpointFor(listener)
		if !ok {
			continue
		}
		ba := brokerAddress{id: b.ID, host: ep.Host, port: ep.Port}
		if b.Rack != "" {
			rack := b.Rack
			ba.rack = &rack
		}
		out = append(out, ba)
	}
	return out
}

// metadataTopic describes one topic, creating it first if it is unknown
// and auto-creation applies.
func (a *KafkaApis) metadataTopic(name string, autoCreate bool, version int16) kmsg.MetadataResponseTopic {
	rt := kmsg.NewMetadataResponseTopic()
	topic := name
	rt.Topic = &topic
	rt.IsInternal = internalTopics[name]
	parts, ok := a.cache.Partitions(name)
	if !ok {
		rt.ErrorCode = a.maybeAutoCreate(name, autoCreate)
		return rt
	}
	rt.TopicID = a.cache.TopicID(name)
	live := make(map[int32]bool)
	for _, id := range a.cache.AliveBrokerIDs() {
		live[id] = true
	}
	for _, p := range parts {
		rt.Partitions = append(rt.Partitions, metadataPartition(p, live, version == 0))
	}
	return rt
}

// metadataPartition reports a partition the way Kafka's MetadataCache
// does: a dead leader is LEADER_NOT_AVAILABLE; dead replicas are listed as
// offline, and only Metadata v0 (which has no offline list) filters them
// out and flags REPLICA_NOT_AVAILABLE.
func metadataPartition(p metadata.PartitionState, live map[int32]bool, filterUnavailable bool) kmsg.MetadataResponseTopicPartition {
	rp := kmsg.NewMetadataResponseTopicPartition()
	rp.Partition = p.Partition
	rp.Leader = p.Leader
	rp.LeaderEpoch = p.LeaderEpoch
	rp.Replicas = p.Replicas
	rp.ISR = p.Isr
	rp.OfflineReplicas = p.OfflineReplicas
	if rp.OfflineReplicas == nil {
		rp.OfflineReplicas = []int32{}
	}
	if p.Leader < 0 || !live[p.Leader] {
		rp.Leader = -1
		rp.ErrorCode = kerr.LeaderNotAvailable.Code
		return rp
	}
	if filterUnavailable {
		replicas, isr := liveOnly(p.Replicas, live), liveOnly(p.Isr, live)
		if len(replicas) < len(p.Replicas) || len(isr) < len(p.Isr) {
			rp.ErrorCode = kerr.ReplicaNotAvailable.Code
		}
		rp.Replicas, rp.ISR = replicas, isr
	}
	return rp
}

func liveOnly(ids []int32, live map[int32]bool) []int32 {
	out := make([]int32, 0, len(ids))
	for _, id := range ids {
		if live[id] {
			out = append(out, id)
		}
	}
	return out
}

// maybeAutoCreate creates an unknown topic with the broker's defaults when
// auto.create.topics.enable allows, returning the code to report for it.
func (a *KafkaApis) maybeAutoCreate(name string, autoCreate bool) int16 {
	if err := admin.ValidateTopicName(name); err != nil {
		return kerr.InvalidTopicException.Code
	}
	if name == group.OffsetsTopic && a.groups != nil {
		// Kafka creates the offsets topic on any Metadata request naming
		// it, auto.create.topics.enable or not.
		if len(a.cache.AliveBrokerIDs()) < int(a.groups.ReplicationFactor()) {
			return kerr.InvalidReplicationFactor.Code
		}
		a.createOffsetsTopic()
		return kerr.LeaderNotAvailable.Code
	}
	if name == transaction.TransactionStateTopic && a.txn != nil {
		// The same for the transaction state topic.
		if len(a.cache.AliveBrokerIDs()) < int(a.txn.ReplicationFactor()) {
			return kerr.InvalidReplicationFactor.Code
		}
		a.createTransactionTopic()
		return kerr.LeaderNotAvailable.Code
	}
	if !autoCreate || !a.cfg.AutoCreateTopicsEnable || internalTopics[name] {
		return kerr.UnknownTopicOrPartition.Code
	}
	brokers := a.cache.AliveBrokerIDs()
	assignment, err := admin.AssignReplicasToBrokers(brokers, a.cfg.NumPartitions, a.cfg.DefaultReplicationFactor, -1, 0)
	if err != nil {
		a.log.Warnf("Cannot auto-create topic %s: %v", name, err)
		return errorCode(err)
	}
	if err := admin.CreateTopic(a.zk, name, assignment, map[string]string{}, false); err != nil {
		if errorCode(err) == kerr.TopicAlreadyExists.Code {
			return kerr.LeaderNotAvailable.Code
		}
		a.log.Warnf("Cannot auto-create topic %s: %v", name, err)
		return errorCode(err)
	}
	a.log.Infof("Auto creation of topic %s with %d partitions and replication factor %d is successful", name, a.cfg.NumPartitions, a.cfg.DefaultReplicationFactor)
	return kerr.LeaderNotAvailable.Code
}

// handleUpdateMetadata loads the controller's view into the cache.
func (a *KafkaApis) handleUpdateMetadata(req *kmsg.UpdateMetadataRequest) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.UpdateMetadataResponse)
	if !a.replicas.AcceptControllerEpoch(req.ControllerEpoch) {
		a.log.Warnf("Received UpdateMetadata from stale controller %d with epoch %d", req.ControllerID, req.ControllerEpoch)
		resp.ErrorCode = kerr.StaleControllerEpoch.Code
		return resp
	}
	var brokers []metadata.Broker
	for _, lb := range req.LiveBrokers {
		b := metadata.Broker{ID: lb.ID}
		if lb.Rack != nil {
			b.Rack = *lb.Rack
		}
		if req.Version == 0 {
			b.Endpoints = []metadata.Endpoint{{ListenerName: "PLAINTEXT", Host: lb.Host, Port: lb.Port}}
		}
		for _, e := range lb.Endpoints {
			name := e.ListenerName
			if req.Version < 3 {
				name = securityProtocolName(e.SecurityProtocol)
			}
			b.Endpoints = append(b.Endpoints, metadata.Endpoint{ListenerName: name, Host: e.Host, Port: e.Port, SecurityProtocol: e.SecurityProtocol})
		}
		brokers = append(brokers, b)
	}
	var states []metadata.PartitionState
	ids := make(map[string][16]byte)
	add := func(topic string, p kmsg.UpdateMetadataRequestTopicPartition) {
		states = append(states, metadata.PartitionState{
			Topic: topic, Partition: p.Partition, ControllerEpoch: p.ControllerEpoch, Leader: p.Leader,
			LeaderEpoch: p.LeaderEpoch, Isr: p.ISR, ZkVersion: p.ZKVersion, Replicas: p.Replicas, OfflineReplicas: p.OfflineReplicas,
		})
	}
	for _, p := range req.PartitionStates {
		add(p.Topic, p)
	}
	for _, t := range req.TopicStates {
		ids[t.Topic] = t.TopicID
		for _, p := range t.PartitionStates {
			add(t.Topic, p)
		}
	}
	a.cache.Update(req.ControllerID, brokers, states, ids)
	return resp
}

func securityProtocolName(code int16) string {
	switch code {
	case 1:
		return "SSL"
	case 2:
		return "SASL_PLAINTEXT"
	case 3:
		return "SASL_SSL"
	}
	return "PLAINTEXT"
}
