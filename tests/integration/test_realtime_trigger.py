"""Low-latency triggers (``realtime.py``): records flow through the query with no wait for a
batch boundary. The interval is 30 s; every record must be through well before it ends."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Consumer, Producer

from kaspar.errors import AnalysisException, IllegalArgumentException
from kaspar.sql import SparkSession
from kaspar.sql import functions as F

INTERVAL = "30 seconds"
WELL_BEFORE_S = 10.0  # a third of the interval


@pytest.fixture(scope="module")
def spark() -> SparkSession:
    return SparkSession.builder.config("spark.sql.session.timeZone", "UTC").getOrCreate()


def _source(spark: SparkSession, servers: str, topic: str) -> Any:
    return (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", servers)
        .option("subscribe", topic)
        .option("startingOffsets", "earliest")
        .load()
        .select(F.from_json(F.col("value").cast("string"), "id long, k string").alias("o"))
        .select("o.*")
    )


def _produce(servers: str, topic: str, ids: range) -> None:
    producer = Producer({"bootstrap.servers": servers, "linger.ms": 0})
    for i in ids:
        producer.produce(topic, json.dumps({"id": i, "k": f"k{i % 3}"}).encode())
    assert producer.flush(10) == 0


def _consumer(servers: str, topic: str) -> Consumer:
    consumer = Consumer(
        {
            "bootstrap.servers": servers,
            "group.id": f"check-{uuid.uuid4()}",
            "auto.offset.reset": "earliest",
            "isolation.level": "read_uncommitted",
        }
    )
    consumer.subscribe([topic])
    return consumer


def _wait_for(predicate: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def test_kafka_to_kafka_records_flow_before_the_interval(
    spark: SparkSession, kaspar_broker: Any, topic_factory: Callable[..., str], tmp_path: Path
) -> None:
    servers = kaspar_broker.bootstrap_servers
    source, target = topic_factory(), topic_factory()
    query = (
        _source(spark, servers, source)
        .filter(F.col("id") % 2 == 0)
        .select(F.col("id").cast("string").alias("value"))
        .writeStream.format("kafka")
        .option("kafka.bootstrap.servers", servers)
        .option("topic", target)
        .option("checkpointLocation", str(tmp_path / "ckpt"))
        .trigger(realTime=INTERVAL)
        .start()
    )
    consumer = _consumer(servers, target)
    try:
        started = time.monotonic()
        _produce(servers, source, range(10))
        seen: list[str] = []
        while len(seen) < 5 and time.monotonic() - started < WELL_BEFORE_S:
            message = consumer.poll(0.2)
            if message is not None and message.error() is None:
                seen.append(message.value().decode())
        assert sorted(seen, key=int) == ["0", "2", "4", "6", "8"]
        assert time.monotonic() - started < WELL_BEFORE_S
        assert not (tmp_path / "ckpt" / "commits" / "9").exists()  # no epoch closed yet
    finally:
        consumer.close()
        query.stop()
    commits = sorted((tmp_path / "ckpt" / "commits").iterdir())
    assert len(commits) == 1  # stop() closed the epoch: one checkpoint entry for it
    progress = query.lastProgress
    assert progress is not None and progress["numInputRows"] == 10


def test_stateful_aggregation_updates_the_sink_promptly(
    spark: SparkSession, kaspar_broker: Any, topic_factory: Callable[..., str], tmp_path: Path
) -> None:
    servers, source = kaspar_broker.bootstrap_servers, topic_factory()
    updates: list[dict[str, int]] = []

    def collect(batch: Any, _batch_id: int) -> None:
        updates.extend({r.k: r.n} for r in batch.collect())

    query = (
        _source(spark, servers, source)
        .groupBy("k")
        .agg(F.count("*").alias("n"))
        .writeStream.outputMode("update")
        .foreachBatch(collect)
        .option("checkpointLocation", str(tmp_path / "ckpt"))
        .trigger(continuous=INTERVAL)
        .start()
    )
    try:
        started = time.monotonic()
        _produce(servers, source, range(6))

        def latest() -> dict[str, int]:
            totals: dict[str, int] = {}
            for update in list(updates):
                totals.update(update)
            return totals

        assert _wait_for(lambda: latest() == {"k0": 2, "k1": 2, "k2": 2}, WELL_BEFORE_S)
        assert time.monotonic() - started < WELL_BEFORE_S
        _produce(servers, source, range(6, 9))
        assert _wait_for(lambda: latest() == {"k0": 3, "k1": 3, "k2": 3}, WELL_BEFORE_S)
    finally:
        query.stop()
    # a restart resumes from the epoch stop() committed, with its state
    again = (
        _source(spark, servers, source)
        .groupBy("k")
        .agg(F.count("*").alias("n"))
        .writeStream.outputMode("update")
        .foreachBatch(collect)
        .option("checkpointLocation", str(tmp_path / "ckpt"))
        .trigger(realTime=INTERVAL)
        .start()
    )
    try:
        updates.clear()
        _produce(servers, source, range(9, 10))
        assert _wait_for(lambda: {"k0": 4} in updates, WELL_BEFORE_S)
    finally:
        again.stop()


def _exactly_once(spark: SparkSession, servers: str, source: str, target: str, ckpt: Path) -> Any:
    return (
        _source(spark, servers, source)
        .select(F.col("id").cast("string").alias("value"))
        .writeStream.format("kafka")
        .option("kafka.bootstrap.servers", servers)
        .option("topic", target)
        .option("deliveryGuarantee", "exactly-once")
        .option("checkpointLocation", str(ckpt))
        .trigger(realTime=INTERVAL)
        .start()
    )


def _read_all(servers: str, topic: str, isolation: str, count: int) -> list[str]:
    consumer = Consumer(
        {
            "bootstrap.servers": servers,
            "group.id": f"check-{uuid.uuid4()}",
            "auto.offset.reset": "earliest",
            "isolation.level": isolation,
        }
    )
    consumer.subscribe([topic])
    seen: list[str] = []
    deadline = time.monotonic() + WELL_BEFORE_S
    while len(seen) < count and time.monotonic() < deadline:
        message = consumer.poll(0.2)
        if message is not None and message.error() is None:
            seen.append(message.value().decode())
    consumer.close()
    return seen


def test_exactly_once_epoch_committed_in_kafka_before_a_crash_is_not_replayed(
    spark: SparkSession, kaspar_broker: Any, topic_factory: Callable[..., str], tmp_path: Path
) -> None:
    """The epoch's transaction commits, then the process dies before ``commits/<id>``: the
    restart finds the epoch's marker in Kafka and writes the commit instead of replaying."""
    servers, source, target = kaspar_broker.bootstrap_servers, topic_factory(), topic_factory()
    query = _exactly_once(spark, servers, source, target, tmp_path / "ckpt")
    _produce(servers, source, range(5))
    # records flow inside the open transaction: read_uncommitted sees them at once
    assert sorted(_read_all(servers, target, "read_uncommitted", 5)) == list("01234")
    execution = query._execution.execution

    def crash(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("killed between the Kafka commit and the commit entry")

    execution.checkpoint.write_commit = crash
    query.stop()  # closes the epoch: Kafka transaction committed, then the "crash"
    assert list((tmp_path / "ckpt" / "offsets").iterdir())
    assert not list((tmp_path / "ckpt" / "commits").iterdir())
    again = _exactly_once(spark, servers, source, target, tmp_path / "ckpt")
    try:
        _produce(servers, source, range(5, 8))
        assert _read_all(servers, target, "read_uncommitted", 8)[5:] == ["5", "6", "7"]
    finally:
        again.stop()
    assert sorted(_read_all(servers, target, "read_committed", 8), key=int) == list("01234567")


def test_delivery_guarantee_option_is_checked(
    spark: SparkSession, kaspar_broker: Any, topic_factory: Callable[..., str], tmp_path: Path
) -> None:
    writer = (
        _source(spark, kaspar_broker.bootstrap_servers, topic_factory())
        .select(F.col("id").cast("string").alias("value"))
        .writeStream.format("kafka")
        .option("kafka.bootstrap.servers", kaspar_broker.bootstrap_servers)
        .option("topic", "t")
        .option("deliveryGuarantee", "at-most-once")
        .option("checkpointLocation", str(tmp_path / "ckpt"))
        .trigger(realTime=INTERVAL)
    )
    with pytest.raises(IllegalArgumentException, match="deliveryGuarantee"):
        writer.start()


@pytest.mark.parametrize("sink", ["delta", "parquet"])
def test_sinks_idempotent_per_batch_id_are_refused(
    sink: str,
    spark: SparkSession,
    kaspar_broker: Any,
    topic_factory: Callable[..., str],
    tmp_path: Path,
) -> None:
    """A crashed epoch's replay cuts its chunks differently: a sink that skips batch ids it
    has seen would drop records."""
    writer = (
        _source(spark, kaspar_broker.bootstrap_servers, topic_factory())
        .writeStream.format(sink)
        .option("path", str(tmp_path / "out"))
        .option("checkpointLocation", str(tmp_path / "ckpt"))
        .trigger(realTime=INTERVAL)
    )
    with pytest.raises(AnalysisException, match="does not support the realTime"):
        writer.start()
