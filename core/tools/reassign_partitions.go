package tools

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gokafka/kafka/core/admin"
	"github.com/gokafka/kafka/core/internal/reqtopics"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// kafka-reassign-partitions.sh (Kafka 2.8 ReassignPartitionsCommand): move
// partition replicas between brokers through the KIP-455 admin APIs
// (AlterPartitionReassignments, ListPartitionReassignments) with the same
// actions, JSON files and messages as Kafka's tool.

const reassignHelp = "This tool helps to move topic partitions between replicas."

const cannotExecuteBecauseOfExisting = "Cannot execute because there is an existing partition assignment.  " +
	"Use --additional to override this and create a new partition assignment in addition to the existing one. " +
	"The --additional flag can also be used to change the throttle by resubmitting the current reassignment."

const youMustRunVerifyPeriodically = "Warning: You must run --verify periodically, until the reassignment completes, to ensure the throttle is removed."

// The throttle configurations the tool sets and clears.
var (
	brokerLevelThrottles = []string{"leader.replication.throttled.rate", "follower.replication.throttled.rate", "replica.alter.log.dirs.io.max.bytes.per.second"}
	topicLevelThrottles  = []string{"leader.replication.throttled.replicas", "follower.replication.throttled.replicas"}
)

var reassignActions = []string{"generate", "execute", "verify", "cancel", "list"}

func reassignParser() *optionParser {
	p := newOptionParser()
	p.flag("verify", "Verify if the reassignment completed as specified by the --reassignment-json-file option. If there is a throttle engaged for the replicas specified, and the rebalance has completed, the throttle will be removed")
	p.flag("generate", "Generate a candidate partition reassignment configuration. Note that this only generates a candidate assignment, it does not execute it.")
	p.flag("execute", "Kick off the reassignment as specified by the --reassignment-json-file option.")
	p.flag("cancel", "Cancel an active reassignment.")
	p.flag("list", "List all active partition reassignments.")
	p.withArg("bootstrap-server", "the server(s) to use for bootstrapping. REQUIRED if an absolute path of the log directory is specified for any replica in the reassignment json file, or if --zookeeper is not given.").describedAs("Server(s) to use for bootstrapping")
	p.withArg("command-config", "Property file containing configs to be passed to Admin Client.").describedAs("Admin client property file")
	p.withArg("zookeeper", "DEPRECATED: The connection string for the zookeeper connection in the form host:port. Multiple URLS can be given to allow fail-over.  Please use --bootstrap-server instead.").describedAs("urls")
	p.withArg("reassignment-json-file", "The JSON file with the partition reassignment configurationThe format to use is - \n{\"partitions\":\n\t[{\"topic\": \"foo\",\n\t  \"partition\": 1,\n\t  \"replicas\": [1,2,3],\n\t  \"log_dirs\": [\"dir1\",\"dir2\",\"dir3\"] }],\n\"version\":1\n}\nNote that \"log_dirs\" is optional. When it is specified, its length must equal the length of the replicas list. The value in this list can be either \"any\" or the absolution path of the log directory on the broker. If absolute log directory path is specified, the replica will be moved to the specified log directory on the broker.").describedAs("manual assignment json file path")
	p.withArg("topics-to-move-json-file", "Generate a reassignment configuration to move the partitions of the specified topics to the list of brokers specified by the --broker-list option. The format to use is - \n{\"topics\":\n\t[{\"topic\": \"foo\"},{\"topic\": \"foo1\"}],\n\"version\":1\n}").describedAs("topics to reassign json file path")
	p.withArg("broker-list", "The list of brokers to which the partitions need to be reassigned in the form \"0,1,2\". This is required if --topics-to-move-json-file is used to generate reassignment configuration").describedAs("brokerlist")
	p.flag("disable-rack-aware", "Disable rack aware replica assignment")
	p.withArg("throttle", "The movement of partitions between brokers will be throttled to this value (bytes/sec). This option can be included with --execute when a reassignment is started, and it can be altered by resubmitting the current reassignment along with the --additional flag. The throttle rate should be at least 1 KB/s.").describedAs("throttle").ofType("Long").withDefault("-1")
	p.withArg("replica-alter-log-dirs-throttle", "The movement of replicas between log directories on the same broker will be throttled to this value (bytes/sec). This option can be included with --execute when a reassignment is started, and it can be altered by resubmitting the current reassignment along with the --additional flag. The throttle rate should be at least 1 KB/s.").describedAs("replicaAlterLogDirsThrottle").ofType("Long").withDefault("-1")
	p.withArg("timeout", "The maximum time in ms to wait for log directory replica assignment to begin.").describedAs("timeout").ofType("Long").withDefault("10000")
	p.flag("additional", "Execute this reassignment in addition to any other ongoing ones. This option can also be used to change the throttle of an ongoing reassignment.")
	p.flag("preserve-throttles", "Do not modify broker or topic throttles.")
	return p
}

