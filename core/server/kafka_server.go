package server

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/gokafka/kafka/core/api"
	"github.com/gokafka/kafka/core/cluster"
	"github.com/gokafka/kafka/core/controller"
	"github.com/gokafka/kafka/core/coordinator/group"
	"github.com/gokafka/kafka/core/coordinator/transaction"
	"github.com/gokafka/kafka/core/fetchsession"
	klog "github.com/gokafka/kafka/core/log"
	"github.com/gokafka/kafka/core/logging"
	"github.com/gokafka/kafka/core/metadata"
	"github.com/gokafka/kafka/core/network"
	"github.com/gokafka/kafka/core/quota"
	"github.com/gokafka/kafka/core/record"
	"github.com/gokafka/kafka/core/replica"
	"github.com/gokafka/kafka/zkutil"
)

// KafkaServer is one broker: it owns every component and starts and stops
// them in Kafka's order.
type KafkaServer struct {
	cfg       *KafkaConfig
	brokerID  int32
	clusterID string
	log       *logrus.Entry

	zk          *zkutil.Client
	logs        *klog.LogManager
	socket      *network.SocketServer
	cache       *metadata.MetadataCache
	replicas    *replica.ReplicaManager
	controller  *controller.KafkaController
	apis        *api.KafkaApis
	groups      *group.GroupCoordinator
	txn         *transaction.Coordinator
	dynamic     *DynamicBrokerConfig            // /config/brokers overrides
	quotas      *quota.Managers                 // client quotas
	sasl        map[string]*saslListenerConfig  // SASL_PLAINTEXT and SASL_SSL listeners
	tls         map[string]*network.TLSListener // SSL and SASL_SSL listeners
	brokerEpoch int64

	done     chan struct{}
	stopOnce sync.Once
}

// NewKafkaServer returns a broker for cfg that has not started.
func NewKafkaServer(cfg *KafkaConfig) *KafkaServer {
	return &KafkaServer{cfg: cfg, brokerID: cfg.BrokerID, done: make(chan struct{}), log: logging.For("kafka.server.KafkaServer")}
}

func (s *KafkaServer) prefix() string { return fmt.Sprintf("[KafkaServer id=%d] ", s.brokerID) }

