package tools

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// kafka-console-consumer.sh (Kafka 2.8 ConsoleConsumer): print records of a
// topic, a topic pattern or one partition to standard output.

func consoleConsumerParser() *optionParser {
	p := newOptionParser()
	p.withArg("topic", "The topic id to consume on.").describedAs("topic")
	p.withArg("whitelist", "Regular expression specifying whitelist of topics to include for consumption.").describedAs("whitelist")
	p.withArg("partition", "The partition to consume from. Consumption starts from the end of the partition unless '--offset' is specified.").describedAs("partition").ofType("Integer")
	p.withArg("offset", "The offset id to consume from (a non-negative number), or 'earliest' which means from beginning, or 'latest' which means from end").describedAs("consume offset").withDefault("latest")
	p.withArg("consumer-property", "A mechanism to pass user-defined properties in the form key=value to the consumer.").describedAs("consumer_prop")
	p.withArg("consumer.config", "Consumer config properties file. Note that [consumer-property] takes precedence over this config.").describedAs("config file")
	p.withArg("formatter", "The name of a class to use for formatting kafka messages for display.").describedAs("class").withDefault("kafka.tools.DefaultMessageFormatter")
	p.withArg("property", "The properties to initialize the message formatter. Default properties include:\n print.timestamp=true|false\n print.key=true|false\n print.offset=true|false\n print.partition=true|false\n print.headers=true|false\n print.value=true|false\n key.separator=<key.separator>\n line.separator=<line.separator>\n headers.separator=<line.separator>\n null.literal=<null.literal>\n key.deserializer=<key.deserializer>\n value.deserializer=<value.deserializer>\n header.deserializer=<header.deserializer>\n\nUsers can also pass in customized properties for their formatter; more specifically, users can pass in properties keyed with 'key.deserializer.', 'value.deserializer.' and 'headers.deserializer.' prefixes to configure their deserializers.").describedAs("prop")
	p.flag("from-beginning", "If the consumer does not already have an established offset to consume from, start with the earliest message present in the log rather than the latest message.")
	p.withArg("max-messages", "The maximum number of messages to consume before exiting. If not set, consumption is continual.").describedAs("num_messages").ofType("Integer")
	p.withArg("timeout-ms", "If specified, exit if no message is available for consumption for the specified interval.").describedAs("timeout_ms").ofType("Integer")
	p.flag("skip-message-on-error", "If there is an error when processing a message, skip it instead of halt.")
	p.withArg("bootstrap-server", "REQUIRED: The server(s) to connect to.").describedAs("server to connect to")
	p.withArg("key-deserializer", "").describedAs("deserializer for key")
	p.withArg("value-deserializer", "").describedAs("deserializer for values")
	p.flag("enable-systest-events", "Log lifecycle events of the consumer in addition to logging consumed messages. (This is specific for system tests.)")
	p.withArg("isolation-level", "Set to read_committed in order to filter out transactional messages which are not committed. Set to read_uncommitted to read all messages.").withDefault("read_uncommitted")
	p.withArg("group", "The consumer group id of the consumer.").describedAs("consumer group id")
	return p
}

// consoleConsumerConfig is ConsoleConsumer.ConsumerConfig after validation.
type consoleConsumerConfig struct {
	o              *optionSet
	topic          string
	whitelist      string
	partition      *int32
	offset         kgo.Offset
	maxMessages    int64 // -1 for no limit
	timeout        time.Duration
	formatter      messageFormatter
	consumerProps  map[string]string
	group          string
	groupPassed    bool
	skipOnError    bool
	systestEvents  bool
	fromBeginning  bool
	bootstrapHosts string
}

