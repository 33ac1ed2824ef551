// Package security holds the broker side of Kafka 2.8's SASL mechanisms
// (org.apache.kafka.common.security): the JAAS configuration the broker
// reads its login modules and options from (JaasContext), SASL/PLAIN
// (PlainSaslServer with PlainServerCallbackHandler) and SASL/SCRAM-SHA-256/512
// (ScramSaslServer, ScramFormatter, RFC 5802/7677) and SASL/OAUTHBEARER with
// 2.8's default unsecured-token handlers (OAuthBearerSaslServer,
// OAuthBearerUnsecuredJws, RFC 7628). The connection state
// machine that carries the tokens (SaslServerAuthenticator) is in
// core/network.
package security

import (
	"errors"
	"fmt"
)

// Mechanism names.
const (
	MechanismPlain       = "PLAIN"
	MechanismScramSHA256 = "SCRAM-SHA-256"
	MechanismScramSHA512 = "SCRAM-SHA-512"
)

// SupportedMechanisms are the SASL mechanisms this broker implements.
var SupportedMechanisms = map[string]bool{MechanismPlain: true, MechanismScramSHA256: true, MechanismScramSHA512: true, MechanismOAuthBearer: true}

// Server is one SASL exchange on the server side (javax.security.sasl.SaslServer).
type Server interface {
	// Evaluate takes the client's token and returns the server's answer
	// (possibly empty). An error ends the exchange: an *AuthenticationError
	// carries a message for the client, any other error gets Kafka's
	// generic one (see FailureMessage).
	Evaluate(response []byte) ([]byte, error)
	// Complete is true once the client is authenticated.
	Complete() bool
	// AuthorizationID is the authenticated user, once Complete.
	AuthorizationID() string
}

// AuthenticationError is Kafka's SaslAuthenticationException: its message
// goes to the client as is.
type AuthenticationError struct{ Msg string }

func (e *AuthenticationError) Error() string { return e.Msg }

func authFailed(format string, args ...interface{}) error {
	return &AuthenticationError{Msg: fmt.Sprintf(format, args...)}
}

// FailureMessage is the error message a client gets in the
// SaslAuthenticate response for a failed exchange, as
// SaslServerAuthenticator.handleSaslToken words it: the exception's own
// message for a SaslAuthenticationException, otherwise the generic text
// that names the mechanism.
func FailureMessage(mechanism string, err error) string {
	var ae *AuthenticationError
	if errors.As(err, &ae) {
		return ae.Msg
	}
	return "Authentication failed during authentication due to invalid credentials with SASL mechanism " + mechanism
}
