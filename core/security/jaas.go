package security

import (
	"fmt"
	"os"
	"strings"
	"unicode"
)

// Login module class names Kafka's JAAS configurations use.
const (
	PlainLoginModule = "org.apache.kafka.common.security.plain.PlainLoginModule"
	ScramLoginModule = "org.apache.kafka.common.security.scram.ScramLoginModule"
)

// JaasEntry is one login module line (AppConfigurationEntry).
type JaasEntry struct {
	LoginModule string
	Flag        string // required, requisite, sufficient, optional
	Options     map[string]string
}

// JaasConfig is a parsed JAAS file: its sections (login contexts) by name.
type JaasConfig map[string][]JaasEntry

// ParseJaasFile parses the JAAS login configuration format that
// java.security.auth.login.config names:
//
//	KafkaServer {
//	  org.apache.kafka.common.security.plain.PlainLoginModule required
//	  username="admin" password="admin-secret" user_admin="admin-secret";
//	};
//
// with //, /* */ and # comments, as the JDK's ConfigFile reads it.
func ParseJaasFile(text string) (JaasConfig, error) {
	p := &jaasParser{toks: nil}
	if err := p.tokenize(text); err != nil {
		return nil, err
	}
	cfg := JaasConfig{}
	for !p.done() {
		name, err := p.word("login context name")
		if err != nil {
			return nil, err
		}
		if err := p.expect("{"); err != nil {
			return nil, err
		}
		entries, err := p.entries("}")
		if err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
		if err := p.expect("}"); err != nil {
			return nil, err
		}
		if err := p.expect(";"); err != nil {
			return nil, err
		}
		cfg[name] = append(cfg[name], entries...)
	}
	return cfg, nil
}

// ParseJaasConfigValue parses a sasl.jaas.config value: login module
// entries without a context name (Kafka's JaasConfig). Like Kafka, a
// listener's per-mechanism value must hold exactly one entry.
func ParseJaasConfigValue(text string) ([]JaasEntry, error) {
	p := &jaasParser{}
	if err := p.tokenize(text); err != nil {
		return nil, err
	}
	entries, err := p.entries("")
	if err != nil {
		return nil, err
	}
	if !p.done() {
		return nil, fmt.Errorf("unexpected %q", p.toks[p.pos].s)
	}
	if len(entries) == 0 {
		return nil, fmt.Errorf("JAAS config property does not contain any login modules")
	}
	return entries, nil
}

// JaasFileFromKafkaOpts returns the file named by
// -Djava.security.auth.login.config=<file> in KAFKA_OPTS ("" when absent).
func JaasFileFromKafkaOpts(opts string) string {
	const key = "-Djava.security.auth.login.config="
	file := ""
	for _, f := range splitShellWords(opts) {
		if strings.HasPrefix(f, key) {
			file = strings.TrimPrefix(f, key) // the last one wins, as for the JVM
		}
	}
	return file
}

