package replica

// RefreshTopicConfig re-reads a topic's configuration (broker defaults plus
// its /config/topics overrides) and applies it to every local log and
// hosted partition of the topic: log settings (retention, segment size,
// cleanup policy, ...), min.insync.replicas and the produce-time record
// policy. The dynamic config watcher calls it after an alter, so changes
// take effect without waiting for the next LeaderAndIsr.
func (rm *ReplicaManager) RefreshTopicConfig(topic string) error {
	cfg, minIsr, err := rm.topicConfig(topic)
	if err != nil {
		return err
	}
	rm.logs.UpdateTopicConfig(topic, cfg)
	for _, p := range rm.Partitions() {
		if p.Topic != topic {
			continue
		}
		p.SetMinInsyncReplicas(minIsr)
		if rm.recordPolicy != nil {
			p.SetRecordPolicy(rm.recordPolicy(topic))
		}
	}
	return nil
}
