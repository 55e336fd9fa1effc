"""One engine of the streaming benchmark, in its own process (started by ``bench.streaming``).

    python -m bench.streaming_worker --engine kaspar|pyspark

Reads one JSON request per line on stdin and answers each with one marked line on stdout, as
``bench.engine_worker`` does:

* ``{"op": "run", "query": NAME, "source": {...}, "n": N, "timeout_s": T}``: start the query
  with ``trigger(availableNow=True)`` on the source (kaspar: a Kafka topic; PySpark: a folder of
  JSON files), wait for it to finish, answer with the wall time from ``start()`` to its end, the
  sum of the batches' ``triggerExecution``, the batch count and the result's checksum;
* ``{"op": "latency_single" | "latency_rate" | "state", ...}``: kaspar's latency and state
  probes (``bench.streaming_latency``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sys
import tempfile
import time
import traceback
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.checksums import checksum
from bench.streaming_queries import SCHEMA_DDL, ResultCollector, StreamQuery, query_named

MARKER = "@@bench "  # reply lines start with this; anything else on stdout (JVM logs) is skipped


def session(engine: str) -> tuple[Any, Any]:
    """A local[2] ``SparkSession`` (kaspar's or PySpark's) and its ``functions`` module."""
    if engine == "pyspark":
        from pyspark.sql import SparkSession, functions
    else:
        from kaspar.sql import SparkSession, functions  # type: ignore[assignment]
    builder = (
        SparkSession.builder.appName("bench-streaming")
        .master("local[2]")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.memory", "2g")
    )
    spark = builder.getOrCreate()
    if engine == "pyspark":
        spark.sparkContext.setLogLevel("ERROR")
    return spark, functions


def events(spark: Any, F: Any, source: dict[str, Any]) -> Any:
    """The parsed event stream: from Kafka through ``from_json``, or from JSON files."""
    if source["kind"] == "files":
        reader = spark.readStream.schema(SCHEMA_DDL)
        if source.get("max_files", True):
            reader = reader.option("maxFilesPerTrigger", 1)
        return reader.json(source["dir"])
    reader = (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", source["bootstrap"])
        .option("subscribe", source["topic"])
        .option("startingOffsets", "earliest")
    )
    if source.get("max_offsets"):
        reader = reader.option("maxOffsetsPerTrigger", source["max_offsets"])
    raw = reader.load()
    parsed = F.from_json(F.col("value").cast("string"), SCHEMA_DDL).alias("e")
    return raw.select(parsed).select("e.*")


def progress_dicts(query: Any) -> list[dict[str, Any]]:
    """``recentProgress`` as plain dicts (PySpark 4 returns progress objects)."""
    out = []
    for progress in query.recentProgress:
        out.append(progress if isinstance(progress, dict) else json.loads(progress.json))
    return out


def _descendants(pid: int) -> list[int]:
    """``pid`` and every process under it (PySpark's JVM is a child of its Python process)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            todo += [int(c) for c in task.read_text().split()]
    return found


def reset_peak_rss() -> None:
    """Start a new peak (``VmHWM``) for this process and its children (Linux)."""
    for pid in _descendants(os.getpid()):
        with contextlib.suppress(OSError):
            Path(f"/proc/{pid}/clear_refs").write_text("5")


def peak_rss_mb() -> float | None:
    """The sum of the peak resident sizes since ``reset_peak_rss`` (Linux), in MB."""
    total = 0
    for pid in _descendants(os.getpid()):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1])
    return total / 1024 or None


def stage_times(progress: list[dict[str, Any]]) -> dict[str, float]:
    """Milliseconds per stage over every batch: Spark's durationMs phases (getBatch is the
    source's fetch and decode, addBatch the query, its state and the sink, walCommit and
    commitOffsets the checkpoint), and the state stores' update and commit times."""
    stages: dict[str, float] = {}
    for p in progress:
        for key, value in (p.get("durationMs") or {}).items():
            stages[key] = stages.get(key, 0) + value
        for operator in p.get("stateOperators") or []:
            for key in ("allUpdatesTimeMs", "commitTimeMs"):
                stages[f"state.{key}"] = stages.get(f"state.{key}", 0) + operator.get(key, 0)
    return stages


