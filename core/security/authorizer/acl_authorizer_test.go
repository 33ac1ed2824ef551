package authorizer

import (
	"testing"

	"github.com/gokafka/kafka/zkutil"
)

func lit(t int8, name string) zkutil.ResourcePattern {
	return zkutil.ResourcePattern{ResourceType: t, Name: name, PatternType: zkutil.PatternLiteral}
}

func pre(t int8, name string) zkutil.ResourcePattern {
	return zkutil.ResourcePattern{ResourceType: t, Name: name, PatternType: zkutil.PatternPrefixed}
}

func acl(p string, op, perm int8) zkutil.AclEntry {
	return zkutil.AclEntry{Principal: p, Host: "*", Operation: op, Permission: perm}
}

func mustCreate(t *testing.T, a *AclAuthorizer, bs ...Binding) {
	t.Helper()
	for _, r := range a.CreateAcls(bs) {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
	}
}

func TestAuthorizeRules(t *testing.T) {
	a, _ := New(nil, Config{SuperUsers: "User:admin; User:ANONYMOUS"})
	T := zkutil.ResourceTopic
	mustCreate(t, a,
		Binding{lit(T, "t"), acl("User:alice", zkutil.OpRead, zkutil.PermAllow)},
		Binding{lit(T, "t"), acl("User:alice", zkutil.OpWrite, zkutil.PermAllow)},
		Binding{lit(T, "t"), zkutil.AclEntry{Principal: "User:carol", Host: "10.0.0.1", Operation: zkutil.OpAll, Permission: zkutil.PermAllow}},
		Binding{lit(T, "*"), acl("User:*", zkutil.OpDescribe, zkutil.PermAllow)},
		Binding{lit(T, "*"), acl("User:mallory", zkutil.OpAll, zkutil.PermDeny)},
		Binding{pre(T, "app-"), acl("User:bob", zkutil.OpAlterConfigs, zkutil.PermAllow)},
		Binding{lit(T, "app-secret"), acl("User:bob", zkutil.OpDescribeConfigs, zkutil.PermDeny)},
	)
	cases := []struct {
		p, host string
		op      int8
		name    string
		want    bool
	}{
		{"User:alice", "1.2.3.4", zkutil.OpRead, "t", true},
		{"User:alice", "1.2.3.4", zkutil.OpDescribe, "t", true}, // implied by READ/WRITE and the wildcard
		{"User:alice", "1.2.3.4", zkutil.OpDelete, "t", false},
		{"User:bob", "1.2.3.4", zkutil.OpRead, "t", false},
		{"User:bob", "1.2.3.4", zkutil.OpDescribe, "other", true},  // User:* on "*"
		{"User:mallory", "1.2.3.4", zkutil.OpDescribe, "t", false}, // deny beats allow
		{"User:carol", "10.0.0.1", zkutil.OpDelete, "t", true},     // ALL on exact host
		{"User:carol", "10.0.0.2", zkutil.OpDelete, "t", false},
		{"User:bob", "h", zkutil.OpAlterConfigs, "app-1", true}, // prefixed
		{"User:bob", "h", zkutil.OpDescribeConfigs, "app-1", true},
		{"User:bob", "h", zkutil.OpDescribeConfigs, "app-secret", false},
		{"User:bob", "h", zkutil.OpAlterConfigs, "ap", false},
		{"User:admin", "h", zkutil.OpDelete, "t", true}, // super user
		{"", "h", zkutil.OpDelete, "t", true},           // ANONYMOUS is a super user here
	}
	for _, c := range cases {
		if got := a.Authorize(c.p, c.host, c.op, T, c.name, "Test"); got != c.want {
			t.Errorf("%s %s %s %s = %v, want %v", c.p, c.host, zkutil.OperationName(c.op), c.name, got, c.want)
		}
	}
	// No ACL at all on a group: allow.everyone.if.no.acl.found decides.
	if a.Authorize("User:bob", "h", zkutil.OpRead, zkutil.ResourceGroup, "g", "Test") {
		t.Error("no ACL, allow.everyone false: allowed")
	}
	b, _ := New(nil, Config{AllowEveryone: true})
	if !b.Authorize("User:bob", "h", zkutil.OpRead, zkutil.ResourceGroup, "g", "Test") {
		t.Error("no ACL, allow.everyone true: denied")
	}
	mustCreate(t, b, Binding{lit(zkutil.ResourceGroup, "g"), acl("User:alice", zkutil.OpRead, zkutil.PermAllow)})
	if b.Authorize("User:bob", "h", zkutil.OpRead, zkutil.ResourceGroup, "g", "Test") {
		t.Error("ACL present for someone else: allowed")
	}
	if !a.AuthorizeAny("User:alice", "h", zkutil.OpWrite, T) || a.AuthorizeAny("User:bob", "h", zkutil.OpWrite, T) {
		t.Error("AuthorizeAny")
	}
}

