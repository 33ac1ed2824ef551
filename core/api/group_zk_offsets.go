package api

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gokafka/kafka/core/coordinator/group"
	"github.com/gokafka/kafka/zkutil"
)

// OffsetCommit and OffsetFetch version 0 keep offsets in ZooKeeper, at
// /consumers/<group>/offsets/<topic>/<partition> (the offset as decimal
// text), as Kafka 2.x still does for those versions.

func consumerOffsetPath(groupID string, tp group.TopicPartition) string {
	return fmt.Sprintf("/consumers/%s/offsets/%s/%d", groupID, tp.Topic, tp.Partition)
}

// commitOffsetsToZk stores v0 commits; metadata is checked but not kept.
func (a *KafkaApis) commitOffsetsToZk(groupID string, body *kmsg.OffsetCommitRequest) map[group.TopicPartition]int16 {
	codes := map[group.TopicPartition]int16{}
	for _, t := range body.Topics {
		for _, p := range t.Partitions {
			tp := group.TopicPartition{Topic: t.Topic, Partition: p.Partition}
			switch {
			case !a.knownPartition(tp):
				codes[tp] = kerr.UnknownTopicOrPartition.Code
			case p.Metadata != nil && len(*p.Metadata) > a.groups.OffsetMetadataMaxBytes():
				codes[tp] = kerr.OffsetMetadataTooLarge.Code
			default:
				codes[tp] = a.setConsumerOffset(consumerOffsetPath(groupID, tp), p.Offset)
			}
		}
	}
	return codes
}

func (a *KafkaApis) setConsumerOffset(path string, offset int64) int16 {
	data := []byte(strconv.FormatInt(offset, 10))
	_, err := a.zk.SetData(path, data, -1)
	if errors.Is(err, zkutil.ErrNoNode) {
		err = a.zk.CreateRecursive(path, data)
		if errors.Is(err, zkutil.ErrNodeExists) {
			_, err = a.zk.SetData(path, data, -1)
		}
	}
	if err != nil {
		a.log.Warnf("Cannot store offset in ZooKeeper at %s: %v", path, err)
		return kerr.UnknownServerError.Code
	}
	return 0
}

// fetchOffsetsFromZk answers OffsetFetch v0.
func (a *KafkaApis) fetchOffsetsFromZk(body *kmsg.OffsetFetchRequest) kmsg.Response {
	resp := body.ResponseKind().(*kmsg.OffsetFetchResponse)
	for _, t := range body.Topics {
		rt := kmsg.NewOffsetFetchResponseTopic()
		rt.Topic = t.Topic
		for _, p := range t.Partitions {
			tp := group.TopicPartition{Topic: t.Topic, Partition: p}
			f := group.FetchedOffset{Offset: -1, LeaderEpoch: -1, Error: kerr.UnknownTopicOrPartition.Code}
			if a.knownPartition(tp) {
				data, _, err := a.zk.GetData(consumerOffsetPath(body.Group, tp))
				switch {
				case err == nil:
					if off, perr := strconv.ParseInt(string(data), 10, 64); perr == nil {
						f = group.FetchedOffset{Offset: off, LeaderEpoch: -1}
					} else {
						f.Error = kerr.UnknownServerError.Code
					}
				case !errors.Is(err, zkutil.ErrNoNode):
					f.Error = kerr.UnknownServerError.Code
				}
			}
			rt.Partitions = append(rt.Partitions, fetchedPartition(p, f))
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp
}

func (a *KafkaApis) knownPartition(tp group.TopicPartition) bool {
	_, ok := a.cache.Partition(tp.Topic, tp.Partition)
	return ok
}
