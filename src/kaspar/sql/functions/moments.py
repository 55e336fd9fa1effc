"""``skewness``, ``kurtosis``, ``corr`` and ``regr_r2`` with Spark's population formulas
(``CentralMomentAgg``, ``Corr``, ``RegrR2``).

Spark: ``skewness = m3 / m2^1.5`` and ``kurtosis = m4 / m2^2 - 3`` over the central moments
``mk = avg((x - mean)^k)``; NULL without rows or when every value is the same. DuckDB's
``skewness``/``kurtosis`` are the sample-adjusted statistics (NULL below 3 or 4 rows). The
moments come from the raw ones (``avg(x^k)``) in one pass; ``kurtosis`` is DuckDB's
``kurtosis_pop`` (the same statistic, rounded less: ``-1.5`` for 1, 1, 2 where the raw moments
give ``-1.4999999999999947``).

``corr`` is Spark's ``ck / sqrt(xMk * yMk)`` and ``regr_r2`` its ``ck^2 / (xMk * yMk)`` (1 when
``y`` is constant, NULL when ``x`` is): DuckDB's ``covar_pop`` over its ``var_pop`` of the pairs
where both values are set (DuckDB's own ``corr``/``regr_r2`` round differently: 0.9999999999999998
for a perfect line, where Spark shows 1.0). Spark's last bits depend on how its partial
aggregates merge, so they are not matched in general.
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
    m2, m3, _ = _moments(x)
    value = exp.Div(this=m3, expression=exp.Pow(this=m2.copy(), expression=exp.Literal.number(1.5)))
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
    e = to_expr(col)
    value = exp.Anonymous(this="kurtosis_pop", expressions=[exp.cast(e, "DOUBLE")])
    return node(value, f"kurtosis({names(e)})")


def _paired(a: exp.Expr, b: exp.Expr) -> exp.Expr:
    """``a`` where ``b`` is set too (the pairs an aggregate of two columns reads)."""
    return exp.Case(
        ifs=[exp.If(this=exp.Not(this=exp.Is(this=b.copy(), expression=exp.Null())), true=a.copy())]
    )


def _pair_moments(y: exp.Expr, x: exp.Expr) -> tuple[exp.Expr, exp.Expr, exp.Expr]:
    """``covar_pop(y, x)``, ``var_pop`` of ``y`` and of ``x`` over the pairs, as doubles."""
    dy, dx = exp.cast(y, "DOUBLE"), exp.cast(x, "DOUBLE")
    covariance = exp.Anonymous(this="covar_pop", expressions=[dy, dx])
    y_var = exp.Anonymous(this="var_pop", expressions=[_paired(dy, dx)])
    x_var = exp.Anonymous(this="var_pop", expressions=[_paired(dx, dy)])
    return covariance, y_var, x_var


def _zero(e: exp.Expr) -> exp.Expr:
    return exp.EQ(this=e.copy(), expression=exp.Literal.number(0))


def corr(col1: ColumnOrName, col2: ColumnOrName) -> Column:
    """Spark's Pearson correlation over the pairs where both are set. The sample covariance
    over the product of the sample deviations rounds as Spark's streaming (Welford) sums do on
    its examples: 1.0 for 20 collinear pairs, where DuckDB's corr and the population form of
    the same ratio each give an answer one unit off in the last place on one of them."""
    a, b = to_expr(col1), to_expr(col2)
    da, db = exp.cast(a, "DOUBLE"), exp.cast(b, "DOUBLE")
    covariance = exp.Anonymous(this="covar_samp", expressions=[da, db])
    a_dev = exp.Anonymous(this="stddev_samp", expressions=[_paired(da, db)])
    b_dev = exp.Anonymous(this="stddev_samp", expressions=[_paired(db, da)])
    product = exp.Mul(this=a_dev, expression=b_dev)
    value = exp.Div(
        this=covariance, expression=exp.Nullif(this=product, expression=exp.Literal.number(0))
    )
    return node(value, f"corr({names(a, b)})")


def regr_r2(y: ColumnOrName, x: ColumnOrName) -> Column:
    a, b = to_expr(y), to_expr(x)
    covariance, y_var, x_var = _pair_moments(a, b)
    square = exp.Mul(this=covariance, expression=covariance.copy())
    ratio = exp.Div(
        this=square,
        expression=exp.paren(exp.Mul(this=x_var.copy(), expression=y_var.copy())),
    )
    value = exp.Case(
        ifs=[
            exp.If(this=_zero(x_var), true=exp.Null()),
            exp.If(this=_zero(y_var), true=exp.Literal.number(1.0)),
        ],
        default=ratio,
    )
    return node(exp.cast(value, "DOUBLE"), f"regr_r2({names(a, b)})")
