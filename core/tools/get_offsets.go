package tools

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// kafka-get-offsets.sh / kafka-run-class.sh kafka.tools.GetOffsetShell
// (Kafka 2.8): print "topic:partition:offset" for the latest (-1), earliest
// (-2) or first offset at or after a timestamp of each partition of a
// topic. --bootstrap-server is accepted as well as 2.8's --broker-list (it
// is the name later Kafka releases use).

const getOffsetsHelp = "An interactive shell for getting topic offsets."

// ListOffsets' special timestamps.
const (
	latestOffsetTime   = -1
	earliestOffsetTime = -2
)

func getOffsetsParser() *optionParser {
	p := newOptionParser()
	p.withArg("broker-list", "REQUIRED: The list of hostname and port of the server to connect to.").describedAs("hostname:port,...,hostname:port")
	p.withArg("bootstrap-server", "The server(s) to connect to, in the form HOST1:PORT1,HOST2:PORT2; replaces --broker-list.").describedAs("HOST1:PORT1,...,HOST3:PORT3")
	p.withArg("topic", "REQUIRED: The topic to get offset from.").describedAs("topic")
	p.withArg("partitions", "comma separated list of partition ids. If not specified, it will find offsets for all partitions").describedAs("partition ids").withDefault("")
	p.withArg("time", "timestamp of the offsets before that. [Note: No offset is returned, if the timestamp greater than recently commited record timestamp is given.]").describedAs("timestamp/-1(latest)/-2(earliest)").ofType("Long").withDefault("-1")
	p.withArg("offsets", "DEPRECATED AND IGNORED: number of offsets returned").describedAs("count").ofType("Integer").withDefault("1")
	p.withArg("max-wait-ms", "DEPRECATED AND IGNORED: The max amount of time each fetch request waits.").describedAs("ms").ofType("Integer").withDefault("1000")
	return p
}

// partitionLeader is one partition of the topic with its leader (-1: none).
type partitionLeader struct {
	partition int32
	leader    int32
}

// topicPartitionLeaders is consumer.listTopics for one topic; ok is false
// when the topic does not exist.
func topicPartitionLeaders(ctx context.Context, cl *kgo.Client, topic string) ([]partitionLeader, bool, error) {
	req := kmsg.NewPtrMetadataRequest()
	t := kmsg.NewMetadataRequestTopic()
	t.Topic = kmsg.StringPtr(topic)
	req.Topics = append(req.Topics, t)
	req.AllowAutoTopicCreation = false
	raw, err := adminRequest(ctx, cl, "listTopics", req)
	if err != nil {
		return nil, false, err
	}
	var out []partitionLeader
	for _, rt := range raw.(*kmsg.MetadataResponse).Topics {
		if rt.Topic == nil || *rt.Topic != topic || rt.ErrorCode == kerr.UnknownTopicOrPartition.Code {
			continue
		}
		for _, p := range rt.Partitions {
			out = append(out, partitionLeader{p.Partition, p.Leader})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].partition < out[j].partition })
	return out, len(out) > 0, nil
}

// listOffsets asks the leaders for the offset at timestamp of each
// partition; a partition without an answer (no record at or after the
// timestamp) is absent from the result.
func listOffsets(ctx context.Context, cl *kgo.Client, topic string, partitions []int32, timestamp int64) (map[int32]int64, error) {
	req := kmsg.NewPtrListOffsetsRequest()
	req.ReplicaID = -1
	rt := kmsg.NewListOffsetsRequestTopic()
	rt.Topic = topic
	for _, p := range partitions {
		rp := kmsg.NewListOffsetsRequestTopicPartition()
		rp.Partition, rp.Timestamp, rp.MaxNumOffsets = p, timestamp, 1
		rt.Partitions = append(rt.Partitions, rp)
	}
	req.Topics = append(req.Topics, rt)
	out := map[int32]int64{}
	for _, shard := range cl.RequestSharded(ctx, req) {
		if shard.Err != nil {
			return nil, shardError(shard.Err)
		}
		for _, t := range shard.Resp.(*kmsg.ListOffsetsResponse).Topics {
			for _, p := range t.Partitions {
				if err := brokerError(p.ErrorCode, nil); err != nil {
					return nil, err
				}
				off := p.Offset
				if shard.Resp.GetVersion() == 0 {
					off = -1
					if len(p.OldStyleOffsets) > 0 {
						off = p.OldStyleOffsets[0]
					}
				}
				if off >= 0 {
					out[p.Partition] = off
				}
			}
		}
	}
	return out, nil
}

