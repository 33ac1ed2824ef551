// Package replica holds the ReplicaManager: the broker's set of partition
// replicas, the produce path (append with acks) and the fetch path (reads
// with long polling), and the handling of the controller's LeaderAndIsr and
// StopReplica requests.
package replica

import (
	"fmt"
	"sync"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gokafka/kafka/core/cluster"
	klog "github.com/gokafka/kafka/core/log"
	"github.com/gokafka/kafka/core/logging"
)

// TopicPartition names one partition.
type TopicPartition struct {
	Topic     string
	Partition int32
}

func (tp TopicPartition) String() string { return fmt.Sprintf("%s-%d", tp.Topic, tp.Partition) }

// TopicConfig resolves a topic's effective log configuration and
// min.insync.replicas (broker defaults plus the topic's overrides).
type TopicConfig func(topic string) (klog.Config, int, error)

// ReplicaManager owns the partitions hosted on this broker.
type ReplicaManager struct {
	brokerID    int32
	logs        *klog.LogManager
	topicConfig TopicConfig
	// recordPolicy gives each topic's record checks (SetRecordPolicies).
	recordPolicy func(topic string) cluster.RecordPolicy
	log          *logrus.Entry
	stateLog     *logrus.Entry

	mu              sync.RWMutex
	partitions      map[TopicPartition]*cluster.Partition
	controllerEpoch int32

	// leadershipListeners hear about role changes of hosted partitions;
	// the group coordinator uses it to load and unload __consumer_offsets
	// partitions.
	listenersMu         sync.Mutex
	leadershipListeners []LeadershipListener

	// Replication: followers' fetchers, keyed by leader and fetcher index,
	// and the leader's ISR persistence.
	replCfg      ReplicationConfig
	zk           IsrStore
	fetchersMu   sync.Mutex
	fetchers     map[fetcherKey]*ReplicaFetcher
	isrChangesMu sync.Mutex
	isrChanges   []TopicPartition
	firstChange  time.Time
	lastChange   time.Time
	stop         chan struct{}
	loopsDone    sync.WaitGroup
}

// NewReplicaManager returns a manager over logs.
func NewReplicaManager(brokerID int32, logs *klog.LogManager, topicConfig TopicConfig) *ReplicaManager {
	return &ReplicaManager{
		brokerID:    brokerID,
		logs:        logs,
		topicConfig: topicConfig,
		log:         logging.For("kafka.server.ReplicaManager").WithField("broker", brokerID),
		stateLog:    logging.For("state.change.logger"),
		partitions:  make(map[TopicPartition]*cluster.Partition),
		fetchers:    make(map[fetcherKey]*ReplicaFetcher),
		stop:        make(chan struct{}),
	}
}

// SetRecordPolicies installs the per-topic record checks applied to
// produce requests (message.timestamp.difference.max.ms, keys on
// compacted topics).
func (rm *ReplicaManager) SetRecordPolicies(f func(topic string) cluster.RecordPolicy) {
	rm.recordPolicy = f
}

// AcceptControllerEpoch records a request's controller epoch and reports
// whether it is current: requests from an older controller are rejected
// with STALE_CONTROLLER_EPOCH.
func (rm *ReplicaManager) AcceptControllerEpoch(epoch int32) bool {
	rm.mu.Lock()
	defer rm.mu.Unlock()
	if epoch < rm.controllerEpoch {
		return false
	}
	rm.controllerEpoch = epoch
	return true
}

// LeadershipListener is told when this broker becomes leader or follower
// of a partition (isLeader), or stops hosting it (stopped).
type LeadershipListener func(tp TopicPartition, isLeader bool, stopped bool, leaderEpoch int32)

// AddLeadershipListener registers l for every later role change.
func (rm *ReplicaManager) AddLeadershipListener(l LeadershipListener) {
	rm.listenersMu.Lock()
	rm.leadershipListeners = append(rm.leadershipListeners, l)
	rm.listenersMu.Unlock()
}

func (rm *ReplicaManager) notifyLeadership(tp TopicPartition, isLeader, stopped bool, leaderEpoch int32) {
	rm.listenersMu.Lock()
	ls := append([]LeadershipListener(nil), rm.leadershipListeners...)
	rm.listenersMu.Unlock()
	for _, l := range ls {
		l(tp, isLeader, stopped, leaderEpoch)
	}
}

