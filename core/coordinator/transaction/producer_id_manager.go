// Package transaction is the broker's transaction coordinator (Kafka's
// kafka.coordinator.transaction): producer ids for idempotent and
// transactional producers (ProducerIDManager), the state of every
// transactional id kept in the __transaction_state topic
// (TransactionStateManager, TransactionLog), the InitProducerId /
// AddPartitionsToTxn / AddOffsetsToTxn / EndTxn logic (Coordinator) and the
// WriteTxnMarkers requests that complete transactions on the partition
// leaders (TransactionMarkerChannelManager).
package transaction

import (
	"sync"

	"github.com/gokafka/kafka/zkutil"
)

// ProducerIDBlockStore claims ranges of producer ids, shared by every broker
// of the cluster (/latest_producer_id_block in ZooKeeper).
type ProducerIDBlockStore interface {
	ClaimProducerIDBlock(brokerID int32) (zkutil.ProducerIDBlock, error)
}

// ProducerIDManager hands out cluster-unique producer ids from blocks of
// 1000 claimed with a conditional ZooKeeper write, like Kafka's
// ProducerIdManager, so two brokers never give out the same id.
type ProducerIDManager struct {
	brokerID int32
	store    ProducerIDBlockStore

	mu    sync.Mutex
	next  int64
	end   int64 // last id of the current block; next > end means exhausted
	ready bool
}

// NewProducerIDManager returns a manager that claims its first block on
// first use.
func NewProducerIDManager(brokerID int32, store ProducerIDBlockStore) *ProducerIDManager {
	return &ProducerIDManager{brokerID: brokerID, store: store}
}

// GenerateProducerID returns the next unused producer id.
func (m *ProducerIDManager) GenerateProducerID() (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.ready || m.next > m.end {
		block, err := m.store.ClaimProducerIDBlock(m.brokerID)
		if err != nil {
			return -1, err
		}
		m.next, m.end, m.ready = block.BlockStart, block.BlockEnd, true
	}
	id := m.next
	m.next++
	return id, nil
}
