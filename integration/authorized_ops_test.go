package integration

import (
	"math"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"
)

// Authorized-operations bit fields (KIP-430) as Kafka 2.8 computes them:
// bit 1<<code per operation, READ=3 ... IDEMPOTENT_WRITE=12.
const (
	opsOmitted    int32 = math.MinInt32
	opRead        int32 = 1 << 3
	opDescribe    int32 = 1 << 8
	allTopicOps   int32 = 1<<3 | 1<<4 | 1<<5 | 1<<6 | 1<<7 | 1<<8 | 1<<10 | 1<<11
	allGroupOps   int32 = 1<<3 | 1<<6 | 1<<8
	allClusterOps int32 = 1<<5 | 1<<7 | 1<<8 | 1<<9 | 1<<10 | 1<<11 | 1<<12
)

// metadataAt sends Metadata for topics, the client pinned to version v.
func metadataAt(t *testing.T, addr string, v int16, include bool, topics []string, opts ...kgo.Opt) *kmsg.MetadataResponse {
	t.Helper()
	vs := kversion.V2_8_0()
	vs.SetMaxKeyVersion(3, v)
	cl := NewClient(t, addr, append(opts, kgo.MaxVersions(vs))...)
	req := kmsg.NewPtrMetadataRequest()
	for _, name := range topics {
		rt := kmsg.NewMetadataRequestTopic()
		rt.Topic = kmsg.StringPtr(name)
		req.Topics = append(req.Topics, rt)
	}
	req.IncludeClusterAuthorizedOperations, req.IncludeTopicAuthorizedOperations = include, include
	resp, err := req.RequestWith(testContext(t, 20*time.Second), cl)
	if err != nil {
		t.Fatalf("Metadata v%d: %v", v, err)
	}
	if resp.Version != v {
		t.Fatalf("Metadata answered at v%d, want v%d", resp.Version, v)
	}
	return resp
}

// topicOps maps each answered topic to its error code and bit field.
func topicOps(resp *kmsg.MetadataResponse) map[string][2]int32 {
	out := map[string][2]int32{}
	for _, rt := range resp.Topics {
		if rt.Topic != nil {
			out[*rt.Topic] = [2]int32{int32(rt.ErrorCode), rt.AuthorizedOperations}
		}
	}
	return out
}

