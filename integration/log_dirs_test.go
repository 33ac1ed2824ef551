package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gokafka/kafka/zkutil/zktest"
)

// logDirsReport is kafka-log-dirs.sh --describe's JSON.
type logDirsReport struct {
	Brokers []struct {
		Broker  int `json:"broker"`
		LogDirs []struct {
			LogDir     string `json:"logDir"`
			Partitions []struct {
				Partition string `json:"partition"`
				Size      int64  `json:"size"`
				OffsetLag int64  `json:"offsetLag"`
				IsFuture  bool   `json:"isFuture"`
			} `json:"partitions"`
		} `json:"logDirs"`
	} `json:"brokers"`
}

func describeLogDirsTool(t *testing.T, bootstrap, topic string) logDirsReport {
	t.Helper()
	out, errOut, code := Kafka(t, "log-dirs", "--bootstrap-server", bootstrap, "--describe", "--topic-list", topic)
	if code != 0 {
		t.Fatalf("kafka-log-dirs exited %d: %s %s", code, out, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var r logDirsReport
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &r); err != nil {
		t.Fatalf("kafka-log-dirs output: %v\n%s", err, out)
	}
	return r
}

// replicaDirs returns the dirs holding the current and the future replica
// of partition (e.g. "mv-0") in a report.
func replicaDirs(r logDirsReport, partition string) (current, future string) {
	for _, b := range r.Brokers {
		for _, d := range b.LogDirs {
			for _, p := range d.Partitions {
				if p.Partition != partition {
					continue
				}
				if p.IsFuture {
					future = d.LogDir
				} else {
					current = d.LogDir
				}
			}
		}
	}
	return current, future
}

// TestAlterReplicaLogDirsMovesLiveData: a broker with two log dirs moves a
// partition from one to the other with kafka-reassign-partitions.sh and
// "log_dirs", throttled so the future replica shows in kafka-log-dirs.sh,
// while a producer keeps writing. Every acknowledged record is readable
// afterwards, in order, the segments live in the new dir, the old dir is
// gone, and a restart finds the data there.
func TestAlterReplicaLogDirsMovesLiveData(t *testing.T) {
	base := t.TempDir()
	d1, d2 := filepath.Join(base, "d1"), filepath.Join(base, "d2")
	c := StartCluster(t, map[string]string{"log.dirs": d1 + "," + d2})
	bs := c.Bootstrap()
	if out, errOut, code := Kafka(t, "topics", "--bootstrap-server", bs, "--create", "--topic", "mv",
		"--partitions", "1", "--replication-factor", "1", "--config", "segment.bytes=65536"); code != 0 {
		t.Fatalf("create: %s %s", out, errOut)
	}
	cl := NewClient(t, bs, kgo.DefaultProduceTopic("mv"), kgo.ProducerLinger(0), kgo.ProducerBatchCompression(kgo.NoCompression()))
	value := func(i int) []byte { return []byte(fmt.Sprintf("%08d-%s", i, strings.Repeat("x", 300))) }
	next := 0
	ctx := testContext(t, 4*time.Minute)
	for next < 3000 {
		var recs []*kgo.Record
		for j := 0; j < 100; j++ {
			recs = append(recs, &kgo.Record{Key: []byte(fmt.Sprint(next)), Value: value(next)})
			next++
		}
		if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	src, fut := replicaDirs(describeLogDirsTool(t, bs, "mv"), "mv-0")
	if src == "" || fut != "" {
		t.Fatalf("before the move: current %q future %q", src, fut)
	}
	dst := d1
	if src == d1 {
		dst = d2
	}

	// A producer keeps going during the whole move.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			mu.Lock()
			i := next
			mu.Unlock()
			if err := cl.ProduceSync(ctx, &kgo.Record{Key: []byte(fmt.Sprint(i)), Value: value(i)}).FirstErr(); err != nil {
				t.Errorf("produce during the move: %v", err)
				return
			}
			mu.Lock()
			next++
			mu.Unlock()
			time.Sleep(2 * time.Millisecond)
		}
	}()

	plan := filepath.Join(t.TempDir(), "plan.json")
	os.WriteFile(plan, []byte(fmt.Sprintf(`{"version":1,"partitions":[{"topic":"mv","partition":0,"replicas":[1],"log_dirs":[%q]}]}`, dst)), 0o644)
	out, errOut, code := Kafka(t, "reassign-partitions", "--bootstrap-server", bs, "--execute",
		"--reassignment-json-file", plan, "--replica-alter-log-dirs-throttle", "100000")
	if code != 0 {
		t.Fatalf("reassign --execute exited %d:\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"The replica-alter-dir throttle limit was set to 100000 B/s",
		"Successfully started partition reassignment for mv-0", "Successfully started log directory move for: mv-0-1"} {
		if !strings.Contains(out, want) {
			t.Errorf("reassign --execute output lacks %q:\n%s", want, out)
		}
	}
	// About 1 MB at 100 kB/s: the future replica is there for seconds.
	during := describeLogDirsTool(t, bs, "mv")
	cur, fut := replicaDirs(during, "mv-0")
	if cur != src || fut != dst {
		t.Fatalf("during the move kafka-log-dirs shows current %q future %q, want %q and %q: %+v", cur, fut, src, dst, during)
	}
	out, _, _ = Kafka(t, "reassign-partitions", "--bootstrap-server", bs, "--verify", "--reassignment-json-file", plan)
	if !strings.Contains(out, "Reassignment of replica mv-0-1 is still in progress.") {
		t.Errorf("verify during the move:\n%s", out)
	}
	// Lift the throttle; the move completes and --verify clears throttles.
	if out, errOut, code := Kafka(t, "configs", "--bootstrap-server", bs, "--alter", "--entity-type", "brokers",
		"--entity-name", "1", "--delete-config", "replica.alter.log.dirs.io.max.bytes.per.second"); code != 0 {
		t.Fatalf("configs: %s %s", out, errOut)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		out, _, _ = Kafka(t, "reassign-partitions", "--bootstrap-server", bs, "--verify", "--reassignment-json-file", plan)
		if strings.Contains(out, "Reassignment of replica mv-0-1 completed successfully.") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the move did not complete:\n%s", out)
		}
		time.Sleep(300 * time.Millisecond)
	}
	if !strings.Contains(out, "Clearing broker-level throttles on broker 1") {
		t.Errorf("verify after the move does not clear throttles:\n%s", out)
	}
	time.Sleep(300 * time.Millisecond) // appends after the swap
	close(stop)
	wg.Wait()
	if t.Failed() {
		return
	}
	total := next
	t.Logf("%d records acknowledged, %d during the move", total, total-3000)

	cur, fut = replicaDirs(describeLogDirsTool(t, bs, "mv"), "mv-0")
	if cur != dst || fut != "" {
		t.Fatalf("after the move: current %q future %q, want %q", cur, fut, dst)
	}
	if segs, _ := filepath.Glob(filepath.Join(dst, "mv-0", "*.log")); len(segs) < 5 {
		t.Fatalf("segments in the new dir: %v", segs)
	}
	deadline = time.Now().Add(10 * time.Second)
	for {
		left, _ := filepath.Glob(filepath.Join(src, "mv-0*"))
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("old dir still there: %v", left)
		}
		time.Sleep(100 * time.Millisecond)
	}
	readAllMv := func() {
		t.Helper()
		con := NewClient(t, bs, kgo.ConsumeTopics("mv"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
		got := 0
		cctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		defer cancel()
		for got < total {
			fs := con.PollFetches(cctx)
			if cctx.Err() != nil {
				t.Fatalf("read %d of %d records", got, total)
			}
			fs.EachError(func(_ string, _ int32, err error) { t.Fatalf("fetch: %v", err) })
			fs.EachRecord(func(r *kgo.Record) {
				if r.Offset != int64(got) || string(r.Value) != string(value(got)) {
					t.Fatalf("record %d: offset %d value %.12q", got, r.Offset, r.Value)
				}
				got++
			})
		}
		con.Close()
	}
	readAllMv()

	c.B().Restart()
	if segs, _ := filepath.Glob(filepath.Join(dst, "mv-0", "*.log")); len(segs) < 5 {
		t.Fatalf("segments in the new dir after restart: %v", segs)
	}
	if left, _ := filepath.Glob(filepath.Join(src, "mv-0*")); len(left) != 0 {
		t.Fatalf("old dir after restart: %v", left)
	}
	readAllMv()
	// The log keeps taking appends in its new dir after the restart.
	if err := NewClient(t, bs, kgo.DefaultProduceTopic("mv")).ProduceSync(ctx, &kgo.Record{Value: []byte("after")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

// TestAlterReplicaLogDirsErrors: AlterReplicaLogDirs answers per partition
// as Kafka 2.8: LOG_DIR_NOT_FOUND for a dir outside log.dirs,
// UNKNOWN_TOPIC_OR_PARTITION for a partition the cluster does not have,
// and NONE for the dir the replica is already in.
func TestAlterReplicaLogDirsErrors(t *testing.T) {
	base := t.TempDir()
	d1, d2 := filepath.Join(base, "d1"), filepath.Join(base, "d2")
	c := StartCluster(t, map[string]string{"log.dirs": d1 + "," + d2})
	CreateTopic(t, c.Bootstrap(), "errs", 1, nil)
	cur, _ := replicaDirs(describeLogDirsTool(t, c.Bootstrap(), "errs"), "errs-0")
	cl := NewClient(t, c.Bootstrap())
	ctx := testContext(t, 30*time.Second)
	ask := func(dir, topic string, p int32) int16 {
		req := kmsg.NewPtrAlterReplicaLogDirsRequest()
		d := kmsg.NewAlterReplicaLogDirsRequestDir()
		d.Dir = dir
		rt := kmsg.NewAlterReplicaLogDirsRequestDirTopic()
		rt.Topic, rt.Partitions = topic, []int32{p}
		d.Topics = append(d.Topics, rt)
		req.Dirs = append(req.Dirs, d)
		raw, err := cl.Broker(1).Request(ctx, req) // franz-go would shard it by metadata
		if err != nil {
			t.Fatal(err)
		}
		resp := raw.(*kmsg.AlterReplicaLogDirsResponse)
		if len(resp.Topics) != 1 || resp.Topics[0].Topic != topic || len(resp.Topics[0].Partitions) != 1 {
			t.Fatalf("response %+v", resp)
		}
		return resp.Topics[0].Partitions[0].ErrorCode
	}
	if code := ask(filepath.Join(base, "elsewhere"), "errs", 0); code != kerr.LogDirNotFound.Code {
		t.Errorf("unknown dir: %v", kerr.ErrorForCode(code))
	}
	if code := ask(d2, "nope", 0); code != kerr.UnknownTopicOrPartition.Code {
		t.Errorf("unknown partition: %v", kerr.ErrorForCode(code))
	}
	if code := ask(cur, "errs", 0); code != 0 {
		t.Errorf("current dir: %v", kerr.ErrorForCode(code))
	}
	if _, fut := replicaDirs(describeLogDirsTool(t, c.Bootstrap(), "errs"), "errs-0"); fut != "" {
		t.Errorf("a move to the current dir started one to %s", fut)
	}
}

// TestReassignWithLogDirToNewBroker: kafka-reassign-partitions.sh adds a
// replica on broker 2 and names its log dir. Broker 2 answers
// REPLICA_NOT_AVAILABLE until the reassignment creates the replica, which
// is then created in that dir (Kafka remembers the preferred dir); the
// tool retries until the move is accepted and --verify reports it.
func TestReassignWithLogDirToNewBroker(t *testing.T) {
	requireZooKeeper(t)
	c := &Cluster{t: t, ZK: zktest.Start(t)}
	var dirs [][2]string
	for id := 1; id <= 2; id++ {
		base := t.TempDir()
		d := [2]string{filepath.Join(base, "a"), filepath.Join(base, "b")}
		dirs = append(dirs, d)
		c.Brokers = append(c.Brokers, StartBroker(t, c.ZK, id, map[string]string{"log.dirs": d[0] + "," + d[1]}))
	}
	bs := c.Bootstrap()
	if out, errOut, code := Kafka(t, "topics", "--bootstrap-server", bs, "--create", "--topic", "grow",
		"--replica-assignment", "1"); code != 0 {
		t.Fatalf("create: %s %s", out, errOut)
	}
	cl := NewClient(t, bs, kgo.DefaultProduceTopic("grow"))
	ctx := testContext(t, 2*time.Minute)
	for i := 0; i < 200; i++ {
		if err := cl.ProduceSync(ctx, &kgo.Record{Value: []byte(fmt.Sprint(i))}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	// Broker 2's balancing would pick its first dir; ask for the second.
	target := dirs[1][1]
	plan := filepath.Join(t.TempDir(), "plan.json")
	os.WriteFile(plan, []byte(fmt.Sprintf(`{"version":1,"partitions":[{"topic":"grow","partition":0,"replicas":[1,2],"log_dirs":["any",%q]}]}`, target)), 0o644)
	out, errOut, code := Kafka(t, "reassign-partitions", "--bootstrap-server", bs, "--execute", "--reassignment-json-file", plan)
	if code != 0 || !strings.Contains(out, "Successfully started log directory move for: grow-0-2") {
		t.Fatalf("reassign --execute exited %d:\n%s%s", code, out, errOut)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		out, _, _ = Kafka(t, "reassign-partitions", "--bootstrap-server", bs, "--verify", "--reassignment-json-file", plan)
		if strings.Contains(out, "Reassignment of partition grow-0 is complete.") &&
			strings.Contains(out, "Reassignment of replica grow-0-2 completed successfully.") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("verify:\n%s", out)
		}
		time.Sleep(300 * time.Millisecond)
	}
	if _, err := os.Stat(filepath.Join(target, "grow-0")); err != nil {
		t.Fatalf("broker 2's replica is not in %s: %v", target, err)
	}
	if _, err := os.Stat(filepath.Join(dirs[1][0], "grow-0")); err == nil {
		t.Fatalf("broker 2's replica is also in %s", dirs[1][0])
	}
	// The follower in its chosen dir catches up with the leader.
	deadline = time.Now().Add(30 * time.Second)
	for {
		r := describeLogDirsTool(t, bs, "grow")
		var sizes []int64
		for _, b := range r.Brokers {
			for _, d := range b.LogDirs {
				for _, p := range d.Partitions {
					sizes = append(sizes, p.Size)
				}
			}
		}
		if len(sizes) == 2 && sizes[0] == sizes[1] && sizes[0] > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("replica sizes %v: %+v", sizes, r)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// TestReassignCancelsLogDirMove: --cancel with the plan of a log dir move
// still in progress (throttled) sends the replica back to the dir it is
// in, which stops the move; the data stays where it was.
func TestReassignCancelsLogDirMove(t *testing.T) {
	base := t.TempDir()
	d1, d2 := filepath.Join(base, "d1"), filepath.Join(base, "d2")
	c := StartCluster(t, map[string]string{"log.dirs": d1 + "," + d2})
	bs := c.Bootstrap()
	CreateTopic(t, bs, "stay", 1, nil)
	cl := NewClient(t, bs, kgo.DefaultProduceTopic("stay"), kgo.ProducerBatchCompression(kgo.NoCompression()))
	ctx := testContext(t, 2*time.Minute)
	var recs []*kgo.Record
	for i := 0; i < 2000; i++ {
		recs = append(recs, &kgo.Record{Value: []byte(fmt.Sprintf("%06d-%s", i, strings.Repeat("y", 500)))})
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	src, _ := replicaDirs(describeLogDirsTool(t, bs, "stay"), "stay-0")
	dst := d1
	if src == d1 {
		dst = d2
	}
	plan := filepath.Join(t.TempDir(), "plan.json")
	os.WriteFile(plan, []byte(fmt.Sprintf(`{"version":1,"partitions":[{"topic":"stay","partition":0,"replicas":[1],"log_dirs":[%q]}]}`, dst)), 0o644)
	// About 1 MB at 50 kB/s: the move would take 20 s.
	if out, errOut, code := Kafka(t, "reassign-partitions", "--bootstrap-server", bs, "--execute",
		"--reassignment-json-file", plan, "--replica-alter-log-dirs-throttle", "50000"); code != 0 {
		t.Fatalf("execute: %s %s", out, errOut)
	}
	if _, fut := replicaDirs(describeLogDirsTool(t, bs, "stay"), "stay-0"); fut != dst {
		t.Fatalf("no move in progress (future %q)", fut)
	}
	out, errOut, code := Kafka(t, "reassign-partitions", "--bootstrap-server", bs, "--cancel", "--reassignment-json-file", plan)
	if code != 0 {
		t.Fatalf("cancel exited %d: %s %s", code, out, errOut)
	}
	for _, want := range []string{"None of the specified partition reassignments are active.",
		"Successfully started log directory move for: stay-0-1", "Clearing broker-level throttles on broker 1"} {
		if !strings.Contains(out, want) {
			t.Errorf("cancel output lacks %q:\n%s", want, out)
		}
	}
	cur, fut := replicaDirs(describeLogDirsTool(t, bs, "stay"), "stay-0")
	if cur != src || fut != "" {
		t.Fatalf("after cancel: current %q future %q, want %q and none", cur, fut, src)
	}
	if left, _ := filepath.Glob(filepath.Join(dst, "stay-0*")); len(left) != 0 {
		t.Fatalf("cancelled move left %v", left)
	}
	out, _, _ = Kafka(t, "reassign-partitions", "--bootstrap-server", bs, "--verify", "--reassignment-json-file", plan)
	if !strings.Contains(out, fmt.Sprintf("Partition stay-0 on broker 1 is not being moved from log dir %s to %s.", src, dst)) {
		t.Errorf("verify after cancel:\n%s", out)
	}
}

// TestLogDirMoveResumesAfterCrash: a broker killed in the middle of a log
// dir move finds the partial future replica at start-up, copies it again
// and completes the move; nothing acknowledged is lost.
func TestLogDirMoveResumesAfterCrash(t *testing.T) {
	base := t.TempDir()
	d1, d2 := filepath.Join(base, "d1"), filepath.Join(base, "d2")
	const session = 6 * time.Second
	c := StartCluster(t, map[string]string{"log.dirs": d1 + "," + d2, "zookeeper.session.timeout.ms": "6000"})
	bs := c.Bootstrap()
	CreateTopic(t, bs, "crash", 1, map[string]*string{"segment.bytes": strPtr("100000")})
	cl := NewClient(t, bs, kgo.DefaultProduceTopic("crash"), kgo.ProducerBatchCompression(kgo.NoCompression()), kgo.ProducerBatchMaxBytes(50000))
	ctx := testContext(t, 3*time.Minute)
	var recs []*kgo.Record
	for i := 0; i < 2000; i++ {
		recs = append(recs, &kgo.Record{Value: []byte(fmt.Sprintf("%06d-%s", i, strings.Repeat("z", 500)))})
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	cl.Close()
	src, _ := replicaDirs(describeLogDirsTool(t, bs, "crash"), "crash-0")
	dst := d1
	if src == d1 {
		dst = d2
	}
	plan := filepath.Join(t.TempDir(), "plan.json")
	os.WriteFile(plan, []byte(fmt.Sprintf(`{"version":1,"partitions":[{"topic":"crash","partition":0,"replicas":[1],"log_dirs":[%q]}]}`, dst)), 0o644)
	if out, errOut, code := Kafka(t, "reassign-partitions", "--bootstrap-server", bs, "--execute",
		"--reassignment-json-file", plan, "--replica-alter-log-dirs-throttle", "100000"); code != 0 {
		t.Fatalf("execute: %s %s", out, errOut)
	}
	// Kill once part of the copy is on disk.
	deadline := time.Now().Add(20 * time.Second)
	for {
		if m, _ := filepath.Glob(filepath.Join(dst, "crash-0.*-future", "*.log")); len(m) >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the copy did not start")
		}
		time.Sleep(50 * time.Millisecond)
	}
	c.B().Kill9()
	if m, _ := filepath.Glob(filepath.Join(dst, "crash-0.*-future")); len(m) != 1 {
		t.Fatalf("future dirs after the kill: %v", m)
	}
	c.B().AfterCrashStart(session)
	// The throttle is still set (it lives in ZooKeeper); lift it.
	if out, errOut, code := Kafka(t, "configs", "--bootstrap-server", bs, "--alter", "--entity-type", "brokers",
		"--entity-name", "1", "--delete-config", "replica.alter.log.dirs.io.max.bytes.per.second"); code != 0 {
		t.Fatalf("configs: %s %s", out, errOut)
	}
	deadline = time.Now().Add(60 * time.Second)
	for {
		cur, fut := replicaDirs(describeLogDirsTool(t, bs, "crash"), "crash-0")
		if cur == dst && fut == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the move did not resume: current %q future %q", cur, fut)
		}
		time.Sleep(300 * time.Millisecond)
	}
	if !strings.Contains(c.B().Log(), "interrupted log dir move") {
		t.Error("the broker did not report the interrupted move")
	}
	deadline = time.Now().Add(10 * time.Second)
	for {
		left, _ := filepath.Glob(filepath.Join(src, "crash-0*"))
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("old dir left: %v", left)
		}
		time.Sleep(100 * time.Millisecond)
	}
	con := NewClient(t, bs, kgo.ConsumeTopics("crash"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	got := 0
	for got < 2000 {
		fs := con.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("read %d of 2000", got)
		}
		fs.EachRecord(func(r *kgo.Record) {
			if !strings.HasPrefix(string(r.Value), fmt.Sprintf("%06d-", got)) {
				t.Fatalf("record %d: %.10q", got, r.Value)
			}
			got++
		})
	}
}

// TestAlterReplicaLogDirsOnFollower: a follower's replica moves to its
// broker's other log dir while the leader takes acks=all writes and the
// follower keeps fetching. The follower stays in sync: once the leader
// stops, it leads with every acknowledged record.
func TestAlterReplicaLogDirsOnFollower(t *testing.T) {
	requireZooKeeper(t)
	c := &Cluster{t: t, ZK: zktest.Start(t)}
	var dirs [][2]string
	for id := 1; id <= 2; id++ {
		base := t.TempDir()
		d := [2]string{filepath.Join(base, "a"), filepath.Join(base, "b")}
		dirs = append(dirs, d)
		c.Brokers = append(c.Brokers, StartBroker(t, c.ZK, id, map[string]string{"log.dirs": d[0] + "," + d[1]}))
	}
	bs := c.Bootstrap()
	if out, errOut, code := Kafka(t, "topics", "--bootstrap-server", bs, "--create", "--topic", "fol",
		"--replica-assignment", "1:2", "--config", "segment.bytes=50000", "--config", "min.insync.replicas=2"); code != 0 {
		t.Fatalf("create: %s %s", out, errOut)
	}
	cl := NewClient(t, bs, kgo.DefaultProduceTopic("fol"), kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.ProducerBatchCompression(kgo.NoCompression()), kgo.ProducerBatchMaxBytes(20000))
	ctx := testContext(t, 3*time.Minute)
	value := func(i int) []byte { return []byte(fmt.Sprintf("%06d-%s", i, strings.Repeat("f", 200))) }
	acked := 0
	produce := func(n int) {
		t.Helper()
		var recs []*kgo.Record
		for i := acked; i < acked+n; i++ {
			recs = append(recs, &kgo.Record{Value: value(i)})
		}
		if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
			t.Fatalf("produce: %v", err)
		}
		acked += n
	}
	produce(1000)

	// The follower's current dir on broker 2.
	var followerDir string
	for _, b := range describeLogDirsTool(t, bs, "fol").Brokers {
		for _, d := range b.LogDirs {
			for _, p := range d.Partitions {
				if b.Broker == 2 && p.Partition == "fol-0" && !p.IsFuture {
					followerDir = d.LogDir
				}
			}
		}
	}
	dst := dirs[1][0]
	if followerDir == dst {
		dst = dirs[1][1]
	}
	plan := filepath.Join(t.TempDir(), "plan.json")
	os.WriteFile(plan, []byte(fmt.Sprintf(`{"version":1,"partitions":[{"topic":"fol","partition":0,"replicas":[1,2],"log_dirs":["any",%q]}]}`, dst)), 0o644)
	if out, errOut, code := Kafka(t, "reassign-partitions", "--bootstrap-server", bs, "--execute",
		"--reassignment-json-file", plan, "--replica-alter-log-dirs-throttle", "100000"); code != 0 {
		t.Fatalf("execute: %s %s", out, errOut)
	}
	// acks=all writes go on while the copy runs (throttled to ~100 kB/s).
	for i := 0; i < 20; i++ {
		produce(20)
		time.Sleep(50 * time.Millisecond)
	}
	if out, errOut, code := Kafka(t, "configs", "--bootstrap-server", bs, "--alter", "--entity-type", "brokers",
		"--entity-name", "2", "--delete-config", "replica.alter.log.dirs.io.max.bytes.per.second"); code != 0 {
		t.Fatalf("configs: %s %s", out, errOut)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		out, _, _ := Kafka(t, "reassign-partitions", "--bootstrap-server", bs, "--verify", "--reassignment-json-file", plan)
		if strings.Contains(out, "Reassignment of replica fol-0-2 completed successfully.") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("verify:\n%s", out)
		}
		produce(10)
		time.Sleep(200 * time.Millisecond)
	}
	produce(100)
	cl.Close()
	if m, _ := filepath.Glob(filepath.Join(dst, "fol-0", "*.log")); len(m) < 3 {
		t.Fatalf("follower segments in %s: %v", dst, m)
	}

	// Broker 2 takes over with everything acknowledged.
	c.Brokers[0].Stop()
	con := NewClient(t, c.Brokers[1].Addr(), kgo.ConsumeTopics("fol"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	got := 0
	for got < acked {
		fs := con.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("read %d of %d from the former follower", got, acked)
		}
		fs.EachRecord(func(r *kgo.Record) {
			if string(r.Value) != string(value(got)) {
				t.Fatalf("record %d: %.10q", got, r.Value)
			}
			got++
		})
	}
	t.Logf("%d records read back from the moved follower", got)
}
