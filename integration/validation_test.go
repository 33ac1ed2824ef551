package integration

import (
	"errors"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// produceRaw sends one Produce v7 (acks=1) with records to topic-0 and
// returns the partition response.
func produceRaw(t *testing.T, addr, topic string, records []byte) kmsg.ProduceResponseTopicPartition {
	t.Helper()
	conn := dial(t, addr)
	req := kmsg.NewPtrProduceRequest()
	req.Version = 7
	req.Acks = 1
	req.TimeoutMillis = 5000
	rt := kmsg.NewProduceRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewProduceRequestTopicPartition()
	rp.Records = records
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	resp, err := RoundTrip(conn, req, 5, 10*time.Second)
	if err != nil {
		t.Fatalf("Produce: %v", err)
	}
	return resp.(*kmsg.ProduceResponse).Topics[0].Partitions[0]
}

// TestRecordValidation: topic settings that make the broker rewrite or
// refuse batches — LogAppendTime, timestamp bounds, keys on compacted
// topics — and read_committed fetches without transactions.
func TestRecordValidation(t *testing.T) {
	c := StartCluster(t, nil)
	b := c.Bootstrap()
	cl := NewClient(t, b, kgo.RequiredAcks(kgo.LeaderAck()), kgo.DisableIdempotentWrite(), kgo.RecordRetries(0))

	t.Run("log-append-time", func(t *testing.T) {
		const topic = "append-time"
		CreateTopic(t, b, topic, 1, map[string]*string{"message.timestamp.type": strPtr("LogAppendTime")})
		old := time.Now().Add(-24 * time.Hour)
		before := time.Now()
		var recs []*kgo.Record
		for i := 0; i < 5; i++ {
			recs = append(recs, &kgo.Record{Topic: topic, Value: []byte("x"), Timestamp: old})
		}
		// Compressed and plain batches: the broker rewrites the batch
		// header (timestamp type, max timestamp, CRC) in both.
		for _, codec := range []kgo.CompressionCodec{kgo.NoCompression(), kgo.GzipCompression()} {
			pc := NewClient(t, b, kgo.ProducerBatchCompression(codec), kgo.ProducerLinger(20*time.Millisecond))
			if err := pc.ProduceSync(testContext(t, 10*time.Second), recs...).FirstErr(); err != nil {
				t.Fatal(err)
			}
		}
		got := ConsumeAll(t, b, topic, 20*time.Second)
		if len(got[0]) != 10 {
			t.Fatalf("read %d records, want 10", len(got[0]))
		}
		for _, r := range got[0] {
			if r.Attrs.TimestampType() != 1 || r.Timestamp.Before(before.Add(-time.Second)) || r.Timestamp.After(time.Now().Add(time.Second)) {
				t.Errorf("offset %d: timestamp %v type %d, want the append time (type 1)", r.Offset, r.Timestamp, r.Attrs.TimestampType())
			}
		}
	})

	t.Run("timestamp-difference", func(t *testing.T) {
		const topic = "recent-only"
		CreateTopic(t, b, topic, 1, map[string]*string{"message.timestamp.difference.max.ms": strPtr("60000")})
		err := cl.ProduceSync(testContext(t, 10*time.Second),
			&kgo.Record{Topic: topic, Value: []byte("old"), Timestamp: time.Now().Add(-time.Hour)}).FirstErr()
		if !errors.Is(err, kerr.InvalidTimestamp) {
			t.Errorf("record an hour old with message.timestamp.difference.max.ms=60000: %v, want INVALID_TIMESTAMP", err)
		}
		if err := cl.ProduceSync(testContext(t, 10*time.Second), &kgo.Record{Topic: topic, Value: []byte("new")}).FirstErr(); err != nil {
			t.Errorf("current record: %v", err)
		}
	})

	t.Run("compacted-needs-keys", func(t *testing.T) {
		const topic = "compacted"
		CreateTopic(t, b, topic, 1, map[string]*string{"cleanup.policy": strPtr("compact")})
		p := produceRaw(t, c.B().Addr(), topic, oneBatch(t, "no key"))
		if p.ErrorCode != kerr.InvalidRecord.Code && p.ErrorCode != kerr.CorruptMessage.Code {
			t.Errorf("keyless record to a compacted topic: error %d (%v), want INVALID_RECORD (87)", p.ErrorCode, kerr.ErrorForCode(p.ErrorCode))
		}
		if err := cl.ProduceSync(testContext(t, 10*time.Second), &kgo.Record{Topic: topic, Key: []byte("k"), Value: []byte("v")}).FirstErr(); err != nil {
			t.Errorf("keyed record to a compacted topic: %v", err)
		}
	})

	t.Run("read-committed", func(t *testing.T) {
		const topic = "committed-read"
		CreateTopic(t, b, topic, 2, nil)
		var recs []*kgo.Record
		for i := 0; i < 50; i++ {
			recs = append(recs, &kgo.Record{Topic: topic, Value: []byte("rc")})
		}
		if err := cl.ProduceSync(testContext(t, 10*time.Second), recs...).FirstErr(); err != nil {
			t.Fatal(err)
		}
		got := ConsumeAll(t, b, topic, 20*time.Second, kgo.FetchIsolationLevel(kgo.ReadCommitted()))
		if n := len(got[0]) + len(got[1]); n != 50 {
			t.Errorf("read_committed read %d records, want 50", n)
		}
	})
}
