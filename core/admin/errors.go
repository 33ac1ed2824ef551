// Package admin holds the topic administration rules of Kafka 2.x: replica
// assignment, topic name and assignment validation, and the ZooKeeper writes
// that create topics, add partitions and mark topics for deletion.
//
// Mirrors kafka/admin/AdminUtils.scala, kafka/zk/AdminZkClient.scala and the
// topic parts of kafka/server/ZkAdminManager.scala (2.8).
package admin

import (
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kerr"
)

// Error is a failure the API layer returns as a Kafka error code plus
// message (CreateTopics, CreatePartitions, DeleteTopics responses) and the
// tools print as is.
type Error struct {
	Code    int16
	Message string
	cause   error
}

func (e *Error) Error() string { return e.Message }

// Unwrap exposes the sentinel a few errors carry (ErrTopicAlreadyMarkedForDeletion).
func (e *Error) Unwrap() error { return e.cause }

// Is lets errors.Is(err, kerr.TopicAlreadyExists) match by code.
func (e *Error) Is(target error) bool {
	var ke *kerr.Error
	if errors.As(target, &ke) {
		return ke.Code == e.Code
	}
	return false
}

// KafkaError returns the kerr value for the code.
func (e *Error) KafkaError() error { return kerr.ErrorForCode(e.Code) }

func newError(k *kerr.Error, format string, args ...interface{}) *Error {
	return &Error{Code: k.Code, Message: fmt.Sprintf(format, args...)}
}

// adminOperation is Kafka's AdminOperationException: not an API error, so
// it reaches clients as UNKNOWN_SERVER_ERROR.
func adminOperation(format string, args ...interface{}) *Error {
	return newError(kerr.UnknownServerError, format, args...)
}

// ErrTopicAlreadyMarkedForDeletion is wrapped by DeleteTopic's error when the
// marker exists; DeleteTopics treats that as success, the tool prints it.
var ErrTopicAlreadyMarkedForDeletion = errors.New("topic already marked for deletion")
