package api

import (
	"reflect"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gokafka/kafka/core/controller"
	"github.com/gokafka/kafka/core/network"
	"github.com/gokafka/kafka/zkutil"
)

// fakeController is an api.Controller whose only real answer is IsActive.
type fakeController struct {
	Controller
	active bool
}

func (f fakeController) IsActive() bool { return f.active }

func (f fakeController) AlterIsr(int32, int64, map[zkutil.TopicPartition]controller.AlterIsrRequest) (map[zkutil.TopicPartition]controller.AlterIsrResult, *kerr.Error, error) {
	return nil, kerr.StaleBrokerEpoch, nil
}

func handle(t *testing.T, a *KafkaApis, req kmsg.Request) (kmsg.Response, error) {
	t.Helper()
	return a.Handle(&network.Request{Header: network.RequestHeader{APIKey: req.Key(), APIVersion: req.GetVersion()}, Body: req})
}

func TestAclRequestsKafkaCannotParseCloseTheConnection(t *testing.T) {
	a := NewKafkaApis(Config{}, nil, nil, nil, nil, nil)
	ok := func(v int16, rt kmsg.ACLResourceType, pt kmsg.ACLResourcePatternType, op kmsg.ACLOperation, perm kmsg.ACLPermissionType) error {
		d := kmsg.NewPtrDescribeACLsRequest()
		d.Version, d.ResourceType, d.ResourcePatternType, d.Operation, d.PermissionType = v, rt, pt, op, perm
		resp, err := handle(t, a, d)
		if err == nil {
			r := resp.(*kmsg.DescribeACLsResponse)
			if r.ErrorCode != kerr.SecurityDisabled.Code || r.ErrorMessage == nil || *r.ErrorMessage != "No Authorizer is configured on the broker" {
				t.Fatalf("v%d: %+v", v, r)
			}
		}
		return err
	}
	if err := ok(1, 2, 4, 3, 3); err != nil { // TOPIC PREFIXED READ ALLOW
		t.Fatal(err)
	}
	if err := ok(0, 1, 1, 1, 1); err != nil { // v0 with pattern ANY is read as LITERAL
		t.Fatal(err)
	}
	for _, bad := range [][5]int8{
		{0, 2, 4, 3, 3},  // v0 with PREFIXED
		{1, 0, 3, 3, 3},  // UNKNOWN resource type
		{1, 7, 3, 3, 3},  // out of range: UNKNOWN
		{1, 2, 0, 3, 3},  // UNKNOWN pattern
		{1, 2, 3, 13, 3}, // unknown operation
		{1, 2, 3, 3, 4},  // unknown permission
	} {
		if err := ok(int16(bad[0]), kmsg.ACLResourceType(bad[1]), kmsg.ACLResourcePatternType(bad[2]), kmsg.ACLOperation(bad[3]), kmsg.ACLPermissionType(bad[4])); err == nil {
			t.Errorf("%v answered; Kafka cannot parse it", bad)
		}
	}

	c := kmsg.NewPtrCreateACLsRequest()
	c.Version = 0
	cr := kmsg.NewCreateACLsRequestCreation()
	cr.ResourceType, cr.ResourceName, cr.ResourcePatternType, cr.Operation, cr.PermissionType = 2, "t", 4, 3, 3
	c.Creations = append(c.Creations, cr)
	if _, err := handle(t, a, c); err == nil {
		t.Error("CreateAcls v0 with a PREFIXED pattern was answered")
	}
	c.Version = 1
	resp, err := handle(t, a, c)
	if err != nil {
		t.Fatal(err)
	}
	if r := resp.(*kmsg.CreateACLsResponse); len(r.Results) != 1 || r.Results[0].ErrorCode != kerr.SecurityDisabled.Code ||
		*r.Results[0].ErrorMessage != "No Authorizer is configured on the broker." {
		t.Errorf("CreateAcls: %+v", r)
	}

	d := kmsg.NewPtrDeleteACLsRequest()
	f := kmsg.NewDeleteACLsRequestFilter()
	f.ResourceType, f.ResourcePatternType, f.Operation, f.PermissionType = 1, 1, 1, 1
	d.Filters = append(d.Filters, f, f)
	resp, err = handle(t, a, d)
	if err != nil {
		t.Fatal(err)
	}
	if r := resp.(*kmsg.DeleteACLsResponse); len(r.Results) != 2 || r.Results[1].ErrorCode != kerr.SecurityDisabled.Code {
		t.Errorf("DeleteAcls: %+v", r)
	}
	d.Version = 0
	d.Filters[0].ResourcePatternType = 2 // MATCH is not allowed at v0
	if _, err := handle(t, a, d); err == nil {
		t.Error("DeleteAcls v0 with MATCH was answered")
	}
}