// validateReassignArgs is ReassignPartitionsCommand.validateAndParseArgs; it
// returns the chosen action.
func (e *env) validateReassignArgs(p *optionParser, o *optionSet) string {
	e.printHelpAndExitIfNeeded(p, o, reassignHelp)
	var actions []string
	for _, a := range reassignActions {
		if o.has(a) {
			actions = append(actions, a)
		}
	}
	if len(actions) != 1 {
		e.printUsageAndDie(p, "Command must include exactly one action: --generate, --execute, --verify, --cancel, --list")
	}
	action := actions[0]
	if !o.has("zookeeper") && !o.has("bootstrap-server") {
		e.printUsageAndDie(p, "Please specify --bootstrap-server")
	}
	required := map[string][]string{
		"verify":   {"reassignment-json-file"},
		"generate": {"topics-to-move-json-file", "broker-list"},
		"execute":  {"reassignment-json-file"},
		"cancel":   {"reassignment-json-file"},
		"list":     nil,
	}
	permitted := map[string][]string{
		"verify":   {"bootstrap-server", "command-config", "preserve-throttles", "zookeeper"},
		"generate": {"bootstrap-server", "broker-list", "command-config", "disable-rack-aware", "zookeeper"},
		"execute":  {"additional", "bootstrap-server", "command-config", "throttle", "replica-alter-log-dirs-throttle", "timeout", "zookeeper"},
		"cancel":   {"bootstrap-server", "command-config", "preserve-throttles", "timeout"},
		"list":     {"bootstrap-server", "command-config"},
	}
	e.checkRequiredArgs(p, o, required[action]...)
	for _, s := range p.sorted() {
		if !o.has(s.name) || s.name == action || contains(required[action], s.name) || contains(permitted[action], s.name) {
			continue
		}
		e.printUsageAndDie(p, fmt.Sprintf("Option \"[%s]\" can't be used with action \"[%s]\"", s.name, action))
	}
	return action
}

// reassignFailure is TerseReassignmentFailureException: printed as is,
// without "Error:" and a stack trace.
type reassignFailure struct{ msg string }

func (f *reassignFailure) Error() string { return f.msg }

func runReassignPartitions(e *env, args []string) int {
	return runGuarded(func() int {
		p := reassignParser()
		o, err := p.parse(args)
		if err != nil {
			e.javaException(joptClass(err), err.Error())
		}
		action := e.validateReassignArgs(p, o)
		if !o.has("bootstrap-server") {
			fmt.Fprintln(e.stdout, "Warning: --zookeeper is deprecated, and will be removed in a future version of Kafka.")
			fmt.Fprintln(e.stdout, "Error: the --zookeeper option is not supported by this build; use --bootstrap-server.")
			return 1
		}
		if o.has("zookeeper") {
			fmt.Fprintln(e.stdout, "Warning: ignoring deprecated --zookeeper option because --bootstrap-server was specified.  The --zookeeper option will be removed in a future version of Kafka.")
		}
		s, err := newReassignService(e, o)
		if err == nil {
			defer s.cl.Close()
			err = s.handleAction(action, o)
		}
		var terse *reassignFailure
		switch {
		case err == nil:
			return 0
		case errors.As(err, &terse):
			fmt.Fprintln(e.stdout, terse.msg)
		default:
			// Broker errors reach the Java tool wrapped in an ExecutionException.
			msg, trace := err.Error(), javaToString(err)
			var ke *kafkaError
			if errors.As(err, &ke) {
				msg = javaToString(err)
				trace = "java.util.concurrent.ExecutionException: " + msg
			}
			fmt.Fprintln(e.stdout, "Error: "+msg)
			fmt.Fprintln(e.stdout, trace)
		}
		return 1
	})
}

// reassignService holds the admin client of one run.
type reassignService struct {
	e       *env
	cl      *kgo.Client
	timeout time.Duration
}

func newReassignService(e *env, o *optionSet) (*reassignService, error) {
	props := map[string]string{}
	if o.has("command-config") {
		p, err := loadProps(o.valueOf("command-config"))
		if err != nil {
			return nil, err
		}
		props = p
	}
	props["bootstrap.servers"] = o.valueOf("bootstrap-server")
	if _, ok := props["client.id"]; !ok {
		props["client.id"] = "reassign-partitions-tool"
	}
	cl, timeout, err := newAdminClient(e, props)
	if err != nil {
		return nil, err
	}
	return &reassignService{e: e, cl: cl, timeout: timeout}, nil
}

func (s *reassignService) handleAction(action string, o *optionSet) error {
	readFile := func(opt string) ([]byte, error) {
		data, err := os.ReadFile(o.valueOf(opt))
		if err != nil {
			return nil, &javaError{"java.nio.file.NoSuchFileException", o.valueOf(opt)}
		}
		return data, nil
	}
	switch action {
	case "list":
		return s.listReassignments()
	case "generate":
		data, err := readFile("topics-to-move-json-file")
		if err != nil {
			return err
		}
		return s.generateAssignment(data, o.valueOf("broker-list"), !o.has("disable-rack-aware"))
	}
	data, err := readFile("reassignment-json-file")
	if err != nil {
		return err
	}
	timeoutMs, err := o.longOf("timeout")
	if err != nil {
		return err
	}
	moveTimeout := time.Duration(timeoutMs) * time.Millisecond
	switch action {
	case "verify":
		return s.verifyAssignment(data, o.has("preserve-throttles"))
	case "cancel":
		return s.cancelAssignment(data, o.has("preserve-throttles"), moveTimeout)
	}
	throttle, err := o.longOf("throttle")
	if err != nil {
		return err
	}
	logDirThrottle, err := o.longOf("replica-alter-log-dirs-throttle")
	if err != nil {
		return err
	}
	return s.executeAssignment(data, o.has("additional"), throttle, logDirThrottle, moveTimeout)
}

