package tools

import (
	"fmt"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gokafka/kafka/core/internal/reqtopics"
)

// The --reset-offsets and --delete-offsets actions of kafka-consumer-groups.

// resetPlan is the new offset of each partition, in print order.
type resetPlan struct {
	order   []topicPartition
	offsets map[topicPartition]int64
}

func (p *resetPlan) set(tp topicPartition, off int64) {
	if p.offsets == nil {
		p.offsets = map[topicPartition]int64{}
	}
	if _, ok := p.offsets[tp]; !ok {
		p.order = append(p.order, tp)
	}
	p.offsets[tp] = off
}

// javaHashOrderOf lists keys as a HashMap copied from a HashMap(n) iterates
// them (how the admin client returns per-group results).
func javaHashOrderOf(keys []string) []string {
	m := newJavaHashMap(len(keys))
	for _, k := range keys {
		m.put(k)
	}
	return copyJavaHashMap(m).keys()
}

func (s *groupService) resetOffsets() error {
	ids, err := s.groupIDs()
	if err != nil {
		return err
	}
	described, err := s.describe(ids)
	if err != nil {
		return err
	}
	var fromFile map[string]*resetPlan
	if s.o.has("from-file") {
		if fromFile, err = s.readResetFile(s.o.valueOf("from-file")); err != nil {
			return err
		}
	}
	var groups []string
	plans := map[string]*resetPlan{}
	for _, g := range javaHashOrderOf(ids) {
		d := described[g]
		groups = append(groups, g)
		if d.State != "Empty" && d.State != "Dead" && d.State != "" {
			s.printError(fmt.Sprintf("Assignments can only be reset if the group '%s' is inactive, but the current state is %s.", g, d.State), false)
			plans[g] = &resetPlan{}
			continue
		}
		tps, err := s.partitionsToReset(g)
		if err != nil {
			return err
		}
		plan, err := s.prepareOffsets(g, tps, fromFile)
		if err != nil {
			return err
		}
		if s.o.has("execute") && len(plan.order) > 0 {
			if err := s.commitOffsets(g, plan); err != nil {
				return err
			}
		}
		plans[g] = plan
	}
	if s.o.has("export") {
		fmt.Fprintln(s.e.stdout, exportCSV(groups, plans, len(s.o.valuesOf("group")) == 1))
		return nil
	}
	if len(groups) > 0 {
		fmt.Fprintf(s.e.stdout, "\n%-30s %-30s %-10s %-15s\n", "GROUP", "TOPIC", "PARTITION", "NEW-OFFSET")
	}
	for _, g := range groups {
		for _, tp := range plans[g].order {
			fmt.Fprintf(s.e.stdout, "%-30s %-30s %-10d %-15d\n", g, tp.topic, tp.partition, plans[g].offsets[tp])
		}
	}
	return nil
}

func exportCSV(groups []string, plans map[string]*resetPlan, single bool) string {
	var b strings.Builder
	for _, g := range groups {
		for _, tp := range plans[g].order {
			if !single {
				b.WriteString(g + ",")
			}
			fmt.Fprintf(&b, "%s,%d,%d\n", tp.topic, tp.partition, plans[g].offsets[tp])
		}
	}
	return b.String()
}

// partitionsToReset applies --all-topics or --topic t[:p,p].
func (s *groupService) partitionsToReset(group string) ([]topicPartition, error) {
	switch {
	case s.o.has("all-topics"):
		order, _, err := s.committedOffsets(group)
		return order, err
	case s.o.has("topic"):
		var out []topicPartition
		for _, arg := range s.o.valuesOf("topic") {
			tps, err := s.parseTopicArg(arg)
			if err != nil {
				return nil, err
			}
			out = append(out, tps...)
		}
		return out, nil
	case s.o.has("from-file"):
		return nil, nil
	}
	s.e.printUsageAndDie(s.p, "One of the reset scopes should be defined: --all-topics, --topic.")
	return nil, nil
}

// parseTopicArg reads "topic" (all its partitions) or "topic:0,1".
func (s *groupService) parseTopicArg(arg string) ([]topicPartition, error) {
	if topic, parts, ok := strings.Cut(arg, ":"); ok {
		var out []topicPartition
		for _, p := range strings.Split(parts, ",") {
			n, err := strconv.ParseInt(strings.TrimSpace(p), 10, 32)
			if err != nil {
				return nil, &javaError{"java.lang.NumberFormatException", fmt.Sprintf("For input string: \"%s\"", p)}
			}
			out = append(out, topicPartition{topic, int32(n)})
		}
		return out, nil
	}
	req := kmsg.NewPtrMetadataRequest()
	rt := kmsg.NewMetadataRequestTopic()
	rt.Topic = kmsg.StringPtr(arg)
	req.Topics = []kmsg.MetadataRequestTopic{rt}
	req.AllowAutoTopicCreation = false
	resp, err := s.request("describeTopics", req)
	if err != nil {
		return nil, err
	}
	var out []topicPartition
	for _, t := range resp.(*kmsg.MetadataResponse).Topics {
		if err := brokerError(t.ErrorCode, nil); err != nil {
			return nil, err
		}
		for _, p := range t.Partitions {
			out = append(out, topicPartition{arg, p.Partition})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].partition < out[j].partition })
	return out, nil
}

