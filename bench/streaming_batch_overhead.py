"""The fixed cost of a micro-batch: one row per batch, kaspar against PySpark, same DataFrame code.

```
.venv/bin/python -m bench.streaming_batch_overhead                     # 500 kaspar batches
.venv/bin/python -m bench.streaming_batch_overhead --batches 1000 --pyspark-batches 150
.venv/bin/python -m bench.streaming_batch_overhead --engines kaspar --json-out /tmp/o.json
```

Two queries, written once and run on both engines (``QUERIES``): a stateless projection
(append mode) and ``groupBy(value % 7).count()`` (update mode), both into the memory sink with a
checkpoint on disk (offsets, commits, state deltas: fsynced by kaspar). Each batch has one row,
so what a batch costs is the loop's fixed cost: the offsets and commit logs, the state store's
delta, the DuckDB statements of the plan, the sink and the progress report.

* **kaspar, MemoryStream**: ``addData`` of one row, then ``processAllAvailable``; a batch's time
  is the wall time of ``MicroBatchExecution.run_batch`` on the query's thread (the loop's
  polling delay between batches is not in it).
* **kaspar, rate-micro-batch** and **PySpark, rate-micro-batch** (``rowsPerBatch=1``): the
  source always has the next row, so batches run back to back; a batch's time is its progress'
  ``durationMs.triggerExecution``, and ``wall`` is the run's time divided by its batches.

The first ``--warmup`` batches of every run are left out. Numbers vary with the machine's load
and its disk's fsync latency; repeat and compare medians.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

Query = Callable[[Any, Any], Any]


def stateless(df: Any, F: Any) -> Any:
    return df.select((F.col("value") + 1).alias("w"), (F.col("value") % 7).alias("k"))


def stateful(df: Any, F: Any) -> Any:
    return df.groupBy((F.col("value") % 7).alias("k")).count()


QUERIES: dict[str, tuple[Query, str]] = {
    "stateless": (stateless, "append"),
    "stateful": (stateful, "update"),
}


def summary(values_ms: list[float]) -> dict[str, float]:
    ordered = sorted(values_ms)
    if not ordered:
        return {"batches": 0}
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return {
        "batches": len(ordered),
        "median_ms": statistics.median(ordered),
        "p99_ms": p99,
        "mean_ms": statistics.fmean(ordered),
    }


def _start(df: Any, mode: str, name: str, checkpoint: str) -> Any:
    return (
        df.writeStream.format("memory")
        .queryName(name)
        .outputMode(mode)
        .option("checkpointLocation", checkpoint)
        .start()
    )


def kaspar_memory_stream(query: str, batches: int, warmup: int, root: Path) -> dict[str, Any]:
    """One ``addData`` per batch; the time of each ``run_batch`` on the query's thread."""
    from kaspar.sql import SparkSession
    from kaspar.sql import functions as F
    from kaspar.sql.streaming.memory import MemoryStream

    spark = SparkSession.builder.getOrCreate()
    build, mode = QUERIES[query]
    stream = MemoryStream(spark, "value bigint")
    handle = _start(build(stream.toDF(), F), mode, f"kaspar_mem_{query}", str(root / query))
    times = time_batches(handle)
    for value in range(warmup + batches):
        stream.addData([(value,)])
        handle.processAllAvailable()
    handle.stop()
    return summary(times[warmup:])


def time_batches(handle: Any) -> list[float]:
    """The wall time of each kaspar batch that ran, timed around the engine's ``run_batch``
    (the first batches may run before this is in place: they are warm-up)."""
    execution = handle._execution.execution
    times: list[float] = []
    run_batch = execution.run_batch

    def timed() -> bool:
        clock = time.perf_counter()
        ran: bool = run_batch()
        if ran:
            times.append((time.perf_counter() - clock) * 1000)
        return ran

    execution.run_batch = timed
    return times


