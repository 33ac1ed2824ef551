package controller

import (
	"github.com/gokafka/kafka/zkutil"
)

// onTopicDeletion handles /admin/delete_topics: with delete.topic.enable
// off the markers are just removed; otherwise each topic whose replicas
// are all alive is deleted: brokers drop it from their metadata, stop and
// delete the replicas, and its znodes are removed. Topics with a dead
// replica wait until the broker returns (Kafka's "ineligible" deletion).
func (c *KafkaController) onTopicDeletion() {
	topics, ch, err := c.zk.GetDeleteTopicsW()
	if err != nil {
		c.log.Errorf("Error while reading topics to delete: %v", err)
		c.retryLater(topicDeletionEvent{})
		return
	}
	c.watch(ch, topicDeletionEvent{})
	for _, t := range topics {
		if !c.cfg.DeleteTopicEnable {
			c.log.Infof("Removing %s since delete topic is disabled", zkutil.DeleteTopicPath(t))
			c.deleteMarker(t)
			continue
		}
		if _, known := c.ctx.assignments[t]; !known {
			c.log.Infof("Ignoring request to delete non-existing topic %s", t)
			c.deleteMarker(t)
			continue
		}
		c.ctx.topicsToDelete[t] = true
	}
	for t := range c.ctx.topicsToDelete {
		c.deleteTopic(t)
	}
}

func (c *KafkaController) deleteMarker(topic string) {
	if err := c.zk.DeleteDeleteTopicNode(topic, c.epochZkVersion); err != nil {
		c.log.Warnf("Could not remove %s: %v", zkutil.DeleteTopicPath(topic), err)
	}
}

// deleteTopic completes one deletion if every replica is reachable.
func (c *KafkaController) deleteTopic(topic string) {
	tps := c.ctx.partitionsOf(topic)
	live := c.ctx.live()
	perBroker := make(map[int32][]zkutil.TopicPartition)
	for _, tp := range tps {
		for _, r := range c.ctx.replicas(tp) {
			if !live[r] {
				c.log.Infof("Deletion of topic %s is ineligible for now: replica on broker %d is offline", topic, r)
				return
			}
			perBroker[r] = append(perBroker[r], tp)
		}
	}
	c.log.Infof("Topic deletion callback for %s", topic)
	for _, id := range c.ctx.liveBrokerIDs() {
		c.send(id, c.updateMetadataRequest(id, tps, map[string]bool{topic: true}), nil)
	}
	for id, parts := range perBroker {
		c.sendStopReplica(id, parts, true)
	}
	if err := c.zk.DeleteTopicZNodes(topic, c.epochZkVersion); err != nil {
		c.log.Errorf("Error while deleting the znodes of topic %s: %v", topic, err)
		return
	}
	c.deleteMarker(topic)
	c.forgetTopic(topic)
	c.log.Infof("Deletion of topic %s successfully completed", topic)
}
