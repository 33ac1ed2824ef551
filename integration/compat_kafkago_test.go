package integration

// Compatibility with github.com/segmentio/kafka-go: the Writer at every
// acks level, balancer and codec; the Reader with and without a group; the
// Conn API (Dial, CreateTopics, ReadPartitions, offsets by time) and the
// request/response Client API.

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	kafka "github.com/segmentio/kafka-go"
)

// kgoLog collects kafka-go's reader/writer logs; a failing test prints it.
var kgoLog = &lockedBuffer{}

func kafkaGoLogger(prefix string) kafka.Logger {
	return kafka.LoggerFunc(func(format string, args ...interface{}) {
		fmt.Fprintf(kgoLog, time.Now().Format("15:04:05.000000 ")+prefix+format+"\n", args...)
	})
}

func watchKafkaGoLog(t *testing.T) {
	kgoLog.reset()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("---- tail of kafka-go log ----\n%s---- end of kafka-go log ----", kgoLog.tail(16<<10))
		}
	})
}

// kafkaGoReadAll reads partition of topic from the first offset until n
// messages arrived (Reader without a group).
func kafkaGoReadAll(t *testing.T, bootstrap, topic string, partition, n int) []kafka.Message {
	t.Helper()
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers: strings.Split(bootstrap, ","), Topic: topic, Partition: partition,
		MaxWait: 200 * time.Millisecond, ErrorLogger: kafkaGoLogger("reader error: "),
	})
	defer r.Close()
	if err := r.SetOffset(kafka.FirstOffset); err != nil {
		t.Fatalf("SetOffset: %v", err)
	}
	ctx := testContext(t, 15*time.Second)
	var got []kafka.Message
	for len(got) < n {
		m, err := r.ReadMessage(ctx)
		if err != nil {
			t.Fatalf("reading %s-%d: %v after %d of %d messages", topic, partition, err, len(got), n)
		}
		got = append(got, m)
	}
	return got
}

// kafkaGoGroupRead is ReadMessage (or FetchMessage) for a group Reader,
// retrying the errors a group Reader reports while the coordinator is not
// ready yet: the first lookup creates __consumer_offsets and, as in Kafka,
// answers COORDINATOR_NOT_AVAILABLE until it is loaded.
func kafkaGoGroupRead(ctx context.Context, read func(context.Context) (kafka.Message, error)) (kafka.Message, error) {
	for {
		m, err := read(ctx)
		if err == nil || ctx.Err() != nil ||
			!(errors.Is(err, kafka.GroupCoordinatorNotAvailable) || errors.Is(err, kafka.NotCoordinatorForGroup) ||
				errors.Is(err, kafka.GroupLoadInProgress) || errors.Is(err, kafka.RebalanceInProgress)) {
			return m, err
		}
	}
}

func kafkaGoHeader(m kafka.Message, key string) string {
	for _, h := range m.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}