// parsePartitionIDs reads --partitions; ok is false on a non-number.
func parsePartitionIDs(s string) (map[int32]bool, bool) {
	ids := map[int32]bool{}
	if s == "" {
		return ids, true
	}
	for _, x := range strings.Split(s, ",") {
		n, err := strconv.ParseInt(x, 10, 32)
		if err != nil {
			return nil, false
		}
		ids[int32(n)] = true
	}
	return ids, true
}

func runGetOffsets(e *env, args []string) int {
	return runGuarded(func() int {
		p := getOffsetsParser()
		o, err := p.parse(args)
		if err != nil {
			e.javaException(joptClass(err), err.Error())
		}
		e.printHelpAndExitIfNeeded(p, o, getOffsetsHelp)
		servers := o.valueOf("bootstrap-server")
		if servers == "" {
			e.checkRequiredArgs(p, o, "broker-list")
			servers = o.valueOf("broker-list")
		}
		e.checkRequiredArgs(p, o, "topic")
		e.validatePortOrDie(p, servers)
		topic := o.valueOf("topic")
		requested, ok := parsePartitionIDs(o.valueOf("partitions"))
		if !ok {
			fmt.Fprintf(e.stderr, "--partitions expects a comma separated list of numeric partition ids, but received: %s\n", o.valueOf("partitions"))
			return 1
		}
		timestamp, err := o.longOf("time")
		if err != nil {
			e.javaException("joptsimple.OptionArgumentConversionException", err.Error())
		}
		cl, timeout, err := newAdminClient(e, map[string]string{"bootstrap.servers": servers, "client.id": "GetOffsetShell"})
		if err != nil {
			e.javaException(javaClassOf(err), err.Error())
		}
		defer cl.Close()
		ctx, cancel := withTimeout(timeout)
		defer cancel()
		return e.printOffsets(ctx, cl, topic, requested, timestamp)
	})
}

// printOffsets is the body of GetOffsetShell once the options are valid.
func (e *env) printOffsets(ctx context.Context, cl *kgo.Client, topic string, requested map[int32]bool, timestamp int64) int {
	all, exists, err := topicPartitionLeaders(ctx, cl, topic)
	if err != nil {
		e.javaException(javaClassOf(err), javaMessage(err))
	}
	if !exists {
		fmt.Fprintf(e.stderr, "Topic %s does not exist\n", topic)
		return 1
	}
	var parts []partitionLeader
	found := map[int32]bool{}
	for _, pl := range all {
		if len(requested) == 0 || requested[pl.partition] {
			parts = append(parts, pl)
			found[pl.partition] = true
		}
	}
	if len(parts) == 0 {
		fmt.Fprintf(e.stderr, "Topic %s does not have any of the requested partitions %s\n", topic, joinPartitionIDs(requested))
		return 1
	}
	for _, id := range sortedIDs(requested) {
		if !found[id] {
			fmt.Fprintf(e.stderr, "Error: partition %d does not exist\n", id)
		}
	}
	var withLeader []int32
	for _, pl := range parts {
		if pl.leader < 0 {
			fmt.Fprintf(e.stderr, "Error: partition %d does not have a leader. Skip getting offsets\n", pl.partition)
			continue
		}
		withLeader = append(withLeader, pl.partition)
	}
	if len(withLeader) == 0 {
		return 0
	}
	offsets, err := listOffsets(ctx, cl, topic, withLeader, timestamp)
	if err != nil {
		e.javaException(javaClassOf(err), javaMessage(err))
	}
	for _, id := range withLeader {
		off := ""
		if v, ok := offsets[id]; ok {
			off = strconv.FormatInt(v, 10)
		}
		fmt.Fprintf(e.stdout, "%s:%d:%s\n", topic, id, off)
	}
	return 0
}

func sortedIDs(ids map[int32]bool) []int32 {
	out := make([]int32, 0, len(ids))
	for id := range ids {
		out = append(out, id)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func joinPartitionIDs(ids map[int32]bool) string {
	var s []string
	for _, id := range sortedIDs(ids) {
		s = append(s, strconv.Itoa(int(id)))
	}
	return strings.Join(s, ",")
}
