package replica

import (
	"hash/fnv"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gokafka/kafka/core/cluster"
	"github.com/gokafka/kafka/zkutil"
)

// IsrStore persists leader-driven ISR changes (ZooKeeper in Kafka 2.x
// before AlterIsr) and tells the controller about them.
type IsrStore interface {
	ConditionalUpdatePartitionState(tp zkutil.TopicPartition, s zkutil.LeaderIsr, expectedVersion int32) (int32, error)
	PropagateIsrChanges(tps []zkutil.TopicPartition) error
}

// Timing of ISR change propagation: a batch is written once no change came
// for isrChangeQuiet, or when the oldest change waited isrChangeMaxDelay.
const (
	isrChangeCheck    = 250 * time.Millisecond
	isrChangeQuiet    = 500 * time.Millisecond
	isrChangeMaxDelay = 5 * time.Second
)

type fetcherKey struct {
	source int32
	index  int
}

// StartReplication enables follower fetching and leader ISR maintenance.
func (rm *ReplicaManager) StartReplication(cfg ReplicationConfig, store IsrStore) {
	if cfg.NumFetchers < 1 {
		cfg.NumFetchers = 1
	}
	rm.replCfg = cfg
	rm.zk = store
	rm.loopsDone.Add(2)
	go rm.isrShrinkLoop()
	go rm.isrPropagationLoop()
}

// addFetcher makes a fetcher of the leader's broker pull tp.
func (rm *ReplicaManager) addFetcher(tp TopicPartition, leader kmsg.LeaderAndISRRequestLiveLeader, leaderEpoch int32) {
	if rm.zk == nil {
		return
	}
	h := fnv.New32a()
	h.Write([]byte(tp.Topic))
	key := fetcherKey{source: leader.BrokerID, index: int((h.Sum32() + uint32(tp.Partition)) % uint32(rm.replCfg.NumFetchers))}
	rm.fetchersMu.Lock()
	f := rm.fetchers[key]
	if f == nil {
		f = newReplicaFetcher(rm, leader.BrokerID, leader.Host, leader.Port, rm.replCfg, key.index)
		rm.fetchers[key] = f
	}
	rm.fetchersMu.Unlock()
	f.addPartition(tp, leaderEpoch)
	rm.log.Infof("Added fetcher to broker %d for partition %s with leader epoch %d", leader.BrokerID, tp, leaderEpoch)
}

// removeFetcher stops fetching tp; fetchers left without partitions stop.
func (rm *ReplicaManager) removeFetcher(tp TopicPartition) {
	rm.fetchersMu.Lock()
	defer rm.fetchersMu.Unlock()
	for k, f := range rm.fetchers {
		if f.removePartition(tp) == 0 {
			f.shutdown()
			delete(rm.fetchers, k)
		}
	}
}

// writeIsr is the Partition's IsrWriter: a conditional ZooKeeper update,
// recorded for the next ISR change notification.
func (rm *ReplicaManager) writeIsr(topic string, partition int32, s cluster.State) (int32, error) {
	tp := zkutil.TopicPartition{Topic: topic, Partition: partition}
	v, err := rm.zk.ConditionalUpdatePartitionState(tp, zkutil.LeaderIsr{
		Leader: s.Leader, LeaderEpoch: s.LeaderEpoch, Isr: s.Isr, ControllerEpoch: s.ControllerEpoch,
	}, s.ZkVersion)
	if err != nil {
		return 0, err
	}
	rm.isrChangesMu.Lock()
	now := time.Now()
	if len(rm.isrChanges) == 0 {
		rm.firstChange = now
	}
	rm.isrChanges = append(rm.isrChanges, TopicPartition{topic, partition})
	rm.lastChange = now
	rm.isrChangesMu.Unlock()
	return v, nil
}

// isrShrinkLoop checks every replica.lag.time.max.ms/2 for followers that
// fell behind.
func (rm *ReplicaManager) isrShrinkLoop() {
	defer rm.loopsDone.Done()
	interval := rm.replCfg.LagTimeMax / 2
	if interval <= 0 {
		interval = time.Second
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-rm.stop:
			return
		case <-t.C:
			for _, p := range rm.Partitions() {
				p.MaybeShrinkIsr(rm.replCfg.LagTimeMax)
			}
		}
	}
}

// isrPropagationLoop batches ISR changes into /isr_change_notification.
func (rm *ReplicaManager) isrPropagationLoop() {
	defer rm.loopsDone.Done()
	t := time.NewTicker(isrChangeCheck)
	defer t.Stop()
	for {
		select {
		case <-rm.stop:
			return
		case <-t.C:
			rm.maybePropagateIsrChanges()
		}
	}
}

func (rm *ReplicaManager) maybePropagateIsrChanges() {
	rm.isrChangesMu.Lock()
	now := time.Now()
	if len(rm.isrChanges) == 0 || (now.Sub(rm.lastChange) < isrChangeQuiet && now.Sub(rm.firstChange) < isrChangeMaxDelay) {
		rm.isrChangesMu.Unlock()
		return
	}
	seen := map[TopicPartition]bool{}
	var tps []zkutil.TopicPartition
	for _, tp := range rm.isrChanges {
		if !seen[tp] {
			seen[tp] = true
			tps = append(tps, zkutil.TopicPartition{Topic: tp.Topic, Partition: tp.Partition})
		}
	}
	rm.isrChanges = nil
	rm.isrChangesMu.Unlock()
	if err := rm.zk.PropagateIsrChanges(tps); err != nil {
		rm.log.Warnf("Failed to propagate ISR changes %v: %v", tps, err)
	}
}
