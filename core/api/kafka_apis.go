// Package api is the broker's KafkaApis: one handler per API key. Each
// handler works on the kmsg request decoded by the network layer, calls the
// component that owns the data (ReplicaManager, MetadataCache, ZooKeeper
// admin helpers) and returns the response at the request's version.
package api

import (
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gokafka/kafka/core/admin"
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
	"github.com/gokafka/kafka/core/security/authorizer"
	"github.com/gokafka/kafka/zkutil"
)

// Config is the part of the broker configuration the handlers need.
type Config struct {
	BrokerID                 int32
	ClusterID                string
	NumPartitions            int32
	DefaultReplicationFactor int16
	AutoCreateTopicsEnable   bool
	DeleteTopicEnable        bool
	// ValidateTopicConfig checks topic-level config overrides.
	ValidateTopicConfig func(map[string]string) error
	// DescribeTopicConfigs lists every topic config with value and source.
	DescribeTopicConfigs func(overrides map[string]string) []ConfigEntry
	// DescribeBrokerConfigs lists the broker's configs.
	DescribeBrokerConfigs func() []ConfigEntry
	// ValidateBrokerConfig checks a dynamic broker config set (per broker or cluster default); nil: broker configs are read-only.
	ValidateBrokerConfig func(props map[string]string, perBroker bool) error
	// IBPAtLeast reports whether inter.broker.protocol.version is at least the given one; nil: the latest (2.8).
	IBPAtLeast func(version string) bool
}

// ConfigEntry is one row of DescribeConfigs.
type ConfigEntry struct {
	Name, Value string
	Source      int8
	ReadOnly    bool
	Sensitive   bool
	Synonyms    []ConfigSynonym
}

// ConfigSynonym is a lower-precedence source of a config value.
type ConfigSynonym struct {
	Name, Value string
	Source      int8
}

// Controller is what the handlers ask of the KafkaController.
type Controller interface {
	IsActive() bool
	ControlledShutdown(brokerID int32, brokerEpoch int64) ([]zkutil.TopicPartition, error)
	ElectLeaders(kind controller.ElectionType, tps []zkutil.TopicPartition) (map[zkutil.TopicPartition]controller.ElectionResult, error)
	AlterPartitionReassignments(reqs map[zkutil.TopicPartition][]int32) (map[zkutil.TopicPartition]controller.ReassignmentResult, error)
	ListPartitionReassignments() (map[zkutil.TopicPartition]controller.OngoingReassignment, error)
	AlterIsr(brokerID int32, brokerEpoch int64, reqs map[zkutil.TopicPartition]controller.AlterIsrRequest) (map[zkutil.TopicPartition]controller.AlterIsrResult, *kerr.Error, error)
}

// KafkaApis dispatches requests to their handlers.
type KafkaApis struct {
	cfg        Config
	cache      *metadata.MetadataCache
	replicas   *replica.ReplicaManager
	zk         *zkutil.Client
	controller Controller
	groups     *group.GroupCoordinator // set by SetGroupCoordinator
	txn        *transaction.Coordinator
	// producerIDs hands out ids to idempotent producers (SetProducerIDManager).
	producerIDs *transaction.ProducerIDManager
	quotas      *quota.Managers // client quotas (SetQuotaManagers); nil: none
	// fetchManager keeps fetch sessions (SetFetchManager); nil: none.
	fetchManager *fetchsession.FetchManager
	// heldFetches are fetches whose session completion waits for the
	// quota decision (fetch.go).
	heldFetches heldFetches
	// authorizer checks ACLs (SetAuthorizer); nil: no authorizer, every
	// request is allowed and the ACL APIs answer SECURITY_DISABLED.
	authorizer *authorizer.AclAuthorizer
	// brokerConfigStored applies a stored broker config change on this
	// broker (OnBrokerConfigStored); nil: only the notification does.
	brokerConfigStored func(entity string)
	done               <-chan struct{}
	log                *logrus.Entry
}

// NewKafkaApis wires the handlers to the broker's components. done is
// closed at shutdown to release parked requests.
func NewKafkaApis(cfg Config, cache *metadata.MetadataCache, replicas *replica.ReplicaManager, zk *zkutil.Client, controller Controller, done <-chan struct{}) *KafkaApis {
	return &KafkaApis{
		cfg: cfg, cache: cache, replicas: replicas, zk: zk, controller: controller, done: done,
		log: logging.For("kafka.server.KafkaApis").WithField("broker", cfg.BrokerID),
	}
}

// SetProducerIDManager enables InitProducerId for idempotent producers.
func (a *KafkaApis) SetProducerIDManager(m *transaction.ProducerIDManager) { a.producerIDs = m }

// Handle implements network.Handler.
func (a *KafkaApis) Handle(req *network.Request) (kmsg.Response, error) {
	if a.authorizer != nil && req.Body != nil && req.Header.APIKey != 18 && isSupported(req.Header.APIKey, req.Header.APIVersion) {
		return a.handleAuthorized(req) // authorize.go
	}
	return a.handle(req)
}

