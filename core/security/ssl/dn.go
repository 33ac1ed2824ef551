// Package ssl is the broker's and tools' TLS set-up with Kafka 2.8's ssl.*
// configuration: key stores and trust stores (JKS, PKCS12, PEM), the
// crypto/tls configuration of a listener or a client (protocols, cipher
// suites, client authentication, endpoint identification) and the principal
// of a TLS client (its certificate's distinguished name, mapped through
// ssl.principal.mapping.rules), as DefaultSslEngineFactory, SslFactory and
// SslPrincipalMapper do.
package ssl

import (
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"strings"
)

// attributeTypeAndValue is one AVA of a Name, its value kept raw so that
// its ASN.1 string type decides how it is printed (as Java does).
type attributeTypeAndValue struct {
	Type  asn1.ObjectIdentifier
	Value asn1.RawValue
}

// relativeDistinguishedNameSET is one RDN: a SET OF AVAs (the SET suffix
// makes encoding/asn1 read a SET).
type relativeDistinguishedNameSET []attributeTypeAndValue

// rfc2253Keywords are the attribute types X500Principal.getName() prints by
// keyword; every other type is printed as its dotted OID with a hex value.
var rfc2253Keywords = map[string]string{
	"2.5.4.3":                    "CN",
	"2.5.4.6":                    "C",
	"2.5.4.7":                    "L",
	"2.5.4.8":                    "ST",
	"2.5.4.10":                   "O",
	"2.5.4.11":                   "OU",
	"2.5.4.9":                    "STREET",
	"0.9.2342.19200300.100.1.25": "DC",
	"0.9.2342.19200300.100.1.1":  "UID",
}

// ASN.1 universal tags of the directory string types Java prints as text.
const (
	tagUTF8String      = 12
	tagPrintableString = 19
	tagT61String       = 20
	tagIA5String       = 22
	tagGeneralString   = 27
	tagBMPString       = 30
)

// DistinguishedName renders a DER-encoded Name (x509.Certificate.RawSubject)
// the way Java's X500Principal.getName() does (RFC 2253): RDNs from the last
// to the first, AVAs of a multi-valued RDN joined by '+', known types by
// keyword, other types as OID=#<hex of the DER value>. Kafka's SSL principal
// is this string, so ACLs written for a Java broker match here too.
func DistinguishedName(rawName []byte) (string, error) {
	var rdns []relativeDistinguishedNameSET
	rest, err := asn1.Unmarshal(rawName, &rdns)
	if err != nil {
		return "", err
	}
	if len(rest) != 0 {
		return "", errors.New("trailing data after the distinguished name")
	}
	parts := make([]string, 0, len(rdns))
	for i := len(rdns) - 1; i >= 0; i-- {
		avas := make([]string, 0, len(rdns[i]))
		for _, ava := range rdns[i] {
			avas = append(avas, formatAVA(ava))
		}
		parts = append(parts, strings.Join(avas, "+"))
	}
	return strings.Join(parts, ","), nil
}

// formatAVA prints one type=value pair as Java's AVA.toRFC2253String.
func formatAVA(ava attributeTypeAndValue) string {
	oid := ava.Type.String()
	keyword, known := rfc2253Keywords[oid]
	if !known {
		return oid + "=#" + hex.EncodeToString(ava.Value.FullBytes)
	}
	text, ok := directoryString(ava.Value)
	if !ok {
		return keyword + "=#" + hex.EncodeToString(ava.Value.FullBytes)
	}
	return keyword + "=" + escapeValue(text)
}

// directoryString returns the text of the string types Java prints as
// text; ok is false for anything else (printed in hex). Java reads the
// bytes of every one of them as UTF-8 (even a BMPString, whose zero bytes
// then print as \00), so this does too.
func directoryString(v asn1.RawValue) (string, bool) {
	if v.Class != asn1.ClassUniversal {
		return "", false
	}
	switch v.Tag {
	case tagUTF8String, tagPrintableString, tagT61String, tagIA5String, tagGeneralString, tagBMPString:
		return string(v.Bytes), true
	}
	return "", false
}

// rfc2253Escaped are the characters Java escapes with a backslash anywhere
// in a value (RFC 2253's list plus '=' and '#').
const rfc2253Escaped = `,=+<>#;"\`

// escapeValue escapes a value as Java does: the special characters above,
// NUL as \00, and leading or trailing spaces (and carriage returns).
func escapeValue(s string) string {
	var b strings.Builder
	for _, c := range s {
		switch {
		case strings.ContainsRune(rfc2253Escaped, c):
			b.WriteByte('\\')
			b.WriteRune(c)
		case c == 0:
			b.WriteString(`\00`)
		default:
			b.WriteRune(c)
		}
	}
	escaped := []rune(b.String())
	lead := 0
	for lead < len(escaped) && isEdgeSpace(escaped[lead]) {
		lead++
	}
	trail := len(escaped) - 1
	for trail >= 0 && isEdgeSpace(escaped[trail]) {
		trail--
	}
	var out strings.Builder
	for i, c := range escaped {
		if i < lead || i > trail {
			out.WriteByte('\\')
		}
		out.WriteRune(c)
	}
	return out.String()
}

func isEdgeSpace(c rune) bool { return c == ' ' || c == '\r' }
