#!/usr/bin/env bash
# Consume a topic and print its records to standard output.
# Runs "build/kafka console-consumer" in the caller's directory.
# shellcheck source=bin/.common.sh
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.common.sh"
run_tool console-consumer "$@"
