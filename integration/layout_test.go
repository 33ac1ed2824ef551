package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// TestSeveralLogDirs: with two log.dirs the broker spreads new partitions
// over both (the one with fewer partitions first), writes meta.properties
// into each, and after a restart serves everything from both.
func TestSeveralLogDirs(t *testing.T) {
	requireZooKeeper(t)
	c := StartCluster(t, nil)
	b := c.B()
	b.Stop()
	dirA, dirB := filepath.Join(b.Dir, "logs-a"), filepath.Join(b.Dir, "logs-b")
	b.SetProps(map[string]string{"log.dirs": dirA + "," + dirB})
	b.LogDir = dirA
	b.Start()

	const topic, partitions = "spread", 6
	CreateTopic(t, c.Bootstrap(), topic, partitions, nil)
	count := func(dir string) int {
		m, _ := filepath.Glob(filepath.Join(dir, topic+"-*"))
		return len(m)
	}
	if a, bb := count(dirA), count(dirB); a+bb != partitions || a == 0 || bb == 0 {
		t.Errorf("partitions per log dir: %s %d, %s %d; want them spread over both", dirA, a, dirB, bb)
	}
	for _, d := range []string{dirA, dirB} {
		if data, err := os.ReadFile(filepath.Join(d, "meta.properties")); err != nil || !strings.Contains(string(data), "broker.id=1") {
			t.Errorf("%s/meta.properties: %q %v", d, data, err)
		}
	}
	cl := NewClient(t, c.Bootstrap(), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	var recs []*kgo.Record
	for p := int32(0); p < partitions; p++ {
		for i := 0; i < 10; i++ {
			recs = append(recs, &kgo.Record{Topic: topic, Partition: p, Value: []byte(fmt.Sprintf("%d-%d", p, i))})
		}
	}
	produceSync(t, cl, recs)
	var acks []acked
	for _, r := range recs {
		acks = append(acks, acked{r.Partition, r.Offset, string(r.Value)})
	}
	b.Restart()
	checkAcked(t, c.Bootstrap(), topic, acks)
}

// TestManyPartitionsRestart: a broker with a few hundred partitions
// restarts promptly with every partition led and its data intact.
func TestManyPartitionsRestart(t *testing.T) {
	c := StartCluster(t, nil)
	adm := kadmClient(t, c.Bootstrap())
	const topics, perTopic = 20, 10
	for i := 0; i < topics; i++ {
		name := fmt.Sprintf("many-%02d", i)
		if resp, err := adm.CreateTopic(testContext(t, 30*time.Second), perTopic, 1, nil, name); err != nil || resp.Err != nil {
			t.Fatalf("create %s: %v %v", name, err, resp.Err)
		}
	}
	for i := 0; i < topics; i++ {
		WaitLeaders(t, adm, fmt.Sprintf("many-%02d", i), perTopic)
	}
	cl := NewClient(t, c.Bootstrap(), kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.ProducerLinger(5*time.Millisecond))
	var recs []*kgo.Record
	for i := 0; i < topics; i++ {
		for p := int32(0); p < perTopic; p++ {
			recs = append(recs, &kgo.Record{Topic: fmt.Sprintf("many-%02d", i), Partition: p, Value: []byte(fmt.Sprintf("%d/%d", i, p))})
		}
	}
	produceSync(t, cl, recs)
	cl.Close()

	start := time.Now()
	c.B().Restart()
	for i := 0; i < topics; i++ {
		WaitLeaders(t, adm, fmt.Sprintf("many-%02d", i), perTopic)
	}
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("restart with %d partitions took %v until all were led", topics*perTopic, took)
	}
	for i := 0; i < topics; i++ {
		name := fmt.Sprintf("many-%02d", i)
		eo, err := adm.ListEndOffsets(testContext(t, 20*time.Second), name)
		if err != nil {
			t.Fatal(err)
		}
		for p := int32(0); p < perTopic; p++ {
			if o, ok := eo.Lookup(name, p); !ok || o.Err != nil || o.Offset != 1 {
				t.Errorf("%s-%d: end offset %+v after restart, want 1", name, p, o)
			}
		}
	}
}

// TestDeleteTopicThenCrash: a topic deleted just before a kill -9 does not
// come back after the restart, its directories are cleaned up, and a new
// topic of the same name starts empty.
func TestDeleteTopicThenCrash(t *testing.T) {
	const session = 6 * time.Second
	c := StartCluster(t, map[string]string{
		"zookeeper.session.timeout.ms": fmt.Sprint(session.Milliseconds()),
		"log.segment.delete.delay.ms":  "60000", // the -delete dir is still there at the crash
	})
	const topic = "doomed"
	CreateTopic(t, c.Bootstrap(), topic, 2, nil)
	cl := NewClient(t, c.Bootstrap())
	for i := 0; i < 20; i++ {
		if err := cl.ProduceSync(testContext(t, 10*time.Second), &kgo.Record{Topic: topic, Value: []byte("old")}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	cl.Close()
	adm := kadmClient(t, c.Bootstrap())
	if _, err := adm.DeleteTopic(testContext(t, 20*time.Second), topic); err != nil {
		t.Fatal(err)
	}
	WaitZNodeGone(t, c.ZK, "/brokers/topics/"+topic, 30*time.Second)
	c.B().Kill9()
	c.B().AfterCrashStart(session)

	deadline := time.Now().Add(30 * time.Second)
	for {
		left, _ := filepath.Glob(filepath.Join(c.B().LogDir, topic+"-*"))
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("30s after the restart, directories of the deleted topic remain: %v", left)
			break
		}
		time.Sleep(300 * time.Millisecond)
	}
	md, err := adm.ListTopics(testContext(t, 10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if md.Has(topic) {
		t.Errorf("deleted topic %s is back after the restart", topic)
	}
	CreateTopic(t, c.Bootstrap(), topic, 2, nil)
	if got := ConsumeAll(t, c.Bootstrap(), topic, 20*time.Second); len(got[0])+len(got[1]) != 0 {
		t.Errorf("re-created %s holds %d+%d old records", topic, len(got[0]), len(got[1]))
	}
}
