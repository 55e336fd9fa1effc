"""aiokafka produces and reads back exact records, with every codec it supports (gzip, snappy,
lz4, zstd). Consumers have no group (group_id=None) and use assign()."""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

TIMEOUT_S = 30.0


async def produce_all(broker: Any, topic: str, records: list[tuple], **config: Any) -> list[Any]:
    """Send (key, value, headers) records in order to partition 0; return their metadata."""
    producer = AIOKafkaProducer(
        bootstrap_servers=broker.bootstrap_servers, acks="all", linger_ms=5, **config
    )
    await producer.start()
    try:
        futures = [
            await producer.send(topic, value=value, key=key, headers=list(headers), partition=0)
            for key, value, headers in records
        ]
        return await asyncio.wait_for(asyncio.gather(*futures), TIMEOUT_S)
    finally:
        await producer.stop()


async def consume_exactly(broker: Any, topic: str, count: int) -> list[Any]:
    """Read `count` records from the start of partition 0."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=broker.bootstrap_servers, group_id=None, enable_auto_commit=False
    )
    await consumer.start()
    partition = TopicPartition(topic, 0)
    records: list[Any] = []
    try:
        consumer.assign([partition])
        await consumer.seek_to_beginning(partition)
        async with asyncio.timeout(TIMEOUT_S):
            while len(records) < count:
                for batch in (await consumer.getmany(timeout_ms=500)).values():
                    records.extend(batch)
    finally:
        await consumer.stop()
    assert len(records) == count
    return records


async def test_round_trip_keys_values_headers(
    broker: Any, topic_factory: Any, sample_records: list, compression: str
) -> None:
    topic = topic_factory()
    codec = None if compression == "none" else compression

    sent = await produce_all(broker, topic, sample_records, compression_type=codec)

    assert [(m.partition, m.offset) for m in sent] == [(0, i) for i in range(len(sample_records))]
    records = await consume_exactly(broker, topic, len(sample_records))
    assert [(r.key, r.value, tuple(r.headers)) for r in records] == sample_records
    assert [(r.topic, r.partition, r.offset) for r in records] == [
        (topic, 0, i) for i in range(len(sample_records))
    ]


async def test_many_records(broker: Any, topic_factory: Any, compression: str) -> None:
    topic = topic_factory()
    records = [(str(i).encode(), f"{i:0100d}".encode(), ()) for i in range(5_000)]
    codec = None if compression == "none" else compression

    await produce_all(broker, topic, records, compression_type=codec)

    got = await consume_exactly(broker, topic, len(records))
    assert [(r.offset, r.key, r.value) for r in got] == [
        (i, key, value) for i, (key, value, _) in enumerate(records)
    ]


async def test_timestamps_round_trip(broker: Any, topic_factory: Any) -> None:
    topic = topic_factory()
    base_ms = 1_700_000_000_000
    producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap_servers)
    await producer.start()
    try:
        for i in range(5):
            await producer.send_and_wait(topic, b"v", partition=0, timestamp_ms=base_ms + i)
    finally:
        await producer.stop()

    records = await consume_exactly(broker, topic, 5)
    assert [(r.timestamp, r.timestamp_type) for r in records] == [
        (base_ms + i, 0) for i in range(5)
    ]
