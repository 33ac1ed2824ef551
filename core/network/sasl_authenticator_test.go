package network

import (
	"encoding/binary"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gokafka/kafka/core/security"
	"github.com/gokafka/kafka/zkutil"
)

// principalRecorder answers ApiVersions (v0 body) to everything and
// remembers the principal of the last request.
type principalRecorder struct {
	mu        sync.Mutex
	principal string
}

func (p *principalRecorder) Handle(req *Request) (kmsg.Response, error) {
	p.mu.Lock()
	p.principal = req.Principal
	p.mu.Unlock()
	resp := kmsg.NewPtrApiVersionsResponse()
	resp.SetVersion(0)
	return resp, nil
}

func startSaslServer(t *testing.T) (string, string, *principalRecorder) {
	t.Helper()
	rec := &principalRecorder{}
	s := NewSocketServer(1, 1<<20, rec)
	jaas := []security.JaasEntry{{LoginModule: security.PlainLoginModule, Options: map[string]string{"user_alice": "alice-pw"}}}
	sasl := &SaslListener{
		Mechanisms: []string{"PLAIN", "SCRAM-SHA-256"},
		NewServer: func(m string) (security.Server, error) {
			if m == "PLAIN" {
				return security.NewPlainServer(jaas), nil
			}
			return security.NewScramServer(m, nil)
		},
	}
	addrs, err := s.Bind([]Listener{{Name: "PLAINTEXT", Host: "127.0.0.1"}, {Name: "SASL_PLAINTEXT", Host: "127.0.0.1", Sasl: sasl}})
	if err != nil {
		t.Fatal(err)
	}
	s.Start([]string{"PLAINTEXT", "SASL_PLAINTEXT"})
	t.Cleanup(s.Shutdown)
	return addrs[0].String(), addrs[1].String(), rec
}

// call sends req and decodes the answer as req's response; an error means
// the connection was closed.
func call(t *testing.T, c net.Conn, req kmsg.Request, correlation int32) (kmsg.Response, error) {
	t.Helper()
	frame := kmsg.NewRequestFormatter(kmsg.FormatterClientID("test")).AppendRequest(nil, req, correlation)
	body, err := rawCall(c, frame)
	if err != nil {
		return nil, err
	}
	if int32(binary.BigEndian.Uint32(body)) != correlation {
		t.Fatalf("correlation %d", binary.BigEndian.Uint32(body))
	}
	body = body[4:]
	if req.IsFlexible() && req.Key() != 18 {
		body = body[1:]
	}
	resp := req.ResponseKind()
	resp.SetVersion(req.GetVersion())
	if err := resp.ReadFrom(body); err != nil {
		t.Fatal(err)
	}
	return resp, nil
}

