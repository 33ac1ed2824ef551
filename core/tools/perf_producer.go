package tools

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// kafka-producer-perf-test.sh (Kafka 2.8 ProducerPerformance): send N
// records of a fixed size (or from a payload file) at a target rate and
// report throughput and latency percentiles.

func producerPerfParser() *argParser {
	p := &argParser{prog: "producer-performance", description: "This tool is used to verify the producer performance."}
	p.add(&argSpec{name: "--topic", dest: "topic", metavar: "TOPIC", typ: "String", required: true, help: "produce messages to this topic"})
	p.add(&argSpec{name: "--num-records", dest: "numRecords", metavar: "NUM-RECORDS", typ: "Long", required: true, help: "number of messages to produce"})
	p.add(&argSpec{name: "--record-size", dest: "recordSize", metavar: "RECORD-SIZE", typ: "Integer", group: true, help: "message size in bytes. Note that you must provide exactly one of --record-size or --payload-file."})
	p.add(&argSpec{name: "--payload-file", dest: "payloadFile", metavar: "PAYLOAD-FILE", typ: "String", group: true, help: "file to read the message payloads from. This works only for UTF-8 encoded text files. Payloads will be read from this file and a payload will be randomly selected when sending messages. Note that you must provide exactly one of --record-size or --payload-file."})
	p.add(&argSpec{name: "--payload-delimiter", dest: "payloadDelimiter", metavar: "PAYLOAD-DELIMITER", typ: "String", def: `\n`, help: "provides delimiter to be used when --payload-file is provided. Defaults to new line. Note that this parameter will be ignored if --payload-file is not provided."})
	p.add(&argSpec{name: "--throughput", dest: "throughput", metavar: "THROUGHPUT", typ: "Integer", required: true, help: "throttle maximum message throughput to *approximately* THROUGHPUT messages/sec. Set this to -1 to disable throttling."})
	p.add(&argSpec{name: "--producer-props", dest: "producerConfig", metavar: "PROP-NAME=PROP-VALUE", typ: "String", multi: true, help: "kafka producer related configuration properties like bootstrap.servers,client.id etc. These configs take precedence over those passed via --producer.config."})
	p.add(&argSpec{name: "--producer.config", dest: "producerConfigFile", metavar: "CONFIG-FILE", typ: "String", help: "producer config properties file."})
	p.add(&argSpec{name: "--print-metrics", dest: "printMetrics", metavar: "PRINT-METRICS", typ: "Boolean", help: "print out metrics at the end of the test."})
	p.add(&argSpec{name: "--transactional-id", dest: "transactionalId", metavar: "TRANSACTIONAL-ID", typ: "String", def: "performance-producer-default-transactional-id", help: "The transactionalId to use if transaction-duration-ms is > 0. Useful when testing the performance of concurrent transactions."})
	p.add(&argSpec{name: "--transaction-duration-ms", dest: "transactionDurationMs", metavar: "TRANSACTION-DURATION", typ: "Long", def: "0", help: "The max age of each transaction. The commitTransaction will be called after this time has elapsed. Transactions are only enabled if this value is positive."})
	return p
}

// javaRandom is java.util.Random, so payloads match Kafka's byte for byte.
type javaRandom struct{ seed int64 }

func newJavaRandom(seed int64) *javaRandom {
	return &javaRandom{seed: (seed ^ 0x5DEECE66D) & (1<<48 - 1)}
}

func (r *javaRandom) next(bits uint) int32 {
	r.seed = (r.seed*0x5DEECE66D + 0xB) & (1<<48 - 1)
	return int32(r.seed >> (48 - bits))
}

func (r *javaRandom) nextInt(bound int32) int32 {
	if bound&(-bound) == bound {
		return int32((int64(bound) * int64(r.next(31))) >> 31)
	}
	for {
		bits := r.next(31)
		val := bits % bound
		if bits-val+(bound-1) >= 0 {
			return val
		}
	}
}

