"""kafka-python produces and reads back exact records, with every compression codec; its admin
client creates and deletes topics. Consumers have no group (group_id=None) and use assign()."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import TopicAlreadyExistsError

TIMEOUT_S = 30.0


@pytest.fixture
def kafka_admin(broker: Any) -> Iterator[KafkaAdminClient]:
    admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap_servers)
    yield admin
    admin.close()


def produce_all(broker: Any, topic: str, records: list[tuple], **config: Any) -> list[Any]:
    """Send (key, value, headers) records in order to partition 0; return their metadata."""
    producer = KafkaProducer(
        bootstrap_servers=broker.bootstrap_servers, acks="all", linger_ms=5, **config
    )
    try:
        futures = [
            producer.send(topic, value=value, key=key, headers=list(headers), partition=0)
            for key, value, headers in records
        ]
        producer.flush(timeout=TIMEOUT_S)
        return [future.get(timeout=TIMEOUT_S) for future in futures]
    finally:
        producer.close(timeout=TIMEOUT_S)


def consume_exactly(broker: Any, topic: str, count: int) -> list[Any]:
    """Read `count` records from the start of partition 0."""
    consumer = KafkaConsumer(
        bootstrap_servers=broker.bootstrap_servers, group_id=None, enable_auto_commit=False
    )
    partition = TopicPartition(topic, 0)
    consumer.assign([partition])
    consumer.seek_to_beginning(partition)
    records: list[Any] = []
    deadline = time.monotonic() + TIMEOUT_S
    try:
        while len(records) < count and time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=500).values():
                records.extend(batch)
    finally:
        consumer.close()
    assert len(records) == count, "consumer did not read every record in time"
    return records


def test_round_trip_keys_values_headers(
    broker: Any, topic_factory: Any, sample_records: list, compression: str
) -> None:
    topic = topic_factory()
    codec = None if compression == "none" else compression

    sent = produce_all(broker, topic, sample_records, compression_type=codec)

    assert [(m.partition, m.offset) for m in sent] == [(0, i) for i in range(len(sample_records))]
    records = consume_exactly(broker, topic, len(sample_records))
    assert [(r.key, r.value, tuple(r.headers)) for r in records] == sample_records
    assert [(r.topic, r.partition, r.offset) for r in records] == [
        (topic, 0, i) for i in range(len(sample_records))
    ]


def test_many_records(broker: Any, topic_factory: Any, compression: str) -> None:
    topic = topic_factory()
    records = [(str(i).encode(), f"{i:0100d}".encode(), ()) for i in range(5_000)]
    codec = None if compression == "none" else compression

    produce_all(broker, topic, records, compression_type=codec)

    got = consume_exactly(broker, topic, len(records))
    assert [(r.offset, r.key, r.value) for r in got] == [
        (i, key, value) for i, (key, value, _) in enumerate(records)
    ]


def test_admin_create_and_delete_topic(
    broker: Any, kafka_admin: KafkaAdminClient, topic_name: str
) -> None:
    kafka_admin.create_topics([NewTopic(topic_name, num_partitions=3, replication_factor=1)])
    consumer = KafkaConsumer(bootstrap_servers=broker.bootstrap_servers, group_id=None)
    try:
        assert consumer.partitions_for_topic(topic_name) == {0, 1, 2}
    finally:
        consumer.close()

    with pytest.raises(TopicAlreadyExistsError):
        kafka_admin.create_topics([NewTopic(topic_name, num_partitions=3, replication_factor=1)])

    kafka_admin.delete_topics([topic_name])
    deadline = time.monotonic() + TIMEOUT_S
    while topic_name in kafka_admin.list_topics():
        assert time.monotonic() < deadline, "topic was not deleted in time"
        time.sleep(0.1)
