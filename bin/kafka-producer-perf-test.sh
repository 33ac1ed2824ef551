#!/usr/bin/env bash
# Measure producer throughput and latency.
# Runs "build/kafka producer-perf-test" in the caller's directory.
# shellcheck source=bin/.common.sh
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.common.sh"
run_tool producer-perf-test "$@"