// perfStats is ProducerPerformance.Stats.
type perfStats struct {
	mu                                    sync.Mutex
	out                                   func(string)
	start, windowStart                    time.Time
	latencies                             []int
	sampling, index                       int
	count, bytes, totalLatency            int64
	maxLatency                            int
	windowCount, windowBytes, windowTotal int64
	windowMax                             int
	reportingInterval                     time.Duration
}

func newPerfStats(numRecords int64, interval time.Duration, out func(string)) *perfStats {
	sampling := int(numRecords / min(numRecords, 500000))
	now := time.Now()
	return &perfStats{out: out, start: now, windowStart: now, sampling: sampling,
		latencies: make([]int, int(numRecords)/sampling+1), reportingInterval: interval}
}

func (s *perfStats) record(iter int, latency int, bytes int, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.count++
	s.bytes += int64(bytes)
	s.totalLatency += int64(latency)
	s.maxLatency = max(s.maxLatency, latency)
	s.windowCount++
	s.windowBytes += int64(bytes)
	s.windowTotal += int64(latency)
	s.windowMax = max(s.windowMax, latency)
	if iter%s.sampling == 0 && s.index < len(s.latencies) {
		s.latencies[s.index] = latency
		s.index++
	}
	if now.Sub(s.windowStart) >= s.reportingInterval {
		s.printWindow()
		s.windowStart, s.windowCount, s.windowMax, s.windowTotal, s.windowBytes = time.Now(), 0, 0, 0, 0
	}
}

func elapsedMs(since time.Time) float64 { return float64(time.Since(since).Milliseconds()) }

func (s *perfStats) printWindow() {
	elapsed := elapsedMs(s.windowStart)
	s.out(fmt.Sprintf("%d records sent, %s records/sec (%s MB/sec), %s ms avg latency, %s ms max latency.",
		s.windowCount, javaFixed(1000*float64(s.windowCount)/elapsed, 1),
		javaFixed(1000*float64(s.windowBytes)/elapsed/(1024*1024), 2),
		javaFixed(float64(s.windowTotal)/float64(s.windowCount), 1), javaFixed(float64(s.windowMax), 1)))
}

func (s *perfStats) totalLine() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	elapsed := elapsedMs(s.start)
	percs := percentiles(s.latencies, s.index, 0.5, 0.95, 0.99, 0.999)
	return fmt.Sprintf("%d records sent, %s records/sec (%s MB/sec), %s ms avg latency, %s ms max latency, %d ms 50th, %d ms 95th, %d ms 99th, %d ms 99.9th.",
		s.count, javaFixed(1000*float64(s.count)/elapsed, 6), javaFixed(1000*float64(s.bytes)/elapsed/(1024*1024), 2),
		javaFixed(float64(s.totalLatency)/float64(s.count), 2), javaFixed(float64(s.maxLatency), 2),
		percs[0], percs[1], percs[2], percs[3])
}

func percentiles(latencies []int, count int, ps ...float64) []int {
	size := min(count, len(latencies))
	sort.Ints(latencies[:size])
	out := make([]int, len(ps))
	for i, p := range ps {
		if idx := int(p * float64(size)); idx < len(latencies) {
			out[i] = latencies[idx]
		}
	}
	return out
}

// javaFixed formats like Java's "%.Nf", including Infinity and NaN.
func javaFixed(v float64, prec int) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "Infinity"
	case math.IsInf(v, -1):
		return "-Infinity"
	}
	return strconv.FormatFloat(v, 'f', prec, 64)
}

// throughputThrottler is Kafka's ThroughputThrottler.
type throughputThrottler struct {
	start   time.Time
	target  int64
	sleepNs int64
	deficit int64
}

func newThrottler(target int64, start time.Time) *throughputThrottler {
	t := &throughputThrottler{start: start, target: target, sleepNs: math.MaxInt64}
	if target > 0 {
		t.sleepNs = int64(time.Second) / target
	}
	return t
}

func (t *throughputThrottler) shouldThrottle(soFar int64, sendStart time.Time) bool {
	if t.target < 0 {
		return false
	}
	elapsedSec := float32(sendStart.Sub(t.start).Seconds())
	return elapsedSec > 0 && float32(soFar)/elapsedSec > float32(t.target)
}