func (e *env) consoleConsumerConfig(p *optionParser, args []string) *consoleConsumerConfig {
	o, err := p.parse(args)
	if err != nil {
		e.printUsageAndDie(p, err.Error())
	}
	e.printHelpAndExitIfNeeded(p, o, "This tool helps to read data from Kafka topics and outputs it to standard output.")
	c := &consoleConsumerConfig{o: o, maxMessages: -1, timeout: -1, skipOnError: o.has("skip-message-on-error"),
		systestEvents: o.has("enable-systest-events"), fromBeginning: o.has("from-beginning")}
	extra := parseKeyValueArgs(o.valuesOf("consumer-property"))
	c.consumerProps = map[string]string{}
	if o.has("consumer.config") {
		props, err := loadProps(o.valueOf("consumer.config"))
		if err != nil {
			e.javaException("java.nio.file.NoSuchFileException", o.valueOf("consumer.config"))
		}
		c.consumerProps = props
	}
	if o.has("partition") {
		n, err := o.intOf("partition")
		if err != nil {
			e.printUsageAndDie(p, err.Error())
		}
		c.partition = &n
	}
	formatterProps := parseKeyValueArgs(o.valuesOf("property"))
	if v := o.valueOf("key-deserializer"); v != "" {
		formatterProps["key.deserializer"] = v
	}
	if v := o.valueOf("value-deserializer"); v != "" {
		formatterProps["value.deserializer"] = v
	}
	if c.formatter, err = newFormatter(o.valueOf("formatter"), formatterProps); err != nil {
		e.javaException(javaClassOf(err), err.Error())
	}
	if o.has("topic") == o.has("whitelist") {
		e.printUsageAndDie(p, "Exactly one of whitelist/topic is required.")
	}
	c.topic, c.whitelist = o.valueOf("topic"), o.valueOf("whitelist")
	if c.partition != nil {
		if !o.has("topic") {
			e.printUsageAndDie(p, "The topic is required when partition is specified.")
		}
		if c.fromBeginning && o.has("offset") {
			e.printUsageAndDie(p, "Options from-beginning and offset cannot be specified together.")
		}
	} else if o.has("offset") {
		e.printUsageAndDie(p, "The partition is required when offset is specified.")
	}
	c.offset = e.parseConsumeOffset(p, o, c.fromBeginning)
	if o.has("max-messages") {
		n, err := o.intOf("max-messages")
		if err != nil {
			e.printUsageAndDie(p, err.Error())
		}
		c.maxMessages = int64(n)
	}
	if o.has("timeout-ms") {
		n, err := o.intOf("timeout-ms")
		if err != nil {
			e.printUsageAndDie(p, err.Error())
		}
		if n >= 0 {
			c.timeout = time.Duration(n) * time.Millisecond
		}
	}
	e.checkRequiredArgs(p, o, "bootstrap-server")
	c.bootstrapHosts = o.valueOf("bootstrap-server")
	e.resolveGroup(p, c, extra)
	mergeProps(c.consumerProps, extra)
	return c
}

// parseConsumeOffset reads --offset (or --from-beginning) into a start position.
func (e *env) parseConsumeOffset(p *optionParser, o *optionSet, fromBeginning bool) kgo.Offset {
	if !o.has("offset") {
		if fromBeginning {
			return kgo.NewOffset().AtStart()
		}
		return kgo.NewOffset().AtEnd()
	}
	v := o.valueOf("offset")
	switch strings.ToLower(v) {
	case "earliest":
		return kgo.NewOffset().AtStart()
	case "latest":
		return kgo.NewOffset().AtEnd()
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		e.printUsageAndDie(p, fmt.Sprintf("The provided offset value '%s' is incorrect. Valid values are 'earliest', 'latest', or a non-negative long.", v))
	}
	return kgo.NewOffset().At(n)
}

// resolveGroup applies Kafka's rule that --group, --consumer-property and
// --consumer.config must agree, and picks a random group otherwise.
func (e *env) resolveGroup(p *optionParser, c *consoleConsumerConfig, extra map[string]string) {
	var ids []string
	add := func(v string, ok bool) {
		if ok && !contains(ids, v) {
			ids = append(ids, v)
		}
	}
	add(c.o.valueOf("group"), c.o.has("group"))
	v, ok := c.consumerProps["group.id"]
	add(v, ok)
	v, ok = extra["group.id"]
	add(v, ok)
	if len(ids) > 1 {
		e.printUsageAndDie(p, "The group ids provided in different places (directly using '--group', via '--consumer-property', or via '--consumer.config') do not match. Detected group ids: '"+strings.Join(ids, "', '")+"'")
	}
	if len(ids) == 1 {
		c.group, c.groupPassed = ids[0], true
		c.consumerProps["group.id"] = c.group
	} else {
		c.group = fmt.Sprintf("console-consumer-%d", rand.Intn(100000))
		c.consumerProps["group.id"] = c.group
		if _, ok := c.consumerProps["enable.auto.commit"]; !ok {
			c.consumerProps["enable.auto.commit"] = "false"
		}
	}
	if c.groupPassed && c.partition != nil {
		e.printUsageAndDie(p, "Options group and partition cannot be specified together.")
	}
}

