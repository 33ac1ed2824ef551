// Package zkutil holds every ZooKeeper path Kafka 2.x uses and the JSON codec
// of each znode, plus a client (the KafkaZkClient counterpart) that reads and
// writes them with Kafka's semantics (ephemeral checks, epoch-fenced multis).
//
// Mirrors kafka/zk/ZkData.scala and kafka/zk/KafkaZkClient.scala (2.8).
// Codecs are pure functions; their output is byte-compatible with a Kafka
// 2.8 broker built for Scala 2.12 (same keys, same value types, same order).
package zkutil

import (
	"encoding/json"
	"fmt"
	"net"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Top-level and fixed paths (ZkData.scala object names in comments).
const (
	ConsumersPath                = "/consumers"                 // ConsumerPathZNode
	BrokersPath                  = "/brokers"                   // BrokersZNode
	BrokerIDsPath                = "/brokers/ids"               // BrokerIdsZNode
	TopicsPath                   = "/brokers/topics"            // TopicsZNode
	BrokerSeqIDPath              = "/brokers/seqid"             // BrokerSequenceIdZNode
	ControllerPath               = "/controller"                // ControllerZNode
	ControllerEpochPath          = "/controller_epoch"          // ControllerEpochZNode
	AdminPath                    = "/admin"                     // AdminZNode
	DeleteTopicsPath             = "/admin/delete_topics"       // DeleteTopicsZNode
	ReassignPartitionsPath       = "/admin/reassign_partitions" // ReassignPartitionsZNode
	PreferredReplicaElectionPath = "/admin/preferred_replica_election"
	ConfigPath                   = "/config"                  // ConfigZNode
	ConfigChangesPath            = "/config/changes"          // ConfigEntityChangeNotificationZNode
	ConfigChangePrefix           = "config_change_"           // sequence prefix
	IsrChangeNotificationPath    = "/isr_change_notification" // IsrChangeNotificationZNode
	IsrChangePrefix              = "isr_change_"              // sequence prefix
	LogDirEventNotificationPath  = "/log_dir_event_notification"
	LogDirEventPrefix            = "log_dir_event_"
	ClusterPath                  = "/cluster"                  // ClusterZNode
	ClusterIDPath                = "/cluster/id"               // ClusterIdZNode
	ProducerIDBlockPath          = "/latest_producer_id_block" // ProducerIdBlockZNode
)

// Config entity types (kafka.server.ConfigType).
const (
	ConfigTypeTopic  = "topics"
	ConfigTypeClient = "clients"
	ConfigTypeUser   = "users"
	ConfigTypeBroker = "brokers"
	ConfigTypeIP     = "ips"
)

// ConfigTypes lists every entity type that has a /config/<type> node.
var ConfigTypes = []string{ConfigTypeTopic, ConfigTypeClient, ConfigTypeUser, ConfigTypeBroker, ConfigTypeIP}

// PersistentZkPaths are created by every broker at startup (ZkData.PersistentZkPaths).
var PersistentZkPaths = append([]string{
	ConsumersPath,
	BrokerIDsPath,
	TopicsPath,
	ConfigChangesPath,
	DeleteTopicsPath,
	BrokerSeqIDPath,
	IsrChangeNotificationPath,
	ProducerIDBlockPath,
	LogDirEventNotificationPath,
}, configTypePaths()...)

func configTypePaths() []string {
	out := make([]string, len(ConfigTypes))
	for i, t := range ConfigTypes {
		out[i] = ConfigEntityTypePath(t)
	}
	return out
}

// BrokerIDPath is /brokers/ids/<id>.
func BrokerIDPath(id int32) string { return BrokerIDsPath + "/" + strconv.Itoa(int(id)) }

// TopicPath is /brokers/topics/<topic>.
func TopicPath(topic string) string { return TopicsPath + "/" + topic }

// TopicPartitionsPath is /brokers/topics/<topic>/partitions.
func TopicPartitionsPath(topic string) string { return TopicPath(topic) + "/partitions" }

// TopicPartitionPath is /brokers/topics/<topic>/partitions/<p>.
func TopicPartitionPath(tp TopicPartition) string {
	return TopicPartitionsPath(tp.Topic) + "/" + strconv.Itoa(int(tp.Partition))
}

// TopicPartitionStatePath is /brokers/topics/<topic>/partitions/<p>/state.
func TopicPartitionStatePath(tp TopicPartition) string { return TopicPartitionPath(tp) + "/state" }

// DeleteTopicPath is /admin/delete_topics/<topic>.
func DeleteTopicPath(topic string) string { return DeleteTopicsPath + "/" + topic }

// ConfigEntityTypePath is /config/<entityType>.
func ConfigEntityTypePath(entityType string) string { return ConfigPath + "/" + entityType }

// ConfigEntityPath is /config/<entityType>/<name>.
func ConfigEntityPath(entityType, name string) string {
	return ConfigEntityTypePath(entityType) + "/" + name
}

// TopicPartition names one partition of a topic.
type TopicPartition struct {
	Topic     string
	Partition int32
}

func (tp TopicPartition) String() string { return tp.Topic + "-" + strconv.Itoa(int(tp.Partition)) }

// ---------------------------------------------------------------------------
// /brokers/ids/<id>  (BrokerIdZNode)

// EndPoint is one advertised listener of a broker.
type EndPoint struct {
	ListenerName     string
	Host             string
	Port             int32
	SecurityProtocol string
}

// ConnectionString renders "LISTENER://host:port" (IPv6 hosts in brackets).
func (e EndPoint) ConnectionString() string {
	hostPort := ":" + strconv.Itoa(int(e.Port))
	if e.Host != "" {
		hostPort = net.JoinHostPort(e.Host, strconv.Itoa(int(e.Port)))
	}
	return e.ListenerName + "://" + hostPort
}

// BrokerInfo is a broker registration.
type BrokerInfo struct {
	ID        int32
	Endpoints []EndPoint
	JmxPort   int32
	Timestamp int64  // ms; written as a string
	Rack      string // "" = none
	Version   int    // registration JSON version; 0 means 4
	Epoch     int64  // czxid of the znode, filled by reads
}

// DefaultBrokerInfoVersion is what 2.0-2.6 (and 2.7+ with an older IBP) write.
const DefaultBrokerInfoVersion = 4

// EncodeBrokerInfo renders the registration JSON (BrokerIdZNode.encode).
func EncodeBrokerInfo(b BrokerInfo) []byte {
	version := b.Version
	if version == 0 {
		version = DefaultBrokerInfoVersion
	}
	host, port := []byte("null"), int64(-1)
	for _, e := range b.Endpoints {
		if e.SecurityProtocol == "PLAINTEXT" {
			host, port = jsonString(e.Host), int64(e.Port)
			break
		}
	}
	endpoints := make([]string, len(b.Endpoints))
	for i, e := range b.Endpoints {
		endpoints[i] = e.ConnectionString()
	}
	fields := []field{
		{"version", jsonInt(int64(version))},
		{"host", host},
		{"port", jsonInt(port)},
		{"endpoints", jsonStrings(endpoints)},
		{"jmx_port", jsonInt(int64(b.JmxPort))},
		{"timestamp", jsonString(strconv.FormatInt(b.Timestamp, 10))},
	}
	if b.Rack != "" && version >= 3 {
		fields = append(fields, field{"rack", jsonString(b.Rack)})
	}
	if version >= 4 {
		protocols := make([]field, 0, len(b.Endpoints))
		seen := map[string]bool{}
		for _, e := range b.Endpoints {
			if !seen[e.ListenerName] {
				seen[e.ListenerName] = true
				protocols = append(protocols, field{e.ListenerName, jsonString(e.SecurityProtocol)})
			}
		}
		fields = append(fields, field{"listener_security_protocol_map", object(protocols)})
	}
	if version >= 5 {
		fields = append(fields, field{"features", []byte("{}")})
	}
	return hashMapObject(fields)
}

type brokerInfoJSON struct {
	Version     *int              `json:"version"`
	Host        *string           `json:"host"`
	Port        int32             `json:"port"`
	JmxPort     int32             `json:"jmx_port"`
	Timestamp   string            `json:"timestamp"`
	Endpoints   []string          `json:"endpoints"`
	Rack        *string           `json:"rack"`
	ProtocolMap map[string]string `json:"listener_security_protocol_map"`
}

var endpointPattern = regexp.MustCompile(`^(.*)://\[?([0-9a-zA-Z\-%._:]*)\]?:(-?[0-9]+)$`)

// DecodeBrokerInfo parses a registration of any version 1-5 (BrokerIdZNode.decode).
func DecodeBrokerInfo(id int32, data []byte) (BrokerInfo, error) {
	var j brokerInfoJSON
	if err := json.Unmarshal(data, &j); err != nil || j.Version == nil {
		return BrokerInfo{}, fmt.Errorf("Failed to parse ZooKeeper registration for broker %d: %s", id, data)
	}
	if *j.Version < 1 {
		return BrokerInfo{}, fmt.Errorf("Unsupported version of broker registration: %s", data)
	}
	b := BrokerInfo{ID: id, JmxPort: j.JmxPort, Version: *j.Version}
	b.Timestamp, _ = strconv.ParseInt(j.Timestamp, 10, 64)
	if j.Rack != nil {
		b.Rack = *j.Rack
	}
	if *j.Version == 1 {
		host := ""
		if j.Host != nil {
			host = *j.Host
		}
		b.Endpoints = []EndPoint{{ListenerName: "PLAINTEXT", Host: host, Port: j.Port, SecurityProtocol: "PLAINTEXT"}}
		return b, nil
	}
	for _, s := range j.Endpoints {
		e, err := ParseEndPoint(s, j.ProtocolMap)
		if err != nil {
			return BrokerInfo{}, err
		}
		b.Endpoints = append(b.Endpoints, e)
	}
	return b, nil
}

// ParseEndPoint parses "LISTENER://host:port"; the security protocol comes
// from protocolMap, or is the listener name itself when the map lacks it.
func ParseEndPoint(s string, protocolMap map[string]string) (EndPoint, error) {
	m := endpointPattern.FindStringSubmatch(s)
	if m == nil {
		return EndPoint{}, fmt.Errorf("Unable to parse %s to a broker endpoint", s)
	}
	port, err := strconv.ParseInt(m[3], 10, 32)
	if err != nil {
		return EndPoint{}, fmt.Errorf("Unable to parse %s to a broker endpoint", s)
	}
	listener := strings.ToUpper(m[1])
	protocol, ok := protocolMap[listener]
	if !ok {
		protocol = listener
	}
	return EndPoint{ListenerName: listener, Host: m[2], Port: int32(port), SecurityProtocol: protocol}, nil
}

// ---------------------------------------------------------------------------
// /controller and /controller_epoch

// EncodeController renders {"version":1,"brokerid":1,"timestamp":"..."}.
func EncodeController(brokerID int32, timestampMs int64) []byte {
	return object([]field{
		{"version", jsonInt(1)},
		{"brokerid", jsonInt(int64(brokerID))},
		{"timestamp", jsonString(strconv.FormatInt(timestampMs, 10))},
	})
}

// DecodeController returns the broker id stored in /controller.
func DecodeController(data []byte) (int32, error) {
	var j struct {
		BrokerID *int32 `json:"brokerid"`
	}
	if err := json.Unmarshal(data, &j); err != nil || j.BrokerID == nil {
		return 0, fmt.Errorf("Failed to parse the controller info json %s", data)
	}
	return *j.BrokerID, nil
}

// EncodeControllerEpoch renders the epoch as plain text, not JSON.
func EncodeControllerEpoch(epoch int32) []byte { return []byte(strconv.Itoa(int(epoch))) }

// DecodeControllerEpoch parses the plain-text epoch.
func DecodeControllerEpoch(data []byte) (int32, error) {
	v, err := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 32)
	if err != nil {
		return 0, fmt.Errorf("invalid controller epoch %q", data)
	}
	return int32(v), nil
}

