package tools

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// ProducerPerformance parses its flags with argparse4j rather than
// jopt-simple. This is the small part of argparse4j's behaviour it relies on:
// "--name value" and "--name=value", unique prefixes of long names, nargs="+"
// lists, a required one-of group, and "prog: error: ..." failures.

type argSpec struct {
	name     string // "--topic"
	dest     string
	metavar  string
	help     string
	typ      string // "String", "Long", "Integer", "Boolean" (store true)
	required bool
	multi    bool // nargs("+")
	def      string
	group    bool // member of the required mutually exclusive group
}

type argParser struct {
	prog        string
	description string
	specs       []*argSpec
}

type argError struct{ msg string }

func (e *argError) Error() string { return e.msg }

type argNamespace struct {
	values map[string][]string
	seen   map[string]bool
}

func (p *argParser) add(s *argSpec) { p.specs = append(p.specs, s) }

func (p *argParser) find(tok string) (*argSpec, error) {
	var matches []*argSpec
	for _, s := range p.specs {
		if s.name == tok {
			return s, nil
		}
		if strings.HasPrefix(s.name, tok) {
			matches = append(matches, s)
		}
	}
	switch len(matches) {
	case 1:
		return matches[0], nil
	case 0:
		return nil, nil
	}
	names := make([]string, len(matches))
	for i, m := range matches {
		names[i] = m.name
	}
	return nil, &argError{fmt.Sprintf("ambiguous option: %s could match %s", tok, strings.Join(names, ", "))}
}

func (p *argParser) parse(args []string) (*argNamespace, error) {
	ns := &argNamespace{values: map[string][]string{}, seen: map[string]bool{}}
	var unrecognized []string
	for i := 0; i < len(args); i++ {
		tok := args[i]
		if !strings.HasPrefix(tok, "-") || tok == "-" {
			unrecognized = append(unrecognized, tok)
			continue
		}
		if tok == "-h" || tok == "--help" {
			return nil, errHelp
		}
		name, value, hasValue := strings.Cut(tok, "=")
		s, err := p.find(name)
		if err != nil {
			return nil, err
		}
		if s == nil {
			unrecognized = append(unrecognized, tok)
			continue
		}
		ns.seen[s.dest] = true
		switch {
		case s.typ == "Boolean":
			ns.values[s.dest] = []string{"true"}
		case s.multi:
			var vals []string
			if hasValue {
				vals = append(vals, value)
			}
			for i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
				i++
				vals = append(vals, args[i])
			}
			if len(vals) == 0 {
				return nil, &argError{"argument " + s.name + ": expected one or more arguments"}
			}
			ns.values[s.dest] = append(ns.values[s.dest], vals...)
		default:
			if !hasValue {
				if i+1 >= len(args) || (strings.HasPrefix(args[i+1], "-") && !isNumber(args[i+1])) {
					return nil, &argError{"argument " + s.name + ": expected one argument"}
				}
				i++
				value = args[i]
			}
			if err := checkArgType(s, value); err != nil {
				return nil, err
			}
			ns.values[s.dest] = []string{value}
		}
	}
	if len(unrecognized) > 0 {
		return nil, &argError{"unrecognized arguments: '" + strings.Join(unrecognized, " ") + "'"}
	}
	return ns, p.checkRequired(ns)
}

var errHelp = &argError{"help"}

func isNumber(s string) bool {
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}

func checkArgType(s *argSpec, v string) error {
	bits := map[string]int{"Long": 64, "Integer": 32}[s.typ]
	if bits == 0 {
		return nil
	}
	if _, err := strconv.ParseInt(v, 10, bits); err != nil {
		return &argError{fmt.Sprintf("argument %s: could not convert '%s' to %s (For input string: \"%s\")", s.name, v, s.typ, v)}
	}
	return nil
}

func (p *argParser) checkRequired(ns *argNamespace) error {
	var group []string
	var given []string
	for _, s := range p.specs {
		if s.group {
			group = append(group, s.name)
			if ns.seen[s.dest] {
				given = append(given, s.name)
			}
			continue
		}
		if s.required && !ns.seen[s.dest] {
			return &argError{"argument " + s.name + " is required"}
		}
	}
	if len(group) > 0 && len(given) == 0 {
		return &argError{"one of the arguments " + strings.Join(group, " ") + " is required"}
	}
	if len(given) > 1 {
		return &argError{"argument " + given[1] + ": not allowed with argument " + given[0]}
	}
	return nil
}

func (ns *argNamespace) get(p *argParser, dest string) string {
	if v := ns.values[dest]; len(v) > 0 {
		return v[0]
	}
	for _, s := range p.specs {
		if s.dest == dest {
			return s.def
		}
	}
	return ""
}

func (p *argParser) usage() string {
	var parts []string
	var groupParts []string
	for _, s := range p.specs {
		var u string
		switch {
		case s.typ == "Boolean":
			u = s.name
		case s.multi:
			u = fmt.Sprintf("%s %s [%s ...]", s.name, s.metavar, s.metavar)
		default:
			u = s.name + " " + s.metavar
		}
		switch {
		case s.group:
			groupParts = append(groupParts, u)
			continue
		case !s.required:
			u = "[" + u + "]"
		}
		parts = append(parts, u)
	}
	out := "usage: " + p.prog + " [-h] " + strings.Join(parts, " ")
	if len(groupParts) > 0 {
		out += " (" + strings.Join(groupParts, " | ") + ")"
	}
	return out
}

// printHelp writes usage, description and one entry per argument.
func (p *argParser) printHelp(w io.Writer) {
	fmt.Fprintln(w, p.usage())
	fmt.Fprintln(w)
	fmt.Fprintln(w, p.description)
	fmt.Fprintln(w)
	fmt.Fprintln(w, "required arguments:")
	fmt.Fprintln(w, "  -h, --help             show this help message and exit")
	for _, s := range p.specs {
		head := "  " + s.name
		if s.typ != "Boolean" {
			head += " " + s.metavar
		}
		help := s.help
		if s.def != "" {
			help += " (default: " + s.def + ")"
		}
		fmt.Fprintf(w, "%s\n                         %s\n", head, help)
	}
}

// handleError is argparse4j's ArgumentParser.handleError.
func (p *argParser) handleError(w io.Writer, err error) {
	fmt.Fprintln(w, p.usage())
	fmt.Fprintf(w, "%s: error: %s\n", p.prog, err.Error())
}
