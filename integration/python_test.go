package integration

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

type pyRecord struct {
	Topic     string  `json:"topic"`
	Key       *string `json:"key"`
	Value     string  `json:"value"`
	Partition *int32  `json:"partition,omitempty"`
}

type pyResult struct {
	Topic     string  `json:"topic"`
	Partition int32   `json:"partition"`
	Offset    int64   `json:"offset"`
	Timestamp int64   `json:"timestamp"`
	Error     *string `json:"error"`
}

type pyProduceOutput struct {
	Results              []*pyResult `json:"results"`
	CallbacksBeforeFlush int         `json:"callbacks_before_flush"`
	CallbacksAfterFlush  int         `json:"callbacks_after_flush"`
}

func strp(s string) *string { return &s }
func i32p(v int32) *int32   { return &v }

// TestKafkaPythonProducer produces with kafka-python at acks 0, 1 and all,
// keyed, explicit-partition and round-robin, with get() and with callbacks
// plus flush(), then reads everything back with franz-go.
func TestKafkaPythonProducer(t *testing.T) {
	requirePythonKafka(t)
	c := StartCluster(t, nil)
	const topic, partitions = "py-produce", 3
	CreateTopic(t, c.Bootstrap(), topic, partitions, nil)

	type sent struct {
		rec pyRecord
		res *pyResult
		// acked: the broker reported an offset (acks 1 and all).
		acked bool
	}
	var all []sent
	for _, acks := range []any{0, 1, "all"} {
		for _, mode := range []string{"get", "callback"} {
			tag := fmt.Sprintf("acks%v-%s", acks, mode)
			var recs []pyRecord
			for i := 0; i < 12; i++ {
				r := pyRecord{Topic: topic, Value: fmt.Sprintf("%s-v%d", tag, i)}
				switch i % 3 {
				case 0: // keyed: the key picks the partition
					r.Key = strp(fmt.Sprintf("key-%d", i%6))
				case 1: // explicit partition
					r.Key = strp(tag)
					r.Partition = i32p(int32(i % partitions))
				}
				recs = append(recs, r)
			}
			var out pyProduceOutput
			runPython(t, "producer.py", map[string]any{
				"bootstrap": c.Bootstrap(), "acks": acks, "mode": mode, "records": recs,
			}, &out)
			if len(out.Results) != len(recs) {
				t.Fatalf("%s: %d results for %d records", tag, len(out.Results), len(recs))
			}
			if out.CallbacksAfterFlush != len(recs) {
				t.Errorf("%s: %d callbacks fired by the end of flush(), want %d", tag, out.CallbacksAfterFlush, len(recs))
			}
			for i, res := range out.Results {
				if res == nil || res.Error != nil {
					t.Fatalf("%s record %d: %+v", tag, i, res)
				}
				if recs[i].Partition != nil && res.Partition != *recs[i].Partition {
					t.Errorf("%s record %d: sent to partition %d, metadata says %d", tag, i, *recs[i].Partition, res.Partition)
				}
				if acks == 0 {
					if res.Offset != -1 {
						t.Errorf("%s record %d: acks=0 metadata offset %d, want -1 (no response)", tag, i, res.Offset)
					}
				} else if res.Offset < 0 {
					t.Errorf("%s record %d: acked without offset: %+v", tag, i, res)
				}
				all = append(all, sent{rec: recs[i], res: res, acked: acks != 0})
			}
		}
	}

	// A topic nobody created: kafka-python's Metadata v1 has no auto-create
	// flag, so the broker creates it (auto.create.topics.enable defaults to
	// true) with num.partitions partitions.
	var auto pyProduceOutput
	runPython(t, "producer.py", map[string]any{
		"bootstrap": c.Bootstrap(), "acks": 1, "mode": "get",
		"records": []pyRecord{{Topic: "py-auto", Value: "a0"}, {Topic: "py-auto", Value: "a1"}},
	}, &auto)
	for i, res := range auto.Results {
		if res == nil || res.Error != nil || res.Partition != 0 || res.Offset != int64(i) {
			t.Errorf("auto-created topic, record %d: %+v", i, res)
		}
	}

	// Offsets within one partition are unique and increasing in send order
	// (a single producer with in-order delivery).
	lastOffset := map[int32]int64{}
	for _, s := range all {
		if !s.acked {
			continue
		}
		if last, ok := lastOffset[s.res.Partition]; ok && s.res.Offset <= last {
			t.Errorf("partition %d: offset %d after %d", s.res.Partition, s.res.Offset, last)
		}
		lastOffset[s.res.Partition] = s.res.Offset
	}

	// Same key → same partition, across acks levels and runs.
	keyPart := map[string]int32{}
	for _, s := range all {
		if s.rec.Key == nil || s.rec.Partition != nil {
			continue
		}
		if p, ok := keyPart[*s.rec.Key]; ok && p != s.res.Partition {
			t.Errorf("key %q went to partitions %d and %d", *s.rec.Key, p, s.res.Partition)
		}
		keyPart[*s.rec.Key] = s.res.Partition
	}

	got := ConsumeAll(t, c.Bootstrap(), topic, 60*time.Second)
	total := 0
	byValue := map[string]*kgo.Record{}
	for p, rs := range got {
		for i, r := range rs {
			total++
			if i > 0 && r.Offset != rs[i-1].Offset+1 {
				t.Errorf("partition %d: offset %d follows %d (gap)", p, r.Offset, rs[i-1].Offset)
			}
			byValue[string(r.Value)] = r
		}
	}
	if total != len(all) {
		t.Errorf("read back %d records, produced %d", total, len(all))
	}
	for _, s := range all {
		r := byValue[s.rec.Value]
		if r == nil {
			t.Errorf("record %q (acked=%v) not found", s.rec.Value, s.acked)
			continue
		}
		wantKey := ""
		if s.rec.Key != nil {
			wantKey = *s.rec.Key
		}
		if string(r.Key) != wantKey || (s.rec.Key == nil) != (r.Key == nil) {
			t.Errorf("record %q: key %q, want %v", s.rec.Value, r.Key, s.rec.Key)
		}
		if s.acked && (r.Partition != s.res.Partition || r.Offset != s.res.Offset) {
			t.Errorf("record %q: at %d@%d, producer was told %d@%d", s.rec.Value, r.Partition, r.Offset, s.res.Partition, s.res.Offset)
		}
		if s.res.Partition != r.Partition {
			t.Errorf("record %q: in partition %d, producer metadata said %d", s.rec.Value, r.Partition, s.res.Partition)
		}
	}
}

