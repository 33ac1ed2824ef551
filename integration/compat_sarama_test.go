package integration

// Compatibility with github.com/IBM/sarama: the calls its own functional
// tests make against a single broker (producers at every acks level and
// codec, consumers, the cluster admin, consumer groups, the offset manager)
// and the same calls with the client pinned to old protocol versions.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"
)

// saramaLog collects sarama's global logger output; a failing test prints
// its tail. It is shared because sarama.Logger is a package variable and
// client goroutines may outlive the test that started them.
var saramaLog = &lockedBuffer{}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Reset()
}

func (b *lockedBuffer) tail(n int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.buf.String()
	if len(s) > n {
		s = s[len(s)-n:]
	}
	return s
}

func init() {
	sarama.Logger = log.New(saramaLog, "[sarama] ", log.Ltime|log.Lmicroseconds)
}

// watchSaramaLog restarts the shared log for t and prints it if t fails.
func watchSaramaLog(t *testing.T) {
	saramaLog.reset()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("---- tail of sarama log ----\n%s---- end of sarama log ----", saramaLog.tail(16<<10))
		}
	})
}

// saramaConfig is a client config at protocol version v with short retry
// backoffs, so a test fails fast instead of retrying for minutes.
func saramaConfig(v sarama.KafkaVersion) *sarama.Config {
	cfg := sarama.NewConfig()
	cfg.Version = v
	cfg.ClientID = "compat-sarama"
	cfg.Net.DialTimeout = 5 * time.Second
	cfg.Net.ReadTimeout = 15 * time.Second
	cfg.Net.WriteTimeout = 5 * time.Second
	cfg.Metadata.Retry.Max = 10
	cfg.Metadata.Retry.Backoff = 200 * time.Millisecond
	cfg.Producer.Return.Successes = true
	cfg.Producer.Retry.Max = 5
	cfg.Producer.Retry.Backoff = 200 * time.Millisecond
	cfg.Producer.Timeout = 10 * time.Second
	cfg.Consumer.Return.Errors = true
	cfg.Consumer.MaxWaitTime = 200 * time.Millisecond
	cfg.Consumer.Retry.Backoff = 200 * time.Millisecond
	cfg.Admin.Timeout = 20 * time.Second
	cfg.Admin.Retry.Backoff = 200 * time.Millisecond
	return cfg
}

// saramaClient connects to bootstrap; it is closed at cleanup.
func saramaClient(t testing.TB, bootstrap string, cfg *sarama.Config) sarama.Client {
	t.Helper()
	cl, err := sarama.NewClient(strings.Split(bootstrap, ","), cfg)
	if err != nil {
		t.Fatalf("sarama.NewClient (version %s): %v", cfg.Version, err)
	}
	t.Cleanup(func() { _ = cl.Close() })
	return cl
}

// saramaConsume reads partition of topic from offset until n messages
// arrived or timeout passed, and returns them.
func saramaConsume(t testing.TB, cl sarama.Client, topic string, partition int32, offset int64, n int, timeout time.Duration) []*sarama.ConsumerMessage {
	t.Helper()
	cons, err := sarama.NewConsumerFromClient(cl)
	if err != nil {
		t.Fatalf("NewConsumerFromClient: %v", err)
	}
	defer cons.Close()
	pc, err := cons.ConsumePartition(topic, partition, offset)
	if err != nil {
		t.Fatalf("ConsumePartition %s-%d at %d: %v", topic, partition, offset, err)
	}
	defer pc.Close()
	var got []*sarama.ConsumerMessage
	deadline := time.After(timeout)
	for len(got) < n {
		select {
		case m := <-pc.Messages():
			got = append(got, m)
		case err := <-pc.Errors():
			t.Errorf("consuming %s-%d: %v", topic, partition, err)
		case <-deadline:
			t.Fatalf("consuming %s-%d from %d: %d of %d messages within %v", topic, partition, offset, len(got), n, timeout)
		}
	}
	return got
}

func headerValue(hs []*sarama.RecordHeader, key string) (string, bool) {
	for _, h := range hs {
		if string(h.Key) == key {
			return string(h.Value), true
		}
	}
	return "", false
}

