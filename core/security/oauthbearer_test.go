package security

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
)

var oauthNow = time.UnixMilli(1_700_000_000_000)

// jwt builds header.claims. with the URL alphabet, as clients do.
func jwt(header, claims string) string {
	e := base64.RawURLEncoding
	return e.EncodeToString([]byte(header)) + "." + e.EncodeToString([]byte(claims)) + "."
}

func testValidator(t *testing.T, opts map[string]string) *OAuthBearerValidator {
	t.Helper()
	v, err := NewOAuthBearerValidator([]JaasEntry{{LoginModule: OAuthBearerLoginModule, Options: opts}})
	if err != nil {
		t.Fatal(err)
	}
	v.Now = func() time.Time { return oauthNow }
	return v
}

func initial(token string) []byte {
	return (&ClientInitialResponse{Token: token}).Bytes()
}

func TestOAuthBearerValidToken(t *testing.T) {
	v := testValidator(t, nil)
	s := NewOAuthBearerServer(v)
	out, err := s.Evaluate(initial(jwt(`{"alg":"none"}`, `{"sub":"alice","exp":1700000100.5,"iat":1699999999}`)))
	if err != nil || len(out) != 0 || !s.Complete() || s.AuthorizationID() != "alice" {
		t.Fatalf("out %q err %v complete %v authz %q", out, err, s.Complete(), s.AuthorizationID())
	}
	// Java clients write exp and iat as doubles in E notation.
	if _, err := v.Validate(jwt(`{"alg":"none"}`, `{"sub":"bob","exp":1.7000001E9}`)); err != nil {
		t.Fatal(err)
	}
}

// refused returns the validator's reason for a token, failing if accepted
// or if it is not a token error.
func refused(t *testing.T, v *OAuthBearerValidator, token string) *tokenError {
	t.Helper()
	_, err := v.Validate(token)
	var te *tokenError
	if !errors.As(err, &te) {
		t.Fatalf("token %q: got %v, want a token error", token, err)
	}
	return te
}

func TestOAuthBearerTokenRules(t *testing.T) {
	v := testValidator(t, nil)
	none := `{"alg":"none"}`
	cases := []struct{ token, want string }{
		{jwt(none, `{"sub":"a","exp":1699999999}`), "was on or after the Expiration Time value (1699999999.000000 seconds)"},
		{jwt(none, `{"sub":"a","exp":1700000000}`), "on or after the Expiration Time"},
		{jwt(none, `{"sub":"a"}`), "No expiration time in JWT"},
		{jwt(none, `{"exp":1800000000}`), "No principal name in JWT claim: sub"},
		{jwt(none, `{"sub":"  ","exp":1800000000}`), "No principal name in JWT claim: sub"},
		{jwt(none, `{"sub":7,"exp":1800000000}`), "The 'sub' claim was not of type String: Integer"},
		{jwt(none, `{"sub":"a","exp":"1800000000"}`), "The 'exp' claim was not of type Number: String"},
		{jwt(none, `{"sub":"a","exp":1800000000,"iat":[1]}`), "The 'iat' claim was not of type Number: ArrayList"},
		{jwt(none, `{"sub":"a","exp":1800000000,"scope":5.5}`), "The 'scope' claim was not of type List: Double"},
		{jwt(none, `{"sub":"a","exp":1800000000,"iat":1700000001}`), "The Issued At value (1700000001.000000 seconds) was after the indicated time (1700000000000 ms) plus allowable clock skew (0 ms)"},
		{jwt(`{"alg":"HS256"}`, `{"sub":"a","exp":1800000000}`), "Unsecured JWS must have 'none' for an algorithm"},
		{jwt(none, `{"sub":"a","exp":1800000000}`) + "c2ln", "Unsecured JWS must not contain a digital signature"},
		{"eyJhbGciOiJub25lIn0..", "Malformed compact serialization contains '..'"},
		{"eyJhbGciOiJub25lIn0.e30", "must have 3 dot-separated Base64URL-encoded values"},
		{"eyJhbGciOiJub25lIn0.e30.x.", "must have 3 dot-separated Base64URL-encoded values"},
		{"e$$.e30.", "malformed Base64 URL encoded value"},
		// 2.8 decodes with the basic alphabet: '-' and '_' are refused.
		{"eyJhbGciOiJub25lIn0.e-_.", "malformed Base64 URL encoded value"},
		{jwt(none, `{"sub":`), "malformed JSON"},
		{".e30.", "malformed JSON"}, // empty header
	}
	for _, c := range cases {
		if te := refused(t, v, c.token); !strings.Contains(te.msg, c.want) {
			t.Errorf("token %q: %q, want %q", c.token, te.msg, c.want)
		}
	}
}

