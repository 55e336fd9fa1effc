"""Spark's bitmap aggregates and ``bitmap_count`` (``kaspar.engine.bitmap`` computes them):
4096-byte bitmaps, byte for byte the ones Spark writes. ``bitmap_bucket_number`` and
``bitmap_bit_position`` are in ``misc``."""

from __future__ import annotations

from sqlglot import exp

from kaspar.engine.bitmap import BITMAP_FUNCTIONS
from kaspar.sql.column import Column, to_expr
from kaspar.sql.functions._invoke import ColumnOrName, names, node


def _call(fn: str, operand: exp.Expr, e: exp.Expr | None = None) -> exp.Expr:
    """``fn(operand)``; with ``e``, the call's and ``e``'s Spark names follow (its type error)."""
    spark = (
        [] if e is None else [exp.Literal.string(f"{fn}({names(e)})"), exp.Literal.string(names(e))]
    )
    return exp.Anonymous(this=BITMAP_FUNCTIONS[fn], expressions=[operand, *spark])


def _merge(fn: str, col: ColumnOrName) -> Column:
    e = to_expr(col)
    collected = exp.Anonymous(this="list", expressions=[e.copy()])
    return node(_call(fn, collected, e), f"{fn}({names(e)})")


def bitmap_construct_agg(col: ColumnOrName) -> Column:
    """The bitmap with a bit set at each of the group's positions (0 to 32767)."""
    e = to_expr(col)
    collected = exp.Anonymous(this="list", expressions=[exp.cast(e.copy(), "BIGINT")])
    return node(_call("bitmap_construct_agg", collected), f"bitmap_construct_agg({names(e)})")


def bitmap_or_agg(col: ColumnOrName) -> Column:
    """The bitwise OR of the group's bitmaps."""
    return _merge("bitmap_or_agg", col)


def bitmap_and_agg(col: ColumnOrName) -> Column:
    """The bitwise AND of the group's bitmaps."""
    return _merge("bitmap_and_agg", col)


def bitmap_count(col: ColumnOrName) -> Column:
    """The number of bits set in a bitmap."""
    e = to_expr(col)
    return node(_call("bitmap_count", e.copy(), e), f"bitmap_count({names(e)})")


__all__ = ["bitmap_and_agg", "bitmap_construct_agg", "bitmap_count", "bitmap_or_agg"]
