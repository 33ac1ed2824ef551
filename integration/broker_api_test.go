package integration

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func strPtr(s string) *string { return &s }

// fetchOnce sends one Fetch v11 for topic/partition at offset on a raw
// connection and returns the partition's response and how long it took.
func fetchOnce(t *testing.T, addr, topic string, partition int32, offset int64, maxWait, minBytes int32) (kmsg.FetchResponseTopicPartition, time.Duration) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	req := kmsg.NewPtrFetchRequest()
	req.Version = 11
	req.ReplicaID = -1
	req.MaxWaitMillis = maxWait
	req.MinBytes = minBytes
	req.MaxBytes = 1 << 20
	req.SessionEpoch = -1
	rt := kmsg.NewFetchRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewFetchRequestTopicPartition()
	rp.Partition = partition
	rp.FetchOffset = offset
	rp.PartitionMaxBytes = 1 << 20
	rp.CurrentLeaderEpoch = -1
	rp.LogStartOffset = -1
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	start := time.Now()
	resp, err := RoundTrip(conn, req, 7, time.Duration(maxWait)*time.Millisecond+15*time.Second)
	took := time.Since(start)
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	fr := resp.(*kmsg.FetchResponse)
	if fr.ErrorCode != 0 || len(fr.Topics) != 1 || len(fr.Topics[0].Partitions) != 1 {
		t.Fatalf("Fetch: error %d, topics %+v", fr.ErrorCode, fr.Topics)
	}
	return fr.Topics[0].Partitions[0], took
}

