"""Math functions."""

from __future__ import annotations

from sqlglot import exp as sx

from kaspar.sql.column import Column, literal, parenthesized, to_expr
from kaspar.sql.functions._invoke import ColumnOrName, as_text, call, names, node, renamed


def abs(col: ColumnOrName) -> Column:
    return call("abs", col)


def sqrt(col: ColumnOrName) -> Column:
    return call("sqrt", col, name=f"SQRT({names(to_expr(col))})")


def cbrt(col: ColumnOrName) -> Column:
    return call("cbrt", col, name=f"CBRT({names(to_expr(col))})")


def exp(col: ColumnOrName) -> Column:
    return call("exp", col, name=f"EXP({names(to_expr(col))})")


def log(arg1: ColumnOrName | float, arg2: ColumnOrName | None = None) -> Column:
    if arg2 is None:
        e = to_expr(arg1)
        return node(sx.Ln(this=e), f"ln({names(e)})")
    base, x = literal(arg1), to_expr(arg2)
    return node(sx.Log(this=base, expression=x), f"LOG({names(base, x)})")


def ln(col: ColumnOrName) -> Column:
    return call("ln", col)


def log10(col: ColumnOrName) -> Column:
    return call("log10", col, name=f"LOG10({names(to_expr(col))})")


def log2(col: ColumnOrName) -> Column:
    return call("log2", col, name=f"LOG2({names(to_expr(col))})")


def log1p(col: ColumnOrName) -> Column:
    e = to_expr(col)
    return node(
        sx.Ln(this=sx.Add(this=literal(1), expression=parenthesized(e))), f"LOG1P({names(e)})"
    )


def pow(col1: ColumnOrName | float, col2: ColumnOrName | float) -> Column:
    a = to_expr(col1) if not isinstance(col1, int | float) else literal(col1)
    b = to_expr(col2) if not isinstance(col2, int | float) else literal(col2)
    return node(sx.Pow(this=parenthesized(a), expression=parenthesized(b)), f"POWER({names(a, b)})")


power = pow


def round(col: ColumnOrName, scale: int = 0) -> Column:
    return call("round", col, args=(scale,))


def bround(col: ColumnOrName, scale: Column | int = 0) -> Column:
    e = to_expr(col)
    digits = to_expr(scale) if isinstance(scale, Column) else literal(scale)
    return node(
        sx.Anonymous(this="round_even", expressions=[e, digits]),
        f"bround({names(e, digits)})",
    )


def floor(col: ColumnOrName, scale: Column | int | None = None) -> Column:
    if scale is not None:
        return _rounded_to_scale("floor", col, scale)
    return call("floor", col, name=f"FLOOR({names(to_expr(col))})")


def ceil(col: ColumnOrName, scale: Column | int | None = None) -> Column:
    if scale is not None:
        return _rounded_to_scale("ceil", col, scale)
    return call("ceil", col, name=f"CEIL({names(to_expr(col))})")


def _rounded_to_scale(fn: str, col: ColumnOrName, scale: Column | int) -> Column:
    """``ceil``/``floor`` to ``scale`` decimals (negative: tens, hundreds...), as the decimal
    Spark gives for a double: ``decimal(16 + s, s)`` with ``s = max(scale, 0)``."""
    e = to_expr(col)
    s = to_expr(scale) if isinstance(scale, Column) else literal(scale)
    try:
        digits = scale if isinstance(scale, int) else int(s.sql())
    except ValueError:
        raise ValueError(f"{fn}: the scale must be a constant integer") from None
    factor = sx.Anonymous(this="power", expressions=[literal(10.0), literal(digits)])
    shifted = sx.Mul(this=sx.cast(parenthesized(e), "DOUBLE"), expression=factor)
    rounded = sx.Div(
        this=sx.Anonymous(this=fn, expressions=[shifted]), expression=factor.copy(), typed=False
    )
    kept = max(digits, 0)
    value = sx.cast(rounded, f"DECIMAL({16 + kept}, {kept})")
    return node(value, f"{fn}({names(e, s)})")


def ceiling(col: ColumnOrName, scale: Column | int | None = None) -> Column:
    if scale is None:
        return renamed(ceil(col), "ceiling", to_expr(col))
    s = to_expr(scale) if isinstance(scale, Column) else literal(scale)
    return renamed(ceil(col, scale), "ceiling", to_expr(col), s)


def signum(col: ColumnOrName) -> Column:
    e = to_expr(col)
    return node(_signum(e), f"SIGNUM({names(e)})")


def sign(col: ColumnOrName) -> Column:
    e = to_expr(col)
    return node(_signum(e), f"sign({names(e)})")


def _signum(e: sx.Expr) -> sx.Expr:
    """Java's ``Math.signum``: NaN for NaN (DuckDB's ``sign`` gives 0)."""
    value = sx.cast(e, "DOUBLE")
    nan = sx.Anonymous(this="isnan", expressions=[value.copy()])
    return sx.If(this=nan, true=value.copy(), false=sx.cast(sx.Sign(this=value), "DOUBLE"))


def _trig(fn: str, col: ColumnOrName) -> Column:
    e = to_expr(col)
    return node(sx.Anonymous(this=fn, expressions=[e]), f"{fn.upper()}({names(e)})")


def sin(col: ColumnOrName) -> Column:
    return _trig("sin", col)


def cos(col: ColumnOrName) -> Column:
    return _trig("cos", col)


def tan(col: ColumnOrName) -> Column:
    return _trig("tan", col)


def asin(col: ColumnOrName) -> Column:
    return _trig("asin", col)


def acos(col: ColumnOrName) -> Column:
    return _trig("acos", col)


