"""``applyInPandasWithState`` on streams (``MemoryStream``: no broker needed): state across
batches, processing-time timeouts firing in batches without data, Spark's checks."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import pytest

from kaspar.errors import AnalysisException, PySparkValueError, StreamingQueryException
from kaspar.sql import SparkSession
from kaspar.sql.streaming import MemoryStream
from kaspar.sql.streaming.state import GroupStateTimeout


@pytest.fixture(scope="module")
def spark() -> SparkSession:
    return SparkSession.builder.getOrCreate()


def _count(key, pdfs, state):
    n = state.get[0] if state.exists else 0
    n += sum(len(p) for p in pdfs)
    state.update((n,))
    yield pd.DataFrame({"k": [key[0]], "n": [n]})


def test_state_carries_across_batches(spark: SparkSession, tmp_path: Path) -> None:
    stream = MemoryStream(spark, "k string, v long")
    counted = (
        stream.toDF()
        .groupBy("k")
        .applyInPandasWithState(
            _count, "k string, n long", "n long", "update", GroupStateTimeout.NoTimeout
        )
    )
    query = (
        counted.writeStream.format("memory")
        .queryName("group_state_counts")
        .outputMode("update")
        .option("checkpointLocation", str(tmp_path / "cp"))
        .start()
    )
    try:
        stream.addData([("a", 1), ("b", 2), ("a", 3)])
        query.processAllAvailable()
        stream.addData([("a", 4)])
        query.processAllAvailable()
        rows = spark.sql("SELECT k, n FROM group_state_counts").collect()
        assert sorted(tuple(r) for r in rows) == [("a", 2), ("a", 3), ("b", 1)]
        operator = query.lastProgress["stateOperators"][0]
        assert operator["numRowsTotal"] == 2 and operator["numRowsUpdated"] == 1
    finally:
        query.stop()


def _expiring(key, pdfs, state):
    if state.hasTimedOut:
        state.remove()
        yield pd.DataFrame({"k": [key[0]], "event": ["expired"]})
        return
    list(pdfs)
    state.update((1,))
    state.setTimeoutDuration(200)
    yield pd.DataFrame({"k": [key[0]], "event": ["seen"]})


def test_processing_time_timeout_fires_without_new_data(
    spark: SparkSession, tmp_path: Path
) -> None:
    stream = MemoryStream(spark, "k string")
    events = (
        stream.toDF()
        .groupBy("k")
        .applyInPandasWithState(
            _expiring, "k string, event string", "x int", "update", "ProcessingTimeTimeout"
        )
    )
    query = (
        events.writeStream.format("memory")
        .queryName("group_state_timeouts")
        .outputMode("update")
        .trigger(processingTime="50 milliseconds")
        .option("checkpointLocation", str(tmp_path / "cp"))
        .start()
    )
    try:
        stream.addData([("a",)])
        deadline = time.monotonic() + 20
        rows: list[tuple[str, str]] = []
        while time.monotonic() < deadline:
            rows = sorted(
                tuple(r) for r in spark.sql("SELECT * FROM group_state_timeouts").collect()
            )
            if ("a", "expired") in rows:
                break
            time.sleep(0.1)
        assert rows == [("a", "expired"), ("a", "seen")]
        assert query.lastProgress["stateOperators"][0]["numRowsTotal"] == 0
    finally:
        query.stop()


def test_function_errors_stop_the_query(spark: SparkSession, tmp_path: Path) -> None:
    def wrong_timeout(key, pdfs, state):
        state.setTimeoutDuration(10)  # timeouts are not enabled
        yield pd.DataFrame({"k": [key[0]]})

    stream = MemoryStream(spark, "k string")
    out = (
        stream.toDF()
        .groupBy("k")
        .applyInPandasWithState(wrong_timeout, "k string", "x int", "append", "NoTimeout")
    )
    query = (
        out.writeStream.format("memory")
        .queryName("group_state_errors")
        .option("checkpointLocation", str(tmp_path / "cp"))
        .start()
    )
    stream.addData([("a",)])
    with pytest.raises(StreamingQueryException, match="CANNOT_WITHOUT"):
        query.awaitTermination(30)


def test_spark_checks(spark: SparkSession, tmp_path: Path) -> None:
    grouped = MemoryStream(spark, "k string").toDF().groupBy("k")
    with pytest.raises(PySparkValueError, match="timeoutConf"):
        grouped.applyInPandasWithState(_count, "k string, n long", "n long", "update", "Never")
    with pytest.raises(PySparkValueError, match="output mode"):
        grouped.applyInPandasWithState(
            _count, "k string, n long", "n long", "complete", "NoTimeout"
        )
    updating = grouped.applyInPandasWithState(
        _count, "k string, n long", "n long", "update", "NoTimeout"
    )
    with pytest.raises(AnalysisException, match="update mode is not supported with Append"):
        updating.writeStream.format("memory").queryName("gs_checks").outputMode("append").option(
            "checkpointLocation", str(tmp_path / "cp")
        ).start()
