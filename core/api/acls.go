package api

import (
	"fmt"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gokafka/kafka/core/network"
)

// With an authorizer (authorizer.class.name = AclAuthorizer) the three APIs
// are served by acl_apis.go. Without one they are
// answered as Kafka 2.8 answers them: SECURITY_DISABLED, at the top level
// for DescribeAcls and per creation / per filter for the other two. Requests
// that Kafka cannot even parse (UNKNOWN or out-of-range enum codes, pattern
// types other than LITERAL/ANY at version 0) close the connection, as the
// request parser's exception does in Kafka's SocketServer.

const (
	// Kafka's two texts differ by the final period.
	noAuthorizerDescribe = "No Authorizer is configured on the broker"
	noAuthorizerAlter    = "No Authorizer is configured on the broker."
)

// ACL enum codes (org.apache.kafka.common.acl / resource); fromCode maps
// anything unknown to UNKNOWN (0).
const (
	aclPatternAny     = 1
	aclPatternLiteral = 3
)

func knownACLCodes(resourceType kmsg.ACLResourceType, pattern kmsg.ACLResourcePatternType, op kmsg.ACLOperation, perm kmsg.ACLPermissionType) bool {
	return resourceType >= 1 && resourceType <= 6 && // ANY .. DELEGATION_TOKEN
		pattern >= 1 && pattern <= 4 && // ANY, MATCH, LITERAL, PREFIXED
		op >= 1 && op <= 12 && // ANY .. IDEMPOTENT_WRITE
		perm >= 1 && perm <= 3 // ANY, DENY, ALLOW
}

// errInvalidACLRequest is returned to the socket server, which closes the
// connection.
func errInvalidACLRequest(format string, args ...any) error {
	return fmt.Errorf("invalid request: "+format, args...)
}

func (a *KafkaApis) handleDescribeAcls(r *network.Request, req *kmsg.DescribeACLsRequest) (kmsg.Response, error) {
	if req.Version == 0 {
		switch req.ResourcePatternType {
		case aclPatternAny:
			req.ResourcePatternType = aclPatternLiteral
		case aclPatternLiteral:
		default:
			return nil, errInvalidACLRequest("Version 0 only supports literal resource pattern types")
		}
	}
	if !knownACLCodes(req.ResourceType, req.ResourcePatternType, req.Operation, req.PermissionType) {
		return nil, errInvalidACLRequest("DescribeAclsRequest contains UNKNOWN elements")
	}
	resp := req.ResponseKind().(*kmsg.DescribeACLsResponse)
	if a.authorizer != nil {
		return a.describeAcls(r, req, resp), nil
	}
	resp.ErrorCode = kerr.SecurityDisabled.Code
	msg := noAuthorizerDescribe
	resp.ErrorMessage = &msg
	resp.Resources = []kmsg.DescribeACLsResponseResource{}
	return resp, nil
}

func (a *KafkaApis) handleCreateAcls(r *network.Request, req *kmsg.CreateACLsRequest) (kmsg.Response, error) {
	for _, c := range req.Creations {
		if req.Version == 0 && c.ResourcePatternType != aclPatternLiteral {
			return nil, errInvalidACLRequest("Version 0 only supports literal resource pattern types")
		}
		if !knownACLCodes(c.ResourceType, c.ResourcePatternType, c.Operation, c.PermissionType) {
			return nil, errInvalidACLRequest("CreatableAcls contain unknown elements")
		}
	}
	resp := req.ResponseKind().(*kmsg.CreateACLsResponse)
	resp.Results = make([]kmsg.CreateACLsResponseResult, len(req.Creations))
	if a.authorizer != nil {
		return a.createAcls(r, req, resp), nil
	}
	for i := range resp.Results {
		r := &resp.Results[i]
		r.Default()
		r.ErrorCode = kerr.SecurityDisabled.Code
		msg := noAuthorizerAlter
		r.ErrorMessage = &msg
	}
	return resp, nil
}

func (a *KafkaApis) handleDeleteAcls(r *network.Request, req *kmsg.DeleteACLsRequest) (kmsg.Response, error) {
	for i := range req.Filters {
		f := &req.Filters[i]
		if req.Version == 0 {
			switch f.ResourcePatternType {
			case aclPatternAny:
				f.ResourcePatternType = aclPatternLiteral
			case aclPatternLiteral:
			default:
				return nil, errInvalidACLRequest("Version 0 does not support pattern type %d (only LITERAL and ANY are supported)", f.ResourcePatternType)
			}
		}
		if !knownACLCodes(f.ResourceType, f.ResourcePatternType, f.Operation, f.PermissionType) {
			return nil, errInvalidACLRequest("Filters contain UNKNOWN elements")
		}
	}
	resp := req.ResponseKind().(*kmsg.DeleteACLsResponse)
	resp.Results = make([]kmsg.DeleteACLsResponseResult, len(req.Filters))
	if a.authorizer != nil {
		return a.deleteAcls(r, req, resp), nil
	}
	for i := range resp.Results {
		r := &resp.Results[i]
		r.Default()
		r.ErrorCode = kerr.SecurityDisabled.Code
		msg := noAuthorizerAlter
		r.ErrorMessage = &msg
		r.MatchingACLs = []kmsg.DeleteACLsResponseResultMatchingACL{}
	}
	return resp, nil
}
