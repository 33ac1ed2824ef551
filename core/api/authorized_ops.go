package api

import (
	"github.com/gokafka/kafka/core/network"
	"github.com/gokafka/kafka/zkutil"
)

// supportedOperations is 2.8's AclEntry.supportedOperations: the operations
// an authorized-operations bit field (KIP-430) can report per resource type.
var supportedOperations = map[int8][]int8{
	zkutil.ResourceTopic: {zkutil.OpRead, zkutil.OpWrite, zkutil.OpCreate, zkutil.OpDescribe,
		zkutil.OpDelete, zkutil.OpAlter, zkutil.OpDescribeConfigs, zkutil.OpAlterConfigs},
	zkutil.ResourceGroup: {zkutil.OpRead, zkutil.OpDescribe, zkutil.OpDelete},
	zkutil.ResourceCluster: {zkutil.OpCreate, zkutil.OpClusterAction, zkutil.OpDescribeConfigs,
		zkutil.OpAlterConfigs, zkutil.OpIdempotentWrite, zkutil.OpAlter, zkutil.OpDescribe},
	zkutil.ResourceTransactionalID: {zkutil.OpDescribe, zkutil.OpWrite},
	zkutil.ResourceDelegationToken: {zkutil.OpDescribe},
}

// authorizedOperations is 2.8's AuthHelper.authorizedOperations: bit
// 1<<code for each supported operation the request's principal may perform
// on the resource; every supported one without an authorizer. Denials are
// not logged (2.8 passes logIfDenied=false): the client only asks what it
// may do, it attempts nothing.
func (a *KafkaApis) authorizedOperations(req *network.Request, resourceType int8, name string) int32 {
	var bits int32
	for _, op := range supportedOperations[resourceType] {
		if a.authorizer == nil || a.authorizer.Allowed(req.Principal, req.ClientHost, op, resourceType, name) {
			bits |= 1 << op
		}
	}
	return bits
}

// clusterAuthorizedOperations is what Metadata v8-v10 and DescribeCluster
// report when asked: 0 unless the principal may DESCRIBE the cluster. That
// check is a real one in 2.8 (logged when denied), unlike the per-operation
// checks behind the bits.
func (a *KafkaApis) clusterAuthorizedOperations(req *network.Request) int32 {
	if a.authorizer != nil && !a.authorizeCluster(req, zkutil.OpDescribe) {
		return 0
	}
	return a.authorizedOperations(req, zkutil.ResourceCluster, zkutil.ClusterResourceName)
}