type pyConsumed struct {
	Partition int32       `json:"partition"`
	Offset    int64       `json:"offset"`
	Key       *string     `json:"key"`
	Value     *string     `json:"value"`
	Timestamp int64       `json:"timestamp"`
	Headers   [][2]string `json:"headers"`
}

type pyConsumerOutput struct {
	PartitionsForTopic []int32                   `json:"partitions_for_topic"`
	BeginningOffsets   map[string]int64          `json:"beginning_offsets"`
	EndOffsets         map[string]int64          `json:"end_offsets"`
	FromBeginning      []pyConsumed              `json:"from_beginning"`
	AfterSeek          []pyConsumed              `json:"after_seek"`
	PositionsAtEnd     map[string]int64          `json:"positions_at_end"`
	OffsetsForTimes    map[string]*pyOffsetAndTS `json:"offsets_for_times"`
}

type pyOffsetAndTS struct {
	Offset    int64 `json:"offset"`
	Timestamp int64 `json:"timestamp"`
}

// TestKafkaPythonConsumer reads with kafka-python without a group: assign,
// seek, seek_to_beginning/end, beginning/end offsets and offsets_for_times.
func TestKafkaPythonConsumer(t *testing.T) {
	requirePythonKafka(t)
	c := StartCluster(t, nil)
	const topic, partitions, perPartition = "py-consume", 2, 20
	CreateTopic(t, c.Bootstrap(), topic, partitions, nil)

	// Timestamps one second apart from a fixed base, so lookups by time
	// have exact answers.
	base := time.Now().Add(-time.Hour).Truncate(time.Second)
	cl := NewClient(t, c.Bootstrap(), kgo.RequiredAcks(kgo.AllISRAcks()), kgo.ProducerLinger(50*time.Millisecond), kgo.RecordPartitioner(kgo.ManualPartitioner()),
		// kafka-python (Debian) has gzip but no snappy/lz4/zstd module.
		kgo.ProducerBatchCompression(kgo.GzipCompression()))
	var recs []*kgo.Record
	for p := int32(0); p < partitions; p++ {
		for i := 0; i < perPartition; i++ {
			recs = append(recs, &kgo.Record{
				Topic: topic, Partition: p,
				Key:       []byte(fmt.Sprintf("k%d", i)),
				Value:     []byte(fmt.Sprintf("p%d-v%d", p, i)),
				Timestamp: base.Add(time.Duration(i) * time.Second),
				Headers:   []kgo.RecordHeader{{Key: "h", Value: []byte(strconv.Itoa(i))}},
			})
		}
	}
	produceSync(t, cl, recs)

	var out pyConsumerOutput
	runPython(t, "consumer.py", map[string]any{
		"bootstrap": c.Bootstrap(), "topic": topic, "partitions": partitions,
		"seek": map[string]any{"partition": 0, "offset": 5},
		"times": map[string]int64{
			"0": base.Add(5500 * time.Millisecond).UnixMilli(), // between 5 and 6 → offset 6
			"1": base.Add(time.Hour).UnixMilli(),               // after the last → none
		},
	}, &out)

	if fmt.Sprint(out.PartitionsForTopic) != "[0 1]" {
		t.Errorf("partitions_for_topic = %v, want [0 1]", out.PartitionsForTopic)
	}
	for p := 0; p < partitions; p++ {
		k := strconv.Itoa(p)
		if out.BeginningOffsets[k] != 0 || out.EndOffsets[k] != perPartition {
			t.Errorf("partition %d: beginning %d end %d, want 0 and %d", p, out.BeginningOffsets[k], out.EndOffsets[k], perPartition)
		}
		if out.PositionsAtEnd[k] != perPartition {
			t.Errorf("partition %d: position after seek_to_end %d, want %d", p, out.PositionsAtEnd[k], perPartition)
		}
	}
	if len(out.FromBeginning) != partitions*perPartition {
		t.Errorf("seek_to_beginning read %d records, want %d", len(out.FromBeginning), partitions*perPartition)
	}
	for _, r := range out.FromBeginning {
		i := int(r.Offset)
		want := fmt.Sprintf("p%d-v%d", r.Partition, i)
		if r.Value == nil || *r.Value != want || r.Key == nil || *r.Key != fmt.Sprintf("k%d", i) {
			t.Errorf("partition %d offset %d: key %v value %v, want k%d %s", r.Partition, r.Offset, r.Key, r.Value, i, want)
		}
		if wantTS := base.Add(time.Duration(i) * time.Second).UnixMilli(); r.Timestamp != wantTS {
			t.Errorf("partition %d offset %d: timestamp %d, want %d", r.Partition, r.Offset, r.Timestamp, wantTS)
		}
		if len(r.Headers) != 1 || r.Headers[0] != [2]string{"h", strconv.Itoa(i)} {
			t.Errorf("partition %d offset %d: headers %v", r.Partition, r.Offset, r.Headers)
		}
	}
	if len(out.AfterSeek) != perPartition-5 {
		t.Errorf("after seek(p0, 5) read %d records, want %d", len(out.AfterSeek), perPartition-5)
	}
	for i, r := range out.AfterSeek {
		if r.Partition != 0 || r.Offset != int64(5+i) {
			t.Errorf("after seek record %d: partition %d offset %d, want 0 and %d", i, r.Partition, r.Offset, 5+i)
			break
		}
	}
	if got := out.OffsetsForTimes["0"]; got == nil || got.Offset != 6 || got.Timestamp != base.Add(6*time.Second).UnixMilli() {
		t.Errorf("offsets_for_times p0 = %+v, want offset 6 timestamp %d", got, base.Add(6*time.Second).UnixMilli())
	}
	if got, ok := out.OffsetsForTimes["1"]; !ok || got != nil {
		t.Errorf("offsets_for_times p1 (after the last record) = %+v (present %v), want null", got, ok)
	}
}

