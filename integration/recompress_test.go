package integration

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// batchCodecs runs kafka-dump-log on a partition's first segment and
// returns each batch's compresscodec and producerId, in log order.
func batchCodecs(t *testing.T, partitionDir string) (codecs, producerIDs []string) {
	t.Helper()
	out, errOut, code := Kafka(t, "dump-log", "--files", filepath.Join(partitionDir, "00000000000000000000.log"))
	if code != 0 {
		t.Fatalf("kafka-dump-log exited %d: %s %s", code, out, errOut)
	}
	codecRe := regexp.MustCompile(`compresscodec: (\w+)`)
	pidRe := regexp.MustCompile(`producerId: (-?\d+)`)
	for _, line := range strings.Split(out, "\n") {
		if m := codecRe.FindStringSubmatch(line); m != nil {
			codecs = append(codecs, m[1])
			if p := pidRe.FindStringSubmatch(line); p != nil {
				producerIDs = append(producerIDs, p[1])
			}
		}
	}
	return codecs, producerIDs
}

// TestTopicCompressionTypeRecompresses: a topic with compression.type=gzip
// stores gzip batches whatever the producer sent (snappy, none), keeping
// the idempotent producer's id; franz-go, kcat and kafka-python read the
// records back. Altering compression.type with kafka-configs.sh applies
// to the live log, and the broker's compression.type default applies to
// topics without an override.
func TestTopicCompressionTypeRecompresses(t *testing.T) {
	c := StartCluster(t, map[string]string{"compression.type": "zstd"})
	bs := c.Bootstrap()
	if out, errOut, code := Kafka(t, "topics", "--bootstrap-server", bs, "--create", "--topic", "gz",
		"--partitions", "1", "--replication-factor", "1", "--config", "compression.type=gzip"); code != 0 {
		t.Fatalf("create: %s %s", out, errOut)
	}
	CreateTopic(t, bs, "dflt", 1, nil)
	ctx := testContext(t, 2*time.Minute)
	produce := func(topic string, codec kgo.CompressionCodec, from, n int) {
		t.Helper()
		cl := NewClient(t, bs, kgo.DefaultProduceTopic(topic), kgo.ProducerBatchCompression(codec), kgo.ProducerLinger(0))
		var recs []*kgo.Record
		for i := from; i < from+n; i++ {
			recs = append(recs, &kgo.Record{Key: []byte(fmt.Sprintf("k%d", i)),
				Value:   []byte(fmt.Sprintf("value-%d-%s", i, strings.Repeat("abc", 50))),
				Headers: []kgo.RecordHeader{{Key: "h", Value: []byte(fmt.Sprint(i))}}})
		}
		if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
			t.Fatalf("produce to %s: %v", topic, err)
		}
		cl.Close()
	}
	produce("gz", kgo.SnappyCompression(), 0, 50)
	produce("gz", kgo.NoCompression(), 50, 50)
	produce("dflt", kgo.SnappyCompression(), 0, 20)

	gzDir := filepath.Join(c.B().LogDir, "gz-0")
	codecs, pids := batchCodecs(t, gzDir)
	if len(codecs) < 2 {
		t.Fatalf("kafka-dump-log shows %d batches: %v", len(codecs), codecs)
	}
	for i, cc := range codecs {
		if cc != "GZIP" {
			t.Errorf("batch %d of gz is stored %s, want GZIP (all: %v)", i, cc, codecs)
		}
	}
	for _, p := range pids {
		if p == "-1" {
			t.Errorf("recompressed batch lost the idempotent producer id: %v", pids)
		}
	}
	if codecs, _ := batchCodecs(t, filepath.Join(c.B().LogDir, "dflt-0")); len(codecs) == 0 || codecs[0] != "ZSTD" {
		t.Errorf("the broker default compression.type=zstd gave %v", codecs)
	}

	// franz-go reads every record with key, value and header.
	con := NewClient(t, bs, kgo.ConsumeTopics("gz"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	got := 0
	for got < 100 {
		fs := con.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("franz-go read %d of 100", got)
		}
		fs.EachError(func(_ string, _ int32, err error) { t.Fatalf("fetch: %v", err) })
		fs.EachRecord(func(r *kgo.Record) {
			want := fmt.Sprintf("value-%d-%s", got, strings.Repeat("abc", 50))
			if r.Offset != int64(got) || string(r.Key) != fmt.Sprintf("k%d", got) || string(r.Value) != want ||
				len(r.Headers) != 1 || string(r.Headers[0].Value) != fmt.Sprint(got) {
				t.Fatalf("record %d: offset %d key %q headers %v", got, r.Offset, r.Key, r.Headers)
			}
			got++
		})
	}
	con.Close()

	// kcat (librdkafka) and kafka-python decompress the broker's gzip.
	out, errOut, code := kcat(t, "", "-b", bs, "-C", "-t", "gz", "-o", "beginning", "-e", "-q", "-f", "%o %k\n")
	if code != 0 || strings.Count(out, "\n") != 100 || !strings.Contains(out, "99 k99\n") {
		t.Errorf("kcat (exit %d, %s):\n%s", code, errOut, out)
	}
	py := `
from kafka import KafkaConsumer
c = KafkaConsumer("gz", bootstrap_servers="` + bs + `", auto_offset_reset="earliest", consumer_timeout_ms=5000)
seen = [(m.offset, m.key.decode(), m.value.decode()) for m in c]
print(len(seen), all(k == "k%d" % o and v.startswith("value-%d-" % o) for o, k, v in seen))
`
	requirePythonKafka(t)
	pout, perr, pcode := RunCmd(t, 60*time.Second, py, systemPython, "-")
	if pcode != 0 || strings.TrimSpace(pout) != "100 True" {
		t.Errorf("kafka-python read %q (exit %d, stderr %s)", pout, pcode, perr)
	}

	// kafka-configs.sh changes the codec of the live log.
	if out, errOut, code := Kafka(t, "configs", "--bootstrap-server", bs, "--alter", "--entity-type", "topics",
		"--entity-name", "gz", "--add-config", "compression.type=lz4"); code != 0 {
		t.Fatalf("configs: %s %s", out, errOut)
	}
	deadline := time.Now().Add(30 * time.Second)
	next := 100
	for {
		produce("gz", kgo.SnappyCompression(), next, 1)
		next++
		codecs, _ = batchCodecs(t, gzDir)
		if codecs[len(codecs)-1] == "LZ4" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("compression.type=lz4 not applied to the live log: %v", codecs)
		}
		time.Sleep(200 * time.Millisecond)
	}
	// producer keeps what the producer sent.
	if out, errOut, code := Kafka(t, "configs", "--bootstrap-server", bs, "--alter", "--entity-type", "topics",
		"--entity-name", "gz", "--add-config", "compression.type=producer"); code != 0 {
		t.Fatalf("configs: %s %s", out, errOut)
	}
	deadline = time.Now().Add(30 * time.Second)
	for {
		produce("gz", kgo.SnappyCompression(), next, 1)
		next++
		codecs, _ = batchCodecs(t, gzDir)
		if codecs[len(codecs)-1] == "SNAPPY" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("compression.type=producer not applied: %v", codecs)
		}
		time.Sleep(200 * time.Millisecond)
	}
	out, _, code = kcat(t, "", "-b", bs, "-C", "-t", "gz", "-o", "beginning", "-e", "-q", "-f", "%o\n")
	if code != 0 || strings.Count(out, "\n") != next {
		t.Errorf("kcat read %d records, want %d", strings.Count(out, "\n"), next)
	}
}

