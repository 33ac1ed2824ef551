package api

import (
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gokafka/kafka/core/network"
	"github.com/gokafka/kafka/zkutil"
)

func (a *KafkaApis) handleDescribeGroups(req *network.Request, body *kmsg.DescribeGroupsRequest) kmsg.Response {
	resp := body.ResponseKind().(*kmsg.DescribeGroupsResponse)
	for _, id := range body.Groups {
		rg := kmsg.NewDescribeGroupsResponseGroup()
		rg.Group = id
		code, s := a.groups.HandleDescribeGroup(id)
		rg.ErrorCode = code
		rg.State, rg.ProtocolType, rg.Protocol = s.State, s.ProtocolType, s.Protocol
		for _, m := range s.Members {
			rm := kmsg.NewDescribeGroupsResponseGroupMember()
			rm.MemberID, rm.InstanceID, rm.ClientID, rm.ClientHost = m.MemberID, m.GroupInstanceID, m.ClientID, m.ClientHost
			rm.ProtocolMetadata, rm.MemberAssignment = m.Metadata, m.Assignment
			rg.Members = append(rg.Members, rm)
		}
		// 2.8 computes the bits only for groups described without error
		// (the flag is decoded from v3 on); others keep Int.MinValue.
		if body.IncludeAuthorizedOperations && code == 0 {
			rg.AuthorizedOperations = a.authorizedOperations(req, zkutil.ResourceGroup, id)
		}
		resp.Groups = append(resp.Groups, rg)
	}
	return resp
}

func (a *KafkaApis) handleListGroups(body *kmsg.ListGroupsRequest) kmsg.Response {
	resp := body.ResponseKind().(*kmsg.ListGroupsResponse)
	code, groups := a.groups.HandleListGroups(body.StatesFilter)
	resp.ErrorCode = code
	for _, g := range groups {
		rg := kmsg.NewListGroupsResponseGroup()
		rg.Group, rg.ProtocolType, rg.GroupState = g.GroupID, g.ProtocolType, g.State
		resp.Groups = append(resp.Groups, rg)
	}
	return resp
}

func (a *KafkaApis) handleDeleteGroups(body *kmsg.DeleteGroupsRequest) kmsg.Response {
	resp := body.ResponseKind().(*kmsg.DeleteGroupsResponse)
	codes := a.groups.HandleDeleteGroups(body.Groups)
	for _, id := range body.Groups {
		rg := kmsg.NewDeleteGroupsResponseGroup()
		rg.Group, rg.ErrorCode = id, codes[id]
		resp.Groups = append(resp.Groups, rg)
	}
	return resp
}
