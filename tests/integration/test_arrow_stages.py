"""Streaming stages evaluated over Arrow (``engine/arrow_eval.py``) give DuckDB's rows.

Each query runs as a stream over a MemoryStream, one micro-batch per chunk of rows; the first
chunks are checked against DuckDB by the stage itself, so the tricky rows (NaN, NULL, control
characters, single quotes, malformed or non-object JSON, overflow, negative timestamps) come
after them, where only the Arrow form would compute them. The sink's rows must equal the same
query run as a batch query over all the rows (DuckDB).
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from kaspar.engine import arrow_eval
from kaspar.sql import DataFrame, SparkSession
from kaspar.sql import functions as F
from kaspar.sql.streaming import MemoryStream

SCHEMA = "value binary, n bigint, i int, x double, s string, ts timestamp"
JSON_SCHEMA = "id BIGINT, name STRING, amount DOUBLE, ok BOOLEAN, small INT"


def _row(value: str | None, n: int | None, x: float | None, s: str | None, ts_us: int) -> tuple:
    when = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=ts_us)
    data = None if value is None else value.encode()
    return (data, n, None if n is None else int(n % 1000), x, s, when)


PLAIN = [
    [_row('{"id": 1, "name": "a", "amount": 1.5, "ok": true, "small": 3}', 1, 0.5, "p", 1_000)],
    [_row('{"id": 2, "name": "b\\"q", "amount": -2, "ok": false}', 2, -1.0, "q", 2_000_123)],
    [_row('{"id": 3, "extra": [1, 2], "amount": 3e2}', 3, 2.25, "r\\s", 5_000)],
]
TRICKY = [  # each alone in its chunk: the Arrow form refuses it or reads it as DuckDB does
    _row("{'id': 4, 'name': 'single'}", 4, math.nan, "t", -1_500),
    _row("null", 5, None, None, -1_000),
    _row("   ", 6, 1.0, "u", 0),
    _row('{"id": 7, "name": "ctl\x01"}', None, 2.0, "v\x02w", 7),
    _row('{"id": 8, "amount": 1.5, "small": 3000000000}', 8, 3.0, "x", -999),
    _row("[1, 2]", 9, 4.0, "y", 10),
    _row(None, 10, 5.0, "z", 11),
    _row('{"id": 11}{"id": 12}', 11, 6.0, 'q"uote', 12),
    _row('{"id": 9223372036854775807, "name": "big", "ok": true}', 2**61, 1e300, "é/ü", 13),
    _row('{"ID": 13, "Name": "case"}', -(2**61), -0.0, "", 14),
    _row('{"id": "14", "amount": "NaN"}', 15, math.inf, "w", 15),
    _row('{"id": 1.0}', 16, 7.0, "tab\there", 16),
    _row('{"id": 17, "name": "ok"}', 17, -math.inf, "s", -1),
]
CHUNKS = [
    *PLAIN,
    *([row] for row in TRICKY),
    *(
        [_row(f'{{"id": {k}, "name": "n{k}", "amount": {k}.5}}', k, k / 4, f"s{k}", k * 1001)]
        for k in range(20, 24)
    ),
]

QUERIES: dict[str, Callable[[DataFrame], DataFrame]] = {
    "from_json_filter_to_json": lambda df: (
        df.select(
            F.from_json(F.col("value").cast("string"), JSON_SCHEMA).alias("e"),
            F.unix_millis("ts").alias("ms"),
        )
        .select("e.*", "ms")
        .filter(F.col("amount") >= 0)
        .select(F.to_json(F.struct("id", "ms", "name")).alias("value"))
    ),
    "json_fields": lambda df: df.select(
        F.from_json(F.col("value").cast("string"), JSON_SCHEMA).alias("e")
    ).select("e.id", "e.name", "e.ok", "e.small"),
    "arithmetic_and_logic": lambda df: df.select(
        (F.col("n") + F.col("i")).alias("a"),
        (F.col("n") * 2 - 1).alias("b"),
        (-F.col("i")).alias("c"),
        ((F.col("x") > 1) & (F.col("n") < 10)).alias("d"),
        ((F.col("x") <= 2) | F.col("s").isNull()).alias("e"),
        (~(F.col("i") == 3)).alias("f"),
    ),
    "case_coalesce_concat": lambda df: df.select(
        F.when(F.col("n") > 5, "big").when(F.col("n") > 2, "mid").otherwise("small").alias("w"),
        F.coalesce(F.col("s"), F.lit("none")).alias("c"),
        F.concat_ws("-", "s", F.col("n").cast("string")).alias("ws"),
        F.concat(F.col("s"), F.lit("!")).alias("cat"),
        F.col("i").cast("long").alias("l"),
        F.col("n").cast("double").alias("d"),
    ),
    "filter_strings": lambda df: df.filter(F.col("s") >= "r").select("s", "n"),
    "nan_filter": lambda df: df.filter(F.col("x") > 1.5).select("x", "n"),
    "to_json_strings": lambda df: df.select(F.to_json(F.struct("s", "n")).alias("j")),
}


@pytest.fixture(scope="module")
def spark() -> Iterator[SparkSession]:
    session = SparkSession.builder.config("spark.sql.session.timeZone", "UTC").getOrCreate()
    yield session


def _rows(df: DataFrame) -> list[str]:
    return sorted(repr(tuple(r)) for r in df.collect())  # repr: NaN equals NaN


def _stage(spark: SparkSession, query: Any) -> arrow_eval.ArrowStage | None:
    incremental = query._execution.execution.incremental
    return spark._executor.arrow_stage(incremental.output.sql)


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_streamed_in_arrow_equals_batch_in_duckdb(spark: SparkSession, name: str) -> None:
    build = QUERIES[name]
    stream = MemoryStream(spark, SCHEMA)
    table = f"arrow_{name}_{uuid.uuid4().hex[:6]}"
    query = build(stream.toDF()).writeStream.format("memory").queryName(table).start()
    try:
        for chunk in CHUNKS:
            stream.addData(chunk)
            query.processAllAvailable()
        assert query.exception() is None
        stage = _stage(spark, query)
        assert stage is not None, f"{name}: the stage has no Arrow form"
        assert not stage.disabled, f"{name}: Arrow and DuckDB differed ({stage.reasons})"
        assert stage.arrow_chunks > 0, f"{name}: no chunk ran in Arrow ({stage.reasons})"
        streamed = _rows(spark.table(table))
    finally:
        query.stop()
    every = [row for chunk in CHUNKS for row in chunk]
    batch = build(spark.createDataFrame(every, SCHEMA))
    assert streamed == _rows(batch)


def test_text_pyarrow_cannot_read_safely_goes_to_duckdb(spark: SparkSession) -> None:
    """``pyarrow.json`` crashes the process on a lone ``null`` line: such text never reaches it."""
    stream = MemoryStream(spark, SCHEMA)
    table = f"arrow_null_{uuid.uuid4().hex[:6]}"
    parsed = stream.toDF().select(
        F.from_json(F.col("value").cast("string"), JSON_SCHEMA).alias("e")
    )
    query = parsed.select("e.id").writeStream.format("memory").queryName(table).start()
    try:
        for chunk in [*PLAIN, [_row("null", 1, 1.0, "a", 1)], [_row(" null ", 1, 1.0, "a", 1)]]:
            stream.addData(chunk)
            query.processAllAvailable()
        ids = [r.id for r in spark.table(table).collect()]
    finally:
        query.stop()
    assert sorted(ids, key=repr) == sorted([1, 2, 3, None, None], key=repr)


def test_stages_with_other_nodes_stay_in_duckdb(spark: SparkSession) -> None:
    stream = MemoryStream(spark, SCHEMA)
    table = f"arrow_other_{uuid.uuid4().hex[:6]}"
    df = stream.toDF().select(F.upper("s").alias("u"), (F.col("x") / 2).alias("h"))
    query = df.writeStream.format("memory").queryName(table).start()
    try:
        for chunk in PLAIN:
            stream.addData(chunk)
            query.processAllAvailable()
        assert _stage(spark, query) is None
        assert sorted(r.u for r in spark.table(table).collect()) == ["P", "Q", "R\\S"]
    finally:
        query.stop()


GROUPED: dict[str, Callable[[DataFrame], DataFrame]] = {
    "max_min_count_sum": lambda df: df.groupBy("s").agg(
        F.max("n").alias("mx"),
        F.min("x").alias("mn"),
        F.count("*").alias("c"),
        F.count("x").alias("cx"),
        F.sum("i").alias("si"),
        F.sum("n").alias("sn"),
        F.max("ts").alias("last"),
    ),
    "json_key": lambda df: (
        df.select(F.from_json(F.col("value").cast("string"), JSON_SCHEMA).alias("e"))
        .groupBy("e.name")
        .agg(F.max("e.id").alias("top"), F.count("*").alias("c"))
    ),
}


@pytest.mark.parametrize("name", sorted(GROUPED))
def test_grouped_partials_in_arrow_equal_duckdb(spark: SparkSession, name: str) -> None:
    """A streaming aggregation's partial aggregate (GROUP BY) over Arrow: the final state
    (complete mode) equals the batch aggregation; NaN, NULL keys and big sums in between."""
    build = GROUPED[name]
    stream = MemoryStream(spark, SCHEMA)
    table = f"arrow_{name}_{uuid.uuid4().hex[:6]}"
    writer = build(stream.toDF()).writeStream.format("memory").outputMode("complete")
    query = writer.queryName(table).start()
    chunks = [
        *CHUNKS,
        [_row('{"id": 5}', 2**61, 1.0, "t", 3), _row('{"id": 6}', 2**61, 2.0, "t", 4)],
    ]
    try:
        for chunk in chunks:
            stream.addData(chunk)
            query.processAllAvailable()
        partials = query._execution.execution.incremental.stateful[0].stage.sql
        stage = spark._executor.arrow_stage(partials)
        assert stage is not None and not stage.disabled, stage
        assert stage.arrow_chunks > 0, stage.reasons
        streamed = _rows(spark.table(table))
    finally:
        query.stop()
    every = [row for chunk in chunks for row in chunk]
    assert streamed == _rows(build(spark.createDataFrame(every, SCHEMA)))


def test_dedup_first_rows_by_arrow_and_one_statement(spark: SparkSession) -> None:
    """``dropDuplicates`` finds each chunk's first row per key over Arrow and the keys the
    state lacks in one ``INSERT ... RETURNING``: every key once, its first row, in order;
    NULL keys take the SQL path and are deduplicated as well."""
    stream = MemoryStream(spark, SCHEMA)
    table = f"arrow_dedup_{uuid.uuid4().hex[:6]}"
    deduped = stream.toDF().dropDuplicates(["s", "i"]).select("s", "i", "n")
    query = deduped.writeStream.format("memory").queryName(table).start()
    chunks = [
        [_row("{}", 1, 1.0, "a", 1), _row("{}", 2, 1.0, "b", 1), _row("{}", 3, 1.0, "a", 1)],
        [_row("{}", 1001, 1.0, "a", 1), _row("{}", 4, 1.0, "c", 1)],
        [_row("{}", 5, 1.0, None, 1), _row("{}", 6, 1.0, None, 1), _row("{}", 7, 1.0, "d", 1)],
        [_row("{}", 8, 1.0, "d", 1), _row("{}", 9, 1.0, "e", 1), _row("{}", 2, 1.0, "b", 1)],
    ]
    try:
        for chunk in chunks:
            stream.addData(chunk)
            query.processAllAvailable()
        got = [tuple(r) for r in spark.table(table).collect()]
    finally:
        query.stop()
    assert got == [
        ("a", 1, 1),
        ("b", 2, 2),
        ("a", 3, 3),
        ("c", 4, 4),
        (None, 5, 5),
        (None, 6, 6),
        ("d", 7, 7),
        ("d", 8, 8),
        ("e", 9, 9),
    ]
