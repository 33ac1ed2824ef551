package transaction

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/gokafka/kafka/core/logging"
	"github.com/gokafka/kafka/core/metadata"
	"github.com/gokafka/kafka/core/replica"
)

// Config is the transaction coordinator's part of the broker configuration
// (transaction.* and transactional.id.* keys).
type Config struct {
	BrokerID                                int32
	TransactionalIDExpirationMs             int64
	TransactionMaxTimeoutMs                 int32
	NumPartitions                           int32 // transaction.state.log.num.partitions
	ReplicationFactor                       int16
	SegmentBytes                            int32
	LoadBufferSize                          int32
	MinInsyncReplicas                       int
	AbortTimedOutTransactionsIntervalMs     int64
	RemoveExpiredTransactionalIDsIntervalMs int64
	RequestTimeoutMs                        int32
	// InterBrokerListener names the listener markers are sent over.
	InterBrokerListener string
}

// ProducerIDGenerator hands out producer ids (ProducerIDManager).
type ProducerIDGenerator interface {
	GenerateProducerID() (int64, error)
}

// InitProducerIDResult is InitProducerId's answer.
type InitProducerIDResult struct {
	ProducerID    int64
	ProducerEpoch int16
	ErrorCode     int16
}

// ProducerIDAndEpoch is the producer id and epoch a KIP-360 client sends
// with InitProducerId (v3+) to recover its current id.
type ProducerIDAndEpoch struct {
	ProducerID int64
	Epoch      int16
}

// Coordinator is Kafka's TransactionCoordinator: it answers
// InitProducerId (with a transactional id), AddPartitionsToTxn,
// AddOffsetsToTxn and EndTxn for the transactional ids whose
// __transaction_state partitions this broker leads, writes every state
// change there, and completes transactions by sending WriteTxnMarkers to
// the partitions' leaders.
type Coordinator struct {
	cfg     Config
	sm      *stateManager
	markers *markerChannelManager
	pids    ProducerIDGenerator
	log     *logrus.Entry
	now     func() int64

	active atomic.Bool
	done   chan struct{}
	wg     sync.WaitGroup
	mu     sync.Mutex // serialises Startup and Shutdown
}

// NewCoordinator returns a coordinator that loads the __transaction_state
// partitions rm makes this broker lead. cache gives the partition leaders
// markers are sent to.
func NewCoordinator(cfg Config, rm *replica.ReplicaManager, cache *metadata.MetadataCache, pids ProducerIDGenerator) *Coordinator {
	if cfg.LoadBufferSize <= 0 {
		cfg.LoadBufferSize = 5 << 20
	}
	if cfg.RequestTimeoutMs <= 0 {
		cfg.RequestTimeoutMs = 30000
	}
	if cfg.NumPartitions <= 0 {
		cfg.NumPartitions = 50
	}
	now := func() int64 { return time.Now().UnixMilli() }
	sm := newStateManager(cfg, rm, now)
	c := &Coordinator{
		cfg: cfg, sm: sm, markers: newMarkerChannelManager(cfg, cache, sm), pids: pids, now: now,
		log:  logging.For("kafka.coordinator.transaction.TransactionCoordinator"),
		done: make(chan struct{}),
	}
	if rm != nil {
		rm.AddLeadershipListener(c.onLeadershipChange)
	}
	return c
}

func (c *Coordinator) prefix() string {
	return fmt.Sprintf("[TransactionCoordinator id=%d] ", c.cfg.BrokerID)
}
func (c *Coordinator) infof(f string, a ...any) {
	c.log.Infof(c.prefix()+f, a...)
}
func (c *Coordinator) warnf(f string, a ...any) {
	c.log.Warnf(c.prefix()+f, a...)
}
func (c *Coordinator) errorf(f string, a ...any) {
	c.log.Errorf(c.prefix()+f, a...)
}

// Startup starts the loader, the marker sender and the timers.
// partitionCount is the partition count of __transaction_state if the
// topic exists (0 when it does not: the configured count is used).
func (c *Coordinator) Startup(partitionCount int32) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.infof("Starting up.")
	if partitionCount > 0 {
		c.sm.numPartitions.Store(partitionCount)
	}
	c.wg.Add(1)
	go func() { defer c.wg.Done(); c.sm.sched.Run(c.done) }()
	c.every(c.cfg.AbortTimedOutTransactionsIntervalMs, c.abortTimedOutTransactions)
	c.every(c.cfg.RemoveExpiredTransactionalIDsIntervalMs, c.sm.removeExpiredTransactionalIDs)
	c.markers.start()
	c.active.Store(true)
	c.infof("Startup complete.")
}

