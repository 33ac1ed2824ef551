package tools

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gokafka/kafka/core/internal/reqtopics"
)

// The "log_dirs" half of kafka-reassign-partitions.sh: moving replicas
// between the log directories of their broker with AlterReplicaLogDirs,
// and --verify's report of those moves through DescribeLogDirs (Kafka 2.8
// ReassignPartitionsCommand.executeMoves / findLogDirMoveStates).

// brokerLevelLogDirThrottle is the broker config the
// --replica-alter-log-dirs-throttle option sets.
const brokerLevelLogDirThrottle = "replica.alter.log.dirs.io.max.bytes.per.second"

// replicaName is TopicPartitionReplica.toString: topic-partition-broker.
func (r replicaLogDir) replicaName() string { return fmt.Sprintf("%s-%d", r.tp, r.broker) }

// sortReplicas is compareTopicPartitionReplicas: broker, topic, partition.
func sortReplicas(rs []replicaLogDir) {
	sort.Slice(rs, func(i, j int) bool {
		a, b := rs[i], rs[j]
		if a.broker != b.broker {
			return a.broker < b.broker
		}
		if a.tp.topic != b.tp.topic {
			return a.tp.topic < b.tp.topic
		}
		return a.tp.partition < b.tp.partition
	})
}

func replicaNames(rs []replicaLogDir) string {
	rs = append([]replicaLogDir(nil), rs...)
	sortReplicas(rs)
	names := make([]string, len(rs))
	for i, r := range rs {
		names[i] = r.replicaName()
	}
	return strings.Join(names, ",")
}

// setLogDirThrottle is modifyLogDirThrottle: the rate on every broker
// whose replicas move between log dirs.
func (s *reassignService) setLogDirThrottle(dirs []replicaLogDir, rate int64) error {
	brokers := map[int32]bool{}
	for _, d := range dirs {
		brokers[d.broker] = true
	}
	req := kmsg.NewPtrIncrementalAlterConfigsRequest()
	for id := range brokers {
		r := kmsg.NewIncrementalAlterConfigsRequestResource()
		r.ResourceType = kmsg.ConfigResourceTypeBroker
		r.ResourceName = strconv.Itoa(int(id))
		r.Configs = append(r.Configs, configOp(brokerLevelLogDirThrottle, 0, strconv.FormatInt(rate, 10)))
		req.Resources = append(req.Resources, r)
	}
	if err := s.alterConfigs(req); err != nil {
		return err
	}
	fmt.Fprintf(s.e.stdout, "The replica-alter-dir throttle limit was set to %d B/s\n", rate)
	return nil
}

