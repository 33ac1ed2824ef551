package server

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/sirupsen/logrus"

	"github.com/gokafka/kafka/core/logging"
)

// Main runs a broker until SIGTERM or SIGINT: "kafka server
// [kafka.Kafka] server.properties [--override k=v]*". The kafka.Kafka
// marker lets kafka-server-stop.sh find brokers the way Kafka's does.
func Main(args []string) int {
	if len(args) > 0 && args[0] == "kafka.Kafka" {
		args = args[1:]
	}
	path, overrides, err := parseArgs(args)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	setupLogging()
	fatal := logging.For("kafka.Kafka$")
	cfg, err := LoadKafkaConfig(path, overrides)
	if err != nil {
		fatal.Errorf("Exiting Kafka due to fatal exception: %v", err)
		return 1
	}
	s := NewKafkaServer(cfg)
	if err := s.Startup(); err != nil {
		fatal.Errorf("Fatal error during KafkaServer startup. Prepare to shutdown: %v", err)
		s.Shutdown()
		return 1
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	<-sigs
	s.Shutdown()
	return 0
}

// parseArgs splits the properties path from --override k=v pairs.
func parseArgs(args []string) (string, []string, error) {
	if len(args) == 0 {
		return "", nil, ErrUsage
	}
	path := args[0]
	var overrides []string
	for i := 1; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--override" && i+1 < len(args):
			overrides = append(overrides, args[i+1])
			i++
		case strings.HasPrefix(a, "--override="):
			overrides = append(overrides, strings.TrimPrefix(a, "--override="))
		default:
			return "", nil, fmt.Errorf("Found non argument parameters: %s\n%v", a, ErrUsage)
		}
	}
	for _, o := range overrides {
		if !strings.Contains(o, "=") {
			return "", nil, fmt.Errorf("Invalid command line properties: %s\n%v", o, ErrUsage)
		}
	}
	return path, overrides, nil
}

// setupLogging writes to stdout and, when LOG_DIR is set (the bin scripts
// set it), also to $LOG_DIR/server.log like Kafka's log4j setup.
func setupLogging() {
	var w io.Writer = os.Stdout
	if dir := os.Getenv("LOG_DIR"); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err == nil {
			if f, err := os.OpenFile(filepath.Join(dir, "server.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644); err == nil {
				w = io.MultiWriter(os.Stdout, f)
			}
		}
	}
	level := logrus.InfoLevel
	if l, err := logrus.ParseLevel(os.Getenv("KAFKA_LOG_LEVEL")); err == nil {
		level = l
	}
	logging.Setup(w, level)
}
