"""Stateful Structured Streaming: aggregations, event-time windows, watermarks, deduplication,
output modes, state checkpoints and restarts.

The expected batches of the windowed cases were recorded from PySpark 4 (file source, one file
per batch, the same rows, local[1], UTC): batch ids include Spark's no-data batches.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Producer
from deltalake import DeltaTable

from kaspar.errors import AnalysisException
from kaspar.sql import SparkSession
from kaspar.sql import functions as F
from kaspar.sql.streaming import MemoryStream

SCHEMA = "customerId string, amount double"


@pytest.fixture(scope="module")
def spark() -> SparkSession:
    return SparkSession.builder.config("spark.sql.session.timeZone", "UTC").getOrCreate()


def ts(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def window(start: str, end: str) -> tuple[dt.datetime, dt.datetime]:
    return ts(f"2024-01-01T{start}"), ts(f"2024-01-01T{end}")


EVENTS = [
    [("2024-01-01T10:00:05", "a", 1), ("2024-01-01T10:00:30", "a", 2)],
    [("2024-01-01T10:02:10", "a", 4)],
    # 10:00:50 is late once the watermark is 10:01:40 (its window ended at 10:01)
    [("2024-01-01T10:00:50", "a", 8), ("2024-01-01T10:01:45", "b", 16),
     ("2024-01-01T10:01:35", "c", 32)],
]  # fmt: skip

W0, W1, W2 = window("10:00", "10:01"), window("10:01", "10:02"), window("10:02", "10:03")
SPARK_BATCHES = {
    "update": [
        (0, [(W0, "a", 3, 2)]),
        (1, []),  # no-data batch: the watermark moved
        (2, [(W2, "a", 4, 1)]),
        (3, []),
        (4, [(W1, "b", 16, 1), (W1, "c", 32, 1)]),
    ],
    "append": [(0, []), (1, []), (2, []), (3, [(W0, "a", 3, 2)]), (4, [])],
}


def run_windowed(spark: SparkSession, mode: str, checkpoint: Path) -> tuple[list[Any], Any]:
    stream = MemoryStream(spark, "ts timestamp, k string, v int")
    counts = (
        stream.toDF()
        .withWatermark("ts", "30 seconds")
        .groupBy(F.window("ts", "1 minute"), "k")
        .agg(F.sum("v").alias("s"), F.count("*").alias("c"))
    )
    batches: list[Any] = []

    def collect(df: Any, batch_id: int) -> None:
        rows = [((r.window.start, r.window.end), r.k, r.s, r.c) for r in df.collect()]
        batches.append((batch_id, sorted(rows)))

    query = (
        counts.writeStream.outputMode(mode)
        .foreachBatch(collect)
        .option("checkpointLocation", str(checkpoint))
        .start()
    )
    for rows in EVENTS:
        stream.addData([(ts(t), k, v) for t, k, v in rows])
        query.processAllAvailable()
        query.processAllAvailable()  # and the no-data batch the new watermark asks for
    progress = query.lastProgress
    query.stop()
    assert query.exception() is None
    return batches, progress


@pytest.mark.parametrize("mode", ["update", "append"])
def test_windowed_aggregation_batches_match_spark(
    spark: SparkSession, mode: str, tmp_path: Path
) -> None:
    batches, progress = run_windowed(spark, mode, tmp_path / "ckpt")
    assert batches == SPARK_BATCHES[mode]
    assert progress["eventTime"] == {
        "avg": "2024-01-01T10:01:23.333Z",
        "max": "2024-01-01T10:01:45.000Z",
        "min": "2024-01-01T10:00:50.000Z",
        "watermark": "2024-01-01T10:01:40.000Z",
    }
    (state,) = progress["stateOperators"]
    assert state["operatorName"] == "stateStoreSave"
    assert state["numRowsDroppedByWatermark"] == 1
    assert state["numRowsTotal"] == 3
    assert state["numRowsUpdated"] == 2


def test_complete_mode_keeps_every_group(spark: SparkSession, tmp_path: Path) -> None:
    stream = MemoryStream(spark, "k string, v int")
    totals = stream.toDF().groupBy("k").agg(F.sum("v").alias("total"), F.count("*").alias("n"))
    query = (
        totals.writeStream.outputMode("complete")
        .format("memory")
        .queryName("complete_totals")
        .option("checkpointLocation", str(tmp_path / "ckpt"))
        .start()
    )
    stream.addData([("a", 1), ("b", 2)])
    query.processAllAvailable()
    stream.addData([("a", 10), (None, 5)])
    query.processAllAvailable()
    query.stop()
    rows = {r.k: (r.total, r.n) for r in spark.table("complete_totals").collect()}
    assert rows == {"a": (11, 2), "b": (2, 1), None: (5, 1)}


def test_many_aggregates_equal_batch_results(spark: SparkSession, tmp_path: Path) -> None:
    """Every mergeable aggregate, fed in 30 batches, equals the batch engine's answer."""
    stream = MemoryStream(spark, "k string, v int, d double")
    rows = [(k, i * (j + 1), i / 3) for i in range(30) for j, k in enumerate(["x", "y", None])]
    rows += [("x", None, None), ("z", None, None)]

    def aggregate(df: Any) -> Any:
        return df.groupBy("k").agg(
            F.sum("v").alias("sum"),
            F.count("v").alias("count"),
            F.count("*").alias("rows"),
            F.avg("d").alias("avg"),
            F.min("v").alias("min"),
            F.max("d").alias("max"),
            F.approx_count_distinct("v").alias("distinct"),
            F.collect_set("v").alias("set"),
            F.stddev("d").alias("stddev"),
            F.variance("d").alias("variance"),
            F.max_by("v", "d").alias("max_by"),
            F.first("v", ignorenulls=True).alias("first"),
            F.count_if(F.col("v") > 10).alias("over_10"),
            (F.max("v") - F.min("v")).alias("range"),
        )

    query = (
        aggregate(stream.toDF())
        .writeStream.outputMode("update")
        .format("memory")
        .queryName("many_aggs")
        .option("checkpointLocation", str(tmp_path / "ckpt"))
        .start()
    )
    for start in range(0, len(rows), 3):
        stream.addData(rows[start : start + 3])
        query.processAllAvailable()
    query.stop()
    latest: dict[Any, Any] = {}
    for r in spark.table("many_aggs").collect():  # update mode: the last row per key wins
        latest[r.k] = r.asDict()
    expected = aggregate(spark.createDataFrame(rows, "k string, v int, d double")).collect()
    assert len(latest) == len(expected) == 4
    for row in expected:
        got = latest[row.k]
        for name, value in row.asDict().items():
            if name == "set":
                assert sorted(got[name]) == sorted(value)
            elif isinstance(value, float):
                assert got[name] == pytest.approx(value, rel=1e-9)
            else:
                assert got[name] == value, name


