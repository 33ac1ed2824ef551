// Command e2e-latency measures end-to-end latency: the time from handing a
// record to the producer to a consumer receiving it, at a fixed rate.
//
//	go run ./scripts/e2e-latency -bootstrap 127.0.0.1:9092 -topic e2e -acks all -rate 1000 -n 20000
package main

import (
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

func main() {
	bootstrap := flag.String("bootstrap", "127.0.0.1:9092", "bootstrap servers")
	topic := flag.String("topic", "e2e-latency", "topic (created if missing)")
	acks := flag.String("acks", "all", "1 or all")
	rate := flag.Int("rate", 1000, "records per second")
	n := flag.Int("n", 10000, "records to send")
	rf := flag.Int("replication-factor", 1, "replication factor for a new topic")
	flag.Parse()
	ctx := context.Background()
	seeds := strings.Split(*bootstrap, ",")
	ack := kgo.AllISRAcks()
	if *acks == "1" {
		ack = kgo.LeaderAck()
	}
	prod, err := kgo.NewClient(kgo.SeedBrokers(seeds...), kgo.DefaultProduceTopic(*topic), kgo.RequiredAcks(ack),
		kgo.ProducerLinger(0), kgo.DisableIdempotentWrite())
	if err != nil {
		panic(err)
	}
	kadm.NewClient(prod).CreateTopic(ctx, 1, int16(*rf), nil, *topic)
	cons, err := kgo.NewClient(kgo.SeedBrokers(seeds...), kgo.ConsumeTopics(*topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtEnd()), kgo.FetchMaxWait(500*time.Millisecond))
	if err != nil {
		panic(err)
	}
	// Let the consumer reach the partition's end before producing.
	warm, cancel := context.WithTimeout(ctx, 2*time.Second)
	cons.PollFetches(warm)
	cancel()
	lat := make([]time.Duration, 0, *n)
	done := make(chan struct{})
	go func() {
		defer close(done)
		deadline := time.Now().Add(time.Duration(*n / *rate)*time.Second + 30*time.Second)
		for len(lat) < *n && time.Now().Before(deadline) {
			pctx, cancel := context.WithTimeout(ctx, time.Second)
			fs := cons.PollFetches(pctx)
			cancel()
			fs.EachRecord(func(r *kgo.Record) {
				sent := int64(binary.BigEndian.Uint64(r.Value))
				lat = append(lat, time.Since(time.Unix(0, sent)))
			})
		}
	}()
	tick := time.NewTicker(time.Second / time.Duration(*rate))
	for i := 0; i < *n; i++ {
		<-tick.C
		v := make([]byte, 100)
		binary.BigEndian.PutUint64(v, uint64(time.Now().UnixNano()))
		prod.Produce(ctx, &kgo.Record{Value: v}, nil)
	}
	<-done
	if len(lat) == 0 {
		fmt.Println("no records received")
		return
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) time.Duration { return lat[int(float64(len(lat)-1)*p)] }
	fmt.Printf("%d records, acks=%s, %d/s: end-to-end latency p50 %v, p99 %v, p99.9 %v, max %v\n",
		len(lat), *acks, *rate, pct(0.5), pct(0.99), pct(0.999), lat[len(lat)-1])
}
