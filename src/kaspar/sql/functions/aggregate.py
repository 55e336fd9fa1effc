"""Aggregate functions."""

from __future__ import annotations

from sqlglot import exp

from kaspar.sql.column import Column, literal, to_columns, to_expr
from kaspar.sql.functions._invoke import ColumnOrName, call, names, node


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
    e = to_expr(col)
    return node(exp.ApproxDistinct(this=e), f"approx_count_distinct({names(e)})")


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
    return node(exp.Anonymous(this="last", expressions=[e]), f"last({names(e)})")


def any_value(col: ColumnOrName, ignoreNulls: bool = False) -> Column:
    return call("any_value", col)


def collect_list(col: ColumnOrName) -> Column:
    return call("collect_list", col)


def collect_set(col: ColumnOrName) -> Column:
    return call("collect_set", col)


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


def corr(col1: ColumnOrName, col2: ColumnOrName) -> Column:
    return call("corr", col1, col2)


def covar_pop(col1: ColumnOrName, col2: ColumnOrName) -> Column:
    return call("covar_pop", col1, col2)


def covar_samp(col1: ColumnOrName, col2: ColumnOrName) -> Column:
    return call("covar_samp", col1, col2)


def skewness(col: ColumnOrName) -> Column:
    return call("skewness", col)


def kurtosis(col: ColumnOrName) -> Column:
    return call("kurtosis", col)


def median(col: ColumnOrName) -> Column:
    return call("median", col)


def mode(col: ColumnOrName) -> Column:
    return call("mode", col)


def percentile_approx(col: ColumnOrName, percentage: float, accuracy: int = 10000) -> Column:
    e = to_expr(col)
    inner = exp.Anonymous(this="approx_quantile", expressions=[e, literal(percentage)])
    return node(inner, f"percentile_approx({names(e)}, {percentage}, {accuracy})")


def bool_and(col: ColumnOrName) -> Column:
    return call("bool_and", col)


every = bool_and


def bool_or(col: ColumnOrName) -> Column:
    return call("bool_or", col)


some = bool_or


def count_if(col: ColumnOrName) -> Column:
    return call("count_if", col)


def max_by(col: ColumnOrName, ord: ColumnOrName) -> Column:
    return call("max_by", col, ord)


def min_by(col: ColumnOrName, ord: ColumnOrName) -> Column:
    return call("min_by", col, ord)


def product(col: ColumnOrName) -> Column:
    return call("product", col)


__all__ = [
    "any_value",
    "approxCountDistinct",
    "approx_count_distinct",
    "avg",
    "bool_and",
    "bool_or",
    "collect_list",
    "collect_set",
    "corr",
    "count",
    "countDistinct",
    "count_distinct",
    "count_if",
    "covar_pop",
    "covar_samp",
    "every",
    "first",
    "kurtosis",
    "last",
    "max",
    "max_by",
    "mean",
    "median",
    "min",
    "min_by",
    "mode",
    "percentile_approx",
    "product",
    "skewness",
    "some",
    "stddev",
    "stddev_pop",
    "stddev_samp",
    "sum",
    "sumDistinct",
    "sum_distinct",
    "var_pop",
    "var_samp",
    "variance",
]
