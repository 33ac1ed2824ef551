package api

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gokafka/kafka/core/admin"
	"github.com/gokafka/kafka/core/coordinator/group"
	"github.com/gokafka/kafka/core/coordinator/transaction"
)

// SetTransactionCoordinator enables transactional producers:
// FindCoordinator for transactions, InitProducerId with a transactional
// id, AddPartitionsToTxn, AddOffsetsToTxn and EndTxn.
func (a *KafkaApis) SetTransactionCoordinator(tc *transaction.Coordinator) { a.txn = tc }

// fencedForVersion maps PRODUCER_FENCED to INVALID_PRODUCER_EPOCH for
// request versions older than newest, as Kafka 2.8's KafkaApis does for
// clients that do not know the newer code.
func fencedForVersion(code int16, version, newest int16) int16 {
	if version < newest && code == kerr.ProducerFenced.Code {
		return kerr.InvalidProducerEpoch.Code
	}
	return code
}

// handleAddPartitionsToTxn adds partitions to a transaction. Unknown
// partitions fail the whole request: they get UNKNOWN_TOPIC_OR_PARTITION
// and the others OPERATION_NOT_ATTEMPTED.
func (a *KafkaApis) handleAddPartitionsToTxn(req *kmsg.AddPartitionsToTxnRequest) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.AddPartitionsToTxnResponse)
	codes := map[string]map[int32]int16{}
	var order []string
	var parts []transaction.TopicPartition
	unknown := false
	for _, t := range req.Topics {
		if codes[t.Topic] == nil {
			codes[t.Topic] = map[int32]int16{}
			order = append(order, t.Topic)
		}
		for _, p := range t.Partitions {
			if _, ok := a.cache.Partition(t.Topic, p); !ok {
				codes[t.Topic][p] = kerr.UnknownTopicOrPartition.Code
				unknown = true
				continue
			}
			codes[t.Topic][p] = 0
			parts = append(parts, transaction.TopicPartition{Topic: t.Topic, Partition: p})
		}
	}
	var code int16
	if !unknown {
		if a.txn == nil {
			code = kerr.CoordinatorNotAvailable.Code
		} else {
			code = a.txn.HandleAddPartitionsToTransaction(req.TransactionalID, req.ProducerID, req.ProducerEpoch, parts)
		}
		code = fencedForVersion(code, req.Version, 2)
	}
	for _, topic := range order {
		rt := kmsg.NewAddPartitionsToTxnResponseTopic()
		rt.Topic = topic
		for _, p := range sortedPartitions(codes[topic]) {
			rp := kmsg.NewAddPartitionsToTxnResponseTopicPartition()
			rp.Partition = p
			switch {
			case !unknown:
				rp.ErrorCode = code
			case codes[topic][p] != 0:
				rp.ErrorCode = codes[topic][p]
			default:
				rp.ErrorCode = kerr.OperationNotAttempted.Code
			}
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp
}

func sortedPartitions(m map[int32]int16) []int32 {
	out := make([]int32, 0, len(m))
	for p := range m {
		out = append(out, p)
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// handleAddOffsetsToTxn adds the group's __consumer_offsets partition to
// the transaction, so that EndTxn writes a marker there too.
func (a *KafkaApis) handleAddOffsetsToTxn(req *kmsg.AddOffsetsToTxnRequest) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.AddOffsetsToTxnResponse)
	if a.txn == nil || a.groups == nil {
		resp.ErrorCode = kerr.CoordinatorNotAvailable.Code
		return resp
	}
	tp := transaction.TopicPartition{Topic: group.OffsetsTopic, Partition: a.groups.PartitionFor(req.Group)}
	code := a.txn.HandleAddPartitionsToTransaction(req.TransactionalID, req.ProducerID, req.ProducerEpoch, []transaction.TopicPartition{tp})
	resp.ErrorCode = fencedForVersion(code, req.Version, 2)
	return resp
}

// handleEndTxn commits or aborts a transaction.
func (a *KafkaApis) handleEndTxn(req *kmsg.EndTxnRequest) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.EndTxnResponse)
	if a.txn == nil {
		resp.ErrorCode = kerr.CoordinatorNotAvailable.Code
		return resp
	}
	code := a.txn.HandleEndTransaction(req.TransactionalID, req.ProducerID, req.ProducerEpoch, req.Commit)
	resp.ErrorCode = fencedForVersion(code, req.Version, 2)
	return resp
}

// createTransactionTopic creates __transaction_state with the
// transaction.state.log.* settings, refusing while fewer brokers are alive
// than its replication factor.
func (a *KafkaApis) createTransactionTopic() {
	brokers := a.cache.AliveBrokerIDs()
	rf := a.txn.ReplicationFactor()
	if len(brokers) < int(rf) {
		a.log.Errorf("Number of alive brokers '%d' does not meet the required replication factor '%d' for the transactions state topic (configured via 'transaction.state.log.replication.factor'). This error can be ignored if the cluster is starting up and not all brokers are up yet.",
			len(brokers), rf)
		return
	}
	n := a.txn.NumPartitions()
	assignment, err := admin.AssignReplicasToBrokers(brokers, n, rf, -1, 0)
	if err != nil {
		a.log.Warnf("Cannot create topic %s: %v", transaction.TransactionStateTopic, err)
		return
	}
	if err := admin.CreateTopic(a.zk, transaction.TransactionStateTopic, assignment, a.txn.TopicConfigs(), false); err != nil {
		if errorCode(err) != kerr.TopicAlreadyExists.Code {
			a.log.Warnf("Cannot create topic %s: %v", transaction.TransactionStateTopic, err)
		}
		return
	}
	a.log.Infof("Auto creation of topic %s with %d partitions and replication factor %d is successful", transaction.TransactionStateTopic, n, rf)
}
