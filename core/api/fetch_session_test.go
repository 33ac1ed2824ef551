package api

import (
	"fmt"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gokafka/kafka/core/fetchsession"
	klog "github.com/gokafka/kafka/core/log"
	"github.com/gokafka/kafka/core/metadata"
	"github.com/gokafka/kafka/core/network"
	"github.com/gokafka/kafka/core/quota"
	"github.com/gokafka/kafka/core/record"
	"github.com/gokafka/kafka/core/replica"
)

// fetchTestApis is a KafkaApis over a real ReplicaManager leading
// partitions 0..n-1 of topic, with a fetch session cache of 10 slots.
func fetchTestApis(tb testing.TB, topic string, n int) (*KafkaApis, *replica.ReplicaManager) {
	tb.Helper()
	logs, err := klog.NewLogManager(klog.ManagerConfig{Dirs: []string{tb.TempDir()}, Default: klog.DefaultConfig()},
		func(string) klog.Config { return klog.DefaultConfig() })
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { logs.Shutdown() })
	rm := replica.NewReplicaManager(1, logs, func(string) (klog.Config, int, error) { return klog.DefaultConfig(), 1, nil })
	req := kmsg.NewPtrLeaderAndISRRequest()
	req.SetVersion(4)
	req.ControllerID, req.ControllerEpoch = 1, 1
	ts := kmsg.NewLeaderAndISRRequestTopicState()
	ts.Topic = topic
	for p := 0; p < n; p++ {
		ps := kmsg.NewLeaderAndISRRequestTopicPartition()
		ps.Partition, ps.ControllerEpoch, ps.Leader, ps.LeaderEpoch, ps.ISR, ps.Replicas = int32(p), 1, 1, 0, []int32{1}, []int32{1}
		ts.PartitionStates = append(ts.PartitionStates, ps)
	}
	req.TopicStates = append(req.TopicStates, ts)
	if resp := rm.BecomeLeaderOrFollower(req); resp.ErrorCode != 0 {
		tb.Fatalf("LeaderAndIsr: %d", resp.ErrorCode)
	}
	a := NewKafkaApis(Config{BrokerID: 1}, metadata.NewMetadataCache(1), rm, nil, nil, nil)
	a.SetFetchManager(fetchsession.NewFetchManager(fetchsession.NewFetchSessionCache(10, fetchsession.DefaultEvictionMs)))
	return a, rm
}

func produceTo(tb testing.TB, rm *replica.ReplicaManager, topic string, partition int32, n int) {
	tb.Helper()
	recs := make([]record.Record, n)
	for i := range recs {
		recs[i] = record.Record{OffsetDelta: int32(i), Value: []byte("value")}
	}
	b, err := record.BuildBatch(recs, record.CodecNone, time.Now().UnixMilli())
	if err != nil {
		tb.Fatal(err)
	}
	if res := rm.AppendRecords(replica.TopicPartition{Topic: topic, Partition: partition}, b, 1, time.Second); res.Err != nil {
		tb.Fatal(res.Err)
	}
}

// fetchRequest is a Fetch v12 without waiting; offsets maps the partitions
// to list (of topic) to their fetch offsets.
func fetchRequest(sessionID, epoch int32, topic string, offsets map[int32]int64, forget ...int32) *kmsg.FetchRequest {
	req := kmsg.NewPtrFetchRequest()
	req.SetVersion(12)
	req.MaxWaitMillis, req.MinBytes = 0, 0
	req.SessionID, req.SessionEpoch = sessionID, epoch
	if len(offsets) > 0 {
		t := kmsg.NewFetchRequestTopic()
		t.Topic = topic
		var ps []int32
		for p := range offsets {
			ps = append(ps, p)
		}
		sort.Slice(ps, func(i, j int) bool { return ps[i] < ps[j] })
		for _, p := range ps {
			fp := kmsg.NewFetchRequestTopicPartition()
			fp.Partition, fp.FetchOffset, fp.PartitionMaxBytes = p, offsets[p], 1<<20
			t.Partitions = append(t.Partitions, fp)
		}
		req.Topics = append(req.Topics, t)
	}
	if len(forget) > 0 {
		f := kmsg.NewFetchRequestForgottenTopic()
		f.Topic, f.Partitions = topic, forget
		req.ForgottenTopics = append(req.ForgottenTopics, f)
	}
	return req
}

func doFetch(tb testing.TB, a *KafkaApis, clientID string, req *kmsg.FetchRequest) *kmsg.FetchResponse {
	tb.Helper()
	resp, _, err := a.HandleWithThrottle(&network.Request{Header: network.RequestHeader{APIKey: 1, APIVersion: req.Version, ClientID: clientID}, Body: req})
	if err != nil {
		tb.Fatal(err)
	}
	return resp.(*kmsg.FetchResponse)
}

