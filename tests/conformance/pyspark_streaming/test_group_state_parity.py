"""``applyInPandasWithState`` on kaspar and on real PySpark, batch by batch: the state carried
across micro-batches and restarts, state removal, and event-time timeouts firing in the
no-data batches a moving watermark adds (the rounds and the runner of
``test_stateful_parity``: three files, ``availableNow`` from one checkpoint each)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tests.conformance.pyspark_streaming.test_stateful_parity import Build, assert_same_batches

# PySpark warns that it does not fully support the installed pandas (3.x); its pandas
# functions still run and are compared here
pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas")


def _running_totals(key: Any, pdfs: Any, state: Any) -> Any:
    total, n = state.get if state.exists else (0, 0)
    for pdf in pdfs:
        total += int(pdf["v"].sum())
        n += len(pdf)
    state.update((total, n))
    yield pd.DataFrame({"k": [key[0]], "total": [total], "n": [n]})


def _totals(df: Any, F: Any) -> Any:
    return df.groupBy("k").applyInPandasWithState(
        _running_totals, "k string, total long, n long", "total long, n long", "update", "NoTimeout"
    )


def _until_big(key: Any, pdfs: Any, state: Any) -> Any:
    """Counts rows per key and forgets the key once a value of 8 or more arrives."""
    n = state.get[0] if state.exists else 0
    big = False
    for pdf in pdfs:
        n += len(pdf)
        big = big or bool((pdf["v"] >= 8).any())
    if big:
        state.remove()
    else:
        state.update((n,))
    yield pd.DataFrame({"k": [key[0]], "n": [n], "removed": [big]})


def _removal(df: Any, F: Any) -> Any:
    return df.groupBy("k").applyInPandasWithState(
        _until_big, "k string, n long, removed boolean", "n long", "append", "NoTimeout"
    )


def _sessions(key: Any, pdfs: Any, state: Any) -> Any:
    """A session per key that closes 30 s of event time after its last row (a timeout)."""
    if state.hasTimedOut:
        (n,) = state.get
        state.remove()
        yield pd.DataFrame({"k": [key[0]], "n": [n], "closed": [True]})
        return
    n = state.get[0] if state.exists else 0
    last = 0
    for pdf in pdfs:
        n += len(pdf)
        last = max(last, int(pd.Timestamp(pdf["ts"].max()).timestamp() * 1000))
    state.update((n,))
    state.setTimeoutTimestamp(max(last + 30_000, state.getCurrentWatermarkMs() + 1))
    yield pd.DataFrame({"k": [key[0]], "n": [n], "closed": [False]})


def _timeouts(df: Any, F: Any) -> Any:
    return (
        df.withWatermark("ts", "30 seconds")
        .groupBy("k")
        .applyInPandasWithState(
            _sessions, "k string, n long, closed boolean", "n long", "update", "EventTimeTimeout"
        )
    )


CASES: dict[str, tuple[Build, str]] = {
    "running_totals": (_totals, "update"),
    "state_removal": (_removal, "append"),
    "event_time_timeouts": (_timeouts, "update"),
}


@pytest.mark.parametrize("case_name", list(CASES))
def test_group_state_batches_match_pyspark(
    case_name: str,
    pyspark_streaming: tuple[Any, Any],
    kaspar_streaming: tuple[Any, Any],
    tmp_path: Path,
) -> None:
    build, mode = CASES[case_name]
    assert_same_batches(build, mode, pyspark_streaming, kaspar_streaming, tmp_path)


def _processor_base(F: Any) -> Any:
    if F.__name__.startswith("kaspar"):
        from kaspar.sql.streaming.stateful_processor import StatefulProcessor
    else:
        from pyspark.sql.streaming.stateful_processor import StatefulProcessor
    return StatefulProcessor


def _session_processor(base: Any) -> Any:
    class Sessions(base):  # type: ignore[misc, valid-type]
        """Value, list and map states per key, and an event-time timer 30 s after its newest
        row that closes the key's session."""

        def init(self, handle: Any) -> None:
            self.handle = handle
            self.count = handle.getValueState("count", "n long")
            self.seen = handle.getListState("seen", "v int")
            self.sums = handle.getMapState("sums", "k string", "s long")

        def handleInputRows(self, key: Any, rows: Any, timerValues: Any) -> Any:
            n = (self.count.get() or (0,))[0]
            last = 0
            for pdf in rows:
                n += len(pdf)
                for v in pdf["v"]:
                    self.seen.appendValue((int(v),))
                last = max(last, int(pd.Timestamp(pdf["ts"].max()).timestamp() * 1000))
            self.count.update((n,))
            total = (self.sums.getValue((key[0],)) or (0,))[0]
            self.sums.updateValue((key[0],), (total + n,))
            for timer in list(self.handle.listTimers()):
                self.handle.deleteTimer(timer)
            self.handle.registerTimer(last + 30_000)
            seen = len(list(self.seen.get()))
            yield pd.DataFrame({"k": [key[0]], "n": [n], "seen": [seen], "fired": [False]})

        def handleExpiredTimer(self, key: Any, timerValues: Any, expiredTimerInfo: Any) -> Any:
            (n,) = self.count.get()
            self.count.clear()
            self.seen.clear()
            self.sums.clear()
            yield pd.DataFrame({"k": [key[0]], "n": [n], "seen": [0], "fired": [True]})

        def close(self) -> None:
            pass

    return Sessions


def _transform_with_state(df: Any, F: Any) -> Any:
    processor = _session_processor(_processor_base(F))()
    return (
        df.withWatermark("ts", "30 seconds")
        .groupBy("k")
        .transformWithStateInPandas(
            processor, "k string, n long, seen long, fired boolean", "Update", "EventTime"
        )
    )


def test_transform_with_state_matches_pyspark(
    pyspark_streaming: tuple[Any, Any], kaspar_streaming: tuple[Any, Any], tmp_path: Path
) -> None:
    spark = pyspark_streaming[0]
    key = "spark.sql.streaming.stateStore.providerClass"
    previous = spark.conf.get(key)
    # Spark runs transformWithState only on its RocksDB state store
    spark.conf.set(key, "org.apache.spark.sql.execution.streaming.state.RocksDBStateStoreProvider")
    try:
        assert_same_batches(
            _transform_with_state, "update", pyspark_streaming, kaspar_streaming, tmp_path
        )
    finally:
        spark.conf.set(key, previous)
