"""JSON lines with Spark's parse modes: PERMISSIVE, DROPMALFORMED and FAILFAST.

DuckDB's ``read_json`` raises on a malformed line and has no corrupt-record column, so a JSON read
that needs a parse mode (a ``mode`` option, a corrupt-record column in the schema, or malformed
lines found while inferring) is parsed here, line by line, into one Arrow table:

* PERMISSIVE (the default; an unknown mode falls back to it, as in Spark): a line that is not a
  JSON object, or a field that does not convert to its type, gives NULL fields (the fields that
  did convert are kept) and the raw line in ``columnNameOfCorruptRecord`` when the schema has
  that column. Inference adds the column (``_corrupt_record``) when some line is malformed.
* DROPMALFORMED drops those lines. FAILFAST raises Spark's ``SparkException``.

Inference follows Spark for flat records: integers → bigint, numbers → double, booleans,
strings; mixed types, objects and arrays → string (the JSON text). Columns are sorted by name.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa

from kaspar.engine import types as T
from kaspar.engine.plan import logical as L
from kaspar.engine.type_conversion import to_arrow
from kaspar.errors import SparkException

MODES = ("PERMISSIVE", "DROPMALFORMED", "FAILFAST")
_INT_RANGES: dict[type[T.DataType], int] = {
    T.ByteType: 2**7,
    T.ShortType: 2**15,
    T.IntegerType: 2**31,
    T.LongType: 2**63,
}


class _Malformed(Exception):
    """A value that does not convert to its field's type."""


def parse_mode(options: dict[str, str]) -> str:
    mode = options.get("mode", "PERMISSIVE").upper()
    return mode if mode in MODES else "PERMISSIVE"


def corrupt_column(options: dict[str, str]) -> str:
    return options.get("columnnameofcorruptrecord", "_corrupt_record")


def _records(paths: list[str]) -> list[tuple[str, dict[str, Any] | None]]:
    out: list[tuple[str, dict[str, Any] | None]] = []
    for path in paths:
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except ValueError:
                value = None
            out.append((line, value if isinstance(value, dict) else None))
    return out


def _convert(value: Any, dtype: T.DataType) -> Any:
    if value is None:
        return None
    if isinstance(dtype, T.StringType):
        return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    bound = _INT_RANGES.get(type(dtype))
    if bound is not None:
        if isinstance(value, bool) or not isinstance(value, int) or not -bound <= value < bound:
            raise _Malformed
        return value
    if isinstance(dtype, T.DoubleType | T.FloatType | T.DecimalType):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _Malformed
        return value
    if isinstance(dtype, T.BooleanType) and not isinstance(value, bool):
        raise _Malformed
    try:
        pa.array([value], to_arrow(dtype))
    except (pa.ArrowException, TypeError, ValueError):
        raise _Malformed from None
    return value


def _infer(records: list[tuple[str, dict[str, Any] | None]]) -> T.StructType:
    kinds: dict[str, set[str]] = {}
    for _, record in records:
        for key, value in (record or {}).items():
            seen = kinds.setdefault(key, set())
            if value is not None:
                seen.add("bool" if isinstance(value, bool) else type(value).__name__)
    fields = []
    for name in sorted(kinds):
        seen = kinds[name]
        dtype: T.DataType = T.StringType()
        if seen == {"bool"}:
            dtype = T.BooleanType()
        elif seen == {"int"}:
            dtype = T.LongType()
        elif seen and seen <= {"int", "float"}:
            dtype = T.DoubleType()
        fields.append(T.StructField(name, dtype, True))
    return T.StructType(fields)


def _row(
    line: str, record: dict[str, Any] | None, schema: T.StructType, corrupt: str
) -> tuple[list[Any], bool]:
    """Converted values and whether the line was malformed."""
    bad = record is None
    values: list[Any] = []
    for f in schema.fields:
        if f.name == corrupt:
            values.append(None)
            continue
        try:
            values.append(_convert((record or {}).get(f.name), f.dataType))
        except _Malformed:
            values.append(None)
            bad = True
    if bad and corrupt in schema.names:
        values[schema.names.index(corrupt)] = line
    return values, bad


def json_relation(
    paths: list[str], options: dict[str, str], schema: T.StructType | None
) -> L.LocalRelation:
    """The plan leaf for JSON lines read with a parse mode (see the module docstring)."""
    mode, corrupt = parse_mode(options), corrupt_column(options)
    records = _records(paths)
    if schema is None:
        schema = _infer(records)
        if mode == "FAILFAST" and any(r is None for _, r in records):
            raise SparkException(
                "Malformed records are "
                f"detected in record parsing: {corrupt}.\nParse Mode: FAILFAST.",
                "MALFORMED_RECORD_IN_PARSING.WITHOUT_SUGGESTION",
            )
        if mode == "PERMISSIVE" and any(r is None for _, r in records):
            extra = T.StructField(corrupt, T.StringType(), True)
            schema = T.StructType(sorted([*schema.fields, extra], key=lambda f: f.name))
    rows = []
    for line, record in records:
        values, bad = _row(line, record, schema, corrupt)
        if bad and mode == "FAILFAST":
            raise SparkException(
                f"Encountered error while reading file {paths[0]}.",
                "FAILED_READ_FILE.NO_HINT",
            )
        if not (bad and mode == "DROPMALFORMED"):
            rows.append(values)
    columns = [
        pa.array([r[i] for r in rows], to_arrow(f.dataType)) for i, f in enumerate(schema.fields)
    ]
    table = pa.table(columns, names=[f"c{i}" for i in range(len(schema.fields))])
    return L.LocalRelation(table, tuple(schema.names))