// answered lists the partitions of a response as "p:hw:records?:error".
func answered(resp *kmsg.FetchResponse) []string {
	var out []string
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			out = append(out, fmt.Sprintf("%d:%d:%v:%d", p.Partition, p.HighWatermark, len(p.RecordBatches) > 0, p.ErrorCode))
		}
	}
	return out
}

func TestFetchSessionLifecycle(t *testing.T) {
	a, rm := fetchTestApis(t, "t", 4)
	produceTo(t, rm, "t", 0, 3)

	// Epoch 0: a full answer and a new session.
	full := doFetch(t, a, "c", fetchRequest(0, 0, "t", map[int32]int64{0: 0, 1: 0, 2: 0}))
	if full.ErrorCode != 0 || full.SessionID == 0 {
		t.Fatalf("full fetch: error %d session %d", full.ErrorCode, full.SessionID)
	}
	if got, want := answered(full), []string{"0:3:true:0", "1:0:false:0", "2:0:false:0"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("full fetch answered %v, want %v", got, want)
	}
	id := full.SessionID

	// Epoch 1, nothing listed: partition 0 is read from offset 0 again (the
	// session's offset), so its records come back; the others did not change.
	inc := doFetch(t, a, "c", fetchRequest(id, 1, "t", nil))
	if inc.ErrorCode != 0 || inc.SessionID != id || !reflect.DeepEqual(answered(inc), []string{"0:3:true:0"}) {
		t.Fatalf("epoch 1: error %d session %d answered %v", inc.ErrorCode, inc.SessionID, answered(inc))
	}
	// Epoch 2 moves partition 0 to offset 3 and adds partition 3; new
	// records on 1 change its high watermark.
	produceTo(t, rm, "t", 1, 2)
	inc = doFetch(t, a, "c", fetchRequest(id, 2, "t", map[int32]int64{0: 3, 3: 0}))
	if got, want := answered(inc), []string{"1:2:true:0", "3:0:false:0"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("epoch 2 answered %v, want %v", got, want)
	}
	// Epoch 3 forgets partition 1: its new records are no longer read.
	produceTo(t, rm, "t", 1, 1)
	produceTo(t, rm, "t", 2, 1)
	inc = doFetch(t, a, "c", fetchRequest(id, 3, "t", nil, 1))
	if got, want := answered(inc), []string{"2:1:true:0"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("epoch 3 answered %v, want %v", got, want)
	}
	// Wrong epoch and unknown session: top-level errors, no partitions.
	if r := doFetch(t, a, "c", fetchRequest(id, 3, "t", nil)); r.ErrorCode != kerr.InvalidFetchSessionEpoch.Code || len(r.Topics) != 0 || r.SessionID != 0 {
		t.Fatalf("wrong epoch: error %d session %d topics %d", r.ErrorCode, r.SessionID, len(r.Topics))
	}
	if r := doFetch(t, a, "c", fetchRequest(id+1, 1, "t", nil)); r.ErrorCode != kerr.FetchSessionIDNotFound.Code || len(r.Topics) != 0 {
		t.Fatalf("unknown session: error %d topics %d", r.ErrorCode, len(r.Topics))
	}
	// Epoch -1 closes the session and answers without one.
	r := doFetch(t, a, "c", fetchRequest(id, -1, "t", map[int32]int64{0: 3}))
	if r.ErrorCode != 0 || r.SessionID != 0 || len(answered(r)) != 1 {
		t.Fatalf("final epoch: error %d session %d answered %v", r.ErrorCode, r.SessionID, answered(r))
	}
	if r := doFetch(t, a, "c", fetchRequest(id, 4, "t", nil)); r.ErrorCode != kerr.FetchSessionIDNotFound.Code {
		t.Fatalf("closed session answered error %d", r.ErrorCode)
	}
}

func TestFetchSessionOldVersionsAreSessionless(t *testing.T) {
	a, _ := fetchTestApis(t, "t", 1)
	req := fetchRequest(0, 0, "t", map[int32]int64{0: 0})
	req.SetVersion(6) // no session fields on the wire
	if r := doFetch(t, a, "c", req); r.SessionID != 0 || len(answered(r)) != 1 {
		t.Fatalf("v6: session %d answered %v", r.SessionID, answered(r))
	}
	if n := a.fetchManager.Cache().Size(); n != 0 {
		t.Fatalf("%d sessions after a v6 fetch", n)
	}
}

