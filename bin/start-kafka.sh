#!/bin/bash
# Start the broker on every node of the cluster over ssh, as the course's
# start-kafka.sh does: each node runs kafka-server-start.sh with its own
# config/server.properties in the background, output discarded.
#
# Overridable by environment:
#   KAFKA_NODES  hosts to visit               (default: "node1 node2 node3")
#   KAFKA_HOME   install path on every node   (default: this repository)
#   KAFKA_SSH    ssh command                  (default: /usr/bin/ssh)
# Local mode (make cluster) runs this very script with an ssh stand-in that
# treats data/node1..data/node3 as the three machines; see docs/lab-cluster.md.
KAFKA_HOME=${KAFKA_HOME:-$(cd -P "$(dirname "$(readlink -f "$0")")/.." && pwd)}
KAFKA_NODES=${KAFKA_NODES:-"node1 node2 node3"}
KAFKA_SSH=${KAFKA_SSH:-/usr/bin/ssh}

# The loop is the course's, unquoted words included; KAFKA_SSH may hold
# options ("ssh -o BatchMode=yes").
# shellcheck disable=SC2086
for host in ${KAFKA_NODES}
do
        echo ${host}
        ${KAFKA_SSH} ${host} "cd ${KAFKA_HOME};source /etc/profile;export JMX_PORT=9988;${KAFKA_HOME}/bin/kafka-server-start.sh ${KAFKA_HOME}/config/server.properties >>/dev/null 2>&1 &"
        echo "${host} started"
done
