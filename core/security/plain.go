package security

import (
	"crypto/subtle"
	"strings"
)

// PlainServer is SASL/PLAIN (RFC 4616) as Kafka's PlainSaslServer with the
// default PlainServerCallbackHandler: the password of user <name> is the
// user_<name> option of a PlainLoginModule entry of the listener's JAAS
// context.
type PlainServer struct {
	entries  []JaasEntry
	complete bool
	authzID  string
}

// NewPlainServer returns a server checking against the JAAS entries.
func NewPlainServer(entries []JaasEntry) *PlainServer { return &PlainServer{entries: entries} }

// Evaluate checks "authzid NUL username NUL password".
func (s *PlainServer) Evaluate(response []byte) ([]byte, error) {
	if s.complete {
		return nil, authFailed("Unexpected challenge in Sasl server state COMPLETE")
	}
	tokens, err := plainTokens(string(response))
	if err != nil {
		return nil, err
	}
	authzFromClient, username, password := tokens[0], tokens[1], tokens[2]
	if username == "" {
		return nil, authFailed("Authentication failed: username not specified")
	}
	if password == "" {
		return nil, authFailed("Authentication failed: password not specified")
	}
	expected, ok := ConfigEntryOption(s.entries, "user_"+username, PlainLoginModule)
	if !ok || subtle.ConstantTimeCompare([]byte(expected), []byte(password)) != 1 {
		return nil, authFailed("Authentication failed: Invalid username or password")
	}
	if authzFromClient != "" && authzFromClient != username {
		return nil, authFailed("Authentication failed: Client requested an authorization id that is different from username")
	}
	s.authzID = username
	s.complete = true
	return []byte{}, nil
}

// plainTokens splits as PlainSaslServer.extractTokens: at most four
// NUL-separated pieces, exactly three required.
func plainTokens(s string) ([]string, error) {
	var tokens []string
	start := 0
	for i := 0; i < 4; i++ {
		end := strings.IndexByte(s[start:], 0)
		if end < 0 {
			tokens = append(tokens, s[start:])
			break
		}
		tokens = append(tokens, s[start:start+end])
		start += end + 1
	}
	if len(tokens) != 3 {
		return nil, authFailed("Invalid SASL/PLAIN response: expected 3 tokens, got %d", len(tokens))
	}
	return tokens, nil
}

// Complete reports whether the client authenticated.
func (s *PlainServer) Complete() bool { return s.complete }

// AuthorizationID is the authenticated user name.
func (s *PlainServer) AuthorizationID() string { return s.authzID }