// ---------------------------------------------------------------------------
// /brokers/topics/<topic>  (TopicZNode)

// TopicAssignment is the replica assignment of a topic.
type TopicAssignment struct {
	Topic            string
	TopicID          string // 22-char base64url uuid, "" if none (pre-2.8)
	Partitions       map[int32][]int32
	AddingReplicas   map[int32][]int32
	RemovingReplicas map[int32][]int32
	ZkVersion        int32 // stat.version of the topic znode, filled by reads
}

// TopicAssignmentVersion is the version written (2.8, with topic ids).
const TopicAssignmentVersion = 3

func partitionMapObject(m map[int32][]int32) []byte {
	ids := make([]int32, 0, len(m))
	for p := range m {
		ids = append(ids, p)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	fields := make([]field, 0, len(ids))
	for _, p := range ids {
		fields = append(fields, field{strconv.Itoa(int(p)), jsonInts(m[p])})
	}
	return hashMapObject(fields)
}

// EncodeTopicAssignment renders version 3: partitions, adding/removing
// replicas (only partitions being reassigned appear) and topic_id if set.
func EncodeTopicAssignment(a TopicAssignment) []byte {
	fields := []field{
		{"version", jsonInt(TopicAssignmentVersion)},
		{"partitions", partitionMapObject(a.Partitions)},
		{"adding_replicas", partitionMapObject(nonEmpty(a.AddingReplicas))},
		{"removing_replicas", partitionMapObject(nonEmpty(a.RemovingReplicas))},
	}
	if a.TopicID != "" {
		fields = append(fields, field{"topic_id", jsonString(a.TopicID)})
	}
	return hashMapObject(fields)
}

func nonEmpty(m map[int32][]int32) map[int32][]int32 {
	out := map[int32][]int32{}
	for p, r := range m {
		if len(r) > 0 {
			out[p] = r
		}
	}
	return out
}

// DecodeTopicAssignment parses versions 1-3.
func DecodeTopicAssignment(topic string, data []byte) (TopicAssignment, error) {
	var j struct {
		TopicID    string             `json:"topic_id"`
		Partitions map[string][]int32 `json:"partitions"`
		Adding     map[string][]int32 `json:"adding_replicas"`
		Removing   map[string][]int32 `json:"removing_replicas"`
	}
	a := TopicAssignment{Topic: topic, Partitions: map[int32][]int32{},
		AddingReplicas: map[int32][]int32{}, RemovingReplicas: map[int32][]int32{}}
	if len(data) == 0 {
		return a, nil
	}
	if err := json.Unmarshal(data, &j); err != nil {
		return a, fmt.Errorf("Failed to parse the topic assignment json for %s: %s", topic, data)
	}
	a.TopicID = j.TopicID
	for _, part := range []struct {
		src map[string][]int32
		dst map[int32][]int32
	}{{j.Partitions, a.Partitions}, {j.Adding, a.AddingReplicas}, {j.Removing, a.RemovingReplicas}} {
		for k, v := range part.src {
			p, err := strconv.ParseInt(k, 10, 32)
			if err != nil {
				return a, fmt.Errorf("invalid partition %q in assignment of %s", k, topic)
			}
			if v == nil {
				v = []int32{}
			}
			part.dst[int32(p)] = v
		}
	}
	return a, nil
}

// ---------------------------------------------------------------------------
// /brokers/topics/<topic>/partitions/<p>/state  (TopicPartitionStateZNode)

// LeaderIsr is a partition's leader, ISR and the epochs that fence them.
type LeaderIsr struct {
	Leader, LeaderEpoch int32
	Isr                 []int32
	ControllerEpoch     int32
	ZkVersion           int32 // stat.version of the state znode
}

// NoLeader is the leader id of a partition without one.
const NoLeader = -1

// EncodePartitionState renders {"controller_epoch":1,"leader":1,"version":1,"leader_epoch":0,"isr":[1,2,3]}.
func EncodePartitionState(s LeaderIsr) []byte {
	isr := s.Isr
	if isr == nil {
		isr = []int32{}
	}
	return object([]field{
		{"controller_epoch", jsonInt(int64(s.ControllerEpoch))},
		{"leader", jsonInt(int64(s.Leader))},
		{"version", jsonInt(1)},
		{"leader_epoch", jsonInt(int64(s.LeaderEpoch))},
		{"isr", jsonInts(isr)},
	})
}

// DecodePartitionState parses a state znode; zkVersion is its stat.version.
func DecodePartitionState(data []byte, zkVersion int32) (LeaderIsr, error) {
	var j struct {
		Leader          *int32  `json:"leader"`
		LeaderEpoch     int32   `json:"leader_epoch"`
		Isr             []int32 `json:"isr"`
		ControllerEpoch int32   `json:"controller_epoch"`
	}
	if err := json.Unmarshal(data, &j); err != nil || j.Leader == nil {
		return LeaderIsr{}, fmt.Errorf("Failed to parse the partition state json %s", data)
	}
	if j.Isr == nil {
		j.Isr = []int32{}
	}
	return LeaderIsr{Leader: *j.Leader, LeaderEpoch: j.LeaderEpoch, Isr: j.Isr,
		ControllerEpoch: j.ControllerEpoch, ZkVersion: zkVersion}, nil
}

// ---------------------------------------------------------------------------
// /cluster/id

// EncodeClusterID renders {"version":"1","id":"..."} (version is a string).
func EncodeClusterID(id string) []byte {
	return object([]field{{"version", jsonString("1")}, {"id", jsonString(id)}})
}

// DecodeClusterID returns the id.
func DecodeClusterID(data []byte) (string, error) {
	var j struct {
		ID *string `json:"id"`
	}
	if err := json.Unmarshal(data, &j); err != nil || j.ID == nil {
		return "", fmt.Errorf("Failed to parse the cluster id json %s", data)
	}
	return *j.ID, nil
}

// ---------------------------------------------------------------------------
// /config/<type>/<name> and /config/changes/config_change_N

// EncodeEntityConfig renders {"version":1,"config":{...}}; values are
// strings. Kafka's key order comes from a java.util.Properties, which is not
// reproducible; keys are sorted instead.
func EncodeEntityConfig(config map[string]string) []byte {
	keys := make([]string, 0, len(config))
	for k := range config {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fields := make([]field, len(keys))
	for i, k := range keys {
		fields[i] = field{k, jsonString(config[k])}
	}
	return object([]field{{"version", jsonInt(1)}, {"config", object(fields)}})
}

// DecodeEntityConfig returns the config map; empty or missing data gives an empty map.
func DecodeEntityConfig(data []byte) (map[string]string, error) {
	out := map[string]string{}
	if len(data) == 0 {
		return out, nil
	}
	var j struct {
		Config map[string]json.RawMessage `json:"config"`
	}
	if err := json.Unmarshal(data, &j); err != nil {
		return out, fmt.Errorf("Failed to parse the config json %s", data)
	}
	for k, raw := range j.Config {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			s = string(raw) // tolerate numbers written by hand
		}
		out[k] = s
	}
	return out, nil
}

// EncodeConfigChangeNotification renders {"version":2,"entity_path":"topics/t"}.
func EncodeConfigChangeNotification(entityPath string) []byte {
	return object([]field{{"version", jsonInt(2)}, {"entity_path", jsonString(entityPath)}})
}

// DecodeConfigChangeNotification returns entity_path (version 2) or
// "<entity_type>/<entity_name>" (version 1).
func DecodeConfigChangeNotification(data []byte) (string, error) {
	var j struct {
		Version    int    `json:"version"`
		EntityPath string `json:"entity_path"`
		EntityType string `json:"entity_type"`
		EntityName string `json:"entity_name"`
	}
	if err := json.Unmarshal(data, &j); err != nil {
		return "", fmt.Errorf("Failed to parse the config change notification json %s", data)
	}
	if j.Version == 1 {
		return j.EntityType + "/" + j.EntityName, nil
	}
	return j.EntityPath, nil
}

// ---------------------------------------------------------------------------
// partition lists: /isr_change_notification, /admin/preferred_replica_election

// EncodePartitionList renders {"version":1,"partitions":[{"topic":"t","partition":0}]}.
func EncodePartitionList(partitions []TopicPartition) []byte {
	var b []byte
	b = append(b, '[')
	for i, tp := range partitions {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, object([]field{{"topic", jsonString(tp.Topic)},
			{"partition", jsonInt(int64(tp.Partition))}})...)
	}
	b = append(b, ']')
	return object([]field{{"version", jsonInt(1)}, {"partitions", b}})
}

