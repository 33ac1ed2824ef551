package api

import (
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gokafka/kafka/core/network"
)

// handleDescribeCluster answers the admin client's cluster description
// (KIP-700): cluster id, controller and the live brokers on the listener
// the request came in on, from the metadata cache. As in 2.8 anyone may
// ask; a principal without DESCRIBE on the cluster only sees 0 as its
// cluster authorized operations, when it asks for them.
func (a *KafkaApis) handleDescribeCluster(req *network.Request, body *kmsg.DescribeClusterRequest) kmsg.Response {
	resp := body.ResponseKind().(*kmsg.DescribeClusterResponse)
	if body.IncludeClusterAuthorizedOperations {
		resp.ClusterAuthorizedOperations = a.clusterAuthorizedOperations(req)
	}
	resp.ClusterID = a.cfg.ClusterID
	resp.ControllerID = a.cache.ControllerID()
	for _, b := range a.liveBrokersOn(req.ListenerName) {
		rb := kmsg.NewDescribeClusterResponseBroker()
		rb.NodeID, rb.Host, rb.Port, rb.Rack = b.id, b.host, b.port, b.rack
		resp.Brokers = append(resp.Brokers, rb)
	}
	return resp
}