// TestKafkaGoWriterAcksAndCodecs writes keyed messages with headers at
// every acks level and with every codec, then reads them back with a Reader
// and checks order, keys, headers and consecutive offsets.
func TestKafkaGoWriterAcksAndCodecs(t *testing.T) {
	watchKafkaGoLog(t)
	c := StartCluster(t, nil)
	const topic = "kgo-writer"
	CreateTopic(t, c.Bootstrap(), topic, 1, nil)

	acks := []kafka.RequiredAcks{kafka.RequireAll, kafka.RequireOne, kafka.RequireNone}
	codecs := []kafka.Compression{0, kafka.Gzip, kafka.Snappy, kafka.Lz4, kafka.Zstd}
	var want []kafka.Message
	ctx := testContext(t, 25*time.Second)
	for _, a := range acks {
		for _, codec := range codecs {
			w := &kafka.Writer{
				Addr: kafka.TCP(strings.Split(c.Bootstrap(), ",")...), Topic: topic,
				RequiredAcks: a, Compression: codec, BatchTimeout: 5 * time.Millisecond,
				WriteTimeout: 10 * time.Second, ErrorLogger: kafkaGoLogger("writer error: "),
			}
			var msgs []kafka.Message
			for i := 0; i < 4; i++ {
				msgs = append(msgs, kafka.Message{
					Key:     []byte(fmt.Sprintf("k-%v-%d-%d", a, codec, i)),
					Value:   []byte(fmt.Sprintf("v-%v-%d-%d", a, codec, i)),
					Headers: []kafka.Header{{Key: "hdr", Value: []byte(strconv.Itoa(i))}},
				})
			}
			if err := w.WriteMessages(ctx, msgs...); err != nil {
				t.Errorf("WriteMessages acks=%v codec=%v: %v", a, codec, err)
			}
			if err := w.Close(); err != nil {
				t.Errorf("closing writer: %v", err)
			}
			want = append(want, msgs...)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	got := kafkaGoReadAll(t, c.Bootstrap(), topic, 0, len(want))
	for i, m := range got {
		if m.Offset != int64(i) || string(m.Key) != string(want[i].Key) || string(m.Value) != string(want[i].Value) {
			t.Errorf("message %d: offset %d %s=%s, want offset %d %s=%s", i, m.Offset, m.Key, m.Value, i, want[i].Key, want[i].Value)
		}
		if h := kafkaGoHeader(m, "hdr"); h != strconv.Itoa(i%4) {
			t.Errorf("message %d: header hdr=%q, want %d", i, h, i%4)
		}
		if m.Time.IsZero() || time.Since(m.Time) > 5*time.Minute {
			t.Errorf("message %d: time %v", i, m.Time)
		}
	}
}

// TestKafkaGoBalancers writes keyed messages through each balancer to a
// three-partition topic: key-hashing balancers keep a key on one partition,
// round robin and least bytes use every partition.
func TestKafkaGoBalancers(t *testing.T) {
	watchKafkaGoLog(t)
	c := StartCluster(t, nil)
	balancers := []struct {
		name  string
		b     kafka.Balancer
		keyed bool
	}{
		{"roundrobin", &kafka.RoundRobin{}, false},
		{"leastbytes", &kafka.LeastBytes{}, false},
		{"hash", &kafka.Hash{}, true},
		{"referencehash", &kafka.ReferenceHash{}, true},
		{"crc32", kafka.CRC32Balancer{}, true},
		{"murmur2", kafka.Murmur2Balancer{}, true},
	}
	ctx := testContext(t, 25*time.Second)
	for _, bc := range balancers {
		topic := "kgo-balancer-" + bc.name
		CreateTopic(t, c.Bootstrap(), topic, 3, nil)
		// A Transport of its own: kafka-go's shared DefaultTransport caches
		// metadata for 6 s and reports a topic created since then as unknown.
		tr := &kafka.Transport{}
		w := &kafka.Writer{Addr: kafka.TCP(c.Bootstrap()), Topic: topic, Balancer: bc.b, Transport: tr,
			RequiredAcks: kafka.RequireAll, BatchTimeout: 5 * time.Millisecond, BatchSize: 1}
		var msgs []kafka.Message
		for i := 0; i < 30; i++ {
			msgs = append(msgs, kafka.Message{Key: []byte(fmt.Sprintf("key-%d", i%5)), Value: []byte(strconv.Itoa(i))})
		}
		if err := w.WriteMessages(ctx, msgs...); err != nil {
			t.Fatalf("%s: WriteMessages: %v", bc.name, err)
		}
		_ = w.Close()
		tr.CloseIdleConnections()
		byPartition := ConsumeAll(t, c.Bootstrap(), topic, 15*time.Second)
		total := 0
		keyPartition := map[string]int32{}
		for p, rs := range byPartition {
			total += len(rs)
			for _, r := range rs {
				if q, ok := keyPartition[string(r.Key)]; ok && q != p && bc.keyed {
					t.Errorf("%s: key %s on partitions %d and %d", bc.name, r.Key, q, p)
				}
				keyPartition[string(r.Key)] = p
			}
		}
		if total != 30 {
			t.Errorf("%s: %d messages stored, want 30", bc.name, total)
		}
		if !bc.keyed && len(byPartition) != 3 {
			t.Errorf("%s: used partitions %d, want all 3", bc.name, len(byPartition))
		}
	}
}

// TestKafkaGoReaderGroup consumes with a group Reader (ReadMessage commits
// synchronously), closes it, and checks a second Reader in the group
// resumes after the committed offset; then FetchMessage + CommitMessages.
func TestKafkaGoReaderGroup(t *testing.T) {
	watchKafkaGoLog(t)
	c := StartCluster(t, nil)
	const topic, group = "kgo-group", "kgo-group-g"
	CreateTopic(t, c.Bootstrap(), topic, 2, nil)
	w := &kafka.Writer{Addr: kafka.TCP(c.Bootstrap()), Topic: topic, Balancer: &kafka.RoundRobin{},
		BatchTimeout: 5 * time.Millisecond, RequiredAcks: kafka.RequireAll}
	defer w.Close()
	ctx := testContext(t, 28*time.Second)
	write := func(from, n int) {
		var msgs []kafka.Message
		for i := from; i < from+n; i++ {
			msgs = append(msgs, kafka.Message{Value: []byte(strconv.Itoa(i))})
		}
		if err := w.WriteMessages(ctx, msgs...); err != nil {
			t.Fatalf("WriteMessages: %v", err)
		}
	}
	write(0, 20)
	newReader := func() *kafka.Reader {
		return kafka.NewReader(kafka.ReaderConfig{
			Brokers: strings.Split(c.Bootstrap(), ","), GroupID: group, Topic: topic,
			MaxWait: 200 * time.Millisecond, StartOffset: kafka.FirstOffset,
			HeartbeatInterval: 500 * time.Millisecond, SessionTimeout: 6 * time.Second,
			RebalanceTimeout: 5 * time.Second, JoinGroupBackoff: 200 * time.Millisecond,
			ReadBackoffMax: 200 * time.Millisecond,
			Logger:         kafkaGoLogger("reader: "), ErrorLogger: kafkaGoLogger("reader error: "),
		})
	}
	seen := map[string]int{}
	r1 := newReader()
	for i := 0; i < 20; i++ {
		m, err := kafkaGoGroupRead(ctx, r1.ReadMessage)
		if err != nil {
			t.Fatalf("group ReadMessage %d: %v", i, err)
		}
		seen[string(m.Value)]++
	}
	if err := r1.Close(); err != nil {
		t.Errorf("closing reader: %v", err)
	}
	write(20, 10)
	r2 := newReader()
	defer r2.Close()
	var fetched []kafka.Message
	for i := 0; i < 10; i++ {
		m, err := kafkaGoGroupRead(ctx, r2.FetchMessage)
		if err != nil {
			t.Fatalf("group FetchMessage %d: %v", i, err)
		}
		seen[string(m.Value)]++
		fetched = append(fetched, m)
	}
	if err := r2.CommitMessages(ctx, fetched...); err != nil {
		t.Errorf("CommitMessages: %v", err)
	}
	for i := 0; i < 30; i++ {
		if seen[strconv.Itoa(i)] != 1 {
			t.Errorf("message %d consumed %d times, want once", i, seen[strconv.Itoa(i)])
		}
	}
	cl := &kafka.Client{Addr: kafka.TCP(c.Bootstrap()), Timeout: 10 * time.Second}
	of, err := cl.OffsetFetch(ctx, &kafka.OffsetFetchRequest{GroupID: group, Topics: map[string][]int{topic: {0, 1}}})
	if err != nil || of.Error != nil {
		t.Fatalf("OffsetFetch: %v / %v", err, of.Error)
	}
	var sum int64
	for _, p := range of.Topics[topic] {
		if p.Error != nil {
			t.Errorf("OffsetFetch partition %d: %v", p.Partition, p.Error)
		}
		sum += p.CommittedOffset
	}
	if sum != 30 {
		t.Errorf("committed offsets sum to %d, want 30: %+v", sum, of.Topics[topic])
	}
}

// TestKafkaGoConn uses the low-level Conn: Dial, Controller, CreateTopics,
// ReadPartitions, DialLeader + WriteMessages + ReadBatch, offsets first,
// last and by time, DeleteTopics.
func TestKafkaGoConn(t *testing.T) {
	watchKafkaGoLog(t)
	c := StartCluster(t, nil)
	const topic = "kgo-conn"
	conn, err := kafka.Dial("tcp", c.B().Addr())
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(25 * time.Second))
	ctrl, err := conn.Controller()
	if err != nil || ctrl.ID != 1 {
		t.Fatalf("Controller: %+v, %v", ctrl, err)
	}
	brokers, err := conn.Brokers()
	if err != nil || len(brokers) != 1 || brokers[0].Port != c.B().Port {
		t.Errorf("Brokers: %+v, %v", brokers, err)
	}
	if err := conn.CreateTopics(kafka.TopicConfig{Topic: topic, NumPartitions: 2, ReplicationFactor: 1,
		ConfigEntries: []kafka.ConfigEntry{{ConfigName: "retention.ms", ConfigValue: "86400000"}}}); err != nil {
		t.Fatalf("CreateTopics: %v", err)
	}
	// Conn.CreateTopics hides TOPIC_ALREADY_EXISTS (TestKafkaGoClient sees it).
	if err := conn.CreateTopics(kafka.TopicConfig{Topic: topic, NumPartitions: 2, ReplicationFactor: 1}); err != nil {
		t.Errorf("CreateTopics again: %v", err)
	}
	var parts []kafka.Partition
	waitUntil(t, 15*time.Second, "ReadPartitions lists 2 partitions with leaders", func() bool {
		parts, err = conn.ReadPartitions(topic)
		if err != nil || len(parts) != 2 {
			return false
		}
		for _, p := range parts {
			if p.Leader.ID != 1 {
				return false
			}
		}
		return true
	})
	for _, p := range parts {
		if p.Topic != topic || len(p.Replicas) != 1 || len(p.Isr) != 1 || p.Leader.Port != c.B().Port {
			t.Errorf("partition %+v", p)
		}
	}

	ctx := testContext(t, 20*time.Second)
	lc, err := kafka.DialLeader(ctx, "tcp", c.B().Addr(), topic, 1)
	if err != nil {
		t.Fatalf("DialLeader: %v", err)
	}
	defer lc.Close()
	_ = lc.SetDeadline(time.Now().Add(20 * time.Second))
	first, err := lc.ReadFirstOffset()
	if err != nil || first != 0 {
		t.Errorf("ReadFirstOffset on an empty partition: %d, %v; want 0", first, err)
	}
	before := time.Now().Add(-time.Second)
	for i := 0; i < 3; i++ {
		var msgs []kafka.Message
		for j := 0; j < 4; j++ {
			msgs = append(msgs, kafka.Message{Key: []byte("k"), Value: []byte(fmt.Sprintf("c%d", i*4+j))})
		}
		if _, err := lc.WriteMessages(msgs...); err != nil {
			t.Fatalf("Conn.WriteMessages: %v", err)
		}
	}
	first, err = lc.ReadFirstOffset()
	if err != nil || first != 0 {
		t.Errorf("ReadFirstOffset: %d, %v; want 0", first, err)
	}
	last, err := lc.ReadLastOffset()
	if err != nil || last != 12 {
		t.Errorf("ReadLastOffset: %d, %v; want 12", last, err)
	}
	byTime, err := lc.ReadOffset(before)
	if err != nil || byTime != 0 {
		t.Errorf("ReadOffset(before the writes): %d, %v; want 0", byTime, err)
	}
	// Kafka answers a timestamp after every record with offset -1.
	future, err := lc.ReadOffset(time.Now().Add(time.Hour))
	if err != nil || future != -1 {
		t.Errorf("ReadOffset(an hour ahead): %d, %v; want -1", future, err)
	}
	if _, err := lc.Seek(5, kafka.SeekAbsolute); err != nil {
		t.Fatalf("Seek: %v", err)
	}
	batch := lc.ReadBatch(1, 1<<20)
	var vals []string
	for {
		m, err := batch.ReadMessage()
		if err != nil {
			break
		}
		if m.Offset != int64(5+len(vals)) {
			t.Errorf("ReadBatch message %q at offset %d, want %d", m.Value, m.Offset, 5+len(vals))
		}
		vals = append(vals, string(m.Value))
	}
	if err := batch.Close(); err != nil {
		t.Errorf("batch.Close: %v", err)
	}
	if len(vals) != 7 || vals[0] != "c5" || batch.HighWaterMark() != 12 {
		t.Errorf("ReadBatch from 5: %v, high watermark %d; want c5..c11, 12", vals, batch.HighWaterMark())
	}

	// Past the log end Fetch answers OFFSET_OUT_OF_RANGE; at the log end it
	// answers an empty batch.
	if _, err := lc.Seek(100, kafka.SeekAbsolute|kafka.SeekDontCheck); err != nil {
		t.Fatalf("Seek: %v", err)
	}
	oob := lc.ReadBatchWith(kafka.ReadBatchConfig{MinBytes: 1, MaxBytes: 1 << 20, MaxWait: 200 * time.Millisecond})
	if _, err := oob.ReadMessage(); !errors.Is(err, kafka.OffsetOutOfRange) {
		t.Errorf("ReadBatch at offset 100 of 12: %v, want %v", err, kafka.OffsetOutOfRange)
	}
	_ = oob.Close()

	if err := conn.DeleteTopics(topic); err != nil {
		t.Fatalf("DeleteTopics: %v", err)
	}
	// ReadPartitions asks for the topic with allow_auto_topic_creation, and
	// auto.create.topics.enable defaults to true: once the deletion is done,
	// Kafka creates the topic again, with num.partitions (1) partitions.
	var lastParts []kafka.Partition
	var lastErr error
	deadline := time.Now().Add(15 * time.Second)
	for {
		lastParts, lastErr = conn.ReadPartitions(topic)
		if lastErr == nil && len(lastParts) == 1 && lastParts[0].Leader.ID == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after DeleteTopics, ReadPartitions never saw the topic re-created with 1 partition: %+v, %v", lastParts, lastErr)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestKafkaGoClient calls the request/response Client API: ApiVersions,
// Metadata, CreateTopics, ListOffsets, DescribeConfigs, CreatePartitions,
// FindCoordinator, OffsetCommit/OffsetFetch, InitProducerID, DeleteTopics.
func TestKafkaGoClient(t *testing.T) {
	watchKafkaGoLog(t)
	c := StartCluster(t, nil)
	const topic = "kgo-client"
	cl := &kafka.Client{Addr: kafka.TCP(c.Bootstrap()), Timeout: 10 * time.Second}
	ctx := testContext(t, 25*time.Second)

	av, err := cl.ApiVersions(ctx, &kafka.ApiVersionsRequest{})
	if err != nil || av.Error != nil {
		t.Fatalf("ApiVersions: %v / %v", err, av.Error)
	}
	maxVersion := map[int]int{}
	for _, k := range av.ApiKeys {
		maxVersion[k.ApiKey] = k.MaxVersion
	}
	// Kafka 2.8's maxima for the APIs kafka-go's Writer and Reader use.
	for key, want := range map[int]int{0: 9, 1: 12, 2: 6, 3: 11, 8: 8, 9: 7, 10: 3, 11: 7, 18: 3, 19: 7, 22: 4} {
		if maxVersion[key] != want {
			t.Errorf("ApiVersions: key %d max %d, want %d (Kafka 2.8)", key, maxVersion[key], want)
		}
	}

	CreateTopic(t, c.Bootstrap(), "kgo-exists", 1, nil)
	ct, err := cl.CreateTopics(ctx, &kafka.CreateTopicsRequest{Topics: []kafka.TopicConfig{
		{Topic: topic, NumPartitions: 1, ReplicationFactor: 1},
		{Topic: "kgo-exists", NumPartitions: 1, ReplicationFactor: 1},
		{Topic: "bad topic name", NumPartitions: 1, ReplicationFactor: 1},
	}})
	if err != nil {
		t.Fatalf("CreateTopics: %v", err)
	}
	if ct.Errors[topic] != nil || !errors.Is(ct.Errors["bad topic name"], kafka.InvalidTopic) || !errors.Is(ct.Errors["kgo-exists"], kafka.TopicAlreadyExists) {
		t.Errorf("CreateTopics errors %v; want none for %s, InvalidTopic for the bad name, TopicAlreadyExists for kgo-exists", ct.Errors, topic)
	}
	WaitLeaders(t, kadmClient(t, c.Bootstrap()), topic, 1)

	md, err := cl.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		t.Fatalf("Metadata: %v", err)
	}
	if md.Controller.ID != 1 || len(md.Brokers) != 1 || md.ClusterID == "" || len(md.Topics) != 1 || len(md.Topics[0].Partitions) != 1 {
		t.Errorf("Metadata: controller %d, %d brokers, cluster id %q, topics %+v", md.Controller.ID, len(md.Brokers), md.ClusterID, md.Topics)
	}

	// RequireAll: the Writer's default is acks=0, after which the records
	// may not be appended yet when ListOffsets arrives on another connection.
	w := &kafka.Writer{Addr: kafka.TCP(c.Bootstrap()), Topic: topic, BatchTimeout: 5 * time.Millisecond, RequiredAcks: kafka.RequireAll}
	if err := w.WriteMessages(ctx, kafka.Message{Value: []byte("a")}, kafka.Message{Value: []byte("b")}, kafka.Message{Value: []byte("c")}); err != nil {
		t.Fatalf("WriteMessages: %v", err)
	}
	_ = w.Close()
	lo, err := cl.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{
		topic: {kafka.FirstOffsetOf(0), kafka.LastOffsetOf(0)}}})
	if err != nil {
		t.Fatalf("ListOffsets: %v", err)
	}
	if ps := lo.Topics[topic]; len(ps) != 1 || ps[0].Error != nil || ps[0].FirstOffset != 0 || ps[0].LastOffset != 3 {
		t.Errorf("ListOffsets: %+v; want first 0 last 3", ps)
	}

	dc, err := cl.DescribeConfigs(ctx, &kafka.DescribeConfigsRequest{Resources: []kafka.DescribeConfigRequestResource{
		{ResourceType: kafka.ResourceTypeTopic, ResourceName: topic, ConfigNames: []string{"cleanup.policy", "retention.ms"}},
		{ResourceType: kafka.ResourceTypeBroker, ResourceName: "1", ConfigNames: []string{"log.retention.hours"}},
	}})
	if err != nil {
		t.Fatalf("DescribeConfigs: %v", err)
	}
	gotConfigs := map[string]string{}
	for _, r := range dc.Resources {
		if r.Error != nil {
			t.Errorf("DescribeConfigs %s: %v", r.ResourceName, r.Error)
		}
		for _, e := range r.ConfigEntries {
			gotConfigs[r.ResourceName+"/"+e.ConfigName] = e.ConfigValue
		}
	}
	for k, v := range map[string]string{topic + "/cleanup.policy": "delete", topic + "/retention.ms": "604800000", "1/log.retention.hours": "168"} {
		if gotConfigs[k] != v {
			t.Errorf("DescribeConfigs %s = %q, want %q (all: %v)", k, gotConfigs[k], v, gotConfigs)
		}
	}

	cp, err := cl.CreatePartitions(ctx, &kafka.CreatePartitionsRequest{Topics: []kafka.TopicPartitionsConfig{{Name: topic, Count: 3}}})
	if err != nil || cp.Errors[topic] != nil {
		t.Errorf("CreatePartitions: %v / %v", err, cp.Errors)
	}

	const group = "kgo-client-g"
	// The first FindCoordinator creates __consumer_offsets and, as in Kafka,
	// answers COORDINATOR_NOT_AVAILABLE until it is loaded; clients retry.
	var fc *kafka.FindCoordinatorResponse
	waitUntil(t, 15*time.Second, "FindCoordinator answers without error", func() bool {
		fc, err = cl.FindCoordinator(ctx, &kafka.FindCoordinatorRequest{Key: group, KeyType: kafka.CoordinatorKeyTypeConsumer})
		if err == nil && errors.Is(fc.Error, kafka.GroupCoordinatorNotAvailable) {
			return false
		}
		return true
	})
	if err != nil || fc.Error != nil || fc.Coordinator == nil || fc.Coordinator.NodeID != 1 || fc.Coordinator.Port != c.B().Port {
		t.Errorf("FindCoordinator: %+v, %v", fc, err)
	}
	// A commit outside any generation (generation -1, no member) is how
	// tools store offsets for a group without members.
	oc, err := cl.OffsetCommit(ctx, &kafka.OffsetCommitRequest{GroupID: group, GenerationID: -1,
		Topics: map[string][]kafka.OffsetCommit{topic: {{Partition: 0, Offset: 2, Metadata: "md"}}}})
	if err != nil {
		t.Fatalf("OffsetCommit: %v", err)
	}
	for _, p := range oc.Topics[topic] {
		if p.Error != nil {
			t.Errorf("OffsetCommit partition %d: %v", p.Partition, p.Error)
		}
	}
	of, err := cl.OffsetFetch(ctx, &kafka.OffsetFetchRequest{GroupID: group, Topics: map[string][]int{topic: {0, 1}}})
	if err != nil || of.Error != nil {
		t.Fatalf("OffsetFetch: %v / %v", err, of.Error)
	}
	fetched := of.Topics[topic]
	sort.Slice(fetched, func(i, j int) bool { return fetched[i].Partition < fetched[j].Partition })
	if len(fetched) != 2 || fetched[0].CommittedOffset != 2 || fetched[0].Metadata != "md" || fetched[1].CommittedOffset != -1 {
		t.Errorf("OffsetFetch: %+v; want partition 0 at 2 \"md\", partition 1 at -1", fetched)
	}

	ip, err := cl.InitProducerID(ctx, &kafka.InitProducerIDRequest{TransactionTimeoutMs: 60000, ProducerID: -1, ProducerEpoch: -1})
	if err != nil || ip.Error != nil || ip.Producer == nil || ip.Producer.ProducerID < 0 || ip.Producer.ProducerEpoch != 0 {
		t.Errorf("InitProducerID: %+v, %v", ip, err)
	}
	ip2, err := cl.InitProducerID(ctx, &kafka.InitProducerIDRequest{TransactionTimeoutMs: 60000, ProducerID: -1, ProducerEpoch: -1})
	if err == nil && ip2.Error == nil && ip != nil && ip.Producer != nil && ip2.Producer != nil && ip2.Producer.ProducerID == ip.Producer.ProducerID {
		t.Errorf("two InitProducerID calls returned the same producer id %d", ip.Producer.ProducerID)
	}

	dt, err := cl.DeleteTopics(ctx, &kafka.DeleteTopicsRequest{Topics: []string{topic, "kgo-no-such"}})
	if err != nil {
		t.Fatalf("DeleteTopics: %v", err)
	}
	if dt.Errors[topic] != nil || !errors.Is(dt.Errors["kgo-no-such"], kafka.UnknownTopicOrPartition) {
		t.Errorf("DeleteTopics errors: %v", dt.Errors)
	}
}

