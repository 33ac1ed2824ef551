"""Runs kafka-python's KafkaAdminClient through topic administration and
prints the outcome of each step as JSON (errors by exception class name)."""
import json
import sys
import time

from kafka import KafkaAdminClient
from kafka.admin import ConfigResource, ConfigResourceType, NewPartitions, NewTopic


def step(fn):
    try:
        return {"ok": fn()}
    except Exception as exc:  # reported, the Go side decides
        return {"error": type(exc).__name__, "message": str(exc)}


def create_result(resp):
    # CreateTopicsResponse: topic_errors = [(name, code, message)]
    return [list(e) for e in resp.topic_errors]


def main():
    spec = json.load(sys.stdin)
    adm = KafkaAdminClient(bootstrap_servers=spec["bootstrap"], request_timeout_ms=15000)
    out = {}
    out["create"] = step(lambda: create_result(adm.create_topics(
        [NewTopic("adm", 2, 1, topic_configs={"retention.ms": "3600000"})])))
    out["create_again"] = step(lambda: create_result(adm.create_topics([NewTopic("adm", 1, 1)])))
    out["create_rf5"] = step(lambda: create_result(adm.create_topics([NewTopic("adm-wide", 1, 5)])))
    time.sleep(0.5)
    out["list"] = step(lambda: sorted(adm.list_topics()))

    def configs():
        res = adm.describe_configs([ConfigResource(ConfigResourceType.TOPIC, "adm")])
        entries = res[0].resources[0][4]  # (error, msg, type, name, configs)
        return {e[0]: e[1] for e in entries}
    out["configs"] = step(configs)
    out["partitions"] = step(lambda: [list(e) for e in adm.create_partitions({"adm": NewPartitions(4)}).topic_errors])
    out["describe_cluster"] = step(lambda: {"brokers": len(adm.describe_cluster()["brokers"]),
                                            "controller": adm.describe_cluster()["controller_id"]})
    out["delete"] = step(lambda: [list(e) for e in adm.delete_topics(["adm"]).topic_error_codes])
    adm.close()
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
