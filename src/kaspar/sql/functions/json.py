"""JSON functions: ``from_json``, ``to_json``, ``get_json_object``, ``json_tuple``, ...

Parsing follows Spark's PERMISSIVE mode: malformed text gives NULL, and a field whose value does
not fit the declared type is NULL (DuckDB's non-strict ``json_transform``); Jackson's relaxed
JSON that Spark's options allow is made strict first (``json_options``). ``to_json`` writes
Spark's text (NULL struct fields left out, Java's double notation, ...) as DuckDB SQL built from
the operand's type when the query compiles (``engine/compile/json_text.py``); the row-wise
Python function below is what a call starts as, and stays for the types that module does not
write.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
from typing import Any

from sqlglot import exp

from kaspar.engine import types as T
from kaspar.engine.arrow_eval import FROM_JSON
from kaspar.engine.compile.datetime_patterns import spark_to_strftime
from kaspar.engine.compile.json_text import DATE_FORMAT, KEEP_NULL_FIELDS, TO_JSON
from kaspar.engine.type_conversion import infer_type, merge_types, parse_data_type, to_sqlglot
from kaspar.engine.udf import PythonUDF, register
from kaspar.engine.variant import sql as V
from kaspar.errors import AnalysisException, PySparkTypeError
from kaspar.sql.column import Column, literal, to_expr
from kaspar.sql.functions._invoke import ColumnOrName, names, node
from kaspar.sql.functions.json_options import strict_json_sql, strict_json_text


def _structure(dtype: T.DataType) -> Any:
    """DuckDB's ``json_transform`` structure for a Spark type."""
    if isinstance(dtype, T.StructType):
        return {f.name: _structure(f.dataType) for f in dtype.fields}
    if isinstance(dtype, T.ArrayType):
        return [_structure(dtype.elementType)]
    if isinstance(dtype, T.VariantType):  # read again as a variant (with_variant_fields)
        return "JSON"
    return to_sqlglot(dtype).sql(dialect="duckdb")


def _schema_type(schema: Any) -> T.DataType:
    if isinstance(schema, T.DataType):
        return schema
    if isinstance(schema, Column) and isinstance(schema.expr, exp.Literal):
        schema = schema.expr.this
    if isinstance(schema, str):
        return parse_data_type(schema)
    raise PySparkTypeError(
        "[NOT_COLUMN_OR_DATATYPE_OR_STR] Argument `schema` should be a Column, str or DataType, "
        f"got {type(schema).__name__}.",
        "NOT_COLUMN_OR_DATATYPE_OR_STR",
    )


def _valid(e: exp.Expr) -> exp.Expr:
    return exp.Anonymous(this="json_valid", expressions=[e.copy()])


def _when_valid(e: exp.Expr, value: exp.Expr) -> exp.Expr:
    return exp.Case(ifs=[exp.If(this=_valid(e), true=value)])


def from_json(col: ColumnOrName, schema: Any, options: dict[str, str] | None = None) -> Column:
    """PERMISSIVE: malformed text gives a struct of NULLs (NULL for a non-struct schema).

    A struct is parsed once per row: ``try(json_transform(...))`` is NULL for malformed text,
    and DuckDB's ``json_transform`` of valid JSON that is not an object (a number, an array,
    ``null``) is a struct of NULLs or NULL, so ``coalesce`` with the all-NULL struct gives
    Spark's answer without validating the text first (which parsed every value twice more).
    """
    e = to_expr(col)
    dtype = _schema_type(schema)
    if isinstance(dtype, T.VariantType):  # Spark: the text as a variant (NULL if not JSON)
        return node(V.parse(e, try_=True), f"from_json({names(e)})")
    text = strict_json_sql(e, options)
    structure = exp.Literal.string(json.dumps(_structure(dtype)))
    parsed = exp.Anonymous(this="json_transform", expressions=[text.copy(), structure])
    if not isinstance(dtype, T.StructType):
        return node(_when_valid(text, parsed), f"from_json({names(e)})")
    nulls = exp.Anonymous(this="json_transform", expressions=[exp.Literal.string("{}"), structure])
    tried = exp.Anonymous(this="try", expressions=[parsed])
    blank = exp.EQ(this=exp.Trim(this=e.copy()), expression=exp.Literal.string(""))
    no_text = exp.or_(exp.Is(this=e.copy(), expression=exp.Null()), blank)  # Spark: NULL
    value: exp.Expr = exp.Case(
        ifs=[exp.If(this=no_text, true=exp.Null())],
        default=exp.Coalesce(this=tried, expressions=[nulls]),
    )
    if V.has_variant(dtype):
        value = V.with_variant_fields(value, e, dtype)
    elif _default_options(options):
        fields = tuple((f.name, _structure(f.dataType)) for f in dtype.fields)
        value.meta[FROM_JSON] = fields  # engine/arrow_eval.py may parse it over Arrow
    return node(value, f"from_json({names(e)})")


