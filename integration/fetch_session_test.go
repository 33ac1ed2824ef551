package integration

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// sessionFetch is a raw Fetch (the highest version both sides know) for
// the partitions in offsets of topic, forgetting the partitions in forget.
func sessionFetch(t *testing.T, cl *kgo.Client, sessionID, epoch int32, topic string, offsets map[int32]int64, forget ...int32) *kmsg.FetchResponse {
	t.Helper()
	req := kmsg.NewPtrFetchRequest()
	req.ReplicaID = -1
	req.MaxWaitMillis = 300
	req.MinBytes = 1
	req.MaxBytes = 1 << 20
	req.SessionID, req.SessionEpoch = sessionID, epoch
	if len(offsets) > 0 {
		rt := kmsg.NewFetchRequestTopic()
		rt.Topic = topic
		var ps []int32
		for p := range offsets {
			ps = append(ps, p)
		}
		sort.Slice(ps, func(i, j int) bool { return ps[i] < ps[j] })
		for _, p := range ps {
			rp := kmsg.NewFetchRequestTopicPartition()
			rp.Partition, rp.FetchOffset, rp.PartitionMaxBytes = p, offsets[p], 1<<20
			rp.CurrentLeaderEpoch, rp.LogStartOffset = -1, -1
			rt.Partitions = append(rt.Partitions, rp)
		}
		req.Topics = append(req.Topics, rt)
	}
	if len(forget) > 0 {
		ft := kmsg.NewFetchRequestForgottenTopic()
		ft.Topic, ft.Partitions = topic, forget
		req.ForgottenTopics = append(req.ForgottenTopics, ft)
	}
	resp, err := req.RequestWith(testContext(t, 30*time.Second), cl)
	if err != nil {
		t.Fatalf("Fetch (session %d epoch %d): %v", sessionID, epoch, err)
	}
	return resp
}

// fetchedPartitions describes a response's partitions as
// "partition:highWatermark:records" (records: whether it carried any),
// sorted.
func fetchedPartitions(t *testing.T, resp *kmsg.FetchResponse) []string {
	t.Helper()
	var out []string
	for _, rt := range resp.Topics {
		for _, rp := range rt.Partitions {
			if rp.ErrorCode != 0 {
				t.Fatalf("partition %s-%d: error %d", rt.Topic, rp.Partition, rp.ErrorCode)
			}
			out = append(out, fmt.Sprintf("%d:%d:%v", rp.Partition, rp.HighWatermark, len(rp.RecordBatches) > 0))
		}
	}
	sort.Strings(out)
	return out
}