// TestKafkaGoConsumerGroupAPI uses kafka-go's ConsumerGroup directly (as
// its consumergroup tests do): one member gets every partition, a second
// member joins and the next generation splits them; the generation commits
// offsets; DescribeGroups and ListGroups show the group.
func TestKafkaGoConsumerGroupAPI(t *testing.T) {
	watchKafkaGoLog(t)
	c := StartCluster(t, nil)
	const topic, group = "kgo-cg", "kgo-cg-g"
	CreateTopic(t, c.Bootstrap(), topic, 4, nil)
	ctx := testContext(t, 28*time.Second)
	newGroup := func(name string) *kafka.ConsumerGroup {
		cg, err := kafka.NewConsumerGroup(kafka.ConsumerGroupConfig{
			ID: group, Brokers: strings.Split(c.Bootstrap(), ","), Topics: []string{topic},
			HeartbeatInterval: 300 * time.Millisecond, SessionTimeout: 6 * time.Second,
			RebalanceTimeout: 6 * time.Second, JoinGroupBackoff: 200 * time.Millisecond,
			StartOffset: kafka.FirstOffset,
			Logger:      kafkaGoLogger(name + ": "), ErrorLogger: kafkaGoLogger(name + " error: "),
		})
		if err != nil {
			t.Fatalf("NewConsumerGroup: %v", err)
		}
		t.Cleanup(func() { _ = cg.Close() })
		return cg
	}
	count := func(g *kafka.Generation) int { return len(g.Assignments[topic]) }
	// Next reports a failed join and tries again, so callers loop. Only
	// COORDINATOR_NOT_AVAILABLE (the first lookup creates
	// __consumer_offsets, as in Kafka) and REBALANCE_IN_PROGRESS are expected.
	nextGen := func(cg *kafka.ConsumerGroup) (*kafka.Generation, error) {
		for {
			g, err := cg.Next(ctx)
			if err == nil || ctx.Err() != nil {
				return g, err
			}
			if !errors.Is(err, kafka.GroupCoordinatorNotAvailable) && !errors.Is(err, kafka.RebalanceInProgress) {
				return nil, err
			}
		}
	}

	cg1 := newGroup("m1")
	gen1, err := nextGen(cg1)
	if err != nil {
		t.Fatalf("member 1 Next: %v", err)
	}
	if count(gen1) != 4 {
		t.Errorf("member 1 alone has %d partitions, want 4", count(gen1))
	}
	if err := gen1.CommitOffsets(map[string]map[int]int64{topic: {0: 1, 1: 2, 2: 3, 3: 4}}); err != nil {
		t.Errorf("CommitOffsets: %v", err)
	}

	cg2 := newGroup("m2")
	type next struct {
		gen *kafka.Generation
		err error
	}
	ch1, ch2 := make(chan next, 1), make(chan next, 1)
	go func() { g, err := nextGen(cg1); ch1 <- next{g, err} }()
	go func() { g, err := nextGen(cg2); ch2 <- next{g, err} }()
	n1, n2 := <-ch1, <-ch2
	if n1.err != nil || n2.err != nil {
		t.Fatalf("Next after second member joined: %v / %v", n1.err, n2.err)
	}
	if n1.gen.ID != n2.gen.ID || n1.gen.ID <= gen1.ID {
		t.Errorf("generations %d and %d after the rebalance, first was %d", n1.gen.ID, n2.gen.ID, gen1.ID)
	}
	if count(n1.gen) != 2 || count(n2.gen) != 2 {
		t.Errorf("partitions split %d/%d, want 2/2", count(n1.gen), count(n2.gen))
	}
	// The new generation starts from the offsets committed in the old one.
	for _, g := range []*kafka.Generation{n1.gen, n2.gen} {
		for _, a := range g.Assignments[topic] {
			if a.Offset != int64(a.ID+1) {
				t.Errorf("partition %d starts at %d, want committed %d", a.ID, a.Offset, a.ID+1)
			}
		}
	}

	cl := &kafka.Client{Addr: kafka.TCP(c.Bootstrap()), Timeout: 10 * time.Second}
	dg, err := cl.DescribeGroups(ctx, &kafka.DescribeGroupsRequest{GroupIDs: []string{group}})
	if err != nil || len(dg.Groups) != 1 {
		t.Fatalf("DescribeGroups: %+v, %v", dg, err)
	}
	if g := dg.Groups[0]; g.Error != nil || g.GroupState != "Stable" || len(g.Members) != 2 {
		t.Errorf("DescribeGroups: error %v state %q, %d members; want Stable with 2", g.Error, g.GroupState, len(g.Members))
	} else {
		for _, m := range g.Members {
			if len(m.MemberMetadata.Topics) != 1 || len(m.MemberAssignments.Topics) != 1 || len(m.MemberAssignments.Topics[0].Partitions) != 2 {
				t.Errorf("member %s: metadata %+v assignment %+v", m.MemberID, m.MemberMetadata, m.MemberAssignments)
			}
		}
	}
	lg, err := cl.ListGroups(ctx, &kafka.ListGroupsRequest{})
	if err != nil || lg.Error != nil || len(lg.Groups) != 1 || lg.Groups[0].GroupID != group || lg.Groups[0].ProtocolType != "consumer" || lg.Groups[0].Coordinator != 1 {
		t.Errorf("ListGroups: %+v, %v", lg, err)
	}
	// A group with members cannot be deleted.
	del, err := cl.DeleteGroups(ctx, &kafka.DeleteGroupsRequest{GroupIDs: []string{group}})
	if err != nil || !errors.Is(del.Errors[group], kafka.NonEmptyGroup) {
		t.Errorf("DeleteGroups of a live group: %+v, %v; want NonEmptyGroup", del, err)
	}
	_ = cg1.Close()
	_ = cg2.Close()
	od, err := cl.OffsetDelete(ctx, &kafka.OffsetDeleteRequest{GroupID: group, Topics: map[string][]int{topic: {0}}})
	if err != nil || od.Error != nil {
		t.Errorf("OffsetDelete: %+v, %v", od, err)
	} else if ps := od.Topics[topic]; len(ps) != 1 || ps[0].Error != nil {
		t.Errorf("OffsetDelete partitions: %+v", ps)
	}
	waitUntil(t, 10*time.Second, "DeleteGroups succeeds once the members left", func() bool {
		del, err = cl.DeleteGroups(ctx, &kafka.DeleteGroupsRequest{GroupIDs: []string{group}})
		return err == nil && del.Errors[group] == nil
	})
}

