#!/bin/bash
# Stop the broker on every node of the cluster over ssh, as the course's
# stop-kafka.sh does: each node runs kafka-server-stop.sh, which sends
# SIGTERM, so each broker moves its leaderships away (controlled shutdown)
# before it exits. It may take a few seconds until the processes are gone.
#
# Overridable by environment, as for start-kafka.sh:
#   KAFKA_NODES (default "node1 node2 node3"), KAFKA_HOME (default: this
#   repository), KAFKA_SSH (default /usr/bin/ssh).
KAFKA_HOME=${KAFKA_HOME:-$(cd -P "$(dirname "$(readlink -f "$0")")/.." && pwd)}
KAFKA_NODES=${KAFKA_NODES:-"node1 node2 node3"}
KAFKA_SSH=${KAFKA_SSH:-/usr/bin/ssh}

# The loop is the course's, unquoted words included; KAFKA_SSH may hold
# options ("ssh -o BatchMode=yes").
# shellcheck disable=SC2086
for host in ${KAFKA_NODES}
do
  echo ${host}
  ${KAFKA_SSH} ${host} "cd ${KAFKA_HOME};source /etc/profile;${KAFKA_HOME}/bin/kafka-server-stop.sh"
  # (sic) the course's script prints "stoped"
  echo "${host} stoped"
done
