package tools

import (
	"sort"
	"strings"
	"testing"
)

func TestOptionParserForms(t *testing.T) {
	p := topicsParser()
	o, err := p.parse([]string{"--create", "--topic=first", "-partitions", "3", "--config", "a=1", "--config=b=2", "--bootstrap-server", "h:9092", "extra"})
	if err != nil {
		t.Fatal(err)
	}
	if !o.has("create") || o.valueOf("topic") != "first" || o.valueOf("partitions") != "3" || o.valueOf("bootstrap-server") != "h:9092" {
		t.Errorf("parsed %+v", o.values)
	}
	if got := o.valuesOf("config"); len(got) != 2 || got[0] != "a=1" || got[1] != "b=2" {
		t.Errorf("config values %v", got)
	}
	if len(o.nonOptions) != 1 || o.nonOptions[0] != "extra" {
		t.Errorf("non options %v", o.nonOptions)
	}
	// A required value is taken even when it looks like an option.
	o, err = p.parse([]string{"--topic", "--list"})
	if err != nil || o.valueOf("topic") != "--list" || o.has("list") {
		t.Errorf("value taken: %v %v", o.values, err)
	}
	for args, want := range map[string]string{
		"--bogus":        "bogus is not a recognized option",
		"--topic":        "Option topic requires an argument",
		"--bootstrap":    "bootstrap is not a recognized option", // no abbreviations in Kafka's parsers
		"--list=yes":     "Option list does not allow an argument",
		"-bootstrap-srv": "bootstrap-srv is not a recognized option",
	} {
		if _, err := p.parse(strings.Fields(args)); err == nil || err.Error() != want {
			t.Errorf("%s: got %v, want %q", args, err, want)
		}
	}
	if _, err := o.intOf("topic"); err == nil || err.Error() != "Cannot parse argument '--list' of option topic" {
		t.Errorf("conversion error %v", err)
	}
}

func TestOptionalArgument(t *testing.T) {
	p := consoleProducerParser()
	o, _ := p.parse([]string{"--compression-codec", "--topic", "t"})
	if !o.has("compression-codec") || o.valueOf("compression-codec") != "" || o.valueOf("topic") != "t" {
		t.Errorf("optional arg without value: %v", o.values)
	}
	o, _ = p.parse([]string{"--compression-codec", "lz4"})
	if o.valueOf("compression-codec") != "lz4" {
		t.Errorf("optional arg with value: %v", o.values)
	}
	if _, err := p.parse([]string{"--topic", "t"}); err == nil || err.Error() != "Missing required option(s) [bootstrap-server]" {
		t.Errorf("required unless: %v", err)
	}
}

func TestHelpLayout(t *testing.T) {
	var b strings.Builder
	topicsParser().printHelp(&b)
	lines := strings.Split(b.String(), "\n")
	if !strings.HasPrefix(lines[0], "Option                                   Description") || !strings.HasPrefix(lines[1], "------  ") {
		t.Errorf("header %q / %q", lines[0], lines[1])
	}
	if !strings.HasPrefix(lines[2], "--alter                                  Alter the number of partitions,") {
		t.Errorf("first row %q", lines[2])
	}
	for _, l := range lines {
		if len(l) > 80 && !strings.Contains(l, "\t") {
			t.Errorf("line wider than 80: %q", l)
		}
	}
}

func topicsRun(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	return runTool(t, runTopics, args...)
}

