package server

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// minimal returns the smallest valid property set plus extra pairs.
func minimal(extra ...string) map[string]string {
	p := map[string]string{"zookeeper.connect": "localhost:2181"}
	for i := 0; i+1 < len(extra); i += 2 {
		p[extra[i]] = extra[i+1]
	}
	return p
}

func mustConfig(t *testing.T, extra ...string) *KafkaConfig {
	t.Helper()
	c, err := NewKafkaConfig(minimal(extra...))
	if err != nil {
		t.Fatalf("NewKafkaConfig: %v", err)
	}
	return c
}

func init() {
	CanonicalHostName = func() string { return "node1.example" }
}

func TestDefaultsMatchKafka28(t *testing.T) {
	c := mustConfig(t)
	checks := []struct {
		name string
		got  any
		want any
	}{
		{"broker.id", c.BrokerID, int32(-1)},
		{"broker.id.generation.enable", c.BrokerIDGenerationEnable, true},
		{"reserved.broker.max.id", c.ReservedBrokerMaxID, int32(1000)},
		{"log.dirs", c.LogDirs, []string{"/tmp/kafka-logs"}},
		{"zookeeper.session.timeout.ms", c.ZkSessionTimeoutMs, 18000},
		{"zookeeper.connection.timeout.ms", c.ZkConnectionTimeoutMs, 18000},
		{"num.network.threads", c.NumNetworkThreads, 3},
		{"num.io.threads", c.NumIoThreads, 8},
		{"queued.max.requests", c.QueuedMaxRequests, 500},
		{"socket.request.max.bytes", c.SocketRequestMaxBytes, int32(104857600)},
		{"socket.send.buffer.bytes", c.SocketSendBufferBytes, int32(102400)},
		{"num.partitions", c.NumPartitions, int32(1)},
		{"default.replication.factor", c.DefaultReplicationFactor, int16(1)},
		{"auto.create.topics.enable", c.AutoCreateTopicsEnable, true},
		{"delete.topic.enable", c.DeleteTopicEnable, true},
		{"log.segment.bytes", c.LogSegmentBytes, int64(1073741824)},
		{"log.roll.ms", c.LogRollMs, int64(168 * 3600 * 1000)},
		{"log.roll.jitter.ms", c.LogRollJitterMs, int64(0)},
		{"log.retention.ms", c.LogRetentionMs, int64(168 * 3600 * 1000)},
		{"log.retention.bytes", c.LogRetentionBytes, int64(-1)},
		{"log.retention.check.interval.ms", c.LogRetentionCheckIntervalMs, int64(300000)},
		{"log.index.interval.bytes", c.LogIndexIntervalBytes, int32(4096)},
		{"log.index.size.max.bytes", c.LogIndexSizeMaxBytes, int32(10485760)},
		{"log.flush.interval.messages", c.LogFlushIntervalMessages, int64(9223372036854775807)},
		{"log.flush.interval.ms", c.LogFlushIntervalMs, int64(9223372036854775807)},
		{"log.flush.offset.checkpoint.interval.ms", c.LogFlushOffsetCheckpointIntervalMs, int64(60000)},
		{"log.segment.delete.delay.ms", c.LogSegmentDeleteDelayMs, int64(60000)},
		{"log.cleanup.policy", c.LogCleanupPolicy, "delete"},
		{"log.message.timestamp.type", c.LogMessageTimestampType, "CreateTime"},
		{"compression.type", c.CompressionType, "producer"},
		{"message.max.bytes", c.MessageMaxBytes, int32(1048588)},
		{"min.insync.replicas", c.MinInsyncReplicas, 1},
		{"unclean.leader.election.enable", c.UncleanLeaderElectionEnable, false},
		{"replica.lag.time.max.ms", c.ReplicaLagTimeMaxMs, int64(30000)},
		{"replica.fetch.max.bytes", c.ReplicaFetchMaxBytes, int32(1048576)},
		{"replica.fetch.min.bytes", c.ReplicaFetchMinBytes, int32(1)},
		{"replica.fetch.wait.max.ms", c.ReplicaFetchWaitMaxMs, int64(500)},
		{"replica.fetch.backoff.ms", c.ReplicaFetchBackoffMs, int64(1000)},
		{"replica.fetch.response.max.bytes", c.ReplicaFetchResponseMaxBytes, int32(10485760)},
		{"replica.high.watermark.checkpoint.interval.ms", c.ReplicaHighWatermarkCheckpointIntervalMs, int64(5000)},
		{"num.replica.fetchers", c.NumReplicaFetchers, 1},
		{"controlled.shutdown.max.retries", c.ControlledShutdownMaxRetries, 3},
		{"controlled.shutdown.retry.backoff.ms", c.ControlledShutdownRetryBackoffMs, int64(5000)},
		{"leader.imbalance.per.broker.percentage", c.LeaderImbalancePerBrokerPercentage, 10},
		{"leader.imbalance.check.interval.seconds", c.LeaderImbalanceCheckIntervalSeconds, int64(300)},
		{"offsets.topic.num.partitions", c.OffsetsTopicNumPartitions, int32(50)},
		{"offsets.topic.replication.factor", c.OffsetsTopicReplicationFactor, int16(3)},
		{"offsets.topic.segment.bytes", c.OffsetsTopicSegmentBytes, int32(104857600)},
		{"offsets.retention.minutes", c.OffsetsRetentionMinutes, 10080},
		{"offsets.retention.check.interval.ms", c.OffsetsRetentionCheckIntervalMs, int64(600000)},
		{"offsets.commit.timeout.ms", c.OffsetsCommitTimeoutMs, 5000},
		{"group.initial.rebalance.delay.ms", c.GroupInitialRebalanceDelayMs, 3000},
		{"group.min.session.timeout.ms", c.GroupMinSessionTimeoutMs, 6000},
		{"group.max.session.timeout.ms", c.GroupMaxSessionTimeoutMs, 1800000},
		{"transaction.state.log.num.partitions", c.TransactionStateLogNumPartitions, int32(50)},
		{"transaction.state.log.replication.factor", c.TransactionStateLogReplicationFactor, int16(3)},
		{"transaction.state.log.min.isr", c.TransactionStateLogMinIsr, 2},
		{"transaction.state.log.segment.bytes", c.TransactionStateLogSegmentBytes, int32(104857600)},
		{"log.cleaner.enable", c.LogCleanerEnable, true},
		{"log.cleaner.threads", c.LogCleanerThreads, 1},
		{"log.cleaner.min.cleanable.ratio", c.LogCleanerMinCleanableRatio, 0.5},
		{"log.cleaner.backoff.ms", c.LogCleanerBackoffMs, int64(15000)},
		{"inter.broker.protocol.version", c.InterBrokerProtocolVersion, "2.8-IV1"},
		{"inter.broker.listener.name", c.InterBrokerListenerName, "PLAINTEXT"},
	}
	for _, ch := range checks {
		if !reflect.DeepEqual(ch.got, ch.want) {
			t.Errorf("%s = %#v, want %#v", ch.name, ch.got, ch.want)
		}
	}
}

