package api_test

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gokafka/kafka/core/api"
	"github.com/gokafka/kafka/core/network"
	"github.com/gokafka/kafka/core/server"
	"github.com/gokafka/kafka/zkutil/zktest"
)

// kafka28 is what a Kafka 2.8 broker in ZooKeeper mode advertises: API key
// -> highest version (every minimum is 0). Source: the "zkBroker" listener
// of clients/src/main/resources/common/message/*Request.json at 2.8.2
// (research notes, kafka2-facts §8).
var kafka28 = map[int16]int16{
	0: 9, 1: 12, 2: 6, 3: 11, 4: 5, 5: 3, 6: 7, 7: 3, 8: 8, 9: 7, 10: 3, 11: 7, 12: 4, 13: 4, 14: 5, 15: 5, 16: 4,
	17: 1, 18: 3, 19: 7, 20: 6, 21: 2, 22: 4, 23: 4, 24: 3, 25: 3, 26: 3, 27: 1, 28: 3, 29: 2, 30: 2, 31: 2,
	32: 4, 33: 2, 34: 2, 35: 2, 36: 2, 37: 3, 38: 2, 39: 2, 40: 2, 41: 2, 42: 2, 43: 2, 44: 1, 45: 0, 46: 0,
	47: 0, 48: 1, 49: 1, 50: 0, 51: 0, 56: 0, 57: 0, 60: 0, 61: 0,
}

// omitted lists the Kafka 2.8 keys this broker deliberately does not
// advertise, each of which docs/compatibility.md must name in its "Not
// served" table. A key served later must leave this list (the test fails
// while it is both advertised and listed).
var omitted = map[int16]string{}

// advertised asks a bare KafkaApis (ApiVersions needs no other component)
// for its ApiVersions v3 answer.
func advertised(t *testing.T) map[int16][2]int16 {
	t.Helper()
	a := api.NewKafkaApis(api.Config{BrokerID: 1}, nil, nil, nil, nil, nil)
	req := kmsg.NewPtrApiVersionsRequest()
	req.Version = 3
	resp, err := a.Handle(&network.Request{Header: network.RequestHeader{APIKey: 18, APIVersion: 3}, Body: req})
	if err != nil {
		t.Fatal(err)
	}
	av := resp.(*kmsg.ApiVersionsResponse)
	if av.ErrorCode != 0 {
		t.Fatalf("ApiVersions v3: error %d", av.ErrorCode)
	}
	out := map[int16][2]int16{}
	for _, k := range av.ApiKeys {
		if _, dup := out[k.ApiKey]; dup {
			t.Errorf("key %d advertised twice", k.ApiKey)
		}
		out[k.ApiKey] = [2]int16{k.MinVersion, k.MaxVersion}
	}
	return out
}

func TestAdvertisedVersionsAreKafka28sMinusOmissions(t *testing.T) {
	adv := advertised(t)
	for k, r := range adv {
		want, known := kafka28[k]
		switch {
		case !known:
			t.Errorf("advertises key %d (%s), which a Kafka 2.8 ZooKeeper broker does not", k, kmsg.NameForKey(k))
		case r != [2]int16{0, want}:
			t.Errorf("%s (%d): advertises v%d-v%d, Kafka 2.8 v0-v%d", kmsg.NameForKey(k), k, r[0], r[1], want)
		}
		if _, listed := omitted[k]; listed {
			t.Errorf("%s (%d) is advertised but still in the omission list", kmsg.NameForKey(k), k)
		}
		if req := kmsg.RequestForKey(k); req == nil || req.MaxVersion() < r[1] {
			t.Errorf("%s (%d): kmsg cannot decode up to v%d", kmsg.NameForKey(k), k, r[1])
		}
	}
	for k := range kafka28 {
		if _, ok := adv[k]; !ok {
			if _, listed := omitted[k]; !listed {
				t.Errorf("Kafka 2.8 advertises %s (%d); it is neither served nor in the omission list", kmsg.NameForKey(k), k)
			}
		}
	}
	for k := range omitted {
		if _, ok := kafka28[k]; !ok {
			t.Errorf("omission %d is not a Kafka 2.8 key", k)
		}
	}
}

