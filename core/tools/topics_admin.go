package tools

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// adminTopicService is TopicCommand.AdminClientTopicService: every action
// goes through the Kafka admin protocol (CreateTopics, Metadata,
// DescribeConfigs, CreatePartitions, DeleteTopics).
type adminTopicService struct {
	e       *env
	cl      *kgo.Client
	timeout time.Duration // default.api.timeout.ms
}

func newAdminTopicService(e *env, o topicOptions) (*adminTopicService, error) {
	props := map[string]string{}
	if o.has("command-config") {
		p, err := loadProps(o.valueOf("command-config"))
		if err != nil {
			e.javaException("java.nio.file.NoSuchFileException", o.valueOf("command-config"))
		}
		props = p
	}
	props["bootstrap.servers"] = o.valueOf("bootstrap-server")
	cl, timeout, err := newAdminClient(e, props)
	if err != nil {
		return nil, err
	}
	return &adminTopicService{e: e, cl: cl, timeout: timeout}, nil
}

// newAdminClient builds the client the Java tools get from Admin.create.
func newAdminClient(e *env, props map[string]string) (*kgo.Client, time.Duration, error) {
	cfg := &clientConfig{props: props, stderr: e.stderr}
	cfg.logPrefix = "[AdminClient clientId=" + cfg.get("client.id", "adminclient-1") + "]"
	opts, err := cfg.commonOpts("adminclient-1")
	if err != nil {
		// Java's first line, then the cause line of its stack trace,
		// which says what is wrong (e.g. a trust store that cannot be read).
		return nil, 0, &javaError{"org.apache.kafka.common.KafkaException",
			"Failed to create new KafkaAdminClient\nCaused by: org.apache.kafka.common.KafkaException: " + err.Error()}
	}
	timeout, err := cfg.millis("default.api.timeout.ms", adminTimeout.Milliseconds())
	if err != nil {
		return nil, 0, err
	}
	opts = append(opts, kgo.RetryTimeout(timeout))
	cl, err := kgo.NewClient(opts...)
	return cl, timeout, err
}

func (s *adminTopicService) close() { s.cl.Close() }

// request sends one admin request, turning "no broker answered" into the
// Java admin client's timeout message for that call.
func (s *adminTopicService) request(call string, req kmsg.Request) (kmsg.Response, error) {
	ctx, cancel := withTimeout(s.timeout)
	defer cancel()
	return adminRequest(ctx, s.cl, call, req)
}

func adminRequest(ctx context.Context, cl *kgo.Client, call string, req kmsg.Request) (kmsg.Response, error) {
	// Like the Java admin client, keep trying unreachable brokers until the
	// call's deadline (default.api.timeout.ms) rather than failing at once.
	backoff := 50 * time.Millisecond
	for {
		resp, err := cl.Request(ctx, req)
		if err == nil {
			return resp, nil
		}
		var netErr net.Error
		if !errors.Is(err, context.DeadlineExceeded) && !errors.As(err, &netErr) && !strings.Contains(err.Error(), "unable to dial") {
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, &javaError{"org.apache.kafka.common.errors.TimeoutException", "Timed out waiting for a node assignment. Call: " + call}
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, time.Second)
	}
}

