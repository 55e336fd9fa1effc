"""Structured Streaming from (and to) a real kaspar broker on loopback."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Consumer, Producer
from confluent_kafka import TopicPartition as KafkaTopicPartition
from deltalake import DeltaTable

from kaspar.errors import StreamingQueryException
from kaspar.sql import SparkSession
from kaspar.sql import functions as F

SCHEMA = "id int, amount double, region string"


@pytest.fixture(scope="module")
def spark() -> SparkSession:
    return SparkSession.builder.config("spark.sql.session.timeZone", "UTC").getOrCreate()


def produce(servers: str, topic: str, ids: range, partitions: int = 1) -> None:
    producer = Producer({"bootstrap.servers": servers, "linger.ms": 2})
    for i in ids:
        order = {"id": i, "amount": i * 1.5, "region": "eu" if i % 2 else "us"}
        producer.produce(
            topic, json.dumps(order).encode(), key=str(i).encode(), partition=i % partitions
        )
    assert producer.flush(15) == 0


def orders(spark: SparkSession, servers: str, topic: str, **options: str) -> Any:
    reader = (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", servers)
        .option("subscribe", topic)
        .option("startingOffsets", "earliest")
    )
    for key, value in options.items():
        reader = reader.option(key, value)
    parsed = reader.load().select(F.from_json(F.col("value").cast("string"), SCHEMA).alias("o"))
    return parsed.select("o.*").filter(F.col("amount") > 0)


def ids_in(spark: SparkSession, view: str) -> list[int]:
    return sorted(r.id for r in spark.sql(f"select id from {view}").collect())


def test_kafka_to_memory_available_now(
    spark: SparkSession, kaspar_broker: Any, topic_factory: Callable[..., str], tmp_path: Path
) -> None:
    servers, topic = kaspar_broker.bootstrap_servers, topic_factory(partitions=3)
    produce(servers, topic, range(30), partitions=3)
    query = (
        orders(spark, servers, topic, maxOffsetsPerTrigger="10")
        .writeStream.format("memory")
        .queryName("avail_now")
        .option("checkpointLocation", str(tmp_path / "ckpt"))
        .trigger(availableNow=True)
        .start()
    )
    assert query.awaitTermination(20)
    assert ids_in(spark, "avail_now") == list(range(1, 30))  # amount 0 filtered out
    progress = query.recentProgress
    assert [p["batchId"] for p in progress] == list(range(len(progress)))
    assert len(progress) >= 3  # maxOffsetsPerTrigger split the backlog
    assert sum(p["numInputRows"] for p in progress) == 30
    last = query.lastProgress
    assert last is not None
    for key in ("id", "runId", "name", "timestamp", "inputRowsPerSecond", "processedRowsPerSecond"):
        assert key in last
    for key in (
        "addBatch",
        "getBatch",
        "latestOffset",
        "queryPlanning",
        "triggerExecution",
        "walCommit",
    ):
        assert key in last["durationMs"]
    source = last["sources"][0]
    assert json.loads(source["endOffset"]) == {topic: {"0": 10, "1": 10, "2": 10}}
    assert set(source) >= {"description", "startOffset", "latestOffset", "numInputRows"}
    assert last["sink"]["description"] == "MemorySink"
    checkpoint = tmp_path / "ckpt"
    assert (checkpoint / "metadata").exists()
    lines = (checkpoint / "offsets" / "0").read_text().split("\n")
    assert lines[0] == "v1" and "batchTimestampMs" in lines[1] and json.loads(lines[2])
    assert (checkpoint / "commits" / "0").read_text().startswith("v1\n")


def test_restart_continues_exactly(
    spark: SparkSession, kaspar_broker: Any, topic_factory: Callable[..., str], tmp_path: Path
) -> None:
    servers, topic = kaspar_broker.bootstrap_servers, topic_factory(partitions=2)
    checkpoint, table = str(tmp_path / "ckpt"), str(tmp_path / "delta")

    def run(ids: range) -> None:
        produce(servers, topic, ids, partitions=2)
        query = (
            orders(spark, servers, topic, maxOffsetsPerTrigger="7")
            .writeStream.format("delta")
            .option("checkpointLocation", checkpoint)
            .start(table)
        )
        query.processAllAvailable()
        query.stop()
        assert query.exception() is None

    run(range(1, 21))
    # a crash after the offsets entry of the next batch was written but before its commit:
    # the restarted query re-runs it (the Delta txn makes the re-run write nothing twice).
    ckpt = Path(checkpoint)
    last = max(int(p.name) for p in (ckpt / "commits").iterdir())
    (ckpt / "commits" / str(last)).unlink()
    run(range(21, 41))
    rows = DeltaTable(table).to_pyarrow_table()["id"].to_pylist()
    assert sorted(rows) == list(range(1, 41))


def test_restart_into_memory_sink(
    spark: SparkSession, kaspar_broker: Any, topic_factory: Callable[..., str], tmp_path: Path
) -> None:
    servers, topic = kaspar_broker.bootstrap_servers, topic_factory()
    checkpoint = str(tmp_path / "ckpt")
    collected: list[int] = []

    def collect(df: Any, batch_id: int) -> None:
        collected.extend(r.id for r in df.collect())

    for ids in (range(1, 11), range(11, 16)):
        produce(servers, topic, ids)
        query = (
            orders(spark, servers, topic)
            .writeStream.foreachBatch(collect)
            .option("checkpointLocation", checkpoint)
            .start()
        )
        query.processAllAvailable()
        query.stop()
    assert collected == list(range(1, 16))


def test_foreach_batch_ids(
    spark: SparkSession, kaspar_broker: Any, topic_factory: Callable[..., str], tmp_path: Path
) -> None:
    servers, topic = kaspar_broker.bootstrap_servers, topic_factory()
    produce(servers, topic, range(1, 13))
    calls: list[tuple[int, int]] = []
    query = (
        orders(spark, servers, topic, maxOffsetsPerTrigger="5")
        .writeStream.foreachBatch(lambda df, batch_id: calls.append((batch_id, df.count())))
        .option("checkpointLocation", str(tmp_path / "ckpt"))
        .trigger(availableNow=True)
        .start()
    )
    assert query.awaitTermination(20)
    assert calls == [(0, 5), (1, 5), (2, 2)]


def test_latest_runs_an_empty_batch_0_then_the_new_records(
    spark: SparkSession, kaspar_broker: Any, topic_factory: Callable[..., str], tmp_path: Path
) -> None:
    """As Spark: nothing is committed at the start, so the first trigger runs batch 0 from the
    resolved ``latest`` offsets, with no rows; records produced after it are batch 1."""
    servers, topic = kaspar_broker.bootstrap_servers, topic_factory()
    produce(servers, topic, range(1, 4))  # before the start: never read
    calls: list[tuple[int, list[int]]] = []
    query = (
        orders(spark, servers, topic, startingOffsets="latest")
        .writeStream.foreachBatch(
            lambda df, batch_id: calls.append((batch_id, sorted(r.id for r in df.collect())))
        )
        .option("checkpointLocation", str(tmp_path / "ckpt"))
        .trigger(processingTime="100 milliseconds")
        .start()
    )
    try:
        query.processAllAvailable()
        assert calls == [(0, [])]
        produce(servers, topic, range(10, 13))
        query.processAllAvailable()
        assert calls == [(0, []), (1, [10, 11, 12])]
        assert [p["batchId"] for p in query.recentProgress if p["numInputRows"]] == [1]
    finally:
        query.stop()


def read_committed(servers: str, topic: str, expected: int) -> list[bytes]:
    consumer = Consumer(
        {
            "bootstrap.servers": servers,
            "group.id": f"check-{uuid.uuid4()}",
            "isolation.level": "read_committed",
            "auto.offset.reset": "earliest",
            "enable.partition.eof": True,
        }
    )
    consumer.assign([KafkaTopicPartition(topic, 0, 0)])
    values: list[bytes] = []
    try:
        for _ in range(40):
            for message in consumer.consume(100, timeout=0.25):
                if message.error() is None:
                    values.append(message.value())
            if len(values) >= expected:
                consumer.consume(100, timeout=0.5)  # nothing more may follow
                break
    finally:
        consumer.close()
    return values


def test_kafka_to_kafka_exactly_once(
    spark: SparkSession, kaspar_broker: Any, topic_factory: Callable[..., str], tmp_path: Path
) -> None:
    servers = kaspar_broker.bootstrap_servers
    source, sink = topic_factory(), topic_factory()
    checkpoint = str(tmp_path / "ckpt")
    for ids, drop_commit in ((range(1, 11), True), (range(11, 16), False)):
        produce(servers, source, ids)
        query = (
            orders(spark, servers, source)
            .select(
                F.col("region").alias("key"), F.to_json(F.struct("id", "amount")).alias("value")
            )
            .writeStream.format("kafka")
            .option("kafka.bootstrap.servers", servers)
            .option("topic", sink)
            .option("checkpointLocation", checkpoint)
            .start()
        )
        query.processAllAvailable()
        query.stop()
        assert query.exception() is None
        if drop_commit:  # crash between the Kafka commit and commits/<id>: the re-run is skipped
            commits = Path(checkpoint) / "commits"
            (commits / str(max(int(p.name) for p in commits.iterdir()))).unlink()
    values = read_committed(servers, sink, 15)
    assert sorted(json.loads(v)["id"] for v in values) == list(range(1, 16))


def test_failure_stops_query_not_process(
    spark: SparkSession, kaspar_broker: Any, topic_factory: Callable[..., str], tmp_path: Path
) -> None:
    servers, topic = kaspar_broker.bootstrap_servers, topic_factory()
    produce(servers, topic, range(1, 4))

    def fail(df: Any, batch_id: int) -> None:
        raise ValueError("boom")

    query = (
        orders(spark, servers, topic)
        .writeStream.foreachBatch(fail)
        .option("checkpointLocation", str(tmp_path / "ckpt"))
        .start()
    )
    with pytest.raises(StreamingQueryException, match="boom"):
        query.awaitTermination(20)
    assert not query.isActive
    assert isinstance(query.exception(), StreamingQueryException)
    assert not (tmp_path / "ckpt" / "commits" / "0").exists()
