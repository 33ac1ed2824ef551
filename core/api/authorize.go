package api

import (
	"fmt"
	"reflect"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gokafka/kafka/core/network"
	"github.com/gokafka/kafka/zkutil"
)

// Authorization with an authorizer configured, as Kafka 2.8's KafkaApis
// calls authorize() per API. Handle runs handleAuthorized only when
// a.authorizer != nil, so the path without authorizer costs a nil check.
//
// Requests denied as a whole are answered here with the API's error code.
// Requests denied for some topics (or groups) have those removed before
// the handler runs; their error entries are added to its response
// afterwards (strip and merge), so the handlers stay authorization-free.
//
// Not checked (served as with allow): CreateDelegationToken and the other
// token APIs (tokens are refused anyway). DescribeCluster is not checked
// either: 2.8 answers it to anyone. The authorized-operations bit sets of
// Metadata/DescribeGroups/DescribeCluster are computed by the handlers
// (authorized_ops.go).

func (a *KafkaApis) authorizeOp(r *network.Request, op, resourceType int8, name string) bool {
	return a.authorizer.Authorize(r.Principal, r.ClientHost, op, resourceType, name, kmsg.NameForKey(r.Header.APIKey))
}

func (a *KafkaApis) authorizeCluster(r *network.Request, op int8) bool {
	return a.authorizeOp(r, op, zkutil.ResourceCluster, zkutil.ClusterResourceName)
}

func (a *KafkaApis) authorizeTopic(r *network.Request, op int8, topic string) bool {
	return a.authorizeOp(r, op, zkutil.ResourceTopic, topic)
}

// errorResponse answers req with code in its top-level ErrorCode (and
// ErrorMessage, when the response has one).
func errorResponse(req kmsg.Request, code int16) kmsg.Response {
	resp := req.ResponseKind()
	setErrorFields(reflect.ValueOf(resp).Elem(), code)
	return resp
}

func setErrorFields(v reflect.Value, code int16) {
	if f := v.FieldByName("ErrorCode"); f.IsValid() && f.CanSet() {
		f.SetInt(int64(code))
	}
	if f := v.FieldByName("ErrorMessage"); f.IsValid() && f.CanSet() && f.Kind() == reflect.Ptr {
		if e := kerr.ErrorForCode(code); e != nil {
			if ke, ok := e.(*kerr.Error); ok {
				msg := ke.Message
				f.Set(reflect.ValueOf(&msg))
			}
		}
	}
}

// newElem returns a new element of a slice type, with its Default() applied.
func newElem(sliceType reflect.Type) reflect.Value {
	p := reflect.New(sliceType.Elem())
	if d, ok := p.Interface().(interface{ Default() }); ok {
		d.Default()
	}
	return p.Elem()
}

func setString(f reflect.Value, s string) {
	if f.Kind() == reflect.Ptr {
		f.Set(reflect.ValueOf(&s))
	} else {
		f.SetString(s)
	}
}

func getString(f reflect.Value) string {
	if f.Kind() == reflect.Ptr {
		if f.IsNil() {
			return ""
		}
		return f.Elem().String()
	}
	return f.String()
}

// deniedTopics splits the request's Topics field (elements with a Topic
// field) by allowed, keeps the allowed ones in the request and returns the
// denied elements.
func deniedTopics(body kmsg.Request, field string, allowed func(topic string) bool) reflect.Value {
	topics := reflect.ValueOf(body).Elem().FieldByName(field)
	keep := reflect.MakeSlice(topics.Type(), 0, topics.Len())
	denied := reflect.MakeSlice(topics.Type(), 0, 0)
	for i := 0; i < topics.Len(); i++ {
		t := topics.Index(i)
		if allowed(getString(t.FieldByName("Topic"))) {
			keep = reflect.Append(keep, t)
		} else {
			denied = reflect.Append(denied, t)
		}
	}
	if denied.Len() > 0 {
		topics.Set(keep)
	}
	return denied
}

