"""One engine of the engine benchmark, in its own process (started by ``bench.engine``).

    python -m bench.engine_worker --engine kaspar

Reads one JSON request per line on stdin (run this query on this file once; or measure the fixed
overhead) and answers each with one line on stdout. The parent keeps every engine's worker alive
and sends the requests round-robin, so load from other processes on the machine falls on all
engines alike instead of on whichever engine happened to run last.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from bench.checksums import checksum
from bench.engine_queries import QUERIES, Query

SMALL_ROWS = [(i, f"s{i}") for i in range(10)]
SMALL_SCHEMA = "id INT, s STRING"
COUNT_RUNS = 200
NEW_QUERY_RUNS = 50
MARKER = "@@bench "  # reply lines start with this; anything else on stdout (JVM logs) is skipped
OVERHEAD_COUNT = "overhead: df.count() on 10 rows"
OVERHEAD_NEW_QUERY = "overhead: createDataFrame + filter + collect"


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


def median_ms(fn: Callable[[], Any], runs: int) -> float:
    fn()
    return statistics.median(timed(fn)[0] for _ in range(runs)) * 1000


def handle(engine: Any, request: dict[str, Any]) -> dict[str, Any]:
    """``{"op": "query", "query": NAME, "path": PATH}``: one timed run and its checksum;
    ``{"op": "overhead"}``: the two fixed-overhead probes."""
    if request["op"] == "query":
        query = next(q for q in QUERIES if q.name == request["query"])
        seconds, rows = timed(lambda: engine.run(query, request["path"]))
        return {"seconds": seconds, "checksum": checksum(rows)}
    return {
        OVERHEAD_COUNT: median_ms(engine.count_small, COUNT_RUNS),
        OVERHEAD_NEW_QUERY: median_ms(engine.new_small_query, NEW_QUERY_RUNS),
    }


def reply(message: dict[str, Any]) -> None:
    print(MARKER + json.dumps(message), flush=True)


def serve(engine_name: str) -> None:
    """Answer one JSON request per stdin line, one marked JSON reply per request on stdout."""
    engine = DuckDBEngine() if engine_name == "duckdb" else DataFrameEngine(engine_name)
    reply({"ready": True})
    for line in sys.stdin:
        try:
            reply(handle(engine, json.loads(line)))
        except Exception as exc:
            reply({"error": f"{type(exc).__name__}: {exc}"[:2000]})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.engine_worker", description=__doc__)
    parser.add_argument("--engine", required=True, choices=("kaspar", "pyspark", "duckdb"))
    serve(parser.parse_args(argv).engine)
    return 0


if __name__ == "__main__":
    sys.exit(main())
