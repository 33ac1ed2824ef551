"""Sends records with kafka-python's KafkaProducer and prints what the
broker acknowledged as JSON.

Input (stdin, JSON): {"bootstrap": "host:port", "acks": 0|1|"all",
"mode": "get"|"callback", "config": {...extra KafkaProducer kwargs},
"records": [{"topic": t, "key": k|null, "value": v, "partition": p|null}]}

Output (stdout, JSON): {"results": [{"topic", "partition", "offset",
"timestamp", "error"} per record, in input order], "callbacks_before_flush": n,
"callbacks_after_flush": n}
"""
import json
import sys

from kafka import KafkaProducer


def enc(s):
    return None if s is None else s.encode("utf-8")


def main():
    spec = json.load(sys.stdin)
    acks = spec["acks"]
    config = spec.get("config", {})
    if "api_version" in config:  # JSON has no tuples
        config["api_version"] = tuple(config["api_version"])
    producer = KafkaProducer(
        bootstrap_servers=spec["bootstrap"],
        acks=acks,
        request_timeout_ms=15000,
        max_block_ms=20000,
        **config)
    results = [None] * len(spec["records"])
    fired = {"n": 0}

    def ok(i):
        def cb(md):
            fired["n"] += 1
            results[i] = {"topic": md.topic, "partition": md.partition,
                          "offset": md.offset, "timestamp": md.timestamp,
                          "error": None}
        return cb

    def bad(i):
        def eb(exc):
            fired["n"] += 1
            results[i] = {"error": repr(exc)}
        return eb

    futures = []
    for i, r in enumerate(spec["records"]):
        f = producer.send(r["topic"], value=enc(r["value"]), key=enc(r.get("key")),
                          partition=r.get("partition"))
        if spec["mode"] == "callback":
            f.add_callback(ok(i)).add_errback(bad(i))
        futures.append(f)
    before = fired["n"]
    if spec["mode"] == "callback":
        producer.flush(timeout=30)
    else:
        for i, f in enumerate(futures):
            try:
                ok(i)(f.get(timeout=30))
            except Exception as exc:  # reported, the Go side decides
                bad(i)(exc)
        producer.flush(timeout=30)
    after = fired["n"]
    producer.close(timeout=10)
    json.dump({"results": results, "callbacks_before_flush": before,
               "callbacks_after_flush": after}, sys.stdout)


if __name__ == "__main__":
    main()
