package controller

import (
	"errors"
	"reflect"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/gokafka/kafka/zkutil"
)

// AlterIsr (KIP-497) as Kafka 2.8's ZooKeeper controller serves it: a
// partition leader asks the controller to persist a new ISR instead of
// writing the state znode itself. This broker's leaders still write their
// ISR changes to ZooKeeper (the path of inter.broker.protocol.version below
// 2.7-IV2) and announce them through /isr_change_notification; AlterIsr is
// served for tools and brokers that send it.

// AlterIsrRequest is one partition's proposed ISR: the leader epoch the
// sender leads with and the state znode version its ISR was read at.
type AlterIsrRequest struct {
	LeaderEpoch       int32
	NewIsr            []int32
	CurrentIsrVersion int32
}

// AlterIsrResult is the outcome for one partition: Err, or the state now
// in ZooKeeper (leader, leader epoch, ISR and the znode version).
type AlterIsrResult struct {
	Err   *kerr.Error
	State zkutil.LeaderIsr
}

type alterIsrReply struct {
	err        *kerr.Error // top level: STALE_BROKER_EPOCH, UNKNOWN_SERVER_ERROR
	partitions map[zkutil.TopicPartition]AlterIsrResult
}

type alterIsrEvent struct {
	brokerID    int32
	brokerEpoch int64
	reqs        map[zkutil.TopicPartition]AlterIsrRequest
	reply       chan alterIsrReply
}

// AlterIsr validates and persists the ISRs proposed by broker brokerID at
// registration epoch brokerEpoch. topErr is the request-level error (nil,
// STALE_BROKER_EPOCH or UNKNOWN_SERVER_ERROR); the returned error is
// non-nil when this broker is not the controller.
func (c *KafkaController) AlterIsr(brokerID int32, brokerEpoch int64, reqs map[zkutil.TopicPartition]AlterIsrRequest) (results map[zkutil.TopicPartition]AlterIsrResult, topErr *kerr.Error, err error) {
	r, err := ask(c, func(reply chan alterIsrReply) event {
		return alterIsrEvent{brokerID: brokerID, brokerEpoch: brokerEpoch, reqs: reqs, reply: reply}
	})
	return r.partitions, r.err, err
}

func (c *KafkaController) onAlterIsr(ev alterIsrEvent) {
	if !c.active.Load() {
		close(ev.reply)
		return
	}
	b, ok := c.ctx.liveBrokers[ev.brokerID]
	if !ok {
		c.log.Infof("Ignoring AlterIsr due to unknown broker %d", ev.brokerID)
		ev.reply <- alterIsrReply{err: kerr.StaleBrokerEpoch}
		return
	}
	if b.Epoch != ev.brokerEpoch {
		c.log.Infof("Ignoring AlterIsr due to stale broker epoch %d for broker %d", ev.brokerEpoch, ev.brokerID)
		ev.reply <- alterIsrReply{err: kerr.StaleBrokerEpoch}
		return
	}

	results := make(map[zkutil.TopicPartition]AlterIsrResult, len(ev.reqs))
	updates := make(map[zkutil.TopicPartition]zkutil.LeaderIsr)
	var known []zkutil.TopicPartition
	for _, tp := range sortedRequestPartitions(ev.reqs) {
		req := ev.reqs[tp]
		if _, ok := c.ctx.states[tp]; !ok || c.ctx.assignments[tp.Topic].Partitions[tp.Partition] == nil {
			results[tp] = AlterIsrResult{Err: kerr.UnknownTopicOrPartition}
			continue
		}
		// Leaders here write ISR changes to ZooKeeper themselves, so the
		// cached ISR may lag by one notification: compare with ZooKeeper.
		if s, ok, err := c.zk.GetPartitionState(tp); err == nil && ok {
			c.ctx.states[tp] = s
		}
		known = append(known, tp)
		cur := c.ctx.states[tp]
		proposed := zkutil.LeaderIsr{Leader: ev.brokerID, LeaderEpoch: req.LeaderEpoch, Isr: req.NewIsr, ZkVersion: req.CurrentIsrVersion}
		switch {
		case req.LeaderEpoch < cur.LeaderEpoch:
			results[tp] = AlterIsrResult{Err: kerr.FencedLeaderEpoch}
		case proposed.Leader == cur.Leader && proposed.LeaderEpoch == cur.LeaderEpoch && reflect.DeepEqual(normIsr(proposed.Isr), normIsr(cur.Isr)):
			// Already in the desired state (LeaderAndIsr.equalsIgnoreZk).
			results[tp] = AlterIsrResult{State: cur}
		default:
			updates[tp] = proposed
		}
	}

	if len(updates) > 0 {
		res, err := c.zk.UpdatePartitionStates(c.Epoch(), c.epochZkVersion, updates)
		if err != nil {
			c.log.Errorf("Error when processing AlterIsr for partitions %v: %v", sortedRequestPartitions(ev.reqs), err)
			ev.reply <- alterIsrReply{err: kerr.UnknownServerError}
			c.maybeResign(err)
			return
		}
		for tp, s := range res.Successful {
			c.ctx.states[tp] = s
			results[tp] = AlterIsrResult{State: s}
			c.stateLog.Infof("[Controller id=%d epoch=%d] ISR for partition %s updated to [%v] and zkVersion updated to [%d] by AlterIsr from broker %d",
				c.cfg.BrokerID, c.Epoch(), tp, s.Isr, s.ZkVersion, ev.brokerID)
		}
		for _, tp := range res.ToRetry {
			c.log.Infof("Failed to update ISR to %v for partition %s, bad ZK version.", updates[tp].Isr, tp)
			results[tp] = AlterIsrResult{Err: kerr.InvalidUpdateVersion}
		}
		for tp, ferr := range res.Failed {
			c.log.Errorf("Failed to update ISR for partition %s: %v", tp, ferr)
			code := kerr.UnknownServerError
			if errors.Is(ferr, zkutil.ErrNoNode) {
				code = kerr.UnknownTopicOrPartition
			}
			results[tp] = AlterIsrResult{Err: code}
		}
	}
	if len(known) > 0 {
		c.sendUpdateMetadata(c.ctx.liveBrokerIDs(), known)
	}
	ev.reply <- alterIsrReply{partitions: results}

	// A grown ISR may complete a reassignment.
	for tp, r := range results {
		if _, ok := c.ctx.reassignments[tp]; ok && r.Err == nil {
			c.progressReassignment(tp)
		}
	}
}

func normIsr(isr []int32) []int32 {
	if isr == nil {
		return []int32{}
	}
	return isr
}

func sortedRequestPartitions(m map[zkutil.TopicPartition]AlterIsrRequest) []zkutil.TopicPartition {
	out := make([]zkutil.TopicPartition, 0, len(m))
	for tp := range m {
		out = append(out, tp)
	}
	sortPartitions(out)
	return out
}
