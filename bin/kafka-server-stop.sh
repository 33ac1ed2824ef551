#!/usr/bin/env bash
# Stop every broker on this machine: sends SIGTERM (or $SIGNAL) to processes
# whose command line contains " kafka.Kafka ", as Kafka's script does; the
# brokers then shut down cleanly (controlled shutdown, flushed logs).
SIGNAL=${SIGNAL:-TERM}
# shellcheck disable=SC2009 # ps|grep on purpose: the same match as Kafka's script
PIDS=$(ps ax -o pid= -o args= | grep ' kafka\.Kafka ' | grep -v grep | awk '{print $1}')

if [ -z "$PIDS" ]; then
  echo "No kafka server to stop"
  exit 1
else
  # shellcheck disable=SC2086 # one argument per PID
  kill -s "$SIGNAL" $PIDS
fi