// TestSaramaSyncProducerAcksAndCodecs sends keyed messages with headers
// through a SyncProducer at every acks level and with every codec, then
// reads each partition back from the oldest offset and checks keys, values,
// headers and that offsets are consecutive.
func TestSaramaSyncProducerAcksAndCodecs(t *testing.T) {
	watchSaramaLog(t)
	c := StartCluster(t, nil)
	const topic = "sarama-sync"
	CreateTopic(t, c.Bootstrap(), topic, 1, nil)

	acksLevels := []struct {
		name string
		acks sarama.RequiredAcks
	}{{"all", sarama.WaitForAll}, {"local", sarama.WaitForLocal}, {"none", sarama.NoResponse}}
	codecs := []sarama.CompressionCodec{sarama.CompressionNone, sarama.CompressionGZIP,
		sarama.CompressionSnappy, sarama.CompressionLZ4, sarama.CompressionZSTD}

	type sent struct{ key, value, hdr string }
	var all []sent
	cl := saramaClient(t, c.Bootstrap(), saramaConfig(sarama.V2_8_0_0))
	for _, a := range acksLevels {
		for _, codec := range codecs {
			cfg := saramaConfig(sarama.V2_8_0_0)
			cfg.Producer.RequiredAcks = a.acks
			cfg.Producer.Compression = codec
			cfg.Producer.Flush.Messages = 1
			prod, err := sarama.NewSyncProducer(strings.Split(c.Bootstrap(), ","), cfg)
			if err != nil {
				t.Fatalf("NewSyncProducer acks=%s codec=%s: %v", a.name, codec, err)
			}
			// A batch of several messages too, so that compressed batches hold
			// more than one record.
			var msgs []*sarama.ProducerMessage
			for i := 0; i < 4; i++ {
				s := sent{fmt.Sprintf("k-%s-%s-%d", a.name, codec, i), fmt.Sprintf("v-%s-%s-%d", a.name, codec, i), fmt.Sprintf("h%d", i)}
				all = append(all, s)
				msgs = append(msgs, &sarama.ProducerMessage{Topic: topic, Key: sarama.StringEncoder(s.key),
					Value: sarama.StringEncoder(s.value), Headers: []sarama.RecordHeader{{Key: []byte("hdr"), Value: []byte(s.hdr)}}})
			}
			p, off, err := prod.SendMessage(msgs[0])
			if err != nil {
				t.Errorf("SendMessage acks=%s codec=%s: %v", a.name, codec, err)
			} else if p != 0 || (a.acks != sarama.NoResponse && off < 0) {
				t.Errorf("SendMessage acks=%s codec=%s: partition %d offset %d", a.name, codec, p, off)
			}
			if err := prod.SendMessages(msgs[1:]); err != nil {
				t.Errorf("SendMessages acks=%s codec=%s: %v", a.name, codec, err)
			}
			if err := prod.Close(); err != nil {
				t.Errorf("closing producer: %v", err)
			}
			if a.acks == sarama.NoResponse {
				// Nothing confirms an acks=0 append, and the next producer
				// has its own connection: wait for these records to be in
				// the log so the expected order holds.
				waitUntil(t, 10*time.Second, "acks=0 records appended", func() bool {
					end, err := cl.GetOffset(topic, 0, sarama.OffsetNewest)
					return err == nil && end >= int64(len(all))
				})
			}
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	// acks=0 gives no confirmation: wait for the log end to cover everything.
	waitUntil(t, 10*time.Second, "all messages appended", func() bool {
		end, err := cl.GetOffset(topic, 0, sarama.OffsetNewest)
		return err == nil && end >= int64(len(all))
	})
	got := saramaConsume(t, cl, topic, 0, sarama.OffsetOldest, len(all), 15*time.Second)
	for i, m := range got {
		if m.Offset != int64(i) {
			t.Errorf("message %d has offset %d", i, m.Offset)
		}
		want := all[i]
		if string(m.Key) != want.key || string(m.Value) != want.value {
			t.Errorf("offset %d: %q=%q, want %q=%q", m.Offset, m.Key, m.Value, want.key, want.value)
		}
		if h, ok := headerValue(m.Headers, "hdr"); !ok || h != want.hdr {
			t.Errorf("offset %d: header hdr=%q (present %v), want %q", m.Offset, h, ok, want.hdr)
		}
		if m.Timestamp.IsZero() || time.Since(m.Timestamp) > 5*time.Minute {
			t.Errorf("offset %d: timestamp %v", m.Offset, m.Timestamp)
		}
	}
}

// TestSaramaAsyncProducerAndConsumer produces with an AsyncProducer to
// three partitions, reads each back from the oldest offset, checks
// GetOffset (oldest, newest, by time), and that a consumer started at
// OffsetNewest sees only what is produced afterwards.
func TestSaramaAsyncProducerAndConsumer(t *testing.T) {
	watchSaramaLog(t)
	c := StartCluster(t, nil)
	const topic, partitions, perPartition = "sarama-async", 3, 20
	CreateTopic(t, c.Bootstrap(), topic, partitions, nil)

	cfg := saramaConfig(sarama.V2_8_0_0)
	cfg.Producer.Partitioner = sarama.NewManualPartitioner
	cfg.Producer.Flush.Frequency = 5 * time.Millisecond
	cl := saramaClient(t, c.Bootstrap(), cfg)
	prod, err := sarama.NewAsyncProducerFromClient(cl)
	if err != nil {
		t.Fatalf("NewAsyncProducerFromClient: %v", err)
	}
	before := time.Now()
	for i := 0; i < partitions*perPartition; i++ {
		prod.Input() <- &sarama.ProducerMessage{Topic: topic, Partition: int32(i % partitions),
			Value: sarama.StringEncoder(fmt.Sprintf("async-%d", i)), Metadata: i}
	}
	acked := map[int32][]int64{}
	deadline := time.After(20 * time.Second)
	for n := 0; n < partitions*perPartition; n++ {
		select {
		case m := <-prod.Successes():
			acked[m.Partition] = append(acked[m.Partition], m.Offset)
		case e := <-prod.Errors():
			t.Fatalf("async produce of message %v: %v", e.Msg.Metadata, e.Err)
		case <-deadline:
			t.Fatalf("only %d of %d async messages acknowledged", n, partitions*perPartition)
		}
	}
	prod.AsyncClose()
	for p := int32(0); p < partitions; p++ {
		offs := acked[p]
		sort.Slice(offs, func(i, j int) bool { return offs[i] < offs[j] })
		for i, o := range offs {
			if o != int64(i) {
				t.Errorf("partition %d: acknowledged offsets %v, want 0..%d", p, offs, perPartition-1)
				break
			}
		}
	}

	for p := int32(0); p < partitions; p++ {
		oldest, err := cl.GetOffset(topic, p, sarama.OffsetOldest)
		if err != nil || oldest != 0 {
			t.Errorf("GetOffset(%d, oldest) = %d, %v; want 0", p, oldest, err)
		}
		newest, err := cl.GetOffset(topic, p, sarama.OffsetNewest)
		if err != nil || newest != perPartition {
			t.Errorf("GetOffset(%d, newest) = %d, %v; want %d", p, newest, err, perPartition)
		}
		// Kafka answers a timestamp lookup with the first offset whose
		// timestamp is at or after it; before everything that is 0.
		byTime, err := cl.GetOffset(topic, p, before.Add(-time.Second).UnixMilli())
		if err != nil || byTime != 0 {
			t.Errorf("GetOffset(%d, time before produce) = %d, %v; want 0", p, byTime, err)
		}
		future, err := cl.GetOffset(topic, p, time.Now().Add(time.Hour).UnixMilli())
		if err != nil || future != -1 {
			t.Errorf("GetOffset(%d, time in the future) = %d, %v; want -1", p, future, err)
		}
		got := saramaConsume(t, cl, topic, p, sarama.OffsetOldest, perPartition, 15*time.Second)
		for i, m := range got {
			want := fmt.Sprintf("async-%d", i*partitions+int(p))
			if m.Offset != int64(i) || string(m.Value) != want {
				t.Errorf("partition %d message %d: offset %d value %q, want offset %d value %q", p, i, m.Offset, m.Value, i, want)
			}
		}
	}

	// A consumer from OffsetNewest sees only later messages.
	cons, err := sarama.NewConsumerFromClient(cl)
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	pc, err := cons.ConsumePartition(topic, 1, sarama.OffsetNewest)
	if err != nil {
		t.Fatalf("ConsumePartition newest: %v", err)
	}
	defer pc.Close()
	sp, err := sarama.NewSyncProducerFromClient(cl)
	if err != nil {
		t.Fatal(err)
	}
	// Give the partition consumer time to resolve "newest" before producing.
	time.Sleep(500 * time.Millisecond)
	if _, _, err := sp.SendMessage(&sarama.ProducerMessage{Topic: topic, Partition: 1, Value: sarama.StringEncoder("late")}); err != nil {
		t.Fatalf("SendMessage: %v", err)
	}
	select {
	case m := <-pc.Messages():
		if string(m.Value) != "late" || m.Offset != perPartition {
			t.Errorf("newest consumer got offset %d %q, want offset %d \"late\"", m.Offset, m.Value, perPartition)
		}
	case err := <-pc.Errors():
		t.Errorf("newest consumer: %v", err)
	case <-time.After(10 * time.Second):
		t.Errorf("newest consumer got nothing within 10s")
	}
	if hwm := pc.HighWaterMarkOffset(); hwm != perPartition+1 {
		t.Errorf("HighWaterMarkOffset = %d, want %d", hwm, perPartition+1)
	}
}

// TestSaramaClusterAdmin walks through ClusterAdmin's topic and config
// calls, and the consumer group listing calls.
func TestSaramaClusterAdmin(t *testing.T) {
	watchSaramaLog(t)
	c := StartCluster(t, nil)
	cfg := saramaConfig(sarama.V2_8_0_0)
	cl := saramaClient(t, c.Bootstrap(), cfg)
	adm, err := sarama.NewClusterAdminFromClient(cl)
	if err != nil {
		t.Fatalf("NewClusterAdminFromClient: %v", err)
	}
	const topic = "sarama-admin"
	retention := "3600000"
	err = adm.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: 2, ReplicationFactor: 1,
		ConfigEntries: map[string]*string{"retention.ms": &retention}}, false)
	if err != nil {
		t.Fatalf("CreateTopic: %v", err)
	}
	// Creating it again is TOPIC_ALREADY_EXISTS.
	err = adm.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: 2, ReplicationFactor: 1}, false)
	if !errors.Is(err, sarama.ErrTopicAlreadyExists) {
		t.Errorf("second CreateTopic: %v, want %v", err, sarama.ErrTopicAlreadyExists)
	}
	// Validate-only creates nothing.
	if err := adm.CreateTopic("sarama-validate-only", &sarama.TopicDetail{NumPartitions: 1, ReplicationFactor: 1}, true); err != nil {
		t.Errorf("CreateTopic validateOnly: %v", err)
	}
	// A replication factor above the broker count is INVALID_REPLICATION_FACTOR.
	err = adm.CreateTopic("sarama-rf3", &sarama.TopicDetail{NumPartitions: 1, ReplicationFactor: 3}, false)
	if !errors.Is(err, sarama.ErrInvalidReplicationFactor) {
		t.Errorf("CreateTopic rf=3 on one broker: %v, want %v", err, sarama.ErrInvalidReplicationFactor)
	}
	WaitLeaders(t, kadmClient(t, c.Bootstrap()), topic, 2)

	md, err := adm.DescribeTopics([]string{topic})
	if err != nil || len(md) != 1 {
		t.Fatalf("DescribeTopics: %v, %d topics", err, len(md))
	}
	if md[0].Err != sarama.ErrNoError || len(md[0].Partitions) != 2 {
		t.Errorf("DescribeTopics: err %v, %d partitions; want 2", md[0].Err, len(md[0].Partitions))
	}
	for _, p := range md[0].Partitions {
		if p.Leader != 1 || len(p.Replicas) != 1 || len(p.Isr) != 1 {
			t.Errorf("partition %d: leader %d replicas %v isr %v", p.ID, p.Leader, p.Replicas, p.Isr)
		}
	}
	brokers, controller, err := adm.DescribeCluster()
	if err != nil || len(brokers) != 1 || controller != 1 {
		t.Errorf("DescribeCluster: %d brokers, controller %d, %v", len(brokers), controller, err)
	}

	topics, err := adm.ListTopics()
	if err != nil {
		t.Fatalf("ListTopics: %v", err)
	}
	if d, ok := topics[topic]; !ok {
		t.Errorf("ListTopics lacks %s: %v", topic, topics)
	} else {
		if d.NumPartitions != 2 || d.ReplicationFactor != 1 {
			t.Errorf("ListTopics %s: %d partitions rf %d", topic, d.NumPartitions, d.ReplicationFactor)
		}
		// ListTopics fills ConfigEntries from DescribeConfigs (topic overrides).
		if v := d.ConfigEntries["retention.ms"]; v == nil || *v != retention {
			t.Errorf("ListTopics %s: retention.ms = %v, want %s", topic, v, retention)
		}
	}
	if _, ok := topics["sarama-validate-only"]; ok {
		t.Errorf("validate-only CreateTopic created the topic")
	}

	if err := adm.CreatePartitions(topic, 4, nil, false); err != nil {
		t.Errorf("CreatePartitions to 4: %v", err)
	}
	if err := adm.CreatePartitions(topic, 3, nil, false); !errors.Is(err, sarama.ErrInvalidPartitions) {
		t.Errorf("CreatePartitions down to 3: %v, want %v", err, sarama.ErrInvalidPartitions)
	}
	WaitLeaders(t, kadmClient(t, c.Bootstrap()), topic, 4)

	entries, err := adm.DescribeConfig(sarama.ConfigResource{Type: sarama.TopicResource, Name: topic})
	if err != nil {
		t.Fatalf("DescribeConfig topic: %v", err)
	}
	found := false
	for _, e := range entries {
		if e.Name == "retention.ms" {
			found = true
			if e.Value != retention || e.Default || e.Source != sarama.SourceTopic {
				t.Errorf("retention.ms: value %q default %v source %v; want %s, topic override", e.Value, e.Default, e.Source, retention)
			}
		}
		if e.Name == "cleanup.policy" && (e.Value != "delete" || e.Source != sarama.SourceDefault) {
			t.Errorf("cleanup.policy: %q source %v, want delete, default", e.Value, e.Source)
		}
	}
	if !found {
		t.Errorf("DescribeConfig lacks retention.ms (%d entries)", len(entries))
	}
	bentries, err := adm.DescribeConfig(sarama.ConfigResource{Type: sarama.BrokerResource, Name: "1"})
	if err != nil || len(bentries) == 0 {
		t.Errorf("DescribeConfig broker 1: %d entries, %v", len(bentries), err)
	}

	// AlterConfigs replaces the topic's whole set of overrides: setting
	// segment.bytes drops the retention.ms override.
	segment := "1048576"
	if err := adm.AlterConfig(sarama.TopicResource, topic, map[string]*string{"segment.bytes": &segment}, false); err != nil {
		t.Errorf("AlterConfig: %v", err)
	}
	entries, err = adm.DescribeConfig(sarama.ConfigResource{Type: sarama.TopicResource, Name: topic, ConfigNames: []string{"segment.bytes", "retention.ms"}})
	if err != nil {
		t.Fatalf("DescribeConfig after AlterConfig: %v", err)
	}
	for _, e := range entries {
		switch {
		case e.Name == "segment.bytes" && (e.Value != segment || e.Source != sarama.SourceTopic):
			t.Errorf("after AlterConfig segment.bytes = %q (%v), want %s from the topic", e.Value, e.Source, segment)
		case e.Name == "retention.ms" && (e.Value != "604800000" || e.Source == sarama.SourceTopic):
			t.Errorf("after AlterConfig retention.ms = %q (%v), want the broker default 604800000 (AlterConfigs replaces all overrides)", e.Value, e.Source)
		}
	}
	// Validate-only changes nothing; an unknown key is INVALID_CONFIG.
	if err := adm.AlterConfig(sarama.TopicResource, topic, map[string]*string{"segment.bytes": strPtr("2097152")}, true); err != nil {
		t.Errorf("AlterConfig validateOnly: %v", err)
	}
	if err := adm.AlterConfig(sarama.TopicResource, topic, map[string]*string{"no.such.config": strPtr("1")}, false); !errors.Is(err, sarama.ErrInvalidConfig) {
		t.Errorf("AlterConfig with an unknown key: %v, want %v", err, sarama.ErrInvalidConfig)
	}

	if err := adm.DeleteTopic(topic); err != nil {
		t.Fatalf("DeleteTopic: %v", err)
	}
	if err := adm.DeleteTopic("sarama-no-such-topic"); !errors.Is(err, sarama.ErrUnknownTopicOrPartition) {
		t.Errorf("DeleteTopic of an unknown topic: %v, want %v", err, sarama.ErrUnknownTopicOrPartition)
	}
	waitUntil(t, 20*time.Second, "deleted topic gone from ListTopics", func() bool {
		ts, err := adm.ListTopics()
		_, ok := ts[topic]
		return err == nil && !ok
	})
}

