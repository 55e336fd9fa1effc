"""``transformWithStateInPandas`` / ``transformWithState``: ``initialState=`` (handed to
``handleInitialState`` once per key in the query's first batch, never again after a restart)
and state TTL (values hidden and removed once ``ttlDurationMs`` of processing time passed
since they were written, kept across restarts), with Spark's checks."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from kaspar.engine.streaming import microbatch
from kaspar.errors import PySparkNotImplementedError, PySparkValueError, StreamingQueryException
from kaspar.sql import Row, SparkSession
from kaspar.sql.streaming import MemoryStream
from kaspar.sql.streaming.stateful_processor import StatefulProcessor


@pytest.fixture(scope="module")
def spark() -> SparkSession:
    return SparkSession.builder.getOrCreate()


class Clock:
    """The micro-batch loop's wall clock, set by the test (batch processing times)."""

    def __init__(self) -> None:
        self.ms = 1_700_000_000_000

    def time(self) -> float:
        return self.ms / 1000

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(microbatch, "time", fake)
    return fake


# -- initialState ---------------------------------------------------------------------------


class Seeded(StatefulProcessor):
    """A count per key that the initial state seeds (100 per initial row); says which initial
    rows it saw."""

    def init(self, handle):
        self.count = handle.getValueState("count", "n long")
        self.seen = handle.getValueState("seen", "s string")

    def handleInitialState(self, key, initialState, timerValues):
        if isinstance(initialState, Row):
            rows = [tuple(initialState)]
        else:
            rows = [tuple(r) for r in initialState.itertuples(index=False)]
        n = (self.count.get() or (0,))[0] + 100 * len(rows)
        self.count.update((n,))
        old = (self.seen.get() or ("",))[0]
        self.seen.update((old + "|" + ",".join(f"{k}{x}" for k, x in rows),))

    def handleInputRows(self, key, rows, timerValues):
        n = (self.count.get() or (0,))[0]
        for part in rows:
            n += len(part) if isinstance(part, pd.DataFrame) else 1
        self.count.update((n,))
        seen = (self.seen.get() or ("",))[0]
        if self.rows_api:
            yield Row(k=key[0], n=n, seen=seen)
        else:
            yield pd.DataFrame({"k": [key[0]], "n": [n], "seen": [seen]})


class SeededRows(Seeded):
    rows_api = True


class SeededPandas(Seeded):
    rows_api = False


def _seeded(spark: SparkSession, stream: MemoryStream, rows_api: bool) -> Any:
    initial = spark.createDataFrame([("a", 1), ("a", 2), ("c", 3)], "k string, x int")
    grouped = stream.toDF().groupBy("k")
    schema = "k string, n long, seen string"
    if rows_api:
        return grouped.transformWithState(
            SeededRows(), schema, "Update", "None", initialState=initial.groupBy("k")
        )
    return grouped.transformWithStateInPandas(
        SeededPandas(), schema, "Update", "None", initialState=initial.groupBy("k")
    )


def _run(df: Any, folder: Path, name: str, feed: Any) -> list[tuple[Any, ...]]:
    """Run ``df`` to the memory sink, ``feed()`` the stream, stop; the rows it wrote."""
    query = (
        df.writeStream.format("memory")
        .queryName(name)
        .outputMode("update")
        .option("checkpointLocation", str(folder / "cp"))
        .start()
    )
    try:
        feed(query)
    finally:
        query.stop()
    spark = SparkSession.builder.getOrCreate()
    return sorted(tuple(r) for r in spark.sql(f"SELECT * FROM {name}").collect())


@pytest.mark.parametrize("rows_api", [False, True])
def test_initial_state_first_batch_only(
    spark: SparkSession, tmp_path: Path, rows_api: bool
) -> None:
    stream = MemoryStream(spark, "k string")

    def first(query: Any) -> None:
        stream.addData([("a",), ("b",)])
        query.processAllAvailable()

    rows = _run(_seeded(spark, stream, rows_api), tmp_path, f"tws_init_1_{rows_api}", first)
    # c is only in the initial state: handleInitialState, but no output
    assert rows == [("a", 201, "|a1,a2" if not rows_api else "|a1|a2"), ("b", 1, "")]

    def second(query: Any) -> None:
        stream.addData([("a",), ("c",)])
        query.processAllAvailable()

    # a restart from the checkpoint: the initial state is not read again
    rows = _run(_seeded(spark, stream, rows_api), tmp_path, f"tws_init_2_{rows_api}", second)
    assert rows == [
        ("a", 202, "|a1,a2" if not rows_api else "|a1|a2"),
        ("c", 101, "|c3"),
    ]


