package replica

import (
	klog "github.com/gokafka/kafka/core/log"
)

// AlterReplicaLogDir moves this broker's replica of a partition to dir,
// one of its log.dirs (AlterReplicaLogDirs, Kafka's
// ReplicaManager.alterReplicaLogDirs). The copy runs in the background and
// the replica keeps serving; asking for the dir it is in cancels a move in
// progress. Errors: klog.ErrLogDirNotFound when dir is not a log dir;
// klog.ErrNoLocalLog when the broker has no replica yet, in which case
// the log is created in dir once the replica arrives.
func (rm *ReplicaManager) AlterReplicaLogDir(topic string, partition int32, dir string) error {
	err := rm.logs.AlterLogDir(topic, partition, dir)
	if err == nil {
		rm.log.Infof("Started moving the replica of %s-%d to log dir %s (or it is there already)", topic, partition, dir)
	}
	return err
}

// FutureLogs lists the replicas being moved between log dirs, with the
// destination dir and how far the copy has got (DescribeLogDirs reports
// them as future replicas).
func (rm *ReplicaManager) FutureLogs() []klog.FutureLog { return rm.logs.FutureLogs() }

// LocalLog returns this broker's log of the partition, or nil.
func (rm *ReplicaManager) LocalLog(topic string, partition int32) *klog.Log {
	return rm.logs.GetLog(topic, partition)
}
