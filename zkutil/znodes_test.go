package zkutil

import (
	"reflect"
	"strings"
	"testing"
)

func plaintext(host string, port int32) EndPoint {
	return EndPoint{ListenerName: "PLAINTEXT", Host: host, Port: port, SecurityProtocol: "PLAINTEXT"}
}

// The strings below are what a Kafka 2.x broker (Scala 2.12 build) writes.
func TestEncodeBrokerInfoV4(t *testing.T) {
	b := BrokerInfo{ID: 1, Endpoints: []EndPoint{plaintext("node1", 9092)}, JmxPort: -1, Timestamp: 1620000000000}
	want := `{"listener_security_protocol_map":{"PLAINTEXT":"PLAINTEXT"},"endpoints":["PLAINTEXT://node1:9092"],` +
		`"jmx_port":-1,"host":"node1","timestamp":"1620000000000","port":9092,"version":4}`
	if got := string(EncodeBrokerInfo(b)); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func TestEncodeBrokerInfoRackAndVersion5(t *testing.T) {
	b := BrokerInfo{ID: 1, Endpoints: []EndPoint{plaintext("node1", 9092)}, JmxPort: 9999, Timestamp: 5, Rack: "r1"}
	want := `{"listener_security_protocol_map":{"PLAINTEXT":"PLAINTEXT"},"endpoints":["PLAINTEXT://node1:9092"],` +
		`"rack":"r1","jmx_port":9999,"host":"node1","timestamp":"5","port":9092,"version":4}`
	if got := string(EncodeBrokerInfo(b)); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	b.Version, b.Rack = 5, ""
	got, err := DecodeBrokerInfo(1, EncodeBrokerInfo(b))
	if err != nil || got.Version != 5 || len(got.Endpoints) != 1 || got.Endpoints[0] != plaintext("node1", 9092) {
		t.Fatalf("round trip v5: %+v %v", got, err)
	}
}

func TestEncodeBrokerInfoWithoutPlaintext(t *testing.T) {
	b := BrokerInfo{ID: 2, JmxPort: -1, Timestamp: 7, Endpoints: []EndPoint{
		{ListenerName: "INTERNAL", Host: "h", Port: 9093, SecurityProtocol: "SSL"}}}
	got, err := DecodeBrokerInfo(2, EncodeBrokerInfo(b))
	if err != nil {
		t.Fatal(err)
	}
	if got.Endpoints[0] != b.Endpoints[0] || got.Timestamp != 7 {
		t.Fatalf("got %+v", got)
	}
	if s := string(EncodeBrokerInfo(b)); !strings.Contains(s, `"host":null`) || !strings.Contains(s, `"port":-1`) {
		t.Fatalf("expected null host and -1 port: %s", s)
	}
}

func TestDecodeBrokerInfoOldVersions(t *testing.T) {
	v1 := `{"version":1,"host":"localhost","port":9092,"jmx_port":9999,"timestamp":"2233345666"}`
	b, err := DecodeBrokerInfo(3, []byte(v1))
	if err != nil || b.ID != 3 || b.JmxPort != 9999 || b.Timestamp != 2233345666 ||
		!reflect.DeepEqual(b.Endpoints, []EndPoint{plaintext("localhost", 9092)}) {
		t.Fatalf("v1: %+v %v", b, err)
	}
	v3 := `{"version":3,"host":"localhost","port":9092,"jmx_port":9999,"timestamp":"2233345666",` +
		`"endpoints":["PLAINTEXT://host1:9092","SSL://host1:9093"],"rack":"dc1"}`
	b, err = DecodeBrokerInfo(3, []byte(v3))
	if err != nil || b.Rack != "dc1" || len(b.Endpoints) != 2 || b.Endpoints[1].SecurityProtocol != "SSL" {
		t.Fatalf("v3: %+v %v", b, err)
	}
	v4 := `{"version":4,"host":"localhost","port":9092,"jmx_port":9999,"timestamp":"2233345666",` +
		`"endpoints":["CLIENT://host1:9092","REPLICATION://[::1]:9093"],"rack":"dc1",` +
		`"listener_security_protocol_map":{"CLIENT":"SSL","REPLICATION":"PLAINTEXT"}}`
	b, err = DecodeBrokerInfo(3, []byte(v4))
	if err != nil {
		t.Fatal(err)
	}
	want := []EndPoint{{"CLIENT", "host1", 9092, "SSL"}, {"REPLICATION", "::1", 9093, "PLAINTEXT"}}
	if !reflect.DeepEqual(b.Endpoints, want) {
		t.Fatalf("v4 endpoints %+v", b.Endpoints)
	}
	if got := b.Endpoints[1].ConnectionString(); got != "REPLICATION://[::1]:9093" {
		t.Fatalf("ipv6 connection string %s", got)
	}
	if _, err := DecodeBrokerInfo(3, []byte(`{"version":0}`)); err == nil {
		t.Fatal("version 0 must be rejected")
	}
	if _, err := DecodeBrokerInfo(3, []byte(`nope`)); err == nil ||
		err.Error() != "Failed to parse ZooKeeper registration for broker 3: nope" {
		t.Fatalf("bad json error: %v", err)
	}
}

func TestControllerCodecs(t *testing.T) {
	if got := string(EncodeController(1, 1620000000000)); got != `{"version":1,"brokerid":1,"timestamp":"1620000000000"}` {
		t.Fatal(got)
	}
	if id, err := DecodeController([]byte(`{"version":1,"brokerid":7,"timestamp":"1"}`)); err != nil || id != 7 {
		t.Fatal(id, err)
	}
	if got := string(EncodeControllerEpoch(12)); got != "12" {
		t.Fatal(got)
	}
	if e, err := DecodeControllerEpoch([]byte("3")); err != nil || e != 3 {
		t.Fatal(e, err)
	}
}

func TestTopicAssignmentCodec(t *testing.T) {
	a := TopicAssignment{Topic: "t", TopicID: "eV4ZQlItSNyaKQVVy4X6Zg",
		Partitions: map[int32][]int32{0: {2, 3, 1}, 1: {3, 1, 2}, 2: {1, 2, 3}}}
	want := `{"removing_replicas":{},"partitions":{"2":[1,2,3],"1":[3,1,2],"0":[2,3,1]},` +
		`"topic_id":"eV4ZQlItSNyaKQVVy4X6Zg","adding_replicas":{},"version":3}`
	if got := string(EncodeTopicAssignment(a)); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	got, err := DecodeTopicAssignment("t", []byte(want))
	if err != nil || got.TopicID != a.TopicID || !reflect.DeepEqual(got.Partitions, a.Partitions) {
		t.Fatalf("%+v %v", got, err)
	}
	v1 := `{"version":1,"partitions":{"0":[1,2],"1":[2,3]}}`
	got, err = DecodeTopicAssignment("t", []byte(v1))
	if err != nil || got.TopicID != "" || !reflect.DeepEqual(got.Partitions, map[int32][]int32{0: {1, 2}, 1: {2, 3}}) {
		t.Fatalf("v1 %+v %v", got, err)
	}
	v2 := `{"version":2,"partitions":{"0":[1,2,3]},"adding_replicas":{"0":[3]},"removing_replicas":{"0":[1]}}`
	got, err = DecodeTopicAssignment("t", []byte(v2))
	if err != nil || !reflect.DeepEqual(got.AddingReplicas, map[int32][]int32{0: {3}}) ||
		!reflect.DeepEqual(got.RemovingReplicas, map[int32][]int32{0: {1}}) {
		t.Fatalf("v2 %+v %v", got, err)
	}
	// without topic id: no topic_id key, still version 3
	a.TopicID = ""
	if s := string(EncodeTopicAssignment(a)); strings.Contains(s, "topic_id") || !strings.Contains(s, `"version":3`) {
		t.Fatal(s)
	}
}

func TestPartitionStateCodec(t *testing.T) {
	s := LeaderIsr{Leader: 1, LeaderEpoch: 0, Isr: []int32{1, 2, 3}, ControllerEpoch: 1}
	want := `{"controller_epoch":1,"leader":1,"version":1,"leader_epoch":0,"isr":[1,2,3]}`
	if got := string(EncodePartitionState(s)); got != want {
		t.Fatal(got)
	}
	got, err := DecodePartitionState([]byte(want), 4)
	s.ZkVersion = 4
	if err != nil || !reflect.DeepEqual(got, s) {
		t.Fatalf("%+v %v", got, err)
	}
}

func TestSmallCodecs(t *testing.T) {
	cases := []struct{ got, want string }{
		{string(EncodeClusterID("abc")), `{"version":"1","id":"abc"}`},
		{string(EncodeEntityConfig(map[string]string{"retention.ms": "86400000"})),
			`{"version":1,"config":{"retention.ms":"86400000"}}`},
		{string(EncodeEntityConfig(nil)), `{"version":1,"config":{}}`},
		{string(EncodeConfigChangeNotification("topics/t")), `{"version":2,"entity_path":"topics/t"}`},
		{string(EncodePartitionList([]TopicPartition{{"t", 0}})), `{"version":1,"partitions":[{"topic":"t","partition":0}]}`},
		{string(EncodeReassignment(map[TopicPartition][]int32{{"t", 0}: {1, 2}})),
			`{"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1,2]}]}`},
		{string(EncodeProducerIDBlock(ProducerIDBlock{1, 0, 999})),
			`{"version":1,"broker":1,"block_start":"0","block_end":"999"}`},
		{string(EncodeLogDirEvent(1)), `{"version":1,"broker":1,"event":1}`},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("got %s want %s", c.got, c.want)
		}
	}
	if id, err := DecodeClusterID([]byte(`{"version":"1","id":"abc"}`)); err != nil || id != "abc" {
		t.Error(id, err)
	}
	if cfg, err := DecodeEntityConfig([]byte(`{"version":1,"config":{"a":"1","b":"x"}}`)); err != nil ||
		!reflect.DeepEqual(cfg, map[string]string{"a": "1", "b": "x"}) {
		t.Error(cfg, err)
	}
	if p, err := DecodeConfigChangeNotification([]byte(`{"version":1,"entity_type":"topics","entity_name":"t"}`)); err != nil || p != "topics/t" {
		t.Error(p, err)
	}
	if tps, err := DecodePartitionList([]byte(`{"version":1,"partitions":[{"topic":"t","partition":2}]}`)); err != nil ||
		!reflect.DeepEqual(tps, []TopicPartition{{"t", 2}}) {
		t.Error(tps, err)
	}
	if b, err := DecodeProducerIDBlock([]byte(`{"version":1,"broker":1,"block_start":"1000","block_end":"1999"}`)); err != nil ||
		b != (ProducerIDBlock{1, 1000, 1999}) {
		t.Error(b, err)
	}
	if r, err := DecodeReassignment([]byte(`{"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1,2]}]}`)); err != nil ||
		!reflect.DeepEqual(r, map[TopicPartition][]int32{{"t", 0}: {1, 2}}) {
		t.Error(r, err)
	}
	if s := SequenceNumber("isr_change_0000000012", IsrChangePrefix); s != "0000000012" {
		t.Error(s)
	}
}

func TestPersistentPaths(t *testing.T) {
	want := []string{"/consumers", "/brokers/ids", "/brokers/topics", "/config/changes", "/admin/delete_topics",
		"/brokers/seqid", "/isr_change_notification", "/latest_producer_id_block", "/log_dir_event_notification",
		"/config/topics", "/config/clients", "/config/users", "/config/brokers", "/config/ips"}
	if !reflect.DeepEqual(PersistentZkPaths, want) {
		t.Fatal(PersistentZkPaths)
	}
	if p := TopicPartitionStatePath(TopicPartition{"t", 3}); p != "/brokers/topics/t/partitions/3/state" {
		t.Fatal(p)
	}
}

func TestGenerateUUID(t *testing.T) {
	for i := 0; i < 100; i++ {
		id := GenerateUUID()
		if len(id) != 22 || id[0] == '-' {
			t.Fatal(id)
		}
	}
}
