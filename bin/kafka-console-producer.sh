#!/usr/bin/env bash
# Read lines from standard input and produce them to a topic.
# Runs "build/kafka console-producer" in the caller's directory.
# shellcheck source=bin/.common.sh
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.common.sh"
run_tool console-producer "$@"