func TestMissingZookeeperConnect(t *testing.T) {
	_, err := NewKafkaConfig(map[string]string{"broker.id": "0"})
	want := `Missing required configuration "zookeeper.connect" which has no default value.`
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %q", err, want)
	}
}

func TestInvalidValuesNameTheKey(t *testing.T) {
	cases := []struct{ key, value, want string }{
		{"broker.id", "abc", "Invalid value abc for configuration broker.id: Not a number of type INT"},
		{"log.retention.ms", "1h", "Invalid value 1h for configuration log.retention.ms: Not a number of type LONG"},
		{"offsets.topic.replication.factor", "70000", "Invalid value 70000 for configuration offsets.topic.replication.factor: Not a number of type SHORT"},
		{"delete.topic.enable", "yes", "Invalid value yes for configuration delete.topic.enable: Expected value to be either true or false"},
		{"num.partitions", "0", "Invalid value 0 for configuration num.partitions: Value must be at least 1"},
		{"log.segment.bytes", "10", "Invalid value 10 for configuration log.segment.bytes: Value must be at least 14"},
		{"log.cleanup.policy", "delete,shrink", "Invalid value shrink for configuration log.cleanup.policy: String must be one of: compact, delete"},
		{"compression.type", "brotli", "Invalid value brotli for configuration compression.type: String must be one of: uncompressed, zstd, lz4, snappy, gzip, producer"},
		{"log.message.timestamp.type", "Now", "Invalid value Now for configuration log.message.timestamp.type: String must be one of: CreateTime, LogAppendTime"},
		{"inter.broker.protocol.version", "9.9", "Invalid value 9.9 for configuration inter.broker.protocol.version: Version `9.9` is not a valid version"},
	}
	for _, tc := range cases {
		_, err := NewKafkaConfig(minimal(tc.key, tc.value))
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s=%s: err = %v\nwant %s", tc.key, tc.value, err, tc.want)
		}
	}
}

