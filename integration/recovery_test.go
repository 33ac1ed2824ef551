package integration

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestCrashRecoveryTornTail kills the broker, then damages what a real
// crash can leave behind: a half-written batch at the end of one segment,
// garbage at the end of another, and a deleted offset index. After the
// restart every acked record is intact, the damaged tails are gone (new
// records continue right after the last good one) and seeking into the
// middle of the partition whose index was deleted still lands exactly.
func TestCrashRecoveryTornTail(t *testing.T) {
	const session = 6 * time.Second
	c := StartCluster(t, map[string]string{
		"zookeeper.session.timeout.ms": fmt.Sprint(session.Milliseconds()),
		"log.index.interval.bytes":     "4096",
	})
	const topic, partitions, perPartition = "torn", 3, 2500
	CreateTopic(t, c.Bootstrap(), topic, partitions, nil)

	base := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	cl := NewClient(t, c.Bootstrap(), kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.RequiredAcks(kgo.AllISRAcks()), kgo.ProducerLinger(5*time.Millisecond))
	var recs []*kgo.Record
	for p := int32(0); p < partitions; p++ {
		for i := 0; i < perPartition; i++ {
			recs = append(recs, &kgo.Record{Topic: topic, Partition: p,
				Value:     []byte(fmt.Sprintf("torn-%d-%05d-%s", p, i, bytes.Repeat([]byte{'z'}, 150))),
				Timestamp: base.Add(time.Duration(i) * 10 * time.Millisecond)})
		}
	}
	produceSync(t, cl, recs)
	cl.Close()
	var acks []acked
	for _, r := range recs {
		acks = append(acks, acked{r.Partition, r.Offset, string(r.Value)})
	}

	c.B().Kill9()
	dir := func(p int) string { return filepath.Join(c.B().LogDir, fmt.Sprintf("%s-%d", topic, p)) }
	seg := func(p int, ext string) string { return filepath.Join(dir(p), fmt.Sprintf("%020d.%s", 0, ext)) }
	// Partition 0: a torn batch (the first 40 bytes of a real batch header,
	// whose length field promises far more than is there).
	whole, err := os.ReadFile(seg(0, "log"))
	if err != nil {
		t.Fatal(err)
	}
	appendFile(t, seg(0, "log"), whole[:40])
	// Partition 1: garbage.
	appendFile(t, seg(1, "log"), bytes.Repeat([]byte{0xab}, 97))
	// Partition 2: the offset and time indexes are gone.
	for _, ext := range []string{"index", "timeindex"} {
		if err := os.Remove(seg(2, ext)); err != nil {
			t.Fatalf("removing %s index: %v", ext, err)
		}
	}

	c.B().AfterCrashStart(session)
	WaitLeaders(t, kadmClient(t, c.Bootstrap()), topic, partitions)
	got := checkAcked(t, c.Bootstrap(), topic, acks)
	for p := int32(0); p < partitions; p++ {
		if n := len(got[p]); n != perPartition {
			t.Errorf("partition %d holds %d records after recovery, want %d", p, n, perPartition)
		}
	}

	// Seek into the middle of partition 2 (index rebuilt).
	mid := int64(perPartition / 2)
	cons := NewClient(t, c.Bootstrap(), kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{
		topic: {2: kgo.NewOffset().At(mid)}}))
	fs := cons.PollRecords(testContext(t, 20*time.Second), 1)
	if recs := fs.Records(); len(recs) == 0 || recs[0].Offset != mid {
		t.Errorf("seek to %d in partition 2 returned %v (errors %v)", mid, firstOffset(recs), fs.Errors())
	}
	// Lookup by time on the rebuilt time index.
	adm := kadmClient(t, c.Bootstrap())
	at := base.Add(1234*10*time.Millisecond + 5*time.Millisecond) // between records 1234 and 1235
	lo, err := adm.ListOffsetsAfterMilli(testContext(t, 10*time.Second), at.UnixMilli(), topic)
	if err != nil {
		t.Fatal(err)
	}
	lo.Each(func(o kadm.ListedOffset) {
		if o.Err != nil || o.Offset != 1235 {
			t.Errorf("partition %d: offset for time = %d (err %v), want 1235", o.Partition, o.Offset, o.Err)
		}
	})

	// The damaged tails are gone: new records follow the last good one.
	pc := NewClient(t, c.Bootstrap(), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	for p := int32(0); p < partitions; p++ {
		r := &kgo.Record{Topic: topic, Partition: p, Value: []byte("after")}
		if err := pc.ProduceSync(testContext(t, 20*time.Second), r).FirstErr(); err != nil {
			t.Fatalf("produce after recovery, partition %d: %v", p, err)
		}
		if r.Offset != perPartition {
			t.Errorf("partition %d: new record at offset %d, want %d", p, r.Offset, perPartition)
		}
	}
	got = ConsumeAll(t, c.Bootstrap(), topic, 30*time.Second)
	for p := int32(0); p < partitions; p++ {
		rs := got[p]
		if len(rs) != perPartition+1 || string(rs[len(rs)-1].Value) != "after" {
			t.Errorf("partition %d: %d records, last %q", p, len(rs), lastValue(rs))
		}
	}
}

func appendFile(t *testing.T, path string, data []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(data); err != nil {
		t.Fatal(err)
	}
}

func firstOffset(rs []*kgo.Record) any {
	if len(rs) == 0 {
		return "nothing"
	}
	return rs[0].Offset
}

func lastValue(rs []*kgo.Record) string {
	if len(rs) == 0 {
		return ""
	}
	return string(rs[len(rs)-1].Value)
}