// addPartitionErrors appends to resp.<field> one topic per denied request
// topic, with every requested partition answering code.
func addPartitionErrors(resp kmsg.Response, field string, denied reflect.Value, code int16) {
	out := reflect.ValueOf(resp).Elem().FieldByName(field)
	for i := 0; i < denied.Len(); i++ {
		rt := denied.Index(i)
		t := newElem(out.Type())
		setString(t.FieldByName("Topic"), getString(rt.FieldByName("Topic")))
		rparts := rt.FieldByName("Partitions")
		parts := t.FieldByName("Partitions")
		for j := 0; j < rparts.Len(); j++ {
			rp := rparts.Index(j)
			p := newElem(parts.Type())
			if rp.Kind() == reflect.Int32 {
				p.FieldByName("Partition").SetInt(rp.Int())
			} else {
				p.FieldByName("Partition").SetInt(rp.FieldByName("Partition").Int())
			}
			p.FieldByName("ErrorCode").SetInt(int64(code))
			parts.Set(reflect.Append(parts, p))
		}
		out.Set(reflect.Append(out, t))
	}
}

// addTopicErrors appends to resp.<field> one topic-level error per name.
func addTopicErrors(resp kmsg.Response, field string, names []string, code int16) {
	out := reflect.ValueOf(resp).Elem().FieldByName(field)
	for _, n := range names {
		t := newElem(out.Type())
		setString(t.FieldByName("Topic"), n)
		setErrorFields(t, code)
		out.Set(reflect.Append(out, t))
	}
}

// withDeniedPartitions runs the handler on the allowed topics and adds
// code for every partition of the denied ones; with nothing allowed the
// handler is skipped.
func (a *KafkaApis) withDeniedPartitions(req *network.Request, allowed func(string) bool, code int16) (kmsg.Response, error) {
	total := reflect.ValueOf(req.Body).Elem().FieldByName("Topics").Len()
	denied := deniedTopics(req.Body, "Topics", allowed)
	if denied.Len() == 0 {
		return a.handle(req)
	}
	var resp kmsg.Response
	if denied.Len() == total {
		resp = req.Body.ResponseKind()
	} else {
		var err error
		if resp, err = a.handle(req); err != nil || resp == nil {
			return resp, err
		}
	}
	addPartitionErrors(resp, "Topics", denied, code)
	return resp, nil
}

// withDeniedGroups answers a request naming groups: the groups the
// principal may apply op to are handled as usual (none: an empty response
// of the request's version), and deny adds a GROUP_AUTHORIZATION_FAILED
// entry for each other one.
func (a *KafkaApis) withDeniedGroups(req *network.Request, op int8, groups *[]string, deny func(resp kmsg.Response, group string)) (kmsg.Response, error) {
	var keep, denied []string
	for _, g := range *groups {
		if a.authorizeOp(req, op, zkutil.ResourceGroup, g) {
			keep = append(keep, g)
		} else {
			denied = append(denied, g)
		}
	}
	if len(denied) == 0 {
		return a.handle(req)
	}
	*groups = keep
	resp := req.Body.ResponseKind()
	if len(keep) > 0 {
		var err error
		if resp, err = a.handle(req); err != nil {
			return resp, err
		}
	}
	for _, g := range denied {
		deny(resp, g)
	}
	return resp, nil
}

