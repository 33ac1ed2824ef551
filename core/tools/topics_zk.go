package tools

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/gokafka/kafka/core/admin"
	"github.com/gokafka/kafka/zkutil"
)

// zkTopicService is TopicCommand.ZookeeperTopicService: the deprecated but
// still working (in 2.8) --zookeeper mode that reads and writes the topic
// znodes directly and leaves the rest to the controller.
type zkTopicService struct {
	e  *env
	zk *zkutil.Client
}

// KafkaZkClient's timeouts in TopicCommand.
const topicCommandZkTimeout = 30 * time.Second

func newZkTopicService(e *env, connect string) (topicService, error) {
	zk, err := zkutil.Connect(connect, topicCommandZkTimeout, topicCommandZkTimeout, zkutil.WithName("TopicCommand"))
	if err != nil {
		var te *zkutil.TimeoutError
		if errors.As(err, &te) {
			e.javaException("kafka.zookeeper.ZooKeeperClientTimeoutException", err.Error())
		}
		e.javaException("java.lang.IllegalArgumentException", err.Error())
	}
	return &zkTopicService{e: e, zk: zk}, nil
}

func (s *zkTopicService) close() { s.zk.Close() }

// adminErr gives admin package errors the Java exception class Kafka uses.
func adminErr(err error) error {
	var ae *admin.Error
	if errors.As(err, &ae) {
		if ae.Code == -1 {
			return &javaError{"kafka.admin.AdminOperationException", ae.Message}
		}
		return &kafkaError{ae.Code, ae.Message}
	}
	return err
}

func (s *zkTopicService) getTopics(o topicOptions) ([]string, error) {
	all, err := s.zk.GetAllTopics()
	if err != nil {
		return nil, err
	}
	return filterTopics(all, o)
}

func (s *zkTopicService) createTopic(o topicOptions, t *commandTopic) error {
	var assignment map[int32][]int32
	if t.assignment != nil {
		assignment = map[int32][]int32{}
		for p, r := range t.assignment {
			assignment[int32(p)] = r
		}
	} else {
		mode := admin.RackAwareEnforced
		if o.has("disable-rack-aware") {
			mode = admin.RackAwareDisabled
		}
		brokers, err := admin.GetBrokerMetadatas(s.zk, mode)
		if err != nil {
			return adminErr(err)
		}
		if assignment, err = admin.AssignReplicas(brokers, *t.partitions, int16(*t.replicationFactor), -1, -1); err != nil {
			return adminErr(err)
		}
	}
	err := admin.CreateTopic(s.zk, t.name, assignment, t.configsToAdd, false)
	if err != nil {
		var ae *admin.Error
		if errors.As(err, &ae) && ae.Code == 36 && o.has("if-not-exists") {
			return nil
		}
		return adminErr(err)
	}
	fmt.Fprintf(s.e.stdout, "Created topic %s.\n", t.name)
	return nil
}

func (s *zkTopicService) listTopics(o topicOptions) error {
	topics, err := s.getTopics(o)
	if err != nil {
		return err
	}
	for _, t := range topics {
		marked, err := s.zk.IsTopicMarkedForDeletion(t)
		if err != nil {
			return err
		}
		if marked {
			fmt.Fprintf(s.e.stdout, "%s - marked for deletion\n", t)
		} else {
			fmt.Fprintln(s.e.stdout, t)
		}
	}
	return nil
}

func (s *zkTopicService) alterTopic(o topicOptions) error {
	topics, err := s.getTopics(o)
	if err != nil {
		return err
	}
	t, err := newCommandTopic(o)
	if err != nil {
		return err
	}
	if err := ensureTopicExists(topics, o); err != nil {
		return err
	}
	for _, topic := range topics {
		if err := s.alterOne(o, t, topic); err != nil {
			return err
		}
	}
	return nil
}

