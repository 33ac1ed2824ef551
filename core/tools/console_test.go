package tools

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"
)

func TestDefaultMessageFormatter(t *testing.T) {
	rec := &consumedRecord{topic: "t", partition: 1, offset: 5, timestamp: 1620000000000, timestampType: "CreateTime",
		key: []byte("k"), value: []byte("v"), headers: []recordHeader{{"a", []byte("1")}, {"b", nil}}}
	cases := []struct {
		props map[string]string
		want  string
	}{
		{nil, "v\n"},
		{map[string]string{"print.key": "true"}, "k\tv\n"},
		{map[string]string{"print.timestamp": "true", "print.partition": "true", "print.offset": "true", "print.key": "true"},
			"CreateTime:1620000000000\tPartition:1\tOffset:5\tk\tv\n"},
		{map[string]string{"print.key": "true", "key.separator": ":", "line.separator": "|"}, "k:v|"},
		{map[string]string{"print.key": "true", "print.value": "false"}, "k\n"},
		{map[string]string{"print.headers": "true"}, "a:1,b:null\tv\n"},
		{map[string]string{"print.offset": "TRUE", "print.value": "false"}, "Offset:5\n"},
		{map[string]string{"print.key": "true", "null.literal": "NULL"}, "k\tv\n"},
	}
	for _, c := range cases {
		f, err := newDefaultMessageFormatter(c.props)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		f.writeTo(rec, &b)
		if b.String() != c.want {
			t.Errorf("%v: got %q want %q", c.props, b.String(), c.want)
		}
	}
	f, _ := newDefaultMessageFormatter(map[string]string{"print.key": "true", "print.headers": "true"})
	var b bytes.Buffer
	f.writeTo(&consumedRecord{value: []byte("x")}, &b)
	if b.String() != "NO_HEADERS\tnull\tx\n" {
		t.Errorf("null key / no headers: %q", b.String())
	}
	f, _ = newDefaultMessageFormatter(map[string]string{"value.deserializer": "org.apache.kafka.common.serialization.LongDeserializer"})
	b.Reset()
	f.writeTo(&consumedRecord{value: []byte{0, 0, 0, 0, 0, 0, 1, 0}}, &b)
	if b.String() != "256\n" {
		t.Errorf("long value: %q", b.String())
	}
	if err := f.writeTo(&consumedRecord{value: []byte("abc")}, &b); err == nil || err.Error() != "Size of data received by LongDeserializer is not 8" {
		t.Errorf("bad long: %v", err)
	}
}

func TestLineMessageReader(t *testing.T) {
	in := "k1\tv1\nk2\t\r\nnokey\n"
	var prompt bytes.Buffer
	lr := newLineMessageReader("t", strings.NewReader(in), map[string]string{"parse.key": "true"}, &prompt)
	r, _ := lr.readMessage()
	if string(r.Key) != "k1" || string(r.Value) != "v1" || r.Topic != "t" {
		t.Errorf("first %q %q", r.Key, r.Value)
	}
	r, _ = lr.readMessage()
	if string(r.Key) != "k2" || string(r.Value) != "" {
		t.Errorf("second %q %q", r.Key, r.Value)
	}
	if _, err := lr.readMessage(); err == nil || err.Error() != "No key found on line 3: nokey" {
		t.Errorf("no key: %v", err)
	}
	if r, err := lr.readMessage(); r != nil || err != nil {
		t.Errorf("eof: %v %v", r, err)
	}
	if prompt.String() != ">>>>" {
		t.Errorf("prompts %q", prompt.String())
	}
	lr = newLineMessageReader("t", strings.NewReader("a::b\nlast"), map[string]string{"parse.key": "true", "key.separator": "::"}, nil)
	r, _ = lr.readMessage()
	if string(r.Key) != "a" || string(r.Value) != "b" {
		t.Errorf("multi-char separator %q %q", r.Key, r.Value)
	}
	lr = newLineMessageReader("t", strings.NewReader("x\nlast"), map[string]string{"parse.key": "true", "ignore.error": "true"}, nil)
	if r, _ = lr.readMessage(); r.Key != nil || string(r.Value) != "x" {
		t.Errorf("ignore.error %q %q", r.Key, r.Value)
	}
	if r, _ = lr.readMessage(); string(r.Value) != "last" {
		t.Errorf("unterminated last line %q", r.Value)
	}
}

func TestConsoleProducerProps(t *testing.T) {
	p := consoleProducerParser()
	o, _ := p.parse([]string{"--broker-list", "h:9092", "--topic", "t", "--producer-property", "acks=all", "--producer-property", "linger.ms=5", "--request-required-acks", "0", "--compression-codec"})
	props, err := consoleProducerProps(o)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"bootstrap.servers": "h:9092", "acks": "0", "linger.ms": "5", "compression.type": "gzip",
		"client.id": "console-producer", "request.timeout.ms": "1500", "retries": "3", "batch.size": "16384", "max.block.ms": "60000"}
	for k, v := range want {
		if props[k] != v {
			t.Errorf("%s = %q, want %q", k, props[k], v)
		}
	}
}

