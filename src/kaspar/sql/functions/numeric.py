"""More numeric functions: hyperbolic and reciprocal trigonometry, ``try_*`` arithmetic, bits."""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from kaspar.engine.compile.ansi_interval_arithmetic import try_arithmetic
from kaspar.sql.column import Column, literal, parenthesized, to_expr
from kaspar.sql.functions._invoke import ColumnOrName, call, names, node


def acosh(col: ColumnOrName) -> Column:
    return call("acosh", col, name=f"ACOSH({names(to_expr(col))})")


def asinh(col: ColumnOrName) -> Column:
    return call("asinh", col, name=f"ASINH({names(to_expr(col))})")


def atanh(col: ColumnOrName) -> Column:
    return call("atanh", col, name=f"ATANH({names(to_expr(col))})")


def cosh(col: ColumnOrName) -> Column:
    return call("cosh", col, name=f"COSH({names(to_expr(col))})")


def sinh(col: ColumnOrName) -> Column:
    return call("sinh", col, name=f"SINH({names(to_expr(col))})")


def tanh(col: ColumnOrName) -> Column:
    return call("tanh", col, name=f"TANH({names(to_expr(col))})")


def _reciprocal(fn: str, inner: str, col: ColumnOrName) -> Column:
    """``1 / inner(x)`` in double arithmetic (``pow(.., -1)``: infinite at a zero, as in Spark)."""
    e = to_expr(col)
    value = exp.Pow(
        this=exp.Anonymous(this=inner, expressions=[e]), expression=exp.Literal.number(-1)
    )
    return node(value, f"{fn.upper()}({names(e)})")


def cot(col: ColumnOrName) -> Column:
    return _reciprocal("cot", "tan", col)


def csc(col: ColumnOrName) -> Column:
    return _reciprocal("csc", "sin", col)


def sec(col: ColumnOrName) -> Column:
    return _reciprocal("sec", "cos", col)


def expm1(col: ColumnOrName) -> Column:
    e = to_expr(col)
    value = exp.Sub(this=exp.Exp(this=e), expression=exp.Literal.number(1))
    return node(value, f"EXPM1({names(e)})")


def hypot(col1: ColumnOrName, col2: ColumnOrName) -> Column:
    a, b = parenthesized(to_expr(col1)), parenthesized(to_expr(col2))
    squares = exp.Add(
        this=exp.Mul(this=a, expression=a.copy()), expression=exp.Mul(this=b, expression=b.copy())
    )
    return node(exp.Sqrt(this=exp.cast(squares, "DOUBLE")), f"HYPOT({names(a, b)})")


def rint(col: ColumnOrName) -> Column:
    e = to_expr(col)
    value = exp.Anonymous(
        this="round_even", expressions=[exp.cast(e, "DOUBLE"), exp.Literal.number(0)]
    )
    return node(exp.cast(value, "DOUBLE"), f"rint({names(e)})")


def positive(col: ColumnOrName) -> Column:
    e = to_expr(col)
    # a node of its own: a bare column reference would keep the column's name
    return node(exp.Paren(this=e.copy()), f"(+ {names(e)})")


def negate(col: ColumnOrName) -> Column:
    e = to_expr(col)
    return node(exp.Neg(this=parenthesized(e)), f"negative({names(e)})")


def bitwise_not(col: ColumnOrName) -> Column:
    e = to_expr(col)
    return node(exp.BitwiseNot(this=parenthesized(e)), f"~{names(e)}")


def bit_count(col: ColumnOrName) -> Column:
    e = to_expr(col)
    count = exp.Anonymous(this="bit_count", expressions=[exp.cast(e, "BIGINT")])
    return node(exp.cast(count, "INT"), f"bit_count({names(e)})")  # of the 64-bit value, as Java


def bin(col: ColumnOrName) -> Column:
    e = to_expr(col)
    value = exp.Anonymous(this="bin", expressions=[exp.cast(e, "BIGINT")])
    return node(value, f"bin({names(e)})")


def _try(fn: str, op: type[exp.Binary], left: ColumnOrName, right: ColumnOrName) -> Column:
    a, b = to_expr(left), to_expr(right)
    return node(try_arithmetic(op, a, b), f"{fn}({names(a, b)})")


