"""Log cleaning through a real broker with confluent-kafka: compaction, retention, DeleteRecords."""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from kaspar.broker import Broker

TIMEOUT_S = 15.0
WAIT_S = 30.0
HOUR_MS = 3_600_000
COMPACTED = {
    "cleanup.policy": "compact",
    "segment.bytes": "16384",
    "segment.ms": "300",
    "min.cleanable.dirty.ratio": "0.01",
    "delete.retention.ms": "100",
}


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    settings = {"log.cleaner.backoff.ms": "100", "log.retention.check.interval.ms": "200"}
    with Broker(tmp_path_factory.mktemp("cleaning"), config=settings) as running:
        yield running


@pytest.fixture
def create_topic(broker: Broker) -> Callable[[dict[str, str]], str]:
    admin = AdminClient({"bootstrap.servers": broker.bootstrap_servers})

    def create(configs: dict[str, str]) -> str:
        name = f"cleaning-{uuid.uuid4().hex[:8]}"
        topic = NewTopic(name, num_partitions=1, replication_factor=1, config=configs)
        admin.create_topics([topic])[name].result(timeout=TIMEOUT_S)
        return name

    return create


Item = tuple[bytes | None, bytes | None, int]


def produce(broker: Broker, topic: str, items: list[Item]) -> None:
    producer = Producer({"bootstrap.servers": broker.bootstrap_servers, "linger.ms": 5})
    for key, value, ts in items:
        producer.produce(topic, key=key, value=value, timestamp=ts)
    assert producer.flush(TIMEOUT_S) == 0


def updates(keys: int, rounds: int, ts: int = 0) -> list[Item]:
    return [
        (f"key-{k}".encode(), f"value-{r}-{k}".encode() * 4, ts)
        for r in range(rounds)
        for k in range(keys)
    ]


def consumer(broker: Broker) -> Consumer:
    return Consumer(
        {
            "bootstrap.servers": broker.bootstrap_servers,
            "group.id": f"cleaning-{uuid.uuid4().hex[:8]}",
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
        }
    )


def watermarks(broker: Broker, topic: str) -> tuple[int, int]:
    c = consumer(broker)
    try:
        low, high = c.get_watermark_offsets(TopicPartition(topic, 0), timeout=TIMEOUT_S)
        return int(low), int(high)
    finally:
        c.close()


def read_all(broker: Broker, topic: str, start: int = -2) -> list[Any]:
    """Every record from `start` (default: earliest) up to the high watermark."""
    _, high = watermarks(broker, topic)
    c = consumer(broker)
    c.assign([TopicPartition(topic, 0, start)])
    messages: list[Any] = []
    deadline = time.monotonic() + TIMEOUT_S
    try:
        while time.monotonic() < deadline:
            message = c.poll(0.2)
            if message is None:
                if messages and messages[-1].offset() >= high - 1:
                    break
                continue
            assert message.error() is None, message.error()
            messages.append(message)
            if message.offset() >= high - 1:
                break
    finally:
        c.close()
    return messages


def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def test_compacted_topic_shrinks_to_latest_value_per_key(
    broker: Broker, create_topic: Callable[[dict[str, str]], str]
) -> None:
    topic = create_topic(COMPACTED)
    items = updates(keys=20, rounds=500)
    produce(broker, topic, items)
    latest = {key: value for key, value, _ in items}

    wait_until(lambda: len(read_all(broker, topic)) <= 60, "the cleaner to compact the topic")

    messages = read_all(broker, topic)
    assert {m.key(): m.value() for m in messages} == latest
    assert max(Counter(m.key() for m in messages).values()) <= 3
    offsets = [m.offset() for m in messages]
    assert offsets == sorted(offsets) and offsets[-1] == len(items) - 1


def test_produce_and_consume_keep_working_during_cleaning(
    broker: Broker, create_topic: Callable[[dict[str, str]], str]
) -> None:
    # Kafka keeps records younger than min.compaction.lag.ms out of compaction: the guarantee a
    # live consumer relies on to read every record (without it, a loaded machine lets the
    # cleaner compact the tail before the consumer gets there, which Kafka allows)
    topic = create_topic({**COMPACTED, "min.compaction.lag.ms": "3000"})
    tail = consumer(broker)
    tail.assign([TopicPartition(topic, 0, 0)])
    seen: list[int] = []
    try:
        for round_ in range(10):
            produce(broker, topic, updates(keys=20, rounds=50))
            end = (round_ + 1) * 1000
            deadline = time.monotonic() + TIMEOUT_S
            while (not seen or seen[-1] < end - 1) and time.monotonic() < deadline:
                message = tail.poll(0.2)
                if message is not None:
                    assert message.error() is None, message.error()
                    seen.append(message.offset())
    finally:
        tail.close()
    assert seen == list(range(10_000))  # a live consumer reads the tail before it is cleaned
    wait_until(lambda: len(read_all(broker, topic)) <= 60, "the cleaner to compact the topic")


