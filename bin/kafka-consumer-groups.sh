#!/usr/bin/env bash
# List, describe, reset and delete consumer groups.
# Runs "build/kafka consumer-groups" in the caller's directory.
# shellcheck source=bin/.common.sh
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.common.sh"
run_tool consumer-groups "$@"