def test_state_survives_restart_and_snapshots(
    spark: SparkSession, kaspar_broker: Any, topic_factory: Callable[..., str], tmp_path: Path
) -> None:
    """36 batches (three state snapshots), stopped and restarted twice: totals are exact."""
    servers, topic = kaspar_broker.bootstrap_servers, topic_factory()
    checkpoint = tmp_path / "ckpt"
    expected: dict[str, float] = {}
    for round_ in range(3):
        orders = [{"customerId": f"c{(i + round_) % 5}", "amount": float(i)} for i in range(36)]
        produce_orders(servers, topic, orders)
        for order in orders:
            key = order["customerId"]
            expected[key] = expected.get(key, 0.0) + order["amount"]
        query = (
            spark.readStream.format("kafka")
            .option("kafka.bootstrap.servers", servers)
            .option("subscribe", topic)
            .option("startingOffsets", "earliest")
            .option("maxOffsetsPerTrigger", "3")
            .load()
            .select(F.from_json(F.col("value").cast("string"), SCHEMA).alias("o"))
            .groupBy("o.customerId")
            .agg(F.sum("o.amount").alias("total"))
            .writeStream.outputMode("complete")
            .format("memory")
            .queryName("restart_totals")
            .option("checkpointLocation", str(checkpoint))
            .start()
        )
        query.processAllAvailable()
        query.stop()
        assert query.exception() is None
    got = {r.customerId: r.total for r in spark.table("restart_totals").collect()}
    assert got == expected
    files = sorted((checkpoint / "state" / "0" / "0").iterdir())
    assert any(f.name.endswith(".snapshot") for f in files)


