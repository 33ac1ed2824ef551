#!/usr/bin/env bash
# The test suite behind "make test": unit tests (with the fuzz targets'
# seed corpora) of every package, then the integration tests, which start
# real ZooKeeper servers and brokers on 127.0.0.1 and drive them with
# kafka-python, confluent-kafka, kcat and franz-go.
set -euo pipefail

ROOT="$(cd -P "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
cd "$ROOT"
export PATH="/usr/local/go/bin:$PATH"

# Packages are tested one at a time: the machine may have few cores and
# several packages start ZooKeeper and brokers.
echo "== unit tests"
go test -p 1 -count=1 -timeout 20m ./core/... ./zkutil/...

if go list ./integration/... 2>/dev/null | grep -q .; then
  echo "== integration tests"
  go test -p 1 -count=1 -timeout 25m ./integration/...
else
  echo "== integration tests: none found under integration/"
fi
