#!/usr/bin/env bash
# Elect preferred or unclean partition leaders (Kafka's kafka-leader-election.sh flags).
# Runs "build/kafka leader-election" in the caller's directory.
# shellcheck source=bin/.common.sh
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.common.sh"
run_tool leader-election "$@"
