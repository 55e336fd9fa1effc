"""``grouping`` and ``grouping_id``: which columns a rollup/cube row aggregates over.

Both are DuckDB's ``GROUPING(...)`` (a bit per argument, 1 when the column is aggregated away),
typed as Spark types them (tinyint and bigint). ``grouping_id()`` without columns means all the
grouping columns: ``GroupedData.agg`` fills them in (``expand_grouping_id``).
"""

from __future__ import annotations

from sqlglot import exp

from kaspar.sql.column import Column, to_columns, to_expr
from kaspar.sql.functions._invoke import ColumnOrName, names, node

_ALL_GROUPING_COLUMNS = "grouping_id_of_all"


def grouping(col: ColumnOrName) -> Column:
    e = to_expr(col)
    value = exp.cast(exp.Anonymous(this="grouping", expressions=[e]), "TINYINT")
    return node(value, f"grouping({names(e)})")


def grouping_id(*cols: ColumnOrName) -> Column:
    exprs = [c.expr for c in to_columns(cols)]
    call = exp.Anonymous(this="grouping", expressions=exprs)
    if not exprs:
        call.meta[_ALL_GROUPING_COLUMNS] = True
    return node(exp.cast(call, "BIGINT"), f"grouping_id({names(*exprs)})")


def expand_grouping_id(e: exp.Expr, grouping: tuple[exp.Expr, ...]) -> exp.Expr:
    """``e`` with each ``grouping_id()`` given the grouping columns."""
    for call in list(e.find_all(exp.Anonymous)):
        if call.meta.get(_ALL_GROUPING_COLUMNS):
            call.set("expressions", [g.copy() for g in grouping])
    return e


__all__ = ["grouping", "grouping_id"]
