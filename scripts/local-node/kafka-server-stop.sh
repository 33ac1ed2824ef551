#!/usr/bin/env bash
# kafka-server-stop.sh of one local-mode node (data/nodeN/bin/ links here).
# Kafka's script signals every broker on the machine; in local mode the three
# "machines" share one process table, so this one signals only the broker
# this node started: the PID that kafka-server-start.sh recorded in the
# node's logs/kafkaServer.pid, if that process is still a broker
# (" kafka.Kafka ") running this node's config/server.properties.
SIGNAL=${SIGNAL:-TERM}
NODE_HOME="$(cd -P "$(dirname "$0")/.." && pwd)"
PID_FILE="${LOG_DIR:-$NODE_HOME/logs}/kafkaServer.pid"

pid=""
if [ -f "$PID_FILE" ]; then
  pid="$(cat "$PID_FILE" 2>/dev/null)"
fi
if [[ "$pid" =~ ^[0-9]+$ ]] && [ -r "/proc/$pid/cmdline" ] &&
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- " kafka\.Kafka $NODE_HOME/config/server.properties"; then
  kill -s "$SIGNAL" "$pid"
else
  echo "No kafka server to stop"
  exit 1
fi
