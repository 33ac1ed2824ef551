package api

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gokafka/kafka/core/admin"
	"github.com/gokafka/kafka/zkutil"
)

// AlterConfigs (key 33) replaces a topic's whole set of overrides;
// IncrementalAlterConfigs (key 44) edits the stored set key by key. Both
// end in /config/topics/<t> plus a /config/changes notification, which
// every broker's config change watcher picks up and applies live.

// listTopicConfigDefaults are the LIST-typed topic configs with the
// topic-level default APPEND/SUBTRACT start from when no override exists.
var listTopicConfigDefaults = map[string]string{
	"cleanup.policy":                          "delete",
	"leader.replication.throttled.replicas":   "",
	"follower.replication.throttled.replicas": "",
}

func (a *KafkaApis) handleAlterConfigs(req *kmsg.AlterConfigsRequest) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.AlterConfigsResponse)
	for _, r := range req.Resources {
		rr := kmsg.NewAlterConfigsResponseResource()
		rr.ResourceType, rr.ResourceName = r.ResourceType, r.ResourceName
		err := a.alterConfigs(r, req.ValidateOnly)
		rr.ErrorCode, rr.ErrorMessage = alterConfigsError(err)
		resp.Resources = append(resp.Resources, rr)
	}
	return resp
}

func (a *KafkaApis) alterConfigs(r kmsg.AlterConfigsRequestResource, validateOnly bool) error {
	var nulls []string
	props := map[string]string{}
	for _, c := range r.Configs {
		if c.Value == nil {
			nulls = append(nulls, c.Name)
			continue
		}
		props[c.Name] = *c.Value
	}
	if len(nulls) > 0 {
		return fmt.Errorf("%w: Null value not supported for : %s", kerr.InvalidRequest, strings.Join(nulls, ","))
	}
	return a.writeConfigs(r.ResourceType, r.ResourceName, props, validateOnly)
}

func (a *KafkaApis) handleIncrementalAlterConfigs(req *kmsg.IncrementalAlterConfigsRequest) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.IncrementalAlterConfigsResponse)
	for _, r := range req.Resources {
		rr := kmsg.NewIncrementalAlterConfigsResponseResource()
		rr.ResourceType, rr.ResourceName = r.ResourceType, r.ResourceName
		err := a.incrementalAlterConfigs(r, req.ValidateOnly)
		rr.ErrorCode, rr.ErrorMessage = alterConfigsError(err)
		resp.Resources = append(resp.Resources, rr)
	}
	return resp
}

func (a *KafkaApis) incrementalAlterConfigs(r kmsg.IncrementalAlterConfigsRequestResource, validateOnly bool) error {
	if err := checkIncrementalOps(r.Configs); err != nil {
		return err
	}
	var current map[string]string
	var err error
	listDefaults := listTopicConfigDefaults
	switch r.ResourceType {
	case kmsg.ConfigResourceTypeTopic:
		current, err = a.zk.GetEntityConfig(zkutil.ConfigTypeTopic, r.ResourceName)
	case kmsg.ConfigResourceTypeBroker:
		var entity string
		if entity, err = a.brokerEntity(r.ResourceName); err == nil {
			current, err = a.zk.GetEntityConfig(zkutil.ConfigTypeBroker, entity)
		}
		listDefaults = listBrokerConfigDefaults
	default:
		return a.writeConfigs(r.ResourceType, r.ResourceName, nil, validateOnly)
	}
	if err != nil {
		return err
	}
	props, err := ApplyIncrementalOps(current, r.Configs, listDefaults)
	if err != nil {
		return err
	}
	return a.writeConfigs(r.ResourceType, r.ResourceName, props, validateOnly)
}

// checkIncrementalOps rejects duplicate keys and null values outside
// DELETE before anything is read.
func checkIncrementalOps(ops []kmsg.IncrementalAlterConfigsRequestResourceConfig) error {
	seen := map[string]int{}
	for _, op := range ops {
		seen[op.Name]++
	}
	var dups []string
	for name, n := range seen {
		if n > 1 {
			dups = append(dups, name)
		}
	}
	if len(dups) > 0 {
		sort.Strings(dups)
		return fmt.Errorf("%w: Error due to duplicate config keys : %s", kerr.InvalidRequest, strings.Join(dups, ","))
	}
	var nulls []string
	for _, op := range ops {
		if op.Value == nil && op.Op != kmsg.IncrementalAlterConfigOpDelete {
			nulls = append(nulls, fmt.Sprintf("%s:%s", opName(op.Op), op.Name))
		}
	}
	if len(nulls) > 0 {
		return fmt.Errorf("%w: Null value not supported for : %s", kerr.InvalidRequest, strings.Join(nulls, ","))
	}
	return nil
}

