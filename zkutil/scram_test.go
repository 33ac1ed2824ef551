package zkutil

import (
	"encoding/base64"
	"reflect"
	"sort"
	"testing"

	"github.com/gokafka/kafka/zkutil/zktest"
)

// The RFC 7677 example (user "user", password "pencil"), whose stored and
// server keys are well known; the SHA-512 values were computed with
// Python's hashlib.pbkdf2_hmac and hmac.
func TestScramCredentialFromSaltedPassword(t *testing.T) {
	salt, _ := base64.StdEncoding.DecodeString("W22ZaJ0SNY7soEsUEjb6gQ==")
	cases := []struct {
		mech, salted, stored, server string
	}{
		{ScramSHA256, "xKSVEDI6tPlSysH6mUQZOeeOp01r6B3fcJbodRPcYV0=",
			"WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=", "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU="},
		{ScramSHA512, "8W7+G+Z/HQlQLr1e2SYv3f+6Wjd6tPC2h+XtW6D1Boa4pK4WZHbairO5UdL6kji2OZj0VGG8M6RkgUlJzsljHQ==",
			"6AAub3065EYRmyFpM2RNwqK+eGnrkYuEWbXn19LsEmBqzu8QaCXNc1FwpnX9NhH2hK/60dzj9DoO5DvVkOHbvg==",
			"jZHbYjC1aHh0/hKbxyBuGFjDrgjgKTT1esA7awWiKcRZ0o/0b1yWEebBeSVkkCFewf91nLDfKF24mvD5nmE6rA=="},
	}
	for _, c := range cases {
		sp, err := SaltedPassword(c.mech, "pencil", salt, 4096)
		if err != nil {
			t.Fatal(err)
		}
		if got := base64.StdEncoding.EncodeToString(sp); got != c.salted {
			t.Fatalf("%s salted password %s, want %s", c.mech, got, c.salted)
		}
		cred, err := GenerateScramCredential(c.mech, salt, sp, 4096)
		if err != nil {
			t.Fatal(err)
		}
		want := "salt=W22ZaJ0SNY7soEsUEjb6gQ==,stored_key=" + c.stored + ",server_key=" + c.server + ",iterations=4096"
		if cred.String() != want {
			t.Fatalf("%s credential\n got %s\nwant %s", c.mech, cred.String(), want)
		}
		back, err := ParseScramCredential(cred.String())
		if err != nil || back.String() != want {
			t.Fatalf("parse back: %v %v", back, err)
		}
	}
	if _, err := GenerateScramCredential("SCRAM-SHA-1", salt, salt, 4096); err == nil {
		t.Fatal("unknown mechanism accepted")
	}
}

func TestParseScramCredentialRejectsBadForms(t *testing.T) {
	for _, s := range []string{
		"",
		"salt=AA==,stored_key=AA==,server_key=AA==",
		"salt=AA==,stored_key=AA==,server_key=AA==,iterations=x",
		"salt=AA==,stored_key=AA==,server_key=AA==,iterations=4096,extra=1",
		"salt=!!,stored_key=AA==,server_key=AA==,iterations=4096",
		"=AA==,stored_key=AA==,server_key=AA==,iterations=4096",
	} {
		if _, err := ParseScramCredential(s); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
}

func TestSanitizeEntityName(t *testing.T) {
	for _, c := range []struct{ in, out string }{
		{"alice", "alice"},
		{"user@example.com", "user%40example.com"},
		{"a b*c+d/é", "a%20b%2Ac%2Bd%2F%C3%A9"},
		{"x_y-z.0", "x_y-z.0"},
	} {
		if got := SanitizeEntityName(c.in); got != c.out {
			t.Errorf("sanitize %q = %q, want %q", c.in, got, c.out)
		}
		if back := DesanitizeEntityName(c.out); back != c.in {
			t.Errorf("desanitize %q = %q, want %q", c.out, back, c.in)
		}
	}
}

func TestUpdateEntityConfigAtomicallyKeepsOtherKeys(t *testing.T) {
	c := connect(t, zktest.Start(t)+"/kafka")
	if err := c.CreatePersistentPaths(); err != nil {
		t.Fatal(err)
	}
	// Another writer's quota is already there.
	if err := c.SetOrCreateEntityConfig(ConfigTypeUser, "alice", map[string]string{"producer_byte_rate": "1024"}); err != nil {
		t.Fatal(err)
	}
	cred := "salt=AA==,stored_key=AA==,server_key=AA==,iterations=4096"
	err := c.UpdateEntityConfigAtomically(ConfigTypeUser, "alice", func(m map[string]string) error {
		// Change the znode under our feet once: the write must notice and retry.
		if _, ok := m["consumer_byte_rate"]; !ok {
			if err := c.SetOrCreateEntityConfig(ConfigTypeUser, "alice",
				map[string]string{"producer_byte_rate": "1024", "consumer_byte_rate": "2048"}); err != nil {
				t.Fatal(err)
			}
		}
		m[ScramSHA256] = cred
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.GetEntityConfig(ConfigTypeUser, "alice")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"producer_byte_rate": "1024", "consumer_byte_rate": "2048", ScramSHA256: cred}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("config %v, want %v", got, want)
	}
	// A new user's znode is created; each write leaves one notification.
	if err := c.UpdateEntityConfigAtomically(ConfigTypeUser, "bob", func(m map[string]string) error {
		m[ScramSHA512] = cred
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	names, err := c.GetChildren(ConfigChangesPath)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, n := range names {
		data, _, err := c.GetData(ConfigChangesPath + "/" + n)
		if err != nil {
			t.Fatal(err)
		}
		p, _ := DecodeConfigChangeNotification(data)
		paths = append(paths, p)
	}
	sort.Strings(paths)
	if !reflect.DeepEqual(paths, []string{"users/alice", "users/bob"}) {
		t.Fatalf("notifications %v", paths)
	}
}
