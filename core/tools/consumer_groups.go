package tools

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// kafka-consumer-groups.sh (Kafka 2.8 ConsumerGroupCommand): list,
// describe (offsets and lag, members, state), delete groups, reset and
// delete committed offsets.

const missingColumn = "-"

func consumerGroupsParser() *optionParser {
	p := newOptionParser()
	p.withArg("bootstrap-server", "REQUIRED: The server(s) to connect to.").describedAs("server to connect to")
	p.withArg("group", "The consumer group we wish to act on.").describedAs("consumer group")
	p.withArg("topic", "The topic whose consumer group information should be deleted or topic whose should be included in the reset offset process. In `reset-offsets` case, partitions can be specified using this format: `topic1:0,1,2`, where 0,1,2 are the partition to be included in the process. Reset-offsets also supports multiple topic inputs.").describedAs("topic")
	p.flag("all-topics", "Consider all topics assigned to a group in the `reset-offsets` process.")
	p.flag("list", "List all consumer groups.")
	p.flag("describe", "Describe consumer group and list offset lag (number of messages not yet processed) related to given group.")
	p.flag("all-groups", "Apply to all consumer groups.")
	p.flag("delete", "Pass in groups to delete topic partition offsets and ownership information over the entire consumer group. For instance --group g1 --group g2")
	p.withArg("timeout", "The timeout that can be set for some use cases. For example, it can be used when describing the group to specify the maximum amount of time in milliseconds to wait before the group stabilizes (when the group is just created, or is going through some changes).").describedAs("timeout (ms)").ofType("Long").withDefault("5000")
	p.withArg("command-config", "Property file containing configs to be passed to Admin Client and Consumer.").describedAs("command config property file")
	p.flag("reset-offsets", "Reset offsets of consumer group. Supports one consumer group at the time, and instances should be inactive\nHas 2 execution options: --dry-run (the default) to plan which offsets to reset, and --execute to update the offsets. Additionally, the --export option is used to export the results to a CSV format.\nYou must choose one of the following reset specifications: --to-datetime, --by-period, --to-earliest, --to-latest, --shift-by, --from-file, --to-current.\nTo define the scope use --all-topics or --topic. One scope must be specified unless you use '--from-file'.")
	p.flag("delete-offsets", "Delete offsets of consumer group. Supports one consumer group at the time, and multiple topics.")
	p.flag("dry-run", "Only show results without executing changes on Consumer Groups. Supported operations: reset-offsets.")
	p.flag("execute", "Execute operation. Supported operations: reset-offsets.")
	p.flag("export", "Export operation execution to a CSV file. Supported operations: reset-offsets.")
	p.withArg("to-offset", "Reset offsets to a specific offset.").describedAs("offset").ofType("Long")
	p.withArg("from-file", "Reset offsets to values defined in CSV file.").describedAs("path to CSV file")
	p.withArg("to-datetime", "Reset offsets to offset from datetime. Format: 'YYYY-MM-DDTHH:mm:SS.sss'").describedAs("datetime")
	p.withArg("by-duration", "Reset offsets to offset by duration from current timestamp. Format: 'PnDTnHnMnS'").describedAs("duration")
	p.flag("to-earliest", "Reset offsets to earliest offset.")
	p.flag("to-latest", "Reset offsets to latest offset.")
	p.flag("to-current", "Reset offsets to current offset.")
	p.withArg("shift-by", "Reset offsets shifting current offset by 'n', where 'n' can be positive or negative.").describedAs("number-of-offsets").ofType("Long")
	p.flag("members", "Describe members of the group. This option may be used with '--describe' and '--bootstrap-server' options only.\nExample: --bootstrap-server localhost:9092 --describe --group group1 --members")
	p.flag("verbose", "Provide additional information, if any, when describing the group. This option may be used with '--offsets'/'--members'/'--state' and '--bootstrap-server' options only.\nExample: --bootstrap-server localhost:9092 --describe --group group1 --members --verbose")
	p.flag("offsets", "Describe the group and list all topic partitions in the group along with their offset lag. This is the default sub-action of and may be used with '--describe' and '--bootstrap-server' options only.\nExample: --bootstrap-server localhost:9092 --describe --group group1 --offsets")
	p.withOptionalArg("state", "When specified with '--describe', includes the state of the group.\nExample: --bootstrap-server localhost:9092 --describe --group group1 --state\nWhen specified with '--list', it displays the state of all groups. It can also be used to list groups with specific states.\nExample: --bootstrap-server localhost:9092 --list --state stable,empty\nThis option may be used with '--describe', '--list' and '--bootstrap-server' options only.")
	return p
}

