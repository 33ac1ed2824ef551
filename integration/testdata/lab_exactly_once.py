#!/usr/bin/python3
"""Exactly-once lab (docs/lab-delivery-semantics.md): transactions with
confluent-kafka (Debian python3-confluent-kafka).

Usage: lab_exactly_once.py [bootstrap] [prefix]

1. A transactional producer commits one transaction and aborts another.
2. A read_committed consumer sees only the committed records; a
   read_uncommitted consumer sees both.
3. Consume-transform-produce: records of <prefix>-in are upper-cased into
   <prefix>-out, and the consumed offsets are committed in the same
   transaction (send_offsets_to_transaction).
"""
import sys
import uuid

from confluent_kafka import Consumer, Producer, TopicPartition

bootstrap = sys.argv[1] if len(sys.argv) > 1 else 'localhost:9092'
prefix = sys.argv[2] if len(sys.argv) > 2 else 'lab-eos'


def read_all(topic, isolation, expect_at_least, max_polls=60):
    """Reads topic from the start and returns the values seen."""
    c = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'reader-' + uuid.uuid4().hex,
                  'auto.offset.reset': 'earliest', 'enable.auto.commit': False,
                  'isolation.level': isolation})
    c.subscribe([topic])
    values = []
    idle = 0
    for _ in range(max_polls):
        m = c.poll(0.5)
        if m is None or m.error():
            idle += 1
            if len(values) >= expect_at_least and idle >= 4:
                break
            continue
        idle = 0
        values.append(m.value().decode())
    c.close()
    return values


# 1. One committed and one aborted transaction.
p = Producer({'bootstrap.servers': bootstrap, 'transactional.id': prefix + '-producer'})
p.init_transactions(30)
p.begin_transaction()
for i in range(3):
    p.produce(prefix + '-txn', value='committed-%d' % i)
p.commit_transaction(30)
p.begin_transaction()
for i in range(3):
    p.produce(prefix + '-txn', value='aborted-%d' % i)
p.flush(30)  # the records reach the log; abort would otherwise drop them unsent
p.abort_transaction(30)

# 2. What each isolation level sees.
print('read_committed:  ', sorted(read_all(prefix + '-txn', 'read_committed', 3)))
print('read_uncommitted:', sorted(read_all(prefix + '-txn', 'read_uncommitted', 6)))

# 3. Consume-transform-produce.
src = Producer({'bootstrap.servers': bootstrap})
for w in ['alpha', 'beta', 'gamma']:
    src.produce(prefix + '-in', value=w)
src.flush(30)

group = prefix + '-transformer'
consumer = Consumer({'bootstrap.servers': bootstrap, 'group.id': group,
                     'auto.offset.reset': 'earliest', 'enable.auto.commit': False,
                     'isolation.level': 'read_committed'})
consumer.subscribe([prefix + '-in'])
tp = Producer({'bootstrap.servers': bootstrap, 'transactional.id': prefix + '-transformer'})
tp.init_transactions(30)
done = 0
for _ in range(60):
    msgs = consumer.consume(10, 0.5)
    msgs = [m for m in msgs if not m.error()]
    if not msgs:
        if done >= 3:
            break
        continue
    tp.begin_transaction()
    for m in msgs:
        tp.produce(prefix + '-out', value=m.value().decode().upper())
    # The consumed positions are committed by the transaction, not by the consumer.
    tp.send_offsets_to_transaction(consumer.position(consumer.assignment()),
                                   consumer.consumer_group_metadata(), 30)
    tp.commit_transaction(30)
    done += len(msgs)
consumer.close()

print('transformed:     ', sorted(read_all(prefix + '-out', 'read_committed', 3)))
check = Consumer({'bootstrap.servers': bootstrap, 'group.id': group})
committed = check.committed([TopicPartition(prefix + '-in', 0)], 10)
print('group offset:    ', committed[0].offset)
check.close()
