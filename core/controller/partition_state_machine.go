package controller

import (
	"github.com/gokafka/kafka/zkutil"
)

// onlinePartitions moves the given partitions towards Online: new ones get
// an initial leader and ISR, partitions whose leader is gone get a new one
// elected, and dead replicas leave the ISR. Decisions are written to
// ZooKeeper (guarded by the controller epoch) before any broker is told.
// It returns the partitions whose state changed.
func (c *KafkaController) onlinePartitions(tps []zkutil.TopicPartition) map[zkutil.TopicPartition]bool {
	changed := make(map[zkutil.TopicPartition]bool)
	// A leader may have changed the ISR in ZooKeeper meanwhile: re-read
	// and decide again a few times.
	for attempt := 0; attempt < 3 && len(tps) > 0; attempt++ {
		var retry []zkutil.TopicPartition
		retry = c.onlinePartitionsOnce(tps, changed)
		tps = retry
	}
	return changed
}

func (c *KafkaController) onlinePartitionsOnce(tps []zkutil.TopicPartition, changed map[zkutil.TopicPartition]bool) []zkutil.TopicPartition {
	live := c.ctx.live()
	creates := make(map[zkutil.TopicPartition]zkutil.LeaderIsr)
	updates := make(map[zkutil.TopicPartition]zkutil.LeaderIsr)
	var retry []zkutil.TopicPartition
	for _, tp := range tps {
		if c.ctx.topicsToDelete[tp.Topic] {
			continue
		}
		assignment := c.ctx.replicas(tp)
		s, exists := c.ctx.states[tp]
		if !exists {
			if init, ok := c.initialState(tp, assignment, live); ok {
				creates[tp] = init
			}
			continue
		}
		if next, ok := c.nextState(tp, s, assignment, live); ok {
			next.ZkVersion = s.ZkVersion // the write is conditional on the version we read
			updates[tp] = next
		}
	}
	if len(creates) > 0 {
		failed, err := c.zk.CreatePartitionStates(c.Epoch(), c.epochZkVersion, creates)
		if err != nil {
			c.log.Errorf("Error while creating partition states %v: %v", keys(creates), err)
			c.maybeResign(err)
			return nil
		}
		for tp, s := range creates {
			if ferr := failed[tp]; ferr != nil {
				c.log.Errorf("Error while creating the state of %s: %v", tp, ferr)
				if cur, ok, err := c.zk.GetPartitionState(tp); err == nil && ok {
					c.ctx.states[tp] = cur
				}
				continue
			}
			s.ZkVersion = 0
			c.ctx.states[tp] = s
			changed[tp] = true
			c.stateLog.Infof("[Controller id=%d epoch=%d] Changed partition %s from NewPartition to OnlinePartition with state LeaderAndIsr(leader=%d, leaderEpoch=%d, isr=%v, zkVersion=0)",
				c.cfg.BrokerID, c.Epoch(), tp, s.Leader, s.LeaderEpoch, s.Isr)
		}
	}
	return append(retry, c.writeStates(updates, changed)...)
}

// writeStates persists new leader/ISR states (each conditional on the
// zkVersion it was decided from), records the successful ones in the
// context and in changed, and returns the partitions to decide again.
func (c *KafkaController) writeStates(updates map[zkutil.TopicPartition]zkutil.LeaderIsr, changed map[zkutil.TopicPartition]bool) []zkutil.TopicPartition {
	var retry []zkutil.TopicPartition
	if len(updates) > 0 {
		res, err := c.zk.UpdatePartitionStates(c.Epoch(), c.epochZkVersion, updates)
		if err != nil {
			c.log.Errorf("Error while updating partition states: %v", err)
			c.maybeResign(err)
			return nil
		}
		retry = res.ToRetry
		for _, tp := range res.ToRetry {
			c.log.Warnf("The state of %s changed in ZooKeeper meanwhile; re-reading it", tp)
			if s, ok, err := c.zk.GetPartitionState(tp); err == nil && ok {
				c.ctx.states[tp] = s
			}
		}
		for tp, ferr := range res.Failed {
			c.log.Errorf("Failed to update the state of %s: %v", tp, ferr)
		}
		for tp, s := range res.Successful {
			c.ctx.states[tp] = s
			changed[tp] = true
			c.stateLog.Infof("[Controller id=%d epoch=%d] Changed partition %s state to LeaderAndIsr(leader=%d, leaderEpoch=%d, isr=%v, zkVersion=%d)",
				c.cfg.BrokerID, c.Epoch(), tp, s.Leader, s.LeaderEpoch, s.Isr, s.ZkVersion)
		}
	}
	return retry
}