def test_deduplication_with_watermark_matches_spark(spark: SparkSession, tmp_path: Path) -> None:
    stream = MemoryStream(spark, "ts timestamp, k string, v int")
    unique = stream.toDF().withWatermark("ts", "30 seconds").dropDuplicates(["k", "ts"])
    batches: list[Any] = []
    query = (
        unique.writeStream.foreachBatch(
            lambda df, b: batches.append((b, sorted((r.ts, r.k, r.v) for r in df.collect())))
        )
        .option("checkpointLocation", str(tmp_path / "ckpt"))
        .start()
    )
    for rows in (
        [("2024-01-01T10:00:05", "a", 1), ("2024-01-01T10:00:05", "a", 2)],
        [("2024-01-01T10:02:10", "a", 4), ("2024-01-01T10:00:05", "a", 3)],
        [("2024-01-01T10:01:00", "a", 8), ("2024-01-01T10:01:45", "b", 16)],
    ):
        stream.addData([(ts(t), k, v) for t, k, v in rows])
        query.processAllAvailable()
        query.processAllAvailable()
    query.stop()
    assert batches == [  # recorded from PySpark 4
        (0, [(ts("2024-01-01T10:00:05"), "a", 1)]),
        (1, []),
        (2, [(ts("2024-01-01T10:02:10"), "a", 4)]),
        (3, []),
        (4, [(ts("2024-01-01T10:01:45"), "b", 16)]),
    ]


def test_distinct_without_watermark(spark: SparkSession, tmp_path: Path) -> None:
    stream = MemoryStream(spark, "k string")
    query = (
        stream.toDF()
        .distinct()
        .writeStream.format("memory")
        .queryName("distinct_keys")
        .option("checkpointLocation", str(tmp_path / "ckpt"))
        .start()
    )
    for keys in (["a", "b", "a"], ["b", "c"], ["a"]):
        stream.addData([(k,) for k in keys])
        query.processAllAvailable()
    query.stop()
    assert sorted(r.k for r in spark.table("distinct_keys").collect()) == ["a", "b", "c"]


@pytest.mark.parametrize(
    ("build", "mode", "message"),
    [
        (lambda df: df.groupBy("k").count(), "append", "Append output mode not supported"),
        (lambda df: df.select("k"), "complete", "Complete output mode not supported"),
        (
            lambda df: (
                df.withColumn("ts", F.current_timestamp())
                .withWatermark("ts", "1 minute")
                .groupBy("k")
                .count()
            ),
            "append",
            "Append output mode not supported",
        ),
        (lambda df: df.orderBy("k"), "append", "Sorting is not supported"),
        (
            lambda df: df.groupBy("k").agg(F.countDistinct("v")),
            "update",
            "Distinct aggregations are not supported",
        ),
        (
            lambda df: df.groupBy("k").agg(F.percentile_approx("v", 0.5)),
            "update",
            "not supported in streaming aggregations",
        ),
        (
            lambda df: df.groupBy("k").count().groupBy("count").count(),
            "complete",
            "Multiple streaming aggregations",
        ),
        (
            lambda df: df.dropDuplicatesWithinWatermark(["k"]),
            "append",
            "dropDuplicatesWithinWatermark is not supported .* without watermark",
        ),
    ],
)
def test_invalid_plans_fail_before_start(
    spark: SparkSession, build: Callable[[Any], Any], mode: str, message: str
) -> None:
    df = MemoryStream(spark, "k string, v int").toDF()
    with pytest.raises(AnalysisException, match=message):
        build(df).writeStream.outputMode(mode).format("memory").queryName("never").start()
    assert not [q for q in spark.streams.active if q.name == "never"]


