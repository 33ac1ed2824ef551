package replica

import (
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gokafka/kafka/core/internal/reqtopics"
	"github.com/gokafka/kafka/core/logging"
	"github.com/gokafka/kafka/core/network"
)

// Versions of the follower's requests to the leader.
const (
	replicaFetchVersion       = 11
	offsetForLeaderEpochVersn = 3
)

// ReplicationConfig holds the replica.* settings followers use.
type ReplicationConfig struct {
	FetchMaxBytes         int32         // replica.fetch.max.bytes (per partition)
	FetchResponseMaxBytes int32         // replica.fetch.response.max.bytes
	FetchMinBytes         int32         // replica.fetch.min.bytes
	FetchWaitMax          time.Duration // replica.fetch.wait.max.ms
	FetchBackoff          time.Duration // replica.fetch.backoff.ms
	SocketTimeout         time.Duration // replica.socket.timeout.ms
	LagTimeMax            time.Duration // replica.lag.time.max.ms
	NumFetchers           int           // num.replica.fetchers
}

// followerFetchState is a follower partition in a fetcher.
type followerFetchState struct {
	tp          TopicPartition
	leaderEpoch int32
	truncating  bool // needs OffsetForLeaderEpoch truncation before fetching
	delayUntil  time.Time
}

// ReplicaFetcher pulls records for the partitions one leader broker leads
// and this broker follows (Kafka's ReplicaFetcherThread).
type ReplicaFetcher struct {
	rm       *ReplicaManager
	sourceID int32
	cfg      ReplicationConfig
	client   *network.BrokerClient
	log      *logrus.Entry

	mu    sync.Mutex // held while a response is applied, so removal waits for it
	parts map[TopicPartition]*followerFetchState
	wake  chan struct{}
	stop  chan struct{}
	done  chan struct{}
}

func newReplicaFetcher(rm *ReplicaManager, sourceID int32, host string, port int32, cfg ReplicationConfig, index int) *ReplicaFetcher {
	name := "ReplicaFetcherThread-" + strconv.Itoa(index) + "-" + strconv.Itoa(int(sourceID))
	f := &ReplicaFetcher{
		rm:       rm,
		sourceID: sourceID,
		cfg:      cfg,
		client:   network.NewBrokerClient(net.JoinHostPort(host, strconv.Itoa(int(port))), "broker-"+strconv.Itoa(int(rm.brokerID))+"-fetcher-"+strconv.Itoa(index), cfg.SocketTimeout),
		log: logging.For("kafka.server.ReplicaFetcherThread").WithField("prefix",
			"["+name+"]: "),
		parts: make(map[TopicPartition]*followerFetchState),
		wake:  make(chan struct{}, 1),
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
	}
	go f.run()
	return f
}

func (f *ReplicaFetcher) addPartition(tp TopicPartition, leaderEpoch int32) {
	f.mu.Lock()
	f.parts[tp] = &followerFetchState{tp: tp, leaderEpoch: leaderEpoch, truncating: true}
	f.mu.Unlock()
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// removePartition stops fetching tp; when it returns no response for tp
// is being applied any more.
func (f *ReplicaFetcher) removePartition(tp TopicPartition) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.parts, tp)
	return len(f.parts)
}

func (f *ReplicaFetcher) shutdown() {
	close(f.stop)
	<-f.done
	f.client.Close()
}

func (f *ReplicaFetcher) stopped() bool {
	select {
	case <-f.stop:
		return true
	default:
		return false
	}
}

func (f *ReplicaFetcher) sleep(d time.Duration) {
	select {
	case <-time.After(d):
	case <-f.stop:
	case <-f.wake:
	}
}

func (f *ReplicaFetcher) run() {
	defer close(f.done)
	for !f.stopped() {
		toTruncate, toFetch := f.snapshot()
		if len(toTruncate) == 0 && len(toFetch) == 0 {
			f.sleep(f.cfg.FetchBackoff)
			continue
		}
		if len(toTruncate) > 0 {
			if err := f.truncate(toTruncate); err != nil {
				f.log.Warnf("Error sending OffsetForLeaderEpoch to broker %d: %v", f.sourceID, err)
				f.sleep(f.cfg.FetchBackoff)
				continue
			}
		}
		if len(toFetch) > 0 {
			if err := f.fetch(toFetch); err != nil {
				f.log.Warnf("Error in response for fetch request from broker %d: %v", f.sourceID, err)
				f.sleep(f.cfg.FetchBackoff)
			}
		}
	}
}