// produceSync produces recs and fails the test on any error.
func produceSync(t testing.TB, cl *kgo.Client, recs []*kgo.Record) {
	t.Helper()
	ctx := testContext(t, 60*time.Second)
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}
}

// TestLegacyMessageFormats: kafka-python pinned to old protocol versions
// produces magic 0 and magic 1 messages (plain and gzip-wrapped); the broker
// stores them as v2 batches with consecutive offsets, and old consumers get
// them back down-converted.
func TestLegacyMessageFormats(t *testing.T) {
	requirePythonKafka(t)
	c := StartCluster(t, nil)
	const topic = "legacy"
	CreateTopic(t, c.Bootstrap(), topic, 1, nil)

	type run struct {
		name   string
		config map[string]any
	}
	runs := []run{
		{"magic0", map[string]any{"api_version": []int{0, 9}}},
		{"magic0-gzip", map[string]any{"api_version": []int{0, 9}, "compression_type": "gzip"}},
		{"magic1", map[string]any{"api_version": []int{0, 10, 1}}},
		{"magic1-gzip", map[string]any{"api_version": []int{0, 10, 1}, "compression_type": "gzip"}},
		{"v2", map[string]any{}},
	}
	var want []string
	next := int64(0)
	for _, r := range runs {
		var recs []pyRecord
		for i := 0; i < 5; i++ {
			v := fmt.Sprintf("%s-%d", r.name, i)
			recs = append(recs, pyRecord{Topic: topic, Key: strp(fmt.Sprintf("k%d", i)), Value: v})
			want = append(want, v)
		}
		var out pyProduceOutput
		runPython(t, "producer.py", map[string]any{
			"bootstrap": c.Bootstrap(), "acks": 1, "mode": "callback", "records": recs, "config": r.config,
		}, &out)
		for i, res := range out.Results {
			if res == nil || res.Error != nil {
				t.Fatalf("%s record %d: %+v", r.name, i, res)
			}
			// Old clients compute offsets from the response's base offset.
			if res.Offset != next {
				t.Errorf("%s record %d: acked at offset %d, want %d", r.name, i, res.Offset, next)
			}
			next++
		}
	}

	got := ConsumeAll(t, c.Bootstrap(), topic, 30*time.Second)
	var vals []string
	for i, r := range got[0] {
		vals = append(vals, string(r.Value))
		if r.Offset != int64(i) || string(r.Key) != fmt.Sprintf("k%d", i%5) {
			t.Errorf("franz-go record %d: offset %d key %q", i, r.Offset, r.Key)
		}
	}
	if strings.Join(vals, ",") != strings.Join(want, ",") {
		t.Errorf("franz-go read %v, want %v", vals, want)
	}

	for _, api := range [][]int{{0, 9}, {0, 10, 1}} {
		var out pyConsumerOutput
		runPython(t, "consumer.py", map[string]any{
			"bootstrap": c.Bootstrap(), "topic": topic, "partitions": 1,
			"simple": true, "expect": len(want), "config": map[string]any{"api_version": api},
		}, &out)
		var vals []string
		for i, r := range out.FromBeginning {
			if r.Value != nil {
				vals = append(vals, *r.Value)
			}
			if r.Offset != int64(i) {
				t.Errorf("api_version %v: record %d at offset %d", api, i, r.Offset)
			}
		}
		if strings.Join(vals, ",") != strings.Join(want, ",") {
			t.Errorf("kafka-python with api_version %v read %v, want %v", api, vals, want)
		}
	}
}