// groupRecorder is a ConsumerGroupHandler that records what each member
// consumed and which partitions it was assigned in each generation.
type groupRecorder struct {
	name string
	mu   sync.Mutex
	seen map[string]int // value -> times consumed
	// claims is the assignment of the latest session.
	claims []int32
	setups int
	// gens lists the generation of every session, in order.
	gens []int32
}

func newGroupRecorder(name string) *groupRecorder {
	return &groupRecorder{name: name, seen: map[string]int{}}
}

func (r *groupRecorder) Setup(s sarama.ConsumerGroupSession) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.setups++
	r.gens = append(r.gens, s.GenerationID())
	r.claims = nil
	for _, ps := range s.Claims() {
		r.claims = append(r.claims, ps...)
	}
	sort.Slice(r.claims, func(i, j int) bool { return r.claims[i] < r.claims[j] })
	return nil
}

func (r *groupRecorder) Cleanup(sarama.ConsumerGroupSession) error { return nil }

func (r *groupRecorder) ConsumeClaim(s sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	for {
		select {
		case m, ok := <-claim.Messages():
			if !ok {
				return nil
			}
			r.mu.Lock()
			r.seen[string(m.Value)]++
			r.mu.Unlock()
			s.MarkMessage(m, "")
		case <-s.Context().Done():
			return nil
		}
	}
}

func (r *groupRecorder) state() (claims []int32, seen int, setups int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]int32(nil), r.claims...), len(r.seen), r.setups
}

