package ssl

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"
)

// Source returns the value of an ssl.* key (by its plain name, e.g.
// "ssl.keystore.location") for one listener or client, and the name it was
// configured under ("listener.name.ssl.ssl.keystore.location"), which error
// messages show; ok is false when the key is not set.
type Source func(key string) (value, name string, ok bool)

// MapSource reads plain keys from client properties.
func MapSource(props map[string]string) Source {
	return func(key string) (string, string, bool) {
		v, ok := props[key]
		return strings.TrimSpace(v), key, ok
	}
}

// Defaults of the keys read here (Kafka 2.8 on Java 11 and later).
var defaults = map[string]string{
	"ssl.keystore.type":                     TypeJKS,
	"ssl.truststore.type":                   TypeJKS,
	"ssl.client.auth":                       "none",
	"ssl.enabled.protocols":                 "TLSv1.2,TLSv1.3",
	"ssl.protocol":                          "TLSv1.3",
	"ssl.cipher.suites":                     "",
	"ssl.endpoint.identification.algorithm": "https",
	"ssl.principal.mapping.rules":           DefaultPrincipalMappingRules,
}

// Settings are one endpoint's TLS settings, loaded and checked.
type Settings struct {
	// Certificate is the key store's key and chain; nil without a key store
	// (a client that does not authenticate with a certificate).
	Certificate *tls.Certificate
	// Roots are the trust store's certificates; nil without a trust store,
	// which means the system's roots, as Java uses its default cacerts.
	Roots *x509.CertPool
	// ClientAuth is ssl.client.auth for a server.
	ClientAuth tls.ClientAuthType
	// MinVersion and MaxVersion bound ssl.enabled.protocols (and the
	// protocols the cipher suites allow).
	MinVersion, MaxVersion uint16
	// CipherSuites are the TLS 1.2 and older suites of ssl.cipher.suites;
	// nil means Go's defaults.
	CipherSuites []uint16
	// VerifyHostname is ssl.endpoint.identification.algorithm=https: a
	// client checks the server certificate's names against the host.
	VerifyHostname bool
}

// Load reads and checks every ssl.* setting of src, loading the stores.
// Errors name the key at fault, as the broker's other config errors do.
func Load(src Source) (*Settings, error) {
	get := func(key string) (string, string) {
		v, name, ok := src(key)
		if !ok {
			return defaults[key], key
		}
		return v, name
	}
	s := &Settings{}
	var err error
	if s.Certificate, err = loadKeyStore(src); err != nil {
		return nil, err
	}
	if s.Roots, err = loadTrustStore(src); err != nil {
		return nil, err
	}
	if s.ClientAuth, err = clientAuth(get("ssl.client.auth")); err != nil {
		return nil, err
	}
	if err := s.loadProtocols(get); err != nil {
		return nil, err
	}
	v, name := get("ssl.endpoint.identification.algorithm")
	switch strings.ToLower(v) {
	case "https":
		s.VerifyHostname = true
	case "":
	default:
		return nil, fmt.Errorf("Invalid value %s for configuration %s: only https (check the server's host name) or an empty value (no check) are supported", v, name)
	}
	return s, nil
}

// clientAuth maps ssl.client.auth (case-insensitive, as SslClientAuth).
func clientAuth(v, name string) (tls.ClientAuthType, error) {
	switch strings.ToLower(v) {
	case "none", "":
		return tls.NoClientCert, nil
	case "requested":
		return tls.VerifyClientCertIfGiven, nil
	case "required":
		return tls.RequireAndVerifyClientCert, nil
	}
	return 0, fmt.Errorf("Invalid value %s for configuration %s: String must be one of: required, requested, none", v, name)
}

// ServerConfig is the crypto/tls configuration of a listener; a listener
// needs a key store.
func (s *Settings) ServerConfig() (*tls.Config, error) {
	if s.Certificate == nil {
		return nil, errors.New("SSL key store is not specified (ssl.keystore.location, or ssl.keystore.key and ssl.keystore.certificate.chain): a listener needs a certificate")
	}
	return &tls.Config{
		Certificates: []tls.Certificate{*s.Certificate},
		ClientAuth:   s.ClientAuth,
		ClientCAs:    s.Roots,
		MinVersion:   s.MinVersion,
		MaxVersion:   s.MaxVersion,
		CipherSuites: s.CipherSuites,
	}, nil
}

// ClientConfig is the crypto/tls configuration of a client: the trust
// store verifies the server, the key store (if any) is the client
// certificate. Callers set ServerName per connection (or let the dialer
// do it).
func (s *Settings) ClientConfig() *tls.Config {
	cfg := &tls.Config{
		RootCAs:      s.Roots,
		MinVersion:   s.MinVersion,
		MaxVersion:   s.MaxVersion,
		CipherSuites: s.CipherSuites,
	}
	if s.Certificate != nil {
		cfg.Certificates = []tls.Certificate{*s.Certificate}
	}
	if !s.VerifyHostname {
		// Java still validates the chain without endpoint identification;
		// crypto/tls can only skip both, so the chain is checked here.
		roots := s.Roots
		cfg.InsecureSkipVerify = true
		cfg.VerifyConnection = func(cs tls.ConnectionState) error { return verifyChain(cs, roots) }
	}
	return cfg
}

// verifyChain checks the server's chain against roots, without names.
func verifyChain(cs tls.ConnectionState, roots *x509.CertPool) error {
	if len(cs.PeerCertificates) == 0 {
		return errors.New("the server sent no certificate")
	}
	inter := x509.NewCertPool()
	for _, c := range cs.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{
		Roots: roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	return err
}

// ForHost returns cfg for a connection to addr ("host:port"): its
// ServerName is the host, which certificate verification checks.
func ForHost(cfg *tls.Config, addr string) *tls.Config {
	c := cfg.Clone()
	if c.ServerName == "" {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			host = addr
		}
		c.ServerName = host
	}
	return c
}
