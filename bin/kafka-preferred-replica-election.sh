#!/usr/bin/env bash
# Deprecated: move leadership back to preferred replicas (Kafka's kafka-preferred-replica-election.sh).
# Runs "build/kafka preferred-replica-election" in the caller's directory.
# shellcheck source=bin/.common.sh
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.common.sh"
run_tool preferred-replica-election "$@"
