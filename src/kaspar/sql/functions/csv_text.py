"""``from_csv``: a CSV record in a string column parsed into a struct, as Spark's CSV reader
parses a line (``kaspar.engine.sources.csv_from_text``), in PERMISSIVE mode."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
from sqlglot import exp

from kaspar.engine import types as T
from kaspar.engine.sources.csv_from_text import from_csv as parse_records
from kaspar.engine.udf import PythonUDF, register
from kaspar.errors import PySparkTypeError
from kaspar.sql.column import Column, to_expr
from kaspar.sql.functions._invoke import ColumnOrName, names, node
from kaspar.sql.functions.json import _schema_type


def from_csv(col: ColumnOrName, schema: Any, options: dict[str, str] | None = None) -> Column:
    dtype = _schema_type(schema)
    if not isinstance(dtype, T.StructType):
        raise PySparkTypeError(
            f"[INVALID_SCHEMA] from_csv needs a struct schema, got {dtype.simpleString()}.",
            "INVALID_SCHEMA",
        )
    settings = dict(options or {})

    def parse(column: pa.Array) -> pa.Array:
        return parse_records(column, dtype, settings)

    udf = register(PythonUDF(parse, dtype, name="from_csv", arrow=True))
    e = to_expr(col)
    return node(exp.Anonymous(this=udf, expressions=[e]), f"from_csv({names(e)})")


__all__ = ["from_csv"]
