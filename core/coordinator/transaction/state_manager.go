package transaction

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/gokafka/kafka/core/cluster"
	"github.com/gokafka/kafka/core/coordinator/internal/scheduler"
	"github.com/gokafka/kafka/core/javacompat"
	"github.com/gokafka/kafka/core/logging"
	"github.com/gokafka/kafka/core/record"
	"github.com/gokafka/kafka/core/replica"
)

// Error codes the coordinator answers with.
var (
	errNone                  = int16(0)
	errNotCoordinator        = kerr.NotCoordinator.Code
	errCoordinatorNotAvail   = kerr.CoordinatorNotAvailable.Code
	errLoadInProgress        = kerr.CoordinatorLoadInProgress.Code
	errConcurrent            = kerr.ConcurrentTransactions.Code
	errProducerFenced        = kerr.ProducerFenced.Code
	errInvalidPIDMapping     = kerr.InvalidProducerIDMapping.Code
	errInvalidTxnState       = kerr.InvalidTxnState.Code
	errInvalidRequest        = kerr.InvalidRequest.Code
	errInvalidTxnTimeout     = kerr.InvalidTransactionTimeout.Code
	errUnknownServer         = kerr.UnknownServerError.Code
	errInvalidProducerEpoch  = kerr.InvalidProducerEpoch.Code
	errCoordinatorFenced     = kerr.TransactionCoordinatorFenced.Code
	errNotLeaderForPartition = kerr.NotLeaderForPartition.Code
)

func codeName(code int16) string {
	if code == 0 {
		return "NONE"
	}
	if e, ok := kerr.ErrorForCode(code).(*kerr.Error); ok {
		return e.Message
	}
	return fmt.Sprint(code)
}

// cacheEntry is the metadata of one loaded __transaction_state partition.
type cacheEntry struct {
	coordinatorEpoch int32
	mu               sync.Mutex
	txns             map[string]*TransactionMetadata
}

func (e *cacheEntry) get(id string) *TransactionMetadata {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.txns[id]
}

func (e *cacheEntry) all() []*TransactionMetadata {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]*TransactionMetadata, 0, len(e.txns))
	for _, m := range e.txns {
		out = append(out, m)
	}
	return out
}

// stateManager is Kafka's TransactionStateManager: the cache of
// transaction metadata per owned __transaction_state partition, loading
// and unloading those partitions, and writing state changes to them.
//
// Lock order: mu (read) before a metadata lock; never a metadata lock
// while holding mu for writing.
type stateManager struct {
	cfg Config
	rm  *replica.ReplicaManager
	log *logrus.Entry
	now func() int64

	numPartitions atomic.Int32
	shuttingDown  atomic.Bool

	mu      sync.RWMutex
	loading map[int32]int32 // partition -> coordinator epoch being loaded
	cache   map[int32]*cacheEntry

	sched *scheduler.Scheduler
}

func newStateManager(cfg Config, rm *replica.ReplicaManager, now func() int64) *stateManager {
	sm := &stateManager{
		cfg: cfg, rm: rm, now: now,
		log:     logging.For("kafka.coordinator.transaction.TransactionStateManager"),
		loading: map[int32]int32{}, cache: map[int32]*cacheEntry{},
		sched: scheduler.New(),
	}
	sm.numPartitions.Store(cfg.NumPartitions)
	return sm
}

func (sm *stateManager) infof(f string, a ...any) {
	sm.log.Infof(fmt.Sprintf("[Transaction State Manager %d]: ", sm.cfg.BrokerID)+f, a...)
}
func (sm *stateManager) warnf(f string, a ...any) {
	sm.log.Warnf(fmt.Sprintf("[Transaction State Manager %d]: ", sm.cfg.BrokerID)+f, a...)
}
func (sm *stateManager) errorf(f string, a ...any) {
	sm.log.Errorf(fmt.Sprintf("[Transaction State Manager %d]: ", sm.cfg.BrokerID)+f, a...)
}

// partitionFor is Utils.abs(transactionalId.hashCode) % partitions.
func (sm *stateManager) partitionFor(id string) int32 {
	h := javacompat.StringHashCode(id)
	if h == -2147483648 {
		h = 0
	} else if h < 0 {
		h = -h
	}
	return h % sm.numPartitions.Load()
}

