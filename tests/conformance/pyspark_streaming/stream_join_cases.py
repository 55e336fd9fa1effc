"""Stream-stream joins run on an engine over two file sources, batch by batch.

Impressions (left) and clicks (right) arrive in rounds, one new JSON file per side per round;
each round runs the query with ``availableNow`` from the same checkpoint, so the batches (ids
included, with the no-data batches a moving watermark adds) are deterministic on both engines.

PySpark's answers are recorded in ``tests/fixtures/streaming/stream_joins.json`` so CI needs no
JVM; re-record them (Java 17 and pyspark installed) with
``python -m tests.conformance.pyspark_streaming.stream_join_cases``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

Build = Callable[[Any, Any, Any], Any]
FIXTURE = Path(__file__).parents[2] / "fixtures" / "streaming" / "stream_joins.json"
LEFT = "ad string, it timestamp, lv int"
RIGHT = "cad string, ct timestamp, rv int"

ROUNDS: list[tuple[list[tuple[str, str, int]], list[tuple[str, str, int]]]] = [
    (
        [("a", "10:00:00", 1), ("b", "10:00:10", 2), ("c", "10:00:20", 3)],
        [("a", "10:00:30", 10), ("a", "10:02:00", 11)],
    ),
    (
        [("d", "10:01:00", 4), ("b", "10:03:00", 5)],
        [("b", "10:00:50", 12), ("d", "10:01:30", 13), ("e", "10:01:40", 14)],
    ),
    (  # a at 10:00:05 and c at 10:00:40 are late by now
        [("f", "10:06:00", 6), ("a", "10:00:05", 7)],
        [("f", "10:06:30", 15), ("c", "10:00:40", 16), ("z", "10:08:00", 17)],
    ),
    ([("g", "10:10:00", 8)], [("g", "10:10:10", 18), ("x", "10:12:00", 19)]),
]

RANGE = "ad = cad AND ct >= it AND ct <= it + interval 1 minute"


def _watermarked(left: Any, right: Any) -> tuple[Any, Any]:
    return left.withWatermark("it", "10 seconds"), right.withWatermark("ct", "20 seconds")


def _range(how: str) -> Build:
    def build(left: Any, right: Any, F: Any) -> Any:
        impressions, clicks = _watermarked(left, right)
        return impressions.join(clicks, F.expr(RANGE), how)

    return build


def _side_filters(left: Any, right: Any, F: Any) -> Any:
    """A conjunct on the left side only: Spark's pre-join filter (a left row failing it is
    emitted with nulls at once, never stored; and, a quirk of Spark's, the conjunct gives the
    left state a value watermark of 1 s, so no left row is ever evicted)."""
    impressions, clicks = _watermarked(left, right)
    return impressions.join(clicks, F.expr(f"{RANGE} AND lv > 1"), "left")


def _plain_inner(left: Any, right: Any, F: Any) -> Any:
    return left.join(right, left["ad"] == right["cad"])


def _window_key_left(left: Any, right: Any, F: Any) -> Any:
    impressions, clicks = _watermarked(left, right)
    impressions = impressions.withColumn("iw", F.window("it", "2 minutes"))
    clicks = clicks.withColumn("cw", F.window("ct", "2 minutes"))
    condition = (impressions["ad"] == clicks["cad"]) & (impressions["iw"] == clicks["cw"])
    return impressions.join(clicks, condition, "left").select("ad", "lv", "rv", "iw")


def _outer_without_watermark(left: Any, right: Any, F: Any) -> Any:
    return left.join(right, left["ad"] == right["cad"], "left")


def _anti(left: Any, right: Any, F: Any) -> Any:
    impressions, clicks = _watermarked(left, right)
    return impressions.join(clicks, F.expr(RANGE), "left_anti")


CASES: dict[str, tuple[Build, str]] = {
    "inner_range": (_range("inner"), "append"),
    "inner_no_watermark": (_plain_inner, "append"),
    "inner_range_update": (_range("inner"), "update"),
    "left_outer_range": (_range("left"), "append"),
    "right_outer_range": (_range("right"), "append"),
    "full_outer_range": (_range("full"), "append"),
    "left_semi_range": (_range("left_semi"), "append"),
    "left_outer_window_key": (_window_key_left, "append"),
    "left_outer_side_filters": (_side_filters, "append"),
    "left_outer_without_watermark": (_outer_without_watermark, "append"),
    "left_outer_update": (_range("left"), "update"),
    "left_anti": (_anti, "append"),
}


def _write_round(work: Path, number: int) -> None:
    for side, rows in zip(("left", "right"), ROUNDS[number], strict=True):
        directory = work / side
        directory.mkdir(parents=True, exist_ok=True)
        keys = ("ad", "it", "lv") if side == "left" else ("cad", "ct", "rv")
        lines = [
            json.dumps(dict(zip(keys, (k, f"2024-01-01T{t}Z", v), strict=True))) for k, t, v in rows
        ]
        path = directory / f"round-{number}.json"
        path.write_text("\n".join(lines) + "\n")
        os.utime(path, (1_700_000_000 + number, 1_700_000_000 + number))


def _plain(value: Any) -> Any:
    if hasattr(value, "asDict"):
        return [_plain(v) for v in value]
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None).isoformat()
    return value


def run(spark: Any, F: Any, case: str, work: Path) -> dict[str, Any]:
    """The case's batches (id, sorted rows) and state rows after each batch, or its error."""
    build, mode = CASES[case]
    batches: list[Any] = []

    def collect(df: Any, batch_id: int) -> None:
        rows = sorted((_plain(r) for r in df.collect()), key=json.dumps)
        batches.append([batch_id, rows])

    state_rows: list[Any] = []
    for number in range(len(ROUNDS)):
        _write_round(work, number)
        left = spark.readStream.schema(LEFT).json(str(work / "left"))
        right = spark.readStream.schema(RIGHT).json(str(work / "right"))
        try:
            query = (
                build(left, right, F)
                .writeStream.outputMode(mode)
                .foreachBatch(collect)
                .option("checkpointLocation", str(work / "cp"))
                .trigger(availableNow=True)
                .start()
            )
        except Exception as e:  # the error is the answer
            return {"error": _error(e)}
        query.awaitTermination()
        for progress in query.recentProgress:
            (state,) = progress["stateOperators"]
            state_rows.append([progress["batchId"], state["numRowsTotal"]])
    return {"batches": batches, "state_rows": state_rows}


def _error(e: Exception) -> dict[str, Any]:
    condition = getattr(e, "getCondition", None)
    error_class = condition() if condition is not None else None
    message = str(e).split(";")[0].split("\n")[0]
    return {"type": type(e).__name__, "class": error_class, "message": message}


def record() -> None:
    """Run every case on PySpark and write the fixture."""
    from pyspark.sql import functions

    from tests.conformance.pyspark.conftest import pyspark_session

    spark = pyspark_session()
    spark.sparkContext.setLogLevel("FATAL")
    answers = {}
    for case in CASES:
        with tempfile.TemporaryDirectory() as work:
            answers[case] = run(spark, functions, case, Path(work))
    spark.stop()
    FIXTURE.parent.mkdir(parents=True, exist_ok=True)
    FIXTURE.write_text(json.dumps(answers, indent=1) + "\n")


if __name__ == "__main__":
    record()