func TestUpdateFeaturesFollowsKafka28Checks(t *testing.T) {
	req := kmsg.NewPtrUpdateFeaturesRequest()
	for _, u := range []struct {
		name  string
		level int16
		down  bool
	}{{"a", 3, false}, {"b", 0, true}, {"a", -1, false}} {
		fu := kmsg.NewUpdateFeaturesRequestFeatureUpdate()
		fu.Feature, fu.MaxVersionLevel, fu.AllowDowngrade = u.name, u.level, u.down
		req.FeatureUpdates = append(req.FeatureUpdates, fu)
	}
	run := func(cfg Config, active bool) *kmsg.UpdateFeaturesResponse {
		a := NewKafkaApis(cfg, nil, nil, nil, fakeController{active: active}, nil)
		resp, err := handle(t, a, req)
		if err != nil {
			t.Fatal(err)
		}
		return resp.(*kmsg.UpdateFeaturesResponse)
	}
	r := run(Config{}, false)
	if r.ErrorCode != kerr.NotController.Code || len(r.Results) != 0 {
		t.Errorf("not controller: %+v", r)
	}
	old := Config{IBPAtLeast: func(v string) bool { return v <= "2.6" }}
	r = run(old, true)
	if r.ErrorCode != kerr.InvalidRequest.Code || *r.ErrorMessage != "Feature versioning system is disabled." || len(r.Results) != 0 {
		t.Errorf("IBP 2.6: %+v", r)
	}
	r = run(Config{}, true)
	if r.ErrorCode != 0 || len(r.Results) != 2 {
		t.Fatalf("controller: %+v", r)
	}
	got := map[string]string{}
	for _, res := range r.Results {
		if res.ErrorCode != kerr.InvalidRequest.Code {
			t.Errorf("%s: code %d", res.Feature, res.ErrorCode)
		}
		got[res.Feature] = *res.ErrorMessage
	}
	want := map[string]string{
		// "a" named twice: first place, last outcome.
		"a": "Can not provide maxVersionLevel: -1 less than 1 without setting the allowDowngrade flag to true in the request.",
		"b": "Can not delete non-existing finalized feature.",
	}
	if !reflect.DeepEqual(got, want) || r.Results[0].Feature != "a" {
		t.Errorf("results %v", r.Results)
	}
}

