package api

import (
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Delegation tokens (KIP-48) can only be created, renewed, expired or
// described over an authenticated (SASL or 2-way SSL) connection. Kafka
// 2.8 checks the channel first (allowTokenRequests), so on PLAINTEXT
// listeners every token request gets DELEGATION_TOKEN_REQUEST_NOT_ALLOWED,
// whatever its content and whether or not delegation.token.master.key is
// set. On a SASL connection the request passes that check and meets
// DelegationTokenManager with token authentication disabled (this broker
// keeps no tokens): DELEGATION_TOKEN_AUTH_DISABLED (a create naming a
// renewer that is not a User gets INVALID_PRINCIPAL_TYPE first). The
// principal of a PLAINTEXT connection is User:ANONYMOUS; timestamps are
// DelegationTokenManager's ErrorTimestamp (-1).

const (
	anonymousPrincipalType = "User"
	anonymousPrincipalName = "ANONYMOUS"
	tokenErrorTimestamp    = -1
)

// tokenError is the error of a token request on a connection with the
// given principal ("" on PLAINTEXT listeners).
func tokenError(principal string) int16 {
	if principal == "" {
		return kerr.DelegationTokenRequestNotAllowed.Code
	}
	return kerr.DelegationTokenAuthDisabled.Code
}

func (a *KafkaApis) handleCreateDelegationToken(req *kmsg.CreateDelegationTokenRequest, principal string) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.CreateDelegationTokenResponse)
	resp.ErrorCode = tokenError(principal)
	resp.PrincipalType, resp.PrincipalName = anonymousPrincipalType, anonymousPrincipalName
	if principal != "" {
		resp.PrincipalType, resp.PrincipalName, _ = strings.Cut(principal, ":")
		for _, r := range req.Renewers {
			if r.PrincipalType != anonymousPrincipalType {
				resp.ErrorCode = kerr.InvalidPrincipalType.Code
			}
		}
	}
	resp.IssueTimestamp, resp.ExpiryTimestamp, resp.MaxTimestamp = tokenErrorTimestamp, tokenErrorTimestamp, tokenErrorTimestamp
	resp.TokenID = ""
	resp.HMAC = []byte{}
	return resp
}

func (a *KafkaApis) handleRenewDelegationToken(req *kmsg.RenewDelegationTokenRequest, principal string) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.RenewDelegationTokenResponse)
	resp.ErrorCode = tokenError(principal)
	resp.ExpiryTimestamp = tokenErrorTimestamp
	return resp
}

func (a *KafkaApis) handleExpireDelegationToken(req *kmsg.ExpireDelegationTokenRequest, principal string) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.ExpireDelegationTokenResponse)
	resp.ErrorCode = tokenError(principal)
	resp.ExpiryTimestamp = tokenErrorTimestamp
	return resp
}

func (a *KafkaApis) handleDescribeDelegationToken(req *kmsg.DescribeDelegationTokenRequest, principal string) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.DescribeDelegationTokenResponse)
	resp.ErrorCode = tokenError(principal)
	resp.TokenDetails = []kmsg.DescribeDelegationTokenResponseTokenDetail{}
	return resp
}
