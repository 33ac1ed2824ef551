package tools

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gokafka/kafka/core/javacompat"
	"github.com/gokafka/kafka/core/logging"
	"github.com/sirupsen/logrus"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// clientConfig turns Java client properties (the keys users pass with
// --producer-property, --consumer.config, --command-config, ...) into franz-go
// options. Keys franz-go has no use for are ignored, as Java only warns.
type clientConfig struct {
	props map[string]string
	// logPrefix is the Java client's log identity, e.g. "[Producer clientId=console-producer]".
	logPrefix string
	stderr    io.Writer
	// tls is the TLS client configuration of security.protocol SSL or
	// SASL_SSL (nil otherwise), set by commonOpts.
	tls *tls.Config
}

func (c *clientConfig) get(key, def string) string {
	if v, ok := c.props[key]; ok {
		return strings.TrimSpace(v)
	}
	return def
}

func (c *clientConfig) millis(key string, def int64) (time.Duration, error) {
	v := c.get(key, strconv.FormatInt(def, 10))
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("Invalid value %s for configuration %s: Not a number of type LONG", v, key)
	}
	return time.Duration(n) * time.Millisecond, nil
}

func (c *clientConfig) integer(key string, def int64) (int64, error) {
	v := c.get(key, strconv.FormatInt(def, 10))
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("Invalid value %s for configuration %s: Not a number of type INT", v, key)
	}
	return n, nil
}

// commonOpts are the options every client gets.
func (c *clientConfig) commonOpts(defaultClientID string) ([]kgo.Opt, error) {
	servers := javacompat.SplitList(c.get("bootstrap.servers", ""))
	if len(servers) == 0 {
		return nil, errors.New("No resolvable bootstrap urls given in bootstrap.servers")
	}
	opts := []kgo.Opt{
		kgo.SeedBrokers(servers...),
		kgo.ClientID(c.get("client.id", defaultClientID)),
		kgo.WithHooks(&connectWarner{cfg: c, seeds: servers}),
		kgo.DisableClientMetrics(),
	}
	if v, ok := c.props["metadata.max.age.ms"]; ok {
		d, err := c.millis("metadata.max.age.ms", 0)
		if err != nil {
			return nil, err
		}
		_ = v
		opts = append(opts, kgo.MetadataMaxAge(d))
	}
	if _, ok := c.props["retry.backoff.ms"]; ok {
		d, err := c.millis("retry.backoff.ms", 100)
		if err != nil {
			return nil, err
		}
		opts = append(opts, kgo.RetryBackoffFn(func(int) time.Duration { return d }))
	}
	sec, err := c.securityOpts()
	if err != nil {
		return nil, err
	}
	return append(opts, sec...), nil
}