var resetScenarios = []string{"to-offset", "shift-by", "to-datetime", "by-duration", "to-earliest", "to-latest", "to-current", "from-file"}

// checkGroupArgs is ConsumerGroupCommandOptions.checkArgs (plus jopt-simple's
// availableIf rules for --members/--verbose/--offsets/--state).
func (e *env) checkGroupArgs(p *optionParser, o *optionSet) {
	e.checkRequiredArgs(p, o, "bootstrap-server")
	for _, n := range []string{"members", "verbose", "offsets"} {
		if o.has(n) && !o.has("describe") {
			e.printUsageAndDie(p, "Option(s) ["+n+"] are unavailable given other options on the command line")
		}
	}
	if o.has("state") && !o.has("describe") && !o.has("list") {
		e.printUsageAndDie(p, "Option(s) [state] are unavailable given other options on the command line")
	}
	scope := "[group], [all-groups]"
	if o.has("describe") {
		if !o.has("group") && !o.has("all-groups") {
			e.printUsageAndDie(p, "Option [describe] takes one of these options: "+scope)
		}
		n := 0
		for _, s := range []string{"members", "offsets", "state"} {
			if o.has(s) {
				n++
			}
		}
		if n > 1 {
			e.printUsageAndDie(p, "Option [describe] takes at most one of these options: [members], [offsets], [state]")
		}
		if o.has("state") && len(o.valuesOf("state")) > 0 {
			e.printUsageAndDie(p, "Option [describe] does not take a value for [state]")
		}
	}
	if o.has("delete") {
		if !o.has("group") && !o.has("all-groups") {
			e.printUsageAndDie(p, "Option [delete] takes one of these options: "+scope)
		}
		if o.has("topic") {
			e.printUsageAndDie(p, "The consumer does not support topic-specific offset deletion from a consumer group.")
		}
	}
	if o.has("delete-offsets") && (!o.has("group") || !o.has("topic")) {
		e.printUsageAndDie(p, "Option [delete-offsets] takes the following options: [group], [topic]")
	}
	if o.has("reset-offsets") {
		e.checkResetArgs(p, o, scope)
	}
	e.checkInvalidArgs(p, o, "group", "all-groups")
	e.checkInvalidArgs(p, o, "group", "list")
	e.checkInvalidArgs(p, o, "topic", "list", "describe")
}

func (e *env) checkResetArgs(p *optionParser, o *optionSet, scope string) {
	if o.has("dry-run") && o.has("execute") {
		e.printUsageAndDie(p, "Option [reset-offsets] only accepts one of [execute] and [dry-run]")
	}
	if !o.has("dry-run") && !o.has("execute") {
		fmt.Fprintln(e.stderr, "WARN: No action will be performed as the --execute option is missing.In a future major release, the default behavior of this command will be to prompt the user before executing the reset rather than doing a dry run. You should add the --dry-run option explicitly if you are scripting this command and want to keep the current default behavior without prompting.")
	}
	if !o.has("group") && !o.has("all-groups") {
		e.printUsageAndDie(p, "Option [reset-offsets] takes one of these options: "+scope)
	}
	for _, s := range resetScenarios {
		var others []string
		for _, x := range resetScenarios {
			if x != s {
				others = append(others, x)
			}
		}
		e.checkInvalidArgs(p, o, s, others...)
	}
}

// groupService talks to the cluster for ConsumerGroupCommand.
type groupService struct {
	e       *env
	p       *optionParser
	o       *optionSet
	cl      *kgo.Client
	adm     *kadm.Client
	timeout time.Duration
}

