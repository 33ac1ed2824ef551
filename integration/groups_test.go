package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// groupProps keep group tests quick: a 6 s minimum session timeout (Kafka's
// default) and 5 offsets partitions instead of 50.
var groupProps = map[string]string{
	"offsets.topic.num.partitions":     "5",
	"group.initial.rebalance.delay.ms": "0",
}

// produceN writes n records "v0".."v<n-1>" spread over the topic's
// partitions and waits for the acks.
func produceN(t *testing.T, bootstrap, topic string, from, n int) {
	t.Helper()
	cl := NewClient(t, bootstrap, kgo.RecordPartitioner(kgo.RoundRobinPartitioner()))
	ctx := testContext(t, 30*time.Second)
	var recs []*kgo.Record
	for i := from; i < from+n; i++ {
		recs = append(recs, &kgo.Record{Topic: topic, Value: []byte(fmt.Sprintf("v%d", i))})
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatalf("produce to %s: %v", topic, err)
	}
}

// pyGroupConsumer is a kafka-python consumer script: it reads until it has
// "want" records (or idles out), optionally commits, and prints what it
// read and its assignment as JSON.
const pyGroupConsumer = `
import json, sys, time
from kafka import KafkaConsumer
cfg = json.load(sys.stdin)
c = KafkaConsumer(cfg["topic"], bootstrap_servers=cfg["bootstrap"], group_id=cfg["group"],
                  auto_offset_reset="earliest", enable_auto_commit=cfg["auto_commit"],
                  session_timeout_ms=cfg.get("session_timeout_ms", 10000),
                  consumer_timeout_ms=cfg.get("idle_ms", 15000))
got = []
for msg in c:
    got.append(msg.value.decode())
    if len(got) >= cfg["want"]:
        break
if cfg.get("commit"):
    c.commit()
assignment = sorted(tp.partition for tp in c.assignment())
c.close()
print(json.dumps({"values": got, "assignment": assignment}))
`

type pyGroupConsumed struct {
	Values     []string `json:"values"`
	Assignment []int32  `json:"assignment"`
}

