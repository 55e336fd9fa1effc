"""``transformWithStateInPandas`` / ``transformWithState`` on ``MemoryStream`` streams and on
batch DataFrames: states, processing-time timers, the Row API and Spark's checks."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import pytest

from kaspar.errors import PySparkNotImplementedError, PySparkValueError
from kaspar.sql import Row, SparkSession
from kaspar.sql.streaming import MemoryStream
from kaspar.sql.streaming.stateful_processor import StatefulProcessor


@pytest.fixture(scope="module")
def spark() -> SparkSession:
    return SparkSession.builder.getOrCreate()


class Counter(StatefulProcessor):
    """Counts rows per key; with a timer, says goodbye 200 ms (processing time) later."""

    def __init__(self, timer: bool = False) -> None:
        self.timer = timer

    def init(self, handle):
        self.handle = handle
        self.count = handle.getValueState("count", "n long")

    def handleInputRows(self, key, rows, timerValues):
        n = (self.count.get() or (0,))[0] + sum(len(r) for r in rows)
        self.count.update((n,))
        if self.timer:
            self.handle.registerTimer(timerValues.getCurrentProcessingTimeInMs() + 200)
        yield pd.DataFrame({"k": [key[0]], "n": [n]})

    def handleExpiredTimer(self, key, timerValues, expiredTimerInfo):
        self.count.clear()
        yield pd.DataFrame({"k": [key[0]], "n": [-1]})


def _start(df, name: str, folder: Path, trigger: dict | None = None):
    writer = (
        df.writeStream.format("memory")
        .queryName(name)
        .outputMode("update")
        .option("checkpointLocation", str(folder / name))
    )
    return (writer.trigger(**trigger) if trigger else writer).start()


def test_counts_across_batches(spark: SparkSession, tmp_path: Path) -> None:
    stream = MemoryStream(spark, "k string")
    df = (
        stream.toDF()
        .groupBy("k")
        .transformWithStateInPandas(Counter(), "k string, n long", "Update", "None")
    )
    query = _start(df, "tws_counts", tmp_path)
    try:
        stream.addData([("a",), ("a",), ("b",)])
        query.processAllAvailable()
        stream.addData([("a",)])
        query.processAllAvailable()
        rows = sorted(tuple(r) for r in spark.sql("SELECT * FROM tws_counts").collect())
        assert rows == [("a", 2), ("a", 3), ("b", 1)]
    finally:
        query.stop()


def test_processing_time_timer_fires_without_data(spark: SparkSession, tmp_path: Path) -> None:
    stream = MemoryStream(spark, "k string")
    df = (
        stream.toDF()
        .groupBy("k")
        .transformWithStateInPandas(
            Counter(timer=True), "k string, n long", "Update", "ProcessingTime"
        )
    )
    query = _start(df, "tws_timers", tmp_path, {"processingTime": "50 milliseconds"})
    try:
        stream.addData([("a",)])
        deadline = time.monotonic() + 20
        rows: list[tuple[str, int]] = []
        while time.monotonic() < deadline and ("a", -1) not in rows:
            rows = sorted(tuple(r) for r in spark.sql("SELECT * FROM tws_timers").collect())
            time.sleep(0.1)
        assert rows == [("a", -1), ("a", 1)]
    finally:
        query.stop()


class Pairs(StatefulProcessor):
    """The Row API: a map state of the values seen per key."""

    def init(self, handle):
        self.values = handle.getMapState("values", "v long", "times long")

    def handleInputRows(self, key, rows, timerValues):
        for row in rows:
            seen = (self.values.getValue((row.v,)) or (0,))[0]
            self.values.updateValue((row.v,), (seen + 1,))
        for (value,), (times,) in sorted(self.values.iterator()):
            yield Row(k=key[0], v=value, times=times)


def test_row_api_on_a_batch_dataframe(spark: SparkSession) -> None:
    df = spark.createDataFrame([("a", 1), ("a", 1), ("a", 2), ("b", 5)], "k string, v long")
    out = df.groupBy("k").transformWithState(
        Pairs(), "k string, v long, times long", "Append", "None"
    )
    assert sorted(tuple(r) for r in out.collect()) == [("a", 1, 2), ("a", 2, 1), ("b", 5, 1)]


def test_spark_checks(spark: SparkSession) -> None:
    grouped = MemoryStream(spark, "k string").toDF().groupBy("k")
    with pytest.raises(PySparkValueError, match="timeMode"):
        grouped.transformWithStateInPandas(Counter(), "k string, n long", "Update", "Wall")
    with pytest.raises(PySparkValueError, match="output mode"):
        grouped.transformWithStateInPandas(Counter(), "k string, n long", "Complete", "None")
    with pytest.raises(PySparkNotImplementedError, match="initialState"):
        grouped.transformWithStateInPandas(
            Counter(), "k string, n long", "Update", "None", initialState=grouped
        )
