package tools

import (
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// kafka-topics.sh (Kafka 2.8 TopicCommand): create, list, describe, alter and
// delete topics through a broker (--bootstrap-server) or directly in
// ZooKeeper (--zookeeper, deprecated but still working in 2.8).

const (
	topicsHelp  = "This tool helps to create, delete, describe, or change a topic."
	topicsUsage = "Create, delete, describe, or change a topic."
	topicsExtra = " (the kafka-configs CLI supports altering topic configs with a --bootstrap-server option)"
)

func topicsParser() *optionParser {
	p := newOptionParser()
	p.withArg("bootstrap-server", "REQUIRED: The Kafka server to connect to. In case of providing this, a direct Zookeeper connection won't be required.").describedAs("server to connect to")
	p.withArg("command-config", "Property file containing configs to be passed to Admin Client. This is used only with --bootstrap-server option for describing and altering broker configs.").describedAs("command config property file")
	p.withArg("zookeeper", "DEPRECATED, The connection string for the zookeeper connection in the form host:port. Multiple hosts can be given to allow fail-over.").describedAs("hosts")
	p.flag("list", "List all available topics.")
	p.flag("create", "Create a new topic.")
	p.flag("delete", "Delete a topic")
	p.flag("alter", "Alter the number of partitions, replica assignment, and/or configuration for the topic.")
	p.flag("describe", "List details for the given topics.")
	p.withArg("topic", "The topic to create, alter, describe or delete. It also accepts a regular expression, except for --create option. Put topic name in double quotes and use the '\\' prefix to escape regular expression symbols; e.g. \"test\\.topic\".").describedAs("topic")
	p.withArg("config", "A topic configuration override for the topic being created or altered. The following is a list of valid configurations: \n"+
		"\t"+strings.Join(topicConfigNames(), "\n\t")+"\n"+
		"See the Kafka documentation for full details on the topic configs. It is supported only in combination with --create if --bootstrap-server option is used"+topicsExtra+".").describedAs("name=value")
	p.withArg("delete-config", "A topic configuration override to be removed for an existing topic (see the list of configurations under the --config option). Not supported with the --bootstrap-server option.").describedAs("name")
	p.withArg("partitions", "The number of partitions for the topic being created or altered (WARNING: If partitions are increased for a topic that has a key, the partition logic or ordering of the messages will be affected). If not supplied for create, defaults to the cluster default.").describedAs("# of partitions").ofType("Integer")
	p.withArg("replication-factor", "The replication factor for each partition in the topic being created. If not supplied, defaults to the cluster default.").describedAs("replication factor").ofType("Integer")
	p.withArg("replica-assignment", "A list of manual partition-to-broker assignments for the topic being created or altered.").describedAs("broker_id_for_part1_replica1 : broker_id_for_part1_replica2 , broker_id_for_part2_replica1 : broker_id_for_part2_replica2 , ...")
	p.flag("under-replicated-partitions", "if set when describing topics, only show under replicated partitions")
	p.flag("unavailable-partitions", "if set when describing topics, only show partitions whose leader is not available")
	p.flag("under-min-isr-partitions", "if set when describing topics, only show partitions whose isr count is less than the configured minimum. Not supported with the --zookeeper option.")
	p.flag("at-min-isr-partitions", "if set when describing topics, only show partitions whose isr count is equal to the configured minimum. Not supported with the --zookeeper option.")
	p.flag("topics-with-overrides", "if set when describing topics, only show topics that have overridden configs")
	p.flag("if-exists", "if set when altering or deleting or describing topics, the action will only execute if the topic exists.")
	p.flag("if-not-exists", "if set when creating topics, the action will only execute if the topic does not already exist.")
	p.flag("disable-rack-aware", "Disable rack aware replica assignment")
	p.flag("force", "Suppress console prompts")
	p.flag("exclude-internal", "exclude internal topics when running list or describe command. The internal topics will be listed by default")
	return p
}

// topicOptions is the parsed command line (TopicCommandOptions).
type topicOptions struct {
	*optionSet
}

func (o topicOptions) topic() (string, bool) { return o.valueOf("topic"), o.has("topic") }

var topicActions = []string{"create", "list", "alter", "describe", "delete"}
var replicationReports = []string{"under-replicated-partitions", "under-min-isr-partitions", "at-min-isr-partitions", "unavailable-partitions"}

// checkTopicArgs is TopicCommandOptions.checkArgs.
func (e *env) checkTopicArgs(p *optionParser, o *optionSet) {
	if o.argCount == 0 {
		e.printUsageAndDie(p, topicsUsage)
	}
	e.printHelpAndExitIfNeeded(p, o, topicsHelp)
	n := 0
	for _, a := range topicActions {
		if o.has(a) {
			n++
		}
	}
	if n != 1 {
		e.printUsageAndDie(p, "Command must include exactly one action: --list, --describe, --create, --alter or --delete")
	}
	if o.has("bootstrap-server") == o.has("zookeeper") {
		e.javaException("java.lang.IllegalArgumentException", "Only one of --bootstrap-server or --zookeeper must be specified")
	}
	if o.has("describe") && o.has("if-exists") {
		e.checkRequiredArgs(p, o, "topic")
	}
	if !o.has("list") && !o.has("describe") {
		e.checkRequiredArgs(p, o, "topic")
	}
	if o.has("create") && !o.has("replica-assignment") && o.has("zookeeper") {
		e.checkRequiredArgs(p, o, "partitions", "replication-factor")
	}
	if o.has("bootstrap-server") && o.has("alter") {
		if o.has("config") {
			e.printUsageAndDie(p, "Option combination \"[bootstrap-server],[config]\" can't be used with option \"[alter]\""+topicsExtra)
		}
		e.checkRequiredArgs(p, o, "partitions")
	}
	except := func(keep ...string) []string {
		var out []string
		for _, a := range topicActions {
			if !contains(keep, a) {
				out = append(out, a)
			}
		}
		return out
	}
	e.checkInvalidArgs(p, o, "config", except("alter", "create")...)
	e.checkInvalidArgs(p, o, "delete-config", append(except("alter"), "bootstrap-server")...)
	e.checkInvalidArgs(p, o, "partitions", except("alter", "create")...)
	e.checkInvalidArgs(p, o, "replication-factor", except("create")...)
	e.checkInvalidArgs(p, o, "replica-assignment", except("create", "alter")...)
	if o.has("create") {
		e.checkInvalidArgs(p, o, "replica-assignment", "partitions", "replication-factor")
	}
	for _, r := range replicationReports {
		invalid := append(except("describe"), "topics-with-overrides")
		for _, other := range replicationReports {
			if other != r {
				invalid = append(invalid, other)
			}
		}
		if r == "under-min-isr-partitions" || r == "at-min-isr-partitions" {
			invalid = append(invalid, "zookeeper")
		}
		e.checkInvalidArgs(p, o, r, invalid...)
	}
	e.checkInvalidArgs(p, o, "topics-with-overrides", append(except("describe"), replicationReports...)...)
	e.checkInvalidArgs(p, o, "if-exists", except("alter", "delete", "describe")...)
	e.checkInvalidArgs(p, o, "if-not-exists", except("create")...)
	e.checkInvalidArgs(p, o, "exclude-internal", except("list", "describe")...)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// topicService is implemented once over the admin protocol and once over
// ZooKeeper, as in TopicCommand.
type topicService interface {
	createTopic(o topicOptions, t *commandTopic) error
	listTopics(o topicOptions) error
	alterTopic(o topicOptions) error
	describeTopic(o topicOptions) error
	deleteTopic(o topicOptions) error
	close()
}

// topicsOut is where services print; stdout of the tool.
type topicsOut struct{ w io.Writer }

func runTopics(e *env, args []string) int {
	return runGuarded(func() int {
		p := topicsParser()
		o, err := p.parse(args)
		if err != nil {
			e.javaException(joptClass(err), err.Error())
		}
		e.checkTopicArgs(p, o)
		opts := topicOptions{o}
		var svc topicService
		if o.has("zookeeper") {
			svc, err = newZkTopicService(e, o.valueOf("zookeeper"))
		} else {
			svc, err = newAdminTopicService(e, opts)
		}
		if err != nil {
			return e.topicCommandError(err)
		}
		defer svc.close()
		switch {
		case o.has("create"):
			err = e.createTopic(svc, opts)
		case o.has("alter"):
			err = svc.alterTopic(opts)
		case o.has("list"):
			err = svc.listTopics(opts)
		case o.has("describe"):
			err = svc.describeTopic(opts)
		case o.has("delete"):
			err = svc.deleteTopic(opts)
		}
		if err != nil {
			return e.topicCommandError(err)
		}
		return 0
	})
}

// topicCommandError prints a failure the way TopicCommand.printException does:
// the message on stdout, the exception logged at ERROR on stderr.
func (e *env) topicCommandError(err error) int {
	fmt.Fprintln(e.stdout, "Error while executing topic command : "+javaMessage(err))
	toolLogger(e.stderr, "kafka.admin.TopicCommand$").Error(javaClassOf(err) + ": " + javaMessage(err) + "\n")
	return 1
}

func joptClass(err error) string {
	msg := err.Error()
	switch {
	case strings.HasSuffix(msg, "is not a recognized option"):
		return "joptsimple.UnrecognizedOptionException"
	case strings.HasSuffix(msg, "requires an argument"):
		return "joptsimple.OptionMissingRequiredArgumentException"
	case strings.HasPrefix(msg, "Missing required option"):
		return "joptsimple.MissingRequiredOptionsException"
	}
	return "joptsimple.OptionException"
}

// javaError is a tool-side failure with the Java exception class Kafka raises.
type javaError struct {
	class string
	msg   string
}

func (e *javaError) Error() string { return e.msg }

func illegalArgument(format string, a ...any) error {
	return &javaError{"java.lang.IllegalArgumentException", fmt.Sprintf(format, a...)}
}

// javaExceptionClasses names the exceptions behind broker error codes.
var javaExceptionClasses = map[int16]string{
	-1: "UnknownServerException", 3: "UnknownTopicOrPartitionException", 7: "TimeoutException",
	17: "InvalidTopicException", 29: "TopicAuthorizationException", 31: "ClusterAuthorizationException",
	35: "UnsupportedVersionException", 36: "TopicExistsException", 37: "InvalidPartitionsException",
	38: "InvalidReplicationFactorException", 39: "InvalidReplicaAssignmentException",
	40: "InvalidConfigurationException", 41: "NotControllerException", 42: "InvalidRequestException",
	44: "PolicyViolationException", 60: "ReassignmentInProgressException",
	14: "CoordinatorLoadInProgressException", 15: "CoordinatorNotAvailableException", 16: "NotCoordinatorException",
	24: "InvalidGroupIdException", 30: "GroupAuthorizationException", 68: "GroupNotEmptyException",
	69: "GroupIdNotFoundException", 86: "GroupSubscribedToTopicException",
}

func javaClassOf(err error) string {
	switch e := err.(type) {
	case *javaError:
		return e.class
	case *kafkaError:
		if c, ok := javaExceptionClasses[e.code]; ok {
			return "org.apache.kafka.common.errors." + c
		}
		return "org.apache.kafka.common.KafkaException"
	}
	return "org.apache.kafka.common.KafkaException"
}

// commandTopic is TopicCommand.CommandTopicPartition: the validated inputs
// of --create and --alter.
type commandTopic struct {
	name              string
	partitions        *int32
	replicationFactor *int32
	assignment        [][]int32
	configsToAdd      map[string]string
	configOrder       []string
	configsToDelete   []string
}

func newCommandTopic(o topicOptions) (*commandTopic, error) {
	t := &commandTopic{name: o.valueOf("topic")}
	if o.has("partitions") {
		n, err := o.intOf("partitions")
		if err != nil {
			return nil, &javaError{"joptsimple.OptionArgumentConversionException", err.Error()}
		}
		t.partitions = &n
	}
	if o.has("replication-factor") {
		n, err := o.intOf("replication-factor")
		if err != nil {
			return nil, &javaError{"joptsimple.OptionArgumentConversionException", err.Error()}
		}
		t.replicationFactor = &n
	}
	if o.has("replica-assignment") && o.valueOf("replica-assignment") != "" {
		a, err := parseReplicaAssignment(o.valueOf("replica-assignment"))
		if err != nil {
			return nil, err
		}
		t.assignment = a
	}
	var err error
	if t.configsToAdd, t.configOrder, err = parseTopicConfigsToBeAdded(o.valuesOf("config")); err != nil {
		return nil, err
	}
	if t.configsToDelete, err = parseTopicConfigsToBeDeleted(o.valuesOf("delete-config")); err != nil {
		return nil, err
	}
	return t, nil
}

// createTopic prints the collision warning shared by both services, then creates.
func (e *env) createTopic(svc topicService, o topicOptions) error {
	t, err := newCommandTopic(o)
	if err != nil {
		return err
	}
	if strings.ContainsAny(t.name, "._") {
		fmt.Fprintln(e.stdout, "WARNING: Due to limitations in metric names, topics with a period ('.') or underscore ('_') could collide. To avoid issues it is best to use either, but not both.")
	}
	return svc.createTopic(o, t)
}

var configSplit = regexp.MustCompile(`\s*=\s*`)

// parseTopicConfigsToBeAdded splits "k=v" pairs and validates them like LogConfig.validate.
func parseTopicConfigsToBeAdded(pairs []string) (map[string]string, []string, error) {
	props := map[string]string{}
	var order []string
	for _, pair := range pairs {
		kv := configSplit.Split(pair, -1)
		if len(kv) != 2 {
			return nil, nil, illegalArgument("requirement failed: Invalid topic config: all configs to be added must be in the format \"key=val\".")
		}
		k, v := strings.TrimSpace(kv[0]), strings.TrimSpace(kv[1])
		if _, seen := props[k]; !seen {
			order = append(order, k)
		}
		props[k] = v
	}
	for _, k := range order {
		if err := validateTopicConfig(k, props[k]); err != nil {
			return nil, nil, err
		}
	}
	return props, order, nil
}

func parseTopicConfigsToBeDeleted(names []string) ([]string, error) {
	var out []string
	for _, n := range names {
		n = strings.TrimSpace(n)
		if _, ok := topicConfigDefs[n]; !ok {
			return nil, illegalArgument("requirement failed: Unknown topic config name: %s", n)
		}
		out = append(out, n)
	}
	return out, nil
}

// parseReplicaAssignment reads "1:2,2:3" into per-partition replica lists.
func parseReplicaAssignment(s string) ([][]int32, error) {
	var out [][]int32
	for i, part := range strings.Split(s, ",") {
		var brokers []int32
		seen := map[int32]bool{}
		var dups []string
		for _, b := range strings.Split(part, ":") {
			b = strings.TrimSpace(b)
			n, err := strconv.ParseInt(b, 10, 32)
			if err != nil {
				return nil, &javaError{"java.lang.NumberFormatException", fmt.Sprintf("For input string: \"%s\"", b)}
			}
			if seen[int32(n)] {
				dups = append(dups, b)
			}
			seen[int32(n)] = true
			brokers = append(brokers, int32(n))
		}
		if len(dups) > 0 {
			return nil, &javaError{"kafka.common.AdminCommandFailedException", "Partition replica lists may not contain duplicate entries: " + strings.Join(dups, ",")}
		}
		out = append(out, brokers)
		if len(brokers) != len(out[0]) {
			return nil, &javaError{"kafka.admin.AdminOperationException", fmt.Sprintf("Partition %d has different replication factor: [I@%x", i, javaStringHash(part)&0x7fffffff)}
		}
	}
	return out, nil
}

// topicFilter is Kafka's IncludeList: a Java regex matched against the whole
// name, with commas meaning alternation and quotes stripped.
type topicFilter struct{ re *regexp.Regexp }

var leadingQuotes, trailingQuotes = regexp.MustCompile(`^["']+`), regexp.MustCompile(`["']+$`)

func newTopicFilter(raw string) (*topicFilter, error) {
	r := strings.TrimSpace(raw)
	r = strings.ReplaceAll(r, ",", "|")
	r = strings.ReplaceAll(r, " ", "")
	r = leadingQuotes.ReplaceAllString(r, "")
	r = trailingQuotes.ReplaceAllString(r, "")
	re, err := regexp.Compile("^(?:" + r + ")$")
	if err != nil {
		return nil, &javaError{"java.lang.RuntimeException", r + " is an invalid regex."}
	}
	return &topicFilter{re}, nil
}

func (f *topicFilter) allowed(topic string, excludeInternal bool) bool {
	return f.re.MatchString(topic) && !(isInternalTopic(topic) && excludeInternal)
}

func isInternalTopic(t string) bool { return t == "__consumer_offsets" || t == "__transaction_state" }

// filterTopics is TopicCommand.doGetTopics over an already sorted list.
func filterTopics(all []string, o topicOptions) ([]string, error) {
	sort.Strings(all)
	exclude := o.has("exclude-internal")
	var out []string
	if raw, ok := o.topic(); ok {
		f, err := newTopicFilter(raw)
		if err != nil {
			return nil, err
		}
		for _, t := range all {
			if f.allowed(t, exclude) {
				out = append(out, t)
			}
		}
		return out, nil
	}
	for _, t := range all {
		if !(exclude && isInternalTopic(t)) {
			out = append(out, t)
		}
	}
	return out, nil
}

// ensureTopicExists fails when a named topic matched nothing.
func ensureTopicExists(found []string, o topicOptions) error {
	if raw, ok := o.topic(); ok && !o.has("if-exists") && len(found) == 0 {
		return illegalArgument("Topic '%s' does not exist as expected", raw)
	}
	return nil
}

// partitionDescription is what one describe line needs.
type partitionDescription struct {
	topic             string
	partition         int32
	leader            int32 // -1 when there is none
	replicas, isr     []int32
	adding, removing  []int32
	reassigning       bool
	minIsr            int // -1 when unknown (ZooKeeper path)
	markedForDeletion bool
}

func joinIDs(ids []int32) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.Itoa(int(id))
	}
	return strings.Join(s, ",")
}