def test_initial_state_on_a_batch_dataframe(spark: SparkSession) -> None:
    df = spark.createDataFrame([("a",), ("b",)], "k string")
    initial = spark.createDataFrame([("a", 1), ("c", 3)], "k string, x int").groupBy("k")
    out = df.groupBy("k").transformWithStateInPandas(
        SeededPandas(), "k string, n long, seen string", "Update", "None", initialState=initial
    )
    assert sorted(tuple(r) for r in out.collect()) == [("a", 101, "|a1"), ("b", 1, "")]


def test_initial_state_keys_cast_to_the_input_key_type(spark: SparkSession) -> None:
    df = spark.createDataFrame([(1,), (2,)], "k long")
    initial = spark.createDataFrame([(1, 7)], "id int, x int").groupBy("id")
    out = df.groupBy("k").transformWithStateInPandas(
        SeededPandas(), "k long, n long, seen string", "Update", "None", initialState=initial
    )
    assert sorted(tuple(r) for r in out.collect()) == [(1, 101, "|17"), (2, 1, "")]


def test_initial_state_key_that_does_not_convert(spark: SparkSession) -> None:
    df = spark.createDataFrame([(1,)], "k long")
    initial = spark.createDataFrame([("x", 7)], "id string, x int").groupBy("id")
    out = df.groupBy("k").transformWithStateInPandas(
        SeededPandas(), "k long, n long, seen string", "Update", "None", initialState=initial
    )
    with pytest.raises(Exception, match=r"INITIAL_STATE_KEY_TYPE_MISMATCH.*does not convert"):
        out.collect()


def test_initial_state_checks(spark: SparkSession) -> None:
    grouped = MemoryStream(spark, "k string").toDF().groupBy("k")
    schema = "k string, n long, seen string"
    initial = spark.createDataFrame([("a", 1)], "k string, x int")
    with pytest.raises(AssertionError, match="GroupedData"):
        grouped.transformWithStateInPandas(
            SeededPandas(), schema, "Update", "None", initialState=initial
        )
    with pytest.raises(PySparkValueError, match="grouped by 2"):
        grouped.transformWithStateInPandas(
            SeededPandas(), schema, "Update", "None", initialState=initial.groupBy("k", "x")
        )
    with pytest.raises(PySparkNotImplementedError, match="streaming initialState"):
        grouped.transformWithStateInPandas(
            SeededPandas(), schema, "Update", "None", initialState=grouped
        )


# -- TTL ------------------------------------------------------------------------------------


class Expiring(StatefulProcessor):
    """A value, a list and a map state with a 1 s TTL and a value state without; each batch
    reports what it saw, then writes (``skip`` keys leave the value state alone)."""

    def __init__(self, ttl: int = 1000) -> None:
        self.ttl = ttl

    def init(self, handle):
        self.value = handle.getValueState("value", "n long", self.ttl)
        self.items = handle.getListState("items", "n long", self.ttl)
        self.map = handle.getMapState("map", "k string", "n long", self.ttl)
        self.kept = handle.getValueState("kept", "n long")

    def handleInputRows(self, key, rows, timerValues):
        values = [int(v) for pdf in rows for v in pdf["v"]]
        seen = (
            self.value.exists(),
            self.value.get(),
            [x for (x,) in self.items.get()],
            sorted(k for (k,) in self.map.keys()),
            self.map.containsKey(("m1",)),
            self.kept.get(),
        )
        if key[0] != "skip":
            self.value.update((sum(values),))
        for v in values:
            self.items.appendValue((v,))
            self.map.updateValue((f"m{v}",), (v,))
        self.kept.update((len(values),))
        yield pd.DataFrame({"k": [key[0]], "seen": [repr(seen)]})


def _expiring(stream: MemoryStream, processor: StatefulProcessor | None = None) -> Any:
    return (
        stream.toDF()
        .groupBy("k")
        .transformWithStateInPandas(
            processor or Expiring(), "k string, seen string", "Update", "ProcessingTime"
        )
    )


def _batch(query: Any, stream: MemoryStream, clock: Clock, at: int, rows: list[Any]) -> Any:
    clock.ms = 1_700_000_000_000 + at
    stream.addData(rows)
    query.processAllAvailable()
    return query.lastProgress