// partitionAssignment is one entry of a reassignment file, in file order.
type partitionAssignment struct {
	tp       topicPartition
	replicas []int32
}

// replicaLogDir is a replica with an explicit (not "any") target log dir.
type replicaLogDir struct {
	tp     topicPartition
	broker int32
	dir    string
}

// parseReassignmentJSON is parsePartitionReassignmentData: version 1 only,
// "log_dirs" optional but as long as "replicas" when present.
func parseReassignmentJSON(data []byte) ([]partitionAssignment, []replicaLogDir, error) {
	var doc struct {
		Version    *int `json:"version"`
		Partitions []struct {
			Topic     *string   `json:"topic"`
			Partition *int32    `json:"partition"`
			Replicas  *[]int32  `json:"replicas"`
			LogDirs   *[]string `json:"log_dirs"`
		} `json:"partitions"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		return nil, nil, adminOperation(err.Error())
	}
	if doc.Version != nil && *doc.Version != 1 {
		return nil, nil, adminOperation(fmt.Sprintf("Not supported version field value %d", *doc.Version))
	}
	var parts []partitionAssignment
	var dirs []replicaLogDir
	for _, p := range doc.Partitions {
		switch {
		case p.Topic == nil:
			return nil, nil, adminOperation("No such field exists: `topic`")
		case p.Partition == nil:
			return nil, nil, adminOperation("No such field exists: `partition`")
		case p.Replicas == nil:
			return nil, nil, adminOperation("No such field exists: `replicas`")
		}
		tp := topicPartition{*p.Topic, *p.Partition}
		replicas := *p.Replicas
		if p.LogDirs != nil {
			if len(*p.LogDirs) != len(replicas) {
				return nil, nil, adminCommandFailed(fmt.Sprintf("Size of replicas list %s is different from size of log dirs list %s for partition %s",
					scalaList(intStrings(replicas)), scalaList(*p.LogDirs), tp))
			}
			for i, d := range *p.LogDirs {
				if d != "any" {
					dirs = append(dirs, replicaLogDir{tp, replicas[i], d})
				}
			}
		}
		parts = append(parts, partitionAssignment{tp, replicas})
	}
	return parts, dirs, nil
}

// parseTopicsToMoveJSON is parseTopicsData: {"topics":[{"topic":"t"}],"version":1}.
func parseTopicsToMoveJSON(data []byte) ([]string, error) {
	var doc struct {
		Version *int `json:"version"`
		Topics  []struct {
			Topic *string `json:"topic"`
		} `json:"topics"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, adminOperation("The input string is not a valid JSON")
	}
	if doc.Version != nil && *doc.Version != 1 {
		return nil, adminOperation(fmt.Sprintf("Not supported version field value %d", *doc.Version))
	}
	var topics []string
	for _, t := range doc.Topics {
		if t.Topic == nil {
			return nil, adminOperation("No such field exists: `topic`")
		}
		topics = append(topics, *t.Topic)
	}
	return topics, nil
}

// formatReassignmentJSON is formatAsReassignmentJson: partitions sorted by
// topic and partition, every log dir "any", keys in Kafka's order.
func formatReassignmentJSON(assignment map[topicPartition][]int32) string {
	tps := make([]topicPartition, 0, len(assignment))
	for tp := range assignment {
		tps = append(tps, tp)
	}
	sortTopicPartitions(tps)
	var b strings.Builder
	b.WriteString(`{"version":1,"partitions":[`)
	for i, tp := range tps {
		if i > 0 {
			b.WriteByte(',')
		}
		topic, _ := json.Marshal(tp.topic)
		replicas := assignment[tp]
		dirs := make([]string, len(replicas))
		for j := range dirs {
			dirs[j] = `"any"`
		}
		fmt.Fprintf(&b, `{"topic":%s,"partition":%d,"replicas":[%s],"log_dirs":[%s]}`,
			topic, tp.partition, strings.Join(intStrings(replicas), ","), strings.Join(dirs, ","))
	}
	b.WriteString("]}")
	return b.String()
}

func intStrings(ids []int32) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = strconv.Itoa(int(id))
	}
	return out
}

// scalaList renders a Scala Seq's toString, e.g. "List(1, 2)".
func scalaList(items []string) string { return "List(" + strings.Join(items, ", ") + ")" }

// duplicates is CoreUtils.duplicates, in first-seen order.
func duplicates[T comparable](items []T) []T {
	seen := map[T]int{}
	var out []T
	for _, it := range items {
		if seen[it]++; seen[it] == 2 {
			out = append(out, it)
		}
	}
	return out
}

