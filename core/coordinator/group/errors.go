package group

import "github.com/twmb/franz-go/pkg/kerr"

// Kafka error codes the coordinator answers with.
var (
	errNone                      int16 = 0
	errUnknownServer                   = kerr.UnknownServerError.Code
	errCoordinatorNotAvailable         = kerr.CoordinatorNotAvailable.Code
	errNotCoordinator                  = kerr.NotCoordinator.Code
	errLoadInProgress                  = kerr.CoordinatorLoadInProgress.Code
	errInvalidGroupID                  = kerr.InvalidGroupID.Code
	errUnknownMemberID                 = kerr.UnknownMemberID.Code
	errInvalidSessionTimeout           = kerr.InvalidSessionTimeout.Code
	errRebalanceInProgress             = kerr.RebalanceInProgress.Code
	errIllegalGeneration               = kerr.IllegalGeneration.Code
	errInconsistentGroupProtocol       = kerr.InconsistentGroupProtocol.Code
	errMemberIDRequired                = kerr.MemberIDRequired.Code
	errFencedInstanceID                = kerr.FencedInstanceID.Code
	errGroupMaxSizeReached             = kerr.GroupMaxSizeReached.Code
	errGroupIDNotFound                 = kerr.GroupIDNotFound.Code
	errNonEmptyGroup                   = kerr.NonEmptyGroup.Code
	errGroupSubscribedToTopic          = kerr.GroupSubscribedToTopic.Code
	errOffsetMetadataTooLarge          = kerr.OffsetMetadataTooLarge.Code
	errUnstableOffsetCommit            = kerr.UnstableOffsetCommit.Code
)

var (
	kerrRequestTimedOut         = kerr.RequestTimedOut.Code
	kerrInvalidCommitOffsetSize = kerr.InvalidCommitOffsetSize.Code
)

// errorMessage is the text of Kafka's Errors enum for code (error.message),
// which Kafka's coordinator logs for a failed write.
func errorMessage(code int16) string {
	if e, ok := kerr.ErrorForCode(code).(*kerr.Error); ok {
		return e.Description
	}
	return "The server experienced an unexpected error when processing the request."
}