func (c *Coordinator) every(ms int64, f func()) {
	if ms <= 0 {
		return
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		t := time.NewTicker(time.Duration(ms) * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-c.done:
				return
			case <-t.C:
				f()
			}
		}
	}()
}

// Shutdown stops the timers, the loader and the marker senders.
func (c *Coordinator) Shutdown() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.active.Swap(false) {
		return
	}
	c.infof("Shutting down.")
	c.sm.shuttingDown.Store(true) // stops a partition load early
	close(c.done)
	// A timer task may be waiting for the replicas of a state write; do
	// not hold the broker's shutdown for longer than that takes normally.
	waited := make(chan struct{})
	go func() { c.wg.Wait(); close(waited) }()
	select {
	case <-waited:
	case <-time.After(5 * time.Second):
		c.warnf("Background tasks still running after 5 s; continuing the shutdown")
	}
	c.sm.shutdown()
	c.markers.shutdown()
	c.infof("Shutdown complete.")
}

// PartitionFor returns the __transaction_state partition of a transactional id.
func (c *Coordinator) PartitionFor(transactionalID string) int32 {
	return c.sm.partitionFor(transactionalID)
}

// NumPartitions and ReplicationFactor are what __transaction_state is created with.
func (c *Coordinator) NumPartitions() int32     { return c.sm.numPartitions.Load() }
func (c *Coordinator) ReplicationFactor() int16 { return c.cfg.ReplicationFactor }

// TopicConfigs are the topic configs __transaction_state is created with.
func (c *Coordinator) TopicConfigs() map[string]string {
	return map[string]string{
		"unclean.leader.election.enable": "false",
		"compression.type":               "uncompressed",
		"cleanup.policy":                 "compact",
		"min.insync.replicas":            fmt.Sprint(c.cfg.MinInsyncReplicas),
		"segment.bytes":                  fmt.Sprint(c.cfg.SegmentBytes),
	}
}

// onLeadershipChange is the ReplicaManager hook: leading a
// __transaction_state partition means loading it, losing it unloading.
func (c *Coordinator) onLeadershipChange(tp replica.TopicPartition, isLeader, stopped bool, leaderEpoch int32) {
	if tp.Topic != TransactionStateTopic {
		return
	}
	if isLeader && !stopped {
		c.onElection(tp.Partition, leaderEpoch)
	} else {
		c.onResignation(tp.Partition, leaderEpoch)
	}
}

func (c *Coordinator) onElection(p, epoch int32) {
	if c.sm.ownsOrLoading(p) {
		// Still the leader (an ISR change or the same request again): the
		// metadata in memory is current.
		return
	}
	c.infof("Elected as the txn coordinator for partition %d at epoch %d", p, epoch)
	c.markers.removeMarkersForTxnTopicPartition(p)
	c.sm.loadTransactionsForPartition(p, epoch, c.markers.addTxnMarkersToSend)
}

func (c *Coordinator) onResignation(p, epoch int32) {
	if !c.sm.ownsOrLoading(p) {
		return
	}
	if epoch >= 0 {
		c.infof("Resigned as the txn coordinator for partition %d at epoch Some(%d)", p, epoch)
	} else {
		c.infof("Resigned as the txn coordinator for partition %d at epoch None", p)
	}
	c.sm.removeTransactionsForPartition(p)
	c.markers.removeMarkersForTxnTopicPartition(p)
}

