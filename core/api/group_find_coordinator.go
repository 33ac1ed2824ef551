package api

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gokafka/kafka/core/admin"
	"github.com/gokafka/kafka/core/coordinator/group"
	"github.com/gokafka/kafka/core/coordinator/transaction"
	"github.com/gokafka/kafka/core/network"
)

// GroupCoordinator is the broker's group coordinator; nil until set.
func (a *KafkaApis) SetGroupCoordinator(gc *group.GroupCoordinator) { a.groups = gc }

// handleFindCoordinator names the leader of the group's __consumer_offsets
// partition, or (key type 1) of the transactional id's __transaction_state
// partition, creating the topic on first use.
func (a *KafkaApis) handleFindCoordinator(req *network.Request, body *kmsg.FindCoordinatorRequest) kmsg.Response {
	resp := body.ResponseKind().(*kmsg.FindCoordinatorResponse)
	set := func(code int16, id int32, host string, port int32) kmsg.Response {
		resp.ErrorCode, resp.NodeID, resp.Host, resp.Port = code, id, host, port
		msg := "NONE"
		if code != 0 {
			msg = kerr.ErrorForCode(code).(*kerr.Error).Description
		}
		resp.ErrorMessage = &msg
		return resp
	}
	notAvailable := func() kmsg.Response { return set(kerr.CoordinatorNotAvailable.Code, -1, "", -1) }
	var topic string
	var want int32
	var create func()
	switch {
	case body.CoordinatorType == 1:
		if a.txn == nil {
			return notAvailable()
		}
		topic, want, create = transaction.TransactionStateTopic, a.txn.PartitionFor(body.CoordinatorKey), a.createTransactionTopic
	case body.CoordinatorType != 0:
		return set(kerr.InvalidRequest.Code, -1, "", -1)
	case a.groups == nil:
		return notAvailable()
	default:
		topic, want, create = group.OffsetsTopic, a.groups.PartitionFor(body.CoordinatorKey), a.createOffsetsTopic
	}
	parts, ok := a.cache.Partitions(topic)
	if !ok {
		create()
		return notAvailable()
	}
	for _, p := range parts {
		if p.Partition != want || p.Leader < 0 {
			continue
		}
		b, ok := a.cache.Broker(p.Leader)
		if !ok {
			break
		}
		ep, ok := b.EndpointFor(req.ListenerName)
		if !ok {
			break
		}
		return set(0, b.ID, ep.Host, ep.Port)
	}
	return notAvailable()
}

// createOffsetsTopic creates __consumer_offsets with the offsets.topic.*
// settings, refusing (as Kafka does) while fewer brokers are alive than
// the replication factor asks for.
func (a *KafkaApis) createOffsetsTopic() {
	brokers := a.cache.AliveBrokerIDs()
	rf := a.groups.ReplicationFactor()
	if len(brokers) < int(rf) {
		a.log.Errorf("Number of alive brokers '%d' does not meet the required replication factor '%d' for the offsets topic (configured via 'offsets.topic.replication.factor'). This error can be ignored if the cluster is starting up and not all brokers are up yet.",
			len(brokers), rf)
		return
	}
	n := a.groups.NumPartitions()
	assignment, err := admin.AssignReplicasToBrokers(brokers, n, rf, -1, 0)
	if err != nil {
		a.log.Warnf("Cannot create topic %s: %v", group.OffsetsTopic, err)
		return
	}
	if err := admin.CreateTopic(a.zk, group.OffsetsTopic, assignment, a.groups.OffsetsTopicConfigs(), false); err != nil {
		if errorCode(err) != kerr.TopicAlreadyExists.Code {
			a.log.Warnf("Cannot create topic %s: %v", group.OffsetsTopic, err)
		}
		return
	}
	a.log.Infof("Auto creation of topic %s with %d partitions and replication factor %d is successful", group.OffsetsTopic, n, rf)
}