// DecodePartitionList parses an ISR-change or preferred-election node.
func DecodePartitionList(data []byte) ([]TopicPartition, error) {
	var j struct {
		Partitions []struct {
			Topic     string `json:"topic"`
			Partition int32  `json:"partition"`
		} `json:"partitions"`
	}
	if err := json.Unmarshal(data, &j); err != nil {
		return nil, fmt.Errorf("Failed to parse the partition list json %s", data)
	}
	out := make([]TopicPartition, len(j.Partitions))
	for i, p := range j.Partitions {
		out[i] = TopicPartition{p.Topic, p.Partition}
	}
	return out, nil
}

// ---------------------------------------------------------------------------
// /admin/reassign_partitions

// EncodeReassignment renders {"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1,2]}]},
// partitions sorted by topic then partition.
func EncodeReassignment(r map[TopicPartition][]int32) []byte {
	tps := make([]TopicPartition, 0, len(r))
	for tp := range r {
		tps = append(tps, tp)
	}
	sort.Slice(tps, func(i, j int) bool {
		if tps[i].Topic != tps[j].Topic {
			return tps[i].Topic < tps[j].Topic
		}
		return tps[i].Partition < tps[j].Partition
	})
	b := []byte{'['}
	for i, tp := range tps {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, object([]field{{"topic", jsonString(tp.Topic)},
			{"partition", jsonInt(int64(tp.Partition))}, {"replicas", jsonInts(r[tp])}})...)
	}
	b = append(b, ']')
	return object([]field{{"version", jsonInt(1)}, {"partitions", b}})
}

