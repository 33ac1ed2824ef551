package server

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/sirupsen/logrus"

	"github.com/gokafka/kafka/core/api"
	"github.com/gokafka/kafka/core/logging"
	"github.com/gokafka/kafka/zkutil"
)

// DynamicBrokerConfig layers the dynamic broker configs stored in
// ZooKeeper over server.properties, in Kafka's precedence:
// /config/brokers/<id> (DYNAMIC_BROKER_CONFIG), then
// /config/brokers/<default> (DYNAMIC_DEFAULT_BROKER_CONFIG), then the file.
// The topic-level defaults it carries (log.retention.ms, log.segment.bytes,
// min.insync.replicas, ...) reach live logs through the broker's topic
// config; other keys are stored and described, and take effect at restart.
type DynamicBrokerConfig struct {
	static   *KafkaConfig
	brokerID int32
	log      *logrus.Entry

	// loadMu makes each Load read and install as one step, so a Load that
	// read older znodes cannot install them over a later one's.
	loadMu    sync.Mutex
	mu        sync.RWMutex
	perBroker map[string]string
	defaults  map[string]string
	current   *KafkaConfig
}

// brokerDefaultEntity is the znode name of cluster-wide broker defaults.
const brokerDefaultEntity = "<default>"

// perBrokerOnlyConfigs cannot be set at the cluster default level.
var perBrokerOnlyConfigs = setOf(
	"ssl.keystore.type", "ssl.keystore.location", "ssl.keystore.password", "ssl.key.password",
	"ssl.truststore.type", "ssl.truststore.location", "ssl.truststore.password",
	"ssl.keystore.key", "ssl.keystore.certificate.chain", "ssl.truststore.certificates",
	"advertised.listeners", "listeners", "listener.security.protocol.map",
)

// NewDynamicBrokerConfig starts from the static configuration only.
func NewDynamicBrokerConfig(static *KafkaConfig) *DynamicBrokerConfig {
	return &DynamicBrokerConfig{static: static, brokerID: static.BrokerID, current: static,
		perBroker: map[string]string{}, defaults: map[string]string{},
		log: logging.For("kafka.server.DynamicBrokerConfig")}
}

// Current is the effective configuration (static plus dynamic).
func (d *DynamicBrokerConfig) Current() *KafkaConfig {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.current
}

// Load re-reads both broker config znodes and rebuilds the effective
// configuration; an invalid stored set leaves the previous one in force.
func (d *DynamicBrokerConfig) Load(zk *zkutil.Client) error {
	d.loadMu.Lock()
	defer d.loadMu.Unlock()
	perBroker, err := zk.GetEntityConfig(zkutil.ConfigTypeBroker, strconv.Itoa(int(d.brokerID)))
	if err != nil {
		return err
	}
	defaults, err := zk.GetEntityConfig(zkutil.ConfigTypeBroker, brokerDefaultEntity)
	if err != nil {
		return err
	}
	merged := d.merged(defaults, perBroker)
	cfg, err := NewKafkaConfig(merged)
	if err != nil {
		return fmt.Errorf("invalid dynamic broker configs %v / %v: %v", perBroker, defaults, err)
	}
	cfg.BrokerID = d.static.BrokerID // a generated id is not in the file
	d.mu.Lock()
	d.perBroker, d.defaults, d.current = perBroker, defaults, cfg
	d.mu.Unlock()
	return nil
}

// merged lays defaults and then per-broker values over the file, keeping
// only keys that may change dynamically.
func (d *DynamicBrokerConfig) merged(defaults, perBroker map[string]string) map[string]string {
	out := make(map[string]string, len(d.static.Props))
	for k, v := range d.static.Props {
		out[k] = v
	}
	for _, layer := range []map[string]string{defaults, perBroker} {
		for k, v := range layer {
			if dynamicBrokerConfigs[k] {
				out[k] = v
			}
		}
	}
	return out
}

// Validate checks a full dynamic set for one broker (perBroker) or the
// cluster default as Kafka's DynamicBrokerConfig.validate does.
func (d *DynamicBrokerConfig) Validate(props map[string]string, perBroker bool) error {
	var nonDynamic, brokerOnly []string
	for k := range props {
		if !dynamicBrokerConfigs[k] {
			nonDynamic = append(nonDynamic, k)
		} else if !perBroker && perBrokerOnlyConfigs[k] {
			brokerOnly = append(brokerOnly, k)
		}
	}
	if len(nonDynamic) > 0 {
		return fmt.Errorf("Cannot update these configs dynamically: %s", scalaSet(nonDynamic))
	}
	if len(brokerOnly) > 0 {
		return fmt.Errorf("Cannot update these configs at default cluster level, broker id must be specified: %s", scalaSet(brokerOnly))
	}
	d.mu.RLock()
	defaults, current := d.defaults, d.perBroker
	d.mu.RUnlock()
	if perBroker {
		current = props
	} else {
		defaults = props
	}
	_, err := NewKafkaConfig(d.merged(defaults, current))
	return err
}