func runPyConsumer(t *testing.T, cfg map[string]any) pyGroupConsumed {
	t.Helper()
	requirePythonKafka(t)
	in, _ := json.Marshal(cfg)
	stdout, stderr, code := RunCmd(t, 2*time.Minute, string(in), systemPython, "-c", pyGroupConsumer)
	if code != 0 {
		t.Fatalf("kafka-python consumer exited %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	var out pyGroupConsumed
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("kafka-python consumer printed no JSON (%v)\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr)
	}
	return out
}

// committed returns the group's committed offsets of topic by partition.
func committed(t *testing.T, bootstrap, group, topic string) map[int32]int64 {
	t.Helper()
	adm := kadm.NewClient(NewClient(t, bootstrap))
	ctx := testContext(t, 30*time.Second)
	resp, err := adm.FetchOffsets(ctx, group)
	if err != nil {
		t.Fatalf("FetchOffsets %s: %v", group, err)
	}
	out := map[int32]int64{}
	resp.Each(func(o kadm.OffsetResponse) {
		if o.Topic == topic && o.Err == nil {
			out[o.Partition] = o.At
		}
	})
	return out
}

func sum(m map[int32]int64) int64 {
	var s int64
	for _, v := range m {
		s += v
	}
	return s
}

func distinct(t *testing.T, values ...[]string) map[string]bool {
	t.Helper()
	seen := map[string]bool{}
	for _, vs := range values {
		for _, v := range vs {
			if seen[v] {
				t.Errorf("record %s delivered twice", v)
			}
			seen[v] = true
		}
	}
	return seen
}

// TestGroupKafkaPython walks the course's consumer steps with kafka-python:
// an auto-committing group reads everything and commits it; a manual
// commit followed by a restart continues where the group left off; a second
// group reads everything again.
func TestGroupKafkaPython(t *testing.T) {
	c := StartCluster(t, groupProps)
	const topic = "bigdata01"
	CreateTopic(t, c.Bootstrap(), topic, 3, nil)
	produceN(t, c.Bootstrap(), topic, 0, 30)

	out := runPyConsumer(t, map[string]any{"bootstrap": c.Bootstrap(), "topic": topic, "group": "cg1", "auto_commit": true, "want": 30})
	if got := distinct(t, out.Values); len(got) != 30 {
		t.Fatalf("cg1 read %d distinct records, want 30: %v", len(got), out.Values)
	}
	if off := committed(t, c.Bootstrap(), "cg1", topic); sum(off) != 30 || len(off) != 3 {
		t.Fatalf("cg1 committed %v, want 10 per partition", off)
	}

	// Manual commit after part of the records, then a new consumer of the
	// same group continues after the committed position.
	first := runPyConsumer(t, map[string]any{"bootstrap": c.Bootstrap(), "topic": topic, "group": "manual", "auto_commit": false, "want": 12, "commit": true})
	if n := sum(committed(t, c.Bootstrap(), "manual", topic)); n != int64(len(first.Values)) {
		t.Fatalf("manual commit stored %d consumed positions, consumer read %d", n, len(first.Values))
	}
	rest := runPyConsumer(t, map[string]any{"bootstrap": c.Bootstrap(), "topic": topic, "group": "manual", "auto_commit": false,
		"want": 30 - len(first.Values), "commit": true, "idle_ms": 8000})
	if got := distinct(t, first.Values, rest.Values); len(got) != 30 {
		t.Fatalf("manual group read %d+%d records (%d distinct), want 30 without repeats", len(first.Values), len(rest.Values), len(got))
	}

	// Another group reads everything again.
	again := runPyConsumer(t, map[string]any{"bootstrap": c.Bootstrap(), "topic": topic, "group": "cg2", "auto_commit": true, "want": 30})
	if got := distinct(t, again.Values); len(got) != 30 {
		t.Fatalf("cg2 read %d distinct records, want 30", len(got))
	}

	// The broker describes the groups the way kafka-consumer-groups shows them.
	adm := kadm.NewClient(NewClient(t, c.Bootstrap()))
	ctx := testContext(t, 30*time.Second)
	listed, err := adm.ListGroups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(listed.Groups(), ","); got != "cg1,cg2,manual" {
		t.Errorf("ListGroups: %s, want cg1,cg2,manual", got)
	}
	described, err := adm.DescribeGroups(ctx, "cg1")
	if err != nil {
		t.Fatal(err)
	}
	if g := described["cg1"]; g.State != "Empty" || g.ProtocolType != "consumer" {
		t.Errorf("cg1 after its consumer closed: state %q protocol type %q, want Empty", g.State, g.ProtocolType)
	}
}

// pyTwoMembers runs two kafka-python consumers of one group in one process,
// polling in turn, until both have stable assignments and together have
// read every record.
const pyTwoMembers = `
import json, sys, threading, time
from kafka import KafkaConsumer
cfg = json.load(sys.stdin)
got = [[], []]
assignments = [[], []]
stop = threading.Event()
def member(i):
    c = KafkaConsumer(cfg["topic"], bootstrap_servers=cfg["bootstrap"], group_id=cfg["group"], client_id="m%d" % (i + 1),
                      auto_offset_reset="earliest", enable_auto_commit=True)
    while not stop.is_set():
        for tp, msgs in c.poll(timeout_ms=200).items():
            got[i].extend(m.value.decode() for m in msgs)
        assignments[i] = sorted(tp.partition for tp in c.assignment())
    c.close()
threads = [threading.Thread(target=member, args=(i,)) for i in range(2)]
for th in threads:
    th.start()
deadline = time.time() + 60
while time.time() < deadline:
    a = list(assignments)
    if a[0] and a[1] and sorted(a[0] + a[1]) == list(range(cfg["partitions"])) and len(set(got[0] + got[1])) >= cfg["want"]:
        break
    time.sleep(0.2)
out = {"assignments": list(assignments), "values": got}
stop.set()
for th in threads:
    th.join()
print(json.dumps(out))
`

// TestGroupTwoMembersSplitPartitions checks that two members of a group
// get disjoint partitions and together read everything once.
func TestGroupTwoMembersSplitPartitions(t *testing.T) {
	requirePythonKafka(t)
	c := StartCluster(t, groupProps)
	const topic = "split"
	CreateTopic(t, c.Bootstrap(), topic, 4, nil)
	produceN(t, c.Bootstrap(), topic, 0, 40)
	in, _ := json.Marshal(map[string]any{"bootstrap": c.Bootstrap(), "topic": topic, "group": "pair", "want": 40, "partitions": 4})
	stdout, stderr, code := RunCmd(t, 2*time.Minute, string(in), systemPython, "-c", pyTwoMembers)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	var out struct {
		Assignments [][]int32  `json:"assignments"`
		Values      [][]string `json:"values"`
	}
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("%v: %s\n%s", err, stdout, stderr)
	}
	seen := map[int32]bool{}
	for _, a := range out.Assignments {
		if len(a) == 0 {
			t.Errorf("a member got no partitions: %v", out.Assignments)
		}
		for _, p := range a {
			if seen[p] {
				t.Errorf("partition %d assigned twice: %v", p, out.Assignments)
			}
			seen[p] = true
		}
	}
	if len(seen) != 4 {
		t.Errorf("assignments %v do not cover the 4 partitions", out.Assignments)
	}
	// A record may be read twice across the rebalance (auto commit is
	// at-least-once), but every record must be read.
	all := map[string]bool{}
	for _, vs := range out.Values {
		for _, v := range vs {
			all[v] = true
		}
	}
	if len(all) != 40 {
		t.Errorf("the two members read %d distinct records, want 40", len(all))
	}
}

// TestGroupFranzCooperativeSticky runs two franz-go members with the
// cooperative-sticky balancer: the broker relays their incremental
// rebalances, and together they consume everything.
func TestGroupFranzCooperativeSticky(t *testing.T) {
	c := StartCluster(t, groupProps)
	const topic, group = "coop", "coop-group"
	CreateTopic(t, c.Bootstrap(), topic, 6, nil)
	produceN(t, c.Bootstrap(), topic, 0, 60)
	opts := []kgo.Opt{kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic), kgo.Balancers(kgo.CooperativeStickyBalancer()),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(200 * time.Millisecond)}
	m1 := NewClient(t, c.Bootstrap(), opts...)
	m2 := NewClient(t, c.Bootstrap(), opts...)
	ctx := testContext(t, 60*time.Second)
	values := map[string]bool{}
	for len(values) < 60 && ctx.Err() == nil {
		for _, m := range []*kgo.Client{m1, m2} {
			pctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
			fs := m.PollFetches(pctx)
			cancel()
			fs.EachRecord(func(r *kgo.Record) { values[string(r.Value)] = true })
		}
	}
	if len(values) != 60 {
		t.Fatalf("read %d distinct records, want 60", len(values))
	}
	// Both members end up owning partitions once the group settles.
	adm := kadm.NewClient(NewClient(t, c.Bootstrap()))
	deadline := time.Now().Add(30 * time.Second)
	var last string
	for time.Now().Before(deadline) {
		for _, m := range []*kgo.Client{m1, m2} {
			pctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
			m.PollFetches(pctx)
			cancel()
		}
		d, err := adm.DescribeGroups(ctx, group)
		if err == nil {
			g := d[group]
			owners := 0
			total := 0
			for _, mem := range g.Members {
				if ca, ok := mem.Assigned.AsConsumer(); ok {
					n := 0
					for _, t := range ca.Topics {
						n += len(t.Partitions)
					}
					if n > 0 {
						owners++
					}
					total += n
				}
			}
			last = fmt.Sprintf("state %s, %d members, %d owners, %d partitions", g.State, len(g.Members), owners, total)
			if g.State == "Stable" && g.Protocol == "cooperative-sticky" && owners == 2 && total == 6 {
				return
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("group did not settle with both members owning partitions: %s", last)
}

// TestGroupOffsetsSurviveRestart commits offsets, restarts the broker and
// reads them back: the coordinator rebuilt them from __consumer_offsets.
func TestGroupOffsetsSurviveRestart(t *testing.T) {
	c := StartCluster(t, groupProps)
	const topic = "durable-offsets"
	CreateTopic(t, c.Bootstrap(), topic, 3, nil)
	produceN(t, c.Bootstrap(), topic, 0, 30)
	adm := kadm.NewClient(NewClient(t, c.Bootstrap()))
	ctx := testContext(t, 60*time.Second)
	offsets := kadm.Offsets{}
	for p := int32(0); p < 3; p++ {
		offsets.Add(kadm.Offset{Topic: topic, Partition: p, At: int64(3 + p), LeaderEpoch: -1, Metadata: fmt.Sprintf("m%d", p)})
	}
	resp, err := adm.CommitOffsets(ctx, "keeper", offsets)
	if err != nil || resp.Error() != nil {
		t.Fatalf("commit: %v / %v", err, resp.Error())
	}
	// A real group too, so that its metadata record is reloaded.
	out := runPyConsumerIfAvailable(t, c.Bootstrap(), topic, "live")
	c.B().Restart()
	adm = kadm.NewClient(NewClient(t, c.Bootstrap()))
	got := committed(t, c.Bootstrap(), "keeper", topic)
	for p := int32(0); p < 3; p++ {
		if got[p] != int64(3+p) {
			t.Errorf("after restart keeper %s-%d = %d, want %d (all: %v)", topic, p, got[p], 3+p, got)
		}
	}
	if out >= 0 {
		if n := sum(committed(t, c.Bootstrap(), "live", topic)); n != out {
			t.Errorf("after restart group live has %d committed positions, want %d", n, out)
		}
		d, err := adm.DescribeGroups(ctx, "live")
		if err != nil || d["live"].State != "Empty" {
			t.Errorf("group live after restart: %+v %v", d["live"], err)
		}
	}
}

func runPyConsumerIfAvailable(t *testing.T, bootstrap, topic, group string) int64 {
	out := runPyConsumer(t, map[string]any{"bootstrap": bootstrap, "topic": topic, "group": group, "auto_commit": true, "want": 30})
	return int64(len(out.Values))
}

// TestGroupKilledMemberRemoved kill -9s a kafka-python member: the
// coordinator removes it when its session times out and gives its
// partitions to the surviving member.
func TestGroupKilledMemberRemoved(t *testing.T) {
	requirePythonKafka(t)
	c := StartCluster(t, groupProps)
	const topic, group = "victim", "kill9"
	CreateTopic(t, c.Bootstrap(), topic, 2, nil)
	script := `
import json, sys, time
from kafka import KafkaConsumer
cfg = json.load(sys.stdin)
c = KafkaConsumer(cfg["topic"], bootstrap_servers=cfg["bootstrap"], group_id=cfg["group"], client_id="doomed",
                  session_timeout_ms=6000, heartbeat_interval_ms=1000)
while True:
    c.poll(timeout_ms=500)
`
	cfg, _ := json.Marshal(map[string]any{"bootstrap": c.Bootstrap(), "topic": topic, "group": group})
	cmd := exec.Command(systemPython, "-c", script)
	cmd.Stdin = strings.NewReader(string(cfg))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })

	adm := kadm.NewClient(NewClient(t, c.Bootstrap()))
	ctx := testContext(t, 90*time.Second)
	waitGroup := func(what string, ok func(kadm.DescribedGroup) bool) kadm.DescribedGroup {
		t.Helper()
		var last kadm.DescribedGroup
		for ctx.Err() == nil {
			d, err := adm.DescribeGroups(ctx, group)
			if err == nil {
				last = d[group]
				if ok(last) {
					return last
				}
			}
			time.Sleep(200 * time.Millisecond)
		}
		t.Fatalf("%s: last state %s with %d members", what, last.State, len(last.Members))
		return last
	}
	waitGroup("python member joins", func(g kadm.DescribedGroup) bool { return g.State == "Stable" && len(g.Members) == 1 })

	// A franz-go member joins (with a balancer kafka-python also offers:
	// without a common protocol the broker would refuse it with
	// INCONSISTENT_GROUP_PROTOCOL); the group rebalances with both.
	survivor := NewClient(t, c.Bootstrap(), kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic), kgo.SessionTimeout(6*time.Second), kgo.Balancers(kgo.RangeBalancer()))
	go func() {
		for ctx.Err() == nil {
			survivor.PollFetches(ctx)
		}
	}()
	waitGroup("two members", func(g kadm.DescribedGroup) bool { return g.State == "Stable" && len(g.Members) == 2 })

	_ = cmd.Process.Signal(syscall.SIGKILL)
	killed := time.Now()
	g := waitGroup("killed member removed", func(g kadm.DescribedGroup) bool {
		if g.State != "Stable" || len(g.Members) != 1 {
			return false
		}
		ca, ok := g.Members[0].Assigned.AsConsumer()
		if !ok {
			return false
		}
		var ps []int32
		for _, tp := range ca.Topics {
			ps = append(ps, tp.Partitions...)
		}
		sort.Slice(ps, func(i, j int) bool { return ps[i] < ps[j] })
		return fmt.Sprint(ps) == "[0 1]"
	})
	if d := time.Since(killed); d < 4*time.Second {
		t.Errorf("member removed %v after kill -9, before its 6 s session could expire", d)
	}
	if g.Members[0].ClientID == "doomed" {
		t.Errorf("the killed member is still the one in the group")
	}
	if !strings.Contains(c.B().Log(), "has failed, removing it from the group") {
		t.Errorf("broker log lacks the member expiry line")
	}
}

