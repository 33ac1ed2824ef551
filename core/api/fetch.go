package api

import (
	"math"
	"sync"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gokafka/kafka/core/fetchsession"
	"github.com/gokafka/kafka/core/network"
	"github.com/gokafka/kafka/core/record"
	"github.com/gokafka/kafka/core/replica"
	"github.com/gokafka/kafka/zkutil"
)

// Fetch sessions (KIP-227) are kept by a fetchsession.FetchManager
// (SetFetchManager; without one the cache has no slots, so every fetch is
// answered without a session). handleFetch asks it for the request's
// context, reads the context's partitions (for an incremental fetch every
// partition of the session), answers the ones the context selects and then
// completes the context, which creates or updates the session and gives the
// response's session id and error code.
//
// A consumer fetch under client quotas is completed only after the quota
// decision (HandleWithThrottle, as Kafka's handleFetchRequest): a throttled
// response carries no partitions, so it must not create a session or count
// its partitions as sent. HandleWithThrottle registers such a fetch with
// holdFetch before handling it; handleFetch then leaves the completion to
// pendingFetch.finish.

// SetFetchManager sets the broker's fetch session manager.
func (a *KafkaApis) SetFetchManager(m *fetchsession.FetchManager) { a.fetchManager = m }

// noFetchSessions serves KafkaApis built without SetFetchManager: a cache
// without slots, which answers every full fetch without a session.
var noFetchSessions = fetchsession.NewFetchManager(fetchsession.NewFetchSessionCache(0, fetchsession.DefaultEvictionMs))

// pendingFetch is a fetch whose session completion waits for the quota
// decision.
type pendingFetch struct {
	ctx      fetchsession.FetchContext
	results  []replica.FetchResult
	selected []bool
}

// heldFetches maps the *kmsg.FetchRequest of each held fetch to its
// *pendingFetch.
type heldFetches struct{ m sync.Map }

// holdFetch registers body so that handleFetch leaves the session
// completion to the returned pendingFetch; releaseFetch ends it.
func (a *KafkaApis) holdFetch(body *kmsg.FetchRequest) *pendingFetch {
	p := &pendingFetch{}
	a.heldFetches.m.Store(body, p)
	return p
}

func (a *KafkaApis) releaseFetch(body *kmsg.FetchRequest) { a.heldFetches.m.Delete(body) }

// finish completes the session of a held fetch: as sent, or, when the
// quota throttled the response, with every partition dropped.
func (p *pendingFetch) finish(resp kmsg.Response, throttled bool) {
	fr, ok := resp.(*kmsg.FetchResponse)
	if p == nil || p.ctx == nil || !ok || fr == nil {
		return
	}
	if throttled {
		fr.Topics = nil
		code, id := p.ctx.Throttled()
		setFetchSession(fr, code, id)
		return
	}
	code, id := p.ctx.Complete(p.results, p.selected)
	setFetchSession(fr, code, id)
}

// setFetchSession writes a context's outcome into the response; a session
// error answers no partitions.
func setFetchSession(resp *kmsg.FetchResponse, code int16, sessionID int32) {
	resp.ErrorCode, resp.SessionID = code, sessionID
	if code != 0 {
		resp.Topics = nil
	}
}

// handleFetch serves consumers and followers.
func (a *KafkaApis) handleFetch(req *network.Request, body *kmsg.FetchRequest) kmsg.Response {
	resp := body.ResponseKind().(*kmsg.FetchResponse)
	params := replica.FetchParams{
		ReplicaID: body.ReplicaID,
		MaxWait:   millis(body.MaxWaitMillis),
		MinBytes:  body.MinBytes,
		MaxBytes:  body.MaxBytes,
	}
	if body.Version >= 4 {
		params.IsolationLevel = body.IsolationLevel
	}
	if body.Version < 3 || params.MaxBytes <= 0 {
		params.MaxBytes = math.MaxInt32
	}
	fctx := a.fetchContext(body)
	parts := fctx.Partitions()
	var results []replica.FetchResult
	if denied := a.deniedSessionPartitions(req, body, parts); denied != nil {
		results = a.fetchAllowed(params, parts, denied)
	} else {
		results = a.replicas.FetchMessages(params, parts, a.done)
	}
	selected := fctx.Select(results)
	a.appendFetchPartitions(resp, body.Version, parts, results, selected)
	if v, ok := a.heldFetches.m.Load(body); ok {
		p := v.(*pendingFetch)
		p.ctx, p.results, p.selected = fctx, results, selected
		return resp
	}
	code, id := fctx.Complete(results, selected)
	setFetchSession(resp, code, id)
	return resp
}

