package api

import (
	"sort"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gokafka/kafka/core/coordinator/group"
)

// handleOffsetCommit stores a group's offsets in __consumer_offsets;
// version 0 in ZooKeeper.
func (a *KafkaApis) handleOffsetCommit(body *kmsg.OffsetCommitRequest) kmsg.Response {
	resp := body.ResponseKind().(*kmsg.OffsetCommitResponse)
	if body.Version == 0 {
		return offsetCommitResponse(resp, body, a.commitOffsetsToZk(body.Group, body))
	}
	generation, memberID := body.Generation, body.MemberID
	now := time.Now().UnixMilli()
	offsets := map[group.TopicPartition]group.OffsetAndMetadata{}
	codes := map[group.TopicPartition]int16{}
	for _, t := range body.Topics {
		for _, p := range t.Partitions {
			tp := group.TopicPartition{Topic: t.Topic, Partition: p.Partition}
			if _, ok := a.cache.Partition(t.Topic, p.Partition); !ok {
				codes[tp] = kerr.UnknownTopicOrPartition.Code
				continue
			}
			om := group.OffsetAndMetadata{Offset: p.Offset, LeaderEpoch: -1, CommitTimestamp: now, ExpireTimestamp: -1}
			if body.Version >= 6 {
				om.LeaderEpoch = p.LeaderEpoch
			}
			if p.Metadata != nil {
				om.Metadata = *p.Metadata
			}
			if body.Version == 1 && p.Timestamp != -1 {
				om.CommitTimestamp = p.Timestamp
			}
			if body.Version >= 2 && body.Version <= 4 && body.RetentionTimeMillis != -1 {
				om.ExpireTimestamp = now + body.RetentionTimeMillis
			}
			offsets[tp] = om
		}
	}
	if len(offsets) > 0 {
		for tp, code := range a.groups.HandleCommitOffsets(body.Group, memberID, body.InstanceID, generation, offsets) {
			codes[tp] = code
		}
	}
	return offsetCommitResponse(resp, body, codes)
}

func offsetCommitResponse(resp *kmsg.OffsetCommitResponse, body *kmsg.OffsetCommitRequest, codes map[group.TopicPartition]int16) kmsg.Response {
	for _, t := range body.Topics {
		rt := kmsg.NewOffsetCommitResponseTopic()
		rt.Topic = t.Topic
		for _, p := range t.Partitions {
			rp := kmsg.NewOffsetCommitResponseTopicPartition()
			rp.Partition = p.Partition
			rp.ErrorCode = codes[group.TopicPartition{Topic: t.Topic, Partition: p.Partition}]
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp
}

// handleOffsetFetch returns committed offsets; -1 means none. Version 0
// reads ZooKeeper. From v2 a
// null topic list asks for every partition the group committed, and group
// errors go in the top-level error code instead of every partition.
func (a *KafkaApis) handleOffsetFetch(body *kmsg.OffsetFetchRequest) kmsg.Response {
	if body.Version == 0 {
		return a.fetchOffsetsFromZk(body)
	}
	resp := body.ResponseKind().(*kmsg.OffsetFetchResponse)
	var partitions []group.TopicPartition
	all := body.Version >= 2 && body.Topics == nil
	if !all {
		partitions = []group.TopicPartition{}
		for _, t := range body.Topics {
			for _, p := range t.Partitions {
				partitions = append(partitions, group.TopicPartition{Topic: t.Topic, Partition: p})
			}
		}
	}
	code, offsets := a.groups.HandleFetchOffsets(body.Group, body.RequireStable, partitions)
	if code != 0 {
		resp.ErrorCode = code
		if body.Version < 2 {
			for _, t := range body.Topics {
				rt := kmsg.NewOffsetFetchResponseTopic()
				rt.Topic = t.Topic
				for _, p := range t.Partitions {
					rt.Partitions = append(rt.Partitions, fetchedPartition(p, group.FetchedOffset{Offset: -1, LeaderEpoch: -1, Error: code}))
				}
				resp.Topics = append(resp.Topics, rt)
			}
		}
		return resp
	}
	if all {
		byTopic := map[string][]int32{}
		for tp := range offsets {
			byTopic[tp.Topic] = append(byTopic[tp.Topic], tp.Partition)
		}
		topics := make([]string, 0, len(byTopic))
		for t := range byTopic {
			topics = append(topics, t)
		}
		sort.Strings(topics)
		for _, t := range topics {
			ps := byTopic[t]
			sort.Slice(ps, func(i, j int) bool { return ps[i] < ps[j] })
			rt := kmsg.NewOffsetFetchResponseTopic()
			rt.Topic = t
			for _, p := range ps {
				rt.Partitions = append(rt.Partitions, fetchedPartition(p, offsets[group.TopicPartition{Topic: t, Partition: p}]))
			}
			resp.Topics = append(resp.Topics, rt)
		}
		return resp
	}
	for _, t := range body.Topics {
		rt := kmsg.NewOffsetFetchResponseTopic()
		rt.Topic = t.Topic
		for _, p := range t.Partitions {
			rt.Partitions = append(rt.Partitions, fetchedPartition(p, offsets[group.TopicPartition{Topic: t.Topic, Partition: p}]))
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp
}

func fetchedPartition(p int32, f group.FetchedOffset) kmsg.OffsetFetchResponseTopicPartition {
	rp := kmsg.NewOffsetFetchResponseTopicPartition()
	rp.Partition = p
	rp.Offset = f.Offset
	rp.LeaderEpoch = f.LeaderEpoch
	md := f.Metadata
	rp.Metadata = &md
	rp.ErrorCode = f.Error
	return rp
}

// handleOffsetDelete deletes offsets of partitions a group no longer
// consumes.
func (a *KafkaApis) handleOffsetDelete(body *kmsg.OffsetDeleteRequest) kmsg.Response {
	resp := body.ResponseKind().(*kmsg.OffsetDeleteResponse)
	codes := map[group.TopicPartition]int16{}
	var known []group.TopicPartition
	for _, t := range body.Topics {
		for _, p := range t.Partitions {
			tp := group.TopicPartition{Topic: t.Topic, Partition: p.Partition}
			if _, ok := a.cache.Partition(t.Topic, p.Partition); !ok {
				codes[tp] = kerr.UnknownTopicOrPartition.Code
				continue
			}
			known = append(known, tp)
		}
	}
	code, result := a.groups.HandleDeleteOffsets(body.Group, known)
	if code != 0 {
		resp.ErrorCode = code
		return resp
	}
	for tp, c := range result {
		codes[tp] = c
	}
	for _, t := range body.Topics {
		rt := kmsg.NewOffsetDeleteResponseTopic()
		rt.Topic = t.Topic
		for _, p := range t.Partitions {
			rp := kmsg.NewOffsetDeleteResponseTopicPartition()
			rp.Partition = p.Partition
			rp.ErrorCode = codes[group.TopicPartition{Topic: t.Topic, Partition: p.Partition}]
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp
}