func TestValuesAreTrimmed(t *testing.T) {
	c := mustConfig(t, "broker.id", " 7 ", "delete.topic.enable", "FALSE ")
	if c.BrokerID != 7 || c.DeleteTopicEnable {
		t.Fatalf("broker.id=%d delete.topic.enable=%v", c.BrokerID, c.DeleteTopicEnable)
	}
}

func TestCrossKeyRequirements(t *testing.T) {
	cases := []struct {
		extra []string
		want  string
	}{
		{[]string{"broker.id", "1001"}, "broker.id must be greater than or equal to -1 and not greater than reserved.broker.max.id"},
		{[]string{"broker.id.generation.enable", "false"}, "broker.id must be greater than or equal to 0"},
		{[]string{"log.retention.ms", "0"}, "log.retention.ms must be unlimited (-1) or, greater than or equal to 1"},
		{[]string{"log.roll.ms", "0"}, "log.roll.ms must be greater than or equal to 1"},
		{[]string{"replica.fetch.wait.max.ms", "40000"}, "replica.socket.timeout.ms should always be at least replica.fetch.wait.max.ms"},
		{[]string{"log.dirs", " , "}, "At least one log directory must be defined via log.dirs or log.dir."},
	}
	for _, tc := range cases {
		_, err := NewKafkaConfig(minimal(tc.extra...))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want %q", tc.extra, err, tc.want)
		}
	}
}

func TestRetentionPrecedence(t *testing.T) {
	cases := []struct {
		extra []string
		want  int64
	}{
		{nil, 168 * 3600000},
		{[]string{"log.retention.hours", "1"}, 3600000},
		{[]string{"log.retention.hours", "1", "log.retention.minutes", "5"}, 300000},
		{[]string{"log.retention.hours", "1", "log.retention.minutes", "5", "log.retention.ms", "1234"}, 1234},
		{[]string{"log.retention.ms", "-5"}, -1},
		{[]string{"log.retention.hours", "-1"}, -1},
	}
	for _, tc := range cases {
		if got := mustConfig(t, tc.extra...).LogRetentionMs; got != tc.want {
			t.Errorf("%v: retention = %d, want %d", tc.extra, got, tc.want)
		}
	}
}

func TestRollAndJitterPrecedence(t *testing.T) {
	c := mustConfig(t, "log.roll.hours", "2", "log.roll.jitter.hours", "1")
	if c.LogRollMs != 2*3600000 || c.LogRollJitterMs != 3600000 {
		t.Fatalf("roll=%d jitter=%d", c.LogRollMs, c.LogRollJitterMs)
	}
	c = mustConfig(t, "log.roll.hours", "2", "log.roll.ms", "5000", "log.roll.jitter.hours", "1", "log.roll.jitter.ms", "7")
	if c.LogRollMs != 5000 || c.LogRollJitterMs != 7 {
		t.Fatalf("roll=%d jitter=%d", c.LogRollMs, c.LogRollJitterMs)
	}
}

func TestLogDirsWinOverLogDir(t *testing.T) {
	c := mustConfig(t, "log.dir", "/a")
	if !reflect.DeepEqual(c.LogDirs, []string{"/a"}) {
		t.Fatalf("LogDirs = %v", c.LogDirs)
	}
	c = mustConfig(t, "log.dir", "/a", "log.dirs", "/b, /c")
	if !reflect.DeepEqual(c.LogDirs, []string{"/b", "/c"}) {
		t.Fatalf("LogDirs = %v", c.LogDirs)
	}
}

func TestFlushIntervalFallsBackToScheduler(t *testing.T) {
	c := mustConfig(t, "log.flush.scheduler.interval.ms", "3000")
	if c.LogFlushIntervalMs != 3000 {
		t.Fatalf("flush ms = %d", c.LogFlushIntervalMs)
	}
	c = mustConfig(t, "log.flush.scheduler.interval.ms", "3000", "log.flush.interval.ms", "10")
	if c.LogFlushIntervalMs != 10 {
		t.Fatalf("flush ms = %d", c.LogFlushIntervalMs)
	}
}

