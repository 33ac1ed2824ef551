package security

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// jwsNumber is a JSON number claim, kept with its text so that error
// messages can name the Java type Kafka's JSON parser would have made of it.
type jwsNumber struct {
	text  string
	value float64
}

// javaType is the simple class name Kafka's Jackson-based parser gives a
// number: it appears in 2.8's "claim was not of type" messages.
func (n jwsNumber) javaType() string {
	if strings.ContainsAny(n.text, ".eE") {
		return "Double"
	}
	if i, err := strconv.ParseInt(n.text, 10, 64); err == nil {
		if i >= math.MinInt32 && i <= math.MaxInt32 {
			return "Integer"
		}
		return "Long"
	}
	return "BigInteger"
}

// UnsecuredJws is an unsecured JSON Web Signature (RFC 7515 with alg
// "none") as 2.8's OAuthBearerUnsecuredJws reads one. Claim values are
// string, jwsNumber or []string, the three shapes Kafka reduces JSON to.
type UnsecuredJws struct {
	Header, Claims map[string]interface{}
	Principal      string
	Scope          map[string]bool
	ExpSeconds     float64
	IatSeconds     *float64
}

// tokenError is a token Kafka's validator refuses: the client gets the
// RFC 7628 error JSON. scope is set for a missing required scope.
type tokenError struct {
	msg   string
	scope string
}

func (e *tokenError) Error() string { return e.msg }

func invalidToken(format string, args ...interface{}) error {
	return &tokenError{msg: fmt.Sprintf(format, args...)}
}

// ParseUnsecuredJws parses a compact serialization with the given
// principal and scope claim names, applying 2.8's structural checks in
// its order (the first failure is the one reported).
func ParseUnsecuredJws(compact, principalClaim, scopeClaim string) (*UnsecuredJws, error) {
	parts, err := jwsParts(compact)
	if err != nil {
		return nil, err
	}
	j := &UnsecuredJws{}
	if j.Header, err = jwsSection(parts[0]); err != nil {
		return nil, err
	}
	if j.Claims, err = jwsSection(parts[1]); err != nil {
		return nil, err
	}
	if err := checkUnsecuredHeader(j.Header, parts[2]); err != nil {
		return nil, err
	}
	return j, j.readClaims(principalClaim, scopeClaim)
}

// jwsParts splits at the dots. Kafka refuses ".." outright and otherwise
// needs exactly three parts, the last (the signature) possibly empty.
func jwsParts(compact string) ([]string, error) {
	if strings.Contains(compact, "..") {
		return nil, invalidToken("Malformed compact serialization contains '..'")
	}
	parts := strings.Split(compact, ".")
	if len(parts) != 3 {
		return nil, invalidToken("Unsecured JWS compact serializations must have 3 dot-separated Base64URL-encoded values")
	}
	return parts, nil
}

// checkUnsecuredHeader wants alg "none" and no signature. A header without
// alg makes 2.8's validator throw an unexpected exception, after which the
// broker closes the connection without an answer.
func checkUnsecuredHeader(header map[string]interface{}, signature string) error {
	alg, ok := header["alg"]
	if !ok {
		return &ConnectionDropError{Msg: "JWS header must have an Algorithm value"}
	}
	if s, isString := alg.(string); !isString || s != "none" {
		return invalidToken("Unsecured JWS must have 'none' for an algorithm")
	}
	if signature != "" {
		return invalidToken("Unsecured JWS must not contain a digital signature")
	}
	return nil
}