func (d *partitionDescription) line() string {
	var b strings.Builder
	fmt.Fprintf(&b, "\tTopic: %s\tPartition: %d\tLeader: ", d.topic, d.partition)
	if d.leader >= 0 {
		b.WriteString(strconv.Itoa(int(d.leader)))
	} else {
		b.WriteString("none")
	}
	fmt.Fprintf(&b, "\tReplicas: %s\tIsr: %s", joinIDs(d.replicas), joinIDs(d.isr))
	if d.reassigning {
		fmt.Fprintf(&b, "\tAdding Replicas: %s\tRemoving Replicas: %s", joinIDs(d.adding), joinIDs(d.removing))
	}
	if d.markedForDeletion {
		b.WriteString("\tMarkedForDeletion: true")
	}
	return b.String()
}

// replicationFactor ignores replicas being added by a reassignment.
func (d *partitionDescription) replicationFactor() int {
	if !d.reassigning {
		return len(d.replicas)
	}
	changing := false
	for _, r := range d.replicas {
		changing = changing || contains32(d.adding, r) || contains32(d.removing, r)
	}
	if !changing {
		return len(d.replicas)
	}
	n := 0
	for _, r := range d.replicas {
		if !contains32(d.adding, r) {
			n++
		}
	}
	return n
}

