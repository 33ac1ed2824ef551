package cluster

import (
	"fmt"
	"math"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/gokafka/kafka/core/record"
)

// RecordPolicy holds the topic settings that restrict what a producer may
// append, beyond the batch checks the log always makes.
type RecordPolicy struct {
	// RequireKeys is set for compacted topics: a record without a key could
	// never be cleaned.
	RequireKeys bool
	// TimestampDiffMaxMs is message.timestamp.difference.max.ms; it applies
	// to CreateTime topics. math.MaxInt64 disables the check.
	TimestampDiffMaxMs int64
	LogAppendTime      bool
}

// DefaultRecordPolicy accepts everything the log accepts.
func DefaultRecordPolicy() RecordPolicy {
	return RecordPolicy{TimestampDiffMaxMs: math.MaxInt64}
}

// SetRecordPolicy installs the topic's record policy.
func (p *Partition) SetRecordPolicy(rp RecordPolicy) {
	p.mu.Lock()
	p.policy = rp
	p.mu.Unlock()
}

// checkRecords applies the record policy to a produce request's v2
// batches. Timestamps are checked on the batch header's first and max
// timestamps; keys need the records decoded, which only compacted topics
// pay for (Kafka's LogValidator walks every record for both). Legacy
// (magic 0/1) sets are converted by the log and not checked here.
func (rp RecordPolicy) checkRecords(records []byte, topicPartition string) error {
	checkTime := !rp.LogAppendTime && rp.TimestampDiffMaxMs != math.MaxInt64
	if !checkTime && !rp.RequireKeys {
		return nil
	}
	if len(records) > 16 && records[16] < 2 {
		return nil
	}
	now := time.Now().UnixMilli()
	var err error
	record.Iterate(records, func(b record.Batch) bool {
		if checkTime {
			for _, ts := range []int64{b.FirstTimestamp(), b.MaxTimestamp()} {
				if ts != record.NoTimestamp && (ts < now-rp.TimestampDiffMaxMs || ts > now+rp.TimestampDiffMaxMs) {
					err = fmt.Errorf("%w: Timestamp %d of message with offset %d is out of range. The timestamp should be within [%d, %d]",
						kerr.InvalidTimestamp, ts, b.BaseOffset(), now-rp.TimestampDiffMaxMs, now+rp.TimestampDiffMaxMs)
					return false
				}
			}
		}
		if rp.RequireKeys {
			recs, derr := record.DecodeRecords(b)
			if derr != nil {
				err = derr
				return false
			}
			for _, r := range recs {
				if r.Key == nil {
					err = fmt.Errorf("%w: Compacted topic cannot accept message without key in topic partition %s.", kerr.InvalidRecord, topicPartition)
					return false
				}
			}
		}
		return true
	})
	return err
}