def test_with_watermark_validates(spark: SparkSession) -> None:
    df = MemoryStream(spark, "ts timestamp, s string").toDF()
    with pytest.raises(AnalysisException, match="must be defined on a window or a timestamp"):
        df.withWatermark("s", "1 minute")
    with pytest.raises(AnalysisException, match=r"UNRESOLVED_COLUMN|cannot be resolved"):
        df.withWatermark("nope", "1 minute")
    with pytest.raises(AnalysisException, match="should not be negative"):
        df.withWatermark("ts", "-1 minute")
    batch = spark.createDataFrame([(ts("2024-01-01T10:00:00"), "x")], "ts timestamp, s string")
    assert batch.withWatermark("ts", "1 minute").count() == 1  # a no-op for batch queries


def test_delta_sink_refuses_update_mode(spark: SparkSession, tmp_path: Path) -> None:
    df = MemoryStream(spark, "k string").toDF().groupBy("k").count()
    with pytest.raises(AnalysisException, match="does not support Update output mode"):
        df.writeStream.format("delta").outputMode("update").option(
            "checkpointLocation", str(tmp_path / "c")
        ).start(str(tmp_path / "t"))


# -- Kafka -> stateful -> Delta -------------------------------------------------------------


def produce_orders(servers: str, topic: str, orders: list[dict[str, Any]]) -> None:
    producer = Producer({"bootstrap.servers": servers, "linger.ms": 2})
    for order in orders:
        producer.produce(topic, json.dumps(order).encode(), key=order["customerId"].encode())
    assert producer.flush(15) == 0


def test_seed_order_totals_to_delta_complete(
    spark: SparkSession, kaspar_broker: Any, topic_factory: Callable[..., str], tmp_path: Path
) -> None:
    """Seed 001's pipeline, as written there: Kafka -> from_json -> groupBy sum -> Delta."""
    from kaspar.sql.functions import col, from_json
    from kaspar.sql.functions import sum as _sum
    from kaspar.sql.types import DoubleType, StringType, StructType

    servers, topic = kaspar_broker.bootstrap_servers, topic_factory(partitions=3)
    orders = [{"customerId": f"c{i % 7}", "amount": float(i)} for i in range(300)]
    produce_orders(servers, topic, orders[:200])
    stream = (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", servers)
        .option("subscribe", topic)
        .option("startingOffsets", "earliest")
        .option("maxOffsetsPerTrigger", "50")
        .load()
    )
    schema = StructType().add("customerId", StringType()).add("amount", DoubleType())
    parsed = stream.select(from_json(col("value").cast("string"), schema).alias("data")).select(
        "data.*"
    )
    totals = parsed.groupBy("customerId").agg(_sum("amount").alias("total"))
    table = str(tmp_path / "order_totals")
    query = (
        totals.writeStream.format("delta")
        .outputMode("complete")
        .option("checkpointLocation", str(tmp_path / "totals_ckpt"))
        .start(table)
    )
    query.processAllAvailable()
    produce_orders(servers, topic, orders[200:])
    query.processAllAvailable()
    query.stop()
    assert query.exception() is None
    expected: dict[str, float] = {}
    for order in orders:
        expected[order["customerId"]] = expected.get(order["customerId"], 0) + order["amount"]
    got = spark.read.format("delta").load(table).collect()
    assert {r.customerId: r.total for r in got} == expected
    assert len(DeltaTable(table).history()) >= 2  # one overwrite per batch