func contains32(list []int32, v int32) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// describeFilter is TopicCommand.DescribeOptions.
type describeFilter struct {
	o           topicOptions
	liveBrokers map[int32]bool
}

func (f describeFilter) describeConfigs() bool {
	for _, r := range replicationReports {
		if f.o.has(r) {
			return false
		}
	}
	return true
}

func (f describeFilter) describePartitions() bool { return !f.o.has("topics-with-overrides") }

func (f describeFilter) shouldPrint(d *partitionDescription) bool {
	hasLeader := d.leader >= 0
	underMin := !hasLeader || (d.minIsr >= 0 && len(d.isr) < d.minIsr)
	atMin := d.minIsr >= 0 && len(d.isr) == d.minIsr
	return f.describeConfigs() ||
		(f.o.has("under-replicated-partitions") && d.replicationFactor()-len(d.isr) > 0) ||
		(f.o.has("unavailable-partitions") && (!hasLeader || !f.liveBrokers[d.leader])) ||
		(f.o.has("under-min-isr-partitions") && underMin) ||
		(f.o.has("at-min-isr-partitions") && atMin)
}

// topicHeader renders TopicCommand.TopicDescription.
func topicHeader(topic, topicID string, partitions, rf int, configs string, marked bool) string {
	var b strings.Builder
	b.WriteString("Topic: " + topic)
	if topicID != "" {
		b.WriteString("\tTopicId: " + topicID)
	}
	fmt.Fprintf(&b, "\tPartitionCount: %d\tReplicationFactor: %d\tConfigs: %s", partitions, rf, configs)
	if marked {
		b.WriteString("\tMarkedForDeletion: true")
	}
	return b.String()
}

// adminTimeout is the Java admin client's default.api.timeout.ms.
const adminTimeout = 60 * time.Second
