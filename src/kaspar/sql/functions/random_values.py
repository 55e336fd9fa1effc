"""Seeded random values: ``rand``, ``randn``, ``randstr``, ``uniform`` and ``uuid``.

Spark draws them from a generator per partition seeded with ``seed + partitionIndex``; with a
seed, kaspar draws the same values from the same generators (``kaspar.engine.seeded``,
docs/partitions.md). Without one, ``rand``, ``randn`` and ``uuid`` use DuckDB's generator and
the others a random seed.
"""

from __future__ import annotations

import random

from sqlglot import exp

from kaspar.engine.seeded import calls
from kaspar.errors import PySparkTypeError
from kaspar.sql.column import Column, literal, parenthesized, to_expr
from kaspar.sql.functions._invoke import names, node


def seed_value(seed: Column | int | None) -> int:
    """A constant seed (Spark requires one), or a random one when none is given."""
    if seed is None:
        return random.getrandbits(63)
    value = to_expr(seed) if isinstance(seed, Column) else seed
    if isinstance(value, exp.Literal) and not value.is_string:
        return int(value.this)
    if isinstance(value, exp.Neg) and isinstance(value.this, exp.Literal):
        return -int(value.this.this)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise PySparkTypeError(
        f"[NOT_INT] Argument `seed` should be an int, got {type(seed).__name__}.", "NOT_INT"
    )


def _value(value: Column | int | float) -> exp.Expr:
    return to_expr(value) if isinstance(value, Column) else literal(value)


def seeded_rand(seed: int) -> exp.Expr:
    return calls.seeded("rand", seed)


def seeded_randn(seed: int) -> exp.Expr:
    return calls.seeded("randn", seed)


def randstr(length: Column | int, seed: Column | int | None = None) -> Column:
    """``length`` characters drawn from 0-9, a-z and A-Z."""
    n, s = _value(length), seed_value(seed)
    value = calls.seeded("randstr", s, exp.cast(n.copy(), "INT"))
    return node(value, f"randstr({names(n, literal(s))})")


def uniform(
    min: Column | int | float, max: Column | int | float, seed: Column | int | None = None
) -> Column:
    """``min + (max - min) * rand(seed)``: an integer (truncated) when both bounds are
    integers, as Spark's ``uniform``."""
    lo, hi, s = _value(min), _value(max), seed_value(seed)
    span = exp.Sub(
        this=exp.cast(parenthesized(hi), "DOUBLE"), expression=exp.cast(parenthesized(lo), "DOUBLE")
    )
    value: exp.Expr = exp.Add(
        this=exp.cast(parenthesized(lo), "DOUBLE"),
        expression=exp.Mul(this=exp.paren(span), expression=seeded_rand(s)),
    )
    if isinstance(min, int) and isinstance(max, int):
        value = exp.cast(exp.Anonymous(this="trunc", expressions=[value]), "INT")
    return node(value, f"uniform({names(lo, hi, literal(s))})")


def uuid(seed: Column | int | None = None) -> Column:
    """A version 4 UUID as text; with a seed, Spark's (a MersenneTwister per partition)."""
    if seed is None:
        value: exp.Expr = exp.cast(exp.Anonymous(this="uuid", expressions=[]), "VARCHAR")
    else:
        value = calls.seeded("uuid", seed_value(seed))
    return node(value, "uuid()")


__all__ = ["randstr", "uniform", "uuid"]