// runGroupMember runs Consume in a loop (as sarama's examples do) until ctx
// ends; errors go to the test log.
func runGroupMember(t *testing.T, ctx context.Context, bootstrap, group, topic string, cfg *sarama.Config, h sarama.ConsumerGroupHandler) (stop func()) {
	cg, err := sarama.NewConsumerGroup(strings.Split(bootstrap, ","), group, cfg)
	if err != nil {
		t.Fatalf("NewConsumerGroup: %v", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			if err := cg.Consume(ctx, []string{topic}, h); err != nil && ctx.Err() == nil {
				saramaLog.Write([]byte(fmt.Sprintf("group member: Consume: %v\n", err)))
				time.Sleep(200 * time.Millisecond)
			}
		}
	}()
	go func() {
		for err := range cg.Errors() {
			saramaLog.Write([]byte(fmt.Sprintf("group member error: %v\n", err)))
		}
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			<-done
			if err := cg.Close(); err != nil {
				t.Errorf("closing consumer group member: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func groupConfig() *sarama.Config {
	cfg := saramaConfig(sarama.V2_8_0_0)
	cfg.Consumer.Offsets.Initial = sarama.OffsetOldest
	cfg.Consumer.Offsets.AutoCommit.Interval = 200 * time.Millisecond
	cfg.Consumer.Group.Session.Timeout = 6 * time.Second
	cfg.Consumer.Group.Heartbeat.Interval = 300 * time.Millisecond
	cfg.Consumer.Group.Rebalance.Timeout = 10 * time.Second
	cfg.Consumer.Group.Rebalance.GroupStrategies = []sarama.BalanceStrategy{sarama.NewBalanceStrategyRange()}
	return cfg
}

// TestSaramaConsumerGroupRebalance runs one group member, adds a second
// (the partitions are split between them), checks the group through
// ListConsumerGroups/DescribeConsumerGroups, and checks that every message
// is consumed and the committed offsets reach the log end.
func TestSaramaConsumerGroupRebalance(t *testing.T) {
	watchSaramaLog(t)
	c := StartCluster(t, nil)
	const topic, group, partitions = "sarama-group", "sarama-group-g", 4
	CreateTopic(t, c.Bootstrap(), topic, partitions, nil)
	cl := saramaClient(t, c.Bootstrap(), saramaConfig(sarama.V2_8_0_0))
	sp, err := sarama.NewSyncProducerFromClient(cl)
	if err != nil {
		t.Fatal(err)
	}
	produce := func(from, n int) {
		var msgs []*sarama.ProducerMessage
		for i := from; i < from+n; i++ {
			msgs = append(msgs, &sarama.ProducerMessage{Topic: topic, Key: sarama.StringEncoder(fmt.Sprint(i)), Value: sarama.StringEncoder(fmt.Sprintf("m%d", i))})
		}
		if err := sp.SendMessages(msgs); err != nil {
			t.Fatalf("SendMessages: %v", err)
		}
	}
	produce(0, 40)

	ctx := testContext(t, 28*time.Second)
	a, b := newGroupRecorder("a"), newGroupRecorder("b")
	stopA := runGroupMember(t, ctx, c.Bootstrap(), group, topic, groupConfig(), a)
	waitUntil(t, 15*time.Second, "member a owns every partition and consumed the first 40", func() bool {
		claims, seen, _ := a.state()
		return len(claims) == partitions && seen == 40
	})
	stopB := runGroupMember(t, ctx, c.Bootstrap(), group, topic, groupConfig(), b)
	waitUntil(t, 15*time.Second, "partitions split 2/2 after the second member joined", func() bool {
		ca, _, _ := a.state()
		cb, _, _ := b.state()
		return len(ca) == 2 && len(cb) == 2
	})

	adm, err := sarama.NewClusterAdminFromClient(cl)
	if err != nil {
		t.Fatal(err)
	}
	groups, err := adm.ListConsumerGroups()
	if err != nil || groups[group] != "consumer" {
		t.Errorf("ListConsumerGroups: %v, %v; want %s with protocol type consumer", groups, err, group)
	}
	desc, err := adm.DescribeConsumerGroups([]string{group})
	if err != nil || len(desc) != 1 {
		t.Fatalf("DescribeConsumerGroups: %v (%d)", err, len(desc))
	}
	if d := desc[0]; d.State != "Stable" || d.ProtocolType != "consumer" || d.Protocol != "range" || len(d.Members) != 2 {
		t.Errorf("DescribeConsumerGroups: state %q type %q protocol %q, %d members; want Stable consumer range 2", d.State, d.ProtocolType, d.Protocol, len(d.Members))
	} else {
		for id, m := range d.Members {
			ga, err := m.GetMemberAssignment()
			if err != nil || len(ga.Topics[topic]) != 2 {
				t.Errorf("member %s assignment: %v, %v", id, ga, err)
			}
		}
	}

	produce(40, 40)
	waitUntil(t, 15*time.Second, "all 80 messages consumed", func() bool {
		_, sa, _ := a.state()
		_, sb, _ := b.state()
		return sa+sb >= 80
	})
	stopA()
	stopB()

	all := map[string]bool{}
	for _, r := range []*groupRecorder{a, b} {
		r.mu.Lock()
		for v := range r.seen {
			all[v] = true
		}
		r.mu.Unlock()
	}
	if len(all) != 80 {
		t.Errorf("%d distinct messages consumed, want 80", len(all))
	}
	offs, err := adm.ListConsumerGroupOffsets(group, map[string][]int32{topic: {0, 1, 2, 3}})
	if err != nil {
		t.Fatalf("ListConsumerGroupOffsets: %v", err)
	}
	for p := int32(0); p < partitions; p++ {
		blk := offs.GetBlock(topic, p)
		end, err := cl.GetOffset(topic, p, sarama.OffsetNewest)
		if err != nil {
			t.Fatal(err)
		}
		if blk == nil || blk.Err != sarama.ErrNoError || blk.Offset != end {
			t.Errorf("partition %d: committed %+v, want offset %d (log end)", p, blk, end)
		}
	}
	// After both members left the group is empty.
	desc, err = adm.DescribeConsumerGroups([]string{group})
	if err != nil || len(desc) != 1 || desc[0].State != "Empty" || len(desc[0].Members) != 0 {
		t.Errorf("group after members left: %+v, %v; want Empty with no members", desc, err)
	}
}

// TestSaramaOffsetManager commits offsets with the offset manager (no group
// membership, as tools do), reads them back in a new manager, and checks
// metadata strings and ResetOffset.
func TestSaramaOffsetManager(t *testing.T) {
	watchSaramaLog(t)
	c := StartCluster(t, nil)
	const topic, group = "sarama-om", "sarama-om-g"
	CreateTopic(t, c.Bootstrap(), topic, 2, nil)
	for _, v := range []sarama.KafkaVersion{sarama.V2_8_0_0, sarama.V0_10_2_0} {
		t.Run(v.String(), func(t *testing.T) {
			cfg := saramaConfig(v)
			cfg.Consumer.Offsets.AutoCommit.Interval = 100 * time.Millisecond
			cl := saramaClient(t, c.Bootstrap(), cfg)
			g := group + "-" + v.String()
			om, err := sarama.NewOffsetManagerFromClient(g, cl)
			if err != nil {
				t.Fatalf("NewOffsetManagerFromClient: %v", err)
			}
			pom, err := om.ManagePartition(topic, 1)
			if err != nil {
				t.Fatalf("ManagePartition: %v", err)
			}
			if off, md := pom.NextOffset(); off != sarama.OffsetNewest || md != "" {
				// No committed offset: the manager falls back to Consumer.Offsets.Initial.
				t.Errorf("NextOffset before any commit: %d %q, want %d \"\"", off, md, sarama.OffsetNewest)
			}
			pom.MarkOffset(42, "meta-42")
			om.Commit()
			if err := pom.Close(); err != nil {
				t.Errorf("closing partition offset manager: %v", err)
			}
			if err := om.Close(); err != nil {
				t.Errorf("closing offset manager: %v", err)
			}

			om2, err := sarama.NewOffsetManagerFromClient(g, cl)
			if err != nil {
				t.Fatal(err)
			}
			defer om2.Close()
			pom2, err := om2.ManagePartition(topic, 1)
			if err != nil {
				t.Fatal(err)
			}
			defer pom2.Close()
			if off, md := pom2.NextOffset(); off != 42 || md != "meta-42" {
				t.Errorf("NextOffset after commit: %d %q, want 42 \"meta-42\"", off, md)
			}
			pom2.ResetOffset(7, "reset")
			om2.Commit()
			coord, err := cl.Coordinator(g)
			if err != nil {
				t.Fatalf("Coordinator: %v", err)
			}
			if coord.ID() != 1 {
				t.Errorf("coordinator %d, want 1", coord.ID())
			}
			adm, err := sarama.NewClusterAdminFromClient(cl)
			if err != nil {
				t.Fatal(err)
			}
			offs, err := adm.ListConsumerGroupOffsets(g, map[string][]int32{topic: {0, 1}})
			if err != nil {
				t.Fatalf("ListConsumerGroupOffsets: %v", err)
			}
			if b := offs.GetBlock(topic, 1); b == nil || b.Offset != 7 || b.Metadata != "reset" {
				t.Errorf("partition 1 committed %+v, want 7 \"reset\"", b)
			}
			if b := offs.GetBlock(topic, 0); b == nil || b.Offset != -1 {
				t.Errorf("partition 0 committed %+v, want -1 (none)", b)
			}
		})
	}
}

// TestSaramaProtocolVersions produces (plain and gzip), consumes, looks up
// offsets, creates a topic and commits an offset with the client pinned to
// Kafka 0.10.2 (message format v1, Produce v2, Fetch v3), 0.11.0 (record
// batches v2, Produce v3, Fetch v5) and 2.8.
func TestSaramaProtocolVersions(t *testing.T) {
	watchSaramaLog(t)
	c := StartCluster(t, nil)
	for _, v := range []sarama.KafkaVersion{sarama.V0_10_2_0, sarama.V0_11_0_0, sarama.V2_8_0_0} {
		t.Run(v.String(), func(t *testing.T) {
			topic := "sarama-v" + strings.ReplaceAll(v.String(), ".", "_")
			cfg := saramaConfig(v)
			cl := saramaClient(t, c.Bootstrap(), cfg)
			adm, err := sarama.NewClusterAdminFromClient(cl)
			if err != nil {
				t.Fatal(err)
			}
			if err := adm.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: 1, ReplicationFactor: 1}, false); err != nil {
				t.Fatalf("CreateTopic: %v", err)
			}
			WaitLeaders(t, kadmClient(t, c.Bootstrap()), topic, 1)
			var values []string
			for _, codec := range []sarama.CompressionCodec{sarama.CompressionNone, sarama.CompressionGZIP, sarama.CompressionSnappy} {
				pcfg := saramaConfig(v)
				pcfg.Producer.Compression = codec
				pcfg.Producer.RequiredAcks = sarama.WaitForAll
				prod, err := sarama.NewSyncProducer(strings.Split(c.Bootstrap(), ","), pcfg)
				if err != nil {
					t.Fatalf("NewSyncProducer: %v", err)
				}
				var msgs []*sarama.ProducerMessage
				for i := 0; i < 3; i++ {
					val := fmt.Sprintf("%s-%d", codec, i)
					values = append(values, val)
					msgs = append(msgs, &sarama.ProducerMessage{Topic: topic, Key: sarama.StringEncoder("k"), Value: sarama.StringEncoder(val)})
				}
				if err := prod.SendMessages(msgs); err != nil {
					t.Errorf("SendMessages %s: %v", codec, err)
				}
				for i, m := range msgs {
					if m.Offset < 0 {
						t.Errorf("%s message %d: offset %d", codec, i, m.Offset)
					}
				}
				_ = prod.Close()
			}
			newest, err := cl.GetOffset(topic, 0, sarama.OffsetNewest)
			if err != nil || newest != int64(len(values)) {
				t.Errorf("GetOffset newest = %d, %v; want %d", newest, err, len(values))
			}
			oldest, err := cl.GetOffset(topic, 0, sarama.OffsetOldest)
			if err != nil || oldest != 0 {
				t.Errorf("GetOffset oldest = %d, %v; want 0", oldest, err)
			}
			got := saramaConsume(t, cl, topic, 0, sarama.OffsetOldest, len(values), 15*time.Second)
			for i, m := range got {
				if m.Offset != int64(i) || string(m.Value) != values[i] || string(m.Key) != "k" {
					t.Errorf("message %d: offset %d %q=%q, want offset %d k=%q", i, m.Offset, m.Key, m.Value, i, values[i])
				}
			}
			// Reading from the middle of a compressed batch returns only
			// the messages at and after the requested offset.
			mid := saramaConsume(t, cl, topic, 0, 4, 2, 10*time.Second)
			if mid[0].Offset != 4 || string(mid[0].Value) != values[4] {
				t.Errorf("consume from offset 4: first is offset %d %q", mid[0].Offset, mid[0].Value)
			}

			om, err := sarama.NewOffsetManagerFromClient("sarama-vgroup", cl)
			if err != nil {
				t.Fatal(err)
			}
			pom, err := om.ManagePartition(topic, 0)
			if err != nil {
				t.Fatal(err)
			}
			pom.MarkOffset(5, "")
			om.Commit()
			_ = pom.Close()
			_ = om.Close()
			offs, err := adm.ListConsumerGroupOffsets("sarama-vgroup", map[string][]int32{topic: {0}})
			if err != nil {
				t.Fatalf("ListConsumerGroupOffsets: %v", err)
			}
			if b := offs.GetBlock(topic, 0); b == nil || b.Offset != 5 {
				t.Errorf("committed %+v, want 5", b)
			}
		})
	}
}

// TestSaramaVersionMatrix is sarama's own version matrix in small: clients
// pinned to protocol versions from 0.10.0 (message format v1) to 2.8
// (record batches v2) each produce with every codec their version allows
// into one partition, then each reads the whole partition back, so the
// broker converts between message formats in both directions.
func TestSaramaVersionMatrix(t *testing.T) {
	watchSaramaLog(t)
	c := StartCluster(t, nil)
	const topic = "sarama-matrix"
	CreateTopic(t, c.Bootstrap(), topic, 1, nil)
	versions := []sarama.KafkaVersion{sarama.V0_10_0_0, sarama.V0_10_2_0, sarama.V0_11_0_0,
		sarama.V1_0_0_0, sarama.V2_0_0_0, sarama.V2_1_0_0, sarama.V2_8_0_0}
	type sent struct {
		value  string
		header bool // written with a header (format v2 only)
	}
	var all []sent
	for _, v := range versions {
		codecs := []sarama.CompressionCodec{sarama.CompressionNone, sarama.CompressionGZIP, sarama.CompressionSnappy, sarama.CompressionLZ4}
		if v.IsAtLeast(sarama.V2_1_0_0) {
			codecs = append(codecs, sarama.CompressionZSTD)
		}
		for _, codec := range codecs {
			cfg := saramaConfig(v)
			cfg.Producer.Compression = codec
			cfg.Producer.RequiredAcks = sarama.WaitForAll
			prod, err := sarama.NewSyncProducer(strings.Split(c.Bootstrap(), ","), cfg)
			if err != nil {
				t.Fatalf("%s: NewSyncProducer: %v", v, err)
			}
			var msgs []*sarama.ProducerMessage
			for i := 0; i < 3; i++ {
				s := sent{value: fmt.Sprintf("%s/%s/%d", v, codec, i), header: v.IsAtLeast(sarama.V0_11_0_0)}
				m := &sarama.ProducerMessage{Topic: topic, Key: sarama.StringEncoder("k"), Value: sarama.StringEncoder(s.value)}
				if s.header {
					m.Headers = []sarama.RecordHeader{{Key: []byte("from"), Value: []byte(v.String())}}
				}
				msgs = append(msgs, m)
				all = append(all, s)
			}
			if err := prod.SendMessages(msgs); err != nil {
				t.Errorf("%s %s: SendMessages: %v", v, codec, err)
			}
			_ = prod.Close()
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	for _, v := range versions {
		cl := saramaClient(t, c.Bootstrap(), saramaConfig(v))
		got := saramaConsume(t, cl, topic, 0, sarama.OffsetOldest, len(all), 15*time.Second)
		bad := 0
		for i, m := range got {
			if m.Offset != int64(i) || string(m.Value) != all[i].value || string(m.Key) != "k" {
				bad++
				if bad <= 3 {
					t.Errorf("consumer %s, message %d: offset %d %q=%q, want offset %d k=%q", v, i, m.Offset, m.Key, m.Value, i, all[i].value)
				}
			}
			// Headers survive only for consumers that read format v2.
			h, ok := headerValue(m.Headers, "from")
			if v.IsAtLeast(sarama.V0_11_0_0) && all[i].header && (!ok || h == "") {
				t.Errorf("consumer %s, message %d: header lost", v, i)
			}
		}
		_ = cl.Close()
	}
}

// TestSaramaAdminGroupsAndPartitions covers the admin calls on groups and
// partitions that sarama's functional tests make: DeleteConsumerGroupOffset,
// DeleteConsumerGroup (empty, unknown), ElectLeaders,
// ListPartitionReassignments, DescribeLogDirs, DeleteRecords,
// IncrementalAlterConfig, and ACLs, which the broker lacks so far.
func TestSaramaAdminGroupsAndPartitions(t *testing.T) {
	watchSaramaLog(t)
	c := StartCluster(t, nil)
	const topic, group = "sarama-admin2", "sarama-admin2-g"
	CreateTopic(t, c.Bootstrap(), topic, 2, nil)
	cfg := saramaConfig(sarama.V2_8_0_0)
	cl := saramaClient(t, c.Bootstrap(), cfg)
	adm, err := sarama.NewClusterAdminFromClient(cl)
	if err != nil {
		t.Fatal(err)
	}
	om, err := sarama.NewOffsetManagerFromClient(group, cl)
	if err != nil {
		t.Fatal(err)
	}
	for p := int32(0); p < 2; p++ {
		pom, err := om.ManagePartition(topic, p)
		if err != nil {
			t.Fatal(err)
		}
		pom.MarkOffset(3, "")
		om.Commit()
		pom.AsyncClose()
	}
	_ = om.Close()

	if err := adm.DeleteConsumerGroupOffset(group, topic, 0); err != nil {
		t.Errorf("DeleteConsumerGroupOffset: %v", err)
	}
	offs, err := adm.ListConsumerGroupOffsets(group, map[string][]int32{topic: {0, 1}})
	if err != nil {
		t.Fatalf("ListConsumerGroupOffsets: %v", err)
	}
	if b0, b1 := offs.GetBlock(topic, 0), offs.GetBlock(topic, 1); b0 == nil || b0.Offset != -1 || b1 == nil || b1.Offset != 3 {
		t.Errorf("after deleting partition 0's offset: p0 %+v p1 %+v; want -1 and 3", b0, b1)
	}
	if err := adm.DeleteConsumerGroup(group); err != nil {
		t.Errorf("DeleteConsumerGroup of an empty group: %v", err)
	}
	if err := adm.DeleteConsumerGroup("sarama-no-such-group"); !errors.Is(err, sarama.ErrGroupIDNotFound) {
		t.Errorf("DeleteConsumerGroup of an unknown group: %v, want %v", err, sarama.ErrGroupIDNotFound)
	}
	groups, err := adm.ListConsumerGroups()
	if _, ok := groups[group]; err != nil || ok {
		t.Errorf("ListConsumerGroups after delete: %v, %v", groups, err)
	}

	// The preferred leader already leads: Kafka reports ELECTION_NOT_NEEDED.
	res, err := adm.ElectLeaders(sarama.PreferredElection, map[string][]int32{topic: {0}})
	if err != nil {
		t.Errorf("ElectLeaders: %v", err)
	} else if r := res[topic][0]; r == nil || !errors.Is(r.ErrorCode, sarama.ErrElectionNotNeeded) {
		t.Errorf("ElectLeaders %s-0: %+v, want %v", topic, r, sarama.ErrElectionNotNeeded)
	}
	reass, err := adm.ListPartitionReassignments(topic, []int32{0, 1})
	if err != nil || len(reass[topic]) != 0 {
		t.Errorf("ListPartitionReassignments: %v, %v; want none in progress", reass, err)
	}

	// DescribeLogDirs is served by Kafka 2.8 (kafka-log-dirs.sh uses it).
	dirs, err := adm.DescribeLogDirs([]int32{1})
	if err != nil {
		t.Errorf("DescribeLogDirs: %v", err)
	} else if ds := dirs[1]; len(ds) != 1 || ds[0].Path != c.B().LogDir || !errors.Is(ds[0].ErrorCode, sarama.ErrNoError) {
		t.Errorf("DescribeLogDirs broker 1: %+v, want one dir %s", ds, c.B().LogDir)
	} else {
		n := 0
		for _, tp := range ds[0].Topics {
			if tp.Topic == topic {
				n = len(tp.Partitions)
			}
		}
		if n != 2 {
			t.Errorf("DescribeLogDirs lists %d partitions of %s, want 2", n, topic)
		}
	}

	// DeleteRecords moves the log start offset; beyond the high watermark
	// is OFFSET_OUT_OF_RANGE.
	pcfg := saramaConfig(sarama.V2_8_0_0)
	pcfg.Producer.Partitioner = sarama.NewManualPartitioner
	sp, err := sarama.NewSyncProducer(strings.Split(c.Bootstrap(), ","), pcfg)
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	const full, onP0 = int32(0), int64(5)
	for i := 0; i < int(onP0); i++ {
		if _, _, err := sp.SendMessage(&sarama.ProducerMessage{Topic: topic, Partition: full, Value: sarama.StringEncoder(fmt.Sprint(i))}); err != nil {
			t.Fatalf("SendMessage: %v", err)
		}
	}
	if err := adm.DeleteRecords(topic, map[int32]int64{full: 3}); err != nil {
		t.Errorf("DeleteRecords %s-%d before 3: %v", topic, full, err)
	}
	if lo, err := cl.GetOffset(topic, full, sarama.OffsetOldest); err != nil || lo != 3 {
		t.Errorf("log start offset after DeleteRecords: %d, %v; want 3", lo, err)
	}
	if err := adm.DeleteRecords(topic, map[int32]int64{full: onP0 + 10}); !errors.Is(err, sarama.ErrOffsetOutOfRange) {
		t.Errorf("DeleteRecords beyond the high watermark: %v, want %v", err, sarama.ErrOffsetOutOfRange)
	}
	// IncrementalAlterConfigs changes only the keys named.
	v := "1000"
	err = adm.IncrementalAlterConfig(sarama.TopicResource, topic, map[string]sarama.IncrementalAlterConfigsEntry{
		"retention.ms": {Operation: sarama.IncrementalAlterConfigsOperationSet, Value: &v}}, false)
	if err != nil {
		t.Errorf("IncrementalAlterConfig: %v", err)
	}
	err = adm.IncrementalAlterConfig(sarama.TopicResource, topic, map[string]sarama.IncrementalAlterConfigsEntry{
		"segment.ms": {Operation: sarama.IncrementalAlterConfigsOperationSet, Value: strPtr("600000")}}, false)
	if err != nil {
		t.Errorf("IncrementalAlterConfig segment.ms: %v", err)
	}
	ents, err := adm.DescribeConfig(sarama.ConfigResource{Type: sarama.TopicResource, Name: topic, ConfigNames: []string{"retention.ms", "segment.ms"}})
	got := map[string]string{}
	for _, e := range ents {
		got[e.Name] = e.Value
	}
	if err != nil || got["retention.ms"] != "1000" || got["segment.ms"] != "600000" {
		t.Errorf("after two IncrementalAlterConfig calls: %v, %v; want retention.ms=1000 segment.ms=600000", got, err)
	}
	// ACLs: a broker without an authorizer answers SECURITY_DISABLED, as Kafka 2.8.
	_, err = adm.ListAcls(sarama.AclFilter{ResourceType: sarama.AclResourceAny, PermissionType: sarama.AclPermissionAny,
		Operation: sarama.AclOperationAny, ResourcePatternTypeFilter: sarama.AclPatternAny})
	if !errors.Is(err, sarama.ErrSecurityDisabled) || !strings.Contains(err.Error(), "No Authorizer is configured on the broker") {
		t.Errorf("ListAcls: %v, want %v with Kafka's message", err, sarama.ErrSecurityDisabled)
	}
}

func (r *groupRecorder) generations() []int32 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]int32(nil), r.gens...)
}