// TestKafkaGoClientProduceFetchAdmin calls Client.Produce (record batch v2
// and message set v1) and Client.Fetch, then the admin calls kafka-go's
// client tests make: ElectLeaders, ListPartitionReassignments, and the ones
// for features the broker lacks so far.
func TestKafkaGoClientProduceFetchAdmin(t *testing.T) {
	watchKafkaGoLog(t)
	c := StartCluster(t, nil)
	const topic = "kgo-pf"
	CreateTopic(t, c.Bootstrap(), topic, 1, nil)
	cl := &kafka.Client{Addr: kafka.TCP(c.Bootstrap()), Timeout: 10 * time.Second}
	ctx := testContext(t, 25*time.Second)

	for i, mv := range []int{2, 1} {
		pr, err := cl.Produce(ctx, &kafka.ProduceRequest{Topic: topic, Partition: 0, RequiredAcks: kafka.RequireAll,
			MessageVersion: mv, Compression: kafka.Gzip,
			Records: kafka.NewRecordReader(kafka.Record{Key: kafka.NewBytes([]byte("a")), Value: kafka.NewBytes([]byte(fmt.Sprintf("v%d-0", mv)))},
				kafka.Record{Key: kafka.NewBytes([]byte("b")), Value: kafka.NewBytes([]byte(fmt.Sprintf("v%d-1", mv)))})})
		if err != nil || pr.Error != nil {
			t.Fatalf("Produce message version %d: %v / %+v", mv, err, pr)
		}
		if pr.BaseOffset != int64(2*i) {
			t.Errorf("Produce message version %d: base offset %d, want %d", mv, pr.BaseOffset, 2*i)
		}
	}
	// kafka-go sends a sessionless full fetch as session id -1, epoch -1;
	// Kafka serves any fetch with epoch 0 or -1 in full (FetchManager.newContext).
	fr, err := cl.Fetch(ctx, &kafka.FetchRequest{Topic: topic, Partition: 0, Offset: 1, MinBytes: 1, MaxBytes: 1 << 20, MaxWait: 500 * time.Millisecond})
	if err != nil || fr.Error != nil {
		t.Errorf("Fetch: %v / %+v", err, fr)
	} else {
		if fr.HighWatermark != 4 || fr.LogStartOffset != 0 || fr.LastStableOffset != 4 {
			t.Errorf("Fetch: high watermark %d, log start %d, last stable %d; want 4, 0, 4", fr.HighWatermark, fr.LogStartOffset, fr.LastStableOffset)
		}
		var fetched []string
		for {
			r, err := fr.Records.ReadRecord()
			if err != nil {
				break
			}
			if r.Offset >= 1 {
				b := make([]byte, 16)
				n, _ := r.Value.Read(b)
				fetched = append(fetched, fmt.Sprintf("%d:%s", r.Offset, b[:n]))
			}
		}
		if fmt.Sprint(fetched) != "[1:v2-1 2:v1-0 3:v1-1]" {
			t.Errorf("Fetch from offset 1: %v, want [1:v2-1 2:v1-0 3:v1-1]", fetched)
		}
	}

	// Offset edge cases: metadata over offset.metadata.max.bytes (4096) is
	// OFFSET_METADATA_TOO_LARGE; OffsetFetch without topics returns every
	// committed offset of the group (v2+); ListOffsets of a partition that
	// does not exist is UNKNOWN_TOPIC_OR_PARTITION.
	// The first commits may race the creation of __consumer_offsets
	// (NOT_COORDINATOR until the partition is loaded).
	var oc *kafka.OffsetCommitResponse
	waitUntil(t, 10*time.Second, "OffsetCommit succeeds", func() bool {
		oc, err = cl.OffsetCommit(ctx, &kafka.OffsetCommitRequest{GroupID: "kgo-pf-g", GenerationID: -1,
			Topics: map[string][]kafka.OffsetCommit{topic: {{Partition: 0, Offset: 2, Metadata: "ok"}}}})
		return err == nil && len(oc.Topics[topic]) == 1 && oc.Topics[topic][0].Error == nil
	})
	oc, err = cl.OffsetCommit(ctx, &kafka.OffsetCommitRequest{GroupID: "kgo-pf-g", GenerationID: -1,
		Topics: map[string][]kafka.OffsetCommit{topic: {{Partition: 0, Offset: 1, Metadata: strings.Repeat("m", 5000)}}}})
	if err != nil {
		t.Errorf("OffsetCommit: %v", err)
	} else if ps := oc.Topics[topic]; len(ps) != 1 || !errors.Is(ps[0].Error, kafka.OffsetMetadataTooLarge) {
		t.Errorf("OffsetCommit with 5000 bytes of metadata: %+v, want OffsetMetadataTooLarge", ps)
	}
	of, err := cl.OffsetFetch(ctx, &kafka.OffsetFetchRequest{GroupID: "kgo-pf-g"})
	if err != nil || of.Error != nil || len(of.Topics[topic]) != 1 || of.Topics[topic][0].CommittedOffset != 2 {
		t.Errorf("OffsetFetch of all partitions: %+v, %v; want %s-0 at 2", of, err, topic)
	}
	lo, err := cl.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{topic: {kafka.LastOffsetOf(7)}}})
	if err != nil {
		t.Logf("ListOffsets of partition 7: %v", err)
	} else if ps := lo.Topics[topic]; len(ps) != 1 || !errors.Is(ps[0].Error, kafka.UnknownTopicOrPartition) {
		t.Errorf("ListOffsets of partition 7 of a 1-partition topic: %+v, want UnknownTopicOrPartition", ps)
	}

	el, err := cl.ElectLeaders(ctx, &kafka.ElectLeadersRequest{Topic: topic, Partitions: []int{0}, Timeout: 5 * time.Second})
	if err != nil {
		t.Errorf("ElectLeaders: %v", err)
	} else if len(el.PartitionResults) != 1 || !errors.Is(el.PartitionResults[0].Error, kafka.ElectionNotNeeded) {
		t.Errorf("ElectLeaders: %+v; want ElectionNotNeeded for the partition", el)
	}
	lr, err := cl.ListPartitionReassignments(ctx, &kafka.ListPartitionReassignmentsRequest{
		Topics: map[string]kafka.ListPartitionReassignmentsRequestTopic{topic: {PartitionIndexes: []int{0}}}, Timeout: 5 * time.Second})
	if err != nil || lr.Error != nil || len(lr.Topics[topic].Partitions) != 0 {
		t.Errorf("ListPartitionReassignments: %+v, %v; want none in progress", lr, err)
	}

	ac, err := cl.AlterConfigs(ctx, &kafka.AlterConfigsRequest{Resources: []kafka.AlterConfigRequestResource{{
		ResourceType: kafka.ResourceTypeTopic, ResourceName: topic,
		Configs: []kafka.AlterConfigRequestConfig{{Name: "retention.ms", Value: "1000"}}}}})
	if err != nil {
		t.Errorf("AlterConfigs: %v", err)
	} else {
		for r, e := range ac.Errors {
			if e != nil {
				t.Errorf("AlterConfigs %v: %v", r, e)
			}
		}
	}
	dc, err := cl.DescribeConfigs(ctx, &kafka.DescribeConfigsRequest{Resources: []kafka.DescribeConfigRequestResource{
		{ResourceType: kafka.ResourceTypeTopic, ResourceName: topic, ConfigNames: []string{"retention.ms"}}}})
	if err != nil || len(dc.Resources) != 1 || len(dc.Resources[0].ConfigEntries) != 1 || dc.Resources[0].ConfigEntries[0].ConfigValue != "1000" {
		t.Errorf("DescribeConfigs after AlterConfigs: %+v, %v; want retention.ms=1000", dc, err)
	}
	// ACLs: like a Kafka 2.8 broker without an authorizer, SECURITY_DISABLED.
	da, err := cl.DescribeACLs(ctx, &kafka.DescribeACLsRequest{Filter: kafka.ACLFilter{ResourceTypeFilter: kafka.ResourceTypeAny,
		ResourcePatternTypeFilter: kafka.PatternTypeAny, Operation: kafka.ACLOperationTypeAny, PermissionType: kafka.ACLPermissionTypeAny}})
	if err != nil || da == nil || !errors.Is(da.Error, kafka.SecurityDisabled) {
		t.Errorf("DescribeACLs: %+v, %v; want SECURITY_DISABLED (no authorizer)", da, err)
	}
}