func (s *reassignService) request(call string, req kmsg.Request) (kmsg.Response, error) {
	ctx, cancel := withTimeout(s.timeout)
	defer cancel()
	return adminRequest(ctx, s.cl, call, req)
}

// clusterBrokers returns the live brokers with their racks (describeCluster).
func (s *reassignService) clusterBrokers() ([]admin.BrokerMetadata, error) {
	resp, err := s.request("describeCluster", kmsg.NewPtrMetadataRequest())
	if err != nil {
		return nil, err
	}
	var out []admin.BrokerMetadata
	for _, b := range resp.(*kmsg.MetadataResponse).Brokers {
		m := admin.BrokerMetadata{ID: b.NodeID}
		if b.Rack != nil {
			m.Rack = *b.Rack
		}
		out = append(out, m)
	}
	return out, nil
}

// replicaAssignment is getReplicaAssignmentForTopics: the replicas of every
// partition of the topics; a missing topic is an error.
func (s *reassignService) replicaAssignment(topics []string) (map[topicPartition][]int32, error) {
	req := kmsg.NewPtrMetadataRequest()
	req.Topics = []kmsg.MetadataRequestTopic{}
	for _, t := range topics {
		rt := kmsg.NewMetadataRequestTopic()
		rt.Topic = kmsg.StringPtr(t)
		req.Topics = append(req.Topics, rt)
	}
	resp, err := s.request("describeTopics", req)
	if err != nil {
		return nil, err
	}
	out := map[topicPartition][]int32{}
	for _, t := range resp.(*kmsg.MetadataResponse).Topics {
		name := ""
		if t.Topic != nil {
			name = *t.Topic
		}
		if t.ErrorCode == 3 {
			return nil, &kafkaError{3, "Topic " + name + " not found."}
		}
		if err := brokerError(t.ErrorCode, nil); err != nil {
			return nil, err
		}
		for _, p := range t.Partitions {
			out[topicPartition{name, p.Partition}] = p.Replicas
		}
	}
	return out, nil
}

// ongoingReassignments is listPartitionReassignments; nil partitions means all.
func (s *reassignService) ongoingReassignments(partitions []topicPartition) (map[topicPartition]kmsg.ListPartitionReassignmentsResponseTopicPartition, error) {
	req := kmsg.NewPtrListPartitionReassignmentsRequest()
	req.TimeoutMillis = int32(s.timeout.Milliseconds())
	if partitions != nil {
		byTopic := map[string]int{}
		req.Topics = []kmsg.ListPartitionReassignmentsRequestTopic{}
		for _, tp := range partitions {
			i := reqtopics.Slot(byTopic, tp.topic, func() int {
				t := kmsg.NewListPartitionReassignmentsRequestTopic()
				t.Topic = tp.topic
				req.Topics = append(req.Topics, t)
				return len(req.Topics) - 1
			})
			req.Topics[i].Partitions = append(req.Topics[i].Partitions, tp.partition)
		}
	}
	raw, err := s.request("listPartitionReassignments", req)
	if err != nil {
		return nil, err
	}
	resp := raw.(*kmsg.ListPartitionReassignmentsResponse)
	if err := brokerError(resp.ErrorCode, resp.ErrorMessage); err != nil {
		return nil, err
	}
	out := map[topicPartition]kmsg.ListPartitionReassignmentsResponseTopicPartition{}
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			out[topicPartition{t.Topic, p.Partition}] = p
		}
	}
	return out, nil
}

// alterReassignments is alterPartitionReassignments; a nil replica list
// cancels that partition's reassignment. It returns per-partition errors.
func (s *reassignService) alterReassignments(targets map[topicPartition][]int32) (map[topicPartition]error, error) {
	req := kmsg.NewPtrAlterPartitionAssignmentsRequest()
	req.TimeoutMillis = int32(s.timeout.Milliseconds())
	byTopic := map[string]int{}
	tps := sortedKeys(targets)
	for _, tp := range tps {
		i := reqtopics.Slot(byTopic, tp.topic, func() int {
			t := kmsg.NewAlterPartitionAssignmentsRequestTopic()
			t.Topic = tp.topic
			req.Topics = append(req.Topics, t)
			return len(req.Topics) - 1
		})
		p := kmsg.NewAlterPartitionAssignmentsRequestTopicPartition()
		p.Partition = tp.partition
		p.Replicas = targets[tp]
		req.Topics[i].Partitions = append(req.Topics[i].Partitions, p)
	}
	raw, err := s.request("alterPartitionReassignments", req)
	if err != nil {
		return nil, err
	}
	resp := raw.(*kmsg.AlterPartitionAssignmentsResponse)
	errs := map[topicPartition]error{}
	if err := brokerError(resp.ErrorCode, resp.ErrorMessage); err != nil {
		for _, tp := range tps {
			errs[tp] = err
		}
		return errs, nil
	}
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			if err := brokerError(p.ErrorCode, p.ErrorMessage); err != nil {
				errs[topicPartition{t.Topic, p.Partition}] = err
			}
		}
	}
	return errs, nil
}