func TestZkConnectionTimeoutDefaultsToSession(t *testing.T) {
	c := mustConfig(t, "zookeeper.session.timeout.ms", "9000")
	if c.ZkConnectionTimeoutMs != 9000 {
		t.Fatalf("connection timeout = %d", c.ZkConnectionTimeoutMs)
	}
	c = mustConfig(t, "zookeeper.connection.timeout.ms", "18000")
	if c.ZkConnectionTimeoutMs != 18000 {
		t.Fatalf("connection timeout = %d", c.ZkConnectionTimeoutMs)
	}
}

func TestLegacyHostNameAndPort(t *testing.T) {
	c := mustConfig(t, "host.name", "10.0.0.5", "port", "9093")
	want := []Endpoint{{"PLAINTEXT", "10.0.0.5", 9093, "PLAINTEXT"}}
	if !reflect.DeepEqual(c.Listeners, want) || !reflect.DeepEqual(c.AdvertisedListeners, want) {
		t.Fatalf("listeners %v advertised %v", c.Listeners, c.AdvertisedListeners)
	}
	// With no host at all, the listener binds every interface and the
	// advertised address is the canonical host name.
	c = mustConfig(t)
	if c.Listeners[0].Host != "" || c.Listeners[0].Port != 9092 {
		t.Fatalf("listeners %v", c.Listeners)
	}
	if c.AdvertisedListeners[0].String() != "PLAINTEXT://node1.example:9092" {
		t.Fatalf("advertised %v", c.AdvertisedListeners)
	}
}

func TestAdvertisedHostAndPort(t *testing.T) {
	c := mustConfig(t, "listeners", "PLAINTEXT://0.0.0.0:9092", "advertised.host.name", "kafka1")
	if got := c.AdvertisedListeners[0].String(); got != "PLAINTEXT://kafka1:9092" {
		t.Fatalf("advertised = %s", got)
	}
	c = mustConfig(t, "advertised.port", "19092")
	if got := c.AdvertisedListeners[0].String(); got != "PLAINTEXT://node1.example:19092" {
		t.Fatalf("advertised = %s", got)
	}
	// advertised.listeners wins over the legacy pair.
	c = mustConfig(t, "advertised.host.name", "kafka1", "advertised.listeners", "PLAINTEXT://kafka2:9999")
	if got := c.AdvertisedListeners[0].String(); got != "PLAINTEXT://kafka2:9999" {
		t.Fatalf("advertised = %s", got)
	}
	// 0.0.0.0 may be bound but not advertised.
	_, err := NewKafkaConfig(minimal("advertised.listeners", "PLAINTEXT://0.0.0.0:9092"))
	if err == nil || !strings.Contains(err.Error(), "cannot use the nonroutable meta-address 0.0.0.0") {
		t.Fatalf("err = %v", err)
	}
}

func TestListenersWithCustomNames(t *testing.T) {
	c := mustConfig(t,
		"listeners", "INTERNAL://127.0.0.1:9093,external://[::1]:9092",
		"listener.security.protocol.map", "INTERNAL:PLAINTEXT,EXTERNAL:PLAINTEXT",
		"inter.broker.listener.name", "INTERNAL")
	want := []Endpoint{{"INTERNAL", "127.0.0.1", 9093, "PLAINTEXT"}, {"EXTERNAL", "::1", 9092, "PLAINTEXT"}}
	if !reflect.DeepEqual(c.Listeners, want) {
		t.Fatalf("listeners = %v", c.Listeners)
	}
	if c.AdvertisedListeners[1].String() != "EXTERNAL://[::1]:9092" {
		t.Fatalf("advertised = %v", c.AdvertisedListeners)
	}
	if c.InterBrokerListenerName != "INTERNAL" || c.InterBrokerSecurityProtocol != "PLAINTEXT" {
		t.Fatalf("inter-broker %s/%s", c.InterBrokerListenerName, c.InterBrokerSecurityProtocol)
	}
}

