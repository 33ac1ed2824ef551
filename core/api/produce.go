package api

import (
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	klog "github.com/gokafka/kafka/core/log"
	"github.com/gokafka/kafka/core/record"
	"github.com/gokafka/kafka/core/replica"
)

// handleProduce appends each partition's record set. The records are
// stored as the client sent them: only batch headers are checked and
// rewritten, never individual records.
func (a *KafkaApis) handleProduce(req *kmsg.ProduceRequest) (kmsg.Response, error) {
	resp := req.ResponseKind().(*kmsg.ProduceResponse)
	failed := false
	timeout := millis(req.TimeoutMillis)
	if req.TransactionID == nil && hasTransactionalRecords(req) {
		// Kafka authorizes transactional batches by their transactional
		// id; without one the whole request fails.
		return produceErrorResponse(req, kerr.TransactionalIDAuthorizationFailed.Code)
	}
	// Append every partition first, then wait for the ISR of all of them
	// against one deadline (Kafka's single DelayedProduce per request), so
	// that an acks=all request takes one replication round, not one per
	// partition, and times out after timeout_ms in total.
	type pending struct {
		ti, pi int
		wait   func(time.Time) error
	}
	var waits []pending
	for _, t := range req.Topics {
		rt := kmsg.NewProduceResponseTopic()
		rt.Topic = t.Topic
		for _, p := range t.Partitions {
			rp, wait := a.producePartition(req, t.Topic, p)
			if wait != nil {
				waits = append(waits, pending{len(resp.Topics), len(rt.Partitions), wait})
			}
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	deadline := time.Now().Add(timeout)
	for _, w := range waits {
		rt := &resp.Topics[w.ti]
		if err := w.wait(deadline); err != nil {
			a.failProducePartition(req, rt.Topic, &rt.Partitions[w.pi], err)
		}
	}
	for _, rt := range resp.Topics {
		for _, rp := range rt.Partitions {
			if rp.ErrorCode != 0 {
				failed = true
			}
		}
	}
	if req.Acks == 0 {
		// No response for acks=0; on error Kafka closes the connection so
		// the producer refreshes its metadata.
		if failed {
			return nil, errors.New("closing connection after a failed acks=0 produce")
		}
		return nil, nil
	}
	return resp, nil
}

// producePartition appends one partition's records. For acks=-1 it returns
// the function that waits for the ISR; the caller fails the partition with
// failProducePartition if that wait fails.
func (a *KafkaApis) producePartition(req *kmsg.ProduceRequest, topic string, p kmsg.ProduceRequestTopicPartition) (kmsg.ProduceResponseTopicPartition, func(time.Time) error) {
	var wait func(time.Time) error
	rp := kmsg.NewProduceResponseTopicPartition()
	rp.Partition = p.Partition
	rp.BaseOffset, rp.LogAppendTime, rp.LogStartOffset = -1, -1, -1
	var err error
	switch {
	case internalTopics[topic]:
		err = kerr.InvalidTopicException
	case req.Acks != 0 && req.Acks != 1 && req.Acks != -1:
		err = kerr.InvalidRequiredAcks
	case len(p.Records) == 0:
		err = fmt.Errorf("%w: empty record set", kerr.CorruptMessage)
	}
	if err == nil {
		if !a.cache.Contains(topic) && a.replicas.Partition(topic, p.Partition) == nil {
			err = replica.ErrUnknownPartition
		} else {
			var res replica.ProduceResult
			res, wait = a.replicas.StartAppendRecords(replica.TopicPartition{Topic: topic, Partition: p.Partition}, p.Records, req.Acks)
			err = res.Err
			if err == nil {
				rp.BaseOffset = res.Result.FirstOffset
				rp.LogAppendTime = res.Result.LogAppendTime
				rp.LogStartOffset = res.Result.LogStartOffset
			}
		}
	}
	if err != nil {
		a.failProducePartition(req, topic, &rp, err)
	}
	return rp, wait
}

// failProducePartition sets a partition's error in the produce response.
func (a *KafkaApis) failProducePartition(req *kmsg.ProduceRequest, topic string, rp *kmsg.ProduceResponseTopicPartition, err error) {
	rp.BaseOffset, rp.LogAppendTime, rp.LogStartOffset = -1, -1, -1
	rp.ErrorCode = a.partitionErrorCode(topic, rp.Partition, err)
	if req.Version >= 8 {
		rp.ErrorMessage = errorMessage(err)
	}
	a.log.Debugf("Produce to %s-%d failed: %v", topic, rp.Partition, err)
}

// producerStateErrorCode maps the log's producer state errors (sequence,
// epoch and transaction checks) to Kafka's codes.
func producerStateErrorCode(err error) (int16, bool) {
	switch {
	case errors.Is(err, klog.ErrInvalidProducerEpoch):
		return kerr.InvalidProducerEpoch.Code, true
	case errors.Is(err, klog.ErrOutOfOrderSequence):
		return kerr.OutOfOrderSequenceNumber.Code, true
	case errors.Is(err, klog.ErrInvalidTxnState):
		return kerr.InvalidTxnState.Code, true
	case errors.Is(err, klog.ErrTransactionCoordinatorFenced):
		return kerr.TransactionCoordinatorFenced.Code, true
	}
	return 0, false
}

// hasTransactionalRecords reports whether a partition's first batch has
// the transactional bit (Kafka's RequestUtils.hasTransactionalRecords).
func hasTransactionalRecords(req *kmsg.ProduceRequest) bool {
	for _, t := range req.Topics {
		for _, p := range t.Partitions {
			if len(p.Records) >= record.BatchHeaderSize && record.EntryMagic(p.Records) == record.MagicV2 &&
				record.Batch(p.Records).IsTransactional() {
				return true
			}
		}
	}
	return false
}

// produceErrorResponse fails every partition with code (none for acks=0:
// the connection is closed instead).
func produceErrorResponse(req *kmsg.ProduceRequest, code int16) (kmsg.Response, error) {
	if req.Acks == 0 {
		return nil, errors.New("closing connection after a failed acks=0 produce")
	}
	resp := req.ResponseKind().(*kmsg.ProduceResponse)
	for _, t := range req.Topics {
		rt := kmsg.NewProduceResponseTopic()
		rt.Topic = t.Topic
		for _, p := range t.Partitions {
			rp := kmsg.NewProduceResponseTopicPartition()
			rp.Partition, rp.ErrorCode = p.Partition, code
			rp.BaseOffset, rp.LogAppendTime, rp.LogStartOffset = -1, -1, -1
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp, nil
}
