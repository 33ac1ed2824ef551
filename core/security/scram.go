package security

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"math/big"
	"strconv"
	"strings"

	"github.com/gokafka/kafka/zkutil"
)

// ScramMinIterations is ScramMechanism.minIterations (4096 for both).
const ScramMinIterations = 4096

// ScramCredentialLookup returns the stored credential of a user for a
// mechanism, nil when the user has none.
type ScramCredentialLookup func(mechanism, user string) (*zkutil.ScramCredential, error)

type scramState int

const (
	scramReceiveClientFirst scramState = iota
	scramReceiveClientFinal
	scramComplete
	scramFailed
)

// ScramServer is Kafka's ScramSaslServer (RFC 5802, RFC 7677) over the
// credentials AlterUserScramCredentials / kafka-configs store in
// ZooKeeper. Extensions in the client-first message are ignored, except
// tokenauth (delegation tokens), which this broker does not support.
type ScramServer struct {
	mechanism string
	h         func() hash.Hash
	lookup    ScramCredentialLookup
	nonce     func() string

	state           scramState
	clientFirstBare string
	serverFirst     string
	clientNonce     string
	nonceFull       string
	cred            *zkutil.ScramCredential
	authzID         string
}

// NewScramServer returns a server for SCRAM-SHA-256 or SCRAM-SHA-512.
func NewScramServer(mechanism string, lookup ScramCredentialLookup) (*ScramServer, error) {
	var h func() hash.Hash
	switch mechanism {
	case MechanismScramSHA256:
		h = sha256.New
	case MechanismScramSHA512:
		h = sha512.New
	default:
		return nil, fmt.Errorf("Requested mechanism '%s' is not supported. Supported mechanisms are '[SCRAM-SHA-256, SCRAM-SHA-512]'.", mechanism)
	}
	return &ScramServer{mechanism: mechanism, h: h, lookup: lookup, nonce: secureRandomString}, nil
}

// secureRandomString is ScramFormatter.secureRandomString: a 130-bit
// random number in base 36.
func secureRandomString() string {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 130))
	if err != nil {
		panic(err)
	}
	return n.Text(36)
}

// Evaluate runs one step of the exchange.
func (s *ScramServer) Evaluate(response []byte) ([]byte, error) {
	var out []byte
	var err error
	switch s.state {
	case scramReceiveClientFirst:
		out, err = s.clientFirst(string(response))
	case scramReceiveClientFinal:
		out, err = s.clientFinal(string(response))
	default:
		err = fmt.Errorf("Unexpected challenge in Sasl server state %d", s.state)
	}
	if err != nil {
		s.state, s.cred = scramFailed, nil
		return nil, err
	}
	return out, nil
}

// scramUsername is ScramFormatter.username: =2C and =3D decoded.
func scramUsername(saslName string) string {
	return strings.ReplaceAll(strings.ReplaceAll(saslName, "=2C", ","), "=3D", "=")
}

func validSaslName(n string) bool {
	if n == "" {
		return false
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		switch {
		case c == '=':
			if !strings.HasPrefix(n[i:], "=2C") && !strings.HasPrefix(n[i:], "=3D") {
				return false
			}
			i += 2
		case c == ',' || c == 0 || c > 0x7f:
			return false
		}
	}
	return true
}

func printable(v string) bool {
	if v == "" {
		return false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < 0x21 || v[i] > 0x7e || v[i] == ',' {
			return false
		}
	}
	return true
}

