#!/usr/bin/env bash
# Print earliest, latest or by-timestamp offsets of a topic's partitions
# (Kafka's kafka.tools.GetOffsetShell flags).
# Runs "build/kafka get-offsets" in the caller's directory.
# shellcheck source=bin/.common.sh
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.common.sh"
run_tool get-offsets "$@"
