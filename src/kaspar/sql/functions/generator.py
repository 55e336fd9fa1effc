"""Generators that emit several columns per row: ``posexplode``, ``inline`` and their outer forms.

A generator with more than one output column is a Column whose expression carries the list of
output expressions in ``meta["multi"]`` (``inline`` carries the struct in ``meta["inline"]``,
since its columns are the struct's fields); ``DataFrame.select`` expands it. In DuckDB several
``UNNEST`` calls in one select list advance together, as Spark's generator rows do.
"""

from __future__ import annotations

from sqlglot import exp

from kaspar.sql.column import Column, named, to_expr
from kaspar.sql.functions._invoke import ColumnOrName, names


def outer_array(e: exp.Expr, value: exp.Expr | None = None) -> exp.Expr:
    """``value`` (default ``e``), or ``[NULL]`` when ``e`` is NULL or empty (the row is kept)."""
    non_empty = exp.GT(
        this=exp.Anonymous(this="len", expressions=[e.copy()]), expression=exp.Literal.number(0)
    )
    return exp.Case(
        ifs=[exp.If(this=non_empty, true=(value or e).copy())],
        default=exp.Array(expressions=[exp.Null()]),
    )


def _unnest(e: exp.Expr) -> exp.Expr:
    return exp.Anonymous(this="unnest", expressions=[e])


def _alias(e: exp.Expr, name: str) -> exp.Alias:
    return exp.Alias(this=e, alias=exp.to_identifier(name, quoted=True))


def multi_column(name: str, parts: list[exp.Alias]) -> Column:
    first = parts[0].this.copy()
    column = Column(named(first, name))
    column.expr.meta["multi"] = parts
    return column


def _posexplode(col: ColumnOrName, outer: bool, fn: str) -> Column:
    e = to_expr(col)
    source = outer_array(e) if outer else e
    positions: exp.Expr = exp.Anonymous(
        this="range", expressions=[exp.Anonymous(this="len", expressions=[e.copy()])]
    )
    if outer:
        positions = outer_array(e, positions)
    pos = exp.Cast(this=_unnest(positions), to=exp.DataType.build("INT"))
    return multi_column(f"{fn}({names(e)})", [_alias(pos, "pos"), _alias(_unnest(source), "col")])


def posexplode(col: ColumnOrName) -> Column:
    return _posexplode(col, False, "posexplode")


def posexplode_outer(col: ColumnOrName) -> Column:
    return _posexplode(col, True, "posexplode_outer")


def _inline(col: ColumnOrName, outer: bool, fn: str) -> Column:
    e = to_expr(col)
    struct = _unnest(outer_array(e) if outer else e)
    column = Column(named(struct, f"{fn}({names(e)})"))
    column.expr.meta["inline"] = True
    return column


def inline(col: ColumnOrName) -> Column:
    return _inline(col, False, "inline")


def inline_outer(col: ColumnOrName) -> Column:
    return _inline(col, True, "inline_outer")


__all__ = ["inline", "inline_outer", "posexplode", "posexplode_outer", "stack"]


def stack(*cols: ColumnOrName) -> Column:
    """``stack(n, v1, ..., vk)``: ``n`` rows of ``ceil(k / n)`` columns ``col0, col1, ...``."""
    first = cols[0].expr if isinstance(cols[0], Column) else None
    if not (isinstance(first, exp.Literal) and not first.is_string):
        raise NotImplementedError("stack: the number of rows must be an integer literal")
    rows = int(first.this)
    values = [to_expr(c) for c in cols[1:]]
    width = -(-len(values) // rows)
    parts = []
    for j in range(width):
        cells = [
            values[i * width + j].copy() if i * width + j < len(values) else exp.Null()
            for i in range(rows)
        ]
        parts.append(_alias(_unnest(exp.Array(expressions=cells)), f"col{j}"))
    return multi_column(f"stack({names(first, *values)})", parts)
