package controller

import (
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/gokafka/kafka/zkutil"
)

// ElectionType is the ElectLeaders request's kind of election.
type ElectionType int8

// Election types of the ElectLeaders API.
const (
	PreferredElection ElectionType = 0
	UncleanElection   ElectionType = 1
)

// ElectionResult is the outcome for one partition; Err is nil on success.
type ElectionResult struct {
	Err     *kerr.Error
	Message string
}

type electLeadersEvent struct {
	kind  ElectionType
	tps   []zkutil.TopicPartition // nil = every partition
	reply chan map[zkutil.TopicPartition]ElectionResult
}

type autoRebalanceEvent struct{}
type preferredElectionZNodeEvent struct{}

// ElectLeaders runs a preferred or unclean election for the partitions
// (all of them when tps is nil), for the ElectLeaders API and
// kafka-leader-election.sh.
func (c *KafkaController) ElectLeaders(kind ElectionType, tps []zkutil.TopicPartition) (map[zkutil.TopicPartition]ElectionResult, error) {
	return ask(c, func(reply chan map[zkutil.TopicPartition]ElectionResult) event {
		return electLeadersEvent{kind: kind, tps: tps, reply: reply}
	})
}

func (c *KafkaController) onElectLeaders(ev electLeadersEvent) {
	if !c.active.Load() {
		close(ev.reply) // closed without an answer: not the controller
		return
	}
	if ev.tps != nil {
		ev.reply <- c.electLeaders(ev.kind, ev.tps)
		return
	}
	// An election for "all partitions" reports only the partitions it
	// tried, like Kafka: those already led by the right replica are left out.
	results := c.electLeaders(ev.kind, c.ctx.allPartitions())
	for tp, r := range results {
		if r.Err == kerr.ElectionNotNeeded {
			delete(results, tp)
		}
	}
	ev.reply <- results
}

// electLeaders decides, persists and announces the elections.
func (c *KafkaController) electLeaders(kind ElectionType, tps []zkutil.TopicPartition) map[zkutil.TopicPartition]ElectionResult {
	results := make(map[zkutil.TopicPartition]ElectionResult, len(tps))
	updates := make(map[zkutil.TopicPartition]zkutil.LeaderIsr)
	live := c.ctx.live()
	for _, tp := range tps {
		s, ok := c.ctx.states[tp]
		if !ok || c.ctx.topicsToDelete[tp.Topic] {
			results[tp] = ElectionResult{Err: kerr.UnknownTopicOrPartition, Message: "The partition does not exist."}
			continue
		}
		next, res := c.electionState(kind, tp, s, live)
		if res.Err != nil {
			results[tp] = res
			continue
		}
		next.ZkVersion = s.ZkVersion
		updates[tp] = next
	}
	changed := make(map[zkutil.TopicPartition]bool)
	c.writeStates(updates, changed)
	var moved []zkutil.TopicPartition
	for tp := range updates {
		if changed[tp] {
			moved = append(moved, tp)
			results[tp] = ElectionResult{}
		} else {
			results[tp] = ElectionResult{Err: kerr.NotController, Message: "The partition state changed during the election; try again."}
		}
	}
	sortPartitions(moved)
	c.sendLeaderAndIsr(moved, nil)
	c.sendUpdateMetadata(c.ctx.liveBrokerIDs(), moved)
	return results
}

