#!/usr/bin/env bash
# ZooKeeper command line client: zookeeper-shell.sh host:port[/chroot] [command args...]
# e.g. bin/zookeeper-shell.sh localhost:2181 ls /brokers/ids
# Without a command it is interactive. Uses Debian's ZooKeeper client.
# shellcheck source=bin/.common.sh
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.common.sh"

if [ $# -lt 1 ]; then
  echo "USAGE: $0 zookeeper_host:port[/path] [args...]"
  exit 1
fi

JAVA="$(java_cmd)" || exit 1
CLASSPATH="$(zookeeper_classpath)" || exit 1
exec "$JAVA" -Xmx256M -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  -Dorg.slf4j.simpleLogger.log.org.apache.zookeeper.util.ServiceUtils=off -cp "$CLASSPATH" \
  org.apache.zookeeper.ZooKeeperMain -server "$@"
