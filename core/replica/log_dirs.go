package replica

import (
	"path/filepath"
	"sort"

	klog "github.com/gokafka/kafka/core/log"
)

// LogDir is one of the broker's log directories with the partition logs
// it holds (DescribeLogDirs).
type LogDir struct {
	Path string
	Logs []*klog.Log
}

// LogDirs lists every configured log dir, empty ones included, with the
// logs each holds, sorted by dir and then by topic partition.
func (rm *ReplicaManager) LogDirs() []LogDir {
	byDir := map[string][]*klog.Log{}
	var dirs []string
	for _, d := range rm.logs.Dirs() {
		if _, ok := byDir[d]; !ok {
			byDir[d] = nil
			dirs = append(dirs, d)
		}
	}
	for _, l := range rm.logs.AllLogs() {
		d := filepath.Dir(l.Dir())
		if _, ok := byDir[d]; !ok {
			dirs = append(dirs, d)
		}
		byDir[d] = append(byDir[d], l)
	}
	out := make([]LogDir, 0, len(dirs))
	for _, d := range dirs {
		logs := byDir[d]
		sort.Slice(logs, func(i, j int) bool {
			a, b := logs[i].TopicPartition(), logs[j].TopicPartition()
			if a.Topic != b.Topic {
				return a.Topic < b.Topic
			}
			return a.Partition < b.Partition
		})
		out = append(out, LogDir{Path: d, Logs: logs})
	}
	return out
}
