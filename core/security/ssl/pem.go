package ssl

import (
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"hash"
)

// pemBlocks returns the blocks of a PEM text of the given types. Kafka
// accepts text around the blocks, as encoding/pem does.
func pemBlocks(text []byte, types ...string) []*pem.Block {
	var out []*pem.Block
	for {
		var b *pem.Block
		b, text = pem.Decode(text)
		if b == nil {
			return out
		}
		for _, t := range types {
			if b.Type == t {
				out = append(out, b)
				break
			}
		}
	}
}

// pemCertificates parses every CERTIFICATE block; Kafka wants at least one.
func pemCertificates(text []byte) ([]*x509.Certificate, error) {
	blocks := pemBlocks(text, "CERTIFICATE")
	if len(blocks) == 0 {
		return nil, errors.New("No matching CERTIFICATE entries in PEM file")
	}
	var out []*x509.Certificate
	for _, b := range blocks {
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// pemKeyPair reads a PEM key store: one private key (PKCS#8, encrypted
// with keyPassword when it is an ENCRYPTED PRIVATE KEY; PKCS#1 and SEC 1
// keys are accepted too) and its certificate chain.
func pemKeyPair(keyText, chainText []byte, keyPassword string) (tls.Certificate, error) {
	key, err := pemPrivateKey(keyText, keyPassword)
	if err != nil {
		return tls.Certificate{}, err
	}
	certs, err := pemCertificates(chainText)
	if err != nil {
		return tls.Certificate{}, err
	}
	return keyPairFromCerts(key, certs)
}

func pemPrivateKey(text []byte, keyPassword string) (crypto.PrivateKey, error) {
	blocks := pemBlocks(text, "PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY")
	switch {
	case len(blocks) == 0:
		return nil, errors.New("No matching PRIVATE KEY entries in PEM file")
	case len(blocks) > 1:
		return nil, fmt.Errorf("Expected one private key, but found %d", len(blocks))
	}
	b := blocks[0]
	switch b.Type {
	case "ENCRYPTED PRIVATE KEY":
		if keyPassword == "" {
			return nil, errors.New("the private key is encrypted, but ssl.key.password is not specified")
		}
		der, err := decryptPKCS8(b.Bytes, keyPassword)
		if err != nil {
			return nil, err
		}
		return parsePrivateKey(der)
	case "RSA PRIVATE KEY":
		return x509.ParsePKCS1PrivateKey(b.Bytes)
	case "EC PRIVATE KEY":
		return x509.ParseECPrivateKey(b.Bytes)
	}
	return parsePrivateKey(b.Bytes)
}

func parsePrivateKey(der []byte) (crypto.PrivateKey, error) {
	key, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("Private key could not be loaded: %v", err)
	}
	return key, nil
}

// PKCS#5 v2 (RFC 8018) structures of an EncryptedPrivateKeyInfo.
type encryptedPrivateKeyInfo struct {
	Algorithm     pkix.AlgorithmIdentifier
	EncryptedData []byte
}

type pbes2Params struct {
	KeyDerivationFunc pkix.AlgorithmIdentifier
	EncryptionScheme  pkix.AlgorithmIdentifier
}

type pbkdf2Params struct {
	Salt           []byte
	IterationCount int
	KeyLength      int                      `asn1:"optional"`
	PRF            pkix.AlgorithmIdentifier `asn1:"optional"`
}

var (
	oidPBES2  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}
	oidPBKDF2 = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12}
	// PBKDF2 pseudo-random functions; hmacWithSHA1 is the default.
	prfs = map[string]func() hash.Hash{
		"1.2.840.113549.2.7":  sha1.New,
		"1.2.840.113549.2.8":  sha256.New224,
		"1.2.840.113549.2.9":  sha256.New,
		"1.2.840.113549.2.10": sha512.New384,
		"1.2.840.113549.2.11": sha512.New,
	}
	// CBC ciphers of the encryption scheme, with their key sizes.
	pbes2Ciphers = map[string]struct {
		keyLen int
		block  func([]byte) (cipher.Block, error)
	}{
		"2.16.840.1.101.3.4.1.2":  {16, aes.NewCipher},
		"2.16.840.1.101.3.4.1.22": {24, aes.NewCipher},
		"2.16.840.1.101.3.4.1.42": {32, aes.NewCipher},
		"1.2.840.113549.3.7":      {24, des.NewTripleDESCipher},
	}
)

