#!/usr/bin/env bash
# Delete records below an offset per partition (Kafka's kafka-delete-records.sh flags).
# Runs "build/kafka delete-records" in the caller's directory.
# shellcheck source=bin/.common.sh
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.common.sh"
run_tool delete-records "$@"
