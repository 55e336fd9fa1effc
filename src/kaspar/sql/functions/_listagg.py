"""``listagg`` / ``string_agg`` and their ``_distinct`` forms: the non-NULL values joined by a
delimiter, for strings or for binaries.

DuckDB's ``string_agg`` joins text only, and whether the column holds binaries is known only
once DuckDB's binder types it, so the call is a typed call (``typed_rewrites``): over a binary
column the values and the delimiter are joined as hex digits and decoded back to bytes (hex
keeps every byte, and its order is the bytes' order); anything else is joined as text.
"""

from __future__ import annotations

from duckdb.sqltypes import DuckDBPyType
from sqlglot import exp

from kaspar.engine.compile.typed_rewrites import Rewrite, typed_call
from kaspar.sql.column import Column, literal, to_expr
from kaspar.sql.functions._invoke import ColumnOrName, names, node


def _hex(e: exp.Expr) -> exp.Expr:
    return exp.Anonymous(this="hex", expressions=[e])


def _joined(value: exp.Expr, delimiter: exp.Expr, distinct: bool) -> exp.Expr:
    """``value``'s non-NULL values joined by ``delimiter`` (distinct ones in value order:
    DuckDB's order of distinct values varies from run to run, and Spark's follows its hash set,
    which no ordering reproduces)."""
    if not distinct:
        return exp.Anonymous(this="string_agg", expressions=[value, delimiter])
    ordered = exp.Order(
        this=exp.Distinct(expressions=[value]), expressions=[exp.Ordered(this=value.copy())]
    )
    return exp.GroupConcat(this=ordered, separator=delimiter)


def _any_value(e: exp.Expr) -> exp.Expr:
    return exp.Anonymous(this="any_value", expressions=[e])


def _rewrite(distinct: bool) -> Rewrite:
    def rewrite(operands: list[exp.Expr], types: list[DuckDBPyType]) -> exp.Expr:
        # the operands are any_value(value) and any_value(delimiter), resolved by the analyzer
        e, d = (o.expressions[0] for o in operands)
        if types[0].id == "blob":
            joined = _joined(_hex(e.copy()), _hex(d.copy()), distinct)
            return exp.Anonymous(this="unhex", expressions=[joined])
        return _joined(exp.cast(e.copy(), "VARCHAR"), d.copy(), distinct)

    return rewrite


def _call(col: ColumnOrName, delimiter: object, distinct: bool) -> tuple[exp.Expr, exp.Expr]:
    e = to_expr(col)
    d = literal("" if delimiter is None else delimiter)
    operands = [_any_value(e.copy()), _any_value(d)]
    return typed_call(operands, _rewrite(distinct)), e


def string_agg_call(fn: str, col: ColumnOrName, delimiter: object) -> Column:
    value, e = _call(col, delimiter, distinct=False)
    shown = literal(delimiter) if isinstance(delimiter, Column) or delimiter is None else None
    d = shown if shown is not None else literal(delimiter)
    return node(value, f"{fn}({names(e, d)})")


def string_agg_distinct_call(fn: str, col: ColumnOrName, delimiter: object) -> Column:
    value, e = _call(col, delimiter, distinct=True)
    shown = names(e, literal(delimiter)) if delimiter is not None else f"{names(e)}, NULL"
    return node(value, f"{fn}(DISTINCT {shown})")


__all__ = ["string_agg_call", "string_agg_distinct_call"]