def atan(col: ColumnOrName) -> Column:
    return _trig("atan", col)


def degrees(col: ColumnOrName) -> Column:
    return _trig("degrees", col)


def radians(col: ColumnOrName) -> Column:
    return _trig("radians", col)


def atan2(col1: ColumnOrName, col2: ColumnOrName) -> Column:
    a, b = to_expr(col1), to_expr(col2)
    return node(sx.Anonymous(this="atan2", expressions=[a, b]), f"ATAN2({names(a, b)})")


def pmod(dividend: ColumnOrName | float, divisor: ColumnOrName | float) -> Column:
    a = literal(dividend) if isinstance(dividend, int | float) else to_expr(dividend)
    b = literal(divisor) if isinstance(divisor, int | float) else to_expr(divisor)
    a, b = parenthesized(a), parenthesized(b)
    remainder = sx.Paren(this=sx.Mod(this=a, expression=b))
    wrapped = sx.Mod(this=sx.Paren(this=sx.Add(this=remainder, expression=b)), expression=b.copy())
    # Spark: a negative remainder plus the divisor, modulo the divisor; else the remainder
    value = sx.If(this=remainder.copy() < 0, true=wrapped, false=remainder.copy())
    return node(value, f"pmod({names(a, b)})")


def negative(col: ColumnOrName) -> Column:
    e = to_expr(col)
    return node(sx.Neg(this=parenthesized(e)), f"negative({names(e)})")


def factorial(col: ColumnOrName) -> Column:
    """NULL outside 0..20 (Spark's ``Factorial``)."""
    e = to_expr(col)
    within = sx.Between(this=e.copy(), low=literal(0), high=literal(20))
    value = sx.If(
        this=within,
        true=sx.Anonymous(this="factorial", expressions=[sx.cast(e, "INT")]),
        false=sx.Null(),
    )
    return node(value, f"factorial({names(e)})")


def hex(col: ColumnOrName) -> Column:
    return call("hex", col)


def unhex(col: ColumnOrName) -> Column:
    """Hex digits as bytes (an odd count gets a leading 0); NULL when not hex."""
    from kaspar.sql.functions.text import try_to_binary

    return renamed(try_to_binary(as_text(col)), "unhex", to_expr(col))


def rand(seed: int | None = None) -> Column:
    if seed is None:
        return node(sx.Rand(), "rand(0)")
    from kaspar.sql.functions.random_values import seed_value, seeded_rand

    value = seed_value(seed)
    return node(seeded_rand(value), f"rand({value})")


def pi() -> Column:
    return node(sx.Anonymous(this="pi", expressions=[]), "PI()")


def e() -> Column:
    return node(sx.Anonymous(this="exp", expressions=[literal(1)]), "E()")


def shiftleft(col: ColumnOrName, numBits: int) -> Column:
    a = to_expr(col)
    return node(
        sx.BitwiseLeftShift(this=a, expression=literal(numBits)),
        f"shiftleft({names(a)}, {numBits})",
    )


def shiftright(col: ColumnOrName, numBits: int) -> Column:
    a = to_expr(col)
    return node(
        sx.BitwiseRightShift(this=a, expression=literal(numBits)),
        f"shiftright({names(a)}, {numBits})",
    )


def shiftrightunsigned(col: ColumnOrName, numBits: int) -> Column:
    """Java's ``>>>`` on an int or bigint (smaller types widen to int), with the shift taken
    modulo the width: ``(x >> s) & (MAX >> (s - 1))``, all in the operand's own type."""
    a = to_expr(col)
    x = sx.paren(sx.Add(this=a.copy(), expression=sx.cast(literal(0), "INT")))  # small -> int
    zero = sx.Mul(this=x.copy(), expression=literal(0))
    width = sx.Anonymous(this="bit_count", expressions=[sx.Sub(this=zero, expression=literal(1))])
    shift = sx.paren(
        sx.BitwiseAnd(
            this=literal(numBits), expression=sx.Sub(this=width.copy(), expression=literal(1))
        )
    )
    one = sx.paren(sx.Add(this=zero.copy(), expression=literal(1)))
    half = sx.paren(
        sx.BitwiseLeftShift(this=one, expression=sx.Sub(this=width, expression=literal(2)))
    )
    top = sx.paren(
        sx.Add(this=sx.paren(sx.Sub(this=half, expression=literal(1))), expression=half.copy())
    )
    mask = sx.paren(
        sx.BitwiseRightShift(this=top, expression=sx.Sub(this=shift.copy(), expression=literal(1)))
    )
    shifted = sx.paren(sx.BitwiseRightShift(this=sx.paren(x.copy()), expression=shift.copy()))
    value = sx.Case(
        ifs=[sx.If(this=sx.EQ(this=shift.copy(), expression=literal(0)), true=x)],
        default=sx.BitwiseAnd(this=shifted, expression=mask),
    )
    return node(value, f"shiftrightunsigned({names(a)}, {numBits})")


__all__ = [
    "abs",
    "acos",
    "asin",
    "atan",
    "atan2",
    "bround",
    "cbrt",
    "ceil",
    "ceiling",
    "cos",
    "degrees",
    "e",
    "exp",
    "factorial",
    "floor",
    "hex",
    "ln",
    "log",
    "log1p",
    "log2",
    "log10",
    "negative",
    "pi",
    "pmod",
    "pow",
    "power",
    "radians",
    "rand",
    "round",
    "shiftleft",
    "shiftright",
    "shiftrightunsigned",
    "sign",
    "signum",
    "sin",
    "sqrt",
    "tan",
    "unhex",
]