// Startup brings the broker up: ZooKeeper, cluster and broker ids, logs,
// sockets, replica manager, registration, controller, request handling.
func (s *KafkaServer) Startup() error {
	s.log.Infof("%sstarting", s.prefix())
	for _, k := range s.cfg.UnknownKeys() {
		s.log.Warnf("The configuration '%s' was supplied but isn't a known config.", k)
	}
	for _, w := range s.cfg.UnsupportedSecuritySettings() {
		s.log.Warnf("%s", w)
	}
	sasl, err := s.cfg.saslListenerConfigs(kafkaOpts())
	if err != nil {
		return err
	}
	s.sasl = sasl
	interBrokerSasl, err := s.cfg.interBrokerSasl(sasl)
	if err != nil {
		return err
	}
	network.SetInterBrokerSasl(interBrokerSasl)
	if s.tls, err = s.startSSL(); err != nil {
		return err
	}
	if err := s.startZooKeeper(); err != nil {
		return err
	}
	if err := s.resolveIdentity(); err != nil {
		return err
	}
	if err := s.initDynamicConfig(); err != nil {
		return err
	}
	if err := s.startLogManager(); err != nil {
		return err
	}
	if err := WriteBrokerMetadata(s.cfg.LogDirs, BrokerMetadata{BrokerID: s.brokerID, ClusterID: s.clusterID}); err != nil {
		return err
	}
	s.cache = metadata.NewMetadataCache(s.brokerID)
	s.replicas = replica.NewReplicaManager(s.brokerID, s.logs, s.topicConfig)
	s.replicas.SetRecordPolicies(s.recordPolicy)
	s.replicas.StartReplication(replica.ReplicationConfig{
		FetchMaxBytes:         s.cfg.ReplicaFetchMaxBytes,
		FetchResponseMaxBytes: s.cfg.ReplicaFetchResponseMaxBytes,
		FetchMinBytes:         s.cfg.ReplicaFetchMinBytes,
		FetchWaitMax:          time.Duration(s.cfg.ReplicaFetchWaitMaxMs) * time.Millisecond,
		FetchBackoff:          time.Duration(s.cfg.ReplicaFetchBackoffMs) * time.Millisecond,
		SocketTimeout:         time.Duration(s.cfg.ReplicaSocketTimeoutMs) * time.Millisecond,
		LagTimeMax:            time.Duration(s.cfg.ReplicaLagTimeMaxMs) * time.Millisecond,
		NumFetchers:           s.cfg.NumReplicaFetchers,
	}, s.zk)
	s.controller = controller.NewKafkaController(controller.Config{
		BrokerID:                  s.brokerID,
		InterBrokerListener:       s.cfg.InterBrokerListenerName,
		DeleteTopicEnable:         s.cfg.DeleteTopicEnable,
		UncleanLeaderElection:     s.uncleanLeaderElection,
		ControllerSocketTimeoutMs: s.cfg.ControllerSocketTimeoutMs,

		AutoLeaderRebalanceEnable:          s.cfg.AutoLeaderRebalanceEnable,
		LeaderImbalancePerBrokerPercentage: s.cfg.LeaderImbalancePerBrokerPercentage,
		LeaderImbalanceCheckInterval:       time.Duration(s.cfg.LeaderImbalanceCheckIntervalSeconds) * time.Second,
	}, s.zk)
	s.apis = api.NewKafkaApis(s.apiConfig(), s.cache, s.replicas, s.zk, s.controller, s.done)
	s.wireDynamicConfig()
	s.quotas = s.newQuotaManagers()
	s.apis.SetQuotaManagers(s.quotas)
	s.apis.SetFetchManager(fetchsession.NewFetchManager(
		fetchsession.NewFetchSessionCache(s.cfg.MaxIncrementalFetchSessionCacheSlots, fetchsession.DefaultEvictionMs)))
	if err := s.startAuthorizer(); err != nil {
		return err
	}
	pids := transaction.NewProducerIDManager(s.brokerID, s.zk)
	s.apis.SetProducerIDManager(pids)
	s.txn = s.startTransactionCoordinator(pids)
	s.groups = group.NewGroupCoordinator(s.groupConfig(), s.replicas)
	s.groups.Startup()
	s.apis.SetGroupCoordinator(s.groups)
	s.socket = network.NewSocketServer(s.brokerID, s.cfg.SocketRequestMaxBytes, s.apis)
	var listeners []network.Listener
	var names []string
	for _, l := range s.cfg.Listeners {
		listeners = append(listeners, network.Listener{Name: l.ListenerName, Host: l.Host, Port: l.Port,
			Sasl: s.saslListener(l.ListenerName), TLS: s.tls[l.ListenerName]})
		names = append(names, l.ListenerName)
	}
	if _, err := s.socket.Bind(listeners); err != nil {
		return err
	}
	// Serve before registering: the controller sends us requests as soon
	// as it sees the registration.
	s.socket.Start(names)
	if err := s.registerBrokerAtStartup(); err != nil {
		return err
	}
	s.zk.OnNewSession(s.onNewSession)
	s.controller.Startup()
	s.startConfigChangeListener()
	s.log.Infof("%sstarted", s.prefix())
	return nil
}

func (s *KafkaServer) startZooKeeper() error {
	s.log.Infof("Connecting to zookeeper on %s", s.cfg.ZkConnect)
	zc, err := zkutil.Connect(s.cfg.ZkConnect,
		time.Duration(s.cfg.ZkSessionTimeoutMs)*time.Millisecond,
		time.Duration(s.cfg.ZkConnectionTimeoutMs)*time.Millisecond)
	if err != nil {
		return err
	}
	s.zk = zc
	return s.zk.CreatePersistentPaths()
}