// describeGroup describes one group on broker 1 until its coordinator is
// loaded (FindCoordinator first creates __consumer_offsets).
func describeGroup(t *testing.T, cl *kgo.Client, group string, include bool) kmsg.DescribeGroupsResponseGroup {
	t.Helper()
	ctx := testContext(t, 60*time.Second)
	for {
		fc := kmsg.NewPtrFindCoordinatorRequest()
		fc.CoordinatorKey = group
		if _, err := fc.RequestWith(ctx, cl); err != nil {
			t.Fatalf("FindCoordinator %s: %v", group, err)
		}
		req := kmsg.NewPtrDescribeGroupsRequest()
		req.Groups, req.IncludeAuthorizedOperations = []string{group}, include
		resp, err := cl.Broker(1).Request(ctx, req)
		if err != nil {
			t.Fatalf("DescribeGroups %s: %v", group, err)
		}
		g := resp.(*kmsg.DescribeGroupsResponse).Groups[0]
		if e := kerr.ErrorForCode(g.ErrorCode); e == nil || !kerr.IsRetriable(e) {
			return g
		}
		select {
		case <-ctx.Done():
			t.Fatalf("DescribeGroups %s: still %v", group, kerr.ErrorForCode(g.ErrorCode))
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func describeClusterOps(t *testing.T, cl *kgo.Client, include bool) int32 {
	t.Helper()
	req := kmsg.NewPtrDescribeClusterRequest()
	req.IncludeClusterAuthorizedOperations = include
	resp, err := req.RequestWith(testContext(t, 20*time.Second), cl)
	if err != nil || resp.ErrorCode != 0 {
		t.Fatalf("DescribeCluster: %+v %v", resp, err)
	}
	return resp.ClusterAuthorizedOperations
}

// Without an authorizer every supported operation is reported, and
// Int.MinValue when the request did not ask.
func TestAuthorizedOperationsWithoutAuthorizer(t *testing.T) {
	c := StartCluster(t, nil)
	const topic = "ops-open"
	CreateTopic(t, c.Bootstrap(), topic, 1, nil)

	for _, v := range []int16{8, 10, 11} {
		resp := metadataAt(t, c.Bootstrap(), v, true, []string{topic})
		if got := topicOps(resp)[topic]; got != [2]int32{0, allTopicOps} {
			t.Errorf("Metadata v%d: topic (error, ops) %v, want (0, %d)", v, got, allTopicOps)
		}
		// v11 has no cluster field any more (2.8 computes it for v8-v10).
		want := allClusterOps
		if v == 11 {
			want = opsOmitted
		}
		if resp.AuthorizedOperations != want {
			t.Errorf("Metadata v%d: cluster ops %d, want %d", v, resp.AuthorizedOperations, want)
		}
		resp = metadataAt(t, c.Bootstrap(), v, false, []string{topic})
		if got := topicOps(resp)[topic][1]; got != opsOmitted || resp.AuthorizedOperations != opsOmitted {
			t.Errorf("Metadata v%d not asking: topic ops %d, cluster ops %d, want %d", v, got, resp.AuthorizedOperations, opsOmitted)
		}
	}

	cl := NewClient(t, c.Bootstrap())
	if got := describeGroup(t, cl, "ops-open-g", true); got.ErrorCode != 0 || got.AuthorizedOperations != allGroupOps {
		t.Errorf("DescribeGroups: error %d ops %d, want 0 %d", got.ErrorCode, got.AuthorizedOperations, allGroupOps)
	}
	if got := describeGroup(t, cl, "ops-open-g", false); got.AuthorizedOperations != opsOmitted {
		t.Errorf("DescribeGroups not asking: ops %d, want %d", got.AuthorizedOperations, opsOmitted)
	}
	if got := describeClusterOps(t, cl, true); got != allClusterOps {
		t.Errorf("DescribeCluster: ops %d, want %d", got, allClusterOps)
	}
	if got := describeClusterOps(t, cl, false); got != opsOmitted {
		t.Errorf("DescribeCluster not asking: ops %d, want %d", got, opsOmitted)
	}
}

// With AclAuthorizer a principal sees exactly the operations its ACLs allow
// (DESCRIBE implied by READ); cluster operations are 0 without DESCRIBE on
// the cluster, and topics it may not describe keep Int.MinValue.
func TestAuthorizedOperationsWithAclAuthorizer(t *testing.T) {
	bs, sasl := startAclBrokers(t, 1)
	admin := NewClient(t, bs[0].Addr())
	const topic, secret, group = "ops-t", "ops-secret", "ops-g"
	CreateTopic(t, bs[0].Addr(), topic, 1, nil)
	CreateTopic(t, bs[0].Addr(), secret, 1, nil)
	createACL(t, admin, kmsg.ACLResourceTypeTopic, topic, kmsg.ACLResourcePatternTypeLiteral, "User:alice", kmsg.ACLOperationRead, kmsg.ACLPermissionTypeAllow)
	createACL(t, admin, kmsg.ACLResourceTypeTopic, topic, kmsg.ACLResourcePatternTypeLiteral, "User:alice", kmsg.ACLOperationDescribe, kmsg.ACLPermissionTypeAllow)
	createACL(t, admin, kmsg.ACLResourceTypeGroup, group, kmsg.ACLResourcePatternTypeLiteral, "User:alice", kmsg.ACLOperationDescribe, kmsg.ACLPermissionTypeAllow)

	resp := metadataAt(t, sasl[0], 10, true, []string{topic, secret}, plainUser("alice"))
	ops := topicOps(resp)
	if got := ops[topic]; got != [2]int32{0, opRead | opDescribe} {
		t.Errorf("alice Metadata %s: (error, ops) %v, want (0, %d)", topic, got, opRead|opDescribe)
	}
	if got := ops[secret]; got != [2]int32{int32(kerr.TopicAuthorizationFailed.Code), opsOmitted} {
		t.Errorf("alice Metadata %s: (error, ops) %v, want (%d, %d)", secret, got, kerr.TopicAuthorizationFailed.Code, opsOmitted)
	}
	if resp.AuthorizedOperations != 0 {
		t.Errorf("alice Metadata: cluster ops %d, want 0 (no DESCRIBE on the cluster)", resp.AuthorizedOperations)
	}

	alice := NewClient(t, sasl[0], plainUser("alice"))
	if got := describeGroup(t, alice, group, true); got.ErrorCode != 0 || got.AuthorizedOperations != opDescribe {
		t.Errorf("alice DescribeGroups %s: error %d ops %d, want 0 %d", group, got.ErrorCode, got.AuthorizedOperations, opDescribe)
	}
	req := kmsg.NewPtrDescribeGroupsRequest()
	req.Groups, req.IncludeAuthorizedOperations = []string{"ops-other-g"}, true
	dr, err := alice.Broker(1).Request(testContext(t, 20*time.Second), req)
	if err != nil {
		t.Fatal(err)
	}
	if g := dr.(*kmsg.DescribeGroupsResponse).Groups[0]; g.ErrorCode != kerr.GroupAuthorizationFailed.Code || g.AuthorizedOperations != opsOmitted {
		t.Errorf("alice DescribeGroups ops-other-g: error %d ops %d, want %d %d", g.ErrorCode, g.AuthorizedOperations, kerr.GroupAuthorizationFailed.Code, opsOmitted)
	}
	// 2.8 answers DescribeCluster to anyone; only the bits tell.
	if got := describeClusterOps(t, alice, true); got != 0 {
		t.Errorf("alice DescribeCluster: ops %d, want 0", got)
	}

	// The super user (PLAINTEXT, User:ANONYMOUS) may do everything.
	resp = metadataAt(t, bs[0].Addr(), 10, true, []string{topic})
	if got := topicOps(resp)[topic][1]; got != allTopicOps || resp.AuthorizedOperations != allClusterOps {
		t.Errorf("super user Metadata: topic ops %d cluster ops %d, want %d %d", got, resp.AuthorizedOperations, allTopicOps, allClusterOps)
	}
	if got := describeClusterOps(t, admin, true); got != allClusterOps {
		t.Errorf("super user DescribeCluster: ops %d, want %d", got, allClusterOps)
	}
}
