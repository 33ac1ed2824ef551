package group

// HandleTxnCompletion is called by the WriteTxnMarkers handler after a
// transaction marker for producerID has been appended (and replicated) to
// the given __consumer_offsets partitions this broker leads: commit makes
// the producer's pending transactional offsets for groups on those
// partitions visible, abort drops them (Kafka's
// GroupCoordinator.scheduleHandleTxnCompletion).
func (c *GroupCoordinator) HandleTxnCompletion(producerID int64, offsetsPartitions []int32, commit bool) {
	// Filled in with TxnOffsetCommit support (pending transactional offsets).
}
