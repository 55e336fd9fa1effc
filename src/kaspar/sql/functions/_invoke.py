"""Building function calls: the same sqlglot trees Spark SQL text parses into."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeAlias

from sqlglot import exp

from kaspar.engine.compile.cast_sources import KEEP_BINARY
from kaspar.engine.compile.dialect import KasparSpark
from kaspar.engine.plan.naming import SPARK_NAME, output_name
from kaspar.sql.column import Column, literal, named, to_expr

ColumnOrName: TypeAlias = Column | str


def build(fn: str, exprs: Sequence[exp.Expr]) -> exp.Expr:
    """``fn(exprs)`` as sqlglot's Spark parser would build it (typed node when known)."""
    try:
        return exp.func(fn, *exprs, dialect=KasparSpark)
    except (ValueError, TypeError, KeyError):
        return exp.Anonymous(this=fn, expressions=list(exprs))


def call(
    fn: str,
    *cols: ColumnOrName,
    args: Sequence[Any] = (),
    name: str | None = None,
    sql_fn: str | None = None,
) -> Column:
    """A Spark function over columns ``cols`` and literal ``args``, named as Spark names it."""
    exprs = [to_expr(c) for c in cols] + [literal(a) for a in args]
    e = build(sql_fn or fn, exprs)
    return Column(named(e, name or f"{fn}({', '.join(output_name(x) for x in exprs)})"))


def node(e: exp.Expr, name: str) -> Column:
    """A Column for a hand-built node with Spark's name."""
    return Column(named(e, name))


def as_text(col: ColumnOrName, keep_binary: bool = False) -> Column:
    """``col`` cast to a string, named as ``col``: Spark's implicit cast of a number, date or
    binary argument of a string function (none for a string; ``keep_binary``: none for binary
    either, for the functions that also take binary)."""
    e = to_expr(col)
    cast = exp.cast(e, "VARCHAR")
    cast.meta[SPARK_NAME] = output_name(e)
    if keep_binary:
        cast.meta[KEEP_BINARY] = True
    return Column(cast)


def as_date(col: ColumnOrName) -> Column:
    """``col`` cast to a date, named as ``col``: Spark's implicit cast of a string or timestamp
    argument of a date function (``add_months``, ``last_day``, ``next_day``)."""
    e = to_expr(col)
    cast = exp.cast(e, "DATE")
    cast.meta[SPARK_NAME] = output_name(e)
    return Column(cast)


def operand(value: Any) -> ColumnOrName:
    """An argument that is a column, a column's name, or a literal (``date_add(d, 'n')`` names
    column ``n``; ``date_add(d, 1)`` is the literal 1)."""
    return value if isinstance(value, Column | str) else Column(literal(value))


def as_binary(col: ColumnOrName) -> Column:
    """``col`` as binary, named as ``col``: a string's UTF-8 bytes, other values' text's."""
    text = as_text(col, keep_binary=True).expr
    cast = exp.cast(text, "BLOB")
    cast.meta[SPARK_NAME] = text.meta[SPARK_NAME]
    cast.meta[KEEP_BINARY] = True
    return Column(cast)


def renamed(column: Column, fn: str, *args: exp.Expr) -> Column:
    """``column`` under Spark's name for an alias function: ``fn(args)`` (``every(b)`` for
    ``bool_and``: Spark names a call by the name it was called by)."""
    e = column.expr.copy()
    e.meta[SPARK_NAME] = f"{fn}({names(*args)})"
    return Column(e)


def names(*values: exp.Expr) -> str:
    return ", ".join(output_name(v) for v in values)
