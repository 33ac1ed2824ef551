package security

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// MechanismOAuthBearer is SASL/OAUTHBEARER (RFC 7628, KIP-255).
const MechanismOAuthBearer = "OAUTHBEARER"

// OAuthBearerLoginModule is the login module of OAUTHBEARER JAAS entries.
const OAuthBearerLoginModule = "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule"

// ConnectionDropError is a failure that, in 2.8, escapes the SASL server as
// an unexpected exception: the broker logs it and closes the connection
// without answering.
type ConnectionDropError struct{ Msg string }

func (e *ConnectionDropError) Error() string { return e.Msg }

// OAuthBearerValidator holds the unsecuredValidator* options of 2.8's
// default server callback handler (OAuthBearerUnsecuredValidatorCallbackHandler).
type OAuthBearerValidator struct {
	PrincipalClaim, ScopeClaim string
	RequiredScope              []string
	ClockSkewMs                int64
	Now                        func() time.Time
}

// NewOAuthBearerValidator reads the options of the listener's single JAAS
// entry. Values Kafka would only trip over at each authentication (a bad
// clock skew or scope) are refused here, once, at start-up.
func NewOAuthBearerValidator(entries []JaasEntry) (*OAuthBearerValidator, error) {
	if len(entries) != 1 {
		return nil, fmt.Errorf("Must supply exactly 1 non-null JAAS mechanism configuration (size was %d)", len(entries))
	}
	opt := func(k string) string { return javaTrim(entries[0].Options[k]) }
	v := &OAuthBearerValidator{PrincipalClaim: "sub", ScopeClaim: "scope", Now: time.Now}
	if s := opt("unsecuredValidatorPrincipalClaimName"); s != "" {
		v.PrincipalClaim = s
	}
	if s := opt("unsecuredValidatorScopeClaimName"); s != "" {
		v.ScopeClaim = s
	}
	var err error
	if v.RequiredScope, err = parseScopeList(opt("unsecuredValidatorRequiredScope")); err != nil {
		return nil, err
	}
	if s := opt("unsecuredValidatorAllowableClockSkewMs"); s != "" {
		skew, err := strconv.ParseInt(s, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("unsecuredValidatorAllowableClockSkewMs: For input string: %q", s)
		}
		if skew < 0 {
			return nil, fmt.Errorf("Allowable clock skew millis must not be negative: %s", s)
		}
		v.ClockSkewMs = skew
	}
	return v, nil
}

// parseScopeList splits a space-delimited scope; items must be RFC 6749
// scope tokens.
func parseScopeList(s string) ([]string, error) {
	var out []string
	for _, item := range strings.Split(s, " ") {
		if item == "" {
			continue
		}
		for _, c := range []byte(item) {
			if c < 0x21 || c == 0x22 || c == 0x5C || c > 0x7E {
				return nil, fmt.Errorf("Invalid scope value: %s", item)
			}
		}
		out = append(out, item)
	}
	return out, nil
}

// Validate parses and checks a token as 2.8's unsecured validator: the
// structure, then iat (optional, not in the future beyond the skew), exp
// (not reached, minus the skew), exp after iat, and the required scope.
func (v *OAuthBearerValidator) Validate(token string) (*UnsecuredJws, error) {
	j, err := ParseUnsecuredJws(token, v.PrincipalClaim, v.ScopeClaim)
	if err != nil {
		return nil, err
	}
	nowMs := float64(v.Now().UnixMilli())
	skew := float64(v.ClockSkewMs)
	if j.IatSeconds != nil && 1000**j.IatSeconds > nowMs+skew {
		return nil, invalidToken("The Issued At value (%f seconds) was after the indicated time (%d ms) plus allowable clock skew (%d ms)", *j.IatSeconds, int64(nowMs), v.ClockSkewMs)
	}
	if nowMs-skew >= 1000*j.ExpSeconds {
		return nil, invalidToken("The indicated time (%d ms) minus allowable clock skew (%d ms) was on or after the Expiration Time value (%f seconds)", int64(nowMs), v.ClockSkewMs, j.ExpSeconds)
	}
	if j.IatSeconds != nil && j.ExpSeconds <= *j.IatSeconds {
		return nil, invalidToken("The Expiration Time time (%f seconds) was not after the Issued At time (%f seconds)", j.ExpSeconds, *j.IatSeconds)
	}
	return j, v.checkScope(j)
}

func (v *OAuthBearerValidator) checkScope(j *UnsecuredJws) error {
	required := "[" + strings.Join(v.RequiredScope, ", ") + "]"
	for _, s := range v.RequiredScope {
		if !j.Scope[s] {
			have := make([]string, 0, len(j.Scope))
			for k := range j.Scope {
				have = append(have, k)
			}
			sort.Strings(have)
			return &tokenError{scope: required, msg: fmt.Sprintf("The provided scope ([%s]) was missing a required scope (%s).  All required scope elements: %s", strings.Join(have, ", "), s, required)}
		}
	}
	return nil
}

// OAuthBearerServer is 2.8's OAuthBearerSaslServer with the unsecured
// validator. A refused token is answered with the RFC 7628 error JSON as
// a challenge; the client acknowledges with a lone 0x01 and only then
// does the exchange fail, with the JSON as the message.
type OAuthBearerServer struct {
	validator *OAuthBearerValidator
	pending   string // error JSON sent, waiting for the client's 0x01
	complete  bool
	principal string
	// LastError is the validator's reason for the last refused token, for
	// the broker's log (the client only sees the JSON).
	LastError string
}

// NewOAuthBearerServer returns a server checking tokens with v.
func NewOAuthBearerServer(v *OAuthBearerValidator) *OAuthBearerServer {
	return &OAuthBearerServer{validator: v}
}

// Evaluate takes the client's initial response, or its 0x01 after an error.
func (s *OAuthBearerServer) Evaluate(response []byte) ([]byte, error) {
	if len(response) == 1 && response[0] == 0x01 && s.pending != "" {
		return nil, authFailed("%s", s.pending)
	}
	s.pending = ""
	ir, err := ParseClientInitialResponse(response)
	if err != nil {
		return nil, err
	}
	j, err := s.validator.Validate(ir.Token)
	var te *tokenError
	if errors.As(err, &te) {
		s.LastError, s.pending = te.msg, oauthErrorJSON(te)
		return []byte(s.pending), nil
	}
	if err != nil {
		return nil, err
	}
	if ir.AuthzID != "" && ir.AuthzID != j.Principal {
		return nil, authFailed("Authentication failed: Client requested an authorization id (%s) that is different from the token's principal name (%s)", ir.AuthzID, j.Principal)
	}
	// The unsecured validator accepts every extension, so none is checked.
	s.principal, s.complete = j.Principal, true
	return []byte{}, nil
}

// oauthErrorJSON is the RFC 7628 section 3.2.2 error, spaced as 2.8 writes it.
func oauthErrorJSON(te *tokenError) string {
	if te.scope != "" {
		return fmt.Sprintf(`{"status":"insufficient_scope", "scope":"%s"}`, te.scope)
	}
	return `{"status":"invalid_token"}`
}

// Complete reports whether the client authenticated.
func (s *OAuthBearerServer) Complete() bool { return s.complete }

// AuthorizationID is the token's principal claim.
func (s *OAuthBearerServer) AuthorizationID() string { return s.principal }