// Partition returns the hosted partition, or nil.
func (rm *ReplicaManager) Partition(topic string, partition int32) *cluster.Partition {
	rm.mu.RLock()
	defer rm.mu.RUnlock()
	return rm.partitions[TopicPartition{topic, partition}]
}

// Partitions returns every hosted partition.
func (rm *ReplicaManager) Partitions() []*cluster.Partition {
	rm.mu.RLock()
	defer rm.mu.RUnlock()
	out := make([]*cluster.Partition, 0, len(rm.partitions))
	for _, p := range rm.partitions {
		out = append(out, p)
	}
	return out
}

// BecomeLeaderOrFollower applies a LeaderAndIsr request from the
// controller: partitions this broker leads get a log and the leader role,
// the others the follower role.
func (rm *ReplicaManager) BecomeLeaderOrFollower(req *kmsg.LeaderAndISRRequest) *kmsg.LeaderAndISRResponse {
	resp := req.ResponseKind().(*kmsg.LeaderAndISRResponse)
	rm.mu.Lock()
	if req.ControllerEpoch < rm.controllerEpoch {
		rm.mu.Unlock()
		rm.stateLog.Warnf("Ignoring LeaderAndIsr request from controller %d with correlation epoch %d since its controller epoch is older than the current epoch %d",
			req.ControllerID, req.ControllerEpoch, rm.controllerEpoch)
		resp.ErrorCode = kerr.StaleControllerEpoch.Code
		return resp
	}
	rm.controllerEpoch = req.ControllerEpoch
	rm.mu.Unlock()

	leaders := make(map[int32]kmsg.LeaderAndISRRequestLiveLeader)
	for _, ll := range req.LiveLeaders {
		leaders[ll.BrokerID] = ll
	}
	type topicStates struct {
		topic string
		id    [16]byte
		parts []kmsg.LeaderAndISRRequestTopicPartition
	}
	var all []topicStates
	if req.Version < 2 {
		for _, p := range req.PartitionStates {
			all = append(all, topicStates{topic: p.Topic, parts: []kmsg.LeaderAndISRRequestTopicPartition{p}})
		}
	} else {
		for _, t := range req.TopicStates {
			all = append(all, topicStates{topic: t.Topic, id: t.TopicID, parts: t.PartitionStates})
		}
	}
	for _, t := range all {
		rt := kmsg.NewLeaderAndISRResponseTopic()
		rt.TopicID = t.id
		for _, ps := range t.parts {
			code := rm.applyPartitionState(req.ControllerID, t.topic, ps, leaders)
			rp := kmsg.NewLeaderAndISRResponseTopicPartition()
			rp.Topic = t.topic
			rp.Partition = ps.Partition
			rp.ErrorCode = code
			if req.Version >= 5 {
				rt.Partitions = append(rt.Partitions, rp)
			} else {
				resp.Partitions = append(resp.Partitions, rp)
			}
		}
		if req.Version >= 5 {
			resp.Topics = append(resp.Topics, rt)
		}
	}
	return resp
}

