"""kaspar's casts against PySpark's, cell by cell, over the generated matrix (``cast_matrix``).

``test_cast_matrix`` compares kaspar with PySpark's outcomes recorded in
``tests/fixtures/cast_matrix.json`` (regenerate with ``python -m
tests.conformance.pyspark.cast_matrix_gen``); ``test_cast_matrix_live`` runs the matrix on
PySpark itself (about two minutes; only with ``KASPAR_LIVE_CAST_MATRIX=1``) and checks the
recording is still PySpark's answer.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from tests.conformance.pyspark.cast_matrix import MODES, TYPES, VALUES, cells, outcomes, schemas
from tests.conformance.pyspark.cast_matrix_gen import FIXTURE

pytestmark = [
    pytest.mark.filterwarnings("ignore::FutureWarning"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]

# Cells where kaspar knowingly differs from Spark: "mode|source|target|repr(value)" -> reason.
KNOWN_DIFFERENCES: dict[str, str] = {}


def _recorded() -> dict[str, str]:
    recorded: dict[str, str] = json.loads(FIXTURE.read_text())
    return recorded


def _differences(mode: str, source: str, got: dict[str, list[str]]) -> list[str]:
    expected = _recorded()
    out = []
    for key, outcome in cells({f"{mode}|{source}": got}).items():
        if expected[key] != outcome and key not in KNOWN_DIFFERENCES:
            out.append(f"{key}: kaspar {outcome}, PySpark {expected[key]}")
    return out


@pytest.mark.parametrize("source", TYPES)
@pytest.mark.parametrize("mode", [*MODES, "schema"])
def test_cast_matrix(kaspar_env: tuple[Any, Any, Any], mode: str, source: str) -> None:
    spark, F, _ = kaspar_env
    try:
        if mode == "schema":
            got = schemas(spark, F, source)
        else:
            got = outcomes(spark, F, source, mode)
    finally:
        spark.conf.set("spark.sql.ansi.enabled", "true")
    differences = _differences(mode, source, got)
    assert not differences, "\n".join(differences)


def test_known_differences_are_cells() -> None:
    recorded = _recorded()
    assert all(key in recorded for key in KNOWN_DIFFERENCES)


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.skipif(
    os.environ.get("KASPAR_LIVE_CAST_MATRIX") != "1",
    reason="re-runs all 8,021 casts on PySpark (~2 min): KASPAR_LIVE_CAST_MATRIX=1 to run it",
)
def test_cast_matrix_live(pyspark_env: tuple[Any, Any, Any]) -> None:
    """PySpark still gives the recorded outcomes (a new PySpark version may change some)."""
    from tests.conformance.pyspark.cast_matrix import run_matrix

    spark, F, _ = pyspark_env
    live = cells(run_matrix(spark, F, pyspark=True))
    recorded = _recorded()
    changed = [
        f"{k}: now {v}, recorded {recorded.get(k)}" for k, v in live.items() if recorded.get(k) != v
    ]
    assert not changed, "\n".join(changed[:50])
    assert len(live) == sum(len(VALUES[s]) for s in TYPES) * len(TYPES) * len(MODES) + len(
        TYPES
    ) * len(TYPES)


def test_epoch_millis_to_timestamp_batch_and_streaming(kaspar_env: tuple[Any, Any, Any]) -> None:
    """``(col / 1000).cast("timestamp")``: double seconds since the epoch, in both engines."""
    import datetime as dt

    from kaspar.sql.streaming import MemoryStream

    spark, F, _ = kaspar_env
    expected = [dt.datetime(2024, 1, 5, 10, 0, 0, 123000)]

    def to_ts(df: Any) -> Any:
        ts = (F.col("ms") / 1000).cast("timestamp").alias("ts")
        return df.select(ts).withWatermark("ts", "1 minute")

    batch = to_ts(spark.createDataFrame([(1704448800123,)], "ms bigint")).collect()
    assert [r.ts.replace(tzinfo=None) for r in batch] == expected
    stream = MemoryStream(spark, "ms bigint")
    query = to_ts(stream.toDF()).writeStream.format("memory").queryName("epoch_ms").start()
    try:
        stream.addData([(1704448800123,)])
        query.processAllAvailable()
        rows = spark.table("epoch_ms").collect()
    finally:
        query.stop()
    assert [r.ts.replace(tzinfo=None) for r in rows] == expected
