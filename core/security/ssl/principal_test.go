package ssl

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"
)

var (
	oidCN    = asn1.ObjectIdentifier{2, 5, 4, 3}
	oidOU    = asn1.ObjectIdentifier{2, 5, 4, 11}
	oidO     = asn1.ObjectIdentifier{2, 5, 4, 10}
	oidUID   = asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 1}
	oidDC    = asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 25}
	oidEmail = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}
)

func atv(oid asn1.ObjectIdentifier, v any) pkix.AttributeTypeAndValue {
	return pkix.AttributeTypeAndValue{Type: oid, Value: v}
}

// tagged is a string value of an explicit ASN.1 string type.
func tagged(tag int, b []byte) asn1.RawValue {
	return asn1.RawValue{Class: asn1.ClassUniversal, Tag: tag, Bytes: b}
}

func bmp(s string) []byte {
	var out []byte
	for _, u := range utf16.Encode([]rune(s)) {
		out = append(out, byte(u>>8), byte(u))
	}
	return out
}

// dnCases are subjects (RDN sequences, first RDN first) with what
// X500Principal.getName() prints for them.
var dnCases = []struct {
	rdns pkix.RDNSequence
	want string
}{
	{pkix.RDNSequence{{atv(oidO, "y")}, {atv(oidOU, "x")}, {atv(oidCN, "alice")}}, "CN=alice,OU=x,O=y"},
	{pkix.RDNSequence{{atv(oidCN, `a,b+c=d<e>f#g;h"i\j`)}}, `CN=a\,b\+c\=d\<e\>f\#g\;h\"i\\j`},
	{pkix.RDNSequence{{atv(oidCN, "  lead and trail  ")}}, `CN=\ \ lead and trail\ \ `},
	{pkix.RDNSequence{{atv(oidCN, "#hash")}}, `CN=\#hash`},
	{pkix.RDNSequence{{atv(oidDC, "com")}, {atv(oidDC, "example")}, {atv(oidCN, "x"), atv(oidUID, "u1")}},
		"CN=x+UID=u1,DC=example,DC=com"},
	{pkix.RDNSequence{{atv(oidCN, "bob")}, {atv(oidEmail, "bob@example.com")}},
		"1.2.840.113549.1.9.1=#0c0f626f62406578616d706c652e636f6d,CN=bob"},
	{pkix.RDNSequence{{atv(asn1.ObjectIdentifier{1, 2, 3, 4}, "custom")}, {atv(oidCN, "José Ünïcode")}},
		"CN=José Ünïcode,1.2.3.4=#1306637573746f6d"},
	// Java reads every string type's bytes as UTF-8, even a BMPString.
	{pkix.RDNSequence{{atv(oidCN, tagged(30, bmp("bmp")))}, {atv(oidOU, tagged(20, []byte("t61")))}, {atv(oidO, tagged(22, []byte("ia5")))}},
		`O=ia5,OU=t61,CN=\00b\00m\00p`},
	{pkix.RDNSequence{{atv(oidCN, tagged(4, []byte("octets")))}}, "CN=#04066f6374657473"},
}

func TestDistinguishedName(t *testing.T) {
	for _, c := range dnCases {
		der, err := asn1.Marshal(c.rdns)
		if err != nil {
			t.Fatal(err)
		}
		got, err := DistinguishedName(der)
		if err != nil || got != c.want {
			t.Errorf("DistinguishedName = %q, %v\nwant %q", got, err, c.want)
		}
	}
}

// printDN prints X500Principal.getName() of each certificate file given.
const printDN = `import java.io.FileInputStream;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
public class PrintDN {
  public static void main(String[] args) throws Exception {
    CertificateFactory f = CertificateFactory.getInstance("X.509");
    for (String a : args) {
      try (FileInputStream in = new FileInputStream(a)) {
        X509Certificate c = (X509Certificate) f.generateCertificate(in);
        System.out.println(c.getSubjectX500Principal().getName());
      }
    }
  }
}
`

