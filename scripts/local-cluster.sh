#!/usr/bin/env bash
# Local mode of the course's three-node cluster: node1, node2 and node3 run
# on this machine as 127.0.0.1, 127.0.0.2 and 127.0.0.3 (port 9092 each,
# broker.id 1-3), with ZooKeeper on localhost:2181.
# Usage: scripts/local-cluster.sh configure|start|stop|status
#        (make cluster / make cluster-stop / make cluster-status)
#
# Each node is a directory data/nodeN laid out like the course's Kafka
# install on that machine:
#   bin/                     links to the repository's bin/ scripts
#   config/server.properties config/server.properties with only the lines
#                            the course edits per node changed
#   kafka-logs/              log.dirs
#   logs/                    LOG_DIR: server.log, kafkaServer.pid
# start and stop run bin/start-kafka.sh and bin/stop-kafka.sh unmodified,
# with KAFKA_HOME=. and KAFKA_SSH=scripts/local-node/ssh, a stand-in for
# ssh that runs the command inside the node's directory (like ssh runs it
# in the remote home directory). See docs/lab-cluster.md.
#
# Environment (all optional):
#   KAFKA_NODES        node names (default "node1 node2 node3"); nodeN gets
#                      broker.id N and host 127.0.0.N
#   KAFKA_PORT         port of every node (default 9092)
#   KAFKA_CLUSTER_DIR  where the node directories go (default data/)
#   KAFKA_ZK_CONNECT   an existing ZooKeeper to use; when unset, a local
#                      ZooKeeper (config/zookeeper.properties with the
#                      cluster's own dataDir) is started and stopped again
#                      by "stop", as make run does
#   KAFKA_ZK_PORT      that local ZooKeeper's port (default 2181)
set -euo pipefail

ROOT="$(cd -P "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/lib/zookeeper.sh
. "$ROOT/scripts/lib/zookeeper.sh"
LOG_DIR="${LOG_DIR:-$ROOT/logs}"
export LOG_DIR
NODES="${KAFKA_NODES:-node1 node2 node3}"
PORT="${KAFKA_PORT:-9092}"
CLUSTER_DIR="${KAFKA_CLUSTER_DIR:-$ROOT/data}"
SSH_SHIM="$ROOT/scripts/local-node/ssh"
ZK_PID_FILE="$LOG_DIR/zookeeper.pid"
ZK_HOST=127.0.0.1 ZK_PORT="${KAFKA_ZK_PORT:-2181}"
# The cluster keeps its ZooKeeper data apart from make run's single broker
# (data/zookeeper): topics and __consumer_offsets placed on broker 0 would
# otherwise be offline in the cluster (and the cluster's on broker 0).
ZK_DATA_DIR="$CLUSTER_DIR/zookeeper-cluster"
ZK_CONFIG="$CLUSTER_DIR/zookeeper-cluster.properties"
BASE_CONFIG="$ROOT/config/server.properties"
declare -A LOG_START=()

# node_number NAME prints the number in a node's name (node2 -> 2); it is
# the broker id and the last byte of the node's loopback address.
node_number() {
  local n="${1//[!0-9]/}"
  if [ -z "$n" ] || [ "$n" -lt 1 ] || [ "$n" -gt 254 ]; then
    echo "Node name $1 needs a number 1-254 in it (node1, node2, ...)." >&2
    exit 2
  fi
  echo "$((10#$n))"
}
node_host() { echo "127.0.0.$(node_number "$1")"; }
node_home() { echo "$CLUSTER_DIR/$1"; }

# alive_pid FILE PATTERN prints the PID recorded in FILE if that process
# runs and its command line contains PATTERN (a fixed string).
alive_pid() {
  local pid
  [ -f "$1" ] || return 1
  pid="$(cat "$1" 2>/dev/null)" || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$2" || return 1
  echo "$pid"
}
# node_pid NODE: the node's broker, as recorded by kafka-server-start.sh.
node_pid() {
  local home
  home="$(node_home "$1")"
  [ -d "$home" ] || return 1
  home="$(cd -P "$home" && pwd)"
  alive_pid "$home/logs/kafkaServer.pid" " kafka.Kafka $home/config/server.properties"
}
zk_pid() { alive_pid "$ZK_PID_FILE" 'QuorumPeerMain'; }
single_broker_pid() { alive_pid "$LOG_DIR/kafkaServer.pid" ' kafka.Kafka '; }

four_letter() {
  timeout 3 bash -c "exec 3<>/dev/tcp/$ZK_HOST/$ZK_PORT && printf '%s' '$1' >&3 && cat <&3" 2>/dev/null || true
}
zk_ok() { [ "$(four_letter ruok)" = imok ]; }
port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }

