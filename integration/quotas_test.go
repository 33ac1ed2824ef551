package integration

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// throttleHook records the throttle times brokers send back.
type throttleHook struct {
	mu      sync.Mutex
	byNode  map[int32]int
	maxSeen time.Duration
}

func (h *throttleHook) OnBrokerThrottle(meta kgo.BrokerMetadata, d time.Duration, _ bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.byNode == nil {
		h.byNode = map[int32]int{}
	}
	if d > 0 {
		h.byNode[meta.NodeID]++
		if d > h.maxSeen {
			h.maxSeen = d
		}
	}
}

func (h *throttleHook) throttled(node int32) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.byNode[node]
}

func (h *throttleHook) total() (int, time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, c := range h.byNode {
		n += c
	}
	return n, h.maxSeen
}

// leaders maps each partition of topic to its leader, waiting for all.
func leaders(t *testing.T, cl *kgo.Client, topic string, n int) map[int32]int32 {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		req := kmsg.NewPtrMetadataRequest()
		rt := kmsg.NewMetadataRequestTopic()
		rt.Topic = kmsg.StringPtr(topic)
		req.Topics = append(req.Topics, rt)
		resp, err := req.RequestWith(testContext(t, 10*time.Second), cl)
		out := map[int32]int32{}
		if err == nil && len(resp.Topics) == 1 {
			for _, p := range resp.Topics[0].Partitions {
				if p.Leader >= 0 {
					out[p.Partition] = p.Leader
				}
			}
		}
		if len(out) == n {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("leaders of %s: %v %v", topic, out, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestClientQuotasThrottle sets producer_byte_rate for a client-id with
// kafka-configs.sh, produces with that client-id for 10 s and checks the
// rate and the throttle times, does the same for consumer_byte_rate, then
// changes the default client quota and checks that each of the three
// running brokers applies it.
func TestClientQuotasThrottle(t *testing.T) {
	c := StartClusterN(t, 3, nil)
	bs := c.Bootstrap()
	const quota = 100 * 1024 // bytes per second, per broker
	out, errOut, code := Kafka(t, "configs", "--bootstrap-server", bs, "--alter", "--entity-type", "clients",
		"--entity-name", "quota-producer", "--add-config", fmt.Sprintf("producer_byte_rate=%d", quota))
	if code != 0 || out != "Completed updating config for client quota-producer.\n" {
		t.Fatalf("alter: %d %q %q", code, out, errOut)
	}
	out, errOut, code = Kafka(t, "configs", "--bootstrap-server", bs, "--describe", "--entity-type", "clients", "--entity-name", "quota-producer")
	if code != 0 || out != "Quota configs for client-id 'quota-producer' are producer_byte_rate=102400.0\n" {
		t.Fatalf("describe: %d %q %q", code, out, errOut)
	}
	for _, args := range [][]string{
		{"--create", "--topic", "quota-rate", "--partitions", "1", "--replication-factor", "1"},
		{"--create", "--topic", "quota-probe", "--partitions", "3", "--replication-factor", "1"},
	} {
		if out, errOut, code := Kafka(t, append([]string{"topics", "--bootstrap-server", bs}, args...)...); code != 0 {
			t.Fatalf("create: %q %q", out, errOut)
		}
	}

	// Produce uncompressed 1000-byte records in small batches for 10 s: the
	// broker holds the client to the quota (about 1 MB over the first 10 s
	// window).
	hook := &throttleHook{}
	cl := NewClient(t, bs, kgo.ClientID("quota-producer"), kgo.WithHooks(hook),
		kgo.ProducerBatchMaxBytes(16<<10), kgo.MaxBufferedRecords(64), kgo.ProducerLinger(0),
		kgo.ProducerBatchCompression(kgo.NoCompression()))
	leader := leaders(t, cl, "quota-rate", 1)[0]
	value := []byte(strings.Repeat("q", 1000))
	var acked atomic.Int64
	var failed atomic.Value
	ctx := testContext(t, 60*time.Second)
	start := time.Now()
	for time.Since(start) < 10*time.Second {
		cl.Produce(ctx, &kgo.Record{Topic: "quota-rate", Value: value}, func(r *kgo.Record, err error) {
			if err != nil {
				failed.Store(err)
				return
			}
			acked.Add(int64(len(r.Value)))
		})
	}
	if err := cl.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	if err, _ := failed.Load().(error); err != nil {
		t.Fatalf("produce failed: %v", err)
	}
	rate := float64(acked.Load()) / elapsed.Seconds()
	t.Logf("produced %d bytes in %v: %.0f B/s against a quota of %d B/s", acked.Load(), elapsed, rate, quota)
	if math.Abs(rate-quota)/quota > 0.2 {
		t.Errorf("measured rate %.0f B/s is not within 20%% of the %d B/s quota", rate, quota)
	}
	if n, max := hook.total(); hook.throttled(leader) == 0 {
		t.Errorf("no Produce response from leader %d carried throttle_time_ms > 0 (%d throttles, max %v)", leader, n, max)
	}

	// consumer_byte_rate: a consumer reading the same records for 10 s gets
	// about the quota too; throttled fetches come back empty.
	out, errOut, code = Kafka(t, "configs", "--bootstrap-server", bs, "--alter", "--entity-type", "clients",
		"--entity-name", "quota-consumer", "--add-config", fmt.Sprintf("consumer_byte_rate=%d", quota))
	if code != 0 || out != "Completed updating config for client quota-consumer.\n" {
		t.Fatalf("alter consumer: %d %q %q", code, out, errOut)
	}
	chook := &throttleHook{}
	consumer := NewClient(t, bs, kgo.ClientID("quota-consumer"), kgo.WithHooks(chook), kgo.ConsumeTopics("quota-rate"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxPartitionBytes(64<<10))
	var consumed int64
	start = time.Now()
	for time.Since(start) < 10*time.Second {
		pctx, cancel := context.WithTimeout(ctx, 10*time.Second-time.Since(start))
		fetches := consumer.PollFetches(pctx)
		cancel()
		fetches.EachRecord(func(r *kgo.Record) { consumed += int64(len(r.Value)) })
	}
	crate := float64(consumed) / time.Since(start).Seconds()
	t.Logf("consumed %d bytes in 10 s: %.0f B/s against a quota of %d B/s", consumed, crate, quota)
	if math.Abs(crate-quota)/quota > 0.2 {
		t.Errorf("measured consume rate %.0f B/s is not within 20%% of the %d B/s quota", crate, quota)
	}
	if chook.throttled(leader) == 0 {
		t.Errorf("no Fetch response from leader %d carried throttle_time_ms > 0", leader)
	}
	consumer.Close()

	// A new default client quota reaches every broker without a restart:
	// a fresh client-id's first 30 KB produce to each broker's partition
	// is 3 KB/s over the 10 s window, three times 1000 B/s.
	out, errOut, code = Kafka(t, "configs", "--bootstrap-server", bs, "--alter", "--entity-type", "clients", "--entity-default", "--add-config", "producer_byte_rate=1000")
	if code != 0 || out != "Completed updating default config for clients in the cluster.\n" {
		t.Fatalf("alter default: %d %q %q", code, out, errOut)
	}
	probeLeaders := leaders(t, cl, "quota-probe", 3)
	seen := map[int32]bool{}
	for p, node := range probeLeaders {
		seen[node] = true
		deadline := time.Now().Add(20 * time.Second)
		for attempt := 0; ; attempt++ {
			h := &throttleHook{}
			probe := NewClient(t, bs, kgo.ClientID(fmt.Sprintf("probe-%d-%d", p, attempt)), kgo.WithHooks(h),
				kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.ProducerBatchCompression(kgo.NoCompression()))
			res := probe.ProduceSync(testContext(t, 30*time.Second), &kgo.Record{Topic: "quota-probe", Partition: p, Value: make([]byte, 30000)})
			if err := res.FirstErr(); err != nil {
				t.Fatalf("probe produce to partition %d: %v", p, err)
			}
			_, max := h.total()
			probe.Close()
			if h.throttled(node) > 0 {
				// (30000+overhead)/10 s is ~3000 B/s: X = (3000-1000)/1000 * 10 s.
				if max < 15*time.Second || max > 25*time.Second {
					t.Errorf("broker %d throttled for %v, want about 20 s", node, max)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("broker %d never throttled the default client quota", node)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	if len(seen) != 3 {
		t.Fatalf("probe partitions are led by %v, want all three brokers", probeLeaders)
	}
	out, _, code = Kafka(t, "configs", "--bootstrap-server", bs, "--describe", "--entity-type", "clients")
	for _, want := range []string{
		"Quota configs for the default client-id are producer_byte_rate=1000.0\n",
		"Quota configs for client-id 'quota-producer' are producer_byte_rate=102400.0\n",
	} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("describe all clients: %d %q, want %q", code, out, want)
		}
	}
}

// TestClientQuotaAPIs checks DescribeClientQuotas and AlterClientQuotas
// validation and filters, and kafka-configs.sh for users and user+client
// entities.
func TestClientQuotaAPIs(t *testing.T) {
	c := StartCluster(t, nil)
	bs := c.Bootstrap()
	cl := NewClient(t, bs)
	ctx := testContext(t, 60*time.Second)
	alter := func(validateOnly bool, entity map[string]*string, ops ...kmsg.AlterClientQuotasRequestEntryOp) (int16, string) {
		t.Helper()
		req := kmsg.NewPtrAlterClientQuotasRequest()
		req.ValidateOnly = validateOnly
		e := kmsg.NewAlterClientQuotasRequestEntry()
		for _, typ := range []string{"user", "client-id", "ip"} {
			if name, ok := entity[typ]; ok {
				e.Entity = append(e.Entity, kmsg.AlterClientQuotasRequestEntryEntity{Type: typ, Name: name})
			}
		}
		e.Ops = ops
		req.Entries = append(req.Entries, e)
		resp, err := req.RequestWith(ctx, cl)
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.Entries) != 1 {
			t.Fatalf("entries %+v", resp.Entries)
		}
		msg := ""
		if resp.Entries[0].ErrorMessage != nil {
			msg = *resp.Entries[0].ErrorMessage
		}
		return resp.Entries[0].ErrorCode, msg
	}
	op := func(k string, v float64) kmsg.AlterClientQuotasRequestEntryOp {
		return kmsg.AlterClientQuotasRequestEntryOp{Key: k, Value: v}
	}
	s := kmsg.StringPtr
	cases := []struct {
		entity map[string]*string
		op     kmsg.AlterClientQuotasRequestEntryOp
		code   int16
		msg    string
	}{
		{map[string]*string{"client-id": s("c1")}, op("foo", 1), kerr.InvalidRequest.Code, "Invalid configuration key foo"},
		{map[string]*string{"client-id": s("c1")}, op("producer_byte_rate", 1.5), kerr.InvalidRequest.Code, "Configuration producer_byte_rate must be a LONG value"},
		{map[string]*string{"client-id": s("")}, op("producer_byte_rate", 1), kerr.InvalidRequest.Code, "Empty client-id not supported"},
		{map[string]*string{"user": s("u"), "ip": s("1.2.3.4")}, op("producer_byte_rate", 1), kerr.InvalidRequest.Code, "Invalid quota entity combination, IP entity should not be used with user/client ID entity."},
		{map[string]*string{}, op("producer_byte_rate", 1), kerr.InvalidRequest.Code, "Invalid empty client quota entity"},
	}
	for _, tc := range cases {
		if code, msg := alter(false, tc.entity, tc.op); code != tc.code || msg != tc.msg {
			t.Errorf("alter %v %+v: %d %q, want %d %q", tc.entity, tc.op, code, msg, tc.code, tc.msg)
		}
	}
	// validate_only writes nothing.
	if code, _ := alter(true, map[string]*string{"client-id": s("v")}, op("consumer_byte_rate", 10)); code != 0 {
		t.Fatalf("validate only: %d", code)
	}
	if code, _ := alter(false, map[string]*string{"user": s("ANONYMOUS"), "client-id": s("c1")}, op("request_percentage", 12.5), op("consumer_byte_rate", 2048)); code != 0 {
		t.Fatalf("alter user+client: %d", code)
	}
	if code, _ := alter(false, map[string]*string{"user": nil}, op("producer_byte_rate", 4096)); code != 0 {
		t.Fatalf("alter default user: %d", code)
	}
	describe := func(strict bool, comps ...kmsg.DescribeClientQuotasRequestComponent) []string {
		t.Helper()
		req := kmsg.NewPtrDescribeClientQuotasRequest()
		req.Strict, req.Components = strict, comps
		resp, err := req.RequestWith(ctx, cl)
		if err != nil || resp.ErrorCode != 0 {
			t.Fatalf("describe: %v %+v", err, resp)
		}
		var out []string
		for _, e := range resp.Entries {
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
			out = append(out, strings.Join(parts, ","))
		}
		return out
	}
	comp := func(typ string, match kmsg.QuotasMatchType, name *string) kmsg.DescribeClientQuotasRequestComponent {
		return kmsg.DescribeClientQuotasRequestComponent{EntityType: typ, MatchType: match, Match: name}
	}
	if got := describe(false); len(got) != 2 {
		t.Errorf("describe everything: %q", got)
	}
	if got := describe(true, comp("user", kmsg.QuotasMatchTypeDefault, nil)); len(got) != 1 || got[0] != "user=<default>,producer_byte_rate:4096" {
		t.Errorf("default user, strict: %q", got)
	}
	if got := describe(true, comp("user", kmsg.QuotasMatchTypeAny, nil), comp("client-id", kmsg.QuotasMatchTypeExact, s("c1"))); len(got) != 1 || got[0] != "user=ANONYMOUS,client-id=c1,consumer_byte_rate:2048,request_percentage:12.5" {
		t.Errorf("any user, client c1: %q", got)
	}
	if got := describe(true, comp("client-id", kmsg.QuotasMatchTypeExact, s("v"))); len(got) != 0 {
		t.Errorf("validate_only stored %q", got)
	}

	// kafka-configs.sh on the same entities.
	out, errOut, code := Kafka(t, "configs", "--bootstrap-server", bs, "--describe", "--entity-type", "users", "--entity-name", "ANONYMOUS", "--entity-type", "clients", "--entity-name", "c1")
	if code != 0 || out != "Quota configs for user-principal 'ANONYMOUS', client-id 'c1' are consumer_byte_rate=2048.0, request_percentage=12.5\n" {
		t.Errorf("describe user+client: %d %q %q", code, out, errOut)
	}
	out, errOut, code = Kafka(t, "configs", "--bootstrap-server", bs, "--alter", "--entity-type", "users", "--entity-name", "ANONYMOUS", "--entity-type", "clients", "--entity-name", "c1", "--delete-config", "request_percentage")
	if code != 0 || out != "Completed updating config for user ANONYMOUS.\n" {
		t.Errorf("delete user+client config: %d %q %q", code, out, errOut)
	}
	out, errOut, code = Kafka(t, "configs", "--bootstrap-server", bs, "--alter", "--entity-type", "users", "--entity-default", "--delete-config", "consumer_byte_rate")
	if code != 1 || errOut != "Invalid config(s): consumer_byte_rate\n" {
		t.Errorf("delete missing key: %d %q %q", code, out, errOut)
	}
	out, errOut, code = Kafka(t, "configs", "--bootstrap-server", bs, "--alter", "--entity-type", "clients", "--entity-name", "c2", "--add-config", "bogus=1")
	if code != 1 || !strings.HasPrefix(errOut, "Only quota configs can be added for 'clients' using --bootstrap-server. Unexpected config names: Set(bogus)") {
		t.Errorf("unknown config: %d %q %q", code, out, errOut)
	}
	out, errOut, code = Kafka(t, "configs", "--bootstrap-server", bs, "--describe", "--entity-type", "users", "--entity-default")
	if code != 0 || out != "Quota configs for the default user-principal are producer_byte_rate=4096.0\n" {
		t.Errorf("describe default user: %d %q %q", code, out, errOut)
	}

	// SCRAM credentials through the same tool.
	out, errOut, code = Kafka(t, "configs", "--bootstrap-server", bs, "--alter", "--entity-type", "users", "--entity-name", "alice",
		"--add-config", "SCRAM-SHA-256=[iterations=8192,password=alice-secret]")
	if code != 0 || out != "Completed updating config for user alice.\n" {
		t.Fatalf("alter SCRAM: %d %q %q", code, out, errOut)
	}
	out, errOut, code = Kafka(t, "configs", "--bootstrap-server", bs, "--describe", "--entity-type", "users", "--entity-name", "alice")
	if code != 0 || out != "SCRAM credential configs for user-principal 'alice' are SCRAM-SHA-256=iterations=8192\n" {
		t.Errorf("describe SCRAM: %d %q %q", code, out, errOut)
	}
}

// roundTripAs is RoundTrip with a chosen client id.
func roundTripAs(conn net.Conn, clientID string, req kmsg.Request, correlationID int32, timeout time.Duration) (kmsg.Response, error) {
	_ = conn.SetDeadline(time.Now().Add(timeout))
	defer conn.SetDeadline(time.Time{})
	if _, err := conn.Write(EncodeRequest(req, correlationID, clientID)); err != nil {
		return nil, err
	}
	body, err := ReadFrame(conn)
	if err != nil {
		return nil, err
	}
	if len(body) < 4 || int32(binary.BigEndian.Uint32(body)) != correlationID {
		return nil, fmt.Errorf("bad response header")
	}
	body = body[4:]
	if req.IsFlexible() && req.Key() != kmsg.ApiVersions.Int16() {
		body = body[1:]
	}
	resp := req.ResponseKind()
	resp.SetVersion(req.GetVersion())
	return resp, resp.ReadFrom(body)
}

// TestRequestQuotaAndAcksZeroMute checks request_percentage (throttle time
// in the response, bounded by one window, and the connection muted after
// it) and that an acks=0 produce over its byte rate mutes the connection
// without any response.
func TestRequestQuotaAndAcksZeroMute(t *testing.T) {
	c := StartCluster(t, nil)
	bs := c.Bootstrap()
	if out, errOut, code := Kafka(t, "topics", "--bootstrap-server", bs, "--create", "--topic", "acks0", "--partitions", "1", "--replication-factor", "1"); code != 0 {
		t.Fatalf("create: %q %q", out, errOut)
	}
	for _, add := range []string{"fast0:producer_byte_rate=1000", "slow:request_percentage=0.0001"} {
		client, cfg, _ := strings.Cut(add, ":")
		out, errOut, code := Kafka(t, "configs", "--bootstrap-server", bs, "--alter", "--entity-type", "clients", "--entity-name", client, "--add-config", cfg)
		if code != 0 {
			t.Fatalf("alter %s: %q %q", add, out, errOut)
		}
	}
	out, _, _ := Kafka(t, "configs", "--bootstrap-server", bs, "--describe", "--entity-type", "clients", "--entity-name", "slow")
	if out != "Quota configs for client-id 'slow' are request_percentage=1.0E-4\n" {
		t.Errorf("describe slow: %q", out)
	}
	metadata := func() *kmsg.MetadataRequest {
		req := kmsg.NewPtrMetadataRequest()
		req.SetVersion(9)
		return req
	}
	// The request quota: any request of "slow" is over 0.0001 %.
	var conn net.Conn
	var throttle time.Duration
	deadline := time.Now().Add(20 * time.Second)
	for corr := int32(1); ; corr++ {
		var err error
		if conn, err = net.Dial("tcp", c.B().Addr()); err != nil {
			t.Fatal(err)
		}
		resp, err := roundTripAs(conn, "slow", metadata(), corr, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if ms := resp.(*kmsg.MetadataResponse).ThrottleMillis; ms > 0 {
			if ms > 1000 {
				t.Errorf("request quota throttle %d ms is more than one window", ms)
			}
			throttle = time.Duration(ms) * time.Millisecond
			break
		}
		conn.Close()
		if time.Now().After(deadline) {
			t.Fatal("request_percentage never throttled")
		}
		time.Sleep(100 * time.Millisecond)
	}
	start := time.Now()
	if _, err := roundTripAs(conn, "slow", metadata(), 1000, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited < throttle-50*time.Millisecond {
		t.Errorf("next request answered after %v, before the %v throttle ended", waited, throttle)
	}
	conn.Close()

	// acks=0 over producer_byte_rate: no response, then the connection is
	// muted. 12 KB over the 10 s window is 1.2 KB/s: (1200-1000)/1000*10 s
	// = about 2 s.
	conn, err := net.Dial("tcp", c.B().Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	prod := kmsg.NewPtrProduceRequest()
	prod.SetVersion(7)
	prod.Acks, prod.TimeoutMillis = 0, 5000
	pt := kmsg.NewProduceRequestTopic()
	pt.Topic = "acks0"
	pp := kmsg.NewProduceRequestTopicPartition()
	pp.Records = oneBatch(t, strings.Repeat("z", 12000))
	pt.Partitions = append(pt.Partitions, pp)
	prod.Topics = append(prod.Topics, pt)
	start = time.Now()
	if _, err := conn.Write(EncodeRequest(prod, 1, "fast0")); err != nil {
		t.Fatal(err)
	}
	if _, err := roundTripAs(conn, "fast0", metadata(), 2, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited < 1500*time.Millisecond {
		t.Errorf("request after an acks=0 produce over quota answered after %v; the connection was not muted", waited)
	}
	// The record was appended all the same.
	lo := kmsg.NewPtrListOffsetsRequest()
	lt := kmsg.NewListOffsetsRequestTopic()
	lt.Topic = "acks0"
	lp := kmsg.NewListOffsetsRequestTopicPartition()
	lp.Timestamp = -1
	lt.Partitions = append(lt.Partitions, lp)
	lo.Topics = append(lo.Topics, lt)
	resp, err := lo.RequestWith(testContext(t, 10*time.Second), NewClient(t, bs))
	if err != nil || resp.Topics[0].Partitions[0].Offset != 1 {
		t.Fatalf("end offset: %+v %v", resp, err)
	}
}

// BenchmarkThrottledProduce produces b.N uncompressed 1000-byte records
// as a client-id with a 256 KiB/s producer_byte_rate and reports the rate
// the broker allowed next to the quota. The first ten windows' worth is
// accepted at once (the rate is measured over at least 10 s), so use a
// count well above 2600, e.g.
//
//	go test ./integration -run '^$' -bench ThrottledProduce -benchtime 8000x
func BenchmarkThrottledProduce(b *testing.B) {
	const quota = 256 << 10
	c := StartCluster(b, nil)
	bs := c.Bootstrap()
	if out, errOut, code := Kafka(b, "configs", "--bootstrap-server", bs, "--alter", "--entity-type", "clients", "--entity-name", "bench-producer", "--add-config", fmt.Sprintf("producer_byte_rate=%d", quota)); code != 0 {
		b.Fatalf("alter: %q %q", out, errOut)
	}
	if out, errOut, code := Kafka(b, "topics", "--bootstrap-server", bs, "--create", "--topic", "bench-quota", "--partitions", "1", "--replication-factor", "1"); code != 0 {
		b.Fatalf("create: %q %q", out, errOut)
	}
	hook := &throttleHook{}
	cl := NewClient(b, bs, kgo.ClientID("bench-producer"), kgo.WithHooks(hook), kgo.ProducerBatchMaxBytes(16<<10),
		kgo.MaxBufferedRecords(64), kgo.ProducerBatchCompression(kgo.NoCompression()))
	value := make([]byte, 1000)
	ctx := testContext(b, 10*time.Minute)
	b.SetBytes(int64(len(value)))
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		cl.Produce(ctx, &kgo.Record{Topic: "bench-quota", Value: value}, func(_ *kgo.Record, err error) {
			if err != nil {
				b.Error(err)
			}
		})
	}
	if err := cl.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	n, max := hook.total()
	b.ReportMetric(float64(b.N*len(value))/time.Since(start).Seconds(), "B/s")
	b.ReportMetric(quota, "quota-B/s")
	b.ReportMetric(float64(n), "throttles")
	b.ReportMetric(float64(max.Milliseconds()), "max-throttle-ms")
}