// TestKafkaGoReaderExtras: Reader.SetOffsetAt, ReadLag and Lag, a group
// Reader over several topics (GroupTopics), and a Writer that creates its
// topic (AllowAutoTopicCreation).
func TestKafkaGoReaderExtras(t *testing.T) {
	watchKafkaGoLog(t)
	c := StartCluster(t, nil)
	ctx := testContext(t, 28*time.Second)
	const topic = "kgo-extras"
	CreateTopic(t, c.Bootstrap(), topic, 1, nil)
	w := &kafka.Writer{Addr: kafka.TCP(c.Bootstrap()), Topic: topic, BatchTimeout: 5 * time.Millisecond, RequiredAcks: kafka.RequireAll}
	for i := 0; i < 5; i++ {
		if err := w.WriteMessages(ctx, kafka.Message{Value: []byte(fmt.Sprintf("t%d", i))}); err != nil {
			t.Fatalf("WriteMessages: %v", err)
		}
	}
	// Timestamps are in milliseconds: keep mid clear of both writes.
	time.Sleep(50 * time.Millisecond)
	mid := time.Now()
	time.Sleep(50 * time.Millisecond)
	for i := 5; i < 10; i++ {
		if err := w.WriteMessages(ctx, kafka.Message{Value: []byte(fmt.Sprintf("t%d", i))}); err != nil {
			t.Fatalf("WriteMessages: %v", err)
		}
	}
	_ = w.Close()

	r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{c.B().Addr()}, Topic: topic, MaxWait: 200 * time.Millisecond})
	defer r.Close()
	if err := r.SetOffsetAt(ctx, mid); err != nil {
		t.Fatalf("SetOffsetAt: %v", err)
	}
	m, err := r.ReadMessage(ctx)
	if err != nil || m.Offset != 5 || string(m.Value) != "t5" {
		t.Errorf("ReadMessage after SetOffsetAt(mid): offset %d %q, %v; want 5 t5", m.Offset, m.Value, err)
	}
	lag, err := r.ReadLag(ctx)
	if err != nil || lag != 4 {
		t.Errorf("ReadLag: %d, %v; want 4", lag, err)
	}

	// A group over two topics.
	const other = "kgo-extras-2"
	CreateTopic(t, c.Bootstrap(), other, 2, nil)
	w2 := &kafka.Writer{Addr: kafka.TCP(c.Bootstrap()), Topic: other, Transport: &kafka.Transport{},
		BatchTimeout: 5 * time.Millisecond, Balancer: &kafka.RoundRobin{}}
	if err := w2.WriteMessages(ctx, kafka.Message{Value: []byte("o0")}, kafka.Message{Value: []byte("o1")}); err != nil {
		t.Fatalf("WriteMessages %s: %v", other, err)
	}
	_ = w2.Close()
	gr := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{c.B().Addr()}, GroupID: "kgo-extras-g",
		GroupTopics: []string{topic, other}, StartOffset: kafka.FirstOffset, MaxWait: 200 * time.Millisecond,
		HeartbeatInterval: 500 * time.Millisecond, JoinGroupBackoff: 200 * time.Millisecond,
		ErrorLogger: kafkaGoLogger("group reader error: ")})
	defer gr.Close()
	perTopic := map[string]int{}
	for i := 0; i < 12; i++ {
		m, err := kafkaGoGroupRead(ctx, gr.ReadMessage)
		if err != nil {
			t.Fatalf("group reader over two topics, message %d: %v", i, err)
		}
		perTopic[m.Topic]++
	}
	if perTopic[topic] != 10 || perTopic[other] != 2 {
		t.Errorf("group reader over two topics read %v, want 10 and 2", perTopic)
	}

	// A writer that creates its topic on first use: the first metadata
	// answer is LEADER_NOT_AVAILABLE while Kafka creates it; the writer retries.
	aw := &kafka.Writer{Addr: kafka.TCP(c.Bootstrap()), Topic: "kgo-autocreated", AllowAutoTopicCreation: true,
		Transport: &kafka.Transport{}, BatchTimeout: 5 * time.Millisecond, RequiredAcks: kafka.RequireAll}
	defer aw.Close()
	var werr error
	for attempt := 0; attempt < 20; attempt++ {
		if werr = aw.WriteMessages(ctx, kafka.Message{Value: []byte("auto")}); werr == nil {
			break
		}
		if !errors.Is(werr, kafka.LeaderNotAvailable) && !errors.Is(werr, kafka.UnknownTopicOrPartition) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if werr != nil {
		t.Errorf("writing to an auto-created topic: %v", werr)
	}
}