// TestKafkaPythonAdmin drives kafka-python's KafkaAdminClient (it negotiates
// versions and talks to the controller): create with configs, the
// TOPIC_ALREADY_EXISTS and replication factor errors, list, describe
// configs, create partitions, describe cluster, delete.
func TestKafkaPythonAdmin(t *testing.T) {
	requirePythonKafka(t)
	c := StartCluster(t, nil)
	var out map[string]struct {
		OK      json.RawMessage `json:"ok"`
		Error   string          `json:"error"`
		Message string          `json:"message"`
	}
	runPython(t, "admin.py", map[string]any{"bootstrap": c.Bootstrap()}, &out)
	expectOK := func(step, want string) {
		t.Helper()
		s := out[step]
		if s.Error != "" || string(s.OK) != want {
			t.Errorf("%s: ok %s error %s %s; want %s", step, s.OK, s.Error, s.Message, want)
		}
	}
	expectErr := func(step, class string) {
		t.Helper()
		if s := out[step]; s.Error != class {
			t.Errorf("%s: ok %s error %q %s; want %s", step, s.OK, s.Error, s.Message, class)
		}
	}
	expectOK("create", `[["adm", 0, null]]`)
	expectErr("create_again", "TopicAlreadyExistsError")
	expectErr("create_rf5", "InvalidReplicationFactorError")
	expectOK("list", `["adm"]`)
	var configs map[string]*string
	if err := json.Unmarshal(out["configs"].OK, &configs); err != nil || configs["retention.ms"] == nil || *configs["retention.ms"] != "3600000" {
		t.Errorf("describe_configs: %s %s %s", out["configs"].OK, out["configs"].Error, out["configs"].Message)
	}
	expectOK("partitions", `[["adm", 0, null]]`)
	expectOK("describe_cluster", `{"brokers": 1, "controller": 1}`)
	expectOK("delete", `[["adm", 0]]`)
	if msg := out["create_rf5"].Message; !strings.Contains(msg, "Replication factor: 5 larger than available brokers: 1.") {
		t.Logf("create_rf5 message: %s", msg)
	}
}