// resolveIdentity settles the cluster id (from ZooKeeper) and the broker id
// (configured, stored in meta.properties, or generated) and checks that
// the log dirs belong to this cluster and broker.
func (s *KafkaServer) resolveIdentity() error {
	id, err := s.zk.GetOrCreateClusterID(zkutil.GenerateUUID())
	if err != nil {
		return err
	}
	s.clusterID = id
	s.log.Infof("Cluster ID = %s", id)
	for _, d := range s.cfg.LogDirs {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("Failed to create log dir %s: %v", d, err)
		}
	}
	stored, _, err := ReadBrokerMetadata(s.cfg.LogDirs)
	if err != nil {
		return err
	}
	if err := CheckClusterID(s.clusterID, stored); err != nil {
		return err
	}
	brokerID, generate, err := ResolveBrokerID(s.cfg, stored)
	if err != nil {
		return err
	}
	if generate {
		if brokerID, err = s.zk.GenerateBrokerSequenceID(); err != nil {
			return err
		}
	}
	s.brokerID = brokerID
	s.cfg.BrokerID = brokerID
	return nil
}

func (s *KafkaServer) startLogManager() error {
	c := s.cfg
	m, err := klog.NewLogManager(klog.ManagerConfig{
		Dirs:                         c.LogDirs,
		Default:                      c.LogConfig(),
		RetentionCheckMs:             c.LogRetentionCheckIntervalMs,
		FlushCheckMs:                 c.LogFlushSchedulerIntervalMs,
		FlushRecoveryCheckpointMs:    c.LogFlushOffsetCheckpointIntervalMs,
		FlushStartOffsetCheckpointMs: c.LogFlushStartOffsetCheckpointIntervalMs,
		HighWatermarkCheckpointMs:    c.ReplicaHighWatermarkCheckpointIntervalMs,
		RecoveryThreads:              c.NumRecoveryThreadsPerDataDir,
		CleanerEnable:                c.LogCleanerEnable,
		CleanerThreads:               c.LogCleanerThreads,
		CleanerBackoffMs:             c.LogCleanerBackoffMs,
		CleanerDedupeBufferSize:      c.LogCleanerDedupeBufferSize,
		CleanerIoBufferSize:          c.LogCleanerIoBufferSize,
	}, s.logConfigForTopic)
	if err != nil {
		return err
	}
	s.logs = m
	m.SetLogDirMoveThrottle(func() int64 { // dynamic: read for every chunk of a log dir move
		v, _ := s.effectiveConfig().Value("replica.alter.log.dirs.io.max.bytes.per.second")
		n, _ := strconv.ParseInt(v, 10, 64)
		return n
	})
	m.Startup()
	return nil
}

// logConfigForTopic reads a topic's overrides from ZooKeeper; on errors the
// broker defaults apply.
func (s *KafkaServer) logConfigForTopic(topic string) klog.Config {
	c, _, err := s.topicConfig(topic)
	if err != nil {
		return s.cfg.LogConfig()
	}
	return c
}

// topicConfig is the effective log config and min.insync.replicas of a topic.
func (s *KafkaServer) topicConfig(topic string) (klog.Config, int, error) {
	overrides, err := s.zk.GetEntityConfig(zkutil.ConfigTypeTopic, topic)
	if err != nil {
		return klog.Config{}, 0, err
	}
	tc, err := s.effectiveConfig().TopicConfig(overrides)
	if err != nil {
		return klog.Config{}, 0, err
	}
	return tc.Config, tc.MinInsyncReplicas, nil
}