// jwsSection decodes one part. 2.8 decodes with Java's basic (not URL)
// Base64 alphabet, padding optional; since the SASL token may only hold
// [-_.a-zA-Z0-9], in practice a part decodes only when its encoding has
// no '-' or '_', which plain ASCII JSON never produces.
func jwsSection(part string) (map[string]interface{}, error) {
	raw, err := decodeJavaBase64(part)
	if err != nil {
		return nil, invalidToken("malformed Base64 URL encoded value")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v interface{}
	if err := dec.Decode(&v); err != nil {
		return nil, invalidToken("malformed JSON")
	}
	out := map[string]interface{}{}
	obj, _ := v.(map[string]interface{}) // a non-object has no members for Kafka either
	for k, m := range obj {
		out[k] = jwsValue(m)
	}
	return out, nil
}

// decodeJavaBase64 accepts what java.util.Base64.getDecoder() does:
// the standard alphabet, with correct padding or none.
func decodeJavaBase64(s string) ([]byte, error) {
	trimmed := strings.TrimRight(s, "=")
	if pad := len(s) - len(trimmed); pad > 0 && (pad > 2 || len(s)%4 != 0) {
		return nil, fmt.Errorf("bad padding")
	}
	return base64.RawStdEncoding.DecodeString(trimmed)
}

// jwsValue reduces a JSON value as Kafka does: arrays become lists of
// their elements' text, numbers stay numbers, anything else becomes its
// text (so true is "true" and null is "null").
func jwsValue(v interface{}) interface{} {
	switch x := v.(type) {
	case []interface{}:
		list := make([]string, 0, len(x))
		for _, e := range x {
			list = append(list, jsonText(e))
		}
		return list
	case json.Number:
		f, _ := strconv.ParseFloat(string(x), 64)
		return jwsNumber{text: string(x), value: f}
	default:
		return jsonText(v)
	}
}

// jsonText is Jackson's JsonNode.asText for a scalar; containers give "".
func jsonText(v interface{}) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return string(x)
	case bool:
		return strconv.FormatBool(x)
	case nil:
		return "null"
	}
	return ""
}

func javaTypeOf(v interface{}) string {
	switch x := v.(type) {
	case string:
		return "String"
	case jwsNumber:
		return x.javaType()
	}
	return "ArrayList"
}

// stringClaim returns a string claim ("" when absent); another type is
// an invalid token.
func (j *UnsecuredJws) stringClaim(name string) (string, error) {
	v, ok := j.Claims[name]
	if !ok {
		return "", nil
	}
	s, isString := v.(string)
	if !isString {
		return "", invalidToken("The '%s' claim was not of type String: %s", name, javaTypeOf(v))
	}
	return s, nil
}

// numberClaim returns a number claim (nil when absent).
func (j *UnsecuredJws) numberClaim(name string) (*float64, error) {
	v, ok := j.Claims[name]
	if !ok {
		return nil, nil
	}
	n, isNumber := v.(jwsNumber)
	if !isNumber {
		return nil, invalidToken("The '%s' claim was not of type Number: %s", name, javaTypeOf(v))
	}
	return &n.value, nil
}

// readClaims extracts scope, exp, the principal and iat, in 2.8's order.
func (j *UnsecuredJws) readClaims(principalClaim, scopeClaim string) error {
	var err error
	if j.Scope, err = j.scopeClaim(scopeClaim); err != nil {
		return err
	}
	exp, err := j.numberClaim("exp")
	if err != nil {
		return err
	}
	if exp == nil {
		return invalidToken("No expiration time in JWT")
	}
	j.ExpSeconds = *exp
	if j.Principal, err = j.stringClaim(principalClaim); err != nil {
		return err
	}
	if javaTrim(j.Principal) == "" {
		return invalidToken("No principal name in JWT claim: %s", principalClaim)
	}
	j.IatSeconds, err = j.numberClaim("iat")
	return err
}

// scopeClaim is a single scope (a string, not split) or a list of them;
// blank entries do not count.
func (j *UnsecuredJws) scopeClaim(name string) (map[string]bool, error) {
	scope := map[string]bool{}
	switch v := j.Claims[name].(type) {
	case nil:
	case string:
		if t := javaTrim(v); t != "" {
			scope[t] = true
		}
	case []string:
		for _, s := range v {
			if t := javaTrim(s); t != "" {
				scope[t] = true
			}
		}
	default:
		return nil, invalidToken("The '%s' claim was not of type List: %s", name, javaTypeOf(v))
	}
	return scope, nil
}

// javaTrim is String.trim: it drops every character up to U+0020.
func javaTrim(s string) string {
	return strings.TrimFunc(s, func(r rune) bool { return r <= ' ' })
}
