"""``skewness`` and ``kurtosis`` with Spark's population formulas (``CentralMomentAgg``).

Spark: ``skewness = m3 / m2^1.5`` and ``kurtosis = m4 / m2^2 - 3`` over the central moments
``mk = avg((x - mean)^k)``; NULL without rows or when every value is the same. DuckDB's
``skewness``/``kurtosis`` are the sample-adjusted statistics (NULL below 3 or 4 rows). The
moments come from the raw ones (``avg(x^k)``) in one pass.
"""

from __future__ import annotations

from sqlglot import exp

from kaspar.sql.column import Column, to_expr
from kaspar.sql.functions._invoke import ColumnOrName, names, node


def _raw(x: exp.Expr, k: int) -> exp.Expr:
    power = x.copy() if k == 1 else exp.Pow(this=x.copy(), expression=exp.Literal.number(k))
    return exp.Anonymous(this="avg", expressions=[power])


def _poly(terms: list[tuple[float, exp.Expr]]) -> exp.Expr:
    total: exp.Expr = exp.Literal.number(0)
    for coefficient, term in terms:
        product = exp.Mul(this=exp.Literal.number(coefficient), expression=exp.paren(term))
        total = exp.Add(this=total, expression=product)
    return exp.paren(total)


def _moments(x: exp.Expr) -> tuple[exp.Expr, exp.Expr, exp.Expr]:
    """The second, third and fourth central moments from the raw ones."""
    mu, e2, e3, e4 = (_raw(x, k) for k in (1, 2, 3, 4))

    def p(e: exp.Expr, k: int) -> exp.Expr:
        return exp.Pow(this=exp.paren(e.copy()), expression=exp.Literal.number(k))

    def times(*factors: exp.Expr) -> exp.Expr:
        product = factors[0].copy()
        for f in factors[1:]:
            product = exp.Mul(this=exp.paren(product), expression=exp.paren(f.copy()))
        return product

    m2 = _poly([(1, e2), (-1, p(mu, 2))])
    m3 = _poly([(1, e3), (-3, times(mu, e2)), (2, p(mu, 3))])
    m4 = _poly([(1, e4), (-4, times(mu, e3)), (6, times(p(mu, 2), e2)), (-3, p(mu, 4))])
    return m2, m3, m4


def _statistic(fn: str, col: ColumnOrName) -> Column:
    e = to_expr(col)
    x = exp.cast(e, "DOUBLE")
    m2, m3, m4 = _moments(x)
    if fn == "skewness":
        value: exp.Expr = exp.Div(
            this=m3, expression=exp.Pow(this=m2.copy(), expression=exp.Literal.number(1.5))
        )
    else:
        ratio = exp.Div(
            this=m4, expression=exp.Pow(this=m2.copy(), expression=exp.Literal.number(2))
        )
        value = exp.Sub(this=ratio, expression=exp.Literal.number(3))
    count = exp.Count(this=x.copy())
    constant = exp.LTE(
        this=exp.Anonymous(this="abs", expressions=[m2.copy()]), expression=exp.Literal.number(0)
    )
    ifs = [
        exp.If(this=exp.EQ(this=count, expression=exp.Literal.number(0)), true=exp.Null()),
        exp.If(this=constant, true=exp.Null()),
    ]
    return node(exp.Case(ifs=ifs, default=value), f"{fn}({names(e)})")


def skewness(col: ColumnOrName) -> Column:
    return _statistic("skewness", col)


def kurtosis(col: ColumnOrName) -> Column:
    return _statistic("kurtosis", col)
