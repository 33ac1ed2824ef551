package tools

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gokafka/kafka/core/internal/reqtopics"
)

// kafka-leader-election.sh (Kafka 2.8 LeaderElectionCommand) and the
// deprecated kafka-preferred-replica-election.sh
// (PreferredReplicaLeaderElectionCommand): ask the controller, through the
// ElectLeaders API, to move leadership to the preferred replica or to any
// live replica (unclean).

const leaderElectionHelp = "This tool attempts to elect a new leader for a set of topic partitions. The type of elections supported are preferred replicas and unclean replicas."

// electionTimeout is the 30 s request timeout both election tools use.
const electionTimeoutMs = 30000

func leaderElectionParser() *optionParser {
	p := newOptionParser()
	p.withArg("bootstrap-server", "A hostname and port for the broker to connect to, in the form host:port. Multiple comma separated URLs can be given. REQUIRED.").describedAs("host:port")
	p.withArg("admin.config", "Configuration properties files to pass to the admin client").describedAs("config file")
	p.withArg("path-to-json-file", "The JSON file with the list  of partition for which leader elections should be performed. This is an example format. \n{\"partitions\":\n\t[{\"topic\": \"foo\", \"partition\": 1},\n\t {\"topic\": \"foobar\", \"partition\": 2}]\n}\nNot allowed if --all-topic-partitions or --topic flags are specified.").describedAs("Path to JSON file")
	p.withArg("topic", "Name of topic for which to perform an election. Not allowed if --path-to-json-file or --all-topic-partitions is specified.").describedAs("topic name")
	p.withArg("partition", "Partition id for which to perform an election. REQUIRED if --topic is specified.").describedAs("partition id").ofType("Integer")
	p.flag("all-topic-partitions", "Perform election on all of the topic partitions. Not allowed if --topic or --path-to-json-file is specified.")
	p.withArg("election-type", "Type of election to attempt. Possible values are \"preferred\" for preferred leader election or \"unclean\" for unclean leader election. If preferred election is selection, the election is only performed if the current leader is not the preferred leader for the topic partition. If unclean election is selected, the election is only performed if there are no leader for the topic partition. REQUIRED.").describedAs("election type")
	return p
}

func sortTopicPartitions(tps []topicPartition) {
	sort.Slice(tps, func(i, j int) bool {
		if tps[i].topic != tps[j].topic {
			return tps[i].topic < tps[j].topic
		}
		return tps[i].partition < tps[j].partition
	})
}

func joinTopicPartitions(tps []topicPartition, sep string) string {
	parts := make([]string, len(tps))
	for i, tp := range tps {
		parts[i] = tp.String()
	}
	return strings.Join(parts, sep)
}

// electionType is org.apache.kafka.common.ElectionType.
type electionType struct {
	name  string
	value int8
}

var (
	preferredElection = electionType{"PREFERRED", 0}
	uncleanElection   = electionType{"UNCLEAN", 1}
)

// parseElectionType is jopt-simple's EnumConverter: case-insensitive names.
func parseElectionType(v string) (electionType, error) {
	for _, t := range []electionType{preferredElection, uncleanElection} {
		if strings.EqualFold(v, t.name) {
			return t, nil
		}
	}
	return electionType{}, &optionError{fmt.Sprintf("Cannot parse argument '%s' of option election-type", v)}
}

// adminCommandFailed is kafka.common.AdminCommandFailedException.
func adminCommandFailed(msg string) error {
	return &javaError{"kafka.common.AdminCommandFailedException", msg}
}

// adminOperation is kafka.admin.AdminOperationException.
func adminOperation(msg string) error {
	return &javaError{"kafka.admin.AdminOperationException", msg}
}

