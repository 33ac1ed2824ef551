package security

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ClientInitialResponse is the RFC 7628 client first message:
// "n,[a=authzid],\x01auth=Bearer <token>\x01[key=value\x01...]\x01".
type ClientInitialResponse struct {
	AuthzID    string
	Token      string
	Extensions map[string]string
}

// errBadFirstMessage is 2.8's wording; it reaches only the broker's log
// (the client gets the generic failure text).
var errBadFirstMessage = errors.New("Invalid OAUTHBEARER client first message")

// ParseClientInitialResponse checks the message as strictly as 2.8's
// pattern: an authzid that is an RFC 5801 saslname (validSaslName; =2C and
// =3D are kept as they are, not decoded), key=value pairs with alphabetic
// keys and printable values, and an "auth" pair "<scheme> <token>".
func ParseClientInitialResponse(b []byte) (*ClientInitialResponse, error) {
	s := string(b)
	if !strings.HasPrefix(s, "n,") {
		return nil, errBadFirstMessage
	}
	s = s[2:]
	ir := &ClientInitialResponse{Extensions: map[string]string{}}
	if strings.HasPrefix(s, "a=") {
		end := strings.IndexByte(s, ',')
		if end < 0 || !validSaslName(s[2:end]) {
			return nil, errBadFirstMessage
		}
		ir.AuthzID, s = s[2:end], s[end:]
	}
	if !strings.HasPrefix(s, ",\x01") || !strings.HasSuffix(s[2:], "\x01") {
		return nil, errBadFirstMessage
	}
	pairs := strings.Split(s[2:len(s)-1], "\x01")
	if pairs[len(pairs)-1] != "" { // every pair ends with 0x01
		return nil, errBadFirstMessage
	}
	for _, p := range pairs[:len(pairs)-1] {
		k, v, ok := strings.Cut(p, "=")
		if !ok || !validExtensionKey(k) || !validExtensionValue(v) {
			return nil, errBadFirstMessage
		}
		ir.Extensions[k] = v
	}
	return ir, ir.takeAuth()
}

// takeAuth moves the "auth" pair out of the extensions into Token. A
// scheme other than Bearer makes 2.8 fail on a lookup of a group its
// pattern lacks: an unexpected exception that drops the connection.
func (ir *ClientInitialResponse) takeAuth() error {
	auth, ok := ir.Extensions["auth"]
	if !ok {
		return errors.New("Invalid OAUTHBEARER client first message: 'auth' not specified")
	}
	delete(ir.Extensions, "auth")
	sp := strings.IndexByte(auth, ' ')
	if sp <= 0 {
		return errors.New("Invalid OAUTHBEARER client first message: invalid 'auth' format")
	}
	scheme, token := auth[:sp], strings.TrimLeft(auth[sp:], " ")
	if !allBytes(scheme, isWordByte) || token == "" || !allBytes(token, isTokenByte) {
		return errors.New("Invalid OAUTHBEARER client first message: invalid 'auth' format")
	}
	if !strings.EqualFold(scheme, "bearer") {
		return &ConnectionDropError{Msg: "Invalid scheme in OAUTHBEARER client first message: " + scheme}
	}
	ir.Token = token
	return nil
}

// Bytes formats the message as Kafka's and franz-go's clients send it.
func (ir *ClientInitialResponse) Bytes() []byte {
	var b strings.Builder
	b.WriteString("n,")
	if ir.AuthzID != "" {
		b.WriteString("a=" + ir.AuthzID)
	}
	b.WriteString(",\x01auth=Bearer " + ir.Token + "\x01")
	keys := make([]string, 0, len(ir.Extensions))
	for k := range ir.Extensions {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b.WriteString(k + "=" + ir.Extensions[k] + "\x01")
	}
	b.WriteString("\x01")
	return []byte(b.String())
}

func allBytes(s string, ok func(c byte) bool) bool {
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}

func isAlpha(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }

func isWordByte(c byte) bool { return isAlpha(c) || (c >= '0' && c <= '9') || c == '_' }

func isTokenByte(c byte) bool { return isWordByte(c) || c == '-' || c == '.' }

func validExtensionKey(k string) bool { return k != "" && allBytes(k, isAlpha) }

func validExtensionValue(v string) bool {
	return v != "" && allBytes(v, func(c byte) bool {
		return (c >= 0x21 && c <= 0x7E) || c == ' ' || c == '\t' || c == '\r' || c == '\n'
	})
}

