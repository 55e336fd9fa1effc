"""``spark.read.format("kafka")`` against a real kaspar broker on loopback."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from confluent_kafka import Producer

from kaspar.errors import IllegalArgumentException
from kaspar.sql import SparkSession


@pytest.fixture(scope="module")
def spark() -> SparkSession:
    return SparkSession.builder.config("spark.sql.session.timeZone", "UTC").getOrCreate()


def produce(servers: str, topic: str, records: list[tuple[int, bytes | None, bytes, Any]]) -> None:
    """Write (partition, key, value, headers) records and wait for every ack."""
    producer = Producer({"bootstrap.servers": servers, "linger.ms": 5})
    for partition, key, value, headers in records:
        producer.produce(topic, value=value, key=key, partition=partition, headers=headers)
    assert producer.flush(15) == 0


@pytest.fixture
def orders(kaspar_broker: Any, topic_factory: Callable[..., str]) -> str:
    """A 3-partition topic: partition p holds 4 + p records, keys k<p>-<i>, one header each."""
    topic = topic_factory(partitions=3)
    records = [
        (p, f"k{p}-{i}".encode(), f"v{p}-{i}".encode(), [("h", f"{i}".encode())])
        for p in range(3)
        for i in range(4 + p)
    ]
    produce(kaspar_broker.bootstrap_servers, topic, records)
    return topic


def reader(spark: SparkSession, broker: Any, **options: str) -> Any:
    read = spark.read.format("kafka").option("kafka.bootstrap.servers", broker.bootstrap_servers)
    for key, value in options.items():
        read = read.option(key, value)
    return read


def test_schema_is_sparks(spark: SparkSession, kaspar_broker: Any, orders: str) -> None:
    df = reader(spark, kaspar_broker, subscribe=orders, includeHeaders="true").load()
    assert [(f.name, f.dataType.simpleString()) for f in df.schema] == [
        ("key", "binary"),
        ("value", "binary"),
        ("topic", "string"),
        ("partition", "int"),
        ("offset", "bigint"),
        ("timestamp", "timestamp"),
        ("timestampType", "int"),
        ("headers", "array<struct<key:string,value:binary>>"),
    ]
    plain = reader(spark, kaspar_broker, subscribe=orders).load()
    assert plain.columns == df.columns[:-1]


def test_reads_every_record(spark: SparkSession, kaspar_broker: Any, orders: str) -> None:
    df = reader(spark, kaspar_broker, subscribe=orders, includeHeaders="true").load()
    rows = df.collect()
    assert len(rows) == 4 + 5 + 6
    first = rows[0]
    assert (first.topic, first.partition, first.offset) == (orders, 0, 0)
    assert (bytes(first.key), bytes(first.value)) == (b"k0-0", b"v0-0")
    assert first.timestampType == 0
    assert first.timestamp is not None
    assert [(h.key, bytes(h.value)) for h in first.headers] == [("h", b"0")]
    counts = df.groupBy("partition").count().orderBy("partition").collect()
    assert [(r.partition, r["count"]) for r in counts] == [(0, 4), (1, 5), (2, 6)]


def test_cast_value_to_string(spark: SparkSession, kaspar_broker: Any, orders: str) -> None:
    df = reader(spark, kaspar_broker, subscribe=orders).load()
    values = df.selectExpr("CAST(key AS STRING) AS k", "CAST(value AS STRING) AS v")
    got = values.where("k LIKE 'k2-%'").orderBy("k").collect()
    assert [(r.k, r.v) for r in got] == [(f"k2-{i}", f"v2-{i}") for i in range(6)]


def test_filter_by_partition_and_offset(
    spark: SparkSession, kaspar_broker: Any, orders: str
) -> None:
    df = reader(spark, kaspar_broker, subscribe=orders).load()
    got = df.where("partition = 1 AND offset >= 3").selectExpr("CAST(value AS STRING) AS v")
    assert [r.v for r in got.collect()] == ["v1-3", "v1-4"]


def test_offset_ranges_as_json(spark: SparkSession, kaspar_broker: Any, orders: str) -> None:
    starting = json.dumps({orders: {"0": 1, "1": -2, "2": 4}})
    ending = json.dumps({orders: {"0": 3, "1": 2, "2": -1}})
    df = reader(
        spark, kaspar_broker, subscribe=orders, startingOffsets=starting, endingOffsets=ending
    ).load()
    got = sorted((r.partition, r.offset) for r in df.select("partition", "offset").collect())
    assert got == [(0, 1), (0, 2), (1, 0), (1, 1), (2, 4), (2, 5)]


def test_assign_and_pattern(
    spark: SparkSession, kaspar_broker: Any, orders: str, topic_factory: Callable[..., str]
) -> None:
    other = topic_factory(partitions=1)
    produce(kaspar_broker.bootstrap_servers, other, [(0, None, b"x", None)])
    assigned = reader(spark, kaspar_broker, assign=json.dumps({orders: [2]})).load()
    assert {r.partition for r in assigned.collect()} == {2}
    assert assigned.count() == 6
    both = reader(spark, kaspar_broker, subscribe=f"{orders},{other}").load()
    assert both.count() == 16
    prefix = orders.rsplit("-", 1)[0]
    pattern = reader(spark, kaspar_broker, subscribePattern=f"{prefix}-[0-9a-f]+").load()
    assert pattern.count() == 16
    exact = reader(spark, kaspar_broker, subscribePattern=re.escape(orders)).load()
    assert exact.count() == 15
    nokey = reader(spark, kaspar_broker, subscribe=other).load().collect()
    assert nokey[0].key is None
    assert bytes(nokey[0].value) == b"x"


def test_starting_timestamp(spark: SparkSession, kaspar_broker: Any, orders: str) -> None:
    df = reader(spark, kaspar_broker, subscribe=orders, startingTimestamp="0").load()
    assert df.count() == 15
    future = reader(spark, kaspar_broker, subscribe=orders, startingTimestamp=str(2**50)).load()
    assert future.count() == 0


def test_empty_and_unknown_topics(
    spark: SparkSession, kaspar_broker: Any, topic_factory: Callable[..., str]
) -> None:
    empty = topic_factory(partitions=2)
    assert reader(spark, kaspar_broker, subscribe=empty).load().count() == 0
    assert reader(spark, kaspar_broker, subscribe="no-such-topic-here").load().count() == 0


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({}, "One of the following options must be specified for Kafka source"),
        ({"subscribe": "a", "assign": '{"a":[0]}'}, "Only one of the following options"),
        ({"subscribe": "a", "startingOffsets": "latest"}, "starting offset can't be latest"),
        ({"subscribe": "a", "endingOffsets": "earliest"}, "ending offset can't be earliest"),
        ({"subscribe": "a", "startingOffsets": "{bad"}, 'Expected e.g. {"topicA":{"0":23'),
        ({"subscribe": "a", "startingOffsets": '{"a":{"0":-1}}'}, "a-0 can't be latest"),
        ({"subscribe": "a", "endingOffsets": '{"a":{"0":-2}}'}, "a-0 can't be earliest"),
        ({"assign": "[1,2]"}, 'Expected e.g. {"topicA":[0,1]'),
        ({"subscribe": " , "}, "No topics to subscribe to"),
        ({"subscribe": "a", "kafka.auto.offset.reset": "latest"}, "'auto.offset.reset' is not"),
        ({"subscribe": "a", "kafka.no.such.setting": "1"}, "Invalid 'kafka.*' option"),
    ],
)
def test_bad_options(
    spark: SparkSession, kaspar_broker: Any, options: dict[str, str], message: str
) -> None:
    with pytest.raises(IllegalArgumentException, match=re.escape(message)):
        reader(spark, kaspar_broker, **options).load().count()  # some only when it reads


def test_missing_bootstrap_servers(spark: SparkSession) -> None:
    with pytest.raises(IllegalArgumentException, match=r"kafka\.bootstrap\.servers"):
        spark.read.format("kafka").option("subscribe", "a").load()


def test_missing_partitions_in_json_offsets(
    spark: SparkSession, kaspar_broker: Any, orders: str
) -> None:
    starting = json.dumps({orders: {"0": 0}})
    frame = reader(spark, kaspar_broker, subscribe=orders, startingOffsets=starting).load()
    with pytest.raises(IllegalArgumentException, match="you must specify all TopicPartitions"):
        frame.collect()  # as Spark: the offsets are resolved when a query reads them


def test_a_batch_read_is_lazy_and_reads_again_at_each_action(
    spark: SparkSession, kaspar_broker: Any, topic_factory: Callable[..., str]
) -> None:
    """As Spark's ``KafkaRelation``: ``load()`` reads nothing, and each action resolves the
    offsets again, so records produced after ``load()`` are seen by the next action."""
    topic = topic_factory(partitions=2)
    producer = Producer({"bootstrap.servers": kaspar_broker.bootstrap_servers})
    for i in range(6):
        producer.produce(topic, str(i).encode(), partition=i % 2)
    assert producer.flush(10) == 0
    frame = reader(spark, kaspar_broker, subscribe=topic).load()
    counts = frame.groupBy("partition").count()
    assert frame.count() == 6
    for i in range(6, 10):
        producer.produce(topic, str(i).encode(), partition=i % 2)
    assert producer.flush(10) == 0
    assert frame.count() == 10
    assert sorted(tuple(r) for r in counts.collect()) == [(0, 5), (1, 5)]
    assert frame.schema.names == [
        "key",
        "value",
        "topic",
        "partition",
        "offset",
        "timestamp",
        "timestampType",
    ]


def test_custom_schema_is_rejected(spark: SparkSession, kaspar_broker: Any, orders: str) -> None:
    with pytest.raises(IllegalArgumentException, match="fixed schema"):
        reader(spark, kaspar_broker, subscribe=orders).schema("value string").load()
