#!/usr/bin/env bash
# Add, remove and list ACLs (Kafka's kafka-acls.sh flags, --bootstrap-server).
# Runs "build/kafka acls" in the caller's directory.
# shellcheck source=bin/.common.sh
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.common.sh"
run_tool acls "$@"
