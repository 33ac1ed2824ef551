package integration

import (
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// TestMetadataCreatesInternalTopics: as in Kafka 2.8, a Metadata request
// naming __consumer_offsets or __transaction_state creates it with the
// offsets.topic.* / transaction.state.log.* settings, even when the request
// does not allow auto-creation; other unknown topics are not created then.
func TestMetadataCreatesInternalTopics(t *testing.T) {
	c := StartCluster(t, map[string]string{
		"offsets.topic.num.partitions":         "3",
		"transaction.state.log.num.partitions": "4",
	})
	cl := NewClient(t, c.Bootstrap())
	want := map[string]int{"__consumer_offsets": 3, "__transaction_state": 4, "not-internal": -1}
	for topic, partitions := range want {
		deadline := time.Now().Add(30 * time.Second)
		var first int16 = -1
		for {
			req := kmsg.NewPtrMetadataRequest()
			rt := kmsg.NewMetadataRequestTopic()
			rt.Topic = kmsg.StringPtr(topic)
			req.Topics = append(req.Topics, rt)
			req.AllowAutoTopicCreation = false
			resp, err := req.RequestWith(testContext(t, 10*time.Second), cl)
			if err != nil {
				t.Fatalf("metadata %s: %v", topic, err)
			}
			got := resp.Topics[0]
			if first < 0 {
				first = got.ErrorCode
			}
			if partitions < 0 {
				if got.ErrorCode != kerr.UnknownTopicOrPartition.Code {
					t.Errorf("%s: error %d, want UNKNOWN_TOPIC_OR_PARTITION", topic, got.ErrorCode)
				}
				break
			}
			if got.ErrorCode == 0 && len(got.Partitions) == partitions && allLed(got.Partitions) {
				if !got.IsInternal {
					t.Errorf("%s is not flagged internal", topic)
				}
				if first != kerr.LeaderNotAvailable.Code {
					t.Errorf("%s: first answer %d, want LEADER_NOT_AVAILABLE while it is created", topic, first)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: not created with %d led partitions: %s", topic, partitions, spew(got))
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

func allLed(ps []kmsg.MetadataResponseTopicPartition) bool {
	for _, p := range ps {
		if p.Leader < 0 || p.ErrorCode != 0 {
			return false
		}
	}
	return true
}