// HandleInitProducerID gives a transactional producer its producer id and
// a bumped epoch, fencing older instances. expected carries the KIP-360
// producer id and epoch (nil when the request had -1/-1).
func (c *Coordinator) HandleInitProducerID(transactionalID string, timeoutMs int32, expected *ProducerIDAndEpoch) InitProducerIDResult {
	fail := func(code int16) InitProducerIDResult {
		return InitProducerIDResult{ProducerID: NoProducerID, ProducerEpoch: NoProducerEpoch, ErrorCode: code}
	}
	if transactionalID == "" {
		return fail(errInvalidRequest)
	}
	if !c.sm.validateTransactionTimeoutMs(timeoutMs) {
		return fail(errInvalidTxnTimeout)
	}
	coordEpoch, m, code := c.sm.getTransactionState(transactionalID)
	if code != errNone {
		return fail(code)
	}
	if m == nil {
		pid, err := c.pids.GenerateProducerID()
		if err != nil {
			c.warnf("Cannot allocate a producer id: %v", err)
			return fail(errCoordinatorNotAvail)
		}
		created := newTransactionMetadata(transactionalID, pid, NoProducerID, NoProducerEpoch, NoProducerEpoch, timeoutMs, Empty, c.now())
		if coordEpoch, m, code = c.sm.putTransactionStateIfNotExists(created); code != errNone {
			return fail(code)
		}
	}
	m.lock()
	t, code := c.prepareInitProducerIDTransit(transactionalID, timeoutMs, m, expected)
	m.unlock()
	if code != errNone {
		return fail(code)
	}
	if t.State == PrepareEpochFence {
		// Abort the ongoing transaction first; the client retries on
		// CONCURRENT_TRANSACTIONS and then gets a second bump.
		if code := c.endTransaction(transactionalID, t.ProducerID, t.ProducerEpoch, false, false); code != errNone {
			return fail(code)
		}
		return fail(errConcurrent)
	}
	if code := c.sm.appendTransactionToLog(transactionalID, coordEpoch, t, nil); code != errNone {
		c.infof("Returning %s error code to client for %s's InitProducerId request", codeName(code), transactionalID)
		return fail(code)
	}
	c.infof("Initialized transactionalId %s with producerId %d and producer epoch %d on partition %s-%d",
		transactionalID, t.ProducerID, t.ProducerEpoch, TransactionStateTopic, c.sm.partitionFor(transactionalID))
	return InitProducerIDResult{ProducerID: t.ProducerID, ProducerEpoch: t.ProducerEpoch}
}

// prepareInitProducerIDTransit decides InitProducerId's transition. Caller
// holds m's lock.
func (c *Coordinator) prepareInitProducerIDTransit(id string, timeoutMs int32, m *TransactionMetadata, expected *ProducerIDAndEpoch) (TxnTransitMetadata, int16) {
	if m.pendingInProgress() {
		return TxnTransitMetadata{}, errConcurrent
	}
	if expected != nil {
		valid := m.ProducerEpoch == NoProducerEpoch || expected.ProducerID == m.ProducerID ||
			(expected.ProducerID == m.LastProducerID && isEpochExhausted(expected.Epoch))
		if !valid {
			return TxnTransitMetadata{}, errProducerFenced
		}
	}
	illegal := func(err error) (TxnTransitMetadata, int16) {
		c.errorf("%v", err)
		return TxnTransitMetadata{}, errUnknownServer
	}
	switch m.State {
	case PrepareAbort, PrepareCommit:
		return TxnTransitMetadata{}, errConcurrent
	case CompleteAbort, CompleteCommit, Empty:
		if m.isProducerEpochExhausted() && (expected == nil || expected.Epoch == m.ProducerEpoch) {
			pid, err := c.pids.GenerateProducerID()
			if err != nil {
				c.warnf("Cannot allocate a producer id: %v", err)
				return TxnTransitMetadata{}, errCoordinatorNotAvail
			}
			t, err := m.prepareProducerIDRotation(pid, timeoutMs, c.now(), expected != nil)
			if err != nil {
				return illegal(err)
			}
			return t, errNone
		}
		var exp *int16
		if expected != nil {
			exp = &expected.Epoch
		}
		t, code, err := m.prepareIncrementProducerEpoch(timeoutMs, exp, c.now())
		if err != nil {
			return illegal(err)
		}
		if code != errNone {
			c.infof("Expected producer epoch %d does not match current producer epoch %d or previous producer epoch %d", *exp, m.ProducerEpoch, m.LastProducerEpoch)
		}
		return t, code
	case Ongoing:
		t, err := m.prepareFenceProducerEpoch()
		if err != nil {
			return illegal(err)
		}
		return t, errNone
	default:
		return illegal(fmt.Errorf("Found transactionalId %s with state %s. This is illegal as we should never have transitioned to this state.", id, m.State))
	}
}

