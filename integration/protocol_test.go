package integration

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// kafka28Max is Kafka 2.8's (ZooKeeper mode) highest version per API key
// (research notes, kafka2-facts §8).
var kafka28Max = map[int16]int16{
	0: 9, 1: 12, 2: 6, 3: 11, 4: 5, 5: 3, 6: 7, 7: 3, 8: 8, 9: 7, 10: 3, 11: 7, 12: 4, 13: 4, 14: 5, 15: 5, 16: 4,
	17: 1, 18: 3, 19: 7, 20: 6, 21: 2, 22: 4, 23: 4, 24: 3, 25: 3, 26: 3, 27: 1, 28: 3, 29: 2, 30: 2, 31: 2,
	32: 4, 33: 2, 34: 2, 35: 2, 36: 2, 37: 3, 38: 2, 39: 2, 40: 2, 41: 2, 42: 2, 43: 2, 44: 1, 45: 0, 46: 0,
	47: 0, 48: 1, 49: 1, 50: 0, 51: 0, 56: 0, 57: 0, 60: 0, 61: 0,
}

// interBroker keys are sent by controllers and brokers; a client poking
// them could disturb the cluster, so the sweep leaves them out.
var interBroker = map[int16]bool{4: true, 5: true, 6: true, 7: true, 27: true, 56: true, 57: true}