// splitShellWords splits on blanks, honouring single and double quotes.
func splitShellWords(s string) []string {
	var out []string
	var cur strings.Builder
	in, quote := false, rune(0)
	for _, r := range s {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '"' || r == '\'':
			quote, in = r, true
		case unicode.IsSpace(r):
			if in {
				out = append(out, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if in {
		out = append(out, cur.String())
	}
	return out
}

// LoadJaasFile reads and parses a JAAS file.
func LoadJaasFile(path string) (JaasConfig, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	cfg, err := ParseJaasFile(string(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return cfg, nil
}

// ServerContext picks the login entries of a SASL listener and mechanism
// as JaasContext.loadServerContext does: the listener's
// listener.name.<listener>.<mechanism>.sasl.jaas.config value (inline) if
// given, else the JAAS file's "<listener lower case>.KafkaServer" section,
// else its "KafkaServer" section.
func ServerContext(listener, inline string, file JaasConfig, fileName string) ([]JaasEntry, error) {
	if inline != "" {
		entries, err := ParseJaasConfigValue(inline)
		if err != nil {
			return nil, err
		}
		if len(entries) != 1 {
			return nil, fmt.Errorf("JAAS config property contains %d login modules, should be 1 module", len(entries))
		}
		return entries, nil
	}
	listenerContext := strings.ToLower(listener) + ".KafkaServer"
	if e, ok := file[listenerContext]; ok {
		return e, nil
	}
	if e, ok := file["KafkaServer"]; ok {
		return e, nil
	}
	set := "not set"
	if fileName != "" {
		set = fileName
	}
	return nil, fmt.Errorf("Could not find a 'KafkaServer' or '%s' entry in the JAAS configuration. System property 'java.security.auth.login.config' is %s", listenerContext, set)
}

// ConfigEntryOption is JaasContext.configEntryOption: the option's value
// in the first entry of the given login module that has it.
func ConfigEntryOption(entries []JaasEntry, key, loginModule string) (string, bool) {
	for _, e := range entries {
		if loginModule != "" && e.LoginModule != loginModule {
			continue
		}
		if v, ok := e.Options[key]; ok {
			return v, true
		}
	}
	return "", false
}

type jaasToken struct {
	s      string
	quoted bool
}

type jaasParser struct {
	toks []jaasToken
	pos  int
}

func (p *jaasParser) tokenize(text string) error {
	rs := []rune(text)
	for i := 0; i < len(rs); {
		r := rs[i]
		switch {
		case unicode.IsSpace(r):
			i++
		case r == '#' || (r == '/' && i+1 < len(rs) && rs[i+1] == '/'):
			for i < len(rs) && rs[i] != '\n' {
				i++
			}
		case r == '/' && i+1 < len(rs) && rs[i+1] == '*':
			j := i + 2
			for j+1 < len(rs) && !(rs[j] == '*' && rs[j+1] == '/') {
				j++
			}
			if j+1 >= len(rs) {
				return fmt.Errorf("unterminated comment")
			}
			i = j + 2
		case r == '{' || r == '}' || r == ';' || r == '=':
			p.toks = append(p.toks, jaasToken{s: string(r)})
			i++
		case r == '"' || r == '\'':
			var b strings.Builder
			j := i + 1
			for ; j < len(rs) && rs[j] != r; j++ {
				if rs[j] == '\\' && j+1 < len(rs) {
					j++
				}
				b.WriteRune(rs[j])
			}
			if j >= len(rs) {
				return fmt.Errorf("unterminated quoted string")
			}
			p.toks = append(p.toks, jaasToken{s: b.String(), quoted: true})
			i = j + 1
		default:
			j := i
			for j < len(rs) && !unicode.IsSpace(rs[j]) && !strings.ContainsRune("{};=\"'", rs[j]) {
				j++
			}
			p.toks = append(p.toks, jaasToken{s: string(rs[i:j])})
			i = j
		}
	}
	return nil
}

func (p *jaasParser) done() bool { return p.pos >= len(p.toks) }

func (p *jaasParser) peek() (jaasToken, bool) {
	if p.done() {
		return jaasToken{}, false
	}
	return p.toks[p.pos], true
}

func (p *jaasParser) word(what string) (string, error) {
	t, ok := p.peek()
	if !ok {
		return "", fmt.Errorf("expected %s, found end of input", what)
	}
	if !t.quoted && strings.ContainsAny(t.s, "{};=") {
		return "", fmt.Errorf("expected %s, found %q", what, t.s)
	}
	p.pos++
	return t.s, nil
}

func (p *jaasParser) expect(sym string) error {
	t, ok := p.peek()
	if !ok {
		return fmt.Errorf("expected %q, found end of input", sym)
	}
	if t.quoted || t.s != sym {
		return fmt.Errorf("expected %q, found %q", sym, t.s)
	}
	p.pos++
	return nil
}

// entries reads "module flag [k=v ...];" until the closing token (or the
// end of input when closing is "").
func (p *jaasParser) entries(closing string) ([]JaasEntry, error) {
	var out []JaasEntry
	for {
		t, ok := p.peek()
		if !ok || (closing != "" && !t.quoted && t.s == closing) {
			return out, nil
		}
		module, err := p.word("login module class")
		if err != nil {
			return nil, err
		}
		flag, err := p.word("control flag")
		if err != nil {
			return nil, err
		}
		switch strings.ToLower(flag) {
		case "required", "requisite", "sufficient", "optional":
		default:
			return nil, fmt.Errorf("invalid control flag %q for %s", flag, module)
		}
		e := JaasEntry{LoginModule: module, Flag: strings.ToLower(flag), Options: map[string]string{}}
		for {
			t, ok := p.peek()
			if !ok {
				return nil, fmt.Errorf("expected \";\" after the options of %s", module)
			}
			if !t.quoted && t.s == ";" {
				p.pos++
				break
			}
			key, err := p.word("option name")
			if err != nil {
				return nil, err
			}
			if err := p.expect("="); err != nil {
				return nil, err
			}
			val, err := p.word("option value")
			if err != nil {
				return nil, err
			}
			e.Options[key] = val
		}
		out = append(out, e)
	}
}
