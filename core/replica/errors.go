package replica

import "errors"

// Errors of the replica layer; the API layer maps them to Kafka codes.
var (
	ErrUnknownPartition = errors.New("this broker does not host the partition")
	ErrRequestTimedOut  = errors.New("timed out waiting for the ISR to acknowledge the records")
	// ErrNotEnoughReplicasAfterAppend: appended, but the ISR shrank below
	// min.insync.replicas before the records were acknowledged.
	ErrNotEnoughReplicasAfterAppend = errors.New("the ISR shrank below min.insync.replicas after the append")
)
