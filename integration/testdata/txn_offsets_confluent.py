# Consume-transform-produce with confluent-kafka (librdkafka): the consumed
# offsets go into the transaction with send_offsets_to_transaction
# (AddOffsetsToTxn + TxnOffsetCommit v3 with the consumer's group metadata).
# The first transaction aborts, the second commits. Reads JSON from stdin,
# prints JSON: what was consumed and the group's committed offset after
# each transaction (-1001 is librdkafka's "no offset").
import json
import sys
import time

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition

cfg = json.load(sys.stdin)
consumer = Consumer({
    "bootstrap.servers": cfg["bootstrap"],
    "group.id": cfg["group"],
    "auto.offset.reset": "earliest",
    "enable.auto.commit": False,
    "isolation.level": "read_committed",
    "session.timeout.ms": 10000,
})
consumer.subscribe([cfg["in"]])
producer = Producer({"bootstrap.servers": cfg["bootstrap"], "transactional.id": cfg["txid"]})
producer.init_transactions(30)

msgs = []
deadline = time.time() + 60
while len(msgs) < cfg["n"] and time.time() < deadline:
    m = consumer.poll(1.0)
    if m is None:
        continue
    if m.error():
        raise KafkaException(m.error())
    msgs.append(m)

ends = {}
for m in msgs:
    ends[(m.topic(), m.partition())] = m.offset() + 1
offsets = [TopicPartition(t, p, o) for (t, p), o in sorted(ends.items())]


def committed():
    # Committed offsets (OffsetFetch with require_stable: librdkafka
    # retries while the transaction's markers are on their way).
    for _ in range(60):
        try:
            got = consumer.committed([TopicPartition(t, p) for (t, p) in sorted(ends)], timeout=10)
            return {"%s-%d" % (tp.topic, tp.partition): tp.offset for tp in got}
        except KafkaException as e:
            err = str(e)
            time.sleep(0.5)
    raise RuntimeError("committed() kept failing: " + err)


def transaction(prefix, commit):
    producer.begin_transaction()
    for m in msgs:
        producer.produce(cfg["out"], key=m.key(), value=prefix.encode() + m.value())
    producer.send_offsets_to_transaction(offsets, consumer.consumer_group_metadata(), 30)
    if commit:
        producer.commit_transaction(30)
    else:
        producer.abort_transaction(30)
    return committed()


after_abort = transaction("aborted-", False)
after_commit = transaction("out-", True)
consumer.close()
print(json.dumps({"consumed": len(msgs), "offsets": {"%s-%d" % k: v for k, v in ends.items()},
                  "after_abort": after_abort, "after_commit": after_commit}))
