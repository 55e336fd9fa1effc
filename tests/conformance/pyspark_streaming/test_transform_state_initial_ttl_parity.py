"""``transformWithStateInPandas`` / ``transformWithState`` on kaspar and on real PySpark, batch
by batch (the rounds and the runner of ``test_stateful_parity``: three files, ``availableNow``
from one checkpoint each, so every round is a restart): ``initialState=`` handed to
``handleInitialState`` in the first batch only, as a pandas DataFrame per key or a Row at a
time; keys only in the initial state give no output until their first rows.

State TTL is not compared here: it needs ``ProcessingTime``, and in that time mode Spark 4.3
asks for another (no-data) batch after every batch, so an ``availableNow`` query never ends;
the unit tests cover TTL with a controlled clock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tests.conformance.pyspark_streaming.test_stateful_parity import Build, assert_same_batches

pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas")


def _base(F: Any) -> Any:
    if F.__name__.startswith("kaspar"):
        from kaspar.sql.streaming.stateful_processor import StatefulProcessor
    else:
        from pyspark.sql.streaming.stateful_processor import StatefulProcessor
    return StatefulProcessor


def _row(F: Any) -> Any:
    if F.__name__.startswith("kaspar"):
        from kaspar.sql import Row
    else:
        from pyspark.sql import Row
    return Row


def _seeded(base: Any, row: Any, rows_api: bool) -> Any:
    class Seeded(base):  # type: ignore[misc, valid-type]
        """A count per key seeded by the initial state; reports what the initial state was."""

        def init(self, handle: Any) -> None:
            self.count = handle.getValueState("count", "n long")
            self.seen = handle.getValueState("seen", "s string")

        def handleInitialState(self, key: Any, initialState: Any, timerValues: Any) -> None:
            if rows_api:
                text = repr(tuple(initialState))
            else:
                text = f"{list(initialState.columns)}:{initialState.to_dict('list')}"
            text += f":{timerValues.getCurrentProcessingTimeInMs()}:{key!r}"
            old = (self.seen.get() or ("",))[0]
            self.seen.update((old + "|" + text,))
            self.count.update(((self.count.get() or (0,))[0] + 100,))

        def handleInputRows(self, key: Any, rows: Any, timerValues: Any) -> Iterator[Any]:
            n = (self.count.get() or (0,))[0]
            n += sum(len(r) if not rows_api else 1 for r in rows)
            self.count.update((n,))
            seen = (self.seen.get() or ("",))[0]
            if rows_api:
                yield row(k=key[0], n=n, seen=seen)
            else:
                yield pd.DataFrame({"k": [key[0]], "n": [n], "seen": [seen]})

    return Seeded()


def _initial(df: Any) -> Any:
    rows = [("a", 1), ("a", 2), ("c", 3), ("z", 9)]
    return df.sparkSession.createDataFrame(rows, "k string, x int").groupBy("k")


def _initial_pandas(df: Any, F: Any) -> Any:
    return df.groupBy("k").transformWithStateInPandas(
        _seeded(_base(F), _row(F), False),
        "k string, n long, seen string",
        "Update",
        "None",
        initialState=_initial(df),
    )


def _initial_rows(df: Any, F: Any) -> Any:
    return df.groupBy("k").transformWithState(
        _seeded(_base(F), _row(F), True),
        "k string, n long, seen string",
        "Update",
        "None",
        initialState=_initial(df),
    )


CASES: dict[str, Build] = {
    "initial_state_pandas": _initial_pandas,
    "initial_state_rows": _initial_rows,
}


@pytest.mark.parametrize("case_name", list(CASES))
def test_transform_with_state_batches_match_pyspark(
    case_name: str,
    pyspark_streaming: tuple[Any, Any],
    kaspar_streaming: tuple[Any, Any],
    tmp_path: Path,
) -> None:
    spark = pyspark_streaming[0]
    key = "spark.sql.streaming.stateStore.providerClass"
    previous = spark.conf.get(key)
    # Spark runs transformWithState only on its RocksDB state store
    spark.conf.set(key, "org.apache.spark.sql.execution.streaming.state.RocksDBStateStoreProvider")
    try:
        assert_same_batches(
            CASES[case_name], "update", pyspark_streaming, kaspar_streaming, tmp_path
        )
    finally:
        spark.conf.set(key, previous)
