"""Drives confluent-kafka-python (librdkafka) for the compatibility tests.

Input (stdin, JSON): {"mode": "produce"|"consume"|"admin", "bootstrap": "host:port", ...}
  produce: "config": {extra producer settings}, "records": [{"topic", "key", "value",
           "partition" (optional), "headers": {k: v} (optional)}]
  consume: "topic", "group", "count", "config": {extra consumer settings}
  admin:   "topic"
Output (stdout, JSON): a mode-specific object; errors carry the librdkafka
error name (e.g. "TOPIC_ALREADY_EXISTS") so the Go side can assert on it.
"""
import json
import os
import sys
import time

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, NewPartitions, NewTopic


def err_name(e):
    if e is None:
        return None
    if isinstance(e, KafkaException):
        e = e.args[0]
    if isinstance(e, KafkaError):
        return e.name()
    return repr(e)


def dec(b):
    return None if b is None else b.decode("utf-8")


def produce(spec):
    conf = {"bootstrap.servers": spec["bootstrap"], "linger.ms": 5,
            "message.timeout.ms": 20000, "socket.timeout.ms": 10000}
    conf.update(spec.get("config") or {})
    p = Producer(conf)
    results = [None] * len(spec["records"])

    def cb(i):
        def on_delivery(err, msg):
            results[i] = {"error": err_name(err), "partition": msg.partition(),
                          "offset": msg.offset(), "topic": msg.topic(),
                          "timestamp": list(msg.timestamp())}
        return on_delivery

    for i, r in enumerate(spec["records"]):
        kwargs = {"value": r["value"], "key": r.get("key"), "on_delivery": cb(i)}
        if r.get("partition") is not None:
            kwargs["partition"] = r["partition"]
        if r.get("headers"):
            kwargs["headers"] = list(r["headers"].items())
        p.produce(r["topic"], **kwargs)
        p.poll(0)
    left = p.flush(30)
    return {"results": results, "undelivered": left}


def consume(spec):
    conf = {"bootstrap.servers": spec["bootstrap"], "group.id": spec["group"],
            "auto.offset.reset": "earliest", "enable.auto.commit": False,
            "session.timeout.ms": 6000, "heartbeat.interval.ms": 500}
    conf.update(spec.get("config") or {})
    c = Consumer(conf)
    assigned = []

    def on_assign(consumer, partitions):
        assigned.extend(p.partition for p in partitions)

    c.subscribe([spec["topic"]], on_assign=on_assign)
    msgs, errors = [], []
    deadline = time.time() + spec.get("timeout", 20)
    while len(msgs) < spec["count"] and time.time() < deadline:
        m = c.poll(0.5)
        if m is None:
            continue
        if m.error():
            errors.append(err_name(m.error()))
            continue
        msgs.append({"partition": m.partition(), "offset": m.offset(), "key": dec(m.key()),
                     "value": dec(m.value()),
                     "headers": {k: dec(v) for k, v in (m.headers() or [])}})
    commit_error = None
    if spec.get("exit_without_close"):
        # A member that dies: no commit, no LeaveGroup; the coordinator
        # must notice through the missed heartbeats (session timeout).
        json.dump({"messages": msgs, "errors": errors, "assigned": sorted(set(assigned)),
                   "commit_error": None, "committed": {}}, sys.stdout)
        sys.stdout.flush()
        os._exit(0)
    try:
        c.commit(asynchronous=False)
    except KafkaException as e:
        commit_error = err_name(e)
    parts = [TopicPartition(spec["topic"], p) for p in sorted(set(assigned))]
    committed = {}
    for tp in c.committed(parts, timeout=10):
        committed[str(tp.partition)] = tp.offset
    c.close()
    return {"messages": msgs, "errors": errors, "assigned": sorted(set(assigned)),
            "commit_error": commit_error, "committed": committed}


def wait_futures(fs):
    out = {}
    for k, f in fs.items():
        try:
            f.result(timeout=30)
            out[str(k)] = None
        except Exception as e:  # noqa: BLE001 - report every failure by name
            out[str(k)] = err_name(e)
    return out


