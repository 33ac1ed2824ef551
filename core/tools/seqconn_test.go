package tools

import (
	"encoding/binary"
	"testing"

	"github.com/gokafka/kafka/core/record"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func TestFixProduceSequences(t *testing.T) {
	for _, version := range []int16{3, 7, 9} {
		o := record.DefaultBatchOptions(record.CodecNone, 1000)
		o.BaseSequence = 0 // what franz-go writes without idempotence
		raw, err := record.BuildBatchWith(o, []record.Record{{Value: []byte("v")}})
		if err != nil {
			t.Fatal(err)
		}
		req := kmsg.NewPtrProduceRequest()
		req.Version, req.Acks, req.TimeoutMillis = version, 1, 1000
		tp := kmsg.NewProduceRequestTopic()
		tp.Topic = "t"
		pp := kmsg.NewProduceRequestTopicPartition()
		pp.Records = raw
		tp.Partitions = append(tp.Partitions, pp)
		req.Topics = append(req.Topics, tp)
		frame := kmsg.NewRequestFormatter(kmsg.FormatterClientID("console-producer")).AppendRequest(nil, req, 7)
		fixProduceSequences(frame[4:])

		body := frame[4+8+2+len("console-producer"):]
		if req.IsFlexible() {
			body = body[1:]
		}
		got := kmsg.NewPtrProduceRequest()
		got.Version = version
		if err := got.ReadFrom(body); err != nil {
			t.Fatal(err)
		}
		b := record.Batch(got.Topics[0].Partitions[0].Records)
		if b.BaseSequence() != -1 || !b.IsValidCRC() || int(binary.BigEndian.Uint32(frame))+4 != len(frame) {
			t.Errorf("v%d: base sequence %d, crc valid %v", version, b.BaseSequence(), b.IsValidCRC())
		}
	}
}