def test_kafka_windowed_append_to_delta_equals_batch(
    spark: SparkSession, kaspar_broker: Any, topic_factory: Callable[..., str], tmp_path: Path
) -> None:
    """Kafka -> 1-minute windows with a watermark -> Delta, append mode: once the watermark
    has passed every window, the table equals the batch computation over the same events."""
    servers, topic = kaspar_broker.bootstrap_servers, topic_factory(partitions=2)
    base = dt.datetime(2024, 1, 1, 10, 0, tzinfo=dt.UTC)
    events = [
        {
            "customerId": f"c{i % 3}",
            "amount": float(i % 11),
            "ts": (base + dt.timedelta(seconds=7 * i)).isoformat(),
        }
        for i in range(400)
    ]
    events.append({"customerId": "flush", "amount": 0.0, "ts": "2024-01-01T12:00:00+00:00"})
    produce_orders(servers, topic, events)
    schema = "customerId string, amount double, ts timestamp"
    parsed = (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", servers)
        .option("subscribe", topic)
        .option("startingOffsets", "earliest")
        .option("maxOffsetsPerTrigger", "60")
        .load()
        .select(F.from_json(F.col("value").cast("string"), schema).alias("e"))
        .select("e.*")
    )

    def windowed(df: Any) -> Any:
        return df.groupBy(F.window("ts", "1 minute"), "customerId").agg(
            F.sum("amount").alias("total"), F.count("*").alias("n")
        )

    table = str(tmp_path / "windows")
    query = (
        windowed(parsed.withWatermark("ts", "10 seconds"))
        .select(F.col("window.start").alias("start"), "customerId", "total", "n")
        .writeStream.format("delta")
        .outputMode("append")
        .option("checkpointLocation", str(tmp_path / "ckpt"))
        .trigger(availableNow=True)
        .start(table)
    )
    assert query.awaitTermination(60)
    batch = (
        spark.read.format("kafka")
        .option("kafka.bootstrap.servers", servers)
        .option("subscribe", topic)
        .load()
        .select(F.from_json(F.col("value").cast("string"), schema).alias("e"))
        .select("e.*")
    )
    expected = {
        (r.window.start, r.customerId, r.total, r.n)
        for r in windowed(batch.filter(F.col("customerId") != "flush")).collect()
    }
    got = {
        (r.start, r.customerId, r.total, r.n)
        for r in spark.read.format("delta").load(table).collect()
    }
    assert got == expected


STATIC = [("k0", "zero"), ("k1", "one"), ("k2", "two")]
SHAPES: dict[str, Callable[[Any, Any], Any]] = {
    "sliding windows": lambda df, _: df.groupBy(F.window("ts", "10 minutes", "5 minutes"), "k").agg(
        F.sum("v").alias("s")
    ),
    "expression key": lambda df, _: df.groupBy(F.substring("k", 2, 1).alias("d")).agg(
        F.count("*").alias("c"), F.avg("v").alias("a")
    ),
    "stream-static join": lambda df, static: (
        df.join(static, "k").groupBy("name").agg(F.max("v").alias("m"))
    ),
    "dedup then count": lambda df, _: df.dropDuplicates(["k"]).groupBy("k").count(),
    "having, sort, reorder": lambda df, _: (
        df.groupBy("k")
        .agg(F.sum("v").alias("s"))
        .filter("s > 100")
        .orderBy(F.desc("s"))
        .select("s", "k")
    ),
    "global aggregate": lambda df, _: df.agg(F.count("*").alias("n"), F.sum("v").alias("s")),
}


@pytest.mark.parametrize("shape", list(SHAPES))
def test_complete_mode_equals_batch(spark: SparkSession, shape: str, tmp_path: Path) -> None:
    base = dt.datetime(2024, 1, 1, 10, 0)
    rows = [(base + dt.timedelta(seconds=37 * i), f"k{i % 4}", i) for i in range(200)]
    static = spark.createDataFrame(STATIC, "k string, name string")
    stream = MemoryStream(spark, "ts timestamp, k string, v int")
    name = "shape_" + shape.replace(" ", "_").replace(",", "").replace("-", "_")
    query = (
        SHAPES[shape](stream.toDF(), static)
        .writeStream.outputMode("complete")
        .format("memory")
        .queryName(name)
        .option("checkpointLocation", str(tmp_path / "ckpt"))
        .start()
    )
    for start in range(0, len(rows), 23):
        stream.addData(rows[start : start + 23])
        query.processAllAvailable()
    query.stop()
    assert query.exception() is None
    batch = SHAPES[shape](spark.createDataFrame(rows, "ts timestamp, k string, v int"), static)
    got = [tuple(r) for r in spark.table(name).collect()]
    expected = [tuple(r) for r in batch.collect()]
    if shape.startswith("having"):
        assert got == expected  # sorted in complete mode, as in Spark
    else:
        assert sorted(got, key=str) == sorted(expected, key=str)


