package controller

import (
	"fmt"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/gokafka/kafka/zkutil"
)

// Partition reassignment as in Kafka 2.4+ (KIP-455). With original
// replicas ORS and target replicas TRS, the partition first runs with
// RS = TRS + (ORS - TRS) so that new replicas can catch up; once every
// target replica is in the ISR, leadership moves into TRS if needed, the
// replica set shrinks to TRS and the removed replicas are deleted.

// ReassignmentResult is the outcome of one partition's request.
type ReassignmentResult struct {
	Err     *kerr.Error
	Message string
}

// OngoingReassignment describes one partition being reassigned.
type OngoingReassignment struct {
	Replicas, Adding, Removing []int32
}

type reassignment struct {
	origin, target []int32
}

type alterReassignmentsEvent struct {
	requests map[zkutil.TopicPartition][]int32 // nil target = cancel
	reply    chan map[zkutil.TopicPartition]ReassignmentResult
}

type listReassignmentsEvent struct {
	reply chan map[zkutil.TopicPartition]OngoingReassignment
}

type reassignZNodeEvent struct{}

// AlterPartitionReassignments starts (or, with a nil target, cancels)
// reassignments.
func (c *KafkaController) AlterPartitionReassignments(reqs map[zkutil.TopicPartition][]int32) (map[zkutil.TopicPartition]ReassignmentResult, error) {
	return ask(c, func(reply chan map[zkutil.TopicPartition]ReassignmentResult) event {
		return alterReassignmentsEvent{requests: reqs, reply: reply}
	})
}

// ListPartitionReassignments returns the ongoing reassignments.
func (c *KafkaController) ListPartitionReassignments() (map[zkutil.TopicPartition]OngoingReassignment, error) {
	return ask(c, func(reply chan map[zkutil.TopicPartition]OngoingReassignment) event {
		return listReassignmentsEvent{reply: reply}
	})
}

func (c *KafkaController) onListReassignments(ev listReassignmentsEvent) {
	if !c.active.Load() {
		close(ev.reply) // closed without an answer: not the controller
		return
	}
	out := make(map[zkutil.TopicPartition]OngoingReassignment, len(c.ctx.reassignments))
	for tp, r := range c.ctx.reassignments {
		out[tp] = OngoingReassignment{Replicas: c.ctx.replicas(tp), Adding: minus(r.target, r.origin), Removing: minus(r.origin, r.target)}
	}
	ev.reply <- out
}

func (c *KafkaController) onAlterReassignments(ev alterReassignmentsEvent) {
	if !c.active.Load() {
		close(ev.reply) // closed without an answer: not the controller
		return
	}
	results := make(map[zkutil.TopicPartition]ReassignmentResult, len(ev.requests))
	for tp, target := range ev.requests {
		results[tp] = c.startReassignment(tp, target)
	}
	ev.reply <- results
}

// startReassignment validates and begins one reassignment (or cancels it
// when target is nil).
func (c *KafkaController) startReassignment(tp zkutil.TopicPartition, target []int32) ReassignmentResult {
	current := c.ctx.replicas(tp)
	if current == nil || c.ctx.topicsToDelete[tp.Topic] {
		return ReassignmentResult{Err: kerr.UnknownTopicOrPartition, Message: "The partition does not exist."}
	}
	ongoing, inProgress := c.ctx.reassignments[tp]
	if target == nil {
		if !inProgress {
			return ReassignmentResult{Err: kerr.NoReassignmentInProgress, Message: fmt.Sprintf("No ongoing reassignment for partition %s.", tp)}
		}
		target = ongoing.origin
	}
	if err := c.validateTarget(target); err != nil {
		return *err
	}
	origin := current
	if inProgress {
		origin = ongoing.origin
	}
	c.ctx.reassignments[tp] = reassignment{origin: origin, target: target}
	c.log.Infof("Handling reassignment of partition %s to new replicas %v (original replicas %v)", tp, target, origin)
	c.progressReassignment(tp)
	return ReassignmentResult{}
}

func (c *KafkaController) validateTarget(target []int32) *ReassignmentResult {
	if len(target) == 0 {
		return &ReassignmentResult{Err: kerr.InvalidReplicaAssignment, Message: "Empty replica list specified in partition reassignment."}
	}
	seen := map[int32]bool{}
	for _, r := range target {
		if seen[r] {
			return &ReassignmentResult{Err: kerr.InvalidReplicaAssignment, Message: fmt.Sprintf("Duplicate replica ids in partition reassignment replica list: %v", target)}
		}
		seen[r] = true
		if _, ok := c.ctx.liveBrokers[r]; !ok {
			return &ReassignmentResult{Err: kerr.InvalidReplicaAssignment, Message: fmt.Sprintf("Replica assignment has brokers that are not alive. Replica list: %v, live broker list: %v", target, c.ctx.liveBrokerIDs())}
		}
	}
	return nil
}

// progressReassignment moves one reassignment as far as it can go now.
func (c *KafkaController) progressReassignment(tp zkutil.TopicPartition) {
	r, ok := c.ctx.reassignments[tp]
	if !ok {
		return
	}
	rs := union(r.target, r.origin)
	if !equalIDs(c.ctx.replicas(tp), rs) {
		// Phase 1: run with the union so new replicas start fetching.
		if err := c.setReplicas(tp, rs, minus(r.target, r.origin), minus(r.origin, r.target)); err != nil {
			c.log.Errorf("Error while updating the assignment of %s: %v", tp, err)
			return
		}
		c.sendLeaderAndIsr([]zkutil.TopicPartition{tp}, nil)
		c.sendUpdateMetadata(c.ctx.liveBrokerIDs(), []zkutil.TopicPartition{tp})
	}
	s := c.ctx.states[tp]
	for _, t := range r.target {
		if !contains(s.Isr, t) {
			return // wait for an ISR change
		}
	}
	c.completeReassignment(tp, r)
}

