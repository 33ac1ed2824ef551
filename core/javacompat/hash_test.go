package javacompat

import "testing"

func TestStringHashCode(t *testing.T) {
	cases := map[string]int32{
		"":                   0,
		"a":                  97,
		"cg1":                98381, // 99*31*31 + 103*31 + 49
		"polygenelubricants": -2147483648,
		"😀":                  1772899, // surrogate pair: 0xD83D*31 + 0xDE00
	}
	for s, want := range cases {
		if got := StringHashCode(s); got != want {
			t.Errorf("StringHashCode(%q) = %d, want %d", s, got, want)
		}
	}
}