// decryptPKCS8 decrypts an ENCRYPTED PRIVATE KEY written with PBES2
// (PBKDF2 and AES- or 3DES-CBC), what `openssl pkcs8 -topk8` and Java
// write; the older PBES1 schemes are refused.
func decryptPKCS8(der []byte, password string) ([]byte, error) {
	var info encryptedPrivateKeyInfo
	if _, err := asn1.Unmarshal(der, &info); err != nil {
		return nil, fmt.Errorf("encrypted private key: %v", err)
	}
	if !info.Algorithm.Algorithm.Equal(oidPBES2) {
		return nil, fmt.Errorf("encrypted private key: unsupported encryption %v (only PBES2 is supported)", info.Algorithm.Algorithm)
	}
	var params pbes2Params
	if _, err := asn1.Unmarshal(info.Algorithm.Parameters.FullBytes, &params); err != nil {
		return nil, fmt.Errorf("encrypted private key: PBES2 parameters: %v", err)
	}
	block, err := pbes2Cipher(params, password)
	if err != nil {
		return nil, err
	}
	var iv []byte
	if _, err := asn1.Unmarshal(params.EncryptionScheme.Parameters.FullBytes, &iv); err != nil || len(iv) != block.BlockSize() {
		return nil, errors.New("encrypted private key: bad initialisation vector")
	}
	return cbcDecrypt(block, iv, info.EncryptedData)
}

// pbes2Cipher derives the key with PBKDF2 and returns the keyed cipher.
func pbes2Cipher(params pbes2Params, password string) (cipher.Block, error) {
	if !params.KeyDerivationFunc.Algorithm.Equal(oidPBKDF2) {
		return nil, fmt.Errorf("encrypted private key: unsupported key derivation %v", params.KeyDerivationFunc.Algorithm)
	}
	var kdf pbkdf2Params
	if _, err := asn1.Unmarshal(params.KeyDerivationFunc.Parameters.FullBytes, &kdf); err != nil {
		return nil, fmt.Errorf("encrypted private key: PBKDF2 parameters: %v", err)
	}
	prf := sha1.New
	if len(kdf.PRF.Algorithm) > 0 {
		var ok bool
		if prf, ok = prfs[kdf.PRF.Algorithm.String()]; !ok {
			return nil, fmt.Errorf("encrypted private key: unsupported PBKDF2 function %v", kdf.PRF.Algorithm)
		}
	}
	c, ok := pbes2Ciphers[params.EncryptionScheme.Algorithm.String()]
	if !ok {
		return nil, fmt.Errorf("encrypted private key: unsupported cipher %v", params.EncryptionScheme.Algorithm)
	}
	key, err := pbkdf2.Key(prf, password, kdf.Salt, kdf.IterationCount, c.keyLen)
	if err != nil {
		return nil, fmt.Errorf("encrypted private key: %v", err)
	}
	return c.block(key)
}

// cbcDecrypt decrypts and strips the PKCS#7 padding; bad padding almost
// always means a wrong password.
func cbcDecrypt(block cipher.Block, iv, data []byte) ([]byte, error) {
	bs := block.BlockSize()
	if len(data) == 0 || len(data)%bs != 0 {
		return nil, errors.New("encrypted private key: data is not a whole number of blocks")
	}
	out := make([]byte, len(data))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(out, data)
	pad := int(out[len(out)-1])
	if pad == 0 || pad > bs {
		return nil, errWrongKeyPassword
	}
	for _, p := range out[len(out)-pad:] {
		if int(p) != pad {
			return nil, errWrongKeyPassword
		}
	}
	return out[:len(out)-pad], nil
}

var errWrongKeyPassword = errors.New("Given final block not properly padded. Such issues can arise if a bad key is used during decryption. (wrong ssl.key.password?)")
