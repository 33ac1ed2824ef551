package tools

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// The Kafka 2.8 command line tools parse their flags with jopt-simple. Scripts
// and lab notes depend on its exact behaviour, so this file mirrors it:
// "--name value", "--name=value" and the single-dash long form "-name value"
// are all accepted, an option that takes a value consumes the next token
// whatever it looks like, unknown options are errors, abbreviations are not
// allowed (Kafka's parsers turn them off) and the error texts are jopt-simple's.

type argKind int

const (
	noArg argKind = iota
	requiredArg
	optionalArg
)

// optionSpec describes one accepted option, like jopt-simple's OptionSpec.
type optionSpec struct {
	name           string
	description    string
	kind           argKind
	argDescription string
	typeName       string // "String", "Integer", "Long" for the help text
	defaults       []string
	requiredUnless []string
	forHelp        bool
}

// withDefault sets the value reported when the option is absent.
func (s *optionSpec) withDefault(v string) *optionSpec {
	s.defaults = []string{v}
	return s
}

// ofType names the value type shown in the help text.
func (s *optionSpec) ofType(t string) *optionSpec {
	s.typeName = t
	return s
}

// describedAs sets the argument name shown in the help text.
func (s *optionSpec) describedAs(d string) *optionSpec {
	s.argDescription = d
	return s
}

// requiredUnlessPresent makes the option mandatory unless one of others is given.
func (s *optionSpec) requiredUnlessPresent(others ...string) *optionSpec {
	s.requiredUnless = others
	return s
}

// String renders the spec the way jopt-simple's toString does ("[topic]"),
// which Kafka embeds in "Missing required argument" messages.
func (s *optionSpec) String() string { return "[" + s.name + "]" }

// optionParser is the set of options one tool accepts.
type optionParser struct {
	specs map[string]*optionSpec
}

func newOptionParser() *optionParser {
	p := &optionParser{specs: map[string]*optionSpec{}}
	p.flag("help", "Print usage information.").forHelp = true
	p.flag("version", "Display Kafka version.").forHelp = true
	return p
}

// flag declares an option without a value.
func (p *optionParser) flag(name, description string) *optionSpec {
	s := &optionSpec{name: name, description: description, kind: noArg}
	p.specs[name] = s
	return s
}

// withArg declares an option that requires a value.
func (p *optionParser) withArg(name, description string) *optionSpec {
	s := &optionSpec{name: name, description: description, kind: requiredArg, typeName: "String"}
	p.specs[name] = s
	return s
}

// withOptionalArg declares an option whose value may be left out.
func (p *optionParser) withOptionalArg(name, description string) *optionSpec {
	s := &optionSpec{name: name, description: description, kind: optionalArg, typeName: "String"}
	p.specs[name] = s
	return s
}

// optionError carries one of jopt-simple's parse error messages.
type optionError struct{ msg string }

func (e *optionError) Error() string { return e.msg }

// optionSet is the result of parsing: which options were seen, with values.
type optionSet struct {
	parser     *optionParser
	seen       map[string]bool
	values     map[string][]string
	nonOptions []string
	argCount   int
}

// parse reads args the way jopt-simple's OptionParser.parse does.
func (p *optionParser) parse(args []string) (*optionSet, error) {
	o := &optionSet{parser: p, seen: map[string]bool{}, values: map[string][]string{}, argCount: len(args)}
	for i := 0; i < len(args); i++ {
		tok := args[i]
		if tok == "--" {
			o.nonOptions = append(o.nonOptions, args[i+1:]...)
			break
		}
		if !strings.HasPrefix(tok, "-") || tok == "-" {
			o.nonOptions = append(o.nonOptions, tok)
			continue
		}
		name := strings.TrimPrefix(strings.TrimPrefix(tok, "-"), "-")
		value, hasValue := "", false
		if eq := strings.IndexByte(name, '='); eq >= 0 {
			name, value, hasValue = name[:eq], name[eq+1:], true
		}
		spec := p.specs[name]
		if spec == nil {
			return nil, &optionError{name + " is not a recognized option"}
		}
		o.seen[name] = true
		switch spec.kind {
		case noArg:
			if hasValue {
				return nil, &optionError{"Option " + name + " does not allow an argument"}
			}
		case requiredArg:
			if !hasValue {
				if i+1 >= len(args) {
					return nil, &optionError{"Option " + name + " requires an argument"}
				}
				i++
				value = args[i]
			}
			o.values[name] = append(o.values[name], value)
		case optionalArg:
			if !hasValue && i+1 < len(args) && !p.looksLikeOption(args[i+1]) {
				i++
				value, hasValue = args[i], true
			}
			if hasValue {
				o.values[name] = append(o.values[name], value)
			}
		}
	}
	return o, p.checkRequiredUnless(o)
}

// looksLikeOption tells whether an optional value should be left for the next option.
func (p *optionParser) looksLikeOption(tok string) bool {
	if !strings.HasPrefix(tok, "-") || tok == "-" {
		return false
	}
	if _, err := strconv.ParseFloat(tok, 64); err == nil {
		return false
	}
	return true
}

