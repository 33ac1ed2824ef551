package server

// KafkaConfig is the typed view of server.properties. Key names, types,
// defaults and the wording of validation errors follow Kafka 2.8's broker
// configuration, so an operator's existing file (and their habits when it is
// wrong) carry over unchanged.

import (
	"fmt"
	"net"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/magiconair/properties"

	"github.com/gokafka/kafka/core/javacompat"
	"github.com/gokafka/kafka/core/log"
	"github.com/gokafka/kafka/core/security/authorizer"
)

// ConfigSource values as carried by DescribeConfigs (kmsg.ConfigSource).
const (
	SourceUnknown              int8 = 0
	SourceDynamicTopic         int8 = 1
	SourceDynamicBroker        int8 = 2
	SourceDynamicDefaultBroker int8 = 3
	SourceStaticBroker         int8 = 4
	SourceDefault              int8 = 5
)

// Endpoint is one listener: where the broker binds (Listeners) or what it
// publishes in /brokers/ids (AdvertisedListeners).
type Endpoint struct {
	ListenerName     string
	Host             string
	Port             int32
	SecurityProtocol string
}

// String renders the endpoint as Kafka writes it into broker registrations.
func (e Endpoint) String() string {
	host := e.Host
	if strings.Contains(host, ":") { // IPv6 literal
		host = "[" + host + "]"
	}
	return fmt.Sprintf("%s://%s:%d", e.ListenerName, host, e.Port)
}

// KafkaConfig holds every broker setting the Go broker uses, already parsed
// and defaulted. Props keeps the file plus overrides as given.
type KafkaConfig struct {
	Props map[string]string

	BrokerID                 int32
	BrokerIDGenerationEnable bool
	ReservedBrokerMaxID      int32
	BrokerRack               string

	HostName                    string
	Port                        int32
	Listeners                   []Endpoint
	AdvertisedListeners         []Endpoint
	ListenerSecurityProtocolMap map[string]string
	InterBrokerListenerName     string
	InterBrokerSecurityProtocol string
	InterBrokerProtocolVersion  string // normalised, e.g. "2.8-IV1"
	ControlPlaneListenerName    string

	LogDirs []string

	ZkConnect             string
	ZkSessionTimeoutMs    int
	ZkConnectionTimeoutMs int
	ZkSyncTimeMs          int
	ZkMaxInFlightRequests int
	ZkEnableSecureAcls    bool

	NumNetworkThreads        int
	NumIoThreads             int
	BackgroundThreads        int
	QueuedMaxRequests        int
	QueuedMaxRequestBytes    int64
	RequestTimeoutMs         int
	SocketSendBufferBytes    int32
	SocketReceiveBufferBytes int32
	SocketRequestMaxBytes    int32
	MaxConnectionsPerIP      int32
	MaxConnections           int32
	ConnectionsMaxIdleMs     int64

	NumPartitions            int32
	DefaultReplicationFactor int16
	AutoCreateTopicsEnable   bool
	DeleteTopicEnable        bool

	LogSegmentBytes                         int64
	LogRollMs                               int64
	LogRollJitterMs                         int64
	LogRetentionMs                          int64
	LogRetentionBytes                       int64
	LogRetentionCheckIntervalMs             int64
	LogIndexIntervalBytes                   int32
	LogIndexSizeMaxBytes                    int32
	LogFlushIntervalMessages                int64
	LogFlushIntervalMs                      int64
	LogFlushSchedulerIntervalMs             int64
	LogFlushOffsetCheckpointIntervalMs      int64
	LogFlushStartOffsetCheckpointIntervalMs int64
	LogSegmentDeleteDelayMs                 int64
	LogCleanupPolicy                        string // comma separated, e.g. "delete" or "compact,delete"
	LogMessageTimestampType                 string
	LogMessageTimestampDifferenceMaxMs      int64
	LogMessageFormatVersion                 string
	LogMessageDownConversionEnable          bool
	LogPreallocate                          bool
	CompressionType                         string
	MessageMaxBytes                         int32
	NumRecoveryThreadsPerDataDir            int

	MinInsyncReplicas           int
	UncleanLeaderElectionEnable bool

	ReplicaLagTimeMaxMs                      int64
	ReplicaFetchWaitMaxMs                    int64
	ReplicaFetchBackoffMs                    int64
	ReplicaHighWatermarkCheckpointIntervalMs int64
	ReplicaFetchMaxBytes                     int32
	ReplicaFetchMinBytes                     int32
	ReplicaFetchResponseMaxBytes             int32
	ReplicaSocketTimeoutMs                   int
	ReplicaSocketReceiveBufferBytes          int32
	NumReplicaFetchers                       int

	FetchPurgatoryPurgeIntervalRequests         int
	ProducerPurgatoryPurgeIntervalRequests      int
	DeleteRecordsPurgatoryPurgeIntervalRequests int
	FetchMaxBytes                               int32
	MaxIncrementalFetchSessionCacheSlots        int

	ControllerSocketTimeoutMs        int
	ControlledShutdownEnable         bool
	ControlledShutdownMaxRetries     int
	ControlledShutdownRetryBackoffMs int64

	AutoLeaderRebalanceEnable           bool
	LeaderImbalancePerBrokerPercentage  int
	LeaderImbalanceCheckIntervalSeconds int64

	OffsetsTopicNumPartitions       int32
	OffsetsTopicReplicationFactor   int16
	OffsetsTopicSegmentBytes        int32
	OffsetsTopicCompressionCodec    int
	OffsetsRetentionMinutes         int
	OffsetsRetentionCheckIntervalMs int64
	OffsetsCommitTimeoutMs          int
	OffsetsCommitRequiredAcks       int16
	OffsetsLoadBufferSize           int
	OffsetMetadataMaxBytes          int

	GroupInitialRebalanceDelayMs int
	GroupMinSessionTimeoutMs     int
	GroupMaxSessionTimeoutMs     int
	GroupMaxSize                 int

	TransactionStateLogNumPartitions                         int32
	TransactionStateLogReplicationFactor                     int16
	TransactionStateLogMinIsr                                int
	TransactionStateLogSegmentBytes                          int32
	TransactionStateLogLoadBufferSize                        int
	TransactionalIDExpirationMs                              int
	TransactionMaxTimeoutMs                                  int
	TransactionAbortTimedOutTransactionCleanupIntervalMs     int
	TransactionRemoveExpiredTransactionalIDCleanupIntervalMs int

	LogCleanerEnable              bool
	LogCleanerThreads             int
	LogCleanerBackoffMs           int64
	LogCleanerDedupeBufferSize    int64
	LogCleanerIoBufferSize        int
	LogCleanerMinCleanableRatio   float64
	LogCleanerDeleteRetentionMs   int64
	LogCleanerMinCompactionLagMs  int64
	LogCleanerMaxCompactionLagMs  int64
	LogCleanerIoMaxBytesPerSecond float64

	AuthorizerClassName string

	values map[string]any // parsed value of every known key (nil = null)
}

// ConfigSynonym is one place a config's value could come from, highest
// precedence first, as DescribeConfigs reports it.
type ConfigSynonym struct {
	Name   string
	Value  string
	Null   bool
	Source int8
}

// ConfigEntry is one row of a DescribeConfigs answer. Null marks a null
// value (Kafka sends null for unset keys without default and for secrets).
type ConfigEntry struct {
	Name      string
	Value     string
	Null      bool
	Source    int8
	ReadOnly  bool
	Sensitive bool
	Synonyms  []ConfigSynonym
}

// TopicConfig is the effective configuration of one topic: broker defaults
// with the topic's overrides applied.
type TopicConfig struct {
	log.Config
	MinInsyncReplicas               int
	UncleanLeaderElectionEnable     bool
	CompressionType                 string
	DeleteRetentionMs               int64
	MinCompactionLagMs              int64
	MaxCompactionLagMs              int64
	MinCleanableDirtyRatio          float64
	MessageTimestampDifferenceMaxMs int64
	MessageDownConversionEnable     bool
	MessageFormatVersion            string
	LeaderReplicationThrottled      []string
	FollowerReplicationThrottled    []string
}

// LoadKafkaConfig reads a Java-properties file, applies "k=v" overrides
// (the values of --override flags) and validates the result.
func LoadKafkaConfig(path string, overrides []string) (*KafkaConfig, error) {
	buf, err := os.ReadFile(path)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, fmt.Errorf("%s (No such file or directory)", path)
		}
		return nil, err
	}
	loader := &properties.Loader{Encoding: properties.UTF8, DisableExpansion: true}
	p, err := loader.LoadBytes(buf)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %v", path, err)
	}
	props := p.Map()
	for k, v := range ParseOverrides(overrides) {
		props[k] = v
	}
	return NewKafkaConfig(props)
}

// ParseOverrides turns "k=v" strings into a map; a pair without "=" sets an
// empty value, as Kafka's command line parser does.
func ParseOverrides(pairs []string) map[string]string {
	out := make(map[string]string, len(pairs))
	for _, kv := range pairs {
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		out[k] = v
	}
	return out
}