// prepareOffsets computes the new offsets for one reset scenario.
func (s *groupService) prepareOffsets(group string, tps []topicPartition, fromFile map[string]*resetPlan) (*resetPlan, error) {
	plan := &resetPlan{}
	o := s.o
	switch {
	case o.has("to-offset"):
		n, err := o.longOf("to-offset")
		if err != nil {
			return nil, err
		}
		req := &resetPlan{}
		for _, tp := range tps {
			req.set(tp, n)
		}
		return s.checkOffsetsRange(req)
	case o.has("to-earliest"), o.has("to-latest"):
		spec, what := "earliest", "starting"
		if o.has("to-latest") {
			spec, what = "latest", "ending"
		}
		offs, err := s.listOffsets(tps, spec, 0)
		if err != nil {
			return nil, err
		}
		for _, tp := range tps {
			off, ok := offs[tp]
			if !ok {
				s.e.printUsageAndDie(s.p, fmt.Sprintf("Error getting %s offset of topic partition: %s", what, tp))
			}
			plan.set(tp, off)
		}
		return plan, nil
	case o.has("shift-by"):
		n, err := o.longOf("shift-by")
		if err != nil {
			return nil, err
		}
		_, committed, err := s.committedOffsets(group)
		if err != nil {
			return nil, err
		}
		req := &resetPlan{}
		for _, tp := range tps {
			cur, ok := committed[tp]
			if !ok {
				return nil, illegalArgument("Cannot shift offset for partition %s since there is no current committed offset", tp)
			}
			req.set(tp, cur+n)
		}
		return s.checkOffsetsRange(req)
	case o.has("to-datetime"), o.has("by-duration"):
		ts, err := s.resetTimestamp()
		if err != nil {
			return nil, err
		}
		return s.offsetsForTimestamp(tps, ts)
	case fromFile != nil:
		p, ok := fromFile[group]
		if !ok {
			s.printError("No reset plan for group "+group+" found", false)
			return plan, nil
		}
		return s.checkOffsetsRange(p)
	case o.has("to-current"):
		return s.currentOffsets(group, tps)
	}
	s.e.printUsageAndDie(s.p, "Option '[reset-offsets]' requires one of the following scenarios: Set("+
		"[to-offset], [shift-by], [to-datetime], [by-duration], [to-earliest], [to-latest], [to-current], [from-file])")
	return nil, nil
}

func (s *groupService) currentOffsets(group string, tps []topicPartition) (*resetPlan, error) {
	_, committed, err := s.committedOffsets(group)
	if err != nil {
		return nil, err
	}
	plan := &resetPlan{}
	var missing []topicPartition
	for _, tp := range tps {
		if off, ok := committed[tp]; ok {
			plan.set(tp, off)
		} else {
			missing = append(missing, tp)
		}
	}
	ends, err := s.listOffsets(missing, "latest", 0)
	if err != nil {
		return nil, err
	}
	for _, tp := range missing {
		off, ok := ends[tp]
		if !ok {
			s.e.printUsageAndDie(s.p, "Error getting ending offset of topic partition: "+tp.String())
		}
		plan.set(tp, off)
	}
	return plan, nil
}

// offsetsForTimestamp finds the first offset at or after ts, else the end.
func (s *groupService) offsetsForTimestamp(tps []topicPartition, ts int64) (*resetPlan, error) {
	byTime, err := s.listOffsets(tps, "time", ts)
	if err != nil {
		return nil, err
	}
	ends, err := s.listOffsets(tps, "latest", 0)
	if err != nil {
		return nil, err
	}
	plan := &resetPlan{}
	for _, tp := range tps {
		off, ok := byTime[tp]
		if !ok {
			off, ok = ends[tp]
		}
		if !ok {
			s.e.printUsageAndDie(s.p, "Error getting offset by timestamp of topic partition: "+tp.String())
		}
		plan.set(tp, off)
	}
	return plan, nil
}

