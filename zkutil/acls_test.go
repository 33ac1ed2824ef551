package zkutil

import (
	"reflect"
	"testing"
)

func TestAclCodecs(t *testing.T) {
	acls := []AclEntry{
		{Principal: "User:bob", Host: "*", Operation: OpIdempotentWrite, Permission: PermDeny},
		{Principal: "User:alice", Host: "*", Operation: OpRead, Permission: PermAllow},
	}
	got := string(EncodeAcls(acls))
	want := `{"version":1,"acls":[{"principal":"User:alice","permissionType":"Allow","operation":"Read","host":"*"},` +
		`{"principal":"User:bob","permissionType":"Deny","operation":"IdempotentWrite","host":"*"}]}`
	if got != want {
		t.Fatalf("EncodeAcls =\n%s\nwant\n%s", got, want)
	}
	back, err := DecodeAcls([]byte(got))
	if err != nil || !reflect.DeepEqual(back, []AclEntry{acls[1], acls[0]}) {
		t.Fatalf("DecodeAcls = %+v, %v", back, err)
	}
	if _, err := DecodeAcls([]byte(`{"version":1,"acls":[{"principal":"User:a","permissionType":"Maybe","operation":"Read","host":"*"}]}`)); err == nil {
		t.Fatal("bad permission accepted")
	}

	lit := ResourcePattern{ResourceType: ResourceTransactionalID, Name: "tx", PatternType: PatternLiteral}
	pre := ResourcePattern{ResourceType: ResourceTopic, Name: "app-", PatternType: PatternPrefixed}
	if p := AclResourcePath(lit); p != "/kafka-acl/TransactionalId/tx" {
		t.Fatal(p)
	}
	if p := AclResourcePath(pre); p != "/kafka-acl-extended/prefixed/Topic/app-" {
		t.Fatal(p)
	}
	if p := AclResourcePath(ResourcePattern{ResourceType: ResourceCluster, Name: ClusterResourceName, PatternType: PatternLiteral}); p != "/kafka-acl/Cluster/kafka-cluster" {
		t.Fatal(p)
	}
	if s := string(EncodeAclChange(lit)); s != "TRANSACTIONAL_ID:tx" {
		t.Fatal(s)
	}
	if s := string(EncodeAclChange(pre)); s != `{"version":1,"resourceType":"TOPIC","name":"app-","patternType":"PREFIXED"}` {
		t.Fatal(s)
	}
	for _, c := range []struct {
		data     string
		extended bool
		want     ResourcePattern
	}{
		{"TRANSACTIONAL_ID:tx", false, lit},
		{"Topic:a:b", false, ResourcePattern{ResourceType: ResourceTopic, Name: "a:b", PatternType: PatternLiteral}},
		{`{"version":1,"resourceType":"TOPIC","name":"app-","patternType":"PREFIXED"}`, true, pre},
	} {
		got, err := DecodeAclChange([]byte(c.data), c.extended)
		if err != nil || got != c.want {
			t.Errorf("DecodeAclChange(%s) = %+v, %v", c.data, got, err)
		}
	}
	if _, err := DecodeAclChange([]byte(`{"version":2,"resourceType":"TOPIC","name":"x","patternType":"PREFIXED"}`), true); err == nil {
		t.Fatal("version 2 accepted")
	}
}