// TestProtocolSweep asks ApiVersions what the broker supports, compares the
// ranges with Kafka 2.8, then sends every supported version of every
// client-facing API with default (mostly empty) fields. Each must get a
// response with the right correlation id that decodes at that version and
// re-encodes to the same bytes (no missing, extra or misplaced fields,
// flexible versions included) — not a closed connection.
func TestProtocolSweep(t *testing.T) {
	c := StartCluster(t, nil)
	CreateTopic(t, c.Bootstrap(), "sweep", 1, nil)
	addr := c.B().Addr()

	conn := dial(t, addr)
	av := kmsg.NewPtrApiVersionsRequest()
	av.Version = 3
	av.ClientSoftwareName, av.ClientSoftwareVersion = "integration", "1"
	resp, err := RoundTrip(conn, av, 1, 10*time.Second)
	if err != nil {
		t.Fatalf("ApiVersions v3: %v", err)
	}
	keys := resp.(*kmsg.ApiVersionsResponse).ApiKeys
	sort.Slice(keys, func(i, j int) bool { return keys[i].ApiKey < keys[j].ApiKey })
	advertised := map[int16]bool{}
	var missing []string
	for _, k := range keys {
		advertised[k.ApiKey] = true
		want, known := kafka28Max[k.ApiKey]
		switch {
		case !known:
			t.Errorf("advertises API key %d, which Kafka 2.8 does not have", k.ApiKey)
		case k.MinVersion != 0 || k.MaxVersion != want:
			t.Errorf("%s: advertises v%d..v%d, Kafka 2.8 has v0..v%d", kmsg.NameForKey(k.ApiKey), k.MinVersion, k.MaxVersion, want)
		}
	}
	for k := range kafka28Max {
		if !advertised[k] {
			missing = append(missing, kmsg.NameForKey(k))
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Logf("Kafka 2.8 APIs this broker does not advertise: %s", strings.Join(missing, ", "))
	}

	corr := int32(100)
	for _, k := range keys {
		if interBroker[k.ApiKey] {
			continue
		}
		for v := k.MinVersion; v <= k.MaxVersion; v++ {
			corr++
			req := kmsg.RequestForKey(k.ApiKey)
			if req == nil {
				t.Logf("franz-go has no request type for key %d", k.ApiKey)
				break
			}
			req.SetVersion(v)
			if p, ok := req.(*kmsg.ProduceRequest); ok {
				p.Acks = 1 // acks=0 would get no response at all
				p.TimeoutMillis = 1000
			}
			if f, ok := req.(*kmsg.FetchRequest); ok {
				f.MaxWaitMillis = 10
			}
			// Default ACL filters carry UNKNOWN (0) enums, which Kafka
			// cannot parse and answers by closing the connection.
			switch r := req.(type) {
			case *kmsg.DescribeACLsRequest:
				r.ResourceType, r.ResourcePatternType, r.Operation, r.PermissionType = 1, 3, 1, 1
			case *kmsg.CreateACLsRequest:
				c := kmsg.NewCreateACLsRequestCreation()
				c.ResourceType, c.ResourceName, c.ResourcePatternType = 2, "sweep", 3
				c.Principal, c.Host, c.Operation, c.PermissionType = "User:sweep", "*", 3, 3
				r.Creations = append(r.Creations, c)
			case *kmsg.DeleteACLsRequest:
				f := kmsg.NewDeleteACLsRequestFilter()
				f.ResourceType, f.ResourcePatternType, f.Operation, f.PermissionType = 1, 3, 1, 1
				r.Filters = append(r.Filters, f)
			}
			if err := sweepOne(addr, req, corr); err != nil {
				t.Errorf("%s v%d: %v", kmsg.NameForKey(k.ApiKey), v, err)
			}
		}
	}
	if !c.B().Running() {
		t.Fatal("the broker exited during the sweep")
	}

	t.Run("produce-and-fetch-every-version", func(t *testing.T) {
		// One real batch per Produce version 3..9 (v2 batches need v3+),
		// each appended right after the previous one.
		conn := dial(t, addr)
		next := int64(0)
		for v := int16(3); v <= 9; v++ {
			req := kmsg.NewPtrProduceRequest()
			req.Version = v
			req.Acks = -1
			req.TimeoutMillis = 5000
			rt := kmsg.NewProduceRequestTopic()
			rt.Topic = "sweep"
			rp := kmsg.NewProduceRequestTopicPartition()
			rp.Records = oneBatch(t, fmt.Sprintf("produced with v%d", v))
			rt.Partitions = append(rt.Partitions, rp)
			req.Topics = append(req.Topics, rt)
			resp, err := RoundTrip(conn, req, 500+int32(v), 10*time.Second)
			if err != nil {
				t.Fatalf("Produce v%d: %v", v, err)
			}
			pp := resp.(*kmsg.ProduceResponse).Topics[0].Partitions[0]
			if pp.ErrorCode != 0 || pp.BaseOffset != next {
				t.Errorf("Produce v%d: error %d base offset %d, want 0 and %d", v, pp.ErrorCode, pp.BaseOffset, next)
			}
			next++
		}
		// acks=0: no response; the next request's answer comes first.
		req := kmsg.NewPtrProduceRequest()
		req.Version = 7
		req.Acks = 0
		req.TimeoutMillis = 5000
		rt := kmsg.NewProduceRequestTopic()
		rt.Topic = "sweep"
		rp := kmsg.NewProduceRequestTopicPartition()
		rp.Records = oneBatch(t, "acks=0")
		rt.Partitions = append(rt.Partitions, rp)
		req.Topics = append(req.Topics, rt)
		if _, err := conn.Write(EncodeRequest(req, 600, "sweep")); err != nil {
			t.Fatal(err)
		}
		av := kmsg.NewPtrApiVersionsRequest()
		if _, err := RoundTrip(conn, av, 601, 10*time.Second); err != nil {
			t.Errorf("request after an acks=0 produce: %v (the broker must not answer acks=0)", err)
		}
		next++

		// Every Fetch version reads the first batch at offset 0: v4+ as a
		// v2 batch, v0..v3 down-converted to an old message set.
		for v := int16(0); v <= 12; v++ {
			f := kmsg.NewPtrFetchRequest()
			f.Version = v
			f.ReplicaID = -1
			f.MaxWaitMillis = 100
			f.MinBytes = 1
			f.MaxBytes = 1 << 20
			f.SessionEpoch = -1
			ft := kmsg.NewFetchRequestTopic()
			ft.Topic = "sweep"
			fp := kmsg.NewFetchRequestTopicPartition()
			fp.PartitionMaxBytes = 1 << 20
			fp.CurrentLeaderEpoch = -1
			fp.LogStartOffset = -1
			ft.Partitions = append(ft.Partitions, fp)
			f.Topics = append(f.Topics, ft)
			resp, err := RoundTrip(conn, f, 700+int32(v), 10*time.Second)
			if err != nil {
				t.Errorf("Fetch v%d: %v", v, err)
				continue
			}
			fr := resp.(*kmsg.FetchResponse)
			p := fr.Topics[0].Partitions[0]
			if p.ErrorCode != 0 || p.HighWatermark != next || len(p.RecordBatches) == 0 {
				t.Errorf("Fetch v%d: error %d, high watermark %d (want %d), %d bytes", v, p.ErrorCode, p.HighWatermark, next, len(p.RecordBatches))
				continue
			}
			magic := p.RecordBatches[16] // offset(8) length(4) epoch-or-crc(4) magic
			if v >= 4 && magic != 2 || v < 4 && magic > 1 {
				t.Errorf("Fetch v%d returned magic %d", v, magic)
			}
			// Fetch v0/v1 carry magic 0, v2/v3 magic 1.
			switch {
			case v < 2:
				var m kmsg.MessageV0
				if err := m.ReadFrom(p.RecordBatches); err != nil || m.Magic != 0 || m.Offset != 0 || string(m.Value) != "produced with v3" {
					t.Errorf("Fetch v%d: first message magic %d offset %d value %q (%v)", v, m.Magic, m.Offset, m.Value, err)
				}
			case v < 4:
				var m kmsg.MessageV1
				if err := m.ReadFrom(p.RecordBatches); err != nil || m.Magic != 1 || m.Offset != 0 || string(m.Value) != "produced with v3" {
					t.Errorf("Fetch v%d: first message magic %d offset %d value %q (%v)", v, m.Magic, m.Offset, m.Value, err)
				}
			}
		}
	})
}

// sweepOne sends req on a fresh connection and checks the response.
func sweepOne(addr string, req kmsg.Request, corr int32) error {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := conn.Write(EncodeRequest(req, corr, "sweep")); err != nil {
		return err
	}
	body, err := ReadFrame(conn)
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return errors.New("no response within 10s")
		}
		return fmt.Errorf("connection closed instead of a response (%v)", err)
	}
	if len(body) < 4 || int32(binary.BigEndian.Uint32(body)) != corr {
		return fmt.Errorf("bad correlation id in %x", body[:min(len(body), 8)])
	}
	body = body[4:]
	if req.IsFlexible() && req.Key() != kmsg.ApiVersions.Int16() {
		if len(body) == 0 || body[0] != 0 {
			return errors.New("response header v1 without empty tagged fields")
		}
		body = body[1:]
	}
	resp := req.ResponseKind()
	resp.SetVersion(req.GetVersion())
	if err := resp.ReadFrom(body); err != nil {
		return fmt.Errorf("response does not decode: %v (%d bytes: %x)", err, len(body), body[:min(len(body), 48)])
	}
	if again := resp.AppendTo(nil); !bytes.Equal(again, body) {
		return fmt.Errorf("response has %d bytes, its decoded form %d: extra or misplaced fields (%x)", len(body), len(again), body[:min(len(body), 48)])
	}
	return nil
}