// electionState is the pure decision of one election.
func (c *KafkaController) electionState(kind ElectionType, tp zkutil.TopicPartition, s zkutil.LeaderIsr, live map[int32]bool) (zkutil.LeaderIsr, ElectionResult) {
	assignment := c.ctx.replicas(tp)
	switch kind {
	case PreferredElection:
		preferred := assignment[0]
		if s.Leader == preferred {
			return s, ElectionResult{Err: kerr.ElectionNotNeeded, Message: "Leader election not needed for topic partition."}
		}
		if !live[preferred] || !contains(s.Isr, preferred) {
			return s, ElectionResult{Err: kerr.PreferredLeaderNotAvailable,
				Message: fmt.Sprintf("Failed to elect leader for partition %s under strategy PreferredReplicaPartitionLeaderElectionStrategy", tp)}
		}
		return zkutil.LeaderIsr{Leader: preferred, LeaderEpoch: s.LeaderEpoch + 1, Isr: s.Isr, ControllerEpoch: c.Epoch()}, ElectionResult{}
	default:
		if s.Leader >= 0 && live[s.Leader] {
			return s, ElectionResult{Err: kerr.ElectionNotNeeded, Message: "Leader election not needed for topic partition."}
		}
		leader, unclean := offlinePartitionLeader(assignment, s.Isr, live, true)
		if leader < 0 {
			return s, ElectionResult{Err: kerr.EligibleLeadersNotAvailable,
				Message: fmt.Sprintf("Failed to elect leader for partition %s under strategy OfflinePartitionLeaderElectionStrategy(true)", tp)}
		}
		isr := liveIsr(s.Isr, live)
		if unclean {
			isr = []int32{leader}
		}
		return zkutil.LeaderIsr{Leader: leader, LeaderEpoch: s.LeaderEpoch + 1, Isr: isr, ControllerEpoch: c.Epoch()}, ElectionResult{}
	}
}

// startAutoRebalance checks leader imbalance every
// leader.imbalance.check.interval.seconds while this broker is controller.
func (c *KafkaController) startAutoRebalance() {
	if !c.cfg.AutoLeaderRebalanceEnable || c.cfg.LeaderImbalanceCheckInterval <= 0 {
		return
	}
	epoch := c.Epoch()
	go func() {
		t := time.NewTicker(c.cfg.LeaderImbalanceCheckInterval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				if !c.active.Load() || c.Epoch() != epoch {
					return
				}
				c.enqueue(autoRebalanceEvent{})
			case <-c.stopped:
				return
			}
		}
	}()
}

// onAutoRebalance moves leadership back to preferred replicas for brokers
// whose share of "led elsewhere" partitions exceeds
// leader.imbalance.per.broker.percentage.
func (c *KafkaController) onAutoRebalance() {
	live := c.ctx.live()
	perBroker := map[int32][]zkutil.TopicPartition{}
	for _, tp := range c.ctx.allPartitions() {
		if c.ctx.topicsToDelete[tp.Topic] {
			continue
		}
		replicas := c.ctx.replicas(tp)
		if len(replicas) > 0 {
			perBroker[replicas[0]] = append(perBroker[replicas[0]], tp)
		}
	}
	var toElect []zkutil.TopicPartition
	for broker, tps := range perBroker {
		if !live[broker] {
			continue
		}
		var notLed []zkutil.TopicPartition
		for _, tp := range tps {
			if c.ctx.states[tp].Leader != broker {
				notLed = append(notLed, tp)
			}
		}
		ratio := float64(len(notLed)) / float64(len(tps))
		c.log.Debugf("Leader imbalance ratio for broker %d is %f", broker, ratio)
		if ratio*100 > float64(c.cfg.LeaderImbalancePerBrokerPercentage) {
			for _, tp := range notLed {
				if s := c.ctx.states[tp]; contains(s.Isr, broker) {
					toElect = append(toElect, tp)
				}
			}
		}
	}
	if len(toElect) > 0 {
		sortPartitions(toElect)
		c.log.Infof("Starting replica leader election (PREFERRED) for partitions %v triggered by AutoTriggered", toElect)
		c.electLeaders(PreferredElection, toElect)
	}
}

// onPreferredElectionZNode serves the legacy /admin/preferred_replica_election
// node written by kafka-preferred-replica-election.sh.
func (c *KafkaController) onPreferredElectionZNode() {
	ok, _, ch, err := c.zk.ExistsW(zkutil.PreferredReplicaElectionPath)
	if err != nil {
		c.retryLater(preferredElectionZNodeEvent{})
		return
	}
	c.watch(ch, preferredElectionZNodeEvent{})
	if !ok {
		return
	}
	tps, _, err := c.zk.GetPreferredReplicaElection()
	if err == nil && len(tps) > 0 {
		c.log.Infof("Starting replica leader election (PREFERRED) for partitions %v triggered by ZkTriggered", tps)
		c.electLeaders(PreferredElection, tps)
	}
	if err := c.zk.DeletePreferredReplicaElection(c.epochZkVersion); err != nil {
		c.log.Warnf("Could not delete %s: %v", zkutil.PreferredReplicaElectionPath, err)
	}
}
