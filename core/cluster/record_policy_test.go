package cluster

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/gokafka/kafka/core/record"
)

func batchAt(t *testing.T, ts int64, key []byte) []byte {
	t.Helper()
	b, err := record.BuildBatch([]record.Record{{Key: key, Value: []byte("v")}}, record.CodecGzip, ts)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRecordPolicy(t *testing.T) {
	now := time.Now().UnixMilli()
	hourAgo := now - time.Hour.Milliseconds()
	cases := []struct {
		name   string
		policy RecordPolicy
		batch  []byte
		want   error
	}{
		{"defaults accept old keyless records", DefaultRecordPolicy(), batchAt(t, hourAgo, nil), nil},
		{"old record outside the window", RecordPolicy{TimestampDiffMaxMs: 60000}, batchAt(t, hourAgo, []byte("k")), kerr.InvalidTimestamp},
		{"recent record inside the window", RecordPolicy{TimestampDiffMaxMs: 60000}, batchAt(t, now, nil), nil},
		{"LogAppendTime ignores the window", RecordPolicy{TimestampDiffMaxMs: 60000, LogAppendTime: true}, batchAt(t, hourAgo, nil), nil},
		{"compacted topic rejects a keyless record", RecordPolicy{RequireKeys: true, TimestampDiffMaxMs: math.MaxInt64}, batchAt(t, now, nil), kerr.InvalidRecord},
		{"compacted topic takes keyed records", RecordPolicy{RequireKeys: true, TimestampDiffMaxMs: math.MaxInt64}, batchAt(t, now, []byte("k")), nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.policy.checkRecords(c.batch, "t-0")
			if (c.want == nil) != (err == nil) || (c.want != nil && !errors.Is(err, c.want)) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
		})
	}
}
