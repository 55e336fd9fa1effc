"""Maps inside ``to_variant_object(x)``: Spark makes each map a variant object.

DuckDB's cast of a ``MAP`` to ``VARIANT`` gives a list of key/value pairs, so each map is
rewritten first: it goes through its JSON text (``to_json``, then JSON to VARIANT), which keeps
strings, numbers, booleans and nesting as they are. Structs and lists around maps are rebuilt
with their maps rewritten. Spark refuses a map whose keys are not strings; a map holding dates,
timestamps, decimals or binary (which JSON would turn into text) is not supported yet.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from kaspar.errors import AnalysisException, PySparkNotImplementedError

_T = exp.DataType.Type
Raw = Callable[[exp.Expr, str], exp.Expr]
_JSON_FAITHFUL = frozenset(
    {
        _T.TEXT,
        _T.VARCHAR,
        _T.BOOLEAN,
        _T.TINYINT,
        _T.SMALLINT,
        _T.INT,
        _T.BIGINT,
        _T.DOUBLE,
        _T.FLOAT,
    }
)


def with_map_objects(value: exp.Expr, source_type: str, raw: Raw) -> exp.Expr:
    """``value`` (of DuckDB type ``source_type``) with every map in it as a VARIANT object.
    ``raw`` builds DuckDB's own cast (the variant module's)."""
    dtype = exp.DataType.build(source_type, dialect="duckdb")
    return _rewrite(value, dtype, raw, 0)


def _has_map(dtype: exp.DataType) -> bool:
    if dtype.this == _T.MAP:
        return True
    kinds = [c.args["kind"] if isinstance(c, exp.ColumnDef) else c for c in dtype.expressions]
    return any(isinstance(k, exp.DataType) and _has_map(k) for k in kinds)


def _rewrite(value: exp.Expr, dtype: exp.DataType, raw: Raw, depth: int) -> exp.Expr:
    if not _has_map(dtype):
        return value
    if dtype.this == _T.MAP:
        return _map_object(value, dtype, raw)
    if dtype.this in (_T.ARRAY, _T.LIST):
        name = f"__kaspar_v{depth}"
        body = _rewrite(exp.column(name), dtype.expressions[0], raw, depth + 1)
        function = exp.Lambda(this=body, expressions=[exp.to_identifier(name)])
        return exp.Anonymous(this="list_transform", expressions=[value, function])
    fields = []
    for column in dtype.expressions:
        field = exp.Anonymous(
            this="struct_extract", expressions=[value.copy(), exp.Literal.string(column.name)]
        )
        rewritten = _rewrite(field, column.args["kind"], raw, depth + 1)
        fields.append(
            exp.PropertyEQ(this=exp.to_identifier(column.name, quoted=True), expression=rewritten)
        )
    is_null = exp.Is(this=value.copy(), expression=exp.Null())
    return exp.Case(
        ifs=[exp.If(this=is_null, true=exp.Null())], default=exp.Struct(expressions=fields)
    )


def _map_object(value: exp.Expr, dtype: exp.DataType, raw: Raw) -> exp.Expr:
    key, item = dtype.expressions
    if key.this not in (_T.TEXT, _T.VARCHAR):
        spark_key = key.sql("spark").upper()
        raise AnalysisException(
            'Cannot resolve "to_variant_object" due to data type mismatch: cannot cast '
            f'"MAP<{spark_key}, {item.sql("spark").upper()}>" to "VARIANT".',
            "DATATYPE_MISMATCH.CAST_WITHOUT_SUGGESTION",
        )
    if not _json_faithful(item):
        raise PySparkNotImplementedError(
            f"to_variant_object of a map of {item.sql('spark')} values is not supported yet "
            "(maps of strings, numbers, booleans and their nesting are).",
            "NOT_IMPLEMENTED",
        )
    text = exp.Anonymous(this="to_json", expressions=[value])
    return raw(raw(text, "JSON"), "VARIANT")


def _json_faithful(dtype: exp.DataType) -> bool:
    if dtype.this in _JSON_FAITHFUL:
        return True
    if dtype.this in (_T.ARRAY, _T.LIST, _T.MAP):
        return all(_json_faithful(a) for a in dtype.expressions)
    if dtype.this == _T.STRUCT:
        return all(_json_faithful(c.args["kind"]) for c in dtype.expressions)
    return False