func (s *ScramServer) clientFirst(msg string) ([]byte, error) {
	invalid := fmt.Errorf("Invalid SCRAM client first message format: %s", msg)
	// gs2-header: "n," [ "a=" saslname ] ","; channel binding is not
	// supported ("y" and "p" are refused, as Kafka's pattern does).
	if !strings.HasPrefix(msg, "n,") {
		return nil, invalid
	}
	rest := msg[2:]
	comma := strings.IndexByte(rest, ',')
	if comma < 0 {
		return nil, invalid
	}
	authz := rest[:comma]
	if authz != "" {
		if !strings.HasPrefix(authz, "a=") || !validSaslName(authz[2:]) {
			return nil, invalid
		}
		authz = scramUsername(authz[2:])
	}
	bare := rest[comma+1:]
	parts := strings.Split(bare, ",")
	if len(parts) > 0 && strings.HasPrefix(parts[0], "m=") {
		parts = parts[1:] // reserved mandatory extension, accepted by Kafka's pattern
	}
	if len(parts) < 2 || !strings.HasPrefix(parts[0], "n=") || !strings.HasPrefix(parts[1], "r=") {
		return nil, invalid
	}
	saslName, clientNonce := parts[0][2:], parts[1][2:]
	if !validSaslName(saslName) || !printable(clientNonce) {
		return nil, invalid
	}
	for _, ext := range parts[2:] {
		k, v, ok := strings.Cut(ext, "=")
		if !ok || k == "" {
			return nil, invalid
		}
		if k == "tokenauth" && strings.EqualFold(v, "true") {
			return nil, errors.New("Token Authentication is not supported by this broker")
		}
	}
	username := scramUsername(saslName)
	cred, err := s.lookup(s.mechanism, username)
	if err != nil {
		return nil, fmt.Errorf("Authentication failed: Credentials could not be obtained: %w", err)
	}
	if cred == nil {
		return nil, errors.New("Authentication failed: Invalid user credentials")
	}
	if authz != "" && authz != username {
		return nil, authFailed("Authentication failed: Client requested an authorization id that is different from username")
	}
	if cred.Iterations < ScramMinIterations {
		return nil, fmt.Errorf("Iterations %d is less than the minimum %d for %s", cred.Iterations, ScramMinIterations, s.mechanism)
	}
	s.cred, s.authzID = cred, username
	s.clientFirstBare = bare
	s.clientNonce = clientNonce
	s.nonceFull = clientNonce + s.nonce()
	s.serverFirst = "r=" + s.nonceFull + ",s=" + base64.StdEncoding.EncodeToString(cred.Salt) + ",i=" + strconv.Itoa(int(cred.Iterations))
	s.state = scramReceiveClientFinal
	return []byte(s.serverFirst), nil
}