func (t *throughputThrottler) throttle(ctx context.Context) {
	if t.target == 0 {
		<-ctx.Done()
		return
	}
	t.deficit += t.sleepNs
	if t.deficit >= 2*int64(time.Millisecond) {
		select {
		case <-time.After(time.Duration(t.deficit)):
		case <-ctx.Done():
		}
		t.deficit = 0
	}
}

func runProducerPerf(e *env, args []string) int {
	return runGuarded(func() int {
		p := producerPerfParser()
		ns, err := p.parse(args)
		if err == nil && ns.values["producerConfig"] == nil && !ns.seen["producerConfigFile"] {
			err = &argError{"Either --producer-props or --producer.config must be specified."}
		}
		if err != nil {
			if len(args) == 0 || err == errHelp {
				p.printHelp(e.stdout)
				return 0
			}
			p.handleError(e.stderr, err)
			return 1
		}
		return e.producerPerf(p, ns)
	})
}

// perfPayloads reads --payload-file split by the delimiter.
func (e *env) perfPayloads(path, delimiter string) [][]byte {
	abs, _ := filepath.Abs(path)
	fmt.Fprintln(e.stdout, "Reading payloads from: "+abs)
	data, err := os.ReadFile(path)
	if err != nil || len(data) == 0 {
		e.javaException("java.lang.IllegalArgumentException", "File does not exist or empty file provided.")
	}
	if delimiter == `\n` {
		delimiter = "\n"
	}
	parts := strings.Split(string(data), delimiter)
	for len(parts) > 0 && parts[len(parts)-1] == "" { // Java's split drops trailing empty strings
		parts = parts[:len(parts)-1]
	}
	fmt.Fprintf(e.stdout, "Number of messages read: %d\n", len(parts))
	out := make([][]byte, len(parts))
	for i, s := range parts {
		out[i] = []byte(s)
	}
	return out
}

func (e *env) producerPerfProps(ns *argNamespace, p *argParser) map[string]string {
	props := map[string]string{}
	if f := ns.get(p, "producerConfigFile"); f != "" {
		loaded, err := loadProps(f)
		if err != nil {
			e.javaException("java.nio.file.NoSuchFileException", f)
		}
		props = loaded
	}
	for _, prop := range ns.values["producerConfig"] {
		pieces := strings.Split(prop, "=")
		if len(pieces) != 2 {
			e.javaException("java.lang.IllegalArgumentException", "Invalid property: "+prop)
		}
		props[pieces[0]] = pieces[1]
	}
	if _, ok := props["bootstrap.servers"]; !ok {
		e.javaException("org.apache.kafka.common.config.ConfigException", `Missing required configuration "bootstrap.servers" which has no default value.`)
	}
	return props
}

func (e *env) producerPerf(p *argParser, ns *argNamespace) int {
	topic := ns.get(p, "topic")
	numRecords, _ := strconv.ParseInt(ns.get(p, "numRecords"), 10, 64)
	throughput, _ := strconv.ParseInt(ns.get(p, "throughput"), 10, 64)
	txnMs, _ := strconv.ParseInt(ns.get(p, "transactionDurationMs"), 10, 64)
	var payloads [][]byte
	if f := ns.get(p, "payloadFile"); f != "" {
		payloads = e.perfPayloads(f, ns.get(p, "payloadDelimiter"))
	}
	props := e.producerPerfProps(ns, p)
	if txnMs > 0 {
		// As Kafka's ProducerPerformance: transactions need idempotence.
		props["transactional.id"] = ns.get(p, "transactionalId")
		props["enable.idempotence"] = "true"
	}
	cfg := &clientConfig{props: props, stderr: e.stderr}
	cfg.logPrefix = "[Producer clientId=" + cfg.get("client.id", "producer-1") + "]"
	opts, err := cfg.producerOpts("producer-1")
	if err != nil {
		e.javaException("org.apache.kafka.common.config.ConfigException", err.Error())
	}
	opts = append(opts, kgo.AllowAutoTopicCreation(), kgo.UnknownTopicRetries(-1))
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		e.javaException("org.apache.kafka.common.KafkaException", err.Error())
	}
	defer cl.Close()
	if numRecords <= 0 {
		e.javaException("java.lang.ArithmeticException", "/ by zero")
	}
	random := newJavaRandom(0)
	var payload []byte
	if rs := ns.get(p, "recordSize"); rs != "" {
		n, _ := strconv.Atoi(rs)
		payload = make([]byte, n)
		for i := range payload {
			payload[i] = byte(random.nextInt(26) + 65)
		}
	}
	stats := newPerfStats(numRecords, 5*time.Second, func(s string) { fmt.Fprintln(e.stdout, s) })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e.onInterrupt(func() { cancel(); cl.Flush(context.Background()); fmt.Fprintln(e.stdout, stats.totalLine()) })
	e.sendPerfRecords(ctx, cl, stats, topic, numRecords, throughput, txnMs, payload, payloads, random)
	cl.Flush(context.Background())
	if txnMs > 0 {
		cl.EndTransaction(context.Background(), kgo.TryCommit)
	}
	fmt.Fprintln(e.stdout, stats.totalLine())
	if ns.seen["printMetrics"] {
		e.printProducerMetrics(stats, cfg.get("client.id", "producer-1"))
	}
	return 0
}

