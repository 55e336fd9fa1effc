"""``Column.dropFields``: a struct rebuilt without some fields (dotted paths reach nested ones).

DuckDB has no function that removes a struct field, so the struct is rebuilt with
``struct_pack`` from the fields that stay, which needs the struct's type: the call is a typed
rewrite (``kaspar.engine.compile.typed_rewrites``), written once DuckDB has bound the operand.
As in Spark, a field that does not exist is ignored, names match case-insensitively, a NULL
struct stays NULL, and dropping every field or a non-struct operand is an analysis error.
"""

from __future__ import annotations

from duckdb.sqltypes import DuckDBPyType
from sqlglot import exp

from kaspar.engine.compile.typed_rewrites import struct_fields, typed_call
from kaspar.engine.type_conversion import from_duckdb
from kaspar.errors import AnalysisException


def drop_fields(struct: exp.Expr, paths: tuple[str, ...], name: str, operand: str) -> exp.Expr:
    """The typed call that drops ``paths`` (``a`` or ``a.b.c``) from ``struct``."""

    def rewrite(operands: list[exp.Expr], types: list[DuckDBPyType]) -> exp.Expr:
        if types[0].id != "struct":
            raise AnalysisException(
                f'Cannot resolve "{name}" due to data type mismatch: The first parameter '
                f'requires the "STRUCT" type, however "{operand}" has the type '
                f'"{from_duckdb(str(types[0])).simpleString().upper()}".',
                "DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE",
            )
        return _rebuilt(operands[0], types[0], [p.split(".") for p in paths], name)

    return typed_call([struct], rewrite)


def _rebuilt(value: exp.Expr, dtype: DuckDBPyType, paths: list[list[str]], name: str) -> exp.Expr:
    """``value`` (a struct of type ``dtype``) without the fields ``paths`` name."""
    fields = []
    for field, child in struct_fields(dtype):
        here = [p for p in paths if p[0].lower() == field.lower()]
        if any(len(p) == 1 for p in here):
            continue
        access: exp.Expr = exp.Anonymous(
            this="struct_extract", expressions=[value.copy(), exp.Literal.string(field)]
        )
        deeper = [p[1:] for p in here]
        if deeper and child.id == "struct":
            access = _rebuilt(access, child, deeper, name)
        fields.append(exp.PropertyEQ(this=exp.to_identifier(field, quoted=True), expression=access))
    if not fields:
        raise AnalysisException(
            f'Cannot resolve "{name}" due to data type mismatch: Cannot drop all fields in struct.',
            "DATATYPE_MISMATCH.CANNOT_DROP_ALL_FIELDS",
        )
    packed = exp.Anonymous(this="struct_pack", expressions=fields)
    is_null = exp.Is(this=value.copy(), expression=exp.Null())
    return exp.If(this=is_null, true=exp.Null(), false=packed)


__all__ = ["drop_fields"]
