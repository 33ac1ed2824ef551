package api

import (
	"math"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gokafka/kafka/core/record"
	"github.com/gokafka/kafka/core/replica"
)

// handleFetch serves consumers (and, later, followers). Fetch sessions
// (KIP-227) are not kept: every response carries session id 0, which tells
// clients to send full fetch requests, as Kafka does when its session cache
// is full.
func (a *KafkaApis) handleFetch(req *kmsg.FetchRequest) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.FetchResponse)
	// Epoch 0 (new session) and -1 (sessionless) are full fetches, whatever
	// the session id; only an incremental fetch (epoch > 0) needs a session,
	// and this broker keeps none.
	if req.Version >= 7 && req.SessionEpoch > 0 {
		resp.ErrorCode = kerr.FetchSessionIDNotFound.Code
		return resp
	}
	params := replica.FetchParams{
		ReplicaID: req.ReplicaID,
		MaxWait:   millis(req.MaxWaitMillis),
		MinBytes:  req.MinBytes,
		MaxBytes:  req.MaxBytes,
	}
	if req.Version >= 4 {
		params.IsolationLevel = req.IsolationLevel
	}
	if req.Version < 3 || params.MaxBytes <= 0 {
		params.MaxBytes = math.MaxInt32
	}
	var parts []replica.FetchPartition
	for _, t := range req.Topics {
		for _, p := range t.Partitions {
			parts = append(parts, replica.FetchPartition{
				TopicPartition:     replica.TopicPartition{Topic: t.Topic, Partition: p.Partition},
				FetchOffset:        p.FetchOffset,
				MaxBytes:           p.PartitionMaxBytes,
				CurrentLeaderEpoch: p.CurrentLeaderEpoch,
				LogStartOffset:     p.LogStartOffset,
			})
		}
	}
	results := a.replicas.FetchMessages(params, parts, a.done)
	i := 0
	for _, t := range req.Topics {
		rt := kmsg.NewFetchResponseTopic()
		rt.Topic = t.Topic
		for _, p := range t.Partitions {
			rp := fetchPartitionResponse(req.Version, p.Partition, results[i])
			if results[i].Err != nil {
				rp.ErrorCode = a.partitionErrorCode(t.Topic, p.Partition, results[i].Err)
			}
			rt.Partitions = append(rt.Partitions, rp)
			i++
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp
}

// fetchPartitionResponse fills one partition's answer, converting the
// stored v2 batches down to the old message format for Fetch v0-v3.
func fetchPartitionResponse(version int16, partition int32, r replica.FetchResult) kmsg.FetchResponseTopicPartition {
	rp := kmsg.NewFetchResponseTopicPartition()
	rp.Partition = partition
	rp.HighWatermark = r.HighWatermark
	rp.LastStableOffset = r.LastStableOffset
	rp.LogStartOffset = r.LogStartOffset
	// An empty record set is sent as size 0, not null: librdkafka rejects
	// a null one.
	rp.RecordBatches = []byte{}
	if version >= 4 {
		rp.AbortedTransactions = []kmsg.FetchResponseTopicPartitionAbortedTransaction{}
	}
	if r.Err != nil {
		rp.ErrorCode = errorCode(r.Err)
		return rp
	}
	if len(r.Records) > 0 {
		rp.RecordBatches = r.Records
	}
	if version >= 4 {
		for _, at := range r.AbortedTransactions {
			x := kmsg.NewFetchResponseTopicPartitionAbortedTransaction()
			x.ProducerID, x.FirstOffset = at.ProducerID, at.FirstOffset
			rp.AbortedTransactions = append(rp.AbortedTransactions, x)
		}
	}
	if version < 4 && len(r.Records) > 0 {
		magic := int8(1)
		if version < 2 {
			magic = 0
		}
		converted, err := record.DownConvert(r.Records, magic)
		if err != nil {
			rp.ErrorCode = kerr.CorruptMessage.Code
			rp.RecordBatches = []byte{}
			return rp
		}
		rp.RecordBatches = converted
	}
	return rp
}
