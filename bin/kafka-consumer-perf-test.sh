#!/usr/bin/env bash
# Measure consumer throughput.
# Runs "build/kafka consumer-perf-test" in the caller's directory.
# shellcheck source=bin/.common.sh
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.common.sh"
run_tool consumer-perf-test "$@"
