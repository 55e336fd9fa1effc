"""``counter_diff`` (Spark 4.3): a cumulative counter's deltas, as a window function.

The call is ``counter_diff(value[, start])``; ``.over(window)`` makes it a window, which the
DuckDB generator expands (``kaspar.engine.compile.counter_diff`` describes the rules). Here the
operands' types are checked as Spark checks them: a numeric value, a TIMESTAMP or TIMESTAMP_NTZ
start time; the value's type is kept for the result.
"""

from __future__ import annotations

from duckdb.sqltypes import DuckDBPyType
from sqlglot import exp

from kaspar.engine.compile.counter_diff import NAME, VALUE_TYPE
from kaspar.engine.compile.typed_rewrites import typed_call
from kaspar.engine.plan.naming import SPARK_FRAME
from kaspar.engine.type_conversion import from_duckdb
from kaspar.errors import AnalysisException
from kaspar.sql.column import Column, to_expr
from kaspar.sql.functions._invoke import ColumnOrName, names, node

_NUMERIC = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "FLOAT", "DOUBLE", "DECIMAL")
_ROWS_TO_CURRENT = "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW"


def _mismatch(call: str, operand: exp.Expr, which: str, wanted: str, kind: DuckDBPyType) -> None:
    given = from_duckdb(str(kind)).simpleString().upper()
    raise AnalysisException(
        f'Cannot resolve "{call}" due to data type mismatch: The {which} parameter requires '
        f'the {wanted} type, however "{names(operand)}" has the type "{given}".',
        "DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE",
    )


def _checked_value(call: str, value: exp.Expr) -> exp.Expr:
    def rewrite(operands: list[exp.Expr], types: list[DuckDBPyType]) -> exp.Expr:
        kind = str(types[0])
        if not kind.startswith(_NUMERIC) and kind != '"NULL"':
            _mismatch(call, value, "first", '"NUMERIC"', types[0])
        checked = operands[0].copy()
        checked.meta[VALUE_TYPE] = kind
        return checked

    return typed_call([value], rewrite)


def _checked_start(call: str, start: exp.Expr) -> exp.Expr:
    def rewrite(operands: list[exp.Expr], types: list[DuckDBPyType]) -> exp.Expr:
        kind = str(types[0])
        if not kind.startswith("TIMESTAMP") or kind.startswith("TIMESTAMP_"):
            _mismatch(call, start, "second", '("TIMESTAMP" or "TIMESTAMP_NTZ")', types[0])
        return operands[0].copy()

    return typed_call([start], rewrite)


def counter_diff(value: ColumnOrName, startTime: ColumnOrName | None = None) -> Column:
    """The difference between each cumulative counter value and the previous one (NULL where
    the counter was reset); use it with ``.over(Window.partitionBy(...).orderBy(...))``."""
    exprs = [to_expr(value)] + ([] if startTime is None else [to_expr(startTime)])
    call = f"{NAME}({names(*exprs)})"
    checked = [_checked_value(call, exprs[0])]
    if startTime is not None:
        checked.append(_checked_start(call, exprs[1]))
    column = node(exp.Anonymous(this=NAME, expressions=checked), call)
    column.expr.meta[SPARK_FRAME] = _ROWS_TO_CURRENT
    return column


__all__ = ["counter_diff"]
