"""``from_csv``: a CSV record in a string column parsed into a struct, as Spark's CSV reader
parses a line, in DuckDB SQL (``kaspar.engine.sources.csv_from_text``): no Python per row."""

from __future__ import annotations

from typing import Any

import sqlglot
from sqlglot import exp

from kaspar.engine import types as T
from kaspar.engine.sources.csv_from_text import from_csv_sql
from kaspar.errors import PySparkTypeError
from kaspar.sql.column import Column, to_expr
from kaspar.sql.functions._invoke import ColumnOrName, names, node
from kaspar.sql.functions.json import _schema_type

_TEXT = "__kaspar_csv_text__"  # where the column's expression goes in the parsed SQL


def from_csv(col: ColumnOrName, schema: Any, options: dict[str, str] | None = None) -> Column:
    dtype = _schema_type(schema)
    if not isinstance(dtype, T.StructType):
        raise PySparkTypeError(
            f"[INVALID_SCHEMA] from_csv needs a struct schema, got {dtype.simpleString()}.",
            "INVALID_SCHEMA",
        )
    e = to_expr(col)
    parsed = sqlglot.parse_one(from_csv_sql(_TEXT, dtype, dict(options or {})), dialect="duckdb")
    for placeholder in list(parsed.find_all(exp.Column)):
        if placeholder.name == _TEXT:
            placeholder.replace(e.copy())
    return node(parsed, f"from_csv({names(e)})")


__all__ = ["from_csv"]