// initialState is the NewPartition -> OnlinePartition transition: the
// first live assigned replica leads, all live assigned replicas are in sync.
func (c *KafkaController) initialState(tp zkutil.TopicPartition, assignment []int32, live map[int32]bool) (zkutil.LeaderIsr, bool) {
	isr := liveReplicas(assignment, live)
	if len(isr) == 0 {
		c.stateLog.Errorf("[Controller id=%d epoch=%d] Controller failed to change state of partition %s from NewPartition to OnlinePartition: No live replicas among assigned replicas %v",
			c.cfg.BrokerID, c.Epoch(), tp, assignment)
		return zkutil.LeaderIsr{}, false
	}
	return zkutil.LeaderIsr{Leader: isr[0], LeaderEpoch: 0, Isr: isr, ControllerEpoch: c.Epoch()}, true
}

// nextState decides whether an existing partition needs a new leader or a
// smaller ISR because brokers died, or a leader because one came back.
func (c *KafkaController) nextState(tp zkutil.TopicPartition, s zkutil.LeaderIsr, assignment []int32, live map[int32]bool) (zkutil.LeaderIsr, bool) {
	isr := liveIsr(s.Isr, live)
	if s.Leader >= 0 && live[s.Leader] {
		if len(isr) == len(s.Isr) {
			return s, false
		}
		// A dead follower leaves the ISR; the leader stays.
		return zkutil.LeaderIsr{Leader: s.Leader, LeaderEpoch: s.LeaderEpoch + 1, Isr: isr, ControllerEpoch: c.Epoch()}, true
	}
	unclean := c.cfg.UncleanLeaderElection != nil && c.cfg.UncleanLeaderElection(tp.Topic)
	leader, wasUnclean := offlinePartitionLeader(assignment, s.Isr, live, unclean)
	if leader < 0 {
		if s.Leader == zkutil.NoLeader {
			return s, false
		}
		// No eligible replica: the partition goes offline. The last ISR
		// member is kept so it can lead again when it returns.
		newIsr := isr
		if len(newIsr) == 0 {
			newIsr = s.Isr
			if len(newIsr) > 1 {
				newIsr = newIsr[:0:0]
				for _, r := range s.Isr {
					if r != s.Leader {
						newIsr = append(newIsr, r)
					}
				}
			}
		}
		c.stateLog.Errorf("[Controller id=%d epoch=%d] Controller failed to elect a leader for partition %s: no replica in ISR %v is alive; the partition is offline",
			c.cfg.BrokerID, c.Epoch(), tp, s.Isr)
		return zkutil.LeaderIsr{Leader: zkutil.NoLeader, LeaderEpoch: s.LeaderEpoch + 1, Isr: newIsr, ControllerEpoch: c.Epoch()}, true
	}
	newIsr := isr
	if wasUnclean {
		newIsr = []int32{leader}
		c.stateLog.Warnf("[Controller id=%d epoch=%d] Unclean leader election: %s gets leader %d which was not in the ISR %v; data may be lost",
			c.cfg.BrokerID, c.Epoch(), tp, leader, s.Isr)
	}
	if !contains(newIsr, leader) {
		newIsr = append([]int32{leader}, newIsr...)
	}
	return zkutil.LeaderIsr{Leader: leader, LeaderEpoch: s.LeaderEpoch + 1, Isr: newIsr, ControllerEpoch: c.Epoch()}, true
}

func keys(m map[zkutil.TopicPartition]zkutil.LeaderIsr) []zkutil.TopicPartition {
	out := make([]zkutil.TopicPartition, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sortPartitions(out)
	return out
}
