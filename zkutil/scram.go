package zkutil

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"net/url"
	"strconv"
	"strings"
)

// SCRAM credentials live in the user's entity config, /config/users/<user>,
// one key per mechanism (Kafka's ScramCredentialUtils):
//
//	"SCRAM-SHA-256": "salt=<b64>,stored_key=<b64>,server_key=<b64>,iterations=<n>"

// SCRAM mechanism names, which are also the config keys.
const (
	ScramSHA256 = "SCRAM-SHA-256"
	ScramSHA512 = "SCRAM-SHA-512"
)

// ScramMinIterations and ScramMaxIterations bound the iterations accepted
// by AlterUserScramCredentials (Kafka's InternalScramMechanism minimum and
// ZkAdminManager's maximum).
const (
	ScramMinIterations = 4096
	ScramMaxIterations = 16384
)

// ScramMechanismName maps the protocol's mechanism type (1 = SCRAM-SHA-256,
// 2 = SCRAM-SHA-512) to its name; "" for UNKNOWN.
func ScramMechanismName(t int8) string {
	switch t {
	case 1:
		return ScramSHA256
	case 2:
		return ScramSHA512
	}
	return ""
}

// ScramMechanismTypes lists the known mechanism types in Kafka's order.
var ScramMechanismTypes = []int8{1, 2}

// ScramCredential is what the broker stores for one user and mechanism.
type ScramCredential struct {
	Salt, StoredKey, ServerKey []byte
	Iterations                 int32
}

func scramHash(mechanism string) (func() hash.Hash, error) {
	switch mechanism {
	case ScramSHA256:
		return sha256.New, nil
	case ScramSHA512:
		return sha512.New, nil
	}
	return nil, fmt.Errorf("unknown SCRAM mechanism %q", mechanism)
}

// GenerateScramCredential derives the stored and server keys from a salted
// password as ScramFormatter does: ClientKey = HMAC(salted, "Client Key"),
// StoredKey = H(ClientKey), ServerKey = HMAC(salted, "Server Key").
func GenerateScramCredential(mechanism string, salt, saltedPassword []byte, iterations int32) (ScramCredential, error) {
	h, err := scramHash(mechanism)
	if err != nil {
		return ScramCredential{}, err
	}
	mac := func(msg string) []byte {
		m := hmac.New(h, saltedPassword)
		m.Write([]byte(msg))
		return m.Sum(nil)
	}
	clientKey := mac("Client Key")
	d := h()
	d.Write(clientKey)
	return ScramCredential{
		Salt:       append([]byte(nil), salt...),
		StoredKey:  d.Sum(nil),
		ServerKey:  mac("Server Key"),
		Iterations: iterations,
	}, nil
}

// SaltedPassword is RFC 5802's Hi(password, salt, iterations), what a
// client sends in an upsertion; used by tools and tests.
func SaltedPassword(mechanism, password string, salt []byte, iterations int) ([]byte, error) {
	h, err := scramHash(mechanism)
	if err != nil {
		return nil, err
	}
	m := hmac.New(h, []byte(password))
	m.Write(salt)
	m.Write([]byte{0, 0, 0, 1})
	u := m.Sum(nil)
	out := append([]byte(nil), u...)
	for i := 1; i < iterations; i++ {
		m.Reset()
		m.Write(u)
		u = m.Sum(u[:0])
		for j := range out {
			out[j] ^= u[j]
		}
	}
	return out, nil
}

// String renders the credential as ScramCredentialUtils.credentialToString.
func (c ScramCredential) String() string {
	enc := base64.StdEncoding.EncodeToString
	return fmt.Sprintf("salt=%s,stored_key=%s,server_key=%s,iterations=%d",
		enc(c.Salt), enc(c.StoredKey), enc(c.ServerKey), c.Iterations)
}

// ParseScramCredential reads the stored form back; exactly the four keys
// salt, stored_key, server_key and iterations are required.
func ParseScramCredential(s string) (ScramCredential, error) {
	bad := fmt.Errorf("Credentials not valid: %s", s)
	props := map[string]string{}
	for _, tok := range strings.Split(s, ",") {
		i := strings.IndexByte(tok, '=')
		if i <= 0 {
			return ScramCredential{}, bad
		}
		props[tok[:i]] = tok[i+1:]
	}
	if len(props) != 4 {
		return ScramCredential{}, bad
	}
	var c ScramCredential
	var err error
	for key, dst := range map[string]*[]byte{"salt": &c.Salt, "stored_key": &c.StoredKey, "server_key": &c.ServerKey} {
		v, ok := props[key]
		if !ok {
			return ScramCredential{}, bad
		}
		if *dst, err = base64.StdEncoding.DecodeString(v); err != nil {
			return ScramCredential{}, bad
		}
	}
	it, ok := props["iterations"]
	if !ok {
		return ScramCredential{}, bad
	}
	n, err := strconv.ParseInt(it, 10, 32)
	if err != nil {
		return ScramCredential{}, bad
	}
	c.Iterations = int32(n)
	return c, nil
}

// SanitizeEntityName encodes a user or client id for use as a znode name,
// as Kafka's Sanitizer.sanitize: java.net.URLEncoder (UTF-8) with '*'
// written as %2A and space as %20.
func SanitizeEntityName(name string) string {
	var b strings.Builder
	for _, c := range []byte(name) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9',
			c == '.', c == '-', c == '_':
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// DesanitizeEntityName reverses SanitizeEntityName (Sanitizer.desanitize).
func DesanitizeEntityName(name string) string {
	s, err := url.QueryUnescape(name)
	if err != nil {
		return name
	}
	return s
}

// UpdateEntityConfigAtomically reads /config/<type>/<name>, lets mutate
// change the map, and writes it back only if the znode did not change in
// between (retrying otherwise), so keys other writers own (quotas beside
// SCRAM credentials, say) are never lost. It then creates the
// /config/changes notification for "<type>/<name>", as AdminZkClient's
// changeEntityConfig. mutate's error aborts without writing.
func (c *Client) UpdateEntityConfigAtomically(entityType, name string, mutate func(map[string]string) error) error {
	path := ConfigEntityPath(entityType, name)
	for attempt := 0; ; attempt++ {
		data, stat, err := c.GetData(path)
		exists := err == nil
		if err != nil && !errors.Is(err, ErrNoNode) {
			return err
		}
		cfg := map[string]string{}
		if exists {
			if cfg, err = DecodeEntityConfig(data); err != nil {
				return err
			}
		}
		if err := mutate(cfg); err != nil {
			return err
		}
		enc := EncodeEntityConfig(cfg)
		if exists {
			_, err = c.SetData(path, enc, stat.Version)
		} else {
			err = c.CreateRecursive(path, enc)
		}
		if (errors.Is(err, ErrBadVersion) || errors.Is(err, ErrNodeExists) || errors.Is(err, ErrNoNode)) && attempt < 10 {
			continue
		}
		if err != nil {
			return err
		}
		return c.CreateConfigChangeNotification(entityType + "/" + name)
	}
}
