package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gokafka/kafka/core/internal/reqtopics"
)

// kafka-delete-records.sh (Kafka 2.8 DeleteRecordsCommand): move the log
// start offset of partitions forward, given a JSON file of
// {"partitions":[{"topic":..,"partition":..,"offset":..}],"version":1}.
// Offset -1 means the partition's high watermark.

const deleteRecordsHelp = "This tool helps to delete records of the given partitions down to the specified offset."

// deleteRecordsTimeoutMs is the admin client's request timeout.
const deleteRecordsTimeoutMs = 30000

func deleteRecordsParser() *optionParser {
	p := newOptionParser()
	p.withArg("bootstrap-server", "REQUIRED: The server to connect to.").describedAs("server(s) to use for bootstrapping")
	p.withArg("offset-json-file", "REQUIRED: The JSON file with offset per partition. The format to use is:\n{\"partitions\":\n  [{\"topic\": \"foo\", \"partition\": 1, \"offset\": 1}],\n \"version\":1\n}").describedAs("Offset json file path")
	p.withArg("command-config", "A property file containing configs to be passed to Admin Client.").describedAs("command config property file path")
	return p
}

// recordsToDelete is one entry of the offset JSON file.
type recordsToDelete struct {
	tp     topicPartition
	offset int64
}

// parseDeleteRecordsJSON reads the offset file, keeping duplicates so the
// caller can report them.
func parseDeleteRecordsJSON(data []byte) ([]recordsToDelete, error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(data, &doc); err != nil || doc == nil {
		return nil, adminOperation("The input string is not a valid JSON")
	}
	if v, ok := doc["version"]; ok {
		var version int
		if err := json.Unmarshal(v, &version); err != nil || version != 1 {
			return nil, adminOperation("Not supported version field value " + strings.TrimSpace(string(v)))
		}
	}
	raw, ok := doc["partitions"]
	if !ok {
		return nil, adminOperation("Missing partitions field")
	}
	var entries []struct {
		Topic     *string `json:"topic"`
		Partition *int32  `json:"partition"`
		Offset    *int64  `json:"offset"`
	}
	if err := json.Unmarshal(raw, &entries); err != nil {
		return nil, adminOperation("Expected JSON array of partitions: " + err.Error())
	}
	out := make([]recordsToDelete, 0, len(entries))
	for _, e := range entries {
		switch {
		case e.Topic == nil:
			return nil, adminOperation("No such field exists: `topic`")
		case e.Partition == nil:
			return nil, adminOperation("No such field exists: `partition`")
		case e.Offset == nil:
			return nil, adminOperation("No such field exists: `offset`")
		}
		out = append(out, recordsToDelete{topicPartition{*e.Topic, *e.Partition}, *e.Offset})
	}
	return out, nil
}

// duplicatePartitions lists partitions named more than once, in order of
// their second appearance.
func duplicatePartitions(rs []recordsToDelete) []string {
	seen := map[topicPartition]int{}
	var dups []string
	for _, r := range rs {
		if seen[r.tp]++; seen[r.tp] == 2 {
			dups = append(dups, r.tp.String())
		}
	}
	return dups
}

// deleteRecordsResult is one partition's answer: a low watermark or an error.
type deleteRecordsResult struct {
	lowWatermark int64
	err          error
}

// deleteRecords sends DeleteRecords to each partition's leader (the client
// shards the request) and collects one result per requested partition.
func deleteRecords(ctx context.Context, cl *kgo.Client, rs []recordsToDelete) map[topicPartition]deleteRecordsResult {
	req := kmsg.NewPtrDeleteRecordsRequest()
	req.TimeoutMillis = deleteRecordsTimeoutMs
	byTopic := map[string]int{}
	for _, r := range rs {
		i := reqtopics.Slot(byTopic, r.tp.topic, func() int {
			t := kmsg.NewDeleteRecordsRequestTopic()
			t.Topic = r.tp.topic
			req.Topics = append(req.Topics, t)
			return len(req.Topics) - 1
		})
		p := kmsg.NewDeleteRecordsRequestTopicPartition()
		p.Partition, p.Offset = r.tp.partition, r.offset
		req.Topics[i].Partitions = append(req.Topics[i].Partitions, p)
	}
	out := map[topicPartition]deleteRecordsResult{}
	for _, shard := range cl.RequestSharded(ctx, req) {
		if shard.Err != nil {
			for _, t := range shard.Req.(*kmsg.DeleteRecordsRequest).Topics {
				for _, p := range t.Partitions {
					out[topicPartition{t.Topic, p.Partition}] = deleteRecordsResult{-1, shardError(shard.Err)}
				}
			}
			continue
		}
		for _, t := range shard.Resp.(*kmsg.DeleteRecordsResponse).Topics {
			for _, p := range t.Partitions {
				out[topicPartition{t.Topic, p.Partition}] = deleteRecordsResult{p.LowWatermark, brokerError(p.ErrorCode, nil)}
			}
		}
	}
	for _, r := range rs {
		if _, ok := out[r.tp]; !ok {
			out[r.tp] = deleteRecordsResult{-1, brokerError(kerr.UnknownTopicOrPartition.Code, nil)}
		}
	}
	return out
}