func (s *zkTopicService) alterOne(o topicOptions, t *commandTopic, topic string) error {
	if o.has("config") || o.has("delete-config") {
		configs, err := s.zk.GetEntityConfig(zkutil.ConfigTypeTopic, topic)
		if err != nil {
			return err
		}
		fmt.Fprintln(s.e.stdout, "WARNING: Altering topic configuration from this script has been deprecated and may be removed in future releases.")
		fmt.Fprintln(s.e.stdout, "         Going forward, please use kafka-configs.sh for this functionality")
		mergeProps(configs, t.configsToAdd)
		for _, k := range t.configsToDelete {
			delete(configs, k)
		}
		if err := admin.ChangeTopicConfig(s.zk, topic, configs); err != nil {
			return adminErr(err)
		}
		fmt.Fprintf(s.e.stdout, "Updated config for topic %s.\n", topic)
	}
	if t.partitions == nil {
		return nil
	}
	if isInternalTopic(topic) {
		return illegalArgument("The number of partitions for the internal topic %s cannot be changed.", topic)
	}
	fmt.Fprintln(s.e.stdout, "WARNING: If partitions are increased for a topic that has a key, the partition logic or ordering of the messages will be affected")
	existing, ok, err := s.zk.GetTopicAssignment(topic)
	if err != nil {
		return err
	}
	if !ok || len(existing.Partitions) == 0 {
		return &kafkaError{17, fmt.Sprintf("The topic %s does not exist", topic)}
	}
	var manual map[int32][]int32
	for p := len(existing.Partitions); p < len(t.assignment); p++ {
		if manual == nil {
			manual = map[int32][]int32{}
		}
		manual[int32(p)] = t.assignment[p]
	}
	brokers, err := admin.GetBrokerMetadatas(s.zk, admin.RackAwareEnforced)
	if err != nil {
		return adminErr(err)
	}
	ids := make([]int32, len(brokers))
	for i, b := range brokers {
		ids[i] = b.ID
	}
	added, err := admin.CreateNewPartitionsAssignment(topic, existing, ids, *t.partitions, manual)
	if err != nil {
		return adminErr(err)
	}
	for p, r := range added {
		existing.Partitions[p] = r
	}
	if err := s.zk.SetTopicAssignment(existing, zkutil.MatchAnyVersion); err != nil {
		return &javaError{"kafka.admin.AdminOperationException", err.Error()}
	}
	fmt.Fprintln(s.e.stdout, "Adding partitions succeeded!")
	return nil
}

func (s *zkTopicService) describeTopic(o topicOptions) error {
	topics, err := s.getTopics(o)
	if err != nil {
		return err
	}
	if err := ensureTopicExists(topics, o); err != nil {
		return err
	}
	ids, err := s.zk.GetBrokerIDs()
	if err != nil {
		return err
	}
	live := map[int32]bool{}
	for _, id := range ids {
		live[id] = true
	}
	f := describeFilter{o: o, liveBrokers: live}
	for _, topic := range topics {
		if err := s.describeOne(f, topic); err != nil {
			return err
		}
	}
	return nil
}

func (s *zkTopicService) describeOne(f describeFilter, topic string) error {
	a, ok, err := s.zk.GetTopicAssignment(topic)
	if err != nil {
		return err
	}
	if !ok {
		fmt.Fprintf(s.e.stdout, "Topic %s doesn't exist!\n", topic)
		return nil
	}
	marked, err := s.zk.IsTopicMarkedForDeletion(topic)
	if err != nil {
		return err
	}
	if f.describeConfigs() {
		configs, err := s.zk.GetEntityConfig(zkutil.ConfigTypeTopic, topic)
		if err != nil {
			return err
		}
		if !f.o.has("topics-with-overrides") || len(configs) > 0 {
			fmt.Fprintln(s.e.stdout, topicHeader(topic, a.TopicID, len(a.Partitions), len(a.Partitions[0]),
				overridesText(configs), marked))
		}
	}
	if !f.describePartitions() {
		return nil
	}
	parts := make([]int32, 0, len(a.Partitions))
	for p := range a.Partitions {
		parts = append(parts, p)
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i] < parts[j] })
	for _, p := range parts {
		d := &partitionDescription{topic: topic, partition: p, leader: -1, replicas: a.Partitions[p], isr: []int32{},
			minIsr: -1, markedForDeletion: marked}
		st, ok, err := s.zk.GetPartitionState(zkutil.TopicPartition{Topic: topic, Partition: p})
		if err != nil {
			return err
		}
		if ok {
			d.leader, d.isr = st.Leader, st.Isr
		}
		if f.shouldPrint(d) {
			fmt.Fprintln(s.e.stdout, d.line())
		}
	}
	return nil
}

// overridesText renders topic overrides in the order Kafka's admin Config
// (a HashMap) iterates them.
func overridesText(configs map[string]string) string {
	names := make([]string, 0, len(configs))
	for k := range configs {
		names = append(names, k)
	}
	sort.Strings(names)
	var parts []string
	for _, n := range configEntriesOrder(names) {
		parts = append(parts, n+"="+configs[n])
	}
	return strings.Join(parts, ",")
}

func (s *zkTopicService) deleteTopic(o topicOptions) error {
	topics, err := s.getTopics(o)
	if err != nil {
		return err
	}
	if err := ensureTopicExists(topics, o); err != nil {
		return err
	}
	for _, topic := range topics {
		if isInternalTopic(topic) {
			return &javaError{"kafka.admin.AdminOperationException",
				fmt.Sprintf("Topic %s is a kafka internal topic and is not allowed to be marked for deletion.", topic)}
		}
		err := s.zk.CreateDeleteTopicNode(topic)
		switch {
		case errors.Is(err, zkutil.ErrNodeExists):
			fmt.Fprintf(s.e.stdout, "Topic %s is already marked for deletion.\n", topic)
		case err != nil:
			return &javaError{"kafka.admin.AdminOperationException", "Error while deleting topic " + topic}
		default:
			fmt.Fprintf(s.e.stdout, "Topic %s is marked for deletion.\n", topic)
			fmt.Fprintln(s.e.stdout, "Note: This will have no impact if delete.topic.enable is not set to true.")
		}
	}
	return nil
}