func runConsumerGroups(e *env, args []string) int {
	return runGuarded(func() int {
		p := consumerGroupsParser()
		o, err := p.parse(args)
		if err != nil {
			e.printUsageAndDie(p, err.Error())
		}
		e.checkGroupArgs(p, o)
		e.printHelpAndExitIfNeeded(p, o, "This tool helps to list all consumer groups, describe a consumer group, delete consumer group info, or reset consumer group offsets.")
		n := 0
		for _, a := range []string{"list", "describe", "delete", "reset-offsets", "delete-offsets"} {
			if o.has(a) {
				n++
			}
		}
		if n != 1 {
			e.printUsageAndDie(p, "Command must include exactly one action: --list, --describe, --delete, --reset-offsets, --delete-offsets")
		}
		props := map[string]string{}
		if o.has("command-config") {
			if props, err = loadProps(o.valueOf("command-config")); err != nil {
				e.javaException("java.nio.file.NoSuchFileException", o.valueOf("command-config"))
			}
		}
		props["bootstrap.servers"] = o.valueOf("bootstrap-server")
		cl, _, err := newAdminClient(e, props)
		if err != nil {
			e.javaException(javaClassOf(err), err.Error())
		}
		defer cl.Close()
		t, err := o.longOf("timeout")
		if err != nil {
			e.printUsageAndDie(p, err.Error())
		}
		s := &groupService{e: e, p: p, o: o, cl: cl, adm: kadm.NewClient(cl), timeout: time.Duration(t) * time.Millisecond}
		if err := s.run(); err != nil {
			if javaClassOf(err) == "java.lang.IllegalArgumentException" {
				e.printUsageAndDie(p, err.Error())
			}
			s.printError("Executing consumer group command failed due to "+exceptionText(err), true)
		}
		return 0
	})
}

// exceptionText renders an error like Java's Throwable.toString.
func exceptionText(err error) string { return javaClassOf(err) + ": " + javaMessage(err) }

func (s *groupService) run() error {
	switch {
	case s.o.has("list"):
		return s.listGroups()
	case s.o.has("describe"):
		return s.describeGroups()
	case s.o.has("delete"):
		return s.deleteGroups()
	case s.o.has("reset-offsets"):
		return s.resetOffsets()
	}
	return s.deleteOffsets()
}

// printError is ConsumerGroupCommand.printError: a blank line and the
// message on stdout (the stack trace would follow on stderr).
func (s *groupService) printError(msg string, withTrace bool) {
	fmt.Fprintf(s.e.stdout, "\nError: %s\n", msg)
	if withTrace {
		fmt.Fprintln(s.e.stderr, strings.TrimPrefix(msg, "Executing consumer group command failed due to "))
	}
}

func (s *groupService) request(call string, req kmsg.Request) (kmsg.Response, error) {
	ctx, cancel := withTimeout(s.timeout)
	defer cancel()
	return adminRequest(ctx, s.cl, call, req)
}

// listedGroup is one entry of ListGroups.
type listedGroup struct{ group, protocolType, state string }

func (s *groupService) listConsumerGroups() ([]listedGroup, error) {
	req := kmsg.NewPtrListGroupsRequest()
	resp, err := s.request("listConsumerGroups", req)
	if err != nil {
		return nil, err
	}
	r := resp.(*kmsg.ListGroupsResponse)
	if err := brokerError(r.ErrorCode, nil); err != nil {
		return nil, err
	}
	var out []listedGroup
	for _, g := range r.Groups {
		if g.ProtocolType == "consumer" || g.ProtocolType == "" {
			out = append(out, listedGroup{g.Group, g.ProtocolType, g.GroupState})
		}
	}
	return out, nil
}

func (s *groupService) listGroups() error {
	groups, err := s.listConsumerGroups()
	if err != nil {
		return err
	}
	if !s.o.has("state") {
		for _, g := range groups {
			fmt.Fprintln(s.e.stdout, g.group)
		}
		return nil
	}
	var filter []string
	if v := s.o.valueOf("state"); v != "" {
		for _, st := range strings.Split(v, ",") {
			name, ok := groupStateName(strings.TrimSpace(st))
			if !ok {
				return illegalArgument("Invalid state list '%s'. Valid states are: PreparingRebalance, CompletingRebalance, Stable, Dead, Empty", v)
			}
			filter = append(filter, name)
		}
	}
	width := 15
	var rows [][2]string
	for _, g := range groups {
		state := g.state
		if state == "" {
			state = s.describeState(g.group)
		}
		if len(filter) > 0 && !contains(filter, state) {
			continue
		}
		width = max(width, len(g.group))
		rows = append(rows, [2]string{g.group, state})
	}
	fmt.Fprintf(s.e.stdout, "%-*s %s\n", width, "GROUP", "STATE")
	for _, r := range rows {
		fmt.Fprintf(s.e.stdout, "%-*s %s\n", width, r[0], r[1])
	}
	return nil
}

