"""Batch tables registered with DuckDB once, their rows swapped per batch.

A streaming query runs the same statements over a new small Arrow table every batch (a
real-time chunk: tens of rows). Registering an Arrow table replaces a view in the
connection's catalog, 0.3-0.5 ms each time, as much as a fifth of running the small query
itself. DuckDB 2's Arrow scan reads a registered *source* (``duckdb._sources``: ``rows()``,
``stream(columns, filters)``) again at every statement, so ``register_rows`` registers one
``ArrowHolder`` (pyarrow's own table source, whose table is swapped) per (connection, name)
and afterwards only swaps the table, registering again when the schema changes. With a
DuckDB without that protocol, each batch's table is registered as before.

Every table registered under such a name must go through ``register_rows`` (and the name be
dropped through ``unregister_rows``), so that the holder swapped is the one DuckDB reads.
"""

from __future__ import annotations

import weakref
from typing import Any

import duckdb
import pyarrow as pa


def _holder_class() -> Any:
    try:
        from duckdb._sources.pyarrow import PyArrowTableSource  # DuckDB 2: the source protocol
    except ImportError:  # DuckDB before 2.0: no source protocol
        return None

    class ArrowHolder(PyArrowTableSource):
        """pyarrow's table source (row count, columns narrowed without a copy) over ``obj``,
        which ``register_rows`` swaps; the schema stays the one it was registered with."""

        def __arrow_c_stream__(self, requested_schema: object | None = None) -> object:
            return self.obj.__arrow_c_stream__(requested_schema)

    return ArrowHolder


_ArrowHolder = _holder_class()
_holders: weakref.WeakKeyDictionary[duckdb.DuckDBPyConnection, dict[str, Any]]
_holders = weakref.WeakKeyDictionary()


def register_rows(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table) -> None:
    """Make ``name`` read ``table`` on ``con`` (the caller serialises uses of ``con``)."""
    if _ArrowHolder is None:
        con.register(name, table)
        return
    held = _holders.setdefault(con, {})
    holder = held.get(name)
    if holder is not None and holder.obj.schema.equals(table.schema):
        holder.obj = table
        return
    holder = held[name] = _ArrowHolder(table)
    con.register(name, holder)


def release_rows(con: duckdb.DuckDBPyConnection, name: str, schema: pa.Schema) -> None:
    """Let the rows under ``name`` go: an empty table of ``schema`` stays registered."""
    register_rows(con, name, schema.empty_table())


def unregister_rows(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Drop ``name`` from ``con``."""
    _holders.get(con, {}).pop(name, None)
    con.unregister(name)