// TestDistinguishedNameMatchesJava checks the cases above against Java's
// own X500Principal (skipped without a JDK's java launcher).
func TestDistinguishedNameMatchesJava(t *testing.T) {
	java, err := exec.LookPath("java")
	if err != nil {
		t.Skip("java not found: cannot compare with X500Principal.getName()")
	}
	dir := t.TempDir()
	ca, caKey := newCA(t)
	var files []string
	for i, c := range dnCases {
		der, _ := asn1.Marshal(c.rdns)
		tmpl := &x509.Certificate{SerialNumber: ca.SerialNumber, RawSubject: der, NotBefore: ca.NotBefore, NotAfter: ca.NotAfter}
		cert, err := x509.CreateCertificate(nil, tmpl, ca, &caKey.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		f := filepath.Join(dir, fmt.Sprintf("c%d.der", i))
		os.WriteFile(f, cert, 0o644)
		files = append(files, f)
	}
	src := filepath.Join(dir, "PrintDN.java")
	os.WriteFile(src, []byte(printDN), 0o644)
	cmd := exec.Command(java, append([]string{"-Dfile.encoding=UTF-8", "-Dstdout.encoding=UTF-8", src}, files...)...)
	out, err := cmd.Output()
	if err != nil {
		t.Skipf("java could not run the check (%v): a JDK is needed, not only a JRE", err)
	}
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	for i, c := range dnCases {
		if i >= len(lines) || lines[i] != c.want {
			got := ""
			if i < len(lines) {
				got = lines[i]
			}
			t.Errorf("case %d: Java prints %q, the table says %q", i, got, c.want)
		}
	}
}

func TestPrincipalMappingRules(t *testing.T) {
	const dn = "CN=kafka-broker1,OU=ServiceUsers,O=Example,L=Paris,C=FR"
	cases := []struct {
		rules, dn, want string
	}{
		{"DEFAULT", dn, dn},
		{"", dn, "error: No rules apply to " + dn + ", rules []"},
		{"RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/,DEFAULT", dn, "kafka-broker1"},
		{"RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/U, DEFAULT", dn, "KAFKA-BROKER1"},
		{"RULE:^CN=(.*?),OU=(.*?),O=(.*?),L=(.*?),C=(.*?)$/$1@$3/L", dn, "kafka-broker1@example"},
		{"RULE:^CN=(.*?),OU=Admins.*$/$1/,DEFAULT", dn, dn},
		{"RULE:^CN=(.*?),OU=Admins.*$/$1/", dn, "error: No rules apply to " + dn + ", rules [RULE:^CN=(.*?),OU=Admins.*$/$1]"},
		// A reference to a group that does not exist is literal text;
		// $12 with one group is group 1 then "2".
		{"RULE:^CN=([^,]*),.*$/$1@$4/", dn, "kafka-broker1@$4"},
		{"RULE:^CN=([^,]*),.*$/$12/", dn, "kafka-broker12"},
		// Escaped slash and dollar in the replacement.
		{`RULE:^CN=([^,]*),.*$/x\/\$1 $1/`, dn, "x/$1 kafka-broker1"},
		// Every match is replaced (replaceAll), not only the first.
		{"RULE:(.+?)(?:,|$)/[$1]/", "CN=a,OU=b", "[CN=a][OU=b]"},
		{"RULE:^(?P<name>[^,]*)$/${name}!/", "plain", "plain!"},
	}
	for _, c := range cases {
		m, err := ParsePrincipalMappingRules(c.rules)
		if err != nil {
			t.Errorf("%q: %v", c.rules, err)
			continue
		}
		got, err := m.Name(c.dn)
		if err != nil {
			got = "error: " + err.Error()
		}
		if got != c.want {
			t.Errorf("rules %q on %q = %q, want %q", c.rules, c.dn, got, c.want)
		}
	}
	for rules, want := range map[string]string{
		"RULE:^CN=(.*?)/$1/L junk": "Invalid rule: `RULE:^CN=(.*?)/$1/L junk`, unmatched substring: ` junk`",
		"NOTARULE":                 "Invalid rule: `NOTARULE`, unmatched substring: `NOTARULE`",
		"RULE:(?<=x)a/b/":          "Invalid rule: RULE:(?<=x)a/b/: error parsing regexp: invalid named capture: `(?<=x)a`",
	} {
		if _, err := ParsePrincipalMappingRules(rules); err == nil || err.Error() != want {
			t.Errorf("%q: err = %v, want %s", rules, err, want)
		}
	}
}