// executeMoves asks each broker to move its replicas, retrying those that
// are not on their broker yet (REPLICA_NOT_AVAILABLE: a reassignment is
// still bringing them there) until the timeout.
func (s *reassignService) executeMoves(dirs []replicaLogDir, timeout time.Duration) error {
	start := time.Now()
	pending := append([]replicaLogDir(nil), dirs...)
	for {
		started, rest, err := s.alterReplicaLogDirs(pending)
		if err != nil {
			return err
		}
		if len(started) > 0 {
			fmt.Fprintf(s.e.stdout, "Successfully started log directory move%s for: %s\n", plural(len(started)), replicaNames(started))
		}
		pending = rest
		if len(pending) == 0 {
			return nil
		}
		if time.Since(start) >= timeout {
			return &reassignFailure{fmt.Sprintf("Timed out before log directory move%s could be started for: %s", plural(len(pending)), replicaNames(pending))}
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// alterReplicaLogDirs sends one AlterReplicaLogDirs per broker and splits
// the replicas into started and not available yet; any other error fails
// the command, as the Java tool's AdminCommandFailedException.
func (s *reassignService) alterReplicaLogDirs(replicas []replicaLogDir) (started, notYet []replicaLogDir, err error) {
	byBroker := map[int32][]replicaLogDir{}
	var brokers []int32
	for _, r := range replicas {
		if _, ok := byBroker[r.broker]; !ok {
			brokers = append(brokers, r.broker)
		}
		byBroker[r.broker] = append(byBroker[r.broker], r)
	}
	sort.Slice(brokers, func(i, j int) bool { return brokers[i] < brokers[j] })
	for _, id := range brokers {
		rs := byBroker[id]
		codes, err := s.sendAlterReplicaLogDirs(id, rs)
		if err != nil {
			return nil, nil, err
		}
		for _, r := range rs {
			code, ok := codes[r.tp]
			switch {
			case !ok:
				return nil, nil, &javaError{"kafka.common.AdminCommandFailedException", "Failed to alter dir for " + r.replicaName()}
			case code == 0:
				started = append(started, r)
			case code == kerr.ReplicaNotAvailable.Code:
				notYet = append(notYet, r)
			default:
				return nil, nil, &javaError{"kafka.common.AdminCommandFailedException", "Failed to alter dir for " + r.replicaName()}
			}
		}
	}
	return started, notYet, nil
}

func (s *reassignService) sendAlterReplicaLogDirs(broker int32, rs []replicaLogDir) (map[topicPartition]int16, error) {
	req := kmsg.NewPtrAlterReplicaLogDirsRequest()
	dirIdx := map[string]int{}
	for _, r := range rs {
		di, ok := dirIdx[r.dir]
		if !ok {
			d := kmsg.NewAlterReplicaLogDirsRequestDir()
			d.Dir = r.dir
			req.Dirs = append(req.Dirs, d)
			di = len(req.Dirs) - 1
			dirIdx[r.dir] = di
		}
		d := &req.Dirs[di]
		ti := -1
		for i := range d.Topics {
			if d.Topics[i].Topic == r.tp.topic {
				ti = i
			}
		}
		if ti < 0 {
			t := kmsg.NewAlterReplicaLogDirsRequestDirTopic()
			t.Topic = r.tp.topic
			d.Topics = append(d.Topics, t)
			ti = len(d.Topics) - 1
		}
		d.Topics[ti].Partitions = append(d.Topics[ti].Partitions, r.tp.partition)
	}
	ctx, cancel := withTimeout(s.timeout)
	defer cancel()
	raw, err := s.cl.Broker(int(broker)).Request(ctx, req)
	if err != nil {
		if strings.Contains(err.Error(), "too old") || strings.Contains(err.Error(), "not support") {
			return nil, unsupportedAPI("ALTER_REPLICA_LOG_DIRS")
		}
		return nil, &javaError{"org.apache.kafka.common.errors.TimeoutException", "Timed out waiting for a node assignment. Call: alterReplicaLogDirs"}
	}
	codes := map[topicPartition]int16{}
	for _, t := range raw.(*kmsg.AlterReplicaLogDirsResponse).Topics {
		for _, p := range t.Partitions {
			codes[topicPartition{t.Topic, p.Partition}] = p.ErrorCode
		}
	}
	return codes, nil
}

// logDirMoveState is LogDirMoveState: where the replica is now and where
// a move in progress takes it.
type logDirMoveState struct {
	target, current, future string
}

func (st logDirMoveState) done() bool {
	return st.current != "" && st.future == "" // completed or cancelled
}

// replicaLogDirStates is describeReplicaLogDirs + findLogDirMoveStates:
// each broker is asked (DescribeLogDirs) about its replicas in the file.
func (s *reassignService) replicaLogDirStates(dirs []replicaLogDir) (map[replicaLogDir]logDirMoveState, error) {
	byBroker := map[int32][]replicaLogDir{}
	for _, r := range dirs {
		byBroker[r.broker] = append(byBroker[r.broker], r)
	}
	out := map[replicaLogDir]logDirMoveState{}
	for id, rs := range byBroker {
		req := kmsg.NewPtrDescribeLogDirsRequest()
		byTopic := map[string]int{}
		for _, r := range rs {
			i := reqtopics.Slot(byTopic, r.tp.topic, func() int {
				t := kmsg.NewDescribeLogDirsRequestTopic()
				t.Topic = r.tp.topic
				req.Topics = append(req.Topics, t)
				return len(req.Topics) - 1
			})
			req.Topics[i].Partitions = append(req.Topics[i].Partitions, r.tp.partition)
		}
		ctx, cancel := withTimeout(s.timeout)
		raw, err := s.cl.Broker(int(id)).Request(ctx, req)
		cancel()
		if err != nil {
			return nil, &javaError{"org.apache.kafka.common.errors.TimeoutException", "Timed out waiting for a node assignment. Call: describeReplicaLogDirs"}
		}
		current, future := map[topicPartition]string{}, map[topicPartition]string{}
		for _, d := range raw.(*kmsg.DescribeLogDirsResponse).Dirs {
			if d.ErrorCode != 0 {
				continue
			}
			for _, t := range d.Topics {
				for _, p := range t.Partitions {
					tp := topicPartition{t.Topic, p.Partition}
					if p.IsFuture {
						future[tp] = d.Dir
					} else {
						current[tp] = d.Dir
					}
				}
			}
		}
		for _, r := range rs {
			out[r] = logDirMoveState{target: r.dir, current: current[r.tp], future: future[r.tp]}
		}
	}
	return out, nil
}

// replicaMoveStatesString is replicaMoveStatesToString.
func replicaMoveStatesString(states map[replicaLogDir]logDirMoveState) string {
	rs := make([]replicaLogDir, 0, len(states))
	for r := range states {
		rs = append(rs, r)
	}
	sortReplicas(rs)
	var lines []string
	for _, r := range rs {
		st := states[r]
		switch {
		case st.current == "":
			lines = append(lines, fmt.Sprintf("Partition %s is not found in any live log dir on broker %d. There is likely an offline log directory on the broker.", r.tp, r.broker))
		case st.future != "" && st.future == st.target:
			lines = append(lines, fmt.Sprintf("Reassignment of replica %s is still in progress.", r.replicaName()))
		case st.future != "":
			lines = append(lines, fmt.Sprintf("Partition %s on broker %d is being moved to log dir %s instead of %s.", r.tp, r.broker, st.future, st.target))
		case st.current == st.target:
			lines = append(lines, fmt.Sprintf("Reassignment of replica %s completed successfully.", r.replicaName()))
		default:
			lines = append(lines, fmt.Sprintf("Partition %s on broker %d is not being moved from log dir %s to %s.", r.tp, r.broker, st.current, st.target))
		}
	}
	return strings.Join(lines, "\n")
}

// verifyReplicaMoves prints the move states and reports whether any move
// is still going on.
func (s *reassignService) verifyReplicaMoves(dirs []replicaLogDir) (bool, error) {
	states, err := s.replicaLogDirStates(dirs)
	if err != nil {
		return false, err
	}
	fmt.Fprintln(s.e.stdout, replicaMoveStatesString(states))
	ongoing := false
	for _, st := range states {
		if !st.done() {
			ongoing = true
		}
	}
	return ongoing, nil
}