// TestGroupKcat consumes with a librdkafka balanced consumer (kcat -G)
// and checks that it committed its positions.
func TestGroupKcat(t *testing.T) {
	requireKcat(t)
	// Kafka's defaults here: 50 offsets partitions.
	c := StartCluster(t, nil)
	const topic, group = "kcat-group", "kcat-cg"
	CreateTopic(t, c.Bootstrap(), topic, 2, nil)
	produceN(t, c.Bootstrap(), topic, 0, 20)
	stdout, stderr, code := RunCmd(t, 90*time.Second, "", requireKcat(t), "-b", c.Bootstrap(), "-G", group,
		"-X", "auto.offset.reset=earliest", "-e", "-q", "-f", "%s\n", topic)
	if code != 0 {
		t.Fatalf("kcat -G exited %d\n%s\n%s", code, stdout, stderr)
	}
	lines := strings.Fields(stdout)
	if got := distinct(t, lines); len(got) != 20 {
		t.Fatalf("kcat read %d distinct records, want 20: %q", len(got), stdout)
	}
	if n := sum(committed(t, c.Bootstrap(), group, topic)); n != 20 {
		t.Errorf("kcat group committed %d positions, want 20", n)
	}
}

// TestGroupAPIVersions drives every group API at every version Kafka 2.8
// serves, on a raw connection, and checks the answers' fields.
func TestGroupAPIVersions(t *testing.T) {
	c := StartCluster(t, groupProps)
	const topic = "versions"
	CreateTopic(t, c.Bootstrap(), topic, 1, nil)
	conn := dial(t, c.B().Addr())
	corr := int32(0)
	call := func(req kmsg.Request) kmsg.Response {
		t.Helper()
		corr++
		resp, err := RoundTrip(conn, req, corr, 20*time.Second)
		if err != nil {
			t.Fatalf("%T v%d: %v", req, req.GetVersion(), err)
		}
		return resp
	}

	// FindCoordinator: the first call creates __consumer_offsets.
	deadline := time.Now().Add(30 * time.Second)
	for v := int16(0); v <= 3; v++ {
		for {
			req := kmsg.NewPtrFindCoordinatorRequest()
			req.Version, req.CoordinatorKey = v, "vgroup"
			resp := call(req).(*kmsg.FindCoordinatorResponse)
			if resp.ErrorCode == 0 {
				if resp.NodeID != 1 || resp.Port != int32(c.B().Port) || (v >= 1 && (resp.ErrorMessage == nil || *resp.ErrorMessage != "NONE")) {
					t.Fatalf("FindCoordinator v%d: %+v", v, resp)
				}
				break
			}
			if resp.ErrorCode != kerr.CoordinatorNotAvailable.Code || time.Now().After(deadline) {
				t.Fatalf("FindCoordinator v%d: error %d", v, resp.ErrorCode)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	txn := kmsg.NewPtrFindCoordinatorRequest()
	txn.Version, txn.CoordinatorKey, txn.CoordinatorType = 1, "tx", 1
	if resp := call(txn).(*kmsg.FindCoordinatorResponse); resp.ErrorCode != kerr.CoordinatorNotAvailable.Code || resp.NodeID != -1 {
		t.Errorf("transaction coordinator: %+v", resp)
	}

	// Offsets of a client that only stores them (simple commits), at
	// every OffsetCommit version; OffsetFetch at every version reads them.
	for v := int16(0); v <= 8; v++ {
		req := kmsg.NewPtrOffsetCommitRequest()
		req.Version, req.Group, req.Generation, req.MemberID = v, "vgroup", -1, ""
		rt := kmsg.NewOffsetCommitRequestTopic()
		rt.Topic = topic
		rp := kmsg.NewOffsetCommitRequestTopicPartition()
		rp.Partition, rp.Offset, rp.Metadata, rp.LeaderEpoch = 0, int64(100+v), strp(fmt.Sprintf("v%d", v)), 0
		rt.Partitions = append(rt.Partitions, rp)
		bad := kmsg.NewOffsetCommitRequestTopic()
		bad.Topic = "no-such-topic"
		bad.Partitions = append(bad.Partitions, rp)
		req.Topics = append(req.Topics, rt, bad)
		resp := call(req).(*kmsg.OffsetCommitResponse)
		if len(resp.Topics) != 2 || resp.Topics[0].Partitions[0].ErrorCode != 0 ||
			resp.Topics[1].Partitions[0].ErrorCode != kerr.UnknownTopicOrPartition.Code {
			t.Fatalf("OffsetCommit v%d: %+v", v, resp)
		}
		fetchVersions := []int16{1, 2, 3, 4, 5, 6, 7}
		if v == 0 {
			// Version 0 offsets live in ZooKeeper, as in Kafka.
			fetchVersions = []int16{0}
		}
		for _, fv := range fetchVersions {
			f := kmsg.NewPtrOffsetFetchRequest()
			f.Version, f.Group = fv, "vgroup"
			ft := kmsg.NewOffsetFetchRequestTopic()
			ft.Topic, ft.Partitions = topic, []int32{0, 5}
			f.Topics = append(f.Topics, ft)
			fr := call(f).(*kmsg.OffsetFetchResponse)
			if len(fr.Topics) != 1 || len(fr.Topics[0].Partitions) != 2 {
				t.Fatalf("OffsetFetch v%d: %+v", fv, fr)
			}
			p0, p5 := fr.Topics[0].Partitions[0], fr.Topics[0].Partitions[1]
			wantMeta := fmt.Sprintf("v%d", v)
			if v == 0 {
				wantMeta = "" // ZooKeeper keeps only the offset
				if p5.ErrorCode != kerr.UnknownTopicOrPartition.Code {
					t.Fatalf("OffsetFetch v0 of a partition that does not exist: %+v", p5)
				}
			}
			if p0.Offset != int64(100+v) || *p0.Metadata != wantMeta || p5.Offset != -1 || p0.ErrorCode != 0 {
				t.Fatalf("OffsetFetch v%d after commit v%d: %+v %+v", fv, v, p0, p5)
			}
			if fv >= 5 && v >= 6 && p0.LeaderEpoch != 0 {
				t.Fatalf("OffsetFetch v%d lost the leader epoch: %+v", fv, p0)
			}
		}
	}
	all := kmsg.NewPtrOffsetFetchRequest()
	all.Version, all.Group, all.Topics = 7, "vgroup", nil
	if fr := call(all).(*kmsg.OffsetFetchResponse); len(fr.Topics) != 1 || fr.Topics[0].Topic != topic || fr.Topics[0].Partitions[0].Offset != 108 {
		t.Fatalf("OffsetFetch of all partitions: %+v", fr)
	}
	// A group through every JoinGroup/SyncGroup/Heartbeat/LeaveGroup version.
	sub := kmsg.NewConsumerMemberMetadata()
	sub.Topics = []string{topic}
	for v := int16(0); v <= 7; v++ {
		group := fmt.Sprintf("jg%d", v)
		join := kmsg.NewPtrJoinGroupRequest()
		join.Version, join.Group, join.SessionTimeoutMillis, join.RebalanceTimeoutMillis = v, group, 10000, 10000
		join.ProtocolType = "consumer"
		proto := kmsg.NewJoinGroupRequestProtocol()
		proto.Name, proto.Metadata = "range", sub.AppendTo(nil)
		join.Protocols = append(join.Protocols, proto)
		jr := call(join).(*kmsg.JoinGroupResponse)
		if v >= 4 {
			if jr.ErrorCode != kerr.MemberIDRequired.Code || jr.MemberID == "" {
				t.Fatalf("JoinGroup v%d without member id: %+v", v, jr)
			}
			join.MemberID = jr.MemberID
			jr = call(join).(*kmsg.JoinGroupResponse)
		}
		if jr.ErrorCode != 0 || jr.Generation != 1 || jr.LeaderID != jr.MemberID || len(jr.Members) != 1 ||
			!strings.HasPrefix(jr.MemberID, "integration-") || (v >= 7 && (jr.ProtocolType == nil || *jr.ProtocolType != "consumer")) ||
			jr.Protocol == nil || *jr.Protocol != "range" {
			t.Fatalf("JoinGroup v%d: %+v", v, jr)
		}
		syncV := min(v, 5)
		sync := kmsg.NewPtrSyncGroupRequest()
		sync.Version, sync.Group, sync.Generation, sync.MemberID = syncV, group, jr.Generation, jr.MemberID
		ga := kmsg.NewSyncGroupRequestGroupAssignment()
		ga.MemberID, ga.MemberAssignment = jr.MemberID, []byte("assignment")
		sync.GroupAssignment = append(sync.GroupAssignment, ga)
		if sr := call(sync).(*kmsg.SyncGroupResponse); sr.ErrorCode != 0 || string(sr.MemberAssignment) != "assignment" {
			t.Fatalf("SyncGroup v%d: %+v", syncV, sr)
		}
		hbV := min(v, 4)
		hb := kmsg.NewPtrHeartbeatRequest()
		hb.Version, hb.Group, hb.Generation, hb.MemberID = hbV, group, jr.Generation, jr.MemberID
		if hr := call(hb).(*kmsg.HeartbeatResponse); hr.ErrorCode != 0 {
			t.Fatalf("Heartbeat v%d: %+v", hbV, hr)
		}
		hb.Generation = 9
		if hr := call(hb).(*kmsg.HeartbeatResponse); hr.ErrorCode != kerr.IllegalGeneration.Code {
			t.Fatalf("Heartbeat v%d with a wrong generation: %+v", hbV, hr)
		}
		for dv := int16(0); dv <= 5; dv++ {
			d := kmsg.NewPtrDescribeGroupsRequest()
			d.Version, d.Groups, d.IncludeAuthorizedOperations = dv, []string{group}, true
			dg := call(d).(*kmsg.DescribeGroupsResponse).Groups[0]
			if dg.ErrorCode != 0 || dg.State != "Stable" || dg.Protocol != "range" || len(dg.Members) != 1 ||
				dg.Members[0].ClientHost != "/127.0.0.1" || string(dg.Members[0].MemberAssignment) != "assignment" ||
				(dv >= 3 && dg.AuthorizedOperations != 328) {
				t.Fatalf("DescribeGroups v%d: %+v", dv, dg)
			}
		}
		leaveV := min(v, 4)
		leave := kmsg.NewPtrLeaveGroupRequest()
		leave.Version, leave.Group = leaveV, group
		if leaveV < 3 {
			leave.MemberID = jr.MemberID
		} else {
			m := kmsg.NewLeaveGroupRequestMember()
			m.MemberID = jr.MemberID
			ghost := kmsg.NewLeaveGroupRequestMember()
			ghost.MemberID = "ghost"
			leave.Members = append(leave.Members, m, ghost)
		}
		lr := call(leave).(*kmsg.LeaveGroupResponse)
		if lr.ErrorCode != 0 || (leaveV >= 3 && (len(lr.Members) != 2 || lr.Members[0].ErrorCode != 0 || lr.Members[1].ErrorCode != kerr.UnknownMemberID.Code)) {
			t.Fatalf("LeaveGroup v%d: %+v", leaveV, lr)
		}
	}

	for v := int16(0); v <= 4; v++ {
		l := kmsg.NewPtrListGroupsRequest()
		l.Version = v
		if v >= 4 {
			l.StatesFilter = []string{"Empty"}
		}
		lr := call(l).(*kmsg.ListGroupsResponse)
		if lr.ErrorCode != 0 || len(lr.Groups) != 9 {
			t.Fatalf("ListGroups v%d: %+v", v, lr)
		}
		if lr.Groups[0].Group != "jg0" || lr.Groups[0].ProtocolType != "consumer" || lr.Groups[8].Group != "vgroup" || lr.Groups[8].ProtocolType != "" {
			t.Fatalf("ListGroups v%d: %+v", v, lr.Groups)
		}
		if v >= 4 && lr.Groups[0].GroupState != "Empty" {
			t.Fatalf("ListGroups v%d state: %+v", v, lr.Groups[0])
		}
	}
	od := kmsg.NewPtrOffsetDeleteRequest()
	od.Group = "vgroup"
	odt := kmsg.NewOffsetDeleteRequestTopic()
	odt.Topic = topic
	odt.Partitions = append(odt.Partitions, kmsg.OffsetDeleteRequestTopicPartition{Partition: 0})
	od.Topics = append(od.Topics, odt)
	if r := call(od).(*kmsg.OffsetDeleteResponse); r.ErrorCode != 0 || r.Topics[0].Partitions[0].ErrorCode != 0 {
		t.Fatalf("OffsetDelete: %+v", r)
	}
	for v := int16(0); v <= 2; v++ {
		d := kmsg.NewPtrDeleteGroupsRequest()
		d.Version, d.Groups = v, []string{fmt.Sprintf("jg%d", v), "never-existed"}
		r := call(d).(*kmsg.DeleteGroupsResponse)
		if r.Groups[0].ErrorCode != 0 || r.Groups[1].ErrorCode != kerr.GroupIDNotFound.Code {
			t.Fatalf("DeleteGroups v%d: %+v", v, r)
		}
	}
}

// TestGroupOffsetsTopicNeedsEnoughBrokers asks for a coordinator when
// offsets.topic.replication.factor exceeds the live brokers.
func TestGroupOffsetsTopicNeedsEnoughBrokers(t *testing.T) {
	c := StartCluster(t, map[string]string{"offsets.topic.replication.factor": "3"})
	conn := dial(t, c.B().Addr())
	req := kmsg.NewPtrFindCoordinatorRequest()
	req.Version, req.CoordinatorKey = 2, "g"
	resp, err := RoundTrip(conn, req, 1, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	fr := resp.(*kmsg.FindCoordinatorResponse)
	if fr.ErrorCode != kerr.CoordinatorNotAvailable.Code || fr.NodeID != -1 || fr.ErrorMessage == nil || *fr.ErrorMessage != "The coordinator is not available." {
		t.Fatalf("FindCoordinator: %+v", fr)
	}
	if want := "Number of alive brokers '1' does not meet the required replication factor '3' for the offsets topic (configured via 'offsets.topic.replication.factor')"; !strings.Contains(c.B().Log(), want) {
		t.Errorf("broker log lacks %q", want)
	}
}

// TestGroupCoordinatorFailover commits offsets and a group on a replicated
// __consumer_offsets, stops the coordinator, and reads everything back from
// the broker that takes over its partition.
func TestGroupCoordinatorFailover(t *testing.T) {
	props := map[string]string{"offsets.topic.num.partitions": "3", "offsets.topic.replication.factor": "2", "group.initial.rebalance.delay.ms": "0"}
	c := StartClusterN(t, 2, props)
	const topic, group = "failover", "fo-group"
	CreateTopic(t, c.Bootstrap(), topic, 2, nil)
	adm := kadm.NewClient(NewClient(t, c.Bootstrap()))
	ctx := testContext(t, 120*time.Second)
	// The first FindCoordinator creates the topic; commits then retry
	// until it is loaded.
	offsets := kadm.Offsets{}
	offsets.Add(kadm.Offset{Topic: topic, Partition: 0, At: 17, LeaderEpoch: -1})
	offsets.Add(kadm.Offset{Topic: topic, Partition: 1, At: 23, LeaderEpoch: -1})
	if resp, err := adm.CommitOffsets(ctx, group, offsets); err != nil || resp.Error() != nil {
		// The first call may race the creation of __consumer_offsets.
		t.Logf("first commit: %v / %v", err, resp.Error())
	}
	waitPartitions(t, c.Bootstrap(), "__consumer_offsets", 3, "fully replicated", func(p kadm.PartitionDetail) bool { return len(p.ISR) == 2 })
	if resp, err := adm.CommitOffsets(ctx, group, offsets); err != nil || resp.Error() != nil {
		t.Fatalf("commit: %v / %v", err, resp.Error())
	}
	coords := adm.FindGroupCoordinators(ctx, group)
	if coords[group].Err != nil {
		t.Fatal(coords[group].Err)
	}
	var coordinator, survivor *Broker
	for _, b := range c.Brokers {
		if int32(b.ID) == coords[group].NodeID {
			coordinator = b
		} else {
			survivor = b
		}
	}
	if coordinator == nil {
		t.Fatalf("coordinator %+v is not a cluster broker", coords)
	}
	coordinator.Stop()

	deadline := time.Now().Add(60 * time.Second)
	for {
		// A fresh client each time: a client that looked the coordinator
		// up in the moment before the survivor's metadata changed keeps
		// dialling the stopped broker.
		cl2 := NewClient(t, survivor.Addr())
		resp, err := kadm.NewClient(cl2).FetchOffsets(ctx, group)
		cl2.Close()
		if err == nil && resp.Error() == nil {
			got := map[int32]int64{}
			resp.Each(func(o kadm.OffsetResponse) { got[o.Partition] = o.At })
			if got[0] == 17 && got[1] == 23 {
				break
			}
			t.Fatalf("offsets after failover: %v", got)
		}
		if time.Now().After(deadline) {
			t.Fatalf("no offsets from the new coordinator: %v / %v", err, resp.Error())
		}
		time.Sleep(200 * time.Millisecond)
	}
	if !strings.Contains(survivor.Log(), "Elected as the group coordinator for partition") {
		t.Errorf("survivor log lacks the election line")
	}
}

// TestGroupKafkaPythonPatternSeekPause covers the rest of the course's
// consumer steps: subscribe(pattern=...), seek and seek_to_beginning,
// pause and resume, all inside a group.
func TestGroupKafkaPythonPatternSeekPause(t *testing.T) {
	requirePythonKafka(t)
	c := StartCluster(t, groupProps)
	for _, tp := range []string{"course-a", "course-b", "other"} {
		CreateTopic(t, c.Bootstrap(), tp, 1, nil)
		produceN(t, c.Bootstrap(), tp, 0, 10)
	}
	script := `
import json, sys, time
from kafka import KafkaConsumer, TopicPartition
cfg = json.load(sys.stdin)
c = KafkaConsumer(bootstrap_servers=cfg["bootstrap"], group_id="pattern", auto_offset_reset="earliest",
                  enable_auto_commit=False, consumer_timeout_ms=10000)
c.subscribe(pattern="^course-.*")
def drain(n, timeout=20):
    got = []
    end = time.time() + timeout
    while len(got) < n and time.time() < end:
        for tp, msgs in c.poll(timeout_ms=200).items():
            got.extend("%s:%d" % (m.topic, m.offset) for m in msgs)
    return got
out = {"first": drain(20)}
out["topics"] = sorted(tp.topic for tp in c.assignment())
a = TopicPartition("course-a", 0)
c.seek(a, 5)
out["after_seek"] = drain(5)
c.pause(a)
c.seek_to_beginning()
out["paused"] = drain(10, timeout=3)
c.resume(a)
out["resumed"] = drain(10)
c.commit()
out["committed_a"] = c.committed(a)
c.close()
print(json.dumps(out))
`
	in, _ := json.Marshal(map[string]any{"bootstrap": c.Bootstrap()})
	stdout, stderr, code := RunCmd(t, 2*time.Minute, string(in), systemPython, "-c", script)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	var out struct {
		First      []string `json:"first"`
		Topics     []string `json:"topics"`
		AfterSeek  []string `json:"after_seek"`
		Paused     []string `json:"paused"`
		Resumed    []string `json:"resumed"`
		CommittedA int64    `json:"committed_a"`
	}
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("%v: %s\n%s", err, stdout, stderr)
	}
	if len(distinct(t, out.First)) != 20 || strings.Join(out.Topics, ",") != "course-a,course-b" {
		t.Fatalf("pattern subscription read %d records of %v", len(out.First), out.Topics)
	}
	for _, r := range out.First {
		if strings.HasPrefix(r, "other:") {
			t.Fatalf("pattern ^course-.* delivered %s", r)
		}
	}
	sort.Strings(out.AfterSeek)
	if strings.Join(out.AfterSeek, ",") != "course-a:5,course-a:6,course-a:7,course-a:8,course-a:9" {
		t.Errorf("after seek(course-a, 5): %v", out.AfterSeek)
	}
	for _, r := range out.Paused {
		if strings.HasPrefix(r, "course-a:") {
			t.Errorf("paused partition delivered %s", r)
		}
	}
	if len(out.Paused) != 10 || len(out.Resumed) != 10 {
		t.Errorf("while paused got %d records (want course-b's 10), after resume %d (want course-a's 10)", len(out.Paused), len(out.Resumed))
	}
	if out.CommittedA != 10 {
		t.Errorf("committed course-a position %d, want 10", out.CommittedA)
	}
}