// recordPolicy is the topic's produce-time record checks.
func (s *KafkaServer) recordPolicy(topic string) cluster.RecordPolicy {
	rp := cluster.DefaultRecordPolicy()
	overrides, err := s.zk.GetEntityConfig(zkutil.ConfigTypeTopic, topic)
	if err != nil {
		return rp
	}
	tc, err := s.effectiveConfig().TopicConfig(overrides)
	if err != nil {
		return rp
	}
	rp.RequireKeys = strings.Contains(tc.CleanupPolicy, "compact")
	rp.TimestampDiffMaxMs = tc.MessageTimestampDifferenceMaxMs
	rp.LogAppendTime = tc.MessageTimestampType == "LogAppendTime"
	return rp
}

func (s *KafkaServer) uncleanLeaderElection(topic string) bool {
	overrides, err := s.zk.GetEntityConfig(zkutil.ConfigTypeTopic, topic)
	if err != nil {
		return s.cfg.UncleanLeaderElectionEnable
	}
	tc, err := s.effectiveConfig().TopicConfig(overrides)
	if err != nil {
		return s.cfg.UncleanLeaderElectionEnable
	}
	return tc.UncleanLeaderElectionEnable
}

func (s *KafkaServer) apiConfig() api.Config {
	return api.Config{
		BrokerID:                 s.brokerID,
		ClusterID:                s.clusterID,
		NumPartitions:            s.cfg.NumPartitions,
		DefaultReplicationFactor: s.cfg.DefaultReplicationFactor,
		AutoCreateTopicsEnable:   s.cfg.AutoCreateTopicsEnable,
		DeleteTopicEnable:        s.cfg.DeleteTopicEnable,
		ValidateTopicConfig:      ValidateTopicConfig,
		DescribeTopicConfigs: func(overrides map[string]string) []api.ConfigEntry {
			return toAPIEntries(s.cfg.DescribeTopicConfigs(overrides))
		},
		DescribeBrokerConfigs: func() []api.ConfigEntry { return toAPIEntries(s.cfg.DescribeBrokerConfigs()) },
		IBPAtLeast:            s.cfg.IBPAtLeast,
	}
}

func toAPIEntries(in []ConfigEntry) []api.ConfigEntry {
	out := make([]api.ConfigEntry, 0, len(in))
	for _, e := range in {
		ae := api.ConfigEntry{Name: e.Name, Value: e.Value, Source: e.Source, ReadOnly: e.ReadOnly, Sensitive: e.Sensitive || e.Null}
		for _, syn := range e.Synonyms {
			ae.Synonyms = append(ae.Synonyms, api.ConfigSynonym{Name: syn.Name, Value: syn.Value, Source: syn.Source})
		}
		out = append(out, ae)
	}
	return out
}

// groupConfig is the group coordinator's part of the configuration.
func (s *KafkaServer) groupConfig() group.Config {
	c := s.cfg
	return group.Config{
		BrokerID:                        s.brokerID,
		OffsetsTopicNumPartitions:       c.OffsetsTopicNumPartitions,
		OffsetsTopicReplicationFactor:   c.OffsetsTopicReplicationFactor,
		OffsetsTopicSegmentBytes:        c.OffsetsTopicSegmentBytes,
		OffsetsTopicCompression:         record.Codec(c.OffsetsTopicCompressionCodec),
		OffsetsRetentionMs:              int64(c.OffsetsRetentionMinutes) * 60 * 1000,
		OffsetsRetentionCheckIntervalMs: c.OffsetsRetentionCheckIntervalMs,
		OffsetsCommitTimeoutMs:          int64(c.OffsetsCommitTimeoutMs),
		OffsetsLoadBufferSize:           int32(c.OffsetsLoadBufferSize),
		OffsetMetadataMaxBytes:          c.OffsetMetadataMaxBytes,
		GroupInitialRebalanceDelayMs:    int32(c.GroupInitialRebalanceDelayMs),
		GroupMinSessionTimeoutMs:        int32(c.GroupMinSessionTimeoutMs),
		GroupMaxSessionTimeoutMs:        int32(c.GroupMaxSessionTimeoutMs),
		GroupMaxSize:                    c.GroupMaxSize,
	}
}

