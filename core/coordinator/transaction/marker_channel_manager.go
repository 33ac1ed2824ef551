package transaction

import (
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gokafka/kafka/core/logging"
	"github.com/gokafka/kafka/core/metadata"
	"github.com/gokafka/kafka/core/network"
)

// markerEntry is one transaction's markers for the partitions one broker
// leads (Kafka's TxnIdAndMarkerEntry).
type markerEntry struct {
	txnID            string
	producerID       int64
	producerEpoch    int16
	coordinatorEpoch int32
	commit           bool
	partitions       []TopicPartition
}

func (e markerEntry) String() string {
	result := "ABORT"
	if e.commit {
		result = "COMMIT"
	}
	return fmt.Sprintf("TxnMarkerEntry{producerId=%d, producerEpoch=%d, coordinatorEpoch=%d, result=%s, partitions=%v}",
		e.producerID, e.producerEpoch, e.coordinatorEpoch, result, e.partitions)
}

// pendingCompleteTxn is a transaction whose markers are being written;
// once they all are, t (CompleteCommit or CompleteAbort) goes to the log.
type pendingCompleteTxn struct {
	txnID            string
	coordinatorEpoch int32
	m                *TransactionMetadata
	t                TxnTransitMetadata
}

// markerQueue holds entries per __transaction_state partition, so that a
// resignation can drop that partition's markers.
type markerQueue map[int32][]markerEntry

func (q markerQueue) add(txnPartition int32, e markerEntry) {
	q[txnPartition] = append(q[txnPartition], e)
}

func (q markerQueue) drain() []markerEntry {
	var out []markerEntry
	for p, es := range q {
		out = append(out, es...)
		delete(q, p)
	}
	return out
}

// brokerSender sends the markers queued for one broker, one
// WriteTxnMarkers request at a time.
type brokerSender struct {
	id    int32
	addr  string // guarded by the manager's mu, like queue
	queue markerQueue
	wake  chan struct{}
}

// markerChannelManager is Kafka's TransactionMarkerChannelManager: it
// sends WriteTxnMarkers to the leaders of a completing transaction's
// partitions, retries where leadership moved, and writes
// CompleteCommit/CompleteAbort once every partition has its marker.
type markerChannelManager struct {
	cfg   Config
	cache *metadata.MetadataCache
	sm    *stateManager
	log   *logrus.Entry
	done  chan struct{}
	wg    sync.WaitGroup

	mu        sync.Mutex
	senders   map[int32]*brokerSender
	unknown   markerQueue // leader known to exist but not reachable yet
	pending   map[string]*pendingCompleteTxn
	appendRet []*pendingCompleteTxn // CompleteX appends to retry

	// retryBackoff spaces out resends after failures.
	retryBackoff time.Duration
}

func newMarkerChannelManager(cfg Config, cache *metadata.MetadataCache, sm *stateManager) *markerChannelManager {
	return &markerChannelManager{
		cfg: cfg, cache: cache, sm: sm,
		log:     logging.For("kafka.coordinator.transaction.TransactionMarkerChannelManager"),
		done:    make(chan struct{}),
		senders: map[int32]*brokerSender{}, unknown: markerQueue{}, pending: map[string]*pendingCompleteTxn{},
		retryBackoff: 100 * time.Millisecond,
	}
}

func (mc *markerChannelManager) infof(f string, a ...any) {
	mc.log.Infof(fmt.Sprintf("[Transaction Marker Channel Manager %d]: ", mc.cfg.BrokerID)+f, a...)
}
func (mc *markerChannelManager) warnf(f string, a ...any) {
	mc.log.Warnf(fmt.Sprintf("[Transaction Marker Channel Manager %d]: ", mc.cfg.BrokerID)+f, a...)
}
func (mc *markerChannelManager) errorf(f string, a ...any) {
	mc.log.Errorf(fmt.Sprintf("[Transaction Marker Channel Manager %d]: ", mc.cfg.BrokerID)+f, a...)
}

