package integration

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// TestDeleteRecords: 100 records in each of two partitions; records below
// offset 40 are deleted with the admin API (partition 0) and with
// kafka-delete-records (partition 1). Consumers from the earliest offset
// then start at 40, ListOffsets earliest says 40, kafka-get-offsets agrees,
// kafka-log-dirs lists both partitions with their sizes, and a broker
// restart keeps the new log start offsets (log-start-offset-checkpoint).
func TestDeleteRecords(t *testing.T) {
	c := StartCluster(t, nil)
	const topic = "deleted"
	CreateTopic(t, c.Bootstrap(), topic, 2, nil)
	cl := NewClient(t, c.Bootstrap(), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	var recs []*kgo.Record
	for p := int32(0); p < 2; p++ {
		for i := 0; i < 100; i++ {
			recs = append(recs, &kgo.Record{Topic: topic, Partition: p, Value: []byte(fmt.Sprintf("v-%d-%d", p, i))})
		}
	}
	produceSync(t, cl, recs)
	adm := kadm.NewClient(cl)

	// The admin API: partition 0 below 40; an offset beyond the high
	// watermark is refused.
	ctx := testContext(t, 60*time.Second)
	del := kadm.Offsets{}
	del.Add(kadm.Offset{Topic: topic, Partition: 0, At: 40})
	resp, err := adm.DeleteRecords(ctx, del)
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := resp.Lookup(topic, 0); r.Err != nil || r.LowWatermark != 40 {
		t.Fatalf("DeleteRecords: low watermark %d, err %v", r.LowWatermark, r.Err)
	}
	del = kadm.Offsets{}
	del.Add(kadm.Offset{Topic: topic, Partition: 0, At: 101})
	resp, err = adm.DeleteRecords(ctx, del)
	if r, _ := resp.Lookup(topic, 0); err != nil || r.Err != kerr.OffsetOutOfRange {
		t.Errorf("delete beyond the high watermark: %v / %v", err, r.Err)
	}

	// The tool: partition 1 below 40.
	file := filepath.Join(t.TempDir(), "offsets.json")
	writeJSON(t, file, `{"partitions":[{"topic":"deleted","partition":1,"offset":40}],"version":1}`)
	out, errOut, code := Kafka(t, "delete-records", "--bootstrap-server", c.Bootstrap(), "--offset-json-file", file)
	want := "Executing records delete operation\nRecords delete operation completed:\npartition: deleted-1\tlow_watermark: 40\n"
	if code != 0 || out != want {
		t.Errorf("delete-records: code %d\n%s\nwant\n%s\nstderr: %s", code, out, want, errOut)
	}
	writeJSON(t, file, `{"partitions":[{"topic":"deleted","partition":0,"offset":500},{"topic":"nosuch","partition":0,"offset":1}]}`)
	out, _, code = Kafka(t, "delete-records", "--bootstrap-server", c.Bootstrap(), "--offset-json-file", file)
	for _, line := range []string{
		"partition: deleted-0\terror: org.apache.kafka.common.errors.OffsetOutOfRangeException: The requested offset is not within the range of offsets maintained by the server.\n",
		"partition: nosuch-0\terror: org.apache.kafka.common.errors.UnknownTopicOrPartitionException: This server does not host this topic-partition.\n",
	} {
		if code != 0 || !strings.Contains(out, line) {
			t.Errorf("delete-records errors: code %d, missing %q in\n%s", code, line, out)
		}
	}

	check := func(t *testing.T) {
		ctx := testContext(t, 60*time.Second)
		starts, err := adm.ListStartOffsets(ctx, topic)
		if err != nil {
			t.Fatal(err)
		}
		for p := int32(0); p < 2; p++ {
			if o, _ := starts.Lookup(topic, p); o.Err != nil || o.Offset != 40 {
				t.Errorf("earliest offset of partition %d: %d (%v)", p, o.Offset, o.Err)
			}
		}
		consumer := NewClient(t, c.Bootstrap(), kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{
			topic: {0: kgo.NewOffset().AtStart(), 1: kgo.NewOffset().AtStart()},
		}))
		first := map[int32]int64{}
		n := 0
		for n < 120 {
			fs := consumer.PollFetches(ctx)
			if err := fs.Err0(); err != nil {
				t.Fatalf("poll: %v", err)
			}
			fs.EachRecord(func(r *kgo.Record) {
				if _, ok := first[r.Partition]; !ok {
					first[r.Partition] = r.Offset
					if want := fmt.Sprintf("v-%d-40", r.Partition); string(r.Value) != want {
						t.Errorf("first record of partition %d is %q, want %q", r.Partition, r.Value, want)
					}
				}
				n++
			})
		}
		if first[0] != 40 || first[1] != 40 || n != 120 {
			t.Errorf("consumed %d records starting at %v", n, first)
		}
		out, errOut, code := Kafka(t, "get-offsets", "--broker-list", c.Bootstrap(), "--topic", topic, "--time", "-2")
		if code != 0 || out != "deleted:0:40\ndeleted:1:40\n" {
			t.Errorf("get-offsets earliest: code %d %q %s", code, out, errOut)
		}
		out, errOut, code = Kafka(t, "get-offsets", "--bootstrap-server", c.Bootstrap(), "--topic", topic, "--partitions", "1")
		if code != 0 || out != "deleted:1:100\n" {
			t.Errorf("get-offsets latest: code %d %q %s", code, out, errOut)
		}
	}
	t.Run("before restart", check)
	c.B().Restart()
	WaitLeaders(t, adm, topic, 2)
	t.Run("after restart", check)
	data, err := os.ReadFile(filepath.Join(c.B().LogDir, "log-start-offset-checkpoint"))
	if err != nil || !strings.Contains(string(data), "deleted 0 40\n") || !strings.Contains(string(data), "deleted 1 40\n") {
		t.Errorf("log-start-offset-checkpoint: %q %v", data, err)
	}
}

