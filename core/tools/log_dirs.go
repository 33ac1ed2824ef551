package tools

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// kafka-log-dirs.sh (Kafka 2.8 LogDirsCommand): ask brokers which log
// directories they have and which partitions (with size and lag) each
// holds, printed as one line of JSON.

const logDirsHelp = "This tool helps to query log directory usage on the specified brokers."

func logDirsParser() *optionParser {
	p := newOptionParser()
	p.withArg("bootstrap-server", "REQUIRED: the server(s) to use for bootstrapping").describedAs("The server(s) to use for bootstrapping")
	p.withArg("command-config", "Property file containing configs to be passed to Admin Client.").describedAs("Admin client property file")
	p.flag("describe", "Describe the specified log directories on the specified brokers.")
	p.withArg("topic-list", "The list of topics to be queried in the form \"topic1,topic2,topic3\". All topics will be queried if no topic list is specified").describedAs("Topic list").withDefault("")
	p.withArg("broker-list", "The list of brokers to be queried in the form \"0,1,2\". All brokers in the cluster will be queried if no broker list is specified").describedAs("Broker list")
	return p
}

// logDirPartition is one replica in a log dir.
type logDirPartition struct {
	tp        topicPartition
	size      int64
	offsetLag int64
	isFuture  bool
}

// brokerLogDir is one log dir of a broker.
type brokerLogDir struct {
	path       string
	errorCode  int16
	partitions []logDirPartition
}

// describeLogDirs asks one broker for all its log dirs.
func describeLogDirs(e *env, cl *kgo.Client, broker int32) ([]brokerLogDir, error) {
	req := kmsg.NewPtrDescribeLogDirsRequest() // null topics: every partition
	ctx, cancel := withTimeout(adminTimeout)
	defer cancel()
	raw, err := cl.Broker(int(broker)).Request(ctx, req)
	if err != nil {
		return nil, &javaError{"org.apache.kafka.common.errors.TimeoutException", "Timed out waiting for a node assignment. Call: describeLogDirs"}
	}
	resp := raw.(*kmsg.DescribeLogDirsResponse)
	if err := brokerError(resp.ErrorCode, nil); err != nil {
		return nil, err
	}
	var out []brokerLogDir
	for _, d := range resp.Dirs {
		bd := brokerLogDir{path: d.Dir, errorCode: d.ErrorCode}
		for _, t := range d.Topics {
			for _, p := range t.Partitions {
				bd.partitions = append(bd.partitions, logDirPartition{topicPartition{t.Topic, p.Partition}, p.Size, p.OffsetLag, p.IsFuture})
			}
		}
		bd.partitions = javaPartitionOrder(bd.partitions)
		out = append(out, bd)
	}
	return javaLogDirOrder(out), nil
}

// javaLogDirOrder is the iteration order of the Java admin client's map of
// log dirs (a HashMap sized for the answer, keyed by path).
func javaLogDirOrder(dirs []brokerLogDir) []brokerLogDir {
	m := newJavaHashMap(len(dirs))
	byPath := map[string]brokerLogDir{}
	for _, d := range dirs {
		m.put(d.path)
		byPath[d.path] = d
	}
	out := make([]brokerLogDir, 0, len(dirs))
	for _, k := range m.keys() {
		out = append(out, byPath[k])
	}
	return out
}

// javaPartitionOrder is the iteration order of a log dir's replica map (a
// HashMap keyed by TopicPartition).
func javaPartitionOrder(ps []logDirPartition) []logDirPartition {
	m := newJavaHashMap(-1)
	byKey := map[string]logDirPartition{}
	for _, p := range ps {
		m.putHashed(p.tp.String(), topicPartitionHash(p.tp.topic, p.tp.partition))
		byKey[p.tp.String()] = p
	}
	out := make([]logDirPartition, 0, len(ps))
	for _, k := range m.keys() {
		out = append(out, byKey[k])
	}
	return out
}

// logDirErrorClasses name the exceptions a log dir's error code stands for.
var logDirErrorClasses = map[int16]string{
	56: "org.apache.kafka.common.errors.KafkaStorageException",
	57: "org.apache.kafka.common.errors.LogDirNotFoundException",
}