func opName(op kmsg.IncrementalAlterConfigOp) string {
	switch op {
	case kmsg.IncrementalAlterConfigOpSet:
		return "SET"
	case kmsg.IncrementalAlterConfigOpDelete:
		return "DELETE"
	case kmsg.IncrementalAlterConfigOpAppend:
		return "APPEND"
	case kmsg.IncrementalAlterConfigOpSubtract:
		return "SUBTRACT"
	}
	return fmt.Sprintf("UNKNOWN(%d)", int8(op))
}

// ApplyIncrementalOps returns current with ops applied: SET replaces,
// DELETE removes, APPEND and SUBTRACT edit LIST configs (listDefaults holds
// them and the default value they start from when no override exists).
func ApplyIncrementalOps(current map[string]string, ops []kmsg.IncrementalAlterConfigsRequestResourceConfig, listDefaults map[string]string) (map[string]string, error) {
	out := make(map[string]string, len(current)+len(ops))
	for k, v := range current {
		out[k] = v
	}
	for _, op := range ops {
		switch op.Op {
		case kmsg.IncrementalAlterConfigOpSet:
			out[op.Name] = *op.Value
		case kmsg.IncrementalAlterConfigOpDelete:
			delete(out, op.Name)
		case kmsg.IncrementalAlterConfigOpAppend, kmsg.IncrementalAlterConfigOpSubtract:
			def, isList := listDefaults[op.Name]
			if !isList {
				verb := "append"
				if op.Op == kmsg.IncrementalAlterConfigOpSubtract {
					verb = "subtract"
				}
				return nil, fmt.Errorf("%w: Config value %s is not allowed for config key: %s", kerr.InvalidRequest, verb, op.Name)
			}
			old, ok := out[op.Name]
			if !ok {
				old = def
			}
			items := strings.Split(old, ",")
			if op.Op == kmsg.IncrementalAlterConfigOpAppend {
				items = append(items, strings.Split(*op.Value, ",")...)
			} else {
				items = subtractList(items, strings.Split(*op.Value, ","))
			}
			out[op.Name] = strings.Join(items, ",")
		default:
			return nil, fmt.Errorf("%w: Unknown alter config operation type %d", kerr.InvalidRequest, int8(op.Op))
		}
	}
	return out, nil
}

// subtractList removes one occurrence of each element of drop, as Scala's
// List.diff does.
func subtractList(items, drop []string) []string {
	pending := map[string]int{}
	for _, d := range drop {
		pending[d]++
	}
	var out []string
	for _, it := range items {
		if pending[it] > 0 {
			pending[it]--
			continue
		}
		out = append(out, it)
	}
	return out
}

// writeConfigs validates and stores the full override set of a resource.
func (a *KafkaApis) writeConfigs(typ kmsg.ConfigResourceType, name string, props map[string]string, validateOnly bool) error {
	switch typ {
	case kmsg.ConfigResourceTypeTopic:
		return a.alterTopicConfigs(name, props, validateOnly)
	case kmsg.ConfigResourceTypeBroker:
		return a.alterBrokerConfigs(name, props, validateOnly)
	}
	return fmt.Errorf("%w: AlterConfigs is only supported for topics and brokers, but resource type is %s", kerr.InvalidRequest, resourceTypeName(typ))
}

func (a *KafkaApis) alterTopicConfigs(topic string, props map[string]string, validateOnly bool) error {
	if !a.cache.Contains(topic) {
		return &admin.Error{Code: kerr.UnknownTopicOrPartition.Code, Message: fmt.Sprintf("The topic '%s' does not exist.", topic)}
	}
	if a.cfg.ValidateTopicConfig != nil {
		if err := a.cfg.ValidateTopicConfig(props); err != nil {
			return topicConfigError(topic, err)
		}
	}
	if validateOnly {
		return nil
	}
	a.log.Infof("Updating topic %s with new configuration : %s", topic, renderProps(props))
	return admin.ChangeTopicConfig(a.zk, topic, props)
}

// listBrokerConfigDefaults are the LIST-typed dynamic broker configs with
// their defaults, for APPEND and SUBTRACT.
var listBrokerConfigDefaults = map[string]string{
	"log.cleanup.policy":      "delete",
	"metric.reporters":        "",
	"sasl.enabled.mechanisms": "GSSAPI",
	"ssl.cipher.suites":       "",
	"ssl.enabled.protocols":   "TLSv1.2,TLSv1.3",
}

