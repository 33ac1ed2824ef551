package integration

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gokafka/kafka/zkutil"
)

// The API keys a Kafka 2.8 broker configured like ours (PLAINTEXT
// listeners, no authorizer, no SASL) answers with fixed errors, plus the
// two that do real work here: SCRAM credentials in ZooKeeper and AlterIsr
// on the controller. Requests go over the socket, answers are compared
// with 2.8's.

// surfaceConn is one raw connection with a running correlation id.
type surfaceConn struct {
	t    *testing.T
	conn net.Conn
	corr int32
}

func newSurfaceConn(t *testing.T, addr string) *surfaceConn {
	return &surfaceConn{t: t, conn: dial(t, addr)}
}

func (c *surfaceConn) do(req kmsg.Request) kmsg.Response {
	c.t.Helper()
	c.corr++
	resp, err := RoundTrip(c.conn, req, c.corr, 20*time.Second)
	if err != nil {
		c.t.Fatalf("%s v%d: %v", kmsg.NameForKey(req.Key()), req.GetVersion(), err)
	}
	return resp
}

func surfaceErrName(code int16) string {
	if code == 0 {
		return "NONE"
	}
	if e, ok := kerr.ErrorForCode(code).(*kerr.Error); ok {
		return e.Message
	}
	return fmt.Sprint(code)
}

func wantCode(t *testing.T, what string, got int16, want *kerr.Error) {
	t.Helper()
	w := int16(0)
	if want != nil {
		w = want.Code
	}
	if got != w {
		t.Errorf("%s: error %s, want %s", what, surfaceErrName(got), surfaceErrName(w))
	}
}

func wantMsg(t *testing.T, what string, got *string, want string) {
	t.Helper()
	if got == nil || *got != want {
		g := "<null>"
		if got != nil {
			g = fmt.Sprintf("%q", *got)
		}
		t.Errorf("%s: message %s, want %q", what, g, want)
	}
}