func TestListenerErrors(t *testing.T) {
	cases := []struct {
		extra []string
		want  string
	}{
		{[]string{"listeners", "PLAINTEXT:/localhost:9092"}, "Unable to parse PLAINTEXT:/localhost:9092 to a broker endpoint"},
		{[]string{"listeners", "PLAINTEXT://localhost:port"}, "Unable to parse PLAINTEXT://localhost:port to a broker endpoint"},
		{[]string{"listeners", "CLIENT://:9092"}, "No security protocol defined for listener CLIENT"},
		{[]string{"listeners", "PLAINTEXT://:9092,PLAINTEXT://:9093"}, "requirement failed: Each listener must have a different name, listeners: PLAINTEXT://:9092,PLAINTEXT://:9093"},
		{[]string{"listeners", "PLAINTEXT://:9092,SSL://:9092"}, "requirement failed: Each listener must have a different port"},
		{[]string{"listeners", "SSL://:9093"}, "inter.broker.listener.name must be a listener name defined in advertised.listeners"},
		{[]string{"listener.security.protocol.map", "A:TLS"}, "Invalid security protocol `TLS` defined in listener.security.protocol.map"},
		{[]string{"inter.broker.listener.name", "PLAINTEXT", "security.inter.broker.protocol", "PLAINTEXT"}, "Only one of inter.broker.listener.name and security.inter.broker.protocol should be set."},
	}
	for _, tc := range cases {
		_, err := NewKafkaConfig(minimal(tc.extra...))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v\nwant %q", tc.extra, err, tc.want)
		}
	}
}

func TestUnknownKeys(t *testing.T) {
	c := mustConfig(t, "log.retention.dayz", "3", "listener.name.internal.ssl.keystore.location", "/x", "brokr.id", "1")
	if got := c.UnknownKeys(); !reflect.DeepEqual(got, []string{"brokr.id", "log.retention.dayz"}) {
		t.Fatalf("UnknownKeys = %v", got)
	}
	if len(mustConfig(t).UnknownKeys()) != 0 {
		t.Fatal("minimal config has unknown keys")
	}
}

// kafka-go's test cluster (docker-compose for 2.x) configures a
// SASL_PLAINTEXT listener and an ACL authorizer; every security protocol
// is served (SSL and SASL_SSL with TLS), and so is SimpleAclAuthorizer;
// other authorizer classes are accepted as Kafka does but not implemented,
// which start-up says.
func TestUnsupportedSecuritySettings(t *testing.T) {
	if got := mustConfig(t).UnsupportedSecuritySettings(); len(got) != 0 {
		t.Fatalf("minimal config: %v", got)
	}
	c := mustConfig(t, "listeners", "PLAINTEXT://:9092,SASL_PLAINTEXT://:9093,SASL_SSL://:9094,SSL://:9095",
		"authorizer.class.name", "kafka.security.auth.SimpleAclAuthorizer")
	if got := c.UnsupportedSecuritySettings(); len(got) != 0 {
		t.Fatalf("UnsupportedSecuritySettings = %q", got)
	}
	c = mustConfig(t, "authorizer.class.name", "com.example.MyAuthorizer")
	want := []string{"authorizer.class.name=com.example.MyAuthorizer is not supported: no authorizer is loaded, every request is allowed and the ACL APIs answer SECURITY_DISABLED."}
	if got := c.UnsupportedSecuritySettings(); !reflect.DeepEqual(got, want) {
		t.Fatalf("UnsupportedSecuritySettings =\n%q\nwant\n%q", got, want)
	}
}

func TestLoadFileAndOverrides(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "server.properties")
	content := `# comment
! another comment
broker.id=0
log.dirs=data/kafka-logs
zookeeper.connect : localhost:2181/kafka
num.partitions 3
listeners=PLAINTEXT://127.0.0.1:9092,\
  SSL://127.0.0.1:9093
message.max.bytes=${not.expanded}
`
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := LoadKafkaConfig(path, nil)
	if err == nil || !strings.Contains(err.Error(), "Invalid value ${not.expanded} for configuration message.max.bytes") {
		t.Fatalf("err = %v", err)
	}
	c, err := LoadKafkaConfig(path, []string{"message.max.bytes=2000000", "broker.id=4", "num.partitions=5"})
	if err != nil {
		t.Fatal(err)
	}
	if c.BrokerID != 4 || c.NumPartitions != 5 || c.MessageMaxBytes != 2000000 {
		t.Fatalf("overrides not applied: id=%d partitions=%d max=%d", c.BrokerID, c.NumPartitions, c.MessageMaxBytes)
	}
	if c.ZkConnect != "localhost:2181/kafka" || len(c.Listeners) != 2 || c.Listeners[1].Port != 9093 {
		t.Fatalf("zk=%q listeners=%v", c.ZkConnect, c.Listeners)
	}
	if c.Props["broker.id"] != "4" {
		t.Fatalf("Props keeps effective originals, broker.id=%q", c.Props["broker.id"])
	}
	if _, err := LoadKafkaConfig(filepath.Join(dir, "nope.properties"), nil); err == nil ||
		!strings.Contains(err.Error(), "nope.properties (No such file or directory)") {
		t.Fatalf("missing file err = %v", err)
	}
}

