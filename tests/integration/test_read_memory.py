"""An aggregation over a 2 GB NDJSON file runs in bounded memory: the read streams through DuckDB.

The file is written in bulk by DuckDB's ``COPY`` (about 17M order lines), then a subprocess runs
``spark.read.schema(...).json(path).filter(...).groupBy(...).agg(...)`` with kaspar and reports
its peak resident memory (``ru_maxrss``), which must stay under 1 GB.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

_ROWS = 17_000_000  # about 2 GB of JSON lines
_LIMIT_BYTES = 1 << 30

_GENERATE = """
COPY (
    SELECT i AS order_id, 'c' || (hash(i, 1) % 1000) AS customer,
        ((hash(i, 2) % 100000) / 100.0)::DOUBLE AS amount,
        (1 + hash(i, 3) % 9)::INTEGER AS quantity,
        (['paid', 'shipped', 'delivered', 'cancelled'])[1 + (hash(i, 4) % 4)::BIGINT] AS status,
        strftime(TIMESTAMP '2026-01-01' + to_milliseconds(i // 200), '%Y-%m-%dT%H:%M:%S.%g') AS ts
    FROM range({rows}) AS t(i)
) TO '{path}' (FORMAT json)
"""

_QUERY = """
import json, resource, sys
from kaspar.sql import SparkSession, functions as F

spark = SparkSession.builder.getOrCreate()
schema = (
    "order_id BIGINT, customer STRING, amount DOUBLE, quantity INT, status STRING, ts TIMESTAMP"
)
rows = (
    spark.read.schema(schema).json(sys.argv[1])
    .filter(F.col("status") != "cancelled")
    .groupBy("customer")
    .agg(F.count("*").alias("n"), F.sum("amount").alias("total"), F.max("ts").alias("last"))
    .collect()
)
print(json.dumps({"groups": len(rows), "n": sum(r["n"] for r in rows),
                  "peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


@pytest.fixture
def big_file(tmp_path: Path) -> object:
    path = tmp_path / "orders.jsonl"
    con = duckdb.connect(":memory:")
    try:
        con.execute("SET enable_progress_bar = false")
        con.execute(_GENERATE.format(rows=_ROWS, path=path))
    finally:
        con.close()
    yield path
    path.unlink(missing_ok=True)


def test_json_aggregation_peak_memory_under_1gb(big_file: Path) -> None:
    assert big_file.stat().st_size > 1_900_000_000
    done = subprocess.run(
        [sys.executable, "-c", _QUERY, str(big_file)],
        capture_output=True,
        text=True,
        timeout=540,
        check=True,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"peak RSS {result['peak_kb'] // 1024} MB")  # shown with -s
    assert result["groups"] > 500
    assert 0.5 * _ROWS < result["n"] < 0.9 * _ROWS  # not cancelled
    assert result["peak_kb"] * 1024 < _LIMIT_BYTES, f"peak RSS {result['peak_kb'] // 1024} MB"