// HandleAddPartitionsToTransaction adds partitions (AddPartitionsToTxn,
// or the group's offsets partition for AddOffsetsToTxn) to the ongoing
// transaction, starting one if needed.
func (c *Coordinator) HandleAddPartitionsToTransaction(transactionalID string, producerID int64, producerEpoch int16, partitions []TopicPartition) int16 {
	if transactionalID == "" {
		return errInvalidRequest
	}
	coordEpoch, m, code := c.sm.getTransactionState(transactionalID)
	if code != errNone {
		return code
	}
	if m == nil {
		return errInvalidPIDMapping
	}
	add := newPartitionSet(partitions...)
	m.lock()
	var t TxnTransitMetadata
	switch {
	case m.ProducerID != producerID:
		code = errInvalidPIDMapping
	case m.ProducerEpoch != producerEpoch:
		code = errProducerFenced
	case m.pendingInProgress(), m.State == PrepareCommit, m.State == PrepareAbort:
		code = errConcurrent
	case m.State == Ongoing && add.subsetOf(m.Partitions):
		m.unlock()
		return errNone
	default:
		var err error
		if t, err = m.prepareAddPartitions(add, c.now()); err != nil {
			c.errorf("%v", err)
			code = errUnknownServer
		}
	}
	m.unlock()
	if code != errNone {
		return code
	}
	return c.sm.appendTransactionToLog(transactionalID, coordEpoch, t, nil)
}

// HandleEndTransaction commits or aborts the ongoing transaction: once
// PrepareCommit/PrepareAbort is durable the client has its answer and the
// markers go out.
func (c *Coordinator) HandleEndTransaction(transactionalID string, producerID int64, producerEpoch int16, commit bool) int16 {
	return c.endTransaction(transactionalID, producerID, producerEpoch, commit, true)
}

func resultName(commit bool) string {
	if commit {
		return "COMMIT"
	}
	return "ABORT"
}

func (c *Coordinator) endTransaction(id string, producerID int64, producerEpoch int16, commit, fromClient bool) int16 {
	if id == "" {
		return errInvalidRequest
	}
	coordEpoch, m, code := c.sm.getTransactionState(id)
	if code != errNone {
		return code
	}
	if m == nil {
		return errInvalidPIDMapping
	}
	invalidState := func() int16 {
		c.log.Debugf("%sTransactionalId: %s's state is %s, but received transaction marker result to send: %s", c.prefix(), id, m.State, resultName(commit))
		return errInvalidTxnState
	}
	isEpochFence := false
	var t TxnTransitMetadata
	m.lock()
	switch {
	case m.ProducerID != producerID:
		code = errInvalidPIDMapping
	case (fromClient && producerEpoch != m.ProducerEpoch) || producerEpoch < m.ProducerEpoch:
		code = errProducerFenced
	case m.pendingInProgress() && (m.pending != PrepareEpochFence || fromClient):
		// A client's EndTxn racing with a fence waits for the abort
		// (Kafka fails it with an internal error instead).
		code = errConcurrent
	default:
		switch m.State {
		case Ongoing:
			next := PrepareAbort
			if commit {
				next = PrepareCommit
			}
			if next == PrepareAbort && m.pending == PrepareEpochFence {
				// The fence's bumped epoch goes into the PrepareAbort record.
				isEpochFence = true
				m.pending = noState
				m.ProducerEpoch = producerEpoch
				m.LastProducerEpoch = NoProducerEpoch
			}
			var err error
			if t, err = m.prepareAbortOrCommit(next, c.now()); err != nil {
				c.errorf("%v", err)
				code = errUnknownServer
			}
		case CompleteCommit:
			if !commit {
				code = invalidState()
			} else {
				m.unlock()
				return errNone
			}
		case CompleteAbort:
			if commit {
				code = invalidState()
			} else {
				m.unlock()
				return errNone
			}
		case PrepareCommit:
			if commit {
				code = errConcurrent
			} else {
				code = invalidState()
			}
		case PrepareAbort:
			if !commit {
				code = errConcurrent
			} else {
				code = invalidState()
			}
		case Empty:
			code = invalidState()
		default:
			c.errorf("Found transactionalId %s with state %s. This is illegal as we should never have transitioned to this state.", id, m.State)
			code = errUnknownServer
		}
	}
	m.unlock()
	if code != errNone {
		c.log.Debugf("%sAborting append of %s to transaction log with coordinator and returning %s error to client for %s's EndTransaction request",
			c.prefix(), resultName(commit), codeName(code), id)
		return code
	}

	if code := c.sm.appendTransactionToLog(id, coordEpoch, t, nil); code != errNone {
		c.infof("Aborting sending of transaction markers and returning %s error to client for %s's EndTransaction request of %s, since appending %s to transaction log with coordinator epoch %d failed",
			codeName(code), id, resultName(commit), t, coordEpoch)
		if isEpochFence {
			if epoch, m2, c2 := c.sm.getTransactionState(id); c2 == errNone && m2 != nil && epoch == coordEpoch {
				m2.lock()
				m2.hasFailedEpochFence = true
				m2.unlock()
				c.warnf("The coordinator failed to write an epoch fence transition for producer %s to the transaction log with error %s. The epoch was increased to %d but not returned to the client",
					id, codeName(code), t.ProducerEpoch)
			}
		}
		return code
	}

	// Durable: check nothing moved meanwhile, then complete through markers.
	epoch, m, code := c.sm.getTransactionState(id)
	switch {
	case code != errNone:
	case m == nil:
		c.errorf("The coordinator still owns the transaction partition for %s, but there is no metadata in the cache; this is not expected", id)
		code = errUnknownServer
	case epoch != coordEpoch:
		c.log.Debugf("%sThe transaction coordinator epoch has changed to %d after %s was successfully appended to the log for %s with old epoch %d",
			c.prefix(), epoch, resultName(commit), id, coordEpoch)
		code = errNotCoordinator
	}
	if code != errNone {
		c.infof("Aborting sending of transaction markers after appended %s to transaction log and returning %s error to client for %s's EndTransaction request",
			resultName(commit), codeName(code), id)
		return code
	}
	var complete TxnTransitMetadata
	m.lock()
	switch {
	case m.ProducerID != producerID:
		code = errInvalidPIDMapping
	case m.ProducerEpoch != producerEpoch:
		code = errProducerFenced
	case m.pendingInProgress():
		code = errConcurrent
	case (m.State == PrepareCommit && commit) || (m.State == PrepareAbort && !commit):
		var err error
		if complete, err = m.prepareComplete(c.now()); err != nil {
			c.errorf("%v", err)
			code = errUnknownServer
		}
	default:
		code = invalidState()
	}
	m.unlock()
	if code != errNone {
		c.infof("Aborting sending of transaction markers after appended %s to transaction log and returning %s error to client for %s's EndTransaction request",
			resultName(commit), codeName(code), id)
		return code
	}
	c.markers.addTxnMarkersToSend(coordEpoch, commit, m, complete)
	return errNone
}

