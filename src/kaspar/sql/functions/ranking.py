"""Window (ranking and offset) functions; use them with ``.over(Window...)``."""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from kaspar.engine.plan.naming import SPARK_FRAME
from kaspar.sql.column import Column, literal, to_expr
from kaspar.sql.functions._invoke import ColumnOrName, names, node

_ROWS_TO_CURRENT = "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW"
_UPPER_CASE_NAMES = frozenset({"rank", "dense_rank", "percent_rank"})


def _framed(column: Column, frame: str) -> Column:
    column.expr.meta[SPARK_FRAME] = frame
    return column


def _ranking(fn: str) -> Column:
    shown = fn.upper() if fn in _UPPER_CASE_NAMES else fn
    column = node(exp.Anonymous(this=fn, expressions=[]), f"{shown}()")
    return column if fn == "cume_dist" else _framed(column, _ROWS_TO_CURRENT)


def row_number() -> Column:
    return _ranking("row_number")


def rank() -> Column:
    return _ranking("rank")


def dense_rank() -> Column:
    return _ranking("dense_rank")


def percent_rank() -> Column:
    return _ranking("percent_rank")


def cume_dist() -> Column:
    return _ranking("cume_dist")


def ntile(n: int) -> Column:
    column = node(exp.Anonymous(this="ntile", expressions=[literal(n)]), f"ntile({n})")
    return _framed(column, _ROWS_TO_CURRENT)


def _offset(fn: str, col: ColumnOrName, offset: int, default: Any) -> Column:
    e, o, d = to_expr(col), literal(offset), literal(default)
    column = node(exp.Anonymous(this=fn, expressions=[e, o, d]), f"{fn}({names(e, o, d)})")
    row = -offset if fn == "lag" else offset
    return _framed(column, f"ROWS BETWEEN {row} FOLLOWING AND {row} FOLLOWING")


def lag(col: ColumnOrName, offset: int = 1, default: Any = None) -> Column:
    return _offset("lag", col, offset, default)


def lead(col: ColumnOrName, offset: int = 1, default: Any = None) -> Column:
    return _offset("lead", col, offset, default)


def nth_value(col: ColumnOrName, offset: int, ignoreNulls: bool = False) -> Column:
    e, o = to_expr(col), literal(offset)
    return node(
        exp.Anonymous(this="nth_value", expressions=[e, o]),
        f"nth_value({names(e, o)})" + (" ignore nulls" if ignoreNulls else ""),
    )


__all__ = [
    "cume_dist",
    "dense_rank",
    "lag",
    "lead",
    "nth_value",
    "ntile",
    "percent_rank",
    "rank",
    "row_number",
]