func TestParseOverrides(t *testing.T) {
	got := ParseOverrides([]string{"a=b", "c=d=e", "f"})
	want := map[string]string{"a": "b", "c": "d=e", "f": ""}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v", got)
	}
}

func TestLogConfigFromBroker(t *testing.T) {
	c := mustConfig(t, "log.segment.bytes", "1048576", "log.retention.minutes", "10", "log.cleanup.policy", "compact, delete",
		"log.message.timestamp.type", "LogAppendTime", "log.preallocate", "true", "log.index.interval.bytes", "100")
	lc := c.LogConfig()
	if lc.SegmentBytes != 1048576 || lc.RetentionMs != 600000 || lc.CleanupPolicy != "compact,delete" ||
		lc.MessageTimestampType != "LogAppendTime" || !lc.Preallocate || lc.IndexIntervalBytes != 100 ||
		lc.MaxIndexSize != 10485760 || lc.MaxMessageBytes != 1048588 || lc.SegmentMs != 604800000 ||
		lc.FileDeleteDelayMs != 60000 || lc.RetentionBytes != -1 || lc.FlushIntervalMessages != 9223372036854775807 {
		t.Fatalf("LogConfig = %+v", lc)
	}
}

func TestTopicOverrides(t *testing.T) {
	c := mustConfig(t, "log.retention.hours", "1", "min.insync.replicas", "2")
	lc, err := c.TopicLogConfig(map[string]string{"segment.bytes": "2048", "retention.ms": "-1", "cleanup.policy": "compact",
		"max.message.bytes": "100", "segment.ms": "60000", "flush.messages": "1"})
	if err != nil {
		t.Fatal(err)
	}
	if lc.SegmentBytes != 2048 || lc.RetentionMs != -1 || lc.CleanupPolicy != "compact" || lc.MaxMessageBytes != 100 ||
		lc.SegmentMs != 60000 || lc.FlushIntervalMessages != 1 {
		t.Fatalf("topic log config = %+v", lc)
	}
	tc, err := c.TopicConfig(map[string]string{"unclean.leader.election.enable": "true", "compression.type": "lz4"})
	if err != nil {
		t.Fatal(err)
	}
	if tc.MinInsyncReplicas != 2 || !tc.UncleanLeaderElectionEnable || tc.CompressionType != "lz4" || tc.RetentionMs != 3600000 ||
		tc.MinCleanableDirtyRatio != 0.5 || tc.DeleteRetentionMs != 86400000 || tc.MessageFormatVersion != "2.8-IV1" {
		t.Fatalf("topic config = %+v", tc)
	}
	tc, _ = c.TopicConfig(map[string]string{"min.insync.replicas": "3", "message.format.version": "2.1"})
	if tc.MinInsyncReplicas != 3 || tc.MessageFormatVersion != "2.1-IV2" {
		t.Fatalf("topic config = %+v", tc)
	}
}