// TestTransactionalBatchesRecompressed: transactional batches sent snappy
// to a compression.type=gzip topic are stored gzip and stay transactional,
// so read_committed consumers skip the aborted transaction and see the
// committed one.
func TestTransactionalBatchesRecompressed(t *testing.T) {
	c := StartCluster(t, nil)
	bs := c.Bootstrap()
	CreateTopic(t, bs, "gztx", 1, map[string]*string{"compression.type": strPtr("gzip")})
	p := txnProducer(t, bs, "gz-txn", "gztx", kgo.ProducerBatchCompression(kgo.SnappyCompression()))
	produceTxn(t, p, true, txnSeq("committed", 10)...)
	produceTxn(t, p, false, txnSeq("aborted", 5)...)
	produceTxn(t, p, true, txnSeq("later", 3)...)

	committed := txnReadValues(t, bs, "gztx", true, 30*time.Second, txnAtLeast(13))
	if len(committed) != 13 || txnCount(committed, "committed") != 10 || txnCount(committed, "later") != 3 {
		t.Fatalf("read_committed read %v", committed)
	}
	all := txnReadValues(t, bs, "gztx", false, 30*time.Second, txnAtLeast(18))
	if len(all) != 18 || txnCount(all, "aborted") != 5 {
		t.Fatalf("read_uncommitted read %v", all)
	}

	out, errOut, code := Kafka(t, "dump-log", "--files", filepath.Join(c.B().LogDir, "gztx-0", "00000000000000000000.log"))
	if code != 0 {
		t.Fatalf("kafka-dump-log exited %d: %s", code, errOut)
	}
	data, control := 0, 0
	for _, line := range strings.Split(out, "\n") {
		if !strings.Contains(line, "compresscodec:") {
			continue
		}
		if strings.Contains(line, "isControl: true") {
			control++
			if !strings.Contains(line, "compresscodec: NONE") {
				t.Errorf("control batch recompressed: %s", line)
			}
			continue
		}
		data++
		if !strings.Contains(line, "isTransactional: true") || !strings.Contains(line, "compresscodec: GZIP") {
			t.Errorf("data batch not stored as a transactional gzip batch: %s", line)
		}
	}
	if data < 3 || control != 3 {
		t.Errorf("%d data and %d control batches:\n%s", data, control, out)
	}
}
