#!/usr/bin/env bash
# Describe the brokers' log directories (Kafka's kafka-log-dirs.sh flags).
# Runs "build/kafka log-dirs" in the caller's directory.
# shellcheck source=bin/.common.sh
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.common.sh"
run_tool log-dirs "$@"