func rawCall(c net.Conn, frame []byte) ([]byte, error) {
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write(frame); err != nil {
		return nil, err
	}
	var size [4]byte
	if _, err := io.ReadFull(c, size[:]); err != nil {
		return nil, err
	}
	body := make([]byte, binary.BigEndian.Uint32(size[:]))
	if _, err := io.ReadFull(c, body); err != nil {
		return nil, err
	}
	return body, nil
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func handshake(t *testing.T, c net.Conn, version int16, mech string) *kmsg.SASLHandshakeResponse {
	t.Helper()
	hs := kmsg.NewPtrSASLHandshakeRequest()
	hs.Version, hs.Mechanism = version, mech
	resp, err := call(t, c, hs, 2)
	if err != nil {
		t.Fatalf("handshake: %v", err)
	}
	return resp.(*kmsg.SASLHandshakeResponse)
}

func authenticate(t *testing.T, c net.Conn, version int16, token string) (*kmsg.SASLAuthenticateResponse, error) {
	t.Helper()
	a := kmsg.NewPtrSASLAuthenticateRequest()
	a.Version, a.SASLAuthBytes = version, []byte(token)
	resp, err := call(t, c, a, 3)
	if err != nil {
		return nil, err
	}
	return resp.(*kmsg.SASLAuthenticateResponse), nil
}

func metadata(t *testing.T, c net.Conn) error {
	t.Helper()
	m := kmsg.NewPtrMetadataRequest()
	m.Version = 0
	frame := kmsg.NewRequestFormatter(kmsg.FormatterClientID("test")).AppendRequest(nil, m, 9)
	_, err := rawCall(c, frame)
	return err
}

func TestSaslPlainV1(t *testing.T) {
	plain, addr, rec := startSaslServer(t)
	c := dial(t, addr)
	if _, err := call(t, c, kmsg.NewPtrApiVersionsRequest(), 1); err != nil {
		t.Fatal(err)
	}
	hs := handshake(t, c, 1, "PLAIN")
	if hs.ErrorCode != 0 || len(hs.SupportedMechanisms) != 2 || hs.SupportedMechanisms[1] != "SCRAM-SHA-256" {
		t.Fatalf("handshake %+v", hs)
	}
	resp, err := authenticate(t, c, 2, "\x00alice\x00alice-pw")
	if err != nil || resp.ErrorCode != 0 || resp.SessionLifetimeMillis != 0 || len(resp.SASLAuthBytes) != 0 {
		t.Fatalf("authenticate %+v %v", resp, err)
	}
	if err := metadata(t, c); err != nil {
		t.Fatal(err)
	}
	if rec.principal != "User:alice" {
		t.Fatalf("principal %q", rec.principal)
	}
	// The PLAINTEXT listener is unchanged: no authentication, no principal.
	p := dial(t, plain)
	if err := metadata(t, p); err != nil || rec.principal != "" {
		t.Fatalf("plaintext: %v %q", err, rec.principal)
	}
}

func TestSaslPlainV0RawTokens(t *testing.T) {
	_, addr, rec := startSaslServer(t)
	c := dial(t, addr)
	if hs := handshake(t, c, 0, "PLAIN"); hs.ErrorCode != 0 {
		t.Fatalf("handshake %+v", hs)
	}
	token := []byte("\x00alice\x00alice-pw")
	frame := binary.BigEndian.AppendUint32(nil, uint32(len(token)))
	body, err := rawCall(c, append(frame, token...))
	if err != nil || len(body) != 0 {
		t.Fatalf("raw token answer %q %v", body, err)
	}
	if err := metadata(t, c); err != nil || rec.principal != "User:alice" {
		t.Fatalf("after v0 authentication: %v %q", err, rec.principal)
	}
	// A wrong password over raw tokens: no answer, the connection closes.
	c = dial(t, addr)
	handshake(t, c, 0, "PLAIN")
	token = []byte("\x00alice\x00nope")
	if body, err := rawCall(c, append(binary.BigEndian.AppendUint32(nil, uint32(len(token))), token...)); err == nil {
		t.Fatalf("wrong password answered %q", body)
	}
}

func TestSaslFailures(t *testing.T) {
	_, addr, _ := startSaslServer(t)
	// A request other than ApiVersions/SaslHandshake closes the connection.
	if err := metadata(t, dial(t, addr)); err == nil {
		t.Fatal("Metadata before authentication was answered")
	}
	// So does a request other than SaslAuthenticate after a v1 handshake.
	c := dial(t, addr)
	handshake(t, c, 1, "PLAIN")
	if err := metadata(t, c); err == nil {
		t.Fatal("Metadata during authentication was answered")
	}
	// A second ApiVersions.
	c = dial(t, addr)
	call(t, c, kmsg.NewPtrApiVersionsRequest(), 1)
	if _, err := call(t, c, kmsg.NewPtrApiVersionsRequest(), 1); err == nil {
		t.Fatal("second ApiVersions answered")
	}
	// An unknown mechanism gets the enabled list, then the close.
	c = dial(t, addr)
	hs := handshake(t, c, 1, "GSSAPI")
	if hs.ErrorCode != kerr.UnsupportedSaslMechanism.Code || len(hs.SupportedMechanisms) != 2 {
		t.Fatalf("GSSAPI handshake %+v", hs)
	}
	if err := metadata(t, c); err == nil {
		t.Fatal("connection open after UNSUPPORTED_SASL_MECHANISM")
	}
	// A wrong password gets SASL_AUTHENTICATION_FAILED with 2.8's text.
	c = dial(t, addr)
	handshake(t, c, 1, "PLAIN")
	resp, err := authenticate(t, c, 1, "\x00alice\x00wrong")
	if err != nil || resp.ErrorCode != kerr.SaslAuthenticationFailed.Code || resp.ErrorMessage == nil ||
		*resp.ErrorMessage != "Authentication failed: Invalid username or password" {
		t.Fatalf("wrong password: %+v %v", resp, err)
	}
	if err := metadata(t, c); err == nil {
		t.Fatal("connection open after a failed authentication")
	}
}

// BrokerClient authenticates with PLAIN and SCRAM when inter-broker SASL is
// set, and fails cleanly with a wrong password.
func TestBrokerClientSasl(t *testing.T) {
	salt := []byte("broker-salt")
	salted, _ := zkutil.SaltedPassword("SCRAM-SHA-512", "scram-pw", salt, 4096)
	cred, _ := zkutil.GenerateScramCredential("SCRAM-SHA-512", salt, salted, 4096)
	rec := &principalRecorder{}
	s := NewSocketServer(1, 1<<20, rec)
	jaas := []security.JaasEntry{{LoginModule: security.PlainLoginModule, Options: map[string]string{"user_broker": "plain-pw"}}}
	sasl := &SaslListener{
		Mechanisms: []string{"PLAIN", "SCRAM-SHA-512"},
		NewServer: func(m string) (security.Server, error) {
			if m == "PLAIN" {
				return security.NewPlainServer(jaas), nil
			}
			return security.NewScramServer(m, func(_, u string) (*zkutil.ScramCredential, error) {
				if u == "broker" {
					return &cred, nil
				}
				return nil, nil
			})
		},
	}
	addrs, err := s.Bind([]Listener{{Name: "SASL_PLAINTEXT", Host: "127.0.0.1", Sasl: sasl}})
	if err != nil {
		t.Fatal(err)
	}
	s.Start([]string{"SASL_PLAINTEXT"})
	t.Cleanup(s.Shutdown)
	t.Cleanup(func() { SetInterBrokerSasl(nil) })
	for _, c := range []struct {
		cfg InterBrokerSasl
		ok  bool
	}{
		{InterBrokerSasl{"PLAIN", "broker", "plain-pw", nil}, true},
		{InterBrokerSasl{"SCRAM-SHA-512", "broker", "scram-pw", nil}, true},
		{InterBrokerSasl{"PLAIN", "broker", "wrong", nil}, false},
		{InterBrokerSasl{"SCRAM-SHA-512", "broker", "wrong", nil}, false},
		{InterBrokerSasl{"SCRAM-SHA-256", "broker", "scram-pw", nil}, false},
	} {
		cfg := c.cfg
		SetInterBrokerSasl(&cfg)
		bc := NewBrokerClient(addrs[0].String(), "broker-1", 5*time.Second)
		av := kmsg.NewPtrApiVersionsRequest()
		av.Version = 0
		_, err := bc.Send(av, 0)
		if (err == nil) != c.ok {
			t.Errorf("%+v: %v", cfg, err)
		}
		if c.ok && rec.principal != "User:broker" {
			t.Errorf("%+v: principal %q", cfg, rec.principal)
		}
		bc.Close()
	}
}