func (p *optionParser) checkRequiredUnless(o *optionSet) error {
	if o.has("help") {
		return nil
	}
	var missing []string
	for _, s := range p.sorted() {
		if len(s.requiredUnless) == 0 || o.has(s.name) {
			continue
		}
		present := false
		for _, other := range s.requiredUnless {
			present = present || o.has(other)
		}
		if !present {
			missing = append(missing, s.name)
		}
	}
	if len(missing) > 0 {
		return &optionError{"Missing required option(s) [" + strings.Join(missing, ", ") + "]"}
	}
	return nil
}

func (o *optionSet) has(name string) bool { return o.seen[name] }

// valueOf returns the first value given, else the default, else "".
func (o *optionSet) valueOf(name string) string {
	if v := o.values[name]; len(v) > 0 {
		return v[0]
	}
	if s := o.parser.specs[name]; s != nil && len(s.defaults) > 0 {
		return s.defaults[0]
	}
	return ""
}

// valuesOf returns every value given for a repeatable option.
func (o *optionSet) valuesOf(name string) []string { return o.values[name] }

// intOf converts the option's value like jopt-simple's ofType(Integer).
func (o *optionSet) intOf(name string) (int32, error) {
	v := o.valueOf(name)
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil {
		return 0, &optionError{fmt.Sprintf("Cannot parse argument '%s' of option %s", v, name)}
	}
	return int32(n), nil
}

// longOf converts the option's value like jopt-simple's ofType(Long).
func (o *optionSet) longOf(name string) (int64, error) {
	v := o.valueOf(name)
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, &optionError{fmt.Sprintf("Cannot parse argument '%s' of option %s", v, name)}
	}
	return n, nil
}

func (p *optionParser) sorted() []*optionSpec {
	out := make([]*optionSpec, 0, len(p.specs))
	for _, s := range p.specs {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// printHelp writes the two-column table jopt-simple's BuiltinHelpFormatter
// prints: sorted options, 80 columns, wrapped cells indented by two spaces.
func (p *optionParser) printHelp(w io.Writer) {
	type row struct{ left, right string }
	header := row{"Option", "Description"}
	divider := row{"------", "-----------"}
	for _, s := range p.specs {
		if len(s.requiredUnless) > 0 {
			header.left, divider.left = "Option (* = required)", "---------------------"
		}
	}
	rows := []row{header, divider}
	for _, s := range p.sorted() {
		rows = append(rows, row{s.helpLeft(), s.helpRight()})
	}
	const overall, sep = 80, 2
	optW, descW := 0, 0
	for _, r := range rows {
		optW, descW = max(optW, len(r.left)), max(descW, len(r.right))
	}
	optW = min((overall-sep)/2, optW)
	descW = min(overall-optW-sep, descW)
	var fitted []row
	for _, r := range rows {
		l, d := wrapCell(r.left, optW), wrapCell(r.right, descW)
		for i := 0; i < max(len(l), len(d)); i++ {
			fitted = append(fitted, row{itemOr(l, i), itemOr(d, i)})
		}
	}
	optW, descW = 0, 0
	for _, r := range fitted {
		optW, descW = max(optW, len(r.left)), max(descW, len(r.right))
	}
	optW = min((overall-sep)/2, optW)
	descW = min(overall-optW-sep, descW)
	for _, r := range fitted {
		fmt.Fprintf(w, "%s%s%s%s\n", r.left, pad(optW-len(r.left)+sep), r.right, pad(descW-len(r.right)))
	}
}

func (s *optionSpec) helpLeft() string {
	left := ""
	if len(s.requiredUnless) > 0 {
		left = "* "
	}
	left += "--" + s.name
	if s.kind == noArg && s.argDescription == "" {
		return left
	}
	open, end := " <", ">"
	if s.kind == optionalArg {
		open, end = " [", "]"
	}
	left += open + s.typeName
	if s.argDescription != "" {
		left += ": " + s.argDescription
	}
	return left + end
}

func (s *optionSpec) helpRight() string {
	if len(s.defaults) == 0 {
		return s.description
	}
	return strings.TrimSpace(s.description + " (default: " + s.defaults[0] + ")")
}

func pad(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat(" ", n)
}

func itemOr(items []string, i int) string {
	if i < len(items) {
		return items[i]
	}
	return ""
}

// wrapCell breaks text into lines of at most width characters at spaces,
// indenting continuation lines by two like jopt-simple's Columns.
func wrapCell(text string, width int) []string {
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		var cur strings.Builder
		for _, word := range splitKeepingSpaces(line) {
			if cur.Len()+len(word) > width && cur.Len() > 0 {
				out = append(out, strings.TrimRight(cur.String(), " \t"))
				cur.Reset()
				cur.WriteString("  ")
			}
			cur.WriteString(word)
		}
		if cur.Len() > 0 {
			out = append(out, cur.String())
		}
	}
	return out
}

// splitKeepingSpaces splits "a b  c" into "a ", "b  ", "c".
func splitKeepingSpaces(s string) []string {
	var words []string
	start := 0
	for i := 1; i <= len(s); i++ {
		if i == len(s) || (s[i] != ' ' && s[i-1] == ' ') {
			words = append(words, s[start:i])
			start = i
		}
	}
	return words
}
