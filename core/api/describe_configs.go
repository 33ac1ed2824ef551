package api

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/sirupsen/logrus"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// handleDescribeConfigs reports topic and broker configs with their
// sources, as `kafka-topics.sh --describe` and `kafka-configs.sh` read them.
func (a *KafkaApis) handleDescribeConfigs(req *kmsg.DescribeConfigsRequest) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.DescribeConfigsResponse)
	for _, r := range req.Resources {
		rr := kmsg.NewDescribeConfigsResponseResource()
		rr.ResourceType, rr.ResourceName = r.ResourceType, r.ResourceName
		entries, err := a.describeResource(r)
		if err != nil {
			rr.ErrorCode = errorCode(err)
			rr.ErrorMessage = errorMessage(err)
		}
		wanted := map[string]bool{}
		for _, n := range r.ConfigNames {
			wanted[n] = true
		}
		for _, e := range entries {
			if len(wanted) > 0 && !wanted[e.Name] {
				continue
			}
			rr.Configs = append(rr.Configs, describeEntry(req, e))
		}
		resp.Resources = append(resp.Resources, rr)
	}
	return resp
}

func (a *KafkaApis) describeResource(r kmsg.DescribeConfigsRequestResource) ([]ConfigEntry, error) {
	switch r.ResourceType {
	case kmsg.ConfigResourceTypeTopic:
		if !a.cache.Contains(r.ResourceName) {
			return nil, kerr.UnknownTopicOrPartition
		}
		overrides, err := a.zk.GetEntityConfig("topics", r.ResourceName)
		if err != nil {
			return nil, err
		}
		if a.cfg.DescribeTopicConfigs == nil {
			return nil, nil
		}
		return a.cfg.DescribeTopicConfigs(overrides), nil
	case kmsg.ConfigResourceTypeBroker:
		id, err := strconv.Atoi(r.ResourceName)
		if r.ResourceName != "" && (err != nil || int32(id) != a.cfg.BrokerID) {
			return nil, fmt.Errorf("%w: Unexpected broker id, expected %d or empty string, but received %s", kerr.InvalidRequest, a.cfg.BrokerID, r.ResourceName)
		}
		if a.cfg.DescribeBrokerConfigs == nil {
			return nil, nil
		}
		return a.cfg.DescribeBrokerConfigs(), nil
	case kmsg.ConfigResourceTypeBrokerLogger:
		if r.ResourceName == "" {
			return nil, fmt.Errorf("%w: Broker id must not be empty", kerr.InvalidRequest)
		}
		if id, err := strconv.Atoi(r.ResourceName); err != nil || int32(id) != a.cfg.BrokerID {
			return nil, fmt.Errorf("%w: Unexpected broker id, expected %d but received %s", kerr.InvalidRequest, a.cfg.BrokerID, r.ResourceName)
		}
		return brokerLoggers(), nil
	}
	return nil, fmt.Errorf("%w: Unsupported resource type: %v", kerr.InvalidRequest, r.ResourceType)
}

func describeEntry(req *kmsg.DescribeConfigsRequest, e ConfigEntry) kmsg.DescribeConfigsResponseResourceConfig {
	c := kmsg.NewDescribeConfigsResponseResourceConfig()
	c.Name = e.Name
	if !e.Sensitive {
		v := e.Value
		c.Value = &v
	}
	c.ReadOnly = e.ReadOnly
	c.IsSensitive = e.Sensitive
	c.Source = kmsg.ConfigSource(e.Source)
	c.IsDefault = e.Source == int8(kmsg.ConfigSourceDefaultConfig)
	if req.IncludeSynonyms {
		for _, s := range e.Synonyms {
			syn := kmsg.NewDescribeConfigsResponseResourceConfigConfigSynonym()
			v := s.Value
			syn.Name, syn.Value, syn.Source = s.Name, &v, kmsg.ConfigSource(s.Source)
			c.ConfigSynonyms = append(c.ConfigSynonyms, syn)
		}
	}
	return c
}

// brokerLoggers lists the broker's loggers with their level (KIP-412). All
// components share logrus's level, as log4j's root logger would.
func brokerLoggers() []ConfigEntry {
	level := strings.ToUpper(logrus.GetLevel().String())
	if level == "WARNING" {
		level = "WARN"
	}
	const dynamicBrokerLogger = 6 // DYNAMIC_BROKER_LOGGER_CONFIG
	var out []ConfigEntry
	for _, name := range []string{"root", "kafka", "kafka.controller", "kafka.coordinator.group", "kafka.log", "kafka.log.LogCleaner",
		"kafka.network.SocketServer", "kafka.server.KafkaApis", "kafka.server.ReplicaManager", "kafka.zookeeper.ZooKeeperClient", "state.change.logger"} {
		out = append(out, ConfigEntry{Name: name, Value: level, Source: dynamicBrokerLogger})
	}
	return out
}