// groupStateName is ConsumerGroupState.parse (case-insensitive).
func groupStateName(s string) (string, bool) {
	for _, n := range []string{"PreparingRebalance", "CompletingRebalance", "Stable", "Dead", "Empty"} {
		if strings.EqualFold(n, s) {
			return n, true
		}
	}
	return "", false
}

func (s *groupService) describeState(group string) string {
	d, err := s.describe([]string{group})
	if err != nil || len(d) == 0 {
		return "Unknown"
	}
	return d[group].State
}

// groupIDs are the groups named by --group, or all of them with --all-groups.
func (s *groupService) groupIDs() ([]string, error) {
	if !s.o.has("all-groups") {
		return s.o.valuesOf("group"), nil
	}
	groups, err := s.listConsumerGroups()
	if err != nil {
		return nil, err
	}
	out := make([]string, len(groups))
	for i, g := range groups {
		out[i] = g.group
	}
	return out, nil
}

// describe runs DescribeGroups; unknown groups come back as state Dead.
func (s *groupService) describe(groups []string) (map[string]kmsg.DescribeGroupsResponseGroup, error) {
	req := kmsg.NewPtrDescribeGroupsRequest()
	req.Groups = groups
	resp, err := s.request("describeConsumerGroups", req)
	if err != nil {
		return nil, err
	}
	out := map[string]kmsg.DescribeGroupsResponseGroup{}
	for _, g := range resp.(*kmsg.DescribeGroupsResponse).Groups {
		if err := brokerError(g.ErrorCode, g.ErrorMessage); err != nil {
			return nil, err
		}
		if g.ProtocolType != "consumer" && g.ProtocolType != "" {
			return nil, illegalArgument("Consumer Group %s is not a consumer group", g.Group)
		}
		out[g.Group] = g
	}
	return out, nil
}

// topicPartition names a partition in group output.
type topicPartition struct {
	topic     string
	partition int32
}

func (tp topicPartition) String() string { return tp.topic + "-" + strconv.Itoa(int(tp.partition)) }

// committedOffsets fetches a group's offsets in the order Kafka's admin
// client hands them out (a HashMap keyed by TopicPartition).
func (s *groupService) committedOffsets(group string) ([]topicPartition, map[topicPartition]int64, error) {
	req := kmsg.NewPtrOffsetFetchRequest()
	req.Group = group
	rg := kmsg.NewOffsetFetchRequestGroup()
	rg.Group = group
	req.Groups = []kmsg.OffsetFetchRequestGroup{rg}
	resp, err := s.request("listConsumerGroupOffsets", req)
	if err != nil {
		return nil, nil, err
	}
	r := resp.(*kmsg.OffsetFetchResponse)
	topics, code := r.Topics, r.ErrorCode
	if len(r.Groups) > 0 {
		code = r.Groups[0].ErrorCode
		topics = nil
		for _, t := range r.Groups[0].Topics {
			rt := kmsg.NewOffsetFetchResponseTopic()
			rt.Topic = t.Topic
			for _, p := range t.Partitions {
				rp := kmsg.NewOffsetFetchResponseTopicPartition()
				rp.Partition, rp.Offset, rp.ErrorCode = p.Partition, p.Offset, p.ErrorCode
				rt.Partitions = append(rt.Partitions, rp)
			}
			topics = append(topics, rt)
		}
	}
	if err := brokerError(code, nil); err != nil {
		return nil, nil, err
	}
	offsets := map[topicPartition]int64{}
	m := newJavaHashMap(-1)
	byKey := map[string]topicPartition{}
	for _, t := range topics {
		for _, p := range t.Partitions {
			if p.ErrorCode != 0 || p.Offset < 0 {
				continue
			}
			tp := topicPartition{t.Topic, p.Partition}
			offsets[tp] = p.Offset
			byKey[tp.String()] = tp
			m.putHashed(tp.String(), topicPartitionHash(t.Topic, p.Partition))
		}
	}
	var order []topicPartition
	for _, k := range m.keys() {
		order = append(order, byKey[k])
	}
	return order, offsets, nil
}

