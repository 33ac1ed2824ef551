// Package tools holds the administration and test tools that Kafka 2.8 ships
// as bin/*.sh scripts: kafka-topics, the console producer and consumer,
// kafka-dump-log and the producer/consumer performance tests. Each one keeps
// Kafka's flags, output and error texts so that lab instructions and scripts
// written for Kafka work unchanged; talking to brokers goes through franz-go.
package tools

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/gokafka/kafka/core/logging"
	"github.com/magiconair/properties"
	"github.com/sirupsen/logrus"
)

// Commands returns the tool entry points by subcommand name; each returns the
// process exit code.
func Commands() map[string]func(args []string) int {
	wrap := func(run func(*env, []string) int) func([]string) int {
		return func(args []string) int {
			// Kafka's tools log through tools-log4j.properties: WARN and up, on stderr.
			logging.Setup(os.Stderr, logrus.WarnLevel)
			return run(osEnv(), args)
		}
	}
	return map[string]func(args []string) int{
		"topics":             wrap(runTopics),
		"console-producer":   wrap(runConsoleProducer),
		"console-consumer":   wrap(runConsoleConsumer),
		"dump-log":           wrap(runDumpLog),
		"producer-perf-test": wrap(runProducerPerf),
		"consumer-perf-test": wrap(runConsumerPerf),
		"consumer-groups":    wrap(runConsumerGroups),
		"configs":            wrap(runConfigs),

		"leader-election":            wrap(runLeaderElection),
		"reassign-partitions":        wrap(runReassignPartitions),
		"preferred-replica-election": wrap(runPreferredReplicaElection),
		"delete-records":             wrap(runDeleteRecords),
		"log-dirs":                   wrap(runLogDirs),
		"get-offsets":                wrap(runGetOffsets),
		"acls":                       wrap(runAcls),
	}
}

// env is what a tool talks to; tests substitute buffers.
type env struct {
	stdin      io.Reader
	stdout     io.Writer
	stderr     io.Writer
	stdinIsTTY bool
	interrupt  <-chan os.Signal
	// exitProcess ends the process from a signal handler (os.Exit); nil in tests.
	exitProcess func(code int)
}

// onInterrupt runs cleanup when the user presses Ctrl-C (like a JVM shutdown
// hook) and then ends the process with status 130.
func (e *env) onInterrupt(cleanup func()) {
	if e.interrupt == nil || e.exitProcess == nil {
		return
	}
	go func() {
		<-e.interrupt
		cleanup()
		e.exitProcess(130)
	}()
}

func osEnv() *env {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	// A closed stdout (e.g. "| head") must reach the tools as a write error,
	// as in Java, instead of killing the process.
	signal.Ignore(syscall.SIGPIPE)
	return &env{
		stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr,
		stdinIsTTY: isTerminal(os.Stdin) && isTerminal(os.Stdout),
		interrupt:  sig, exitProcess: os.Exit,
	}
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// exitCode unwinds a tool to its entry point, like Kafka's Exit.exit.
type exitCode int

// runGuarded runs a tool body and turns exitCode panics into return codes.
func runGuarded(body func() int) (code int) {
	defer func() {
		if r := recover(); r != nil {
			c, ok := r.(exitCode)
			if !ok {
				panic(r)
			}
			code = int(c)
		}
	}()
	return body()
}

func exit(code int) { panic(exitCode(code)) }

// printUsageAndDie is CommandLineUtils.printUsageAndDie: message and help on
// stderr, exit status 1.
func (e *env) printUsageAndDie(p *optionParser, msg string) {
	fmt.Fprintln(e.stderr, msg)
	p.printHelp(e.stderr)
	exit(1)
}

// checkRequiredArgs is CommandLineUtils.checkRequiredArgs.
func (e *env) checkRequiredArgs(p *optionParser, o *optionSet, names ...string) {
	for _, n := range names {
		if !o.has(n) {
			e.printUsageAndDie(p, fmt.Sprintf("Missing required argument \"[%s]\"", n))
		}
	}
}

// checkInvalidArgs is CommandLineUtils.checkInvalidArgs.
func (e *env) checkInvalidArgs(p *optionParser, o *optionSet, used string, invalid ...string) {
	if !o.has(used) {
		return
	}
	for _, n := range invalid {
		if o.has(n) {
			e.printUsageAndDie(p, fmt.Sprintf("Option \"[%s]\" can't be used with option \"[%s]\"", used, n))
		}
	}
}

// printHelpAndExitIfNeeded is CommandLineUtils.printHelpAndExitIfNeeded.
func (e *env) printHelpAndExitIfNeeded(p *optionParser, o *optionSet, msg string) {
	if o.argCount == 0 || o.has("help") {
		e.printUsageAndDie(p, msg)
	}
	if o.has("version") {
		fmt.Fprintln(e.stdout, kafkaVersion)
		exit(0)
	}
}

// kafkaVersion is what --version prints; we behave as this Kafka release.
const kafkaVersion = "2.8.2 (Commit:gokafka)"

// javaException prints an uncaught exception the way the JVM does before
// exiting with status 1 ("Exception in thread "main" class: message").
func (e *env) javaException(class, msg string) {
	fmt.Fprintf(e.stderr, "Exception in thread \"main\" %s: %s\n", class, msg)
	exit(1)
}

// loadProps reads a Java properties file (Utils.loadProps).
func loadProps(path string) (map[string]string, error) {
	l := properties.Loader{Encoding: properties.ISO_8859_1, DisableExpansion: true}
	p, err := l.LoadFile(path)
	if err != nil {
		if os.IsNotExist(unwrapAll(err)) {
			return nil, fmt.Errorf("%s (No such file or directory)", path)
		}
		return nil, err
	}
	return p.Map(), nil
}

func unwrapAll(err error) error {
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok || u.Unwrap() == nil {
			return err
		}
		err = u.Unwrap()
	}
}

// parseKeyValueArgs is CommandLineUtils.parseKeyValueArgs: "k=v" pairs, the
// value may contain '=', a missing value becomes "".
func parseKeyValueArgs(args []string) map[string]string {
	props := map[string]string{}
	for _, a := range args {
		if a == "" {
			continue
		}
		k, v, _ := strings.Cut(a, "=")
		props[k] = v
	}
	return props
}

// mergeProps copies src over dst.
func mergeProps(dst, src map[string]string) {
	for k, v := range src {
		dst[k] = v
	}
}