// DecodeReassignment parses /admin/reassign_partitions.
func DecodeReassignment(data []byte) (map[TopicPartition][]int32, error) {
	var j struct {
		Partitions []struct {
			Topic     string  `json:"topic"`
			Partition int32   `json:"partition"`
			Replicas  []int32 `json:"replicas"`
		} `json:"partitions"`
	}
	if err := json.Unmarshal(data, &j); err != nil {
		return nil, fmt.Errorf("Failed to parse the reassignment json %s", data)
	}
	out := make(map[TopicPartition][]int32, len(j.Partitions))
	for _, p := range j.Partitions {
		out[TopicPartition{p.Topic, p.Partition}] = p.Replicas
	}
	return out, nil
}

// ---------------------------------------------------------------------------
// /latest_producer_id_block

// ProducerIDBlockSize is the number of producer ids a broker claims at once.
const ProducerIDBlockSize = 1000

// ProducerIDBlock is a range of producer ids owned by a broker.
type ProducerIDBlock struct {
	BrokerID   int32
	BlockStart int64
	BlockEnd   int64
}

// EncodeProducerIDBlock renders {"version":1,"broker":1,"block_start":"0","block_end":"999"}.
func EncodeProducerIDBlock(b ProducerIDBlock) []byte {
	return object([]field{
		{"version", jsonInt(1)},
		{"broker", jsonInt(int64(b.BrokerID))},
		{"block_start", jsonString(strconv.FormatInt(b.BlockStart, 10))},
		{"block_end", jsonString(strconv.FormatInt(b.BlockEnd, 10))},
	})
}