func scalaSet(names []string) string {
	sort.Strings(names)
	return "Set(" + strings.Join(names, ", ") + ")"
}

// DescribeBrokerConfigs is the static description with the dynamic layers
// on top: value and source from the highest layer, its synonyms first.
func (d *DynamicBrokerConfig) DescribeBrokerConfigs() []ConfigEntry {
	d.mu.RLock()
	perBroker, defaults := d.perBroker, d.defaults
	d.mu.RUnlock()
	entries := d.static.DescribeBrokerConfigs()
	for i, e := range entries {
		var layers []ConfigSynonym
		if v, ok := perBroker[e.Name]; ok && dynamicBrokerConfigs[e.Name] {
			layers = append(layers, ConfigSynonym{Name: e.Name, Value: v, Source: SourceDynamicBroker, Null: e.Sensitive})
		}
		if v, ok := defaults[e.Name]; ok && dynamicBrokerConfigs[e.Name] {
			layers = append(layers, ConfigSynonym{Name: e.Name, Value: v, Source: SourceDynamicDefaultBroker, Null: e.Sensitive})
		}
		if len(layers) == 0 {
			continue
		}
		e.Synonyms = append(layers, e.Synonyms...)
		e.Source = layers[0].Source
		e.Value, e.Null = layers[0].Value, layers[0].Null
		entries[i] = e
	}
	return entries
}

// DynamicEntries is the stored dynamic set of one broker id or, for "",
// the cluster default.
func (d *DynamicBrokerConfig) DynamicEntries(zk *zkutil.Client, name string) (map[string]string, error) {
	if name == "" {
		name = brokerDefaultEntity
	}
	return zk.GetEntityConfig(zkutil.ConfigTypeBroker, name)
}

// initDynamicConfig loads the dynamic broker configs right after the
// broker id is known, before any log is opened, so logs start from them.
func (s *KafkaServer) initDynamicConfig() error {
	s.dynamic = NewDynamicBrokerConfig(s.cfg)
	if err := s.dynamic.Load(s.zk); err != nil {
		s.log.Warnf("%sIgnoring dynamic broker configs: %v", s.prefix(), err)
	}
	return nil
}

// effectiveConfig is server.properties with the dynamic broker configs.
func (s *KafkaServer) effectiveConfig() *KafkaConfig {
	if s.dynamic == nil {
		return s.cfg
	}
	return s.dynamic.Current()
}

// wireDynamicConfig lets the request handlers alter and describe dynamic
// broker configs; call before the socket server starts.
func (s *KafkaServer) wireDynamicConfig() {
	d := s.dynamic
	s.apis.SetDynamicBrokerConfig(d.Validate,
		func() []api.ConfigEntry { return toAPIEntries(d.DescribeBrokerConfigs()) },
		func(overrides map[string]string) []api.ConfigEntry {
			return toAPIEntries(d.Current().DescribeTopicConfigs(overrides))
		})
	s.apis.OnBrokerConfigStored(s.applyBrokerConfigChange)
}

// startConfigChangeListener follows /config/changes: topic changes are
// applied to that topic, broker changes (this broker or the default) reload
// the dynamic configs and re-apply every hosted topic's config.
func (s *KafkaServer) startConfigChangeListener() {
	l := NewConfigChangeListener(s.zk, s.replicas, s.done)
	l.OnBrokerChange(s.applyBrokerConfigChange)
	s.watchQuotaConfigs(l)
	l.Start()
}

// applyBrokerConfigChange reloads the dynamic configs when entity is this
// broker or the cluster default and re-applies every hosted topic's config.
// The notification listener calls it on every broker; the broker that
// stored the change also calls it before answering AlterConfigs, so a
// client that alters a broker config and then acts on it (as
// kafka-reassign-partitions does with its throttles) finds it in effect.
func (s *KafkaServer) applyBrokerConfigChange(entity string) {
	if entity != brokerDefaultEntity && entity != strconv.Itoa(int(s.brokerID)) {
		return
	}
	if err := s.dynamic.Load(s.zk); err != nil {
		s.log.Errorf("%sCannot apply dynamic broker configs: %v", s.prefix(), err)
		return
	}
	seen := map[string]bool{}
	for _, p := range s.replicas.Partitions() {
		if seen[p.Topic] {
			continue
		}
		seen[p.Topic] = true
		if err := s.replicas.RefreshTopicConfig(p.Topic); err != nil {
			s.log.Errorf("%sError applying the configuration of topic %s: %v", s.prefix(), p.Topic, err)
		}
	}
}