func (a *KafkaApis) handle(req *network.Request) (kmsg.Response, error) {
	h := req.Header
	if h.APIKey == 18 {
		return a.handleAPIVersions(req), nil
	}
	if !isSupported(h.APIKey, h.APIVersion) || req.Body == nil {
		return nil, fmt.Errorf("unsupported API key %d (%s) version %d from client %q",
			h.APIKey, kmsg.NameForKey(h.APIKey), h.APIVersion, h.ClientID)
	}
	if isGroupAPI(h.APIKey) {
		if a.groups == nil {
			return nil, fmt.Errorf("no group coordinator for %s", kmsg.NameForKey(h.APIKey))
		}
		return a.handleGroupAPI(req), nil
	}
	switch body := req.Body.(type) {
	case *kmsg.MetadataRequest:
		return a.handleMetadata(req, body), nil
	case *kmsg.ProduceRequest:
		return a.handleProduce(body)
	case *kmsg.FetchRequest:
		return a.handleFetch(req, body), nil
	case *kmsg.ListOffsetsRequest:
		return a.handleListOffsets(body), nil
	case *kmsg.CreateTopicsRequest:
		return a.handleCreateTopics(body), nil
	case *kmsg.DeleteTopicsRequest:
		return a.handleDeleteTopics(body), nil
	case *kmsg.CreatePartitionsRequest:
		return a.handleCreatePartitions(body), nil
	case *kmsg.DescribeConfigsRequest:
		return a.handleDescribeConfigs(body), nil
	case *kmsg.AlterConfigsRequest:
		return a.handleAlterConfigs(body), nil
	case *kmsg.IncrementalAlterConfigsRequest:
		return a.handleIncrementalAlterConfigs(body), nil
	case *kmsg.LeaderAndISRRequest:
		return a.replicas.BecomeLeaderOrFollower(body), nil
	case *kmsg.UpdateMetadataRequest:
		return a.handleUpdateMetadata(body), nil
	case *kmsg.StopReplicaRequest:
		return a.replicas.StopReplicas(body), nil
	case *kmsg.AlterPartitionAssignmentsRequest:
		return a.handleAlterPartitionReassignments(body), nil
	case *kmsg.ListPartitionReassignmentsRequest:
		return a.handleListPartitionReassignments(body), nil
	case *kmsg.DescribeClusterRequest:
		return a.handleDescribeCluster(req, body), nil
	case *kmsg.ElectLeadersRequest:
		return a.handleElectLeaders(body), nil
	case *kmsg.ControlledShutdownRequest:
		return a.handleControlledShutdown(body), nil
	case *kmsg.InitProducerIDRequest:
		return a.handleInitProducerID(body), nil
	case *kmsg.AddPartitionsToTxnRequest:
		return a.handleAddPartitionsToTxn(body), nil
	case *kmsg.AddOffsetsToTxnRequest:
		return a.handleAddOffsetsToTxn(body), nil
	case *kmsg.EndTxnRequest:
		return a.handleEndTxn(body), nil
	case *kmsg.OffsetForLeaderEpochRequest:
		return a.handleOffsetForLeaderEpoch(body), nil
	case *kmsg.DeleteRecordsRequest:
		return a.handleDeleteRecords(body), nil
	case *kmsg.SASLHandshakeRequest:
		return a.handleSaslHandshake(body), nil
	case *kmsg.SASLAuthenticateRequest:
		return a.handleSaslAuthenticate(body), nil
	case *kmsg.DescribeACLsRequest:
		return a.handleDescribeAcls(req, body)
	case *kmsg.CreateACLsRequest:
		return a.handleCreateAcls(req, body)
	case *kmsg.DeleteACLsRequest:
		return a.handleDeleteAcls(req, body)
	case *kmsg.CreateDelegationTokenRequest:
		return a.handleCreateDelegationToken(body, req.Principal), nil
	case *kmsg.RenewDelegationTokenRequest:
		return a.handleRenewDelegationToken(body, req.Principal), nil
	case *kmsg.ExpireDelegationTokenRequest:
		return a.handleExpireDelegationToken(body, req.Principal), nil
	case *kmsg.DescribeDelegationTokenRequest:
		return a.handleDescribeDelegationToken(body, req.Principal), nil
	case *kmsg.DescribeUserSCRAMCredentialsRequest:
		return a.handleDescribeUserScramCredentials(body), nil
	case *kmsg.AlterUserSCRAMCredentialsRequest:
		return a.handleAlterUserScramCredentials(body), nil
	case *kmsg.AlterPartitionRequest:
		return a.handleAlterIsr(body), nil
	case *kmsg.UpdateFeaturesRequest:
		return a.handleUpdateFeatures(body), nil
	case *kmsg.DescribeLogDirsRequest:
		return a.handleDescribeLogDirs(body), nil
	case *kmsg.AlterReplicaLogDirsRequest:
		return a.handleAlterReplicaLogDirs(body), nil
	case *kmsg.DescribeClientQuotasRequest:
		return a.handleDescribeClientQuotas(body), nil
	case *kmsg.AlterClientQuotasRequest:
		return a.handleAlterClientQuotas(body), nil
	case *kmsg.WriteTxnMarkersRequest:
		return a.handleWriteTxnMarkers(body), nil
	case *kmsg.DescribeProducersRequest:
		return a.handleDescribeProducers(body), nil
	case *kmsg.TxnOffsetCommitRequest:
		if a.groups == nil {
			return nil, fmt.Errorf("no group coordinator for %s", kmsg.NameForKey(h.APIKey))
		}
		return a.handleTxnOffsetCommit(body), nil
	}
	return nil, fmt.Errorf("no handler for %s", kmsg.NameForKey(h.APIKey))
}