func sortedKeys[V any](m map[topicPartition]V) []topicPartition {
	out := make([]topicPartition, 0, len(m))
	for tp := range m {
		out = append(out, tp)
	}
	sortTopicPartitions(out)
	return out
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// --generate

func (s *reassignService) generateAssignment(topicsJSON []byte, brokerList string, rackAware bool) error {
	var brokers []int32
	for _, b := range strings.Split(brokerList, ",") {
		n, err := strconv.ParseInt(b, 10, 32)
		if err != nil {
			return &javaError{"java.lang.NumberFormatException", fmt.Sprintf("For input string: \"%s\"", b)}
		}
		brokers = append(brokers, int32(n))
	}
	if d := duplicates(brokers); len(d) > 0 {
		return adminCommandFailed("Broker list contains duplicate entries: " + strings.Join(intStrings(d), ","))
	}
	topics, err := parseTopicsToMoveJSON(topicsJSON)
	if err != nil {
		return err
	}
	if d := duplicates(topics); len(d) > 0 {
		return adminCommandFailed("List of topics to reassign contains duplicate entries: " + strings.Join(d, ","))
	}
	current, err := s.replicaAssignment(topics)
	if err != nil {
		return err
	}
	metas, err := s.brokerMetadata(brokers, rackAware)
	if err != nil {
		return err
	}
	proposed, err := calculateAssignment(current, metas)
	if err != nil {
		return err
	}
	fmt.Fprintf(s.e.stdout, "Current partition replica assignment\n%s\n\n", formatReassignmentJSON(current))
	fmt.Fprintf(s.e.stdout, "Proposed partition reassignment configuration\n%s\n", formatReassignmentJSON(proposed))
	return nil
}

// brokerMetadata is getBrokerMetadata: the listed brokers that are alive,
// with racks only when rack awareness is on.
func (s *reassignService) brokerMetadata(ids []int32, rackAware bool) ([]admin.BrokerMetadata, error) {
	all, err := s.clusterBrokers()
	if err != nil {
		return nil, err
	}
	var out []admin.BrokerMetadata
	rackless := 0
	for _, b := range all {
		if !contains(intStrings(ids), strconv.Itoa(int(b.ID))) {
			continue
		}
		if !rackAware {
			b.Rack = ""
		}
		if b.Rack == "" {
			rackless++
		}
		out = append(out, b)
	}
	if rackAware && rackless != 0 && rackless != len(out) {
		return nil, adminOperation("Not all brokers have rack information. Add --disable-rack-aware in command line to make replica assignment without rack information.")
	}
	return out, nil
}

// calculateAssignment proposes, per topic, a fresh assignment of its
// partitions over the brokers keeping the replication factor.
func calculateAssignment(current map[topicPartition][]int32, brokers []admin.BrokerMetadata) (map[topicPartition][]int32, error) {
	byTopic := map[string][]topicPartition{}
	for tp := range current {
		byTopic[tp.topic] = append(byTopic[tp.topic], tp)
	}
	proposed := map[topicPartition][]int32{}
	for topic, tps := range byTopic {
		sortTopicPartitions(tps)
		rf := int16(len(current[tps[0]]))
		assigned, err := admin.AssignReplicas(brokers, int32(len(tps)), rf, -1, -1)
		if err != nil {
			return nil, err
		}
		for p, replicas := range assigned {
			proposed[topicPartition{topic, p}] = replicas
		}
	}
	return proposed, nil
}

// --execute

// validateExecuteAssignment is parseExecuteAssignmentArgs.
func validateExecuteAssignment(parts []partitionAssignment) (map[topicPartition][]int32, error) {
	if len(parts) == 0 {
		return nil, adminCommandFailed("Partition reassignment list cannot be empty")
	}
	var tps []topicPartition
	for _, p := range parts {
		if len(p.replicas) == 0 {
			return nil, adminCommandFailed("Partition replica list cannot be empty")
		}
		tps = append(tps, p.tp)
	}
	if d := duplicates(tps); len(d) > 0 {
		return nil, adminCommandFailed("Partition reassignment contains duplicate topic partitions: " + joinTopicPartitions(d, ","))
	}
	var msgs []string
	for _, p := range parts {
		if d := duplicates(p.replicas); len(d) > 0 {
			msgs = append(msgs, fmt.Sprintf("%s contains multiple entries for %s", p.tp, strings.Join(intStrings(d), ",")))
		}
	}
	if len(msgs) > 0 {
		return nil, adminCommandFailed("Partition replica lists may not contain duplicate entries: " + strings.Join(msgs, ". "))
	}
	out := map[topicPartition][]int32{}
	for _, p := range parts {
		out[p.tp] = p.replicas
	}
	return out, nil
}

func (s *reassignService) executeAssignment(data []byte, additional bool, throttle, logDirThrottle int64, moveTimeout time.Duration) error {
	parts, dirs, err := parseReassignmentJSON(data)
	if err != nil {
		return err
	}
	proposed, err := validateExecuteAssignment(parts)
	if err != nil {
		return err
	}
	ongoing, err := s.ongoingReassignments(nil)
	if err != nil {
		return err
	}
	if !additional && len(ongoing) > 0 {
		return &reassignFailure{cannotExecuteBecauseOfExisting}
	}
	if err := s.verifyBrokerIDs(proposed); err != nil {
		return err
	}
	var topics []string
	for _, tp := range sortedKeys(proposed) {
		if !contains(topics, tp.topic) {
			topics = append(topics, tp.topic)
		}
	}
	all, err := s.replicaAssignment(topics)
	if err != nil {
		return err
	}
	current := map[topicPartition][]int32{}
	for tp := range proposed {
		if r, ok := all[tp]; ok {
			current[tp] = r
		}
	}
	fmt.Fprintf(s.e.stdout, "Current partition replica assignment\n\n%s\n\nSave this to use as the --reassignment-json-file option during rollback\n", formatReassignmentJSON(current))
	if throttle >= 0 || logDirThrottle >= 0 {
		fmt.Fprintln(s.e.stdout, youMustRunVerifyPeriodically)
		if throttle >= 0 {
			if err := s.setReassignmentThrottle(ongoing, proposed, current, throttle); err != nil {
				return err
			}
		}
		if logDirThrottle >= 0 {
			if err := s.setLogDirThrottle(dirs, logDirThrottle); err != nil {
				return err
			}
		}
	}
	errs, err := s.alterReassignments(proposed)
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		var lines []string
		for _, tp := range sortedKeys(errs) {
			lines = append(lines, fmt.Sprintf("%s: %s", tp, javaMessage(errs[tp])))
		}
		return &reassignFailure{"Error reassigning partition(s):\n" + strings.Join(lines, "\n")}
	}
	fmt.Fprintf(s.e.stdout, "Successfully started partition reassignment%s for %s\n", plural(len(proposed)), joinTopicPartitions(sortedKeys(proposed), ","))
	if len(dirs) > 0 {
		return s.executeMoves(dirs, moveTimeout)
	}
	return nil
}