func (s *ScramServer) hmac(key []byte, msg string) []byte {
	m := hmac.New(s.h, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

func (s *ScramServer) clientFinal(msg string) ([]byte, error) {
	invalid := fmt.Errorf("Invalid SCRAM client final message format: %s", msg)
	i := strings.LastIndex(msg, ",p=")
	if i < 0 {
		return nil, invalid
	}
	withoutProof, proofB64 := msg[:i], msg[i+3:]
	parts := strings.Split(withoutProof, ",")
	if len(parts) < 2 || !strings.HasPrefix(parts[0], "c=") || !strings.HasPrefix(parts[1], "r=") {
		return nil, invalid
	}
	if _, err := base64.StdEncoding.DecodeString(parts[0][2:]); err != nil {
		return nil, invalid
	}
	proof, err := base64.StdEncoding.DecodeString(proofB64)
	if err != nil {
		return nil, invalid
	}
	// The nonce must be the server-first one. librdkafka before 2.2 sends
	// its client nonce in front of it again; Kafka 2.8 did not compare the
	// nonces (the check came later), so that form is accepted too. The
	// proof covers the message as sent either way.
	if n := parts[1][2:]; n != s.nonceFull && n != s.clientNonce+s.nonceFull {
		return nil, errors.New("Invalid client nonce in the final client message.")
	}
	authMessage := s.clientFirstBare + "," + s.serverFirst + "," + withoutProof
	clientSignature := s.hmac(s.cred.StoredKey, authMessage)
	if len(proof) != len(clientSignature) {
		return nil, errors.New("Invalid client credentials")
	}
	clientKey := make([]byte, len(proof))
	for j := range proof {
		clientKey[j] = proof[j] ^ clientSignature[j]
	}
	d := s.h()
	d.Write(clientKey)
	if !hmac.Equal(d.Sum(nil), s.cred.StoredKey) {
		return nil, errors.New("Invalid client credentials")
	}
	serverSignature := s.hmac(s.cred.ServerKey, authMessage)
	s.cred = nil
	s.state = scramComplete
	return []byte("v=" + base64.StdEncoding.EncodeToString(serverSignature)), nil
}

// Complete reports whether the client proved its password.
func (s *ScramServer) Complete() bool { return s.state == scramComplete }

// AuthorizationID is the authenticated user name.
func (s *ScramServer) AuthorizationID() string { return s.authzID }

// ScramClient is the client side of SCRAM-SHA-256/512 (Kafka's
// ScramSaslClient), used by the broker to authenticate to other brokers.
type ScramClient struct {
	mechanism, user, password string
	h                         func() hash.Hash
	clientNonce               string
	clientFirstBare           string
	serverSignature           []byte
}

// NewScramClient returns a client for SCRAM-SHA-256 or SCRAM-SHA-512.
func NewScramClient(mechanism, user, password string) (*ScramClient, error) {
	s, err := NewScramServer(mechanism, nil)
	if err != nil {
		return nil, err
	}
	return &ScramClient{mechanism: mechanism, user: user, password: password, h: s.h, clientNonce: secureRandomString()}, nil
}

// First is the client-first message.
func (c *ScramClient) First() []byte {
	name := strings.ReplaceAll(strings.ReplaceAll(c.user, "=", "=3D"), ",", "=2C")
	c.clientFirstBare = "n=" + name + ",r=" + c.clientNonce
	return []byte("n,," + c.clientFirstBare)
}

// Final answers the server-first message with the client-final message.
func (c *ScramClient) Final(serverFirst []byte) ([]byte, error) {
	attrs := map[string]string{}
	for _, kv := range strings.Split(string(serverFirst), ",") {
		if k, v, ok := strings.Cut(kv, "="); ok && len(k) == 1 {
			if _, dup := attrs[k]; !dup {
				attrs[k] = v
			}
		}
	}
	nonce := attrs["r"]
	if !strings.HasPrefix(nonce, c.clientNonce) || len(nonce) == len(c.clientNonce) {
		return nil, errors.New("Invalid server nonce: does not start with client nonce")
	}
	salt, err := base64.StdEncoding.DecodeString(attrs["s"])
	if err != nil {
		return nil, fmt.Errorf("Invalid SCRAM server first message format: %s", serverFirst)
	}
	iterations, err := strconv.Atoi(attrs["i"])
	if err != nil || iterations < ScramMinIterations {
		return nil, fmt.Errorf("Requested iterations %s is less than the minimum %d for %s", attrs["i"], ScramMinIterations, c.mechanism)
	}
	salted, err := zkutil.SaltedPassword(c.mechanism, c.password, salt, iterations)
	if err != nil {
		return nil, err
	}
	mac := func(key []byte, msg string) []byte {
		m := hmac.New(c.h, key)
		m.Write([]byte(msg))
		return m.Sum(nil)
	}
	clientKey := mac(salted, "Client Key")
	d := c.h()
	d.Write(clientKey)
	storedKey := d.Sum(nil)
	without := "c=biws,r=" + nonce
	authMessage := c.clientFirstBare + "," + string(serverFirst) + "," + without
	sig := mac(storedKey, authMessage)
	proof := make([]byte, len(clientKey))
	for i := range proof {
		proof[i] = clientKey[i] ^ sig[i]
	}
	c.serverSignature = mac(mac(salted, "Server Key"), authMessage)
	return []byte(without + ",p=" + base64.StdEncoding.EncodeToString(proof)), nil
}

// Verify checks the server-final message's signature.
func (c *ScramClient) Verify(serverFinal []byte) error {
	msg := string(serverFinal)
	if strings.HasPrefix(msg, "e=") {
		return fmt.Errorf("Sasl authentication using %s failed with error: %s", c.mechanism, msg[2:])
	}
	v, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(msg, "v="))
	if !strings.HasPrefix(msg, "v=") || err != nil || !hmac.Equal(v, c.serverSignature) {
		return errors.New("Invalid server signature in server final message")
	}
	return nil
}