def _default_options(options: dict[str, str] | None) -> bool:
    """Whether ``from_json`` runs with Spark's default JSON options (the text rewritten for
    single quotes only)."""
    given = {k.lower(): str(v).strip().lower() for k, v in (options or {}).items()}
    return all(k == "allowsinglequotes" and v == "true" for k, v in given.items())


def get_json_object(col: ColumnOrName, path: str) -> Column:
    e = to_expr(col)
    if "[*]" in path:
        return node(
            _when_valid(e, _wildcard_matches(e, path)), f"get_json_object({names(e)}, {path})"
        )
    value = exp.Anonymous(
        this="json_extract_string", expressions=[e.copy(), exp.Literal.string(path)]
    )
    return node(_when_valid(e, value), f"get_json_object({names(e)}, {path})")


def _wildcard_matches(e: exp.Expr, path: str) -> exp.Expr:
    """Spark's answer to a path with ``[*]``: the JSON text of its one match, a JSON array of
    its matches when there are several, NULL for none (JSON nulls are no match)."""
    extracted = exp.Anonymous(this="json_extract", expressions=[e.copy(), literal(path)])
    m = exp.to_identifier("m")
    not_null = exp.NEQ(this=exp.cast(exp.column(m), "VARCHAR"), expression=literal("null"))
    lam = exp.Lambda(this=not_null, expressions=[m])
    matches = exp.Anonymous(this="list_filter", expressions=[extracted, lam])
    count = exp.Anonymous(this="len", expressions=[matches.copy()])
    first = exp.Anonymous(this="list_extract", expressions=[matches.copy(), exp.Literal.number(1)])
    joined = exp.Anonymous(this="array_to_string", expressions=[matches.copy(), literal(",")])
    many = exp.DPipe(this=exp.DPipe(this=literal("["), expression=joined), expression=literal("]"))
    return exp.Case(
        ifs=[
            exp.If(this=exp.EQ(this=count, expression=exp.Literal.number(0)), true=exp.Null()),
            exp.If(
                this=exp.EQ(this=count.copy(), expression=exp.Literal.number(1)),
                true=exp.cast(first, "VARCHAR"),
            ),
        ],
        default=many,
    )


def json_tuple(col: ColumnOrName, *fields: str) -> Column:
    """Spark's generator of ``c0, c1, ...``; ``select`` expands it into one column per field."""
    if not fields:
        raise PySparkTypeError(
            "[CANNOT_BE_EMPTY] At least one field must be specified.", "CANNOT_BE_EMPTY"
        )
    e = to_expr(col)
    parts = [get_json_object(Column(e), f"$.{f}").expr for f in fields]
    from kaspar.sql.functions.generator import multi_column

    return multi_column(
        "c0",
        [
            exp.Alias(this=p, alias=exp.to_identifier(f"c{i}", quoted=True))
            for i, p in enumerate(parts)
        ],
    )


def json_array_length(col: ColumnOrName) -> Column:
    e = to_expr(col)
    length = exp.Anonymous(this="json_array_length", expressions=[e.copy()])
    value = exp.Cast(this=length, to=exp.DataType.build("INT"))
    return node(_when_valid(e, value), f"json_array_length({names(e)})")


def json_object_keys(col: ColumnOrName) -> Column:
    e = to_expr(col)
    keys = exp.Anonymous(this="json_keys", expressions=[e.copy()])
    return node(_when_valid(e, keys), f"json_object_keys({names(e)})")


def _spark_json_type(value: Any) -> T.DataType:
    if isinstance(value, dict):
        return T.StructType(
            [T.StructField(k, _spark_json_type(v)) for k, v in sorted(value.items())]
        )
    if isinstance(value, list):
        element: T.DataType = T.StringType()
        for i, item in enumerate(value):
            element = _spark_json_type(item) if i == 0 else merge_types(element, item_type(item))
        return T.ArrayType(element)
    if value is None:
        return T.StringType()
    return infer_type(value)


