package integration

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Topic config changes (AlterConfigs, IncrementalAlterConfigs and
// kafka-configs.sh) are stored in ZooKeeper, announced under
// /config/changes and applied by every broker to its live logs and
// partitions, without a restart.

func sptr(s string) *string { return &s }

// rawProduce sends one acks=all batch straight to addr and returns the
// partition's error code (franz-go would retry NOT_ENOUGH_REPLICAS).
func rawProduce(t *testing.T, addr, topic string, partition int32) int16 {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	req := kmsg.NewPtrProduceRequest()
	req.Version = 7
	req.Acks = -1
	req.TimeoutMillis = 5000
	rt := kmsg.NewProduceRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewProduceRequestTopicPartition()
	rp.Partition = partition
	rp.Records = oneBatch(t, "x")
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	resp, err := RoundTrip(conn, req, 7, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return resp.(*kmsg.ProduceResponse).Topics[0].Partitions[0].ErrorCode
}

// waitProduceCode polls until a raw acks=all produce gets want.
func waitProduceCode(t *testing.T, addr, topic string, partition int32, want int16) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	var got int16
	for time.Now().Before(deadline) {
		if got = rawProduce(t, addr, topic, partition); got == want {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("produce to %s-%d at %s: error %d (%v), want %d (%v)", topic, partition, addr, got, kerr.ErrorForCode(got), want, kerr.ErrorForCode(want))
}

func describedConfig(t *testing.T, adm *kadm.Client, topic, key string) kadm.Config {
	t.Helper()
	rcs, err := adm.DescribeTopicConfigs(testContext(t, 10*time.Second), topic)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := rcs.On(topic, nil)
	if err != nil || rc.Err != nil {
		t.Fatalf("describe %s: %v %v", topic, err, rc.Err)
	}
	for _, c := range rc.Configs {
		if c.Key == key {
			return c
		}
	}
	t.Fatalf("%s has no config %s", topic, key)
	return kadm.Config{}
}

func TestAlterTopicConfigsApplyLive(t *testing.T) {
	c := StartCluster(t, map[string]string{"log.retention.check.interval.ms": "300"})
	CreateTopic(t, c.Bootstrap(), "live", 1, nil)
	adm := kadm.NewClient(NewClient(t, c.Bootstrap()))
	ctx := testContext(t, 60*time.Second)

	if code := rawProduce(t, c.B().Addr(), "live", 0); code != 0 {
		t.Fatalf("acks=all before the change: %v", kerr.ErrorForCode(code))
	}

	// min.insync.replicas=2 on an RF1 topic: acks=all is refused at once.
	resps, err := adm.AlterTopicConfigs(ctx, []kadm.AlterConfig{{Op: kadm.SetConfig, Name: "min.insync.replicas", Value: sptr("2")}}, "live")
	if err != nil || resps[0].Err != nil {
		t.Fatalf("alter: %v %v", err, resps)
	}
	if cfg := describedConfig(t, adm, "live", "min.insync.replicas"); cfg.Value == nil || *cfg.Value != "2" || cfg.Source != kmsg.ConfigSourceDynamicTopicConfig {
		t.Fatalf("described min.insync.replicas = %v source %v", cfg.MaybeValue(), cfg.Source)
	}
	waitProduceCode(t, c.B().Addr(), "live", 0, kerr.NotEnoughReplicas.Code)

	// DELETE brings the broker default back.
	resps, err = adm.AlterTopicConfigs(ctx, []kadm.AlterConfig{{Op: kadm.DeleteConfig, Name: "min.insync.replicas"}}, "live")
	if err != nil || resps[0].Err != nil {
		t.Fatalf("delete: %v %v", err, resps)
	}
	waitProduceCode(t, c.B().Addr(), "live", 0, 0)

	// Small segments, then small retention.bytes: old segments go at the
	// next retention check.
	resps, err = adm.AlterTopicConfigs(ctx, []kadm.AlterConfig{{Op: kadm.SetConfig, Name: "segment.bytes", Value: sptr("1024")}}, "live")
	if err != nil || resps[0].Err != nil {
		t.Fatalf("segment.bytes: %v %v", err, resps)
	}
	time.Sleep(time.Second) // the notification is applied asynchronously
	prod := NewClient(t, c.Bootstrap(), kgo.DefaultProduceTopic("live"), kgo.ProducerLinger(0), kgo.ProducerBatchCompression(kgo.NoCompression()))
	for i := 0; i < 40; i++ {
		if err := prod.ProduceSync(ctx, &kgo.Record{Value: []byte(strings.Repeat("v", 200))}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	segments := func() int {
		n := 0
		entries, err := os.ReadDir(filepath.Join(c.B().LogDir, "live-0"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range entries {
			if strings.HasSuffix(f.Name(), ".log") {
				n++
			}
		}
		return n
	}
	if n := segments(); n < 5 {
		t.Fatalf("segment.bytes=1024 applied live should roll many segments, have %d", n)
	}
	resps, err = adm.AlterTopicConfigs(ctx, []kadm.AlterConfig{{Op: kadm.SetConfig, Name: "retention.bytes", Value: sptr("2048")}}, "live")
	if err != nil || resps[0].Err != nil {
		t.Fatalf("retention.bytes: %v %v", err, resps)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		offs, err := adm.ListStartOffsets(ctx, "live")
		if err == nil {
			if o, ok := offs.Lookup("live", 0); ok && o.Offset > 10 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("retention.bytes=2048 did not move the log start offset: %v", offs)
		}
		time.Sleep(200 * time.Millisecond)
	}

	// The legacy AlterConfigs replaces the whole set: cleanup.policy=compact
	// alone drops segment.bytes and retention.bytes, and keyless records
	// are refused on the now compacted topic.
	resps, err = adm.AlterTopicConfigsState(ctx, []kadm.AlterConfig{{Name: "cleanup.policy", Value: sptr("compact")}}, "live")
	if err != nil || resps[0].Err != nil {
		t.Fatalf("legacy alter: %v %v", err, resps)
	}
	if cfg := describedConfig(t, adm, "live", "segment.bytes"); cfg.Source == kmsg.ConfigSourceDynamicTopicConfig {
		t.Errorf("AlterConfigs kept segment.bytes override %v", cfg.MaybeValue())
	}
	if cfg := describedConfig(t, adm, "live", "cleanup.policy"); cfg.MaybeValue() != "compact" {
		t.Errorf("cleanup.policy = %q", cfg.MaybeValue())
	}
	deadline = time.Now().Add(15 * time.Second)
	for rawProduce(t, c.B().Addr(), "live", 0) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("a keyless record is still accepted after cleanup.policy=compact")
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestAlterConfigsErrors(t *testing.T) {
	c := StartCluster(t, nil)
	CreateTopic(t, c.Bootstrap(), "errs", 1, nil)
	adm := kadm.NewClient(NewClient(t, c.Bootstrap()))
	ctx := testContext(t, 30*time.Second)
	cases := []struct {
		topic, name, value string
		want               error
		msg                string
	}{
		{"missing", "retention.ms", "1", kerr.UnknownTopicOrPartition, "The topic 'missing' does not exist."},
		{"errs", "no.such.config", "1", kerr.InvalidConfig, "Unknown topic config name: no.such.config"},
		{"errs", "retention.ms", "abc", kerr.InvalidRequest, "Invalid config value for resource ConfigResource(type=TOPIC, name='errs'): "},
	}
	for _, tc := range cases {
		resps, err := adm.AlterTopicConfigs(ctx, []kadm.AlterConfig{{Op: kadm.SetConfig, Name: tc.name, Value: sptr(tc.value)}}, tc.topic)
		if err != nil {
			t.Fatal(err)
		}
		if !errors.Is(resps[0].Err, tc.want) || !strings.HasPrefix(resps[0].ErrMessage, tc.msg) {
			t.Errorf("%s %s=%s: %v %q, want %v %q", tc.topic, tc.name, tc.value, resps[0].Err, resps[0].ErrMessage, tc.want, tc.msg)
		}
	}
	// APPEND only works on list configs.
	resps, err := adm.AlterTopicConfigs(ctx, []kadm.AlterConfig{{Op: kadm.AppendConfig, Name: "retention.ms", Value: sptr("1")}}, "errs")
	if err != nil || !errors.Is(resps[0].Err, kerr.InvalidRequest) {
		t.Errorf("APPEND to retention.ms: %v %v", err, resps)
	}
	// validate_only checks but does not store.
	resps, err = adm.ValidateAlterTopicConfigs(ctx, []kadm.AlterConfig{{Op: kadm.SetConfig, Name: "retention.ms", Value: sptr("1000")}}, "errs")
	if err != nil || resps[0].Err != nil {
		t.Fatalf("validate only: %v %v", err, resps)
	}
	if cfg := describedConfig(t, adm, "errs", "retention.ms"); cfg.Source == kmsg.ConfigSourceDynamicTopicConfig {
		t.Errorf("validate_only stored retention.ms=%s", cfg.MaybeValue())
	}
	// APPEND to cleanup.policy starts from the default "delete".
	resps, err = adm.AlterTopicConfigs(ctx, []kadm.AlterConfig{{Op: kadm.AppendConfig, Name: "cleanup.policy", Value: sptr("compact")}}, "errs")
	if err != nil || resps[0].Err != nil {
		t.Fatalf("append: %v %v", err, resps)
	}
	if cfg := describedConfig(t, adm, "errs", "cleanup.policy"); cfg.MaybeValue() != "delete,compact" {
		t.Errorf("cleanup.policy after APPEND = %q", cfg.MaybeValue())
	}
}

func TestConfigsTool(t *testing.T) {
	c := StartCluster(t, nil)
	CreateTopic(t, c.Bootstrap(), "tool", 1, nil)
	bs := c.Bootstrap()

	out, errOut, code := Kafka(t, "configs", "--bootstrap-server", bs, "--entity-type", "topics", "--entity-name", "tool",
		"--alter", "--add-config", "retention.ms=60000,min.insync.replicas=2,cleanup.policy=[compact,delete]")
	if code != 0 || out != "Completed updating config for topic tool.\n" {
		t.Fatalf("alter: %d %q %q", code, out, errOut)
	}
	waitProduceCode(t, c.B().Addr(), "tool", 0, kerr.NotEnoughReplicas.Code)

	out, errOut, code = Kafka(t, "configs", "--bootstrap-server", bs, "--entity-type", "topics", "--entity-name", "tool", "--describe")
	if code != 0 {
		t.Fatalf("describe: %d %q %q", code, out, errOut)
	}
	for _, want := range []string{
		"Dynamic configs for topic tool are:\n",
		"  cleanup.policy=compact,delete sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:cleanup.policy=compact,delete, DEFAULT_CONFIG:log.cleanup.policy=delete}\n",
		"  min.insync.replicas=2 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:min.insync.replicas=2, DEFAULT_CONFIG:min.insync.replicas=1}\n",
		"  retention.ms=60000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=60000}\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("describe output lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "\n"); n != 4 {
		t.Errorf("describe shows %d lines, want the header and the 3 overrides:\n%s", n, out)
	}

	out, errOut, code = Kafka(t, "configs", "--bootstrap-server", bs, "--topic", "tool", "--alter", "--delete-config", "min.insync.replicas")
	if code != 0 || out != "Completed updating config for topic tool.\n" {
		t.Fatalf("delete-config: %d %q %q", code, out, errOut)
	}
	waitProduceCode(t, c.B().Addr(), "tool", 0, kerr.InvalidRecord.Code) // compacted: keyless records refused, but the ISR is enough again

	out, errOut, code = Kafka(t, "configs", "--bootstrap-server", bs, "--topic", "tool", "--alter", "--delete-config", "min.insync.replicas")
	if code != 1 || errOut != "Invalid config(s): min.insync.replicas\n" {
		t.Errorf("deleting an absent override: %d %q %q", code, out, errOut)
	}

	// --zookeeper mode reads and writes the znodes directly.
	out, errOut, code = Kafka(t, "configs", "--zookeeper", c.ZK, "--entity-type", "topics", "--entity-name", "tool", "--alter", "--add-config", "retention.ms=120000")
	if code != 0 || !strings.HasSuffix(out, "Completed updating config for entity: topic 'tool'.\n") {
		t.Fatalf("zk alter: %d %q %q", code, out, errOut)
	}
	out, errOut, code = Kafka(t, "configs", "--zookeeper", c.ZK, "--entity-type", "topics", "--entity-name", "tool", "--describe")
	if code != 0 || !strings.HasSuffix(out, "Configs for topic 'tool' are cleanup.policy=compact,delete,retention.ms=120000\n") {
		t.Fatalf("zk describe: %d %q %q", code, out, errOut)
	}

	out, errOut, code = Kafka(t, "configs", "--bootstrap-server", bs, "--entity-type", "brokers", "--entity-name", "1", "--describe")
	if code != 0 || out != "Dynamic configs for broker 1 are:\n" {
		t.Errorf("broker describe: %d %q %q", code, out, errOut)
	}
	out, errOut, code = Kafka(t, "configs", "--bootstrap-server", bs, "--entity-type", "topics", "--describe", "--alter")
	if code != 1 || !strings.HasPrefix(errOut, "Command must include exactly one action: --describe, --alter\n") {
		t.Errorf("two actions: %d %q %q", code, out, fmt.Sprint(errOut[:min(len(errOut), 200)]))
	}
}

// TestConfigChangeReachesEveryBroker alters a topic through one broker and
// sees every broker enforce it on the partitions it leads.
func TestConfigChangeReachesEveryBroker(t *testing.T) {
	c := StartClusterN(t, 3, nil)
	CreateTopic(t, c.Bootstrap(), "spread", 3, nil)
	adm := kadm.NewClient(NewClient(t, c.Bootstrap()))
	md, err := adm.Metadata(testContext(t, 10*time.Second), "spread")
	if err != nil {
		t.Fatal(err)
	}
	leaders := map[int32]string{}
	for _, p := range md.Topics["spread"].Partitions {
		for _, b := range md.Brokers {
			if b.NodeID == p.Leader {
				leaders[p.Partition] = net.JoinHostPort(b.Host, fmt.Sprint(b.Port))
			}
		}
	}
	distinct := map[string]bool{}
	for _, a := range leaders {
		distinct[a] = true
	}
	if len(distinct) != 3 {
		t.Fatalf("partitions are not spread over the 3 brokers: %v", leaders)
	}
	out, errOut, code := Kafka(t, "configs", "--bootstrap-server", c.Brokers[0].Addr(), "--topic", "spread", "--alter", "--add-config", "min.insync.replicas=2")
	if code != 0 {
		t.Fatalf("alter: %d %q %q", code, out, errOut)
	}
	for p, addr := range leaders {
		waitProduceCode(t, addr, "spread", p, kerr.NotEnoughReplicas.Code)
	}
	out, errOut, code = Kafka(t, "configs", "--bootstrap-server", c.Brokers[2].Addr(), "--topic", "spread", "--alter", "--delete-config", "min.insync.replicas")
	if code != 0 {
		t.Fatalf("delete: %d %q %q", code, out, errOut)
	}
	for p, addr := range leaders {
		waitProduceCode(t, addr, "spread", p, 0)
	}
}

// TestDynamicBrokerConfigs sets topic defaults per broker and cluster-wide
// through kafka-configs.sh: they apply live to existing topics, show up as
// DYNAMIC_* sources and survive a restart.
func TestDynamicBrokerConfigs(t *testing.T) {
	c := StartCluster(t, nil)
	CreateTopic(t, c.Bootstrap(), "dyn", 1, nil)
	bs := c.Bootstrap()

	out, errOut, code := Kafka(t, "configs", "--bootstrap-server", bs, "--entity-type", "brokers", "--entity-name", "1", "--alter", "--add-config", "min.insync.replicas=2")
	if code != 0 || out != "Completed updating config for broker 1.\n" {
		t.Fatalf("alter broker: %d %q %q", code, out, errOut)
	}
	waitProduceCode(t, c.B().Addr(), "dyn", 0, kerr.NotEnoughReplicas.Code)

	out, errOut, code = Kafka(t, "configs", "--bootstrap-server", bs, "--entity-type", "brokers", "--entity-name", "1", "--describe")
	want := "Dynamic configs for broker 1 are:\n  min.insync.replicas=2 sensitive=false synonyms={DYNAMIC_BROKER_CONFIG:min.insync.replicas=2, DEFAULT_CONFIG:min.insync.replicas=1}\n"
	if code != 0 || out != want {
		t.Errorf("describe broker: %d %q %q, want %q", code, out, errOut, want)
	}

	out, errOut, code = Kafka(t, "configs", "--bootstrap-server", bs, "--entity-type", "brokers", "--entity-name", "1", "--alter", "--add-config", "broker.id=5")
	if code != 1 || !strings.Contains(errOut, "InvalidRequestException: Invalid config value for resource ConfigResource(type=BROKER, name='1'): Cannot update these configs dynamically: Set(broker.id)") {
		t.Errorf("static key: %d %q %q", code, out, errOut)
	}

	// Survives a restart: logs are opened with the dynamic defaults.
	c.B().Restart()
	waitProduceCode(t, c.B().Addr(), "dyn", 0, kerr.NotEnoughReplicas.Code)

	out, errOut, code = Kafka(t, "configs", "--bootstrap-server", bs, "--entity-type", "brokers", "--entity-name", "1", "--alter", "--delete-config", "min.insync.replicas")
	if code != 0 {
		t.Fatalf("delete broker config: %d %q %q", code, out, errOut)
	}
	waitProduceCode(t, c.B().Addr(), "dyn", 0, 0)

	// Cluster-wide default.
	out, errOut, code = Kafka(t, "configs", "--bootstrap-server", bs, "--entity-type", "brokers", "--entity-default", "--alter", "--add-config", "min.insync.replicas=3")
	if code != 0 || out != "Completed updating default config for brokers in the cluster.\n" {
		t.Fatalf("alter default: %d %q %q", code, out, errOut)
	}
	waitProduceCode(t, c.B().Addr(), "dyn", 0, kerr.NotEnoughReplicas.Code)
	out, errOut, code = Kafka(t, "configs", "--bootstrap-server", bs, "--entity-type", "brokers", "--entity-default", "--describe")
	want = "Default configs for brokers in the cluster are:\n  min.insync.replicas=3 sensitive=false synonyms={DYNAMIC_DEFAULT_BROKER_CONFIG:min.insync.replicas=3, DEFAULT_CONFIG:min.insync.replicas=1}\n"
	if code != 0 || out != want {
		t.Errorf("describe default: %d %q %q, want %q", code, out, errOut, want)
	}
	// A topic override still wins over broker defaults.
	adm := kadm.NewClient(NewClient(t, bs))
	resps, err := adm.AlterTopicConfigs(testContext(t, 10*time.Second), []kadm.AlterConfig{{Op: kadm.SetConfig, Name: "min.insync.replicas", Value: sptr("1")}}, "dyn")
	if err != nil || resps[0].Err != nil {
		t.Fatalf("topic override: %v %v", err, resps)
	}
	waitProduceCode(t, c.B().Addr(), "dyn", 0, 0)
}
