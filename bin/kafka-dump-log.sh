#!/usr/bin/env bash
# Print the contents of log segment, index and time index files.
# Runs "build/kafka dump-log" in the caller's directory.
# shellcheck source=bin/.common.sh
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.common.sh"
run_tool dump-log "$@"
