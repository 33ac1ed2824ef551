package ssl

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/pavlo-v-chernykh/keystore-go/v4"
	"software.sslmate.com/src/go-pkcs12"
)

// Store types of ssl.keystore.type / ssl.truststore.type.
const (
	TypeJKS    = "JKS"
	TypePKCS12 = "PKCS12"
	TypePEM    = "PEM"
)

// jksMagic starts every JKS file; anything else is read as PKCS12. Java 9+
// does the same (keystore.type.compat): a "JKS" store may be a PKCS12 file
// and the other way round, so a store converted by keytool keeps working.
const jksMagic = 0xFEEDFEED

// errKeystorePassword is Java's message for a JKS store whose integrity
// check fails (wrong password or damaged file).
var errKeystorePassword = errors.New("Keystore was tampered with, or password was incorrect")

// loadError is FileBasedStore.load's failure: it names the file and type,
// and the key the file was configured under.
func loadError(key, path, typ string, err error) error {
	return fmt.Errorf("Failed to load SSL keystore %s of type %s (%s): %v", path, typ, key, err)
}

// readStoreFile reads a key or trust store file.
func readStoreFile(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("%s (%v)", path, pe.Err)
		}
		return nil, err
	}
	return data, nil
}

func isJKS(data []byte) bool {
	return len(data) >= 4 && binary.BigEndian.Uint32(data) == jksMagic
}

// loadFileKeyPair reads the private key and its certificate chain from a
// JKS or PKCS12 file. keyPassword protects a JKS key entry
// (ssl.key.password, by default the store password); a PKCS12 key uses the
// store password.
func loadFileKeyPair(data []byte, password, keyPassword string) (tls.Certificate, error) {
	if isJKS(data) {
		return jksKeyPair(data, password, keyPassword)
	}
	return pkcs12KeyPair(data, password)
}

// loadJKS reads a JKS file. Without a password Java reads the entries but
// skips the integrity check; keystore-go has read them when it reports the
// digest mismatch, so that error is ignored then.
func loadJKS(data []byte, password string) (keystore.KeyStore, error) {
	ks := keystore.New(keystore.WithOrderedAliases()) // a stable choice of key entry
	err := ks.Load(bytes.NewReader(data), []byte(password))
	if err != nil && err.Error() == "got invalid digest" {
		if password == "" {
			return ks, nil
		}
		return ks, errKeystorePassword
	}
	if err != nil {
		return ks, fmt.Errorf("Invalid keystore format (%v)", err)
	}
	return ks, nil
}

// jksKeyPair takes the first private key entry in alphabetical alias order
// with its chain.
func jksKeyPair(data []byte, password, keyPassword string) (tls.Certificate, error) {
	ks, err := loadJKS(data, password)
	if err != nil {
		return tls.Certificate{}, err
	}
	for _, alias := range ks.Aliases() {
		if !ks.IsPrivateKeyEntry(alias) {
			continue
		}
		entry, err := ks.GetPrivateKeyEntry(alias, []byte(keyPassword))
		if err != nil {
			return tls.Certificate{}, fmt.Errorf("Cannot recover key of entry %s: %v (ssl.key.password)", alias, err)
		}
		key, err := x509.ParsePKCS8PrivateKey(entry.PrivateKey)
		if err != nil {
			return tls.Certificate{}, fmt.Errorf("entry %s: %v", alias, err)
		}
		var chain [][]byte
		for _, c := range entry.CertificateChain {
			chain = append(chain, c.Content)
		}
		return keyPair(key, chain)
	}
	return tls.Certificate{}, errors.New("the key store has no private key entry")
}

// pkcs12KeyPair reads a PKCS12 file with one private key (go-pkcs12 reads
// the PBES2/AES stores Java 17's keytool writes). Its key is protected by
// the store password: keytool supports no other password for PKCS12.
func pkcs12KeyPair(data []byte, password string) (tls.Certificate, error) {
	key, leaf, cas, err := pkcs12.DecodeChain(data, password)
	if err != nil {
		return tls.Certificate{}, pkcs12Error(err)
	}
	certs := append([]*x509.Certificate{leaf}, cas...)
	return keyPairFromCerts(key, certs)
}

// pkcs12Error words go-pkcs12's errors as Java's PKCS12 KeyStore does for
// the common case.
func pkcs12Error(err error) error {
	if errors.Is(err, pkcs12.ErrIncorrectPassword) || errors.Is(err, pkcs12.ErrDecryption) {
		return errors.New("keystore password was incorrect")
	}
	return err
}