// unsupportedAPI is the UnsupportedVersionException the Java admin client
// raises when no broker offers an API.
func unsupportedAPI(name string) error {
	return &kafkaError{35, "The broker does not support " + name}
}

// verifyBrokerIDs is verifyBrokerIds: every target broker must be alive.
func (s *reassignService) verifyBrokerIDs(proposed map[topicPartition][]int32) error {
	live, err := s.clusterBrokers()
	if err != nil {
		return err
	}
	known := map[int32]bool{}
	for _, b := range live {
		known[b.ID] = true
	}
	for _, tp := range sortedKeys(proposed) {
		for _, id := range proposed[tp] {
			if !known[id] {
				return adminCommandFailed(fmt.Sprintf("Unknown broker id %d", id))
			}
		}
	}
	return nil
}

// setReassignmentThrottle sets the topic-level throttled replica lists
// (leader side: current replicas, follower side: new ones) and the
// broker-level rates on every broker involved, as Kafka's tool does.
func (s *reassignService) setReassignmentThrottle(ongoing map[topicPartition]kmsg.ListPartitionReassignmentsResponseTopicPartition,
	proposed, current map[topicPartition][]int32, rate int64) error {
	leader, follower := map[string][]string{}, map[string][]string{}
	brokers := map[int32]bool{}
	for tp, target := range proposed {
		sources := current[tp]
		if r, ok := ongoing[tp]; ok {
			sources = nil
			for _, id := range r.Replicas {
				if !containsID(r.AddingReplicas, id) {
					sources = append(sources, id)
				}
			}
		}
		for _, id := range sources {
			leader[tp.topic] = append(leader[tp.topic], fmt.Sprintf("%d:%d", tp.partition, id))
			brokers[id] = true
		}
		for _, id := range target {
			if !containsID(sources, id) {
				follower[tp.topic] = append(follower[tp.topic], fmt.Sprintf("%d:%d", tp.partition, id))
			}
			brokers[id] = true
		}
	}
	req := kmsg.NewPtrIncrementalAlterConfigsRequest()
	for topic, l := range leader {
		r := kmsg.NewIncrementalAlterConfigsRequestResource()
		r.ResourceType = kmsg.ConfigResourceTypeTopic
		r.ResourceName = topic
		sort.Strings(l)
		r.Configs = append(r.Configs, configOp(topicLevelThrottles[0], 0, strings.Join(l, ",")))
		f := follower[topic]
		sort.Strings(f)
		r.Configs = append(r.Configs, configOp(topicLevelThrottles[1], 0, strings.Join(f, ",")))
		req.Resources = append(req.Resources, r)
	}
	if err := s.alterConfigs(req); err != nil {
		return err
	}
	// Like Kafka, the broker rates go in a second request.
	req = kmsg.NewPtrIncrementalAlterConfigsRequest()
	for id := range brokers {
		r := kmsg.NewIncrementalAlterConfigsRequestResource()
		r.ResourceType = kmsg.ConfigResourceTypeBroker
		r.ResourceName = strconv.Itoa(int(id))
		v := strconv.FormatInt(rate, 10)
		r.Configs = append(r.Configs, configOp(brokerLevelThrottles[0], 0, v), configOp(brokerLevelThrottles[1], 0, v))
		req.Resources = append(req.Resources, r)
	}
	if err := s.alterConfigs(req); err != nil {
		return err
	}
	fmt.Fprintf(s.e.stdout, "The inter-broker throttle limit was set to %d B/s\n", rate)
	return nil
}