// UnsecuredLoginToken builds the token 2.8's default client-side login
// handler (OAuthBearerUnsecuredLoginCallbackHandler) makes from the JAAS
// options: header {"alg":"none"}, claims exp (now plus
// unsecuredLoginLifetimeSeconds, default 3600) and iat (now), plus
// unsecuredLoginStringClaim_<n>, unsecuredLoginNumberClaim_<n> and
// unsecuredLoginListClaim_<n> (the first character of the value separates
// the list items). unsecuredLoginExtension_<n> options become extensions.
func UnsecuredLoginToken(options map[string]string, now time.Time) (*ClientInitialResponse, error) {
	if len(options) == 0 {
		return nil, errors.New("no unsecuredLogin options in the OAuthBearerLoginModule entry: no token to log in with")
	}
	claims, err := unsecuredLoginClaims(options, now)
	if err != nil {
		return nil, err
	}
	enc := base64.RawURLEncoding
	token := enc.EncodeToString([]byte(`{"alg":"none"}`)) + "." + enc.EncodeToString(claims) + "."
	principal, scope := "sub", "scope"
	if s := javaTrim(options["unsecuredLoginPrincipalClaimName"]); s != "" {
		principal = s
	}
	if s := javaTrim(options["unsecuredLoginScopeClaimName"]); s != "" {
		scope = s
	}
	if _, err := ParseUnsecuredJws(token, principal, scope); err != nil {
		return nil, err
	}
	ir := &ClientInitialResponse{Token: token, Extensions: map[string]string{}}
	return ir, ir.loginExtensions(options)
}

// unsecuredLoginClaims is the JSON claim set, keys sorted for a stable token.
func unsecuredLoginClaims(options map[string]string, now time.Time) ([]byte, error) {
	lifetime := int64(3600)
	if s, ok := options["unsecuredLoginLifetimeSeconds"]; ok {
		var err error
		if lifetime, err = strconv.ParseInt(s, 10, 64); err != nil {
			return nil, fmt.Errorf("unsecuredLoginLifetimeSeconds: For input string: %q", s)
		}
	}
	nowSec := float64(now.UnixMilli()) / 1000
	claims := map[string]json.RawMessage{
		"exp": json.RawMessage(strconv.FormatFloat(nowSec+float64(lifetime), 'f', -1, 64)),
		"iat": json.RawMessage(strconv.FormatFloat(nowSec, 'f', -1, 64)),
	}
	onlyExtensions := true
	for k, v := range options {
		onlyExtensions = onlyExtensions && strings.HasPrefix(k, "unsecuredLoginExtension_")
		if err := addLoginClaim(claims, k, v); err != nil {
			return nil, err
		}
	}
	if onlyExtensions {
		return nil, errors.New("Extensions provided in login context without a token")
	}
	return marshalNoHTMLEscape(claims)
}

// addLoginClaim adds the claim an unsecuredLogin*Claim_<name> option names.
func addLoginClaim(claims map[string]json.RawMessage, key, value string) error {
	var name string
	var raw []byte
	var err error
	switch {
	case cutPrefix(key, "unsecuredLoginStringClaim_", &name):
		raw, err = marshalNoHTMLEscape(value)
	case cutPrefix(key, "unsecuredLoginNumberClaim_", &name):
		f, perr := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if perr != nil {
			return fmt.Errorf("%s: For input string: %q", key, value)
		}
		raw = []byte(strconv.FormatFloat(f, 'f', -1, 64))
	case cutPrefix(key, "unsecuredLoginListClaim_", &name):
		raw, err = marshalNoHTMLEscape(loginListItems(value))
	default:
		return nil
	}
	if name == "iat" || name == "exp" {
		return fmt.Errorf("Cannot explicitly set the '%s' claim", name)
	}
	claims[name] = raw
	return err
}

// cutPrefix sets *rest to what follows a non-empty-remainder prefix.
func cutPrefix(s, prefix string, rest *string) bool {
	if len(s) <= len(prefix) || !strings.HasPrefix(s, prefix) {
		return false
	}
	*rest = s[len(prefix):]
	return true
}

// loginListItems splits "<sep>a<sep>b" at <sep>. As in 2.8, empty items
// at the end are dropped by the split but one "" is added whenever the
// list had an empty item anywhere.
func loginListItems(value string) []string {
	items := []string{}
	if len(value) <= 1 {
		return items
	}
	sep, rest := value[:1], value[1:]
	items = strings.Split(rest, sep)
	for len(items) > 0 && items[len(items)-1] == "" {
		items = items[:len(items)-1]
	}
	if strings.HasPrefix(rest, sep) || strings.HasSuffix(rest, sep) || strings.Contains(rest, sep+sep) {
		items = append(items, "")
	}
	return items
}

func marshalNoHTMLEscape(v interface{}) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// loginExtensions copies unsecuredLoginExtension_<name> options, checked
// as RFC 7628 extensions ("auth" is reserved).
func (ir *ClientInitialResponse) loginExtensions(options map[string]string) error {
	for k, v := range options {
		var name string
		if !cutPrefix(k, "unsecuredLoginExtension_", &name) {
			continue
		}
		if name == "auth" || !validExtensionKey(name) {
			return fmt.Errorf("Extension name %s is invalid", name)
		}
		if !validExtensionValue(v) {
			return fmt.Errorf("Extension value (%s) for extension %s is invalid", v, name)
		}
		ir.Extensions[name] = v
	}
	return nil
}
