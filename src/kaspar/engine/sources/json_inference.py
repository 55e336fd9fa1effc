"""Spark's schema inference for JSON records, aggregated in DuckDB.

Steps (Spark's ``JsonInferSchema``; only step 1 reads the files):

1. DuckDB reads every record (each line, or each file with ``multiLine``; all of them, or a
   ``samplingRatio`` sample) and groups them by shape: ``json_structure``, NULL for a
   malformed record. The result is a handful of distinct shapes with DuckDB's type names.
2. Each shape becomes a Spark type: integers → bigint, other numbers → double, booleans,
   strings, objects → structs, arrays → arrays; with ``primitivesAsString`` every primitive is
   a string. A top-level array of objects stands for its elements.
3. The shapes are merged as Spark merges types: bigint with double → double, structs field by
   field, arrays by element, any other conflict → string, null with anything → that thing.
4. Fields that are always null become strings; fields that are always empty objects are
   dropped; fields are sorted by name. A malformed record (or one that is not an object) adds
   ``_corrupt_record`` in PERMISSIVE mode and fails FAILFAST mode.

Known differences: DuckDB names an integer's type without its magnitude, so an integer beyond
bigint is inferred as bigint (Spark: decimal(20,0)) or as double beyond 2^64; ``prefersDecimal``
is not supported (numbers stay double).
"""

# The SQL here quotes every path it holds (quote_literal).
# ruff: noqa: S608

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from kaspar.engine import types as T
from kaspar.engine.plan import logical as L
from kaspar.engine.sources.json_modes import (
    MAX_RECORD,
    corrupt_column,
    opaque,
    parse_mode,
    paths_sql,
    truthy,
)
from kaspar.errors import AnalysisException, SparkException

if TYPE_CHECKING:
    from kaspar.engine.execution import Executor

_PRIMITIVES: dict[str, T.DataType] = {
    "BIGINT": T.LongType(),
    "UBIGINT": T.LongType(),
    "HUGEINT": T.DecimalType(38, 0),
    "DOUBLE": T.DoubleType(),
    "BOOLEAN": T.BooleanType(),
    "VARCHAR": T.StringType(),
}
_EMPTY = T.StructType([])  # an empty object: dropped unless merged with a struct that has fields


def _shapes_sql(paths: list[str], options: dict[str, str]) -> str:
    if truthy(options, "multiline"):
        records = (
            "SELECT CASE WHEN json_valid(content) THEN content::JSON END AS json "
            f"FROM read_text({paths_sql(paths)})"
        )
    else:
        records = (
            f"SELECT json FROM read_json_objects({paths_sql(paths)}, format='newline_delimited', "
            f"ignore_errors=true, maximum_object_size={MAX_RECORD})"
        )
    ratio = float(options.get("samplingratio", "1.0"))
    if not 0 < ratio <= 1:
        raise AnalysisException(
            f"samplingRatio ({ratio}) should be greater than 0 and at most 1.", "INVALID_OPTION"
        )
    if ratio < 1:
        records = f"SELECT * FROM ({records}) USING SAMPLE {ratio * 100}% (bernoulli, 42)"
    return f"SELECT json_structure(json)::VARCHAR AS s, count(*) AS n FROM ({records}) GROUP BY s"


def infer_schema(executor: Executor, paths: list[str], options: dict[str, str]) -> T.StructType:
    """Spark's inferred schema for JSON records (see the module docstring)."""
    plan = L.Scan(opaque(_shapes_sql(paths, options), "_shapes"), ("s", "n"), "json")
    strings = truthy(options, "primitivesasstring")
    merged: T.DataType = T.NullType()
    bad = False
    for row in executor.execute(plan).to_pylist():
        shape = None if row["s"] is None else _spark_type(json.loads(row["s"]), strings)
        if isinstance(shape, T.ArrayType) and isinstance(shape.elementType, T.StructType):
            shape = shape.elementType  # a top-level array of objects: one record per element
        if isinstance(shape, T.StructType):
            merged = _merge(merged, shape)
        else:
            bad = True
    mode, corrupt = parse_mode(options), corrupt_column(options)
    if bad and mode == "FAILFAST":
        raise SparkException(
            "Malformed records are detected in schema inference. Parse Mode: FAILFAST.",
            "MALFORMED_RECORD_IN_PARSING.WITHOUT_SUGGESTION",
        )
    fields = list(merged.fields) if isinstance(merged, T.StructType) else []
    fields = [T.StructField(f.name, t, True) for f in fields if (t := _final(f.dataType))]
    if bad and mode == "PERMISSIVE" and corrupt not in [f.name for f in fields]:
        fields.append(T.StructField(corrupt, T.StringType(), True))
    return T.StructType(sorted(fields, key=lambda f: f.name))


def _spark_type(found: Any, strings: bool) -> T.DataType:
    """A shape from ``json_structure`` as a Spark type (``NullType`` for null)."""
    if isinstance(found, dict):
        return T.StructType(
            [T.StructField(k, _spark_type(v, strings), True) for k, v in found.items()]
        )
    if isinstance(found, list):
        element = _spark_type(found[0], strings) if found else T.NullType()
        if isinstance(element, T.StructType) and not element.fields:
            return T.ArrayType(T.StringType(), True)  # DuckDB: mixed kinds ("JSON") in an array
        return T.ArrayType(element, True)
    if found == "NULL":
        return T.NullType()
    if found == "JSON":  # an empty object (or, in an array, values of different kinds)
        return _EMPTY
    if strings:
        return T.StringType()
    return _PRIMITIVES.get(str(found), T.StringType())


def _merge(a: T.DataType, b: T.DataType) -> T.DataType:
    """Spark's ``compatibleType`` of two inferred types."""
    if isinstance(a, T.NullType):
        return b
    if isinstance(b, T.NullType) or a == b:
        return a
    if isinstance(a, T.StructType) and isinstance(b, T.StructType):
        fields = {f.name: f.dataType for f in a.fields}
        for f in b.fields:
            fields[f.name] = _merge(fields[f.name], f.dataType) if f.name in fields else f.dataType
        return T.StructType([T.StructField(n, t, True) for n, t in sorted(fields.items())])
    if isinstance(a, T.ArrayType) and isinstance(b, T.ArrayType):
        return T.ArrayType(_merge(a.elementType, b.elementType), True)
    numbers = (T.LongType, T.DoubleType, T.DecimalType)
    if isinstance(a, numbers) and isinstance(b, numbers):
        return T.DoubleType() if T.DoubleType() in (a, b) else T.DecimalType(38, 0)
    return T.StringType()


def _final(dtype: T.DataType) -> T.DataType | None:
    """Spark's ``canonicalizeType``: null → string, empty structs dropped, fields sorted."""
    if isinstance(dtype, T.NullType):
        return T.StringType()
    if isinstance(dtype, T.ArrayType):
        element = _final(dtype.elementType)
        return T.ArrayType(element if element is not None else T.StringType(), True)
    if isinstance(dtype, T.StructType):
        fields = [T.StructField(f.name, t, True) for f in dtype.fields if (t := _final(f.dataType))]
        if not fields:
            return None
        return T.StructType(sorted(fields, key=lambda f: f.name))
    return dtype