// shardError turns a client-side failure into the broker error a Java
// client would report.
func shardError(err error) error {
	var ke *kerr.Error
	if errors.As(err, &ke) {
		return brokerError(ke.Code, nil)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return &javaError{"org.apache.kafka.common.errors.TimeoutException", "Timed out waiting for a node assignment. Call: deleteRecords"}
	}
	return err
}

func runDeleteRecords(e *env, args []string) int {
	return runGuarded(func() int {
		p := deleteRecordsParser()
		o, err := p.parse(args)
		if err != nil {
			e.javaException(joptClass(err), err.Error())
		}
		e.printHelpAndExitIfNeeded(p, o, deleteRecordsHelp)
		e.checkRequiredArgs(p, o, "bootstrap-server", "offset-json-file")
		path := o.valueOf("offset-json-file")
		data, err := os.ReadFile(path)
		if err != nil {
			e.javaException("java.nio.file.NoSuchFileException", path)
		}
		rs, err := parseDeleteRecordsJSON(data)
		if err != nil {
			e.javaException(javaClassOf(err), err.Error())
		}
		if dups := duplicatePartitions(rs); len(dups) > 0 {
			e.javaException("kafka.common.AdminCommandFailedException", "Offset json file contains duplicate topic partitions: "+strings.Join(dups, ","))
		}
		props := map[string]string{}
		if o.has("command-config") {
			if props, err = loadProps(o.valueOf("command-config")); err != nil {
				e.javaException("java.nio.file.NoSuchFileException", o.valueOf("command-config"))
			}
		}
		props["bootstrap.servers"] = o.valueOf("bootstrap-server")
		cl, timeout, err := newAdminClient(e, props)
		if err != nil {
			e.javaException(javaClassOf(err), err.Error())
		}
		defer cl.Close()
		fmt.Fprintln(e.stdout, "Executing records delete operation")
		ctx, cancel := withTimeout(timeout)
		defer cancel()
		results := deleteRecords(ctx, cl, rs)
		fmt.Fprintln(e.stdout, "Records delete operation completed:")
		printDeleteRecordsResults(e, rs, results)
		return 0
	})
}

// printDeleteRecordsResults prints one line per distinct partition, in
// the order the Java admin client's result map (a HashMap copied from a
// HashMap sized for the request) iterates.
func printDeleteRecordsResults(e *env, rs []recordsToDelete, results map[topicPartition]deleteRecordsResult) {
	futures := newJavaHashMap(len(rs))
	byKey := map[string]topicPartition{}
	for _, r := range rs {
		byKey[r.tp.String()] = r.tp
		futures.putHashed(r.tp.String(), topicPartitionHash(r.tp.topic, r.tp.partition))
	}
	for _, k := range copyJavaHashMap(futures).keys() {
		tp := byKey[k]
		r := results[tp]
		if r.err != nil {
			fmt.Fprintf(e.stdout, "partition: %s\terror: %s\n", tp, recordsErrorString(r.err))
			continue
		}
		fmt.Fprintf(e.stdout, "partition: %s\tlow_watermark: %d\n", tp, r.lowWatermark)
	}
}

// recordsErrorClasses complete javaExceptionClasses with the codes
// DeleteRecords and ListOffsets return.
var recordsErrorClasses = map[int16]string{
	1: "OffsetOutOfRangeException",
	6: "NotLeaderOrFollowerException",
	5: "LeaderNotAvailableException",
}

// recordsErrorString is ExecutionException.getMessage: the cause's
// "class: message".
func recordsErrorString(err error) string {
	if ke, ok := err.(*kafkaError); ok {
		if c, ok := recordsErrorClasses[ke.code]; ok {
			return "org.apache.kafka.common.errors." + c + ": " + ke.msg
		}
	}
	return javaClassOf(err) + ": " + javaMessage(err)
}
