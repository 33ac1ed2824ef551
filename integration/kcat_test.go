package integration

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestKcat lists metadata, produces keyed records to an explicit partition
// and consumes them back with kcat (librdkafka), then does the same with
// every compression codec.
func TestKcat(t *testing.T) {
	requireKcat(t)
	c := StartCluster(t, nil)
	b := c.Bootstrap()
	const topic = "kcat-topic"
	CreateTopic(t, b, topic, 2, nil)

	t.Run("metadata", func(t *testing.T) {
		out, errOut, code := kcat(t, "", "-b", b, "-L", "-t", topic)
		if code != 0 {
			t.Fatalf("kcat -L exited %d: %s", code, errOut)
		}
		for _, want := range []string{
			" 1 brokers:\n",
			fmt.Sprintf("  broker 1 at %s (controller)\n", c.B().Addr()),
			" 1 topics:\n",
			fmt.Sprintf("  topic \"%s\" with 2 partitions:\n", topic),
			"    partition 0, leader 1, replicas: 1, isrs: 1\n",
			"    partition 1, leader 1, replicas: 1, isrs: 1\n",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("kcat -L output lacks %q:\n%s", want, out)
			}
		}
		// All topics: ours is listed.
		out, errOut, code = kcat(t, "", "-b", b, "-L")
		if code != 0 || !strings.Contains(out, fmt.Sprintf("topic \"%s\" with 2 partitions:", topic)) {
			t.Errorf("kcat -L (all topics) exited %d, output:\n%s\n%s", code, out, errOut)
		}
	})

	t.Run("produce-consume", func(t *testing.T) {
		var in strings.Builder
		var want []string
		for i := 0; i < 25; i++ {
			fmt.Fprintf(&in, "key%d:value %d\n", i, i)
			want = append(want, fmt.Sprintf("key%d:value %d", i, i))
		}
		if _, errOut, code := kcat(t, in.String(), "-b", b, "-P", "-t", topic, "-K:", "-p", "0"); code != 0 {
			t.Fatalf("kcat -P exited %d: %s", code, errOut)
		}
		out, errOut, code := kcat(t, "", "-b", b, "-C", "-t", topic, "-p", "0", "-o", "beginning", "-e", "-q", "-f", "%k:%s\n")
		if code != 0 {
			t.Fatalf("kcat -C exited %d: %s", code, errOut)
		}
		if got := strings.Split(strings.TrimSuffix(out, "\n"), "\n"); strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("kcat consumed:\n%s\nwant:\n%s", out, strings.Join(want, "\n"))
		}
		// Offsets by time (-Q): 0 → earliest, the future → -1, -1 → latest.
		for _, q := range []struct{ ts, want string }{{"0", "0"}, {"9999999999999", "-1"}, {"-1", "25"}} {
			out, errOut, code := kcat(t, "", "-b", b, "-Q", "-t", topic+":0:"+q.ts)
			if want := fmt.Sprintf("%s [0] offset %s\n", topic, q.want); code != 0 || out != want {
				t.Errorf("kcat -Q -t %s:0:%s: exit %d, %q, want %q (%s)", topic, q.ts, code, out, want, errOut)
			}
		}
		// Partition 1 received nothing: offsets and -e end immediately.
		out, errOut, code = kcat(t, "", "-b", b, "-C", "-t", topic, "-p", "1", "-o", "beginning", "-e", "-q", "-f", "%k:%s\n")
		if code != 0 || out != "" {
			t.Errorf("partition 1: exit %d, output %q, stderr %s", code, out, errOut)
		}
	})

	t.Run("headers-and-relative-offsets", func(t *testing.T) {
		const htopic = "kcat-headers"
		CreateTopic(t, b, htopic, 1, nil)
		var in strings.Builder
		for i := 0; i < 10; i++ {
			fmt.Fprintf(&in, "k%d:v%d\n", i, i)
		}
		if _, errOut, code := kcat(t, in.String(), "-b", b, "-P", "-t", htopic, "-K:", "-H", "source=kcat", "-H", "lab=1"); code != 0 {
			t.Fatalf("kcat -P -H exited %d: %s", code, errOut)
		}
		// The last 3 records (-o -3), with their headers.
		out, errOut, code := kcat(t, "", "-b", b, "-C", "-t", htopic, "-o", "-3", "-e", "-q", "-f", "%o %k:%s [%h]\n")
		want := "7 k7:v7 [source=kcat,lab=1]\n8 k8:v8 [source=kcat,lab=1]\n9 k9:v9 [source=kcat,lab=1]\n"
		if code != 0 || out != want {
			t.Errorf("kcat -o -3: exit %d\n%q\nwant\n%q\n%s", code, out, want, errOut)
		}
		// By timestamp (-o s@<ms>): from the beginning of time is everything.
		out, errOut, code = kcat(t, "", "-b", b, "-C", "-t", htopic, "-o", "s@0", "-e", "-q", "-f", "%o\n")
		if code != 0 || strings.Count(out, "\n") != 10 || !strings.HasPrefix(out, "0\n") {
			t.Errorf("kcat -o s@0: exit %d %q %s", code, out, errOut)
		}
		// JSON envelopes (-J).
		out, errOut, code = kcat(t, "", "-b", b, "-C", "-t", htopic, "-o", "beginning", "-c", "1", "-e", "-q", "-J")
		if code != 0 || !strings.Contains(out, `"offset":0`) || !strings.Contains(out, `"key":"k0"`) || !strings.Contains(out, `"payload":"v0"`) {
			t.Errorf("kcat -J: exit %d %q %s", code, out, errOut)
		}
	})

	t.Run("compression", func(t *testing.T) {
		const ctopic = "kcat-compressed"
		CreateTopic(t, b, ctopic, 1, nil)
		var want []string
		codecs := []string{"gzip", "snappy", "lz4", "zstd"}
		for _, codec := range codecs {
			var in strings.Builder
			for i := 0; i < 40; i++ {
				// Repetitive values compress well, so batches really shrink.
				line := fmt.Sprintf("%s-%02d:%s", codec, i, strings.Repeat(codec+" payload ", 10))
				in.WriteString(line + "\n")
				want = append(want, line)
			}
			if _, errOut, code := kcat(t, in.String(), "-b", b, "-P", "-t", ctopic, "-K:", "-p", "0", "-z", codec,
				"-X", "linger.ms=50"); code != 0 {
				t.Fatalf("kcat -P -z %s exited %d: %s", codec, code, errOut)
			}
		}
		out, errOut, code := kcat(t, "", "-b", b, "-C", "-t", ctopic, "-p", "0", "-o", "beginning", "-e", "-q", "-f", "%o %k:%s\n")
		if code != 0 {
			t.Fatalf("kcat -C exited %d: %s", code, errOut)
		}
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if len(lines) != len(want) {
			t.Fatalf("consumed %d records, produced %d:\n%s", len(lines), len(want), out)
		}
		for i, l := range lines {
			if l != fmt.Sprintf("%d %s", i, want[i]) {
				t.Errorf("record %d: %q, want %q", i, l, fmt.Sprintf("%d %s", i, want[i]))
			}
		}
		// franz-go decodes the same batches.
		got := ConsumeAll(t, b, ctopic, 30*time.Second)
		if len(got[0]) != len(want) {
			t.Fatalf("franz-go read %d records, want %d", len(got[0]), len(want))
		}
		for i, r := range got[0] {
			if r.Offset != int64(i) || string(r.Key)+":"+string(r.Value) != want[i] {
				t.Errorf("franz-go record %d: offset %d %s:%s", i, r.Offset, r.Key, r.Value)
			}
		}
	})
}
