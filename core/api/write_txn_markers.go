package api

import (
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gokafka/kafka/core/replica"
)

// txnMarkerTimeout is how long a marker waits for the ISR; Kafka uses the
// broker's request.timeout.ms (30 s by default).
const txnMarkerTimeout = 30 * time.Second

// offsetsTopic is where transactional offset commits are stored.
const offsetsTopic = "__consumer_offsets"

// handleWriteTxnMarkers writes the COMMIT or ABORT markers the transaction
// coordinator sends to partition leaders (Kafka's
// handleWriteTxnMarkersRequest): each marker is appended as the leader and
// waits until the ISR has it (acks=all). Once a marker is on
// __consumer_offsets partitions, the group coordinator makes the
// producer's pending transactional offsets visible (commit) or drops them.
func (a *KafkaApis) handleWriteTxnMarkers(req *kmsg.WriteTxnMarkersRequest) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.WriteTxnMarkersResponse)
	type result struct {
		topic     string
		partition int32
		code      int16
	}
	results := make([][]result, len(req.Markers))
	var wg sync.WaitGroup
	for i, m := range req.Markers {
		for _, t := range m.Topics {
			for _, p := range t.Partitions {
				results[i] = append(results[i], result{topic: t.Topic, partition: p})
			}
		}
		for j := range results[i] {
			r := &results[i][j]
			if a.replicas.Partition(r.topic, r.partition) == nil {
				r.code = a.notHostedCode(r.topic, r.partition)
				continue
			}
			wg.Add(1)
			go func(m kmsg.WriteTxnMarkersRequestMarker) {
				defer wg.Done()
				tp := replica.TopicPartition{Topic: r.topic, Partition: r.partition}
				res := a.replicas.AppendTxnMarker(tp, m.ProducerID, m.ProducerEpoch, m.Committed, m.CoordinatorEpoch, txnMarkerTimeout)
				if res.Err != nil {
					r.code = a.partitionErrorCode(r.topic, r.partition, res.Err)
					a.log.Debugf("WriteTxnMarkers for producer %d on %s failed: %v", m.ProducerID, tp, res.Err)
				}
			}(m)
		}
	}
	wg.Wait()
	for i, m := range req.Markers {
		rm := kmsg.NewWriteTxnMarkersResponseMarker()
		rm.ProducerID = m.ProducerID
		var offsetsPartitions []int32
		byTopic := map[string]int{}
		for _, r := range results[i] {
			k, ok := byTopic[r.topic]
			if !ok {
				rt := kmsg.NewWriteTxnMarkersResponseMarkerTopic()
				rt.Topic = r.topic
				rm.Topics = append(rm.Topics, rt)
				k = len(rm.Topics) - 1
				byTopic[r.topic] = k
			}
			rp := kmsg.NewWriteTxnMarkersResponseMarkerTopicPartition()
			rp.Partition, rp.ErrorCode = r.partition, r.code
			rm.Topics[k].Partitions = append(rm.Topics[k].Partitions, rp)
			if r.topic == offsetsTopic && r.code == 0 {
				offsetsPartitions = append(offsetsPartitions, r.partition)
			}
		}
		if len(offsetsPartitions) > 0 && a.groups != nil {
			a.groups.HandleTxnCompletion(m.ProducerID, offsetsPartitions, m.Committed)
		}
		resp.Markers = append(resp.Markers, rm)
	}
	return resp
}