def start_sink(
    spark: Any, writer: Any, sink: str, collector: ResultCollector, where: str
) -> tuple[Any, Callable[[], list[tuple[Any, ...]]]]:
    """Start the query into ``sink``; returns it and a function reading the final result."""
    if sink == "foreachBatch":

        def keep(df: Any, batch_id: int) -> None:
            collector.add([tuple(row) for row in df.collect()])

        return writer.foreachBatch(keep).start(), collector.result
    if sink == "memory":
        name = f"bench_{uuid.uuid4().hex[:8]}"
        query = writer.format("memory").queryName(name).start()

        def table() -> list[tuple[Any, ...]]:
            collector.add([tuple(row) for row in spark.sql(f"SELECT * FROM {name}").collect()])
            return collector.result()

        return query, table
    if sink == "delta":
        query = writer.format("delta").start(where)

        def delta() -> list[tuple[Any, ...]]:
            rows = spark.read.format("delta").load(where).collect()
            collector.add([tuple(row) for row in rows])
            return collector.result()

        return query, delta
    raise ValueError(f"unknown sink {sink!r}: foreachBatch, memory or delta")


def run_query(
    spark: Any,
    F: Any,
    query: StreamQuery,
    source: dict[str, Any],
    timeout_s: float,
    sink: str = "foreachBatch",
) -> dict[str, Any]:
    collector = ResultCollector(query)
    checkpoint = tempfile.mkdtemp(prefix="bench-streaming-ckpt-")
    output = tempfile.mkdtemp(prefix="bench-streaming-out-")
    try:
        writer = (
            query.dataframe(F, events(spark, F, source))
            .writeStream.outputMode(query.output_mode)
            .option("checkpointLocation", checkpoint)
            .trigger(availableNow=True)
        )
        reset_peak_rss()
        started = time.perf_counter()
        running, result = start_sink(spark, writer, sink, collector, output)
        finished = running.awaitTermination(timeout_s)
        seconds = time.perf_counter() - started
        peak = peak_rss_mb()
        if not finished:
            running.stop()
            return {"error": f"not finished after {timeout_s:.0f} s", "seconds": seconds}
        rows = result()
    finally:
        shutil.rmtree(checkpoint, ignore_errors=True)
        shutil.rmtree(output, ignore_errors=True)
    progress = progress_dicts(running)
    return {
        "seconds": seconds,
        "batches": len(progress),
        "trigger_ms": sum(p["durationMs"].get("triggerExecution", 0) for p in progress),
        "rows_in": sum(p["numInputRows"] for p in progress),
        "sink_batches": collector.batches,
        "checksum": checksum(rows),
        "peak_rss_mb": peak,
        "stages_ms": stage_times(progress),
    }


def handle(engine: str, spark: Any, F: Any, request: dict[str, Any]) -> dict[str, Any]:
    op = request.pop("op")
    if op == "run":
        query = query_named(request["query"])
        sink = request.get("sink", "foreachBatch")
        return run_query(spark, F, query, request["source"], request["timeout_s"], sink)
    from bench import streaming_latency

    probes = {
        "latency_single": streaming_latency.single_record_batches,
        "latency_rate": streaming_latency.latency_at_rate,
        "state": streaming_latency.state_with_many_keys,
    }
    return dict(probes[op](spark, F, **request))


def reply(message: dict[str, Any]) -> None:
    print(MARKER + json.dumps(message, default=str), flush=True)


def serve(engine: str) -> None:
    spark, F = session(engine)
    reply({"ready": True})
    for line in sys.stdin:
        try:
            reply(handle(engine, spark, F, json.loads(line)))
        except Exception as exc:
            reply(
                {
                    "error": f"{type(exc).__name__}: {exc}"[:3000],
                    "traceback": traceback.format_exc()[-6000:],
                }
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.streaming_worker", description=__doc__)
    parser.add_argument("--engine", required=True, choices=("kaspar", "pyspark"))
    serve(parser.parse_args(argv).engine)
    return 0


if __name__ == "__main__":
    sys.exit(main())
