package server

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/gokafka/kafka/core/logging"
	"github.com/gokafka/kafka/core/quota"
	"github.com/gokafka/kafka/zkutil"
)

// Dynamic configuration: alters write /config/<type>/<name> and then a
// sequential /config/changes/config_change_N naming the entity. Every broker
// watches /config/changes, handles the notifications it has not seen yet in
// sequence order, re-reads the entity's config and applies it live.

const (
	// configChangeExpiration is how long notifications stay before a
	// broker purges them (Kafka's 15 minutes).
	configChangeExpiration = 15 * time.Minute
	// configChangeRecheck bounds how long a lost watch (after a ZooKeeper
	// session expiry) can delay a change.
	configChangeRecheck = 10 * time.Second
)

// TopicConfigApplier applies a topic's current stored config to the live
// logs and partitions (replica.ReplicaManager.RefreshTopicConfig).
type TopicConfigApplier interface {
	RefreshTopicConfig(topic string) error
}

// ConfigChangeListener follows /config/changes for one broker.
type ConfigChangeListener struct {
	zk     *zkutil.Client
	topics TopicConfigApplier
	done   <-chan struct{}
	log    *logrus.Entry
	// lastSeq is the sequence number of the last handled notification.
	lastSeq int64
	// brokers handles broker entity changes (id or "<default>"); may be nil.
	brokers func(entity string)
	// handlers handle the other entity types (users, clients), by type.
	handlers map[string]func(name string)
}

// OnEntityChange sets the handler of changes to one entity type other
// than topics and brokers (users, clients); name is the entity's path
// below /config/<type>, e.g. "alice/clients/c1". Call it before Start.
func (l *ConfigChangeListener) OnEntityChange(entityType string, f func(name string)) {
	if l.handlers == nil {
		l.handlers = map[string]func(string){}
	}
	l.handlers[entityType] = f
}

// OnBrokerChange sets the handler of /config/brokers changes; call it
// before Start.
func (l *ConfigChangeListener) OnBrokerChange(f func(entity string)) { l.brokers = f }

// NewConfigChangeListener returns a listener applying topic changes
// through topics until done is closed.
func NewConfigChangeListener(zk *zkutil.Client, topics TopicConfigApplier, done <-chan struct{}) *ConfigChangeListener {
	return &ConfigChangeListener{zk: zk, topics: topics, done: done, lastSeq: -1,
		log: logging.For("kafka.common.ZkNodeChangeNotificationListener")}
}

// Start handles the notifications present now, then follows new ones in
// the background.
func (l *ConfigChangeListener) Start() {
	go l.run()
}

func (l *ConfigChangeListener) run() {
	for {
		fired := l.processNotifications() // nil (never fires) on error
		select {
		case <-l.done:
			return
		case <-fired:
		case <-time.After(configChangeRecheck):
		}
	}
}

// waitEvent turns a one-shot ZooKeeper watch into a closed channel.
func waitEvent[T any](ch <-chan T) <-chan struct{} {
	out := make(chan struct{})
	go func() {
		<-ch
		close(out)
	}()
	return out
}

// processNotifications handles every notification newer than the last one
// and re-arms the child watch, which it returns (nil on error).
func (l *ConfigChangeListener) processNotifications() <-chan struct{} {
	children, ch, err := l.zk.GetChildrenW(zkutil.ConfigChangesPath)
	if err != nil {
		if !errors.Is(err, zkutil.ErrNoNode) {
			l.log.Warnf("Error reading %s: %v", zkutil.ConfigChangesPath, err)
		}
		return nil
	}
	for _, name := range sortedNotifications(children) {
		seq := notificationSeq(name)
		if seq <= l.lastSeq {
			l.purgeIfExpired(name)
			continue
		}
		l.processNotification(name)
		l.lastSeq = seq
	}
	return waitEvent(ch)
}

// purgeIfExpired deletes a handled notification once it is old enough that
// every live broker has seen it (Kafka keeps them 15 minutes).
func (l *ConfigChangeListener) purgeIfExpired(name string) {
	path := zkutil.ConfigChangesPath + "/" + name
	ok, stat, err := l.zk.Exists(path)
	if err != nil || !ok || time.Since(time.UnixMilli(stat.Ctime)) <= configChangeExpiration {
		return
	}
	if err := l.zk.Delete(path, -1); err != nil && !errors.Is(err, zkutil.ErrNoNode) {
		l.log.Debugf("Could not purge %s: %v", path, err)
	}
}

func (l *ConfigChangeListener) processNotification(name string) {
	path := zkutil.ConfigChangesPath + "/" + name
	data, stat, err := l.zk.GetData(path)
	if err != nil {
		if !errors.Is(err, zkutil.ErrNoNode) {
			l.log.Warnf("Error reading config change notification %s: %v", path, err)
		}
		return
	}
	entityPath, err := zkutil.DecodeConfigChangeNotification(data)
	if err != nil {
		l.log.Errorf("Error processing config change notification %s: %v", path, err)
	} else {
		l.applyEntityChange(entityPath)
	}
	if stat != nil && time.Since(time.UnixMilli(stat.Ctime)) > configChangeExpiration {
		l.purgeIfExpired(name)
	}
}