func (e *env) sendPerfRecords(ctx context.Context, cl *kgo.Client, stats *perfStats, topic string, numRecords, throughput, txnMs int64,
	payload []byte, payloads [][]byte, random *javaRandom) {
	start := time.Now()
	throttler := newThrottler(throughput, start)
	var txnStart time.Time
	txnSize := 0
	for i := int64(0); i < numRecords && ctx.Err() == nil; i++ {
		if txnMs > 0 && txnSize == 0 {
			cl.BeginTransaction()
			txnStart = time.Now()
		}
		if payloads != nil {
			payload = payloads[random.nextInt(int32(len(payloads)))]
		}
		sendStart := time.Now()
		iter, size := int(i), len(payload)
		cl.Produce(ctx, &kgo.Record{Topic: topic, Value: payload}, func(_ *kgo.Record, err error) {
			now := time.Now()
			stats.record(iter, int(now.Sub(sendStart).Milliseconds()), size, now)
			if err != nil {
				fmt.Fprintln(e.stderr, sendErrorText(err, topic, 60000))
			}
		})
		txnSize++
		if txnMs > 0 && time.Duration(txnMs)*time.Millisecond <= sendStart.Sub(txnStart) {
			cl.Flush(ctx)
			cl.EndTransaction(ctx, kgo.TryCommit)
			txnSize = 0
		}
		if throttler.shouldThrottle(i, sendStart) {
			throttler.throttle(ctx)
		}
	}
}

// printProducerMetrics prints the part of Kafka's metric table this client
// can measure, in ToolsUtils.printMetrics' layout.
func (e *env) printProducerMetrics(s *perfStats, clientID string) {
	s.mu.Lock()
	elapsed := elapsedMs(s.start) / 1000
	rows := [][2]string{
		{"producer-metrics:byte-total:{client-id=" + clientID + "}", javaFixed(float64(s.bytes), 3)},
		{"producer-metrics:record-send-rate:{client-id=" + clientID + "}", javaFixed(float64(s.count)/elapsed, 3)},
		{"producer-metrics:record-send-total:{client-id=" + clientID + "}", javaFixed(float64(s.count), 3)},
		{"producer-metrics:record-size-avg:{client-id=" + clientID + "}", javaFixed(float64(s.bytes)/float64(s.count), 3)},
		{"producer-metrics:request-latency-max:{client-id=" + clientID + "}", javaFixed(float64(s.maxLatency), 3)},
	}
	s.mu.Unlock()
	printMetricTable(e, rows)
}

func printMetricTable(e *env, rows [][2]string) {
	width := len("Metric Name")
	for _, r := range rows {
		width = max(width, len(r[0]))
	}
	fmt.Fprintf(e.stdout, "\n%-*s   %s\n", width, "Metric Name", "Value")
	for _, r := range rows {
		fmt.Fprintf(e.stdout, "%-*s : %s\n", width, r[0], r[1])
	}
}
