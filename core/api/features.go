package api

import (
	"fmt"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// UpdateFeatures (KIP-584) as a Kafka 2.8 ZooKeeper broker answers it:
// NOT_CONTROLLER away from the controller; INVALID_REQUEST "Feature
// versioning system is disabled." when inter.broker.protocol.version is
// below 2.7-IV0; otherwise each update is validated against the features
// the brokers support. A 2.8 broker supports no feature at all (its
// BrokerFeatures are empty) and the finalized set is empty, so every update
// fails validation with INVALID_REQUEST and its reason, and nothing is
// written to /feature.

const featureVersioningIBP = "2.7-IV0"

func (a *KafkaApis) featureVersioningEnabled() bool {
	return a.cfg.IBPAtLeast == nil || a.cfg.IBPAtLeast(featureVersioningIBP)
}

func (a *KafkaApis) handleUpdateFeatures(req *kmsg.UpdateFeaturesRequest) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.UpdateFeaturesResponse)
	resp.Results = []kmsg.UpdateFeaturesResponseResult{}
	topLevel := func(e *kerr.Error, msg string) kmsg.Response {
		resp.ErrorCode = e.Code
		resp.ErrorMessage = &msg
		return resp
	}
	if a.controller == nil || !a.controller.IsActive() {
		return topLevel(kerr.NotController, kerr.NotController.Description)
	}
	if !a.featureVersioningEnabled() {
		return topLevel(kerr.InvalidRequest, "Feature versioning system is disabled.")
	}
	// One result per feature name; a name given twice keeps its first
	// place and the last update's outcome.
	index := map[string]int{}
	for _, u := range req.FeatureUpdates {
		msg := featureUpdateError(u)
		r := kmsg.NewUpdateFeaturesResponseResult()
		r.Feature = u.Feature
		r.ErrorCode = kerr.InvalidRequest.Code
		r.ErrorMessage = &msg
		if i, ok := index[u.Feature]; ok {
			resp.Results[i] = r
			continue
		}
		index[u.Feature] = len(resp.Results)
		resp.Results = append(resp.Results, r)
	}
	return resp
}

// featureUpdateError is the controller's validation message for one update
// when no feature is finalized and none is supported
// (validateFeatureUpdate with an empty FinalizedFeatureCache).
func featureUpdateError(u kmsg.UpdateFeaturesRequestFeatureUpdate) string {
	switch {
	case u.Feature == "":
		return "Feature name can not be empty."
	case u.AllowDowngrade && u.MaxVersionLevel < 1: // a deletion
		return "Can not delete non-existing finalized feature."
	case u.MaxVersionLevel < 1:
		return fmt.Sprintf("Can not provide maxVersionLevel: %d less than 1 without setting the allowDowngrade flag to true in the request.", u.MaxVersionLevel)
	default:
		return "Could not apply finalized feature update because the provided feature is not supported."
	}
}