func (s *adminTopicService) createTopic(o topicOptions, t *commandTopic) error {
	if t.replicationFactor != nil && (*t.replicationFactor > 32767 || *t.replicationFactor < 1) {
		return illegalArgument("The replication factor must be between 1 and 32767 inclusive")
	}
	if t.partitions != nil && *t.partitions < 1 {
		return illegalArgument("The partitions must be greater than 0")
	}
	if t.name == "" {
		return &kafkaError{17, "The given topic name '' cannot be represented in a request."}
	}
	rt := kmsg.NewCreateTopicsRequestTopic()
	rt.Topic = t.name
	rt.NumPartitions, rt.ReplicationFactor = -1, -1
	if t.assignment != nil {
		for p, replicas := range t.assignment {
			a := kmsg.NewCreateTopicsRequestTopicReplicaAssignment()
			a.Partition, a.Replicas = int32(p), replicas
			rt.ReplicaAssignment = append(rt.ReplicaAssignment, a)
		}
	} else {
		if t.partitions != nil {
			rt.NumPartitions = *t.partitions
		}
		if t.replicationFactor != nil {
			rt.ReplicationFactor = int16(*t.replicationFactor)
		}
	}
	for _, k := range t.configOrder {
		c := kmsg.NewCreateTopicsRequestTopicConfig()
		v := t.configsToAdd[k]
		c.Name, c.Value = k, &v
		rt.Configs = append(rt.Configs, c)
	}
	req := kmsg.NewPtrCreateTopicsRequest()
	req.Topics = []kmsg.CreateTopicsRequestTopic{rt}
	req.TimeoutMillis = int32(adminTimeout.Milliseconds() / 2)
	resp, err := s.request("createTopics", req)
	if err != nil {
		return err
	}
	for _, r := range resp.(*kmsg.CreateTopicsResponse).Topics {
		if err := brokerError(r.ErrorCode, r.ErrorMessage); err != nil {
			if r.ErrorCode == 36 && o.has("if-not-exists") {
				return nil
			}
			return err
		}
	}
	fmt.Fprintf(s.e.stdout, "Created topic %s.\n", t.name)
	return nil
}

// metadata fetches cluster metadata; nil topics means all topics.
func (s *adminTopicService) metadata(call string, topics []string) (*kmsg.MetadataResponse, error) {
	req := kmsg.NewPtrMetadataRequest()
	req.AllowAutoTopicCreation = false
	if topics != nil {
		req.Topics = []kmsg.MetadataRequestTopic{}
		for _, t := range topics {
			rt := kmsg.NewMetadataRequestTopic()
			rt.Topic = kmsg.StringPtr(t)
			req.Topics = append(req.Topics, rt)
		}
	}
	resp, err := s.request(call, req)
	if err != nil {
		return nil, err
	}
	return resp.(*kmsg.MetadataResponse), nil
}

// getTopics lists topic names (internal ones unless excluded) and filters them.
func (s *adminTopicService) getTopics(o topicOptions) ([]string, error) {
	md, err := s.metadata("listTopics", nil)
	if err != nil {
		return nil, err
	}
	var all []string
	for _, t := range md.Topics {
		if t.Topic == nil || t.ErrorCode != 0 && t.ErrorCode != 5 {
			continue
		}
		if t.IsInternal && o.has("exclude-internal") {
			continue
		}
		all = append(all, *t.Topic)
	}
	return filterTopics(all, o)
}

func (s *adminTopicService) listTopics(o topicOptions) error {
	topics, err := s.getTopics(o)
	if err != nil {
		return err
	}
	fmt.Fprintln(s.e.stdout, strings.Join(topics, "\n"))
	return nil
}

func (s *adminTopicService) deleteTopic(o topicOptions) error {
	topics, err := s.getTopics(o)
	if err != nil {
		return err
	}
	if err := ensureTopicExists(topics, o); err != nil {
		return err
	}
	if len(topics) == 0 {
		return nil
	}
	req := kmsg.NewPtrDeleteTopicsRequest()
	req.TopicNames = topics
	for _, t := range topics {
		rt := kmsg.NewDeleteTopicsRequestTopic()
		rt.Topic = kmsg.StringPtr(t)
		req.Topics = append(req.Topics, rt)
	}
	req.TimeoutMillis = int32(adminTimeout.Milliseconds() / 2)
	resp, err := s.request("deleteTopics", req)
	if err != nil {
		return err
	}
	for _, r := range resp.(*kmsg.DeleteTopicsResponse).Topics {
		if err := brokerError(r.ErrorCode, r.ErrorMessage); err != nil {
			return err
		}
	}
	return nil
}

