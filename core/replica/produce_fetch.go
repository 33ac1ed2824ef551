package replica

import (
	"time"

	"github.com/gokafka/kafka/core/cluster"
	klog "github.com/gokafka/kafka/core/log"
	"github.com/gokafka/kafka/core/record"
)

// ProduceResult is the outcome of appending one partition's records.
type ProduceResult struct {
	Err    error
	Result klog.AppendResult
}

// AppendRecords appends records to a partition this broker leads. With
// acks=-1 it waits (up to timeout) until the high watermark covers the
// appended records, i.e. every ISR member has them.
func (rm *ReplicaManager) AppendRecords(tp TopicPartition, records []byte, acks int16, timeout time.Duration) ProduceResult {
	res, wait := rm.StartAppendRecords(tp, records, acks)
	if res.Err != nil || wait == nil {
		return res
	}
	if err := wait(time.Now().Add(timeout)); err != nil {
		return ProduceResult{Err: err, Result: res.Result}
	}
	return res
}

// StartAppendRecords is the first half of AppendRecords: it appends to the
// leader's log and, for acks=-1, returns a function that waits until the
// high watermark covers the appended records or deadline passes (nil when
// there is nothing to wait for). A produce request appends every partition
// first and then waits for all of them against one deadline, as Kafka's
// ReplicaManager.appendRecords does with a single DelayedProduce.
func (rm *ReplicaManager) StartAppendRecords(tp TopicPartition, records []byte, acks int16) (ProduceResult, func(deadline time.Time) error) {
	p := rm.Partition(tp.Topic, tp.Partition)
	if p == nil {
		return ProduceResult{Err: ErrUnknownPartition}, nil
	}
	res, err := p.AppendRecordsToLeader(records, acks)
	if err != nil {
		return ProduceResult{Err: err}, nil
	}
	if acks != -1 {
		return ProduceResult{Result: res}, nil
	}
	want := res.LastOffset + 1
	return ProduceResult{Result: res}, func(deadline time.Time) error {
		return rm.awaitHighWatermark(p, want, time.Until(deadline))
	}
}

// AppendTxnMarker writes a transaction marker to a partition this broker
// leads and waits (up to timeout) until the ISR has it, as Kafka appends
// WriteTxnMarkers with acks=all.
func (rm *ReplicaManager) AppendTxnMarker(tp TopicPartition, producerID int64, producerEpoch int16, commit bool, coordinatorEpoch int32, timeout time.Duration) ProduceResult {
	p := rm.Partition(tp.Topic, tp.Partition)
	if p == nil {
		return ProduceResult{Err: ErrUnknownPartition}
	}
	res, err := p.AppendControlMarkerToLeader(producerID, producerEpoch, commit, coordinatorEpoch, -1)
	if err != nil {
		return ProduceResult{Err: err}
	}
	if err := rm.awaitHighWatermark(p, res.LastOffset+1, timeout); err != nil {
		return ProduceResult{Err: err, Result: res}
	}
	return ProduceResult{Result: res}
}

// AwaitHighWatermark waits until the partition's high watermark reaches
// want (every ISR member has the records before it), the partition loses
// leadership, or the timeout fires. Coordinators use it after appending
// locally with acks=1 under their own locks.
func (rm *ReplicaManager) AwaitHighWatermark(p *cluster.Partition, want int64, timeout time.Duration) error {
	return rm.awaitHighWatermark(p, want, timeout)
}

// awaitHighWatermark is the produce purgatory: park until the partition's
// high watermark reaches want, the leader changes, or the timeout fires.
func (rm *ReplicaManager) awaitHighWatermark(p *cluster.Partition, want int64, timeout time.Duration) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	wake := make(chan struct{}, 1)
	p.Watch(wake)
	defer p.Unwatch(wake)
	for {
		if !p.IsLeader() {
			return cluster.ErrNotLeader
		}
		if p.HighWatermark() >= want {
			// The records are on every ISR member, but if the ISR shrank
			// below min.insync.replicas meanwhile, say so (Kafka's
			// NOT_ENOUGH_REPLICAS_AFTER_APPEND: written, not durable enough).
			if !p.HasMinInsyncReplicas() {
				return ErrNotEnoughReplicasAfterAppend
			}
			return nil
		}
		select {
		case <-wake:
		case <-deadline.C:
			return ErrRequestTimedOut
		}
	}
}

// FetchPartition is one partition of a fetch request.
type FetchPartition struct {
	TopicPartition
	FetchOffset        int64
	MaxBytes           int32
	CurrentLeaderEpoch int32
	// LogStartOffset is a follower's own log start offset (Fetch v5+), -1
	// when unknown; DeleteRecords waits on it.
	LogStartOffset int64
}