// start runs the loop that retries log appends and markers whose
// destination was unknown.
func (mc *markerChannelManager) start() {
	mc.wg.Add(1)
	go func() {
		defer mc.wg.Done()
		t := time.NewTicker(mc.retryBackoff)
		defer t.Stop()
		for {
			select {
			case <-mc.done:
				return
			case <-t.C:
				mc.retryLogAppends()
				mc.retryUnknownDestinations()
			}
		}
	}()
}

func (mc *markerChannelManager) shutdown() {
	mc.mu.Lock() // senders are started under mu only while not stopped
	select {
	case <-mc.done:
		mc.mu.Unlock()
		return
	default:
	}
	close(mc.done)
	mc.mu.Unlock()
	// A sender may be waiting for a WriteTxnMarkers answer (the leader
	// waits for its replicas); its connection closes when it returns.
	waited := make(chan struct{})
	go func() { mc.wg.Wait(); close(waited) }()
	select {
	case <-waited:
	case <-time.After(5 * time.Second):
		mc.warnf("Marker senders still running after 5 s; continuing the shutdown")
	}
	mc.mu.Lock()
	mc.senders = map[int32]*brokerSender{}
	mc.mu.Unlock()
}

func (mc *markerChannelManager) stopped() bool {
	select {
	case <-mc.done:
		return true
	default:
		return false
	}
}

// numTxnsWithPendingMarkers is how many transactions are completing.
func (mc *markerChannelManager) numTxnsWithPendingMarkers() int {
	mc.mu.Lock()
	defer mc.mu.Unlock()
	return len(mc.pending)
}

// addTxnMarkersToSend starts completing a transaction whose PrepareCommit
// or PrepareAbort is durable; t is the CompleteX transition to write last.
func (mc *markerChannelManager) addTxnMarkersToSend(coordinatorEpoch int32, commit bool, m *TransactionMetadata, t TxnTransitMetadata) {
	m.lock()
	id, pid, epoch := m.TransactionalID, m.ProducerID, m.ProducerEpoch
	parts := m.Partitions.sorted()
	m.unlock()
	mc.mu.Lock()
	mc.pending[id] = &pendingCompleteTxn{txnID: id, coordinatorEpoch: coordinatorEpoch, m: m, t: t}
	mc.mu.Unlock()
	mc.addTxnMarkersToBrokerQueue(id, pid, epoch, commit, coordinatorEpoch, parts)
	mc.maybeWriteTxnCompletion(id)
}

// destination is where a partition's marker goes: ok=false when the
// partition no longer exists, id=-1 when its leader is not reachable now.
func (mc *markerChannelManager) destination(tp TopicPartition) (id int32, addr string, ok bool) {
	ps, ok := mc.cache.Partition(tp.Topic, tp.Partition)
	if !ok {
		return -1, "", false
	}
	if ps.Leader < 0 {
		return -1, "", true
	}
	b, ok := mc.cache.Broker(ps.Leader)
	if !ok {
		return -1, "", true
	}
	ep, ok := b.EndpointFor(mc.cfg.InterBrokerListener)
	if !ok {
		return -1, "", true
	}
	return b.ID, net.JoinHostPort(ep.Host, strconv.Itoa(int(ep.Port))), true
}

