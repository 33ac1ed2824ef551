package api

import (
	"sort"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gokafka/kafka/core/network"
)

// supportedVersions lists the API keys this broker serves with the version
// ranges Kafka 2.8 supports for them. Only keys that have a handler are
// advertised, so clients never pick an API we cannot answer.
var supportedVersions = map[int16][2]int16{
	0:  {0, 9},  // Produce
	1:  {0, 12}, // Fetch
	2:  {0, 6},  // ListOffsets
	3:  {0, 11}, // Metadata
	4:  {0, 5},  // LeaderAndIsr
	5:  {0, 3},  // StopReplica
	6:  {0, 7},  // UpdateMetadata
	7:  {0, 3},  // ControlledShutdown
	8:  {0, 8},  // OffsetCommit
	9:  {0, 7},  // OffsetFetch
	10: {0, 3},  // FindCoordinator
	11: {0, 7},  // JoinGroup
	12: {0, 4},  // Heartbeat
	13: {0, 4},  // LeaveGroup
	14: {0, 5},  // SyncGroup
	15: {0, 5},  // DescribeGroups
	16: {0, 4},  // ListGroups
	17: {0, 1},  // SaslHandshake (ILLEGAL_SASL_STATE: PLAINTEXT listeners only)
	18: {0, 3},  // ApiVersions
	19: {0, 7},  // CreateTopics
	20: {0, 6},  // DeleteTopics
	21: {0, 2},  // DeleteRecords
	22: {0, 4},  // InitProducerId (idempotent and transactional producers)
	23: {0, 4},  // OffsetForLeaderEpoch
	24: {0, 3},  // AddPartitionsToTxn
	25: {0, 3},  // AddOffsetsToTxn
	26: {0, 3},  // EndTxn
	27: {0, 1},  // WriteTxnMarkers
	28: {0, 3},  // TxnOffsetCommit
	29: {0, 2},  // DescribeAcls (no authorizer: SECURITY_DISABLED)
	30: {0, 2},  // CreateAcls
	31: {0, 2},  // DeleteAcls
	32: {0, 4},  // DescribeConfigs
	33: {0, 2},  // AlterConfigs
	34: {0, 2},  // AlterReplicaLogDirs
	35: {0, 2},  // DescribeLogDirs
	36: {0, 2},  // SaslAuthenticate (ILLEGAL_SASL_STATE)
	37: {0, 3},  // CreatePartitions
	38: {0, 2},  // CreateDelegationToken (DELEGATION_TOKEN_REQUEST_NOT_ALLOWED on PLAINTEXT)
	39: {0, 2},  // RenewDelegationToken
	40: {0, 2},  // ExpireDelegationToken
	41: {0, 2},  // DescribeDelegationToken
	42: {0, 2},  // DeleteGroups
	43: {0, 2},  // ElectLeaders
	44: {0, 1},  // IncrementalAlterConfigs
	45: {0, 0},  // AlterPartitionReassignments
	46: {0, 0},  // ListPartitionReassignments
	47: {0, 0},  // OffsetDelete
	48: {0, 1},  // DescribeClientQuotas
	49: {0, 1},  // AlterClientQuotas
	50: {0, 0},  // DescribeUserScramCredentials
	51: {0, 0},  // AlterUserScramCredentials
	56: {0, 0},  // AlterIsr
	57: {0, 0},  // UpdateFeatures
	60: {0, 0},  // DescribeCluster
	61: {0, 0},  // DescribeProducers
}

func isSupported(key, version int16) bool {
	r, ok := supportedVersions[key]
	return ok && version >= r[0] && version <= r[1]
}

// SupportedAPIKeys returns the advertised keys in ascending order.
func SupportedAPIKeys() []int16 {
	keys := make([]int16, 0, len(supportedVersions))
	for k := range supportedVersions {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	return keys
}

// handleAPIVersions answers with the supported ranges. A version newer than
// ours gets UNSUPPORTED_VERSION in a v0 body that still lists the keys,
// so the client can retry with a version we know.
func (a *KafkaApis) handleAPIVersions(req *network.Request) kmsg.Response {
	resp := kmsg.NewPtrApiVersionsResponse()
	v := req.Header.APIVersion
	if !isSupported(18, v) || req.Body == nil {
		resp.SetVersion(0)
		resp.ErrorCode = kerr.UnsupportedVersion.Code
	} else {
		resp.SetVersion(v)
	}
	for _, k := range SupportedAPIKeys() {
		r := supportedVersions[k]
		ak := kmsg.NewApiVersionsResponseApiKey()
		ak.ApiKey, ak.MinVersion, ak.MaxVersion = k, r[0], r[1]
		resp.ApiKeys = append(resp.ApiKeys, ak)
	}
	return resp
}