// TestSaramaStaticMembership runs two static members (group.instance.id,
// KIP-345, JoinGroup v5+). A static member that restarts within the
// session timeout gets its old assignment back without a rebalance: the
// other member's session goes on and the generation stays. Then
// RemoveMemberFromConsumerGroup (LeaveGroup v3 by instance id) removes one.
func TestSaramaStaticMembership(t *testing.T) {
	watchSaramaLog(t)
	c := StartCluster(t, nil)
	const topic, group = "sarama-static", "sarama-static-g"
	CreateTopic(t, c.Bootstrap(), topic, 4, nil)
	ctx := testContext(t, 28*time.Second)
	static := func(id string) *sarama.Config {
		cfg := groupConfig()
		cfg.Consumer.Group.InstanceId = id
		return cfg
	}
	a, b := newGroupRecorder("a"), newGroupRecorder("b")
	stopA := runGroupMember(t, ctx, c.Bootstrap(), group, topic, static("inst-a"), a)
	runGroupMember(t, ctx, c.Bootstrap(), group, topic, static("inst-b"), b)
	waitUntil(t, 15*time.Second, "static members a and b share the partitions 2/2", func() bool {
		ca, _, _ := a.state()
		cb, _, _ := b.state()
		return len(ca) == 2 && len(cb) == 2
	})
	// Let the group settle so no rebalance is still pending.
	time.Sleep(time.Second)
	claimsA, _, _ := a.state()
	gensB := b.generations()
	gen := gensB[len(gensB)-1]

	stopA() // a static member leaves without LeaveGroup
	a2 := newGroupRecorder("a2")
	runGroupMember(t, ctx, c.Bootstrap(), group, topic, static("inst-a"), a2)
	waitUntil(t, 10*time.Second, "restarted static member a gets a session", func() bool {
		_, _, n := a2.state()
		return n > 0
	})
	claimsA2, _, _ := a2.state()
	if g := a2.generations()[0]; g != gen || fmt.Sprint(claimsA2) != fmt.Sprint(claimsA) {
		t.Errorf("restarted static member: generation %d partitions %v; want generation %d partitions %v (no rebalance)", g, claimsA2, gen, claimsA)
	}
	time.Sleep(time.Second)
	if gs := b.generations(); len(gs) != len(gensB) {
		t.Errorf("member b went through generations %v after a's restart; a static rejoin must not rebalance (had %v)", gs, gensB)
	}

	cl := saramaClient(t, c.Bootstrap(), saramaConfig(sarama.V2_8_0_0))
	adm, err := sarama.NewClusterAdminFromClient(cl)
	if err != nil {
		t.Fatal(err)
	}
	desc, err := adm.DescribeConsumerGroups([]string{group})
	if err != nil || len(desc) != 1 {
		t.Fatalf("DescribeConsumerGroups: %v", err)
	}
	instances := []string{}
	for _, m := range desc[0].Members {
		if m.GroupInstanceId != nil {
			instances = append(instances, *m.GroupInstanceId)
		}
	}
	sort.Strings(instances)
	if fmt.Sprint(instances) != "[inst-a inst-b]" {
		t.Errorf("DescribeConsumerGroups instance ids %v, want [inst-a inst-b]", instances)
	}
	resp, err := adm.RemoveMemberFromConsumerGroup(group, []string{"inst-b", "inst-nope"})
	if err != nil {
		t.Fatalf("RemoveMemberFromConsumerGroup: %v", err)
	}
	got := map[string]sarama.KError{}
	for _, m := range resp.Members {
		if m.GroupInstanceId != nil {
			got[*m.GroupInstanceId] = m.Err
		}
	}
	if got["inst-b"] != sarama.ErrNoError || got["inst-nope"] != sarama.ErrUnknownMemberId {
		t.Errorf("RemoveMemberFromConsumerGroup results %v; want inst-b ok, inst-nope UNKNOWN_MEMBER_ID", got)
	}
}