def test_ttl_values_expire_and_updates_restart_them(
    spark: SparkSession, tmp_path: Path, clock: Clock
) -> None:
    stream = MemoryStream(spark, "k string, v long")

    def feed(query: Any) -> None:
        _batch(query, stream, clock, 0, [("a", 1), ("skip", 1)])
        _batch(query, stream, clock, 600, [("a", 2), ("skip", 2)])
        _batch(query, stream, clock, 1300, [("a", 3), ("skip", 3)])

    rows = _run(_expiring(stream), tmp_path, "tws_ttl_1", feed)
    assert len(rows) == 6
    saw = {r[1] for r in rows}
    # batch at 1300: a's value (updated at 600) lives until 1600; skip's (written at 0) expired
    # at 1000; list elements and map entries of the batch at 0 expired, those of 600 live
    assert "(True, (2,), [2], ['m2'], False, (1,))" in saw
    assert "(False, None, [2], ['m2'], False, (1,))" in saw
    # batch at 600: everything written at 0 lives
    assert "(True, (1,), [1], ['m1'], True, (1,))" in saw


def test_ttl_expiry_survives_a_restart_and_expired_entries_leave_the_store(
    spark: SparkSession, tmp_path: Path, clock: Clock
) -> None:
    stream = MemoryStream(spark, "k string, v long")
    progress: list[Any] = []

    def first(query: Any) -> None:
        progress.append(_batch(query, stream, clock, 0, [("a", 1), ("b", 1)]))

    _run(_expiring(stream), tmp_path, "tws_ttl_r1", first)

    def second(query: Any) -> None:
        progress.append(_batch(query, stream, clock, 500, [("a", 2)]))
        progress.append(_batch(query, stream, clock, 1400, [("a", 3)]))

    rows = _run(_expiring(stream), tmp_path, "tws_ttl_r2", second)
    assert rows == [
        ("a", "(True, (1,), [1], ['m1'], True, (1,))"),  # at 500, after the restart
        ("a", "(True, (2,), [2], ['m2'], False, (1,))"),  # at 1400: what was written at 0 went
    ]
    # b's value, list and map entry expired at 1000 and were removed by the batch at 1400, so
    # was a's m1; what stays: a's value, list, m2 and m3, and both keys' "kept"
    total = progress[-1]["stateOperators"][0]["numRowsTotal"]
    assert total == 6


def test_ttl_without_processing_time_fails(spark: SparkSession, tmp_path: Path) -> None:
    stream = MemoryStream(spark, "k string, v long")
    df = (
        stream.toDF()
        .groupBy("k")
        .transformWithStateInPandas(Expiring(), "k string, seen string", "Update", "None")
    )

    def feed(query: Any) -> None:
        stream.addData([("a", 1)])
        query.processAllAvailable()

    with pytest.raises(
        StreamingQueryException, match="STATEFUL_PROCESSOR_INCORRECT_TIME_MODE_TO_ASSIGN_TTL"
    ):
        _run(df, tmp_path, "tws_ttl_none", feed)


def test_ttl_must_be_positive(spark: SparkSession, tmp_path: Path) -> None:
    stream = MemoryStream(spark, "k string, v long")

    def feed(query: Any) -> None:
        stream.addData([("a", 1)])
        query.processAllAvailable()

    with pytest.raises(
        StreamingQueryException, match="STATEFUL_PROCESSOR_TTL_DURATION_MUST_BE_POSITIVE"
    ):
        _run(_expiring(stream, Expiring(ttl=0)), tmp_path, "tws_ttl_zero", feed)


def test_no_time_mode_hands_minus_one(spark: SparkSession) -> None:
    class Times(StatefulProcessor):
        def init(self, handle):
            pass

        def handleInputRows(self, key, rows, timerValues):
            yield pd.DataFrame(
                {
                    "p": [timerValues.getCurrentProcessingTimeInMs()],
                    "w": [timerValues.getCurrentWatermarkInMs()],
                }
            )

    stream = MemoryStream(spark, "k string")
    df = (
        stream.toDF()
        .groupBy("k")
        .transformWithStateInPandas(Times(), "p long, w long", "Update", "None")
    )
    query = df.writeStream.format("memory").queryName("tws_times").outputMode("update").start()
    try:
        stream.addData([("a",)])
        query.processAllAvailable()
    finally:
        query.stop()
    assert [tuple(r) for r in spark.sql("SELECT * FROM tws_times").collect()] == [(-1, -1)]
