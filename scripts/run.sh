#!/usr/bin/env bash
# Starts (or stops) a one-broker development cluster: ZooKeeper on
# localhost:2181 and the broker on localhost:9092, both in the background
# with their data under data/ and their logs under logs/.
# Usage: scripts/run.sh start|stop|status   (make run / make stop)
#
# Processes are tracked by the PID files the start scripts write
# (logs/zookeeper.pid, logs/kafkaServer.pid); a PID only counts when that
# process is still the expected program, so stale files are harmless and
# "start" twice does not start a second copy.
set -euo pipefail

ROOT="$(cd -P "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/lib/zookeeper.sh
. "$ROOT/scripts/lib/zookeeper.sh"
LOG_DIR="${LOG_DIR:-$ROOT/logs}"
export LOG_DIR
ZK_PID_FILE="$LOG_DIR/zookeeper.pid"
BROKER_PID_FILE="$LOG_DIR/kafkaServer.pid"
ZK_HOST=127.0.0.1 ZK_PORT=2181
BROKER_HOST=127.0.0.1 BROKER_PORT=9092

# alive_pid FILE PATTERN prints the PID recorded in FILE if that process
# runs and its command line matches PATTERN.
alive_pid() {
  local pid
  [ -f "$1" ] || return 1
  pid="$(cat "$1" 2>/dev/null)" || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$2" || return 1
  echo "$pid"
}
zk_pid() { alive_pid "$ZK_PID_FILE" 'QuorumPeerMain'; }
broker_pid() { alive_pid "$BROKER_PID_FILE" ' kafka\.Kafka '; }
# started_pid_runs FILE: the process whose PID a start script just wrote is
# still there. No command-line check here: in its first moments the PID is
# the start script's forked shell, which has not exec'd the server yet.
started_pid_runs() {
  local pid
  pid="$(cat "$1" 2>/dev/null)" || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null
}

# four_letter CMD sends a ZooKeeper four-letter command and prints the answer.
four_letter() {
  timeout 3 bash -c "exec 3<>/dev/tcp/$ZK_HOST/$ZK_PORT && printf '%s' '$1' >&3 && cat <&3" 2>/dev/null || true
}
zk_ok() { [ "$(four_letter ruok)" = imok ]; }
port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }

# wait_for SECONDS DESCRIPTION COMMAND... polls COMMAND until it succeeds.
wait_for() {
  local secs="$1" what="$2"
  shift 2
  local deadline=$((SECONDS + secs))
  until "$@"; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "Timed out after ${secs}s waiting for $what." >&2
      return 1
    fi
    sleep 0.5
  done
}

# fail_with_log FILE MESSAGE shows the end of a log and exits.
fail_with_log() {
  echo "$2" >&2
  if [ -f "$1" ]; then
    echo "--- last lines of $1 ---" >&2
    tail -n 25 "$1" >&2
  fi
  exit 1
}

start_zookeeper() {
  if zk_ok; then
    check_zk_data_dir "$ROOT/data/zookeeper" "the single broker" "the three-node cluster (make cluster)" "make cluster-stop"
    echo "ZooKeeper is already running on localhost:$ZK_PORT."
    return
  fi
  if port_open "$ZK_HOST" "$ZK_PORT"; then
    echo "Port $ZK_PORT is taken by something that does not answer ZooKeeper's ruok; stop it first." >&2
    exit 1
  fi
  if ! zk_pid >/dev/null; then
    echo "Starting ZooKeeper (config/zookeeper.properties, log: logs/zookeeper.out) ..."
    bin/zookeeper-server-start.sh -daemon config/zookeeper.properties
  fi
  if ! wait_for 60 "ZooKeeper on port $ZK_PORT" zk_or_died; then
    fail_with_log "$LOG_DIR/zookeeper.out" "ZooKeeper did not start."
  fi
}
zk_or_died() {
  zk_ok && return 0
  started_pid_runs "$ZK_PID_FILE" || fail_with_log "$LOG_DIR/zookeeper.out" "ZooKeeper exited during startup."
  return 1
}

# broker_registered: the broker's ephemeral /brokers/ids/<id> znode exists
# (ZooKeeper's "dump" lists ephemeral nodes). A ZooKeeper not started by us
# may refuse "dump"; then the broker's own "started" log line has to do.
broker_registered() {
  local dump
  dump="$(four_letter dump)"
  if grep -q 'Sessions with Ephemerals' <<<"$dump"; then
    grep -q 'brokers/ids/' <<<"$dump"
  else
    grep -q '\] started (kafka.server.KafkaServer)' "$LOG_DIR/kafkaServer.out" 2>/dev/null
  fi
}
broker_up() { port_open "$BROKER_HOST" "$BROKER_PORT" && broker_registered; }
broker_or_died() {
  broker_up && return 0
  started_pid_runs "$BROKER_PID_FILE" || fail_with_log "$LOG_DIR/kafkaServer.out" "The broker exited during startup."
  return 1
}

start_broker() {
  if broker_pid >/dev/null; then
    echo "The broker is already running (PID $(broker_pid))."
  elif port_open "$BROKER_HOST" "$BROKER_PORT"; then
    echo "Port $BROKER_PORT is already in use by a process not started by make run; leaving it alone." >&2
    exit 1
  else
    echo "Starting the broker (config/server.properties, log: logs/kafkaServer.out, logs/server.log) ..."
    : >"$LOG_DIR/kafkaServer.out" # so an old "started" line cannot count
    bin/kafka-server-start.sh -daemon config/server.properties
  fi
  if ! wait_for 90 "the broker on port $BROKER_PORT to register in ZooKeeper" broker_or_died; then
    fail_with_log "$LOG_DIR/kafkaServer.out" "The broker did not come up."
  fi
}

# stop_process NAME PID_FUNC PID_FILE sends SIGTERM and waits for the exit.
stop_process() {
  local name="$1" pidf="$2" file="$3" pid
  if ! pid="$($pidf)"; then
    echo "$name is not running (no live PID in ${file#"$ROOT"/})."
    rm -f "$file"
    return
  fi
  echo "Stopping $name (PID $pid) ..."
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + 60))
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "$name did not exit within 60s; sending SIGKILL." >&2
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.5
  done
  rm -f "$file"
  echo "$name stopped."
}

print_usage_hints() {
  cat <<'HINTS'

Kafka is running. Bootstrap server: localhost:9092   (ZooKeeper: localhost:2181)

Try it:
  bin/kafka-topics.sh --bootstrap-server localhost:9092 --create --topic quickstart --partitions 3 --replication-factor 1
  bin/kafka-console-producer.sh --bootstrap-server localhost:9092 --topic quickstart
  bin/kafka-console-consumer.sh --bootstrap-server localhost:9092 --topic quickstart --from-beginning

Logs are in logs/, data in data/. Stop everything with: make stop
HINTS
}

case "${1:-}" in
  start)
    mkdir -p "$LOG_DIR"
    start_zookeeper
    start_broker
    print_usage_hints
    ;;
  stop)
    stop_process "Kafka broker" broker_pid "$BROKER_PID_FILE"
    stop_process "ZooKeeper" zk_pid "$ZK_PID_FILE"
    ;;
  status)
    if pid="$(zk_pid)"; then echo "ZooKeeper: running (PID $pid)"; else echo "ZooKeeper: not running"; fi
    if pid="$(broker_pid)"; then echo "Broker: running (PID $pid)"; else echo "Broker: not running"; fi
    ;;
  *)
    echo "usage: $0 start|stop|status" >&2
    exit 2
    ;;
esac