// TestKafkaGoThreeBrokers writes with acks=all to a replicated topic whose
// leaders are spread over three brokers, reads it back in a group, and
// checks that a produce sent to a follower gets NOT_LEADER_FOR_PARTITION.
func TestKafkaGoThreeBrokers(t *testing.T) {
	watchKafkaGoLog(t)
	c := StartClusterN(t, 3, map[string]string{"offsets.topic.replication.factor": "3"})
	const topic = "kgo-rf3"
	ctx := testContext(t, 28*time.Second)
	cl := &kafka.Client{Addr: kafka.TCP(c.Brokers[0].Addr()), Timeout: 10 * time.Second}
	ct, err := cl.CreateTopics(ctx, &kafka.CreateTopicsRequest{Topics: []kafka.TopicConfig{{Topic: topic, NumPartitions: 3, ReplicationFactor: 3}}})
	if err != nil || ct.Errors[topic] != nil {
		t.Fatalf("CreateTopics rf=3: %v / %v", err, ct)
	}
	var md *kafka.MetadataResponse
	waitUntil(t, 20*time.Second, "3 partitions with 3 in-sync replicas", func() bool {
		md, err = cl.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
		if err != nil || len(md.Topics) != 1 || len(md.Topics[0].Partitions) != 3 {
			return false
		}
		for _, p := range md.Topics[0].Partitions {
			if len(p.Isr) != 3 || p.Leader.ID < 1 {
				return false
			}
		}
		return true
	})
	if len(md.Brokers) != 3 {
		t.Errorf("Metadata lists %d brokers, want 3", len(md.Brokers))
	}
	leaders := map[int]bool{}
	for _, p := range md.Topics[0].Partitions {
		leaders[p.Leader.ID] = true
	}
	if len(leaders) != 3 {
		t.Errorf("leaders %v: Kafka spreads the first replica (the leader) over all brokers", leaders)
	}
	// kafka.TCP takes one address per argument (a comma-separated string
	// would make kafka-go index past its network list).
	w := &kafka.Writer{Addr: kafka.TCP(strings.Split(c.Bootstrap(), ",")...), Topic: topic, Transport: &kafka.Transport{},
		Balancer: &kafka.RoundRobin{}, RequiredAcks: kafka.RequireAll, BatchTimeout: 5 * time.Millisecond}
	var msgs []kafka.Message
	for i := 0; i < 30; i++ {
		msgs = append(msgs, kafka.Message{Value: []byte(strconv.Itoa(i))})
	}
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		t.Fatalf("WriteMessages acks=all: %v", err)
	}
	_ = w.Close()

	// Produce straight to a follower of partition 0.
	p0 := md.Topics[0].Partitions[0]
	var follower kafka.Broker
	for _, r := range p0.Replicas {
		if r.ID != p0.Leader.ID {
			follower = r
			break
		}
	}
	fconn, err := (&kafka.Dialer{Timeout: 5 * time.Second}).DialPartition(ctx, "tcp", net.JoinHostPort(follower.Host, strconv.Itoa(follower.Port)),
		kafka.Partition{Topic: topic, ID: 0, Leader: follower})
	if err != nil {
		t.Fatalf("DialPartition on follower: %v", err)
	}
	defer fconn.Close()
	_ = fconn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := fconn.WriteMessages(kafka.Message{Value: []byte("to-follower")}); !errors.Is(err, kafka.NotLeaderForPartition) {
		t.Errorf("produce to follower %d of partition 0: %v, want %v", follower.ID, err, kafka.NotLeaderForPartition)
	}

	r := kafka.NewReader(kafka.ReaderConfig{Brokers: strings.Split(c.Bootstrap(), ","), GroupID: "kgo-rf3-g", Topic: topic,
		StartOffset: kafka.FirstOffset, MaxWait: 200 * time.Millisecond, HeartbeatInterval: 500 * time.Millisecond,
		JoinGroupBackoff: 200 * time.Millisecond, ErrorLogger: kafkaGoLogger("reader error: ")})
	defer r.Close()
	seen := map[string]bool{}
	for len(seen) < 30 {
		m, err := kafkaGoGroupRead(ctx, r.ReadMessage)
		if err != nil {
			t.Fatalf("group ReadMessage after %d: %v", len(seen), err)
		}
		seen[string(m.Value)] = true
	}
}

