#!/usr/bin/env bash
# Describe and alter topic, broker, user and client configs (Kafka's kafka-configs.sh flags).
# Runs "build/kafka configs" in the caller's directory.
# shellcheck source=bin/.common.sh
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.common.sh"
run_tool configs "$@"