// addTxnMarkersToBrokerQueue groups the partitions by their current
// leader and queues one entry per leader. Partitions of deleted topics
// are dropped from the transaction.
func (mc *markerChannelManager) addTxnMarkersToBrokerQueue(id string, pid int64, epoch int16, commit bool, coordinatorEpoch int32, parts []TopicPartition) {
	txnPartition := mc.sm.partitionFor(id)
	type dest struct {
		id   int32
		addr string
	}
	byDest := map[dest][]TopicPartition{}
	var gone []TopicPartition
	for _, tp := range parts {
		bid, addr, ok := mc.destination(tp)
		if !ok {
			gone = append(gone, tp)
			continue
		}
		d := dest{bid, addr}
		byDest[d] = append(byDest[d], tp)
	}
	mc.mu.Lock()
	for d, tps := range byDest {
		e := markerEntry{txnID: id, producerID: pid, producerEpoch: epoch, coordinatorEpoch: coordinatorEpoch, commit: commit, partitions: tps}
		if d.id < 0 {
			mc.unknown.add(txnPartition, e)
			continue
		}
		s := mc.senderLocked(d.id, d.addr)
		s.queue.add(txnPartition, e)
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
	mc.mu.Unlock()
	if len(gone) == 0 {
		return
	}
	epochNow, m, code := mc.sm.getTransactionState(id)
	switch {
	case code != errNone:
		mc.infof("Encountered %s trying to fetch transaction metadata for %s with coordinator epoch %d; cancel sending markers to its partition leaders", codeName(code), id, coordinatorEpoch)
		mc.removeMarkersForTxnID(id)
	case m == nil:
		mc.errorf("The coordinator still owns the transaction partition for %s, but there is no metadata in the cache; this is not expected", id)
		mc.removeMarkersForTxnID(id)
	case epochNow != coordinatorEpoch:
		mc.infof("The cached metadata has changed (old coordinator epoch is %d, now %d) since preparing to send markers; cancel sending markers to its partition leaders", coordinatorEpoch, epochNow)
		mc.removeMarkersForTxnID(id)
	default:
		mc.infof("Couldn't find leader endpoint for partitions %v while trying to send transaction markers for %s, these partitions are likely deleted already and hence can be skipped", gone, id)
		m.lock()
		for _, tp := range gone {
			if err := m.removePartition(tp); err != nil {
				mc.errorf("%v", err)
			}
		}
		m.unlock()
		mc.maybeWriteTxnCompletion(id)
	}
}

// senderLocked returns (starting if needed) the sender of broker id.
// Caller holds mc.mu.
func (mc *markerChannelManager) senderLocked(id int32, addr string) *brokerSender {
	s := mc.senders[id]
	if s == nil {
		s = &brokerSender{id: id, addr: addr, queue: markerQueue{}, wake: make(chan struct{}, 1)}
		mc.senders[id] = s
		if !mc.stopped() {
			mc.wg.Add(1)
			go mc.runSender(s)
		}
	}
	s.addr = addr
	return s
}

// retryUnknownDestinations re-resolves the leaders of markers that had
// no reachable destination.
func (mc *markerChannelManager) retryUnknownDestinations() {
	mc.mu.Lock()
	entries := mc.unknown.drain()
	mc.mu.Unlock()
	for _, e := range entries {
		mc.addTxnMarkersToBrokerQueue(e.txnID, e.producerID, e.producerEpoch, e.commit, e.coordinatorEpoch, e.partitions)
	}
}

func (mc *markerChannelManager) retryLogAppends() {
	mc.mu.Lock()
	retries := mc.appendRet
	mc.appendRet = nil
	mc.mu.Unlock()
	for _, p := range retries {
		mc.tryAppendToLog(p)
	}
}

// runSender is one destination broker's send loop.
func (mc *markerChannelManager) runSender(s *brokerSender) {
	defer mc.wg.Done()
	var client *network.BrokerClient
	var clientAddr string
	version := int16(-1)
	defer func() {
		if client != nil {
			client.Close()
		}
	}()
	timeout := time.Duration(mc.cfg.RequestTimeoutMs) * time.Millisecond
	failures := 0
	for {
		select {
		case <-mc.done:
			return
		case <-s.wake:
		}
		mc.mu.Lock()
		entries := s.queue.drain()
		addr := s.addr
		mc.mu.Unlock()
		if len(entries) == 0 {
			continue
		}
		if client == nil || clientAddr != addr {
			if client != nil {
				client.Close()
			}
			client = network.NewBrokerClient(addr, fmt.Sprintf("broker-%d-txn-marker-sender", mc.cfg.BrokerID), timeout)
			clientAddr, version = addr, -1
		}
		if version < 0 {
			version = mc.probeVersion(client, s.id)
		}
		req := kmsg.NewPtrWriteTxnMarkersRequest()
		req.Version = max(version, 0)
		for _, e := range entries {
			mk := kmsg.NewWriteTxnMarkersRequestMarker()
			mk.ProducerID, mk.ProducerEpoch, mk.Committed, mk.CoordinatorEpoch = e.producerID, e.producerEpoch, e.commit, e.coordinatorEpoch
			idx := map[string]int{}
			for _, tp := range e.partitions {
				i, ok := idx[tp.Topic]
				if !ok {
					i = len(mk.Topics)
					idx[tp.Topic] = i
					t := kmsg.NewWriteTxnMarkersRequestMarkerTopic()
					t.Topic = tp.Topic
					mk.Topics = append(mk.Topics, t)
				}
				mk.Topics[i].Partitions = append(mk.Topics[i].Partitions, tp.Partition)
			}
			req.Markers = append(req.Markers, mk)
		}
		resp, err := client.Send(req, 0)
		if err != nil {
			version = -1
			if failures++; failures == 1 || failures%50 == 0 {
				mc.warnf("Failed to send WriteTxnMarkers to broker %d at %s (%d times in a row): %v; re-enqueuing %d markers", s.id, addr, failures, err, len(entries))
			}
			if !mc.sleep(mc.retryBackoff) {
				return
			}
			mc.onDisconnect(entries)
			continue
		}
		failures = 0
		mc.onResponse(s.id, entries, resp.(*kmsg.WriteTxnMarkersResponse))
	}
}

func (mc *markerChannelManager) sleep(d time.Duration) bool {
	select {
	case <-mc.done:
		return false
	case <-time.After(d):
		return true
	}
}

// probeVersion asks the broker which WriteTxnMarkers versions it serves:
// v1 when it can, else v0 (Kafka picks by inter-broker protocol).
func (mc *markerChannelManager) probeVersion(client *network.BrokerClient, brokerID int32) int16 {
	req := kmsg.NewPtrApiVersionsRequest()
	req.Version = 0
	resp, err := client.Send(req, 0)
	if err != nil {
		return -1
	}
	for _, k := range resp.(*kmsg.ApiVersionsResponse).ApiKeys {
		if k.ApiKey == 27 {
			return min(k.MaxVersion, 1)
		}
	}
	mc.warnf("Broker %d does not advertise WriteTxnMarkers; sending v0 anyway", brokerID)
	return 0
}

// checkOwner is the completion handler's first step: is this coordinator
// (still, at the marker's epoch) in charge of the transaction?
func (mc *markerChannelManager) checkOwner(e markerEntry) (*TransactionMetadata, bool) {
	epoch, m, code := mc.sm.getTransactionState(e.txnID)
	switch {
	case code == errNotCoordinator:
		mc.infof("I am no longer the coordinator for %s; cancel sending transaction markers %s to the brokers", e.txnID, e)
	case code == errLoadInProgress:
		mc.infof("I am loading the transaction partition that contains %s which means the current markers have to be obsoleted; cancel sending transaction markers %s to the brokers", e.txnID, e)
	case code != errNone:
		mc.errorf("Unhandled error %s when fetching current transaction state", codeName(code))
	case m == nil:
		mc.errorf("The coordinator still owns the transaction partition for %s, but there is no metadata in the cache; this is not expected", e.txnID)
	case epoch != e.coordinatorEpoch:
		mc.infof("Transaction coordinator epoch for %s has changed from %d to %d; cancel sending transaction markers %s to the brokers", e.txnID, e.coordinatorEpoch, epoch, e)
	default:
		return m, true
	}
	mc.removeMarkersForTxnID(e.txnID)
	return nil, false
}

func (mc *markerChannelManager) onDisconnect(entries []markerEntry) {
	for _, e := range entries {
		if _, ok := mc.checkOwner(e); ok {
			mc.addTxnMarkersToBrokerQueue(e.txnID, e.producerID, e.producerEpoch, e.commit, e.coordinatorEpoch, e.partitions)
		}
	}
}

func (mc *markerChannelManager) onResponse(brokerID int32, entries []markerEntry, resp *kmsg.WriteTxnMarkersResponse) {
	errs := map[int64]map[TopicPartition]int16{}
	for _, mk := range resp.Markers {
		if errs[mk.ProducerID] == nil {
			errs[mk.ProducerID] = map[TopicPartition]int16{}
		}
		for _, t := range mk.Topics {
			for _, p := range t.Partitions {
				errs[mk.ProducerID][TopicPartition{t.Topic, p.Partition}] = p.ErrorCode
			}
		}
	}
	backoff := false
	for _, e := range entries {
		m, ok := mc.checkOwner(e)
		if !ok {
			continue
		}
		var retry []TopicPartition
		abort := false
		m.lock()
		for _, tp := range e.partitions {
			code, ok := errs[e.producerID][tp]
			if !ok {
				mc.warnf("WriteTxnMarkers response from broker %d has no result for %s of producer %d; retrying", brokerID, tp, e.producerID)
				retry = append(retry, tp)
				continue
			}
			switch code {
			case errNone:
				if err := m.removePartition(tp); err != nil {
					mc.errorf("%v", err)
				}
			case kerr.UnknownTopicOrPartition.Code, errNotLeaderForPartition, kerr.NotEnoughReplicas.Code,
				kerr.NotEnoughReplicasAfterAppend.Code, kerr.RequestTimedOut.Code, kerr.KafkaStorageError.Code:
				mc.infof("Sending %s's transaction marker for partition %s has failed with error %s, retrying with current coordinator epoch %d",
					e.txnID, tp, codeName(code), e.coordinatorEpoch)
				retry = append(retry, tp)
			case errInvalidProducerEpoch, errCoordinatorFenced:
				mc.infof("Sending %s's transaction marker for partition %s has permanently failed with error %s with the current coordinator epoch %d; cancel sending any more transaction markers %s to the brokers",
					e.txnID, tp, codeName(code), e.coordinatorEpoch, e)
				abort = true
			case kerr.UnsupportedForMessageFormat.Code, kerr.UnsupportedVersion.Code:
				mc.infof("Sending %s's transaction marker from partition %s has failed with %s. This partition will be removed from the set of partitions waiting for completion",
					e.txnID, tp, codeName(code))
				if err := m.removePartition(tp); err != nil {
					mc.errorf("%v", err)
				}
			default:
				// Kafka treats the rest as fatal; keep retrying instead of
				// leaving the transaction stuck, and say so loudly.
				mc.errorf("Unexpected error %s while sending txn marker for %s to partition %s; retrying", codeName(code), e.txnID, tp)
				retry = append(retry, tp)
			}
		}
		m.unlock()
		if abort {
			mc.removeMarkersForTxnID(e.txnID)
			continue
		}
		if len(retry) > 0 {
			if !backoff {
				backoff = true
				if !mc.sleep(mc.retryBackoff) {
					return
				}
			}
			mc.addTxnMarkersToBrokerQueue(e.txnID, e.producerID, e.producerEpoch, e.commit, e.coordinatorEpoch, retry)
		} else {
			mc.maybeWriteTxnCompletion(e.txnID)
		}
	}
}

// maybeWriteTxnCompletion writes CompleteX once no partition waits for
// its marker any more.
func (mc *markerChannelManager) maybeWriteTxnCompletion(id string) {
	mc.mu.Lock()
	p := mc.pending[id]
	mc.mu.Unlock()
	if p == nil {
		return
	}
	p.m.lock()
	left := len(p.m.Partitions)
	p.m.unlock()
	if left > 0 {
		return
	}
	mc.mu.Lock()
	if mc.pending[id] != p {
		mc.mu.Unlock()
		return
	}
	delete(mc.pending, id)
	mc.mu.Unlock()
	// The append waits for the replicas; do not hold up the caller (a
	// request handler or a sender loop).
	go mc.writeTxnCompletion(p)
}

func (mc *markerChannelManager) writeTxnCompletion(p *pendingCompleteTxn) {
	epoch, m, code := mc.sm.getTransactionState(p.txnID)
	switch {
	case code == errNotCoordinator:
		mc.infof("No longer the coordinator for %s with coordinator epoch %d; cancel appending %s to transaction log", p.txnID, p.coordinatorEpoch, p.t)
	case code == errLoadInProgress:
		mc.infof("Loading the transaction partition that contains %s while my current coordinator epoch is %d; so cancel appending %s to transaction log since the loading process will continue the remaining work",
			p.txnID, p.coordinatorEpoch, p.t)
	case code != errNone:
		mc.errorf("Unhandled error %s when fetching current transaction state", codeName(code))
	case m == nil:
		mc.errorf("The coordinator still owns the transaction partition for %s, but there is no metadata in the cache; this is not expected", p.txnID)
	case epoch != p.coordinatorEpoch:
		mc.infof("The cached metadata for %s has changed to coordinator epoch %d after completed sending the markers with coordinator epoch %d; abort transiting the metadata to %s as it may have been updated by another process",
			p.txnID, epoch, p.coordinatorEpoch, p.t)
	default:
		mc.tryAppendToLog(p)
	}
}

func (mc *markerChannelManager) tryAppendToLog(p *pendingCompleteTxn) {
	code := mc.sm.appendTransactionToLog(p.txnID, p.coordinatorEpoch, p.t, func(c int16) bool { return c == errCoordinatorNotAvail })
	switch code {
	case errNone:
		mc.infof("Completed transaction for %s with coordinator epoch %d, final state after commit: %s", p.txnID, p.coordinatorEpoch, p.t.State)
	case errNotCoordinator:
		mc.infof("No longer the coordinator for transactionalId: %s while trying to append to transaction log, skip writing to transaction log", p.txnID)
	case errCoordinatorNotAvail:
		mc.infof("Not available to append %s for %s: possible causes include UNKNOWN_TOPIC_OR_PARTITION, NOT_ENOUGH_REPLICAS, NOT_ENOUGH_REPLICAS_AFTER_APPEND and REQUEST_TIMED_OUT; retry appending", p.t, p.txnID)
		mc.mu.Lock()
		mc.appendRet = append(mc.appendRet, p)
		mc.mu.Unlock()
	case errLoadInProgress:
		mc.infof("Coordinator is loading the partition %d and hence cannot complete append of %s for %s; skip writing to transaction log as the loading process should complete it",
			mc.sm.partitionFor(p.txnID), p.t, p.txnID)
	default:
		mc.errorf("Unexpected error %s while appending to transaction log for %s", codeName(code), p.txnID)
	}
}

// removeMarkersForTxnTopicPartition forgets the queued markers of a
// __transaction_state partition this broker no longer leads.
func (mc *markerChannelManager) removeMarkersForTxnTopicPartition(p int32) {
	mc.mu.Lock()
	defer mc.mu.Unlock()
	drop := func(q markerQueue) {
		for _, e := range q[p] {
			delete(mc.pending, e.txnID)
		}
		delete(q, p)
	}
	drop(mc.unknown)
	for _, s := range mc.senders {
		drop(s.queue)
	}
	kept := mc.appendRet[:0]
	for _, r := range mc.appendRet {
		if mc.sm.partitionFor(r.txnID) != p {
			kept = append(kept, r)
		}
	}
	mc.appendRet = kept
}

func (mc *markerChannelManager) removeMarkersForTxnID(id string) {
	mc.mu.Lock()
	delete(mc.pending, id)
	mc.mu.Unlock()
}
