package server

import (
	"github.com/gokafka/kafka/core/coordinator/transaction"
)

// transactionConfig is the transaction coordinator's part of the
// configuration.
func (s *KafkaServer) transactionConfig() transaction.Config {
	c := s.cfg
	return transaction.Config{
		BrokerID:                                s.brokerID,
		TransactionalIDExpirationMs:             int64(c.TransactionalIDExpirationMs),
		TransactionMaxTimeoutMs:                 int32(c.TransactionMaxTimeoutMs),
		NumPartitions:                           c.TransactionStateLogNumPartitions,
		ReplicationFactor:                       c.TransactionStateLogReplicationFactor,
		SegmentBytes:                            c.TransactionStateLogSegmentBytes,
		LoadBufferSize:                          int32(c.TransactionStateLogLoadBufferSize),
		MinInsyncReplicas:                       c.TransactionStateLogMinIsr,
		AbortTimedOutTransactionsIntervalMs:     int64(c.TransactionAbortTimedOutTransactionCleanupIntervalMs),
		RemoveExpiredTransactionalIDsIntervalMs: int64(c.TransactionRemoveExpiredTransactionalIDCleanupIntervalMs),
		RequestTimeoutMs:                        int32(c.RequestTimeoutMs),
		InterBrokerListener:                     c.InterBrokerListenerName,
	}
}

// startTransactionCoordinator creates and starts the transaction
// coordinator before the broker serves requests, so it hears about every
// __transaction_state partition it is made leader of. Its partition count
// is the existing topic's, else transaction.state.log.num.partitions (as
// Kafka's getTransactionTopicPartitionCount).
func (s *KafkaServer) startTransactionCoordinator(pids *transaction.ProducerIDManager) *transaction.Coordinator {
	tc := transaction.NewCoordinator(s.transactionConfig(), s.replicas, s.cache, pids)
	var count int32
	if a, ok, err := s.zk.GetTopicAssignment(transaction.TransactionStateTopic); err == nil && ok {
		count = int32(len(a.Partitions))
	}
	tc.Startup(count)
	s.apis.SetTransactionCoordinator(tc)
	return tc
}