// producerOpts maps the Java producer's configuration.
func (c *clientConfig) producerOpts(defaultClientID string) ([]kgo.Opt, error) {
	opts, err := c.commonOpts(defaultClientID)
	if err != nil {
		return nil, err
	}
	// A transactional.id implies idempotence, and idempotence acks=all
	// unless acks was given (Kafka 2.8's ProducerConfig).
	txnID := c.get("transactional.id", "")
	acksDefault := "1"
	if txnID != "" {
		if v, set := c.props["enable.idempotence"]; set && !strings.EqualFold(strings.TrimSpace(v), "true") {
			return nil, fmt.Errorf("Cannot set a transactional.id without also enabling idempotence.")
		}
		acksDefault = "all"
		if a := c.get("acks", "all"); a != "all" && a != "-1" {
			return nil, fmt.Errorf("Must set acks to all in order to use the idempotent producer. Otherwise we cannot guarantee idempotence.")
		}
		opts = append(opts, kgo.TransactionalID(txnID))
	}
	switch acks := c.get("acks", acksDefault); acks {
	case "all", "-1":
		opts = append(opts, kgo.RequiredAcks(kgo.AllISRAcks()))
	case "1":
		opts = append(opts, kgo.RequiredAcks(kgo.LeaderAck()))
	case "0":
		opts = append(opts, kgo.RequiredAcks(kgo.NoAck()))
	default:
		return nil, fmt.Errorf("Invalid value %s for configuration acks: String must be one of: all, -1, 0, 1", acks)
	}
	// Kafka 2.8's producer is not idempotent unless asked to be.
	if txnID == "" && (!strings.EqualFold(c.get("enable.idempotence", "false"), "true") || c.get("acks", "1") != "all" && c.get("acks", "1") != "-1") {
		opts = append(opts, kgo.DisableIdempotentWrite(), kgo.Dialer(javaSequenceDialer(c.tls)))
	}
	linger, err := c.millis("linger.ms", 0)
	if err != nil {
		return nil, err
	}
	if linger > 0 {
		opts = append(opts, kgo.ProducerLinger(linger))
	}
	batch, err := c.integer("batch.size", 16384)
	if err != nil {
		return nil, err
	}
	if batch > 0 {
		opts = append(opts, kgo.ProducerBatchMaxBytes(int32(min(batch, math.MaxInt32))))
	}
	codec, err := compressionCodec(c.get("compression.type", "none"))
	if err != nil {
		return nil, err
	}
	opts = append(opts, kgo.ProducerBatchCompression(codec))
	if _, ok := c.props["retries"]; ok {
		n, err := c.integer("retries", 0)
		if err != nil {
			return nil, err
		}
		opts = append(opts, kgo.RecordRetries(int(min(n, math.MaxInt32))))
	}
	reqTimeout, err := c.millis("request.timeout.ms", 30000)
	if err != nil {
		return nil, err
	}
	if reqTimeout > 0 {
		opts = append(opts, kgo.ProduceRequestTimeout(reqTimeout))
	}
	delivery, err := c.millis("delivery.timeout.ms", 120000)
	if err != nil {
		return nil, err
	}
	opts = append(opts, kgo.RecordDeliveryTimeout(max(delivery, reqTimeout+linger)))
	if _, ok := c.props["buffer.memory"]; ok {
		n, err := c.integer("buffer.memory", 33554432)
		if err != nil {
			return nil, err
		}
		opts = append(opts, kgo.MaxBufferedBytes(int(n)))
	}
	return opts, nil
}

// compressionCodec maps compression.type / --compression-codec names.
func compressionCodec(name string) (kgo.CompressionCodec, error) {
	switch strings.ToLower(name) {
	case "none", "":
		return kgo.NoCompression(), nil
	case "gzip":
		return kgo.GzipCompression(), nil
	case "snappy":
		return kgo.SnappyCompression(), nil
	case "lz4":
		return kgo.Lz4Compression(), nil
	case "zstd":
		return kgo.ZstdCompression(), nil
	}
	return kgo.NoCompression(), fmt.Errorf("Invalid value %s for configuration compression.type: String must be one of: none, gzip, snappy, lz4, zstd", name)
}