// TestSaramaProducerEdgeCases: idempotent producer, auto-created topic,
// a message over message.max.bytes, acks=all below min.insync.replicas,
// LogAppendTime topics, tombstones and null keys.
func TestSaramaProducerEdgeCases(t *testing.T) {
	watchSaramaLog(t)
	c := StartCluster(t, nil)

	t.Run("idempotent", func(t *testing.T) {
		const topic = "sarama-idem"
		CreateTopic(t, c.Bootstrap(), topic, 1, nil)
		cfg := saramaConfig(sarama.V2_8_0_0)
		cfg.Producer.Idempotent = true
		cfg.Producer.RequiredAcks = sarama.WaitForAll
		cfg.Net.MaxOpenRequests = 1
		cfg.Producer.Compression = sarama.CompressionSnappy
		prod, err := sarama.NewSyncProducer(strings.Split(c.Bootstrap(), ","), cfg)
		if err != nil {
			t.Fatalf("NewSyncProducer idempotent: %v", err)
		}
		defer prod.Close()
		for i := 0; i < 20; i++ {
			_, off, err := prod.SendMessage(&sarama.ProducerMessage{Topic: topic, Value: sarama.StringEncoder(fmt.Sprint(i))})
			if err != nil || off != int64(i) {
				t.Fatalf("idempotent SendMessage %d: offset %d, %v", i, off, err)
			}
		}
		recs := ConsumeAll(t, c.Bootstrap(), topic, 10*time.Second)[0]
		if len(recs) != 20 || recs[0].ProducerID < 0 || recs[19].ProducerID != recs[0].ProducerID || recs[19].ProducerEpoch != 0 {
			t.Errorf("idempotent records: %d, producer id %d", len(recs), recs[0].ProducerID)
		}
	})

	t.Run("auto-create", func(t *testing.T) {
		cfg := saramaConfig(sarama.V2_8_0_0)
		prod, err := sarama.NewSyncProducer(strings.Split(c.Bootstrap(), ","), cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer prod.Close()
		p, off, err := prod.SendMessage(&sarama.ProducerMessage{Topic: "sarama-auto-created", Value: sarama.StringEncoder("x")})
		if err != nil || p != 0 || off != 0 {
			t.Errorf("SendMessage to a new topic (auto.create.topics.enable=true): partition %d offset %d, %v", p, off, err)
		}
	})

	t.Run("too-large", func(t *testing.T) {
		const topic = "sarama-large"
		CreateTopic(t, c.Bootstrap(), topic, 1, nil)
		cfg := saramaConfig(sarama.V2_8_0_0)
		cfg.Producer.MaxMessageBytes = 4 << 20 // let it through the client's own check
		cfg.Producer.Retry.Max = 0
		prod, err := sarama.NewSyncProducer(strings.Split(c.Bootstrap(), ","), cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer prod.Close()
		_, _, err = prod.SendMessage(&sarama.ProducerMessage{Topic: topic, Value: sarama.ByteEncoder(bytes.Repeat([]byte("x"), 1100000))})
		if !errors.Is(err, sarama.ErrMessageSizeTooLarge) {
			t.Errorf("1.1 MB message: %v, want %v (message.max.bytes 1048588)", err, sarama.ErrMessageSizeTooLarge)
		}
		// Just under the limit is accepted.
		_, off, err := prod.SendMessage(&sarama.ProducerMessage{Topic: topic, Value: sarama.ByteEncoder(bytes.Repeat([]byte("y"), 1000000))})
		if err != nil || off != 0 {
			t.Errorf("1 MB message: offset %d, %v", off, err)
		}
		// A consumer whose fetch size is smaller than the message still gets
		// it: Kafka returns the first batch whole (KIP-74).
		ccfg := saramaConfig(sarama.V2_8_0_0)
		ccfg.Consumer.Fetch.Default = 1024
		ccfg.Consumer.Fetch.Max = 4096
		got := saramaConsume(t, saramaClient(t, c.Bootstrap(), ccfg), topic, 0, sarama.OffsetOldest, 1, 10*time.Second)
		if len(got[0].Value) != 1000000 {
			t.Errorf("consumed %d bytes, want 1000000", len(got[0].Value))
		}
	})

	t.Run("not-enough-replicas", func(t *testing.T) {
		const topic = "sarama-minisr"
		CreateTopic(t, c.Bootstrap(), topic, 1, map[string]*string{"min.insync.replicas": strPtr("2")})
		cfg := saramaConfig(sarama.V2_8_0_0)
		cfg.Producer.RequiredAcks = sarama.WaitForAll
		cfg.Producer.Retry.Max = 0
		prod, err := sarama.NewSyncProducer(strings.Split(c.Bootstrap(), ","), cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer prod.Close()
		_, _, err = prod.SendMessage(&sarama.ProducerMessage{Topic: topic, Value: sarama.StringEncoder("x")})
		if !errors.Is(err, sarama.ErrNotEnoughReplicas) {
			t.Errorf("acks=all with ISR 1 < min.insync.replicas 2: %v, want %v", err, sarama.ErrNotEnoughReplicas)
		}
		cfg1 := saramaConfig(sarama.V2_8_0_0)
		cfg1.Producer.RequiredAcks = sarama.WaitForLocal
		prod1, err := sarama.NewSyncProducer(strings.Split(c.Bootstrap(), ","), cfg1)
		if err != nil {
			t.Fatal(err)
		}
		defer prod1.Close()
		if _, _, err := prod1.SendMessage(&sarama.ProducerMessage{Topic: topic, Value: sarama.StringEncoder("y")}); err != nil {
			t.Errorf("acks=1 ignores min.insync.replicas: %v", err)
		}
	})

	t.Run("topic-limits", func(t *testing.T) {
		// Topic-level max.message.bytes and message.timestamp.difference.max.ms
		// are enforced per produce: MESSAGE_TOO_LARGE and INVALID_TIMESTAMP.
		const topic = "sarama-limits"
		CreateTopic(t, c.Bootstrap(), topic, 1, map[string]*string{"max.message.bytes": strPtr("2000"),
			"message.timestamp.difference.max.ms": strPtr("60000")})
		cfg := saramaConfig(sarama.V2_8_0_0)
		cfg.Producer.Retry.Max = 0
		prod, err := sarama.NewSyncProducer(strings.Split(c.Bootstrap(), ","), cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer prod.Close()
		_, _, err = prod.SendMessage(&sarama.ProducerMessage{Topic: topic, Value: sarama.ByteEncoder(bytes.Repeat([]byte("z"), 3000))})
		if !errors.Is(err, sarama.ErrMessageSizeTooLarge) {
			t.Errorf("3000-byte message to a topic with max.message.bytes=2000: %v, want %v", err, sarama.ErrMessageSizeTooLarge)
		}
		_, _, err = prod.SendMessage(&sarama.ProducerMessage{Topic: topic, Value: sarama.StringEncoder("old"),
			Timestamp: time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)})
		if !errors.Is(err, sarama.ErrInvalidTimestamp) {
			t.Errorf("timestamp from 2001 with message.timestamp.difference.max.ms=60000: %v, want %v", err, sarama.ErrInvalidTimestamp)
		}
		if _, off, err := prod.SendMessage(&sarama.ProducerMessage{Topic: topic, Value: sarama.StringEncoder("fine")}); err != nil || off != 0 {
			t.Errorf("a small, current message: offset %d, %v; want 0 (nothing stored before)", off, err)
		}
	})

	t.Run("log-append-time-and-nulls", func(t *testing.T) {
		const topic = "sarama-lat"
		CreateTopic(t, c.Bootstrap(), topic, 1, map[string]*string{"message.timestamp.type": strPtr("LogAppendTime")})
		cfg := saramaConfig(sarama.V2_8_0_0)
		prod, err := sarama.NewSyncProducer(strings.Split(c.Bootstrap(), ","), cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer prod.Close()
		old := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
		before := time.Now().Add(-2 * time.Second)
		msgs := []*sarama.ProducerMessage{
			{Topic: topic, Key: sarama.StringEncoder("k"), Value: nil, Timestamp: old}, // tombstone
			{Topic: topic, Value: sarama.StringEncoder("no key"), Timestamp: old,
				Headers: []sarama.RecordHeader{{Key: []byte("empty"), Value: nil}}},
		}
		if err := prod.SendMessages(msgs); err != nil {
			t.Fatalf("SendMessages: %v", err)
		}
		got := saramaConsume(t, saramaClient(t, c.Bootstrap(), saramaConfig(sarama.V2_8_0_0)), topic, 0, sarama.OffsetOldest, 2, 10*time.Second)
		for _, m := range got {
			if m.Timestamp.Before(before) || m.Timestamp.After(time.Now().Add(2*time.Second)) {
				t.Errorf("offset %d: timestamp %v, want the broker's append time (LogAppendTime), not %v", m.Offset, m.Timestamp, old)
			}
		}
		if got[0].Value != nil || string(got[0].Key) != "k" {
			t.Errorf("tombstone: key %q value %v, want k and null", got[0].Key, got[0].Value)
		}
		if got[1].Key != nil || string(got[1].Value) != "no key" {
			t.Errorf("null key: key %v value %q", got[1].Key, got[1].Value)
		}
		if len(got[1].Headers) != 1 || string(got[1].Headers[0].Key) != "empty" || len(got[1].Headers[0].Value) != 0 {
			t.Errorf("header with null value: %+v", got[1].Headers)
		}
	})
}

// TestSaramaAdminDetails checks details sarama users rely on: config
// synonyms, the broker-logger resource, metadata for unknown and internal
// topics, re-creating a topic right after deleting it (sarama's functional
// test setup does this), and a read_committed consumer.
func TestSaramaAdminDetails(t *testing.T) {
	watchSaramaLog(t)
	c := StartCluster(t, nil)
	cfg := saramaConfig(sarama.V2_8_0_0)
	cl := saramaClient(t, c.Bootstrap(), cfg)
	adm, err := sarama.NewClusterAdminFromClient(cl)
	if err != nil {
		t.Fatal(err)
	}
	const topic = "sarama-details"
	if err := adm.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: 1, ReplicationFactor: 1,
		ConfigEntries: map[string]*string{"retention.ms": strPtr("3600000")}}, false); err != nil {
		t.Fatalf("CreateTopic: %v", err)
	}
	WaitLeaders(t, kadmClient(t, c.Bootstrap()), topic, 1)

	// Synonyms (DescribeConfigs v1+ with include_synonyms), as Kafka builds
	// them: the topic override first, then the broker key's dynamic, static
	// and default values, dropping those before the topic key's own broker
	// synonym (so retention.ms, whose broker value comes from
	// log.retention.hours, lists only the override).
	results, err := adm.DescribeConfigs([]*sarama.ConfigResource{{Type: sarama.TopicResource, Name: topic,
		ConfigNames: []string{"retention.ms", "segment.bytes", "cleanup.policy"}}},
		sarama.DescribeConfigsOptions{IncludeSynonyms: true})
	if err != nil || len(results) != 1 || results[0].ErrorCode != 0 || len(results[0].Configs) != 3 {
		t.Fatalf("DescribeConfigs with synonyms: %+v, %v", results, err)
	}
	wantSyns := map[string]string{
		"retention.ms":   "Topic [retention.ms=3600000/Topic]",
		"segment.bytes":  "StaticBroker [log.segment.bytes=1073741824/StaticBroker log.segment.bytes=1073741824/Default]",
		"cleanup.policy": "Default [log.cleanup.policy=delete/Default]",
	}
	for _, e := range results[0].Configs {
		var syns []string
		for _, s := range e.Synonyms {
			syns = append(syns, fmt.Sprintf("%s=%s/%s", s.ConfigName, s.ConfigValue, s.Source))
		}
		if got := fmt.Sprintf("%s %v", e.Source, syns); got != wantSyns[e.Name] {
			t.Errorf("%s: source and synonyms %s, want %s", e.Name, got, wantSyns[e.Name])
		}
	}

	// Kafka 2.8 describes broker loggers (resource type 8, BROKER_LOGGER).
	loggers, err := adm.DescribeConfig(sarama.ConfigResource{Type: sarama.BrokerLoggerResource, Name: "1"})
	if err != nil || len(loggers) == 0 {
		t.Errorf("DescribeConfig BROKER_LOGGER 1: %d entries, %v; Kafka 2.8 lists the broker's loggers and levels", len(loggers), err)
	}

	md, err := adm.DescribeTopics([]string{"sarama-no-such-topic"})
	if err != nil || len(md) != 1 || !errors.Is(md[0].Err, sarama.ErrUnknownTopicOrPartition) {
		t.Errorf("DescribeTopics of an unknown topic: %+v, %v; want UNKNOWN_TOPIC_OR_PARTITION (admin metadata does not auto-create)", md, err)
	}

	// CreateTopic validation as Kafka does it: manual assignment, a bad
	// config value, zero partitions, an unknown broker in the assignment.
	if err := adm.CreateTopic("sarama-manual", &sarama.TopicDetail{NumPartitions: -1, ReplicationFactor: -1,
		ReplicaAssignment: map[int32][]int32{0: {1}, 1: {1}}}, false); err != nil {
		t.Errorf("CreateTopic with a replica assignment: %v", err)
	} else {
		WaitLeaders(t, kadmClient(t, c.Bootstrap()), "sarama-manual", 2)
	}
	if err := adm.CreateTopic("sarama-badcfg", &sarama.TopicDetail{NumPartitions: 1, ReplicationFactor: 1,
		ConfigEntries: map[string]*string{"retention.ms": strPtr("abc")}}, false); !errors.Is(err, sarama.ErrInvalidConfig) {
		t.Errorf("CreateTopic with retention.ms=abc: %v, want %v", err, sarama.ErrInvalidConfig)
	}
	if err := adm.CreateTopic("sarama-zero", &sarama.TopicDetail{NumPartitions: 0, ReplicationFactor: 1}, false); !errors.Is(err, sarama.ErrInvalidPartitions) {
		t.Errorf("CreateTopic with 0 partitions: %v, want %v", err, sarama.ErrInvalidPartitions)
	}
	// Kafka does not check a manual assignment for unknown brokers (as
	// TopicCommand): the topic is created, its partition gets no leader, and
	// CreateTopics answers REQUEST_TIMED_OUT once its timeout passes.
	shortCfg := saramaConfig(sarama.V2_8_0_0)
	shortCfg.Admin.Timeout = 2 * time.Second
	shortAdm, err := sarama.NewClusterAdmin(strings.Split(c.Bootstrap(), ","), shortCfg)
	if err != nil {
		t.Fatal(err)
	}
	defer shortAdm.Close()
	if err := shortAdm.CreateTopic("sarama-badbroker", &sarama.TopicDetail{NumPartitions: -1, ReplicationFactor: -1,
		ReplicaAssignment: map[int32][]int32{0: {7}}}, false); !errors.Is(err, sarama.ErrRequestTimedOut) {
		t.Errorf("CreateTopic assigned to broker 7: %v, want %v", err, sarama.ErrRequestTimedOut)
	}
	// It exists (in ZooKeeper) though no broker has metadata for it: a
	// second create is TOPIC_ALREADY_EXISTS.
	if err := adm.CreateTopic("sarama-badbroker", &sarama.TopicDetail{NumPartitions: 1, ReplicationFactor: 1}, false); !errors.Is(err, sarama.ErrTopicAlreadyExists) {
		t.Errorf("CreateTopic again after the timed-out create: %v, want %v", err, sarama.ErrTopicAlreadyExists)
	}

	// A group nobody knows: Kafka describes it as Dead without an error,
	// and lists no committed offsets (-1) for it.
	desc, err := adm.DescribeConsumerGroups([]string{"sarama-never-seen"})
	if err != nil || len(desc) != 1 || desc[0].State != "Dead" || !errors.Is(desc[0].Err, sarama.ErrNoError) {
		t.Errorf("DescribeConsumerGroups of an unknown group: %+v, %v; want state Dead, no error", desc, err)
	}
	offs, err := adm.ListConsumerGroupOffsets("sarama-never-seen", map[string][]int32{topic: {0}})
	if err != nil {
		t.Errorf("ListConsumerGroupOffsets of an unknown group: %v", err)
	} else if b := offs.GetBlock(topic, 0); b == nil || b.Offset != -1 || !errors.Is(b.Err, sarama.ErrNoError) {
		t.Errorf("ListConsumerGroupOffsets of an unknown group: %+v, want -1 without error", b)
	}

	// __consumer_offsets exists after the first group lookup and is internal.
	if _, err := cl.Coordinator("sarama-details-g"); err != nil {
		t.Fatalf("Coordinator: %v", err)
	}
	md, err = adm.DescribeTopics([]string{"__consumer_offsets"})
	if err != nil || len(md) != 1 || md[0].Err != sarama.ErrNoError || !md[0].IsInternal || len(md[0].Partitions) != 50 {
		t.Errorf("DescribeTopics __consumer_offsets: %+v, %v; want internal with 50 partitions", md, err)
	}

	// Produce, delete, re-create at once (retrying while Kafka still
	// reports the topic as marked for deletion), and see an empty topic.
	sp, err := sarama.NewSyncProducerFromClient(cl)
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	for i := 0; i < 3; i++ {
		if _, _, err := sp.SendMessage(&sarama.ProducerMessage{Topic: topic, Value: sarama.StringEncoder("old")}); err != nil {
			t.Fatalf("SendMessage: %v", err)
		}
	}
	if err := adm.DeleteTopic(topic); err != nil {
		t.Fatalf("DeleteTopic: %v", err)
	}
	var createErr error
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		createErr = adm.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: 1, ReplicationFactor: 1}, false)
		if createErr == nil || !errors.Is(createErr, sarama.ErrTopicAlreadyExists) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if createErr != nil {
		t.Fatalf("re-creating %s after deletion: %v", topic, createErr)
	}
	WaitLeaders(t, kadmClient(t, c.Bootstrap()), topic, 1)
	var p int32
	var off int64
	waitUntil(t, 10*time.Second, "produce to the re-created topic", func() bool {
		p, off, err = sp.SendMessage(&sarama.ProducerMessage{Topic: topic, Value: sarama.StringEncoder("new")})
		return err == nil
	})
	if p != 0 || off != 0 {
		t.Errorf("first message of the re-created topic at %d/%d, want partition 0 offset 0", p, off)
	}
	// A read_committed consumer (Fetch isolation level 1) sees everything
	// up to the last stable offset, which without transactions is the high watermark.
	rc := saramaConfig(sarama.V2_8_0_0)
	rc.Consumer.IsolationLevel = sarama.ReadCommitted
	got := saramaConsume(t, saramaClient(t, c.Bootstrap(), rc), topic, 0, sarama.OffsetOldest, 1, 10*time.Second)
	if string(got[0].Value) != "new" || got[0].Offset != 0 {
		t.Errorf("re-created topic starts with offset %d %q, want 0 \"new\"", got[0].Offset, got[0].Value)
	}
}