// TestFetchSessions drives KIP-227 sessions with raw Fetch requests, then
// checks that a franz-go consumer (which uses sessions) reads many
// partitions correctly while producing goes on, and that kcat and
// kafka-python (which fetch without sessions) still read everything.
func TestFetchSessions(t *testing.T) {
	c := StartCluster(t, nil)
	b := c.Bootstrap()
	producer := NewClient(t, b, kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.RequiredAcks(kgo.AllISRAcks()))
	produce := func(topic string, partition int32, n int) {
		t.Helper()
		var recs []*kgo.Record
		for i := 0; i < n; i++ {
			recs = append(recs, &kgo.Record{Topic: topic, Partition: partition, Value: []byte("v")})
		}
		produceSync(t, producer, recs)
	}

	t.Run("raw-requests", func(t *testing.T) {
		const topic = "fetch-sessions"
		CreateTopic(t, b, topic, 4, nil)
		produce(topic, 0, 3)
		produce(topic, 1, 2)
		cl := NewClient(t, b)

		// Epoch 0: full answer, new session.
		resp := sessionFetch(t, cl, 0, 0, topic, map[int32]int64{0: 0, 1: 0, 2: 0, 3: 0})
		if resp.ErrorCode != 0 || resp.SessionID == 0 {
			t.Fatalf("full fetch: error %d, session id %d", resp.ErrorCode, resp.SessionID)
		}
		if got, want := fetchedPartitions(t, resp), []string{"0:3:true", "1:2:true", "2:0:false", "3:0:false"}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("full fetch answered %v, want %v", got, want)
		}
		id := resp.SessionID

		// Epoch 1 moves 0 and 1 past their records: nothing changed, so
		// nothing is answered (after max wait).
		resp = sessionFetch(t, cl, id, 1, topic, map[int32]int64{0: 3, 1: 2})
		if resp.ErrorCode != 0 || resp.SessionID != id || len(fetchedPartitions(t, resp)) != 0 {
			t.Fatalf("epoch 1: error %d session %d answered %v", resp.ErrorCode, resp.SessionID, fetchedPartitions(t, resp))
		}
		// New records on 2: only 2 comes back, though nothing was listed.
		produce(topic, 2, 4)
		resp = sessionFetch(t, cl, id, 2, topic, nil)
		if got := fetchedPartitions(t, resp); fmt.Sprint(got) != "[2:4:true]" {
			t.Fatalf("epoch 2 answered %v, want [2:4:true]", got)
		}
		// Epoch 3 forgets 3 and moves 2 on; records on 3 are not read.
		produce(topic, 3, 1)
		resp = sessionFetch(t, cl, id, 3, topic, map[int32]int64{2: 4}, 3)
		if got := fetchedPartitions(t, resp); len(got) != 0 {
			t.Fatalf("epoch 3 answered %v, want nothing (3 forgotten)", got)
		}
		// Epoch 4 adds 3 back from offset 0.
		resp = sessionFetch(t, cl, id, 4, topic, map[int32]int64{3: 0})
		if got := fetchedPartitions(t, resp); fmt.Sprint(got) != "[3:1:true]" {
			t.Fatalf("epoch 4 answered %v, want [3:1:true]", got)
		}

		// A repeated epoch, an unknown id: top-level errors, no partitions.
		resp = sessionFetch(t, cl, id, 4, topic, nil)
		if resp.ErrorCode != kerr.InvalidFetchSessionEpoch.Code || len(resp.Topics) != 0 {
			t.Fatalf("repeated epoch: error %d, %d topics", resp.ErrorCode, len(resp.Topics))
		}
		resp = sessionFetch(t, cl, id+1, 1, topic, nil)
		if resp.ErrorCode != kerr.FetchSessionIDNotFound.Code || len(resp.Topics) != 0 {
			t.Fatalf("unknown session: error %d, %d topics", resp.ErrorCode, len(resp.Topics))
		}
		// The session survived the errors; epoch -1 closes it.
		resp = sessionFetch(t, cl, id, 5, topic, map[int32]int64{0: 0})
		if resp.ErrorCode != 0 || resp.SessionID != id {
			t.Fatalf("epoch 5: error %d session %d", resp.ErrorCode, resp.SessionID)
		}
		resp = sessionFetch(t, cl, id, -1, topic, map[int32]int64{0: 0})
		if resp.ErrorCode != 0 || resp.SessionID != 0 || fmt.Sprint(fetchedPartitions(t, resp)) != "[0:3:true]" {
			t.Fatalf("final epoch: error %d session %d answered %v", resp.ErrorCode, resp.SessionID, fetchedPartitions(t, resp))
		}
		if resp = sessionFetch(t, cl, id, 6, topic, nil); resp.ErrorCode != kerr.FetchSessionIDNotFound.Code {
			t.Fatalf("closed session: error %d", resp.ErrorCode)
		}
	})

	t.Run("consumers", func(t *testing.T) {
		const topic, partitions, total = "fetch-sessions-many", 32, 4000
		CreateTopic(t, b, topic, partitions, nil)

		// Produce while the consumer reads: record i goes to partition
		// i % partitions with value i.
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < total; i += 100 {
				var recs []*kgo.Record
				for j := i; j < i+100; j++ {
					recs = append(recs, &kgo.Record{Topic: topic, Partition: int32(j % partitions), Value: []byte(strconv.Itoa(j))})
				}
				if err := producer.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
					t.Errorf("produce: %v", err)
					return
				}
				time.Sleep(20 * time.Millisecond)
			}
		}()

		// Count the Fetch requests franz-go writes and how many were small
		// enough to be incremental: a full request names all 32 partitions
		// (over 900 bytes), an incremental one only the changed ones.
		var fetches, small atomic.Int64
		hook := fetchWriteHook(func(bytes int) {
			fetches.Add(1)
			if bytes < 400 {
				small.Add(1)
			}
		})
		consumer := NewClient(t, b, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
			kgo.FetchMaxWait(200*time.Millisecond), kgo.WithHooks(hook))
		next := make(map[int32]int64)
		seen := make(map[int]bool)
		ctx := testContext(t, 90*time.Second)
		for len(seen) < total {
			fs := consumer.PollFetches(ctx)
			if ctx.Err() != nil {
				t.Fatalf("consumed %d of %d records before the deadline", len(seen), total)
			}
			fs.EachError(func(topic string, p int32, err error) { t.Errorf("fetch %s-%d: %v", topic, p, err) })
			fs.EachRecord(func(r *kgo.Record) {
				if r.Offset != next[r.Partition] {
					t.Fatalf("partition %d: offset %d, want %d", r.Partition, r.Offset, next[r.Partition])
				}
				next[r.Partition]++
				v, err := strconv.Atoi(string(r.Value))
				if err != nil || v%partitions != int(r.Partition) || seen[v] {
					t.Fatalf("partition %d offset %d: value %q unexpected or repeated", r.Partition, r.Offset, r.Value)
				}
				seen[v] = true
			})
		}
		wg.Wait()
		if small.Load() == 0 {
			t.Errorf("none of franz-go's %d fetches was incremental", fetches.Load())
		}
		t.Logf("franz-go: %d fetch requests, %d incremental-sized", fetches.Load(), small.Load())

		// kcat (librdkafka) fetches without a session.
		out, errOut, code := kcat(t, "", "-b", b, "-C", "-t", topic, "-o", "beginning", "-e", "-q", "-f", "%s\n")
		if code != 0 {
			t.Fatalf("kcat exited %d: %s", code, errOut)
		}
		if n := len(strings.Fields(out)); n != total {
			t.Errorf("kcat read %d records, want %d", n, total)
		}

		// kafka-python fetches without a session too.
		requirePythonKafka(t)
		script := `
import sys
from kafka import KafkaConsumer
c = KafkaConsumer(sys.argv[2], bootstrap_servers=sys.argv[1], auto_offset_reset="earliest",
                  enable_auto_commit=False, consumer_timeout_ms=5000)
n = 0
for m in c:
    n += 1
    if n == int(sys.argv[3]):
        break
print(n)
`
		stdout, stderr, code := RunCmd(t, 2*time.Minute, "", systemPython, "-c", script, b, topic, strconv.Itoa(total))
		if code != 0 || strings.TrimSpace(stdout) != strconv.Itoa(total) {
			t.Errorf("kafka-python exited %d, read %q records, want %d\n%s", code, strings.TrimSpace(stdout), total, stderr)
		}
	})
}

