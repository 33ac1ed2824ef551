package tools

import (
	"strings"
	"testing"
)

func TestParsePartitionIDs(t *testing.T) {
	ids, ok := parsePartitionIDs("0,2,5")
	if !ok || len(ids) != 3 || !ids[0] || !ids[2] || !ids[5] {
		t.Errorf("parsed %v %v", ids, ok)
	}
	if ids, ok := parsePartitionIDs(""); !ok || len(ids) != 0 {
		t.Errorf("empty: %v %v", ids, ok)
	}
	if _, ok := parsePartitionIDs("1,x"); ok {
		t.Error("non-numeric partition accepted")
	}
	if got := joinPartitionIDs(map[int32]bool{3: true, 1: true}); got != "1,3" {
		t.Errorf("joined %q", got)
	}
}

func TestGetOffsetsArgumentErrors(t *testing.T) {
	for _, tc := range []struct {
		args, stderr string
	}{
		{"", "An interactive shell for getting topic offsets.\n"},
		{"--topic t", "Missing required argument \"[broker-list]\""},
		{"--broker-list 127.0.0.1:1", "Missing required argument \"[topic]\""},
		{"--broker-list nohostport --topic t", "Please provide valid host:port like host1:9091,host2:9092"},
		{"--broker-list 127.0.0.1:1 --topic t --partitions 1,a", "--partitions expects a comma separated list of numeric partition ids, but received: 1,a\n"},
		{"--broker-list 127.0.0.1:1 --topic t --time x", "Exception in thread \"main\" joptsimple.OptionArgumentConversionException: Cannot parse argument 'x' of option time\n"},
	} {
		out, errOut, code := runTool(t, runGetOffsets, strings.Fields(tc.args)...)
		if code != 1 || out != "" || !strings.HasPrefix(errOut, tc.stderr) {
			t.Errorf("%q: code %d, stdout %q, stderr %q", tc.args, code, out, errOut)
		}
	}
}
