package api

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gokafka/kafka/core/coordinator/transaction"
)

// handleInitProducerID gives idempotent producers a fresh producer id
// (epoch 0) and hands transactional producers to the transaction
// coordinator, which bumps their epoch and fences older instances.
func (a *KafkaApis) handleInitProducerID(req *kmsg.InitProducerIDRequest) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.InitProducerIDResponse)
	resp.ProducerID, resp.ProducerEpoch = -1, -1
	// v3+ (KIP-360): a producer id and epoch, both or neither.
	var expected *transaction.ProducerIDAndEpoch
	switch {
	case req.ProducerID == -1 && req.ProducerEpoch == -1:
	case req.ProducerID == -1 || req.ProducerEpoch == -1:
		resp.ErrorCode = kerr.InvalidRequest.Code
		return resp
	default:
		expected = &transaction.ProducerIDAndEpoch{ProducerID: req.ProducerID, Epoch: req.ProducerEpoch}
	}
	if req.TransactionalID != nil {
		if a.txn == nil {
			resp.ErrorCode = kerr.CoordinatorNotAvailable.Code
			return resp
		}
		if _, ok := a.cache.Partitions(transaction.TransactionStateTopic); !ok {
			// Nobody asked FindCoordinator first: make the topic now; the
			// client finds the coordinator again on NOT_COORDINATOR.
			a.createTransactionTopic()
		}
		r := a.txn.HandleInitProducerID(*req.TransactionalID, req.TransactionTimeoutMillis, expected)
		resp.ProducerID, resp.ProducerEpoch = r.ProducerID, r.ProducerEpoch
		resp.ErrorCode = fencedForVersion(r.ErrorCode, req.Version, 4)
		return resp
	}
	if a.producerIDs == nil {
		resp.ErrorCode = kerr.CoordinatorNotAvailable.Code
		return resp
	}
	id, err := a.producerIDs.GenerateProducerID()
	if err != nil {
		a.log.Warnf("Cannot allocate a producer id: %v", err)
		resp.ErrorCode = kerr.CoordinatorNotAvailable.Code
		return resp
	}
	resp.ProducerID, resp.ProducerEpoch = id, 0
	return resp
}
