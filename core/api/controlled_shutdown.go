package api

import (
	"errors"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gokafka/kafka/core/controller"
)

// handleControlledShutdown lets a stopping broker ask the controller to
// move its leaderships away first.
func (a *KafkaApis) handleControlledShutdown(req *kmsg.ControlledShutdownRequest) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.ControlledShutdownResponse)
	if !a.controller.IsActive() {
		resp.ErrorCode = kerr.NotController.Code
		return resp
	}
	epoch := int64(-1)
	if req.Version >= 2 {
		epoch = req.BrokerEpoch
	}
	remaining, err := a.controller.ControlledShutdown(req.BrokerID, epoch)
	switch {
	case errors.Is(err, controller.ErrUnknownBroker):
		resp.ErrorCode = kerr.StaleBrokerEpoch.Code
		if epoch < 0 {
			resp.ErrorCode = kerr.BrokerNotAvailable.Code
		}
	case err != nil:
		resp.ErrorCode = kerr.NotController.Code
	}
	for _, tp := range remaining {
		p := kmsg.NewControlledShutdownResponsePartitionsRemaining()
		p.Topic, p.Partition = tp.Topic, tp.Partition
		resp.PartitionsRemaining = append(resp.PartitionsRemaining, p)
	}
	return resp
}
