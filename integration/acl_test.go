package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	kafka "github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl/plain"

	"github.com/gokafka/kafka/zkutil/zktest"
)

const aclJaas = `KafkaServer {
 org.apache.kafka.common.security.plain.PlainLoginModule required
 username="admin" password="admin-secret"
 user_admin="admin-secret" user_alice="alice-secret" user_bob="bob-secret";
};
`

// startAclBrokers starts n brokers with AclAuthorizer, a PLAINTEXT listener
// (inter-broker and tools: User:ANONYMOUS, a super user) and a
// SASL_PLAINTEXT/PLAIN listener for alice and bob. It returns the brokers
// and their SASL addresses.
func startAclBrokers(t *testing.T, n int) ([]*Broker, []string) {
	t.Helper()
	requireZooKeeper(t)
	zk := zktest.Start(t)
	jaas := filepath.Join(t.TempDir(), "kafka_server_jaas.conf")
	if err := os.WriteFile(jaas, []byte(aclJaas), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KAFKA_OPTS", "-Djava.security.auth.login.config="+jaas)
	var bs []*Broker
	var addrs []string
	for id := 1; id <= n; id++ {
		b := NewStoppedBroker(t, zk, id, map[string]string{
			"sasl.enabled.mechanisms": "PLAIN",
			"authorizer.class.name":   "kafka.security.authorizer.AclAuthorizer",
			"super.users":             "User:ANONYMOUS;User:admin",
		})
		port := zktest.FreePort(t)
		b.SetProps(map[string]string{
			"listeners":                  fmt.Sprintf("PLAINTEXT://127.0.0.1:%d,SASL_PLAINTEXT://127.0.0.1:%d", b.Port, port),
			"inter.broker.listener.name": "PLAINTEXT",
		})
		b.Start()
		bs = append(bs, b)
		addrs = append(addrs, fmt.Sprintf("127.0.0.1:%d", port))
	}
	return bs, addrs
}

func plainUser(user string) kgo.Opt {
	return kgo.SASL(plain.Auth{User: user, Pass: user + "-secret"}.AsMechanism())
}

func createACL(t *testing.T, cl *kgo.Client, rt kmsg.ACLResourceType, name string, pt kmsg.ACLResourcePatternType, principal string, op kmsg.ACLOperation, perm kmsg.ACLPermissionType) {
	t.Helper()
	req := kmsg.NewPtrCreateACLsRequest()
	c := kmsg.NewCreateACLsRequestCreation()
	c.ResourceType, c.ResourceName, c.ResourcePatternType = rt, name, pt
	c.Principal, c.Host, c.Operation, c.PermissionType = principal, "*", op, perm
	req.Creations = append(req.Creations, c)
	resp, err := req.RequestWith(testContext(t, 15*time.Second), cl)
	if err != nil {
		t.Fatal(err)
	}
	if err := kerr.ErrorForCode(resp.Results[0].ErrorCode); err != nil {
		t.Fatalf("CreateAcls %s %s: %v", name, principal, err)
	}
}

func TestAclAuthorizer(t *testing.T) {
	bs, sasl := startAclBrokers(t, 2)
	admin := NewClient(t, bs[0].Addr())
	const topic = "acl-t"
	CreateTopic(t, bs[0].Addr(), topic, 1, nil)

	// Nothing allowed yet: alice is denied (allow.everyone.if.no.acl.found=false).
	alice := NewClient(t, sasl[0], plainUser("alice"), kgo.DefaultProduceTopic(topic), kgo.RequestRetries(0), kgo.RecordRetries(1))
	ctx := testContext(t, 20*time.Second)
	if err := alice.ProduceSync(ctx, &kgo.Record{Value: []byte("x")}).FirstErr(); err == nil || !strings.Contains(err.Error(), "TOPIC_AUTHORIZATION_FAILED") {
		t.Fatalf("alice produce without ACL: %v", err)
	}

	for _, op := range []kmsg.ACLOperation{kmsg.ACLOperationWrite, kmsg.ACLOperationRead} {
		createACL(t, admin, kmsg.ACLResourceTypeTopic, topic, kmsg.ACLResourcePatternTypeLiteral, "User:alice", op, kmsg.ACLPermissionTypeAllow)
	}
	createACL(t, admin, kmsg.ACLResourceTypeGroup, "acl-g", kmsg.ACLResourcePatternTypePrefixed, "User:alice", kmsg.ACLOperationRead, kmsg.ACLPermissionTypeAllow)

	// Stored as Kafka 2.8 stores them.
	zkc := zkClient(t, bs[0].ZK)
	data, _, err := zkc.GetData("/kafka-acl/Topic/" + topic)
	if err != nil || !strings.Contains(string(data), `"principal":"User:alice","permissionType":"Allow","operation":"Read","host":"*"`) {
		t.Fatalf("/kafka-acl/Topic/%s = %s, %v", topic, data, err)
	}
	if ok, _, _ := zkc.Exists("/kafka-acl-extended/prefixed/Group/acl-g"); !ok {
		t.Fatal("prefixed group ACL not in /kafka-acl-extended/prefixed/Group")
	}

	alice2 := NewClient(t, sasl[0], plainUser("alice"), kgo.DefaultProduceTopic(topic))
	for i := 0; i < 5; i++ {
		if err := alice2.ProduceSync(ctx, &kgo.Record{Value: []byte(fmt.Sprint(i))}).FirstErr(); err != nil {
			t.Fatalf("alice produce: %v", err)
		}
	}
	cons := NewClient(t, sasl[1], plainUser("alice"), kgo.ConsumeTopics(topic), kgo.ConsumerGroup("acl-g1"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	got := 0
	for got < 5 {
		fs := cons.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("alice consumed %d of 5: %v", got, fs.Errors())
		}
		fs.EachError(func(_ string, _ int32, err error) { t.Fatalf("alice fetch: %v", err) })
		got += fs.NumRecords()
	}
	if err := cons.CommitUncommittedOffsets(ctx); err != nil {
		t.Fatalf("alice commit: %v", err)
	}

	// bob: produce, fetch and metadata are denied.
	bob := NewClient(t, sasl[0], plainUser("bob"))
	preq := kmsg.NewPtrProduceRequest()
	preq.Acks, preq.TimeoutMillis = 1, 5000
	pt := kmsg.NewProduceRequestTopic()
	pt.Topic = topic
	pp := kmsg.NewProduceRequestTopicPartition()
	pt.Partitions = append(pt.Partitions, pp)
	preq.Topics = append(preq.Topics, pt)
	presp, err := preq.RequestWith(ctx, bob)
	if err != nil || presp.Topics[0].Partitions[0].ErrorCode != kerr.TopicAuthorizationFailed.Code {
		t.Fatalf("bob produce: %+v %v", presp, err)
	}
	mreq := kmsg.NewPtrMetadataRequest()
	mt := kmsg.NewMetadataRequestTopic()
	mt.Topic = kmsg.StringPtr(topic)
	mreq.Topics = append(mreq.Topics, mt)
	mresp, err := mreq.RequestWith(ctx, bob)
	if err != nil || len(mresp.Topics) != 1 || mresp.Topics[0].ErrorCode != kerr.TopicAuthorizationFailed.Code {
		t.Fatalf("bob metadata: %+v %v", mresp, err)
	}
	all := kmsg.NewPtrMetadataRequest()
	aresp, err := all.RequestWith(ctx, bob)
	if err != nil || len(aresp.Topics) != 0 {
		t.Fatalf("bob all-topics metadata lists %d topics: %v", len(aresp.Topics), err)
	}
	freq := kmsg.NewPtrFetchRequest()
	freq.ReplicaID, freq.MaxWaitMillis, freq.MaxBytes = -1, 100, 1<<20
	ft := kmsg.NewFetchRequestTopic()
	ft.Topic = topic
	fp := kmsg.NewFetchRequestTopicPartition()
	fp.PartitionMaxBytes = 1 << 20
	ft.Partitions = append(ft.Partitions, fp)
	freq.Topics = append(freq.Topics, ft)
	fresp, err := freq.RequestWith(ctx, bob)
	if err != nil || fresp.Topics[0].Partitions[0].ErrorCode != kerr.TopicAuthorizationFailed.Code {
		t.Fatalf("bob fetch: %+v %v", fresp, err)
	}
	// bob may not manage ACLs: CLUSTER_AUTHORIZATION_FAILED.
	dreq := kmsg.NewPtrDescribeACLsRequest()
	dreq.ResourceType, dreq.ResourcePatternType, dreq.Operation, dreq.PermissionType = kmsg.ACLResourceTypeAny, kmsg.ACLResourcePatternTypeAny, kmsg.ACLOperationAny, kmsg.ACLPermissionTypeAny
	dresp, err := dreq.RequestWith(ctx, bob)
	if err != nil || dresp.ErrorCode != kerr.ClusterAuthorizationFailed.Code {
		t.Fatalf("bob DescribeAcls: %+v %v", dresp, err)
	}
	dresp, err = dreq.RequestWith(ctx, admin)
	if err != nil || dresp.ErrorCode != 0 || len(dresp.Resources) != 2 {
		t.Fatalf("DescribeAcls: %+v %v", dresp, err)
	}

	// Per-API checks for bob, who has no ACL at all.
	checks := []struct {
		req  kmsg.Request
		code func(kmsg.Response) int16
		want int16
	}{
		{func() kmsg.Request {
			r := kmsg.NewPtrFindCoordinatorRequest()
			r.CoordinatorKey = "acl-g1"
			return r
		}(), func(r kmsg.Response) int16 { return r.(*kmsg.FindCoordinatorResponse).ErrorCode }, kerr.GroupAuthorizationFailed.Code},
		{func() kmsg.Request {
			r := kmsg.NewPtrFindCoordinatorRequest()
			r.CoordinatorKey, r.CoordinatorType = "tx", 1
			return r
		}(), func(r kmsg.Response) int16 { return r.(*kmsg.FindCoordinatorResponse).ErrorCode }, kerr.TransactionalIDAuthorizationFailed.Code},
		{kmsg.NewPtrInitProducerIDRequest(), func(r kmsg.Response) int16 { return r.(*kmsg.InitProducerIDResponse).ErrorCode }, kerr.ClusterAuthorizationFailed.Code},
		{func() kmsg.Request {
			r := kmsg.NewPtrCreateTopicsRequest()
			ct := kmsg.NewCreateTopicsRequestTopic()
			ct.Topic, ct.NumPartitions, ct.ReplicationFactor = "bobs-topic", 1, 1
			r.Topics = append(r.Topics, ct)
			return r
		}(), func(r kmsg.Response) int16 { return r.(*kmsg.CreateTopicsResponse).Topics[0].ErrorCode }, kerr.TopicAuthorizationFailed.Code},
		{func() kmsg.Request {
			r := kmsg.NewPtrDescribeConfigsRequest()
			dc := kmsg.NewDescribeConfigsRequestResource()
			dc.ResourceType, dc.ResourceName = kmsg.ConfigResourceTypeBroker, "1"
			r.Resources = append(r.Resources, dc)
			return r
		}(), func(r kmsg.Response) int16 { return r.(*kmsg.DescribeConfigsResponse).Resources[0].ErrorCode }, kerr.ClusterAuthorizationFailed.Code},
		{func() kmsg.Request {
			r := kmsg.NewPtrDescribeGroupsRequest()
			r.Groups = []string{"acl-g1"}
			return r
		}(), func(r kmsg.Response) int16 { return r.(*kmsg.DescribeGroupsResponse).Groups[0].ErrorCode }, kerr.GroupAuthorizationFailed.Code},
		{func() kmsg.Request {
			r := kmsg.NewPtrListOffsetsRequest()
			lt := kmsg.NewListOffsetsRequestTopic()
			lt.Topic = topic
			lp := kmsg.NewListOffsetsRequestTopicPartition()
			lp.Timestamp = -1
			lt.Partitions = append(lt.Partitions, lp)
			r.Topics = append(r.Topics, lt)
			return r
		}(), func(r kmsg.Response) int16 { return r.(*kmsg.ListOffsetsResponse).Topics[0].Partitions[0].ErrorCode }, kerr.TopicAuthorizationFailed.Code},
		// 2.8 answers DescribeCluster to anyone (its authorized operations
		// are 0 without DESCRIBE on the cluster: authorized_ops_test.go).
		{kmsg.NewPtrDescribeClusterRequest(), func(r kmsg.Response) int16 { return r.(*kmsg.DescribeClusterResponse).ErrorCode }, 0},
		{kmsg.NewPtrStopReplicaRequest(), func(r kmsg.Response) int16 { return r.(*kmsg.StopReplicaResponse).ErrorCode }, kerr.ClusterAuthorizationFailed.Code},
		{func() kmsg.Request {
			r := kmsg.NewPtrDescribeProducersRequest()
			dt := kmsg.NewDescribeProducersRequestTopic()
			dt.Topic, dt.Partitions = topic, []int32{0}
			r.Topics = append(r.Topics, dt)
			return r
		}(), func(r kmsg.Response) int16 {
			return r.(*kmsg.DescribeProducersResponse).Topics[0].Partitions[0].ErrorCode
		}, kerr.TopicAuthorizationFailed.Code},
		{func() kmsg.Request {
			r := kmsg.NewPtrAlterReplicaLogDirsRequest()
			d := kmsg.NewAlterReplicaLogDirsRequestDir()
			d.Dir = "/nowhere"
			dt := kmsg.NewAlterReplicaLogDirsRequestDirTopic()
			dt.Topic, dt.Partitions = topic, []int32{0}
			d.Topics = append(d.Topics, dt)
			r.Dirs = append(r.Dirs, d)
			return r
		}(), func(r kmsg.Response) int16 {
			return r.(*kmsg.AlterReplicaLogDirsResponse).Topics[0].Partitions[0].ErrorCode
		}, kerr.ClusterAuthorizationFailed.Code},
		{func() kmsg.Request {
			r := kmsg.NewPtrOffsetDeleteRequest()
			r.Group = "acl-g1"
			return r
		}(), func(r kmsg.Response) int16 { return r.(*kmsg.OffsetDeleteResponse).ErrorCode }, kerr.GroupAuthorizationFailed.Code},
	}
	for _, c := range checks {
		resp, err := bob.Broker(1).Request(ctx, c.req)
		if err != nil {
			t.Fatalf("bob %s: %v", kmsg.NameForKey(c.req.Key()), err)
		}
		if got := c.code(resp); got != c.want {
			t.Errorf("bob %s: error %d, want %d", kmsg.NameForKey(c.req.Key()), got, c.want)
		}
	}
	// alice may write a topic, which lets her get an idempotent producer id.
	pid, err := kmsg.NewPtrInitProducerIDRequest().RequestWith(ctx, alice2)
	if err != nil || pid.ErrorCode != 0 {
		t.Fatalf("alice InitProducerId: %+v %v", pid, err)
	}

	// An ACL added through broker 1 applies on broker 2 without restart.
	b2 := NewClient(t, sasl[1], plainUser("bob"))
	describeOn2 := func() int16 {
		r := kmsg.NewPtrMetadataRequest()
		r.Topics = append(r.Topics, mt)
		resp, err := r.RequestWith(ctx, b2.Broker(2))
		if err != nil {
			t.Fatal(err)
		}
		return resp.Topics[0].ErrorCode
	}
	if c := describeOn2(); c != kerr.TopicAuthorizationFailed.Code {
		t.Fatalf("bob metadata on broker 2 before the ACL: %d", c)
	}
	createACL(t, admin, kmsg.ACLResourceTypeTopic, "acl-", kmsg.ACLResourcePatternTypePrefixed, "User:bob", kmsg.ACLOperationDescribe, kmsg.ACLPermissionTypeAllow)
	deadline := time.Now().Add(10 * time.Second)
	for describeOn2() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("broker 2 did not pick up the new ACL")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if n, _ := zkc.GetChildren("/kafka-acl-extended-changes"); len(n) == 0 {
		t.Fatal("no /kafka-acl-extended-changes notification")
	}

	// DeleteAcls returns what it removed; bob loses DESCRIBE on broker 2.
	delReq := kmsg.NewPtrDeleteACLsRequest()
	f := kmsg.NewDeleteACLsRequestFilter()
	f.ResourceType, f.ResourcePatternType, f.Operation, f.PermissionType = kmsg.ACLResourceTypeAny, kmsg.ACLResourcePatternTypeAny, kmsg.ACLOperationAny, kmsg.ACLPermissionTypeAny
	f.Principal = kmsg.StringPtr("User:bob")
	delReq.Filters = append(delReq.Filters, f)
	delResp, err := delReq.RequestWith(ctx, admin)
	if err != nil || len(delResp.Results) != 1 || len(delResp.Results[0].MatchingACLs) != 1 || delResp.Results[0].MatchingACLs[0].ResourceName != "acl-" {
		t.Fatalf("DeleteAcls: %+v %v", delResp, err)
	}
	deadline = time.Now().Add(10 * time.Second)
	for describeOn2() != kerr.TopicAuthorizationFailed.Code {
		if time.Now().After(deadline) {
			t.Fatal("broker 2 did not pick up the deletion")
		}
		time.Sleep(100 * time.Millisecond)
	}

	// kafka-acls.sh (over PLAINTEXT, User:ANONYMOUS is a super user) adds
	// and lists them, with AclCommand's text.
	out, errOut, code := Kafka(t, "acls", "--bootstrap-server", bs[1].Addr(), "--add", "--deny-principal", "User:bob",
		"--operation", "Read", "--topic", topic)
	if code != 0 || !strings.Contains(out, "Adding ACLs for resource `ResourcePattern(resourceType=TOPIC, name="+topic+", patternType=LITERAL)`: \n \t(principal=User:bob, host=*, operation=READ, permissionType=DENY) \n") {
		t.Fatalf("kafka-acls --add: %d\n%s\n%s", code, out, errOut)
	}
	out, errOut, code = Kafka(t, "acls", "--bootstrap-server", bs[1].Addr(), "--list", "--topic", topic)
	for _, want := range []string{
		"Current ACLs for resource `ResourcePattern(resourceType=TOPIC, name=" + topic + ", patternType=LITERAL)`: \n",
		"\t(principal=User:alice, host=*, operation=READ, permissionType=ALLOW)",
		"\t(principal=User:alice, host=*, operation=WRITE, permissionType=ALLOW)",
		"\t(principal=User:bob, host=*, operation=READ, permissionType=DENY)",
	} {
		if code != 0 || !strings.Contains(out, want) {
			t.Fatalf("kafka-acls --list lacks %q: %d\n%s\n%s", want, code, out, errOut)
		}
	}
	out, _, code = Kafka(t, "acls", "--bootstrap-server", bs[0].Addr(), "--remove", "--force", "--deny-principal", "User:bob",
		"--operation", "Read", "--topic", topic)
	if code != 0 || strings.Contains(out, "User:bob") {
		t.Fatalf("kafka-acls --remove: %d\n%s", code, out)
	}
}

// TestAclKafkaGoDockerCluster mirrors kafka-go's TestClientCreateACLs,
// TestClientDescribeACLs and TestClientDeleteACLs against a broker set up
// like kafka-go's docker-compose (SimpleAclAuthorizer,
// allow.everyone.if.no.acl.found=true, SASL super users, the test talking
// PLAINTEXT as User:ANONYMOUS).
func TestAclKafkaGoDockerCluster(t *testing.T) {
	requireZooKeeper(t)
	zk := zktest.Start(t)
	b := StartBroker(t, zk, 1, map[string]string{
		"authorizer.class.name":          "kafka.security.auth.SimpleAclAuthorizer",
		"allow.everyone.if.no.acl.found": "true",
		"super.users":                    "User:adminscram;User:adminplain",
	})
	cl := &kafka.Client{Addr: kafka.TCP(b.Addr()), Timeout: 15 * time.Second}
	ctx := testContext(t, 30*time.Second)
	topic, group := "kafka-go-acl-topic", "kafka-go-acl-group"
	entries := []kafka.ACLEntry{
		{Principal: "User:alice", PermissionType: kafka.ACLPermissionTypeAllow, Operation: kafka.ACLOperationTypeRead,
			ResourceType: kafka.ResourceTypeTopic, ResourcePatternType: kafka.PatternTypeLiteral, ResourceName: topic, Host: "*"},
		{Principal: "User:bob", PermissionType: kafka.ACLPermissionTypeAllow, Operation: kafka.ACLOperationTypeRead,
			ResourceType: kafka.ResourceTypeGroup, ResourcePatternType: kafka.PatternTypeLiteral, ResourceName: group, Host: "*"},
	}
	cr, err := cl.CreateACLs(ctx, &kafka.CreateACLsRequest{ACLs: entries})
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range cr.Errors {
		if err != nil {
			t.Fatalf("CreateACLs: %v", err)
		}
	}
	dr, err := cl.DescribeACLs(ctx, &kafka.DescribeACLsRequest{Filter: kafka.ACLFilter{
		ResourceTypeFilter: kafka.ResourceTypeTopic, ResourceNameFilter: topic, ResourcePatternTypeFilter: kafka.PatternTypeLiteral,
		Operation: kafka.ACLOperationTypeRead, PermissionType: kafka.ACLPermissionTypeAllow}})
	if err != nil || dr.Error != nil || len(dr.Resources) != 1 || dr.Resources[0].ResourceName != topic ||
		len(dr.Resources[0].ACLs) != 1 || dr.Resources[0].ACLs[0].Principal != "User:alice" {
		t.Fatalf("DescribeACLs: %+v, %v", dr, err)
	}
	del, err := cl.DeleteACLs(ctx, &kafka.DeleteACLsRequest{Filters: []kafka.DeleteACLsFilter{{
		ResourceTypeFilter: kafka.ResourceTypeTopic, ResourceNameFilter: topic, ResourcePatternTypeFilter: kafka.PatternTypeLiteral,
		Operation: kafka.ACLOperationTypeRead, PermissionType: kafka.ACLPermissionTypeAllow}}})
	if err != nil || len(del.Results) != 1 || del.Results[0].Error != nil || len(del.Results[0].MatchingACLs) != 1 ||
		del.Results[0].MatchingACLs[0].Principal != "User:alice" {
		t.Fatalf("DeleteACLs: %+v, %v", del, err)
	}
	// ANONYMOUS may still use a resource without ACLs (allow.everyone.if.no.acl.found).
	CreateTopic(t, b.Addr(), topic, 1, nil)
}