// abortTimedOutTransactions aborts, with an epoch bump that fences the
// producer, every ongoing transaction older than its timeout.
func (c *Coordinator) abortTimedOutTransactions() {
	for _, x := range c.sm.timedOutTransactions() {
		_, m, code := c.sm.getTransactionState(x.id)
		if code != errNone || m == nil {
			if code == errNone {
				c.errorf("Could not find transaction metadata when trying to timeout transaction for (transactionalId=%s, producerId=%d, producerEpoch=%d)", x.id, x.pid, x.epoch)
			}
			continue
		}
		m.lock()
		var t TxnTransitMetadata
		ok := false
		switch {
		case m.ProducerID != x.pid:
			c.errorf("Found incorrect producerId when expiring transactionalId: %s. Expected producerId: %d. Found producerId: %d", x.id, x.pid, m.ProducerID)
		case m.pendingInProgress():
			c.log.Debugf("%sSkipping abort of timed out transaction %s since there is a pending state transition", c.prefix(), x.id)
		default:
			var err error
			if t, err = m.prepareFenceProducerEpoch(); err != nil {
				c.errorf("%v", err)
			} else {
				ok = true
			}
		}
		m.unlock()
		if !ok {
			continue
		}
		c.infof("Aborting transaction %s (producerId=%d, producerEpoch=%d) since it has been open for longer than its timeout", x.id, x.pid, x.epoch)
		switch code := c.endTransaction(x.id, t.ProducerID, t.ProducerEpoch, false, false); code {
		case errNone:
			c.infof("Completed rollback of ongoing transaction for transactionalId %s due to timeout", x.id)
		case errInvalidPIDMapping, errProducerFenced, errConcurrent:
			c.log.Debugf("%sRollback of ongoing transaction for transactionalId %s has been cancelled due to error %s", c.prefix(), x.id, codeName(code))
		default:
			c.warnf("Rollback of ongoing transaction for transactionalId %s failed due to error %s", x.id, codeName(code))
		}
	}
}

// TransactionState describes a transactional id for tests and tools: its
// state, producer id and epoch, and partitions. ok is false when this
// broker does not know it.
func (c *Coordinator) TransactionState(transactionalID string) (state TransactionState, producerID int64, epoch int16, partitions []TopicPartition, ok bool) {
	_, m, code := c.sm.getTransactionState(transactionalID)
	if code != errNone || m == nil {
		return noState, 0, 0, nil, false
	}
	m.lock()
	defer m.unlock()
	return m.State, m.ProducerID, m.ProducerEpoch, m.Partitions.sorted(), true
}