func TestOAuthBearerMissingAlgDropsConnection(t *testing.T) {
	_, err := testValidator(t, nil).Validate(jwt(`{"typ":"JWT"}`, `{"sub":"a","exp":1800000000}`))
	var drop *ConnectionDropError
	if !errors.As(err, &drop) {
		t.Fatalf("got %v", err)
	}
}

func TestOAuthBearerClockSkew(t *testing.T) {
	v := testValidator(t, map[string]string{"unsecuredValidatorAllowableClockSkewMs": "2000"})
	// expired a second ago, or issued a second ahead: within 2 s of skew
	for _, claims := range []string{`{"sub":"a","exp":1699999999}`, `{"sub":"a","exp":1700000009,"iat":1700000001}`} {
		if _, err := v.Validate(jwt(`{"alg":"none"}`, claims)); err != nil {
			t.Fatal(err)
		}
	}
	// skew lets both times pass, but exp must still follow iat
	te := refused(t, v, jwt(`{"alg":"none"}`, `{"sub":"a","exp":1700000001,"iat":1700000001}`))
	if !strings.Contains(te.msg, "The Expiration Time time (1700000001.000000 seconds) was not after the Issued At time (1700000001.000000 seconds)") {
		t.Fatal(te.msg)
	}
	te = refused(t, v, jwt(`{"alg":"none"}`, `{"sub":"a","exp":1699999998}`))
	if !strings.Contains(te.msg, "minus allowable clock skew (2000 ms)") {
		t.Fatal(te.msg)
	}
	for _, bad := range []string{"-1", "x", "3000000000"} {
		if _, err := NewOAuthBearerValidator([]JaasEntry{{Options: map[string]string{"unsecuredValidatorAllowableClockSkewMs": bad}}}); err == nil {
			t.Errorf("skew %q accepted", bad)
		}
	}
}

func TestOAuthBearerRequiredScope(t *testing.T) {
	v := testValidator(t, map[string]string{"unsecuredValidatorRequiredScope": "read  write", "unsecuredValidatorScopeClaimName": "scp"})
	s := NewOAuthBearerServer(v)
	out, err := s.Evaluate(initial(jwt(`{"alg":"none"}`, `{"sub":"a","exp":1800000000,"scp":["read"," "]}`)))
	if err != nil || string(out) != `{"status":"insufficient_scope", "scope":"[read, write]"}` {
		t.Fatalf("out %q err %v", out, err)
	}
	if !strings.Contains(s.LastError, "The provided scope ([read]) was missing a required scope (write).") {
		t.Fatal(s.LastError)
	}
	if _, err := v.Validate(jwt(`{"alg":"none"}`, `{"sub":"a","exp":1800000000,"scp":["write","read","x"]}`)); err != nil {
		t.Fatal(err)
	}
	// a string scope is one item, not split at spaces
	refused(t, v, jwt(`{"alg":"none"}`, `{"sub":"a","exp":1800000000,"scp":"read write"}`))
	if _, err := NewOAuthBearerValidator([]JaasEntry{{Options: map[string]string{"unsecuredValidatorRequiredScope": `a"b`}}}); err == nil {
		t.Fatal("invalid scope item accepted")
	}
}

func TestOAuthBearerPrincipalClaimName(t *testing.T) {
	v := testValidator(t, map[string]string{"unsecuredValidatorPrincipalClaimName": " email "})
	j, err := v.Validate(jwt(`{"alg":"none"}`, `{"email":"a@b","sub":"x","exp":1800000000}`))
	if err != nil || j.Principal != "a@b" {
		t.Fatalf("%v %v", j, err)
	}
}

func TestOAuthBearerServerErrorFlow(t *testing.T) {
	s := NewOAuthBearerServer(testValidator(t, nil))
	out, err := s.Evaluate(initial(jwt(`{"alg":"none"}`, `{"sub":"a","exp":1}`)))
	if err != nil || string(out) != `{"status":"invalid_token"}` || s.Complete() {
		t.Fatalf("out %q err %v", out, err)
	}
	_, err = s.Evaluate([]byte{1})
	var ae *AuthenticationError
	if !errors.As(err, &ae) || ae.Msg != `{"status":"invalid_token"}` {
		t.Fatalf("after 0x01: %v", err)
	}
	// a lone 0x01 without a pending error is just a bad first message
	if _, err := NewOAuthBearerServer(testValidator(t, nil)).Evaluate([]byte{1}); err != errBadFirstMessage {
		t.Fatal(err)
	}
}