def rate_micro_batch(
    engine: str, spark: Any, F: Any, query: str, batches: int, warmup: int, root: Path
) -> dict[str, Any]:
    """Back-to-back batches of one row; each batch's time (kaspar: ``run_batch`` timed;
    PySpark: ``triggerExecution``) and the wall time per batch."""
    build, mode = QUERIES[query]
    source = spark.readStream.format("rate-micro-batch").option("rowsPerBatch", 1).load()
    handle = _start(build(source, F), mode, f"{engine}_rate_{query}", str(root / engine / query))
    times = time_batches(handle) if engine == "kaspar" else None
    marks: dict[int, float] = {}
    last = -1
    while last < warmup + batches:
        progress = handle.lastProgress
        if progress is not None and progress["batchId"] != last:
            last = progress["batchId"]
            marks.setdefault(last, time.perf_counter())
        time.sleep(0.002)
    recent = [p for p in handle.recentProgress if p["batchId"] >= warmup]
    handle.stop()
    durations = [float(p["durationMs"]["triggerExecution"]) for p in recent]
    result: dict[str, Any] = summary(durations if times is None else times[warmup:])
    first = min(b for b in marks if b >= warmup)
    result["wall_ms_per_batch"] = (marks[last] - marks[first]) * 1000 / max(1, last - first)
    return result


def run_kaspar(args: argparse.Namespace, root: Path) -> dict[str, Any]:
    from kaspar.sql import SparkSession
    from kaspar.sql import functions as F

    spark = SparkSession.builder.getOrCreate()
    out: dict[str, Any] = {}
    for query in QUERIES:
        out[f"{query}/MemoryStream"] = kaspar_memory_stream(
            query, args.batches, args.warmup, root / "kaspar-memory"
        )
        out[f"{query}/rate-micro-batch"] = rate_micro_batch(
            "kaspar", spark, F, query, args.batches, args.warmup, root
        )
    return out


def run_pyspark(args: argparse.Namespace, root: Path) -> dict[str, Any]:
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F

    kept = args.pyspark_batches + args.warmup + 10
    spark = (
        SparkSession.builder.master("local[2]")
        .appName("batch-overhead")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.sql.streaming.numRecentProgressUpdates", str(kept))
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    out: dict[str, Any] = {}
    try:
        for query in QUERIES:
            out[f"{query}/rate-micro-batch"] = rate_micro_batch(
                "pyspark", spark, F, query, args.pyspark_batches, args.warmup, root
            )
    finally:
        spark.stop()
    return out


def report(results: dict[str, dict[str, Any]]) -> str:
    lines = [
        "| query | engine | source | batches | median ms | p99 ms | wall ms/batch |",
        "|---|---|---|---:|---:|---:|---:|",
    ]
    for engine, runs in results.items():
        for key, r in runs.items():
            query, source = key.split("/")
            wall = r.get("wall_ms_per_batch")
            lines.append(
                f"| {query} | {engine} | {source} | {r['batches']} | {r['median_ms']:.2f} | "
                f"{r['p99_ms']:.2f} | {'' if wall is None else f'{wall:.2f}'} |"
            )
    kaspar, pyspark = results.get("kaspar", {}), results.get("pyspark", {})
    for query in QUERIES:
        key = f"{query}/rate-micro-batch"
        if key in kaspar and key in pyspark:
            ratio = pyspark[key]["wall_ms_per_batch"] / kaspar[key]["wall_ms_per_batch"]
            lines.append(f"\n{query}: PySpark / kaspar wall time per batch = {ratio:.1f}x")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batches", type=int, default=500, help="kaspar batches per run")
    parser.add_argument("--pyspark-batches", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--engines", default="kaspar,pyspark")
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="batch-overhead-"))
    results: dict[str, dict[str, Any]] = {}
    try:
        for engine in args.engines.split(","):
            run = run_kaspar if engine == "kaspar" else run_pyspark
            results[engine] = run(args, root / engine)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(report(results))
    if args.json_out is not None:
        args.json_out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
