package integration

import (
	"errors"
	"fmt"
	"math/rand"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// TestRandomAccess fills a partition with many small segments of
// compressed and plain batches, then checks that a fetch at random offsets
// starts at the batch holding that offset (offset index lookups across
// segments), and that lookups by random timestamps find the first record at
// or after each time (time index) — before and after a restart that
// rebuilds nothing but reloads everything.
func TestRandomAccess(t *testing.T) {
	c := StartCluster(t, nil)
	const topic, n = "random-access", 12000
	CreateTopic(t, c.Bootstrap(), topic, 1, map[string]*string{
		"segment.bytes":        strPtr("65536"),
		"index.interval.bytes": strPtr("1024"),
	})
	base := time.Now().Add(-2 * time.Hour).Truncate(time.Millisecond)
	ts := func(i int) time.Time { return base.Add(time.Duration(i*7) * time.Millisecond) }
	// Two producers with different codecs and batch sizes, one after the
	// other, so batches differ in shape.
	for half, codec := range []kgo.CompressionCodec{kgo.ZstdCompression(), kgo.NoCompression()} {
		cl := NewClient(t, c.Bootstrap(), kgo.ProducerBatchCompression(codec), kgo.ProducerLinger(3*time.Millisecond),
			kgo.MaxBufferedRecords(300))
		var recs []*kgo.Record
		for i := half * n / 2; i < (half+1)*n/2; i++ {
			recs = append(recs, &kgo.Record{Topic: topic, Value: []byte(fmt.Sprintf("ra-%05d-%s", i, make([]byte, i%90))), Timestamp: ts(i)})
		}
		produceSync(t, cl, recs)
		for _, r := range recs {
			var i int
			fmt.Sscanf(string(r.Value), "ra-%05d-", &i)
			if r.Offset != int64(i) {
				t.Fatalf("record %d acked at offset %d", i, r.Offset)
			}
		}
	}

	check := func(t *testing.T) {
		rng := rand.New(rand.NewSource(42))
		conn, err := net.DialTimeout("tcp", c.B().Addr(), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		segs, _ := filepath.Glob(filepath.Join(c.B().LogDir, topic+"-0", "*.log"))
		if len(segs) < 5 {
			t.Errorf("expected many 64 KiB segments, found %d", len(segs))
		}
		for k := 0; k < 60; k++ {
			off := rng.Int63n(n)
			first, err := firstBatchAt(conn, topic, off, int32(k))
			if err != nil {
				t.Fatalf("fetch at %d: %v", off, err)
			}
			if first.FirstOffset > off || first.FirstOffset+int64(first.LastOffsetDelta) < off {
				t.Errorf("fetch at %d returned a first batch covering %d..%d", off, first.FirstOffset, first.FirstOffset+int64(first.LastOffsetDelta))
			}
		}
		adm := kadmClient(t, c.Bootstrap())
		for k := 0; k < 30; k++ {
			i := rng.Intn(n)
			at := ts(i).Add(-3 * time.Millisecond) // between records i-1 and i
			lo, err := adm.ListOffsetsAfterMilli(testContext(t, 10*time.Second), at.UnixMilli(), topic)
			if err != nil {
				t.Fatal(err)
			}
			if o, _ := lo.Lookup(topic, 0); o.Err != nil || o.Offset != int64(i) || o.Timestamp != ts(i).UnixMilli() {
				t.Errorf("offset for time of record %d: offset %d timestamp %d (err %v), want %d at %d", i, o.Offset, o.Timestamp, o.Err, i, ts(i).UnixMilli())
			}
		}
	}
	t.Run("live", check)
	c.B().Restart()
	t.Run("after-restart", check)
}

// firstBatchAt fetches from offset on conn and returns the first batch's
// header.
func firstBatchAt(conn net.Conn, topic string, offset int64, corr int32) (kmsg.RecordBatch, error) {
	return firstBatchIn(conn, topic, 0, offset, corr)
}

// firstBatchIn is firstBatchAt for any partition.
func firstBatchIn(conn net.Conn, topic string, partition int32, offset int64, corr int32) (kmsg.RecordBatch, error) {
	var b kmsg.RecordBatch
	req := kmsg.NewPtrFetchRequest()
	req.Version = 11
	req.ReplicaID = -1
	req.MaxWaitMillis = 100
	req.MinBytes = 1
	req.MaxBytes = 1 << 20
	req.SessionEpoch = -1
	rt := kmsg.NewFetchRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewFetchRequestTopicPartition()
	rp.Partition = partition
	rp.FetchOffset = offset
	rp.PartitionMaxBytes = 4096
	rp.CurrentLeaderEpoch = -1
	rp.LogStartOffset = -1
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	resp, err := RoundTrip(conn, req, 1000+corr, 15*time.Second)
	if err != nil {
		return b, err
	}
	fr := resp.(*kmsg.FetchResponse)
	if len(fr.Topics) != 1 || len(fr.Topics[0].Partitions) != 1 {
		return b, fmt.Errorf("response %+v", fr.Topics)
	}
	p := fr.Topics[0].Partitions[0]
	if p.ErrorCode != 0 {
		return b, kerr.ErrorForCode(p.ErrorCode)
	}
	if len(p.RecordBatches) == 0 {
		return b, errors.New("no records")
	}
	err = b.ReadFrom(p.RecordBatches)
	return b, err
}

// TestTopicConfigsAndMinISR: DescribeConfigs reports topic overrides and
// broker settings with their sources, and acks=all on a topic whose
// min.insync.replicas exceeds its ISR is refused with NOT_ENOUGH_REPLICAS.
func TestTopicConfigsAndMinISR(t *testing.T) {
	c := StartCluster(t, map[string]string{"log.retention.ms": "86400000"})
	CreateTopic(t, c.Bootstrap(), "strict", 1, map[string]*string{
		"min.insync.replicas": strPtr("2"),
		"cleanup.policy":      strPtr("delete"),
	})
	adm := kadmClient(t, c.Bootstrap())
	rcs, err := adm.DescribeTopicConfigs(testContext(t, 10*time.Second), "strict")
	if err != nil || len(rcs) != 1 || rcs[0].Err != nil {
		t.Fatalf("DescribeConfigs: %v %+v", err, rcs)
	}
	want := map[string]struct {
		value  string
		source kmsg.ConfigSource
	}{
		"min.insync.replicas": {"2", kmsg.ConfigSourceDynamicTopicConfig},
		"cleanup.policy":      {"delete", kmsg.ConfigSourceDynamicTopicConfig},
		"segment.bytes":       {"1073741824", kmsg.ConfigSourceStaticBrokerConfig},
		"retention.ms":        {"86400000", kmsg.ConfigSourceStaticBrokerConfig},
		"max.message.bytes":   {"1048588", kmsg.ConfigSourceDefaultConfig},
	}
	seen := map[string]bool{}
	for _, cfg := range rcs[0].Configs {
		w, ok := want[cfg.Key]
		if !ok {
			continue
		}
		seen[cfg.Key] = true
		if cfg.Value == nil || *cfg.Value != w.value || cfg.Source != w.source {
			v := "<nil>"
			if cfg.Value != nil {
				v = *cfg.Value
			}
			t.Errorf("%s = %s (source %v), want %s (source %v)", cfg.Key, v, cfg.Source, w.value, w.source)
		}
	}
	for k := range want {
		if !seen[k] {
			t.Errorf("DescribeConfigs lacks %s", k)
		}
	}

	// franz-go retries NOT_ENOUGH_REPLICAS until its timeout, so look at
	// the broker's answer directly.
	conn, err := net.DialTimeout("tcp", c.B().Addr(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	req := kmsg.NewPtrProduceRequest()
	req.Version = 7
	req.Acks = -1
	req.TimeoutMillis = 5000
	rt := kmsg.NewProduceRequestTopic()
	rt.Topic = "strict"
	rp := kmsg.NewProduceRequestTopicPartition()
	rp.Records = oneBatch(t, "x")
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	resp, err := RoundTrip(conn, req, 9, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if code := resp.(*kmsg.ProduceResponse).Topics[0].Partitions[0].ErrorCode; code != kerr.NotEnoughReplicas.Code {
		t.Errorf("acks=all with ISR 1 < min.insync.replicas 2: error %d (%v), want NOT_ENOUGH_REPLICAS (19)", code, kerr.ErrorForCode(code))
	}
	loose := NewClient(t, c.Bootstrap(), kgo.RequiredAcks(kgo.LeaderAck()), kgo.DisableIdempotentWrite())
	if err := loose.ProduceSync(testContext(t, 20*time.Second), &kgo.Record{Topic: "strict", Value: []byte("y")}).FirstErr(); err != nil {
		t.Errorf("acks=1 is not bound by min.insync.replicas: %v", err)
	}
}
