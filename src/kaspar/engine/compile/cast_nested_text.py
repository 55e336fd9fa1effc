"""Spark's text of an array, a map or a struct (``cast(x as string)``, and so ``concat``).

Spark writes ``[1, 2]``, ``{a -> 1, b -> 2}`` and ``{1, x}`` (a struct's values only), with
``null`` for a NULL inside, and each atomic value as its own cast to string writes it (dates,
timestamps in the session time zone, doubles in Java's notation). DuckDB's cast writes
``{'a': 1}``, ``{a=1}`` and ``NULL``, so the dialect builds the text from the parts instead:
each atomic part goes through a cast of its own whose source type is recorded, so that
``cast_sql`` writes it as Spark does.
"""

from __future__ import annotations

from sqlglot import exp

from kaspar.engine.compile.cast_sources import SOURCE_TYPE
from kaspar.engine.type_conversion import DAY_TIME_FIELD, YEAR_MONTH_FIELD

_T = exp.DataType.Type
# DuckDB's own names of the atomic types, as its binder reports them (``cast_rules``)
_DUCKDB_NAMES = {
    _T.INT: "INTEGER",
    _T.TEXT: "VARCHAR",
    _T.VARCHAR: "VARCHAR",
    _T.TIMESTAMPTZ: "TIMESTAMP WITH TIME ZONE",
    _T.FLOAT: "FLOAT",
    _T.DOUBLE: "DOUBLE",
    _T.BIGINT: "BIGINT",
    _T.SMALLINT: "SMALLINT",
    _T.TINYINT: "TINYINT",
    _T.BOOLEAN: "BOOLEAN",
    _T.DATE: "DATE",
    _T.TIMESTAMP: "TIMESTAMP",
    _T.BLOB: "BLOB",
    _T.VARBINARY: "BLOB",
}
_CARRIERS = frozenset({DAY_TIME_FIELD, YEAR_MONTH_FIELD})


def is_nested(source_type: str) -> bool:
    return source_type.startswith(("STRUCT(", "MAP(")) or source_type.endswith("]")


def nested_text(operand: exp.Expr, source_type: str) -> exp.Expr | None:
    """Spark's string of ``operand`` (of DuckDB type ``source_type``), NULL when it is NULL;
    None for types kaspar keeps in a struct of its own (intervals, geometries)."""
    dtype = exp.DataType.build(source_type, dialect="duckdb")
    if not _supported(dtype):
        return None
    return _text(operand, dtype, 0)


def _supported(dtype: exp.DataType) -> bool:
    if dtype.this == _T.STRUCT:
        names = [c.name for c in dtype.expressions if isinstance(c, exp.ColumnDef)]
        if len(names) != len(dtype.expressions) or not names:
            return False
        if any(n in _CARRIERS or n.startswith("__") for n in names):
            return False
        return all(_supported(c.args["kind"]) for c in dtype.expressions)
    return all(_supported(a) for a in dtype.expressions if isinstance(a, exp.DataType))


def _text(value: exp.Expr, dtype: exp.DataType, depth: int) -> exp.Expr:
    """The text of a non-NULL ``value`` (NULL in, NULL out)."""
    if dtype.this in (_T.ARRAY, _T.LIST):
        return _array_text(value, dtype.expressions[0], depth)
    if dtype.this == _T.MAP:
        return _map_text(value, dtype.expressions[0], dtype.expressions[1], depth)
    if dtype.this == _T.STRUCT:
        return _struct_text(value, dtype, depth)
    if dtype.this in (_T.BLOB, _T.VARBINARY):  # UTF-8 text; a byte that is not becomes '?'
        return exp.Anonymous(this="decode", expressions=[value, exp.Literal.string("replace")])
    cast = exp.Cast(this=value, to=exp.DataType.build("VARCHAR"))
    cast.meta[SOURCE_TYPE] = _duckdb_name(dtype)
    return cast


def _duckdb_name(dtype: exp.DataType) -> str:
    if dtype.this == _T.DECIMAL:
        return dtype.sql("duckdb").replace(" ", "")
    return _DUCKDB_NAMES.get(dtype.this, dtype.sql("duckdb"))


def _part(value: exp.Expr, dtype: exp.DataType, depth: int) -> exp.Expr:
    """A value inside a nested one: ``null`` when it is NULL."""
    return exp.Coalesce(this=_text(value, dtype, depth), expressions=[exp.Literal.string("null")])


def _joined(parts: exp.Expr, open_: str, close: str) -> exp.Expr:
    inner = exp.Anonymous(this="array_to_string", expressions=[parts, exp.Literal.string(", ")])
    return _concat(exp.Literal.string(open_), inner, exp.Literal.string(close))


def _concat(*parts: exp.Expr) -> exp.Expr:
    """``a || b || ...``: NULL if a part is (the outer value was NULL)."""
    result = parts[0]
    for p in parts[1:]:
        result = exp.DPipe(this=result, expression=p, safe=False)
    return result


def _each(value: exp.Expr, body: exp.Expr, name: str) -> exp.Expr:
    function = exp.Lambda(this=body, expressions=[exp.to_identifier(name)])
    return exp.Anonymous(this="list_transform", expressions=[value, function])


def _array_text(value: exp.Expr, element: exp.DataType, depth: int) -> exp.Expr:
    name = f"__kaspar_e{depth}"
    body = _part(exp.column(name), element, depth + 1)
    return _joined(_each(value, body, name), "[", "]")


def _map_text(value: exp.Expr, key: exp.DataType, item: exp.DataType, depth: int) -> exp.Expr:
    name = f"__kaspar_e{depth}"
    entry = exp.column(name)
    key_text = _text(_field(entry, "key"), key, depth + 1)
    item_text = _part(_field(entry.copy(), "value"), item, depth + 1)
    body = _concat(key_text, exp.Literal.string(" -> "), item_text)
    entries = exp.Anonymous(this="map_entries", expressions=[value])
    return _joined(_each(entries, body, name), "{", "}")


def _struct_text(value: exp.Expr, dtype: exp.DataType, depth: int) -> exp.Expr:
    parts: list[exp.Expr] = [exp.Literal.string("{")]
    for i, column in enumerate(dtype.expressions):
        if i:
            parts.append(exp.Literal.string(", "))
        parts.append(_part(_field(value.copy(), column.name), column.args["kind"], depth + 1))
    parts.append(exp.Literal.string("}"))
    text = _concat(*parts)
    # the fields' ``null`` texts would hide a NULL struct: NULL stays NULL
    return exp.Case(
        ifs=[exp.If(this=exp.Is(this=value.copy(), expression=exp.Null()), true=exp.Null())],
        default=text,
    )


def _field(value: exp.Expr, name: str) -> exp.Expr:
    return exp.Anonymous(this="struct_extract", expressions=[value, exp.Literal.string(name)])
