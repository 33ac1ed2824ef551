package network

import (
	"encoding/base64"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gokafka/kafka/core/security"
)

func startOAuthServer(t *testing.T) (string, *principalRecorder) {
	t.Helper()
	rec := &principalRecorder{}
	s := NewSocketServer(1, 1<<20, rec)
	v, err := security.NewOAuthBearerValidator([]security.JaasEntry{{LoginModule: security.OAuthBearerLoginModule}})
	if err != nil {
		t.Fatal(err)
	}
	sasl := &SaslListener{
		Mechanisms: []string{"OAUTHBEARER"},
		NewServer: func(string) (security.Server, error) {
			return security.NewOAuthBearerServer(v), nil
		},
	}
	addrs, err := s.Bind([]Listener{{Name: "SASL_PLAINTEXT", Host: "127.0.0.1", Sasl: sasl}})
	if err != nil {
		t.Fatal(err)
	}
	s.Start([]string{"SASL_PLAINTEXT"})
	t.Cleanup(s.Shutdown)
	return addrs[0].String(), rec
}

func unsecuredToken(sub string, exp time.Time) string {
	e := base64.RawURLEncoding
	claims := fmt.Sprintf(`{"sub":%q,"exp":%d}`, sub, exp.Unix())
	return e.EncodeToString([]byte(`{"alg":"none"}`)) + "." + e.EncodeToString([]byte(claims)) + "."
}

func oauthFirst(token string) string { return "n,,\x01auth=Bearer " + token + "\x01\x01" }

// A valid token authenticates as User:<sub>; a refused one gets the error
// JSON as a challenge, then SASL_AUTHENTICATION_FAILED after the client's
// 0x01; a non-Bearer scheme closes the connection without an answer.
func TestSaslOAuthBearer(t *testing.T) {
	addr, rec := startOAuthServer(t)
	c := dial(t, addr)
	handshake(t, c, 1, "OAUTHBEARER")
	resp, err := authenticate(t, c, 1, oauthFirst(unsecuredToken("alice", time.Now().Add(time.Hour))))
	if err != nil || resp.ErrorCode != 0 || resp.SessionLifetimeMillis != 0 {
		t.Fatalf("%+v %v", resp, err)
	}
	if err := metadata(t, c); err != nil || rec.principal != "User:alice" {
		t.Fatalf("after authentication: %v, principal %q", err, rec.principal)
	}

	c = dial(t, addr)
	handshake(t, c, 1, "OAUTHBEARER")
	resp, err = authenticate(t, c, 1, oauthFirst(unsecuredToken("alice", time.Now().Add(-time.Hour))))
	if err != nil || resp.ErrorCode != 0 || string(resp.SASLAuthBytes) != `{"status":"invalid_token"}` {
		t.Fatalf("expired token: %+v %v", resp, err)
	}
	resp, err = authenticate(t, c, 1, "\x01")
	if err != nil || resp.ErrorCode != kerr.SaslAuthenticationFailed.Code || *resp.ErrorMessage != `{"status":"invalid_token"}` {
		t.Fatalf("after 0x01: %+v %v", resp, err)
	}
	if err := metadata(t, c); err == nil {
		t.Fatal("connection open after a failed authentication")
	}

	c = dial(t, addr)
	handshake(t, c, 1, "OAUTHBEARER")
	if resp, err := authenticate(t, c, 1, "n,,\x01auth=Basic abc\x01\x01"); err == nil {
		t.Fatalf("non-Bearer scheme answered: %+v", resp)
	}

	c = dial(t, addr)
	handshake(t, c, 1, "OAUTHBEARER")
	resp, err = authenticate(t, c, 1, "garbage")
	if err != nil || resp.ErrorCode != kerr.SaslAuthenticationFailed.Code ||
		*resp.ErrorMessage != "Authentication failed during authentication due to invalid credentials with SASL mechanism OAUTHBEARER" {
		t.Fatalf("bad first message: %+v %v", resp, err)
	}
}

// The broker's own client logs in with an unsecured token built from the
// JAAS options, and fails cleanly when the server refuses it.
func TestBrokerClientOAuthBearer(t *testing.T) {
	addr, rec := startOAuthServer(t)
	t.Cleanup(func() { SetInterBrokerSasl(nil) })
	for _, c := range []struct {
		opts map[string]string
		ok   bool
	}{
		{map[string]string{"unsecuredLoginStringClaim_sub": "broker"}, true},
		{map[string]string{"unsecuredLoginStringClaim_sub": "broker", "unsecuredLoginLifetimeSeconds": "-10"}, false},
	} {
		SetInterBrokerSasl(&InterBrokerSasl{Mechanism: "OAUTHBEARER", OAuthLoginOptions: c.opts})
		bc := NewBrokerClient(addr, "broker-1", 5*time.Second)
		av := kmsg.NewPtrApiVersionsRequest()
		av.Version = 0
		_, err := bc.Send(av, 0)
		if (err == nil) != c.ok {
			t.Errorf("%v: %v", c.opts, err)
		}
		if c.ok && rec.principal != "User:broker" {
			t.Errorf("principal %q", rec.principal)
		}
		bc.Close()
	}
}
