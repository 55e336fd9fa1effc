"""DuckDB expression templates for Spark's casts, parsed once and filled in as trees.

A template is DuckDB SQL over the placeholder column ``_x_`` (the cast's operand) and
``{name}`` slots filled with type names before parsing. ``fill`` returns a fresh tree with the
operand in place of every ``_x_``; the casts it holds are marked ``RAW`` so the dialect writes
them as DuckDB's own ``CAST`` / ``TRY_CAST``.

Errors: ``ansi(tried, operand, fails, message)`` is Spark's ANSI cast built on its ``try_cast``:
the tried value, or when it is null where ``fails`` holds, DuckDB's ``error()`` with the Spark
error class in brackets (``error_translation`` maps it back to PySpark's exception).
"""

from __future__ import annotations

from functools import cache

import sqlglot
from sqlglot import exp

RAW = "duckdb_cast"  # meta key: a cast written as DuckDB's own
_PLACEHOLDER = "_x_"


@cache
def _parsed(sql: str) -> exp.Expr:
    tree = sqlglot.parse_one(sql, dialect="duckdb")
    for cast in tree.find_all(exp.Cast):
        cast.meta[RAW] = True
    return tree


def fill(template: str, operand: exp.Expr, **types: str) -> exp.Expr:
    """The template's tree with ``operand`` for ``_x_`` (``types`` fill ``{name}`` slots)."""
    tree = _parsed(template.format(**types) if types else template).copy()
    for cast in tree.find_all(exp.Cast):
        cast.meta[RAW] = True
    for column in list(tree.find_all(exp.Column)):
        if column.name == _PLACEHOLDER and not column.table:
            column.replace(operand.copy())
    if isinstance(tree, exp.Column) and tree.name == _PLACEHOLDER:
        return operand.copy()
    return tree


def raw_cast(operand: exp.Expr, to: exp.DataType | str, safe: bool = False) -> exp.Expr:
    """DuckDB's own ``CAST`` (``TRY_CAST`` when ``safe``)."""
    dtype = exp.DataType.build(to, dialect="duckdb") if isinstance(to, str) else to.copy()
    cast: exp.Cast = (exp.TryCast if safe else exp.Cast)(this=operand.copy(), to=dtype)
    cast.meta[RAW] = True
    return cast


def error_message(error_class: str, *parts: exp.Expr | str) -> exp.Expr:
    """``error('[CLASS] ' || part || ...)``: strings are literal text, trees are values."""
    text: exp.Expr = exp.Literal.string(f"[{error_class}] ")
    for part in parts:
        piece = exp.Literal.string(part) if isinstance(part, str) else part
        text = exp.DPipe(this=text, expression=piece, safe=True)
    return exp.Anonymous(this="error", expressions=[text])


def ansi(tried: exp.Expr, fails: exp.Expr, error: exp.Expr) -> exp.Expr:
    """``COALESCE(tried, CASE WHEN fails THEN error END)``."""
    raised = exp.Case(ifs=[exp.If(this=fails, true=error)])
    return exp.Coalesce(this=tried, expressions=[raised])


def not_null(operand: exp.Expr) -> exp.Expr:
    return exp.Not(this=exp.Is(this=operand.copy(), expression=exp.Null()))


ANSI_ONLY = "kaspar_ansi_only"  # the dialect writes its argument in ANSI mode, NULL otherwise


def ansi_only(error: exp.Expr) -> exp.Expr:
    """``error`` in ANSI mode, NULL with ``spark.sql.ansi.enabled=false`` (the dialect
    decides, as it does for casts)."""
    return exp.Anonymous(this=ANSI_ONLY, expressions=[error])
