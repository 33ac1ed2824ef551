package ssl

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"strings"
)

// setting is one key's value and configured name; set is false when the
// key is absent (Kafka's null).
type setting struct {
	value, name string
	set         bool
}

func lookup(src Source, key string) setting {
	v, name, ok := src(key)
	if !ok {
		return setting{value: defaults[key], name: key}
	}
	return setting{value: v, name: name, set: true}
}

// storeError names the keys involved in a store configuration error.
func storeError(msg string, keys ...setting) error {
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = k.name
	}
	return fmt.Errorf("%s (%s)", msg, strings.Join(names, ", "))
}

// loadKeyStore follows DefaultSslEngineFactory.createKeystore: an inline
// PEM key and chain, a PEM file, or a JKS/PKCS12 file with its password;
// nil when no key store is configured.
func loadKeyStore(src Source) (*tls.Certificate, error) {
	typ := lookup(src, "ssl.keystore.type")
	loc := lookup(src, "ssl.keystore.location")
	pw := lookup(src, "ssl.keystore.password")
	keyPw := lookup(src, "ssl.key.password")
	key := lookup(src, "ssl.keystore.key")
	chain := lookup(src, "ssl.keystore.certificate.chain")
	t := normaliseType(typ.value)
	var cert tls.Certificate
	var err error
	switch {
	case key.set:
		switch {
		case t != TypePEM:
			return nil, storeError("SSL private key can be specified only for PEM, but key store type is "+typ.value+".", key, typ)
		case !chain.set:
			return nil, storeError("SSL private key is specified, but certificate chain is not specified.", key, chain)
		case loc.set:
			return nil, storeError("Both SSL key store location and separate private key are specified.", loc, key)
		case pw.set:
			return nil, storeError("SSL key store password cannot be specified with PEM format, only key password may be specified.", pw)
		}
		if cert, err = pemKeyPair([]byte(key.value), []byte(chain.value), keyPw.value); err != nil {
			return nil, fmt.Errorf("Invalid PEM keystore configs (%s, %s): %v", key.name, chain.name, err)
		}
	case chain.set:
		return nil, storeError("SSL certificate chain is specified, but private key is not specified", chain)
	case t == TypePEM && loc.set:
		if pw.set {
			return nil, storeError("SSL key store password cannot be specified with PEM format, only key password may be specified", pw)
		}
		if cert, err = pemFileKeyPair(loc.value, keyPw.value); err != nil {
			return nil, fmt.Errorf("Failed to load PEM SSL keystore %s (%s): %v", loc.value, loc.name, err)
		}
	case !loc.set && pw.set:
		return nil, storeError("SSL key store is not specified, but key store password is specified.", loc, pw)
	case loc.set && !pw.set:
		return nil, storeError("SSL key store is specified, but key store password is not specified.", loc, pw)
	case loc.set:
		if t != TypeJKS && t != TypePKCS12 {
			return nil, fmt.Errorf("Invalid value %s for configuration %s: supported key store types are JKS, PKCS12 and PEM", typ.value, typ.name)
		}
		kp := keyPw.value
		if !keyPw.set {
			kp = pw.value
		}
		if cert, err = fileKeyPair(loc.value, pw.value, kp); err != nil {
			return nil, loadError(loc.name, loc.value, typ.value, err)
		}
	default:
		return nil, nil
	}
	return &cert, nil
}

func pemFileKeyPair(path, keyPassword string) (tls.Certificate, error) {
	data, err := readStoreFile(path)
	if err != nil {
		return tls.Certificate{}, err
	}
	return pemKeyPair(data, data, keyPassword)
}

func fileKeyPair(path, password, keyPassword string) (tls.Certificate, error) {
	data, err := readStoreFile(path)
	if err != nil {
		return tls.Certificate{}, err
	}
	return loadFileKeyPair(data, password, keyPassword)
}

// loadTrustStore follows DefaultSslEngineFactory.createTruststore: inline
// PEM certificates, a PEM file, or a JKS/PKCS12 file (its password is
// optional: without it Java skips the integrity check); nil when no trust
// store is configured.
func loadTrustStore(src Source) (*x509.CertPool, error) {
	typ := lookup(src, "ssl.truststore.type")
	loc := lookup(src, "ssl.truststore.location")
	pw := lookup(src, "ssl.truststore.password")
	inline := lookup(src, "ssl.truststore.certificates")
	t := normaliseType(typ.value)
	var certs []*x509.Certificate
	var err error
	switch {
	case inline.set:
		switch {
		case t != TypePEM:
			return nil, storeError("SSL trust store certs can be specified only for PEM, but trust store type is "+typ.value+".", inline, typ)
		case loc.set:
			return nil, storeError("Both SSL trust store location and separate trust certificates are specified.", loc, inline)
		case pw.set:
			return nil, storeError("SSL trust store password cannot be specified for PEM format.", pw)
		}
		if certs, err = pemCertificates([]byte(inline.value)); err != nil {
			return nil, fmt.Errorf("Invalid PEM truststore configs (%s): %v", inline.name, err)
		}
	case t == TypePEM && loc.set:
		if pw.set {
			return nil, storeError("SSL trust store password cannot be specified for PEM format.", pw)
		}
		if certs, err = pemFileCertificates(loc.value); err != nil {
			return nil, fmt.Errorf("Failed to load PEM SSL keystore %s (%s): %v", loc.value, loc.name, err)
		}
	case !loc.set && pw.set:
		return nil, storeError("SSL trust store is not specified, but trust store password is specified.", loc, pw)
	case loc.set:
		if t != TypeJKS && t != TypePKCS12 {
			return nil, fmt.Errorf("Invalid value %s for configuration %s: supported trust store types are JKS, PKCS12 and PEM", typ.value, typ.name)
		}
		if certs, err = fileTrustStore(loc.value, pw.value); err != nil {
			return nil, loadError(loc.name, loc.value, typ.value, err)
		}
	default:
		return nil, nil
	}
	if len(certs) == 0 {
		return nil, storeError("the SSL trust store holds no certificate", loc)
	}
	pool := x509.NewCertPool()
	for _, c := range certs {
		pool.AddCert(c)
	}
	return pool, nil
}

func pemFileCertificates(path string) ([]*x509.Certificate, error) {
	data, err := readStoreFile(path)
	if err != nil {
		return nil, err
	}
	return pemCertificates(data)
}

func fileTrustStore(path, password string) ([]*x509.Certificate, error) {
	data, err := readStoreFile(path)
	if err != nil {
		return nil, err
	}
	return loadFileTrustStore(data, password)
}
