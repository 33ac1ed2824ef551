package integration

import (
	"bytes"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// TestFranzRoundTrip produces many batches over many partitions with
// franz-go (headers, null keys, large-ish values, several codecs) and reads
// them back, also with fetch limits smaller than some records.
func TestFranzRoundTrip(t *testing.T) {
	c := StartCluster(t, map[string]string{"auto.create.topics.enable": "false"})
	const topic, partitions = "roundtrip", 8
	CreateTopic(t, c.Bootstrap(), topic, partitions, nil)

	type sent struct {
		key     []byte
		value   []byte
		headers []kgo.RecordHeader
	}
	want := map[string]sent{} // by record id
	var recs []*kgo.Record
	for i := 0; i < 12000; i++ {
		id := fmt.Sprintf("id-%05d", i)
		var key []byte
		if i%3 != 0 { // every third key is null
			key = []byte(fmt.Sprintf("k%d", i%50))
		}
		size := 10 + i%200
		if i%1000 == 7 {
			size = 300 << 10 // large-ish: 300 KiB
		}
		value := append([]byte(id+"|"), bytes.Repeat([]byte{byte('a' + i%26)}, size)...)
		var hs []kgo.RecordHeader
		for h := 0; h < i%4; h++ {
			hs = append(hs, kgo.RecordHeader{Key: fmt.Sprintf("h%d", h), Value: []byte(fmt.Sprintf("%s-%d", id, h))})
		}
		if i%5 == 0 {
			hs = append(hs, kgo.RecordHeader{Key: "empty", Value: nil})
		}
		want[id] = sent{key, value, hs}
		recs = append(recs, &kgo.Record{Topic: topic, Key: key, Value: value, Headers: hs})
	}
	// Four producers, one codec each, a quarter of the records each.
	codecs := []kgo.CompressionCodec{kgo.NoCompression(), kgo.GzipCompression(), kgo.Lz4Compression(), kgo.ZstdCompression()}
	for q, codec := range codecs {
		cl := NewClient(t, c.Bootstrap(), kgo.ProducerBatchCompression(codec), kgo.ProducerLinger(10*time.Millisecond),
			kgo.RequiredAcks(kgo.AllISRAcks()), kgo.ProducerBatchMaxBytes(1<<20))
		part := recs[q*len(recs)/4 : (q+1)*len(recs)/4]
		if err := cl.ProduceSync(testContext(t, 90*time.Second), part...).FirstErr(); err != nil {
			t.Fatalf("produce with codec %d: %v", q, err)
		}
	}
	// Offsets the producers were told.
	told := map[string][2]int64{}
	for _, r := range recs {
		told[strings.SplitN(string(r.Value), "|", 2)[0]] = [2]int64{int64(r.Partition), r.Offset}
	}

	check := func(t *testing.T, got map[int32][]*kgo.Record) {
		seen := 0
		for p, rs := range got {
			for i, r := range rs {
				if i > 0 && r.Offset != rs[i-1].Offset+1 {
					t.Errorf("partition %d: offset %d follows %d", p, r.Offset, rs[i-1].Offset)
				}
				id := strings.SplitN(string(r.Value), "|", 2)[0]
				w, ok := want[id]
				if !ok {
					t.Errorf("unexpected record %q at %d@%d", id, p, r.Offset)
					continue
				}
				seen++
				if at := told[id]; at != [2]int64{int64(p), r.Offset} {
					t.Errorf("%s at %d@%d, producer was told %d@%d", id, p, r.Offset, at[0], at[1])
				}
				if !bytes.Equal(r.Value, w.value) || (w.key == nil) != (r.Key == nil) || !bytes.Equal(r.Key, w.key) {
					t.Errorf("%s: key %q value %d bytes, want key %q value %d bytes", id, r.Key, len(r.Value), w.key, len(w.value))
				}
				if len(r.Headers) != len(w.headers) {
					t.Errorf("%s: %d headers, want %d", id, len(r.Headers), len(w.headers))
				} else {
					for h := range r.Headers {
						if r.Headers[h].Key != w.headers[h].Key || !bytes.Equal(r.Headers[h].Value, w.headers[h].Value) ||
							(r.Headers[h].Value == nil) != (w.headers[h].Value == nil) {
							t.Errorf("%s: header %d = %q:%q, want %q:%q", id, h, r.Headers[h].Key, r.Headers[h].Value, w.headers[h].Key, w.headers[h].Value)
						}
					}
				}
			}
		}
		if seen != len(want) {
			t.Errorf("read %d records, produced %d", seen, len(want))
		}
		t.Logf("read %d records from %d partitions", seen, len(got))
	}
	t.Run("default-fetch", func(t *testing.T) {
		check(t, ConsumeAll(t, c.Bootstrap(), topic, 90*time.Second))
	})
	// Limits below the large records: the broker still returns the first
	// batch of a partition when it is larger than the limits.
	t.Run("small-fetch-limits", func(t *testing.T) {
		check(t, ConsumeAll(t, c.Bootstrap(), topic, 120*time.Second,
			kgo.FetchMaxBytes(64<<10), kgo.FetchMaxPartitionBytes(16<<10)))
	})

	t.Run("metadata-unknown-topic", func(t *testing.T) {
		conn, err := net.DialTimeout("tcp", c.B().Addr(), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		for corr, v := range []int16{1, 4, 9, 11} {
			req := kmsg.NewPtrMetadataRequest()
			req.Version = v
			req.AllowAutoTopicCreation = true
			name := "no-such-topic"
			req.Topics = []kmsg.MetadataRequestTopic{{Topic: &name}}
			resp, err := RoundTrip(conn, req, int32(corr+10), 10*time.Second)
			if err != nil {
				t.Fatalf("Metadata v%d: %v", v, err)
			}
			m := resp.(*kmsg.MetadataResponse)
			if len(m.Topics) != 1 || m.Topics[0].Topic == nil || *m.Topics[0].Topic != name {
				t.Fatalf("Metadata v%d: topics %+v", v, m.Topics)
			}
			if code := m.Topics[0].ErrorCode; code != kerr.UnknownTopicOrPartition.Code {
				t.Errorf("Metadata v%d for an unknown topic with auto create disabled: error %d (%v), want UNKNOWN_TOPIC_OR_PARTITION (3)",
					v, code, kerr.ErrorForCode(code))
			}
		}
		// It stays unknown: nothing was created behind our back.
		md, err := kadmClient(t, c.Bootstrap()).ListTopics(testContext(t, 10*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		if md.Has("no-such-topic") {
			t.Errorf("no-such-topic was created although auto.create.topics.enable=false")
		}
	})
}