func (a *KafkaApis) handleAuthorized(req *network.Request) (kmsg.Response, error) {
	topicAuthFailed := kerr.TopicAuthorizationFailed.Code
	clusterAuthFailed := kerr.ClusterAuthorizationFailed.Code
	switch body := req.Body.(type) {
	// Inter-broker APIs need CLUSTER_ACTION.
	case *kmsg.LeaderAndISRRequest, *kmsg.StopReplicaRequest, *kmsg.UpdateMetadataRequest,
		*kmsg.ControlledShutdownRequest, *kmsg.AlterPartitionRequest:
		if !a.authorizeCluster(req, zkutil.OpClusterAction) {
			return errorResponse(req.Body, clusterAuthFailed), nil
		}
	case *kmsg.WriteTxnMarkersRequest:
		if !a.authorizeCluster(req, zkutil.OpClusterAction) {
			resp := body.ResponseKind().(*kmsg.WriteTxnMarkersResponse)
			for _, m := range body.Markers {
				rm := kmsg.NewWriteTxnMarkersResponseMarker()
				rm.ProducerID = m.ProducerID
				for _, t := range m.Topics {
					rt := kmsg.NewWriteTxnMarkersResponseMarkerTopic()
					rt.Topic = t.Topic
					for _, p := range t.Partitions {
						rp := kmsg.NewWriteTxnMarkersResponseMarkerTopicPartition()
						rp.Partition, rp.ErrorCode = p, clusterAuthFailed
						rt.Partitions = append(rt.Partitions, rp)
					}
					rm.Topics = append(rm.Topics, rt)
				}
				resp.Markers = append(resp.Markers, rm)
			}
			return resp, nil
		}

	// Cluster-level admin APIs.
	case *kmsg.ListPartitionReassignmentsRequest:
		if !a.authorizeCluster(req, zkutil.OpDescribe) {
			return errorResponse(req.Body, clusterAuthFailed), nil
		}
	case *kmsg.AlterPartitionAssignmentsRequest, *kmsg.UpdateFeaturesRequest:
		if !a.authorizeCluster(req, zkutil.OpAlter) {
			return errorResponse(req.Body, clusterAuthFailed), nil
		}
	case *kmsg.ElectLeadersRequest:
		if !a.authorizeCluster(req, zkutil.OpAlter) {
			resp := body.ResponseKind().(*kmsg.ElectLeadersResponse)
			resp.ErrorCode = clusterAuthFailed
			for _, t := range body.Topics {
				rt := kmsg.NewElectLeadersResponseTopic()
				rt.Topic = t.Topic
				for _, p := range t.Partitions {
					rp := kmsg.NewElectLeadersResponseTopicPartition()
					rp.Partition, rp.ErrorCode = p, clusterAuthFailed
					rp.ErrorMessage = strPtr(kerr.ClusterAuthorizationFailed.Message)
					rt.Partitions = append(rt.Partitions, rp)
				}
				resp.Topics = append(resp.Topics, rt)
			}
			return resp, nil
		}
	case *kmsg.DescribeLogDirsRequest:
		if !a.authorizeCluster(req, zkutil.OpDescribe) {
			return body.ResponseKind(), nil // 2.8: an empty result
		}
	case *kmsg.DescribeClientQuotasRequest:
		if !a.authorizeCluster(req, zkutil.OpDescribeConfigs) {
			return errorResponse(req.Body, clusterAuthFailed), nil
		}
	case *kmsg.AlterClientQuotasRequest:
		if !a.authorizeCluster(req, zkutil.OpAlterConfigs) {
			resp := body.ResponseKind().(*kmsg.AlterClientQuotasResponse)
			for _, e := range body.Entries {
				re := kmsg.NewAlterClientQuotasResponseEntry()
				re.ErrorCode = clusterAuthFailed
				re.ErrorMessage = strPtr(kerr.ClusterAuthorizationFailed.Message)
				for _, c := range e.Entity {
					rc := kmsg.NewAlterClientQuotasResponseEntryEntity()
					rc.Type, rc.Name = c.Type, c.Name
					re.Entity = append(re.Entity, rc)
				}
				resp.Entries = append(resp.Entries, re)
			}
			return resp, nil
		}
	case *kmsg.DescribeUserSCRAMCredentialsRequest:
		if !a.authorizeCluster(req, zkutil.OpDescribe) {
			return errorResponse(req.Body, clusterAuthFailed), nil
		}
	case *kmsg.AlterUserSCRAMCredentialsRequest:
		if !a.authorizeCluster(req, zkutil.OpAlter) {
			resp := body.ResponseKind().(*kmsg.AlterUserSCRAMCredentialsResponse)
			seen := map[string]bool{}
			add := func(user string) {
				if seen[user] {
					return
				}
				seen[user] = true
				r := kmsg.NewAlterUserSCRAMCredentialsResponseResult()
				r.User, r.ErrorCode = user, clusterAuthFailed
				resp.Results = append(resp.Results, r)
			}
			for _, d := range body.Deletions {
				add(d.Name)
			}
			for _, u := range body.Upsertions {
				add(u.Name)
			}
			return resp, nil
		}

	// Topic data.
	case *kmsg.ProduceRequest:
		if body.TransactionID != nil && !a.authorizeOp(req, zkutil.OpWrite, zkutil.ResourceTransactionalID, *body.TransactionID) {
			if body.Acks == 0 {
				return nil, fmt.Errorf("acks=0 produce: %s", kerr.TransactionalIDAuthorizationFailed.Message)
			}
			resp := body.ResponseKind()
			addPartitionErrors(resp, "Topics", reflect.ValueOf(body.Topics), kerr.TransactionalIDAuthorizationFailed.Code)
			return resp, nil
		}
		if body.Acks == 0 {
			// No response to carry the error: 2.8 closes the connection.
			for _, t := range body.Topics {
				if !a.authorizeTopic(req, zkutil.OpWrite, t.Topic) {
					return nil, fmt.Errorf("acks=0 produce to %s: %s", t.Topic, kerr.TopicAuthorizationFailed.Message)
				}
			}
			return a.handle(req)
		}
		return a.withDeniedPartitions(req, func(t string) bool { return a.authorizeTopic(req, zkutil.OpWrite, t) }, topicAuthFailed)
	case *kmsg.FetchRequest:
		if body.ReplicaID >= 0 {
			if !a.authorizeCluster(req, zkutil.OpClusterAction) {
				resp := body.ResponseKind()
				addPartitionErrors(resp, "Topics", reflect.ValueOf(body.Topics), topicAuthFailed)
				return resp, nil
			}
			return a.handle(req)
		}
		// Consumer fetches are authorized in handleFetch, after the fetch
		// session is resolved: an incremental fetch may name no topic, and
		// a denied partition stays in the session as in 2.8.
		return a.handle(req)
	case *kmsg.ListOffsetsRequest, *kmsg.DeleteRecordsRequest, *kmsg.OffsetForLeaderEpochRequest:
		op := zkutil.OpDescribe
		if _, ok := body.(*kmsg.DeleteRecordsRequest); ok {
			op = zkutil.OpDelete
		}
		if _, ok := body.(*kmsg.OffsetForLeaderEpochRequest); ok && a.authorizer.Allowed(req.Principal, req.ClientHost, zkutil.OpClusterAction, zkutil.ResourceCluster, zkutil.ClusterResourceName) {
			return a.handle(req)
		}
		return a.withDeniedPartitions(req, func(t string) bool { return a.authorizeTopic(req, op, t) }, topicAuthFailed)
	case *kmsg.MetadataRequest:
		return a.authorizedMetadata(req, body)

	// Topic admin.
	case *kmsg.CreateTopicsRequest:
		clusterCreate := a.authorizer.Allowed(req.Principal, req.ClientHost, zkutil.OpCreate, zkutil.ResourceCluster, zkutil.ClusterResourceName)
		return a.withDeniedTopicNames(req, "Topics", func(t string) bool {
			return clusterCreate || a.authorizeTopic(req, zkutil.OpCreate, t)
		}, topicAuthFailed)
	case *kmsg.CreatePartitionsRequest:
		return a.withDeniedTopicNames(req, "Topics", func(t string) bool { return a.authorizeTopic(req, zkutil.OpAlter, t) }, topicAuthFailed)
	case *kmsg.DeleteTopicsRequest:
		if len(body.Topics) > 0 { // v6: names or topic ids
			for i := range body.Topics {
				if body.Topics[i].Topic == nil {
					if n, ok := a.cache.TopicName(body.Topics[i].TopicID); ok {
						body.Topics[i].Topic = &n
					}
				}
			}
			// An unknown id (no name) is left to the handler: UNKNOWN_TOPIC_ID.
			return a.withDeniedTopicNames(req, "Topics", func(t string) bool { return t == "" || a.authorizeTopic(req, zkutil.OpDelete, t) }, topicAuthFailed)
		}
		var keep, denied []string
		for _, t := range body.TopicNames {
			if a.authorizeTopic(req, zkutil.OpDelete, t) {
				keep = append(keep, t)
			} else {
				denied = append(denied, t)
			}
		}
		if len(denied) == 0 {
			return a.handle(req)
		}
		body.TopicNames = keep
		var resp kmsg.Response = body.ResponseKind()
		if len(keep) > 0 {
			var err error
			if resp, err = a.handle(req); err != nil {
				return resp, err
			}
		}
		addTopicErrors(resp, "Topics", denied, topicAuthFailed)
		return resp, nil
	case *kmsg.DescribeConfigsRequest:
		return a.authorizedConfigs(req, zkutil.OpDescribeConfigs)
	case *kmsg.AlterConfigsRequest, *kmsg.IncrementalAlterConfigsRequest:
		return a.authorizedConfigs(req, zkutil.OpAlterConfigs)

	// Groups.
	case *kmsg.FindCoordinatorRequest:
		if body.CoordinatorType == 1 {
			if !a.authorizeOp(req, zkutil.OpDescribe, zkutil.ResourceTransactionalID, body.CoordinatorKey) {
				return errorResponse(body, kerr.TransactionalIDAuthorizationFailed.Code), nil
			}
		} else if !a.authorizeOp(req, zkutil.OpDescribe, zkutil.ResourceGroup, body.CoordinatorKey) {
			return errorResponse(body, kerr.GroupAuthorizationFailed.Code), nil
		}
	case *kmsg.JoinGroupRequest:
		return a.groupOp(req, body.Group, zkutil.OpRead)
	case *kmsg.SyncGroupRequest:
		return a.groupOp(req, body.Group, zkutil.OpRead)
	case *kmsg.HeartbeatRequest:
		return a.groupOp(req, body.Group, zkutil.OpRead)
	case *kmsg.LeaveGroupRequest:
		return a.groupOp(req, body.Group, zkutil.OpRead)
	case *kmsg.OffsetCommitRequest:
		if !a.authorizeOp(req, zkutil.OpRead, zkutil.ResourceGroup, body.Group) {
			resp := body.ResponseKind()
			addPartitionErrors(resp, "Topics", reflect.ValueOf(body.Topics), kerr.GroupAuthorizationFailed.Code)
			return resp, nil
		}
		return a.withDeniedPartitions(req, func(t string) bool { return a.authorizeTopic(req, zkutil.OpRead, t) }, topicAuthFailed)
	case *kmsg.OffsetDeleteRequest:
		if !a.authorizeOp(req, zkutil.OpDelete, zkutil.ResourceGroup, body.Group) {
			return errorResponse(body, kerr.GroupAuthorizationFailed.Code), nil
		}
		return a.withDeniedPartitions(req, func(t string) bool { return a.authorizeTopic(req, zkutil.OpRead, t) }, topicAuthFailed)
	case *kmsg.DescribeProducersRequest:
		return a.withDeniedPartitions(req, func(t string) bool { return a.authorizeTopic(req, zkutil.OpRead, t) }, topicAuthFailed)
	case *kmsg.AlterReplicaLogDirsRequest:
		if !a.authorizeCluster(req, zkutil.OpAlter) {
			resp := body.ResponseKind()
			for _, d := range body.Dirs {
				addPartitionErrors(resp, "Topics", reflect.ValueOf(d.Topics), clusterAuthFailed)
			}
			return resp, nil
		}
	case *kmsg.OffsetFetchRequest:
		if !a.authorizeOp(req, zkutil.OpDescribe, zkutil.ResourceGroup, body.Group) {
			return errorResponse(body, kerr.GroupAuthorizationFailed.Code), nil
		}
		if body.Topics == nil { // all topics: drop the unauthorized ones
			resp, err := a.handle(req)
			if r, ok := resp.(*kmsg.OffsetFetchResponse); ok && err == nil {
				kept := r.Topics[:0]
				for _, t := range r.Topics {
					if a.authorizer.Allowed(req.Principal, req.ClientHost, zkutil.OpDescribe, zkutil.ResourceTopic, t.Topic) {
						kept = append(kept, t)
					}
				}
				r.Topics = kept
			}
			return resp, err
		}
		return a.withDeniedPartitions(req, func(t string) bool { return a.authorizeTopic(req, zkutil.OpDescribe, t) }, topicAuthFailed)
	case *kmsg.DescribeGroupsRequest:
		return a.withDeniedGroups(req, zkutil.OpDescribe, &body.Groups, func(resp kmsg.Response, g string) {
			r := resp.(*kmsg.DescribeGroupsResponse)
			rg := kmsg.NewDescribeGroupsResponseGroup()
			rg.Group, rg.ErrorCode = g, kerr.GroupAuthorizationFailed.Code
			r.Groups = append(r.Groups, rg)
		})
	case *kmsg.ListGroupsRequest:
		if a.authorizer.Allowed(req.Principal, req.ClientHost, zkutil.OpDescribe, zkutil.ResourceCluster, zkutil.ClusterResourceName) {
			return a.handle(req)
		}
		resp, err := a.handle(req)
		if r, ok := resp.(*kmsg.ListGroupsResponse); ok && err == nil {
			kept := r.Groups[:0]
			for _, g := range r.Groups {
				if a.authorizer.Allowed(req.Principal, req.ClientHost, zkutil.OpDescribe, zkutil.ResourceGroup, g.Group) {
					kept = append(kept, g)
				}
			}
			r.Groups = kept
		}
		return resp, err
	case *kmsg.DeleteGroupsRequest:
		return a.withDeniedGroups(req, zkutil.OpDelete, &body.Groups, func(resp kmsg.Response, g string) {
			r := resp.(*kmsg.DeleteGroupsResponse)
			rg := kmsg.NewDeleteGroupsResponseGroup()
			rg.Group, rg.ErrorCode = g, kerr.GroupAuthorizationFailed.Code
			r.Groups = append(r.Groups, rg)
		})

	// Producers and transactions.
	case *kmsg.InitProducerIDRequest:
		if body.TransactionalID != nil {
			if !a.authorizeOp(req, zkutil.OpWrite, zkutil.ResourceTransactionalID, *body.TransactionalID) {
				return errorResponse(body, kerr.TransactionalIDAuthorizationFailed.Code), nil
			}
		} else if !a.authorizer.Allowed(req.Principal, req.ClientHost, zkutil.OpIdempotentWrite, zkutil.ResourceCluster, zkutil.ClusterResourceName) &&
			!a.authorizer.AuthorizeAny(req.Principal, req.ClientHost, zkutil.OpWrite, zkutil.ResourceTopic) {
			return errorResponse(body, clusterAuthFailed), nil
		}
	case *kmsg.AddPartitionsToTxnRequest:
		if !a.authorizeOp(req, zkutil.OpWrite, zkutil.ResourceTransactionalID, body.TransactionalID) {
			resp := body.ResponseKind()
			addPartitionErrors(resp, "Topics", reflect.ValueOf(body.Topics), kerr.TransactionalIDAuthorizationFailed.Code)
			return resp, nil
		}
		denied := deniedTopics(body, "Topics", func(t string) bool { return a.authorizeTopic(req, zkutil.OpWrite, t) })
		if denied.Len() > 0 {
			resp := body.ResponseKind()
			addPartitionErrors(resp, "Topics", denied, topicAuthFailed)
			addPartitionErrors(resp, "Topics", reflect.ValueOf(body.Topics), kerr.OperationNotAttempted.Code)
			return resp, nil
		}
	case *kmsg.AddOffsetsToTxnRequest:
		if !a.authorizeOp(req, zkutil.OpWrite, zkutil.ResourceTransactionalID, body.TransactionalID) {
			return errorResponse(body, kerr.TransactionalIDAuthorizationFailed.Code), nil
		}
		if !a.authorizeOp(req, zkutil.OpRead, zkutil.ResourceGroup, body.Group) {
			return errorResponse(body, kerr.GroupAuthorizationFailed.Code), nil
		}
	case *kmsg.EndTxnRequest:
		if !a.authorizeOp(req, zkutil.OpWrite, zkutil.ResourceTransactionalID, body.TransactionalID) {
			return errorResponse(body, kerr.TransactionalIDAuthorizationFailed.Code), nil
		}
	case *kmsg.TxnOffsetCommitRequest:
		code := int16(0)
		if !a.authorizeOp(req, zkutil.OpWrite, zkutil.ResourceTransactionalID, body.TransactionalID) {
			code = kerr.TransactionalIDAuthorizationFailed.Code
		} else if !a.authorizeOp(req, zkutil.OpRead, zkutil.ResourceGroup, body.Group) {
			code = kerr.GroupAuthorizationFailed.Code
		}
		if code != 0 {
			resp := body.ResponseKind()
			addPartitionErrors(resp, "Topics", reflect.ValueOf(body.Topics), code)
			return resp, nil
		}
		return a.withDeniedPartitions(req, func(t string) bool { return a.authorizeTopic(req, zkutil.OpRead, t) }, topicAuthFailed)
	}
	return a.handle(req)
}