// keyPairFromCerts puts the certificate of the private key first and
// orders the chain from it by issuer, whatever order the store kept.
func keyPairFromCerts(key crypto.PrivateKey, certs []*x509.Certificate) (tls.Certificate, error) {
	var leaf *x509.Certificate
	for _, c := range certs {
		if publicKeyMatches(key, c) {
			leaf = c
			break
		}
	}
	if leaf == nil {
		return tls.Certificate{}, errors.New("no certificate matches the private key")
	}
	chain := [][]byte{leaf.Raw}
	used := map[*x509.Certificate]bool{leaf: true}
	for cur := leaf; ; {
		next := issuerOf(cur, certs, used)
		if next == nil {
			break
		}
		chain, used[next], cur = append(chain, next.Raw), true, next
	}
	return keyPair(key, chain)
}

func issuerOf(c *x509.Certificate, certs []*x509.Certificate, used map[*x509.Certificate]bool) *x509.Certificate {
	for _, o := range certs {
		if !used[o] && bytes.Equal(o.RawSubject, c.RawIssuer) {
			return o
		}
	}
	return nil
}

// publicKeyMatches reports whether cert carries key's public half.
func publicKeyMatches(key crypto.PrivateKey, cert *x509.Certificate) bool {
	signer, ok := key.(crypto.Signer)
	if !ok {
		return false
	}
	pub, ok := signer.Public().(interface{ Equal(crypto.PublicKey) bool })
	return ok && pub.Equal(cert.PublicKey)
}

// keyPair checks the key type and builds the tls.Certificate (chain DER,
// leaf first).
func keyPair(key crypto.PrivateKey, chain [][]byte) (tls.Certificate, error) {
	switch key.(type) {
	case *rsa.PrivateKey, *ecdsa.PrivateKey, ed25519.PrivateKey:
	default:
		return tls.Certificate{}, fmt.Errorf("unsupported private key type %T", key)
	}
	if len(chain) == 0 {
		return tls.Certificate{}, errors.New("the private key has no certificate chain")
	}
	leaf, err := x509.ParseCertificate(chain[0])
	if err != nil {
		return tls.Certificate{}, err
	}
	if !publicKeyMatches(key, leaf) {
		return tls.Certificate{}, errors.New("the first certificate of the chain does not match the private key")
	}
	return tls.Certificate{Certificate: chain, PrivateKey: key, Leaf: leaf}, nil
}

// loadFileTrustStore reads the trusted certificates of a JKS or PKCS12
// file: its trusted certificate entries, and (as Java's trust manager)
// the certificates of its private key entries.
func loadFileTrustStore(data []byte, password string) ([]*x509.Certificate, error) {
	if isJKS(data) {
		return jksTrusted(data, password)
	}
	certs, err := pkcs12.DecodeTrustStore(data, password)
	if err == nil {
		return certs, nil
	}
	if errors.Is(err, pkcs12.ErrIncorrectPassword) {
		return nil, pkcs12Error(err)
	}
	// A store that also holds a key entry: take every certificate.
	_, leaf, cas, err2 := pkcs12.DecodeChain(data, password)
	if err2 != nil {
		return nil, pkcs12Error(err)
	}
	return append([]*x509.Certificate{leaf}, cas...), nil
}

func jksTrusted(data []byte, password string) ([]*x509.Certificate, error) {
	ks, err := loadJKS(data, password)
	if err != nil {
		return nil, err
	}
	var out []*x509.Certificate
	for _, alias := range ks.Aliases() {
		var der []byte
		switch {
		case ks.IsTrustedCertificateEntry(alias):
			e, err := ks.GetTrustedCertificateEntry(alias)
			if err != nil {
				return nil, err
			}
			der = e.Certificate.Content
		case ks.IsPrivateKeyEntry(alias):
			chain, err := ks.GetPrivateKeyEntryCertificateChain(alias)
			if err != nil || len(chain) == 0 {
				continue
			}
			der = chain[0].Content
		default:
			continue
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, fmt.Errorf("entry %s: %v", alias, err)
		}
		out = append(out, c)
	}
	return out, nil
}

// normaliseType is the store type as Java's KeyStore.getInstance reads it
// (case-insensitive).
func normaliseType(t string) string { return strings.ToUpper(strings.TrimSpace(t)) }