// parseElectionPartitions reads {"partitions":[{"topic":"t","partition":0},...]};
// what names the data in messages differs between the two election tools.
func parseElectionPartitions(data []byte, what string) ([]topicPartition, error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(data, &doc); err != nil || doc == nil {
		return nil, adminOperation(what + " data is empty")
	}
	raw, ok := doc["partitions"]
	if !ok {
		if what == "Replica election" {
			return nil, adminOperation("Replica election data is missing \"partition\" field")
		}
		return nil, adminOperation(what + " data is empty")
	}
	var entries []struct {
		Topic     *string `json:"topic"`
		Partition *int32  `json:"partition"`
	}
	if err := json.Unmarshal(raw, &entries); err != nil {
		return nil, adminOperation("Expected JSON array of partitions: " + err.Error())
	}
	var out []topicPartition
	seen := map[topicPartition]int{}
	var dups []string
	for _, e := range entries {
		if e.Topic == nil {
			return nil, adminOperation("No such field exists: `topic`")
		}
		if e.Partition == nil {
			return nil, adminOperation("No such field exists: `partition`")
		}
		tp := topicPartition{*e.Topic, *e.Partition}
		if seen[tp]++; seen[tp] == 2 {
			dups = append(dups, tp.String())
		}
		if seen[tp] == 1 {
			out = append(out, tp)
		}
	}
	if len(dups) > 0 {
		return nil, adminOperation(what + " data contains duplicate partitions: " + strings.Join(dups, ","))
	}
	return out, nil
}

// electionResults sorts the per-partition answers of ElectLeaders.
type electionResults struct {
	succeeded []topicPartition
	noop      []topicPartition // ELECTION_NOT_NEEDED
	failed    []topicPartition
	errors    map[topicPartition]error
}

const electionNotNeeded = 84

// electionErrorClasses complete javaExceptionClasses with the codes only
// elections return.
var electionErrorClasses = map[int16]string{
	83: "PreferredLeaderNotAvailableException",
	84: "ElectionNotNeededException",
	85: "EligibleLeadersNotAvailableException",
}

// javaToString is Throwable.toString: "class: message".
func javaToString(err error) string {
	if ke, ok := err.(*kafkaError); ok {
		if c, ok := electionErrorClasses[ke.code]; ok {
			return "org.apache.kafka.common.errors." + c + ": " + ke.msg
		}
	}
	return javaClassOf(err) + ": " + javaMessage(err)
}

// electLeaders sends ElectLeaders; nil partitions means every partition.
func electLeaders(e *env, cl *kgo.Client, kind electionType, partitions []topicPartition) (*electionResults, error) {
	req := kmsg.NewPtrElectLeadersRequest()
	req.ElectionType = kind.value
	req.TimeoutMillis = electionTimeoutMs
	if partitions != nil {
		byTopic := map[string]int{}
		req.Topics = []kmsg.ElectLeadersRequestTopic{}
		for _, tp := range partitions {
			i := reqtopics.Slot(byTopic, tp.topic, func() int {
				t := kmsg.NewElectLeadersRequestTopic()
				t.Topic = tp.topic
				req.Topics = append(req.Topics, t)
				return len(req.Topics) - 1
			})
			req.Topics[i].Partitions = append(req.Topics[i].Partitions, tp.partition)
		}
	}
	ctx, cancel := withTimeout(2 * electionTimeoutMs * time.Millisecond)
	defer cancel()
	raw, err := adminRequest(ctx, cl, "electLeaders", req)
	if err != nil {
		return nil, err
	}
	resp := raw.(*kmsg.ElectLeadersResponse)
	if err := brokerError(resp.ErrorCode, nil); err != nil {
		return nil, err
	}
	r := &electionResults{errors: map[topicPartition]error{}}
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			tp := topicPartition{t.Topic, p.Partition}
			switch {
			case p.ErrorCode == 0:
				r.succeeded = append(r.succeeded, tp)
			case p.ErrorCode == electionNotNeeded && partitions == nil:
				// A Kafka 2.8 broker leaves these out of an answer for
				// all partitions; drop them if a broker sends them anyway.
			case p.ErrorCode == electionNotNeeded:
				r.noop = append(r.noop, tp)
			default:
				r.failed = append(r.failed, tp)
				r.errors[tp] = brokerError(p.ErrorCode, p.ErrorMessage)
			}
		}
	}
	sortTopicPartitions(r.succeeded)
	sortTopicPartitions(r.noop)
	sortTopicPartitions(r.failed)
	return r, nil
}

