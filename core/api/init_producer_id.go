package api

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// handleInitProducerID gives idempotent producers a producer id (epoch 0).
// Transactional producers need the transaction coordinator, which this
// broker does not run yet: they get COORDINATOR_NOT_AVAILABLE.
func (a *KafkaApis) handleInitProducerID(req *kmsg.InitProducerIDRequest) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.InitProducerIDResponse)
	resp.ProducerID, resp.ProducerEpoch = -1, -1
	if req.TransactionalID != nil || a.producerIDs == nil {
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
