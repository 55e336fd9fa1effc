"""The batch read benchmark's data and scenarios: order lines in NDJSON and CSV, three schemas.

Each line of the input is an order:

    {"order_id":17,"customer":"c431","amount":52.17,"quantity":3,"status":"paid",
     "ts":"2026-01-01T00:00:01.234"}

(the CSV file has the same columns, with a header line). ``customer``: 1,000 distinct;
``status``: one of four; ``amount``: 0.00 to 999.99; ``ts``: spread over one day. Values come
from ``hash(i, k)``, so a file is the same on every run with the same DuckDB.

The query is the same for every scenario: read, ``status <> 'cancelled'``, then
``groupBy(customer)`` with count, sum(amount) and max(ts). A scenario is (format, schema):

* ``plain``: strings and numbers only (``ts`` stays a string),
* ``timestamps``: ``ts`` as a timestamp,
* ``inferred``: no schema: JSON's inference, CSV's ``header`` + ``inferSchema``.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

FORMAT_VERSION = 1
FORMATS = ("json", "csv")
SCHEMAS = ("plain", "timestamps", "inferred")
STATUSES = ("paid", "shipped", "delivered", "cancelled")
COLUMNS = ("order_id", "customer", "amount", "quantity", "status", "ts")
SPARK_SCHEMAS = {
    "plain": "order_id BIGINT, customer STRING, amount DOUBLE, quantity INT, status STRING, "
    "ts STRING",
    "timestamps": "order_id BIGINT, customer STRING, amount DOUBLE, quantity INT, "
    "status STRING, ts TIMESTAMP",
}
DUCKDB_TYPES = {
    "plain": ("BIGINT", "VARCHAR", "DOUBLE", "INTEGER", "VARCHAR", "VARCHAR"),
    "timestamps": ("BIGINT", "VARCHAR", "DOUBLE", "INTEGER", "VARCHAR", "TIMESTAMP"),
}

_GENERATE = """
COPY (
    SELECT
        i AS order_id,
        'c' || (hash(i, 1) % 1000) AS customer,
        ((hash(i, 2) % 100000) / 100.0)::DOUBLE AS amount,
        (1 + hash(i, 3) % 9)::INTEGER AS quantity,
        ({statuses})[1 + (hash(i, 4) % 4)::BIGINT] AS status,
        strftime(
            TIMESTAMP '2026-01-01' + to_milliseconds(((i * 86400000) // {n})::BIGINT),
            '%Y-%m-%dT%H:%M:%S.%g'
        ) AS ts
    FROM range({n}) AS t(i)
) TO '{path}' ({options})
"""


def default_data_dir() -> Path:
    return Path(tempfile.gettempdir()) / "kaspar-bench-read"


def orders_file(fmt: str, n: int, data_dir: Path) -> Path:
    """The N-order file in ``fmt`` (json or csv), generated first unless it is cached."""
    path = data_dir / f"orders-v{FORMAT_VERSION}-{n}.{'jsonl' if fmt == 'json' else 'csv'}"
    if path.exists():
        return path
    data_dir.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.tmp")
    statuses = "[" + ", ".join(f"'{s}'" for s in STATUSES) + "]"
    options = "FORMAT json" if fmt == "json" else "FORMAT csv, HEADER true"
    con = duckdb.connect(":memory:")
    try:
        con.execute("SET enable_progress_bar = false")
        con.execute(_GENERATE.format(n=n, statuses=statuses, path=partial, options=options))
    finally:
        con.close()
    partial.replace(path)
    return path


def spark_query(spark: Any, F: Any, fmt: str, schema: str, path: str) -> Any:
    """The scenario as PySpark DataFrame code (runs unchanged on kaspar and on PySpark)."""
    reader = spark.read
    if schema in SPARK_SCHEMAS:
        reader = reader.schema(SPARK_SCHEMAS[schema])
    if fmt == "csv":
        reader = reader.option("header", "true")
        if schema == "inferred":
            reader = reader.option("inferSchema", "true")
    orders = reader.csv(path) if fmt == "csv" else reader.json(path)
    return (
        orders.filter(F.col("status") != "cancelled")
        .groupBy("customer")
        .agg(
            F.count("*").alias("n"),
            F.sum("amount").alias("total"),
            F.max("ts").alias("last_ts"),
        )
    )


def duckdb_sql(fmt: str, schema: str, path: str) -> str:
    """The same scenario as the SQL a DuckDB user writes by hand."""
    if schema in DUCKDB_TYPES:
        columns = ", ".join(
            f"'{c}': '{t}'" for c, t in zip(COLUMNS, DUCKDB_TYPES[schema], strict=True)
        )
        if fmt == "json":
            source = f"read_json('{path}', format = 'newline_delimited', columns = {{{columns}}})"
        else:
            source = f"read_csv('{path}', header = true, columns = {{{columns}}})"
    elif fmt == "json":
        source = f"read_json('{path}', format = 'newline_delimited')"
    else:
        source = f"read_csv('{path}', header = true)"
    return (
        "SELECT customer, count(*) AS n, sum(amount) AS total, max(ts) AS last_ts "
        f"FROM {source} WHERE status <> 'cancelled' GROUP BY customer"
    )


@dataclass(frozen=True)
class Scenario:
    fmt: str
    schema: str

    @property
    def name(self) -> str:
        return f"{self.fmt} / {self.schema}"


SCENARIOS = tuple(Scenario(f, s) for f in FORMATS for s in SCHEMAS)
Runner = Callable[[Scenario, str], list[tuple[Any, ...]]]
