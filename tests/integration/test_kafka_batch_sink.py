"""``df.write.format("kafka").save()`` against a real kaspar broker on loopback."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from kaspar.errors import AnalysisException
from kaspar.sql import SparkSession
from kaspar.sql import functions as F


@pytest.fixture(scope="module")
def spark() -> SparkSession:
    return SparkSession.builder.getOrCreate()


def read_back(spark: SparkSession, broker: Any, topics: str) -> list[tuple[Any, ...]]:
    df = (
        spark.read.format("kafka")
        .option("kafka.bootstrap.servers", broker.bootstrap_servers)
        .option("subscribe", topics)
        .load()
    )
    rows = df.select(
        "topic", "partition", F.col("key").cast("string"), F.col("value").cast("string")
    )
    return sorted((tuple(r) for r in rows.collect()), key=lambda r: (r[0], r[1], r[3]))


def test_topic_option_key_value_partition(
    spark: SparkSession, kaspar_broker: Any, topic_factory: Callable[..., str]
) -> None:
    topic = topic_factory(partitions=2)
    df = spark.createDataFrame(
        [("a", "1", 0), (None, "2", 1), ("c", "3", 1)], "key string, value string, partition int"
    )
    (
        df.write.format("kafka")
        .option("kafka.bootstrap.servers", kaspar_broker.bootstrap_servers)
        .option("topic", topic)
        .save()
    )
    assert read_back(spark, kaspar_broker, topic) == [
        (topic, 0, "a", "1"),
        (topic, 1, None, "2"),
        (topic, 1, "c", "3"),
    ]


def test_topic_column_routes_rows(
    spark: SparkSession, kaspar_broker: Any, topic_factory: Callable[..., str]
) -> None:
    low, high = topic_factory(), topic_factory()
    df = spark.createDataFrame([(1,), (5,), (9,)], "n int").select(
        F.when(F.col("n") < 5, F.lit(low)).otherwise(F.lit(high)).alias("topic"),
        F.col("n").cast("string").alias("value"),
    )
    df.write.mode("append").format("kafka").option(
        "kafka.bootstrap.servers", kaspar_broker.bootstrap_servers
    ).save()
    expected = [(high, 0, None, "5"), (high, 0, None, "9"), (low, 0, None, "1")]
    assert read_back(spark, kaspar_broker, f"{low},{high}") == sorted(
        expected,
        key=lambda r: (r[0], r[1], r[3]),  # the names end in random hex
    )


def test_overwrite_is_refused_and_value_required(spark: SparkSession, kaspar_broker: Any) -> None:
    df = spark.createDataFrame([("x",)], "value string")
    write = df.write.format("kafka").option("kafka.bootstrap.servers", "127.0.0.1:1")
    with pytest.raises(AnalysisException, match="Save mode overwrite not allowed for Kafka"):
        write.mode("overwrite").option("topic", "t").save()
    no_value = spark.createDataFrame([("x",)], "v string").write.format("kafka")
    with pytest.raises(AnalysisException, match="Required attribute 'value' not found"):
        no_value.option("kafka.bootstrap.servers", "127.0.0.1:1").option("topic", "t").save()
