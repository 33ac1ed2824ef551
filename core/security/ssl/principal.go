package ssl

import (
	"crypto/tls"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// DefaultPrincipalMappingRules is ssl.principal.mapping.rules' default: the
// distinguished name unchanged.
const DefaultPrincipalMappingRules = "DEFAULT"

// ruleSyntax is one rule of ssl.principal.mapping.rules: DEFAULT, or
// RULE:pattern/replacement/ with an optional L or U (lower / upper case),
// where pattern and replacement may contain backslash-escaped characters;
// anything else falls into the last group and is refused.
const ruleSyntax = `(DEFAULT)|RULE:((?:\\.|[^\\/])*)/((?:\\.|[^\\/])*)/([LU]?).*?|(.*?)`

var (
	// ruleSplitter finds the rules of the comma-separated list.
	ruleSplitter = regexp.MustCompile(`\s*(` + ruleSyntax + `)\s*(?:,\s*|$)`)
	// ruleParser reads one rule from its start (Java's lookingAt).
	ruleParser = regexp.MustCompile(`^(?:` + ruleSyntax + `)`)
)

// PrincipalMapper turns a client certificate's distinguished name into the
// principal name, as Kafka's SslPrincipalMapper: the first rule that applies
// wins; a name no rule applies to is refused.
type PrincipalMapper struct {
	rules []principalRule
	text  string
}

type principalRule struct {
	isDefault   bool
	pattern     *regexp.Regexp // the rule's pattern, for replacing
	whole       *regexp.Regexp // the pattern anchored at both ends, for Java's matches()
	replacement string
	lower       bool
	upper       bool
}

// ParsePrincipalMappingRules parses ssl.principal.mapping.rules. Patterns
// are Go regular expressions (RE2), which accept the usual Java patterns
// but no look-arounds or back-references; replacements use Java's syntax
// ($1, ${name}, \ to quote).
func ParsePrincipalMappingRules(text string) (*PrincipalMapper, error) {
	m := &PrincipalMapper{text: text}
	for _, sm := range ruleSplitter.FindAllStringSubmatch(strings.TrimSpace(text), -1) {
		r, ok, err := parseRule(sm[1])
		if err != nil {
			return nil, err
		}
		if ok {
			m.rules = append(m.rules, r)
		}
	}
	return m, nil
}

// parseRule reads one rule; ok is false for an empty one (ignored, as in
// Kafka).
func parseRule(rule string) (principalRule, bool, error) {
	loc := ruleParser.FindStringSubmatchIndex(rule)
	if loc[1] != len(rule) {
		return principalRule{}, false, fmt.Errorf("Invalid rule: `%s`, unmatched substring: `%s`", rule, rule[loc[1]:])
	}
	group := func(i int) (string, bool) {
		if loc[2*i] < 0 {
			return "", false
		}
		return rule[loc[2*i]:loc[2*i+1]], true
	}
	if _, ok := group(1); ok {
		return principalRule{isDefault: true}, true, nil
	}
	pattern, ok := group(2)
	if !ok {
		return principalRule{}, false, nil
	}
	replacement, _ := group(3)
	flags, _ := group(4)
	re, err := regexp.Compile(pattern)
	if err != nil {
		return principalRule{}, false, fmt.Errorf("Invalid rule: %s: %v", rule, err)
	}
	return principalRule{
		pattern: re, whole: regexp.MustCompile(`^(?:` + pattern + `)$`),
		replacement: replacement, lower: flags == "L", upper: flags == "U",
	}, true, nil
}

// Name returns the principal name for a distinguished name.
func (m *PrincipalMapper) Name(dn string) (string, error) {
	for _, r := range m.rules {
		name, ok, err := r.apply(dn)
		if err != nil {
			return "", err
		}
		if ok {
			return name, nil
		}
	}
	return "", fmt.Errorf("No rules apply to %s, rules %s", dn, m)
}

// String renders the rules as Kafka's toString does in its messages.
func (m *PrincipalMapper) String() string {
	parts := make([]string, len(m.rules))
	for i, r := range m.rules {
		parts[i] = r.String()
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func (r principalRule) String() string {
	if r.isDefault {
		return "DEFAULT"
	}
	s := "RULE:" + r.pattern.String() + "/" + r.replacement
	switch {
	case r.lower:
		s += "/L"
	case r.upper:
		s += "/U"
	}
	return s
}

// apply is Rule.apply: the pattern must match the whole name; then every
// match in it is replaced (Java's replaceAll) and the case flag applied.
func (r principalRule) apply(dn string) (string, bool, error) {
	if r.isDefault {
		return dn, true, nil
	}
	if !r.whole.MatchString(dn) {
		return "", false, nil
	}
	var b strings.Builder
	last := 0
	for _, loc := range r.pattern.FindAllStringSubmatchIndex(dn, -1) {
		b.WriteString(dn[last:loc[0]])
		if err := r.expand(&b, dn, loc); err != nil {
			return "", false, err
		}
		last = loc[1]
	}
	b.WriteString(dn[last:])
	out := b.String()
	switch {
	case r.lower:
		out = strings.ToLower(out)
	case r.upper:
		out = strings.ToUpper(out)
	}
	return out, true, nil
}

// expand writes the replacement for one match with Java's
// Matcher.appendReplacement rules, after Kafka's treatment of
// back-references to groups that do not exist (kept as literal text).
func (r principalRule) expand(b *strings.Builder, dn string, loc []int) error {
	groups := r.pattern.NumSubexp()
	rep := r.replacement
	for i := 0; i < len(rep); i++ {
		c := rep[i]
		switch {
		case c == '\\' && i+1 < len(rep):
			i++
			b.WriteByte(rep[i])
		case c == '$' && i+1 < len(rep) && rep[i+1] == '{':
			end := strings.IndexByte(rep[i:], '}')
			if end < 0 {
				return fmt.Errorf("named capturing group is missing trailing '}' in replacement %s", rep)
			}
			name := rep[i+2 : i+end]
			idx := r.pattern.SubexpIndex(name)
			if idx < 0 {
				return fmt.Errorf("No group with name {%s}", name)
			}
			writeGroup(b, dn, loc, idx)
			i += end
		case c == '$':
			n, width, literal := backReference(rep[i+1:], groups)
			if width == 0 {
				return fmt.Errorf("Illegal group reference in replacement %s", rep)
			}
			switch {
			case literal:
				b.WriteString(rep[i : i+1+width])
			case n > groups:
				return fmt.Errorf("No group %d", n)
			default:
				writeGroup(b, dn, loc, n)
			}
			i += width
		default:
			b.WriteByte(c)
		}
	}
	return nil
}

// backReference reads the digits after a '$': Java takes the first digit
// and then each further digit while the number stays a valid group. Kafka
// first turns a reference to a group that does not exist into literal
// text (literal = true), unless it starts with 0 (then Java fails, as
// group 0 followed by digits it cannot use is still group 0).
func backReference(s string, groups int) (n, width int, literal bool) {
	digits := 0
	for digits < len(s) && s[digits] >= '0' && s[digits] <= '9' {
		digits++
	}
	if digits == 0 {
		return 0, 0, false
	}
	all, _ := strconv.Atoi(s[:digits])
	// Kafka's escapeLiteralBackReferences: shorten an impossible number
	// while it has two digits or more; still too big means literal.
	if s[0] != '0' && groups > 0 {
		k := all
		for k > groups && k >= 10 {
			k /= 10
		}
		if k > groups {
			return 0, digits, true
		}
	}
	n = int(s[0] - '0')
	width = 1
	for width < digits {
		next := n*10 + int(s[width]-'0')
		if next > groups {
			break
		}
		n, width = next, width+1
	}
	return n, width, false
}

func writeGroup(b *strings.Builder, s string, loc []int, n int) {
	if loc[2*n] >= 0 {
		b.WriteString(s[loc[2*n]:loc[2*n+1]])
	}
}

// Principal is the principal of a TLS client as Kafka's
// DefaultKafkaPrincipalBuilder names it: "User:<mapped DN>" for a client
// that presented a certificate, "" (User:ANONYMOUS) for one that did not.
func (m *PrincipalMapper) Principal(cs tls.ConnectionState) (string, error) {
	if len(cs.PeerCertificates) == 0 {
		return "", nil
	}
	dn, err := DistinguishedName(cs.PeerCertificates[0].RawSubject)
	if err != nil {
		return "", fmt.Errorf("client certificate subject: %v", err)
	}
	name, err := m.Name(dn)
	if err != nil {
		return "", err
	}
	return "User:" + name, nil
}
