package group

import (
	"bytes"
	"encoding/hex"
	"reflect"
	"testing"
)

func TestJavaStringHashCode(t *testing.T) {
	// Values of java.lang.String.hashCode.
	cases := map[string]int32{
		"":                   0,
		"a":                  97,
		"Aa":                 2112,
		"BB":                 2112,
		"hello":              99162322,
		"cg1":                98381,
		"Hello World":        -862545276,
		"polygenelubricants": -2147483648,
		"\U0001F600":         1772899, // one code point, two UTF-16 units
	}
	for s, want := range cases {
		if got := JavaStringHashCode(s); got != want {
			t.Errorf("hashCode(%q) = %d, want %d", s, got, want)
		}
	}
}

func TestPartitionFor(t *testing.T) {
	cases := []struct {
		group string
		n     int32
		want  int32
	}{
		{"cg1", 50, 31},
		{"Hello World", 50, 26},       // negative hash: absolute value
		{"polygenelubricants", 50, 0}, // Utils.abs(Integer.MIN_VALUE) is 0
		{"", 50, 0},
		{"console-consumer-1", 1, 0},
	}
	for _, c := range cases {
		if got := PartitionFor(c.group, c.n); got != c.want {
			t.Errorf("PartitionFor(%q, %d) = %d, want %d", c.group, c.n, got, c.want)
		}
	}
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The expected bytes below are written out field by field from Kafka's
// schema definitions (GroupMetadataManager, 2.x): int16 version, then
// int16-length strings, int32/int64 big-endian, int32-length bytes,
// int32-count arrays.
func TestOffsetRecordBytes(t *testing.T) {
	key := OffsetCommitKey("cg1", "bigdata01", 2)
	want := mustHex(t, "0001"+"0003"+hex.EncodeToString([]byte("cg1"))+"0009"+hex.EncodeToString([]byte("bigdata01"))+"00000002")
	if !bytes.Equal(key, want) {
		t.Fatalf("offset key\n got %x\nwant %x", key, want)
	}
	k, err := ReadKey(key)
	if err != nil || !k.IsOffsetKey() || k.Group != "cg1" || k.Topic != "bigdata01" || k.Partition != 2 {
		t.Fatalf("ReadKey = %+v, %v", k, err)
	}

	om := OffsetAndMetadata{Offset: 42, LeaderEpoch: 7, Metadata: "m", CommitTimestamp: 1700000000000, ExpireTimestamp: -1}
	v3 := OffsetCommitValue(om, 3)
	want = mustHex(t, "0003"+"000000000000002a"+"00000007"+"0001"+"6d"+"0000018bcfe56800")
	if !bytes.Equal(v3, want) {
		t.Fatalf("offset value v3\n got %x\nwant %x", v3, want)
	}
	v1 := OffsetCommitValue(OffsetAndMetadata{Offset: 42, Metadata: "", CommitTimestamp: 1, ExpireTimestamp: 2}, 1)
	want = mustHex(t, "0001"+"000000000000002a"+"0000"+"0000000000000001"+"0000000000000002")
	if !bytes.Equal(v1, want) {
		t.Fatalf("offset value v1\n got %x\nwant %x", v1, want)
	}
	v0 := OffsetCommitValue(OffsetAndMetadata{Offset: 42, CommitTimestamp: 1}, 0)
	if want = mustHex(t, "0000"+"000000000000002a"+"0000"+"0000000000000001"); !bytes.Equal(v0, want) {
		t.Fatalf("offset value v0\n got %x\nwant %x", v0, want)
	}
	if v2 := OffsetCommitValue(OffsetAndMetadata{Offset: 42, CommitTimestamp: 1}, 2); !bytes.Equal(v2[2:], v0[2:]) || v2[1] != 2 {
		t.Fatalf("offset value v2 must be v0's layout: %x", v2)
	}
}

func TestOffsetValueRoundTrips(t *testing.T) {
	cases := []struct {
		version int16
		in      OffsetAndMetadata
		out     OffsetAndMetadata
	}{
		{0, OffsetAndMetadata{Offset: 1, LeaderEpoch: 9, Metadata: "a", CommitTimestamp: 5, ExpireTimestamp: -1},
			OffsetAndMetadata{Offset: 1, LeaderEpoch: -1, Metadata: "a", CommitTimestamp: 5, ExpireTimestamp: -1}},
		{1, OffsetAndMetadata{Offset: 1, LeaderEpoch: 9, Metadata: "a", CommitTimestamp: 5, ExpireTimestamp: 8},
			OffsetAndMetadata{Offset: 1, LeaderEpoch: -1, Metadata: "a", CommitTimestamp: 5, ExpireTimestamp: 8}},
		{2, OffsetAndMetadata{Offset: 1, LeaderEpoch: 9, Metadata: "", CommitTimestamp: 5, ExpireTimestamp: -1},
			OffsetAndMetadata{Offset: 1, LeaderEpoch: -1, Metadata: "", CommitTimestamp: 5, ExpireTimestamp: -1}},
		{3, OffsetAndMetadata{Offset: 1 << 40, LeaderEpoch: 9, Metadata: "ü", CommitTimestamp: 5, ExpireTimestamp: -1},
			OffsetAndMetadata{Offset: 1 << 40, LeaderEpoch: 9, Metadata: "ü", CommitTimestamp: 5, ExpireTimestamp: -1}},
	}
	for _, c := range cases {
		got, err := ReadOffsetValue(OffsetCommitValue(c.in, c.version))
		if err != nil || got != c.out {
			t.Errorf("v%d round trip = %+v, %v; want %+v", c.version, got, err, c.out)
		}
	}
	if v := OffsetValueVersion(OffsetAndMetadata{ExpireTimestamp: -1}); v != 3 {
		t.Errorf("version without expire timestamp = %d, want 3", v)
	}
	if v := OffsetValueVersion(OffsetAndMetadata{ExpireTimestamp: 10}); v != 1 {
		t.Errorf("version with expire timestamp = %d, want 1", v)
	}
	if _, err := ReadOffsetValue(mustHex(t, "0004")); err == nil {
		t.Error("offset value version 4 accepted")
	}
	if _, err := ReadOffsetValue(mustHex(t, "0003000000")); err == nil {
		t.Error("truncated offset value accepted")
	}
}

func strPtr(s string) *string { return &s }

func TestGroupRecordBytes(t *testing.T) {
	if got, want := GroupMetadataKey("cg1"), mustHex(t, "0002"+"0003"+"636731"); !bytes.Equal(got, want) {
		t.Fatalf("group key %x, want %x", got, want)
	}
	g := GroupRecord{
		ProtocolType: "consumer", Generation: 3, Protocol: strPtr("range"), Leader: strPtr("m-1"),
		CurrentStateTimestamp: 0x0102030405,
		Members: []MemberRecord{{
			MemberID: "m-1", GroupInstanceID: strPtr("i"), ClientID: "c", ClientHost: "/h",
			RebalanceTimeoutMs: 300000, SessionTimeoutMs: 10000, Subscription: []byte{1, 2}, Assignment: []byte{3},
		}},
	}
	s := func(v string) string { return hex.EncodeToString([]byte(v)) }
	want := "0003" + // version
		"0008" + s("consumer") + "00000003" + "0005" + s("range") + "0003" + s("m-1") +
		"0000000102030405" + // current_state_timestamp
		"00000001" + // one member
		"0003" + s("m-1") + "0001" + s("i") + "0001" + s("c") + "0002" + s("/h") +
		"000493e0" + "00002710" + // rebalance then session timeout
		"00000002" + "0102" + "00000001" + "03"
	if got := GroupMetadataValue(g, 3); hex.EncodeToString(got) != want {
		t.Fatalf("group value v3\n got %x\nwant %s", got, want)
	}
	// v0 has neither rebalance timeout, timestamp nor instance id.
	want0 := "0000" + "0008" + s("consumer") + "00000003" + "0005" + s("range") + "0003" + s("m-1") + "00000001" +
		"0003" + s("m-1") + "0001" + s("c") + "0002" + s("/h") + "00002710" + "00000002" + "0102" + "00000001" + "03"
	if got := GroupMetadataValue(g, 0); hex.EncodeToString(got) != want0 {
		t.Fatalf("group value v0\n got %x\nwant %s", got, want0)
	}
	// An Empty group: null protocol and leader, no members.
	empty := GroupRecord{Generation: 4, CurrentStateTimestamp: 1}
	wantEmpty := "0003" + "0000" + "00000004" + "ffff" + "ffff" + "0000000000000001" + "00000000"
	if got := GroupMetadataValue(empty, 3); hex.EncodeToString(got) != wantEmpty {
		t.Fatalf("empty group value\n got %x\nwant %s", got, wantEmpty)
	}
}

func TestGroupValueRoundTrips(t *testing.T) {
	base := GroupRecord{
		ProtocolType: "consumer", Generation: 3, Protocol: strPtr("range"), Leader: strPtr("m-1"), CurrentStateTimestamp: 99,
		Members: []MemberRecord{
			{MemberID: "m-1", GroupInstanceID: strPtr("i"), ClientID: "c", ClientHost: "/h", RebalanceTimeoutMs: 7, SessionTimeoutMs: 6,
				Subscription: []byte{1}, Assignment: []byte{}},
			{MemberID: "m-2", ClientID: "c2", ClientHost: "/h2", RebalanceTimeoutMs: 9, SessionTimeoutMs: 8,
				Subscription: []byte{2}, Assignment: []byte{4, 5}},
		},
	}
	for v := int16(0); v <= 3; v++ {
		got, err := ReadGroupValue(GroupMetadataValue(base, v))
		if err != nil {
			t.Fatalf("v%d: %v", v, err)
		}
		want := base
		want.Version = v
		want.Members = append([]MemberRecord(nil), base.Members...)
		for i := range want.Members {
			if v < 3 {
				want.Members[i].GroupInstanceID = nil
			}
			if v == 0 {
				want.Members[i].RebalanceTimeoutMs = want.Members[i].SessionTimeoutMs
			}
		}
		if v < 2 {
			want.CurrentStateTimestamp = -1
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("v%d round trip\n got %+v\nwant %+v", v, got, want)
		}
	}
	if _, err := ReadGroupValue(mustHex(t, "0003"+"0000"+"00000004"+"ffff"+"ffff"+"0000000000000001"+"7fffffff")); err == nil {
		t.Error("absurd member count accepted")
	}
	if _, err := ReadKey(mustHex(t, "0005")); err == nil {
		t.Error("key version 5 accepted")
	}
}
