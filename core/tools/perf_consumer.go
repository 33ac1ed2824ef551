package tools

import (
	"context"
	"fmt"
	"math/rand"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// kafka-consumer-perf-test.sh (Kafka 2.8 ConsumerPerformance): consume N
// messages and print throughput as one CSV line (or one per reporting
// interval with --show-detailed-stats).

func consumerPerfParser() *optionParser {
	p := newOptionParser()
	p.withArg("messages", "REQUIRED: The number of messages to send or consume").describedAs("count").ofType("Long")
	p.withArg("reporting-interval", "Interval in milliseconds at which to print progress info.").describedAs("interval_ms").ofType("Integer").withDefault("5000")
	p.withArg("date-format", "The date format to use for formatting the time field. See java.text.SimpleDateFormat for options.").describedAs("date format").withDefault("yyyy-MM-dd HH:mm:ss:SSS")
	p.flag("hide-header", "If set, skips printing the header for the stats ")
	p.withArg("broker-list", "DEPRECATED, use --bootstrap-server instead; ignored if --bootstrap-server is specified.  The broker list string in the form HOST1:PORT1,HOST2:PORT2.").describedAs("broker-list")
	p.withArg("bootstrap-server", "REQUIRED unless --broker-list(deprecated) is specified. The server(s) to connect to.").describedAs("server to connect to").requiredUnlessPresent("broker-list")
	p.withArg("topic", "REQUIRED: The topic to consume from.").describedAs("topic")
	p.withArg("group", "The group id to consume on.").describedAs("gid").withDefault(fmt.Sprintf("perf-consumer-%d", rand.Intn(100000)))
	p.withArg("fetch-size", "The amount of data to fetch in a single request.").describedAs("size").ofType("Integer").withDefault("1048576")
	p.flag("from-latest", "If the consumer does not already have an established offset to consume from, start with the latest message present in the log rather than the earliest message.")
	p.withArg("socket-buffer-size", "The size of the tcp RECV size.").describedAs("size").ofType("Integer").withDefault("2097152")
	p.withArg("threads", "DEPRECATED AND IGNORED: Number of processing threads.").describedAs("count").ofType("Integer").withDefault("10")
	p.withArg("num-fetch-threads", "DEPRECATED AND IGNORED: Number of fetcher threads.").describedAs("count").ofType("Integer").withDefault("1")
	p.withArg("consumer.config", "Consumer config properties file.").describedAs("config file")
	p.flag("print-metrics", "Print out the metrics.")
	p.flag("show-detailed-stats", "If set, stats are reported for each reporting interval as configured by reporting-interval")
	p.withOptionalArg("timeout", "The maximum allowed time in milliseconds between returned records.").describedAs("milliseconds").ofType("Long").withDefault("10000")
	return p
}

// javaDateLayout converts the SimpleDateFormat letters the tool's users
// use into a Go time layout; other letters pass through as text.
func javaDateLayout(pattern string) string {
	repl := []struct{ java, goLayout string }{
		{"yyyy", "2006"}, {"yy", "06"}, {"MMMM", "January"}, {"MMM", "Jan"}, {"MM", "01"}, {"dd", "02"},
		{"HH", "15"}, {"hh", "03"}, {"mm", "04"}, {"ss", "05"}, {"SSS", "000"}, {"a", "PM"}, {"Z", "-0700"}, {"z", "MST"},
	}
	var b strings.Builder
	for i := 0; i < len(pattern); {
		matched := false
		for _, r := range repl {
			if strings.HasPrefix(pattern[i:], r.java) {
				b.WriteString(r.goLayout)
				i += len(r.java)
				matched = true
				break
			}
		}
		if !matched {
			b.WriteByte(pattern[i])
			i++
		}
	}
	return b.String()
}

// formatJavaDate formats like SimpleDateFormat, where "SSS" milliseconds
// may follow a ':' (Go only knows fractions after '.' or ',').
func formatJavaDate(layout string, t time.Time) string {
	if !strings.Contains(layout, "000") {
		return t.Format(layout)
	}
	ms := fmt.Sprintf("%03d", t.Nanosecond()/1e6)
	parts := strings.Split(layout, "000")
	for i := range parts {
		parts[i] = t.Format(parts[i])
	}
	return strings.Join(parts, ms)
}

type consumerPerfConfig struct {
	topic                                  string
	numMessages                            int64
	reportingInterval                      time.Duration
	dateLayout                             string
	showDetailed, hideHeader, printMetrics bool
	timeout                                time.Duration
	props                                  map[string]string
	group                                  string
}

func (e *env) consumerPerfConfig(p *optionParser, args []string) *consumerPerfConfig {
	o, err := p.parse(args)
	if err != nil {
		e.printUsageAndDie(p, err.Error())
	}
	if o.has("threads") || o.has("num-fetch-threads") {
		fmt.Fprintln(e.stdout, "WARNING: option [threads] and [num-fetch-threads] have been deprecated and will be ignored by the test")
	}
	e.printHelpAndExitIfNeeded(p, o, "This tool helps in performance test for the full zookeeper consumer")
	e.checkRequiredArgs(p, o, "topic", "messages")
	c := &consumerPerfConfig{topic: o.valueOf("topic"), showDetailed: o.has("show-detailed-stats"),
		hideHeader: o.has("hide-header"), printMetrics: o.has("print-metrics"), props: map[string]string{},
		group: o.valueOf("group")}
	if o.has("consumer.config") {
		if c.props, err = loadProps(o.valueOf("consumer.config")); err != nil {
			e.javaException("java.nio.file.NoSuchFileException", o.valueOf("consumer.config"))
		}
	}
	hosts := o.valueOf("broker-list")
	if o.has("bootstrap-server") {
		hosts = o.valueOf("bootstrap-server")
	}
	c.props["bootstrap.servers"] = hosts
	c.props["group.id"] = c.group
	c.props["receive.buffer.bytes"] = o.valueOf("socket-buffer-size")
	c.props["max.partition.fetch.bytes"] = o.valueOf("fetch-size")
	c.props["auto.offset.reset"] = "earliest"
	if o.has("from-latest") {
		c.props["auto.offset.reset"] = "latest"
	}
	for _, name := range []string{"messages", "reporting-interval", "timeout"} {
		if _, err := o.longOf(name); err != nil {
			e.printUsageAndDie(p, err.Error())
		}
	}
	c.numMessages, _ = o.longOf("messages")
	ri, _ := o.longOf("reporting-interval")
	if ri <= 0 {
		e.javaException("java.lang.IllegalArgumentException", "Reporting interval must be greater than 0.")
	}
	c.reportingInterval = time.Duration(ri) * time.Millisecond
	to, _ := o.longOf("timeout")
	c.timeout = time.Duration(to) * time.Millisecond
	c.dateLayout = javaDateLayout(o.valueOf("date-format"))
	return c
}

func printPerfHeader(e *env, detailed bool) {
	extra := ", rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec"
	if detailed {
		fmt.Fprintln(e.stdout, "time, threadId, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec"+extra)
	} else {
		fmt.Fprintln(e.stdout, "start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec"+extra)
	}
}

func runConsumerPerf(e *env, args []string) int {
	return runGuarded(func() int {
		p := consumerPerfParser()
		c := e.consumerPerfConfig(p, args)
		if !c.hideHeader {
			printPerfHeader(e, c.showDetailed)
		}
		cfg := &clientConfig{props: c.props, stderr: e.stderr}
		clientID := cfg.get("client.id", "consumer-"+c.group+"-1")
		cfg.logPrefix = "[Consumer clientId=" + clientID + ", groupId=" + c.group + "]"
		opts, err := cfg.consumerOpts(clientID)
		if err != nil {
			e.javaException("org.apache.kafka.common.config.ConfigException", err.Error())
		}
		reset, err := resetOffset(c.props["auto.offset.reset"])
		if err != nil {
			e.javaException("org.apache.kafka.common.config.ConfigException", err.Error())
		}
		opts = append(opts, kgo.ConsumeTopics(c.topic), kgo.ConsumeResetOffset(reset), kgo.AllowAutoTopicCreation())
		run := &perfRun{e: e, c: c, joinStart: time.Now()}
		group, err := cfg.groupOpts(c.group)
		if err != nil {
			e.javaException("org.apache.kafka.common.config.ConfigException", err.Error())
		}
		opts = append(opts, group...)
		opts = append(opts, kgo.OnPartitionsAssigned(run.assigned), kgo.OnPartitionsRevoked(run.revoked))
		cl, err := kgo.NewClient(opts...)
		if err != nil {
			e.javaException("org.apache.kafka.common.KafkaException", err.Error())
		}
		start := time.Now()
		run.consume(cl)
		end := time.Now()
		cl.Close()
		if !c.showDetailed {
			fmt.Fprintln(e.stdout, run.summary(start, end))
		}
		if c.printMetrics {
			printMetricTable(e, [][2]string{
				{"consumer-fetch-manager-metrics:bytes-consumed-total:{client-id=" + clientID + "}", javaFixed(float64(run.bytes), 3)},
				{"consumer-fetch-manager-metrics:records-consumed-total:{client-id=" + clientID + "}", javaFixed(float64(run.messages), 3)},
			})
		}
		return 0
	})
}

// perfRun is the state of ConsumerPerformance.consume.
type perfRun struct {
	e                      *env
	c                      *consumerPerfConfig
	messages, bytes        int64
	joinStart              time.Time
	joinTotal, joinInRound time.Duration
}

func (r *perfRun) assigned(context.Context, *kgo.Client, map[string][]int32) {
	d := time.Since(r.joinStart)
	r.joinTotal += d
	r.joinInRound += d
}

func (r *perfRun) revoked(context.Context, *kgo.Client, map[string][]int32) { r.joinStart = time.Now() }

func (r *perfRun) consume(cl *kgo.Client) {
	var lastBytes, lastMessages int64
	now := time.Now()
	lastReport, lastConsumed := now, now
	for r.messages < r.c.numMessages && now.Sub(lastConsumed) <= r.c.timeout {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		fetches := cl.PollFetches(ctx)
		cancel()
		now = time.Now()
		records := fetches.Records()
		if len(records) > 0 {
			lastConsumed = now
		}
		for _, rec := range records {
			r.messages++
			r.bytes += int64(len(rec.Key) + len(rec.Value))
			if now.Sub(lastReport) >= r.c.reportingInterval {
				if r.c.showDetailed {
					r.printProgress(lastBytes, lastMessages, lastReport, now)
				}
				r.joinInRound = 0
				lastReport, lastMessages, lastBytes = now, r.messages, r.bytes
			}
		}
	}
	if r.messages < r.c.numMessages {
		fmt.Fprintf(r.e.stdout, "WARNING: Exiting before consuming the expected number of messages: timeout (%d ms) exceeded. You can use the --timeout option to increase the timeout.\n",
			r.c.timeout.Milliseconds())
	}
}

const mb = 1024 * 1024

func (r *perfRun) printProgress(lastBytes, lastMessages int64, start, end time.Time) {
	elapsed := float64(end.Sub(start).Milliseconds())
	totalMB := float64(r.bytes) / mb
	intervalMB := float64(r.bytes-lastBytes) / mb
	basic := fmt.Sprintf("%s, %d, %s, %s, %d, %s", formatJavaDate(r.c.dateLayout, end), 0, javaFixed(totalMB, 4),
		javaFixed(1000*intervalMB/elapsed, 4), r.messages, javaFixed(float64(r.messages-lastMessages)/elapsed*1000, 4))
	fetchMs := end.Sub(start).Milliseconds() - r.joinInRound.Milliseconds()
	mbSec, msgSec := 0.0, 0.0
	if fetchMs > 0 {
		mbSec, msgSec = 1000*intervalMB/float64(fetchMs), 1000*float64(r.messages-lastMessages)/float64(fetchMs)
	}
	fmt.Fprintf(r.e.stdout, "%s, %d, %d, %s, %s\n", basic, r.joinInRound.Milliseconds(), fetchMs, javaFixed(mbSec, 4), javaFixed(msgSec, 4))
}

// summary is the final CSV line.
func (r *perfRun) summary(start, end time.Time) string {
	elapsedSecs := float64(end.Sub(start).Milliseconds()) / 1000
	fetchMs := end.Sub(start).Milliseconds() - r.joinTotal.Milliseconds()
	totalMB := float64(r.bytes) / mb
	return strings.Join([]string{
		formatJavaDate(r.c.dateLayout, start), formatJavaDate(r.c.dateLayout, end),
		javaFixed(totalMB, 4), javaFixed(totalMB/elapsedSecs, 4), strconv.FormatInt(r.messages, 10),
		javaFixed(float64(r.messages)/elapsedSecs, 4), strconv.FormatInt(r.joinTotal.Milliseconds(), 10),
		strconv.FormatInt(fetchMs, 10), javaFixed(totalMB/(float64(fetchMs)/1000), 4),
		javaFixed(float64(r.messages)/(float64(fetchMs)/1000), 4),
	}, ", ")
}
