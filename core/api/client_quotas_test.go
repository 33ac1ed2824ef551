package api

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gokafka/kafka/core/logging"
	"github.com/gokafka/kafka/zkutil"
	"github.com/gokafka/kafka/zkutil/zktest"
)

func quotaTestApis(t *testing.T) (*KafkaApis, *zkutil.Client) {
	t.Helper()
	zk, err := zkutil.Connect(zktest.Start(t), 10*time.Second, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(zk.Close)
	if err := zk.CreatePersistentPaths(); err != nil {
		t.Fatal(err)
	}
	return &KafkaApis{zk: zk, log: logging.For("test")}, zk
}

func entryText(e kmsg.DescribeClientQuotasResponseEntry) string {
	var parts []string
	for _, en := range e.Entity {
		n := "<default>"
		if en.Name != nil {
			n = *en.Name
		}
		parts = append(parts, en.Type+"="+n)
	}
	for _, v := range e.Values {
		parts = append(parts, fmt.Sprintf("%s:%v", v.Key, v.Value))
	}
	return strings.Join(parts, ",")
}

func describeQuotas(t *testing.T, a *KafkaApis, strict bool, comps ...kmsg.DescribeClientQuotasRequestComponent) ([]string, int16, string) {
	t.Helper()
	req := kmsg.NewPtrDescribeClientQuotasRequest()
	req.SetVersion(1)
	req.Strict, req.Components = strict, comps
	resp := a.handleDescribeClientQuotas(req).(*kmsg.DescribeClientQuotasResponse)
	var out []string
	for _, e := range resp.Entries {
		out = append(out, entryText(e))
	}
	sort.Strings(out)
	msg := ""
	if resp.ErrorMessage != nil {
		msg = *resp.ErrorMessage
	}
	return out, resp.ErrorCode, msg
}

func comp(typ string, m kmsg.QuotasMatchType, name *string) kmsg.DescribeClientQuotasRequestComponent {
	return kmsg.DescribeClientQuotasRequestComponent{EntityType: typ, MatchType: m, Match: name}
}

func TestDescribeClientQuotasFilters(t *testing.T) {
	a, zk := quotaTestApis(t)
	for path, v := range map[string]string{
		"users/user-1":                      "1",
		"clients/client-1":                  "2",
		"users/user-1/clients/client-1":     "3",
		"users/<default>":                   "4",
		"clients/<default>":                 "5",
		"users/<default>/clients/<default>": "6",
	} {
		typ, name, _ := strings.Cut(path, "/")
		if err := zk.SetOrCreateEntityConfig(typ, name, map[string]string{"producer_byte_rate": v}); err != nil {
			t.Fatal(err)
		}
	}
	// A user with only a SCRAM credential has no quota to describe.
	if err := zk.SetOrCreateEntityConfig("users", "user%202", map[string]string{"SCRAM-SHA-256": "salt=x"}); err != nil {
		t.Fatal(err)
	}
	exact, def, any := kmsg.QuotasMatchTypeExact, kmsg.QuotasMatchTypeDefault, kmsg.QuotasMatchTypeAny
	u1, c1 := sp("user-1"), sp("client-1")
	cases := []struct {
		name   string
		strict bool
		comps  []kmsg.DescribeClientQuotasRequestComponent
		want   []string
	}{
		{"everything", false, nil, []string{
			"client-id=<default>,producer_byte_rate:5", "client-id=client-1,producer_byte_rate:2",
			"user=<default>,client-id=<default>,producer_byte_rate:6", "user=<default>,producer_byte_rate:4",
			"user=user-1,client-id=client-1,producer_byte_rate:3", "user=user-1,producer_byte_rate:1"}},
		{"strict user-1", true, []kmsg.DescribeClientQuotasRequestComponent{comp("user", exact, u1)},
			[]string{"user=user-1,producer_byte_rate:1"}},
		{"user-1", false, []kmsg.DescribeClientQuotasRequestComponent{comp("user", exact, u1)},
			[]string{"user=user-1,client-id=client-1,producer_byte_rate:3", "user=user-1,producer_byte_rate:1"}},
		{"strict default user", true, []kmsg.DescribeClientQuotasRequestComponent{comp("user", def, nil)},
			[]string{"user=<default>,producer_byte_rate:4"}},
		{"default user", false, []kmsg.DescribeClientQuotasRequestComponent{comp("user", def, nil)},
			[]string{"user=<default>,client-id=<default>,producer_byte_rate:6", "user=<default>,producer_byte_rate:4"}},
		{"strict any user, any client", true, []kmsg.DescribeClientQuotasRequestComponent{comp("user", any, nil), comp("client-id", any, nil)},
			[]string{"user=<default>,client-id=<default>,producer_byte_rate:6", "user=user-1,client-id=client-1,producer_byte_rate:3"}},
		{"strict client-1", true, []kmsg.DescribeClientQuotasRequestComponent{comp("client-id", exact, c1)},
			[]string{"client-id=client-1,producer_byte_rate:2"}},
		{"client-1", false, []kmsg.DescribeClientQuotasRequestComponent{comp("client-id", exact, c1)},
			[]string{"client-id=client-1,producer_byte_rate:2", "user=user-1,client-id=client-1,producer_byte_rate:3"}},
		{"strict user-1 and default client", true, []kmsg.DescribeClientQuotasRequestComponent{comp("user", exact, u1), comp("client-id", def, nil)}, nil},
		{"strict unknown user", true, []kmsg.DescribeClientQuotasRequestComponent{comp("user", exact, sp("nobody"))}, nil},
	}
	for _, tc := range cases {
		got, code, _ := describeQuotas(t, a, tc.strict, tc.comps...)
		if code != 0 || strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("%s: code %d\n got %q\nwant %q", tc.name, code, got, tc.want)
		}
	}
	errCases := []struct {
		comps []kmsg.DescribeClientQuotasRequestComponent
		code  int16
		msg   string
	}{
		{[]kmsg.DescribeClientQuotasRequestComponent{comp("user", any, nil), comp("user", def, nil)}, kerr.InvalidRequest.Code, "Duplicate user filter component entity type"},
		{[]kmsg.DescribeClientQuotasRequestComponent{comp("foo", any, nil)}, kerr.UnsupportedVersion.Code, "Custom entity type 'foo' not supported"},
		{[]kmsg.DescribeClientQuotasRequestComponent{comp("", any, nil)}, kerr.InvalidRequest.Code, "Unexpected empty filter component entity type"},
		{[]kmsg.DescribeClientQuotasRequestComponent{comp("ip", any, nil), comp("user", any, nil)}, kerr.InvalidRequest.Code,
			"Invalid entity filter component combination, IP filter component should not be used with user or clientId filter component."},
		{[]kmsg.DescribeClientQuotasRequestComponent{comp("user", 7, nil)}, kerr.UnknownServerError.Code, ""},
	}
	for _, tc := range errCases {
		got, code, msg := describeQuotas(t, a, false, tc.comps...)
		if code != tc.code || msg != tc.msg || got != nil {
			t.Errorf("%+v: %d %q %q, want %d %q", tc.comps, code, msg, got, tc.code, tc.msg)
		}
	}
}