// TestSaramaTransactionalProducer: NOT YET: transactions (issue 5). A
// producer with Transaction.ID looks up its transaction coordinator, which
// the broker does not run yet: FindCoordinator (key type 1) answers
// COORDINATOR_NOT_AVAILABLE and sarama gives up after its retries.
func TestSaramaTransactionalProducer(t *testing.T) {
	watchSaramaLog(t)
	c := StartCluster(t, nil)
	cfg := saramaConfig(sarama.V2_8_0_0)
	cfg.Producer.Idempotent = true
	cfg.Producer.RequiredAcks = sarama.WaitForAll
	cfg.Net.MaxOpenRequests = 1
	cfg.Producer.Transaction.ID = "sarama-tx"
	// Few retries: each coordinator retry also refreshes metadata and
	// waits 2 s for __transaction_state.
	cfg.Producer.Transaction.Retry.Max = 0
	cfg.Producer.Transaction.Retry.Backoff = 100 * time.Millisecond
	cfg.Metadata.Retry.Max = 0
	start := time.Now()
	prod, err := sarama.NewAsyncProducer(strings.Split(c.Bootstrap(), ","), cfg)
	if err == nil {
		_ = prod.Close()
		t.Fatalf("transactional producer started, but the broker has no transaction coordinator yet (update this test)")
	}
	if !errors.Is(err, sarama.ErrConsumerCoordinatorNotAvailable) {
		t.Errorf("NewAsyncProducer with Transaction.ID: %v, want COORDINATOR_NOT_AVAILABLE", err)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("giving up took %v", d)
	}
}

