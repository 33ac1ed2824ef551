# shellcheck shell=bash
# Shared by the scripts in bin/ (sourced, not run): locates the repository
# from the script's own path, so the scripts work from any directory and
# through symlinks, and builds build/kafka on first use.

KAFKA_HOME="$(cd -P "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
KAFKA_BIN="$KAFKA_HOME/build/kafka"
export KAFKA_HOME

# Logs of daemons (and the broker's server.log) go here, as with Kafka's
# kafka-run-class.sh.
LOG_DIR="${LOG_DIR:-$KAFKA_HOME/logs}"
export LOG_DIR

# Go as installed by the official tarball, if it is not on PATH already.
case ":$PATH:" in
  *:/usr/local/go/bin:*) ;;
  *) PATH="$PATH:/usr/local/go/bin" ;;
esac

# Debian's ZooKeeper package.
ZK_JAR=/usr/share/java/zookeeper.jar

# ensure_kafka_binary builds build/kafka when it is missing. A lock keeps
# scripts started at the same moment from building over each other.
ensure_kafka_binary() {
  [ -x "$KAFKA_BIN" ] && return 0
  if ! command -v go >/dev/null 2>&1; then
    echo "Go is needed to build $KAFKA_BIN (expected in /usr/local/go/bin or on PATH)." >&2
    exit 1
  fi
  mkdir -p "$KAFKA_HOME/build"
  (
    cd "$KAFKA_HOME" || exit 1
    if command -v flock >/dev/null 2>&1; then
      exec 9>"$KAFKA_HOME/build/.build.lock"
      flock 9
    fi
    [ -x "$KAFKA_BIN" ] && exit 0
    echo "Building $KAFKA_BIN ..." >&2
    go build -o "$KAFKA_BIN.tmp.$$" ./core/cmd/kafka && mv -f "$KAFKA_BIN.tmp.$$" "$KAFKA_BIN"
  ) || { rm -f "$KAFKA_BIN.tmp."*; echo "Build of $KAFKA_BIN failed." >&2; exit 1; }
}

# run_tool execs one subcommand of the kafka binary in the caller's working
# directory (tools take paths relative to where they are run).
run_tool() {
  ensure_kafka_binary
  exec "$KAFKA_BIN" "$@"
}

# absolute_if_exists prints $1 as an absolute path when it names an existing
# file relative to the current directory, otherwise $1 unchanged; daemons
# run from the repository root, so caller-relative paths must be fixed first.
absolute_if_exists() {
  if [ -e "$1" ]; then
    readlink -f "$1"
  else
    printf '%s\n' "$1"
  fi
}

# java_cmd prints the java executable, preferring $JAVA_HOME.
java_cmd() {
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then
    printf '%s\n' "$JAVA_HOME/bin/java"
  elif command -v java >/dev/null 2>&1; then
    command -v java
  else
    echo "Java is needed for ZooKeeper; install it with scripts/install-deps.sh run (Debian: default-jre-headless)." >&2
    return 1
  fi
}

# zookeeper_classpath prints the class path for Debian's ZooKeeper jars; the
# jar's manifest pulls in its own dependencies, slf4j-simple adds logging.
zookeeper_classpath() {
  if [ ! -f "$ZK_JAR" ]; then
    echo "ZooKeeper not found at $ZK_JAR; install it with scripts/install-deps.sh run (Debian package: zookeeper)." >&2
    return 1
  fi
  local cp="$ZK_JAR"
  if [ -f /usr/share/java/slf4j-simple.jar ]; then
    cp="$cp:/usr/share/java/slf4j-simple.jar"
  fi
  printf '%s\n' "$cp"
}
