"""Queries started from the same streaming DataFrame share nothing but the data: each has its
own source instance, batch tables and compiled stages, and they run at the same time."""

from __future__ import annotations

import threading

import pytest

from kaspar.sql import SparkSession
from kaspar.sql import functions as F
from kaspar.sql.streaming import MemoryStream


@pytest.fixture(scope="module")
def spark() -> SparkSession:
    return SparkSession.builder.getOrCreate()


@pytest.mark.timeout(120)
def test_stateful_queries_on_one_dataframe(spark: SparkSession) -> None:
    stream = MemoryStream(spark, "k string, v long")
    frame = stream.toDF()
    totals = frame.groupBy("k").agg(F.sum("v").alias("s"), F.count("*").alias("n"))
    counted: dict[int, int] = {}
    lock = threading.Lock()

    def count(batch: object, batch_id: int) -> None:
        rows = batch.count()  # type: ignore[attr-defined]
        with lock:
            counted[batch_id] = rows

    queries = [
        totals.writeStream.format("memory").outputMode("complete").queryName(f"shared_{i}").start()
        for i in range(3)
    ]
    queries.append(frame.writeStream.foreachBatch(count).start())
    for round_ in range(5):
        stream.addData([(f"k{i % 4}", round_ * 100 + i) for i in range(50)])
        for query in queries:
            query.processAllAvailable()
    expected = {}
    for round_ in range(5):
        for i in range(50):
            s, n = expected.get(f"k{i % 4}", (0, 0))
            expected[f"k{i % 4}"] = (s + round_ * 100 + i, n + 1)
    for i in range(3):
        rows = spark.table(f"shared_{i}").collect()
        assert {r.k: (r.s, r.n) for r in rows} == expected
    assert sum(counted.values()) == 250
    sources = [q._execution.execution.sources[0] for q in queries]
    assert len({id(s) for s in sources}) == 1  # MemoryStream reads are pure: one instance
    leaves = [q._execution.execution.incremental.sources for q in queries]
    assert len({leaf.name for found in leaves for leaf in found.values()}) == 4
    for query in queries:
        query.stop()
        assert query.exception() is None
