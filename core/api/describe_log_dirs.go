package api

import (
	"sort"

	"github.com/twmb/franz-go/pkg/kmsg"

	klog "github.com/gokafka/kafka/core/log"
)

// invalidOffsetLag is what DescribeLogDirs reports for a log whose
// partition is not (or no longer) hosted: the lag is unknown.
const invalidOffsetLag = -1

// handleDescribeLogDirs lists this broker's log dirs with the partitions
// each holds (kafka-log-dirs.sh --describe). A null topic list asks for
// every partition; otherwise only the named partitions are reported.
func (a *KafkaApis) handleDescribeLogDirs(req *kmsg.DescribeLogDirsRequest) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.DescribeLogDirsResponse)
	var wanted map[klog.TopicPartition]bool
	if req.Topics != nil {
		wanted = map[klog.TopicPartition]bool{}
		for _, t := range req.Topics {
			for _, p := range t.Partitions {
				wanted[klog.TopicPartition{Topic: t.Topic, Partition: p}] = true
			}
		}
	}
	for _, d := range a.replicas.LogDirs() {
		rd := kmsg.NewDescribeLogDirsResponseDir()
		rd.Dir = d.Path
		rd.Topics = []kmsg.DescribeLogDirsResponseDirTopic{}
		for _, l := range d.Logs {
			tp := l.TopicPartition()
			if wanted != nil && !wanted[tp] {
				continue
			}
			n := len(rd.Topics)
			if n == 0 || rd.Topics[n-1].Topic != tp.Topic {
				rt := kmsg.NewDescribeLogDirsResponseDirTopic()
				rt.Topic = tp.Topic
				rd.Topics = append(rd.Topics, rt)
				n++
			}
			rp := kmsg.NewDescribeLogDirsResponseDirTopicPartition()
			rp.Partition = tp.Partition
			rp.Size = l.Size()
			rp.OffsetLag = a.offsetLag(l)
			rd.Topics[n-1].Partitions = append(rd.Topics[n-1].Partitions, rp)
		}
		a.addFutureReplicas(&rd, wanted)
		resp.Dirs = append(resp.Dirs, rd)
	}
	return resp
}

// addFutureReplicas lists the replicas being moved into the dir as future
// replicas (is_future_key), with the copy's size and its offset lag behind
// the current replica's log end, as Kafka 2.8 reports them.
func (a *KafkaApis) addFutureReplicas(rd *kmsg.DescribeLogDirsResponseDir, wanted map[klog.TopicPartition]bool) {
	for _, f := range a.replicas.FutureLogs() {
		if f.Dir != rd.Dir || (wanted != nil && !wanted[f.TopicPartition]) {
			continue
		}
		rp := kmsg.NewDescribeLogDirsResponseDirTopicPartition()
		rp.Partition = f.Partition
		rp.Size = f.Size
		rp.IsFuture = true
		rp.OffsetLag = invalidOffsetLag
		if l := a.replicas.LocalLog(f.Topic, f.Partition); l != nil {
			rp.OffsetLag = max(l.LogEndOffset()-f.LogEndOffset, 0)
		}
		i := sort.Search(len(rd.Topics), func(i int) bool { return rd.Topics[i].Topic >= f.Topic })
		if i == len(rd.Topics) || rd.Topics[i].Topic != f.Topic {
			rt := kmsg.NewDescribeLogDirsResponseDirTopic()
			rt.Topic = f.Topic
			rd.Topics = append(rd.Topics, kmsg.DescribeLogDirsResponseDirTopic{})
			copy(rd.Topics[i+1:], rd.Topics[i:])
			rd.Topics[i] = rt
		}
		rd.Topics[i].Partitions = append(rd.Topics[i].Partitions, rp)
	}
}

// offsetLag is how far a current replica's log end lies behind the
// partition's high watermark, as Kafka 2.8 reports it; for a leader or an
// in-sync follower that is 0.
func (a *KafkaApis) offsetLag(l *klog.Log) int64 {
	if a.replicas.Partition(l.Topic(), l.Partition()) == nil {
		return invalidOffsetLag
	}
	return max(l.HighWatermark()-l.LogEndOffset(), 0)
}
