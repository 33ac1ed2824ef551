package controller

import (
	"time"

	"github.com/gokafka/kafka/zkutil"
)

// onControllerFailover loads the cluster from ZooKeeper, starts watching
// it, and brings every broker up to date.
func (c *KafkaController) onControllerFailover() {
	c.active.Store(true)
	c.ctx = newControllerContext()
	if err := c.loadBrokers(); err != nil {
		c.failFailover(err)
		return
	}
	if err := c.loadTopics(); err != nil {
		c.failFailover(err)
		return
	}
	for id, b := range c.ctx.liveBrokers {
		c.addChannel(id, b)
	}
	c.log.Infof("Initialized broker epochs cache and controller context: live brokers %v, %d topics",
		c.ctx.liveBrokerIDs(), len(c.ctx.assignments))
	c.sendUpdateMetadata(c.ctx.liveBrokerIDs(), c.ctx.allPartitions())
	all := c.ctx.allPartitions()
	changed := c.onlinePartitions(all)
	// Every replica learns its role again, as after a controller move.
	c.sendLeaderAndIsr(all, changed)
	c.sendUpdateMetadata(c.ctx.liveBrokerIDs(), all)
	c.onTopicDeletion()
	c.onIsrChange()
	c.onPreferredElectionZNode()
	c.onReassignZNode()
	c.progressReassignments()
	c.startAutoRebalance()
}

func (c *KafkaController) failFailover(err error) {
	c.log.Errorf("Error while loading the controller context: %v; resigning", err)
	c.resign()
	if err := c.zk.DeleteController(c.epochZkVersion); err != nil {
		c.log.Warnf("Could not delete the controller znode: %v", err)
	}
	c.retryLater(electEvent{})
}

// loadBrokers reads the registered brokers and re-arms the child watch.
func (c *KafkaController) loadBrokers() error {
	_, ch, err := c.zk.GetBrokerIDsW()
	if err != nil {
		return err
	}
	c.watch(ch, brokerChangeEvent{})
	infos, err := c.zk.GetAllBrokers()
	if err != nil {
		return err
	}
	c.ctx.liveBrokers = make(map[int32]zkutil.BrokerInfo, len(infos))
	for _, b := range infos {
		c.ctx.liveBrokers[b.ID] = b
	}
	return nil
}

// loadTopics reads every topic's assignment and partition states.
func (c *KafkaController) loadTopics() error {
	topics, ch, err := c.zk.GetAllTopicsW()
	if err != nil {
		return err
	}
	c.watch(ch, topicChangeEvent{})
	for _, t := range topics {
		if err := c.loadTopic(t); err != nil {
			return err
		}
	}
	return nil
}

// loadTopic reads one topic's assignment (watching it for added
// partitions) and the state of each of its partitions.
func (c *KafkaController) loadTopic(topic string) error {
	a, ok, ch, err := c.zk.GetTopicAssignmentW(topic)
	if err != nil {
		return err
	}
	if !ok {
		return nil
	}
	c.watch(ch, partitionModifiedEvent{topic: topic})
	c.ctx.assignments[topic] = a
	// A reassignment started through the API survives controller moves in
	// the topic znode's adding/removing replicas.
	for p, adding := range a.AddingReplicas {
		tp := zkutil.TopicPartition{Topic: topic, Partition: p}
		rs := a.Partitions[p]
		c.ctx.reassignments[tp] = reassignment{origin: minus(rs, adding), target: minus(rs, a.RemovingReplicas[p])}
	}
	for p, removing := range a.RemovingReplicas {
		tp := zkutil.TopicPartition{Topic: topic, Partition: p}
		if _, ok := c.ctx.reassignments[tp]; !ok {
			rs := a.Partitions[p]
			c.ctx.reassignments[tp] = reassignment{origin: rs, target: minus(rs, removing)}
		}
	}
	for p := range a.Partitions {
		tp := zkutil.TopicPartition{Topic: topic, Partition: p}
		s, ok, err := c.zk.GetPartitionState(tp)
		if err != nil {
			return err
		}
		if ok {
			c.ctx.states[tp] = s
		}
	}
	return nil
}

func (c *KafkaController) addChannel(id int32, b zkutil.BrokerInfo) {
	if old := c.channels[id]; old != nil {
		old.stop()
	}
	ep := b.Endpoints[0]
	for _, e := range b.Endpoints {
		if e.ListenerName == c.cfg.InterBrokerListener {
			ep = e
		}
	}
	host := ep.Host
	if host == "" {
		host = "localhost"
	}
	timeout := time.Duration(c.cfg.ControllerSocketTimeoutMs) * time.Millisecond
	c.channels[id] = newBrokerChannel(id, host, ep.Port, timeout, c.log)
}