def test_null_key_to_compacted_topic_fails_with_invalid_record(
    broker: Broker, create_topic: Callable[[dict[str, str]], str]
) -> None:
    topic = create_topic(COMPACTED)
    errors: list[Any] = []
    producer = Producer({"bootstrap.servers": broker.bootstrap_servers, "retries": 0})
    producer.produce(topic, value=b"no key", on_delivery=lambda err, _msg: errors.append(err))
    assert producer.flush(TIMEOUT_S) == 0

    assert len(errors) == 1 and errors[0] is not None
    assert errors[0].code() == KafkaError.INVALID_RECORD
    produce(broker, topic, [(b"k", b"with key", 0)])
    assert [m.value() for m in read_all(broker, topic)] == [b"with key"]


def test_retention_deletes_old_segments(
    broker: Broker, create_topic: Callable[[dict[str, str]], str]
) -> None:
    topic = create_topic({"retention.ms": "60000", "segment.bytes": "16384", "segment.ms": "300"})
    old = int(time.time() * 1000) - HOUR_MS
    produce(broker, topic, [(None, b"old" * 20, old)] * 2000)
    produce(broker, topic, [(None, b"new" * 20, 0)] * 10)

    wait_until(lambda: watermarks(broker, topic)[0] >= 2000, "retention to delete old segments")

    low, high = watermarks(broker, topic)
    messages = read_all(broker, topic)
    assert messages[0].offset() == low and high == 2010
    assert {m.value() for m in messages} == {b"new" * 20}


def test_delete_records_moves_the_log_start(
    broker: Broker, create_topic: Callable[[dict[str, str]], str]
) -> None:
    topic = create_topic({"segment.bytes": "16384"})
    produce(broker, topic, [(None, f"v{i}".encode(), 0) for i in range(500)])
    admin = AdminClient({"bootstrap.servers": broker.bootstrap_servers})
    partition = TopicPartition(topic, 0, 321)

    deleted = admin.delete_records([partition])[partition].result(timeout=TIMEOUT_S)

    assert deleted.low_watermark == 321
    messages = read_all(broker, topic)
    assert messages[0].offset() == 321 and messages[0].value() == b"v321"
    assert watermarks(broker, topic) == (321, 500)


def test_compact_and_delete(broker: Broker, create_topic: Callable[[dict[str, str]], str]) -> None:
    topic = create_topic({**COMPACTED, "cleanup.policy": "compact,delete", "retention.ms": "60000"})
    old = int(time.time() * 1000) - HOUR_MS
    produce(broker, topic, updates(keys=10, rounds=100, ts=old))
    items = updates(keys=10, rounds=100)
    produce(broker, topic, items)

    def done() -> bool:
        return watermarks(broker, topic)[0] >= 1000 and len(read_all(broker, topic)) <= 40

    wait_until(done, "retention and compaction")

    messages = read_all(broker, topic)
    assert {m.key(): m.value() for m in messages} == {k: v for k, v, _ in items}
    assert all(m.offset() >= 1000 for m in messages)


def test_cleaned_log_survives_restart(tmp_path: Path) -> None:
    settings = {"log.cleaner.backoff.ms": "100"}
    with Broker(tmp_path, config=settings) as first:
        admin = AdminClient({"bootstrap.servers": first.bootstrap_servers})
        topic = "restart-compacted"
        new = NewTopic(topic, num_partitions=1, replication_factor=1, config=COMPACTED)
        admin.create_topics([new])[topic].result(timeout=TIMEOUT_S)
        items = updates(keys=10, rounds=200)
        produce(first, topic, items)
        wait_until(lambda: len(read_all(first, topic)) <= 30, "the cleaner")
    with Broker(tmp_path, config=settings) as second:
        messages = read_all(second, topic)
        assert {m.key(): m.value() for m in messages} == {k: v for k, v, _ in items}
        assert (tmp_path / f"{topic}-0" / "cleaner-offset-checkpoint").exists()