func TestTopicsArgumentErrors(t *testing.T) {
	cases := []struct {
		args   string
		stderr string // first line
		code   int
		inOut  string
	}{
		{"--list --create --bootstrap-server h:1", "Command must include exactly one action: --list, --describe, --create, --alter or --delete", 1, ""},
		{"--list", "Exception in thread \"main\" java.lang.IllegalArgumentException: Only one of --bootstrap-server or --zookeeper must be specified", 1, ""},
		{"--list --bootstrap-server h:1 --zookeeper z:2", "Exception in thread \"main\" java.lang.IllegalArgumentException: Only one of --bootstrap-server or --zookeeper must be specified", 1, ""},
		{"--create --bootstrap-server h:1", "Missing required argument \"[topic]\"", 1, ""},
		{"--create --topic x --zookeeper z:2", "Missing required argument \"[partitions]\"", 1, ""},
		{"--alter --topic x --bootstrap-server h:1 --config a=b", "Option combination \"[bootstrap-server],[config]\" can't be used with option \"[alter]\" (the kafka-configs CLI supports altering topic configs with a --bootstrap-server option)", 1, ""},
		{"--alter --topic x --bootstrap-server h:1", "Missing required argument \"[partitions]\"", 1, ""},
		{"--list --bootstrap-server h:1 --partitions 3", "Option \"[partitions]\" can't be used with option \"[list]\"", 1, ""},
		{"--create --topic x --bootstrap-server h:1 --replica-assignment 1:2 --partitions 2", "Option \"[replica-assignment]\" can't be used with option \"[partitions]\"", 1, ""},
		{"--describe --bootstrap-server h:1 --under-min-isr-partitions --under-replicated-partitions", "Option \"[under-replicated-partitions]\" can't be used with option \"[under-min-isr-partitions]\"", 1, ""},
		{"--list --bogus", "Exception in thread \"main\" joptsimple.UnrecognizedOptionException: bogus is not a recognized option", 1, ""},
		{"--version", "", 0, kafkaVersion},
	}
	for _, c := range cases {
		out, errOut, code := topicsRun(t, strings.Fields(c.args)...)
		if first := strings.SplitN(errOut, "\n", 2)[0]; first != c.stderr || code != c.code || !strings.Contains(out, c.inOut) {
			t.Errorf("%s: exit %d stderr %q stdout %q", c.args, code, first, out)
		}
	}
	// No arguments at all prints the usage message.
	_, errOut, code := topicsRun(t)
	if code != 1 || !strings.HasPrefix(errOut, "Create, delete, describe, or change a topic.\nOption") {
		t.Errorf("no args: %d %q", code, errOut[:60])
	}
}

func TestTopicCommandValidation(t *testing.T) {
	p := topicsParser()
	o, _ := p.parse([]string{"--create", "--topic", "t", "--config", "retention.ms=abc", "--bootstrap-server", "h:1"})
	if _, err := newCommandTopic(topicOptions{o}); err == nil || err.Error() != "Invalid value abc for configuration retention.ms: Not a number of type LONG" {
		t.Errorf("bad value: %v", err)
	}
	o, _ = p.parse([]string{"--create", "--topic", "t", "--config", "nosuch=1", "--bootstrap-server", "h:1"})
	if _, err := newCommandTopic(topicOptions{o}); err == nil || err.Error() != "requirement failed: Unknown topic config name: nosuch" {
		t.Errorf("bad name: %v", err)
	}
	o, _ = p.parse([]string{"--create", "--topic", "t", "--config", "noequals", "--bootstrap-server", "h:1"})
	if _, err := newCommandTopic(topicOptions{o}); err == nil || !strings.Contains(err.Error(), "must be in the format \"key=val\"") {
		t.Errorf("bad pair: %v", err)
	}
	if a, err := parseReplicaAssignment("1:2, 2:3 ,3:1"); err != nil || len(a) != 3 || a[1][0] != 2 || a[2][1] != 1 {
		t.Errorf("assignment %v %v", a, err)
	}
	if _, err := parseReplicaAssignment("1:1"); err == nil || err.Error() != "Partition replica lists may not contain duplicate entries: 1" {
		t.Errorf("dup: %v", err)
	}
	if _, err := parseReplicaAssignment("1:2,3"); err == nil || !strings.HasPrefix(err.Error(), "Partition 1 has different replication factor: [I@") {
		t.Errorf("rf: %v", err)
	}
	if _, err := parseReplicaAssignment("a:2"); err == nil || err.Error() != "For input string: \"a\"" {
		t.Errorf("nan: %v", err)
	}
}

func TestTopicFilter(t *testing.T) {
	f, err := newTopicFilter(`"first, sec.*"`)
	if err != nil {
		t.Fatal(err)
	}
	for topic, want := range map[string]bool{"first": true, "second": true, "firstx": false, "xfirst": false} {
		if f.allowed(topic, false) != want {
			t.Errorf("%s: want %v", topic, want)
		}
	}
	if g, _ := newTopicFilter("__.*"); g.allowed("__consumer_offsets", true) || !g.allowed("__consumer_offsets", false) {
		t.Errorf("internal exclusion")
	}
	if _, err := newTopicFilter("a("); err == nil || err.Error() != "a( is an invalid regex." {
		t.Errorf("invalid regex: %v", err)
	}
}