// consumerClientOpts builds the client: one assigned partition
// (--partition), else a member of the consumer group (--group, or Kafka's
// throw-away "console-consumer-N" group without offset commits).
func (e *env) consumerClientOpts(c *consoleConsumerConfig, assigned *atomic.Bool) ([]kgo.Opt, error) {
	props := c.consumerProps
	if props["auto.offset.reset"] != "" && c.fromBeginning && props["auto.offset.reset"] != "earliest" {
		fmt.Fprintf(e.stderr, "Can't simultaneously specify --from-beginning and 'auto.offset.reset=%s', please remove one option\n", props["auto.offset.reset"])
		exit(1)
	}
	if _, ok := props["auto.offset.reset"]; !ok {
		props["auto.offset.reset"] = "latest"
		if c.fromBeginning {
			props["auto.offset.reset"] = "earliest"
		}
	}
	if _, ok := props["isolation.level"]; !ok || c.o.has("isolation-level") {
		props["isolation.level"] = c.o.valueOf("isolation-level")
	}
	props["bootstrap.servers"] = c.bootstrapHosts
	cfg := &clientConfig{props: props, stderr: e.stderr}
	clientID := cfg.get("client.id", "consumer-"+c.group+"-1")
	cfg.logPrefix = "[Consumer clientId=" + clientID + ", groupId=" + c.group + "]"
	opts, err := cfg.consumerOpts(clientID)
	if err != nil {
		return nil, err
	}
	if !strings.EqualFold(cfg.get("allow.auto.create.topics", "true"), "false") {
		opts = append(opts, kgo.AllowAutoTopicCreation())
	}
	reset, err := resetOffset(props["auto.offset.reset"])
	if err != nil {
		return nil, err
	}
	switch {
	case c.partition != nil:
		opts = append(opts, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{c.topic: {*c.partition: c.offset}}),
			kgo.ConsumeResetOffset(reset))
		assigned.Store(true)
	case c.whitelist != "":
		f, err := newTopicFilter(c.whitelist)
		if err != nil {
			return nil, err
		}
		opts = append(opts, kgo.ConsumeRegex(), kgo.ConsumeTopics(f.re.String()), kgo.ConsumeResetOffset(reset),
			kgo.ConsumeExcludeTopics("^(__consumer_offsets|__transaction_state)$"))
	default:
		opts = append(opts, kgo.ConsumeTopics(c.topic), kgo.ConsumeResetOffset(reset))
	}
	if c.partition == nil {
		g, err := cfg.groupOpts(c.group)
		if err != nil {
			return nil, err
		}
		opts = append(opts, g...)
		opts = append(opts, kgo.OnPartitionsAssigned(func(context.Context, *kgo.Client, map[string][]int32) { assigned.Store(true) }))
	} else {
		assigned.Store(true)
	}
	return opts, nil
}

// groupJoinTimeout bounds how long the tool waits for a group coordinator
// when --timeout-ms does not say; Kafka would wait forever, which only
// hides a broker problem from the user.
const groupJoinTimeout = 60 * time.Second

func runConsoleConsumer(e *env, args []string) int {
	return runGuarded(func() int {
		p := consoleConsumerParser()
		c := e.consoleConsumerConfig(p, args)
		var assigned atomic.Bool
		opts, err := e.consumerClientOpts(c, &assigned)
		if err != nil {
			toolLogger(e.stderr, "kafka.tools.ConsoleConsumer$").Error("Unknown error when running consumer: ")
			fmt.Fprintln(e.stderr, "org.apache.kafka.common.config.ConfigException: "+err.Error())
			return 1
		}
		cl, err := kgo.NewClient(opts...)
		if err != nil {
			return e.printStackTrace(err)
		}
		out := bufio.NewWriter(e.stdout)
		ctx, cancel := context.WithCancel(context.Background())
		interrupted := atomic.Bool{}
		if e.interrupt != nil {
			go func() {
				select {
				case <-e.interrupt:
					interrupted.Store(true)
					cancel()
				case <-ctx.Done():
				}
			}()
		}
		count, procErr := e.consume(ctx, cl, c, out, &assigned)
		cancel()
		out.Flush()
		cl.Close()
		fmt.Fprintf(e.stderr, "Processed a total of %d messages\n", count)
		if interrupted.Load() {
			return 130
		}
		if procErr != nil {
			return 1
		}
		return 0
	})
}

