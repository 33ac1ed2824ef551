#!/usr/bin/env bash
# Stop every ZooKeeper server on this machine (java processes running
# QuorumPeerMain), as Kafka's script does.
SIGNAL=${SIGNAL:-TERM}
# shellcheck disable=SC2009 # ps|grep on purpose: the same match as Kafka's script
PIDS=$(ps ax -o pid= -o args= | grep java | grep -i QuorumPeerMain | grep -v grep | awk '{print $1}')

if [ -z "$PIDS" ]; then
  echo "No zookeeper server to stop"
  exit 1
else
  # shellcheck disable=SC2086 # one argument per PID
  kill -s "$SIGNAL" $PIDS
fi