func (a *KafkaApis) groupOp(req *network.Request, group string, op int8) (kmsg.Response, error) {
	if !a.authorizeOp(req, op, zkutil.ResourceGroup, group) {
		return errorResponse(req.Body, kerr.GroupAuthorizationFailed.Code), nil
	}
	return a.handle(req)
}

// withDeniedTopicNames is withDeniedPartitions for topic-level answers
// (CreateTopics, CreatePartitions, DeleteTopics v6).
func (a *KafkaApis) withDeniedTopicNames(req *network.Request, field string, allowed func(string) bool, code int16) (kmsg.Response, error) {
	total := reflect.ValueOf(req.Body).Elem().FieldByName(field).Len()
	denied := deniedTopics(req.Body, field, allowed)
	if denied.Len() == 0 {
		return a.handle(req)
	}
	names := make([]string, denied.Len())
	for i := range names {
		names[i] = getString(denied.Index(i).FieldByName("Topic"))
	}
	var resp kmsg.Response = req.Body.ResponseKind()
	if denied.Len() < total {
		var err error
		if resp, err = a.handle(req); err != nil || resp == nil {
			return resp, err
		}
	}
	addTopicErrors(resp, "Topics", names, code)
	return resp, nil
}

// authorizedConfigs checks DescribeConfigs / AlterConfigs /
// IncrementalAlterConfigs resources: topics need op on the topic
// (TOPIC_AUTHORIZATION_FAILED), brokers and broker loggers op on the
// cluster (CLUSTER_AUTHORIZATION_FAILED).
func (a *KafkaApis) authorizedConfigs(req *network.Request, op int8) (kmsg.Response, error) {
	resources := reflect.ValueOf(req.Body).Elem().FieldByName("Resources")
	keep := reflect.MakeSlice(resources.Type(), 0, resources.Len())
	type deniedRes struct {
		typ  int64
		name string
		code int16
	}
	var denied []deniedRes
	for i := 0; i < resources.Len(); i++ {
		r := resources.Index(i)
		typ := r.FieldByName("ResourceType").Int()
		name := r.FieldByName("ResourceName").String()
		var ok bool
		code := kerr.ClusterAuthorizationFailed.Code
		if typ == 2 { // TOPIC
			ok = a.authorizeTopic(req, op, name)
			code = kerr.TopicAuthorizationFailed.Code
		} else {
			ok = a.authorizeCluster(req, op)
		}
		if ok {
			keep = reflect.Append(keep, r)
		} else {
			denied = append(denied, deniedRes{typ, name, code})
		}
	}
	if len(denied) == 0 {
		return a.handle(req)
	}
	resources.Set(keep)
	var resp kmsg.Response = req.Body.ResponseKind()
	if keep.Len() > 0 {
		var err error
		if resp, err = a.handle(req); err != nil || resp == nil {
			return resp, err
		}
	}
	out := reflect.ValueOf(resp).Elem().FieldByName("Resources")
	for _, d := range denied {
		e := newElem(out.Type())
		e.FieldByName("ResourceType").SetInt(d.typ)
		e.FieldByName("ResourceName").SetString(d.name)
		setErrorFields(e, d.code)
		out.Set(reflect.Append(out, e))
	}
	return resp, nil
}

