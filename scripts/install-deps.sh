#!/usr/bin/env bash
# Installs what "make run" / "make test" need on Debian, only if missing:
#   run:  ZooKeeper (Debian package "zookeeper") and a Java runtime for it
#   test: the above plus the client libraries the integration tests drive
#         the broker with: kafka-python, confluent-kafka (librdkafka), kcat
# Usage: scripts/install-deps.sh run|test
# Works as root, or through sudo when available.
set -euo pipefail

MODE="${1:-run}"
case "$MODE" in
  run|test) ;;
  *) echo "usage: $0 run|test" >&2; exit 2 ;;
esac

missing=()
has_java() { command -v java >/dev/null 2>&1 || [ -x "${JAVA_HOME:-/nonexistent}/bin/java" ]; }
# Debian's python3-* packages serve /usr/bin/python3 (an earlier python3 on
# PATH, e.g. pyenv, does not see them); the tests use that interpreter.
PYTHON=/usr/bin/python3
[ -x "$PYTHON" ] || PYTHON=python3
has_python_module() { "$PYTHON" -c "import $1" >/dev/null 2>&1; }

[ -f /usr/share/java/zookeeper.jar ] || missing+=(zookeeper)
has_java || missing+=(default-jre-headless)
if [ "$MODE" = test ]; then
  has_python_module kafka || missing+=(python3-kafka)
  has_python_module confluent_kafka || missing+=(python3-confluent-kafka)
  command -v kcat >/dev/null 2>&1 || missing+=(kcat)
fi

if ! PATH="$PATH:/usr/local/go/bin" command -v go >/dev/null 2>&1; then
  echo "Go is not installed: put Go (1.26 or newer) in /usr/local/go (https://go.dev/dl/)." >&2
  exit 1
fi

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "Installing missing packages: ${missing[*]}"
if ! command -v apt-get >/dev/null 2>&1; then
  echo "apt-get not found; please install these Debian packages (or equivalents) yourself: ${missing[*]}" >&2
  exit 1
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    echo "Not root and sudo is not available; as root run: apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

# Wait for another apt/dpkg run instead of failing on its lock.
APT_OPTS=(-o DPkg::Lock::Timeout=600 -o Acquire::Retries=3)
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get "${APT_OPTS[@]}" update
"${SUDO[@]}" apt-get "${APT_OPTS[@]}" install -y --no-install-recommends "${missing[@]}"
