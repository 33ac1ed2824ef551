package tools

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// kafka-console-producer.sh (Kafka 2.8 ConsoleProducer): one record per line
// of standard input.

func consoleProducerParser() *optionParser {
	p := newOptionParser()
	p.withArg("topic", "REQUIRED: The topic id to produce messages to.").describedAs("topic")
	p.withArg("broker-list", "DEPRECATED, use --bootstrap-server instead; ignored if --bootstrap-server is specified.  The broker list string in the form HOST1:PORT1,HOST2:PORT2.").describedAs("broker-list")
	p.withArg("bootstrap-server", "REQUIRED unless --broker-list(deprecated) is specified. The server(s) to connect to. The broker list string in the form HOST1:PORT1,HOST2:PORT2.").describedAs("server to connect to").requiredUnlessPresent("broker-list")
	p.flag("sync", "If set message send requests to the brokers are synchronously, one at a time as they arrive.")
	p.withOptionalArg("compression-codec", "The compression codec: either 'none', 'gzip', 'snappy', 'lz4', or 'zstd'.If specified without value, then it defaults to 'gzip'").describedAs("compression-codec")
	p.withArg("batch-size", "Number of messages to send in a single batch if they are not being sent synchronously.").describedAs("size").ofType("Integer").withDefault("200")
	p.withArg("message-send-max-retries", "Brokers can fail receiving the message for multiple reasons, and being unavailable transiently is just one of them. This property specifies the number of retries before the producer give up and drop this message.").ofType("Integer").withDefault("3")
	p.withArg("retry-backoff-ms", "Before each retry, the producer refreshes the metadata of relevant topics. Since leader election takes a bit of time, this property specifies the amount of time that the producer waits before refreshing the metadata.").ofType("Integer").withDefault("100")
	p.withArg("timeout", "If set and the producer is running in asynchronous mode, this gives the maximum amount of time a message will queue awaiting sufficient batch size. The value is given in ms.").describedAs("timeout_ms").ofType("Integer").withDefault("1000")
	p.withArg("request-required-acks", "The required acks of the producer requests").describedAs("request required acks").withDefault("1")
	p.withArg("request-timeout-ms", "The ack timeout of the producer requests. Value must be non-negative and non-zero").describedAs("request timeout ms").ofType("Integer").withDefault("1500")
	p.withArg("metadata-expiry-ms", "The period of time in milliseconds after which we force a refresh of metadata even if we haven't seen any leadership changes.").describedAs("metadata expiration interval").ofType("Long").withDefault("300000")
	p.withArg("max-block-ms", "The max time that the producer will block for during a send request").describedAs("max block on send").ofType("Long").withDefault("60000")
	p.withArg("max-memory-bytes", "The total memory used by the producer to buffer records waiting to be sent to the server.").describedAs("total memory in bytes").ofType("Long").withDefault("33554432")
	p.withArg("max-partition-memory-bytes", "The buffer size allocated for a partition. When records are received which are smaller than this size the producer will attempt to optimistically group them together until this size is reached.").describedAs("memory in bytes per partition").ofType("Long").withDefault("16384")
	p.withArg("line-reader", "The class name of the class to use for reading lines from standard in. By default each line is read as a separate message.").describedAs("reader_class").withDefault("kafka.tools.ConsoleProducer$LineMessageReader")
	p.withArg("socket-buffer-size", "The size of the tcp RECV size.").describedAs("size").ofType("Integer").withDefault("102400")
	p.withArg("property", "A mechanism to pass user-defined properties in the form key=value to the message reader. This allows custom configuration for a user-defined message reader. Default properties include:\n\tparse.key=true|false\n\tkey.separator=<key.separator>\n\tignore.error=true|false").describedAs("prop")
	p.withArg("producer-property", "A mechanism to pass user-defined properties in the form key=value to the producer. ").describedAs("producer_prop")
	p.withArg("producer.config", "Producer config properties file. Note that [producer-property] takes precedence over this config.").describedAs("config file")
	return p
}

// hostPortPattern is Utils.getPort's notion of "host:port".
var hostPortPattern = regexp.MustCompile(`^.*?\[?([0-9a-zA-Z\-%._:]*)\]?:([0-9]+)$`)