// TestSaramaInternalTopicMetadata: a Metadata request naming
// __consumer_offsets before it exists creates it, as Kafka 2.8 does (its
// AutoTopicCreationManager creates internal topics with the offsets.topic.*
// settings); sarama asks for it this way when a coordinator is not
// available yet.
func TestSaramaInternalTopicMetadata(t *testing.T) {
	watchSaramaLog(t)
	c := StartCluster(t, nil)
	cfg := saramaConfig(sarama.V2_8_0_0)
	cfg.Metadata.Retry.Max = 0
	cl := saramaClient(t, c.Bootstrap(), cfg)
	var parts []int32
	var err error
	deadline := time.Now().Add(8 * time.Second)
	for time.Now().Before(deadline) {
		_ = cl.RefreshMetadata("__consumer_offsets")
		if parts, err = cl.Partitions("__consumer_offsets"); err == nil && len(parts) == 50 {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Errorf("Metadata for __consumer_offsets did not create it: %d partitions, %v", len(parts), err)
}

// TestSaramaGroupPartitionGrowth: a consumer group member notices (through
// its periodic metadata refresh) that the topic gained partitions and
// rejoins; the coordinator rebalances and the member owns the new ones.
// Also a third member beyond the partition count gets nothing (sarama's
// "excess consumers" case) while the others keep consuming.
func TestSaramaGroupPartitionGrowth(t *testing.T) {
	watchSaramaLog(t)
	c := StartCluster(t, nil)
	const topic, group = "sarama-grow", "sarama-grow-g"
	CreateTopic(t, c.Bootstrap(), topic, 2, nil)
	ctx := testContext(t, 28*time.Second)
	cfg := func() *sarama.Config {
		c := groupConfig()
		c.Metadata.RefreshFrequency = 500 * time.Millisecond
		return c
	}
	a := newGroupRecorder("a")
	runGroupMember(t, ctx, c.Bootstrap(), group, topic, cfg(), a)
	waitUntil(t, 10*time.Second, "member a owns both partitions", func() bool {
		ca, _, _ := a.state()
		return len(ca) == 2
	})
	cl := saramaClient(t, c.Bootstrap(), saramaConfig(sarama.V2_8_0_0))
	adm, err := sarama.NewClusterAdminFromClient(cl)
	if err != nil {
		t.Fatal(err)
	}
	if err := adm.CreatePartitions(topic, 3, nil, false); err != nil {
		t.Fatalf("CreatePartitions: %v", err)
	}
	waitUntil(t, 12*time.Second, "member a owns all 3 partitions after the topic grew", func() bool {
		ca, _, _ := a.state()
		return len(ca) == 3
	})
	b, x := newGroupRecorder("b"), newGroupRecorder("x")
	runGroupMember(t, ctx, c.Bootstrap(), group, topic, cfg(), b)
	runGroupMember(t, ctx, c.Bootstrap(), group, topic, cfg(), x)
	waitUntil(t, 12*time.Second, "3 partitions over 3 members", func() bool {
		ca, _, _ := a.state()
		cb, _, _ := b.state()
		cx, _, _ := x.state()
		return len(ca)+len(cb)+len(cx) == 3 && len(ca) > 0 && len(cb) > 0 && len(cx) > 0
	})
	// Produce and check every message arrives once the group is stable.
	sp, err := sarama.NewSyncProducerFromClient(cl)
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	for i := 0; i < 30; i++ {
		if _, _, err := sp.SendMessage(&sarama.ProducerMessage{Topic: topic, Key: sarama.StringEncoder(fmt.Sprint(i)), Value: sarama.StringEncoder(fmt.Sprintf("g%d", i))}); err != nil {
			t.Fatalf("SendMessage: %v", err)
		}
	}
	waitUntil(t, 10*time.Second, "30 messages consumed by the group", func() bool {
		_, sa, _ := a.state()
		_, sb, _ := b.state()
		_, sx, _ := x.state()
		return sa+sb+sx >= 30
	})
}

// TestSaramaIdempotentAcrossRestart: an idempotent producer keeps its
// producer id and sequence numbers across a broker restart; the broker
// rebuilds each producer's last sequence from the log (as Kafka does from
// its producer state snapshots), so the next batch is accepted, not
// refused as OUT_OF_ORDER_SEQUENCE_NUMBER or UNKNOWN_PRODUCER_ID, and
// nothing is duplicated.
func TestSaramaIdempotentAcrossRestart(t *testing.T) {
	watchSaramaLog(t)
	c := StartCluster(t, nil)
	const topic = "sarama-idem-restart"
	CreateTopic(t, c.Bootstrap(), topic, 1, nil)
	cfg := saramaConfig(sarama.V2_8_0_0)
	cfg.Producer.Idempotent = true
	cfg.Producer.RequiredAcks = sarama.WaitForAll
	cfg.Net.MaxOpenRequests = 1
	cfg.Producer.Retry.Max = 40
	cfg.Producer.Retry.Backoff = 250 * time.Millisecond
	cfg.Metadata.Retry.Max = 40
	cfg.Metadata.Retry.Backoff = 250 * time.Millisecond
	prod, err := sarama.NewSyncProducer(strings.Split(c.Bootstrap(), ","), cfg)
	if err != nil {
		t.Fatalf("NewSyncProducer: %v", err)
	}
	defer prod.Close()
	send := func(from, n int) {
		for i := from; i < from+n; i++ {
			_, off, err := prod.SendMessage(&sarama.ProducerMessage{Topic: topic, Value: sarama.StringEncoder(fmt.Sprint(i))})
			if err != nil {
				t.Fatalf("SendMessage %d: %v", i, err)
			}
			if off != int64(i) {
				t.Errorf("message %d at offset %d", i, off)
			}
		}
	}
	send(0, 10)
	c.B().Restart()
	send(10, 10)
	recs := ConsumeAll(t, c.Bootstrap(), topic, 15*time.Second)[0]
	if len(recs) != 20 {
		t.Fatalf("%d records stored, want 20", len(recs))
	}
	for i, r := range recs {
		if string(r.Value) != fmt.Sprint(i) || r.ProducerID != recs[0].ProducerID {
			t.Errorf("offset %d: %q producer %d", r.Offset, r.Value, r.ProducerID)
		}
	}
}

// TestSaramaOldAdminAndGroupVersions runs the admin calls and a consumer
// group with sarama pinned to 1.0 and 0.11 (CreateTopics v2/v1,
// DescribeConfigs v0 with is_default instead of a config source,
// CreatePartitions v0, DeleteTopics v1, JoinGroup v1/v2, OffsetCommit v3/v2),
// and checks an acks=0 producer sharing the client's connection leaves it
// usable (the broker sends no response at all for acks=0).
func TestSaramaOldAdminAndGroupVersions(t *testing.T) {
	watchSaramaLog(t)
	c := StartCluster(t, nil)
	for _, v := range []sarama.KafkaVersion{sarama.V1_0_0_0, sarama.V0_11_0_0} {
		t.Run(v.String(), func(t *testing.T) {
			topic := "sarama-old-admin-" + strings.ReplaceAll(v.String(), ".", "_")
			cfg := saramaConfig(v)
			cl := saramaClient(t, c.Bootstrap(), cfg)
			adm, err := sarama.NewClusterAdminFromClient(cl)
			if err != nil {
				t.Fatal(err)
			}
			if err := adm.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: 1, ReplicationFactor: 1,
				ConfigEntries: map[string]*string{"retention.ms": strPtr("3600000")}}, false); err != nil {
				t.Fatalf("CreateTopic: %v", err)
			}
			WaitLeaders(t, kadmClient(t, c.Bootstrap()), topic, 1)
			entries, err := adm.DescribeConfig(sarama.ConfigResource{Type: sarama.TopicResource, Name: topic,
				ConfigNames: []string{"retention.ms", "cleanup.policy"}})
			if err != nil || len(entries) != 2 {
				t.Fatalf("DescribeConfig: %v, %d entries", err, len(entries))
			}
			for _, e := range entries {
				if (e.Name == "retention.ms") == e.Default {
					t.Errorf("%s: value %q is_default %v (DescribeConfigs v0)", e.Name, e.Value, e.Default)
				}
			}
			if v.IsAtLeast(sarama.V1_0_0_0) {
				if err := adm.CreatePartitions(topic, 2, nil, false); err != nil {
					t.Errorf("CreatePartitions v0: %v", err)
				}
				WaitLeaders(t, kadmClient(t, c.Bootstrap()), topic, 2)
			}

			// acks=0 on the client's own connection, then a request that
			// expects an answer on the same connection.
			pcfg := saramaConfig(v)
			pcfg.Producer.RequiredAcks = sarama.NoResponse
			pcfg.Producer.Partitioner = sarama.NewManualPartitioner
			pcl := saramaClient(t, c.Bootstrap(), pcfg)
			sp, err := sarama.NewSyncProducerFromClient(pcl)
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 5; i++ {
				if _, _, err := sp.SendMessage(&sarama.ProducerMessage{Topic: topic, Partition: 0, Value: sarama.StringEncoder(fmt.Sprintf("n%d", i))}); err != nil {
					t.Fatalf("acks=0 SendMessage: %v", err)
				}
			}
			waitUntil(t, 5*time.Second, "5 acks=0 messages stored, read on the same connection", func() bool {
				end, err := pcl.GetOffset(topic, 0, sarama.OffsetNewest)
				return err == nil && end == 5
			})

			gcfg := saramaConfig(v)
			gcfg.Consumer.Offsets.Initial = sarama.OffsetOldest
			gcfg.Consumer.Offsets.AutoCommit.Interval = 100 * time.Millisecond
			gcfg.Consumer.Group.Session.Timeout = 6 * time.Second
			gcfg.Consumer.Group.Heartbeat.Interval = 300 * time.Millisecond
			ctx := testContext(t, 20*time.Second)
			g := saramaGroupName(topic)
			r := newGroupRecorder("old")
			stop := runGroupMember(t, ctx, c.Bootstrap(), g, topic, gcfg, r)
			waitUntil(t, 15*time.Second, "the group member consumed the 5 messages", func() bool {
				_, seen, _ := r.state()
				return seen == 5
			})
			stop()
			offs, err := adm.ListConsumerGroupOffsets(g, map[string][]int32{topic: {0}})
			if err != nil {
				t.Fatalf("ListConsumerGroupOffsets: %v", err)
			}
			if b := offs.GetBlock(topic, 0); b == nil || b.Offset != 5 {
				t.Errorf("committed %+v, want 5", b)
			}
			groups, err := adm.ListConsumerGroups()
			if err != nil || groups[g] != "consumer" {
				t.Errorf("ListConsumerGroups: %v, %v", groups, err)
			}
			if err := adm.DeleteTopic(topic); err != nil {
				t.Errorf("DeleteTopic: %v", err)
			}
		})
	}
}

func saramaGroupName(topic string) string { return topic + "-g" }

// TestSaramaDescribeClusterAPI sends DescribeCluster (key 60, v0, new in
// Kafka 2.8, KIP-700), which sarama's ClusterAdmin.DescribeCluster tries
// first at V2_8_0_0 before falling back to Metadata.
func TestSaramaDescribeClusterAPI(t *testing.T) {
	watchSaramaLog(t)
	c := StartCluster(t, nil)
	cl := saramaClient(t, c.Bootstrap(), saramaConfig(sarama.V2_8_0_0))
	b, err := cl.Controller()
	if err != nil {
		t.Fatalf("Controller: %v", err)
	}
	resp, err := b.DescribeCluster(sarama.NewDescribeClusterRequest(sarama.V2_8_0_0))
	if err != nil {
		t.Fatalf("DescribeCluster: %v (Kafka 2.8 serves DescribeCluster v0)", err)
	}
	if resp.Err != sarama.ErrNoError || resp.ControllerID != 1 || resp.ClusterID == "" || len(resp.Brokers) != 1 ||
		resp.Brokers[0].BrokerID != 1 || resp.Brokers[0].Port != int32(c.B().Port) {
		t.Errorf("DescribeCluster: %+v", resp)
	}
}