func TestFiltersAndDelete(t *testing.T) {
	a, _ := New(nil, Config{})
	T := zkutil.ResourceTopic
	mustCreate(t, a,
		Binding{lit(T, "foo"), acl("User:alice", zkutil.OpRead, zkutil.PermAllow)},
		Binding{lit(T, "*"), acl("User:alice", zkutil.OpWrite, zkutil.PermAllow)},
		Binding{pre(T, "fo"), acl("User:bob", zkutil.OpRead, zkutil.PermAllow)},
		Binding{lit(zkutil.ResourceGroup, "foo"), acl("User:bob", zkutil.OpRead, zkutil.PermAllow)},
	)
	name := "foo"
	count := func(f Filter) int { return len(a.Acls(f)) }
	any := Filter{ResourceType: zkutil.ResourceAny, PatternType: zkutil.PatternAny, Operation: zkutil.OpAny, Permission: zkutil.PermAny}
	if n := count(any); n != 4 {
		t.Fatalf("all: %d", n)
	}
	f := any
	f.ResourceType, f.Name, f.PatternType = T, &name, zkutil.PatternMatch
	if n := count(f); n != 3 {
		t.Fatalf("MATCH foo: %d", n)
	}
	f.PatternType = zkutil.PatternLiteral
	if n := count(f); n != 1 {
		t.Fatalf("LITERAL foo: %d", n)
	}
	f.PatternType = zkutil.PatternAny
	if n := count(f); n != 1 {
		t.Fatalf("ANY foo: %d", n)
	}
	bob := "User:bob"
	g := any
	g.Principal = &bob
	res := a.DeleteAcls([]Filter{g})
	if len(res[0].Bindings) != 2 || count(any) != 2 {
		t.Fatalf("delete bob: %+v, left %d", res, count(any))
	}
}

func TestValidateBinding(t *testing.T) {
	ok := Binding{lit(zkutil.ResourceTopic, "t"), acl("User:a", zkutil.OpRead, zkutil.PermAllow)}
	if err := ValidateBinding(ok); err != nil {
		t.Fatal(err)
	}
	bad := []Binding{
		{lit(zkutil.ResourceAny, "t"), ok.Entry},
		{zkutil.ResourcePattern{ResourceType: zkutil.ResourceTopic, Name: "t", PatternType: zkutil.PatternMatch}, ok.Entry},
		{lit(zkutil.ResourceCluster, "x"), ok.Entry},
		{lit(zkutil.ResourceTopic, ""), ok.Entry},
		{ok.Pattern, acl("User:a", zkutil.OpAny, zkutil.PermAllow)},
		{ok.Pattern, acl("User:a", zkutil.OpRead, zkutil.PermAny)},
		{ok.Pattern, acl("alice", zkutil.OpRead, zkutil.PermAllow)},
	}
	for _, b := range bad {
		if ValidateBinding(b) == nil {
			t.Errorf("%+v accepted", b)
		}
	}
}