// applyEntityChange re-reads and applies one entity's config.
func (l *ConfigChangeListener) applyEntityChange(entityPath string) {
	typ, name, ok := strings.Cut(entityPath, "/")
	if !ok {
		l.log.Errorf("Invalid entity path %q in config change notification", entityPath)
		return
	}
	switch typ {
	case zkutil.ConfigTypeTopic:
		l.log.Infof("Processing override for entityPath: %s", entityPath)
		if err := l.topics.RefreshTopicConfig(name); err != nil {
			l.log.Errorf("Error applying the configuration of topic %s: %v", name, err)
		}
	case zkutil.ConfigTypeBroker:
		if l.brokers != nil {
			l.log.Infof("Processing override for entityPath: %s", entityPath)
			l.brokers(name)
		}
	default:
		if h := l.handlers[typ]; h != nil {
			l.log.Infof("Processing override for entityPath: %s", entityPath)
			h(name)
			return
		}
		// ip configs are stored but not applied.
		l.log.Debugf("Ignoring config change for %s", entityPath)
	}
}

// sortedNotifications keeps config_change_N names, in sequence order.
func sortedNotifications(children []string) []string {
	var out []string
	for _, c := range children {
		if strings.HasPrefix(c, zkutil.ConfigChangePrefix) && notificationSeq(c) >= 0 {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return notificationSeq(out[i]) < notificationSeq(out[j]) })
	return out
}

// notificationSeq is N of config_change_N, or -1.
func notificationSeq(name string) int64 {
	n, err := strconv.ParseInt(strings.TrimPrefix(name, zkutil.ConfigChangePrefix), 10, 64)
	if err != nil {
		return -1
	}
	return n
}

// Client quotas: /config/clients/<client-id>, /config/users/<user> and
// /config/users/<user>/clients/<client-id> (names sanitized, "<default>"
// for defaults) hold producer_byte_rate, consumer_byte_rate and
// request_percentage. Every broker loads them all at start-up and re-reads
// an entity when a users/... or clients/... notification names it.

// newQuotaManagers builds the client quota managers from the broker
// config and the quotas stored in ZooKeeper.
func (s *KafkaServer) newQuotaManagers() *quota.Managers {
	q := quota.NewManagers(quota.ManagersConfig{
		NumSamples:      s.cfg.int("quota.window.num"),
		WindowSize:      time.Duration(s.cfg.int("quota.window.size.seconds")) * time.Second,
		ProducerDefault: s.cfg.i64("quota.producer.default"),
		ConsumerDefault: s.cfg.i64("quota.consumer.default"),
	})
	if err := LoadClientQuotas(s.zk, q); err != nil {
		s.log.Errorf("%sError loading client quotas: %v", s.prefix(), err)
	}
	return q
}

// LoadClientQuotas applies every stored client, user and user/client-id
// quota to q (DynamicConfigManager start-up).
func LoadClientQuotas(zk *zkutil.Client, q *quota.Managers) error {
	var firstErr error
	apply := func(typ, name string) {
		cfg, err := zk.GetEntityConfig(typ, name)
		if err == nil {
			err = q.ApplyEntityConfig(typ, name, cfg)
		}
		if err != nil && firstErr == nil {
			firstErr = fmt.Errorf("%s/%s: %w", typ, name, err)
		}
	}
	clients, err := zk.GetAllEntitiesWithConfig(zkutil.ConfigTypeClient)
	if err != nil {
		return err
	}
	for _, c := range clients {
		apply(zkutil.ConfigTypeClient, c)
	}
	users, err := zk.GetAllEntitiesWithConfig(zkutil.ConfigTypeUser)
	if err != nil {
		return err
	}
	for _, u := range users {
		apply(zkutil.ConfigTypeUser, u)
		userClients, err := zk.GetAllEntitiesWithConfig(zkutil.ConfigTypeUser + "/" + u + "/clients")
		if err != nil {
			return err
		}
		for _, c := range userClients {
			apply(zkutil.ConfigTypeUser, u+"/clients/"+c)
		}
	}
	return firstErr
}

// watchQuotaConfigs makes l apply users and clients changes to the quota
// managers.
func (s *KafkaServer) watchQuotaConfigs(l *ConfigChangeListener) {
	if s.quotas == nil {
		return
	}
	for _, typ := range []string{zkutil.ConfigTypeClient, zkutil.ConfigTypeUser} {
		typ := typ
		l.OnEntityChange(typ, func(name string) {
			cfg, err := s.zk.GetEntityConfig(typ, name)
			if err == nil {
				err = s.quotas.ApplyEntityConfig(typ, name, cfg)
			}
			if err != nil {
				s.log.Errorf("%sError applying the quota config of %s/%s: %v", s.prefix(), typ, name, err)
			}
		})
	}
}
