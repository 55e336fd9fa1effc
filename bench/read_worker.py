"""One engine and one scenario of the read benchmark, in a fresh process (started by
``bench.read``), so that the peak memory it reports is the scenario's own.

    python -m bench.read_worker --engine kaspar --format json --schema plain --path FILE --runs 3

Runs the scenario once to warm up (timed too: the cold first read, with any schema inference),
then ``--runs`` timed runs, and prints one line:
``@@bench {"first_run": s, "runs": [...], "checksum": {...}, "peak_rss_mb": N}``. The peak is
the high-water mark of resident memory (``VmHWM``) of this process plus its children (PySpark's
JVM).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from bench.checksums import checksum
from bench.read_scenarios import Scenario, duckdb_sql, spark_query

MARKER = "@@bench "


def _hwm_kb(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def _descendants(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in map(int, children):
            found.extend([child, *_descendants(child)])
    return found


def peak_rss_mb(pid: int) -> float:
    """The memory high-water mark of ``pid`` and its descendants, in MiB."""
    return sum(_hwm_kb(p) for p in [pid, *_descendants(pid)]) / 1024


class Engine:
    """kaspar or PySpark (the same DataFrame code), or plain DuckDB SQL."""

    def __init__(self, name: str) -> None:
        self.name = name
        if name == "duckdb":
            import duckdb

            self.con = duckdb.connect(":memory:")
            self.con.execute("SET enable_progress_bar = false")
            self.con.execute("SET TimeZone = 'UTC'")
            return
        if name == "pyspark":
            from pyspark.sql import SparkSession, functions
        else:
            from kaspar.sql import SparkSession, functions  # type: ignore[assignment]
        self.spark = (
            SparkSession.builder.appName("bench-read")
            .master("local[2]")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "2")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.driver.memory", "2g")
            .getOrCreate()
        )
        if name == "pyspark":
            self.spark.sparkContext.setLogLevel("ERROR")
        self.F = functions

    def run(self, scenario: Scenario, path: str) -> list[tuple[Any, ...]]:
        if self.name == "duckdb":
            sql = duckdb_sql(scenario.fmt, scenario.schema, path)
            return self.con.sql(sql).fetchall()
        df = spark_query(self.spark, self.F, scenario.fmt, scenario.schema, path)
        return [tuple(row) for row in df.collect()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.read_worker", description=__doc__)
    parser.add_argument("--engine", required=True, choices=("kaspar", "pyspark", "duckdb"))
    parser.add_argument("--format", required=True, choices=("json", "csv"))
    parser.add_argument("--schema", required=True, choices=("plain", "timestamps", "inferred"))
    parser.add_argument("--path", required=True)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    scenario = Scenario(args.format, args.schema)
    try:
        engine = Engine(args.engine)
        start = time.perf_counter()
        rows = engine.run(scenario, args.path)
        first = time.perf_counter() - start
        runs = []
        for _ in range(args.runs):
            start = time.perf_counter()
            engine.run(scenario, args.path)
            runs.append(time.perf_counter() - start)
        reply = {"first_run": first, "runs": runs, "checksum": checksum(rows)}
    except Exception as exc:
        reply = {"error": f"{type(exc).__name__}: {exc}"[:2000]}
    reply["peak_rss_mb"] = peak_rss_mb(os.getpid())
    print(MARKER + json.dumps(reply), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