def test_min_offsets_per_trigger_waits_for_enough_data(
    spark: SparkSession, kaspar_broker: Any, topic_factory: Callable[..., str], tmp_path: Path
) -> None:
    servers, topic = kaspar_broker.bootstrap_servers, topic_factory()
    query = (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", servers)
        .option("subscribe", topic)
        .option("startingOffsets", "earliest")
        .option("minOffsetsPerTrigger", "20")
        .option("maxTriggerDelay", "1h")
        .load()
        .writeStream.format("memory")
        .queryName("min_offsets")
        .option("checkpointLocation", str(tmp_path / "ckpt"))
        .start()
    )
    orders = [{"customerId": "c", "amount": float(i)} for i in range(30)]
    produce_orders(servers, topic, orders[:10])
    query.processAllAvailable()
    assert spark.table("min_offsets").count() == 0  # 10 < 20: no batch yet
    produce_orders(servers, topic, orders[10:])
    query.processAllAvailable()
    query.stop()
    assert spark.table("min_offsets").count() == 30


def test_new_partitions_are_picked_up(
    spark: SparkSession, kaspar_broker: Any, topic_factory: Callable[..., str], tmp_path: Path
) -> None:
    import time

    from confluent_kafka.admin import AdminClient, NewPartitions

    servers, topic = kaspar_broker.bootstrap_servers, topic_factory(partitions=1)
    query = (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", servers)
        .option("subscribe", topic)
        .option("startingOffsets", "earliest")
        .load()
        .groupBy("partition")
        .count()
        .writeStream.outputMode("complete")
        .format("memory")
        .queryName("per_partition")
        .option("checkpointLocation", str(tmp_path / "ckpt"))
        .start()
    )
    producer = Producer({"bootstrap.servers": servers})
    for _ in range(5):
        producer.produce(topic, b"x", partition=0)
    producer.flush(10)
    query.processAllAvailable()
    admin = AdminClient({"bootstrap.servers": servers})
    admin.create_partitions([NewPartitions(topic, 2)])[topic].result(10)
    producer = Producer({"bootstrap.servers": servers})  # one that knows the new partition
    for _ in range(3):
        producer.produce(topic, b"y", partition=1)
    producer.flush(10)
    deadline = time.monotonic() + 20
    counts: dict[int, int] = {}
    while counts != {0: 5, 1: 3} and time.monotonic() < deadline:
        query.processAllAvailable()
        counts = {r.partition: r["count"] for r in spark.table("per_partition").collect()}
        time.sleep(0.2)
    query.stop()
    assert counts == {0: 5, 1: 3}


def test_rate_micro_batch_source(spark: SparkSession, tmp_path: Path) -> None:
    query = (
        spark.readStream.format("rate-micro-batch")
        .option("rowsPerBatch", 3)
        .option("startTimestamp", 1000)
        .option("advanceMillisPerBatch", 500)
        .load()
        .writeStream.format("memory")
        .queryName("rate_batches")
        .option("checkpointLocation", str(tmp_path / "ckpt"))
        .trigger(once=True)
        .start()
    )
    assert query.awaitTermination(20)
    rows = spark.table("rate_batches").orderBy("value").collect()
    assert [r.value for r in rows] == [0, 1, 2]
    assert {r.timestamp.timestamp() for r in rows} == {1.0}
    with pytest.raises(Exception, match="rowsPerBatch"):
        spark.readStream.format("rate-micro-batch").load()


def test_socket_source_word_count(spark: SparkSession, tmp_path: Path) -> None:
    """Spark's quick example: words from a socket (`nc -lk 9999`), counted in complete mode."""
    import socket as sockets
    import time

    server = sockets.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    lines = (
        spark.readStream.format("socket").option("host", "127.0.0.1").option("port", port).load()
    )
    words = lines.select(F.explode(F.split(lines.value, " ")).alias("word"))
    query = (
        words.groupBy("word")
        .count()
        .writeStream.outputMode("complete")
        .format("memory")
        .queryName("socket_words")
        .start()
    )
    connection, _ = server.accept()
    connection.sendall(b"apache spark\napache hadoop\n")
    try:
        deadline = time.monotonic() + 20
        counts: dict[str, int] = {}
        while counts != {"apache": 2, "spark": 1, "hadoop": 1}:
            assert time.monotonic() < deadline, counts
            query.processAllAvailable()
            counts = {r.word: r["count"] for r in spark.table("socket_words").collect()}
    finally:
        query.stop()
        connection.close()
        server.close()
