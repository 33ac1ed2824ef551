package ssl

import (
	"crypto/tls"
	"fmt"
	"slices"
	"strings"

	"github.com/gokafka/kafka/core/javacompat"
)

// protocolVersions maps Java's protocol names to TLS versions.
var protocolVersions = map[string]uint16{
	"TLSv1":   tls.VersionTLS10,
	"TLSv1.1": tls.VersionTLS11,
	"TLSv1.2": tls.VersionTLS12,
	"TLSv1.3": tls.VersionTLS13,
}

// sslContextProtocols are the ssl.protocol values (SSLContext algorithms)
// accepted, with the highest version each allows.
var sslContextProtocols = map[string]uint16{
	"TLS": tls.VersionTLS13, "TLSv1": tls.VersionTLS10, "TLSv1.1": tls.VersionTLS11,
	"TLSv1.2": tls.VersionTLS12, "TLSv1.3": tls.VersionTLS13,
	"SSL": tls.VersionTLS13, // Java's "SSL" context also speaks TLS
}

// loadProtocols reads ssl.protocol, ssl.enabled.protocols and
// ssl.cipher.suites into the version bounds and suites.
func (s *Settings) loadProtocols(get func(string) (string, string)) error {
	proto, protoName := get("ssl.protocol")
	ctxMax, ok := sslContextProtocols[proto]
	if !ok {
		return fmt.Errorf("Invalid value %s for configuration %s: %s SSLContext not available", proto, protoName, proto)
	}
	enabled, enabledName := get("ssl.enabled.protocols")
	var versions []uint16
	for _, p := range javacompat.SplitList(enabled) {
		v, ok := protocolVersions[p]
		switch {
		case p == "SSLv2Hello":
			continue // a hello format, not a protocol; Go never sends it
		case !ok:
			return fmt.Errorf("Invalid value %s for configuration %s: Unsupported protocol %s (supported: TLSv1, TLSv1.1, TLSv1.2, TLSv1.3)", enabled, enabledName, p)
		}
		versions = append(versions, v)
	}
	if len(versions) == 0 {
		// No list: the SSLContext's defaults, TLS 1.2 up to its version.
		versions = []uint16{min(tls.VersionTLS12, ctxMax), ctxMax}
	}
	s.MinVersion, s.MaxVersion = slices.Min(versions), slices.Max(versions)
	suites, suitesName := get("ssl.cipher.suites")
	return s.loadCipherSuites(suites, suitesName)
}

// loadCipherSuites maps Java cipher suite names (IANA names; SSL_ aliases
// of old suites) to crypto/tls suites. TLS 1.3 suites cannot be chosen in
// crypto/tls, so they only decide whether TLS 1.3 stays enabled: a list
// without any leaves TLS 1.2 at most, one with only TLS 1.3 suites leaves
// TLS 1.3 only, as Java's engine would.
func (s *Settings) loadCipherSuites(list, name string) error {
	names := javacompat.SplitList(list)
	if len(names) == 0 {
		return nil
	}
	known := map[string]*tls.CipherSuite{}
	for _, cs := range append(tls.CipherSuites(), tls.InsecureCipherSuites()...) {
		known[cs.Name] = cs
	}
	has13 := false
	for _, n := range names {
		cs := known[n]
		if cs == nil && strings.HasPrefix(n, "SSL_") {
			cs = known["TLS_"+strings.TrimPrefix(n, "SSL_")]
		}
		switch {
		case n == "TLS_EMPTY_RENEGOTIATION_INFO_SCSV":
			continue // a signal Go sends by itself
		case cs == nil:
			return fmt.Errorf("Invalid value %s for configuration %s: Unsupported CipherSuite: %s", list, name, n)
		case slices.Equal(cs.SupportedVersions, []uint16{tls.VersionTLS13}):
			has13 = true
		default:
			s.CipherSuites = append(s.CipherSuites, cs.ID)
		}
	}
	if len(s.CipherSuites) == 0 && !has13 {
		return nil // only signalling values: Go's defaults
	}
	if len(s.CipherSuites) == 0 {
		s.MinVersion = max(s.MinVersion, tls.VersionTLS13)
	}
	if !has13 {
		s.MaxVersion = min(s.MaxVersion, tls.VersionTLS12)
	}
	if s.MinVersion > s.MaxVersion {
		return fmt.Errorf("Invalid value %s for configuration %s: no protocol of ssl.enabled.protocols can use these cipher suites", list, name)
	}
	return nil
}