// TestFetchSessionAuthorization: an incremental fetch reads every
// partition of its session, so READ is checked on all of them (as 2.8
// authorizes the whole fetch context), not only on the partitions the
// request lists: once alice loses READ on a topic, her session's partition
// answers TOPIC_AUTHORIZATION_FAILED, on every fetch, with no records.
func TestFetchSessionAuthorization(t *testing.T) {
	bs, sasl := startAclBrokers(t, 1)
	const topic = "fetch-session-acl"
	CreateTopic(t, bs[0].Addr(), topic, 1, nil)
	admin := NewClient(t, bs[0].Addr(), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	createACL(t, admin, kmsg.ACLResourceTypeTopic, topic, kmsg.ACLResourcePatternTypeLiteral, "User:alice", kmsg.ACLOperationRead, kmsg.ACLPermissionTypeAllow)
	alice := NewClient(t, sasl[0], plainUser("alice"))

	resp := sessionFetch(t, alice, 0, 0, topic, map[int32]int64{0: 0})
	if resp.ErrorCode != 0 || resp.SessionID == 0 || fmt.Sprint(fetchedPartitions(t, resp)) != "[0:0:false]" {
		t.Fatalf("full fetch: error %d session %d topics %+v", resp.ErrorCode, resp.SessionID, resp.Topics)
	}
	id := resp.SessionID

	createACL(t, admin, kmsg.ACLResourceTypeTopic, topic, kmsg.ACLResourcePatternTypeLiteral, "User:alice", kmsg.ACLOperationRead, kmsg.ACLPermissionTypeDeny)
	partitionError := func(resp *kmsg.FetchResponse) (int16, bool) {
		for _, rt := range resp.Topics {
			for _, rp := range rt.Partitions {
				if len(rp.RecordBatches) > 0 {
					t.Fatalf("%s-%d: records returned to a denied principal", rt.Topic, rp.Partition)
				}
				return rp.ErrorCode, true
			}
		}
		return 0, false
	}
	// Wait until the deny is in effect (a sessionless fetch is refused).
	deadline := time.Now().Add(15 * time.Second)
	for {
		code, ok := partitionError(sessionFetch(t, alice, 0, -1, topic, map[int32]int64{0: 0}))
		if ok && code == kerr.TopicAuthorizationFailed.Code {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the deny ACL did not take effect (last code %d)", code)
		}
		time.Sleep(100 * time.Millisecond)
	}
	produceSync(t, admin, []*kgo.Record{{Topic: topic, Partition: 0, Value: []byte("secret")}})
	for epoch := int32(1); epoch <= 2; epoch++ {
		resp := sessionFetch(t, alice, id, epoch, topic, nil)
		code, ok := partitionError(resp)
		if resp.ErrorCode != 0 || resp.SessionID != id || !ok || code != kerr.TopicAuthorizationFailed.Code {
			t.Fatalf("epoch %d: error %d session %d partition answered %v with %d, want TOPIC_AUTHORIZATION_FAILED", epoch, resp.ErrorCode, resp.SessionID, ok, code)
		}
	}

	// A full fetch naming only the denied topic still opens a session (2.8
	// authorizes after resolving the context): the partition answers the
	// error now and on the next incremental fetch, which names nothing.
	resp = sessionFetch(t, alice, 0, 0, topic, map[int32]int64{0: 0})
	if code, ok := partitionError(resp); resp.ErrorCode != 0 || resp.SessionID == 0 || !ok || code != kerr.TopicAuthorizationFailed.Code {
		t.Fatalf("full fetch of a denied topic: error %d session %d partition answered %v with %d", resp.ErrorCode, resp.SessionID, ok, code)
	}
	resp = sessionFetch(t, alice, resp.SessionID, 1, topic, nil)
	if code, ok := partitionError(resp); resp.ErrorCode != 0 || resp.SessionID == 0 || !ok || code != kerr.TopicAuthorizationFailed.Code {
		t.Fatalf("incremental fetch of the denied session partition: error %d session %d partition answered %v with %d", resp.ErrorCode, resp.SessionID, ok, code)
	}
}

// fetchWriteHook calls f with the size of every Fetch request written.
type fetchWriteHook func(bytes int)

func (h fetchWriteHook) OnBrokerWrite(_ kgo.BrokerMetadata, key int16, bytes int, _, _ time.Duration, err error) {
	if key == 1 && err == nil {
		h(bytes)
	}
}