func TestAlterUserScramCredentialsValidationNeedsNoZooKeeper(t *testing.T) {
	a := NewKafkaApis(Config{}, nil, nil, nil, fakeController{active: true}, nil)
	req := kmsg.NewPtrAlterUserSCRAMCredentialsRequest()
	up := func(user string, mech int8, it int32) {
		u := kmsg.NewAlterUserSCRAMCredentialsRequestUpsertion()
		u.Name, u.Mechanism, u.Iterations = user, mech, it
		req.Upsertions = append(req.Upsertions, u)
	}
	del := func(user string, mech int8) {
		d := kmsg.NewAlterUserSCRAMCredentialsRequestDeletion()
		d.Name, d.Mechanism = user, mech
		req.Deletions = append(req.Deletions, d)
	}
	up("z", 1, 4095)
	up("y", 2, 16385)
	up("x", 0, 8192)
	del("x", 1)
	del("w", 3)
	up("w", 1, 10) // the upsertion's reason wins for w
	up("", 1, 8192)
	resp, err := handle(t, a, req)
	if err != nil {
		t.Fatal(err)
	}
	type res struct {
		user string
		code int16
		msg  string
	}
	var got []res
	for _, r := range resp.(*kmsg.AlterUserSCRAMCredentialsResponse).Results {
		got = append(got, res{r.User, r.ErrorCode, *r.ErrorMessage})
	}
	want := []res{
		{"", kerr.UnacceptableCredential.Code, "Username must not be empty"},
		{"w", kerr.UnacceptableCredential.Code, "Too few iterations"},
		{"x", kerr.UnsupportedSaslMechanism.Code, "Unknown SCRAM mechanism"},
		{"y", kerr.UnacceptableCredential.Code, "Too many iterations"},
		{"z", kerr.UnacceptableCredential.Code, "Too few iterations"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %v\nwant %v", got, want)
	}

	// Away from the controller every user gets NOT_CONTROLLER, sorted.
	a = NewKafkaApis(Config{}, nil, nil, nil, fakeController{active: false}, nil)
	resp, _ = handle(t, a, req)
	var users []string
	for _, r := range resp.(*kmsg.AlterUserSCRAMCredentialsResponse).Results {
		if r.ErrorCode != kerr.NotController.Code {
			t.Errorf("%q: code %d", r.User, r.ErrorCode)
		}
		users = append(users, r.User)
	}
	if !reflect.DeepEqual(users, []string{"", "w", "x", "y", "z"}) {
		t.Errorf("users %v", users)
	}
}

func TestAlterIsrTopLevelErrors(t *testing.T) {
	req := kmsg.NewPtrAlterPartitionRequest()
	a := NewKafkaApis(Config{}, nil, nil, nil, fakeController{active: false}, nil)
	resp, _ := handle(t, a, req)
	if r := resp.(*kmsg.AlterPartitionResponse); r.ErrorCode != kerr.NotController.Code {
		t.Errorf("not controller: %+v", r)
	}
	a = NewKafkaApis(Config{}, nil, nil, nil, fakeController{active: true}, nil)
	resp, _ = handle(t, a, req)
	if r := resp.(*kmsg.AlterPartitionResponse); r.ErrorCode != kerr.StaleBrokerEpoch.Code || len(r.Topics) != 0 {
		t.Errorf("stale broker epoch: %+v", r)
	}
}

func TestSaslAndDelegationTokenAnswers(t *testing.T) {
	a := NewKafkaApis(Config{}, nil, nil, nil, nil, nil)
	resp, err := handle(t, a, kmsg.NewPtrSASLHandshakeRequest())
	if r, _ := resp.(*kmsg.SASLHandshakeResponse); err != nil || r.ErrorCode != kerr.IllegalSaslState.Code || len(r.SupportedMechanisms) != 0 {
		t.Errorf("SaslHandshake: %+v %v", resp, err)
	}
	resp, err = handle(t, a, kmsg.NewPtrSASLAuthenticateRequest())
	if r, _ := resp.(*kmsg.SASLAuthenticateResponse); err != nil || r.ErrorCode != kerr.IllegalSaslState.Code || *r.ErrorMessage != saslAuthenticateMessage {
		t.Errorf("SaslAuthenticate: %+v %v", resp, err)
	}
	for _, req := range []kmsg.Request{
		kmsg.NewPtrCreateDelegationTokenRequest(), kmsg.NewPtrRenewDelegationTokenRequest(),
		kmsg.NewPtrExpireDelegationTokenRequest(), kmsg.NewPtrDescribeDelegationTokenRequest(),
	} {
		resp, err := handle(t, a, req)
		if err != nil {
			t.Fatal(err)
		}
		var code int16
		switch r := resp.(type) {
		case *kmsg.CreateDelegationTokenResponse:
			code = r.ErrorCode
		case *kmsg.RenewDelegationTokenResponse:
			code = r.ErrorCode
		case *kmsg.ExpireDelegationTokenResponse:
			code = r.ErrorCode
		case *kmsg.DescribeDelegationTokenResponse:
			code = r.ErrorCode
		}
		if code != kerr.DelegationTokenRequestNotAllowed.Code {
			t.Errorf("%s: code %d", kmsg.NameForKey(req.Key()), code)
		}
	}
}

// On a SASL connection token requests pass 2.8's channel check and find
// token authentication disabled; the owner is the connection's principal.
func TestDelegationTokensOnSaslConnection(t *testing.T) {
	a := NewKafkaApis(Config{}, nil, nil, nil, nil, nil)
	sasl := func(req kmsg.Request) kmsg.Response {
		resp, err := a.Handle(&network.Request{Header: network.RequestHeader{APIKey: req.Key(), APIVersion: req.GetVersion()}, Body: req, Principal: "User:alice"})
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	create := kmsg.NewPtrCreateDelegationTokenRequest()
	if r := sasl(create).(*kmsg.CreateDelegationTokenResponse); r.ErrorCode != kerr.DelegationTokenAuthDisabled.Code || r.PrincipalType != "User" || r.PrincipalName != "alice" {
		t.Errorf("create: %+v", r)
	}
	create.Renewers = []kmsg.CreateDelegationTokenRequestRenewer{{PrincipalType: "Group", PrincipalName: "g"}}
	if r := sasl(create).(*kmsg.CreateDelegationTokenResponse); r.ErrorCode != kerr.InvalidPrincipalType.Code {
		t.Errorf("create with a Group renewer: %+v", r)
	}
	if r := sasl(kmsg.NewPtrRenewDelegationTokenRequest()).(*kmsg.RenewDelegationTokenResponse); r.ErrorCode != kerr.DelegationTokenAuthDisabled.Code || r.ExpiryTimestamp != -1 {
		t.Errorf("renew: %+v", r)
	}
	if r := sasl(kmsg.NewPtrExpireDelegationTokenRequest()).(*kmsg.ExpireDelegationTokenResponse); r.ErrorCode != kerr.DelegationTokenAuthDisabled.Code {
		t.Errorf("expire: %+v", r)
	}
	if r := sasl(kmsg.NewPtrDescribeDelegationTokenRequest()).(*kmsg.DescribeDelegationTokenResponse); r.ErrorCode != kerr.DelegationTokenAuthDisabled.Code || len(r.TokenDetails) != 0 {
		t.Errorf("describe: %+v", r)
	}
}

// Quotas are kept per SASL user; PLAINTEXT connections are ANONYMOUS.
func TestRequestUser(t *testing.T) {
	for principal, want := range map[string]string{"": "ANONYMOUS", "User:alice": "alice", "User:a:b": "a:b"} {
		if got := requestUser(&network.Request{Principal: principal}); got != want {
			t.Errorf("%q: %q, want %q", principal, got, want)
		}
	}
}
