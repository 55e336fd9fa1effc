"""Aggregate functions."""

from __future__ import annotations

from sqlglot import exp

from kaspar.engine.plan.naming import SPARK_NAME
from kaspar.engine.sketches.hllpp_calls import approx_count_distinct as hllpp_call
from kaspar.sql.column import Column, literal, named, to_columns, to_expr
from kaspar.sql.functions._invoke import ColumnOrName, call, names, node, renamed
from kaspar.sql.functions.moments import corr, kurtosis, regr_r2, skewness
from kaspar.sql.functions.try_aggregate import try_avg, try_sum


def count(col: ColumnOrName) -> Column:
    e = to_expr(col)
    if isinstance(e, exp.Star):
        return node(exp.Count(this=exp.Star()), "count(1)")
    return node(exp.Count(this=e), f"count({names(e)})")


def count_distinct(col: ColumnOrName, *cols: ColumnOrName) -> Column:
    exprs = [c.expr for c in to_columns([col, *cols])]
    return node(exp.Count(this=exp.Distinct(expressions=exprs)), f"count(DISTINCT {names(*exprs)})")


countDistinct = count_distinct


def approx_count_distinct(col: ColumnOrName, rsd: float | None = None) -> Column:
    """Spark's HyperLogLog++ estimate (``engine/sketches/hllpp.py``), ``rsd`` 0.05 unless
    given; Spark's error for an ``rsd`` above 39%."""
    e = to_expr(col)
    call = hllpp_call(e, None if rsd is None else float(rsd))
    return node(call, f"approx_count_distinct({names(e)})")


approxCountDistinct = approx_count_distinct


def sum(col: ColumnOrName) -> Column:
    return call("sum", col)


def sum_distinct(col: ColumnOrName) -> Column:
    e = to_expr(col)
    return node(exp.Sum(this=exp.Distinct(expressions=[e])), f"sum(DISTINCT {names(e)})")


sumDistinct = sum_distinct


def avg(col: ColumnOrName) -> Column:
    return call("avg", col)


def mean(col: ColumnOrName) -> Column:
    return call("avg", col)


def min(col: ColumnOrName) -> Column:
    return call("min", col)


def max(col: ColumnOrName) -> Column:
    return call("max", col)


def first(col: ColumnOrName, ignorenulls: bool = False) -> Column:
    e = to_expr(col)
    fn = "any_value" if ignorenulls else "first"
    return node(exp.Anonymous(this=fn, expressions=[e]), f"first({names(e)})")


def last(col: ColumnOrName, ignorenulls: bool = False) -> Column:
    e = to_expr(col)
    agg: exp.Expr = exp.Anonymous(this="last", expressions=[e])
    if ignorenulls:
        not_null = exp.Not(this=exp.Is(this=e.copy(), expression=exp.Null()))
        agg = exp.Filter(this=agg, expression=exp.Where(this=not_null))
    return node(agg, f"last({names(e)})")


def any_value(col: ColumnOrName, ignoreNulls: bool | Column = False) -> Column:
    """Some value of the group: the first, NULL or not, unless ``ignoreNulls`` (DuckDB's
    ``any_value`` skips NULLs, its ``first`` does not)."""
    e = to_expr(col)
    skip = ignoreNulls if isinstance(ignoreNulls, bool) else _true_literal(ignoreNulls)
    fn = "any_value" if skip else "first"
    return node(exp.Anonymous(this=fn, expressions=[e]), f"any_value({names(e)})")


def _true_literal(flag: Column) -> bool:
    return isinstance(flag.expr, exp.Boolean) and bool(flag.expr.this)


def _empty_when_null(column: Column) -> Column:
    empty = exp.Array(expressions=[])
    return node(
        exp.Coalesce(this=column.expr, expressions=[empty]), str(column.expr.meta[SPARK_NAME])
    )


def collect_list(col: ColumnOrName) -> Column:
    return _empty_when_null(call("collect_list", col))


def collect_set(col: ColumnOrName) -> Column:
    return _empty_when_null(call("collect_set", col))


def collect_union(col: ColumnOrName) -> Column:
    """The distinct elements of the arrays across rows, NULL elements dropped."""
    e = to_expr(col)
    union = exp.Anonymous(
        this="list_distinct",
        expressions=[
            exp.Anonymous(this="flatten", expressions=[exp.Anonymous(this="list", expressions=[e])])
        ],
    )
    return _empty_when_null(node(union, f"collect_union({names(e)})"))


def stddev(col: ColumnOrName) -> Column:
    return call("stddev", col, sql_fn="stddev_samp")