// TestBrokerAPIs checks request behaviour clients rely on, one cluster,
// one subtest per behaviour.
func TestBrokerAPIs(t *testing.T) {
	c := StartCluster(t, map[string]string{"log.retention.check.interval.ms": "300", "log.segment.delete.delay.ms": "200"})
	b := c.Bootstrap()
	adm := kadmClient(t, b)
	manual := NewClient(t, b, kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.RecordRetries(2),
		kgo.ProducerBatchCompression(kgo.NoCompression()),
		kgo.RecordDeliveryTimeout(10*time.Second))

	t.Run("fetch-long-poll", func(t *testing.T) {
		const topic = "longpoll"
		CreateTopic(t, b, topic, 1, nil)
		// Nothing arrives: the broker holds the fetch for max_wait.
		p, took := fetchOnce(t, c.B().Addr(), topic, 0, 0, 1500, 1)
		if p.ErrorCode != 0 || len(p.RecordBatches) != 0 {
			t.Errorf("empty fetch: error %d, %d bytes", p.ErrorCode, len(p.RecordBatches))
		}
		if p.RecordBatches == nil {
			t.Errorf("empty fetch: records field is null, Kafka sends empty records (see integration-findings F1)")
		}
		if took < 1300*time.Millisecond || took > 6*time.Second {
			t.Errorf("empty fetch with max_wait 1500 ms returned after %v", took)
		}
		// A record arriving during the wait completes the fetch early.
		go func() {
			time.Sleep(300 * time.Millisecond)
			_ = manual.ProduceSync(testContext(t, 10*time.Second), &kgo.Record{Topic: topic, Value: []byte("wake")})
		}()
		p, took = fetchOnce(t, c.B().Addr(), topic, 0, 0, 8000, 1)
		if p.ErrorCode != 0 || len(p.RecordBatches) == 0 || p.HighWatermark != 1 {
			t.Errorf("woken fetch: error %d, %d bytes, high watermark %d", p.ErrorCode, len(p.RecordBatches), p.HighWatermark)
		}
		if took > 4*time.Second {
			t.Errorf("fetch with max_wait 8000 ms was not completed by the produce (took %v)", took)
		}
		// Fetching past the end is OFFSET_OUT_OF_RANGE.
		p, _ = fetchOnce(t, c.B().Addr(), topic, 0, 5, 100, 1)
		if p.ErrorCode != kerr.OffsetOutOfRange.Code {
			t.Errorf("fetch at 5 with log end 1: error %d, want OFFSET_OUT_OF_RANGE (1)", p.ErrorCode)
		}
	})

	t.Run("message-too-large", func(t *testing.T) {
		const topic = "small-max"
		CreateTopic(t, b, topic, 1, map[string]*string{"max.message.bytes": strPtr("10000")})
		err := manual.ProduceSync(testContext(t, 20*time.Second),
			&kgo.Record{Topic: topic, Value: make([]byte, 20000)}).FirstErr()
		if !errors.Is(err, kerr.MessageTooLarge) {
			t.Errorf("20000-byte record to a topic with max.message.bytes=10000: %v, want MESSAGE_TOO_LARGE", err)
		}
		if err := manual.ProduceSync(testContext(t, 20*time.Second),
			&kgo.Record{Topic: topic, Value: make([]byte, 5000)}).FirstErr(); err != nil {
			t.Errorf("5000-byte record: %v", err)
		}
	})

	t.Run("unknown-partition", func(t *testing.T) {
		const topic = "one-partition"
		CreateTopic(t, b, topic, 1, nil)
		req := kmsg.NewPtrProduceRequest()
		req.Version = 7
		req.Acks = 1
		req.TimeoutMillis = 5000
		rt := kmsg.NewProduceRequestTopic()
		rt.Topic = topic
		rp := kmsg.NewProduceRequestTopicPartition()
		rp.Partition = 5
		rp.Records = oneBatch(t, "x")
		rt.Partitions = append(rt.Partitions, rp)
		req.Topics = append(req.Topics, rt)
		conn, err := net.DialTimeout("tcp", c.B().Addr(), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		resp, err := RoundTrip(conn, req, 3, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		pr := resp.(*kmsg.ProduceResponse)
		if len(pr.Topics) != 1 || len(pr.Topics[0].Partitions) != 1 {
			t.Fatalf("produce response %+v", pr.Topics)
		}
		if code := pr.Topics[0].Partitions[0].ErrorCode; code != kerr.UnknownTopicOrPartition.Code {
			t.Errorf("produce to partition 5 of a 1-partition topic: error %d, want UNKNOWN_TOPIC_OR_PARTITION (3)", code)
		}
	})

	t.Run("create-partitions", func(t *testing.T) {
		const topic = "growing"
		CreateTopic(t, b, topic, 1, nil)
		resp, err := adm.CreatePartitions(testContext(t, 20*time.Second), 2, topic)
		if err != nil {
			t.Fatal(err)
		}
		if r := resp[topic]; r.Err != nil {
			t.Fatalf("CreatePartitions: %v %s", r.Err, r.ErrMessage)
		}
		WaitLeaders(t, adm, topic, 3)
		r := &kgo.Record{Topic: topic, Partition: 2, Value: []byte("new partition")}
		if err := manual.ProduceSync(testContext(t, 20*time.Second), r).FirstErr(); err != nil {
			t.Fatalf("produce to the new partition: %v", err)
		}
		if r.Offset != 0 {
			t.Errorf("first record of a new partition at offset %d", r.Offset)
		}
	})

	t.Run("delete-and-recreate", func(t *testing.T) {
		const topic = "phoenix"
		CreateTopic(t, b, topic, 1, nil)
		for i := 0; i < 5; i++ {
			if err := manual.ProduceSync(testContext(t, 20*time.Second), &kgo.Record{Topic: topic, Value: []byte(fmt.Sprintf("old-%d", i))}).FirstErr(); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := adm.DeleteTopic(testContext(t, 20*time.Second), topic); err != nil {
			t.Fatalf("DeleteTopic: %v", err)
		}
		// Deletion is asynchronous: wait until creating again succeeds.
		deadline := time.Now().Add(30 * time.Second)
		for {
			resp, err := adm.CreateTopic(testContext(t, 10*time.Second), 1, 1, nil, topic)
			if err == nil && resp.Err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("topic could not be created again 30s after deletion: %v %v", err, resp.Err)
			}
			time.Sleep(200 * time.Millisecond)
		}
		WaitLeaders(t, adm, topic, 1)
		r := &kgo.Record{Topic: topic, Value: []byte("new")}
		if err := manual.ProduceSync(testContext(t, 20*time.Second), r).FirstErr(); err != nil {
			t.Fatal(err)
		}
		got := ConsumeAll(t, b, topic, 30*time.Second)
		if len(got[0]) != 1 || string(got[0][0].Value) != "new" || got[0][0].Offset != 0 {
			t.Errorf("recreated topic holds %d records (first %q): old data survived the deletion", len(got[0]), lastValue(got[0]))
		}
		// No directory of the old incarnation is left behind once deleted.
		deadline = time.Now().Add(30 * time.Second)
		for {
			entries, _ := filepath.Glob(filepath.Join(c.B().LogDir, topic+"-*"))
			if len(entries) == 1 {
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("log dirs for %s after delete and recreate: %v", topic, entries)
				break
			}
			time.Sleep(300 * time.Millisecond)
		}
	})

	produceOneByOne := func(t *testing.T, topic string, from, to int) {
		t.Helper()
		// One record per request, so that segments roll between batches.
		for i := from; i < to; i++ {
			r := &kgo.Record{Topic: topic, Value: []byte(fmt.Sprintf("%03d-%s", i, strings.Repeat("r", 100)))}
			if err := manual.ProduceSync(testContext(t, 20*time.Second), r).FirstErr(); err != nil {
				t.Fatal(err)
			}
		}
	}
	waitStart := func(t *testing.T, topic string, done func(int64) bool) int64 {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		var start int64
		for time.Now().Before(deadline) {
			so, err := adm.ListStartOffsets(testContext(t, 5*time.Second), topic)
			if err == nil {
				if o, ok := so.Lookup(topic, 0); ok && o.Err == nil {
					start = o.Offset
				}
			}
			if done(start) {
				return start
			}
			time.Sleep(300 * time.Millisecond)
		}
		t.Fatalf("%s: log start offset %d after 30s", topic, start)
		return 0
	}

	t.Run("retention-bytes", func(t *testing.T) {
		const topic = "size-capped"
		CreateTopic(t, b, topic, 1, map[string]*string{
			"segment.bytes":   strPtr("2048"),
			"retention.bytes": strPtr("4096"),
		})
		produceOneByOne(t, topic, 0, 100)
		dir := filepath.Join(c.B().LogDir, topic+"-0")
		start := waitStart(t, topic, func(s int64) bool { return s > 0 })
		time.Sleep(time.Second) // let the delayed file deletion finish
		left, _ := filepath.Glob(filepath.Join(dir, "*.log"))
		if len(left) < 2 || len(left) > 4 {
			t.Errorf("retention.bytes=4096 with 2048-byte segments left %d segments: %v", len(left), left)
		}
		if _, err := os.Stat(filepath.Join(dir, fmt.Sprintf("%020d.log", start))); err != nil {
			t.Errorf("no segment starts at the log start offset %d: %v (files %v)", start, err, left)
		}
		eo, err := adm.ListEndOffsets(testContext(t, 5*time.Second), topic)
		if err != nil {
			t.Fatal(err)
		}
		if o, _ := eo.Lookup(topic, 0); o.Offset != 100 {
			t.Errorf("end offset after retention %d, want 100", o.Offset)
		}
		got := ConsumeAll(t, b, topic, 30*time.Second)
		rs := got[0]
		if len(rs) == 0 || rs[0].Offset != start || rs[len(rs)-1].Offset != 99 {
			t.Fatalf("after retention read %d records from %v (start offset %d)", len(rs), firstOffset(rs), start)
		}
		for _, r := range rs {
			if want := fmt.Sprintf("%03d-", r.Offset); !strings.HasPrefix(string(r.Value), want) {
				t.Errorf("offset %d holds %q", r.Offset, r.Value[:8])
			}
		}
		// Reading below the log start is OFFSET_OUT_OF_RANGE.
		p, _ := fetchOnce(t, c.B().Addr(), topic, 0, 0, 100, 1)
		if p.ErrorCode != kerr.OffsetOutOfRange.Code {
			t.Errorf("fetch at 0 below log start %d: error %d, want OFFSET_OUT_OF_RANGE", start, p.ErrorCode)
		}
	})

	t.Run("roll-by-time", func(t *testing.T) {
		const topic = "rolling"
		CreateTopic(t, b, topic, 1, map[string]*string{"segment.ms": strPtr("500")})
		produceOneByOne(t, topic, 0, 1)
		time.Sleep(900 * time.Millisecond)
		produceOneByOne(t, topic, 1, 2)
		segs, _ := filepath.Glob(filepath.Join(c.B().LogDir, topic+"-0", "*.log"))
		sort.Strings(segs)
		if len(segs) != 2 || filepath.Base(segs[1]) != fmt.Sprintf("%020d.log", 1) {
			t.Errorf("segment.ms=500: a record 900 ms after the first should start a new segment at offset 1; segments %v", segs)
		}
	})

	t.Run("retention-ms", func(t *testing.T) {
		// Every segment expires, the active one included (Kafka rolls it
		// first): the log is empty and continues at the old end.
		const topic = "short-lived"
		CreateTopic(t, b, topic, 1, map[string]*string{
			"segment.bytes": strPtr("2048"),
			"retention.ms":  strPtr("1500"),
		})
		produceOneByOne(t, topic, 0, 30)
		waitStart(t, topic, func(s int64) bool { return s == 30 })
		r := &kgo.Record{Topic: topic, Value: []byte("030-after")}
		if err := manual.ProduceSync(testContext(t, 20*time.Second), r).FirstErr(); err != nil {
			t.Fatal(err)
		}
		if r.Offset != 30 {
			t.Errorf("record after full expiry at offset %d, want 30", r.Offset)
		}
	})
}

// oneBatch encodes a v2 record batch with one record (null key), as a
// producer would: the broker assigns the offsets.
func oneBatch(t *testing.T, value string) []byte {
	t.Helper()
	var rec []byte
	rec = append(rec, 0)               // attributes
	rec = binary.AppendVarint(rec, 0)  // timestamp delta
	rec = binary.AppendVarint(rec, 0)  // offset delta
	rec = binary.AppendVarint(rec, -1) // null key
	rec = binary.AppendVarint(rec, int64(len(value)))
	rec = append(rec, value...)
	rec = binary.AppendVarint(rec, 0) // no headers
	records := append(binary.AppendVarint(nil, int64(len(rec))), rec...)

	now := uint64(time.Now().UnixMilli())
	var tail []byte                                        // everything the CRC covers: attributes onwards
	tail = binary.BigEndian.AppendUint16(tail, 0)          // attributes
	tail = binary.BigEndian.AppendUint32(tail, 0)          // last offset delta
	tail = binary.BigEndian.AppendUint64(tail, now)        // first timestamp
	tail = binary.BigEndian.AppendUint64(tail, now)        // max timestamp
	tail = binary.BigEndian.AppendUint64(tail, ^uint64(0)) // producer id -1
	tail = binary.BigEndian.AppendUint16(tail, 0xffff)     // producer epoch -1
	tail = binary.BigEndian.AppendUint32(tail, 0xffffffff) // base sequence -1
	tail = binary.BigEndian.AppendUint32(tail, 1)          // record count
	tail = append(tail, records...)

	var b []byte
	b = binary.BigEndian.AppendUint64(b, 0) // base offset
	b = binary.BigEndian.AppendUint32(b, uint32(4+1+4+len(tail)))
	b = binary.BigEndian.AppendUint32(b, 0xffffffff) // partition leader epoch -1
	b = append(b, 2)                                 // magic
	b = binary.BigEndian.AppendUint32(b, crc32.Checksum(tail, crc32.MakeTable(crc32.Castagnoli)))
	return append(b, tail...)
}