// formatLogDirsJSON renders the answers the way LogDirsCommand does
// (compact JSON, keys in Kafka's order); topics limits the partitions
// listed when not empty.
func formatLogDirsJSON(brokers []int32, dirs map[int32][]brokerLogDir, topics map[string]bool) string {
	var b bytes.Buffer
	b.WriteString(`{"version":1,"brokers":[`)
	for i, id := range brokers {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"broker":%d,"logDirs":[`, id)
		for j, d := range dirs[id] {
			if j > 0 {
				b.WriteByte(',')
			}
			errText := "null"
			if d.errorCode != 0 {
				cls, ok := logDirErrorClasses[d.errorCode]
				if !ok {
					cls = javaClassOf(brokerError(d.errorCode, nil))
				}
				errText = jsonString(cls)
			}
			fmt.Fprintf(&b, `{"logDir":%s,"error":%s,"partitions":[`, jsonString(d.path), errText)
			first := true
			for _, p := range d.partitions {
				if len(topics) > 0 && !topics[p.tp.topic] {
					continue
				}
				if !first {
					b.WriteByte(',')
				}
				first = false
				fmt.Fprintf(&b, `{"partition":%s,"size":%d,"offsetLag":%d,"isFuture":%t}`, jsonString(p.tp.String()), p.size, p.offsetLag, p.isFuture)
			}
			b.WriteString("]}")
		}
		b.WriteString("]}")
	}
	b.WriteString("]}")
	return b.String()
}

func jsonString(s string) string {
	out, _ := json.Marshal(s)
	return string(out)
}

// splitList is Scala's split(",").filter(!_.isEmpty).
func splitList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x != "" {
			out = append(out, x)
		}
	}
	return out
}

func runLogDirs(e *env, args []string) int {
	return runGuarded(func() int {
		p := logDirsParser()
		o, err := p.parse(args)
		if err != nil {
			e.javaException(joptClass(err), err.Error())
		}
		e.printHelpAndExitIfNeeded(p, o, logDirsHelp)
		e.checkRequiredArgs(p, o, "bootstrap-server", "describe")
		topics := map[string]bool{}
		for _, t := range splitList(o.valueOf("topic-list")) {
			topics[t] = true
		}
		props := map[string]string{}
		if o.has("command-config") {
			if props, err = loadProps(o.valueOf("command-config")); err != nil {
				e.javaException("java.nio.file.NoSuchFileException", o.valueOf("command-config"))
			}
		}
		props["bootstrap.servers"] = o.valueOf("bootstrap-server")
		if _, ok := props["client.id"]; !ok {
			props["client.id"] = "log-dirs-tool"
		}
		cl, _, err := newAdminClient(e, props)
		if err != nil {
			e.javaException(javaClassOf(err), err.Error())
		}
		defer cl.Close()
		brokers := e.logDirsBrokers(o, cl)
		fmt.Fprintln(e.stdout, "Querying brokers for log directories information")
		dirs := map[int32][]brokerLogDir{}
		for _, id := range brokers {
			d, err := describeLogDirs(e, cl, id)
			if err != nil {
				e.javaException("java.util.concurrent.ExecutionException", javaClassOf(err)+": "+javaMessage(err))
			}
			dirs[id] = d
		}
		names := make([]string, len(brokers))
		for i, id := range brokers {
			names[i] = strconv.Itoa(int(id))
		}
		fmt.Fprintf(e.stdout, "Received log directory information from brokers %s\n", strings.Join(names, ","))
		sorted := append([]int32(nil), brokers...)
		sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
		fmt.Fprintln(e.stdout, formatLogDirsJSON(uniqueIDs(sorted), dirs, topics))
		return 0
	})
}

// logDirsBrokers is --broker-list, or every broker of the cluster.
func (e *env) logDirsBrokers(o *optionSet, cl *kgo.Client) []int32 {
	if o.has("broker-list") {
		var ids []int32
		for _, s := range splitList(o.valueOf("broker-list")) {
			n, err := strconv.ParseInt(s, 10, 32)
			if err != nil {
				e.javaException("java.lang.NumberFormatException", fmt.Sprintf("For input string: \"%s\"", s))
			}
			ids = append(ids, int32(n))
		}
		return ids
	}
	ctx, cancel := withTimeout(adminTimeout)
	defer cancel()
	req := kmsg.NewPtrMetadataRequest()
	req.Topics = []kmsg.MetadataRequestTopic{} // brokers only
	raw, err := adminRequest(ctx, cl, "describeCluster", req)
	if err != nil {
		e.javaException("java.util.concurrent.ExecutionException", javaClassOf(err)+": "+javaMessage(err))
	}
	var ids []int32
	for _, b := range raw.(*kmsg.MetadataResponse).Brokers {
		ids = append(ids, b.NodeID)
	}
	return ids
}

func uniqueIDs(ids []int32) []int32 {
	var out []int32
	for i, id := range ids {
		if i == 0 || id != ids[i-1] {
			out = append(out, id)
		}
	}
	return out
}