// surfaceZK connects to the cluster's ZooKeeper (no chroot).
func surfaceZK(t *testing.T, c *Cluster) *zkutil.Client {
	t.Helper()
	zc, err := zkutil.Connect(c.ZK, 10*time.Second, 15*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(zc.Close)
	return zc
}

// surfaceController returns the controller broker and another one.
func surfaceController(t *testing.T, c *Cluster, zc *zkutil.Client) (ctrl, other *Broker) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		id, ok, err := zc.GetControllerID()
		if err == nil && ok {
			for _, b := range c.Brokers {
				if int32(b.ID) == id {
					ctrl = b
				} else {
					other = b
				}
			}
			if ctrl != nil {
				return ctrl, other
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("no controller")
	return nil, nil
}

func TestApiSurfaceKafka28(t *testing.T) {
	c := StartClusterN(t, 2, nil)
	zc := surfaceZK(t, c)
	ctrl, other := surfaceController(t, c, zc)
	conn := newSurfaceConn(t, ctrl.Addr())
	otherConn := newSurfaceConn(t, other.Addr())

	t.Run("sasl", func(t *testing.T) {
		for v := int16(0); v <= 1; v++ {
			req := kmsg.NewPtrSASLHandshakeRequest()
			req.Version, req.Mechanism = v, "PLAIN"
			resp := conn.do(req).(*kmsg.SASLHandshakeResponse)
			wantCode(t, fmt.Sprintf("SaslHandshake v%d", v), resp.ErrorCode, kerr.IllegalSaslState)
			if len(resp.SupportedMechanisms) != 0 {
				t.Errorf("SaslHandshake v%d: mechanisms %v, want none", v, resp.SupportedMechanisms)
			}
		}
		for v := int16(0); v <= 2; v++ {
			req := kmsg.NewPtrSASLAuthenticateRequest()
			req.Version, req.SASLAuthBytes = v, []byte("\x00alice\x00secret")
			resp := conn.do(req).(*kmsg.SASLAuthenticateResponse)
			what := fmt.Sprintf("SaslAuthenticate v%d", v)
			wantCode(t, what, resp.ErrorCode, kerr.IllegalSaslState)
			wantMsg(t, what, resp.ErrorMessage, "SaslAuthenticate request received after successful authentication")
		}
	})

	t.Run("acls", func(t *testing.T) {
		for v := int16(0); v <= 2; v++ {
			d := kmsg.NewPtrDescribeACLsRequest()
			d.Version = v
			d.ResourceType, d.ResourcePatternType, d.Operation, d.PermissionType = 1, 1, 1, 1 // ANY
			dr := conn.do(d).(*kmsg.DescribeACLsResponse)
			what := fmt.Sprintf("DescribeAcls v%d", v)
			wantCode(t, what, dr.ErrorCode, kerr.SecurityDisabled)
			wantMsg(t, what, dr.ErrorMessage, "No Authorizer is configured on the broker")
			if len(dr.Resources) != 0 {
				t.Errorf("%s: resources %v", what, dr.Resources)
			}

			cr := kmsg.NewPtrCreateACLsRequest()
			cr.Version = v
			for _, name := range []string{"t1", "t2"} {
				cc := kmsg.NewCreateACLsRequestCreation()
				cc.ResourceType, cc.ResourceName, cc.ResourcePatternType = 2, name, 3
				cc.Principal, cc.Host, cc.Operation, cc.PermissionType = "User:alice", "*", 3, 3
				cr.Creations = append(cr.Creations, cc)
			}
			crr := conn.do(cr).(*kmsg.CreateACLsResponse)
			what = fmt.Sprintf("CreateAcls v%d", v)
			if len(crr.Results) != 2 {
				t.Fatalf("%s: %d results, want 2", what, len(crr.Results))
			}
			for _, r := range crr.Results {
				wantCode(t, what, r.ErrorCode, kerr.SecurityDisabled)
				wantMsg(t, what, r.ErrorMessage, "No Authorizer is configured on the broker.")
			}

			del := kmsg.NewPtrDeleteACLsRequest()
			del.Version = v
			f := kmsg.NewDeleteACLsRequestFilter()
			f.ResourceType, f.ResourcePatternType, f.Operation, f.PermissionType = 1, 1, 1, 1
			del.Filters = append(del.Filters, f)
			delr := conn.do(del).(*kmsg.DeleteACLsResponse)
			what = fmt.Sprintf("DeleteAcls v%d", v)
			if len(delr.Results) != 1 {
				t.Fatalf("%s: %d results, want 1", what, len(delr.Results))
			}
			wantCode(t, what, delr.Results[0].ErrorCode, kerr.SecurityDisabled)
			wantMsg(t, what, delr.Results[0].ErrorMessage, "No Authorizer is configured on the broker.")
		}

		// A filter Kafka cannot parse (UNKNOWN resource type) closes the
		// connection instead of being answered.
		bad := kmsg.NewPtrDescribeACLsRequest()
		bad.Version = 1
		bad.ResourcePatternType, bad.Operation, bad.PermissionType = 1, 1, 1
		raw := dial(t, ctrl.Addr())
		if _, err := RoundTrip(raw, bad, 1, 10*time.Second); err == nil {
			t.Error("DescribeAcls with resource type UNKNOWN was answered; Kafka closes the connection")
		}

	})

	t.Run("delegation-tokens", func(t *testing.T) {
		for v := int16(0); v <= 2; v++ {
			cr := kmsg.NewPtrCreateDelegationTokenRequest()
			cr.Version, cr.MaxLifetimeMillis = v, -1
			r := conn.do(cr).(*kmsg.CreateDelegationTokenResponse)
			what := fmt.Sprintf("CreateDelegationToken v%d", v)
			wantCode(t, what, r.ErrorCode, kerr.DelegationTokenRequestNotAllowed)
			if r.PrincipalType != "User" || r.PrincipalName != "ANONYMOUS" || r.IssueTimestamp != -1 ||
				r.ExpiryTimestamp != -1 || r.MaxTimestamp != -1 || r.TokenID != "" || len(r.HMAC) != 0 {
				t.Errorf("%s: %+v", what, r)
			}

			rn := kmsg.NewPtrRenewDelegationTokenRequest()
			rn.Version, rn.HMAC, rn.RenewTimeMillis = v, []byte{1, 2}, 1000
			rr := conn.do(rn).(*kmsg.RenewDelegationTokenResponse)
			wantCode(t, fmt.Sprintf("RenewDelegationToken v%d", v), rr.ErrorCode, kerr.DelegationTokenRequestNotAllowed)
			if rr.ExpiryTimestamp != -1 {
				t.Errorf("RenewDelegationToken v%d: expiry %d", v, rr.ExpiryTimestamp)
			}

			ex := kmsg.NewPtrExpireDelegationTokenRequest()
			ex.Version, ex.HMAC, ex.ExpiryPeriodMillis = v, []byte{1, 2}, -1
			er := conn.do(ex).(*kmsg.ExpireDelegationTokenResponse)
			wantCode(t, fmt.Sprintf("ExpireDelegationToken v%d", v), er.ErrorCode, kerr.DelegationTokenRequestNotAllowed)
			if er.ExpiryTimestamp != -1 {
				t.Errorf("ExpireDelegationToken v%d: expiry %d", v, er.ExpiryTimestamp)
			}

			ds := kmsg.NewPtrDescribeDelegationTokenRequest()
			ds.Version = v
			dr := otherConn.do(ds).(*kmsg.DescribeDelegationTokenResponse)
			wantCode(t, fmt.Sprintf("DescribeDelegationToken v%d", v), dr.ErrorCode, kerr.DelegationTokenRequestNotAllowed)
			if len(dr.TokenDetails) != 0 {
				t.Errorf("DescribeDelegationToken v%d: tokens %v", v, dr.TokenDetails)
			}
		}
	})

	t.Run("update-features", func(t *testing.T) {
		req := kmsg.NewPtrUpdateFeaturesRequest()
		req.TimeoutMillis = 5000
		for _, u := range []struct {
			name      string
			level     int16
			downgrade bool
		}{{"some.feature", 2, false}, {"", 1, false}, {"gone", 0, true}, {"zero", 0, false}} {
			fu := kmsg.NewUpdateFeaturesRequestFeatureUpdate()
			fu.Feature, fu.MaxVersionLevel, fu.AllowDowngrade = u.name, u.level, u.downgrade
			req.FeatureUpdates = append(req.FeatureUpdates, fu)
		}
		nr := otherConn.do(req).(*kmsg.UpdateFeaturesResponse)
		wantCode(t, "UpdateFeatures on a non-controller", nr.ErrorCode, kerr.NotController)
		if len(nr.Results) != 0 {
			t.Errorf("UpdateFeatures on a non-controller: results %v", nr.Results)
		}
		r := conn.do(req).(*kmsg.UpdateFeaturesResponse)
		wantCode(t, "UpdateFeatures", r.ErrorCode, nil)
		want := map[string]string{
			"some.feature": "Could not apply finalized feature update because the provided feature is not supported.",
			"":             "Feature name can not be empty.",
			"gone":         "Can not delete non-existing finalized feature.",
			"zero":         "Can not provide maxVersionLevel: 0 less than 1 without setting the allowDowngrade flag to true in the request.",
		}
		if len(r.Results) != len(want) {
			t.Fatalf("UpdateFeatures: %d results, want %d", len(r.Results), len(want))
		}
		for _, res := range r.Results {
			wantCode(t, "UpdateFeatures "+res.Feature, res.ErrorCode, kerr.InvalidRequest)
			wantMsg(t, "UpdateFeatures "+res.Feature, res.ErrorMessage, want[res.Feature])
		}
		if ok, _, _ := zc.Exists("/feature"); ok {
			data, _, _ := zc.GetData("/feature")
			if bytes.Contains(data, []byte("some.feature")) {
				t.Errorf("/feature was written: %s", data)
			}
		}
	})

	t.Run("scram", func(t *testing.T) { testScramRoundTrip(t, c, zc, conn, otherConn) })
	t.Run("alter-isr", func(t *testing.T) { testAlterIsr(t, c, zc, ctrl, other, conn, otherConn) })
}

func upsertion(user string, mech int8, iterations int32, salt, salted []byte) kmsg.AlterUserSCRAMCredentialsRequestUpsertion {
	u := kmsg.NewAlterUserSCRAMCredentialsRequestUpsertion()
	u.Name, u.Mechanism, u.Iterations, u.Salt, u.SaltedPassword = user, mech, iterations, salt, salted
	return u
}

func deletion(user string, mech int8) kmsg.AlterUserSCRAMCredentialsRequestDeletion {
	d := kmsg.NewAlterUserSCRAMCredentialsRequestDeletion()
	d.Name, d.Mechanism = user, mech
	return d
}

type alterResult struct {
	code int16
	msg  string
}

func alterScram(t *testing.T, conn *surfaceConn, dels []kmsg.AlterUserSCRAMCredentialsRequestDeletion, ups []kmsg.AlterUserSCRAMCredentialsRequestUpsertion) map[string]alterResult {
	t.Helper()
	req := kmsg.NewPtrAlterUserSCRAMCredentialsRequest()
	req.Deletions, req.Upsertions = dels, ups
	resp := conn.do(req).(*kmsg.AlterUserSCRAMCredentialsResponse)
	out := map[string]alterResult{}
	for _, r := range resp.Results {
		if _, dup := out[r.User]; dup {
			t.Errorf("AlterUserScramCredentials: user %q answered twice", r.User)
		}
		m := ""
		if r.ErrorMessage != nil {
			m = *r.ErrorMessage
		}
		out[r.User] = alterResult{r.ErrorCode, m}
	}
	return out
}

// describeScram returns, per user, the error code and "mechanism:iterations" list.
func describeScram(t *testing.T, conn *surfaceConn, users ...string) map[string]string {
	t.Helper()
	req := kmsg.NewPtrDescribeUserSCRAMCredentialsRequest()
	for _, u := range users {
		ru := kmsg.NewDescribeUserSCRAMCredentialsRequestUser()
		ru.Name = u
		req.Users = append(req.Users, ru)
	}
	resp := conn.do(req).(*kmsg.DescribeUserSCRAMCredentialsResponse)
	if resp.ErrorCode != 0 {
		t.Fatalf("DescribeUserScramCredentials: top-level %s", surfaceErrName(resp.ErrorCode))
	}
	out := map[string]string{}
	for _, r := range resp.Results {
		if r.ErrorCode != 0 {
			m := ""
			if r.ErrorMessage != nil {
				m = *r.ErrorMessage
			}
			out[r.User] = surfaceErrName(r.ErrorCode) + ": " + m
			continue
		}
		var parts []string
		for _, ci := range r.CredentialInfos {
			parts = append(parts, fmt.Sprintf("%d:%d", ci.Mechanism, ci.Iterations))
		}
		out[r.User] = strings.Join(parts, ",")
	}
	return out
}

func testScramRoundTrip(t *testing.T, c *Cluster, zc *zkutil.Client, conn, otherConn *surfaceConn) {
	salt := []byte("0123456789abcdef")
	salted256, _ := zkutil.SaltedPassword(zkutil.ScramSHA256, "alice-secret", salt, 8192)
	salted512, _ := zkutil.SaltedPassword(zkutil.ScramSHA512, "alice-secret", salt, 4096)

	// alice already has a quota, which the credentials must not disturb.
	if err := zc.SetOrCreateEntityConfig(zkutil.ConfigTypeUser, "alice", map[string]string{"producer_byte_rate": "1048576"}); err != nil {
		t.Fatal(err)
	}

	// Only the controller alters.
	got := alterScram(t, otherConn, nil, []kmsg.AlterUserSCRAMCredentialsRequestUpsertion{upsertion("alice", 1, 8192, salt, salted256)})
	if r := got["alice"]; len(got) != 1 || r.code != kerr.NotController.Code {
		t.Fatalf("alter on a non-controller: %v", got)
	}

	got = alterScram(t, conn, nil, []kmsg.AlterUserSCRAMCredentialsRequestUpsertion{
		upsertion("alice", 1, 8192, salt, salted256),
		upsertion("alice", 2, 4096, salt, salted512),
		upsertion("user@example.com", 1, 16384, salt, salted256),
	})
	if !reflect.DeepEqual(got, map[string]alterResult{"alice": {}, "user@example.com": {}}) {
		t.Fatalf("alter: %v", got)
	}

	if d := describeScram(t, conn, "alice"); d["alice"] != "1:8192,2:4096" {
		t.Errorf("describe alice: %v", d)
	}
	all := describeScram(t, otherConn)
	if !reflect.DeepEqual(all, map[string]string{"alice": "1:8192,2:4096", "user@example.com": "1:16384"}) {
		t.Errorf("describe all: %v", all)
	}

	// The znodes hold Kafka's format; other keys are kept; the name is sanitized.
	data, _, err := zc.GetData("/config/users/alice")
	if err != nil {
		t.Fatal(err)
	}
	var node struct {
		Version int               `json:"version"`
		Config  map[string]string `json:"config"`
	}
	if err := json.Unmarshal(data, &node); err != nil || node.Version != 1 {
		t.Fatalf("/config/users/alice: %s (%v)", data, err)
	}
	cred256, _ := zkutil.GenerateScramCredential(zkutil.ScramSHA256, salt, salted256, 8192)
	cred512, _ := zkutil.GenerateScramCredential(zkutil.ScramSHA512, salt, salted512, 4096)
	want := map[string]string{"producer_byte_rate": "1048576", "SCRAM-SHA-256": cred256.String(), "SCRAM-SHA-512": cred512.String()}
	if !reflect.DeepEqual(node.Config, want) {
		t.Errorf("/config/users/alice config\n got %v\nwant %v", node.Config, want)
	}
	form := regexp.MustCompile(`^salt=MDEyMzQ1Njc4OWFiY2RlZg==,stored_key=[A-Za-z0-9+/]+=*,server_key=[A-Za-z0-9+/]+=*,iterations=8192$`)
	if !form.MatchString(node.Config["SCRAM-SHA-256"]) {
		t.Errorf("SCRAM-SHA-256 value %q is not ScramCredentialUtils' form", node.Config["SCRAM-SHA-256"])
	}
	if ok, _, _ := zc.Exists("/config/users/user%40example.com"); !ok {
		t.Error("/config/users/user%40example.com missing (Sanitizer)")
	}
	changes, _ := zc.GetChildren("/config/changes")
	var paths []string
	for _, n := range changes {
		d, _, err := zc.GetData("/config/changes/" + n)
		if err == nil {
			p, _ := zkutil.DecodeConfigChangeNotification(d)
			paths = append(paths, p)
		}
	}
	for _, p := range []string{"users/alice", "users/user%40example.com"} {
		found := false
		for _, q := range paths {
			found = found || q == p
		}
		if !found {
			t.Errorf("no /config/changes notification for %s (have %v)", p, paths)
		}
	}

	// 2.8's validation errors.
	got = alterScram(t, conn,
		[]kmsg.AlterUserSCRAMCredentialsRequestDeletion{deletion("bob", 1), deletion("", 1)},
		[]kmsg.AlterUserSCRAMCredentialsRequestUpsertion{
			upsertion("carol", 1, 100, salt, salted256),
			upsertion("dave", 1, 20000, salt, salted256),
			upsertion("erin", 7, 8192, salt, salted256),
			upsertion("frank", 1, 8192, salt, salted256),
			upsertion("frank", 1, 4096, salt, salted256),
		})
	wantAlter := map[string]alterResult{
		"":      {kerr.UnacceptableCredential.Code, "Username must not be empty"},
		"bob":   {kerr.ResourceNotFound.Code, "Attempt to delete a user credential that does not exist"},
		"carol": {kerr.UnacceptableCredential.Code, "Too few iterations"},
		"dave":  {kerr.UnacceptableCredential.Code, "Too many iterations"},
		"erin":  {kerr.UnsupportedSaslMechanism.Code, "Unknown SCRAM mechanism"},
		"frank": {kerr.DuplicateResource.Code, "A user credential cannot be altered twice in the same request"},
	}
	if !reflect.DeepEqual(got, wantAlter) {
		t.Errorf("validation\n got %v\nwant %v", got, wantAlter)
	}
	d := describeScram(t, conn, "bob", "", "alice", "alice")
	wantDescribe := map[string]string{
		"bob":   "RESOURCE_NOT_FOUND: Attempt to describe a user credential that does not exist: bob",
		"":      "RESOURCE_NOT_FOUND: Username must not be empty",
		"alice": "DUPLICATE_RESOURCE: Cannot describe SCRAM credentials for the same user twice in a single request: alice",
	}
	if !reflect.DeepEqual(d, wantDescribe) {
		t.Errorf("describe errors\n got %v\nwant %v", d, wantDescribe)
	}

	// Delete one mechanism, then the other: the quota stays.
	if got := alterScram(t, conn, []kmsg.AlterUserSCRAMCredentialsRequestDeletion{deletion("alice", 1)}, nil); got["alice"].code != 0 {
		t.Fatalf("delete SCRAM-SHA-256: %v", got)
	}
	if d := describeScram(t, conn, "alice"); d["alice"] != "2:4096" {
		t.Errorf("after deleting SHA-256: %v", d)
	}
	if got := alterScram(t, conn, []kmsg.AlterUserSCRAMCredentialsRequestDeletion{deletion("alice", 2)}, nil); got["alice"].code != 0 {
		t.Fatalf("delete SCRAM-SHA-512: %v", got)
	}
	if d := describeScram(t, conn, "alice"); !strings.HasPrefix(d["alice"], "RESOURCE_NOT_FOUND") {
		t.Errorf("after deleting both: %v", d)
	}
	cfg, err := zc.GetEntityConfig(zkutil.ConfigTypeUser, "alice")
	if err != nil || !reflect.DeepEqual(cfg, map[string]string{"producer_byte_rate": "1048576"}) {
		t.Errorf("/config/users/alice after deletes: %v %v", cfg, err)
	}

	// A credential ZooKeeper holds in a bad form is reported, not skipped.
	if err := zc.SetOrCreateEntityConfig(zkutil.ConfigTypeUser, "mallory", map[string]string{"SCRAM-SHA-256": "salt=x"}); err != nil {
		t.Fatal(err)
	}
	if d := describeScram(t, conn, "mallory"); !strings.HasPrefix(d["mallory"], "UNKNOWN_SERVER_ERROR") {
		t.Errorf("describe a corrupt credential: %v", d)
	}

	// franz-go's admin client (password salted client side) round trip.
	adm := kadmClient(t, c.Bootstrap())
	ctx := testContext(t, 30*time.Second)
	altered, err := adm.AlterUserSCRAMs(ctx, nil, []kadm.UpsertSCRAM{{User: "grace", Mechanism: kadm.ScramSha512, Iterations: 5000, Password: "pw"}})
	if err != nil || altered["grace"].Err != nil {
		t.Fatalf("kadm AlterUserSCRAMs: %v %v", err, altered)
	}
	described, err := adm.DescribeUserSCRAMs(ctx, "grace")
	if err != nil || described["grace"].Err != nil || len(described["grace"].CredInfos) != 1 ||
		described["grace"].CredInfos[0].Mechanism != kadm.ScramSha512 || described["grace"].CredInfos[0].Iterations != 5000 {
		t.Errorf("kadm DescribeUserSCRAMs: %v %+v", err, described)
	}
}

func alterIsrRequest(brokerID int32, brokerEpoch int64, topic string, partition, leaderEpoch int32, isr []int32, version int32) *kmsg.AlterPartitionRequest {
	req := kmsg.NewPtrAlterPartitionRequest()
	req.Version = 0
	req.BrokerID, req.BrokerEpoch = brokerID, brokerEpoch
	rt := kmsg.NewAlterPartitionRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewAlterPartitionRequestTopicPartition()
	rp.Partition, rp.LeaderEpoch, rp.NewISR, rp.PartitionEpoch = partition, leaderEpoch, isr, version
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	return req
}

// onlyPartition returns the single partition result of an AlterIsr answer.
func onlyPartition(t *testing.T, what string, resp *kmsg.AlterPartitionResponse) kmsg.AlterPartitionResponseTopicPartition {
	t.Helper()
	if resp.ErrorCode != 0 {
		t.Fatalf("%s: top-level %s", what, surfaceErrName(resp.ErrorCode))
	}
	if len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 {
		t.Fatalf("%s: %+v", what, resp.Topics)
	}
	return resp.Topics[0].Partitions[0]
}

func testAlterIsr(t *testing.T, c *Cluster, zc *zkutil.Client, ctrl, other *Broker, conn, otherConn *surfaceConn) {
	adm := kadmClient(t, c.Bootstrap())
	ctx := testContext(t, 30*time.Second)
	if r, err := adm.CreateTopic(ctx, 1, 2, nil, "isr"); err != nil || r.Err != nil {
		t.Fatalf("create topic: %v %v", err, r.Err)
	}
	WaitLeaders(t, adm, "isr", 1)
	tp := zkutil.TopicPartition{Topic: "isr", Partition: 0}
	var st zkutil.LeaderIsr
	deadline := time.Now().Add(30 * time.Second)
	for {
		s, ok, err := zc.GetPartitionState(tp)
		if err == nil && ok && len(s.Isr) == 2 {
			st = s
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("partition state: %+v %v %v", s, ok, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	leader := st.Leader
	info, ok, err := zc.GetBroker(leader)
	if err != nil || !ok {
		t.Fatalf("broker %d: %v", leader, err)
	}
	epoch := info.Epoch
	shrunk := []int32{leader}

	// Errors first: not the controller, stale broker epoch, fenced leader
	// epoch, stale znode version, unknown partition. None may write.
	r := otherConn.do(alterIsrRequest(leader, epoch, "isr", 0, st.LeaderEpoch, shrunk, st.ZkVersion)).(*kmsg.AlterPartitionResponse)
	wantCode(t, "AlterIsr on a non-controller", r.ErrorCode, kerr.NotController)
	r = conn.do(alterIsrRequest(leader, epoch+1, "isr", 0, st.LeaderEpoch, shrunk, st.ZkVersion)).(*kmsg.AlterPartitionResponse)
	wantCode(t, "AlterIsr with a stale broker epoch", r.ErrorCode, kerr.StaleBrokerEpoch)
	r = conn.do(alterIsrRequest(99, epoch, "isr", 0, st.LeaderEpoch, shrunk, st.ZkVersion)).(*kmsg.AlterPartitionResponse)
	wantCode(t, "AlterIsr from an unknown broker", r.ErrorCode, kerr.StaleBrokerEpoch)
	p := onlyPartition(t, "fenced", conn.do(alterIsrRequest(leader, epoch, "isr", 0, st.LeaderEpoch-1, shrunk, st.ZkVersion)).(*kmsg.AlterPartitionResponse))
	wantCode(t, "AlterIsr with an old leader epoch", p.ErrorCode, kerr.FencedLeaderEpoch)
	p = onlyPartition(t, "bad version", conn.do(alterIsrRequest(leader, epoch, "isr", 0, st.LeaderEpoch, shrunk, st.ZkVersion+7)).(*kmsg.AlterPartitionResponse))
	wantCode(t, "AlterIsr with a stale ISR version", p.ErrorCode, kerr.InvalidUpdateVersion)
	p = onlyPartition(t, "unknown", conn.do(alterIsrRequest(leader, epoch, "nosuchtopic", 0, 0, shrunk, 0)).(*kmsg.AlterPartitionResponse))
	wantCode(t, "AlterIsr for an unknown partition", p.ErrorCode, kerr.UnknownTopicOrPartition)
	if now, _, _ := zc.GetPartitionState(tp); now.ZkVersion != st.ZkVersion || len(now.Isr) != 2 {
		t.Fatalf("a refused AlterIsr changed the state: %+v", now)
	}

	// The same ISR: answered with the current state, nothing written.
	p = onlyPartition(t, "unchanged", conn.do(alterIsrRequest(leader, epoch, "isr", 0, st.LeaderEpoch, st.Isr, st.ZkVersion)).(*kmsg.AlterPartitionResponse))
	if p.ErrorCode != 0 || p.PartitionEpoch != st.ZkVersion || !reflect.DeepEqual(p.ISR, st.Isr) {
		t.Errorf("unchanged ISR: %+v", p)
	}

	// Shrink the ISR to the leader.
	p = onlyPartition(t, "shrink", conn.do(alterIsrRequest(leader, epoch, "isr", 0, st.LeaderEpoch, shrunk, st.ZkVersion)).(*kmsg.AlterPartitionResponse))
	if p.ErrorCode != 0 || p.LeaderID != leader || p.LeaderEpoch != st.LeaderEpoch || !reflect.DeepEqual(p.ISR, shrunk) || p.PartitionEpoch != st.ZkVersion+1 {
		t.Fatalf("AlterIsr answer %+v, want leader %d epoch %d isr %v version %d", p, leader, st.LeaderEpoch, shrunk, st.ZkVersion+1)
	}
	now, _, err := zc.GetPartitionState(tp)
	if err != nil || now.Leader != leader || now.LeaderEpoch != st.LeaderEpoch || !reflect.DeepEqual(now.Isr, shrunk) || now.ZkVersion != st.ZkVersion+1 {
		t.Fatalf("state znode after AlterIsr: %+v %v", now, err)
	}
	if now.ControllerEpoch < st.ControllerEpoch {
		t.Errorf("controller_epoch went back: %d -> %d", st.ControllerEpoch, now.ControllerEpoch)
	}
	raw, _, _ := zc.GetData(zkutil.TopicPartitionStatePath(tp))
	if !regexp.MustCompile(`^\{"controller_epoch":\d+,"leader":\d+,"version":1,"leader_epoch":\d+,"isr":\[\d+\]\}$`).Match(raw) {
		t.Errorf("state znode %s is not Kafka's form", raw)
	}

	// The controller sent UpdateMetadata: both brokers report the new ISR.
	for _, b := range []*Broker{ctrl, other} {
		mc := newSurfaceConn(t, b.Addr())
		deadline := time.Now().Add(20 * time.Second)
		for {
			mreq := kmsg.NewPtrMetadataRequest()
			mreq.Version = 9
			rt := kmsg.NewMetadataRequestTopic()
			rt.Topic = kmsg.StringPtr("isr")
			mreq.Topics = append(mreq.Topics, rt)
			md := mc.do(mreq).(*kmsg.MetadataResponse)
			var isr []int32
			if len(md.Topics) == 1 && len(md.Topics[0].Partitions) == 1 {
				isr = md.Topics[0].Partitions[0].ISR
			}
			if reflect.DeepEqual(isr, shrunk) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("broker %d still reports ISR %v", b.ID, isr)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}

	// The old version is now stale.
	p = onlyPartition(t, "replay", conn.do(alterIsrRequest(leader, epoch, "isr", 0, st.LeaderEpoch, st.Isr, st.ZkVersion)).(*kmsg.AlterPartitionResponse))
	wantCode(t, "AlterIsr replayed at the old version", p.ErrorCode, kerr.InvalidUpdateVersion)
}