def item_type(value: Any) -> T.DataType:
    return _spark_json_type(value)


def _ddl(dtype: T.DataType) -> str:
    if isinstance(dtype, T.StructType):
        return "STRUCT<" + ", ".join(f"{f.name}: {_ddl(f.dataType)}" for f in dtype.fields) + ">"
    if isinstance(dtype, T.ArrayType):
        return f"ARRAY<{_ddl(dtype.elementType)}>"
    return dtype.simpleString().upper()


def schema_of_json(json_text: Column | str, options: dict[str, str] | None = None) -> Column:
    e = literal(json_text) if isinstance(json_text, str) else json_text.expr
    if not isinstance(e, exp.Literal) or not e.is_string:
        raise PySparkTypeError(
            "[NOT_EXPRESSION_OR_STR] schema_of_json needs a JSON string literal.",
            "NOT_EXPRESSION_OR_STR",
        )
    try:
        parsed = json.loads(strict_json_text(e.this, options))
    except json.JSONDecodeError:
        raise AnalysisException(
            f"[INVALID_JSON_SCHEMA] Cannot infer the schema of the JSON text {e.this!r}: it is "
            "not valid JSON (with the options given).",
            "INVALID_JSON_SCHEMA",
        ) from None
    ddl = _ddl(_spark_json_type(parsed))
    return node(exp.Literal.string(ddl), f"schema_of_json({e.this})")


def _json_value(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _json_value(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        if value and all(isinstance(v, tuple) and len(v) == 2 for v in value):
            return {str(k): _json_value(v) for k, v in value}
        return [_json_value(v) for v in value]
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        offset = value.utcoffset()
        zone = "Z" if not offset else value.strftime("%z")
        zone = zone if zone == "Z" else f"{zone[:3]}:{zone[3:]}"
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}{zone}"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _encode(value: Any) -> str:
    """JSON text as Spark's Jackson generator writes it (doubles in Java's notation)."""
    if isinstance(value, dict):
        return "{" + ",".join(f"{_encode(k)}:{_encode(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_encode(v) for v in value) + "]"
    if isinstance(value, float):
        return _java_double(value)
    if isinstance(value, decimal.Decimal):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def _java_double(value: float) -> str:
    """Java's ``Double.toString``: plain for 1e-3 <= |x| < 1e7, else ``1.5E20``; NaN quoted."""
    if math.isnan(value) or math.isinf(value):
        return '"NaN"' if math.isnan(value) else ('"Infinity"' if value > 0 else '"-Infinity"')
    if value == 0 or 1e-3 <= abs(value) < 1e7:
        return repr(value)
    sign, digits, exponent = decimal.Decimal(repr(value)).normalize().as_tuple()
    assert isinstance(exponent, int)
    text = "".join(map(str, digits))
    power = len(text) - 1 + exponent
    return f"{'-' if sign else ''}{text[0]}.{text[1:] or '0'}E{power}"


def _dumps(value: Any) -> str | None:
    if value is None:
        return None
    return _encode(_json_value(value))


_TO_JSON = register(PythonUDF(_dumps, T.StringType(), name="to_json"))


def to_json(col: ColumnOrName, options: dict[str, str] | None = None) -> Column:
    """Spark's JSON text, built in DuckDB from the operand's type when the query is compiled
    (``engine/compile/json_text.py``); the Python function is kept for types it does not write."""
    e = to_expr(col)
    call = exp.Anonymous(this=_TO_JSON, expressions=[e])
    call.meta[TO_JSON] = True
    lowered = {k.lower(): str(v).lower() for k, v in (options or {}).items()}
    if lowered.get("ignorenullfields") == "false":  # NULL struct fields written as null
        call.meta[KEEP_NULL_FIELDS] = True
    date_format = {k.lower(): str(v) for k, v in (options or {}).items()}.get("dateformat")
    if date_format is not None:
        call.meta[DATE_FORMAT] = spark_to_strftime(date_format)
    return node(call, f"to_json({names(e)})")


__all__ = [
    "from_json",
    "get_json_object",
    "json_array_length",
    "json_object_keys",
    "json_tuple",
    "schema_of_json",
    "to_json",
]
