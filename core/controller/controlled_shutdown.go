package controller

import (
	"errors"

	"github.com/gokafka/kafka/zkutil"
)

// ErrUnknownBroker is returned for a controlled shutdown of a broker that
// is not registered (or registered under another epoch).
var ErrUnknownBroker = errors.New("broker is not alive")

type controlledShutdownEvent struct {
	brokerID    int32
	brokerEpoch int64
	reply       chan controlledShutdownResult
}

type controlledShutdownResult struct {
	remaining []zkutil.TopicPartition
	err       error
}

// ControlledShutdown moves leadership away from a broker that is about to
// stop and takes it out of every ISR. It returns the partitions the broker
// still leads (those without another in-sync replica); the broker retries
// until none are left or it gives up.
func (c *KafkaController) ControlledShutdown(brokerID int32, brokerEpoch int64) ([]zkutil.TopicPartition, error) {
	reply := make(chan controlledShutdownResult, 1)
	c.enqueue(controlledShutdownEvent{brokerID: brokerID, brokerEpoch: brokerEpoch, reply: reply})
	select {
	case r := <-reply:
		return r.remaining, r.err
	case <-c.stopped:
		return nil, errors.New("controller is shutting down")
	}
}

func (c *KafkaController) onControlledShutdown(ev controlledShutdownEvent) {
	if !c.active.Load() {
		ev.reply <- controlledShutdownResult{err: errNotController}
		return
	}
	b, ok := c.ctx.liveBrokers[ev.brokerID]
	if !ok || (ev.brokerEpoch >= 0 && b.Epoch != ev.brokerEpoch) {
		ev.reply <- controlledShutdownResult{err: ErrUnknownBroker}
		return
	}
	c.log.Infof("Shutting down broker %d", ev.brokerID)
	c.ctx.shuttingDown[ev.brokerID] = true
	live := c.ctx.live()
	updates := make(map[zkutil.TopicPartition]zkutil.LeaderIsr)
	var touched []zkutil.TopicPartition
	for _, tp := range c.ctx.allPartitions() {
		replicas := c.ctx.replicas(tp)
		s, ok := c.ctx.states[tp]
		if !ok || len(replicas) < 2 || !contains(replicas, ev.brokerID) {
			continue
		}
		next, changed := c.controlledShutdownState(s, replicas, live)
		if changed {
			next.ZkVersion = s.ZkVersion
			updates[tp] = next
			touched = append(touched, tp)
		}
	}
	changed := make(map[zkutil.TopicPartition]bool)
	c.writeStates(updates, changed)
	var moved []zkutil.TopicPartition
	for _, tp := range touched {
		if changed[tp] {
			moved = append(moved, tp)
		}
	}
	c.sendLeaderAndIsr(moved, nil)
	c.sendUpdateMetadata(c.ctx.liveBrokerIDs(), moved)
	// Stop the broker's follower replicas so it does not fetch its way
	// back into the ISR while shutting down.
	var stop []zkutil.TopicPartition
	var remaining []zkutil.TopicPartition
	for _, tp := range c.ctx.allPartitions() {
		replicas := c.ctx.replicas(tp)
		if !contains(replicas, ev.brokerID) || c.ctx.topicsToDelete[tp.Topic] {
			continue
		}
		// Like Kafka, only replicated partitions count as remaining: an
		// RF 1 partition has nowhere to go and must not delay the stop.
		if c.ctx.states[tp].Leader == ev.brokerID && len(replicas) > 1 {
			remaining = append(remaining, tp)
		} else if changed[tp] {
			stop = append(stop, tp)
		}
	}
	if len(stop) > 0 {
		c.sendStopReplica(ev.brokerID, stop, false)
	}
	c.log.Infof("Controlled shutdown of broker %d: moved %d partitions, %d still led by it", ev.brokerID, len(moved), len(remaining))
	ev.reply <- controlledShutdownResult{remaining: remaining}
}

// controlledShutdownState is Kafka's controlled-shutdown election: a
// partition led by a shutting-down broker moves to the first live ISR
// member not shutting down; a follower on it just leaves the ISR.
func (c *KafkaController) controlledShutdownState(s zkutil.LeaderIsr, replicas []int32, live map[int32]bool) (zkutil.LeaderIsr, bool) {
	if s.Leader < 0 {
		return s, false // offline already; the ISR keeps its last member
	}
	var isr []int32
	for _, r := range s.Isr {
		if !c.ctx.shuttingDown[r] {
			isr = append(isr, r)
		}
	}
	leader := s.Leader
	if c.ctx.shuttingDown[s.Leader] {
		leader = -1
		for _, r := range replicas {
			if live[r] && !c.ctx.shuttingDown[r] && contains(s.Isr, r) {
				leader = r
				break
			}
		}
		if leader < 0 {
			return s, false // nobody to take over: the broker keeps it
		}
	} else if len(isr) == len(s.Isr) {
		return s, false
	}
	if len(isr) == 0 {
		return s, false // never empty the ISR: its last member must lead again
	}
	return zkutil.LeaderIsr{Leader: leader, LeaderEpoch: s.LeaderEpoch + 1, Isr: isr, ControllerEpoch: c.Epoch()}, true
}
