"""``to_json`` as DuckDB SQL: Spark's JSON text built in bulk from the operand's type.

Spark's ``to_json`` (and ``DataFrame.toJSON``) writes JSON with Jackson: struct fields that are
NULL are left out (``ignoreNullFields``), NULL array elements and map values are ``null``,
doubles in Java's ``Double.toString`` notation (``1.5E20``, ``1.0E-4``, ``"NaN"``), decimals
with their scale, timestamps as ``2020-01-02T03:04:05.678Z`` in the session time zone, dates
``2021-02-03``, binary as base64. DuckDB's own ``to_json`` differs on all of these, so the text is
built here as SQL instead, from the operand's DuckDB type, asked of DuckDB's binder before
generation (as ``cast_sources`` does): ``concat_ws`` skips the NULL fields of a struct, lists and
maps go through ``list_transform``, strings are escaped by DuckDB's ``to_json`` of a VARCHAR
(the same escapes as Jackson's). A type not handled here (intervals, time, variant ...) keeps
the row-wise Python implementation (``kaspar.sql.functions.json``), which every call starts as.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import duckdb
import sqlglot
from duckdb.sqltypes import DuckDBPyType
from sqlglot import exp

from kaspar.engine.compile.cast_sources import probe
from kaspar.engine.compile.cast_templates import RAW

TO_JSON = "kaspar_to_json"  # meta key on the Python function's call: rewrite it if possible
KEEP_NULL_FIELDS = "kaspar_to_json_nulls"  # meta key: the option ignoreNullFields is false
DATE_FORMAT = "kaspar_to_json_date_format"  # meta key: dateFormat as a strftime pattern
_ISO_DATE = "%Y-%m-%d"
_OPERAND = "__kaspar_json_operand__"
_INTEGERS = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
             "UINTEGER", "UBIGINT", "UHUGEINT"}  # fmt: skip


class _Unsupported(Exception):
    """A type this module does not write: the call keeps its Python implementation."""


def resolve_to_json(
    tree: exp.Expr, con: duckdb.DuckDBPyConnection, generate: Callable[[exp.Expr], str]
) -> None:
    """Replace every marked ``to_json`` call whose operand type is handled (inner calls first)."""
    calls = [n for n in tree.find_all(exp.Anonymous) if n.meta.get(TO_JSON) and n.expressions]
    for call in reversed(calls):
        operand = call.expressions[0]
        fields = _literal_fields(operand)
        nulls = bool(call.meta.get(KEEP_NULL_FIELDS))
        dates = str(call.meta.get(DATE_FORMAT, _ISO_DATE))
        try:
            kind = con.sql(generate(probe(operand, tree))).types[0]
            if fields is not None and kind.id.upper() == "STRUCT":
                text = _literal_struct_sql(kind, nulls, dates)
            else:
                text = json_sql(_OPERAND, kind, nulls=nulls, dates=dates)
                fields = {_OPERAND: operand}
        except (duckdb.Error, _Unsupported):
            continue
        built = sqlglot.parse_one(text, read="duckdb")
        for cast in built.find_all(exp.Cast):
            cast.meta[RAW] = True  # DuckDB's own casts, not Spark's rules
        for column in list(built.find_all(exp.Column)):
            if column.name in fields:
                column.replace(fields[column.name].copy())
        call.replace(built)


def _literal_fields(operand: exp.Expr) -> dict[str, exp.Expr] | None:
    """A struct built in place (``struct(a, b)``), its fields' expressions by placeholder:
    its text then reads them directly, not through ``struct_extract`` of the literal (about
    half a millisecond less to bind per statement: a real-time chunk runs it every time)."""
    if not isinstance(operand, exp.Struct) or not operand.expressions:
        return None
    fields = {}
    for index, field in enumerate(operand.expressions):
        if not isinstance(field, exp.PropertyEQ):
            return None
        fields[f"{_OPERAND}{index}"] = field.expression
    return fields


def _literal_struct_sql(kind: DuckDBPyType, nulls: bool, dates: str) -> str:
    """The JSON text of a struct built in place (never NULL) from its fields' placeholders."""
    children = [(str(n), t) for n, t in kind.children if isinstance(t, DuckDBPyType)]
    values = [(f, f"{_OPERAND}{i}", t) for i, (f, t) in enumerate(children)]
    return f"'{{' || {_fields_sql(values, 0, nulls, dates)} || '}}'"


