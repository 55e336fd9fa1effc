"""The Kafka source's progress: ``latestOffset`` and Spark's lag metrics, against a real broker."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Consumer, Producer
from confluent_kafka import TopicPartition as KafkaTopicPartition

from kaspar.sql import SparkSession


@pytest.fixture(scope="module")
def spark() -> SparkSession:
    return SparkSession.builder.getOrCreate()


def end_offsets(servers: str, topic: str, partitions: int) -> dict[str, dict[str, int]]:
    """The topic's high watermarks, in Spark's offset JSON."""
    consumer = Consumer({"bootstrap.servers": servers, "group.id": "progress-test"})
    try:
        ends = {
            str(p): consumer.get_watermark_offsets(KafkaTopicPartition(topic, p), 10)[1]
            for p in range(partitions)
        }
    finally:
        consumer.close()
    return {topic: ends}


def test_kafka_lag_metrics_and_latest_offset(
    spark: SparkSession, kaspar_broker: Any, topic_factory: Callable[..., str], tmp_path: Path
) -> None:
    servers, topic = kaspar_broker.bootstrap_servers, topic_factory(partitions=3)
    producer = Producer({"bootstrap.servers": servers})
    for partition, count in ((0, 20), (1, 10)):  # partition 2 stays empty
        for i in range(count):
            producer.produce(topic, str(i).encode(), partition=partition)
    assert producer.flush(15) == 0
    latest = end_offsets(servers, topic, 3)
    assert latest == {topic: {"0": 20, "1": 10, "2": 0}}
    query = (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", servers)
        .option("subscribe", topic)
        .option("startingOffsets", "earliest")
        .option("maxOffsetsPerTrigger", "6")
        .load()
        .writeStream.format("memory")
        .queryName("kafka_progress")
        .option("checkpointLocation", str(tmp_path / "ckpt"))
        .start()
    )
    try:
        query.processAllAvailable()
    finally:
        query.stop()
    progress = query.recentProgress
    assert sum(p["numInputRows"] for p in progress) == 30
    first, last = progress[0]["sources"][0], progress[-1]["sources"][0]
    # 6 offsets shared by backlog (4, 2, 0): 16, 8 and 0 behind the end offsets
    assert json.loads(first["endOffset"]) == {topic: {"0": 4, "1": 2, "2": 0}}
    assert json.loads(first["latestOffset"]) == latest
    assert first["metrics"] == {
        "avgOffsetsBehindLatest": "8.0",
        "maxOffsetsBehindLatest": "16",
        "minOffsetsBehindLatest": "0",
    }
    assert json.loads(last["endOffset"]) == json.loads(last["latestOffset"]) == latest
    assert last["metrics"] == {
        "avgOffsetsBehindLatest": "0.0",
        "maxOffsetsBehindLatest": "0",
        "minOffsetsBehindLatest": "0",
    }
    rendered = json.loads(query.lastProgress.json)["sources"][0]
    assert rendered["latestOffset"] == latest and rendered["metrics"] == last["metrics"]


def test_idle_trigger_reports_latest_offset_and_lag(
    spark: SparkSession, kaspar_broker: Any, topic_factory: Callable[..., str], tmp_path: Path
) -> None:
    """A trigger that runs no batch (here: fewer new records than minOffsetsPerTrigger) still
    reports the latest offsets and how far the query is behind them, as Spark does."""
    import time

    servers, topic = kaspar_broker.bootstrap_servers, topic_factory(partitions=2)
    producer = Producer({"bootstrap.servers": servers})
    for i in range(30):
        producer.produce(topic, str(i).encode(), partition=i % 2)
    assert producer.flush(15) == 0
    query = (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", servers)
        .option("subscribe", topic)
        .option("startingOffsets", "earliest")
        .option("minOffsetsPerTrigger", "1000")
        .option("maxTriggerDelay", "1h")
        .load()
        .writeStream.format("memory")
        .queryName("kafka_idle_progress")
        .trigger(processingTime="100 milliseconds")
        .option("checkpointLocation", str(tmp_path / "ckpt"))
        .start()
    )
    try:
        deadline = time.monotonic() + 20
        while not query.recentProgress and time.monotonic() < deadline:
            time.sleep(0.05)
        idle = query.lastProgress
    finally:
        query.stop()
    assert idle is not None and idle["numInputRows"] == 0
    source = idle["sources"][0]
    assert json.loads(source["latestOffset"]) == {topic: {"0": 15, "1": 15}}
    assert source["metrics"] == {
        "avgOffsetsBehindLatest": "15.0",
        "maxOffsetsBehindLatest": "15",
        "minOffsetsBehindLatest": "15",
    }