func TestFetchSessionUnderQuota(t *testing.T) {
	a, rm := fetchTestApis(t, "t", 2)
	// Every client id may fetch 1 byte/s, except "free".
	q := quota.NewManagers(quota.ManagersConfig{ConsumerDefault: 1})
	free, unlimited := "free", 1e15
	q.Fetch.UpdateQuota(nil, &free, &unlimited)
	a.SetQuotaManagers(q)
	produceTo(t, rm, "t", 0, 5)

	// A throttled full fetch answers nothing and creates no session.
	r := doFetch(t, a, "slow", fetchRequest(0, 0, "t", map[int32]int64{0: 0, 1: 0}))
	if r.ThrottleMillis <= 0 || len(r.Topics) != 0 || r.SessionID != 0 || a.fetchManager.Cache().Size() != 0 {
		t.Fatalf("throttled full fetch: throttle %d topics %d session %d", r.ThrottleMillis, len(r.Topics), r.SessionID)
	}
	r = doFetch(t, a, "free", fetchRequest(0, 0, "t", map[int32]int64{0: 5, 1: 0}))
	if r.ThrottleMillis != 0 || r.SessionID == 0 || len(answered(r)) != 2 {
		t.Fatalf("full fetch: throttle %d session %d answered %v", r.ThrottleMillis, r.SessionID, answered(r))
	}
	id := r.SessionID

	// Sessions are not bound to a client: a throttled incremental fetch
	// keeps the session (its epoch advances, as in Kafka) but counts none
	// of its partitions as sent.
	produceTo(t, rm, "t", 1, 5)
	r = doFetch(t, a, "slow", fetchRequest(id, 1, "t", nil))
	if r.ThrottleMillis <= 0 || len(r.Topics) != 0 || r.SessionID != id || r.ErrorCode != 0 {
		t.Fatalf("throttled incremental fetch: throttle %d topics %d session %d error %d", r.ThrottleMillis, len(r.Topics), r.SessionID, r.ErrorCode)
	}
	r = doFetch(t, a, "free", fetchRequest(id, 2, "t", nil))
	if got, want := answered(r), []string{"1:5:true:0"}; r.ErrorCode != 0 || !reflect.DeepEqual(got, want) {
		t.Fatalf("after the throttled fetch: error %d answered %v, want %v", r.ErrorCode, got, want)
	}
}

// BenchmarkFetchManyPartitions compares a consumer of 1000 partitions
// fetching without a session and with one, when each round 10 partitions
// (of the first 100) have one new record: the handler (reads, session,
// response building) and the response encoding. The consumer moves its
// offsets as it reads; building its requests is not timed.
func BenchmarkFetchManyPartitions(b *testing.B) {
	const n = 1000
	level := logrus.GetLevel()
	logrus.SetLevel(logrus.WarnLevel) // 1000 partitions log a lot at start
	defer logrus.SetLevel(level)
	for _, mode := range []string{"sessionless", "incremental"} {
		// One broker per mode, shared by the runs of b.Run (creating 1000
		// logs takes longer than the benchmark).
		a, rm := fetchTestApis(b, "t"+mode, n)
		offsets := make(map[int32]int64, n)
		for p := int32(0); p < n; p++ {
			offsets[p] = 0
		}
		topic := "t" + mode
		b.Run(mode, func(b *testing.B) {
			epoch := fetchsession.FinalEpoch
			if mode == "incremental" {
				epoch = fetchsession.InitialEpoch
			}
			resp := doFetch(b, a, "c", fetchRequest(0, epoch, topic, offsets))
			id := resp.SessionID
			if mode == "incremental" && id == 0 {
				b.Fatal("no session")
			}
			one, _ := record.BuildBatch([]record.Record{{Value: []byte("v")}}, record.CodecNone, 0)
			var buf []byte
			var respBytes, answered int
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				for j := 0; j < 10; j++ {
					// Rotate over the first 100 partitions: a first append to a
					// partition's fresh segment and index files is slow.
					p := int32((i*10 + j) % 100)
					rm.AppendRecords(replica.TopicPartition{Topic: topic, Partition: p}, append([]byte(nil), one...), 1, time.Second)
				}
				var req *kmsg.FetchRequest
				if mode == "incremental" {
					epoch = fetchsession.NextEpoch(epoch)
					changed := map[int32]int64{}
					for _, t := range resp.Topics {
						for _, p := range t.Partitions {
							changed[p.Partition] = offsets[p.Partition]
						}
					}
					req = fetchRequest(id, epoch, topic, changed)
				} else {
					req = fetchRequest(0, fetchsession.FinalEpoch, topic, offsets)
				}
				b.StartTimer()
				resp = doFetch(b, a, "c", req)
				buf = resp.AppendTo(buf[:0])
				b.StopTimer()
				if resp.ErrorCode != 0 {
					b.Fatal(resp.ErrorCode)
				}
				answered = 0
				for _, t := range resp.Topics {
					for _, p := range t.Partitions {
						answered++
						offsets[p.Partition] = p.HighWatermark
					}
				}
				respBytes = len(buf)
				b.StartTimer()
			}
			b.ReportMetric(float64(respBytes), "resp-bytes")
			b.ReportMetric(float64(answered), "partitions/resp")
		})
	}
}
