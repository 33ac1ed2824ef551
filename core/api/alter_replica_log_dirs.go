package api

import (
	"errors"
	"sort"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	klog "github.com/gokafka/kafka/core/log"
)

// handleAlterReplicaLogDirs moves replicas hosted here to other log dirs
// of this broker (kafka-reassign-partitions.sh with "log_dirs"). Per
// partition, as Kafka 2.8: a dir not in log.dirs gives LOG_DIR_NOT_FOUND;
// a partition without a replica here has its dir remembered for when the
// replica is created and gets REPLICA_NOT_AVAILABLE, or
// UNKNOWN_TOPIC_OR_PARTITION when the cluster does not know it.
func (a *KafkaApis) handleAlterReplicaLogDirs(req *kmsg.AlterReplicaLogDirsRequest) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.AlterReplicaLogDirsResponse)
	codes := map[string]map[int32]int16{}
	for _, d := range req.Dirs {
		for _, t := range d.Topics {
			if codes[t.Topic] == nil {
				codes[t.Topic] = map[int32]int16{}
			}
			for _, p := range t.Partitions {
				codes[t.Topic][p] = a.alterReplicaLogDir(t.Topic, p, d.Dir)
			}
		}
	}
	topics := make([]string, 0, len(codes))
	for t := range codes {
		topics = append(topics, t)
	}
	sort.Strings(topics)
	for _, t := range topics {
		rt := kmsg.NewAlterReplicaLogDirsResponseTopic()
		rt.Topic = t
		parts := make([]int32, 0, len(codes[t]))
		for p := range codes[t] {
			parts = append(parts, p)
		}
		sort.Slice(parts, func(i, j int) bool { return parts[i] < parts[j] })
		for _, p := range parts {
			rp := kmsg.NewAlterReplicaLogDirsResponseTopicPartition()
			rp.Partition = p
			rp.ErrorCode = codes[t][p]
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp
}

func (a *KafkaApis) alterReplicaLogDir(topic string, partition int32, dir string) int16 {
	err := a.replicas.AlterReplicaLogDir(topic, partition, dir)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, klog.ErrLogDirNotFound):
		a.log.Warnf("Unable to alter log dirs for %s-%d: %v", topic, partition, err)
		return kerr.LogDirNotFound.Code
	case errors.Is(err, klog.ErrNoLocalLog):
		if _, ok := a.cache.Partition(topic, partition); !ok {
			return kerr.UnknownTopicOrPartition.Code
		}
		a.log.Warnf("Unable to alter log dirs for %s-%d: the replica is not on this broker yet", topic, partition)
		return kerr.ReplicaNotAvailable.Code
	case errors.Is(err, klog.ErrLogClosed):
		return kerr.KafkaStorageError.Code
	}
	a.log.Errorf("Error while changing replica dir for partition %s-%d: %v", topic, partition, err)
	return kerr.UnknownServerError.Code
}
