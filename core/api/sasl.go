package api

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// SaslHandshake and SaslAuthenticate reach KafkaApis only on a connection
// that is not in a SASL exchange: on a SASL listener the authenticator
// (core/network/sasl_authenticator.go, Kafka's SaslServerAuthenticator)
// consumes them before the request handlers. What arrives here (PLAINTEXT
// listeners, or an authenticated connection) is answered as 2.8's KafkaApis
// does, with ILLEGAL_SASL_STATE. The handshake lists no mechanisms.

// saslAuthenticateMessage is 2.8's text for a SaslAuthenticate outside a
// SASL exchange.
const saslAuthenticateMessage = "SaslAuthenticate request received after successful authentication"

func (a *KafkaApis) handleSaslHandshake(req *kmsg.SASLHandshakeRequest) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.SASLHandshakeResponse)
	resp.ErrorCode = kerr.IllegalSaslState.Code
	resp.SupportedMechanisms = []string{}
	return resp
}

func (a *KafkaApis) handleSaslAuthenticate(req *kmsg.SASLAuthenticateRequest) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.SASLAuthenticateResponse)
	resp.ErrorCode = kerr.IllegalSaslState.Code
	msg := saslAuthenticateMessage
	resp.ErrorMessage = &msg
	resp.SASLAuthBytes = []byte{}
	return resp
}