def json_sql(
    x: str, kind: DuckDBPyType, depth: int = 0, *, nulls: bool = False, dates: str = _ISO_DATE
) -> str:
    """SQL for the JSON text of the value ``x`` of DuckDB type ``kind`` (NULL for NULL);
    ``depth`` names the lambda variables of nested lists and maps apart; ``nulls``: struct
    fields that are NULL are written as ``null`` (``ignoreNullFields`` false); ``dates``: the
    strftime pattern of dates (``dateFormat``)."""
    name = kind.id.upper()
    if name not in ("STRUCT", "LIST", "MAP"):
        return _scalar_sql(x, name, dates)
    children = [(str(n), t) for n, t in kind.children if isinstance(t, DuckDBPyType)]
    if name == "STRUCT":
        values = [(f, f"struct_extract({x}, {_sql_string(f)})", t) for f, t in children]
        pairs = _fields_sql(values, depth, nulls, dates)
        return f"CASE WHEN {x} IS NULL THEN NULL ELSE '{{' || {pairs} || '}}' END"
    if name == "LIST":
        e = f"e{depth}"
        text = json_sql(e, children[0][1], depth + 1, nulls=nulls, dates=dates)
        item = f"coalesce({text}, 'null')"
        joined = f"array_to_string(list_transform({x}, lambda {e}: {item}), ',')"
        return f"CASE WHEN {x} IS NULL THEN NULL ELSE '[' || {joined} || ']' END"
    e = f"e{depth}"
    key = f"CAST(to_json(CAST({e}.key AS VARCHAR)) AS VARCHAR)"
    text = json_sql(f"{e}.value", children[1][1], depth + 1, nulls=nulls, dates=dates)
    value = f"coalesce({text}, 'null')"
    entry = f"{key} || ':' || {value}"
    joined = f"array_to_string(list_transform(map_entries({x}), lambda {e}: {entry}), ',')"
    return f"CASE WHEN {x} IS NULL THEN NULL ELSE '{{' || {joined} || '}}' END"


def _fields_sql(
    values: list[tuple[str, str, DuckDBPyType]],
    depth: int = 0,
    nulls: bool = False,
    dates: str = _ISO_DATE,
) -> str:
    """The ``"name":value`` pairs of a struct's (name, value SQL, type), NULL ones left out
    (``null`` with ``nulls``)."""
    fields = []
    for field, value, child in values:
        key = _sql_string(json.dumps(field, ensure_ascii=False) + ":")
        text = json_sql(value, child, depth, nulls=nulls, dates=dates)
        if nulls:
            fields.append(f"{key} || coalesce({text}, 'null')")
        else:
            fields.append(f"CASE WHEN {value} IS NULL THEN NULL ELSE {key} || {text} END")
    return f"concat_ws(',', {', '.join(fields)})" if fields else "''"


