package javacompat

import "testing"

func TestDoubleToString(t *testing.T) {
	for in, want := range map[float64]string{
		0.5: "0.5", 1: "1.0", 0.9: "0.9", 1024: "1024.0", 12.5: "12.5", 123456.5: "123456.5",
		10485760: "1.048576E7", 1e7: "1.0E7", 0.0001: "1.0E-4", 0: "0.0", 9223372036854775807: "9.223372036854776E18",
	} {
		if got := DoubleToString(in); got != want {
			t.Errorf("DoubleToString(%v) = %s, want %s", in, got, want)
		}
	}
}
