"""Spark SQL's ``a div b``: the quotient truncated toward zero, always a ``bigint``.

sqlglot parses ``div`` as ``exp.IntDiv``, which kaspar also builds itself (partition and bucket
arithmetic, where DuckDB's ``//`` of its integer types is what is meant). Only the ``div`` of SQL
text becomes Spark's operator: a typed call (``typed_rewrites``) that sees its operands' DuckDB
types. Integers divide with ``//`` (DuckDB truncates toward zero too); a decimal's quotient is
truncated; a string is cast to ``bigint`` first (ANSI, a malformed one raises); a fractional
operand is refused as Spark refuses it.
"""

from __future__ import annotations

from duckdb.sqltypes import DuckDBPyType
from sqlglot import exp

from kaspar.engine.compile.typed_rewrites import typed_call
from kaspar.errors import AnalysisException

_INTEGERS = frozenset({"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT"})


def spark_div(node: exp.Expr) -> exp.Expr:
    """``node`` with Spark's ``div`` semantics if it is an ``IntDiv`` (a ``transform`` rule
    for trees parsed from Spark SQL)."""
    if not isinstance(node, exp.IntDiv):
        return node
    from kaspar.engine.plan.naming import SPARK_NAME, output_name  # naming -> dialect -> here

    call = typed_call([node.this, node.expression], _divide)
    call.meta[SPARK_NAME] = f"({output_name(node.this)} div {output_name(node.expression)})"
    return call


def _divide(operands: list[exp.Expr], types: list[DuckDBPyType]) -> exp.Expr:
    names = [str(t).upper() for t in types]
    for name in names:
        if name.startswith(("FLOAT", "DOUBLE")):
            first, second = (_spark_type_name(n) for n in names)
            raise AnalysisException(
                "Cannot resolve div due to data type "
                "mismatch: the left and right operands of the binary operator have "
                f'incompatible types ("{first}" and "{second}").',
                "DATATYPE_MISMATCH.BINARY_OP_DIFF_TYPES",
            )
    left, right = (_operand(o, n) for o, n in zip(operands, names, strict=True))
    if any(n.startswith("DECIMAL") for n in names):
        quotient: exp.Expr = exp.Anonymous(
            this="TRUNC", expressions=[exp.Div(this=left, expression=right)]
        )
    else:
        quotient = exp.IntDiv(this=left, expression=right)
    return exp.Cast(this=quotient, to=exp.DataType.build("BIGINT"))


def _operand(operand: exp.Expr, duckdb_type: str) -> exp.Expr:
    if duckdb_type in _INTEGERS or duckdb_type.startswith("DECIMAL"):
        return exp.paren(operand.copy(), copy=False)
    return exp.Cast(this=operand.copy(), to=exp.DataType.build("BIGINT"))


def _spark_type_name(duckdb_type: str) -> str:
    from kaspar.engine.type_conversion import from_duckdb

    try:
        return from_duckdb(duckdb_type).simpleString().upper()
    except (ValueError, KeyError, TypeError, AttributeError):  # no Spark name: DuckDB's
        return duckdb_type


__all__ = ["spark_div"]