// validatePortOrDie is ToolsUtils.validatePortOrDie.
func (e *env) validatePortOrDie(p *optionParser, hostPorts string) {
	for _, hp := range strings.Split(hostPorts, ",") {
		if !hostPortPattern.MatchString(hp) {
			e.printUsageAndDie(p, "Please provide valid host:port like host1:9091,host2:9092\n ")
		}
	}
}

// maybeMergeOption is CommandLineUtils.maybeMergeOptions: an explicit flag
// wins, then the properties, then the flag's default.
func maybeMergeOption(props map[string]string, key string, o *optionSet, name string) {
	if _, ok := props[key]; o.has(name) || !ok {
		props[key] = o.valueOf(name)
	}
}

// producerProps is ConsoleProducer.producerProps.
func consoleProducerProps(o *optionSet) (map[string]string, error) {
	props := map[string]string{}
	if o.has("producer.config") {
		p, err := loadProps(o.valueOf("producer.config"))
		if err != nil {
			return nil, err
		}
		props = p
	}
	mergeProps(props, parseKeyValueArgs(o.valuesOf("producer-property")))
	if o.has("bootstrap-server") {
		props["bootstrap.servers"] = o.valueOf("bootstrap-server")
	} else {
		props["bootstrap.servers"] = o.valueOf("broker-list")
	}
	codec := "none"
	if o.has("compression-codec") {
		codec = o.valueOf("compression-codec")
		if codec == "" {
			codec = "gzip"
		}
	}
	props["compression.type"] = codec
	if _, ok := props["client.id"]; !ok {
		props["client.id"] = "console-producer"
	}
	for key, flag := range map[string]string{
		"linger.ms": "timeout", "acks": "request-required-acks", "request.timeout.ms": "request-timeout-ms",
		"retries": "message-send-max-retries", "retry.backoff.ms": "retry-backoff-ms",
		"send.buffer.bytes": "socket-buffer-size", "buffer.memory": "max-memory-bytes",
		"batch.size": "max-partition-memory-bytes", "metadata.max.age.ms": "metadata-expiry-ms",
		"max.block.ms": "max-block-ms",
	} {
		maybeMergeOption(props, key, o, flag)
	}
	return props, nil
}

// lineMessageReader is ConsoleProducer.LineMessageReader.
type lineMessageReader struct {
	topic        string
	r            *bufio.Reader
	parseKey     bool
	keySeparator string
	ignoreError  bool
	lineNumber   int
	prompt       io.Writer // nil unless stdin and stdout are a terminal
}

func newLineMessageReader(topic string, in io.Reader, props map[string]string, prompt io.Writer) *lineMessageReader {
	lr := &lineMessageReader{topic: topic, r: bufio.NewReaderSize(in, 64*1024), keySeparator: "\t", prompt: prompt}
	if v, ok := props["parse.key"]; ok {
		lr.parseKey = strings.EqualFold(strings.TrimSpace(v), "true")
	}
	if v, ok := props["key.separator"]; ok {
		lr.keySeparator = v
	}
	if v, ok := props["ignore.error"]; ok {
		lr.ignoreError = strings.EqualFold(strings.TrimSpace(v), "true")
	}
	return lr
}

// readMessage returns the next record, nil at end of input.
func (lr *lineMessageReader) readMessage() (*kgo.Record, error) {
	lr.lineNumber++
	if lr.prompt != nil {
		fmt.Fprint(lr.prompt, ">")
	}
	line, err := lr.r.ReadString('\n')
	if err != nil && (err != io.EOF || line == "") {
		if err == io.EOF {
			return nil, nil
		}
		return nil, err
	}
	line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	if !lr.parseKey {
		return &kgo.Record{Topic: lr.topic, Value: []byte(line)}, nil
	}
	n := strings.Index(line, lr.keySeparator)
	if n < 0 {
		if lr.ignoreError {
			return &kgo.Record{Topic: lr.topic, Value: []byte(line)}, nil
		}
		return nil, &javaError{"org.apache.kafka.common.KafkaException", fmt.Sprintf("No key found on line %d: %s", lr.lineNumber, line)}
	}
	return &kgo.Record{Topic: lr.topic, Key: []byte(line[:n]), Value: []byte(line[n+len(lr.keySeparator):])}, nil
}