// snapshot splits the partitions into those awaiting truncation and those
// ready to fetch.
func (f *ReplicaFetcher) snapshot() (truncate, fetch []followerFetchState) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := time.Now()
	for _, s := range f.parts {
		switch {
		case now.Before(s.delayUntil):
		case s.truncating:
			truncate = append(truncate, *s)
		default:
			fetch = append(fetch, *s)
		}
	}
	return truncate, fetch
}

// truncate asks the leader where each partition's latest epoch ends and
// cuts the local log there, removing a divergent suffix (KIP-101).
func (f *ReplicaFetcher) truncate(parts []followerFetchState) error {
	req := kmsg.NewPtrOffsetForLeaderEpochRequest()
	req.SetVersion(offsetForLeaderEpochVersn)
	req.ReplicaID = f.rm.brokerID
	byTopic := map[string]int{}
	for _, s := range parts {
		l := f.rm.logs.GetLog(s.tp.Topic, s.tp.Partition)
		if l == nil {
			continue
		}
		i := reqtopics.Slot(byTopic, s.tp.Topic, func() int {
			t := kmsg.NewOffsetForLeaderEpochRequestTopic()
			t.Topic = s.tp.Topic
			req.Topics = append(req.Topics, t)
			return len(req.Topics) - 1
		})
		p := kmsg.NewOffsetForLeaderEpochRequestTopicPartition()
		p.Partition = s.tp.Partition
		p.CurrentLeaderEpoch = s.leaderEpoch
		p.LeaderEpoch = l.LatestEpoch()
		req.Topics[i].Partitions = append(req.Topics[i].Partitions, p)
	}
	resp, err := f.client.Send(req, 0)
	if err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, t := range resp.(*kmsg.OffsetForLeaderEpochResponse).Topics {
		for _, p := range t.Partitions {
			tp := TopicPartition{t.Topic, p.Partition}
			st := f.parts[tp]
			if st == nil || !st.truncating {
				continue
			}
			if p.ErrorCode != 0 {
				st.delayUntil = time.Now().Add(f.cfg.FetchBackoff)
				continue
			}
			f.applyTruncation(tp, p.LeaderEpoch, p.EndOffset)
			st.truncating = false
		}
	}
	return nil
}

func (f *ReplicaFetcher) applyTruncation(tp TopicPartition, epoch int32, endOffset int64) {
	l := f.rm.logs.GetLog(tp.Topic, tp.Partition)
	if l == nil {
		return
	}
	target := endOffset
	if epoch < 0 || endOffset < 0 {
		// The leader knows nothing of our epochs: fall back to the high
		// watermark, as followers did before KIP-101.
		target = l.HighWatermark()
	}
	if target < l.LogEndOffset() {
		f.log.Infof("Truncating partition %s with TruncationState(offset=%d, completed=true) due to leader epoch and offset EpochEndOffset(errorCode=0, partition=%s, leaderEpoch=%d, endOffset=%d)",
			tp, target, tp, epoch, endOffset)
		if err := l.TruncateTo(target); err != nil {
			f.log.Errorf("Error truncating %s to %d: %v", tp, target, err)
		}
	}
}

