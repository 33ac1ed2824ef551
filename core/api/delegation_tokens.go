package api

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Delegation tokens (KIP-48) can only be created, renewed, expired or
// described over an authenticated (SASL or 2-way SSL) connection. Kafka
// 2.8 checks the channel first (allowTokenRequests), so on this broker's
// PLAINTEXT listeners every token request gets
// DELEGATION_TOKEN_REQUEST_NOT_ALLOWED, whatever its content and whether or
// not delegation.token.master.key is set. The principal of a PLAINTEXT
// connection is User:ANONYMOUS; timestamps are DelegationTokenManager's
// ErrorTimestamp (-1).

const (
	anonymousPrincipalType = "User"
	anonymousPrincipalName = "ANONYMOUS"
	tokenErrorTimestamp    = -1
)

func (a *KafkaApis) handleCreateDelegationToken(req *kmsg.CreateDelegationTokenRequest) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.CreateDelegationTokenResponse)
	resp.ErrorCode = kerr.DelegationTokenRequestNotAllowed.Code
	resp.PrincipalType, resp.PrincipalName = anonymousPrincipalType, anonymousPrincipalName
	resp.IssueTimestamp, resp.ExpiryTimestamp, resp.MaxTimestamp = tokenErrorTimestamp, tokenErrorTimestamp, tokenErrorTimestamp
	resp.TokenID = ""
	resp.HMAC = []byte{}
	return resp
}

func (a *KafkaApis) handleRenewDelegationToken(req *kmsg.RenewDelegationTokenRequest) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.RenewDelegationTokenResponse)
	resp.ErrorCode = kerr.DelegationTokenRequestNotAllowed.Code
	resp.ExpiryTimestamp = tokenErrorTimestamp
	return resp
}

func (a *KafkaApis) handleExpireDelegationToken(req *kmsg.ExpireDelegationTokenRequest) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.ExpireDelegationTokenResponse)
	resp.ErrorCode = kerr.DelegationTokenRequestNotAllowed.Code
	resp.ExpiryTimestamp = tokenErrorTimestamp
	return resp
}

func (a *KafkaApis) handleDescribeDelegationToken(req *kmsg.DescribeDelegationTokenRequest) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.DescribeDelegationTokenResponse)
	resp.ErrorCode = kerr.DelegationTokenRequestNotAllowed.Code
	resp.TokenDetails = []kmsg.DescribeDelegationTokenResponseTokenDetail{}
	return resp
}