// TestLogDirsAndGetOffsets: kafka-log-dirs --describe prints the broker's
// log dir with each partition and its size; kafka-get-offsets through
// kafka-run-class.sh prints latest, earliest and by-timestamp offsets.
func TestLogDirsAndGetOffsets(t *testing.T) {
	c := StartCluster(t, nil)
	const topic = "dirs"
	CreateTopic(t, c.Bootstrap(), topic, 2, nil)
	CreateTopic(t, c.Bootstrap(), "other", 1, nil)
	cl := NewClient(t, c.Bootstrap(), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	base := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	var recs []*kgo.Record
	for i := 0; i < 42; i++ {
		recs = append(recs, &kgo.Record{Topic: topic, Value: []byte("some value"), Timestamp: base.Add(time.Duration(i) * time.Second)})
	}
	produceSync(t, cl, recs)

	out, errOut, code := Kafka(t, "log-dirs", "--bootstrap-server", c.Bootstrap(), "--describe", "--topic-list", topic)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if code != 0 || len(lines) != 3 || lines[0] != "Querying brokers for log directories information" ||
		lines[1] != "Received log directory information from brokers 1" {
		t.Fatalf("log-dirs: code %d\n%s\n%s", code, out, errOut)
	}
	var doc struct {
		Version int `json:"version"`
		Brokers []struct {
			Broker  int `json:"broker"`
			LogDirs []struct {
				LogDir     string  `json:"logDir"`
				Error      *string `json:"error"`
				Partitions []struct {
					Partition string `json:"partition"`
					Size      int64  `json:"size"`
					OffsetLag int64  `json:"offsetLag"`
					IsFuture  bool   `json:"isFuture"`
				} `json:"partitions"`
			} `json:"logDirs"`
		} `json:"brokers"`
	}
	if err := json.Unmarshal([]byte(lines[2]), &doc); err != nil {
		t.Fatalf("log-dirs JSON %q: %v", lines[2], err)
	}
	if !strings.HasPrefix(lines[2], `{"version":1,"brokers":[{"broker":1,"logDirs":[{"logDir":`) {
		t.Errorf("log-dirs JSON layout: %s", lines[2])
	}
	if len(doc.Brokers) != 1 || len(doc.Brokers[0].LogDirs) != 1 {
		t.Fatalf("log-dirs: %s", lines[2])
	}
	d := doc.Brokers[0].LogDirs[0]
	abs, _ := filepath.Abs(c.B().LogDir)
	if d.LogDir != abs || d.Error != nil || len(d.Partitions) != 2 {
		t.Fatalf("log dir %+v, want %s with 2 partitions", d, abs)
	}
	var total int64
	seen := map[string]bool{}
	for _, p := range d.Partitions {
		seen[p.Partition] = true
		seg, err := os.Stat(filepath.Join(abs, p.Partition, "00000000000000000000.log"))
		if err != nil || p.Size != seg.Size() || p.OffsetLag != 0 || p.IsFuture {
			t.Errorf("partition %+v (segment %v, %v)", p, seg, err)
		}
		total += p.Size
	}
	if !seen[topic+"-0"] || !seen[topic+"-1"] {
		t.Errorf("log-dirs partitions: %s", lines[2])
	}
	if total == 0 {
		t.Errorf("log-dirs reports no data: %s", lines[2])
	}
	// Without --topic-list, the other topic shows up too.
	out, _, _ = Kafka(t, "log-dirs", "--bootstrap-server", c.Bootstrap(), "--describe", "--broker-list", "1")
	if !strings.Contains(out, `{"partition":"other-0","size":0,"offsetLag":0,"isFuture":false}`) {
		t.Errorf("log-dirs without a topic list: %s", out)
	}

	runClass := filepath.Join(repoRoot, "bin", "kafka-run-class.sh")
	env := []string{"LOG_DIR=" + t.TempDir()}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--time", "-1"}, "dirs:0:42\ndirs:1:0\n"},
		{[]string{"--time", "-2"}, "dirs:0:0\ndirs:1:0\n"},
		{[]string{"--partitions", "0", "--time", fmt.Sprint(base.Add(10 * time.Second).UnixMilli())}, "dirs:0:10\n"},
		{[]string{"--partitions", "0", "--time", fmt.Sprint(base.Add(time.Hour).UnixMilli())}, "dirs:0:\n"},
	} {
		args := append([]string{"kafka.tools.GetOffsetShell", "--broker-list", c.Bootstrap(), "--topic", topic}, tc.args...)
		out, errOut, code := RunCmdIn(t, t.TempDir(), env, 60*time.Second, "", runClass, args...)
		if code != 0 || out != tc.want {
			t.Errorf("GetOffsetShell %v: code %d %q, want %q (%s)", tc.args, code, out, tc.want, errOut)
		}
	}
	_, errOut, code = Kafka(t, "get-offsets", "--broker-list", c.Bootstrap(), "--topic", "nosuch")
	if code != 1 || errOut != "Topic nosuch does not exist\n" {
		t.Errorf("unknown topic: code %d %q", code, errOut)
	}
	out, errOut, code = Kafka(t, "get-offsets", "--broker-list", c.Bootstrap(), "--topic", topic, "--partitions", "1,7")
	if code != 0 || out != "dirs:1:0\n" || errOut != "Error: partition 7 does not exist\n" {
		t.Errorf("missing partition: code %d %q %q", code, out, errOut)
	}
}

