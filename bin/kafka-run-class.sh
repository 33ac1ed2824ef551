#!/usr/bin/env bash
# kafka-run-class.sh [-daemon] [-name servicename] [-loggc] classname [opts]
#
# Kafka's generic launcher, kept for scripts and habits that call it with a
# Kafka class name: each known class maps to a subcommand of build/kafka.
# shellcheck source=bin/.common.sh
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.common.sh"

usage() {
  echo "USAGE: $0 [-daemon] [-name servicename] [-loggc] classname [opts]"
  exit 1
}

DAEMON=""
while [ $# -gt 0 ]; do
  case "$1" in
    -daemon) DAEMON="-daemon"; shift ;;
    -name) [ $# -ge 2 ] || usage; shift 2 ;;
    -loggc) shift ;;
    *) break ;;
  esac
done
[ $# -ge 1 ] || usage

CLASS="$1"
shift
BIN_DIR="$KAFKA_HOME/bin"
case "$CLASS" in
  kafka.Kafka)
    exec "$BIN_DIR/kafka-server-start.sh" $DAEMON "$@" ;;
  org.apache.zookeeper.server.quorum.QuorumPeerMain)
    exec "$BIN_DIR/zookeeper-server-start.sh" $DAEMON "$@" ;;
  org.apache.zookeeper.ZooKeeperMain|org.apache.zookeeper.ZooKeeperMainWithTlsSupportForKafka)
    [ "${1:-}" = "-server" ] && shift
    exec "$BIN_DIR/zookeeper-shell.sh" "$@" ;;
  kafka.admin.TopicCommand) run_tool topics "$@" ;;
  kafka.tools.ConsoleProducer) run_tool console-producer "$@" ;;
  kafka.tools.ConsoleConsumer) run_tool console-consumer "$@" ;;
  kafka.admin.ConsumerGroupCommand) run_tool consumer-groups "$@" ;;
  kafka.tools.DumpLogSegments) run_tool dump-log "$@" ;;
  org.apache.kafka.tools.ProducerPerformance) run_tool producer-perf-test "$@" ;;
  kafka.tools.ConsumerPerformance) run_tool consumer-perf-test "$@" ;;
  kafka.admin.LeaderElectionCommand) run_tool leader-election "$@" ;;
  kafka.admin.ReassignPartitionsCommand) run_tool reassign-partitions "$@" ;;
  kafka.admin.PreferredReplicaLeaderElectionCommand) run_tool preferred-replica-election "$@" ;;
  kafka.admin.DeleteRecordsCommand) run_tool delete-records "$@" ;;
  kafka.admin.LogDirsCommand) run_tool log-dirs "$@" ;;
  kafka.admin.AclCommand) run_tool acls "$@" ;;
  kafka.admin.ConfigCommand) run_tool configs "$@" ;;
  kafka.tools.GetOffsetShell) run_tool get-offsets "$@" ;;
  *)
    echo "Unknown class $CLASS: this broker's tools are kafka.Kafka, kafka.admin.TopicCommand," >&2
    echo "kafka.tools.ConsoleProducer, kafka.tools.ConsoleConsumer, kafka.admin.ConsumerGroupCommand," >&2
    echo "kafka.admin.ConfigCommand, kafka.admin.AclCommand, kafka.tools.DumpLogSegments," >&2
    echo "org.apache.kafka.tools.ProducerPerformance, kafka.tools.ConsumerPerformance," >&2
    echo "kafka.admin.LeaderElectionCommand, kafka.admin.PreferredReplicaLeaderElectionCommand," >&2
    echo "kafka.admin.ReassignPartitionsCommand, kafka.admin.DeleteRecordsCommand," >&2
    echo "kafka.admin.LogDirsCommand and kafka.tools.GetOffsetShell (plus ZooKeeper's QuorumPeerMain and ZooKeeperMain)." >&2
    exit 1 ;;
esac
