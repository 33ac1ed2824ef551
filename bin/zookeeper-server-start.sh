#!/usr/bin/env bash
# Start ZooKeeper: zookeeper-server-start.sh [-daemon] zookeeper.properties
#
# Runs Debian's ZooKeeper (package "zookeeper") with the given file from the
# repository root, so a relative dataDir (data/zookeeper) stays inside the
# checkout. With -daemon it runs in the background, console output to
# $LOG_DIR/zookeeper.out, PID to $LOG_DIR/zookeeper.pid.
# shellcheck source=bin/.common.sh
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.common.sh"

if [ $# -lt 1 ]; then
  echo "USAGE: $0 [-daemon] zookeeper.properties"
  exit 1
fi

DAEMON=false
if [ "$1" = "-daemon" ]; then
  DAEMON=true
  shift
fi
if [ $# -lt 1 ]; then
  echo "USAGE: $0 [-daemon] zookeeper.properties"
  exit 1
fi

CONFIG="$(absolute_if_exists "$1")"
shift

JAVA="$(java_cmd)" || exit 1
CLASSPATH="$(zookeeper_classpath)" || exit 1
HEAP_OPTS="${ZK_HEAP_OPTS:-${KAFKA_HEAP_OPTS:--Xmx512M}}"

mkdir -p "$LOG_DIR"
cd "$KAFKA_HOME" || exit 1
PID_FILE="$LOG_DIR/zookeeper.pid"

# shellcheck disable=SC2086 # HEAP_OPTS holds several JVM flags
set -- $HEAP_OPTS -Dorg.slf4j.simpleLogger.showDateTime=true \
  -Dorg.slf4j.simpleLogger.dateTimeFormat="yyyy-MM-dd HH:mm:ss,SSS" \
  -cp "$CLASSPATH" org.apache.zookeeper.server.quorum.QuorumPeerMain "$CONFIG" "$@"

if [ "$DAEMON" = true ]; then
  nohup "$JAVA" "$@" >"$LOG_DIR/zookeeper.out" 2>&1 </dev/null &
  echo $! >"$PID_FILE"
else
  echo $$ >"$PID_FILE"
  exec "$JAVA" "$@"
fi
