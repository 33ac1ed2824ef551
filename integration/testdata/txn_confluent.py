"""Transactional producer through confluent-kafka-python (librdkafka).

Reads a JSON object on stdin: bootstrap, topic, txn_id, commit (values of a
committed transaction), abort (values of an aborted one), expect (how many
records each read has to reach). Runs the two transactions, then a zombie
scenario (a second producer with the same transactional.id fences the
first), and prints JSON: the values read with read_committed and with
read_uncommitted, and the error the fenced producer got.
"""
import json
import sys
import time
import uuid

from confluent_kafka import Consumer, KafkaException, Producer


def read_all(bootstrap, topic, isolation, want, timeout=30.0):
    c = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": "txn-confluent-" + uuid.uuid4().hex,
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
        "isolation.level": isolation,
    })
    c.subscribe([topic])
    out = []
    deadline = time.time() + timeout
    while time.time() < deadline and len(out) < want:
        m = c.poll(0.5)
        if m is None or m.error():
            continue
        out.append(m.value().decode())
    c.close()
    return out


def main():
    cfg = json.load(sys.stdin)
    bs, topic, txn_id = cfg["bootstrap"], cfg["topic"], cfg["txn_id"]
    p = Producer({"bootstrap.servers": bs, "transactional.id": txn_id})
    p.init_transactions(30)
    p.begin_transaction()
    for v in cfg["commit"]:
        p.produce(topic, value=v.encode(), key=v.encode())
    p.commit_transaction(30)
    p.begin_transaction()
    for v in cfg["abort"]:
        p.produce(topic, value=v.encode(), key=v.encode())
    p.flush(30)
    p.abort_transaction(30)

    # Zombie: p keeps an open transaction while a new instance starts.
    p.begin_transaction()
    p.produce(topic, value=b"zombie", key=b"zombie")
    p.flush(30)
    p2 = Producer({"bootstrap.servers": bs, "transactional.id": txn_id})
    p2.init_transactions(60)
    p2.begin_transaction()
    p2.produce(topic, value=b"successor", key=b"successor")
    p2.commit_transaction(30)
    fenced = None
    try:
        p.commit_transaction(30)
    except KafkaException as e:
        err = e.args[0]
        fenced = {"name": err.name(), "fatal": err.fatal()}

    want = cfg["expect"]
    print(json.dumps({
        "committed": read_all(bs, topic, "read_committed", want["committed"]),
        "uncommitted": read_all(bs, topic, "read_uncommitted", want["uncommitted"]),
        "fenced": fenced,
    }))


if __name__ == "__main__":
    main()