// listOffsets returns end (latest), start (earliest) or by-timestamp offsets.
func (s *groupService) listOffsets(tps []topicPartition, spec string, ts int64) (map[topicPartition]int64, error) {
	topicSet := map[string]bool{}
	var topics []string
	for _, tp := range tps {
		if !topicSet[tp.topic] {
			topicSet[tp.topic] = true
			topics = append(topics, tp.topic)
		}
	}
	out := map[topicPartition]int64{}
	if len(topics) == 0 {
		return out, nil
	}
	ctx, cancel := withTimeout(s.timeout)
	defer cancel()
	var listed kadm.ListedOffsets
	var err error
	switch spec {
	case "earliest":
		listed, err = s.adm.ListStartOffsets(ctx, topics...)
	case "latest":
		listed, err = s.adm.ListEndOffsets(ctx, topics...)
	default:
		listed, err = s.adm.ListOffsetsAfterMilli(ctx, ts, topics...)
	}
	if err != nil {
		return nil, err
	}
	for _, tp := range tps {
		if lo, ok := listed.Lookup(tp.topic, tp.partition); ok && lo.Err == nil && lo.Offset >= 0 {
			out[tp] = lo.Offset
		}
	}
	return out, nil
}

// shouldPrintMemberState is ConsumerGroupCommand.shouldPrintMemberState.
func (s *groupService) shouldPrintMemberState(group, state string, rows int, known bool) bool {
	if !known {
		s.printError(fmt.Sprintf("The consumer group '%s' does not exist.", group), false)
		return false
	}
	switch state {
	case "Dead":
		s.printError(fmt.Sprintf("Consumer group '%s' does not exist.", group), false)
	case "Empty":
		fmt.Fprintf(s.e.stderr, "\nConsumer group '%s' has no active members.\n", group)
	case "PreparingRebalance", "CompletingRebalance":
		fmt.Fprintf(s.e.stderr, "\nWarning: Consumer group '%s' is rebalancing.\n", group)
	}
	return state != "Dead" && rows > 0
}

