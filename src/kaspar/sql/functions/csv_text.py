"""``from_csv``: a CSV record in a string column parsed into a struct, as Spark's CSV reader
parses a line, in DuckDB SQL (``kaspar.engine.sources.csv_from_text``): no Python per row."""

from __future__ import annotations

import csv as csv_module
import re
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


_INT_RANGE = (-(2**31), 2**31 - 1)
_LONG_RANGE = (-(2**63), 2**63 - 1)


def _infer(field: str) -> str:
    """Spark's CSV type inference for one field: int, bigint, double, boolean, date,
    timestamp, else string (an empty field is a string)."""
    text = field.strip()
    if re.fullmatch(r"[+-]?\d+", text):
        value = int(text)
        if _INT_RANGE[0] <= value <= _INT_RANGE[1]:
            return "INT"
        return "BIGINT" if _LONG_RANGE[0] <= value <= _LONG_RANGE[1] else "DECIMAL(38,0)"
    if re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?[dDfF]?|NaN|[+-]?Infinity", text):
        return "DOUBLE"
    if text.lower() in ("true", "false"):
        return "BOOLEAN"
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return "DATE"
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?", text):
        return "TIMESTAMP"
    return "STRING"


def schema_of_csv(csv: Column | str, options: dict[str, str] | None = None) -> Column:
    """The DDL of the struct Spark infers from one CSV record (a constant string)."""
    e = to_expr(csv) if isinstance(csv, Column) else exp.Literal.string(csv)
    if not (isinstance(e, exp.Literal) and e.is_string):
        raise PySparkTypeError(
            "[NOT_STR] schema_of_csv needs a constant string (a literal or a str).", "NOT_STR"
        )
    sep = (options or {}).get("sep", (options or {}).get("delimiter", ","))
    fields = next(csv_module.reader([str(e.this)], delimiter=sep), [])
    ddl = ", ".join(f"_c{i}: {_infer(f)}" for i, f in enumerate(fields))
    return node(exp.Literal.string(f"STRUCT<{ddl}>"), f"schema_of_csv({names(e)})")


__all__ = ["from_csv", "schema_of_csv"]