// DecodeProducerIDBlock parses the block (start/end are strings).
func DecodeProducerIDBlock(data []byte) (ProducerIDBlock, error) {
	var j struct {
		Broker     int32  `json:"broker"`
		BlockStart string `json:"block_start"`
		BlockEnd   string `json:"block_end"`
	}
	if err := json.Unmarshal(data, &j); err != nil {
		return ProducerIDBlock{}, fmt.Errorf("Failed to parse the producerId block json %s", data)
	}
	start, err1 := strconv.ParseInt(j.BlockStart, 10, 64)
	end, err2 := strconv.ParseInt(j.BlockEnd, 10, 64)
	if err1 != nil || err2 != nil {
		return ProducerIDBlock{}, fmt.Errorf("Failed to parse the producerId block json %s", data)
	}
	return ProducerIDBlock{BrokerID: j.Broker, BlockStart: start, BlockEnd: end}, nil
}

// ---------------------------------------------------------------------------
// /log_dir_event_notification/log_dir_event_N

// LogDirFailureEvent is the only event type Kafka writes.
const LogDirFailureEvent = 1

// EncodeLogDirEvent renders {"version":1,"broker":1,"event":1}.
func EncodeLogDirEvent(brokerID int32) []byte {
	return object([]field{{"version", jsonInt(1)}, {"broker", jsonInt(int64(brokerID))},
		{"event", jsonInt(LogDirFailureEvent)}})
}

// DecodeLogDirEvent returns the broker id.
func DecodeLogDirEvent(data []byte) (int32, error) {
	var j struct {
		Broker *int32 `json:"broker"`
	}
	if err := json.Unmarshal(data, &j); err != nil || j.Broker == nil {
		return 0, fmt.Errorf("Failed to parse the log dir event json %s", data)
	}
	return *j.Broker, nil
}

// SequenceNumber returns the 10-digit suffix of a sequential node name.
func SequenceNumber(name, prefix string) string {
	if i := strings.LastIndex(name, prefix); i >= 0 {
		return name[i+len(prefix):]
	}
	return name
}
