"""Reads a topic with kafka-python's KafkaConsumer without a group
(group_id=None) using assign/seek and the offset lookups, and prints the
results as JSON.

Input (stdin, JSON): {"bootstrap", "topic", "partitions": n,
"seek": {"partition": p, "offset": o}, "times": {"<p>": ts_ms, ...},
"config": {...extra KafkaConsumer kwargs}}; with "simple": true and
"expect": n it only reads n records from the beginning.
"""
import json
import sys
import time

from kafka import KafkaConsumer, TopicPartition


def dec(b):
    return None if b is None else b.decode("utf-8")


def rec(m):
    return {"partition": m.partition, "offset": m.offset, "key": dec(m.key),
            "value": dec(m.value), "timestamp": m.timestamp,
            "headers": [[k, dec(v)] for k, v in (m.headers or [])]}


def drain(consumer, until, deadline_s=20):
    """Polls until every partition's position reaches until[tp]."""
    out = []
    deadline = time.time() + deadline_s
    while time.time() < deadline:
        if all(consumer.position(tp) >= end for tp, end in until.items()):
            break
        for msgs in consumer.poll(timeout_ms=500).values():
            out.extend(rec(m) for m in msgs)
    return out


def main():
    spec = json.load(sys.stdin)
    topic = spec["topic"]
    config = spec.get("config", {})
    if "api_version" in config:  # JSON has no tuples
        config["api_version"] = tuple(config["api_version"])
    consumer = KafkaConsumer(bootstrap_servers=spec["bootstrap"], group_id=None,
                             enable_auto_commit=False, request_timeout_ms=15000,
                             fetch_max_wait_ms=200, **config)
    tps = [TopicPartition(topic, p) for p in range(spec["partitions"])]
    consumer.assign(tps)
    if spec.get("simple"):
        # Old protocol versions lack the offset lookups: just read
        # "expect" records from the beginning.
        consumer.seek_to_beginning()
        got = []
        deadline = time.time() + 20
        while len(got) < spec["expect"] and time.time() < deadline:
            for msgs in consumer.poll(timeout_ms=500).values():
                got.extend(rec(m) for m in msgs)
        consumer.close()
        json.dump({"from_beginning": got}, sys.stdout)
        return
    out = {"partitions_for_topic": sorted(consumer.partitions_for_topic(topic) or [])}
    begin = consumer.beginning_offsets(tps)
    end = consumer.end_offsets(tps)
    out["beginning_offsets"] = {str(tp.partition): o for tp, o in begin.items()}
    out["end_offsets"] = {str(tp.partition): o for tp, o in end.items()}

    consumer.seek_to_beginning()
    out["from_beginning"] = drain(consumer, end)

    s = spec["seek"]
    stp = TopicPartition(topic, s["partition"])
    consumer.seek(stp, s["offset"])
    others = [tp for tp in tps if tp != stp]
    consumer.seek_to_end(*others)
    out["after_seek"] = drain(consumer, end)

    consumer.seek_to_end()
    out["positions_at_end"] = {str(tp.partition): consumer.position(tp) for tp in tps}

    query = {TopicPartition(topic, int(p)): ts for p, ts in spec["times"].items()}
    found = consumer.offsets_for_times(query)
    out["offsets_for_times"] = {
        str(tp.partition): (None if v is None else {"offset": v.offset, "timestamp": v.timestamp})
        for tp, v in found.items()}
    consumer.close()
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