// NewKafkaConfig parses and validates broker properties.
func NewKafkaConfig(props map[string]string) (*KafkaConfig, error) {
	c := &KafkaConfig{Props: make(map[string]string, len(props))}
	for k, v := range props {
		c.Props[k] = v
	}
	if _, ok := props["zookeeper.connect"]; !ok {
		return nil, fmt.Errorf(`Missing required configuration "zookeeper.connect" which has no default value.`)
	}
	values, err := parseAll(brokerDefs, props)
	if err != nil {
		return nil, err
	}
	c.values = values
	c.fill()
	if err := c.resolveListeners(); err != nil {
		return nil, err
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	// Every log starts from these values, so a broker value that no topic
	// could hold (e.g. log.cleaner.min.cleanable.ratio=2) stops startup here.
	if _, err := c.TopicConfig(nil); err != nil {
		return nil, err
	}
	return c, nil
}

// fill copies parsed values into the typed fields, resolving the legacy
// fallbacks (hours/minutes/ms, log.dir/log.dirs, scheduler intervals).
func (c *KafkaConfig) fill() {
	c.BrokerID = c.i32("broker.id")
	c.BrokerIDGenerationEnable = c.b("broker.id.generation.enable")
	c.ReservedBrokerMaxID = c.i32("reserved.broker.max.id")
	c.BrokerRack = c.s("broker.rack")
	c.HostName = c.s("host.name")
	c.Port = c.i32("port")
	c.InterBrokerSecurityProtocol = c.s("security.inter.broker.protocol")
	c.InterBrokerProtocolVersion = normaliseVersion(c.s("inter.broker.protocol.version"))
	c.ControlPlaneListenerName = c.s("control.plane.listener.name")

	if dirs := c.s("log.dirs"); c.values["log.dirs"] != nil {
		c.LogDirs = javacompat.SplitList(dirs)
	} else {
		c.LogDirs = javacompat.SplitList(c.s("log.dir"))
	}

	c.ZkConnect = c.s("zookeeper.connect")
	c.ZkSessionTimeoutMs = c.int("zookeeper.session.timeout.ms")
	c.ZkConnectionTimeoutMs = c.ZkSessionTimeoutMs
	if c.values["zookeeper.connection.timeout.ms"] != nil {
		c.ZkConnectionTimeoutMs = c.int("zookeeper.connection.timeout.ms")
	}
	c.ZkSyncTimeMs = c.int("zookeeper.sync.time.ms")
	c.ZkMaxInFlightRequests = c.int("zookeeper.max.in.flight.requests")
	c.ZkEnableSecureAcls = c.b("zookeeper.set.acl")

	c.NumNetworkThreads = c.int("num.network.threads")
	c.NumIoThreads = c.int("num.io.threads")
	c.BackgroundThreads = c.int("background.threads")
	c.QueuedMaxRequests = c.int("queued.max.requests")
	c.QueuedMaxRequestBytes = c.i64("queued.max.request.bytes")
	c.RequestTimeoutMs = c.int("request.timeout.ms")
	c.SocketSendBufferBytes = c.i32("socket.send.buffer.bytes")
	c.SocketReceiveBufferBytes = c.i32("socket.receive.buffer.bytes")
	c.SocketRequestMaxBytes = c.i32("socket.request.max.bytes")
	c.MaxConnectionsPerIP = c.i32("max.connections.per.ip")
	c.MaxConnections = c.i32("max.connections")
	c.ConnectionsMaxIdleMs = c.i64("connections.max.idle.ms")

	c.NumPartitions = c.i32("num.partitions")
	c.DefaultReplicationFactor = int16(c.i32("default.replication.factor"))
	c.AutoCreateTopicsEnable = c.b("auto.create.topics.enable")
	c.DeleteTopicEnable = c.b("delete.topic.enable")

	c.fillLog()
	c.fillReplication()
	c.fillCoordinators()
	c.AuthorizerClassName = c.s("authorizer.class.name")
}

func (c *KafkaConfig) fillLog() {
	const hour = int64(3600 * 1000)
	c.LogSegmentBytes = int64(c.i32("log.segment.bytes"))
	c.LogRollMs = c.i64or("log.roll.ms", int64(c.i32("log.roll.hours"))*hour)
	c.LogRollJitterMs = c.i64or("log.roll.jitter.ms", int64(c.i32("log.roll.jitter.hours"))*hour)
	c.LogRetentionMs = c.retentionMs()
	c.LogRetentionBytes = c.i64("log.retention.bytes")
	c.LogRetentionCheckIntervalMs = c.i64("log.retention.check.interval.ms")
	c.LogIndexIntervalBytes = c.i32("log.index.interval.bytes")
	c.LogIndexSizeMaxBytes = c.i32("log.index.size.max.bytes")
	c.LogFlushIntervalMessages = c.i64("log.flush.interval.messages")
	c.LogFlushSchedulerIntervalMs = c.i64("log.flush.scheduler.interval.ms")
	c.LogFlushIntervalMs = c.i64or("log.flush.interval.ms", c.LogFlushSchedulerIntervalMs)
	c.LogFlushOffsetCheckpointIntervalMs = int64(c.i32("log.flush.offset.checkpoint.interval.ms"))
	c.LogFlushStartOffsetCheckpointIntervalMs = int64(c.i32("log.flush.start.offset.checkpoint.interval.ms"))
	c.LogSegmentDeleteDelayMs = c.i64("log.segment.delete.delay.ms")
	c.LogCleanupPolicy = strings.Join(c.list("log.cleanup.policy"), ",")
	c.LogMessageTimestampType = c.s("log.message.timestamp.type")
	c.LogMessageTimestampDifferenceMaxMs = c.i64("log.message.timestamp.difference.max.ms")
	c.LogMessageFormatVersion = normaliseVersion(c.s("log.message.format.version"))
	c.LogMessageDownConversionEnable = c.b("log.message.downconversion.enable")
	c.LogPreallocate = c.b("log.preallocate")
	c.CompressionType = strings.ToLower(c.s("compression.type"))
	c.MessageMaxBytes = c.i32("message.max.bytes")
	c.NumRecoveryThreadsPerDataDir = c.int("num.recovery.threads.per.data.dir")
	c.MinInsyncReplicas = c.int("min.insync.replicas")
	c.UncleanLeaderElectionEnable = c.b("unclean.leader.election.enable")

	c.LogCleanerEnable = c.b("log.cleaner.enable")
	c.LogCleanerThreads = c.int("log.cleaner.threads")
	c.LogCleanerBackoffMs = c.i64("log.cleaner.backoff.ms")
	c.LogCleanerDedupeBufferSize = c.i64("log.cleaner.dedupe.buffer.size")
	c.LogCleanerIoBufferSize = c.int("log.cleaner.io.buffer.size")
	c.LogCleanerMinCleanableRatio = c.f64("log.cleaner.min.cleanable.ratio")
	c.LogCleanerDeleteRetentionMs = c.i64("log.cleaner.delete.retention.ms")
	c.LogCleanerMinCompactionLagMs = c.i64("log.cleaner.min.compaction.lag.ms")
	c.LogCleanerMaxCompactionLagMs = c.i64("log.cleaner.max.compaction.lag.ms")
	c.LogCleanerIoMaxBytesPerSecond = c.f64("log.cleaner.io.max.bytes.per.second")
}

// retentionMs applies Kafka's precedence: log.retention.ms, then .minutes,
// then .hours; any negative result means "keep forever" (-1).
func (c *KafkaConfig) retentionMs() int64 {
	var ms int64
	switch {
	case c.values["log.retention.ms"] != nil:
		ms = c.i64("log.retention.ms")
	case c.values["log.retention.minutes"] != nil:
		ms = int64(c.i32("log.retention.minutes")) * 60 * 1000
	default:
		ms = int64(c.i32("log.retention.hours")) * 3600 * 1000
	}
	if ms < 0 {
		return -1
	}
	return ms
}

func (c *KafkaConfig) fillReplication() {
	c.ReplicaLagTimeMaxMs = c.i64("replica.lag.time.max.ms")
	c.ReplicaFetchWaitMaxMs = int64(c.i32("replica.fetch.wait.max.ms"))
	c.ReplicaFetchBackoffMs = int64(c.i32("replica.fetch.backoff.ms"))
	c.ReplicaHighWatermarkCheckpointIntervalMs = c.i64("replica.high.watermark.checkpoint.interval.ms")
	c.ReplicaFetchMaxBytes = c.i32("replica.fetch.max.bytes")
	c.ReplicaFetchMinBytes = c.i32("replica.fetch.min.bytes")
	c.ReplicaFetchResponseMaxBytes = c.i32("replica.fetch.response.max.bytes")
	c.ReplicaSocketTimeoutMs = c.int("replica.socket.timeout.ms")
	c.ReplicaSocketReceiveBufferBytes = c.i32("replica.socket.receive.buffer.bytes")
	c.NumReplicaFetchers = c.int("num.replica.fetchers")
	c.FetchPurgatoryPurgeIntervalRequests = c.int("fetch.purgatory.purge.interval.requests")
	c.ProducerPurgatoryPurgeIntervalRequests = c.int("producer.purgatory.purge.interval.requests")
	c.DeleteRecordsPurgatoryPurgeIntervalRequests = c.int("delete.records.purgatory.purge.interval.requests")
	c.FetchMaxBytes = c.i32("fetch.max.bytes")
	c.MaxIncrementalFetchSessionCacheSlots = c.int("max.incremental.fetch.session.cache.slots")

	c.ControllerSocketTimeoutMs = c.int("controller.socket.timeout.ms")
	c.ControlledShutdownEnable = c.b("controlled.shutdown.enable")
	c.ControlledShutdownMaxRetries = c.int("controlled.shutdown.max.retries")
	c.ControlledShutdownRetryBackoffMs = c.i64("controlled.shutdown.retry.backoff.ms")
	c.AutoLeaderRebalanceEnable = c.b("auto.leader.rebalance.enable")
	c.LeaderImbalancePerBrokerPercentage = c.int("leader.imbalance.per.broker.percentage")
	c.LeaderImbalanceCheckIntervalSeconds = c.i64("leader.imbalance.check.interval.seconds")
}

func (c *KafkaConfig) fillCoordinators() {
	c.OffsetsTopicNumPartitions = c.i32("offsets.topic.num.partitions")
	c.OffsetsTopicReplicationFactor = c.i16("offsets.topic.replication.factor")
	c.OffsetsTopicSegmentBytes = c.i32("offsets.topic.segment.bytes")
	c.OffsetsTopicCompressionCodec = c.int("offsets.topic.compression.codec")
	c.OffsetsRetentionMinutes = c.int("offsets.retention.minutes")
	c.OffsetsRetentionCheckIntervalMs = c.i64("offsets.retention.check.interval.ms")
	c.OffsetsCommitTimeoutMs = c.int("offsets.commit.timeout.ms")
	c.OffsetsCommitRequiredAcks = c.i16("offsets.commit.required.acks")
	c.OffsetsLoadBufferSize = c.int("offsets.load.buffer.size")
	c.OffsetMetadataMaxBytes = c.int("offset.metadata.max.bytes")

	c.GroupInitialRebalanceDelayMs = c.int("group.initial.rebalance.delay.ms")
	c.GroupMinSessionTimeoutMs = c.int("group.min.session.timeout.ms")
	c.GroupMaxSessionTimeoutMs = c.int("group.max.session.timeout.ms")
	c.GroupMaxSize = c.int("group.max.size")

	c.TransactionStateLogNumPartitions = c.i32("transaction.state.log.num.partitions")
	c.TransactionStateLogReplicationFactor = c.i16("transaction.state.log.replication.factor")
	c.TransactionStateLogMinIsr = c.int("transaction.state.log.min.isr")
	c.TransactionStateLogSegmentBytes = c.i32("transaction.state.log.segment.bytes")
	c.TransactionStateLogLoadBufferSize = c.int("transaction.state.log.load.buffer.size")
	c.TransactionalIDExpirationMs = c.int("transactional.id.expiration.ms")
	c.TransactionMaxTimeoutMs = c.int("transaction.max.timeout.ms")
	c.TransactionAbortTimedOutTransactionCleanupIntervalMs = c.int("transaction.abort.timed.out.transaction.cleanup.interval.ms")
	c.TransactionRemoveExpiredTransactionalIDCleanupIntervalMs = c.int("transaction.remove.expired.transaction.cleanup.interval.ms")
}

// requirement reports a failed cross-key check the way Scala's require does.
func requirement(format string, args ...any) error {
	return fmt.Errorf("requirement failed: "+format, args...)
}

// validate runs the checks Kafka does after parsing single keys.
func (c *KafkaConfig) validate() error {
	switch {
	case c.LogRollMs < 1:
		return requirement("log.roll.ms must be greater than or equal to 1")
	case c.LogRollJitterMs < 0:
		return requirement("log.roll.jitter.ms must be greater than or equal to 0")
	case c.LogRetentionMs < 1 && c.LogRetentionMs != -1:
		return requirement("log.retention.ms must be unlimited (-1) or, greater than or equal to 1")
	case len(c.LogDirs) == 0:
		return requirement("At least one log directory must be defined via log.dirs or log.dir.")
	case c.LogCleanerThreads > 0 && c.LogCleanerDedupeBufferSize/int64(c.LogCleanerThreads) <= 1024*1024:
		return requirement("log.cleaner.dedupe.buffer.size must be at least 1MB per cleaner thread.")
	case c.ReplicaFetchWaitMaxMs > int64(c.ReplicaSocketTimeoutMs):
		return requirement("replica.socket.timeout.ms should always be at least replica.fetch.wait.max.ms to prevent unnecessary socket timeouts")
	case c.ReplicaFetchWaitMaxMs > c.ReplicaLagTimeMaxMs:
		return requirement("replica.fetch.wait.max.ms should always be less than or equal to replica.lag.time.max.ms to prevent frequent changes in ISR")
	case c.OffsetsCommitRequiredAcks < -1 || c.OffsetsCommitRequiredAcks > c.OffsetsTopicReplicationFactor:
		return requirement("offsets.commit.required.acks must be greater or equal -1 and less or equal to offsets.topic.replication.factor")
	case c.BrokerIDGenerationEnable && (c.BrokerID < -1 || c.BrokerID > c.ReservedBrokerMaxID):
		return requirement("broker.id must be greater than or equal to -1 and not greater than reserved.broker.max.id")
	case !c.BrokerIDGenerationEnable && c.BrokerID < 0:
		return requirement("broker.id must be greater than or equal to 0")
	case c.GroupMaxSessionTimeoutMs < c.GroupMinSessionTimeoutMs:
		return requirement("group.max.session.timeout.ms must be greater than or equal to group.min.session.timeout.ms")
	}
	return nil
}

// ---------------------------------------------------------------------------
// Listeners

var endpointPattern = regexp.MustCompile(`^(.*)://\[?([0-9a-zA-Z\-%._:]*)\]?:(-?[0-9]+)$`)

var securityProtocols = map[string]bool{"PLAINTEXT": true, "SSL": true, "SASL_PLAINTEXT": true, "SASL_SSL": true}

// resolveListeners works out listeners, advertised listeners and the
// inter-broker listener, with the pre-listeners host.name/port fallbacks.
func (c *KafkaConfig) resolveListeners() error {
	protoMap, err := parseProtocolMap(c.s("listener.security.protocol.map"))
	if err != nil {
		return err
	}
	c.ListenerSecurityProtocolMap = protoMap

	spec := c.s("listeners")
	if c.values["listeners"] == nil {
		spec = fmt.Sprintf("PLAINTEXT://%s:%d", c.HostName, c.Port)
	}
	if c.Listeners, err = parseEndpoints(spec, protoMap, true); err != nil {
		return err
	}

	switch {
	case c.values["advertised.listeners"] != nil:
		c.AdvertisedListeners, err = parseEndpoints(c.s("advertised.listeners"), protoMap, false)
	case c.values["advertised.host.name"] != nil || c.values["advertised.port"] != nil:
		host, port := c.HostName, c.Port
		if c.values["advertised.host.name"] != nil {
			host = c.s("advertised.host.name")
		}
		if c.values["advertised.port"] != nil {
			port = c.i32("advertised.port")
		}
		c.AdvertisedListeners, err = parseEndpoints(fmt.Sprintf("PLAINTEXT://%s:%d", host, port), protoMap, false)
	default:
		c.AdvertisedListeners = append([]Endpoint(nil), c.Listeners...)
	}
	if err != nil {
		return err
	}
	for i, e := range c.AdvertisedListeners {
		if e.Host == "0.0.0.0" {
			return requirement("advertised.listeners cannot use the nonroutable meta-address 0.0.0.0. Use a routable IP address.")
		}
		if strings.TrimSpace(e.Host) == "" {
			c.AdvertisedListeners[i].Host = CanonicalHostName()
		}
	}
	return c.resolveInterBrokerListener()
}

func (c *KafkaConfig) resolveInterBrokerListener() error {
	name := c.s("inter.broker.listener.name")
	if c.values["inter.broker.listener.name"] != nil {
		if _, set := c.Props["security.inter.broker.protocol"]; set {
			return requirement("Only one of inter.broker.listener.name and security.inter.broker.protocol should be set.")
		}
		name = strings.ToUpper(strings.TrimSpace(name))
		proto, ok := c.ListenerSecurityProtocolMap[name]
		if !ok {
			return fmt.Errorf("Listener with name %s defined in inter.broker.listener.name not found in listener.security.protocol.map.", name)
		}
		c.InterBrokerSecurityProtocol = proto
	} else {
		if !securityProtocols[c.InterBrokerSecurityProtocol] {
			return fmt.Errorf("Invalid security protocol `%s` defined in security.inter.broker.protocol", c.InterBrokerSecurityProtocol)
		}
		name = c.InterBrokerSecurityProtocol
	}
	c.InterBrokerListenerName = name

	listenerNames := map[string]bool{}
	for _, e := range c.Listeners {
		listenerNames[e.ListenerName] = true
	}
	var advertised []string
	advertisedSet := map[string]bool{}
	for _, e := range c.AdvertisedListeners {
		if !advertisedSet[e.ListenerName] {
			advertised = append(advertised, e.ListenerName)
		}
		advertisedSet[e.ListenerName] = true
	}
	if !advertisedSet[name] {
		return requirement("inter.broker.listener.name must be a listener name defined in advertised.listeners. The valid options based on currently configured listeners are %s", strings.Join(advertised, ","))
	}
	for _, n := range advertised {
		if !listenerNames[n] {
			var valid []string
			for _, e := range c.Listeners {
				valid = append(valid, e.ListenerName)
			}
			return requirement("advertised.listeners listener names must be equal to or a subset of the ones defined in listeners. Found %s. The valid options based on the current configuration are %s",
				strings.Join(advertised, ","), strings.Join(valid, ","))
		}
	}
	return nil
}

// parseProtocolMap reads "NAME:PROTOCOL,..." (listener names upper-cased).
func parseProtocolMap(spec string) (map[string]string, error) {
	out := map[string]string{}
	for _, entry := range javacompat.SplitList(spec) {
		i := strings.LastIndex(entry, ":")
		if i < 0 {
			return nil, fmt.Errorf("Error parsing configuration property 'listener.security.protocol.map': Invalid map entry '%s'", entry)
		}
		name := strings.ToUpper(strings.TrimSpace(entry[:i]))
		proto := strings.TrimSpace(entry[i+1:])
		if !securityProtocols[proto] {
			return nil, fmt.Errorf("Invalid security protocol `%s` defined in listener.security.protocol.map", proto)
		}
		out[name] = proto
	}
	return out, nil
}

// parseEndpoints parses a listener list such as "PLAINTEXT://:9092,SSL://h:9093".
func parseEndpoints(spec string, protoMap map[string]string, distinctPorts bool) ([]Endpoint, error) {
	var out []Endpoint
	names := map[string]bool{}
	ports := map[int32]bool{}
	for _, s := range javacompat.SplitList(spec) {
		m := endpointPattern.FindStringSubmatch(s)
		if m == nil {
			return nil, fmt.Errorf("Unable to parse %s to a broker endpoint", s)
		}
		port, err := strconv.ParseInt(m[3], 10, 32)
		if err != nil {
			return nil, fmt.Errorf("Unable to parse %s to a broker endpoint", s)
		}
		name := strings.ToUpper(m[1])
		proto, ok := protoMap[name]
		if !ok {
			return nil, fmt.Errorf("No security protocol defined for listener %s", name)
		}
		if names[name] {
			return nil, requirement("Each listener must have a different name, listeners: %s", spec)
		}
		if distinctPorts && port != 0 && ports[int32(port)] {
			return nil, requirement("Each listener must have a different port, listeners: %s", spec)
		}
		names[name], ports[int32(port)] = true, true
		out = append(out, Endpoint{ListenerName: name, Host: m[2], Port: int32(port), SecurityProtocol: proto})
	}
	return out, nil
}

// CanonicalHostName is what an empty advertised host becomes, like Java's
// InetAddress.getLocalHost().getCanonicalHostName(). A variable so tests and
// unusual hosts can replace it.
var CanonicalHostName = func() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		return "localhost"
	}
	addrs, err := net.LookupHost(host)
	if err != nil || len(addrs) == 0 {
		return host
	}
	names, err := net.LookupAddr(addrs[0])
	if err != nil || len(names) == 0 {
		return host
	}
	return strings.TrimSuffix(names[0], ".")
}

