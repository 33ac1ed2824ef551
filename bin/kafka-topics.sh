#!/usr/bin/env bash
# Create, list, describe, alter and delete topics (Kafka's kafka-topics.sh flags).
# Runs "build/kafka topics" in the caller's directory.
# shellcheck source=bin/.common.sh
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.common.sh"
run_tool topics "$@"
