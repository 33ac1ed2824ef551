package integration

// Compatibility with confluent-kafka-python 1.7 (Debian
// python3-confluent-kafka, on librdkafka): producer with delivery
// callbacks, group consumer, AdminClient, idempotent producer. The client
// is driven by testdata/compat_confluent.py.

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

func requireConfluentKafka(t testing.TB) {
	t.Helper()
	out, err := exec.Command(systemPython, "-c", "import confluent_kafka; print(confluent_kafka.version())").CombinedOutput()
	if err != nil {
		t.Fatalf("confluent-kafka is missing for %s (%v: %s); install it with apt-get install -y python3-confluent-kafka",
			systemPython, err, strings.TrimSpace(string(out)))
	}
}

// runConfluent runs testdata/compat_confluent.py with input as JSON and
// decodes its JSON output into out.
func runConfluent(t testing.TB, input map[string]any, out any) {
	t.Helper()
	requireConfluentKafka(t)
	in, err := json.Marshal(input)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(repoRoot, "integration", "testdata", "compat_confluent.py")
	stdout, stderr, code := RunCmd(t, 60*time.Second, string(in), systemPython, path)
	if code != 0 {
		t.Fatalf("compat_confluent.py %v exited %d\nstdout:\n%s\nstderr:\n%s", input["mode"], code, stdout, stderr)
	}
	if err := json.Unmarshal([]byte(stdout), out); err != nil {
		t.Fatalf("compat_confluent.py printed no JSON (%v)\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr)
	}
	if strings.TrimSpace(stderr) != "" {
		t.Logf("compat_confluent.py %v stderr:\n%s", input["mode"], stderr)
	}
}

type confluentRecord struct {
	Topic     string            `json:"topic"`
	Key       string            `json:"key"`
	Value     string            `json:"value"`
	Partition *int32            `json:"partition,omitempty"`
	Headers   map[string]string `json:"headers,omitempty"`
}

type confluentDelivery struct {
	Error     *string  `json:"error"`
	Topic     string   `json:"topic"`
	Partition int32    `json:"partition"`
	Offset    int64    `json:"offset"`
	Timestamp [2]int64 `json:"timestamp"` // [type, ms]: 1 CreateTime, 2 LogAppendTime
}

type confluentProduceOut struct {
	Results     []*confluentDelivery `json:"results"`
	Undelivered int                  `json:"undelivered"`
}

type confluentMessage struct {
	Partition int32             `json:"partition"`
	Offset    int64             `json:"offset"`
	Key       string            `json:"key"`
	Value     string            `json:"value"`
	Headers   map[string]string `json:"headers"`
}

type confluentConsumeOut struct {
	Messages    []confluentMessage `json:"messages"`
	Errors      []string           `json:"errors"`
	Assigned    []int32            `json:"assigned"`
	CommitError *string            `json:"commit_error"`
	Committed   map[string]int64   `json:"committed"`
}

// confluentProduce sends records and checks every delivery callback
// reported success; it returns the deliveries in input order.
func confluentProduce(t *testing.T, bootstrap string, config map[string]any, recs []confluentRecord) []*confluentDelivery {
	t.Helper()
	var out confluentProduceOut
	runConfluent(t, map[string]any{"mode": "produce", "bootstrap": bootstrap, "config": config, "records": recs}, &out)
	if out.Undelivered != 0 {
		t.Errorf("flush left %d messages undelivered", out.Undelivered)
	}
	if len(out.Results) != len(recs) {
		t.Fatalf("%d delivery reports for %d records", len(out.Results), len(recs))
	}
	for i, r := range out.Results {
		if r == nil {
			t.Errorf("record %d: no delivery callback", i)
		} else if r.Error != nil {
			t.Errorf("record %d: delivery error %s", i, *r.Error)
		}
	}
	return out.Results
}

// TestConfluentProduceConsume produces keyed records with headers at acks
// 0, 1 and all and with each codec, checks the delivery callbacks, then
// reads everything with a group consumer and checks its commit.
func TestConfluentProduceConsume(t *testing.T) {
	requireConfluentKafka(t)
	c := StartCluster(t, nil)
	const topic, partitions = "confluent-pc", 3
	CreateTopic(t, c.Bootstrap(), topic, partitions, nil)

	want := map[string]confluentRecord{}
	perPartition := map[int32][]int64{}
	for _, acks := range []string{"0", "1", "all"} {
		for _, codec := range []string{"none", "gzip", "snappy", "lz4", "zstd"} {
			var recs []confluentRecord
			for i := 0; i < 6; i++ {
				r := confluentRecord{Topic: topic, Key: fmt.Sprintf("k%d", i%3),
					Value: fmt.Sprintf("acks%s-%s-%d", acks, codec, i), Headers: map[string]string{"h": codec}}
				if i%2 == 1 {
					p := int32(i % partitions)
					r.Partition = &p
				}
				recs = append(recs, r)
				want[r.Value] = r
			}
			res := confluentProduce(t, c.Bootstrap(), map[string]any{"acks": acks, "compression.type": codec}, recs)
			for i, d := range res {
				if d == nil || d.Error != nil {
					continue
				}
				if recs[i].Partition != nil && d.Partition != *recs[i].Partition {
					t.Errorf("acks=%s %s record %d: delivered to partition %d, asked for %d", acks, codec, i, d.Partition, *recs[i].Partition)
				}
				// With acks=0 librdkafka reports no offset (-1001, OFFSET_INVALID).
				if acks != "0" {
					perPartition[d.Partition] = append(perPartition[d.Partition], d.Offset)
				}
			}
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	for p, offs := range perPartition {
		seen := map[int64]bool{}
		for _, o := range offs {
			if o < 0 || seen[o] {
				t.Errorf("partition %d: delivered offsets %v (negative or repeated)", p, offs)
				break
			}
			seen[o] = true
		}
	}

	var out confluentConsumeOut
	runConfluent(t, map[string]any{"mode": "consume", "bootstrap": c.Bootstrap(), "topic": topic,
		"group": "confluent-g", "count": len(want), "timeout": 25}, &out)
	if len(out.Errors) > 0 {
		t.Errorf("consumer errors: %v", out.Errors)
	}
	if len(out.Messages) != len(want) {
		t.Fatalf("consumed %d messages, want %d", len(out.Messages), len(want))
	}
	next := map[int32]int64{}
	for _, m := range out.Messages {
		w, ok := want[m.Value]
		if !ok {
			t.Errorf("unexpected message %+v", m)
			continue
		}
		delete(want, m.Value)
		if m.Key != w.Key || m.Headers["h"] != w.Headers["h"] {
			t.Errorf("message %q: key %q headers %v, want %q %v", m.Value, m.Key, m.Headers, w.Key, w.Headers)
		}
		if m.Offset != next[m.Partition] {
			t.Errorf("partition %d: offset %d after %d (offsets must be consecutive)", m.Partition, m.Offset, next[m.Partition]-1)
		}
		next[m.Partition] = m.Offset + 1
	}
	if len(want) != 0 {
		t.Errorf("%d messages not consumed", len(want))
	}
	if got := fmt.Sprint(out.Assigned); got != "[0 1 2]" {
		t.Errorf("assigned partitions %s, want [0 1 2]", got)
	}
	if out.CommitError != nil {
		t.Errorf("commit: %s", *out.CommitError)
	}
	for p, end := range next {
		if got := out.Committed[fmt.Sprint(p)]; got != end {
			t.Errorf("partition %d: committed %d, want %d", p, got, end)
		}
	}

	// A second consumer in the group starts at the committed offsets and
	// sees only what is produced afterwards.
	confluentProduce(t, c.Bootstrap(), map[string]any{"acks": "all"},
		[]confluentRecord{{Topic: topic, Key: "late", Value: "late-0"}, {Topic: topic, Key: "late", Value: "late-1"}})
	var again confluentConsumeOut
	runConfluent(t, map[string]any{"mode": "consume", "bootstrap": c.Bootstrap(), "topic": topic,
		"group": "confluent-g", "count": 2, "timeout": 20}, &again)
	var vals []string
	for _, m := range again.Messages {
		vals = append(vals, m.Value)
	}
	sort.Strings(vals)
	if fmt.Sprint(vals) != "[late-0 late-1]" {
		t.Errorf("second consumer got %v, want [late-0 late-1]", vals)
	}
}

// TestConfluentIdempotentProducer produces with enable.idempotence=true
// (InitProducerId, sequence numbers, acks=all, up to 5 in flight) and checks
// every record is stored once, in order, under one producer id.
func TestConfluentIdempotentProducer(t *testing.T) {
	requireConfluentKafka(t)
	c := StartCluster(t, nil)
	const topic, n = "confluent-idem", 200
	CreateTopic(t, c.Bootstrap(), topic, 2, nil)
	var recs []confluentRecord
	for i := 0; i < n; i++ {
		p := int32(i % 2)
		recs = append(recs, confluentRecord{Topic: topic, Key: fmt.Sprint(i), Value: fmt.Sprintf("idem-%d", i), Partition: &p})
	}
	res := confluentProduce(t, c.Bootstrap(), map[string]any{"enable.idempotence": true, "linger.ms": 1,
		"batch.num.messages": 10, "compression.type": "lz4"}, recs)
	for i, d := range res {
		if d != nil && d.Error == nil && d.Offset != int64(i/2) {
			t.Errorf("record %d: offset %d, want %d", i, d.Offset, i/2)
		}
	}
	got := ConsumeAll(t, c.Bootstrap(), topic, 15*time.Second)
	pids := map[int64]bool{}
	for p, rs := range got {
		if len(rs) != n/2 {
			t.Errorf("partition %d: %d records, want %d", p, len(rs), n/2)
		}
		for i, r := range rs {
			if want := fmt.Sprintf("idem-%d", 2*i+int(p)); string(r.Value) != want {
				t.Errorf("partition %d offset %d: %q, want %q", p, r.Offset, r.Value, want)
			}
			pids[r.ProducerID] = true
			if r.ProducerEpoch != 0 {
				t.Errorf("partition %d offset %d: producer epoch %d, want 0", p, r.Offset, r.ProducerEpoch)
			}
		}
	}
	if len(pids) != 1 || pids[-1] {
		t.Errorf("producer ids %v: want one id from InitProducerId", pids)
	}
}

type confluentAdminOut struct {
	Create             map[string]*string `json:"create"`
	CreateAgain        map[string]*string `json:"create_again"`
	CreateRF3          map[string]*string `json:"create_rf3"`
	CreateValidateOnly map[string]*string `json:"create_validate_only"`
	Brokers            []int32            `json:"brokers"`
	ControllerID       int32              `json:"controller_id"`
	Topics             map[string]struct {
		Partitions int     `json:"partitions"`
		Error      *string `json:"error"`
		Leaders    []int32 `json:"leaders"`
	} `json:"topics"`
	Configs map[string]struct {
		Value     *string `json:"value"`
		IsDefault bool    `json:"is_default"`
		Source    int     `json:"source"`
		ReadOnly  bool    `json:"read_only"`
	} `json:"configs"`
	DescribeConfigsError *string            `json:"describe_configs_error"`
	BrokerConfigs        map[string][3]any  `json:"broker_configs"`
	BrokerConfigCount    int                `json:"broker_config_count"`
	DescribeBrokerError  *string            `json:"describe_broker_error"`
	CreatePartitions     map[string]*string `json:"create_partitions"`
	PartitionsAfter      int                `json:"partitions_after"`
	AlterConfigs         map[string]*string `json:"alter_configs"`
	RetentionAfterAlter  *string            `json:"retention_after_alter"`
	Groups               []string           `json:"groups"`
	GroupsError          *string            `json:"groups_error"`
	Delete               map[string]*string `json:"delete"`
	DeleteUnknown        map[string]*string `json:"delete_unknown"`
	DeletedGone          bool               `json:"deleted_gone"`
}

func errName(e *string) string {
	if e == nil {
		return "<none>"
	}
	return *e
}

// onlyResult is the single value of a one-entry result map.
func onlyResult(m map[string]*string) string {
	if len(m) != 1 {
		return fmt.Sprintf("<%d results>", len(m))
	}
	for _, v := range m {
		return errName(v)
	}
	return ""
}

// TestConfluentAdminClient creates (also again, with too many replicas,
// validate-only), lists, describes configs, adds partitions, alters configs
// and deletes topics with AdminClient, and lists groups.
func TestConfluentAdminClient(t *testing.T) {
	requireConfluentKafka(t)
	c := StartCluster(t, nil)
	const topic = "confluent-admin"
	// A group, so that list_groups has something to show.
	CreateTopic(t, c.Bootstrap(), "confluent-admin-src", 1, nil)
	confluentProduce(t, c.Bootstrap(), nil, []confluentRecord{{Topic: "confluent-admin-src", Key: "k", Value: "v"}})
	var cons confluentConsumeOut
	runConfluent(t, map[string]any{"mode": "consume", "bootstrap": c.Bootstrap(), "topic": "confluent-admin-src",
		"group": "confluent-admin-g", "count": 1}, &cons)

	var out confluentAdminOut
	runConfluent(t, map[string]any{"mode": "admin", "bootstrap": c.Bootstrap(), "topic": topic,
		"broker_keys": []string{"broker.id", "log.retention.hours", "num.network.threads", "log.cleaner.threads"}}, &out)
	checks := []struct{ what, got, want string }{
		{"create_topics", onlyResult(out.Create), "<none>"},
		{"create_topics again", onlyResult(out.CreateAgain), "TOPIC_ALREADY_EXISTS"},
		{"create_topics rf=3 on one broker", onlyResult(out.CreateRF3), "INVALID_REPLICATION_FACTOR"},
		{"create_topics validate_only", onlyResult(out.CreateValidateOnly), "<none>"},
		{"create_partitions to 4", onlyResult(out.CreatePartitions), "<none>"},
		{"delete_topics", onlyResult(out.Delete), "<none>"},
		{"delete_topics unknown", onlyResult(out.DeleteUnknown), "UNKNOWN_TOPIC_OR_PART"},
		{"describe_configs error", errName(out.DescribeConfigsError), "<none>"},
		{"list_groups error", errName(out.GroupsError), "<none>"},
		{"alter_configs", onlyResult(out.AlterConfigs), "<none>"},
		{"retention.ms after alter_configs", errName(out.RetentionAfterAlter), "7200000"},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s: %s, want %s", ch.what, ch.got, ch.want)
		}
	}
	if fmt.Sprint(out.Brokers) != "[1]" || out.ControllerID != 1 {
		t.Errorf("list_topics: brokers %v controller %d, want [1] and 1", out.Brokers, out.ControllerID)
	}
	if tm, ok := out.Topics[topic]; !ok || tm.Partitions != 2 || tm.Error != nil || fmt.Sprint(tm.Leaders) != "[1 1]" {
		t.Errorf("list_topics %s: %+v (present %v)", topic, tm, ok)
	}
	if _, ok := out.Topics[topic+"-validate"]; ok {
		t.Errorf("validate_only create_topics created the topic")
	}
	if out.PartitionsAfter != 4 {
		t.Errorf("partitions after create_partitions: %d, want 4", out.PartitionsAfter)
	}
	// librdkafka ConfigSource: 1 = DYNAMIC_TOPIC_CONFIG, 5 = DEFAULT_CONFIG.
	if e, ok := out.Configs["retention.ms"]; !ok || e.Value == nil || *e.Value != "3600000" || e.IsDefault || e.Source != 1 {
		t.Errorf("describe_configs retention.ms: %+v (present %v); want 3600000, topic override", e, ok)
	}
	if e, ok := out.Configs["cleanup.policy"]; !ok || e.Value == nil || *e.Value != "delete" || !e.IsDefault || e.Source != 5 {
		t.Errorf("describe_configs cleanup.policy: %+v (present %v); want delete, default", e, ok)
	}
	// Broker configs: librdkafka ConfigSource 4 = STATIC_BROKER_CONFIG
	// (server.properties), 5 = DEFAULT_CONFIG; log.cleaner.threads is
	// dynamically updatable in Kafka, so not read-only.
	if out.DescribeBrokerError != nil || out.BrokerConfigCount < 100 {
		t.Errorf("describe_configs broker 1: %d entries, error %s", out.BrokerConfigCount, errName(out.DescribeBrokerError))
	}
	for k, want := range map[string]string{"broker.id": "[1 4 true]", "log.retention.hours": "[168 4 true]",
		"num.network.threads": "[3 5 false]", "log.cleaner.threads": "[1 5 false]"} {
		if got := fmt.Sprint(out.BrokerConfigs[k]); got != want {
			t.Errorf("broker config %s: [value source read_only] %s, want %s", k, got, want)
		}
	}
	if len(out.Groups) != 1 || out.Groups[0] != "confluent-admin-g" {
		t.Errorf("list_groups: %v, want [confluent-admin-g]", out.Groups)
	}
	if !out.DeletedGone {
		t.Errorf("deleted topic still listed after 15 s")
	}
}

// TestConfluentOffsetLookups checks get_watermark_offsets, offsets_for_times
// (before, between and after the records) and reading an assigned
// partition from a seeked offset, with the record timestamps.
func TestConfluentOffsetLookups(t *testing.T) {
	requireConfluentKafka(t)
	c := StartCluster(t, nil)
	const topic = "confluent-lookups"
	CreateTopic(t, c.Bootstrap(), topic, 2, nil)
	p0 := int32(0)
	var first, second []confluentRecord
	for i := 0; i < 5; i++ {
		first = append(first, confluentRecord{Topic: topic, Key: "k", Value: fmt.Sprintf("a%d", i), Partition: &p0})
		second = append(second, confluentRecord{Topic: topic, Key: "k", Value: fmt.Sprintf("b%d", i), Partition: &p0})
	}
	t0 := time.Now().Add(-time.Second).UnixMilli()
	confluentProduce(t, c.Bootstrap(), map[string]any{"acks": "all"}, first)
	time.Sleep(100 * time.Millisecond)
	mid := time.Now().UnixMilli()
	time.Sleep(100 * time.Millisecond)
	confluentProduce(t, c.Bootstrap(), map[string]any{"acks": "all"}, second)

	var out struct {
		Watermarks map[string][2]int64 `json:"watermarks"`
		ByTime     map[string][2]any   `json:"by_time"`
		Read       [][4]any            `json:"read"`
	}
	runConfluent(t, map[string]any{"mode": "lookups", "bootstrap": c.Bootstrap(), "topic": topic, "partitions": 2,
		"times": map[string]int64{"before": t0, "mid": mid, "future": time.Now().Add(time.Hour).UnixMilli()},
		"seek":  3, "count": 7}, &out)
	if w := out.Watermarks["0"]; w != [2]int64{0, 10} {
		t.Errorf("watermarks partition 0: %v, want [0 10]", w)
	}
	if w := out.Watermarks["1"]; w != [2]int64{0, 0} {
		t.Errorf("watermarks partition 1: %v, want [0 0]", w)
	}
	// Offsets come back as JSON numbers; errors as names or null.
	wantByTime := map[string]string{"before": "[0 <nil>]", "mid": "[5 <nil>]", "future": "[-1 <nil>]"}
	for k, want := range wantByTime {
		if got := fmt.Sprint(out.ByTime[k]); got != want {
			t.Errorf("offsets_for_times %s: %s, want %s", k, got, want)
		}
	}
	if len(out.Read) != 7 {
		t.Fatalf("read %d records from offset 3, want 7: %v", len(out.Read), out.Read)
	}
	for i, r := range out.Read {
		off, _ := r[0].(float64)
		if int(off) != 3+i {
			t.Errorf("record %d at offset %v, want %d", i, r[0], 3+i)
		}
		// Timestamp type 1 = CreateTime.
		if ty, _ := r[2].(float64); ty != 1 {
			t.Errorf("record at %v: timestamp type %v, want 1 (CreateTime)", r[0], r[2])
		}
	}
}

// TestConfluentCooperativeSticky runs two librdkafka consumers with the
// cooperative-sticky assignor: when the second joins, the first keeps
// half of its partitions (only the moved ones are revoked).
func TestConfluentCooperativeSticky(t *testing.T) {
	requireConfluentKafka(t)
	c := StartCluster(t, nil)
	const topic = "confluent-coop"
	CreateTopic(t, c.Bootstrap(), topic, 4, nil)
	var out struct {
		First   []int32 `json:"first"`
		C1      []int32 `json:"c1"`
		C2      []int32 `json:"c2"`
		Events1 [][]any `json:"events1"`
		Events2 [][]any `json:"events2"`
	}
	runConfluent(t, map[string]any{"mode": "coop", "bootstrap": c.Bootstrap(), "topic": topic,
		"group": "confluent-coop-g", "partitions": 4}, &out)
	if fmt.Sprint(out.First) != "[0 1 2 3]" {
		t.Errorf("first consumer alone: %v, want [0 1 2 3]", out.First)
	}
	if len(out.C1) != 2 || len(out.C2) != 2 {
		t.Errorf("after the second joined: %v and %v, want 2 partitions each (events %v / %v)", out.C1, out.C2, out.Events1, out.Events2)
	}
	for _, e := range out.Events1 {
		if e[0] == "revoke" && len(e[1].([]any)) > 2 {
			t.Errorf("first consumer had %v revoked; cooperative rebalancing revokes only moved partitions", e[1])
		}
	}
}

// TestConfluentOldProtocols runs librdkafka without ApiVersions
// (api.version.request=false) and broker.version.fallback 0.9.0 (message
// format v0, Produce v1, Fetch v1) and 0.10.0 (format v1), producing with
// gzip and consuming in a group, so the broker converts formats for it.
func TestConfluentOldProtocols(t *testing.T) {
	requireConfluentKafka(t)
	c := StartCluster(t, nil)
	for _, fallback := range []string{"0.9.0", "0.10.0"} {
		t.Run(fallback, func(t *testing.T) {
			topic := "confluent-old-" + strings.ReplaceAll(fallback, ".", "")
			CreateTopic(t, c.Bootstrap(), topic, 1, nil)
			old := map[string]any{"api.version.request": false, "broker.version.fallback": fallback}
			var recs []confluentRecord
			for i := 0; i < 6; i++ {
				recs = append(recs, confluentRecord{Topic: topic, Key: "k", Value: fmt.Sprintf("old-%d", i)})
			}
			cfg := map[string]any{"compression.type": "gzip", "acks": "all"}
			for k, v := range old {
				cfg[k] = v
			}
			res := confluentProduce(t, c.Bootstrap(), cfg, recs)
			for i, d := range res {
				if d != nil && d.Error == nil && d.Offset != int64(i) {
					t.Errorf("record %d delivered at offset %d", i, d.Offset)
				}
			}
			// Also records written in format v2 by a current client.
			confluentProduce(t, c.Bootstrap(), map[string]any{"compression.type": "lz4"},
				[]confluentRecord{{Topic: topic, Key: "k", Value: "new-0"}, {Topic: topic, Key: "k", Value: "new-1"}})
			var out confluentConsumeOut
			runConfluent(t, map[string]any{"mode": "consume", "bootstrap": c.Bootstrap(), "topic": topic,
				"group": "confluent-old-g-" + fallback, "count": 8, "config": old}, &out)
			if len(out.Errors) > 0 {
				t.Errorf("consumer errors: %v", out.Errors)
			}
			var vals []string
			for i, m := range out.Messages {
				vals = append(vals, m.Value)
				if m.Offset != int64(i) || m.Key != "k" {
					t.Errorf("message %d: offset %d key %q", i, m.Offset, m.Key)
				}
			}
			if got := fmt.Sprint(vals); got != "[old-0 old-1 old-2 old-3 old-4 old-5 new-0 new-1]" {
				t.Errorf("consumed %s", got)
			}
			if out.CommitError != nil || out.Committed["0"] != 8 {
				t.Errorf("commit: %v, committed %v; want 8", errName(out.CommitError), out.Committed)
			}
		})
	}
}

// TestConfluentDeadMemberSessionTimeout: a group member that dies without
// leaving is removed when its session times out (6 s), so a new member's
// join completes and it gets every partition, resuming from the committed
// offsets.
func TestConfluentDeadMemberSessionTimeout(t *testing.T) {
	requireConfluentKafka(t)
	c := StartCluster(t, nil)
	const topic, group = "confluent-dead", "confluent-dead-g"
	CreateTopic(t, c.Bootstrap(), topic, 2, nil)
	var recs []confluentRecord
	for i := 0; i < 10; i++ {
		recs = append(recs, confluentRecord{Topic: topic, Key: fmt.Sprint(i), Value: fmt.Sprintf("d%d", i)})
	}
	confluentProduce(t, c.Bootstrap(), nil, recs)
	var dead confluentConsumeOut
	runConfluent(t, map[string]any{"mode": "consume", "bootstrap": c.Bootstrap(), "topic": topic, "group": group,
		"count": 10, "exit_without_close": true}, &dead)
	if len(dead.Messages) != 10 {
		t.Fatalf("first member consumed %d messages, want 10", len(dead.Messages))
	}
	start := time.Now()
	var out confluentConsumeOut
	runConfluent(t, map[string]any{"mode": "consume", "bootstrap": c.Bootstrap(), "topic": topic, "group": group,
		"count": 10, "timeout": 20}, &out)
	took := time.Since(start)
	if fmt.Sprint(out.Assigned) != "[0 1]" {
		t.Errorf("second member assigned %v, want [0 1] once the dead member's session expired", out.Assigned)
	}
	// Nothing was committed by the dead member: everything is read again.
	if len(out.Messages) != 10 {
		t.Errorf("second member read %d messages, want 10", len(out.Messages))
	}
	if took > 25*time.Second {
		t.Errorf("second member took %v", took)
	}
}

// TestConfluentLeaderFailover: librdkafka consumes a replicated partition
// (3 brokers, rf=3) in a group while its leader shuts down; it follows the
// new leader (Metadata, then OffsetForLeaderEpoch validation, KIP-320) and
// reads everything exactly once, including what is produced after the
// failover.
func TestConfluentLeaderFailover(t *testing.T) {
	requireConfluentKafka(t)
	c := StartClusterN(t, 3, map[string]string{"offsets.topic.replication.factor": "3"})
	const topic = "confluent-failover"
	adm := kadmClient(t, c.Bootstrap())
	ctx := testContext(t, 25*time.Second)
	if resp, err := adm.CreateTopic(ctx, 1, 3, nil, topic); err != nil || resp.Err != nil {
		t.Fatalf("create topic: %v / %v", err, resp.Err)
	}
	detail := waitPartitions(t, c.Bootstrap(), topic, 1, "3 in-sync replicas", func(p kadm.PartitionDetail) bool { return len(p.ISR) == 3 })
	leader := detail.Partitions[0].Leader
	var first []confluentRecord
	for i := 0; i < 20; i++ {
		first = append(first, confluentRecord{Topic: topic, Key: "k", Value: fmt.Sprintf("f%d", i)})
	}
	confluentProduce(t, c.Bootstrap(), map[string]any{"acks": "all"}, first)

	type result struct {
		out confluentConsumeOut
		err error
	}
	done := make(chan result, 1)
	in, _ := json.Marshal(map[string]any{"mode": "consume", "bootstrap": c.Bootstrap(), "topic": topic,
		"group": "confluent-failover-g", "count": 40, "timeout": 20,
		"config": map[string]any{"check.crcs": true, "topic.metadata.refresh.interval.ms": 1000}})
	go func() {
		cmd := exec.Command(systemPython, filepath.Join(repoRoot, "integration", "testdata", "compat_confluent.py"))
		cmd.Stdin = strings.NewReader(string(in))
		cmd.SysProcAttr = dieWithParent()
		stdout, err := cmd.Output()
		var r result
		r.err = err
		if err == nil {
			r.err = json.Unmarshal(stdout, &r.out)
		}
		done <- r
	}()
	time.Sleep(3 * time.Second) // the consumer joins and reads the first 20
	c.Brokers[leader-1].Stop()
	waitPartitions(t, bootstrapOf(c.Brokers...), topic, 1, "a new leader", func(p kadm.PartitionDetail) bool {
		return p.Leader >= 1 && p.Leader != leader
	})
	prod := NewClient(t, bootstrapOf(c.Brokers...), kgo.RequiredAcks(kgo.AllISRAcks()))
	for i := 0; i < 20; i++ {
		if err := prod.ProduceSync(ctx, &kgo.Record{Topic: topic, Key: []byte("k"), Value: []byte(fmt.Sprintf("s%d", i))}).FirstErr(); err != nil {
			t.Fatalf("produce after failover: %v", err)
		}
	}
	var r result
	select {
	case r = <-done:
	case <-time.After(25 * time.Second):
		t.Fatal("consumer did not finish")
	}
	if r.err != nil {
		t.Fatalf("consumer: %v", r.err)
	}
	var vals []string
	for i, m := range r.out.Messages {
		vals = append(vals, m.Value)
		if m.Offset != int64(i) {
			t.Errorf("message %d at offset %d", i, m.Offset)
		}
	}
	if len(vals) != 40 || vals[19] != "f19" || vals[20] != "s0" || vals[39] != "s19" {
		t.Errorf("consumed %d: %v", len(vals), vals)
	}
	if len(r.out.Errors) > 0 {
		t.Logf("consumer errors (transient during failover): %v", r.out.Errors)
	}
}

// TestConfluentLogAppendTimeAndOutOfRange: on a LogAppendTime topic the
// delivery report carries the broker's append time (Produce response
// log_append_time_ms) and type LogAppendTime; a consumer assigned past the
// log end gets OFFSET_OUT_OF_RANGE from Fetch and resets to the earliest
// offset (auto.offset.reset=earliest).
func TestConfluentLogAppendTimeAndOutOfRange(t *testing.T) {
	requireConfluentKafka(t)
	c := StartCluster(t, nil)
	const topic = "confluent-lat"
	lat := "LogAppendTime"
	CreateTopic(t, c.Bootstrap(), topic, 1, map[string]*string{"message.timestamp.type": &lat})
	before := time.Now().Add(-2 * time.Second).UnixMilli()
	var recs []confluentRecord
	for i := 0; i < 4; i++ {
		recs = append(recs, confluentRecord{Topic: topic, Key: "k", Value: fmt.Sprintf("l%d", i)})
	}
	res := confluentProduce(t, c.Bootstrap(), map[string]any{"acks": "all"}, recs)
	for i, d := range res {
		if d == nil || d.Error != nil {
			continue
		}
		if d.Timestamp[0] != 2 || d.Timestamp[1] < before || d.Timestamp[1] > time.Now().Add(2*time.Second).UnixMilli() {
			t.Errorf("record %d: delivery timestamp %v, want type 2 (LogAppendTime) with the broker's time", i, d.Timestamp)
		}
	}
	var out struct {
		Read [][4]any `json:"read"`
	}
	runConfluent(t, map[string]any{"mode": "lookups", "bootstrap": c.Bootstrap(), "topic": topic, "partitions": 1,
		"times": map[string]int64{}, "seek": 1000, "count": 4, "config": map[string]any{"auto.offset.reset": "earliest"}}, &out)
	if len(out.Read) != 4 {
		t.Fatalf("after assigning offset 1000 with auto.offset.reset=earliest: read %v, want offsets 0-3", out.Read)
	}
	for i, r := range out.Read {
		if off, _ := r[0].(float64); int(off) != i {
			t.Errorf("record %d at offset %v", i, r[0])
		}
		if ty, _ := r[2].(float64); ty != 2 {
			t.Errorf("record %d: timestamp type %v, want 2 (LogAppendTime)", i, r[2])
		}
	}
}