func TestDescribeLines(t *testing.T) {
	if got := topicHeader("first", "ABVOMdCUcvB74kKGv0VVuQ", 3, 2, "segment.bytes=1073741824", false); got !=
		"Topic: first\tTopicId: ABVOMdCUcvB74kKGv0VVuQ\tPartitionCount: 3\tReplicationFactor: 2\tConfigs: segment.bytes=1073741824" {
		t.Errorf("header %q", got)
	}
	if got := topicHeader("old", "", 1, 1, "", true); got != "Topic: old\tPartitionCount: 1\tReplicationFactor: 1\tConfigs: \tMarkedForDeletion: true" {
		t.Errorf("header without id %q", got)
	}
	d := &partitionDescription{topic: "first", partition: 0, leader: 3, replicas: []int32{3, 1}, isr: []int32{3, 1}}
	if got := d.line(); got != "\tTopic: first\tPartition: 0\tLeader: 3\tReplicas: 3,1\tIsr: 3,1" {
		t.Errorf("partition %q", got)
	}
	d = &partitionDescription{topic: "t", partition: 2, leader: -1, replicas: []int32{1, 2, 3}, isr: []int32{2, 3},
		reassigning: true, adding: []int32{3}, removing: []int32{1}, markedForDeletion: true}
	if got := d.line(); got != "\tTopic: t\tPartition: 2\tLeader: none\tReplicas: 1,2,3\tIsr: 2,3\tAdding Replicas: 3\tRemoving Replicas: 1\tMarkedForDeletion: true" {
		t.Errorf("partition %q", got)
	}
	if d.replicationFactor() != 2 {
		t.Errorf("rf during reassignment %d", d.replicationFactor())
	}
}

func TestDescribeFilters(t *testing.T) {
	p := topicsParser()
	parse := func(args ...string) describeFilter {
		o, _ := p.parse(append([]string{"--describe", "--bootstrap-server", "h:1"}, args...))
		return describeFilter{o: topicOptions{o}, liveBrokers: map[int32]bool{1: true, 2: true}}
	}
	healthy := &partitionDescription{leader: 1, replicas: []int32{1, 2}, isr: []int32{1, 2}, minIsr: 2}
	under := &partitionDescription{leader: 1, replicas: []int32{1, 2}, isr: []int32{1}, minIsr: 2}
	offline := &partitionDescription{leader: 3, replicas: []int32{3}, isr: []int32{3}, minIsr: 1}
	for _, c := range []struct {
		flag string
		d    *partitionDescription
		want bool
	}{
		{"", healthy, true},
		{"--under-replicated-partitions", healthy, false},
		{"--under-replicated-partitions", under, true},
		{"--under-min-isr-partitions", under, true},
		{"--at-min-isr-partitions", healthy, true},
		{"--at-min-isr-partitions", under, false},
		{"--unavailable-partitions", offline, true},
		{"--unavailable-partitions", healthy, false},
	} {
		var args []string
		if c.flag != "" {
			args = []string{c.flag}
		}
		if got := parse(args...).shouldPrint(c.d); got != c.want {
			t.Errorf("%s %+v: got %v", c.flag, c.d, got)
		}
	}
}

// The expected orders were printed by java.util.HashMap on OpenJDK 17.
func TestJavaHashMapOrder(t *testing.T) {
	topics := strings.Split("first,second,bigdata01,bigdata02,test1,test,__consumer_offsets,zfirst,auto,a.b,t1,my-topic", ",")
	want := "auto,test,a.b,zfirst,bigdata01,my-topic,bigdata02,test1,t1,__consumer_offsets,first,second"
	sorted := append([]string(nil), topics...)
	sortStrings(sorted)
	if got := strings.Join(describeTopicsOrder(sorted), ","); got != want {
		t.Errorf("describe order\n got %s\nwant %s", got, want)
	}
	configs := strings.Split("cleanup.policy,compression.type,delete.retention.ms,file.delete.delay.ms,flush.messages,flush.ms,follower.replication.throttled.replicas,index.interval.bytes,leader.replication.throttled.replicas,max.compaction.lag.ms,max.message.bytes,message.downconversion.enable,message.format.version,message.timestamp.difference.max.ms,message.timestamp.type,min.cleanable.dirty.ratio,min.compaction.lag.ms,min.insync.replicas,preallocate,retention.bytes,retention.ms,segment.bytes,segment.index.bytes,segment.jitter.ms,segment.ms,unclean.leader.election.enable", ",")
	wantCfg := "compression.type,leader.replication.throttled.replicas,message.downconversion.enable,min.insync.replicas,segment.jitter.ms,cleanup.policy,flush.ms,follower.replication.throttled.replicas,retention.ms,segment.bytes,flush.messages,message.format.version,file.delete.delay.ms,max.compaction.lag.ms,max.message.bytes,min.compaction.lag.ms,message.timestamp.type,preallocate,index.interval.bytes,min.cleanable.dirty.ratio,unclean.leader.election.enable,delete.retention.ms,retention.bytes,segment.ms,message.timestamp.difference.max.ms,segment.index.bytes"
	if got := strings.Join(configEntriesOrder(configs), ","); got != wantCfg {
		t.Errorf("config order\n got %s\nwant %s", got, wantCfg)
	}
}

func sortStrings(s []string) { sort.Strings(s) }