func TestOAuthBearerAuthzID(t *testing.T) {
	tok := jwt(`{"alg":"none"}`, `{"sub":"alice","exp":1800000000}`)
	s := NewOAuthBearerServer(testValidator(t, nil))
	_, err := s.Evaluate((&ClientInitialResponse{AuthzID: "bob", Token: tok}).Bytes())
	var ae *AuthenticationError
	if !errors.As(err, &ae) || ae.Msg != "Authentication failed: Client requested an authorization id (bob) that is different from the token's principal name (alice)" {
		t.Fatalf("%v", err)
	}
	s = NewOAuthBearerServer(testValidator(t, nil))
	if _, err := s.Evaluate((&ClientInitialResponse{AuthzID: "alice", Token: tok}).Bytes()); err != nil || !s.Complete() {
		t.Fatal(err)
	}
}

func TestParseClientInitialResponse(t *testing.T) {
	ir, err := ParseClientInitialResponse([]byte("n,a=al=2Cice,\x01auth=bearer   abc.def.\x01traceId=x y=z\x01\x01"))
	if err != nil || ir.AuthzID != "al=2Cice" || ir.Token != "abc.def." || len(ir.Extensions) != 1 || ir.Extensions["traceId"] != "x y=z" {
		t.Fatalf("%+v %v", ir, err)
	}
	bad := []string{
		"",
		"y,,\x01auth=Bearer t\x01\x01",
		"n,,auth=Bearer t\x01\x01",             // no 0x01 after the gs2 header
		"n,,\x01auth=Bearer t\x01",             // no final 0x01
		"n,,\x01auth=Bearer t",                 // no pair terminator
		"n,a=,\x01auth=Bearer t\x01\x01",       // empty authzid
		"n,a=x=y,\x01auth=Bearer t\x01\x01",    // '=' not escaped
		"n,,\x01auth=Bearer t\x01k1=v\x01\x01", // key not alphabetic
		"n,,\x01auth=Bearer t\x01k=\x01\x01",   // empty value
		"n,,\x01auth=Bearer t\x01k=\xc3\xa9\x01\x01",
		"n,,\x01\x01",                    // no auth
		"n,,\x01auth=Bearer\x01\x01",     // no token
		"n,,\x01auth=Bearer t+x\x01\x01", // token characters
		"n,,\x01auth= Bearer t\x01\x01",  // empty scheme
	}
	for _, b := range bad {
		if _, err := ParseClientInitialResponse([]byte(b)); err == nil {
			t.Errorf("%q accepted", b)
		}
	}
	_, err = ParseClientInitialResponse([]byte("n,,\x01auth=Basic t\x01\x01"))
	var drop *ConnectionDropError
	if !errors.As(err, &drop) {
		t.Fatalf("non-bearer scheme: %v", err)
	}
	if FailureMessage(MechanismOAuthBearer, errBadFirstMessage) != "Authentication failed during authentication due to invalid credentials with SASL mechanism OAUTHBEARER" {
		t.Fatal("generic failure text")
	}
}

func TestUnsecuredLoginToken(t *testing.T) {
	opts := map[string]string{
		"unsecuredLoginStringClaim_sub":   "alice",
		"unsecuredLoginLifetimeSeconds":   "60",
		"unsecuredLoginListClaim_scope":   ",read,write",
		"unsecuredLoginNumberClaim_level": "3",
		"unsecuredLoginExtension_traceId": "abc",
	}
	ir, err := UnsecuredLoginToken(opts, oauthNow)
	if err != nil {
		t.Fatal(err)
	}
	if ir.Extensions["traceId"] != "abc" {
		t.Fatalf("extensions %v", ir.Extensions)
	}
	v := testValidator(t, map[string]string{"unsecuredValidatorRequiredScope": "write"})
	j, err := v.Validate(ir.Token)
	if err != nil || j.Principal != "alice" || j.ExpSeconds != 1700000060 || *j.IatSeconds != 1700000000 {
		t.Fatalf("%+v %v", j, err)
	}
	parsed, err := ParseClientInitialResponse(ir.Bytes())
	if err != nil || parsed.Token != ir.Token || parsed.Extensions["traceId"] != "abc" {
		t.Fatalf("%+v %v", parsed, err)
	}
	for _, bad := range []map[string]string{
		{},
		{"unsecuredLoginExtension_a": "b"},
		{"unsecuredLoginStringClaim_exp": "1"},
		{"unsecuredLoginLifetimeSeconds": "x", "unsecuredLoginStringClaim_sub": "a"},
		{"unsecuredLoginStringClaim_user": "a"}, // no sub
		{"unsecuredLoginStringClaim_sub": "a", "unsecuredLoginExtension_auth": "x"},
	} {
		if _, err := UnsecuredLoginToken(bad, oauthNow); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

func TestLoginListItems(t *testing.T) {
	for in, want := range map[string]string{
		",a,b":  "a|b",
		"|a|b|": "a|b|",
		",a,,b": "a||b|",
		"x":     "",
	} {
		if got := strings.Join(loginListItems(in), "|"); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}