def try_add(left: ColumnOrName, right: ColumnOrName) -> Column:
    return _try("try_add", exp.Add, left, right)


def try_subtract(left: ColumnOrName, right: ColumnOrName) -> Column:
    return _try("try_subtract", exp.Sub, left, right)


def try_multiply(left: ColumnOrName, right: ColumnOrName) -> Column:
    return _try("try_multiply", exp.Mul, left, right)


def try_divide(left: ColumnOrName, right: ColumnOrName) -> Column:
    """``a / NULLIF(b, 0)``: a double for numbers (DuckDB's ``/``), an interval for one."""
    return _try("try_divide", exp.Div, left, right)


def try_mod(left: ColumnOrName, right: ColumnOrName) -> Column:
    a, b = to_expr(left), to_expr(right)
    divisor = exp.Nullif(this=b, expression=exp.Literal.number(0))
    value = exp.Mod(this=parenthesized(a), expression=divisor)
    return node(value, f"try_mod({names(a, b)})")


def width_bucket(
    v: ColumnOrName, min: ColumnOrName, max: ColumnOrName, numBucket: ColumnOrName | int
) -> Column:
    n = literal(numBucket) if isinstance(numBucket, int) else to_expr(numBucket)
    e, lo, hi = to_expr(v), to_expr(min), to_expr(max)
    scaled = exp.Floor(
        this=exp.Div(
            this=exp.Mul(this=exp.Paren(this=exp.Sub(this=e, expression=lo)), expression=n),
            expression=exp.Paren(this=exp.Sub(this=hi.copy(), expression=lo.copy())),
            typed=False,
            safe=True,
        )
    )
    bucket = exp.Add(this=exp.cast(scaled, "BIGINT"), expression=exp.Literal.number(1))
    ascending = lo.copy() < hi.copy()
    invalid = exp.or_(
        exp.EQ(this=lo.copy(), expression=hi.copy()),
        exp.LTE(this=n.copy(), expression=exp.Literal.number(0)),
    )
    value = exp.Case(
        ifs=[
            exp.If(this=invalid, true=exp.Null()),  # Spark: NULL for an empty range
            # a descending range (min > max) counts its buckets from min down
            exp.If(
                this=exp.If(this=ascending, true=e.copy() < lo.copy(), false=e.copy() > lo.copy()),
                true=exp.Literal.number(0),
            ),
            exp.If(
                this=exp.If(
                    this=ascending.copy(), true=e.copy() >= hi.copy(), false=e.copy() <= hi.copy()
                ),
                true=exp.Add(this=n.copy(), expression=exp.Literal.number(1)),
            ),
        ],
        default=bucket,
    )
    return node(exp.cast(value, "BIGINT"), f"width_bucket({names(e, lo, hi, n)})")


def randn(seed: Any = None) -> Column:
    if seed is not None:
        from kaspar.sql.functions.random_values import seed_value, seeded_randn

        constant = seed_value(seed)
        return node(seeded_randn(constant), f"randn({constant})")
    u1 = exp.Anonymous(this="random")
    u2 = exp.Anonymous(this="random")
    value = exp.Mul(
        this=exp.Sqrt(
            this=exp.Mul(
                this=exp.Literal.number(-2),
                expression=exp.Ln(this=exp.Sub(this=exp.Literal.number(1), expression=u1)),
            )
        ),
        expression=exp.Cos(
            this=exp.Mul(
                this=exp.Mul(this=exp.Literal.number(2), expression=exp.Anonymous(this="pi")),
                expression=u2,
            )
        ),
    )
    return node(value, "randn(0)")


__all__ = [
    "acosh",
    "asinh",
    "atanh",
    "bin",
    "bit_count",
    "bitwise_not",
    "cosh",
    "cot",
    "csc",
    "expm1",
    "hypot",
    "negate",
    "positive",
    "randn",
    "rint",
    "sec",
    "sinh",
    "tanh",
    "try_add",
    "try_divide",
    "try_mod",
    "try_multiply",
    "try_subtract",
    "width_bucket",
]
