"""Random strings and numbers in a range: ``randstr`` and ``uniform``.

Spark draws them from its own seeded generator per partition, so the values differ from
Spark's even with a seed (as ``rand`` does here); the types and column names are Spark's.
"""

from __future__ import annotations

import random

from sqlglot import exp

from kaspar.sql.column import Column, literal, parenthesized, to_expr
from kaspar.sql.functions._invoke import names, node

_POOL = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _seed(seed: Column | int | None) -> exp.Expr:
    return to_expr(seed) if isinstance(seed, Column) else literal(seed or random.getrandbits(63))


def _value(value: Column | int | float) -> exp.Expr:
    return to_expr(value) if isinstance(value, Column) else literal(value)


def randstr(length: Column | int, seed: Column | int | None = None) -> Column:
    """``length`` characters drawn from 0-9, a-z and A-Z."""
    n, s = _value(length), _seed(seed)
    index = exp.Add(
        this=exp.Anonymous(
            this="floor",
            expressions=[exp.Mul(this=exp.Rand(), expression=exp.Literal.number(len(_POOL)))],
        ),
        expression=exp.Literal.number(1),
    )
    pick = exp.Anonymous(
        this="substr",
        expressions=[exp.Literal.string(_POOL), exp.cast(index, "INT"), exp.Literal.number(1)],
    )
    lambda_ = exp.Lambda(this=pick, expressions=[exp.to_identifier("_i")])
    chars = exp.Anonymous(
        this="list_transform",
        expressions=[exp.Anonymous(this="range", expressions=[n]), lambda_],
    )
    value = exp.Anonymous(this="array_to_string", expressions=[chars, exp.Literal.string("")])
    return node(value, f"randstr({names(n, s)})")


def uniform(
    min: Column | int | float, max: Column | int | float, seed: Column | int | None = None
) -> Column:
    """A value in ``[min, max)``: an integer when both bounds are Python integers."""
    lo, hi, s = _value(min), _value(max), _seed(seed)
    span = exp.Sub(this=parenthesized(hi), expression=parenthesized(lo))
    value: exp.Expr = exp.Add(
        this=parenthesized(lo), expression=exp.Mul(this=exp.Rand(), expression=exp.paren(span))
    )
    if isinstance(min, int) and isinstance(max, int):
        value = exp.cast(exp.Anonymous(this="floor", expressions=[value]), "INT")
    return node(value, f"uniform({names(lo, hi, s)})")


__all__ = ["randstr", "uniform"]
