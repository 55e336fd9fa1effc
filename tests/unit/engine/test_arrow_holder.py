"""register_rows: a name registered once reads the table swapped in last, whatever its schema."""

from __future__ import annotations

import duckdb
import pyarrow as pa

from kaspar.engine.arrow_holder import register_rows, release_rows, unregister_rows


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[object, ...]]:
    return con.execute(sql).fetchall()


def test_a_bound_statement_reads_the_rows_swapped_in_last() -> None:
    con = duckdb.connect(":memory:")
    register_rows(con, "batch", pa.table({"x": [1, 2, 3]}))
    relation = con.sql("SELECT sum(x) FROM batch WHERE x > 1")
    assert relation.fetchall() == [(5,)]
    register_rows(con, "batch", pa.table({"x": [10, 20]}))
    assert relation.fetchall() == [(30,)]
    assert _rows(con, "SELECT count(*) FROM batch a, batch b") == [(4,)]  # scanned twice
    release_rows(con, "batch", pa.schema([pa.field("x", pa.int64())]))
    assert _rows(con, "SELECT count(*) FROM batch") == [(0,)]


def test_another_schema_is_registered_anew_and_names_are_per_connection() -> None:
    first, second = duckdb.connect(":memory:"), duckdb.connect(":memory:")
    register_rows(first, "batch", pa.table({"x": [1]}))
    register_rows(second, "batch", pa.table({"x": [7, 8]}))
    register_rows(first, "batch", pa.table({"y": ["a", "b", "c"]}))
    assert _rows(first, "SELECT string_agg(y, '') FROM batch") == [("abc",)]
    assert _rows(second, "SELECT sum(x) FROM batch") == [(15,)]
    unregister_rows(first, "batch")
    register_rows(first, "batch", pa.table({"y": ["d"]}))
    assert _rows(first, "SELECT * FROM batch") == [("d",)]