// fetchContext turns the request into the replica layer's partitions and
// asks the session manager for its context. Fetch v0-v6 has no sessions.
func (a *KafkaApis) fetchContext(body *kmsg.FetchRequest) fetchsession.FetchContext {
	r := fetchsession.Request{
		SessionID:  fetchsession.InvalidSessionID,
		Epoch:      fetchsession.FinalEpoch,
		IsFollower: body.ReplicaID >= 0,
	}
	if body.Version >= 7 {
		r.SessionID, r.Epoch = body.SessionID, body.SessionEpoch
	}
	n := 0
	for i := range body.Topics {
		n += len(body.Topics[i].Partitions)
	}
	r.Partitions = make([]replica.FetchPartition, 0, n)
	for i := range body.Topics {
		t := &body.Topics[i]
		for j := range t.Partitions {
			p := &t.Partitions[j]
			r.Partitions = append(r.Partitions, replica.FetchPartition{
				TopicPartition:     replica.TopicPartition{Topic: t.Topic, Partition: p.Partition},
				FetchOffset:        p.FetchOffset,
				MaxBytes:           p.PartitionMaxBytes,
				CurrentLeaderEpoch: p.CurrentLeaderEpoch,
				LogStartOffset:     p.LogStartOffset,
			})
		}
	}
	if body.Version >= 7 && !fetchsession.IsFull(r.Epoch) {
		for i := range body.ForgottenTopics {
			t := &body.ForgottenTopics[i]
			for _, p := range t.Partitions {
				r.Forgotten = append(r.Forgotten, replica.TopicPartition{Topic: t.Topic, Partition: p})
			}
		}
	}
	m := a.fetchManager
	if m == nil {
		m = noFetchSessions
	}
	return m.NewContext(r)
}

// deniedSessionPartitions checks READ on the topics of every partition of
// a consumer fetch's context, as 2.8 does once the context is resolved: an
// incremental fetch reads session partitions the request does not name
// (their ACLs may have changed since they were added), and a denied
// partition of a full fetch still joins the session, answering
// TOPIC_AUTHORIZATION_FAILED on each fetch. It returns which partitions
// are denied, or nil when none is (or there is no authorizer).
func (a *KafkaApis) deniedSessionPartitions(req *network.Request, body *kmsg.FetchRequest, parts []replica.FetchPartition) []bool {
	if a.authorizer == nil || req == nil || body.ReplicaID >= 0 {
		return nil
	}
	var denied []bool
	decided := make(map[string]bool)
	for i := range parts {
		topic := parts[i].Topic
		allowed, ok := decided[topic]
		if !ok {
			allowed = a.authorizeTopic(req, zkutil.OpRead, topic)
			decided[topic] = allowed
		}
		if !allowed {
			if denied == nil {
				denied = make([]bool, len(parts))
			}
			denied[i] = true
		}
	}
	return denied
}

// fetchAllowed reads the partitions not denied and answers the denied ones
// TOPIC_AUTHORIZATION_FAILED.
func (a *KafkaApis) fetchAllowed(params replica.FetchParams, parts []replica.FetchPartition, denied []bool) []replica.FetchResult {
	allowed := make([]replica.FetchPartition, 0, len(parts))
	for i := range parts {
		if !denied[i] {
			allowed = append(allowed, parts[i])
		}
	}
	read := a.replicas.FetchMessages(params, allowed, a.done)
	results := make([]replica.FetchResult, len(parts))
	j := 0
	for i := range parts {
		if denied[i] {
			results[i] = replica.FetchResult{Err: kerr.TopicAuthorizationFailed, HighWatermark: -1, LastStableOffset: -1, LogStartOffset: -1}
			continue
		}
		results[i] = read[j]
		j++
	}
	return results
}

// appendFetchPartitions answers the selected partitions (all when selected
// is nil), one topic entry per run of partitions of the same topic.
func (a *KafkaApis) appendFetchPartitions(resp *kmsg.FetchResponse, version int16, parts []replica.FetchPartition, results []replica.FetchResult, selected []bool) {
	var rt *kmsg.FetchResponseTopic
	for i := range parts {
		if selected != nil && !selected[i] {
			continue
		}
		p := &parts[i]
		if rt == nil || rt.Topic != p.Topic {
			resp.Topics = append(resp.Topics, kmsg.NewFetchResponseTopic())
			rt = &resp.Topics[len(resp.Topics)-1]
			rt.Topic = p.Topic
		}
		rp := fetchPartitionResponse(version, p.Partition, results[i])
		if results[i].Err != nil {
			rp.ErrorCode = a.partitionErrorCode(p.Topic, p.Partition, results[i].Err)
		}
		rt.Partitions = append(rt.Partitions, rp)
	}
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