// FetchResult is what a fetch returns for one partition.
type FetchResult struct {
	Err              error
	HighWatermark    int64
	LastStableOffset int64
	LogStartOffset   int64
	Records          []byte
	// AbortedTransactions lists, for read_committed fetches, the aborted
	// transactions overlapping the returned records.
	AbortedTransactions []klog.AbortedTxn
}

// Isolation levels of Fetch and ListOffsets.
const (
	ReadUncommitted int8 = 0
	ReadCommitted   int8 = 1
)

// FetchParams are the request-level limits of a fetch.
type FetchParams struct {
	ReplicaID int32 // -1 for consumers, a broker id for followers
	MaxWait   time.Duration
	MinBytes  int32
	MaxBytes  int32
	// IsolationLevel: ReadCommitted consumers read only up to the last
	// stable offset and get the aborted transactions.
	IsolationLevel int8
}

// FetchMessages reads every requested partition and, when fewer than
// MinBytes are available, waits for more data until MaxWait (the fetch
// purgatory). done aborts the wait on shutdown.
func (rm *ReplicaManager) FetchMessages(params FetchParams, parts []FetchPartition, done <-chan struct{}) []FetchResult {
	var timer *time.Timer
	// Watch the requested partitions before the first read, so that data
	// arriving in between is not missed.
	wake := make(chan struct{}, 1)
	if params.MaxWait > 0 && params.MinBytes > 0 {
		for _, fp := range parts {
			if p := rm.Partition(fp.Topic, fp.Partition); p != nil {
				p.Watch(wake)
				defer p.Unwatch(wake)
			}
		}
	}
	for {
		results, bytes, failed := rm.readFromLocalLogs(params, parts)
		if failed || bytes >= int(params.MinBytes) || params.MaxWait <= 0 || len(parts) == 0 {
			return results
		}
		if timer == nil {
			timer = time.NewTimer(params.MaxWait)
			defer timer.Stop()
		}
		select {
		case <-wake:
		case <-timer.C:
			results, _, _ = rm.readFromLocalLogs(params, parts)
			return results
		case <-done:
			return results
		}
	}
}

// readFromLocalLogs reads each partition once. The first partition that
// has data may exceed the byte limits by one batch, so a consumer always
// makes progress (Kafka's minOneMessage rule).
func (rm *ReplicaManager) readFromLocalLogs(params FetchParams, parts []FetchPartition) ([]FetchResult, int, bool) {
	results := make([]FetchResult, len(parts))
	remaining := params.MaxBytes
	total := 0
	failed := false
	for i, fp := range parts {
		r := &results[i]
		r.HighWatermark, r.LastStableOffset, r.LogStartOffset = -1, -1, -1
		p := rm.Partition(fp.Topic, fp.Partition)
		if p == nil {
			r.Err = ErrUnknownPartition
			failed = true
			continue
		}
		if err := p.CheckLeader(fp.CurrentLeaderEpoch, true); err != nil {
			r.Err = err
			failed = true
			continue
		}
		l := p.Log()
		hw := l.HighWatermark()
		lso := l.LastStableOffset()
		maxOffset := hw
		readCommitted := false
		if params.ReplicaID >= 0 {
			maxOffset = l.LogEndOffset()
			p.UpdateFollowerFetchState(params.ReplicaID, fp.FetchOffset)
			p.UpdateFollowerLogStartOffset(params.ReplicaID, fp.LogStartOffset)
			hw = l.HighWatermark()
			lso = l.LastStableOffset()
		} else if params.IsolationLevel == ReadCommitted {
			maxOffset = lso
			readCommitted = true
		}
		r.HighWatermark, r.LastStableOffset, r.LogStartOffset = hw, lso, l.LogStartOffset()
		limit := fp.MaxBytes
		if remaining < limit {
			limit = remaining
		}
		if limit < 0 {
			limit = 0
		}
		info, err := l.Read(fp.FetchOffset, limit, maxOffset, total == 0)
		if err != nil {
			r.Err = err
			failed = true
			continue
		}
		r.Records = info.Records
		if readCommitted && len(info.Records) > 0 {
			r.AbortedTransactions = l.ReadAbortedTransactions(fp.FetchOffset, lastOffsetOf(info.Records)+1)
		}
		total += len(info.Records)
		remaining -= int32(len(info.Records))
	}
	return results, total, failed
}

// lastOffsetOf is the last offset of the last complete batch in records.
func lastOffsetOf(records []byte) int64 {
	last := int64(-1)
	for off := 0; off+record.BatchHeaderSize <= len(records); {
		b := record.Batch(records[off:])
		if b.Size() < record.BatchHeaderSize || off+b.Size() > len(records) {
			break
		}
		last = b.LastOffset()
		off += b.Size()
	}
	return last
}