// docTables reads the key columns of docs/compatibility.md's "API keys"
// table and its "Not served" table.
func docTables(t *testing.T) (served, notServed map[int16]bool) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "docs", "compatibility.md"))
	if err != nil {
		t.Fatal(err)
	}
	served, notServed = map[int16]bool{}, map[int16]bool{}
	var cur map[int16]bool
	row := regexp.MustCompile(`^\|\s*([0-9][0-9,\s\-–]*)\s*\|`)
	for _, line := range strings.Split(string(data), "\n") {
		switch {
		case strings.HasPrefix(line, "## API keys"):
			cur = served
		case strings.HasPrefix(line, "#") && strings.Contains(strings.ToLower(line), "not served"):
			cur = notServed
		case strings.HasPrefix(line, "#"):
			cur = nil
		}
		m := row.FindStringSubmatch(line)
		if cur == nil || m == nil {
			continue
		}
		for _, part := range strings.Split(m[1], ",") {
			part = strings.TrimSpace(strings.ReplaceAll(part, "–", "-"))
			lo, hi, isRange := strings.Cut(part, "-")
			a, err1 := strconv.Atoi(strings.TrimSpace(lo))
			b := a
			var err2 error
			if isRange {
				b, err2 = strconv.Atoi(strings.TrimSpace(hi))
			}
			if err1 != nil || err2 != nil {
				t.Fatalf("docs/compatibility.md: cannot read key column %q", m[1])
			}
			for k := a; k <= b; k++ {
				cur[int16(k)] = true
			}
		}
	}
	return served, notServed
}

func TestCompatibilityDocMatchesAdvertisedKeys(t *testing.T) {
	adv := advertised(t)
	served, notServed := docTables(t)
	for k := range omitted {
		if !notServed[k] {
			t.Errorf("%s (%d) is omitted but docs/compatibility.md's Not served table does not name it", kmsg.NameForKey(k), k)
		}
	}
	for k := range notServed {
		if _, ok := adv[k]; ok {
			t.Errorf("docs/compatibility.md lists %s (%d) as not served, but it is advertised", kmsg.NameForKey(k), k)
		}
	}
	for k := range adv {
		if !served[k] {
			t.Errorf("%s (%d) is advertised but missing from docs/compatibility.md's API keys table", kmsg.NameForKey(k), k)
		}
	}
}

// startBroker runs a one-broker cluster in this process on a real
// ZooKeeper and returns its address.
func startBroker(t *testing.T) string {
	t.Helper()
	zkConnect := zktest.Start(t)
	port := zktest.FreePort(t)
	cfg, err := server.NewKafkaConfig(map[string]string{
		"broker.id":                                "1",
		"zookeeper.connect":                        zkConnect + "/apiversions",
		"listeners":                                fmt.Sprintf("PLAINTEXT://127.0.0.1:%d", port),
		"log.dirs":                                 t.TempDir(),
		"offsets.topic.replication.factor":         "1",
		"offsets.topic.num.partitions":             "1",
		"transaction.state.log.replication.factor": "1",
		"transaction.state.log.min.isr":            "1",
		"group.initial.rebalance.delay.ms":         "0",
	})
	if err != nil {
		t.Fatal(err)
	}
	s := server.NewKafkaServer(cfg)
	if err := s.Startup(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Shutdown)
	return fmt.Sprintf("127.0.0.1:%d", port)
}

// validRequest returns key's default request at version v, with the few
// fields set that a default leaves invalid in a way Kafka 2.8 itself
// refuses to parse (UNKNOWN ACL enums) or that would get no answer
// (acks=0) or wait (fetch max wait).
func validRequest(key, v int16) kmsg.Request {
	req := kmsg.RequestForKey(key)
	req.SetVersion(v)
	switch r := req.(type) {
	case *kmsg.ProduceRequest:
		r.Acks, r.TimeoutMillis = 1, 1000
	case *kmsg.FetchRequest:
		r.MaxWaitMillis, r.MinBytes = 10, 0
	case *kmsg.DescribeACLsRequest:
		r.ResourceType, r.ResourcePatternType, r.Operation, r.PermissionType = 1, 3, 1, 1 // ANY, LITERAL, ANY, ANY
	case *kmsg.CreateACLsRequest:
		c := kmsg.NewCreateACLsRequestCreation()
		c.ResourceType, c.ResourceName, c.ResourcePatternType = 2, "t", 3            // TOPIC t LITERAL
		c.Principal, c.Host, c.Operation, c.PermissionType = "User:alice", "*", 3, 3 // READ ALLOW
		r.Creations = append(r.Creations, c)
	case *kmsg.DeleteACLsRequest:
		f := kmsg.NewDeleteACLsRequestFilter()
		f.ResourceType, f.ResourcePatternType, f.Operation, f.PermissionType = 1, 3, 1, 1
		r.Filters = append(r.Filters, f)
	}
	return req
}