func writeJSON(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestDeleteRecordsReplicated: on three brokers, DeleteRecords answers once
// every replica has moved its log start offset (a frozen follower makes the
// request time out), and a new leader after a failover starts at the
// deleted offset.
func TestDeleteRecordsReplicated(t *testing.T) {
	c := StartClusterN(t, 3, nil)
	const topic = "deleted-rf3"
	adm := kadmClient(t, c.Bootstrap())
	if resp, err := adm.CreateTopic(testContext(t, 30*time.Second), 1, 3, nil, topic); err != nil || resp.Err != nil {
		t.Fatalf("create %s: %v %v", topic, err, resp.Err)
	}
	md := waitPartitions(t, c.Bootstrap(), topic, 1, "fully replicated", func(p kadm.PartitionDetail) bool {
		return p.Leader >= 0 && len(p.ISR) == 3
	})
	leader := md.Partitions[0].Leader
	cl := NewClient(t, c.Bootstrap(), kgo.RequiredAcks(kgo.AllISRAcks()))
	var recs []*kgo.Record
	for i := 0; i < 100; i++ {
		recs = append(recs, &kgo.Record{Topic: topic, Value: []byte(fmt.Sprintf("r-%d", i))})
	}
	produceSync(t, cl, recs)

	deleteBefore := func(offset int64, timeout time.Duration) kmsg.DeleteRecordsResponseTopicPartition {
		t.Helper()
		req := kmsg.NewPtrDeleteRecordsRequest()
		req.TimeoutMillis = int32(timeout.Milliseconds())
		rt := kmsg.NewDeleteRecordsRequestTopic()
		rt.Topic = topic
		rp := kmsg.NewDeleteRecordsRequestTopicPartition()
		rp.Partition, rp.Offset = 0, offset
		rt.Partitions = append(rt.Partitions, rp)
		req.Topics = append(req.Topics, rt)
		resp, err := req.RequestWith(testContext(t, timeout+30*time.Second), cl)
		if err != nil || len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 {
			t.Fatalf("DeleteRecords: %v %+v", err, resp)
		}
		return resp.Topics[0].Partitions[0]
	}
	start := time.Now()
	if r := deleteBefore(40, 20*time.Second); r.ErrorCode != 0 || r.LowWatermark != 40 {
		t.Fatalf("DeleteRecords on three live replicas: %+v", r)
	}
	t.Logf("low watermark 40 reached on all replicas after %v", time.Since(start))

	// A frozen follower is still registered, so the leader waits for it.
	var follower *Broker
	for _, b := range c.Brokers {
		if int32(b.ID) != leader {
			follower = b
			break
		}
	}
	follower.Freeze()
	r := deleteBefore(50, time.Second)
	follower.Thaw()
	if r.ErrorCode != kerr.RequestTimedOut.Code || r.LowWatermark != -1 {
		t.Errorf("DeleteRecords with a frozen follower: %+v, want REQUEST_TIMED_OUT", r)
	}
	if r := deleteBefore(-1, 20*time.Second); r.ErrorCode != 0 || r.LowWatermark != 100 {
		t.Errorf("DeleteRecords to the high watermark after the thaw: %+v", r)
	}

	// The leader goes; its successor has the same log start offset.
	for _, b := range c.Brokers {
		if int32(b.ID) == leader {
			b.Stop()
		}
	}
	rest := bootstrapOf(c.Brokers...)
	waitPartitions(t, rest, topic, 1, "led by another broker", func(p kadm.PartitionDetail) bool {
		return p.Leader >= 0 && p.Leader != leader
	})
	// A fresh client per try: one that read metadata just before the
	// change may still dial the stopped broker.
	var last string
	for end := time.Now().Add(30 * time.Second); ; {
		starts, err := kadmClient(t, rest).ListStartOffsets(testContext(t, 10*time.Second), topic)
		o, _ := starts.Lookup(topic, 0)
		if err == nil && o.Err == nil && o.Offset == 100 {
			break
		}
		last = fmt.Sprintf("%+v %v", o, err)
		if time.Now().After(end) {
			t.Errorf("earliest offset on the new leader: %s", last)
			break
		}
		time.Sleep(300 * time.Millisecond)
	}
}