func TestAlterClientQuotas(t *testing.T) {
	a, zk := quotaTestApis(t)
	alter := func(validateOnly bool, entity []kmsg.AlterClientQuotasRequestEntryEntity, ops ...kmsg.AlterClientQuotasRequestEntryOp) (int16, string) {
		t.Helper()
		req := kmsg.NewPtrAlterClientQuotasRequest()
		req.ValidateOnly = validateOnly
		req.Entries = []kmsg.AlterClientQuotasRequestEntry{{Entity: entity, Ops: ops}}
		resp := a.handleAlterClientQuotas(req).(*kmsg.AlterClientQuotasResponse)
		if len(resp.Entries) != 1 || len(resp.Entries[0].Entity) != len(entity) {
			t.Fatalf("response %+v", resp)
		}
		msg := ""
		if resp.Entries[0].ErrorMessage != nil {
			msg = *resp.Entries[0].ErrorMessage
		}
		return resp.Entries[0].ErrorCode, msg
	}
	set := func(k string, v float64) kmsg.AlterClientQuotasRequestEntryOp {
		return kmsg.AlterClientQuotasRequestEntryOp{Key: k, Value: v}
	}
	user := func(n *string) kmsg.AlterClientQuotasRequestEntryEntity {
		return kmsg.AlterClientQuotasRequestEntryEntity{Type: "user", Name: n}
	}
	client := func(n *string) kmsg.AlterClientQuotasRequestEntryEntity {
		return kmsg.AlterClientQuotasRequestEntryEntity{Type: "client-id", Name: n}
	}
	// A user name is sanitized into the znode path; values are stored as
	// Kafka stores them (LONG as an integer, DOUBLE as Double.toString).
	if code, msg := alter(false, []kmsg.AlterClientQuotasRequestEntryEntity{user(sp("User:x y")), client(nil)},
		set("producer_byte_rate", 1024), set("request_percentage", 50), set("consumer_byte_rate", 1e7)); code != 0 {
		t.Fatalf("alter: %d %s", code, msg)
	}
	cfg, err := zk.GetEntityConfig("users", "User%3Ax%20y/clients/<default>")
	if err != nil || cfg["producer_byte_rate"] != "1024" || cfg["request_percentage"] != "50.0" || cfg["consumer_byte_rate"] != "10000000" {
		t.Fatalf("stored %v %v", cfg, err)
	}
	got, _, _ := describeQuotas(t, a, true, comp("user", kmsg.QuotasMatchTypeExact, sp("User:x y")), comp("client-id", kmsg.QuotasMatchTypeDefault, nil))
	if len(got) != 1 || got[0] != "user=User:x y,client-id=<default>,consumer_byte_rate:1e+07,producer_byte_rate:1024,request_percentage:50" {
		t.Fatalf("describe %q", got)
	}
	// Remove one key; the others stay. A notification is written per alter.
	if code, _ := alter(false, []kmsg.AlterClientQuotasRequestEntryEntity{user(sp("User:x y")), client(nil)},
		kmsg.AlterClientQuotasRequestEntryOp{Key: "request_percentage", Remove: true}); code != 0 {
		t.Fatal(code)
	}
	if cfg, _ := zk.GetEntityConfig("users", "User%3Ax%20y/clients/<default>"); len(cfg) != 2 || cfg["request_percentage"] != "" {
		t.Fatalf("after removal %v", cfg)
	}
	changes, _ := zk.GetChildren(zkutil.ConfigChangesPath)
	if len(changes) != 2 {
		t.Fatalf("notifications %v", changes)
	}
	data, _, _ := zk.GetData(zkutil.ConfigChangesPath + "/" + changes[0])
	if p, _ := zkutil.DecodeConfigChangeNotification(data); p != "users/User%3Ax%20y/clients/<default>" {
		t.Fatalf("entity path %q", p)
	}
	// validate_only checks but does not write.
	if code, _ := alter(true, []kmsg.AlterClientQuotasRequestEntryEntity{client(sp("v"))}, set("producer_byte_rate", 1)); code != 0 {
		t.Fatal(code)
	}
	if code, msg := alter(true, []kmsg.AlterClientQuotasRequestEntryEntity{client(sp("v"))}, set("bogus", 1)); code != kerr.InvalidRequest.Code || msg != "Invalid configuration key bogus" {
		t.Fatalf("validate only, bad key: %d %q", code, msg)
	}
	if ok, _, _ := zk.Exists(zkutil.ConfigEntityPath("clients", "v")); ok {
		t.Fatal("validate_only wrote the entity")
	}
	// A failing op leaves the stored config untouched.
	if code, msg := alter(false, []kmsg.AlterClientQuotasRequestEntryEntity{user(sp("User:x y")), client(nil)},
		set("producer_byte_rate", 1), set("consumer_byte_rate", 0.5)); code != kerr.InvalidRequest.Code || msg != "Configuration consumer_byte_rate must be a LONG value" {
		t.Fatalf("non-integral: %d %q", code, msg)
	}
	if cfg, _ := zk.GetEntityConfig("users", "User%3Ax%20y/clients/<default>"); cfg["producer_byte_rate"] != "1024" {
		t.Fatalf("failed alter changed %v", cfg)
	}
	// Ip entities hold connection_creation_rate only.
	ip := kmsg.AlterClientQuotasRequestEntryEntity{Type: "ip", Name: sp("1.2.3.4")}
	if code, msg := alter(false, []kmsg.AlterClientQuotasRequestEntryEntity{ip}, set("connection_creation_rate", 10)); code != 0 {
		t.Fatalf("ip: %d %q", code, msg)
	}
	if code, msg := alter(false, []kmsg.AlterClientQuotasRequestEntryEntity{ip}, set("producer_byte_rate", 10)); code != kerr.InvalidRequest.Code || msg != "Invalid configuration key producer_byte_rate" {
		t.Fatalf("ip quota key: %d %q", code, msg)
	}
	got, _, _ = describeQuotas(t, a, false, comp("ip", kmsg.QuotasMatchTypeAny, nil))
	if len(got) != 1 || got[0] != "ip=1.2.3.4,connection_creation_rate:10" {
		t.Fatalf("ips %q", got)
	}
	if code, msg := alter(false, []kmsg.AlterClientQuotasRequestEntryEntity{{Type: "group", Name: sp("g")}}, set("producer_byte_rate", 1)); code != kerr.InvalidRequest.Code || msg != "Unhandled client quota entity type: group" {
		t.Fatalf("unknown type: %d %q", code, msg)
	}
}