// TestKafkaGoTransactionalInitProducerID: kafka-go's Client finds the
// transaction coordinator and initialises a transactional id. While
// __transaction_state is being created the answer is a retriable
// coordinator error; then the id gets a producer id at epoch 0, and a
// second InitProducerId (a new producer instance) bumps the epoch on the
// same producer id, which fences the first.
func TestKafkaGoTransactionalInitProducerID(t *testing.T) {
	watchKafkaGoLog(t)
	c := StartCluster(t, nil)
	cl := &kafka.Client{Addr: kafka.TCP(c.Bootstrap()), Timeout: 10 * time.Second}
	ctx := testContext(t, 40*time.Second)
	initID := func() kafka.ProducerSession {
		t.Helper()
		var last error
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			ip, err := cl.InitProducerID(ctx, &kafka.InitProducerIDRequest{TransactionalID: "kgo-tx", TransactionTimeoutMs: 60000, ProducerID: -1, ProducerEpoch: -1})
			if err == nil {
				err = ip.Error
			}
			if err == nil && ip.Producer != nil {
				return *ip.Producer
			}
			if !errors.Is(err, kafka.GroupCoordinatorNotAvailable) && !errors.Is(err, kafka.NotCoordinatorForGroup) &&
				!errors.Is(err, kafka.GroupLoadInProgress) && !errors.Is(err, kafka.ConcurrentTransactions) {
				t.Fatalf("transactional InitProducerID: %v", err)
			}
			last = err
			time.Sleep(200 * time.Millisecond)
		}
		t.Fatalf("transactional InitProducerID kept failing: %v", last)
		return kafka.ProducerSession{}
	}
	first := initID()
	if first.ProducerID < 0 || first.ProducerEpoch != 0 {
		t.Fatalf("first InitProducerID: %+v, want a producer id at epoch 0", first)
	}
	second := initID()
	if second.ProducerID != first.ProducerID || second.ProducerEpoch != first.ProducerEpoch+1 {
		t.Errorf("second InitProducerID: %+v, want producer id %d at epoch %d", second, first.ProducerID, first.ProducerEpoch+1)
	}
}

