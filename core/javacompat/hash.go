// Package javacompat reproduces the few Java behaviours whose results show
// up in Kafka's data and output: group and transactional-id partitioning,
// the iteration order of hash maps printed by the tools, and how doubles
// are written in configs and tool output.
package javacompat

import "unicode/utf16"

// StringHashCode is java.lang.String.hashCode: h = 31*h + c over the UTF-16
// code units of s, with int32 wrap-around.
func StringHashCode(s string) int32 {
	var h int32
	for _, r := range s {
		if r >= 0x10000 {
			a, b := utf16.EncodeRune(r)
			h = 31*h + int32(a)
			h = 31*h + int32(b)
			continue
		}
		h = 31*h + int32(r)
	}
	return h
}