func runConsoleProducer(e *env, args []string) int {
	return runGuarded(func() int {
		p := consoleProducerParser()
		o, err := p.parse(args)
		if err != nil {
			e.printUsageAndDie(p, err.Error())
		}
		e.printHelpAndExitIfNeeded(p, o, "This tool helps to read data from standard input and publish it to Kafka.")
		e.checkRequiredArgs(p, o, "topic")
		hosts := o.valueOf("broker-list")
		if o.has("bootstrap-server") {
			hosts = o.valueOf("bootstrap-server")
		}
		e.validatePortOrDie(p, hosts)
		props, err := consoleProducerProps(o)
		if err != nil {
			return e.printStackTrace(err)
		}
		var prompt io.Writer
		if e.stdinIsTTY {
			prompt = e.stdout
		}
		reader := newLineMessageReader(o.valueOf("topic"), e.stdin, parseKeyValueArgs(o.valuesOf("property")), prompt)
		return e.produceLines(props, reader, o.has("sync"))
	})
}

// printStackTrace reports an exception like Throwable.printStackTrace and
// returns exit status 1.
func (e *env) printStackTrace(err error) int {
	class := "org.apache.kafka.common.KafkaException"
	if je, ok := err.(*javaError); ok {
		class = je.class
	}
	fmt.Fprintf(e.stderr, "%s: %s\n", class, javaMessage(err))
	return 1
}

func (e *env) produceLines(props map[string]string, reader *lineMessageReader, syncSend bool) int {
	cfg := &clientConfig{props: props, stderr: e.stderr}
	cfg.logPrefix = "[Producer clientId=" + cfg.get("client.id", "console-producer") + "]"
	opts, err := cfg.producerOpts("console-producer")
	if err != nil {
		return e.printStackTrace(&javaError{"org.apache.kafka.common.config.ConfigException", err.Error()})
	}
	maxBlock, _ := cfg.millis("max.block.ms", 60000)
	opts = append(opts, kgo.AllowAutoTopicCreation(), kgo.UnknownTopicRetries(-1))
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return e.printStackTrace(err)
	}
	defer cl.Close()
	logger := toolLogger(e.stderr, "org.apache.kafka.clients.producer.internals.ErrorLoggingCallback")
	var wg sync.WaitGroup
	e.onInterrupt(func() { cl.Flush(context.Background()) })
	for {
		rec, err := reader.readMessage()
		if err != nil {
			cl.Flush(context.Background())
			return e.printStackTrace(err)
		}
		if rec == nil {
			break
		}
		if syncSend {
			if err := cl.ProduceSync(context.Background(), rec).FirstErr(); err != nil {
				return e.printStackTrace(&javaError{"java.util.concurrent.ExecutionException", sendErrorText(err, rec.Topic, maxBlock.Milliseconds())})
			}
			continue
		}
		wg.Add(1)
		cl.Produce(context.Background(), rec, func(r *kgo.Record, err error) {
			defer wg.Done()
			if err != nil {
				logger.Errorf("Error when sending message to topic %s with key: %s, value: %s with error:",
					r.Topic, bytesDesc(r.Key), bytesDesc(r.Value))
				fmt.Fprintln(e.stderr, sendErrorText(err, r.Topic, maxBlock.Milliseconds()))
			}
		})
	}
	cl.Flush(context.Background())
	wg.Wait()
	return 0
}

// bytesDesc is how ErrorLoggingCallback describes a key or value.
func bytesDesc(b []byte) string {
	if b == nil {
		return "null"
	}
	return strconv.Itoa(len(b)) + " bytes"
}

// sendErrorText renders a failed send as the Java producer's exception.
func sendErrorText(err error, topic string, maxBlockMs int64) string {
	switch {
	case errors.Is(err, kerr.UnknownTopicOrPartition):
		return fmt.Sprintf("org.apache.kafka.common.errors.TimeoutException: Topic %s not present in metadata after %d ms.", topic, maxBlockMs)
	case errors.Is(err, kgo.ErrRecordTimeout):
		return "org.apache.kafka.common.errors.TimeoutException: Expiring 1 record(s) for " + topic + ": delivery timeout has passed since batch creation"
	}
	var ke *kerr.Error
	if errors.As(err, &ke) {
		class := "KafkaException"
		if c, ok := javaExceptionClasses[ke.Code]; ok {
			class = c
		}
		return "org.apache.kafka.common.errors." + class + ": " + javaMessage(err)
	}
	return "org.apache.kafka.common.KafkaException: " + err.Error()
}
