package api

import (
	"testing"

	"github.com/gokafka/kafka/core/network"
	"github.com/gokafka/kafka/core/security/authorizer"
	"github.com/gokafka/kafka/zkutil"
)

// Bit fields written out from the op codes (READ=3 ... IDEMPOTENT_WRITE=12)
// rather than from supportedOperations, so the table itself is checked.
const (
	allTopicOps   int32 = 1<<3 | 1<<4 | 1<<5 | 1<<6 | 1<<7 | 1<<8 | 1<<10 | 1<<11 // 3576
	allGroupOps   int32 = 1<<3 | 1<<6 | 1<<8                                      // 328
	allClusterOps int32 = 1<<5 | 1<<7 | 1<<8 | 1<<9 | 1<<10 | 1<<11 | 1<<12       // 8096
)

func TestAuthorizedOperationsWithoutAuthorizer(t *testing.T) {
	a := NewKafkaApis(Config{}, nil, nil, nil, nil, nil)
	req := &network.Request{Principal: "User:alice", ClientHost: "127.0.0.1"}
	for _, c := range []struct {
		rt   int8
		name string
		want int32
	}{
		{zkutil.ResourceTopic, "t", allTopicOps},
		{zkutil.ResourceGroup, "g", allGroupOps},
		{zkutil.ResourceCluster, zkutil.ClusterResourceName, allClusterOps},
		{zkutil.ResourceTransactionalID, "tx", 1<<8 | 1<<4},
		{zkutil.ResourceDelegationToken, "tok", 1 << 8},
	} {
		if got := a.authorizedOperations(req, c.rt, c.name); got != c.want {
			t.Errorf("%s %s: %d, want %d", zkutil.ResourceTypeName(c.rt), c.name, got, c.want)
		}
	}
	if got := a.clusterAuthorizedOperations(req); got != allClusterOps {
		t.Errorf("cluster: %d, want %d", got, allClusterOps)
	}
}

func TestAuthorizedOperationsWithAclAuthorizer(t *testing.T) {
	az, err := authorizer.New(nil, authorizer.Config{SuperUsers: "User:admin"})
	if err != nil {
		t.Fatal(err)
	}
	allow := func(rt int8, name, principal string, op int8) authorizer.Binding {
		return authorizer.Binding{
			Pattern: zkutil.ResourcePattern{ResourceType: rt, Name: name, PatternType: zkutil.PatternLiteral},
			Entry:   zkutil.AclEntry{Principal: principal, Host: "*", Operation: op, Permission: zkutil.PermAllow},
		}
	}
	deny := allow(zkutil.ResourceTopic, "t", "User:carol", zkutil.OpDescribe)
	deny.Entry.Permission = zkutil.PermDeny
	for _, r := range az.CreateAcls([]authorizer.Binding{
		allow(zkutil.ResourceTopic, "t", "User:alice", zkutil.OpRead),
		allow(zkutil.ResourceGroup, "g", "User:alice", zkutil.OpDescribe),
		allow(zkutil.ResourceCluster, zkutil.ClusterResourceName, "User:bob", zkutil.OpAlter),
		allow(zkutil.ResourceCluster, zkutil.ClusterResourceName, "User:carol", zkutil.OpIdempotentWrite),
		allow(zkutil.ResourceTopic, "t", "User:carol", zkutil.OpAll),
		deny,
	}) {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	a := NewKafkaApis(Config{}, nil, nil, nil, nil, nil)
	a.SetAuthorizer(az)
	as := func(p string) *network.Request {
		return &network.Request{Header: network.RequestHeader{APIKey: 60}, Principal: p, ClientHost: "127.0.0.1"}
	}
	for _, c := range []struct {
		who  string
		rt   int8
		name string
		want int32
	}{
		{"User:alice", zkutil.ResourceTopic, "t", 1<<3 | 1<<8}, // READ implies DESCRIBE
		{"User:alice", zkutil.ResourceTopic, "other", 0},
		{"User:alice", zkutil.ResourceGroup, "g", 1 << 8},
		{"User:carol", zkutil.ResourceTopic, "t", allTopicOps &^ (1 << 8)}, // deny beats ALL
		{"User:admin", zkutil.ResourceTopic, "t", allTopicOps},
	} {
		if got := a.authorizedOperations(as(c.who), c.rt, c.name); got != c.want {
			t.Errorf("%s on %s %s: %d, want %d", c.who, zkutil.ResourceTypeName(c.rt), c.name, got, c.want)
		}
	}
	for who, want := range map[string]int32{
		"User:alice": 0,
		"User:bob":   1<<7 | 1<<8, // ALTER implies DESCRIBE
		// IDEMPOTENT_WRITE does not imply DESCRIBE: without it 2.8 reports 0.
		"User:carol": 0,
		"User:admin": allClusterOps,
	} {
		if got := a.clusterAuthorizedOperations(as(who)); got != want {
			t.Errorf("%s on the cluster: %d, want %d", who, got, want)
		}
	}
}