func TestValidateTopicConfig(t *testing.T) {
	cases := []struct {
		overrides map[string]string
		want      string
	}{
		{map[string]string{"retention.hours": "1"}, "Unknown topic config name: retention.hours"},
		{map[string]string{"segment.bytes": "x"}, "Invalid value x for configuration segment.bytes: Not a number of type INT"},
		{map[string]string{"segment.bytes": "1"}, "Invalid value 1 for configuration segment.bytes: Value must be at least 14"},
		{map[string]string{"retention.ms": "-2"}, "Invalid value -2 for configuration retention.ms: Value must be at least -1"},
		{map[string]string{"cleanup.policy": "compress"}, "Invalid value compress for configuration cleanup.policy: String must be one of: compact, delete"},
		{map[string]string{"min.cleanable.dirty.ratio": "1.5"}, "Invalid value 1.5 for configuration min.cleanable.dirty.ratio: Value must be no more than 1"},
		{map[string]string{"min.insync.replicas": "0"}, "Invalid value 0 for configuration min.insync.replicas: Value must be at least 1"},
		{map[string]string{"unclean.leader.election.enable": "maybe"}, "Invalid value maybe for configuration unclean.leader.election.enable: Expected value to be either true or false"},
		{map[string]string{"leader.replication.throttled.replicas": "0-1"}, "Invalid value [0-1] for configuration leader.replication.throttled.replicas: leader.replication.throttled.replicas must be the literal '*'"},
		{map[string]string{"min.compaction.lag.ms": "10", "max.compaction.lag.ms": "5"}, "conflict topic config setting min.compaction.lag.ms (10) > max.compaction.lag.ms (5)"},
	}
	for _, tc := range cases {
		err := ValidateTopicConfig(tc.overrides)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%v: err = %v\nwant %s", tc.overrides, err, tc.want)
		}
	}
	ok := map[string]string{"retention.ms": "1000", "cleanup.policy": "compact,delete", "leader.replication.throttled.replicas": "0:1,1:2",
		"follower.replication.throttled.replicas": "*", "message.timestamp.type": "LogAppendTime", "compression.type": "zstd"}
	if err := ValidateTopicConfig(ok); err != nil {
		t.Fatal(err)
	}
}

func findEntry(t *testing.T, entries []ConfigEntry, name string) ConfigEntry {
	t.Helper()
	for _, e := range entries {
		if e.Name == name {
			return e
		}
	}
	t.Fatalf("no entry %s", name)
	return ConfigEntry{}
}

func TestDescribeTopicConfigSources(t *testing.T) {
	// As with the stock server.properties: log.segment.bytes and
	// log.retention.hours set explicitly.
	c := mustConfig(t, "log.segment.bytes", "1073741824", "log.retention.hours", "168")
	entries := c.DescribeTopicConfigs(map[string]string{"retention.bytes": "1000"})
	if len(entries) != len(TopicConfigNames()) {
		t.Fatalf("%d entries", len(entries))
	}
	seg := findEntry(t, entries, "segment.bytes")
	if seg.Value != "1073741824" || seg.Source != SourceStaticBroker || seg.ReadOnly || seg.Sensitive {
		t.Fatalf("segment.bytes = %+v", seg)
	}
	if len(seg.Synonyms) != 2 || seg.Synonyms[0].Name != "log.segment.bytes" || seg.Synonyms[1].Source != SourceDefault {
		t.Fatalf("segment.bytes synonyms = %+v", seg.Synonyms)
	}
	// Only the exact broker key counts: log.retention.hours does not make
	// retention.ms a static broker config.
	ret := findEntry(t, entries, "retention.ms")
	if ret.Value != "604800000" || ret.Source != SourceDefault {
		t.Fatalf("retention.ms = %+v", ret)
	}
	rb := findEntry(t, entries, "retention.bytes")
	if rb.Value != "1000" || rb.Source != SourceDynamicTopic || rb.Synonyms[0].Name != "retention.bytes" {
		t.Fatalf("retention.bytes = %+v", rb)
	}
	cp := findEntry(t, entries, "cleanup.policy")
	if cp.Value != "delete" || cp.Source != SourceDefault {
		t.Fatalf("cleanup.policy = %+v", cp)
	}
	ratio := findEntry(t, entries, "min.cleanable.dirty.ratio")
	if ratio.Value != "0.5" {
		t.Fatalf("ratio = %+v", ratio)
	}
	thr := findEntry(t, entries, "leader.replication.throttled.replicas")
	if thr.Value != "" || thr.Source != SourceDefault {
		t.Fatalf("throttled = %+v", thr)
	}
	// Non-default entries are what kafka-topics shows after "Configs:".
	var shown []string
	for _, e := range entries {
		if e.Source != SourceDefault {
			shown = append(shown, e.Name+"="+e.Value)
		}
	}
	if strings.Join(shown, ",") != "retention.bytes=1000,segment.bytes=1073741824" {
		t.Fatalf("non-default configs = %v", shown)
	}
}

