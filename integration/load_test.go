package integration

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestConcurrentLoadWithRetention runs producers, tailing consumers and a
// reader that keeps fetching near the log start, all at once, while small
// segments roll and size-based retention deletes them underneath the
// readers. Nothing may crash; every record a consumer sees at an acked
// offset has the acked value; offsets only move forward; what is left at
// the end is contiguous and matches the acks.
func TestConcurrentLoadWithRetention(t *testing.T) {
	c := StartCluster(t, map[string]string{
		"log.retention.check.interval.ms": "200",
		"log.segment.delete.delay.ms":     "100",
	})
	const topic, partitions = "churn", 6
	CreateTopic(t, c.Bootstrap(), topic, partitions, map[string]*string{
		"segment.bytes":   strPtr("65536"),
		"retention.bytes": strPtr("196608"),
	})
	run := 6 * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), run)
	defer cancel()

	var wg sync.WaitGroup
	logs := make([]*ackLog, 3)
	for g := range logs {
		g := g
		logs[g] = &ackLog{}
		cl := NewClient(t, c.Bootstrap(), kgo.RequiredAcks(kgo.LeaderAck()), kgo.DisableIdempotentWrite(),
			kgo.ProducerLinger(time.Millisecond), kgo.MaxBufferedRecords(3000))
		wg.Add(1)
		go func() {
			defer wg.Done()
			pad := strings.Repeat("x", 150)
			// Bounded, so that the bookkeeping stays small.
			// Paced to last about the whole run, so that retention deletes
			// segments while consumers and the edge reader are reading.
			for i := 0; ctx.Err() == nil && i < 100000; i++ {
				if i%100 == 99 {
					time.Sleep(5 * time.Millisecond)
				}
				cl.Produce(ctx, &kgo.Record{Topic: topic, Value: []byte(fmt.Sprintf("p%d-%07d-%s", g, i, pad))}, logs[g].promise())
			}
		}()
	}

	// Values are "p<producer>-<seq>-<padding>"; the first 10 bytes identify
	// a record, which keeps the bookkeeping small.
	id := func(v []byte) string { return string(v[:min(len(v), 10)]) }
	type seen struct {
		mu     sync.Mutex
		values map[[2]int64]string // (partition, offset) → record id
		errs   []string
	}
	var consumed seen
	consumed.values = map[[2]int64]string{}
	for m := 0; m < 2; m++ {
		cons := NewClient(t, c.Bootstrap(), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
			kgo.FetchMaxWait(100*time.Millisecond))
		wg.Add(1)
		go func() {
			defer wg.Done()
			last := map[int32]int64{}
			for ctx.Err() == nil {
				fs := cons.PollFetches(ctx)
				fs.EachError(func(_ string, p int32, err error) {
					if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) || errors.Is(err, kerr.OffsetOutOfRange) {
						return
					}
					consumed.mu.Lock()
					consumed.errs = append(consumed.errs, fmt.Sprintf("partition %d: %v", p, err))
					consumed.mu.Unlock()
				})
				fs.EachRecord(func(r *kgo.Record) {
					consumed.mu.Lock()
					defer consumed.mu.Unlock()
					if l, ok := last[r.Partition]; ok && r.Offset <= l {
						consumed.errs = append(consumed.errs, fmt.Sprintf("partition %d: offset %d after %d", r.Partition, r.Offset, l))
					}
					last[r.Partition] = r.Offset
					key := [2]int64{int64(r.Partition), r.Offset}
					if v, ok := consumed.values[key]; ok && v != id(r.Value) {
						consumed.errs = append(consumed.errs, fmt.Sprintf("%d@%d read as %q and %q", r.Partition, r.Offset, v, id(r.Value)))
					}
					consumed.values[key] = id(r.Value)
				})
			}
		}()
	}
	// A reader that keeps hitting the oldest data, which retention is
	// deleting: answers must be records or OFFSET_OUT_OF_RANGE.
	var edgeErrs []string
	var edgeMu sync.Mutex
	wg.Add(1)
	go func() {
		defer wg.Done()
		adm := kadmClient(t, c.Bootstrap())
		conn, err := net.DialTimeout("tcp", c.B().Addr(), 5*time.Second)
		if err != nil {
			edgeErrs = append(edgeErrs, err.Error())
			return
		}
		defer conn.Close()
		rng := rand.New(rand.NewSource(7))
		for k := int32(0); ctx.Err() == nil; k++ {
			lctx, lcancel := context.WithTimeout(context.Background(), 5*time.Second)
			starts, err := adm.ListStartOffsets(lctx, topic)
			lcancel()
			if err != nil {
				continue
			}
			p := int32(rng.Intn(partitions))
			so, _ := starts.Lookup(topic, p)
			_, err = firstBatchIn(conn, topic, p, so.Offset+int64(rng.Intn(20)), 5000+k)
			if err != nil && !errors.Is(err, kerr.OffsetOutOfRange) && err.Error() != "no records" {
				edgeMu.Lock()
				edgeErrs = append(edgeErrs, fmt.Sprintf("fetch near log start of partition %d: %v", p, err))
				edgeMu.Unlock()
				if _, ok := err.(net.Error); ok {
					return
				}
			}
		}
	}()
	wg.Wait()
	for _, l := range logs {
		l.wait(t, 60*time.Second)
	}
	if !c.B().Running() {
		t.Fatal("broker died under load")
	}

	var acks []acked
	failed := 0
	for _, l := range logs {
		acks = append(acks, l.snapshot()...)
		failed += l.failed
		if l.failed > 0 {
			t.Logf("producer errors: %v", l.errs)
		}
	}
	ackedAt := map[[2]int64]string{}
	for _, a := range acks {
		ackedAt[[2]int64{int64(a.partition), a.offset}] = id([]byte(a.value))
	}
	consumed.mu.Lock()
	for _, e := range consumed.errs[:min(len(consumed.errs), 10)] {
		t.Errorf("consumer: %s", e)
	}
	mismatch := 0
	for k, v := range consumed.values {
		if a, ok := ackedAt[k]; ok && a != v {
			mismatch++
		}
	}
	t.Logf("acked %d (failed %d), consumers saw %d distinct offsets", len(acks), failed, len(consumed.values))
	consumed.mu.Unlock()
	if mismatch > 0 {
		t.Errorf("%d consumed records differ from what their offset was acked with", mismatch)
	}
	for _, e := range edgeErrs[:min(len(edgeErrs), 10)] {
		t.Errorf("edge reader: %s", e)
	}
	if len(acks) < 10000 {
		t.Errorf("only %d records acked in %v", len(acks), run)
	}

	// What is left: contiguous from the log start, matching the acks.
	adm := kadmClient(t, c.Bootstrap())
	starts, err := adm.ListStartOffsets(testContext(t, 10*time.Second), topic)
	if err != nil {
		t.Fatal(err)
	}
	var remaining []acked
	starts.Each(func(o kadm.ListedOffset) {
		if o.Offset == 0 {
			t.Errorf("partition %d: retention.bytes never deleted anything", o.Partition)
		}
	})
	for _, a := range acks {
		if so, ok := starts.Lookup(topic, a.partition); ok && a.offset >= so.Offset {
			remaining = append(remaining, a)
		}
	}
	checkAcked(t, c.Bootstrap(), topic, remaining)
}