// completeReassignment is phase 2: lead from the target set, drop the
// removed replicas, and forget the reassignment.
func (c *KafkaController) completeReassignment(tp zkutil.TopicPartition, r reassignment) {
	s := c.ctx.states[tp]
	live := c.ctx.live()
	next := zkutil.LeaderIsr{Leader: s.Leader, LeaderEpoch: s.LeaderEpoch + 1, ControllerEpoch: c.Epoch(), ZkVersion: s.ZkVersion}
	for _, x := range s.Isr {
		if contains(r.target, x) {
			next.Isr = append(next.Isr, x)
		}
	}
	if !contains(r.target, s.Leader) || !live[s.Leader] {
		next.Leader = -1
		for _, t := range r.target {
			if live[t] && contains(s.Isr, t) {
				next.Leader = t
				break
			}
		}
		if next.Leader < 0 {
			c.log.Warnf("No live in-sync target replica can lead %s yet", tp)
			return
		}
	}
	changed := map[zkutil.TopicPartition]bool{}
	c.writeStates(map[zkutil.TopicPartition]zkutil.LeaderIsr{tp: next}, changed)
	if !changed[tp] {
		return
	}
	removed := minus(r.origin, r.target)
	if err := c.setReplicas(tp, r.target, nil, nil); err != nil {
		c.log.Errorf("Error while updating the assignment of %s: %v", tp, err)
		return
	}
	delete(c.ctx.reassignments, tp)
	c.sendLeaderAndIsr([]zkutil.TopicPartition{tp}, nil)
	for _, b := range removed {
		if _, ok := c.ctx.liveBrokers[b]; ok {
			c.sendStopReplica(b, []zkutil.TopicPartition{tp}, true)
		}
	}
	c.sendUpdateMetadata(c.ctx.liveBrokerIDs(), []zkutil.TopicPartition{tp})
	c.log.Infof("Completed reassignment of partition %s to %v", tp, r.target)
	c.removeFromReassignZNode(tp)
}

// setReplicas rewrites the topic znode with a partition's new replica set.
func (c *KafkaController) setReplicas(tp zkutil.TopicPartition, replicas, adding, removing []int32) error {
	a := c.ctx.assignments[tp.Topic]
	next := zkutil.TopicAssignment{Topic: a.Topic, TopicID: a.TopicID, Partitions: map[int32][]int32{},
		AddingReplicas: map[int32][]int32{}, RemovingReplicas: map[int32][]int32{}}
	for p, rs := range a.Partitions {
		next.Partitions[p] = rs
	}
	for p, rs := range a.AddingReplicas {
		next.AddingReplicas[p] = rs
	}
	for p, rs := range a.RemovingReplicas {
		next.RemovingReplicas[p] = rs
	}
	next.Partitions[tp.Partition] = replicas
	delete(next.AddingReplicas, tp.Partition)
	delete(next.RemovingReplicas, tp.Partition)
	if len(adding) > 0 {
		next.AddingReplicas[tp.Partition] = adding
	}
	if len(removing) > 0 {
		next.RemovingReplicas[tp.Partition] = removing
	}
	if err := c.zk.SetTopicAssignmentGuarded(next, -1, c.epochZkVersion); err != nil {
		c.maybeResign(err)
		return err
	}
	c.ctx.assignments[tp.Topic] = next
	return nil
}

// onReassignZNode serves the legacy /admin/reassign_partitions node
// written by kafka-reassign-partitions.sh --zookeeper.
func (c *KafkaController) onReassignZNode() {
	ok, _, ch, err := c.zk.ExistsW(zkutil.ReassignPartitionsPath)
	if err != nil {
		c.retryLater(reassignZNodeEvent{})
		return
	}
	c.watch(ch, reassignZNodeEvent{})
	if !ok {
		return
	}
	reqs, _, err := c.zk.GetPartitionReassignment()
	if err != nil {
		c.log.Errorf("Error while reading %s: %v", zkutil.ReassignPartitionsPath, err)
		return
	}
	for tp, target := range reqs {
		if cur, ok := c.ctx.reassignments[tp]; ok && equalIDs(cur.target, target) {
			continue
		}
		if res := c.startReassignment(tp, target); res.Err != nil {
			c.log.Warnf("Ignoring reassignment of %s: %s", tp, res.Message)
		}
	}
	if len(c.ctx.reassignments) == 0 {
		c.zk.DeletePartitionReassignment(c.epochZkVersion)
	}
}

// removeFromReassignZNode drops a finished partition from the legacy node,
// deleting it when nothing is left.
func (c *KafkaController) removeFromReassignZNode(tp zkutil.TopicPartition) {
	reqs, ok, err := c.zk.GetPartitionReassignment()
	if err != nil || !ok {
		return
	}
	delete(reqs, tp)
	if len(reqs) == 0 {
		c.zk.DeletePartitionReassignment(c.epochZkVersion)
		return
	}
	c.zk.DeletePartitionReassignment(c.epochZkVersion)
	c.zk.CreatePartitionReassignment(reqs)
}

// progressReassignments re-checks every ongoing reassignment (after ISR
// changes and broker changes).
func (c *KafkaController) progressReassignments() {
	for tp := range c.ctx.reassignments {
		c.progressReassignment(tp)
	}
}

func minus(a, b []int32) []int32 {
	var out []int32
	for _, x := range a {
		if !contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

func union(first, second []int32) []int32 {
	out := append([]int32(nil), first...)
	for _, x := range second {
		if !contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

func equalIDs(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