// consumerOpts maps the Java consumer's fetch configuration; group and
// starting position are decided by each tool.
func (c *clientConfig) consumerOpts(defaultClientID string) ([]kgo.Opt, error) {
	opts, err := c.commonOpts(defaultClientID)
	if err != nil {
		return nil, err
	}
	wait, err := c.millis("fetch.max.wait.ms", 500)
	if err != nil {
		return nil, err
	}
	opts = append(opts, kgo.FetchMaxWait(wait))
	for key, set := range map[string]func(int32) kgo.ConsumerOpt{
		"fetch.min.bytes":           kgo.FetchMinBytes,
		"fetch.max.bytes":           kgo.FetchMaxBytes,
		"max.partition.fetch.bytes": kgo.FetchMaxPartitionBytes,
	} {
		if _, ok := c.props[key]; ok {
			n, err := c.integer(key, 0)
			if err != nil {
				return nil, err
			}
			opts = append(opts, set(int32(n)))
		}
	}
	switch lvl := c.get("isolation.level", "read_uncommitted"); lvl {
	case "read_uncommitted":
	case "read_committed":
		opts = append(opts, kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	default:
		return nil, fmt.Errorf("Invalid value %s for configuration isolation.level: String must be one of: read_committed, read_uncommitted", lvl)
	}
	return opts, nil
}

// groupOpts adds consumer-group membership for a tool that needs it.
func (c *clientConfig) groupOpts(group string) ([]kgo.Opt, error) {
	opts := []kgo.Opt{kgo.ConsumerGroup(group)}
	// Kafka 2.8 consumers default to the range assignor.
	var balancers []kgo.GroupBalancer
	for _, name := range strings.Split(c.get("partition.assignment.strategy", "org.apache.kafka.clients.consumer.RangeAssignor"), ",") {
		switch name = strings.TrimSpace(name); name[strings.LastIndex(name, ".")+1:] {
		case "RangeAssignor":
			balancers = append(balancers, kgo.RangeBalancer())
		case "RoundRobinAssignor":
			balancers = append(balancers, kgo.RoundRobinBalancer())
		case "StickyAssignor":
			balancers = append(balancers, kgo.StickyBalancer())
		case "CooperativeStickyAssignor":
			balancers = append(balancers, kgo.CooperativeStickyBalancer())
		default:
			return nil, fmt.Errorf("Invalid value %s for configuration partition.assignment.strategy: Class %s cannot be found", name, name)
		}
	}
	opts = append(opts, kgo.Balancers(balancers...))
	if !strings.EqualFold(c.get("enable.auto.commit", "true"), "true") {
		opts = append(opts, kgo.DisableAutoCommit())
	}
	if _, ok := c.props["auto.commit.interval.ms"]; ok {
		d, err := c.millis("auto.commit.interval.ms", 5000)
		if err != nil {
			return nil, err
		}
		opts = append(opts, kgo.AutoCommitInterval(d))
	}
	if _, ok := c.props["session.timeout.ms"]; ok {
		d, err := c.millis("session.timeout.ms", 10000)
		if err != nil {
			return nil, err
		}
		opts = append(opts, kgo.SessionTimeout(d))
	}
	if _, ok := c.props["heartbeat.interval.ms"]; ok {
		d, err := c.millis("heartbeat.interval.ms", 3000)
		if err != nil {
			return nil, err
		}
		opts = append(opts, kgo.HeartbeatInterval(d))
	}
	return opts, nil
}

// resetOffset maps auto.offset.reset.
func resetOffset(v string) (kgo.Offset, error) {
	switch v {
	case "earliest":
		return kgo.NewOffset().AtStart(), nil
	case "latest", "":
		return kgo.NewOffset().AtEnd(), nil
	case "none":
		return kgo.NewOffset().AtEnd(), nil
	}
	return kgo.Offset{}, fmt.Errorf("Invalid value %s for configuration auto.offset.reset: String must be one of: latest, earliest, none", v)
}

// connectWarner prints the WARN line Java's NetworkClient logs when a broker
// cannot be reached, so users see why a tool is waiting.
type connectWarner struct {
	cfg   *clientConfig
	seeds []string
	mu    sync.Mutex
	last  map[string]time.Time
}

func (w *connectWarner) OnBrokerConnect(meta kgo.BrokerMetadata, _ time.Duration, _ net.Conn, err error) {
	if err == nil || w.cfg.stderr == nil {
		return
	}
	addr := net.JoinHostPort(meta.Host, strconv.Itoa(int(meta.Port)))
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.last == nil {
		w.last = map[string]time.Time{}
	}
	if time.Since(w.last[addr]) < time.Second {
		return
	}
	w.last[addr] = time.Now()
	node := meta.NodeID
	if node < 0 {
		node = -1 - (node - math.MinInt32)
	}
	msg := fmt.Sprintf("%s Connection to node %d (%s) could not be established. Broker may not be available.",
		w.cfg.logPrefix, node, javaSocketAddress(meta.Host, meta.Port))
	toolLogger(w.cfg.stderr, "org.apache.kafka.clients.NetworkClient").Warn(msg)
}

// javaSocketAddress renders an address like InetSocketAddress.toString.
func javaSocketAddress(host string, port int32) string {
	if net.ParseIP(host) != nil {
		return fmt.Sprintf("/%s:%d", host, port)
	}
	ip := host
	if addrs, err := net.LookupHost(host); err == nil && len(addrs) > 0 {
		ip = addrs[0]
	}
	return fmt.Sprintf("%s/%s:%d", host, ip, port)
}

// javaErrorMessages are the default exception messages of Kafka 2.8's
// Errors enum, used when a broker sends no message of its own.
var javaErrorMessages = map[int16]string{
	-1: "The server experienced an unexpected error when processing the request.",
	1:  "The requested offset is not within the range of offsets maintained by the server.",
	2:  "This message has failed its CRC checksum, exceeds the valid size, has a null key for a compacted topic, or is otherwise corrupt.",
	3:  "This server does not host this topic-partition.",
	5:  "There is no leader for this topic-partition as we are in the middle of a leadership election.",
	6:  "For requests intended only for the leader, this error indicates that the broker is not the current leader. For requests intended for any replica, this error indicates that the broker is not a replica of the topic partition.",
	7:  "The request timed out.",
	8:  "The broker is not available.",
	10: "The request included a message larger than the max message size the server will accept.",
	13: "The server disconnected before a response was received.",
	14: "The coordinator is loading and hence can't process requests.",
	15: "The coordinator is not available.",
	16: "This is not the correct coordinator.",
	17: "The request attempted to perform an operation on an invalid topic.",
	19: "Messages are rejected since there are fewer in-sync replicas than required.",
	20: "Messages are written to the log, but to fewer in-sync replicas than required.",
	29: "Topic authorization failed.",
	31: "Cluster authorization failed.",
	35: "The version of API is not supported.",
	36: "Topic with this name already exists.",
	37: "Number of partitions is below 1.",
	38: "Replication factor is below 1 or larger than the number of available brokers.",
	39: "Replica assignment is invalid.",
	40: "Configuration is invalid.",
	41: "This is not the correct controller for this cluster.",
	42: "This most likely occurs because of a request being malformed by the client library or the message was sent to an incompatible broker. See the broker logs for more details.",
	44: "Request parameters do not satisfy the configured policy.",
	60: "A partition reassignment is in progress.",
	24: "The configured groupId is invalid.",
	30: "Group authorization failed.",
	68: "The group is not empty.",
	69: "The group id does not exist.",
	86: "The consumer group is actively subscribed to the topic",
}

// kafkaError is a broker error with the message a Java client would show.
type kafkaError struct {
	code int16
	msg  string
}

func (e *kafkaError) Error() string { return e.msg }

// brokerError builds the exception a Java client raises for an error code
// and optional broker message.
func brokerError(code int16, message *string) error {
	if code == 0 {
		return nil
	}
	if message != nil && *message != "" {
		return &kafkaError{code, *message}
	}
	if m, ok := javaErrorMessages[code]; ok {
		return &kafkaError{code, m}
	}
	return &kafkaError{code, kerr.ErrorForCode(code).Error()}
}

// javaMessage returns the text Kafka's tools print for err.
func javaMessage(err error) string {
	var ke *kerr.Error
	if errors.As(err, &ke) {
		if m, ok := javaErrorMessages[ke.Code]; ok {
			return m
		}
	}
	return err.Error()
}

// withTimeout is a context bounded like the Java admin client's
// default.api.timeout.ms.
func withTimeout(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}

// toolLogger logs like Kafka's tools-log4j.properties: WARN and above, on
// stderr, "[time] LEVEL message (logger)".
func toolLogger(w io.Writer, name string) *logrus.Entry {
	l := logrus.New()
	l.SetFormatter(logging.KafkaFormatter{})
	l.SetOutput(w)
	l.SetLevel(logrus.WarnLevel)
	return l.WithField("logger", name)
}