def _scalar_sql(x: str, name: str, dates: str = _ISO_DATE) -> str:
    if name == "VARIANT":  # DuckDB writes Spark's text (fields by name, no spaces), Java a double
        double = _java_double_sql(f"CAST({x} AS DOUBLE)")
        text = f"CAST(CAST({x} AS JSON) AS VARCHAR)"
        return f"CASE WHEN variant_typeof({x}) = 'DOUBLE' THEN {double} ELSE {text} END"
    if name == "VARCHAR":
        return f"CAST(to_json({x}) AS VARCHAR)"
    if name in _INTEGERS or name == "DECIMAL":
        return f"CAST({x} AS VARCHAR)"
    if name == "BOOLEAN":
        return f"CASE WHEN {x} THEN 'true' WHEN NOT {x} THEN 'false' END"
    if name in ("DOUBLE", "FLOAT"):
        return _java_double_sql(x)
    if name == "DATE":
        return f"'\"' || strftime({x}, {_sql_string(dates)}) || '\"'"
    if name == "TIMESTAMP WITH TIME ZONE":
        return _timestamp_tz_sql(x)
    if name == "TIMESTAMP":
        micros = f"strftime({x}, '%f')"
        fraction = f"CASE WHEN {micros} = '000000' THEN '' ELSE '.' || {micros} END"
        return f"'\"' || strftime({x}, '%Y-%m-%dT%H:%M:%S') || {fraction} || '\"'"
    if name == "BLOB":
        return f"'\"' || base64({x}) || '\"'"
    raise _Unsupported(name)


def _timestamp_tz_sql(x: str) -> str:
    """``yyyy-MM-dd'T'HH:mm:ss.SSSXXX`` in the connection's (the session's) time zone."""
    zone = f"strftime({x}, '%z')"
    offset = (
        f"CASE WHEN {zone} IN ('+00', '+0000', '+00:00', '-00') THEN 'Z' "
        f"WHEN length({zone}) = 3 THEN {zone} || ':00' "
        f"WHEN length({zone}) = 5 THEN substr({zone}, 1, 3) || ':' || substr({zone}, 4, 2) "
        f"ELSE {zone} END"
    )
    return f"'\"' || strftime({x}, '%Y-%m-%dT%H:%M:%S.%g') || {offset} || '\"'"


def _java_double_sql(x: str) -> str:
    """Java's ``Double.toString`` (Jackson's double): plain from 1e-3 up to 1e7 (DuckDB's
    shortest text, which keeps the ``.0``), otherwise ``d.dddE±n`` with the same shortest
    digits; NaN and the infinities quoted, as Spark writes them."""
    text = f"CAST(abs({x}) AS VARCHAR)"
    sign = f"CASE WHEN {x} < 0 THEN '-' ELSE '' END"
    mantissa = f"split_part({text}, 'e', 1)"
    exponent_form = (
        f"CASE WHEN contains({mantissa}, '.') THEN {mantissa} ELSE {mantissa} || '.0' END"
        f" || 'E' || CAST(CAST(split_part({text}, 'e', 2) AS INTEGER) AS VARCHAR)"
    )
    whole, fraction = f"split_part({text}, '.', 1)", f"split_part({text}, '.', 2)"
    large_digits = f"rtrim({whole} || {fraction}, '0')"
    large = _scientific(large_digits, f"length({whole}) - 1")
    small_digits = f"rtrim(ltrim({fraction}, '0'), '0')"
    zeros = f"length({fraction}) - length(ltrim({fraction}, '0'))"
    small = _scientific(small_digits, f"-({zeros}) - 1")
    return (
        f"CASE WHEN isnan({x}) THEN '\"NaN\"' "
        f"WHEN isinf({x}) AND {x} > 0 THEN '\"Infinity\"' WHEN isinf({x}) THEN '\"-Infinity\"' "
        f"WHEN {x} = 0 OR (abs({x}) >= 0.001 AND abs({x}) < 10000000) THEN CAST({x} AS VARCHAR) "
        f"WHEN contains({text}, 'e') THEN {sign} || {exponent_form} "
        f"WHEN abs({x}) >= 1 THEN {sign} || {large} "
        f"ELSE {sign} || {small} END"
    )


def _scientific(digits: str, exponent: str) -> str:
    rest = f"CASE WHEN length({digits}) > 1 THEN substr({digits}, 2) ELSE '0' END"
    return f"substr({digits}, 1, 1) || '.' || {rest} || 'E' || CAST({exponent} AS VARCHAR)"


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
