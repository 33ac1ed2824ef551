package javacompat

import "strings"

// SplitList splits a comma-separated value the way Kafka reads LIST
// configs and server lists: each entry trimmed, empty entries dropped.
func SplitList(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