// fetch sends one Fetch as replica and appends what comes back.
func (f *ReplicaFetcher) fetch(parts []followerFetchState) error {
	req := kmsg.NewPtrFetchRequest()
	req.SetVersion(replicaFetchVersion)
	req.ReplicaID = f.rm.brokerID
	req.MaxWaitMillis = int32(f.cfg.FetchWaitMax / time.Millisecond)
	req.MinBytes = f.cfg.FetchMinBytes
	req.MaxBytes = f.cfg.FetchResponseMaxBytes
	req.SessionEpoch = -1
	byTopic := map[string]int{}
	for _, s := range parts {
		l := f.rm.logs.GetLog(s.tp.Topic, s.tp.Partition)
		if l == nil {
			continue
		}
		i := reqtopics.Slot(byTopic, s.tp.Topic, func() int {
			t := kmsg.NewFetchRequestTopic()
			t.Topic = s.tp.Topic
			req.Topics = append(req.Topics, t)
			return len(req.Topics) - 1
		})
		p := kmsg.NewFetchRequestTopicPartition()
		p.Partition = s.tp.Partition
		p.CurrentLeaderEpoch = s.leaderEpoch
		p.FetchOffset = l.LogEndOffset()
		p.LogStartOffset = l.LogStartOffset()
		p.PartitionMaxBytes = f.cfg.FetchMaxBytes
		req.Topics[i].Partitions = append(req.Topics[i].Partitions, p)
	}
	resp, err := f.client.Send(req, f.cfg.FetchWaitMax)
	if err != nil {
		return err
	}
	fr := resp.(*kmsg.FetchResponse)
	if fr.ErrorCode != 0 {
		return kerr.ErrorForCode(fr.ErrorCode)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, t := range fr.Topics {
		for _, p := range t.Partitions {
			f.applyFetched(TopicPartition{t.Topic, p.Partition}, p)
		}
	}
	return nil
}

// applyFetched appends one partition's records and moves the follower's
// high watermark. Caller holds f.mu.
func (f *ReplicaFetcher) applyFetched(tp TopicPartition, p kmsg.FetchResponseTopicPartition) {
	st := f.parts[tp]
	if st == nil || st.truncating {
		return
	}
	l := f.rm.logs.GetLog(tp.Topic, tp.Partition)
	if l == nil {
		return
	}
	switch p.ErrorCode {
	case 0:
	case kerr.OffsetOutOfRange.Code:
		f.handleOutOfRange(tp, l.LogEndOffset(), p)
		return
	case kerr.NotLeaderForPartition.Code, kerr.FencedLeaderEpoch.Code, kerr.UnknownLeaderEpoch.Code, kerr.UnknownTopicOrPartition.Code:
		st.delayUntil = time.Now().Add(f.cfg.FetchBackoff)
		return
	default:
		f.log.Warnf("Error for partition %s at offset %d: %v", tp, l.LogEndOffset(), kerr.ErrorForCode(p.ErrorCode))
		st.delayUntil = time.Now().Add(f.cfg.FetchBackoff)
		return
	}
	if len(p.RecordBatches) > 0 {
		if _, err := l.AppendAsFollower(p.RecordBatches); err != nil {
			f.log.Errorf("Error appending fetched records of %s: %v", tp, err)
			st.delayUntil = time.Now().Add(f.cfg.FetchBackoff)
			return
		}
	}
	hw := p.HighWatermark
	if leo := l.LogEndOffset(); hw > leo {
		hw = leo
	}
	if hw > l.HighWatermark() {
		l.UpdateHighWatermark(hw)
	}
	if p.LogStartOffset > l.LogStartOffset() {
		l.MaybeIncrementLogStartOffset(p.LogStartOffset)
	}
}

// handleOutOfRange resets a follower whose position the leader does not
// have: truncate to the leader's end, or restart at the leader's start.
func (f *ReplicaFetcher) handleOutOfRange(tp TopicPartition, leo int64, p kmsg.FetchResponseTopicPartition) {
	l := f.rm.logs.GetLog(tp.Topic, tp.Partition)
	if p.HighWatermark >= 0 && leo > p.HighWatermark {
		// We are ahead of the leader: re-run epoch-based truncation.
		f.parts[tp].truncating = true
		return
	}
	if p.LogStartOffset > leo {
		f.log.Warnf("Reset fetch offset for partition %s from %d to current leader %d's start offset %d", tp, leo, f.sourceID, p.LogStartOffset)
		if err := l.TruncateFullyAndStartAt(p.LogStartOffset); err != nil {
			f.log.Errorf("Error resetting %s: %v", tp, err)
		}
	}
}