func containsID(ids []int32, id int32) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

func configOp(name string, op int8, value string) kmsg.IncrementalAlterConfigsRequestResourceConfig {
	c := kmsg.NewIncrementalAlterConfigsRequestResourceConfig()
	c.Name, c.Op = name, kmsg.IncrementalAlterConfigOp(op)
	if op == 0 {
		c.Value = kmsg.StringPtr(value)
	}
	return c
}

// alterConfigs sends IncrementalAlterConfigs; a broker without that API
// gives the Java client's UnsupportedVersionException.
func (s *reassignService) alterConfigs(req *kmsg.IncrementalAlterConfigsRequest) error {
	raw, err := s.request("incrementalAlterConfigs", req)
	if err != nil {
		if strings.Contains(err.Error(), "too old") || strings.Contains(err.Error(), "not support") {
			return unsupportedAPI("INCREMENTAL_ALTER_CONFIGS")
		}
		return err
	}
	for _, r := range raw.(*kmsg.IncrementalAlterConfigsResponse).Resources {
		if err := brokerError(r.ErrorCode, r.ErrorMessage); err != nil {
			return err
		}
	}
	return nil
}

// --verify

// reassignmentState is PartitionReassignmentState.
type reassignmentState struct {
	current, target []int32
	done            bool
}

func (s *reassignService) verifyAssignment(data []byte, preserveThrottles bool) error {
	parts, dirs, err := parseReassignmentJSON(data)
	if err != nil {
		return err
	}
	states, ongoing, err := s.reassignmentStates(parts)
	if err != nil {
		return err
	}
	fmt.Fprintln(s.e.stdout, reassignmentStatesString(states))
	movesOngoing, err := s.verifyReplicaMoves(dirs)
	if err != nil {
		return err
	}
	if !ongoing && !movesOngoing && !preserveThrottles {
		return s.clearAllThrottles(parts)
	}
	return nil
}

// reassignmentStates is findPartitionReassignmentStates; ongoing tells
// whether any reassignment at all is active in the cluster.
func (s *reassignService) reassignmentStates(parts []partitionAssignment) (map[topicPartition]reassignmentState, bool, error) {
	active, err := s.ongoingReassignments(nil)
	if err != nil {
		return nil, false, err
	}
	states := map[topicPartition]reassignmentState{}
	var lookUp []string
	for _, p := range parts {
		if r, ok := active[p.tp]; ok {
			states[p.tp] = reassignmentState{r.Replicas, p.replicas, false}
		} else if !contains(lookUp, p.tp.topic) {
			lookUp = append(lookUp, p.tp.topic)
		}
	}
	current := map[topicPartition][]int32{}
	for _, topic := range lookUp {
		a, err := s.replicaAssignment([]string{topic})
		var ke *kafkaError
		if errors.As(err, &ke) && ke.code == 3 {
			continue
		}
		if err != nil {
			return nil, false, err
		}
		for tp, r := range a {
			current[tp] = r
		}
	}
	for _, p := range parts {
		if _, ok := states[p.tp]; !ok {
			states[p.tp] = reassignmentState{current[p.tp], p.replicas, true}
		}
	}
	return states, len(active) > 0, nil
}

// reassignmentStatesString is partitionReassignmentStatesToString.
func reassignmentStatesString(states map[topicPartition]reassignmentState) string {
	lines := []string{"Status of partition reassignment:"}
	for _, tp := range sortedKeys(states) {
		st := states[tp]
		switch {
		case !st.done:
			lines = append(lines, fmt.Sprintf("Reassignment of partition %s is still in progress.", tp))
		case equalIDs(st.current, st.target):
			lines = append(lines, fmt.Sprintf("Reassignment of partition %s is complete.", tp))
		default:
			lines = append(lines, fmt.Sprintf("There is no active reassignment of partition %s, but replica set is %s rather than %s.",
				tp, strings.Join(intStrings(st.current), ","), strings.Join(intStrings(st.target), ",")))
		}
	}
	return strings.Join(lines, "\n")
}