def stddev_samp(col: ColumnOrName) -> Column:
    return call("stddev_samp", col)


def stddev_pop(col: ColumnOrName) -> Column:
    return call("stddev_pop", col)


def variance(col: ColumnOrName) -> Column:
    return call("variance", col, sql_fn="var_samp")


def var_samp(col: ColumnOrName) -> Column:
    return call("var_samp", col)


def var_pop(col: ColumnOrName) -> Column:
    return call("var_pop", col)


def covar_pop(col1: ColumnOrName, col2: ColumnOrName) -> Column:
    return call("covar_pop", col1, col2)


def covar_samp(col1: ColumnOrName, col2: ColumnOrName) -> Column:
    return call("covar_samp", col1, col2)


def median(col: ColumnOrName) -> Column:
    return call("median", col)


def mode(col: ColumnOrName, deterministic: bool = False) -> Column:
    """The most frequent value; ``deterministic``: the smallest of those tied."""
    if not deterministic:
        return call("mode", col)
    e = to_expr(col)
    ordered = exp.Order(this=e, expressions=[exp.Ordered(this=e.copy(), nulls_first=False)])
    value = exp.Anonymous(this="mode", expressions=[ordered])
    return node(value, f"mode() WITHIN GROUP (ORDER BY {names(e)} DESC)")


def percentile_approx(
    col: ColumnOrName,
    percentage: Column | float | list[float] | tuple[float, ...],
    accuracy: Column | int = 10000,
) -> Column:
    e = to_expr(col)
    q = _fractions(percentage)
    inner = exp.Anonymous(this="quantile_disc", expressions=[e, q])
    return node(inner, f"percentile_approx({names(e, q, _constant(accuracy))})")


def _fractions(percentage: Column | float | list[float] | tuple[float, ...]) -> exp.Expr:
    """A fraction, or an array of them (named ``array(0.25, 0.5)`` as Spark names it)."""
    if isinstance(percentage, Column):
        return to_expr(percentage)
    if isinstance(percentage, list | tuple):
        items = [exp.Literal.number(p) for p in percentage]
        return named(exp.Array(expressions=items), f"array({', '.join(map(str, percentage))})")
    return exp.Literal.number(percentage)


def _constant(value: Column | int) -> exp.Expr:
    return to_expr(value) if isinstance(value, Column) else literal(value)


def bool_and(col: ColumnOrName) -> Column:
    return call("bool_and", col)


def every(col: ColumnOrName) -> Column:
    return renamed(bool_and(col), "every", to_expr(col))


def bool_or(col: ColumnOrName) -> Column:
    return call("bool_or", col)


def some(col: ColumnOrName) -> Column:
    return renamed(bool_or(col), "some", to_expr(col))


def count_if(col: ColumnOrName) -> Column:
    return call("count_if", col)


def max_by(col: ColumnOrName, ord: ColumnOrName, k: int | None = None) -> Column:
    """The ``col`` of the largest ``ord``; with ``k``, an array of the ``col`` of the ``k``
    largest, largest first (DuckDB's ``max_by(arg, val, n)`` returns that list)."""
    return call("max_by", col, ord) if k is None else _top_by("max_by", col, ord, k)


def min_by(col: ColumnOrName, ord: ColumnOrName, k: int | None = None) -> Column:
    return call("min_by", col, ord) if k is None else _top_by("min_by", col, ord, k)


def _top_by(fn: str, col: ColumnOrName, ord: ColumnOrName, k: int) -> Column:
    exprs = [to_expr(col), to_expr(ord), literal(k)]
    return node(exp.Anonymous(this=fn, expressions=exprs), f"{fn}({names(*exprs)})")


def product(col: ColumnOrName) -> Column:
    return call("product", col)


def _agg(fn: str, sql_fn: str, *cols: ColumnOrName, args: tuple[object, ...] = ()) -> Column:
    exprs = [to_expr(c) for c in cols] + [literal(a) for a in args]
    return node(exp.Anonymous(this=sql_fn, expressions=exprs), f"{fn}({names(*exprs)})")


def array_agg(col: ColumnOrName) -> Column:
    """Spark names it ``collect_list(col)`` (the function it rewrites to)."""
    return collect_list(col)


def std(col: ColumnOrName) -> Column:
    return _agg("std", "stddev_samp", col)


def first_value(col: ColumnOrName, ignoreNulls: bool = False) -> Column:
    column = first(col, ignoreNulls)
    column.expr.meta["spark_name"] = f"first_value({names(to_expr(col))})"
    return column


