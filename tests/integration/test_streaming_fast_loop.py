"""The micro-batch loop's fast paths keep Spark's results and its checkpoint.

* Aggregates merged row by row (``MERGE INTO`` with a stored and a batch row per group) give
  what the batch engine gives, across a restart that rebuilds the state from its delta files.
* The checkpoint is complete and on disk when ``processAllAvailable`` returns: ``commits``,
  ``offsets`` and state deltas in Spark's layout.
* A restart after a crash that cut the latest log entries short, or left an ``offsets`` entry
  whose previous batch's ``commits`` entry was never written, re-runs the right batch and
  loses or doubles nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kaspar.engine.streaming.checkpoint import Checkpoint
from kaspar.sql import SparkSession
from kaspar.sql import functions as F
from kaspar.sql.streaming import MemoryStream


@pytest.fixture(scope="module")
def spark() -> SparkSession:
    return SparkSession.builder.config("spark.sql.session.timeZone", "UTC").getOrCreate()


ROWS = [
    (k, i * (j + 1) if (i + j) % 5 else None, i / 3, f"s{(i * 7 + j) % 11}")
    for i in range(24)
    for j, k in enumerate(["x", "y", None])
]


def aggregate(df: Any) -> Any:
    """Aggregates whose merges combine a stored and a batch row (no ``max_by``)."""
    return df.groupBy("k").agg(
        F.sum("v").alias("sum"),
        F.count("v").alias("count"),
        F.count("*").alias("rows"),
        F.avg("d").alias("avg"),
        F.min("s").alias("min"),
        F.max("v").alias("max"),
        F.first("v").alias("first"),
        F.last("v").alias("last"),
        F.first("v", ignorenulls=True).alias("first_nn"),
        F.last("v", ignorenulls=True).alias("last_nn"),
        F.collect_list("s").alias("list"),
        F.collect_set("v").alias("set"),
        F.bool_and(F.col("v") > 3).alias("all_over_3"),
        F.bool_or(F.col("v") > 60).alias("any_over_60"),
        F.stddev("d").alias("stddev"),
    )


def _run(
    spark: SparkSession,
    checkpoint: Path,
    batches: list[list[Any]],
    name: str,
    before: list[list[Any]] | None = None,
) -> Any:
    """A running query; ``before`` is in the stream when it starts (so a restarted query's
    source holds what its checkpoint has processed), ``batches`` come one at a time."""
    stream = MemoryStream(spark, "k string, v int, d double, s string")
    for batch in before or []:
        stream.addData(batch)
    query = (
        aggregate(stream.toDF())
        .writeStream.outputMode("complete")
        .format("memory")
        .queryName(name)
        .option("checkpointLocation", str(checkpoint))
        .start()
    )
    for batch in batches:
        stream.addData(batch)
        query.processAllAvailable()
    return query


def test_row_by_row_merges_equal_the_batch_engine_across_a_restart(
    spark: SparkSession, tmp_path: Path
) -> None:
    batches = [ROWS[i : i + 5] for i in range(0, len(ROWS), 5)]
    first = _run(spark, tmp_path / "ckpt", batches[:8], "fast_merge_1")
    first.stop()
    restarted = _run(spark, tmp_path / "ckpt", batches[8:], "fast_merge_2", batches[:8])
    restarted.stop()
    got = {r.k: r.asDict() for r in spark.table("fast_merge_2").collect()}
    schema = "k string, v int, d double, s string"
    expected = aggregate(spark.createDataFrame(ROWS, schema)).collect()
    assert len(got) == len(expected) == 3
    for row in expected:
        for name, value in row.asDict().items():
            if name in ("list", "set"):
                assert sorted(got[row.k][name]) == sorted(value), name
            elif isinstance(value, float):
                assert got[row.k][name] == pytest.approx(value), name
            else:
                assert got[row.k][name] == value, name
    deltas = sorted((tmp_path / "ckpt" / "state" / "0" / "0").glob("*.delta"))
    assert deltas and not list((tmp_path / "ckpt").rglob("*.tmp"))


def test_checkpoint_is_on_disk_when_process_all_available_returns(
    spark: SparkSession, tmp_path: Path
) -> None:
    query = _run(spark, tmp_path / "ckpt", [ROWS[:4], ROWS[4:9], ROWS[9:12]], "fast_ckpt")
    checkpoint = Checkpoint(tmp_path / "ckpt")
    latest = checkpoint.latest_offsets()
    assert latest is not None and latest[0] == 2
    assert checkpoint.latest_commit() == 2
    assert (tmp_path / "ckpt" / "state" / "0" / "0" / "3.delta").exists()
    query.stop()


def _totals(
    spark: SparkSession, checkpoint: Path, before: list[list[Any]], after: list[list[Any]]
) -> dict[Any, int]:
    """Sums by key through ``foreachBatch``; ``before`` is in the stream when the query
    starts (a restart re-reads it: a MemoryStream is only replayable within its process),
    ``after`` comes one batch at a time."""
    stream = MemoryStream(spark, "k string, v int")
    for batch in before:
        stream.addData(batch)
    seen: dict[Any, int] = {}

    def remember(frame: Any, batch_id: int) -> None:
        seen.update({r.k: r.total for r in frame.collect()})

    query = (
        stream.toDF()
        .groupBy("k")
        .agg(F.sum("v").alias("total"))
        .writeStream.outputMode("update")
        .foreachBatch(remember)
        .option("checkpointLocation", str(checkpoint))
        .start()
    )
    query.processAllAvailable()
    for batch in after:
        stream.addData(batch)
        query.processAllAvailable()
    query.stop()
    return seen


@pytest.mark.parametrize("damage", ["torn_offsets", "torn_commit", "missing_commit"])
def test_restart_after_a_crash_in_the_log_writes(
    spark: SparkSession, tmp_path: Path, damage: str
) -> None:
    checkpoint = tmp_path / "ckpt"
    batches = [[("a", 1), ("b", 10)], [("a", 2)], [("b", 20), ("c", 5)]]
    _totals(spark, checkpoint, [], batches)
    offsets, commits = checkpoint / "offsets", checkpoint / "commits"
    if damage == "torn_offsets":  # batch 3 planned, its offsets entry cut short
        (offsets / "3").write_text('v1\n{"batchWater')
    elif damage == "torn_commit":  # batch 2 ran, its commit cut short: re-run
        (commits / "2").write_text("")
    else:  # batch 3's offsets written while batch 2's commit never reached the disk
        (offsets / "3").write_text((offsets / "2").read_text())
        (commits / "2").unlink()
    seen = _totals(spark, checkpoint, batches, [[("a", 4)]])
    assert seen["a"] == 7
    if damage != "torn_offsets":  # batch 2 re-ran from its entry, with batch 1's state
        assert seen["b"] == 30 and seen["c"] == 5
    assert Checkpoint(checkpoint).latest_commit() == 3


def test_offsets_log_keeps_sparks_layout(spark: SparkSession, tmp_path: Path) -> None:
    query = _run(spark, tmp_path / "ckpt", [ROWS[:3], ROWS[3:6]], "fast_layout")
    query.stop()
    root = tmp_path / "ckpt"
    assert {p.name for p in root.iterdir()} >= {"metadata", "offsets", "commits", "state"}
    lines = (root / "offsets" / "1").read_text().split("\n")
    assert lines[0] == "v1" and lines[2] == "2"
    assert (root / "commits" / "1").read_text() == 'v1\n{"nextBatchWatermarkMs":0}'


def test_merges_combine_row_by_row_except_max_by(spark: SparkSession) -> None:
    from kaspar.engine.streaming.stateful import AggregateOperator, IncrementalPlan

    frame = MemoryStream(spark, "k string, v int, d double, s string").toDF()
    plans = {
        "pairwise": aggregate(frame),
        "grouped": frame.groupBy("k").agg(F.sum("v"), F.max_by("v", "d")),
    }
    operators = {}
    for name, df in plans.items():
        incremental = IncrementalPlan.build(df.plan, spark._executor, "update")
        operator = incremental.operators[0]
        assert isinstance(operator, AggregateOperator)
        operators[name] = operator
        incremental.close()
    assert operators["pairwise"].pairwise is not None
    assert operators["grouped"].pairwise is None


def test_deduplication_across_a_restart(spark: SparkSession, tmp_path: Path) -> None:
    batches = [[(1, "a"), (2, "b"), (1, "c")], [(2, "d"), (3, "e")], [(3, "f"), (4, "g")]]

    def run(before: list[list[Any]], after: list[list[Any]], name: str) -> list[Any]:
        stream = MemoryStream(spark, "k int, v string")
        for batch in before:
            stream.addData(batch)
        query = (
            stream.toDF()
            .dropDuplicates(["k"])
            .writeStream.format("memory")
            .queryName(name)
            .option("checkpointLocation", str(tmp_path / "ckpt"))
            .start()
        )
        query.processAllAvailable()
        for batch in after:
            stream.addData(batch)
            query.processAllAvailable()
        query.stop()
        return sorted(tuple(r) for r in spark.table(name).collect())

    assert run([], batches[:2], "dedup_1") == [(1, "a"), (2, "b"), (3, "e")]
    assert run(batches[:2], batches[2:], "dedup_2") == [(4, "g")]
    assert Checkpoint(tmp_path / "ckpt").latest_commit() == 2