// roundTrip sends req on a new connection and decodes the response; an
// error means no (decodable) answer, e.g. a closed connection.
func roundTrip(addr string, req kmsg.Request, corr int32) (kmsg.Response, error) {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
	var frame []byte
	if req.Key() == 7 && req.GetVersion() == 0 {
		// ControlledShutdown v0's header has no client id (kmsg's
		// formatter leaves its body out).
		frame = binary.BigEndian.AppendUint32(nil, 0)
		frame = binary.BigEndian.AppendUint16(frame, 7)
		frame = binary.BigEndian.AppendUint16(frame, 0)
		frame = binary.BigEndian.AppendUint32(frame, uint32(corr))
		frame = req.AppendTo(frame)
		binary.BigEndian.PutUint32(frame, uint32(len(frame)-4))
	} else {
		frame = kmsg.NewRequestFormatter(kmsg.FormatterClientID("api-versions-test")).AppendRequest(nil, req, corr)
	}
	if _, err := conn.Write(frame); err != nil {
		return nil, err
	}
	r := bufio.NewReader(conn)
	var size [4]byte
	if _, err := io.ReadFull(r, size[:]); err != nil {
		return nil, fmt.Errorf("no response (connection closed or timed out): %v", err)
	}
	body := make([]byte, binary.BigEndian.Uint32(size[:]))
	if _, err := io.ReadFull(r, body); err != nil {
		return nil, err
	}
	if len(body) < 4 || int32(binary.BigEndian.Uint32(body)) != corr {
		return nil, fmt.Errorf("bad correlation id")
	}
	body = body[4:]
	if req.IsFlexible() && req.Key() != 18 {
		if len(body) == 0 || body[0] != 0 {
			return nil, fmt.Errorf("response header v1 without empty tagged fields")
		}
		body = body[1:]
	}
	resp := req.ResponseKind()
	resp.SetVersion(req.GetVersion())
	if err := resp.ReadFrom(body); err != nil {
		return nil, fmt.Errorf("response does not decode: %v", err)
	}
	return resp, nil
}

// TestEveryAdvertisedVersionHasAHandler sends every advertised version of
// every advertised key to a running broker: each must be answered (not
// refused as unsupported by closing the connection) with a response that
// decodes at that version and does not claim UNSUPPORTED_VERSION.
func TestEveryAdvertisedVersionHasAHandler(t *testing.T) {
	if testing.Short() {
		t.Skip("starts ZooKeeper and a broker")
	}
	adv := advertised(t)
	addr := startBroker(t)
	keys := make([]int16, 0, len(adv))
	for k := range adv {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	corr := int32(0)
	for _, k := range keys {
		for v := adv[k][0]; v <= adv[k][1]; v++ {
			corr++
			resp, err := roundTrip(addr, validRequest(k, v), corr)
			if err != nil {
				t.Errorf("%s v%d: %v", kmsg.NameForKey(k), v, err)
				continue
			}
			if code, ok := topLevelError(resp); ok && code == kerr.UnsupportedVersion.Code {
				t.Errorf("%s v%d: answered UNSUPPORTED_VERSION", kmsg.NameForKey(k), v)
			}
		}
	}
	// The broker is still serving after the sweep.
	if _, err := roundTrip(addr, validRequest(3, 11), corr+1); err != nil {
		t.Fatalf("Metadata after the sweep: %v", err)
	}
}

// topLevelError reads a response's top-level ErrorCode field, if it has one.
func topLevelError(resp kmsg.Response) (int16, bool) {
	switch r := resp.(type) {
	case *kmsg.ApiVersionsResponse:
		return r.ErrorCode, true
	case *kmsg.DescribeACLsResponse:
		return r.ErrorCode, true
	case *kmsg.UpdateFeaturesResponse:
		return r.ErrorCode, true
	case *kmsg.AlterPartitionResponse:
		return r.ErrorCode, true
	case *kmsg.DescribeUserSCRAMCredentialsResponse:
		return r.ErrorCode, true
	}
	return 0, false
}