// ---------------------------------------------------------------------------
// Accessors

// UnknownKeys lists keys in Props that no Kafka 2.8 broker config defines
// (sorted); per-listener "listener.name.*" keys count as known.
func (c *KafkaConfig) UnknownKeys() []string {
	var out []string
	for k := range c.Props {
		if _, ok := brokerDefIndex[k]; ok || strings.HasPrefix(k, "listener.name.") || aclAuthorizerKeys[k] {
			continue
		}
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// UnsupportedSecuritySettings lists, as warnings for start-up, the security
// settings this broker accepts like Kafka 2.8 but does not implement: a
// configured authorizer.class.name other than AclAuthorizer loads nothing
// (every request is allowed and the ACL APIs answer SECURITY_DISABLED).
// Kafka would enforce it, so saying so at start-up keeps the difference
// from going unnoticed. (Every security protocol is implemented: SSL and
// SASL_SSL listeners speak TLS, see ssl.go.)
func (c *KafkaConfig) UnsupportedSecuritySettings() []string {
	var out []string
	if c.AuthorizerClassName != "" && !authorizer.IsAclAuthorizer(c.AuthorizerClassName) {
		out = append(out, fmt.Sprintf("authorizer.class.name=%s is not supported: no authorizer is loaded, every request is allowed and the ACL APIs answer SECURITY_DISABLED.", c.AuthorizerClassName))
	}
	return out
}

// Value returns the effective value of a known broker key as Kafka renders
// it; ok is false for unknown keys and for keys whose value is null.
func (c *KafkaConfig) Value(name string) (string, bool) {
	def, known := brokerDefIndex[name]
	if !known || c.values[name] == nil {
		return "", false
	}
	return renderValue(def.typ, c.values[name]), true
}

// AdvertisedListener returns the advertised endpoint with the given name.
func (c *KafkaConfig) AdvertisedListener(name string) (Endpoint, bool) {
	for _, e := range c.AdvertisedListeners {
		if e.ListenerName == name {
			return e, true
		}
	}
	return Endpoint{}, false
}

// IBPAtLeast reports whether inter.broker.protocol.version is at least v
// (e.g. "2.7-IV0"); registration format and ISR propagation depend on it.
func (c *KafkaConfig) IBPAtLeast(v string) bool {
	return versionRank(c.InterBrokerProtocolVersion) >= versionRank(normaliseVersion(v))
}

func (c *KafkaConfig) s(name string) string {
	if v, ok := c.values[name].(string); ok {
		return v
	}
	return ""
}

func (c *KafkaConfig) b(name string) bool {
	v, _ := c.values[name].(bool)
	return v
}

func (c *KafkaConfig) i16(name string) int16 {
	v, _ := c.values[name].(int16)
	return v
}

func (c *KafkaConfig) i32(name string) int32 {
	v, _ := c.values[name].(int32)
	return v
}

func (c *KafkaConfig) int(name string) int { return int(c.i32(name)) }

func (c *KafkaConfig) i64(name string) int64 {
	v, _ := c.values[name].(int64)
	return v
}

func (c *KafkaConfig) i64or(name string, fallback int64) int64 {
	if c.values[name] == nil {
		return fallback
	}
	return c.i64(name)
}

func (c *KafkaConfig) f64(name string) float64 {
	v, _ := c.values[name].(float64)
	return v
}

func (c *KafkaConfig) list(name string) []string {
	v, _ := c.values[name].([]string)
	return v
}

// ---------------------------------------------------------------------------
// Topic-level configuration

// LogConfig returns the broker-level defaults every new log starts from.
func (c *KafkaConfig) LogConfig() log.Config {
	tc, err := c.TopicConfig(nil)
	if err != nil { // NewKafkaConfig checked exactly this
		panic(err)
	}
	return tc.Config
}

// TopicLogConfig applies a topic's overrides (as stored in /config/topics)
// on top of the broker defaults.
func (c *KafkaConfig) TopicLogConfig(overrides map[string]string) (log.Config, error) {
	tc, err := c.TopicConfig(overrides)
	return tc.Config, err
}

// TopicConfig returns every topic-level setting for a topic with the given
// overrides; invalid overrides give Kafka's validation error.
func (c *KafkaConfig) TopicConfig(overrides map[string]string) (TopicConfig, error) {
	if err := ValidateTopicConfig(overrides); err != nil {
		return TopicConfig{}, err
	}
	props := c.topicDefaults()
	for k, v := range overrides {
		props[k] = v
	}
	values, err := parseAll(topicDefs, props)
	if err != nil {
		return TopicConfig{}, err
	}
	tc := topicConfigFrom(values)
	// The log cleaner reads its settings from the embedded log.Config.
	tc.Config.DeleteRetentionMs = tc.DeleteRetentionMs
	tc.Config.MinCleanableDirtyRatio = tc.MinCleanableDirtyRatio
	tc.Config.MinCompactionLagMs = tc.MinCompactionLagMs
	tc.Config.MaxCompactionLagMs = tc.MaxCompactionLagMs
	tc.Config.CompressionType = tc.CompressionType // the leader recompresses to it
	return tc, nil
}

func topicConfigFrom(v map[string]any) TopicConfig {
	i64 := func(k string) int64 { x, _ := v[k].(int64); return x }
	i32 := func(k string) int32 { x, _ := v[k].(int32); return x }
	str := func(k string) string { x, _ := v[k].(string); return x }
	bl := func(k string) bool { x, _ := v[k].(bool); return x }
	lst := func(k string) []string { x, _ := v[k].([]string); return x }
	ratio, _ := v["min.cleanable.dirty.ratio"].(float64)
	policy := lst("cleanup.policy")
	for i := range policy {
		policy[i] = strings.ToLower(policy[i])
	}
	return TopicConfig{
		Config: log.Config{
			SegmentBytes:          int64(i32("segment.bytes")),
			SegmentMs:             i64("segment.ms"),
			SegmentJitterMs:       i64("segment.jitter.ms"),
			RetentionMs:           i64("retention.ms"),
			RetentionBytes:        i64("retention.bytes"),
			IndexIntervalBytes:    i32("index.interval.bytes"),
			MaxIndexSize:          i32("segment.index.bytes"),
			FlushIntervalMessages: i64("flush.messages"),
			FlushMs:               i64("flush.ms"),
			FileDeleteDelayMs:     i64("file.delete.delay.ms"),
			MaxMessageBytes:       i32("max.message.bytes"),
			MessageTimestampType:  str("message.timestamp.type"),
			CleanupPolicy:         strings.Join(policy, ","),
			Preallocate:           bl("preallocate"),
		},
		MinInsyncReplicas:               int(i32("min.insync.replicas")),
		UncleanLeaderElectionEnable:     bl("unclean.leader.election.enable"),
		CompressionType:                 strings.ToLower(str("compression.type")),
		DeleteRetentionMs:               i64("delete.retention.ms"),
		MinCompactionLagMs:              i64("min.compaction.lag.ms"),
		MaxCompactionLagMs:              i64("max.compaction.lag.ms"),
		MinCleanableDirtyRatio:          ratio,
		MessageTimestampDifferenceMaxMs: i64("message.timestamp.difference.max.ms"),
		MessageDownConversionEnable:     bl("message.downconversion.enable"),
		MessageFormatVersion:            normaliseVersion(str("message.format.version")),
		LeaderReplicationThrottled:      lst("leader.replication.throttled.replicas"),
		FollowerReplicationThrottled:    lst("follower.replication.throttled.replicas"),
	}
}

// topicDefaults renders the broker's effective log settings under topic
// names, the starting point a topic's overrides are laid on.
func (c *KafkaConfig) topicDefaults() map[string]string {
	out := map[string]string{}
	for _, d := range topicDefs {
		if broker, ok := topicToBroker[d.name]; ok {
			out[d.name] = c.brokerValueForTopic(broker)
		}
	}
	return out
}

// brokerValueForTopic renders the broker-side value feeding a topic config,
// resolving the unit fallbacks that only exist on the broker side.
func (c *KafkaConfig) brokerValueForTopic(broker string) string {
	switch broker {
	case "log.roll.ms":
		return strconv.FormatInt(c.LogRollMs, 10)
	case "log.roll.jitter.ms":
		return strconv.FormatInt(c.LogRollJitterMs, 10)
	case "log.retention.ms":
		return strconv.FormatInt(c.LogRetentionMs, 10)
	case "log.flush.interval.ms":
		return strconv.FormatInt(c.LogFlushIntervalMs, 10)
	case "log.message.format.version":
		return c.LogMessageFormatVersion
	}
	return renderValue(brokerDefIndex[broker].typ, c.values[broker])
}

// ValidateTopicConfig checks topic overrides as CreateTopics/AlterConfigs
// do: names first, then each value, then cross-key rules.
func ValidateTopicConfig(overrides map[string]string) error {
	names := make([]string, 0, len(overrides))
	for k := range overrides {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if _, ok := topicDefIndex[k]; !ok {
			return fmt.Errorf("Unknown topic config name: %s", k)
		}
	}
	values, err := parseAll(topicDefs, overrides)
	if err != nil {
		return err
	}
	minLag, _ := values["min.compaction.lag.ms"].(int64)
	maxLag, _ := values["max.compaction.lag.ms"].(int64)
	if minLag > maxLag {
		return fmt.Errorf("conflict topic config setting min.compaction.lag.ms (%d) > max.compaction.lag.ms (%d)", minLag, maxLag)
	}
	return nil
}

// TopicConfigNames lists every topic-level config name, sorted.
func TopicConfigNames() []string {
	out := make([]string, 0, len(topicDefs))
	for _, d := range topicDefs {
		out = append(out, d.name)
	}
	sort.Strings(out)
	return out
}

// TopicConfigBrokerName maps a topic config to the broker key that supplies
// its default ("segment.bytes" -> "log.segment.bytes").
func TopicConfigBrokerName(topicName string) (string, bool) {
	b, ok := topicToBroker[topicName]
	return b, ok
}

// DescribeTopicConfigs lists every topic config with its effective value and
// source the way Kafka 2.8 answers DescribeConfigs for a topic: an override
// is DYNAMIC_TOPIC_CONFIG; a broker key set in server.properties under the
// exact synonym name is STATIC_BROKER_CONFIG; everything else DEFAULT_CONFIG.
// Invalid overrides (which cannot be stored) are reported as given.
func (c *KafkaConfig) DescribeTopicConfigs(overrides map[string]string) []ConfigEntry {
	props := c.topicDefaults()
	valid := map[string]string{}
	for k, v := range overrides {
		if _, ok := topicDefIndex[k]; ok {
			props[k] = v
			valid[k] = v
		}
	}
	values, err := parseAll(topicDefs, props)
	if err != nil {
		values = nil
	}
	out := make([]ConfigEntry, 0, len(topicDefs))
	for _, name := range TopicConfigNames() {
		def := topicDefIndex[name]
		value := props[name]
		if values != nil {
			value = renderValue(def.typ, values[name])
		}
		var syns []ConfigSynonym
		if _, ok := valid[name]; ok {
			syns = append(syns, ConfigSynonym{Name: name, Value: value, Source: SourceDynamicTopic})
		}
		if broker, ok := topicToBroker[name]; ok {
			syns = append(syns, c.brokerSynonyms(broker)...)
		}
		e := ConfigEntry{Name: name, Value: value, Source: SourceDefault, Synonyms: syns}
		if len(syns) > 0 {
			e.Source = syns[0].Source
		}
		out = append(out, e)
	}
	return out
}

// DescribeBrokerConfigs lists every broker config (plus unknown keys from
// the file, as Kafka does, shown as sensitive nulls) sorted by name.
func (c *KafkaConfig) DescribeBrokerConfigs() []ConfigEntry {
	out := make([]ConfigEntry, 0, len(brokerDefs))
	for _, d := range brokerDefs {
		e := ConfigEntry{Name: d.name, ReadOnly: !dynamicBrokerConfigs[d.name], Sensitive: d.typ == tPassword}
		v := c.values[d.name]
		if v == nil || e.Sensitive {
			e.Null = true
		} else {
			e.Value = renderValue(d.typ, v)
		}
		e.Synonyms = c.brokerSynonyms(d.name)
		e.Source = SourceDefault
		if len(e.Synonyms) > 0 {
			e.Source = e.Synonyms[0].Source
		}
		out = append(out, e)
	}
	for _, k := range c.UnknownKeys() {
		out = append(out, ConfigEntry{Name: k, Null: true, Sensitive: true, ReadOnly: true, Source: SourceStaticBroker,
			Synonyms: []ConfigSynonym{{Name: k, Null: true, Source: SourceStaticBroker}}})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// brokerSynonyms lists where a broker key's value could come from, highest
// precedence first, starting at the key itself (Kafka drops the
// higher-precedence synonyms that precede it).
func (c *KafkaConfig) brokerSynonyms(name string) []ConfigSynonym {
	names := synonymNames(name)
	var all []ConfigSynonym
	for _, n := range names {
		if v, ok := c.Props[n]; ok {
			all = append(all, c.synonym(n, strings.TrimSpace(v), SourceStaticBroker))
		}
	}
	for _, n := range names {
		d := brokerDefIndex[n]
		if d.def != nullValue {
			all = append(all, c.synonym(n, d.def, SourceDefault))
		}
	}
	for len(all) > 0 && all[0].Name != name {
		all = all[1:]
	}
	return all
}

func (c *KafkaConfig) synonym(name, value string, source int8) ConfigSynonym {
	if brokerDefIndex[name].typ == tPassword {
		return ConfigSynonym{Name: name, Null: true, Source: source}
	}
	return ConfigSynonym{Name: name, Value: value, Source: source}
}

// synonymNames is the precedence chain of keys that set the same thing.
func synonymNames(name string) []string {
	switch name {
	case "log.roll.ms", "log.roll.hours":
		return []string{"log.roll.ms", "log.roll.hours"}
	case "log.roll.jitter.ms", "log.roll.jitter.hours":
		return []string{"log.roll.jitter.ms", "log.roll.jitter.hours"}
	case "log.flush.interval.ms":
		return []string{"log.flush.interval.ms", "log.flush.scheduler.interval.ms"}
	case "log.retention.ms", "log.retention.minutes", "log.retention.hours":
		return []string{"log.retention.ms", "log.retention.minutes", "log.retention.hours"}
	}
	return []string{name}
}

// ---------------------------------------------------------------------------
// Definitions and parsing (the ConfigDef part)

type cfgType uint8

const (
	tBool cfgType = iota
	tString
	tInt
	tShort
	tLong
	tDouble
	tList
	tClass
	tPassword
)

var typeNames = map[cfgType]string{tBool: "BOOLEAN", tString: "STRING", tInt: "INT", tShort: "SHORT",
	tLong: "LONG", tDouble: "DOUBLE", tList: "LIST", tClass: "CLASS", tPassword: "PASSWORD"}

// nullValue marks a key whose default is null.
const nullValue = "\x00null"

// validator checks a parsed value and returns Kafka's error for a bad one.
type validator func(name string, v any) error

type cfgDef struct {
	name  string
	typ   cfgType
	def   string // Kafka's default rendered as a string, or nullValue
	valid validator
}

// configError is Kafka's ConfigException text for a bad value.
func configError(name string, value any, reason string) error {
	return fmt.Errorf("Invalid value %s for configuration %s: %s", javaString(value), name, reason)
}

// parseAll parses every defined key from props (or its default) and runs
// the validators, failing on the first bad key in definition order.
func parseAll(defs []cfgDef, props map[string]string) (map[string]any, error) {
	out := make(map[string]any, len(defs))
	for _, d := range defs {
		raw, set := props[d.name]
		if !set {
			raw = d.def
		}
		var v any
		if raw != nullValue {
			var err error
			if v, err = parseValue(d, raw); err != nil {
				return nil, err
			}
		}
		if d.valid != nil && v != nil {
			if err := d.valid(d.name, v); err != nil {
				return nil, err
			}
		}
		out[d.name] = v
	}
	return out, nil
}

func parseValue(d cfgDef, raw string) (any, error) {
	s := strings.TrimSpace(raw)
	notNumber := configError(d.name, raw, "Not a number of type "+typeNames[d.typ])
	switch d.typ {
	case tBool:
		switch strings.ToLower(s) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
		return nil, configError(d.name, raw, "Expected value to be either true or false")
	case tInt:
		n, err := strconv.ParseInt(s, 10, 32)
		if err != nil {
			return nil, notNumber
		}
		return int32(n), nil
	case tShort:
		n, err := strconv.ParseInt(s, 10, 16)
		if err != nil {
			return nil, notNumber
		}
		return int16(n), nil
	case tLong:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, notNumber
		}
		return n, nil
	case tDouble:
		f, err := strconv.ParseFloat(strings.TrimRight(s, "dDfF"), 64)
		if err != nil {
			return nil, notNumber
		}
		return f, nil
	case tList:
		if s == "" {
			return []string{}, nil
		}
		parts := strings.Split(s, ",")
		for i := range parts {
			parts[i] = strings.TrimSpace(parts[i])
		}
		return parts, nil
	}
	return s, nil // STRING, CLASS, PASSWORD
}

// renderValue turns a parsed value back into Kafka's string form.
func renderValue(t cfgType, v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case []string:
		return strings.Join(x, ",")
	case float64:
		return javacompat.DoubleToString(x)
	}
	return fmt.Sprint(v)
}

// javaString renders a value the way Java's toString would in messages.
func javaString(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case []string:
		return "[" + strings.Join(x, ", ") + "]"
	case float64:
		return javacompat.DoubleToString(x)
	}
	return fmt.Sprint(v)
}

func atLeast(min int64) validator {
	return func(name string, v any) error {
		n, ok := asFloat(v)
		if !ok {
			return configError(name, v, "Value must be non-null")
		}
		if n < float64(min) {
			return configError(name, v, fmt.Sprintf("Value must be at least %d", min))
		}
		return nil
	}
}

func between(min, max int64) validator {
	return func(name string, v any) error {
		if err := atLeast(min)(name, v); err != nil {
			return err
		}
		if n, _ := asFloat(v); n > float64(max) {
			return configError(name, v, fmt.Sprintf("Value must be no more than %d", max))
		}
		return nil
	}
}

func asFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case int16:
		return float64(x), true
	case int32:
		return float64(x), true
	case int64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

func oneOf(valid ...string) validator {
	return func(name string, v any) error {
		s, _ := v.(string)
		for _, x := range valid {
			if v != nil && s == x {
				return nil
			}
		}
		return configError(name, v, "String must be one of: "+strings.Join(valid, ", "))
	}
}

// listOf checks each element; Kafka names the offending element.
func listOf(valid ...string) validator {
	one := oneOf(valid...)
	return func(name string, v any) error {
		items, _ := v.([]string)
		for _, it := range items {
			if err := one(name, it); err != nil {
				return err
			}
		}
		return nil
	}
}

var throttledReplica = regexp.MustCompile(`^([0-9]+:[0-9]+)?$`)

// throttledReplicaList accepts "*" or "partition:broker,..." and reports
// the whole list when one element is malformed.
func throttledReplicaList(name string, v any) error {
	items, _ := v.([]string)
	if len(items) == 1 && items[0] == "*" {
		return nil
	}
	for _, it := range items {
		if !throttledReplica.MatchString(strings.TrimSpace(it)) {
			return configError(name, v, name+" must be the literal '*' or a list of replicas in the following format: [partitionId]:[brokerId],[partitionId]:[brokerId],...")
		}
	}
	return nil
}

// apiVersions lists Kafka's inter-broker/message-format versions in order.
var apiVersions = []string{
	"0.8.0", "0.8.1", "0.8.2", "0.9.0",
	"0.10.0-IV0", "0.10.0-IV1", "0.10.1-IV0", "0.10.1-IV1", "0.10.1-IV2", "0.10.2-IV0",
	"0.11.0-IV0", "0.11.0-IV1", "0.11.0-IV2", "1.0-IV0", "1.1-IV0",
	"2.0-IV0", "2.0-IV1", "2.1-IV0", "2.1-IV1", "2.1-IV2", "2.2-IV0", "2.2-IV1",
	"2.3-IV0", "2.3-IV1", "2.4-IV0", "2.4-IV1", "2.5-IV0", "2.6-IV0",
	"2.7-IV0", "2.7-IV1", "2.7-IV2", "2.8-IV0", "2.8-IV1",
}

// LatestVersion is the newest inter.broker.protocol.version we know (2.8's).
const LatestVersion = "2.8-IV1"

// normaliseVersion maps "2.8", "2.8.1" or "2.8-IV0" to a full version name;
// a short form means the newest sub-version of that release. Unknown
// strings come back unchanged (validation has rejected them already).
func normaliseVersion(v string) string {
	parts := strings.Split(strings.TrimSpace(v), ".")
	n := 2
	if len(parts) > 0 && parts[0] == "0" {
		n = 3
	}
	if len(parts) > n {
		parts = parts[:n]
	}
	key := strings.Join(parts, ".")
	match := ""
	for _, x := range apiVersions {
		if x == key {
			return x
		}
		if strings.HasPrefix(x, key+"-IV") {
			match = x
		}
	}
	if match != "" {
		return match
	}
	return v
}

func versionRank(v string) int {
	for i, x := range apiVersions {
		if x == v {
			return i
		}
	}
	return -1
}

func versionValidator(name string, v any) error {
	s, _ := v.(string)
	if versionRank(normaliseVersion(s)) < 0 {
		return configError(name, v, fmt.Sprintf("Version `%s` is not a valid version", s))
	}
	return nil
}

// topicDefs are Kafka 2.8's topic-level configs with their own defaults.
var topicDefs = []cfgDef{
	{"segment.bytes", tInt, "1073741824", atLeast(14)},
	{"segment.ms", tLong, "604800000", atLeast(1)},
	{"segment.jitter.ms", tLong, "0", atLeast(0)},
	{"segment.index.bytes", tInt, "10485760", atLeast(0)},
	{"flush.messages", tLong, "9223372036854775807", atLeast(0)},
	{"flush.ms", tLong, "9223372036854775807", atLeast(0)},
	{"retention.bytes", tLong, "-1", nil},
	{"retention.ms", tLong, "604800000", atLeast(-1)},
	{"max.message.bytes", tInt, "1048588", atLeast(0)},
	{"index.interval.bytes", tInt, "4096", atLeast(0)},
	{"delete.retention.ms", tLong, "86400000", atLeast(0)},
	{"min.compaction.lag.ms", tLong, "0", atLeast(0)},
	{"max.compaction.lag.ms", tLong, "9223372036854775807", atLeast(1)},
	{"file.delete.delay.ms", tLong, "60000", atLeast(0)},
	{"min.cleanable.dirty.ratio", tDouble, "0.5", between(0, 1)},
	{"cleanup.policy", tList, "delete", listOf("compact", "delete")},
	{"unclean.leader.election.enable", tBool, "false", nil},
	{"min.insync.replicas", tInt, "1", atLeast(1)},
	{"compression.type", tString, "producer", oneOf("uncompressed", "zstd", "lz4", "snappy", "gzip", "producer")},
	{"preallocate", tBool, "false", nil},
	{"message.format.version", tString, LatestVersion, versionValidator},
	{"message.timestamp.type", tString, "CreateTime", oneOf("CreateTime", "LogAppendTime")},
	{"message.timestamp.difference.max.ms", tLong, "9223372036854775807", atLeast(0)},
	{"leader.replication.throttled.replicas", tList, "", throttledReplicaList},
	{"follower.replication.throttled.replicas", tList, "", throttledReplicaList},
	{"message.downconversion.enable", tBool, "true", nil},
}

// topicToBroker maps a topic config to the broker key supplying its default.
var topicToBroker = map[string]string{
	"segment.bytes":                       "log.segment.bytes",
	"segment.ms":                          "log.roll.ms",
	"segment.jitter.ms":                   "log.roll.jitter.ms",
	"segment.index.bytes":                 "log.index.size.max.bytes",
	"flush.messages":                      "log.flush.interval.messages",
	"flush.ms":                            "log.flush.interval.ms",
	"retention.bytes":                     "log.retention.bytes",
	"retention.ms":                        "log.retention.ms",
	"max.message.bytes":                   "message.max.bytes",
	"index.interval.bytes":                "log.index.interval.bytes",
	"delete.retention.ms":                 "log.cleaner.delete.retention.ms",
	"min.compaction.lag.ms":               "log.cleaner.min.compaction.lag.ms",
	"max.compaction.lag.ms":               "log.cleaner.max.compaction.lag.ms",
	"file.delete.delay.ms":                "log.segment.delete.delay.ms",
	"min.cleanable.dirty.ratio":           "log.cleaner.min.cleanable.ratio",
	"cleanup.policy":                      "log.cleanup.policy",
	"unclean.leader.election.enable":      "unclean.leader.election.enable",
	"min.insync.replicas":                 "min.insync.replicas",
	"compression.type":                    "compression.type",
	"preallocate":                         "log.preallocate",
	"message.format.version":              "log.message.format.version",
	"message.timestamp.type":              "log.message.timestamp.type",
	"message.timestamp.difference.max.ms": "log.message.timestamp.difference.max.ms",
	"message.downconversion.enable":       "log.message.downconversion.enable",
}

const maxInt = "2147483647"
const maxLong = "9223372036854775807"

// brokerDefs are Kafka 2.8's broker configs (ZooKeeper mode plus the keys a
// 2.8 file may carry for security, quotas and KRaft early access).
var brokerDefs = []cfgDef{
	// ZooKeeper
	{"zookeeper.connect", tString, nullValue, nil},
	{"zookeeper.session.timeout.ms", tInt, "18000", nil},
	{"zookeeper.connection.timeout.ms", tInt, nullValue, nil},
	{"zookeeper.sync.time.ms", tInt, "2000", nil},
	{"zookeeper.set.acl", tBool, "false", nil},
	{"zookeeper.max.in.flight.requests", tInt, "10", atLeast(1)},
	{"zookeeper.ssl.client.enable", tBool, "false", nil},
	{"zookeeper.clientCnxnSocket", tString, nullValue, nil},
	{"zookeeper.ssl.keystore.location", tString, nullValue, nil},
	{"zookeeper.ssl.keystore.password", tPassword, nullValue, nil},
	{"zookeeper.ssl.keystore.type", tString, nullValue, nil},
	{"zookeeper.ssl.truststore.location", tString, nullValue, nil},
	{"zookeeper.ssl.truststore.password", tPassword, nullValue, nil},
	{"zookeeper.ssl.truststore.type", tString, nullValue, nil},
	{"zookeeper.ssl.protocol", tString, "TLSv1.2", nil},
	{"zookeeper.ssl.enabled.protocols", tList, nullValue, nil},
	{"zookeeper.ssl.cipher.suites", tList, nullValue, nil},
	{"zookeeper.ssl.endpoint.identification.algorithm", tString, "HTTPS", nil},
	{"zookeeper.ssl.crl.enable", tBool, "false", nil},
	{"zookeeper.ssl.ocsp.enable", tBool, "false", nil},
	// General
	{"broker.id.generation.enable", tBool, "true", nil},
	{"reserved.broker.max.id", tInt, "1000", atLeast(0)},
	{"broker.id", tInt, "-1", nil},
	{"message.max.bytes", tInt, "1048588", atLeast(0)},
	{"num.network.threads", tInt, "3", atLeast(1)},
	{"num.io.threads", tInt, "8", atLeast(1)},
	{"num.replica.alter.log.dirs.threads", tInt, nullValue, nil},
	{"background.threads", tInt, "10", atLeast(1)},
	{"queued.max.requests", tInt, "500", atLeast(1)},
	{"queued.max.request.bytes", tLong, "-1", nil},
	{"request.timeout.ms", tInt, "30000", nil},
	{"socket.connection.setup.timeout.ms", tLong, "10000", nil},
	{"socket.connection.setup.timeout.max.ms", tLong, "127000", nil},
	// KRaft early access (2.8 accepts the keys)
	{"process.roles", tList, "", nil},
	{"node.id", tInt, "-1", nil},
	{"initial.broker.registration.timeout.ms", tInt, "60000", nil},
	{"broker.heartbeat.interval.ms", tInt, "2000", nil},
	{"broker.session.timeout.ms", tInt, "9000", nil},
	{"controller.listener.names", tString, nullValue, nil},
	{"sasl.mechanism.controller.protocol", tString, "GSSAPI", nil},
	{"metadata.log.dir", tString, nullValue, nil},
	{"controller.quorum.voters", tList, "", nil},
	{"controller.quorum.election.timeout.ms", tInt, "1000", nil},
	{"controller.quorum.fetch.timeout.ms", tInt, "2000", nil},
	{"controller.quorum.election.backoff.max.ms", tInt, "1000", nil},
	{"controller.quorum.append.linger.ms", tInt, "25", nil},
	{"controller.quorum.request.timeout.ms", tInt, "2000", nil},
	{"controller.quorum.retry.backoff.ms", tInt, "20", nil},
	// Authorizer
	{"authorizer.class.name", tString, "", nil},
	// Socket server
	{"port", tInt, "9092", nil},
	{"host.name", tString, "", nil},
	{"listeners", tString, nullValue, nil},
	{"advertised.host.name", tString, nullValue, nil},
	{"advertised.port", tInt, nullValue, nil},
	{"advertised.listeners", tString, nullValue, nil},
	{"listener.security.protocol.map", tString, "PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL", nil},
	{"control.plane.listener.name", tString, nullValue, nil},
	{"socket.send.buffer.bytes", tInt, "102400", nil},
	{"socket.receive.buffer.bytes", tInt, "102400", nil},
	{"socket.request.max.bytes", tInt, "104857600", atLeast(1)},
	{"max.connections.per.ip", tInt, maxInt, atLeast(0)},
	{"max.connections.per.ip.overrides", tString, "", nil},
	{"max.connections", tInt, maxInt, atLeast(0)},
	{"max.connection.creation.rate", tInt, maxInt, atLeast(0)},
	{"connections.max.idle.ms", tLong, "600000", nil},
	{"connection.failed.authentication.delay.ms", tInt, "100", atLeast(0)},
	{"broker.rack", tString, nullValue, nil},
	// Log
	{"num.partitions", tInt, "1", atLeast(1)},
	{"log.dir", tString, "/tmp/kafka-logs", nil},
	{"log.dirs", tString, nullValue, nil},
	{"log.segment.bytes", tInt, "1073741824", atLeast(14)},
	{"log.roll.ms", tLong, nullValue, nil},
	{"log.roll.hours", tInt, "168", atLeast(1)},
	{"log.roll.jitter.ms", tLong, nullValue, nil},
	{"log.roll.jitter.hours", tInt, "0", atLeast(0)},
	{"log.retention.ms", tLong, nullValue, nil},
	{"log.retention.minutes", tInt, nullValue, nil},
	{"log.retention.hours", tInt, "168", nil},
	{"log.retention.bytes", tLong, "-1", nil},
	{"log.retention.check.interval.ms", tLong, "300000", atLeast(1)},
	{"log.cleanup.policy", tList, "delete", listOf("compact", "delete")},
	{"log.cleaner.threads", tInt, "1", atLeast(0)},
	{"log.cleaner.io.max.bytes.per.second", tDouble, "1.7976931348623157E308", nil},
	{"log.cleaner.dedupe.buffer.size", tLong, "134217728", nil},
	{"log.cleaner.io.buffer.size", tInt, "524288", atLeast(0)},
	{"log.cleaner.io.buffer.load.factor", tDouble, "0.9", nil},
	{"log.cleaner.backoff.ms", tLong, "15000", atLeast(0)},
	{"log.cleaner.min.cleanable.ratio", tDouble, "0.5", nil},
	{"log.cleaner.enable", tBool, "true", nil},
	{"log.cleaner.delete.retention.ms", tLong, "86400000", nil},
	{"log.cleaner.min.compaction.lag.ms", tLong, "0", nil},
	{"log.cleaner.max.compaction.lag.ms", tLong, maxLong, nil},
	{"log.index.size.max.bytes", tInt, "10485760", atLeast(4)},
	{"log.index.interval.bytes", tInt, "4096", atLeast(0)},
	{"log.flush.interval.messages", tLong, maxLong, atLeast(1)},
	{"log.segment.delete.delay.ms", tLong, "60000", atLeast(0)},
	{"log.flush.scheduler.interval.ms", tLong, maxLong, nil},
	{"log.flush.interval.ms", tLong, nullValue, nil},
	{"log.flush.offset.checkpoint.interval.ms", tInt, "60000", atLeast(0)},
	{"log.flush.start.offset.checkpoint.interval.ms", tInt, "60000", atLeast(0)},
	{"log.preallocate", tBool, "false", nil},
	{"log.message.format.version", tString, LatestVersion, versionValidator},
	{"log.message.timestamp.type", tString, "CreateTime", oneOf("CreateTime", "LogAppendTime")},
	{"log.message.timestamp.difference.max.ms", tLong, maxLong, atLeast(0)},
	{"num.recovery.threads.per.data.dir", tInt, "1", atLeast(1)},
	{"auto.create.topics.enable", tBool, "true", nil},
	{"min.insync.replicas", tInt, "1", atLeast(1)},
	{"create.topic.policy.class.name", tClass, nullValue, nil},
	{"alter.config.policy.class.name", tClass, nullValue, nil},
	{"log.message.downconversion.enable", tBool, "true", nil},
	// Replication
	{"controller.socket.timeout.ms", tInt, "30000", nil},
	{"default.replication.factor", tInt, "1", nil},
	{"replica.lag.time.max.ms", tLong, "30000", nil},
	{"replica.socket.timeout.ms", tInt, "30000", nil},
	{"replica.socket.receive.buffer.bytes", tInt, "65536", nil},
	{"replica.fetch.max.bytes", tInt, "1048576", atLeast(0)},
	{"replica.fetch.wait.max.ms", tInt, "500", nil},
	{"replica.fetch.backoff.ms", tInt, "1000", atLeast(0)},
	{"replica.fetch.min.bytes", tInt, "1", nil},
	{"replica.fetch.response.max.bytes", tInt, "10485760", atLeast(0)},
	{"num.replica.fetchers", tInt, "1", nil},
	{"replica.high.watermark.checkpoint.interval.ms", tLong, "5000", nil},
	{"fetch.purgatory.purge.interval.requests", tInt, "1000", nil},
	{"producer.purgatory.purge.interval.requests", tInt, "1000", nil},
	{"delete.records.purgatory.purge.interval.requests", tInt, "1", nil},
	{"auto.leader.rebalance.enable", tBool, "true", nil},
	{"leader.imbalance.per.broker.percentage", tInt, "10", nil},
	{"leader.imbalance.check.interval.seconds", tLong, "300", nil},
	{"unclean.leader.election.enable", tBool, "false", nil},
	{"security.inter.broker.protocol", tString, "PLAINTEXT", nil},
	{"inter.broker.protocol.version", tString, LatestVersion, versionValidator},
	{"inter.broker.listener.name", tString, nullValue, nil},
	{"replica.selector.class", tString, nullValue, nil},
	// Controlled shutdown
	{"controlled.shutdown.max.retries", tInt, "3", nil},
	{"controlled.shutdown.retry.backoff.ms", tLong, "5000", nil},
	{"controlled.shutdown.enable", tBool, "true", nil},
	// Group coordinator
	{"group.min.session.timeout.ms", tInt, "6000", nil},
	{"group.max.session.timeout.ms", tInt, "1800000", nil},
	{"group.initial.rebalance.delay.ms", tInt, "3000", nil},
	{"group.max.size", tInt, maxInt, atLeast(1)},
	// Offset management
	{"offset.metadata.max.bytes", tInt, "4096", nil},
	{"offsets.load.buffer.size", tInt, "5242880", atLeast(1)},
	{"offsets.topic.replication.factor", tShort, "3", atLeast(1)},
	{"offsets.topic.num.partitions", tInt, "50", atLeast(1)},
	{"offsets.topic.segment.bytes", tInt, "104857600", atLeast(1)},
	{"offsets.topic.compression.codec", tInt, "0", nil},
	{"offsets.retention.minutes", tInt, "10080", atLeast(1)},
	{"offsets.retention.check.interval.ms", tLong, "600000", atLeast(1)},
	{"offsets.commit.timeout.ms", tInt, "5000", atLeast(1)},
	{"offsets.commit.required.acks", tShort, "-1", nil},
	// Transactions
	{"transactional.id.expiration.ms", tInt, "604800000", atLeast(1)},
	{"transaction.max.timeout.ms", tInt, "900000", atLeast(1)},
	{"transaction.state.log.min.isr", tInt, "2", atLeast(1)},
	{"transaction.state.log.load.buffer.size", tInt, "5242880", atLeast(1)},
	{"transaction.state.log.replication.factor", tShort, "3", atLeast(1)},
	{"transaction.state.log.num.partitions", tInt, "50", atLeast(1)},
	{"transaction.state.log.segment.bytes", tInt, "104857600", atLeast(1)},
	{"transaction.abort.timed.out.transaction.cleanup.interval.ms", tInt, "10000", atLeast(1)},
	{"transaction.remove.expired.transaction.cleanup.interval.ms", tInt, "3600000", atLeast(1)},
	// Fetch sessions
	{"max.incremental.fetch.session.cache.slots", tInt, "1000", atLeast(0)},
	{"fetch.max.bytes", tInt, "57671680", atLeast(1024)},
	// Quotas
	{"quota.producer.default", tLong, maxLong, atLeast(1)},
	{"quota.consumer.default", tLong, maxLong, atLeast(1)},
	{"quota.window.num", tInt, "11", atLeast(1)},
	{"replication.quota.window.num", tInt, "11", atLeast(1)},
	{"alter.log.dirs.replication.quota.window.num", tInt, "11", atLeast(1)},
	{"controller.quota.window.num", tInt, "11", atLeast(1)},
	{"quota.window.size.seconds", tInt, "1", atLeast(1)},
	{"replication.quota.window.size.seconds", tInt, "1", atLeast(1)},
	{"alter.log.dirs.replication.quota.window.size.seconds", tInt, "1", atLeast(1)},
	{"controller.quota.window.size.seconds", tInt, "1", atLeast(1)},
	{"client.quota.callback.class", tClass, nullValue, nil},
	{"leader.replication.throttled.rate", tLong, maxLong, atLeast(0)},
	{"follower.replication.throttled.rate", tLong, maxLong, atLeast(0)},
	{"replica.alter.log.dirs.io.max.bytes.per.second", tLong, maxLong, atLeast(0)},
	{"delete.topic.enable", tBool, "true", nil},
	{"compression.type", tString, "producer", oneOf("uncompressed", "zstd", "lz4", "snappy", "gzip", "producer")},
	// Metrics
	{"metrics.sample.window.ms", tLong, "30000", atLeast(1)},
	{"metrics.num.samples", tInt, "2", atLeast(1)},
	{"metric.reporters", tList, "", nil},
	{"metrics.recording.level", tString, "INFO", nil},
	{"kafka.metrics.reporters", tList, "", nil},
	{"kafka.metrics.polling.interval.secs", tInt, "10", atLeast(1)},
	// Security
	{"principal.builder.class", tClass, nullValue, nil},
	{"connections.max.reauth.ms", tLong, "0", nil},
	{"security.providers", tString, nullValue, nil},
	{"ssl.protocol", tString, "TLSv1.3", nil},
	{"ssl.provider", tString, nullValue, nil},
	{"ssl.cipher.suites", tList, "", nil},
	{"ssl.enabled.protocols", tList, "TLSv1.2,TLSv1.3", nil},
	{"ssl.keystore.type", tString, "JKS", nil},
	{"ssl.keystore.location", tString, nullValue, nil},
	{"ssl.keystore.password", tPassword, nullValue, nil},
	{"ssl.key.password", tPassword, nullValue, nil},
	{"ssl.keystore.key", tPassword, nullValue, nil},
	{"ssl.keystore.certificate.chain", tPassword, nullValue, nil},
	{"ssl.truststore.type", tString, "JKS", nil},
	{"ssl.truststore.location", tString, nullValue, nil},
	{"ssl.truststore.password", tPassword, nullValue, nil},
	{"ssl.truststore.certificates", tPassword, nullValue, nil},
	{"ssl.keymanager.algorithm", tString, "SunX509", nil},
	{"ssl.trustmanager.algorithm", tString, "PKIX", nil},
	{"ssl.endpoint.identification.algorithm", tString, "https", nil},
	{"ssl.secure.random.implementation", tString, nullValue, nil},
	{"ssl.client.auth", tString, "none", oneOf("required", "requested", "none")},
	{"ssl.principal.mapping.rules", tString, "DEFAULT", nil},
	{"ssl.engine.factory.class", tClass, nullValue, nil},
	{"sasl.mechanism.inter.broker.protocol", tString, "GSSAPI", nil},
	{"sasl.jaas.config", tPassword, nullValue, nil},
	{"sasl.enabled.mechanisms", tList, "GSSAPI", nil},
	{"sasl.server.callback.handler.class", tClass, nullValue, nil},
	{"sasl.client.callback.handler.class", tClass, nullValue, nil},
	{"sasl.login.class", tClass, nullValue, nil},
	{"sasl.login.callback.handler.class", tClass, nullValue, nil},
	{"sasl.kerberos.service.name", tString, nullValue, nil},
	{"sasl.kerberos.kinit.cmd", tString, "/usr/bin/kinit", nil},
	{"sasl.kerberos.ticket.renew.window.factor", tDouble, "0.8", nil},
	{"sasl.kerberos.ticket.renew.jitter", tDouble, "0.05", nil},
	{"sasl.kerberos.min.time.before.relogin", tLong, "60000", nil},
	{"sasl.kerberos.principal.to.local.rules", tList, "DEFAULT", nil},
	{"sasl.login.refresh.window.factor", tDouble, "0.8", nil},
	{"sasl.login.refresh.window.jitter", tDouble, "0.05", nil},
	{"sasl.login.refresh.min.period.seconds", tShort, "60", nil},
	{"sasl.login.refresh.buffer.seconds", tShort, "300", nil},
	// Delegation tokens and password encoding
	{"delegation.token.master.key", tPassword, nullValue, nil},
	{"delegation.token.secret.key", tPassword, nullValue, nil},
	{"delegation.token.max.lifetime.ms", tLong, "604800000", atLeast(1)},
	{"delegation.token.expiry.time.ms", tLong, "86400000", atLeast(1)},
	{"delegation.token.expiry.check.interval.ms", tLong, "3600000", atLeast(1)},
	{"password.encoder.secret", tPassword, nullValue, nil},
	{"password.encoder.old.secret", tPassword, nullValue, nil},
	{"password.encoder.keyfactory.algorithm", tString, nullValue, nil},
	{"password.encoder.cipher.algorithm", tString, "AES/CBC/PKCS5Padding", nil},
	{"password.encoder.key.length", tInt, "128", atLeast(8)},
	{"password.encoder.iterations", tInt, "4096", atLeast(1024)},
}

// dynamicBrokerConfigs are the keys Kafka 2.8 can change without restart;
// DescribeConfigs reports every other broker key as read-only.
var dynamicBrokerConfigs = setOf(
	"ssl.keystore.type", "ssl.keystore.location", "ssl.keystore.password", "ssl.key.password",
	"ssl.truststore.type", "ssl.truststore.location", "ssl.truststore.password",
	"ssl.keystore.key", "ssl.keystore.certificate.chain", "ssl.truststore.certificates",
	"log.cleaner.threads", "log.cleaner.dedupe.buffer.size", "log.cleaner.io.buffer.load.factor",
	"log.cleaner.io.buffer.size", "log.cleaner.io.max.bytes.per.second", "log.cleaner.backoff.ms",
	"log.segment.bytes", "log.roll.ms", "log.roll.jitter.ms", "log.index.size.max.bytes",
	"log.flush.interval.messages", "log.flush.interval.ms", "log.retention.bytes", "log.retention.ms",
	"message.max.bytes", "log.index.interval.bytes", "log.cleaner.delete.retention.ms",
	"log.cleaner.min.compaction.lag.ms", "log.cleaner.max.compaction.lag.ms", "log.segment.delete.delay.ms",
	"log.cleaner.min.cleanable.ratio", "log.cleanup.policy", "unclean.leader.election.enable",
	"min.insync.replicas", "compression.type", "log.preallocate", "log.message.format.version",
	"log.message.timestamp.type", "log.message.timestamp.difference.max.ms", "log.message.downconversion.enable",
	"num.io.threads", "num.network.threads", "num.replica.fetchers", "num.recovery.threads.per.data.dir",
	"background.threads", "advertised.listeners", "listeners", "listener.security.protocol.map",
	"max.connections.per.ip", "max.connections.per.ip.overrides", "max.connections", "max.connection.creation.rate",
	"metric.reporters", "sasl.enabled.mechanisms", "sasl.jaas.config", "sasl.kerberos.service.name",
	"ssl.client.auth", "ssl.cipher.suites", "ssl.enabled.protocols", "ssl.protocol",
	"leader.replication.throttled.rate", "follower.replication.throttled.rate",
	"replica.alter.log.dirs.io.max.bytes.per.second",
)

var (
	brokerDefIndex = indexDefs(brokerDefs)
	topicDefIndex  = indexDefs(topicDefs)
)

func indexDefs(defs []cfgDef) map[string]cfgDef {
	m := make(map[string]cfgDef, len(defs))
	for _, d := range defs {
		m[d.name] = d
	}
	return m
}

func setOf(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}
