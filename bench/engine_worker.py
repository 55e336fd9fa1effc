"""One engine of the engine benchmark, in its own process (started by ``bench.engine``).

    python -m bench.engine_worker --engine kaspar --file 1000000=/tmp/events.jsonl --out R.json

Runs every query on every file, then the fixed-overhead probes, and rewrites ``--out`` after each
measurement so a run that is killed at its time limit still leaves what it measured.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.engine_queries import QUERIES, Query, checksum

SMALL_ROWS = [(i, f"s{i}") for i in range(10)]
SMALL_SCHEMA = "id INT, s STRING"
COUNT_RUNS = 200
NEW_QUERY_RUNS = 50


class DataFrameEngine:
    """kaspar or PySpark: the same DataFrame code, a different ``SparkSession``."""

    def __init__(self, name: str) -> None:
        if name == "pyspark":
            from pyspark.sql import SparkSession, functions
        else:
            from kaspar.sql import SparkSession, functions  # type: ignore[assignment]
        builder = (
            SparkSession.builder.appName("bench-engine")
            .master("local[2]")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "2")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.driver.memory", "2g")
        )
        self.spark = builder.getOrCreate()
        if name == "pyspark":
            self.spark.sparkContext.setLogLevel("ERROR")
        self.F = functions
        self.small = self.spark.createDataFrame(SMALL_ROWS, SMALL_SCHEMA)

    def run(self, query: Query, path: str) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in query.dataframe(self.spark, self.F, path).collect()]

    def count_small(self) -> int:
        return int(self.small.count())

    def new_small_query(self) -> int:
        df = self.spark.createDataFrame(SMALL_ROWS, SMALL_SCHEMA)
        return len(df.filter(self.F.col("id") > 4).collect())


class DuckDBEngine:
    """Plain DuckDB: hand-written SQL on one in-process connection."""

    def __init__(self) -> None:
        import duckdb
        import pyarrow as pa

        self.con = duckdb.connect(":memory:")
        self.con.execute("SET enable_progress_bar = false")
        self.con.execute("SET TimeZone = 'UTC'")
        ids, strings = zip(*SMALL_ROWS, strict=True)
        self.small = pa.table({"id": pa.array(ids, pa.int32()), "s": list(strings)})
        self.con.register("small", self.small)
        values = ", ".join(f"({i}, '{s}')" for i, s in SMALL_ROWS)
        self.new_query_sql = f"SELECT * FROM (VALUES {values}) AS t(id, s) WHERE id > 4"

    def run(self, query: Query, path: str) -> list[tuple[Any, ...]]:
        return self.con.sql(query.duckdb_sql(path)).fetchall()

    def count_small(self) -> int:
        rows = self.con.sql("SELECT count(*) FROM small").fetchall()
        return int(rows[0][0])

    def new_small_query(self) -> int:
        return len(self.con.sql(self.new_query_sql).fetchall())


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def measure_query(run: Callable[[], Any], repeats: int, budget_s: float) -> dict[str, Any]:
    """One warm-up run, then up to ``repeats`` timed runs while the budget lasts (at least one);
    the median is the result."""
    warmup, rows = timed(run)
    runs: list[float] = []
    while len(runs) < repeats and (not runs or warmup + sum(runs) < budget_s):
        runs.append(timed(run)[0])
    seconds = statistics.median(runs)
    return {"seconds": seconds, "warmup_s": warmup, "runs": runs, "checksum": checksum(rows)}


def median_ms(fn: Callable[[], Any], runs: int) -> float:
    fn()
    return statistics.median(timed(fn)[0] for _ in range(runs)) * 1000


def attempt(measure: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    try:
        return measure()
    except Exception as exc:
        return {"error": f"{type(exc).__name__}: {exc}"[:2000]}


def run_all(engine: Any, args: argparse.Namespace) -> None:
    results: dict[str, dict[str, Any]] = {}

    def save() -> None:
        args.out.write_text(json.dumps(results, indent=2) + "\n")

    for n, path in args.files:
        for query in QUERIES:
            run = lambda q=query, p=path: engine.run(q, p)  # noqa: E731
            result = attempt(lambda run=run: measure_query(run, args.repeats, args.budget))
            if "seconds" in result:
                result["events_per_s"] = n / result["seconds"]
            results[f"{query.name} @ {n}"] = result
            save()
    results["overhead: df.count() on 10 rows"] = attempt(
        lambda: {"median_ms": median_ms(engine.count_small, COUNT_RUNS)}
    )
    results["overhead: createDataFrame + filter + collect"] = attempt(
        lambda: {"median_ms": median_ms(engine.new_small_query, NEW_QUERY_RUNS)}
    )
    save()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.engine_worker", description=__doc__)
    parser.add_argument("--engine", required=True, choices=("kaspar", "pyspark", "duckdb"))
    parser.add_argument("--file", action="append", default=[], help="N=PATH, repeatable")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--budget", type=float, default=30.0, help="seconds per query")
    args = parser.parse_args(argv)
    args.files = [(int(n), p) for n, p in (f.split("=", 1) for f in args.file)]
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    engine = DuckDBEngine() if args.engine == "duckdb" else DataFrameEngine(args.engine)
    run_all(engine, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