# base_value KEY prints KEY's value in config/server.properties.
base_value() { sed -n "s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*//p" "$BASE_CONFIG" | tail -n 1; }

# write_node_config NODE writes the node's server.properties: the shipped
# file with the course's per-node edits (broker.id, log.dirs,
# zookeeper.connect, plus delete.topic.enable and host.name appended).
# The shipped file sets listeners, which wins over host.name, so the
# listener's host becomes the node's address as well.
write_node_config() {
  local node="$1" id host home logdirs zk
  id="$(node_number "$node")"
  host="$(node_host "$node")"
  home="$(node_home "$node")"
  logdirs="$home/kafka-logs"
  # Inside the repository, keep log.dirs relative like the shipped file
  # (brokers run from the repository root).
  case "$logdirs" in "$ROOT"/*) logdirs="${logdirs#"$ROOT"/}" ;; esac
  zk="${KAFKA_ZK_CONNECT:-$(base_value zookeeper.connect)}"
  if [ -z "${KAFKA_ZK_CONNECT:-}" ] && [ -n "${KAFKA_ZK_PORT:-}" ]; then
    zk="localhost:$ZK_PORT"
  fi
  awk -v id="$id" -v host="$host" -v port="$PORT" -v logdirs="$logdirs" -v zk="$zk" -v node="$node" '
    BEGIN {
      print "# " node " of the local three-node cluster, written by scripts/local-cluster.sh"
      print "# from config/server.properties; changed per node as in the course:"
      print "# broker.id, listeners (host), log.dirs, zookeeper.connect, and the"
      print "# two lines appended at the end. Edit config/server.properties instead."
      print ""
    }
    /^[[:space:]]*broker\.id[[:space:]]*=/         { print "broker.id=" id; seen["id"] = 1; next }
    /^[[:space:]]*listeners[[:space:]]*=/          { print "listeners=PLAINTEXT://" host ":" port; seen["l"] = 1; next }
    /^[[:space:]]*log\.dirs[[:space:]]*=/          { print "log.dirs=" logdirs; seen["d"] = 1; next }
    /^[[:space:]]*zookeeper\.connect[[:space:]]*=/ { print "zookeeper.connect=" zk; seen["z"] = 1; next }
    /^[[:space:]]*(delete\.topic\.enable|host\.name)[[:space:]]*=/ { next }
    { print }
    END {
      if (!seen["id"]) print "broker.id=" id
      if (!seen["l"]) print "listeners=PLAINTEXT://" host ":" port
      if (!seen["d"]) print "log.dirs=" logdirs
      if (!seen["z"]) print "zookeeper.connect=" zk
      print ""
      print "# Appended on every node, as the course does."
      print "delete.topic.enable=true"
      print "host.name=" host
    }' "$BASE_CONFIG" >"$home/config/server.properties.tmp"
  mv -f "$home/config/server.properties.tmp" "$home/config/server.properties"
}

# configure_node NODE lays out the node's directory (see the header).
configure_node() {
  local node="$1" home f
  home="$(node_home "$node")"
  mkdir -p "$home/config" "$home/kafka-logs" "$home/logs"
  rm -rf "${home:?}/bin"
  mkdir "$home/bin"
  for f in "$ROOT"/bin/*.sh; do
    ln -s "$f" "$home/bin/"
  done
  # The machines share one process table here, so the node's stop script
  # must stop only its own broker (Kafka's signals every broker it sees).
  ln -sfn "$ROOT/scripts/local-node/kafka-server-stop.sh" "$home/bin/kafka-server-stop.sh"
  for f in "$ROOT"/config/*; do
    [ "$(basename "$f")" = server.properties ] && continue
    ln -sfn "$f" "$home/config/"
  done
  write_node_config "$node"
}

# configure NODE... lays out the given nodes that are not running.
configure() {
  local node
  for node in "$@"; do
    if node_pid "$node" >/dev/null; then
      echo "$node is running; leaving $(node_home "$node")/config/server.properties as it is."
      continue
    fi
    configure_node "$node"
    echo "$node: $(node_home "$node") (broker.id=$(node_number "$node"), $(node_host "$node"):$PORT)"
  done
}

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

fail_with_log() {
  echo "$2" >&2
  if [ -f "$1" ]; then
    echo "--- last lines of $1 ---" >&2
    tail -n 25 "$1" >&2
  fi
  exit 1
}

start_zookeeper() {
  if [ -n "${KAFKA_ZK_CONNECT:-}" ]; then
    echo "Using the ZooKeeper at $KAFKA_ZK_CONNECT."
    return
  fi
  if zk_ok; then
    check_zk_data_dir "$ZK_DATA_DIR" "this set-up" "make run's single broker" "make stop" \
      "or set KAFKA_ZK_CONNECT=localhost:$ZK_PORT to share it anyway."
    echo "ZooKeeper is already running on localhost:$ZK_PORT."
    return
  fi
  if port_open "$ZK_HOST" "$ZK_PORT"; then
    echo "Port $ZK_PORT is taken by something that does not answer ZooKeeper's ruok; stop it first." >&2
    exit 1
  fi
  if ! zk_pid >/dev/null; then
    adopt_shared_zk_data
    write_zk_config
    echo "Starting ZooKeeper (${ZK_CONFIG#"$ROOT"/}, data in ${ZK_DATA_DIR#"$ROOT"/}, log: logs/zookeeper.out) ..."
    bin/zookeeper-server-start.sh -daemon "$ZK_CONFIG"
  fi
  wait_for 60 "ZooKeeper on port $ZK_PORT" zk_or_died ||
    fail_with_log "$LOG_DIR/zookeeper.out" "ZooKeeper did not start."
}
# write_zk_config writes config/zookeeper.properties with the cluster's
# own dataDir (and port).
write_zk_config() {
  mkdir -p "$CLUSTER_DIR"
  {
    echo "# config/zookeeper.properties with the three-node cluster's dataDir (scripts/local-cluster.sh)"
    grep -v -E '^[[:space:]]*(dataDir|clientPort)[[:space:]]*=' "$ROOT/config/zookeeper.properties"
    echo "dataDir=$ZK_DATA_DIR"
    echo "clientPort=$ZK_PORT"
  } > "$ZK_CONFIG"
}

# adopt_shared_zk_data: nodes set up when the cluster shared make run's
# ZooKeeper data (data/zookeeper) carry that ZooKeeper's cluster id in
# meta.properties and would refuse a fresh one; their first start with a
# ZooKeeper of their own begins from a copy of the shared data.
adopt_shared_zk_data() {
  local shared="$ROOT/data/zookeeper" node
  [ ! -e "$ZK_DATA_DIR" ] && [ -d "$shared/version-2" ] || return 0
  for node in $NODES; do
    if [ -f "$(node_home "$node")/kafka-logs/meta.properties" ]; then
      echo "The nodes' data was made with the ZooKeeper data in ${shared#"$ROOT"/} (shared with make run then); copying it to ${ZK_DATA_DIR#"$ROOT"/}."
      cp -a "$shared" "$ZK_DATA_DIR"
      return 0
    fi
  done
}

zk_or_died() {
  zk_ok && return 0
  started_pid_runs "$ZK_PID_FILE" || fail_with_log "$LOG_DIR/zookeeper.out" "ZooKeeper exited during startup."
  return 1
}
# started_pid_runs FILE: the process whose PID a start script just wrote is
# still there. No command-line check here: in its first moments the PID is
# the start script's forked shell, which has not exec'd the server yet.
started_pid_runs() {
  local pid
  pid="$(cat "$1" 2>/dev/null)" || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null
}

# node_registered NODE: /brokers/ids/<id> exists (ZooKeeper's dump lists
# ephemeral znodes); with a ZooKeeper that refuses dump, the node's own
# "started" line has to do.
node_registered() {
  local id dump
  id="$(node_number "$1")"
  dump="$(four_letter dump)"
  if [ -z "${KAFKA_ZK_CONNECT:-}" ] && grep -q 'Sessions with Ephemerals' <<<"$dump"; then
    grep -q "/brokers/ids/$id\$" <<<"$dump"
  else
    tail -c +"$((${LOG_START[$1]:-0} + 1))" "$(node_home "$1")/logs/server.log" 2>/dev/null |
      grep -q "\[KafkaServer id=$id\] started"
  fi
}
node_up_or_died() {
  # The PID file appears once the backgrounded start script runs.
  [ -f "$(node_home "$1")/logs/kafkaServer.pid" ] || return 1
  started_pid_runs "$(node_home "$1")/logs/kafkaServer.pid" ||
    fail_with_log "$(node_home "$1")/logs/server.log" "$1 exited during startup."
  port_open "$(node_host "$1")" "$PORT" && node_registered "$1"
}

# bootstrap prints the nodes' addresses, comma separated.
bootstrap() {
  local node out=""
  for node in $NODES; do
    out="${out:+$out,}$(node_host "$node"):$PORT"
  done
  echo "$out"
}

start() {
  local node missing=() pid
  mkdir -p "$LOG_DIR"
  if pid="$(single_broker_pid)"; then
    echo "The single broker of make run is running (PID $pid) on localhost:9092, node1's address; stop it with make stop first." >&2
    exit 1
  fi
  for node in $NODES; do
    if pid="$(node_pid "$node")"; then
      echo "$node is already running (PID $pid)."
    elif port_open "$(node_host "$node")" "$PORT"; then
      echo "$(node_host "$node"):$PORT ($node) is in use by a process not started here; stop it first." >&2
      exit 1
    else
      missing+=("$node")
    fi
  done
  start_zookeeper
  if [ ${#missing[@]} -gt 0 ]; then
    # shellcheck source=bin/.common.sh
    # shellcheck source=bin/.common.sh
    (. "$ROOT/bin/.common.sh" && ensure_kafka_binary)
    configure "${missing[@]}"
    for node in "${missing[@]}"; do
      rm -f "$(node_home "$node")/logs/kafkaServer.pid"
      # Only this start's "started" line counts (server.log is appended to).
      LOG_START[$node]="$(stat -c %s "$(node_home "$node")/logs/server.log" 2>/dev/null || echo 0)"
    done
    echo "bin/start-kafka.sh (KAFKA_HOME=. KAFKA_SSH=scripts/local-node/ssh KAFKA_NODES=\"${missing[*]}\"):"
    KAFKA_HOME=. KAFKA_SSH="$SSH_SHIM" KAFKA_NODES="${missing[*]}" bin/start-kafka.sh
  fi
  for node in "${missing[@]}"; do
    wait_for 90 "$node to serve on $(node_host "$node"):$PORT and register in ZooKeeper" node_up_or_died "$node" ||
      fail_with_log "$(node_home "$node")/logs/server.log" "$node did not come up."
    echo "$node is up (PID $(node_pid "$node"), $(node_host "$node"):$PORT)."
  done
  cat <<HINTS

The three-node cluster is running. Bootstrap servers: $(bootstrap)

Try the course's commands (node1:9092,... becomes the addresses above):
  bin/kafka-topics.sh --create --topic bigdata01 --partitions 3 --replication-factor 2 --bootstrap-server $(bootstrap)
  bin/kafka-topics.sh --describe --topic bigdata01 --bootstrap-server $(bootstrap)

Node logs are in $(node_home node1 | sed "s|^$ROOT/||")/logs/ (and node2, node3). Stop with: make cluster-stop
HINTS
}

stop() {
  local node running=() pid
  declare -A pids=()
  for node in $NODES; do
    if pid="$(node_pid "$node")"; then
      running+=("$node")
      pids[$node]="$pid"
    fi
  done
  if [ ${#running[@]} -gt 0 ]; then
    echo "bin/stop-kafka.sh (KAFKA_HOME=. KAFKA_SSH=scripts/local-node/ssh KAFKA_NODES=\"${running[*]}\"):"
    KAFKA_HOME=. KAFKA_SSH="$SSH_SHIM" KAFKA_NODES="${running[*]}" bin/stop-kafka.sh
  else
    echo "No node of the local cluster is running."
  fi
  # Controlled shutdown moves leaderships first, so an exit may take a while.
  for node in "${running[@]}"; do
    pid="${pids[$node]}"
    local deadline=$((SECONDS + 90))
    while kill -0 "$pid" 2>/dev/null; do
      if [ "$SECONDS" -ge "$deadline" ]; then
        echo "$node (PID $pid) did not exit within 90s of SIGTERM; sending SIGKILL." >&2
        kill -KILL "$pid" 2>/dev/null || true
        break
      fi
      sleep 0.5
    done
    echo "$node stopped."
  done
  if [ -z "${KAFKA_ZK_CONNECT:-}" ] && pid="$(zk_pid)"; then
    if single_broker_pid >/dev/null; then
      echo "Leaving ZooKeeper running: make run's broker uses it."
      return
    fi
    echo "Stopping ZooKeeper (PID $pid) ..."
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + 60))
    while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    rm -f "$ZK_PID_FILE"
    echo "ZooKeeper stopped."
  fi
}

status() {
  local node pid
  if pid="$(zk_pid)"; then echo "ZooKeeper: running (PID $pid)"; else echo "ZooKeeper: not running (by this checkout)"; fi
  for node in $NODES; do
    if pid="$(node_pid "$node")"; then
      echo "$node: running (PID $pid, $(node_host "$node"):$PORT, broker.id=$(node_number "$node"))"
    else
      echo "$node: not running"
    fi
  done
}

case "${1:-}" in
  configure)
    # shellcheck disable=SC2086 # one node per word
    configure $NODES
    ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  *)
    echo "usage: $0 configure|start|stop|status" >&2
    exit 2
    ;;
esac