// consume is ConsoleConsumer.process: poll, format, stop at --max-messages,
// on --timeout-ms without records, on an error or on cancellation.
func (e *env) consume(ctx context.Context, cl *kgo.Client, c *consoleConsumerConfig, out *bufio.Writer, assigned *atomic.Bool) (int64, error) {
	log := toolLogger(e.stderr, "kafka.tools.ConsoleConsumer$")
	var count int64
	start := time.Now()
	for c.maxMessages < 0 || count < c.maxMessages {
		pollCtx, cancel := ctx, context.CancelFunc(func() {})
		if c.timeout >= 0 {
			pollCtx, cancel = context.WithTimeout(ctx, c.timeout)
		} else if !assigned.Load() {
			pollCtx, cancel = context.WithTimeout(ctx, groupJoinTimeout-time.Since(start))
		}
		fetches := cl.PollFetches(pollCtx)
		timedOut := pollCtx.Err() != nil && ctx.Err() == nil
		cancel()
		if ctx.Err() != nil {
			return count, nil
		}
		if err := e.fetchErrors(fetches, c); err != nil {
			log.Error("Error processing message, terminating consumer process: ")
			fmt.Fprintln(e.stderr, err.Error())
			return count, nil
		}
		records := fetches.Records()
		if len(records) == 0 && timedOut {
			log.Error("Error processing message, terminating consumer process: ")
			if !assigned.Load() {
				waited := groupJoinTimeout
				if c.timeout >= 0 {
					waited = c.timeout
				}
				fmt.Fprintf(e.stderr, "org.apache.kafka.common.errors.TimeoutException: Timeout of %dms expired before the group coordinator for group %s was available\n", waited.Milliseconds(), c.group)
			} else {
				fmt.Fprintln(e.stderr, "org.apache.kafka.common.errors.TimeoutException")
			}
			return count, nil
		}
		sortRecords(records)
		for _, r := range records {
			if c.maxMessages >= 0 && count >= c.maxMessages {
				break
			}
			count++
			if err := c.formatter.writeTo(toConsumed(r), out); err != nil {
				if !c.skipOnError {
					log.Error("Unknown error when running consumer: ")
					fmt.Fprintf(e.stderr, "%s: %s\n", javaClassOf(err), err.Error())
					return count, err
				}
				log.Error("Error processing message, skipping this message: ")
				fmt.Fprintf(e.stderr, "%s: %s\n", javaClassOf(err), err.Error())
			}
		}
		if err := out.Flush(); err != nil {
			fmt.Fprintln(e.stderr, "Unable to write to standard out, closing consumer.")
			return count, nil
		}
	}
	return count, nil
}

// sortRecords keeps each partition's records in offset order while
// interleaving partitions the way one poll returns them.
func sortRecords(rs []*kgo.Record) {
	sort.SliceStable(rs, func(i, j int) bool {
		if rs[i].Topic == rs[j].Topic && rs[i].Partition == rs[j].Partition {
			return rs[i].Offset < rs[j].Offset
		}
		return false
	})
}

// fetchErrors reports errors Kafka's consumer would throw out of poll();
// retriable ones (the client retries them) are ignored.
func (e *env) fetchErrors(f kgo.Fetches, c *consoleConsumerConfig) error {
	var fatal error
	f.EachError(func(topic string, p int32, err error) {
		var ge *kgo.ErrGroupSession
		switch {
		case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		case errors.As(err, &ge):
			toolLogger(e.stderr, "org.apache.kafka.clients.consumer.internals.AbstractCoordinator").
				Warnf("[Consumer clientId=consumer-%s-1, groupId=%s] %v", c.group, c.group, ge.Err)
		default:
			if fatal == nil {
				fatal = errors.New(sendErrorText(err, topic, 0))
			}
		}
	})
	return fatal
}

func toConsumed(r *kgo.Record) *consumedRecord {
	cr := &consumedRecord{topic: r.Topic, partition: r.Partition, offset: r.Offset,
		timestamp: millis(r.Timestamp), key: r.Key, value: r.Value, timestampType: "CreateTime"}
	switch r.Attrs.TimestampType() {
	case 1:
		cr.timestampType = "LogAppendTime"
	case -1:
		cr.timestampType = ""
	}
	for _, h := range r.Headers {
		cr.headers = append(cr.headers, recordHeader{h.Key, h.Value})
	}
	return cr
}
