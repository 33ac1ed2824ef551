package security

import (
	"crypto/hmac"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/gokafka/kafka/zkutil"
)

func credential(t *testing.T, mech, password string, salt []byte, iter int) *zkutil.ScramCredential {
	t.Helper()
	sp, err := zkutil.SaltedPassword(mech, password, salt, iter)
	if err != nil {
		t.Fatal(err)
	}
	c, err := zkutil.GenerateScramCredential(mech, salt, sp, int32(iter))
	if err != nil {
		t.Fatal(err)
	}
	return &c
}

// RFC 7677 section 3: user "user", password "pencil".
func TestScramSHA256RFC7677(t *testing.T) {
	salt, _ := base64.StdEncoding.DecodeString("W22ZaJ0SNY7soEsUEjb6gQ==")
	cred := credential(t, MechanismScramSHA256, "pencil", salt, 4096)
	s, err := NewScramServer(MechanismScramSHA256, func(m, u string) (*zkutil.ScramCredential, error) {
		if m != MechanismScramSHA256 || u != "user" {
			t.Fatalf("lookup %s %s", m, u)
		}
		return cred, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	s.nonce = func() string { return "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0" }
	first, err := s.Evaluate([]byte("n,,n=user,r=rOprNGfwEbeRWgbNEkqO"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"; string(first) != want {
		t.Fatalf("server-first %q, want %q", first, want)
	}
	final, err := s.Evaluate([]byte("c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="))
	if err != nil {
		t.Fatal(err)
	}
	if want := "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="; string(final) != want {
		t.Fatalf("server-final %q, want %q", final, want)
	}
	if !s.Complete() || s.AuthorizationID() != "user" {
		t.Fatalf("complete=%v authz=%q", s.Complete(), s.AuthorizationID())
	}
	if _, err := s.Evaluate([]byte("again")); err == nil {
		t.Fatal("a token after completion was accepted")
	}
}

// scramClientFinal computes the client-final message for password.
func scramClientFinal(mech, password, clientFirstBare, serverFirst string) string {
	return scramClientFinalNonce(mech, password, clientFirstBare, serverFirst, "")
}

// scramClientFinalNonce is scramClientFinal sending nonce (if set) in the
// client-final message instead of the server's.
func scramClientFinalNonce(mech, password, clientFirstBare, serverFirst, nonce string) string {
	h := sha512.New
	attrs := map[string]string{}
	for _, kv := range strings.Split(serverFirst, ",") {
		attrs[kv[:1]] = kv[2:]
	}
	salt, _ := base64.StdEncoding.DecodeString(attrs["s"])
	var iter int
	for _, c := range attrs["i"] {
		iter = iter*10 + int(c-'0')
	}
	sp, _ := zkutil.SaltedPassword(mech, password, salt, iter)
	mac := func(k []byte, m string) []byte { x := hmac.New(h, k); x.Write([]byte(m)); return x.Sum(nil) }
	clientKey := mac(sp, "Client Key")
	d := h()
	d.Write(clientKey)
	storedKey := d.Sum(nil)
	if nonce == "" {
		nonce = attrs["r"]
	}
	without := "c=biws,r=" + nonce
	sig := mac(storedKey, clientFirstBare+","+serverFirst+","+without)
	for i := range clientKey {
		clientKey[i] ^= sig[i]
	}
	return without + ",p=" + base64.StdEncoding.EncodeToString(clientKey)
}

func TestScramSHA512(t *testing.T) {
	cred := credential(t, MechanismScramSHA512, "admin-secret-512", []byte("0123456789abcdef"), 4096)
	users := map[string]*zkutil.ScramCredential{"a,b=c": cred}
	lookup := func(m, u string) (*zkutil.ScramCredential, error) { return users[u], nil }
	run := func(password, first string) (*ScramServer, error) {
		s, _ := NewScramServer(MechanismScramSHA512, lookup)
		sf, err := s.Evaluate([]byte(first))
		if err != nil {
			return s, err
		}
		bare := first[strings.Index(first[2:], ",")+3:]
		_, err = s.Evaluate([]byte(scramClientFinal(MechanismScramSHA512, password, bare, string(sf))))
		return s, err
	}
	s, err := run("admin-secret-512", "n,,n=a=2Cb=3Dc,r=abcdefgh,foo=bar")
	if err != nil || !s.Complete() || s.AuthorizationID() != "a,b=c" {
		t.Fatalf("good password: %v complete=%v authz=%q", err, s.Complete(), s.AuthorizationID())
	}
	generic := "Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512"
	for name, c := range map[string]struct{ password, first string }{
		"wrong password": {"nope", "n,,n=a=2Cb=3Dc,r=abcdefgh"},
		"unknown user":   {"admin-secret-512", "n,,n=bob,r=abcdefgh"},
		"token auth":     {"admin-secret-512", "n,,n=a=2Cb=3Dc,r=abcdefgh,tokenauth=true"},
		"channel bind":   {"admin-secret-512", "p=tls-unique,,n=a=2Cb=3Dc,r=abcdefgh"},
		"bad name":       {"admin-secret-512", "n,,n=a=b,r=abcdefgh"},
	} {
		s, err := run(c.password, c.first)
		if err == nil || s.Complete() {
			t.Errorf("%s: accepted", name)
			continue
		}
		if got := FailureMessage(MechanismScramSHA512, err); got != generic {
			t.Errorf("%s: message %q", name, got)
		}
	}
	// An authorization id other than the user is refused with Kafka's own text.
	_, err = run("admin-secret-512", "n,a=other,n=a=2Cb=3Dc,r=abcdefgh")
	if got := FailureMessage(MechanismScramSHA512, err); got != "Authentication failed: Client requested an authorization id that is different from username" {
		t.Errorf("authzid: %q", got)
	}
	// A client-final that changes the nonce is refused.
	s, _ = NewScramServer(MechanismScramSHA512, lookup)
	sf, _ := s.Evaluate([]byte("n,,n=a=2Cb=3Dc,r=abcdefgh"))
	final := scramClientFinalNonce(MechanismScramSHA512, "admin-secret-512", "n=a=2Cb=3Dc,r=abcdefgh", string(sf), "abcdefgX")
	if _, err := s.Evaluate([]byte(final)); err == nil || !strings.Contains(err.Error(), "nonce") {
		t.Fatalf("changed nonce: %v", err)
	}
	// librdkafka before 2.2 repeats its client nonce in front of the
	// combined one; accepted (2.8 did not compare nonces).
	s, _ = NewScramServer(MechanismScramSHA512, lookup)
	sf, _ = s.Evaluate([]byte("n,,n=a=2Cb=3Dc,r=abcdefgh"))
	full := strings.TrimPrefix(strings.Split(string(sf), ",")[0], "r=")
	final = scramClientFinalNonce(MechanismScramSHA512, "admin-secret-512", "n=a=2Cb=3Dc,r=abcdefgh", string(sf), "abcdefgh"+full)
	if _, err := s.Evaluate([]byte(final)); err != nil || !s.Complete() {
		t.Fatalf("librdkafka nonce form: %v", err)
	}
	// Too few iterations.
	users["low"] = &zkutil.ScramCredential{Salt: []byte("s"), StoredKey: cred.StoredKey, ServerKey: cred.ServerKey, Iterations: 10}
	if _, err := run("x", "n,,n=low,r=abc"); err == nil {
		t.Fatal("10 iterations accepted")
	}
	// A lookup error fails the exchange.
	s, _ = NewScramServer(MechanismScramSHA512, func(string, string) (*zkutil.ScramCredential, error) { return nil, errors.New("zk down") })
	if _, err := s.Evaluate([]byte("n,,n=a,r=abc")); err == nil {
		t.Fatal("lookup error ignored")
	}
}

func TestPlain(t *testing.T) {
	entries := []JaasEntry{
		{LoginModule: ScramLoginModule, Options: map[string]string{"user_bob": "from-scram-entry"}},
		{LoginModule: PlainLoginModule, Options: map[string]string{"username": "admin", "password": "admin-secret", "user_admin": "admin-secret", "user_alice": "alice-pw"}},
	}
	for _, c := range []struct {
		token, err, user string
	}{
		{"\x00alice\x00alice-pw", "", "alice"},
		{"alice\x00alice\x00alice-pw", "", "alice"},
		{"\x00alice\x00wrong", "Authentication failed: Invalid username or password", ""},
		{"\x00nobody\x00x", "Authentication failed: Invalid username or password", ""},
		{"\x00bob\x00from-scram-entry", "Authentication failed: Invalid username or password", ""},
		{"\x00\x00x", "Authentication failed: username not specified", ""},
		{"\x00alice\x00", "Authentication failed: password not specified", ""},
		{"alice\x00alice", "Invalid SASL/PLAIN response: expected 3 tokens, got 2", ""},
		{"\x00alice\x00alice-pw\x00x", "Invalid SASL/PLAIN response: expected 3 tokens, got 4", ""},
		{"admin\x00alice\x00alice-pw", "Authentication failed: Client requested an authorization id that is different from username", ""},
	} {
		s := NewPlainServer(entries)
		out, err := s.Evaluate([]byte(c.token))
		if c.err != "" {
			if err == nil || FailureMessage(MechanismPlain, err) != c.err || s.Complete() {
				t.Errorf("%q: err %v, want %q", c.token, err, c.err)
			}
			continue
		}
		if err != nil || len(out) != 0 || !s.Complete() || s.AuthorizationID() != c.user {
			t.Errorf("%q: %v %q complete=%v authz=%q", c.token, err, out, s.Complete(), s.AuthorizationID())
		}
	}
}

// kafka-go's docker-compose JAAS file.
const kafkaGoJaas = `KafkaServer {
org.apache.kafka.common.security.scram.ScramLoginModule required
 username="adminscram"
 password="admin-secret";
 org.apache.kafka.common.security.plain.PlainLoginModule required
 username="adminplain"
 password="admin-secret"
 user_adminplain="admin-secret";
  };
`

func TestJaasFile(t *testing.T) {
	cfg, err := ParseJaasFile("// comment\n# another\n/* block\n comment */\n" + kafkaGoJaas +
		"sasl_plaintext.KafkaServer { org.apache.kafka.common.security.plain.PlainLoginModule Required user_x=\"a;b\" user_y=plain; };\nClient{x.Y optional;};")
	if err != nil {
		t.Fatal(err)
	}
	want := []JaasEntry{
		{LoginModule: ScramLoginModule, Flag: "required", Options: map[string]string{"username": "adminscram", "password": "admin-secret"}},
		{LoginModule: PlainLoginModule, Flag: "required", Options: map[string]string{"username": "adminplain", "password": "admin-secret", "user_adminplain": "admin-secret"}},
	}
	if !reflect.DeepEqual(cfg["KafkaServer"], want) {
		t.Fatalf("KafkaServer = %+v", cfg["KafkaServer"])
	}
	if v, _ := ConfigEntryOption(cfg["sasl_plaintext.KafkaServer"], "user_x", PlainLoginModule); v != "a;b" {
		t.Fatalf("user_x = %q", v)
	}
	if len(cfg["Client"]) != 1 || len(cfg["Client"][0].Options) != 0 {
		t.Fatalf("Client = %+v", cfg["Client"])
	}
	// The listener's own section wins over KafkaServer.
	e, err := ServerContext("SASL_PLAINTEXT", "", cfg, "f")
	if err != nil || len(e) != 1 || e[0].Options["user_y"] != "plain" {
		t.Fatalf("listener context: %+v %v", e, err)
	}
	e, err = ServerContext("OTHER", "", cfg, "f")
	if err != nil || len(e) != 2 {
		t.Fatalf("global context: %+v %v", e, err)
	}
	if _, err := ServerContext("SASL_PLAINTEXT", "", nil, ""); err == nil || err.Error() != "Could not find a 'KafkaServer' or 'sasl_plaintext.KafkaServer' entry in the JAAS configuration. System property 'java.security.auth.login.config' is not set" {
		t.Fatalf("no JAAS: %v", err)
	}
	e, err = ServerContext("SASL_PLAINTEXT", `org.apache.kafka.common.security.plain.PlainLoginModule required username="a" password="b" user_a="b";`, cfg, "f")
	if err != nil || len(e) != 1 || e[0].Options["user_a"] != "b" {
		t.Fatalf("inline: %+v %v", e, err)
	}
	if _, err := ServerContext("L", `a.B required; c.D required;`, nil, ""); err == nil {
		t.Fatal("two inline modules accepted")
	}
	for _, bad := range []string{"KafkaServer { x.Y required a=\"b\" };", "KafkaServer { x.Y maybe; };", "KafkaServer { x.Y required a=; };", "KafkaServer { x.Y required \"unterminated; };"} {
		if _, err := ParseJaasFile(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestJaasFileFromKafkaOpts(t *testing.T) {
	for opts, want := range map[string]string{
		"": "",
		"-Xmx1G -Djava.security.auth.login.config=/opt/kafka_jaas.conf":                 "/opt/kafka_jaas.conf",
		`-Djava.security.auth.login.config="/a b/jaas.conf" -Dx=y`:                      "/a b/jaas.conf",
		"-Djava.security.auth.login.config=/one -Djava.security.auth.login.config=/two": "/two",
	} {
		if got := JaasFileFromKafkaOpts(opts); got != want {
			t.Errorf("%q: %q, want %q", opts, got, want)
		}
	}
}

// The broker's SCRAM client against its own server, both mechanisms, with
// a user name that needs escaping.
func TestScramClient(t *testing.T) {
	for _, mech := range []string{MechanismScramSHA256, MechanismScramSHA512} {
		cred := credential(t, mech, "pw", []byte("salt-salt"), 4096)
		srv, _ := NewScramServer(mech, func(m, u string) (*zkutil.ScramCredential, error) {
			if u != "broker,1=a" {
				return nil, nil
			}
			return cred, nil
		})
		c, err := NewScramClient(mech, "broker,1=a", "pw")
		if err != nil {
			t.Fatal(err)
		}
		sf, err := srv.Evaluate(c.First())
		if err != nil {
			t.Fatal(err)
		}
		final, err := c.Final(sf)
		if err != nil {
			t.Fatal(err)
		}
		sfin, err := srv.Evaluate(final)
		if err != nil || !srv.Complete() {
			t.Fatalf("%s: %v", mech, err)
		}
		if err := c.Verify(sfin); err != nil {
			t.Fatal(err)
		}
		if err := c.Verify([]byte("v=AAAA")); err == nil {
			t.Fatal("a wrong server signature was accepted")
		}
		// A wrong password is refused by the server.
		bad, _ := NewScramClient(mech, "broker,1=a", "wrong")
		srv, _ = NewScramServer(mech, func(string, string) (*zkutil.ScramCredential, error) { return cred, nil })
		sf, _ = srv.Evaluate(bad.First())
		final, _ = bad.Final(sf)
		if _, err := srv.Evaluate(final); err == nil {
			t.Fatalf("%s: wrong password accepted", mech)
		}
	}
}