// authorizedMetadata is 2.8's handleTopicMetadataRequest authorization:
// an all-topics request lists only the topics the caller may DESCRIBE; a
// named topic it may not describe answers TOPIC_AUTHORIZATION_FAILED, and a
// missing one it may not create (CREATE on the cluster or the topic) is
// answered TOPIC_AUTHORIZATION_FAILED instead of being auto-created.
func (a *KafkaApis) authorizedMetadata(req *network.Request, body *kmsg.MetadataRequest) (kmsg.Response, error) {
	if body.Topics == nil {
		resp, err := a.handle(req)
		if r, ok := resp.(*kmsg.MetadataResponse); ok && err == nil {
			kept := r.Topics[:0]
			for _, t := range r.Topics {
				if t.Topic != nil && a.authorizer.Allowed(req.Principal, req.ClientHost, zkutil.OpDescribe, zkutil.ResourceTopic, *t.Topic) {
					kept = append(kept, t)
				}
			}
			r.Topics = kept
		}
		return resp, err
	}
	var keep []kmsg.MetadataRequestTopic
	var denied []string
	clusterCreate := -1
	for _, t := range body.Topics {
		if t.Topic == nil { // by topic id (v10+, not sent by 2.8 clients)
			keep = append(keep, t)
			continue
		}
		name := *t.Topic
		ok := a.authorizeTopic(req, zkutil.OpDescribe, name)
		if ok && body.AllowAutoTopicCreation && a.cfg.AutoCreateTopicsEnable && !a.cache.Contains(name) {
			if clusterCreate < 0 {
				clusterCreate = 0
				if a.authorizer.Allowed(req.Principal, req.ClientHost, zkutil.OpCreate, zkutil.ResourceCluster, zkutil.ClusterResourceName) {
					clusterCreate = 1
				}
			}
			ok = clusterCreate == 1 || a.authorizeTopic(req, zkutil.OpCreate, name)
		}
		if ok {
			keep = append(keep, t)
		} else {
			denied = append(denied, name)
		}
	}
	if len(denied) == 0 {
		return a.handle(req)
	}
	if keep == nil {
		keep = []kmsg.MetadataRequestTopic{}
	}
	body.Topics = keep
	resp, err := a.handle(req)
	if err != nil {
		return resp, err
	}
	if len(keep) == 0 {
		// An empty list means "no topics" from v1 on; v0 would mean all.
		r := resp.(*kmsg.MetadataResponse)
		r.Topics = r.Topics[:0]
	}
	r := resp.(*kmsg.MetadataResponse)
	for _, n := range denied {
		t := kmsg.NewMetadataResponseTopic()
		t.Topic = strPtr(n)
		t.ErrorCode = kerr.TopicAuthorizationFailed.Code
		t.Partitions = []kmsg.MetadataResponseTopicPartition{}
		r.Topics = append(r.Topics, t)
	}
	return resp, nil
}