// registerBroker writes the ephemeral /brokers/ids/<id> znode.
func (s *KafkaServer) registerBroker() error {
	info := zkutil.BrokerInfo{ID: s.brokerID, JmxPort: jmxPort(), Timestamp: time.Now().UnixMilli(), Rack: s.cfg.BrokerRack}
	for _, e := range s.cfg.AdvertisedListeners {
		info.Endpoints = append(info.Endpoints, zkutil.EndPoint{ListenerName: e.ListenerName, Host: e.Host, Port: e.Port, SecurityProtocol: e.SecurityProtocol})
	}
	epoch, err := s.zk.RegisterBroker(info)
	if err != nil {
		return err
	}
	s.brokerEpoch = epoch
	return nil
}

// registerBrokerAtStartup registers, waiting out a registration left by
// a previous run of this broker that was killed without shutting down: its
// ephemeral znode lives until that ZooKeeper session times out. A second
// live broker with the same id keeps its znode, and start-up then fails
// with ZooKeeper's ownership error.
func (s *KafkaServer) registerBrokerAtStartup() error {
	deadline := time.Now().Add(time.Duration(s.cfg.ZkSessionTimeoutMs)*time.Millisecond + 5*time.Second)
	for {
		err := s.registerBroker()
		var exists *zkutil.EphemeralExistsError
		if err == nil || !errors.As(err, &exists) || time.Now().After(deadline) {
			return err
		}
		s.log.Warnf("%s%s is still held by session %d (a broker with id %d that stopped without shutting down, or one still running); waiting until %s for that session to expire",
			s.prefix(), exists.Path, exists.Owner, s.brokerID, deadline.Format("15:04:05"))
		time.Sleep(time.Second)
	}
}

// jmxPort reports JMX_PORT as the course's start script exports it; the
// broker has no JMX, but the registration shows what was configured.
func jmxPort() int32 {
	if p, err := strconv.Atoi(os.Getenv("JMX_PORT")); err == nil {
		return int32(p)
	}
	return -1
}

// onNewSession re-creates our ephemeral registration after a ZooKeeper
// session expired, then lets the controller re-elect.
func (s *KafkaServer) onNewSession() {
	s.log.Infof("%sZooKeeper session re-established; re-registering broker", s.prefix())
	for attempt := 0; attempt < 30; attempt++ {
		if err := s.registerBroker(); err == nil {
			break
		} else {
			s.log.Warnf("Re-registration failed: %v; retrying", err)
		}
		select {
		case <-s.done:
			return
		case <-time.After(time.Second):
		}
	}
	s.controller.OnSessionRenewed()
}

// Shutdown stops everything in reverse order and leaves the logs clean.
func (s *KafkaServer) Shutdown() {
	s.stopOnce.Do(func() {
		s.log.Infof("%sshutting down", s.prefix())
		s.controlledShutdown()
		close(s.done)
		if s.socket != nil {
			s.socket.Shutdown()
		}
		if s.controller != nil {
			s.controller.Shutdown()
		}
		if s.txn != nil {
			s.txn.Shutdown()
		}
		if s.groups != nil {
			s.groups.Shutdown()
		}
		if s.replicas != nil {
			s.replicas.Shutdown()
		}
		if s.logs != nil {
			if err := s.logs.Shutdown(); err != nil {
				s.log.Errorf("Error while shutting down the log manager: %v", err)
			}
		}
		if s.zk != nil {
			s.zk.Close()
		}
		s.log.Infof("%sshut down completed", s.prefix())
	})
}

// ErrUsage is returned for a bad command line.
var ErrUsage = errors.New("USAGE: kafka-server-start.sh [-daemon] server.properties [--override property=value]*")