// checkOffsetsRange clamps requested offsets into [log start, log end],
// warning like Kafka when it has to.
func (s *groupService) checkOffsetsRange(req *resetPlan) (*resetPlan, error) {
	starts, err := s.listOffsets(req.order, "earliest", 0)
	if err != nil {
		return nil, err
	}
	ends, err := s.listOffsets(req.order, "latest", 0)
	if err != nil {
		return nil, err
	}
	log := toolLogger(s.e.stderr, "kafka.admin.ConsumerGroupCommand$")
	out := &resetPlan{}
	for _, tp := range req.order {
		off := req.offsets[tp]
		end, hasEnd := ends[tp]
		start, hasStart := starts[tp]
		switch {
		case !hasEnd:
			return nil, &javaError{"java.lang.IllegalStateException", "Unexpected non-existing offset value for topic partition " + tp.String()}
		case off > end:
			log.Warnf("New offset (%d) is higher than latest offset for topic partition %s. Value will be set to %d", off, tp, end)
			off = end
		case hasStart && off < start:
			log.Warnf("New offset (%d) is lower than earliest offset for topic partition %s. Value will be set to %d", off, tp, start)
			off = start
		}
		out.set(tp, off)
	}
	return out, nil
}

var durationPattern = regexp.MustCompile(`^([-+]?)P(?:([-+]?[0-9]+)D)?(T(?:([-+]?[0-9]+)H)?(?:([-+]?[0-9]+)M)?(?:([-+]?[0-9]+)(?:[.,]([0-9]{0,9}))?S)?)?$`)

// resetTimestamp turns --to-datetime (Utils.getDateTime) or --by-duration
// (java.time.Duration.parse) into epoch milliseconds.
func (s *groupService) resetTimestamp() (int64, error) {
	if s.o.has("to-datetime") {
		return parseKafkaDateTime(s.o.valueOf("to-datetime"))
	}
	v := s.o.valueOf("by-duration")
	m := durationPattern.FindStringSubmatch(strings.ToUpper(v))
	if m == nil || m[3] == "T" {
		return 0, &javaError{"java.time.format.DateTimeParseException", "Text cannot be parsed to a Duration"}
	}
	num := func(s string) int64 { n, _ := strconv.ParseInt(s, 10, 64); return n }
	d := time.Duration(num(m[2]))*24*time.Hour + time.Duration(num(m[4]))*time.Hour +
		time.Duration(num(m[5]))*time.Minute + time.Duration(num(m[6]))*time.Second
	if m[7] != "" {
		frac, _ := strconv.ParseInt((m[7] + "000000000")[:9], 10, 64)
		d += time.Duration(frac)
	}
	if m[1] == "-" {
		d = -d
	}
	return time.Now().Add(-d).UnixMilli(), nil
}

// parseKafkaDateTime is Utils.getDateTime: "yyyy-MM-ddTHH:mm:ss.SSS" with an
// optional zone; without one the time is UTC.
func parseKafkaDateTime(v string) (int64, error) {
	parts := strings.SplitN(v, "T", 2)
	if len(parts) < 2 {
		return 0, &javaError{"java.text.ParseException", "Error parsing timestamp. It does not contain a 'T' according to ISO8601 format"}
	}
	if !strings.ContainsAny(parts[1], "+-Z") {
		v += "Z"
	}
	for _, layout := range []string{"2006-01-02T15:04:05.000Z07:00", "2006-01-02T15:04:05.000Z0700", "2006-01-02T15:04:05.000Z07"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UnixMilli(), nil
		}
	}
	return 0, &javaError{"java.text.ParseException", "Unparseable date: \"" + v + "\""}
}

// readResetFile parses a --from-file CSV ("topic,partition,offset" for a
// single group, else "group,topic,partition,offset").
func (s *groupService) readResetFile(path string) (map[string]*resetPlan, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &javaError{"java.nio.file.NoSuchFileException", path}
	}
	out := map[string]*resetPlan{}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	single := len(s.o.valuesOf("group")) == 1 && len(lines) > 0 && len(strings.Split(lines[0], ",")) == 3
	for _, line := range lines {
		f := strings.Split(strings.TrimSpace(line), ",")
		group := s.o.valueOf("group")
		if !single {
			if len(f) != 4 {
				return nil, illegalArgument("Invalid reset plan line: %s", line)
			}
			group, f = f[0], f[1:]
		}
		if len(f) != 3 {
			return nil, illegalArgument("Invalid reset plan line: %s", line)
		}
		p, err1 := strconv.ParseInt(f[1], 10, 32)
		off, err2 := strconv.ParseInt(f[2], 10, 64)
		if err1 != nil || err2 != nil {
			return nil, illegalArgument("Invalid reset plan line: %s", line)
		}
		if out[group] == nil {
			out[group] = &resetPlan{}
		}
		out[group].set(topicPartition{f[0], int32(p)}, off)
	}
	return out, nil
}