// getTransactionState returns the coordinator epoch and metadata of id
// (nil when unknown), or NOT_COORDINATOR / COORDINATOR_LOAD_IN_PROGRESS.
func (sm *stateManager) getTransactionState(id string) (int32, *TransactionMetadata, int16) {
	return sm.getAndMaybeAdd(id, nil)
}

// putTransactionStateIfNotExists adds created unless id is already known,
// returning whichever is cached.
func (sm *stateManager) putTransactionStateIfNotExists(created *TransactionMetadata) (int32, *TransactionMetadata, int16) {
	return sm.getAndMaybeAdd(created.TransactionalID, created)
}

func (sm *stateManager) getAndMaybeAdd(id string, created *TransactionMetadata) (int32, *TransactionMetadata, int16) {
	sm.mu.RLock()
	defer sm.mu.RUnlock()
	return sm.getLocked(id, created)
}

func (sm *stateManager) getLocked(id string, created *TransactionMetadata) (int32, *TransactionMetadata, int16) {
	p := sm.partitionFor(id)
	if _, ok := sm.loading[p]; ok {
		return 0, nil, errLoadInProgress
	}
	e := sm.cache[p]
	if e == nil {
		return 0, nil, errNotCoordinator
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	m := e.txns[id]
	if m == nil && created != nil {
		e.txns[id] = created
		m = created
	}
	return e.coordinatorEpoch, m, errNone
}

// validateTransactionTimeoutMs: 0 < timeout <= transaction.max.timeout.ms.
func (sm *stateManager) validateTransactionTimeoutMs(ms int32) bool {
	return ms > 0 && ms <= sm.cfg.TransactionMaxTimeoutMs
}

// appendTransactionToLog writes transit for id to its __transaction_state
// partition with acks=all and, once durable, applies it to the cached
// metadata. On failure the pending state is dropped (unless retryOnError
// says the caller retries) and the coordinator error code returned.
func (sm *stateManager) appendTransactionToLog(id string, coordinatorEpoch int32, t TxnTransitMetadata, retryOnError func(int16) bool) int16 {
	value, err := ValueBytes(t)
	if err != nil {
		sm.errorf("%v", err)
		return errUnknownServer
	}
	batch, err := record.BuildBatch([]record.Record{{Key: KeyBytes(id), Value: value}}, record.CodecNone, sm.now())
	if err != nil {
		sm.errorf("Cannot build the transaction log record for %s: %v", id, err)
		return errUnknownServer
	}
	timeout := time.Duration(t.TxnTimeoutMs) * time.Millisecond
	part, want, code := sm.appendLocal(id, coordinatorEpoch, batch, timeout)
	if code == errNone {
		code = appendErrorCode(sm.rm.AwaitHighWatermark(part, want, timeout))
	}
	if code == errNone {
		epoch, m, c := sm.getTransactionState(id)
		switch {
		case c != errNone:
			sm.infof("Accessing the cached transaction metadata for %s returns %s error; aborting transition to the new metadata and setting the error in the callback", id, codeName(c))
			code = c
		case m == nil:
			sm.infof("The cached coordinator metadata does not exist in the cache anymore for %s after appended its new metadata %s to the transaction log (txn topic partition %d) while it was %d before appending; aborting transition to the new metadata and returning NOT_COORDINATOR in the callback",
				id, t, sm.partitionFor(id), coordinatorEpoch)
			code = errNotCoordinator
		default:
			m.lock()
			if epoch != coordinatorEpoch {
				sm.infof("The cached coordinator epoch for %s has changed to %d after appended its new metadata %s to the transaction log (txn topic partition %d) while it was %d before appending; aborting transition to the new metadata and returning NOT_COORDINATOR in the callback",
					id, epoch, t, sm.partitionFor(id), coordinatorEpoch)
				code = errNotCoordinator
			} else if err := m.completeTransitionTo(t); err != nil {
				sm.errorf("%v", err)
				m.pending = noState
				code = errUnknownServer
			}
			m.unlock()
		}
		return code
	}
	epoch, m, c := sm.getTransactionState(id)
	if c == errNone && m != nil {
		m.lock()
		if epoch == coordinatorEpoch {
			if retryOnError != nil && retryOnError(code) {
				sm.infof("TransactionalId %s append transaction log for %s transition failed due to %s, not resetting pending state %s but just returning the error in the callback to let the caller retry",
					id, t, codeName(code), m.pending)
			} else {
				sm.infof("TransactionalId %s append transaction log for %s transition failed due to %s, resetting pending state from %s, aborting state transition and returning %s in the callback",
					id, t, codeName(code), m.pending, codeName(code))
				m.pending = noState
			}
		}
		m.unlock()
	}
	return code
}

// appendLocal appends batch to the leader's log of id's partition while
// holding the state lock, so an unload and reload cannot slip in between
// the epoch check and the append. It returns the offset the high
// watermark must reach.
func (sm *stateManager) appendLocal(id string, coordinatorEpoch int32, batch []byte, timeout time.Duration) (*cluster.Partition, int64, int16) {
	sm.mu.RLock()
	defer sm.mu.RUnlock()
	epoch, m, code := sm.getLocked(id, nil)
	if code != errNone {
		return nil, 0, code
	}
	if m == nil || epoch != coordinatorEpoch {
		return nil, 0, errNotCoordinator
	}
	return sm.appendBatchLocked(sm.partitionFor(id), batch, timeout)
}

func (sm *stateManager) appendBatchLocked(p int32, batch []byte, timeout time.Duration) (*cluster.Partition, int64, int16) {
	part := sm.rm.Partition(TransactionStateTopic, p)
	if part == nil {
		return nil, 0, errCoordinatorNotAvail
	}
	if !part.HasMinInsyncReplicas() {
		return nil, 0, appendErrorCode(cluster.ErrNotEnoughReplicas)
	}
	res := sm.rm.AppendRecords(replica.TopicPartition{Topic: TransactionStateTopic, Partition: p}, batch, 1, timeout)
	if res.Err != nil {
		return nil, 0, appendErrorCode(res.Err)
	}
	return part, res.Result.LastOffset + 1, errNone
}

// appendErrorCode maps a log append failure to what the coordinator
// answers: partition trouble means retry or find the coordinator again.
func appendErrorCode(err error) int16 {
	switch {
	case err == nil:
		return errNone
	case errors.Is(err, replica.ErrUnknownPartition), errors.Is(err, cluster.ErrNotEnoughReplicas),
		errors.Is(err, replica.ErrNotEnoughReplicasAfterAppend), errors.Is(err, replica.ErrRequestTimedOut):
		return errCoordinatorNotAvail
	case errors.Is(err, cluster.ErrNotLeader):
		return errNotCoordinator
	}
	return errUnknownServer
}

// Loading and unloading.

// loadTransactionsForPartition marks the partition as loading and reads
// it on the scheduler; transactions found half-way through completion get
// their markers sent again through sendMarkers.
func (sm *stateManager) loadTransactionsForPartition(p, coordinatorEpoch int32, sendMarkers func(int32, bool, *TransactionMetadata, TxnTransitMetadata)) {
	sm.mu.Lock()
	sm.loading[p] = coordinatorEpoch
	sm.mu.Unlock()
	scheduled := time.Now()
	sm.sched.Schedule(func() { sm.loadTransactions(p, coordinatorEpoch, scheduled, sendMarkers) })
}

func (sm *stateManager) stillLoading(p, epoch int32) bool {
	sm.mu.RLock()
	defer sm.mu.RUnlock()
	e, ok := sm.loading[p]
	return ok && e == epoch
}

func (sm *stateManager) loadTransactions(p, epoch int32, scheduled time.Time, sendMarkers func(int32, bool, *TransactionMetadata, TxnTransitMetadata)) {
	start := time.Now()
	sm.infof("Loading transaction metadata from %s-%d at epoch %d", TransactionStateTopic, p, epoch)
	loaded, err := sm.readPartition(p, epoch)
	if err != nil {
		sm.errorf("Error loading transactions from transaction log %s-%d: %v", TransactionStateTopic, p, err)
	}
	sm.infof("Finished loading %d transaction metadata from %s-%d in %d milliseconds, of which %d milliseconds was spent in the scheduler.",
		len(loaded), TransactionStateTopic, p, time.Since(scheduled).Milliseconds(), start.Sub(scheduled).Milliseconds())

	type completion struct {
		commit bool
		m      *TransactionMetadata
		t      TxnTransitMetadata
	}
	var pending []completion
	sm.mu.Lock()
	if e, ok := sm.loading[p]; !ok || e != epoch {
		sm.mu.Unlock()
		return
	}
	if prev := sm.cache[p]; prev != nil {
		sm.warnf("Unloaded transaction metadata %d entries from %d as part of loading metadata at epoch %d", len(prev.txns), p, epoch)
	}
	sm.cache[p] = &cacheEntry{coordinatorEpoch: epoch, txns: loaded}
	now := sm.now()
	for _, m := range loaded {
		m.lock()
		if m.State == PrepareCommit || m.State == PrepareAbort {
			t, err := m.prepareComplete(now)
			if err != nil {
				sm.errorf("%v", err)
			} else {
				pending = append(pending, completion{commit: m.State == PrepareCommit, m: m, t: t})
			}
		}
		m.unlock()
	}
	delete(sm.loading, p)
	sm.mu.Unlock()
	for _, c := range pending {
		sendMarkers(epoch, c.commit, c.m, c.t)
	}
	sm.infof("Completed loading transaction metadata from %s-%d for coordinator epoch %d", TransactionStateTopic, p, epoch)
}

// readPartition replays the partition from its start to its log end: the
// last record of a key wins and tombstones delete.
func (sm *stateManager) readPartition(p, epoch int32) (map[string]*TransactionMetadata, error) {
	out := map[string]*TransactionMetadata{}
	part := sm.rm.Partition(TransactionStateTopic, p)
	if part == nil || part.Log() == nil {
		sm.warnf("Attempted to load transaction metadata from %s-%d, but found no log", TransactionStateTopic, p)
		return out, nil
	}
	l := part.Log()
	offset := l.LogStartOffset()
	for offset < l.LogEndOffset() && !sm.shuttingDown.Load() && sm.stillLoading(p, epoch) {
		info, err := l.Read(offset, sm.cfg.LoadBufferSize, -1, true)
		if err != nil {
			return out, err
		}
		if len(info.Records) == 0 {
			break
		}
		next := offset
		var decodeErr error
		err = record.Iterate(info.Records, func(b record.Batch) bool {
			next = b.NextOffset()
			if b.IsControl() {
				return true
			}
			recs, err := record.DecodeRecords(b)
			if err != nil {
				decodeErr = err
				return false
			}
			for _, r := range recs {
				if r.Key == nil {
					decodeErr = errors.New("Transaction state log's key should not be null")
					return false
				}
				id, err := ReadKey(r.Key)
				if err != nil {
					decodeErr = err
					return false
				}
				m, err := ReadValue(id, r.Value)
				if err != nil {
					decodeErr = err
					return false
				}
				if m == nil {
					delete(out, id)
				} else {
					out[id] = m
				}
			}
			return true
		})
		if err == nil {
			err = decodeErr
		}
		if err != nil {
			return out, err
		}
		if next <= offset {
			break
		}
		offset = next
	}
	return out, nil
}

// removeTransactionsForPartition drops a partition this broker no longer
// leads (or that is being loaded).
func (sm *stateManager) removeTransactionsForPartition(p int32) {
	sm.mu.Lock()
	delete(sm.loading, p)
	e := sm.cache[p]
	delete(sm.cache, p)
	sm.mu.Unlock()
	if e != nil {
		sm.infof("Unloaded transaction metadata TxnMetadataCacheEntry(coordinatorEpoch=%d, numTransactionalEntries=%d) for %s-%d on become-follower transition",
			e.coordinatorEpoch, len(e.all()), TransactionStateTopic, p)
	}
}

// owns reports whether the partition is loaded or being loaded.
func (sm *stateManager) ownsOrLoading(p int32) bool {
	sm.mu.RLock()
	defer sm.mu.RUnlock()
	_, loading := sm.loading[p]
	_, owned := sm.cache[p]
	return loading || owned
}

// timedOut is an ongoing transaction past its timeout.
type timedOut struct {
	id    string
	pid   int64
	epoch int16
}

// timedOutTransactions lists ongoing transactions older than their
// timeout and not in the middle of a transition.
func (sm *stateManager) timedOutTransactions() []timedOut {
	now := sm.now()
	sm.mu.RLock()
	defer sm.mu.RUnlock()
	var out []timedOut
	for _, e := range sm.cache {
		for _, m := range e.all() {
			m.lock()
			if !m.pendingInProgress() && m.State == Ongoing && m.TxnStartTimestamp+int64(m.TxnTimeoutMs) < now {
				out = append(out, timedOut{m.TransactionalID, m.ProducerID, m.ProducerEpoch})
			}
			m.unlock()
		}
	}
	return out
}

// removeExpiredTransactionalIDs writes tombstones for transactional ids
// unused for transactional.id.expiration.ms and drops them from the cache.
func (sm *stateManager) removeExpiredTransactionalIDs() {
	sm.mu.RLock()
	parts := make(map[int32]*cacheEntry, len(sm.cache))
	for p, e := range sm.cache {
		parts[p] = e
	}
	sm.mu.RUnlock()
	for p, e := range parts {
		sm.expirePartition(p, e)
	}
}

type expiring struct {
	m *TransactionMetadata
	t TxnTransitMetadata
}

func (sm *stateManager) expirePartition(p int32, e *cacheEntry) {
	now := sm.now()
	var expired []expiring
	var recs []record.Record
	for _, m := range e.all() {
		m.lock()
		if !m.pendingInProgress() && m.State.expirationAllowed() && m.TxnLastUpdate <= now-sm.cfg.TransactionalIDExpirationMs {
			if t, err := m.prepareDead(); err == nil {
				expired = append(expired, expiring{m, t})
				recs = append(recs, record.Record{Key: KeyBytes(m.TransactionalID)})
			}
		}
		m.unlock()
	}
	if len(expired) == 0 {
		return
	}
	code := errNone
	batch, err := record.BuildBatch(recs, record.CodecNone, now)
	if err != nil {
		sm.errorf("Cannot build tombstones for %s-%d: %v", TransactionStateTopic, p, err)
		code = errUnknownServer
	}
	timeout := time.Duration(sm.cfg.RequestTimeoutMs) * time.Millisecond
	var part *cluster.Partition
	var want int64
	if code == errNone {
		sm.mu.RLock()
		if sm.cache[p] != e {
			code = errNotCoordinator
		} else {
			part, want, code = sm.appendBatchLocked(p, batch, timeout)
		}
		sm.mu.RUnlock()
	}
	if code == errNone {
		code = appendErrorCode(sm.rm.AwaitHighWatermark(part, want, timeout))
	}
	sm.mu.RLock()
	current := sm.cache[p]
	sm.mu.RUnlock()
	for _, x := range expired {
		x.m.lock()
		if current == e && code == errNone && x.m.pending == Dead && x.m.ProducerEpoch == x.t.ProducerEpoch {
			e.mu.Lock()
			delete(e.txns, x.m.TransactionalID)
			e.mu.Unlock()
			sm.infof("Removed expired transactional id %s from %s-%d", x.m.TransactionalID, TransactionStateTopic, p)
		} else {
			sm.warnf("Failed to remove expired transactionalId: %s from cache. Tombstone append error code: %s, pendingState: %s, producerEpoch: %d, expected producerEpoch: %d",
				x.m.TransactionalID, codeName(code), x.m.pending, x.m.ProducerEpoch, x.t.ProducerEpoch)
			x.m.pending = noState
		}
		x.m.unlock()
	}
}

func (sm *stateManager) shutdown() {
	sm.shuttingDown.Store(true)
	sm.mu.Lock()
	sm.loading = map[int32]int32{}
	sm.cache = map[int32]*cacheEntry{}
	sm.mu.Unlock()
	sm.infof("Shutdown complete")
}
