"""Window (ranking and offset) functions; use them with ``.over(Window...)``."""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from kaspar.sql.column import Column, literal, to_expr
from kaspar.sql.functions._invoke import ColumnOrName, names, node


def _ranking(fn: str) -> Column:
    return node(exp.Anonymous(this=fn, expressions=[]), f"{fn}()")


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
    return node(exp.Anonymous(this="ntile", expressions=[literal(n)]), f"ntile({n})")


def _offset(fn: str, col: ColumnOrName, offset: int, default: Any) -> Column:
    e, o, d = to_expr(col), literal(offset), literal(default)
    return node(exp.Anonymous(this=fn, expressions=[e, o, d]), f"{fn}({names(e, o, d)})")


def lag(col: ColumnOrName, offset: int = 1, default: Any = None) -> Column:
    return _offset("lag", col, offset, default)


def lead(col: ColumnOrName, offset: int = 1, default: Any = None) -> Column:
    return _offset("lead", col, offset, default)


def nth_value(col: ColumnOrName, offset: int, ignoreNulls: bool = False) -> Column:
    e, o = to_expr(col), literal(offset)
    return node(
        exp.Anonymous(this="nth_value", expressions=[e, o]),
        f"nth_value({names(e, o)}, {str(ignoreNulls).lower()})",
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
