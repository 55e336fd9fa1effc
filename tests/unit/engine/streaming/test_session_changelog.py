"""The session operator's changelog mode (kaspar.ksql's EMIT CHANGES), over ``MemoryStream``:
each batch emits the sessions a merge replaced, aggregates NULL, then the changed sessions."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from kaspar.sql import SparkSession
from kaspar.sql import functions as F
from kaspar.sql._session_window import session_changelog_window
from kaspar.sql.streaming import MemoryStream


@pytest.fixture(scope="module")
def spark() -> SparkSession:
    return SparkSession.builder.config("spark.sql.session.timeZone", "UTC").getOrCreate()


def _at(second: int) -> datetime:
    return datetime(2024, 1, 1, 10, 0, second, tzinfo=UTC)


def _seconds(value: Any) -> int:
    return int(value.replace(tzinfo=UTC).timestamp()) % 3600


def test_merged_sessions_are_retracted_then_emitted(spark: SparkSession, tmp_path: Path) -> None:
    stream = MemoryStream(spark, "ts timestamp, k string, v int")
    window = session_changelog_window(F.col("ts"), 5_000_000)
    grouped = stream.toDF().withWatermark("ts", "1 hour").groupBy(window, "k")
    batches: list[list[tuple[Any, ...]]] = []

    def collect(df: Any, batch_id: int) -> None:
        rows = [(r.k, *map(_seconds, r.session_window), r.n, r.s) for r in df.collect()]
        if rows:  # not the no-data batches a moving watermark adds
            batches.append(rows)

    query = (
        grouped.agg(F.count("v").alias("n"), F.sum("v").alias("s"))
        .writeStream.outputMode("update")
        .foreachBatch(collect)
        .option("checkpointLocation", str(tmp_path / "cp"))
        .start()
    )
    try:
        for rows in (
            [(_at(1), "a", 1), (_at(3), "a", 2), (_at(2), "b", 4)],
            [(_at(10), "a", 8)],  # 7 s after a's last: a session of its own
            [(_at(6), "a", 16)],  # within 5 s of both of a's sessions: merges them
        ):
            stream.addData(rows)
            query.processAllAvailable()
    finally:
        query.stop()
    assert sorted(batches[0]) == [("a", 1, 8, 2, 3), ("b", 2, 7, 1, 4)]
    assert batches[1] == [("a", 10, 15, 1, 8)]
    retracted, merged = batches[2][:2], batches[2][2:]
    assert sorted(retracted) == [("a", 1, 8, None, None), ("a", 10, 15, None, None)]
    assert merged == [("a", 1, 15, 4, 27)]
    assert query.lastProgress["stateOperators"][0]["numRowsTotal"] == 2