// brokerEntity maps a BROKER resource name to its /config/brokers child:
// "" is the cluster default; an id must be this broker's, since each
// broker validates its own dynamic configs.
func (a *KafkaApis) brokerEntity(name string) (string, error) {
	if name == "" {
		return "<default>", nil
	}
	id, err := strconv.Atoi(name)
	if err != nil || int32(id) != a.cfg.BrokerID {
		return "", fmt.Errorf("%w: Unexpected broker id, expected %d, but received %s", kerr.InvalidRequest, a.cfg.BrokerID, name)
	}
	return name, nil
}

// alterBrokerConfigs validates and stores the full dynamic set of this
// broker or of the cluster default, then announces it.
func (a *KafkaApis) alterBrokerConfigs(name string, props map[string]string, validateOnly bool) error {
	entity, err := a.brokerEntity(name)
	if err != nil {
		return err
	}
	if a.cfg.ValidateBrokerConfig == nil {
		return fmt.Errorf("%w: Dynamic broker configs are not supported by this broker", kerr.InvalidRequest)
	}
	if err := a.cfg.ValidateBrokerConfig(props, name != ""); err != nil {
		return &admin.Error{Code: kerr.InvalidRequest.Code,
			Message: fmt.Sprintf("Invalid config value for resource %s: %s", configResource(kmsg.ConfigResourceTypeBroker, name), err.Error())}
	}
	if validateOnly {
		return nil
	}
	a.log.Infof("Updating broker %s with new configuration : %s", entity, renderProps(props))
	if err := a.zk.SetOrCreateEntityConfig(zkutil.ConfigTypeBroker, entity, props); err != nil {
		return err
	}
	if err := a.zk.CreateConfigChangeNotification(zkutil.ConfigTypeBroker + "/" + entity); err != nil {
		return err
	}
	if a.brokerConfigStored != nil {
		a.brokerConfigStored(entity)
	}
	return nil
}

// OnBrokerConfigStored sets what runs after a broker config change is
// stored and announced: the broker applies it before it answers.
func (a *KafkaApis) OnBrokerConfigStored(f func(entity string)) { a.brokerConfigStored = f }

// SetDynamicBrokerConfig switches broker describes to the dynamic view and
// enables broker AlterConfigs.
func (a *KafkaApis) SetDynamicBrokerConfig(validate func(map[string]string, bool) error, describeBroker func() []ConfigEntry, describeTopic func(map[string]string) []ConfigEntry) {
	a.cfg.ValidateBrokerConfig = validate
	a.cfg.DescribeBrokerConfigs = describeBroker
	a.cfg.DescribeTopicConfigs = describeTopic
}

// topicConfigError sorts validation failures as Kafka does: unknown names
// and conflicting settings are INVALID_CONFIG (InvalidConfigurationException),
// a value that does not parse is a ConfigException, answered as
// INVALID_REQUEST with the resource named in the message.
func topicConfigError(topic string, err error) error {
	msg := err.Error()
	if strings.HasPrefix(msg, "Unknown topic config name") || strings.HasPrefix(msg, "conflict topic config") {
		return &admin.Error{Code: kerr.InvalidConfig.Code, Message: msg}
	}
	return &admin.Error{Code: kerr.InvalidRequest.Code,
		Message: fmt.Sprintf("Invalid config value for resource %s: %s", configResource(kmsg.ConfigResourceTypeTopic, topic), msg)}
}

func configResource(typ kmsg.ConfigResourceType, name string) string {
	return fmt.Sprintf("ConfigResource(type=%s, name='%s')", resourceTypeName(typ), name)
}

func resourceTypeName(typ kmsg.ConfigResourceType) string {
	switch typ {
	case kmsg.ConfigResourceTypeTopic:
		return "TOPIC"
	case kmsg.ConfigResourceTypeBroker:
		return "BROKER"
	case kmsg.ConfigResourceTypeBrokerLogger:
		return "BROKER_LOGGER"
	}
	return "UNKNOWN"
}

func renderProps(props map[string]string) string {
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + " -> " + props[k]
	}
	return strings.Join(parts, ",")
}

// alterConfigsError turns an error into the code and message of one
// resource's result; kerr errors wrapped with a message keep it.
func alterConfigsError(err error) (int16, *string) {
	if err == nil {
		return 0, nil
	}
	var ke *kerr.Error
	if errors.As(err, &ke) {
		msg := strings.TrimPrefix(err.Error(), ke.Error()+": ")
		return ke.Code, &msg
	}
	return errorCode(err), errorMessage(err)
}