def last_value(col: ColumnOrName, ignoreNulls: bool = False) -> Column:
    column = last(col, ignoreNulls)
    column.expr.meta["spark_name"] = f"last_value({names(to_expr(col))})"
    return column


def percentile(
    col: ColumnOrName,
    percentage: Column | float | list[float] | tuple[float, ...],
    frequency: Column | int = 1,
) -> Column:
    """Exact percentile(s): a double, or an array of them for a list or array of fractions."""
    e = to_expr(col)
    fractions = _fractions(percentage)
    value = exp.Anonymous(this="quantile_cont", expressions=[exp.cast(e, "DOUBLE"), fractions])
    return node(value, f"percentile({names(e, fractions, _constant(frequency))})")


def approx_percentile(
    col: ColumnOrName,
    percentage: Column | float | list[float] | tuple[float, ...],
    accuracy: Column | int = 10000,
) -> Column:
    column = percentile_approx(col, percentage, accuracy)
    column.expr.meta["spark_name"] = column.expr.meta["spark_name"].replace(
        "percentile_approx", "approx_percentile", 1
    )
    return column


def bit_and(col: ColumnOrName) -> Column:
    return _agg("bit_and", "bit_and", col)


def bit_or(col: ColumnOrName) -> Column:
    return _agg("bit_or", "bit_or", col)


def bit_xor(col: ColumnOrName) -> Column:
    return _agg("bit_xor", "bit_xor", col)


def string_agg(col: ColumnOrName, delimiter: object = None) -> Column:
    return _string_agg("string_agg", col, delimiter)


def listagg(col: ColumnOrName, delimiter: object = None) -> Column:
    return _string_agg("listagg", col, delimiter)


def _string_agg(fn: str, col: ColumnOrName, delimiter: object) -> Column:
    """Values joined by ``delimiter`` (none: nothing between them; named ``NULL``)."""
    from kaspar.sql.functions._listagg import string_agg_call

    return string_agg_call(fn, col, delimiter)


def _regr(fn: str, y: ColumnOrName, x: ColumnOrName) -> Column:
    a, b = to_expr(y), to_expr(x)
    value = exp.Anonymous(this=fn, expressions=[exp.cast(a, "DOUBLE"), exp.cast(b, "DOUBLE")])
    return node(value, f"{fn}({names(a, b)})")


def regr_avgx(y: ColumnOrName, x: ColumnOrName) -> Column:
    return _regr("regr_avgx", y, x)


def regr_avgy(y: ColumnOrName, x: ColumnOrName) -> Column:
    return _regr("regr_avgy", y, x)


def regr_count(y: ColumnOrName, x: ColumnOrName) -> Column:
    return _regr("regr_count", y, x)


def regr_intercept(y: ColumnOrName, x: ColumnOrName) -> Column:
    return _regr("regr_intercept", y, x)


def regr_slope(y: ColumnOrName, x: ColumnOrName) -> Column:
    return _regr("regr_slope", y, x)


def regr_sxx(y: ColumnOrName, x: ColumnOrName) -> Column:
    return _regr("regr_sxx", y, x)


def regr_sxy(y: ColumnOrName, x: ColumnOrName) -> Column:
    return _regr("regr_sxy", y, x)


def regr_syy(y: ColumnOrName, x: ColumnOrName) -> Column:
    return _regr("regr_syy", y, x)


__all__ = [
    "any_value",
    "approxCountDistinct",
    "approx_count_distinct",
    "approx_percentile",
    "array_agg",
    "avg",
    "bit_and",
    "bit_or",
    "bit_xor",
    "bool_and",
    "bool_or",
    "collect_list",
    "collect_set",
    "collect_union",
    "corr",
    "count",
    "countDistinct",
    "count_distinct",
    "count_if",
    "covar_pop",
    "covar_samp",
    "every",
    "first",
    "first_value",
    "kurtosis",
    "last",
    "last_value",
    "listagg",
    "max",
    "max_by",
    "mean",
    "median",
    "min",
    "min_by",
    "mode",
    "percentile",
    "percentile_approx",
    "product",
    "regr_avgx",
    "regr_avgy",
    "regr_count",
    "regr_intercept",
    "regr_r2",
    "regr_slope",
    "regr_sxx",
    "regr_sxy",
    "regr_syy",
    "skewness",
    "some",
    "std",
    "stddev",
    "stddev_pop",
    "stddev_samp",
    "string_agg",
    "sum",
    "sumDistinct",
    "sum_distinct",
    "try_avg",
    "try_sum",
    "var_pop",
    "var_samp",
    "variance",
]