func equalIDs(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// clearAllThrottles removes the reassignment throttles from every broker
// and from the topics of the file. A broker without IncrementalAlterConfigs
// cannot hold such throttles, so there is nothing to clear on it.
func (s *reassignService) clearAllThrottles(parts []partitionAssignment) error {
	live, err := s.clusterBrokers()
	if err != nil {
		return err
	}
	var brokers []int32
	for _, b := range live {
		brokers = append(brokers, b.ID)
	}
	var topics []string
	for _, p := range parts {
		for _, id := range p.replicas {
			if !containsID(brokers, id) {
				brokers = append(brokers, id)
			}
		}
		if !contains(topics, p.tp.topic) {
			topics = append(topics, p.tp.topic)
		}
	}
	sort.Slice(brokers, func(i, j int) bool { return brokers[i] < brokers[j] })
	fmt.Fprintf(s.e.stdout, "Clearing broker-level throttles on broker%s %s\n", plural(len(brokers)), strings.Join(intStrings(brokers), ","))
	req := kmsg.NewPtrIncrementalAlterConfigsRequest()
	for _, id := range brokers {
		r := kmsg.NewIncrementalAlterConfigsRequestResource()
		r.ResourceType = kmsg.ConfigResourceTypeBroker
		r.ResourceName = strconv.Itoa(int(id))
		for _, c := range brokerLevelThrottles {
			r.Configs = append(r.Configs, configOp(c, 1, ""))
		}
		req.Resources = append(req.Resources, r)
	}
	if err := s.clearBrokerConfigs(req); err != nil {
		return err
	}
	fmt.Fprintf(s.e.stdout, "Clearing topic-level throttles on topic%s %s\n", plural(len(topics)), strings.Join(topics, ","))
	req = kmsg.NewPtrIncrementalAlterConfigsRequest()
	for _, t := range topics {
		r := kmsg.NewIncrementalAlterConfigsRequestResource()
		r.ResourceType = kmsg.ConfigResourceTypeTopic
		r.ResourceName = t
		for _, c := range topicLevelThrottles {
			r.Configs = append(r.Configs, configOp(c, 1, ""))
		}
		req.Resources = append(req.Resources, r)
	}
	return s.alterConfigs(req)
}

// clearBrokerConfigs deletes broker-level throttles. A broker that does not
// offer IncrementalAlterConfigs (UNSUPPORTED_VERSION) or rejects dynamic
// broker configs (INVALID_REQUEST) cannot hold such throttles, so there is
// nothing to clear; deleting an absent key on Kafka succeeds.
func (s *reassignService) clearBrokerConfigs(req *kmsg.IncrementalAlterConfigsRequest) error {
	err := s.alterConfigs(req)
	var ke *kafkaError
	if errors.As(err, &ke) && (ke.code == 35 || ke.code == 42) {
		return nil
	}
	return err
}

// --cancel

func (s *reassignService) cancelAssignment(data []byte, preserveThrottles bool, moveTimeout time.Duration) error {
	parts, dirs, err := parseReassignmentJSON(data)
	if err != nil {
		return err
	}
	var tps []topicPartition
	for _, p := range parts {
		tps = append(tps, p.tp)
	}
	active, err := s.ongoingReassignments(tps)
	if err != nil {
		return err
	}
	cancel := map[topicPartition][]int32{}
	for tp, r := range active {
		if len(r.AddingReplicas) > 0 || len(r.RemovingReplicas) > 0 {
			cancel[tp] = nil
		}
	}
	if len(cancel) > 0 {
		errs, err := s.alterReassignments(cancel)
		if err != nil {
			return err
		}
		if len(errs) > 0 {
			var lines []string
			for _, tp := range sortedKeys(errs) {
				lines = append(lines, fmt.Sprintf("%s: %s", tp, javaMessage(errs[tp])))
			}
			return &reassignFailure{fmt.Sprintf("Error cancelling partition reassignment%s for:\n%s", plural(len(errs)), strings.Join(lines, "\n"))}
		}
		fmt.Fprintf(s.e.stdout, "Successfully cancelled partition reassignment%s for: %s\n", plural(len(cancel)), joinTopicPartitions(sortedKeys(cancel), ","))
	} else {
		fmt.Fprintln(s.e.stdout, "None of the specified partition reassignments are active.")
	}
	// Moves in progress are cancelled by asking for the dir the replica is in.
	states, err := s.replicaLogDirStates(dirs)
	if err != nil {
		return err
	}
	var moving []replicaLogDir
	for r, st := range states {
		if st.current != "" && st.future != "" {
			moving = append(moving, replicaLogDir{r.tp, r.broker, st.current})
		}
	}
	if len(moving) == 0 {
		fmt.Fprintln(s.e.stdout, "None of the specified partition moves are active.")
	} else if err := s.executeMoves(moving, moveTimeout); err != nil {
		return err
	}
	if !preserveThrottles {
		return s.clearAllThrottles(parts)
	}
	return nil
}

// --list

func (s *reassignService) listReassignments() error {
	active, err := s.ongoingReassignments(nil)
	if err != nil {
		return err
	}
	fmt.Fprintln(s.e.stdout, reassignmentsString(active))
	return nil
}

// reassignmentsString is curReassignmentsToString.
func reassignmentsString(active map[topicPartition]kmsg.ListPartitionReassignmentsResponseTopicPartition) string {
	if len(active) == 0 {
		return "No partition reassignments found."
	}
	lines := []string{"Current partition reassignments:"}
	for _, tp := range sortedKeys(active) {
		r := active[tp]
		line := fmt.Sprintf("%s: replicas: %s.", tp, strings.Join(intStrings(r.Replicas), ","))
		if len(r.AddingReplicas) > 0 {
			line += fmt.Sprintf(" adding: %s.", strings.Join(intStrings(r.AddingReplicas), ","))
		}
		if len(r.RemovingReplicas) > 0 {
			line += fmt.Sprintf(" removing: %s.", strings.Join(intStrings(r.RemovingReplicas), ","))
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}