// TestKafkaGoClientGroupProtocol drives the group protocol by hand through
// kafka-go's Client, as its client tests do: JoinGroup (v4+: first
// MEMBER_ID_REQUIRED, KIP-394), SyncGroup, Heartbeat, a generation-checked
// OffsetCommit, and LeaveGroup.
func TestKafkaGoClientGroupProtocol(t *testing.T) {
	watchKafkaGoLog(t)
	c := StartCluster(t, nil)
	const topic, group = "kgo-gp", "kgo-gp-g"
	CreateTopic(t, c.Bootstrap(), topic, 1, nil)
	cl := &kafka.Client{Addr: kafka.TCP(c.Bootstrap()), Timeout: 10 * time.Second}
	ctx := testContext(t, 25*time.Second)
	waitUntil(t, 10*time.Second, "FindCoordinator answers", func() bool {
		fc, err := cl.FindCoordinator(ctx, &kafka.FindCoordinatorRequest{Key: group, KeyType: kafka.CoordinatorKeyTypeConsumer})
		return err == nil && fc.Error == nil
	})
	join := func(member string) *kafka.JoinGroupResponse {
		t.Helper()
		jr, err := cl.JoinGroup(ctx, &kafka.JoinGroupRequest{GroupID: group, MemberID: member,
			SessionTimeout: 6 * time.Second, RebalanceTimeout: 5 * time.Second, ProtocolType: "consumer",
			Protocols: []kafka.GroupProtocol{{Name: "range", Metadata: kafka.GroupProtocolSubscription{Topics: []string{topic}}}}})
		if err != nil {
			t.Fatalf("JoinGroup: %v", err)
		}
		return jr
	}
	var jr *kafka.JoinGroupResponse
	waitUntil(t, 10*time.Second, "the coordinator has loaded the group partition", func() bool {
		jr = join("")
		return !errors.Is(jr.Error, kafka.NotCoordinatorForGroup) && !errors.Is(jr.Error, kafka.GroupLoadInProgress) &&
			!errors.Is(jr.Error, kafka.GroupCoordinatorNotAvailable)
	})
	if !errors.Is(jr.Error, kafka.MemberIDRequired) || jr.MemberID == "" {
		t.Fatalf("first JoinGroup without a member id: %v, member %q; want MEMBER_ID_REQUIRED with an id", jr.Error, jr.MemberID)
	}
	member := jr.MemberID
	jr = join(member)
	if jr.Error != nil || jr.GenerationID != 1 || jr.LeaderID != member || jr.MemberID != member || jr.ProtocolName != "range" ||
		len(jr.Members) != 1 || fmt.Sprint(jr.Members[0].Metadata.Topics) != "["+topic+"]" {
		t.Fatalf("JoinGroup: %+v", jr)
	}
	sr, err := cl.SyncGroup(ctx, &kafka.SyncGroupRequest{GroupID: group, GenerationID: jr.GenerationID, MemberID: member,
		ProtocolType: "consumer", ProtocolName: "range",
		Assignments: []kafka.SyncGroupRequestAssignment{{MemberID: member,
			Assignment: kafka.GroupProtocolAssignment{AssignedPartitions: map[string][]int{topic: {0}}}}}})
	if err != nil || sr.Error != nil || fmt.Sprint(sr.Assignment.AssignedPartitions[topic]) != "[0]" {
		t.Fatalf("SyncGroup: %+v, %v", sr, err)
	}
	heartbeat := func(gen int32, id string) error {
		hr, err := cl.Heartbeat(ctx, &kafka.HeartbeatRequest{GroupID: group, GenerationID: gen, MemberID: id})
		if err != nil {
			return err
		}
		return hr.Error
	}
	if err := heartbeat(int32(jr.GenerationID), member); err != nil {
		t.Errorf("Heartbeat: %v", err)
	}
	// Not checked here: Heartbeat errors (ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID).
	// kafka-go 0.4.51 decodes the v1+ response fields in the wrong order
	// (error code before throttle time), so an error code shows up as a
	// throttle of that many milliseconds and Error stays nil; the broker's
	// answers were checked with raw requests (22 and 25 at v0-v4).
	commit := func(gen int) error {
		oc, err := cl.OffsetCommit(ctx, &kafka.OffsetCommitRequest{GroupID: group, GenerationID: gen, MemberID: member,
			Topics: map[string][]kafka.OffsetCommit{topic: {{Partition: 0, Offset: 1}}}})
		if err != nil {
			return err
		}
		return oc.Topics[topic][0].Error
	}
	if err := commit(jr.GenerationID); err != nil {
		t.Errorf("OffsetCommit in the generation: %v", err)
	}
	if err := commit(jr.GenerationID + 5); !errors.Is(err, kafka.IllegalGeneration) {
		t.Errorf("OffsetCommit with a wrong generation: %v, want %v", err, kafka.IllegalGeneration)
	}
	lr, err := cl.LeaveGroup(ctx, &kafka.LeaveGroupRequest{GroupID: group, Members: []kafka.LeaveGroupRequestMember{{ID: member}}})
	if err != nil || lr.Error != nil || len(lr.Members) != 1 || lr.Members[0].Error != nil {
		t.Errorf("LeaveGroup: %+v, %v", lr, err)
	}
	dg, err := cl.DescribeGroups(ctx, &kafka.DescribeGroupsRequest{GroupIDs: []string{group}})
	if err != nil || len(dg.Groups) != 1 || dg.Groups[0].GroupState != "Empty" || len(dg.Groups[0].Members) != 0 {
		t.Errorf("DescribeGroups after LeaveGroup: %+v, %v; want Empty", dg, err)
	}
}
