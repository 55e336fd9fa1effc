"""Stateful streaming queries on kaspar and on real PySpark, batch by batch.

Each case reads JSON files with the file source. The events arrive in three rounds, one new file
per round, and each round runs the query with ``availableNow`` from the same checkpoint, so the
batches are deterministic on both engines: which rows each batch emits (append, update and
complete modes), batch ids including the no-data batches a moving watermark adds, late rows
dropped by the watermark, and the state carried across restarts.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

Build = Callable[[Any, Any], Any]
SCHEMA = "ts timestamp, k string, v int"

ROUNDS = [
    [("10:00:05", "a", 1), ("10:00:30", "a", 2), ("10:00:40", "b", 5), ("10:00:05", "a", 1)],
    [("10:02:10", "a", 4), ("10:01:10", "b", 3)],
    # 10:00:50 is late once the watermark is 10:01:40; the others are not
    [("10:00:50", "a", 8), ("10:01:45", "b", 16), ("10:01:35", "c", 32), ("10:03:30", "a", 1)],
]


def _windowed(df: Any, F: Any) -> Any:
    return (
        df.withWatermark("ts", "30 seconds")
        .groupBy(F.window("ts", "1 minute"), "k")
        .agg(F.sum("v").alias("s"), F.count("*").alias("n"))
    )


def _sliding(df: Any, F: Any) -> Any:
    return (
        df.withWatermark("ts", "30 seconds")
        .groupBy(F.window("ts", "2 minutes", "1 minute"))
        .agg(F.max("v").alias("m"), F.collect_set("k").alias("keys"))
    )


def _totals(df: Any, F: Any) -> Any:
    return df.groupBy("k").agg(
        F.sum("v").alias("s"), F.avg("v").alias("a"), F.min("ts").alias("first_seen")
    )


def _dedup(df: Any, F: Any) -> Any:
    return df.withWatermark("ts", "30 seconds").dropDuplicates(["k", "ts"])


def _dedup_within(df: Any, F: Any) -> Any:
    return df.withWatermark("ts", "30 seconds").dropDuplicatesWithinWatermark(["k"])


CASES: dict[str, tuple[Build, str]] = {
    "tumbling_append": (_windowed, "append"),
    "tumbling_update": (_windowed, "update"),
    "sliding_append": (_sliding, "append"),
    "totals_complete": (_totals, "complete"),
    "totals_update": (_totals, "update"),
    "dedup_append": (_dedup, "append"),
    "dedup_within_watermark": (_dedup_within, "append"),
}


def _write_round(directory: Path, number: int) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"round-{number}.json"
    lines = [json.dumps({"ts": f"2024-01-01T{t}Z", "k": k, "v": v}) for t, k, v in ROUNDS[number]]
    path.write_text("\n".join(lines) + "\n")
    os.utime(path, (1_700_000_000 + number, 1_700_000_000 + number))


def _plain(value: Any) -> Any:
    if hasattr(value, "asDict"):
        return tuple(_plain(v) for v in value)
    if isinstance(value, list):
        return tuple(sorted(_plain(v) for v in value))
    if getattr(value, "tzinfo", None) is not None:
        return value.replace(tzinfo=None)
    if isinstance(value, float):
        return round(value, 9)
    return value


def run(spark: Any, F: Any, build: Build, mode: str, work: Path) -> list[Any]:
    batches: list[Any] = []

    def collect(df: Any, batch_id: int) -> None:
        batches.append((batch_id, sorted(_plain(r) for r in df.collect())))

    for number in range(len(ROUNDS)):
        _write_round(work / "in", number)
        stream = spark.readStream.schema(SCHEMA).json(str(work / "in"))
        query = (
            build(stream, F)
            .writeStream.outputMode(mode)
            .foreachBatch(collect)
            .option("checkpointLocation", str(work / "cp"))
            .trigger(availableNow=True)
            .start()
        )
        query.awaitTermination()
    return batches


@pytest.mark.parametrize("case_name", list(CASES))
def test_stateful_batches_match_pyspark(
    case_name: str,
    pyspark_streaming: tuple[Any, Any],
    kaspar_streaming: tuple[Any, Any],
    tmp_path: Path,
) -> None:
    build, mode = CASES[case_name]
    assert_same_batches(build, mode, pyspark_streaming, kaspar_streaming, tmp_path)


def assert_same_batches(
    build: Build,
    mode: str,
    pyspark_streaming: tuple[Any, Any],
    kaspar_streaming: tuple[Any, Any],
    tmp_path: Path,
) -> None:
    """The query's batches on both engines, round by round, are the same."""
    results = {
        engine: run(spark, F, build, mode, tmp_path / engine)
        for engine, (spark, F) in (("pyspark", pyspark_streaming), ("kaspar", kaspar_streaming))
    }
    assert results["kaspar"] == results["pyspark"]