// errorCode maps internal errors to Kafka error codes.
func errorCode(err error) int16 {
	if err == nil {
		return 0
	}
	var ae *admin.Error
	if errors.As(err, &ae) {
		return ae.Code
	}
	var ke *kerr.Error
	if errors.As(err, &ke) {
		return ke.Code
	}
	if c, ok := producerStateErrorCode(err); ok {
		return c
	}
	table := []struct {
		err  error
		code int16
	}{
		{cluster.ErrNotLeader, kerr.NotLeaderForPartition.Code},
		{cluster.ErrNotEnoughReplicas, kerr.NotEnoughReplicas.Code},
		{cluster.ErrFencedLeaderEpoch, kerr.FencedLeaderEpoch.Code},
		{cluster.ErrUnknownLeaderEpoch, kerr.UnknownLeaderEpoch.Code},
		{replica.ErrUnknownPartition, kerr.UnknownTopicOrPartition.Code},
		{replica.ErrRequestTimedOut, kerr.RequestTimedOut.Code},
		{replica.ErrNotEnoughReplicasAfterAppend, kerr.NotEnoughReplicasAfterAppend.Code},
		{klog.ErrOffsetOutOfRange, kerr.OffsetOutOfRange.Code},
		{record.ErrCorruptMessage, kerr.CorruptMessage.Code},
		{record.ErrRecordTooLarge, kerr.MessageTooLarge.Code},
		{record.ErrRecordBatchTooLarge, kerr.RecordListTooLarge.Code},
		{record.ErrInvalidRecord, kerr.InvalidRecord.Code},
		{record.ErrUnsupportedMagic, kerr.UnsupportedForMessageFormat.Code},
	}
	for _, e := range table {
		if errors.Is(err, e.err) {
			return e.code
		}
	}
	return kerr.UnknownServerError.Code
}

// notHostedCode is what Kafka answers for a partition this broker does not
// host: NOT_LEADER_OR_FOLLOWER when the cluster knows the partition (the
// client refreshes metadata and retries), UNKNOWN_TOPIC_OR_PARTITION
// otherwise.
func (a *KafkaApis) notHostedCode(topic string, partition int32) int16 {
	if _, ok := a.cache.Partition(topic, partition); ok {
		return kerr.NotLeaderForPartition.Code
	}
	return kerr.UnknownTopicOrPartition.Code
}

// partitionErrorCode maps err for one partition, telling a partition the
// broker does not host apart from an unknown one.
func (a *KafkaApis) partitionErrorCode(topic string, partition int32, err error) int16 {
	if errors.Is(err, replica.ErrUnknownPartition) {
		return a.notHostedCode(topic, partition)
	}
	return errorCode(err)
}

// errorMessage returns the message to put beside a code, or nil when the
// code says it all.
func errorMessage(err error) *string {
	if err == nil {
		return nil
	}
	var ae *admin.Error
	if errors.As(err, &ae) {
		return &ae.Message
	}
	s := err.Error()
	return &s
}

func millis(ms int32) time.Duration { return time.Duration(ms) * time.Millisecond }

// eachByTopic walks m in topic and partition order, calling newTopic before
// the first partition of each topic: responses list partitions per topic.
func eachByTopic[V any](m map[zkutil.TopicPartition]V, newTopic func(topic string), add func(tp zkutil.TopicPartition, v V)) {
	last := ""
	for i, tp := range sortedKeys(m) {
		if i == 0 || tp.Topic != last {
			newTopic(tp.Topic)
			last = tp.Topic
		}
		add(tp, m[tp])
	}
}

func sortedKeys[V any](m map[zkutil.TopicPartition]V) []zkutil.TopicPartition {
	out := make([]zkutil.TopicPartition, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Topic != out[j].Topic {
			return out[i].Topic < out[j].Topic
		}
		return out[i].Partition < out[j].Partition
	})
	return out
}