func (s *adminTopicService) alterTopic(o topicOptions) error {
	t, err := newCommandTopic(o)
	if err != nil {
		return err
	}
	topics, err := s.getTopics(o)
	if err != nil {
		return err
	}
	if err := ensureTopicExists(topics, o); err != nil {
		return err
	}
	if len(topics) == 0 {
		return nil
	}
	current := map[string]int{}
	if t.assignment != nil {
		md, err := s.metadata("describeTopics", topics)
		if err != nil {
			return err
		}
		for _, mt := range md.Topics {
			if mt.Topic != nil {
				current[*mt.Topic] = len(mt.Partitions)
			}
		}
	}
	req := kmsg.NewPtrCreatePartitionsRequest()
	req.TimeoutMillis = int32(adminTimeout.Milliseconds() / 2)
	for _, name := range topics {
		rt := kmsg.NewCreatePartitionsRequestTopic()
		rt.Topic, rt.Count = name, *t.partitions
		if t.assignment != nil {
			for i := current[name]; i < len(t.assignment); i++ {
				a := kmsg.NewCreatePartitionsRequestTopicAssignment()
				a.Replicas = t.assignment[i]
				rt.Assignment = append(rt.Assignment, a)
			}
		}
		req.Topics = append(req.Topics, rt)
	}
	resp, err := s.request("createPartitions", req)
	if err != nil {
		return err
	}
	for _, r := range resp.(*kmsg.CreatePartitionsResponse).Topics {
		if err := brokerError(r.ErrorCode, r.ErrorMessage); err != nil {
			return err
		}
	}
	return nil
}

// topicConfig is one topic's DescribeConfigs result: non-default entries in
// the order Kafka prints them, plus min.insync.replicas.
type topicConfig struct {
	nonDefault []string
	minIsr     int
}

func (s *adminTopicService) describeConfigs(topics []string) (map[string]topicConfig, error) {
	req := kmsg.NewPtrDescribeConfigsRequest()
	for _, t := range topics {
		r := kmsg.NewDescribeConfigsRequestResource()
		r.ResourceType, r.ResourceName = kmsg.ConfigResourceTypeTopic, t
		req.Resources = append(req.Resources, r)
	}
	resp, err := s.request("describeConfigs", req)
	if err != nil {
		return nil, err
	}
	out := map[string]topicConfig{}
	for _, r := range resp.(*kmsg.DescribeConfigsResponse).Resources {
		if err := brokerError(r.ErrorCode, r.ErrorMessage); err != nil {
			return nil, err
		}
		out[r.ResourceName] = parseTopicConfigEntries(r.Configs)
	}
	return out, nil
}

func parseTopicConfigEntries(entries []kmsg.DescribeConfigsResponseResourceConfig) topicConfig {
	tc := topicConfig{minIsr: -1}
	byName := map[string]kmsg.DescribeConfigsResponseResourceConfig{}
	var names []string
	for _, c := range entries {
		if _, dup := byName[c.Name]; !dup {
			names = append(names, c.Name)
		}
		byName[c.Name] = c
	}
	for _, n := range configEntriesOrder(names) {
		c := byName[n]
		value := ""
		if c.Value != nil {
			value = *c.Value
		}
		if n == "min.insync.replicas" {
			if v, err := strconv.Atoi(value); err == nil {
				tc.minIsr = v
			}
		}
		if isDefaultConfig(c) {
			continue
		}
		tc.nonDefault = append(tc.nonDefault, n+"="+value)
	}
	return tc
}

// isDefaultConfig is ConfigEntry.isDefault: the source is DEFAULT_CONFIG
// (or, from a v0 broker, the is_default flag).
func isDefaultConfig(c kmsg.DescribeConfigsResponseResourceConfig) bool {
	if c.Source == kmsg.ConfigSourceDefaultConfig {
		return true
	}
	if c.Source == kmsg.ConfigSourceUnknown || int8(c.Source) == -1 {
		return c.IsDefault
	}
	return false
}