// commitOffsets stores the plan as the group's offsets (generation -1, no
// member: what the admin client's alterConsumerGroupOffsets sends).
func (s *groupService) commitOffsets(group string, plan *resetPlan) error {
	req := kmsg.NewPtrOffsetCommitRequest()
	req.Group, req.Generation, req.MemberID = group, -1, ""
	byTopic := map[string]int{}
	for _, tp := range plan.order {
		i := reqtopics.Slot(byTopic, tp.topic, func() int {
			t := kmsg.NewOffsetCommitRequestTopic()
			t.Topic = tp.topic
			req.Topics = append(req.Topics, t)
			return len(req.Topics) - 1
		})
		p := kmsg.NewOffsetCommitRequestTopicPartition()
		p.Partition, p.Offset = tp.partition, plan.offsets[tp]
		req.Topics[i].Partitions = append(req.Topics[i].Partitions, p)
	}
	resp, err := s.request("alterConsumerGroupOffsets", req)
	if err != nil {
		return err
	}
	for _, t := range resp.(*kmsg.OffsetCommitResponse).Topics {
		for _, p := range t.Partitions {
			if err := brokerError(p.ErrorCode, nil); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *groupService) deleteOffsets() error {
	group := s.o.valueOf("group")
	topics := s.o.valuesOf("topic")
	results := map[topicPartition]string{}
	var tps []topicPartition
	for _, arg := range topics {
		got, err := s.parseTopicArg(arg)
		if err != nil {
			if !strings.Contains(arg, ":") {
				results[topicPartition{arg, -1}] = "Error: " + javaMessage(err)
				continue
			}
			return err
		}
		tps = append(tps, got...)
	}
	req := kmsg.NewPtrOffsetDeleteRequest()
	req.Group = group
	byTopic := map[string]int{}
	for _, tp := range tps {
		i := reqtopics.Slot(byTopic, tp.topic, func() int {
			t := kmsg.NewOffsetDeleteRequestTopic()
			t.Topic = tp.topic
			req.Topics = append(req.Topics, t)
			return len(req.Topics) - 1
		})
		p := kmsg.NewOffsetDeleteRequestTopicPartition()
		p.Partition = tp.partition
		req.Topics[i].Partitions = append(req.Topics[i].Partitions, p)
	}
	resp, err := s.request("deleteConsumerGroupOffsets", req)
	if err != nil {
		return err
	}
	r := resp.(*kmsg.OffsetDeleteResponse)
	for _, t := range r.Topics {
		for _, p := range t.Partitions {
			results[topicPartition{t.Topic, p.Partition}] = "Successful"
			if err := brokerError(p.ErrorCode, nil); err != nil {
				results[topicPartition{t.Topic, p.Partition}] = "Error: " + javaMessage(err)
			}
		}
	}
	s.printDeleteOffsetsOutcome(group, topics, r.ErrorCode, results)
	return nil
}

func (s *groupService) printDeleteOffsetsOutcome(group string, topics []string, code int16, results map[topicPartition]string) {
	switch code {
	case 0:
		partitionErr := false
		for _, v := range results {
			partitionErr = partitionErr || v != "Successful"
		}
		if partitionErr {
			s.printError("Encounter some partition level error, see the follow-up details:", false)
		} else {
			fmt.Fprintf(s.e.stdout, "Request succeed for deleting offsets with topic %s group %s\n", strings.Join(topics, ", "), group)
		}
	case 24:
		s.printError(fmt.Sprintf("'%s' is not valid.", group), false)
	case 69:
		s.printError(fmt.Sprintf("'%s' does not exist.", group), false)
	case 30:
		s.printError(fmt.Sprintf("Access to '%s' is not authorized.", group), false)
	case 68:
		s.printError(fmt.Sprintf("Deleting offsets of a consumer group '%s' is forbidden if the group is not empty.", group), false)
	case 86, 29, 3:
		s.printError("Encounter some partition level error, see the follow-up details:", false)
	default:
		s.printError(fmt.Sprintf("Encounter some unknown error: %s", groupErrorName(code)), false)
	}
	keys := make([]topicPartition, 0, len(results))
	for tp := range results {
		keys = append(keys, tp)
	}
	sort.Slice(keys, func(i, j int) bool {
		return keys[i].topic+strconv.Itoa(int(keys[i].partition)) < keys[j].topic+strconv.Itoa(int(keys[j].partition))
	})
	fmt.Fprintf(s.e.stdout, "\n%-30s %-15s %-15s\n", "TOPIC", "PARTITION", "STATUS")
	for _, tp := range keys {
		part := strconv.Itoa(int(tp.partition))
		if tp.partition < 0 {
			part = "Not Provided"
		}
		fmt.Fprintf(s.e.stdout, "%-30s %-15s %-15s\n", tp.topic, part, results[tp])
	}
}

func groupErrorName(code int16) string {
	if err := brokerError(code, nil); err != nil {
		return err.Error()
	}
	return "NONE"
}