func TestDescribeBrokerConfigs(t *testing.T) {
	c := mustConfig(t, "broker.id", "3", "log.retention.hours", "24", "ssl.key.password", "secret", "made.up", "x")
	entries := c.DescribeBrokerConfigs()
	id := findEntry(t, entries, "broker.id")
	if id.Value != "3" || id.Source != SourceStaticBroker || !id.ReadOnly {
		t.Fatalf("broker.id = %+v", id)
	}
	hours := findEntry(t, entries, "log.retention.hours")
	if hours.Value != "24" || hours.Source != SourceStaticBroker {
		t.Fatalf("log.retention.hours = %+v", hours)
	}
	ms := findEntry(t, entries, "log.retention.ms")
	if !ms.Null || ms.Source != SourceDefault || ms.ReadOnly {
		t.Fatalf("log.retention.ms = %+v", ms)
	}
	pw := findEntry(t, entries, "ssl.key.password")
	if !pw.Null || !pw.Sensitive || pw.Source != SourceStaticBroker {
		t.Fatalf("ssl.key.password = %+v", pw)
	}
	np := findEntry(t, entries, "num.partitions")
	if np.Value != "1" || np.Source != SourceDefault {
		t.Fatalf("num.partitions = %+v", np)
	}
	ratio := findEntry(t, entries, "log.cleaner.io.max.bytes.per.second")
	if ratio.Value != "1.7976931348623157E308" {
		t.Fatalf("io max = %+v", ratio)
	}
	unknown := findEntry(t, entries, "made.up")
	if !unknown.Null || !unknown.Sensitive {
		t.Fatalf("made.up = %+v", unknown)
	}
}

func TestValueAndVersions(t *testing.T) {
	c := mustConfig(t, "inter.broker.protocol.version", "2.6", "log.cleanup.policy", "compact ,delete")
	if v, ok := c.Value("log.cleanup.policy"); !ok || v != "compact,delete" {
		t.Fatalf("Value = %q %v", v, ok)
	}
	if _, ok := c.Value("log.retention.ms"); ok {
		t.Fatal("null value reported as set")
	}
	if c.InterBrokerProtocolVersion != "2.6-IV0" || c.IBPAtLeast("2.7-IV0") || !c.IBPAtLeast("2.4") {
		t.Fatalf("ibp = %s", c.InterBrokerProtocolVersion)
	}
	if normaliseVersion("0.10.2.1") != "0.10.2-IV0" || normaliseVersion("2.8.2") != "2.8-IV1" {
		t.Fatal("normaliseVersion")
	}
}

func TestEveryTopicConfigHasABrokerSourceOrIsThrottle(t *testing.T) {
	for _, n := range TopicConfigNames() {
		b, ok := TopicConfigBrokerName(n)
		if !ok {
			if !strings.HasSuffix(n, "replication.throttled.replicas") {
				t.Errorf("%s has no broker synonym", n)
			}
			continue
		}
		if _, known := brokerDefIndex[b]; !known {
			t.Errorf("%s maps to unknown broker key %s", n, b)
		}
	}
}

// The shipped config/server.properties must load, use only known keys and
// carry the stock Kafka 2.8 values (listeners and log.dirs aside).
func TestShippedServerProperties(t *testing.T) {
	c, err := LoadKafkaConfig(filepath.Join("..", "..", "config", "server.properties"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if u := c.UnknownKeys(); len(u) != 0 {
		t.Fatalf("unknown keys %v", u)
	}
	if c.BrokerID != 0 || c.ZkConnect != "localhost:2181" || c.ZkConnectionTimeoutMs != 18000 ||
		c.OffsetsTopicReplicationFactor != 1 || c.TransactionStateLogReplicationFactor != 1 ||
		c.TransactionStateLogMinIsr != 1 || c.GroupInitialRebalanceDelayMs != 0 || c.LogSegmentBytes != 1073741824 ||
		!reflect.DeepEqual(c.LogDirs, []string{"data/kafka-logs"}) {
		t.Fatalf("unexpected values: %+v", c)
	}
	if got := c.AdvertisedListeners[0].String(); got != "PLAINTEXT://localhost:9092" {
		t.Fatalf("advertised %s", got)
	}
	// kafka-topics --describe shows segment.bytes as a static broker config.
	if e := findEntry(t, c.DescribeTopicConfigs(nil), "segment.bytes"); e.Source != SourceStaticBroker {
		t.Fatalf("segment.bytes source %d", e.Source)
	}
}

func TestBrokerValueInvalidForTopicsFailsStartup(t *testing.T) {
	_, err := NewKafkaConfig(minimal("log.cleaner.min.cleanable.ratio", "2"))
	want := "Invalid value 2.0 for configuration min.cleanable.dirty.ratio: Value must be no more than 1"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v", err)
	}
}
