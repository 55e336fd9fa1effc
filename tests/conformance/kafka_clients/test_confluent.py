"""confluent-kafka (librdkafka) produces and reads back exact records: keys, values, headers,
offsets, partitions, timestamps, every compression codec, large batches and size limits.

Consumers use assign() with explicit offsets and never commit: no consumer groups involved.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from confluent_kafka import (
    OFFSET_BEGINNING,
    TIMESTAMP_CREATE_TIME,
    Consumer,
    KafkaError,
    Message,
    Producer,
    TopicPartition,
)

POLL_DEADLINE_S = 30.0
FLUSH_TIMEOUT_S = 30.0
DEFAULT_MAX_MESSAGE_BYTES = 1_048_588


def make_producer(broker: Any, **config: Any) -> Producer:
    return Producer(
        {"bootstrap.servers": broker.bootstrap_servers, "acks": "all", "linger.ms": 5, **config}
    )


def make_consumer(broker: Any) -> Consumer:
    return Consumer(
        {
            "bootstrap.servers": broker.bootstrap_servers,
            "group.id": "kaspar-conformance-never-commits",
            "enable.auto.commit": False,
            "enable.auto.offset.store": False,
            "auto.offset.reset": "earliest",
        }
    )


def produce_all(
    producer: Producer, topic: str, records: list[tuple], **kwargs: Any
) -> list[Message]:
    """Produce (key, value, headers) records in order; return the delivery reports, in order."""
    reports: list[Message] = []

    def on_delivery(err: KafkaError | None, msg: Message) -> None:
        reports.append(msg)

    for key, value, headers in records:
        producer.produce(
            topic, value=value, key=key, headers=list(headers), on_delivery=on_delivery, **kwargs
        )
        producer.poll(0)
    assert producer.flush(FLUSH_TIMEOUT_S) == 0, "producer did not deliver every record in time"
    return reports


def consume_exactly(broker: Any, topic: str, counts: dict[int, int]) -> list[Message]:
    """Read `counts[partition]` messages from the start of each partition, failing on any error."""
    consumer = make_consumer(broker)
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in counts])
    messages: list[Message] = []
    deadline = time.monotonic() + POLL_DEADLINE_S
    try:
        while len(messages) < sum(counts.values()) and time.monotonic() < deadline:
            for msg in consumer.consume(num_messages=10_000, timeout=0.5):
                assert msg.error() is None, msg.error()
                messages.append(msg)
    finally:
        consumer.close()
    assert len(messages) == sum(counts.values()), "consumer did not read every record in time"
    return messages


def as_record(msg: Message) -> tuple:
    return msg.key(), msg.value(), tuple(msg.headers() or ())


def test_round_trip_keys_values_headers(
    broker: Any, topic_factory: Any, sample_records: list, compression: str
) -> None:
    topic = topic_factory(partitions=1)
    reports = produce_all(
        make_producer(broker, **{"compression.type": compression}), topic, sample_records
    )

    assert [r.error() for r in reports] == [None] * len(sample_records)
    assert [(r.partition(), r.offset()) for r in reports] == [
        (0, i) for i in range(len(sample_records))
    ]
    messages = consume_exactly(broker, topic, {0: len(sample_records)})
    assert [as_record(m) for m in messages] == sample_records
    assert [(m.topic(), m.partition(), m.offset()) for m in messages] == [
        (topic, 0, i) for i in range(len(sample_records))
    ]


def test_many_records_over_partitions(broker: Any, topic_factory: Any, compression: str) -> None:
    partitions, count = 3, 20_000
    topic = topic_factory(partitions=partitions)
    producer = make_producer(broker, **{"compression.type": compression})
    for i in range(count):
        producer.produce(
            topic, value=f"{i:0100d}".encode(), key=str(i).encode(), partition=i % partitions
        )
        producer.poll(0)
    assert producer.flush(FLUSH_TIMEOUT_S) == 0

    counts = {p: len(range(p, count, partitions)) for p in range(partitions)}
    messages = consume_exactly(broker, topic, counts)
    assert {len(m.value()) for m in messages} == {100}
    for p in range(partitions):
        got = [(m.offset(), int(m.key())) for m in messages if m.partition() == p]
        assert got == [(offset, offset * partitions + p) for offset in range(len(got))]


def test_timestamps_round_trip(broker: Any, topic_factory: Any) -> None:
    topic = topic_factory()
    base_ms = 1_700_000_000_000
    records = [(b"k", f"v{i}".encode(), ()) for i in range(5)]
    producer = make_producer(broker)
    for i, (key, value, _) in enumerate(records):
        producer.produce(topic, value=value, key=key, timestamp=base_ms + i * 1000)
    assert producer.flush(FLUSH_TIMEOUT_S) == 0

    messages = consume_exactly(broker, topic, {0: len(records)})
    assert [m.timestamp() for m in messages] == [
        (TIMESTAMP_CREATE_TIME, base_ms + i * 1000) for i in range(len(records))
    ]


def test_record_close_to_size_limit(broker: Any, topic_factory: Any) -> None:
    topic = topic_factory()
    value = bytes(range(256)) * (1_000_000 // 256) + b"x" * (1_000_000 % 256)
    producer = make_producer(broker, **{"message.max.bytes": DEFAULT_MAX_MESSAGE_BYTES})

    [report] = produce_all(producer, topic, [(b"big", value, ())])

    assert report.error() is None
    [msg] = consume_exactly(broker, topic, {0: 1})
    assert (msg.key(), msg.offset(), len(msg.value())) == (b"big", 0, 1_000_000)
    assert msg.value() == value


@pytest.mark.xfail_peer("tansu 0.6 does not enforce max.message.bytes on produce")
def test_record_over_size_limit_is_rejected(broker: Any, topic_factory: Any) -> None:
    topic = topic_factory()
    producer = make_producer(
        broker, **{"message.max.bytes": 4 * DEFAULT_MAX_MESSAGE_BYTES, "retries": 0}
    )

    [report] = produce_all(producer, topic, [(None, b"x" * (DEFAULT_MAX_MESSAGE_BYTES + 1), ())])

    assert report.error() is not None
    assert report.error().code() == KafkaError.MSG_SIZE_TOO_LARGE
