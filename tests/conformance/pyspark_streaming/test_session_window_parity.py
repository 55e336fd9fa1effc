"""Streaming session windows on kaspar and on real PySpark, batch by batch.

The events arrive in three rounds of JSON files; each round restarts the query from the same
checkpoint with ``availableNow``, so every round after the first continues from the state the
checkpoint holds. The rounds make sessions that merge within a batch and across batches (a
late-enough event bridges two stored sessions), start at an earlier session's end (they
merge), arrive late for the watermark (dropped in append mode, kept in complete mode), and
close when the watermark passes their end (emitted in append mode, in a no-data batch).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.conformance.pyspark_streaming.test_stateful_parity import _plain

SCHEMA = "ts timestamp, k string, v int"
ROUNDS = [
    [
        ("10:00:00", "a", 1),
        ("10:00:20", "a", 2),
        ("10:00:20", "a", 3),
        ("10:00:05", "b", 5),
        ("10:01:30", "a", 3),
        ("10:00:10", "c", 7),
        ("10:00:15", None, 4),
        (None, "a", 100),
    ],
    # a@10:00:45 joins a's first session; a@10:01:10 bridges it and a's second one
    [("10:00:45", "a", 4), ("10:01:10", "a", 6), ("10:03:00", "b", 16), ("10:00:30", None, 2)],
    # a@10:00:10 is late (its session ends before the watermark 10:02:00), a@10:01:50 is not;
    # b@10:03:50 starts where b's session ends: they merge
    [
        ("10:01:50", "a", 8),
        ("10:00:10", "a", 9),
        ("10:03:20", "b", 10),
        ("10:03:50", "b", 11),
        ("10:05:00", "c", 12),
    ],
]


def _aggregates(F: Any) -> list[Any]:
    return [
        F.count("*").alias("n"),
        F.sum("v").alias("s"),
        F.min("v").alias("lo"),
        F.max("v").alias("hi"),
        F.avg("v").alias("mean"),
    ]


def _static(df: Any, F: Any) -> Any:
    window = F.session_window("ts", "30 seconds")
    return df.withWatermark("ts", "1 minute").groupBy(window, "k").agg(*_aggregates(F))


def _dynamic(df: Any, F: Any) -> Any:
    # c's sessions have no positive gap: Spark drops them; NULL keys get no gap either
    gap = F.when(F.col("k") == "a", "30 seconds").when(F.col("k") == "b", "1 minute")
    gap = gap.otherwise(F.when(F.col("k") == "c", "0 seconds"))
    window = F.session_window("ts", gap)
    return df.withWatermark("ts", "1 minute").groupBy("k", window).agg(*_aggregates(F))


def _selected(df: Any, F: Any) -> Any:
    sessions = _static(df, F)
    span = F.col("session_window.end").cast("long") - F.col("session_window.start").cast("long")
    return sessions.select(
        "k", F.col("session_window.start").alias("start"), span.alias("seconds"), "s"
    )


CASES = {
    "static_append": (_static, "append"),
    "static_complete": (_static, "complete"),
    "dynamic_append": (_dynamic, "append"),
    "dynamic_complete": (_dynamic, "complete"),
    "projected_append": (_selected, "append"),
}


def _write_round(directory: Path, number: int) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"round-{number}.json"
    lines = [
        json.dumps({"ts": None if t is None else f"2024-01-01T{t}Z", "k": k, "v": v})
        for t, k, v in ROUNDS[number]
    ]
    path.write_text("\n".join(lines) + "\n")
    os.utime(path, (1_700_000_000 + number, 1_700_000_000 + number))


def _run(spark: Any, F: Any, case: str, work: Path) -> list[Any]:
    build, mode = CASES[case]
    batches: list[Any] = []

    def collect(df: Any, batch_id: int) -> None:
        batches.append((batch_id, sorted((_plain(r) for r in df.collect()), key=repr)))

    for number in range(len(ROUNDS)):
        _write_round(work / "in", number)
        stream = spark.readStream.schema(SCHEMA).json(str(work / "in"))
        writer = build(stream, F).writeStream.outputMode(mode).foreachBatch(collect)
        query = writer.option("checkpointLocation", str(work / "cp"))
        started = query.trigger(availableNow=True).start()
        started.awaitTermination()
        batches += [(p["batchId"], _state_metrics(p)) for p in started.recentProgress]
    return sorted(batches, key=repr)


def _state_metrics(progress: dict[str, Any]) -> list[Any]:
    names = ("operatorName", "numRowsTotal", "numRowsUpdated", "numRowsRemoved")
    return [
        [op[n] for n in (*names, "numRowsDroppedByWatermark")] for op in progress["stateOperators"]
    ]


@pytest.mark.parametrize("case", list(CASES))
def test_session_window_batches_match_pyspark(
    case: str,
    pyspark_streaming: tuple[Any, Any],
    kaspar_streaming: tuple[Any, Any],
    tmp_path: Path,
) -> None:
    engines = {"pyspark": pyspark_streaming, "kaspar": kaspar_streaming}
    results = {name: _run(s, F, case, tmp_path / name) for name, (s, F) in engines.items()}
    assert results["kaspar"] == results["pyspark"]
    assert any(rows for _, rows in results["kaspar"])  # the case emits sessions at all


def _refused(spark: Any, F: Any, work: Path, case: str) -> None:
    _write_round(work / "in", 0)
    stream = spark.readStream.schema(SCHEMA).json(str(work / "in"))
    window = F.session_window("ts", "30 seconds")
    mode = {"update": "update", "global": "append", "no_watermark": "append"}[case]
    if case != "no_watermark":
        stream = stream.withWatermark("ts", "1 minute")
    grouped = stream.groupBy(window) if case == "global" else stream.groupBy(window, "k")
    writer = grouped.count().writeStream.outputMode(mode).format("memory")
    query = writer.queryName(f"refused_{case}").option("checkpointLocation", str(work / "cp"))
    started = query.start()
    try:
        started.processAllAvailable()  # PySpark refuses a global session window here
    finally:
        started.stop()


@pytest.mark.parametrize("case", ["update", "global", "no_watermark"])
def test_refused_queries_match_pyspark(
    case: str,
    pyspark_streaming: tuple[Any, Any],
    kaspar_streaming: tuple[Any, Any],
    tmp_path: Path,
) -> None:
    messages = {}
    for name, (spark, F) in (("pyspark", pyspark_streaming), ("kaspar", kaspar_streaming)):
        with pytest.raises(Exception, match="not supported") as raised:
            _refused(spark, F, tmp_path / name, case)
        messages[name] = str(raised.value)
    said = messages["pyspark"].split(" SQLSTATE")[0].split("\n")[0].split("exception: ")[-1]
    assert said.split("] ")[-1][:80] in messages["kaspar"]


def test_batch_sessions_with_a_gap_column_match_pyspark(
    pyspark_streaming: tuple[Any, Any], kaspar_streaming: tuple[Any, Any]
) -> None:
    rows = [(f"2024-01-01 {t}", k, v) for t, k, v in ROUNDS[0] + ROUNDS[1] if t is not None]
    results = {}
    for name, (spark, F) in (("pyspark", pyspark_streaming), ("kaspar", kaspar_streaming)):
        df = spark.createDataFrame(rows, "t string, k string, v int")
        df = df.select(F.to_timestamp("t").alias("ts"), "k", "v")
        results[name] = sorted((_plain(r) for r in _dynamic(df, F).collect()), key=repr)
    assert results["kaspar"] == results["pyspark"]
    assert len(results["kaspar"]) == 3


def test_batch_sessions_on_a_text_time_match_pyspark(
    pyspark_streaming: tuple[Any, Any], kaspar_streaming: tuple[Any, Any]
) -> None:
    rows = [(f"2024-01-01 {t}", k, v) for t, k, v in ROUNDS[2] if t is not None]
    results = {}
    for name, (spark, F) in (("pyspark", pyspark_streaming), ("kaspar", kaspar_streaming)):
        df = spark.createDataFrame(rows, "t string, k string, v int")  # Spark casts t
        grouped = df.groupBy(F.session_window("t", "40 seconds"), "k").agg(F.sum("v"))
        results[name] = sorted((_plain(r) for r in grouped.collect()), key=repr)
    assert results["kaspar"] == results["pyspark"]
    assert len(results["kaspar"]) == 4