// onBrokerChange handles brokers joining and leaving /brokers/ids. A
// broker that re-registered with a new session counts as leaving and
// joining, like Kafka's "bounced" brokers.
func (c *KafkaController) onBrokerChange() {
	old := c.ctx.liveBrokers
	if err := c.loadBrokers(); err != nil {
		c.log.Errorf("Error while reading brokers: %v", err)
		c.retryLater(brokerChangeEvent{})
		return
	}
	var newBrokers, deadBrokers []int32
	for id, b := range c.ctx.liveBrokers {
		if ob, ok := old[id]; !ok || ob.Epoch != b.Epoch {
			newBrokers = append(newBrokers, id)
			if ok {
				deadBrokers = append(deadBrokers, id)
			}
		}
	}
	for id := range old {
		if _, ok := c.ctx.liveBrokers[id]; !ok {
			deadBrokers = append(deadBrokers, id)
		}
	}
	if len(newBrokers) == 0 && len(deadBrokers) == 0 {
		return
	}
	c.log.Infof("Newly added brokers: %v, deleted brokers: %v, all live brokers: %v", newBrokers, deadBrokers, c.ctx.liveBrokerIDs())
	for _, id := range deadBrokers {
		delete(c.ctx.shuttingDown, id)
		if ch := c.channels[id]; ch != nil {
			ch.stop()
			delete(c.channels, id)
		}
	}
	for _, id := range newBrokers {
		c.addChannel(id, c.ctx.liveBrokers[id])
	}
	all := c.ctx.allPartitions()
	changed := c.onlinePartitions(all)
	var touched []zkutil.TopicPartition
	isNew := map[int32]bool{}
	for _, id := range newBrokers {
		isNew[id] = true
	}
	for _, tp := range all {
		if changed[tp] {
			touched = append(touched, tp)
			continue
		}
		for _, r := range c.ctx.replicas(tp) {
			if isNew[r] {
				touched = append(touched, tp)
				break
			}
		}
	}
	c.sendUpdateMetadata(c.ctx.liveBrokerIDs(), all)
	c.sendLeaderAndIsr(touched, changed)
	c.sendUpdateMetadata(c.ctx.liveBrokerIDs(), touched)
	if len(c.ctx.topicsToDelete) > 0 {
		c.onTopicDeletion()
	}
	c.progressReassignments()
}

// onTopicChange picks up created and removed topics.
func (c *KafkaController) onTopicChange() {
	topics, ch, err := c.zk.GetAllTopicsW()
	if err != nil {
		c.log.Errorf("Error while reading topics: %v", err)
		c.retryLater(topicChangeEvent{})
		return
	}
	c.watch(ch, topicChangeEvent{})
	current := make(map[string]bool, len(topics))
	var created []zkutil.TopicPartition
	for _, t := range topics {
		current[t] = true
		if _, known := c.ctx.assignments[t]; known {
			continue
		}
		if err := c.loadTopic(t); err != nil {
			c.log.Errorf("Error while reading topic %s: %v", t, err)
			continue
		}
		c.log.Infof("New topics: [%s], new partition replica assignment %v", t, c.ctx.assignments[t].Partitions)
		created = append(created, c.ctx.partitionsOf(t)...)
	}
	for t := range c.ctx.assignments {
		if !current[t] {
			c.forgetTopic(t)
		}
	}
	c.onNewPartitions(created)
}

// onPartitionModification picks up partitions added to a topic.
func (c *KafkaController) onPartitionModification(topic string) {
	a, ok, ch, err := c.zk.GetTopicAssignmentW(topic)
	if err != nil || !ok {
		return
	}
	c.watch(ch, partitionModifiedEvent{topic: topic})
	old := c.ctx.assignments[topic]
	var added []zkutil.TopicPartition
	for p := range a.Partitions {
		if _, ok := old.Partitions[p]; !ok {
			added = append(added, zkutil.TopicPartition{Topic: topic, Partition: p})
		}
	}
	c.ctx.assignments[topic] = a
	if len(added) > 0 {
		sortPartitions(added)
		c.log.Infof("New partitions to be added %v", added)
		c.onNewPartitions(added)
	}
}

// onNewPartitions initialises new partitions and tells every broker.
func (c *KafkaController) onNewPartitions(tps []zkutil.TopicPartition) {
	if len(tps) == 0 {
		return
	}
	changed := c.onlinePartitions(tps)
	c.sendLeaderAndIsr(tps, changed)
	c.sendUpdateMetadata(c.ctx.liveBrokerIDs(), tps)
}

func (c *KafkaController) forgetTopic(topic string) {
	for _, tp := range c.ctx.partitionsOf(topic) {
		delete(c.ctx.states, tp)
		delete(c.ctx.reassignments, tp)
	}
	delete(c.ctx.assignments, topic)
	delete(c.ctx.topicsToDelete, topic)
}

// onIsrChange handles /isr_change_notification: leaders changed ISRs in
// ZooKeeper themselves; reload those states and tell every broker.
func (c *KafkaController) onIsrChange() {
	names, ch, err := c.zk.GetIsrChangeNotificationsW()
	if err != nil {
		c.log.Errorf("Error while reading ISR change notifications: %v", err)
		c.retryLater(isrChangeEvent{})
		return
	}
	c.watch(ch, isrChangeEvent{})
	if len(names) == 0 {
		return
	}
	tps, err := c.zk.GetPartitionsFromIsrChangeNotifications(names)
	if err != nil {
		c.log.Errorf("Error while reading ISR change notifications: %v", err)
		return
	}
	var known []zkutil.TopicPartition
	for _, tp := range tps {
		if _, ok := c.ctx.assignments[tp.Topic]; !ok {
			continue
		}
		if s, ok, err := c.zk.GetPartitionState(tp); err == nil && ok {
			c.ctx.states[tp] = s
			known = append(known, tp)
		}
	}
	if err := c.zk.DeleteIsrChangeNotifications(names, c.epochZkVersion); err != nil {
		c.log.Warnf("Error while deleting ISR change notifications: %v", err)
	}
	if len(known) > 0 {
		sortPartitions(known)
		c.sendUpdateMetadata(c.ctx.liveBrokerIDs(), known)
	}
	c.progressReassignments()
}