func TestConsoleToolsArgumentErrors(t *testing.T) {
	for _, c := range []struct {
		run   func(*env, []string) int
		args  string
		first string
	}{
		{runConsoleProducer, "--topic t --bootstrap-server nohostport", "Please provide valid host:port like host1:9091,host2:9092"},
		{runConsoleProducer, "--bootstrap-server h:1", "Missing required argument \"[topic]\""},
		{runConsoleConsumer, "--bootstrap-server h:1", "Exactly one of whitelist/topic is required."},
		{runConsoleConsumer, "--topic t --offset 3 --bootstrap-server h:1", "The partition is required when offset is specified."},
		{runConsoleConsumer, "--topic t --partition 0 --offset -3 --bootstrap-server h:1", "The provided offset value '-3' is incorrect. Valid values are 'earliest', 'latest', or a non-negative long."},
		{runConsoleConsumer, "--topic t --partition 0 --offset 1 --from-beginning --bootstrap-server h:1", "Options from-beginning and offset cannot be specified together."},
		{runConsoleConsumer, "--topic t --partition 0 --group g --bootstrap-server h:1", "Options group and partition cannot be specified together."},
		{runConsoleConsumer, "--topic t --group g --consumer-property group.id=h --bootstrap-server h:1", "The group ids provided in different places (directly using '--group', via '--consumer-property', or via '--consumer.config') do not match. Detected group ids: 'g', 'h'"},
		{runConsoleConsumer, "--topic t", "Missing required argument \"[bootstrap-server]\""},
		{runConsoleConsumer, "--topic t --from-beginning --consumer-property auto.offset.reset=latest --bootstrap-server h:1", "Can't simultaneously specify --from-beginning and 'auto.offset.reset=latest', please remove one option"},
	} {
		_, errOut, code := runTool(t, c.run, strings.Fields(c.args)...)
		if first := strings.SplitN(errOut, "\n", 2)[0]; first != c.first || code != 1 {
			t.Errorf("%s: exit %d, first stderr line %q", c.args, code, first)
		}
	}
}

func TestProducerPerfPieces(t *testing.T) {
	r := newJavaRandom(0)
	var b strings.Builder
	for i := 0; i < 20; i++ {
		b.WriteByte(byte(r.nextInt(26) + 65))
	}
	if b.String() != "SSXVNJHPDQDXVCRASTVY" { // java.util.Random(0), as ProducerPerformance fills payloads
		t.Errorf("payload %s", b.String())
	}
	r = newJavaRandom(0)
	if a, b, c := r.nextInt(7), r.nextInt(16), r.nextInt(1000); a != 5 || b != 13 || c != 29 {
		t.Errorf("nextInt %d %d %d", a, b, c)
	}
	if got := percentiles([]int{5, 1, 3, 2, 4, 0}, 5, 0.5, 0.95); got[0] != 3 || got[1] != 5 {
		t.Errorf("percentiles %v", got)
	}
	if javaFixed(math.Inf(1), 2) != "Infinity" || javaFixed(2.5, 2) != "2.50" {
		t.Errorf("javaFixed")
	}
}

func TestProducerPerfArgs(t *testing.T) {
	for args, want := range map[string]string{
		"--topic t --num-records 5 --throughput 1 --producer-props a=b":                           "one of the arguments --record-size --payload-file is required",
		"--topic t --num-records x --record-size 1 --throughput 1":                                "argument --num-records: could not convert 'x' to Long (For input string: \"x\")",
		"--topic t --num-records 5 --record-size 1 --payload-file f --throughput 1":               "argument --payload-file: not allowed with argument --record-size",
		"--topic t --num-records 5 --record-size 1 --throughput 1":                                "Either --producer-props or --producer.config must be specified.",
		"--topic t --num-records 5 --record-size 1 --throughput 1 --producer-props a=b --bogus":   "unrecognized arguments: '--bogus'",
		"--topic t --num-rec 5 --record-size 1 --throughput 1 --producer-props bootstrap.servers": "",
	} {
		p := producerPerfParser()
		ns, err := p.parse(strings.Fields(args))
		if err == nil && ns.values["producerConfig"] == nil {
			err = &argError{"Either --producer-props or --producer.config must be specified."}
		}
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != want {
			t.Errorf("%s: got %q want %q", args, got, want)
		}
	}
	_, errOut, code := runTool(t, runProducerPerf, "--topic", "t")
	if code != 1 || !strings.HasPrefix(errOut, "usage: producer-performance [-h] --topic TOPIC") ||
		!strings.HasSuffix(errOut, "producer-performance: error: argument --num-records is required\n") {
		t.Errorf("usage error: %d %q", code, errOut)
	}
}

func TestConsumerPerfFormatting(t *testing.T) {
	layout := javaDateLayout("yyyy-MM-dd HH:mm:ss:SSS")
	ts := time.Date(2021, 5, 1, 10, 2, 3, 45e6, time.Local)
	if got := formatJavaDate(layout, ts); got != "2021-05-01 10:02:03:045" {
		t.Errorf("date %q", got)
	}
	r := &perfRun{c: &consumerPerfConfig{dateLayout: layout}, messages: 1000, bytes: 1024 * 1024}
	got := r.summary(ts, ts.Add(2*time.Second))
	if got != "2021-05-01 10:02:03:045, 2021-05-01 10:02:05:045, 1.0000, 0.5000, 1000, 500.0000, 0, 2000, 0.5000, 500.0000" {
		t.Errorf("summary %q", got)
	}
	var out bytes.Buffer
	printPerfHeader(&env{stdout: &out}, false)
	if out.String() != "start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec\n" {
		t.Errorf("header %q", out.String())
	}
	_, errOut, code := runTool(t, runConsumerPerf, "--bootstrap-server", "h:1", "--topic", "t")
	if code != 1 || !strings.HasPrefix(errOut, "Missing required argument \"[messages]\"") {
		t.Errorf("missing messages: %d %q", code, errOut)
	}
}