// applyPartitionState makes this broker leader or follower of one partition.
func (rm *ReplicaManager) applyPartitionState(controllerID int32, topic string, ps kmsg.LeaderAndISRRequestTopicPartition, leaders map[int32]kmsg.LeaderAndISRRequestLiveLeader) int16 {
	tp := TopicPartition{topic, ps.Partition}
	cfg, minIsr, err := rm.topicConfig(topic)
	if err != nil {
		rm.stateLog.Errorf("[Broker id=%d] Cannot read the configuration of %s: %v", rm.brokerID, tp, err)
		return kerr.KafkaStorageError.Code
	}
	l, err := rm.logs.GetOrCreateLog(topic, ps.Partition, cfg)
	if err != nil {
		rm.stateLog.Errorf("[Broker id=%d] Error creating the log of %s: %v", rm.brokerID, tp, err)
		return kerr.KafkaStorageError.Code
	}
	rm.mu.Lock()
	p := rm.partitions[tp]
	if p == nil {
		p = cluster.NewPartition(topic, ps.Partition, rm.brokerID, nil)
		rm.partitions[tp] = p
	}
	rm.mu.Unlock()
	p.SetMinInsyncReplicas(minIsr)
	if rm.recordPolicy != nil {
		p.SetRecordPolicy(rm.recordPolicy(topic))
	}
	p.SetIsrWriter(rm.writeIsr)
	// Stop fetching first, so no fetched batch lands after the role change.
	rm.removeFetcher(tp)
	s := cluster.State{
		ControllerEpoch: ps.ControllerEpoch, Leader: ps.Leader, LeaderEpoch: ps.LeaderEpoch,
		Isr: ps.ISR, ZkVersion: ps.ZKVersion, Replicas: ps.Replicas, IsNew: ps.IsNew,
	}
	var applied bool
	role := "follower"
	if ps.Leader == rm.brokerID {
		role = "leader"
		applied = p.MakeLeader(s, l)
	} else {
		applied = p.MakeFollower(s, l)
	}
	if applied && ps.Leader != rm.brokerID {
		if ll, ok := leaders[ps.Leader]; ok {
			rm.addFetcher(tp, ll, ps.LeaderEpoch)
		}
	}
	if !applied {
		rm.stateLog.Warnf("[Broker id=%d] Ignoring LeaderAndIsr request from controller %d for partition %s since its leader epoch %d is older than the current leader epoch %d",
			rm.brokerID, controllerID, tp, ps.LeaderEpoch, p.LeaderEpoch())
		return kerr.StaleControllerEpoch.Code
	}
	rm.stateLog.Infof("[Broker id=%d] Completed LeaderAndIsr request from controller %d: %s is now %s with leader epoch %d, ISR %v",
		rm.brokerID, controllerID, tp, role, ps.LeaderEpoch, ps.ISR)
	rm.notifyLeadership(tp, ps.Leader == rm.brokerID, false, ps.LeaderEpoch)
	return 0
}

// StopReplicas applies a StopReplica request: stop serving the partitions
// and, when asked, delete their logs (topic deletion).
func (rm *ReplicaManager) StopReplicas(req *kmsg.StopReplicaRequest) *kmsg.StopReplicaResponse {
	resp := req.ResponseKind().(*kmsg.StopReplicaResponse)
	rm.mu.Lock()
	if req.ControllerEpoch < rm.controllerEpoch {
		rm.mu.Unlock()
		resp.ErrorCode = kerr.StaleControllerEpoch.Code
		return resp
	}
	rm.controllerEpoch = req.ControllerEpoch
	rm.mu.Unlock()
	for _, t := range req.Topics {
		type stop struct {
			partition int32
			delete    bool
		}
		var stops []stop
		switch {
		case req.Version == 0:
			stops = append(stops, stop{t.Partition, req.DeletePartitions})
		case req.Version < 3:
			for _, p := range t.Partitions {
				stops = append(stops, stop{p, req.DeletePartitions})
			}
		default:
			for _, ps := range t.PartitionStates {
				stops = append(stops, stop{ps.Partition, ps.Delete})
			}
		}
		for _, s := range stops {
			rp := kmsg.NewStopReplicaResponsePartition()
			rp.Topic = t.Topic
			rp.Partition = s.partition
			rp.ErrorCode = rm.stopReplica(TopicPartition{t.Topic, s.partition}, s.delete)
			resp.Partitions = append(resp.Partitions, rp)
		}
	}
	return resp
}

func (rm *ReplicaManager) stopReplica(tp TopicPartition, deleteLog bool) int16 {
	rm.mu.Lock()
	_, hosted := rm.partitions[tp]
	delete(rm.partitions, tp)
	rm.mu.Unlock()
	rm.removeFetcher(tp)
	if hosted {
		rm.notifyLeadership(tp, false, true, -1)
	}
	if deleteLog && rm.logs.GetLog(tp.Topic, tp.Partition) != nil {
		if err := rm.logs.AsyncDelete(tp.Topic, tp.Partition); err != nil {
			rm.stateLog.Errorf("[Broker id=%d] Error deleting the log of %s: %v", rm.brokerID, tp, err)
			return kerr.KafkaStorageError.Code
		}
		rm.log.Infof("Log for partition %s is renamed to be deleted", tp)
	}
	return 0
}

// Shutdown stops the fetchers and background loops and wakes parked
// fetches so that they answer promptly.
func (rm *ReplicaManager) Shutdown() {
	close(rm.stop)
	rm.loopsDone.Wait()
	rm.fetchersMu.Lock()
	for k, f := range rm.fetchers {
		f.shutdown()
		delete(rm.fetchers, k)
	}
	rm.fetchersMu.Unlock()
}
