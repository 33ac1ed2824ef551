package api

import (
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gokafka/kafka/core/coordinator/group"
	"github.com/gokafka/kafka/core/network"
)

// handleJoinGroup parks the request until the group's rebalance
// completes; the connection answers nothing else meanwhile, as in Kafka.
func (a *KafkaApis) handleJoinGroup(req *network.Request, body *kmsg.JoinGroupRequest) kmsg.Response {
	resp := body.ResponseKind().(*kmsg.JoinGroupResponse)
	rebalanceTimeout := body.RebalanceTimeoutMillis
	if body.Version == 0 {
		rebalanceTimeout = body.SessionTimeoutMillis
	}
	protocols := make([]group.Protocol, 0, len(body.Protocols))
	for _, p := range body.Protocols {
		protocols = append(protocols, group.Protocol{Name: p.Name, Metadata: p.Metadata})
	}
	r := a.groups.HandleJoinGroup(group.JoinRequest{
		GroupID: body.Group, MemberID: body.MemberID, GroupInstanceID: body.InstanceID,
		RequireKnownMemberID: body.Version >= 4 && body.InstanceID == nil,
		ClientID:             req.Header.ClientID, ClientHost: "/" + req.ClientHost,
		RebalanceTimeoutMs: rebalanceTimeout, SessionTimeoutMs: body.SessionTimeoutMillis,
		ProtocolType: body.ProtocolType, Protocols: protocols,
	}, a.done)
	resp.ErrorCode = r.Error
	resp.Generation = r.GenerationID
	resp.ProtocolType = r.ProtocolType
	resp.Protocol = r.ProtocolName
	resp.LeaderID = r.LeaderID
	resp.MemberID = r.MemberID
	for _, m := range r.Members {
		rm := kmsg.NewJoinGroupResponseMember()
		rm.MemberID, rm.InstanceID, rm.ProtocolMetadata = m.MemberID, m.GroupInstanceID, m.Metadata
		resp.Members = append(resp.Members, rm)
	}
	return resp
}

func (a *KafkaApis) handleSyncGroup(body *kmsg.SyncGroupRequest) kmsg.Response {
	resp := body.ResponseKind().(*kmsg.SyncGroupResponse)
	assignments := make(map[string][]byte, len(body.GroupAssignment))
	for _, ga := range body.GroupAssignment {
		assignments[ga.MemberID] = ga.MemberAssignment
	}
	r := a.groups.HandleSyncGroup(group.SyncRequest{
		GroupID: body.Group, GenerationID: body.Generation, MemberID: body.MemberID,
		ProtocolType: body.ProtocolType, ProtocolName: body.Protocol, GroupInstanceID: body.InstanceID,
		Assignments: assignments,
	}, a.done)
	resp.ErrorCode = r.Error
	resp.ProtocolType, resp.Protocol = r.ProtocolType, r.ProtocolName
	resp.MemberAssignment = r.Assignment
	if resp.MemberAssignment == nil {
		resp.MemberAssignment = []byte{}
	}
	return resp
}

func (a *KafkaApis) handleHeartbeat(body *kmsg.HeartbeatRequest) kmsg.Response {
	resp := body.ResponseKind().(*kmsg.HeartbeatResponse)
	resp.ErrorCode = a.groups.HandleHeartbeat(body.Group, body.MemberID, body.InstanceID, body.Generation)
	return resp
}

// handleLeaveGroup removes one member (v0-v2) or a batch (v3+). Before v3
// the member's own error is the response's error.
func (a *KafkaApis) handleLeaveGroup(body *kmsg.LeaveGroupRequest) kmsg.Response {
	resp := body.ResponseKind().(*kmsg.LeaveGroupResponse)
	var leaving []group.LeavingMember
	if body.Version < 3 {
		leaving = []group.LeavingMember{{MemberID: body.MemberID}}
	} else {
		for _, m := range body.Members {
			leaving = append(leaving, group.LeavingMember{MemberID: m.MemberID, GroupInstanceID: m.InstanceID})
		}
	}
	code, perMember := a.groups.HandleLeaveGroup(body.Group, leaving)
	resp.ErrorCode = code
	if body.Version < 3 {
		if code == 0 && len(perMember) == 1 {
			resp.ErrorCode = perMember[0]
		}
		return resp
	}
	for i, m := range leaving {
		if perMember == nil {
			break
		}
		rm := kmsg.NewLeaveGroupResponseMember()
		rm.MemberID, rm.InstanceID, rm.ErrorCode = m.MemberID, m.GroupInstanceID, perMember[i]
		resp.Members = append(resp.Members, rm)
	}
	return resp
}

// isGroupAPI tells the keys the group coordinator answers.
func isGroupAPI(key int16) bool {
	switch key {
	case 8, 9, 10, 11, 12, 13, 14, 15, 16, 42, 47:
		return true
	}
	return false
}

// handleGroupAPI dispatches the group coordinator's APIs.
func (a *KafkaApis) handleGroupAPI(req *network.Request) kmsg.Response {
	switch body := req.Body.(type) {
	case *kmsg.FindCoordinatorRequest:
		return a.handleFindCoordinator(req, body)
	case *kmsg.JoinGroupRequest:
		return a.handleJoinGroup(req, body)
	case *kmsg.SyncGroupRequest:
		return a.handleSyncGroup(body)
	case *kmsg.HeartbeatRequest:
		return a.handleHeartbeat(body)
	case *kmsg.LeaveGroupRequest:
		return a.handleLeaveGroup(body)
	case *kmsg.OffsetCommitRequest:
		return a.handleOffsetCommit(body)
	case *kmsg.OffsetFetchRequest:
		return a.handleOffsetFetch(body)
	case *kmsg.DescribeGroupsRequest:
		return a.handleDescribeGroups(req, body)
	case *kmsg.ListGroupsRequest:
		return a.handleListGroups(body)
	case *kmsg.DeleteGroupsRequest:
		return a.handleDeleteGroups(body)
	case *kmsg.OffsetDeleteRequest:
		return a.handleOffsetDelete(body)
	}
	return nil
}
