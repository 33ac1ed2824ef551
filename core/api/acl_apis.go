package api

import (
	"errors"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gokafka/kafka/core/network"
	"github.com/gokafka/kafka/core/security/authorizer"
	"github.com/gokafka/kafka/zkutil"
)

// SetAuthorizer enables ACL checks (authorizer.class.name = AclAuthorizer):
// the ACL APIs manage its ACLs and every request is authorized as in Kafka
// 2.8's KafkaApis (authorize.go).
func (a *KafkaApis) SetAuthorizer(az *authorizer.AclAuthorizer) { a.authorizer = az }

func strPtr(s string) *string { return &s }

// describeAcls is KafkaApis.handleDescribeAcls with an authorizer: the
// caller needs DESCRIBE on the cluster.
func (a *KafkaApis) describeAcls(r *network.Request, req *kmsg.DescribeACLsRequest, resp *kmsg.DescribeACLsResponse) kmsg.Response {
	resp.Resources = []kmsg.DescribeACLsResponseResource{}
	if !a.authorizeCluster(r, zkutil.OpDescribe) {
		resp.ErrorCode = kerr.ClusterAuthorizationFailed.Code
		resp.ErrorMessage = strPtr(kerr.ClusterAuthorizationFailed.Message)
		return resp
	}
	f := authorizer.Filter{
		ResourceType: int8(req.ResourceType), Name: req.ResourceName, PatternType: int8(req.ResourcePatternType),
		Principal: req.Principal, Host: req.Host, Operation: int8(req.Operation), Permission: int8(req.PermissionType),
	}
	bindings := a.authorizer.Acls(f)
	for i := 0; i < len(bindings); {
		p := bindings[i].Pattern
		res := kmsg.NewDescribeACLsResponseResource()
		res.ResourceType = kmsg.ACLResourceType(p.ResourceType)
		res.ResourceName = p.Name
		res.ResourcePatternType = kmsg.ACLResourcePatternType(p.PatternType)
		for ; i < len(bindings) && bindings[i].Pattern == p; i++ {
			e := bindings[i].Entry
			acl := kmsg.NewDescribeACLsResponseResourceACL()
			acl.Principal, acl.Host = e.Principal, e.Host
			acl.Operation = kmsg.ACLOperation(e.Operation)
			acl.PermissionType = kmsg.ACLPermissionType(e.Permission)
			res.ACLs = append(res.ACLs, acl)
		}
		resp.Resources = append(resp.Resources, res)
	}
	return resp
}

func aclErrorCode(err error) (int16, *string) {
	var inv *authorizer.InvalidRequestError
	if errors.As(err, &inv) {
		return kerr.InvalidRequest.Code, strPtr(inv.Msg)
	}
	return kerr.UnknownServerError.Code, strPtr(err.Error())
}

// createAcls is KafkaApis.handleCreateAcls: ALTER on the cluster, then each
// creation validated (INVALID_REQUEST) and the valid ones stored.
func (a *KafkaApis) createAcls(r *network.Request, req *kmsg.CreateACLsRequest, resp *kmsg.CreateACLsResponse) kmsg.Response {
	for i := range resp.Results {
		resp.Results[i].Default()
	}
	if !a.authorizeCluster(r, zkutil.OpAlter) {
		for i := range resp.Results {
			resp.Results[i].ErrorCode = kerr.ClusterAuthorizationFailed.Code
			resp.Results[i].ErrorMessage = strPtr(kerr.ClusterAuthorizationFailed.Message)
		}
		return resp
	}
	var valid []authorizer.Binding
	var validIdx []int
	for i, c := range req.Creations {
		b := authorizer.Binding{
			Pattern: zkutil.ResourcePattern{ResourceType: int8(c.ResourceType), Name: c.ResourceName, PatternType: int8(c.ResourcePatternType)},
			Entry:   zkutil.AclEntry{Principal: c.Principal, Host: c.Host, Operation: int8(c.Operation), Permission: int8(c.PermissionType)},
		}
		if err := authorizer.ValidateBinding(b); err != nil {
			resp.Results[i].ErrorCode, resp.Results[i].ErrorMessage = aclErrorCode(err)
			continue
		}
		valid = append(valid, b)
		validIdx = append(validIdx, i)
	}
	for j, res := range a.authorizer.CreateAcls(valid) {
		if res.Err != nil {
			i := validIdx[j]
			resp.Results[i].ErrorCode, resp.Results[i].ErrorMessage = aclErrorCode(res.Err)
		}
	}
	return resp
}

// deleteAcls is KafkaApis.handleDeleteAcls: ALTER on the cluster, then per
// filter the ACLs it removed.
func (a *KafkaApis) deleteAcls(r *network.Request, req *kmsg.DeleteACLsRequest, resp *kmsg.DeleteACLsResponse) kmsg.Response {
	for i := range resp.Results {
		resp.Results[i].Default()
		resp.Results[i].MatchingACLs = []kmsg.DeleteACLsResponseResultMatchingACL{}
	}
	if !a.authorizeCluster(r, zkutil.OpAlter) {
		for i := range resp.Results {
			resp.Results[i].ErrorCode = kerr.ClusterAuthorizationFailed.Code
			resp.Results[i].ErrorMessage = strPtr(kerr.ClusterAuthorizationFailed.Message)
		}
		return resp
	}
	filters := make([]authorizer.Filter, len(req.Filters))
	for i, f := range req.Filters {
		filters[i] = authorizer.Filter{
			ResourceType: int8(f.ResourceType), Name: f.ResourceName, PatternType: int8(f.ResourcePatternType),
			Principal: f.Principal, Host: f.Host, Operation: int8(f.Operation), Permission: int8(f.PermissionType),
		}
	}
	for i, res := range a.authorizer.DeleteAcls(filters) {
		if res.Err != nil {
			resp.Results[i].ErrorCode, resp.Results[i].ErrorMessage = aclErrorCode(res.Err)
			continue
		}
		for _, b := range res.Bindings {
			m := kmsg.NewDeleteACLsResponseResultMatchingACL()
			m.ResourceType = kmsg.ACLResourceType(b.Pattern.ResourceType)
			m.ResourceName = b.Pattern.Name
			m.ResourcePatternType = kmsg.ACLResourcePatternType(b.Pattern.PatternType)
			m.Principal, m.Host = b.Entry.Principal, b.Entry.Host
			m.Operation = kmsg.ACLOperation(b.Entry.Operation)
			m.PermissionType = kmsg.ACLPermissionType(b.Entry.Permission)
			resp.Results[i].MatchingACLs = append(resp.Results[i].MatchingACLs, m)
		}
	}
	return resp
}