def admin(spec):
    a = AdminClient({"bootstrap.servers": spec["bootstrap"], "socket.timeout.ms": 10000})
    t = spec["topic"]
    out = {}
    out["create"] = wait_futures(a.create_topics(
        [NewTopic(t, num_partitions=2, replication_factor=1, config={"retention.ms": "3600000"})],
        operation_timeout=20))
    out["create_again"] = wait_futures(a.create_topics(
        [NewTopic(t, num_partitions=2, replication_factor=1)], operation_timeout=20))
    out["create_rf3"] = wait_futures(a.create_topics(
        [NewTopic(t + "-rf3", num_partitions=1, replication_factor=3)], operation_timeout=20))
    out["create_validate_only"] = wait_futures(a.create_topics(
        [NewTopic(t + "-validate", num_partitions=1, replication_factor=1)], validate_only=True))

    md = a.list_topics(timeout=10)
    out["brokers"] = sorted(md.brokers.keys())
    out["controller_id"] = md.controller_id
    out["topics"] = {name: {"partitions": len(tm.partitions), "error": err_name(tm.error),
                            "leaders": sorted(p.leader for p in tm.partitions.values())}
                     for name, tm in md.topics.items()}

    res = ConfigResource("topic", t)
    configs = {}
    for r, f in a.describe_configs([res]).items():
        try:
            for name, e in f.result(timeout=20).items():
                configs[name] = {"value": e.value, "is_default": e.is_default, "source": e.source,
                                 "read_only": e.is_read_only}
        except Exception as e:  # noqa: BLE001
            out["describe_configs_error"] = err_name(e)
    out["configs"] = configs

    broker_configs = {}
    for r, f in a.describe_configs([ConfigResource("broker", "1")]).items():
        try:
            for name, e in f.result(timeout=20).items():
                broker_configs[name] = [e.value, e.source, e.is_read_only]
        except Exception as e:  # noqa: BLE001
            out["describe_broker_error"] = err_name(e)
    out["broker_configs"] = {k: broker_configs.get(k) for k in spec.get("broker_keys", [])}
    out["broker_config_count"] = len(broker_configs)

    out["create_partitions"] = wait_futures(a.create_partitions([NewPartitions(t, 4)]))
    md = a.list_topics(topic=t, timeout=10)
    out["partitions_after"] = len(md.topics[t].partitions)

    alter = ConfigResource("topic", t, set_config={"retention.ms": "7200000"})
    out["alter_configs"] = wait_futures(a.alter_configs([alter]))
    after = {}
    for r, f in a.describe_configs([ConfigResource("topic", t)]).items():
        try:
            after = {n: e.value for n, e in f.result(timeout=20).items()}
        except Exception as e:  # noqa: BLE001
            out["describe_after_alter_error"] = err_name(e)
    out["retention_after_alter"] = after.get("retention.ms")

    out["groups"] = None
    try:
        out["groups"] = sorted(g.id for g in a.list_groups(timeout=10))
    except Exception as e:  # noqa: BLE001
        out["groups_error"] = err_name(e)

    out["delete"] = wait_futures(a.delete_topics([t], operation_timeout=20))
    out["delete_unknown"] = wait_futures(a.delete_topics([t + "-nope"], operation_timeout=20))
    gone = False
    deadline = time.time() + 15
    while time.time() < deadline:
        if t not in a.list_topics(timeout=10).topics:
            gone = True
            break
        time.sleep(0.2)
    out["deleted_gone"] = gone
    return out


def lookups(spec):
    """Offset lookups without a group: watermarks, offsets_for_times, and
    reading from an assigned, seeked partition."""
    conf = {"bootstrap.servers": spec["bootstrap"], "group.id": "lookups-unused",
            "enable.auto.commit": False, "socket.timeout.ms": 10000}
    conf.update(spec.get("config") or {})
    c = Consumer(conf)
    t = spec["topic"]
    out = {"watermarks": {}, "by_time": {}, "read": []}
    for p in range(spec["partitions"]):
        lo, hi = c.get_watermark_offsets(TopicPartition(t, p), timeout=10)
        out["watermarks"][str(p)] = [lo, hi]
    for name, ts in spec["times"].items():
        res = c.offsets_for_times([TopicPartition(t, 0, ts)], timeout=10)
        out["by_time"][name] = [res[0].offset, err_name(res[0].error)]
    c.assign([TopicPartition(t, 0, spec["seek"])])
    deadline = time.time() + 15
    while len(out["read"]) < spec["count"] and time.time() < deadline:
        m = c.poll(0.5)
        if m is None or m.error():
            continue
        out["read"].append([m.offset(), dec(m.value()), m.timestamp()[0], m.timestamp()[1]])
    c.close()
    return out


def coop(spec):
    """Two cooperative-sticky consumers: the second one joining moves half
    of the partitions without revoking the rest (incremental rebalance)."""
    def new(name, events):
        c = Consumer({"bootstrap.servers": spec["bootstrap"], "group.id": spec["group"],
                      "partition.assignment.strategy": "cooperative-sticky",
                      "session.timeout.ms": 6000, "heartbeat.interval.ms": 300,
                      "auto.offset.reset": "earliest"})

        def on_assign(consumer, parts):
            events.append(["assign", sorted(p.partition for p in parts)])
            consumer.incremental_assign(parts)

        def on_revoke(consumer, parts):
            events.append(["revoke", sorted(p.partition for p in parts)])
            consumer.incremental_unassign(parts)

        c.subscribe([spec["topic"]], on_assign=on_assign, on_revoke=on_revoke)
        return c

    ev1, ev2 = [], []
    c1 = new("c1", ev1)
    deadline = time.time() + 15
    while time.time() < deadline and len(c1.assignment()) < spec["partitions"]:
        c1.poll(0.2)
    first = sorted(p.partition for p in c1.assignment())
    c2 = new("c2", ev2)
    deadline = time.time() + 20
    while time.time() < deadline:
        c1.poll(0.1)
        c2.poll(0.1)
        a1, a2 = c1.assignment(), c2.assignment()
        if len(a1) + len(a2) == spec["partitions"] and len(a2) > 0 and len(a1) > 0:
            break
    out = {"first": first, "c1": sorted(p.partition for p in c1.assignment()),
           "c2": sorted(p.partition for p in c2.assignment()), "events1": ev1, "events2": ev2}
    c2.close()
    c1.close()
    return out


def main():
    spec = json.load(sys.stdin)
    mode = spec["mode"]
    out = {"produce": produce, "consume": consume, "admin": admin, "lookups": lookups,
           "coop": coop}[mode](spec)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