func (s *groupService) describeGroups() error {
	ids, err := s.groupIDs()
	if err != nil {
		return err
	}
	sorted := append([]string(nil), ids...)
	sort.Strings(sorted)
	described, err := s.describe(sorted)
	if err != nil {
		return err
	}
	for _, g := range sorted {
		d, ok := described[g]
		switch {
		case s.o.has("members"):
			err = s.printMembers(g, d, ok)
		case s.o.has("state"):
			err = s.printState(g, d, ok)
		default:
			err = s.printOffsets(g, d, ok)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// assignmentRow is PartitionAssignmentState.
type assignmentRow struct {
	group, topic, partition, offset, logEnd, lag, consumerID, host, clientID string
}

func memberAssignment(m kmsg.DescribeGroupsResponseGroupMember) []topicPartition {
	var a kmsg.ConsumerMemberAssignment
	if len(m.MemberAssignment) == 0 || a.ReadFrom(m.MemberAssignment) != nil {
		return nil
	}
	var out []topicPartition
	for _, t := range a.Topics {
		for _, p := range t.Partitions {
			out = append(out, topicPartition{t.Topic, p})
		}
	}
	return out
}

func (s *groupService) offsetRows(group string, d kmsg.DescribeGroupsResponseGroup) ([]assignmentRow, error) {
	order, committed, err := s.committedOffsets(group)
	if err != nil {
		return nil, err
	}
	members := append([]kmsg.DescribeGroupsResponseGroupMember(nil), d.Members...)
	sort.SliceStable(members, func(i, j int) bool {
		return len(memberAssignment(members[i])) > len(memberAssignment(members[j]))
	})
	var all []topicPartition
	for _, m := range members {
		all = append(all, memberAssignment(m)...)
	}
	all = append(all, order...)
	ends, err := s.listOffsets(all, "latest", 0)
	if err != nil {
		return nil, err
	}
	row := func(tp topicPartition, consumer, host, client string) assignmentRow {
		r := assignmentRow{group: group, topic: tp.topic, partition: strconv.Itoa(int(tp.partition)),
			offset: missingColumn, logEnd: missingColumn, lag: missingColumn, consumerID: consumer, host: host, clientID: client}
		off, hasOff := committed[tp]
		end, hasEnd := ends[tp]
		if hasOff {
			r.offset = strconv.FormatInt(off, 10)
		}
		if hasEnd {
			r.logEnd = strconv.FormatInt(end, 10)
		}
		if hasOff && hasEnd {
			r.lag = strconv.FormatInt(end-off, 10)
		}
		return r
	}
	assigned := map[topicPartition]bool{}
	var rows []assignmentRow
	for _, m := range members {
		tps := memberAssignment(m)
		if len(tps) == 0 {
			continue
		}
		sort.SliceStable(tps, func(i, j int) bool { return tps[i].partition < tps[j].partition })
		for _, tp := range tps {
			assigned[tp] = true
			rows = append(rows, row(tp, m.MemberID, m.ClientHost, m.ClientID))
		}
	}
	for _, tp := range order {
		if !assigned[tp] {
			rows = append(rows, row(tp, missingColumn, missingColumn, missingColumn))
		}
	}
	return rows, nil
}

func (s *groupService) printOffsets(group string, d kmsg.DescribeGroupsResponseGroup, known bool) error {
	rows, err := s.offsetRows(group, d)
	if err != nil {
		return err
	}
	if !s.shouldPrintMemberState(group, d.State, len(rows), known) {
		return nil
	}
	wg, wt, wc, wh := 15, 15, 15, 15
	for _, r := range rows {
		wg, wt, wc, wh = max(wg, len(r.group)), max(wt, len(r.topic)), max(wc, len(r.consumerID)), max(wh, len(r.host))
	}
	format := fmt.Sprintf("%%-%ds %%-%ds %%-10s %%-15s %%-15s %%-15s %%-%ds %%-%ds %%s\n", wg, wt, wc, wh)
	fmt.Fprintf(s.e.stdout, "\n"+format, "GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", "CONSUMER-ID", "HOST", "CLIENT-ID")
	for _, r := range rows {
		fmt.Fprintf(s.e.stdout, format, r.group, r.topic, r.partition, r.offset, r.logEnd, r.lag, r.consumerID, r.host, r.clientID)
	}
	return nil
}

func (s *groupService) printMembers(group string, d kmsg.DescribeGroupsResponseGroup, known bool) error {
	if !s.shouldPrintMemberState(group, d.State, len(d.Members), known) {
		return nil
	}
	verbose := s.o.has("verbose")
	wg, wc, wi, wh, wcl, withInstance := 15, 15, 17, 15, 15, false
	for _, m := range d.Members {
		inst := ""
		if m.InstanceID != nil {
			inst = *m.InstanceID
		}
		wg, wc, wi = max(wg, len(group)), max(wc, len(m.MemberID)), max(wi, len(inst))
		wh, wcl = max(wh, len(m.ClientHost)), max(wcl, len(m.ClientID))
		withInstance = withInstance || inst != ""
	}
	var b strings.Builder
	if withInstance {
		fmt.Fprintf(&b, "\n%-*s %-*s %-*s %-*s %-*s %-15s ", wg, "GROUP", wc, "CONSUMER-ID", wi, "GROUP-INSTANCE-ID", wh, "HOST", wcl, "CLIENT-ID", "#PARTITIONS")
	} else {
		fmt.Fprintf(&b, "\n%-*s %-*s %-*s %-*s %-15s ", wg, "GROUP", wc, "CONSUMER-ID", wh, "HOST", wcl, "CLIENT-ID", "#PARTITIONS")
	}
	if verbose {
		b.WriteString("ASSIGNMENT")
	}
	b.WriteString("\n")
	for _, m := range d.Members {
		tps := memberAssignment(m)
		inst := ""
		if m.InstanceID != nil {
			inst = *m.InstanceID
		}
		if withInstance {
			fmt.Fprintf(&b, "%-*s %-*s %-*s %-*s %-*s %-15d ", wg, group, wc, m.MemberID, wi, inst, wh, m.ClientHost, wcl, m.ClientID, len(tps))
		} else {
			fmt.Fprintf(&b, "%-*s %-*s %-*s %-*s %-15d ", wg, group, wc, m.MemberID, wh, m.ClientHost, wcl, m.ClientID, len(tps))
		}
		if verbose {
			b.WriteString(verboseAssignment(tps))
		}
		b.WriteString("\n")
	}
	fmt.Fprint(s.e.stdout, b.String())
	return nil
}

// verboseAssignment renders "t1(0,1), t2(2)" sorted by topic.
func verboseAssignment(tps []topicPartition) string {
	if len(tps) == 0 {
		return missingColumn
	}
	byTopic := map[string][]int{}
	for _, tp := range tps {
		byTopic[tp.topic] = append(byTopic[tp.topic], int(tp.partition))
	}
	var parts []string
	for t, ps := range byTopic {
		sort.Ints(ps)
		s := make([]string, len(ps))
		for i, p := range ps {
			s[i] = strconv.Itoa(p)
		}
		parts = append(parts, t+"("+strings.Join(s, ",")+")")
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

func (s *groupService) printState(group string, d kmsg.DescribeGroupsResponseGroup, known bool) error {
	if !s.shouldPrintMemberState(group, d.State, 1, known) {
		return nil
	}
	req := kmsg.NewPtrFindCoordinatorRequest()
	req.CoordinatorKey = group
	req.CoordinatorKeys = []string{group}
	resp, err := s.request("findCoordinator", req)
	if err != nil {
		return err
	}
	r := resp.(*kmsg.FindCoordinatorResponse)
	node, host, port, code := r.NodeID, r.Host, r.Port, r.ErrorCode
	if len(r.Coordinators) > 0 {
		c := r.Coordinators[0]
		node, host, port, code = c.NodeID, c.Host, c.Port, c.ErrorCode
	}
	if err := brokerError(code, nil); err != nil {
		return err
	}
	coordinator := fmt.Sprintf("%s:%d (%d)", host, port, node)
	w := max(25, len(coordinator))
	fmt.Fprintf(s.e.stdout, "\n%-*s %-25s %-20s %-15s %s", w, "GROUP", "COORDINATOR (ID)", "ASSIGNMENT-STRATEGY", "STATE", "#MEMBERS")
	fmt.Fprintf(s.e.stdout, "\n%-*s %-25s %-20s %-15s %d\n", w, group, coordinator, d.Protocol, d.State, len(d.Members))
	return nil
}

func (s *groupService) deleteGroups() error {
	ids, err := s.groupIDs()
	if err != nil {
		return err
	}
	req := kmsg.NewPtrDeleteGroupsRequest()
	req.Groups = ids
	resp, err := s.request("deleteConsumerGroups", req)
	if err != nil {
		return err
	}
	var ok, failed []string
	reasons := map[string]string{}
	for _, g := range resp.(*kmsg.DeleteGroupsResponse).Groups {
		if err := brokerError(g.ErrorCode, g.ErrorMessage); err != nil {
			failed = append(failed, g.Group)
			reasons[g.Group] = exceptionText(err)
		} else {
			ok = append(ok, g.Group)
		}
	}
	quoted := func(gs []string) string { return "'" + strings.Join(gs, "', '") + "'" }
	if len(failed) == 0 {
		fmt.Fprintf(s.e.stdout, "Deletion of requested consumer groups (%s) was successful.\n", quoted(ok))
		return nil
	}
	s.printError("Deletion of some consumer groups failed:", false)
	for _, g := range failed {
		fmt.Fprintf(s.e.stdout, "* Group '%s' could not be deleted due to: %s\n", g, reasons[g])
	}
	if len(ok) > 0 {
		fmt.Fprintf(s.e.stdout, "\nThese consumer groups were deleted successfully: %s\n", quoted(ok))
	}
	return nil
}