// reassignments lists ongoing reassignments; brokers without the API have none.
func (s *adminTopicService) reassignments(md *kmsg.MetadataResponse) map[string]map[int32]kmsg.ListPartitionReassignmentsResponseTopicPartition {
	out := map[string]map[int32]kmsg.ListPartitionReassignmentsResponseTopicPartition{}
	req := kmsg.NewPtrListPartitionReassignmentsRequest()
	for _, t := range md.Topics {
		if t.Topic == nil {
			continue
		}
		rt := kmsg.NewListPartitionReassignmentsRequestTopic()
		rt.Topic = *t.Topic
		for _, p := range t.Partitions {
			rt.Partitions = append(rt.Partitions, p.Partition)
		}
		req.Topics = append(req.Topics, rt)
	}
	ctx, cancel := withTimeout(s.timeout)
	defer cancel()
	resp, err := s.cl.Request(ctx, req)
	if err != nil {
		return out
	}
	for _, t := range resp.(*kmsg.ListPartitionReassignmentsResponse).Topics {
		out[t.Topic] = map[int32]kmsg.ListPartitionReassignmentsResponseTopicPartition{}
		for _, p := range t.Partitions {
			out[t.Topic][p.Partition] = p
		}
	}
	return out
}

func (s *adminTopicService) describeTopic(o topicOptions) error {
	topics, err := s.getTopics(o)
	if err != nil {
		return err
	}
	if err := ensureTopicExists(topics, o); err != nil {
		return err
	}
	if len(topics) == 0 {
		return nil
	}
	configs, err := s.describeConfigs(topics)
	if err != nil {
		return err
	}
	md, err := s.metadata("describeTopics", topics)
	if err != nil {
		return err
	}
	live := map[int32]bool{}
	for _, b := range md.Brokers {
		live[b.NodeID] = true
	}
	byName := map[string]kmsg.MetadataResponseTopic{}
	for _, t := range md.Topics {
		if t.Topic == nil {
			continue
		}
		if err := brokerError(t.ErrorCode, nil); err != nil {
			if t.ErrorCode == 3 {
				return &kafkaError{3, "Topic " + *t.Topic + " not found."}
			}
			return err
		}
		byName[*t.Topic] = t
	}
	reassigning := s.reassignments(md)
	f := describeFilter{o: o, liveBrokers: live}
	for _, name := range describeTopicsOrder(topics) {
		t, ok := byName[name]
		if !ok {
			return &kafkaError{3, "Topic " + name + " not found."}
		}
		descs := partitionDescriptions(t, live, reassigning[name], configs[name].minIsr)
		s.printTopic(f, name, t.TopicID, descs, configs[name])
	}
	return nil
}

// partitionDescriptions converts metadata into sorted describe rows.
func partitionDescriptions(t kmsg.MetadataResponseTopic, live map[int32]bool,
	reassign map[int32]kmsg.ListPartitionReassignmentsResponseTopicPartition, minIsr int) []*partitionDescription {
	var out []*partitionDescription
	for _, p := range t.Partitions {
		d := &partitionDescription{topic: *t.Topic, partition: p.Partition, leader: p.Leader,
			replicas: p.Replicas, isr: p.ISR, minIsr: minIsr}
		if !live[p.Leader] {
			d.leader = -1
		}
		if r, ok := reassign[p.Partition]; ok {
			d.reassigning, d.adding, d.removing = true, r.AddingReplicas, r.RemovingReplicas
		}
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].partition < out[j].partition })
	return out
}

func (s *adminTopicService) printTopic(f describeFilter, name string, id [16]byte, descs []*partitionDescription, cfg topicConfig) {
	if f.describeConfigs() && (!f.o.has("topics-with-overrides") || len(cfg.nonDefault) > 0) && len(descs) > 0 {
		fmt.Fprintln(s.e.stdout, topicHeader(name, topicIDString(id), len(descs), descs[0].replicationFactor(),
			strings.Join(cfg.nonDefault, ","), false))
	}
	if f.describePartitions() {
		for _, d := range descs {
			if f.shouldPrint(d) {
				fmt.Fprintln(s.e.stdout, d.line())
			}
		}
	}
}

// topicIDString renders a Uuid like Kafka (URL-safe base64, no padding);
// the zero id is not printed.
func topicIDString(id [16]byte) string {
	if id == ([16]byte{}) {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString(id[:])
}