// electionClient builds the admin client both election tools use.
func electionClient(e *env, o *optionSet, configOpt string) *kgo.Client {
	props := map[string]string{}
	if o.has(configOpt) {
		p, err := loadProps(o.valueOf(configOpt))
		if err != nil {
			e.javaException("java.nio.file.NoSuchFileException", o.valueOf(configOpt))
		}
		props = p
	}
	props["bootstrap.servers"] = o.valueOf("bootstrap-server")
	props["request.timeout.ms"] = strconv.Itoa(electionTimeoutMs)
	if _, ok := props["default.api.timeout.ms"]; !ok {
		props["default.api.timeout.ms"] = strconv.Itoa(2 * electionTimeoutMs)
	}
	cl, _, err := newAdminClient(e, props)
	if err != nil {
		e.javaException(javaClassOf(err), err.Error())
	}
	return cl
}

// electionRequestFailed reports a failed ElectLeaders call the way both
// tools do: a line on stdout for timeouts and authorization, then the
// uncaught exception.
func (e *env) electionRequestFailed(err error) {
	cls := javaClassOf(err)
	switch {
	case strings.HasSuffix(cls, "TimeoutException"):
		fmt.Fprintln(e.stdout, "Timeout waiting for election results")
		e.javaException("kafka.common.AdminCommandFailedException", "Timeout waiting for election results")
	case strings.HasSuffix(cls, "ClusterAuthorizationException"):
		fmt.Fprintln(e.stdout, "Not authorized to perform leader election")
		e.javaException("kafka.common.AdminCommandFailedException", "Not authorized to perform leader election")
	}
	e.javaException("java.util.concurrent.ExecutionException", javaToString(err))
}

func runLeaderElection(e *env, args []string) int {
	return runGuarded(func() int {
		p := leaderElectionParser()
		o, err := p.parse(args)
		if err != nil {
			e.javaException(joptClass(err), err.Error())
		}
		e.printHelpAndExitIfNeeded(p, o, leaderElectionHelp)
		e.validateLeaderElectionArgs(o)
		kind, err := parseElectionType(o.valueOf("election-type"))
		if err != nil {
			e.javaException("joptsimple.OptionArgumentConversionException", err.Error())
		}
		var partitions []topicPartition
		switch {
		case o.has("path-to-json-file"):
			partitions = e.readElectionFile(o.valueOf("path-to-json-file"), "Replica election")
		case o.has("topic"):
			n, err := o.intOf("partition")
			if err != nil {
				e.javaException("joptsimple.OptionArgumentConversionException", err.Error())
			}
			partitions = []topicPartition{{o.valueOf("topic"), n}}
		}
		cl := electionClient(e, o, "admin.config")
		defer cl.Close()
		res, err := electLeaders(e, cl, kind, partitions)
		if err != nil {
			e.electionRequestFailed(err)
		}
		if len(res.succeeded) > 0 {
			fmt.Fprintf(e.stdout, "Successfully completed leader election (%s) for partitions %s\n", kind.name, joinTopicPartitions(res.succeeded, ", "))
		}
		if len(res.noop) > 0 {
			fmt.Fprintf(e.stdout, "Valid replica already elected for partitions %s\n", joinTopicPartitions(res.noop, ", "))
		}
		if len(res.failed) > 0 {
			for _, tp := range res.failed {
				fmt.Fprintf(e.stdout, "Error completing leader election (%s) for partition: %s: %s\n", kind.name, tp, javaToString(res.errors[tp]))
			}
			e.javaException("kafka.common.AdminCommandFailedException", fmt.Sprintf("%d replica(s) could not be elected", len(res.failed)))
		}
		return 0
	})
}

// validateLeaderElectionArgs is LeaderElectionCommand.validate.
func (e *env) validateLeaderElectionArgs(o *optionSet) {
	var missing []string
	if !o.has("election-type") {
		missing = append(missing, "election-type")
	}
	if !o.has("bootstrap-server") {
		missing = append(missing, "bootstrap-server")
	}
	if len(missing) > 0 {
		e.javaException("kafka.common.AdminCommandFailedException", "Missing required option(s): "+strings.Join(missing, ", "))
	}
	n := 0
	for _, name := range []string{"topic", "all-topic-partitions", "path-to-json-file"} {
		if o.has(name) {
			n++
		}
	}
	if n != 1 {
		e.javaException("kafka.common.AdminCommandFailedException", "One and only one of the following options is required: topic, all-topic-partitions, path-to-json-file")
	}
	switch {
	case o.has("topic") && !o.has("partition"):
		e.javaException("kafka.common.AdminCommandFailedException", "Missing required option(s): partition")
	case !o.has("topic") && o.has("partition"):
		e.javaException("kafka.common.AdminCommandFailedException", "Option partition is only allowed if topic is used")
	}
}

