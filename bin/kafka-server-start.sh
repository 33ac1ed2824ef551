#!/usr/bin/env bash
# Start a broker: kafka-server-start.sh [-daemon] server.properties [--override property=value]*
#
# The broker runs from the repository root, so relative paths inside the
# properties file (log.dirs=data/kafka-logs) stay inside the checkout. A
# properties path relative to the caller's directory is accepted too.
# With -daemon the broker runs in the background, its console output goes to
# $LOG_DIR/kafkaServer.out and its PID to $LOG_DIR/kafkaServer.pid.
# The broker's command line carries the word kafka.Kafka (which the binary
# ignores) so that kafka-server-stop.sh finds it the way Kafka's does.
# shellcheck source=bin/.common.sh
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.common.sh"

if [ $# -lt 1 ]; then
  echo "USAGE: $0 [-daemon] server.properties [--override property=value]*"
  exit 1
fi

DAEMON=false
if [ "$1" = "-daemon" ]; then
  DAEMON=true
  shift
fi
if [ $# -lt 1 ]; then
  echo "USAGE: $0 [-daemon] server.properties [--override property=value]*"
  exit 1
fi

CONFIG="$(absolute_if_exists "$1")"
shift

ensure_kafka_binary
mkdir -p "$LOG_DIR"
cd "$KAFKA_HOME" || exit 1
PID_FILE="$LOG_DIR/kafkaServer.pid"

if [ "$DAEMON" = true ]; then
  nohup "$KAFKA_BIN" server kafka.Kafka "$CONFIG" "$@" >"$LOG_DIR/kafkaServer.out" 2>&1 </dev/null &
  echo $! >"$PID_FILE"
else
  echo $$ >"$PID_FILE"
  exec "$KAFKA_BIN" server kafka.Kafka "$CONFIG" "$@"
fi
