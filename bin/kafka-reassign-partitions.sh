#!/usr/bin/env bash
# Move partition replicas between brokers (Kafka's kafka-reassign-partitions.sh flags).
# Runs "build/kafka reassign-partitions" in the caller's directory.
# shellcheck source=bin/.common.sh
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.common.sh"
run_tool reassign-partitions "$@"