// readElectionFile reads and parses a partitions JSON file, failing like the
// uncaught exceptions of the Java tools.
func (e *env) readElectionFile(path, what string) []topicPartition {
	data, err := os.ReadFile(path)
	if err != nil {
		e.javaException("java.nio.file.NoSuchFileException", path)
	}
	tps, err := parseElectionPartitions(data, what)
	if err != nil {
		e.javaException(javaClassOf(err), err.Error())
	}
	return tps
}

const preferredElectionHelp = "This tool helps to causes leadership for each partition to be transferred back to the 'preferred replica', it can be used to balance leadership among the servers."

func preferredElectionParser() *optionParser {
	p := newOptionParser()
	p.withArg("path-to-json-file", "The JSON file with the list of partitions for which preferred replica leader election should be done, in the following format - \n{\"partitions\":\n\t[{\"topic\": \"foo\", \"partition\": 1},\n\t {\"topic\": \"foobar\", \"partition\": 2}]\n}\nDefaults to all existing partitions").describedAs("list of partitions for which preferred replica leader election needs to be triggered")
	p.withArg("zookeeper", "DEPRECATED. The connection string for the zookeeper connection in the form host:port. Multiple URLS can be given to allow fail-over. Replaced by --bootstrap-server, REQUIRED unless --bootstrap-server is given.").describedAs("urls")
	p.withArg("bootstrap-server", "A hostname and port for the broker to connect to, in the form host:port. Multiple comma-separated URLs can be given. REQUIRED unless --zookeeper is given.").describedAs("host:port")
	p.withArg("admin.config", "Admin client config properties file to pass to the admin client when --bootstrap-server is given.").describedAs("config file")
	return p
}

// runPreferredReplicaElection is PreferredReplicaLeaderElectionCommand with
// --bootstrap-server; the --zookeeper path is not offered by this build.
func runPreferredReplicaElection(e *env, args []string) int {
	fmt.Fprintln(e.stdout, "This tool is deprecated. Please use kafka-leader-election tool. Tracking issue: KAFKA-8405")
	return runGuarded(func() int {
		p := preferredElectionParser()
		o, err := p.parse(args)
		if err != nil {
			e.javaException(joptClass(err), err.Error())
		}
		e.printHelpAndExitIfNeeded(p, o, preferredElectionHelp)
		if o.has("bootstrap-server") == o.has("zookeeper") {
			e.printUsageAndDie(p, "Exactly one of '[bootstrap-server]' or '[zookeeper]' must be provided")
		}
		if o.has("zookeeper") {
			fmt.Fprintln(e.stderr, "The --zookeeper option is not supported by this build; use --bootstrap-server.")
			return 1
		}
		var partitions []topicPartition
		if o.has("path-to-json-file") {
			partitions = e.readElectionFile(o.valueOf("path-to-json-file"), "Preferred replica election")
		}
		cl := electionClient(e, o, "admin.config")
		defer cl.Close()
		res, err := electLeaders(e, cl, preferredElection, partitions)
		if err != nil {
			e.electionRequestFailed(err)
		}
		if len(res.succeeded) > 0 {
			fmt.Fprintf(e.stdout, "Successfully completed preferred leader election for partitions %s\n", joinTopicPartitions(res.succeeded, ", "))
		}
		if len(res.noop) > 0 {
			// Kafka 2.8 lists the succeeded partitions on this line, not the
			// no-op ones; scripts may depend on it, so the quirk is kept.
			fmt.Fprintf(e.stdout, "Preferred replica already elected for partitions %s\n", joinTopicPartitions(res.succeeded, ", "))
		}
		if len(res.failed) > 0 {
			for _, tp := range res.failed {
				fmt.Fprintf(e.stdout, "Error completing preferred leader election for partition: %s: %s\n", tp, javaToString(res.errors[tp]))
			}
			e.javaException("kafka.common.AdminCommandFailedException", fmt.Sprintf("%d preferred replica(s) could not be elected", len(res.failed)))
		}
		return 0
	})
}
