"""``df.describe()``: count, mean, stddev, min and max as strings, one row per statistic."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

from kaspar.engine import types as T
from kaspar.engine.plan.nullability import NULLABLE
from kaspar.sql import functions as F
from kaspar.sql.column import Column

if TYPE_CHECKING:
    from kaspar.sql.dataframe import DataFrame

_STATS = ("count", "mean", "stddev", "min", "max")


def describe(df: DataFrame, cols: list[Column] | None) -> DataFrame:
    fields = df.schema.fields
    if cols is None:
        names = [f.name for f in fields if isinstance(f.dataType, T.NumericType | T.StringType)]
    else:
        kinds = {f.name: f.dataType for f in fields}
        names = [str(c.expr.meta.get("spark_name") or c.expr.name) for c in cols]
        # Spark describes numbers and strings only (a named date column is left out)
        names = [n for n in names if not isinstance(kinds.get(n), T.DateType | T.TimestampType)]
    numeric = {f.name for f in fields if isinstance(f.dataType, T.NumericType)}
    result: DataFrame | None = None
    for stat in _STATS:
        row = [F.lit(stat).alias("summary")]
        for name in names:
            row.append(_statistic(stat, name, name in numeric).cast("string").alias(name))
        base = deviations(df, names, numeric) if stat == "stddev" else df
        part = base.agg(*row[1:]).select(F.lit(stat).alias("summary"), *names) if names else None
        if part is None:
            part = df.limit(1).select(F.lit(stat).alias("summary"))
        result = part if result is None else result.union(part)
    assert result is not None
    return nullable_columns(result)


def nullable_columns(df: DataFrame) -> DataFrame:
    """``df`` with every column nullable, as Spark's ``describe``/``summary`` report them."""
    columns = []
    for name in df.columns:
        alias = exp.Alias(this=F.col(name).expr, alias=exp.to_identifier(name, quoted=True))
        alias.meta[NULLABLE] = True
        columns.append(Column(alias))
    return df.select(*columns)


def _statistic(stat: str, name: str, numeric: bool) -> Column:
    if stat == "count":
        return F.count(name)
    if stat in ("mean", "stddev") and not numeric:
        return F.max(F.lit(None).cast("string"))  # an aggregate: one row
    if stat == "stddev":
        return stddev_of_deviations(name)
    fn = {"mean": F.avg, "min": F.min, "max": F.max}[stat]
    return fn(name)


def deviations(df: DataFrame, names: list[str], numeric: set[str]) -> DataFrame:
    """``df`` with each numeric column of ``names`` replaced by its distance from the column's
    mean (as a double), for ``stddev_of_deviations``."""
    from kaspar.sql.window import Window

    whole = Window.partitionBy()
    columns = [
        (F.col(n).cast("double") - F.avg(F.col(n).cast("double")).over(whole)).alias(n)
        if n in numeric
        else F.col(n)
        for n in names
    ]
    return df.select(*columns)


def stddev_of_deviations(name: str) -> Column:
    """The sample standard deviation of a column of ``deviations``: summing the squared
    distances from the mean (two passes) gives Spark's digits for small inputs, where DuckDB's
    one-pass ``stddev_samp`` can differ in the last place; NULL for fewer than two values."""
    deviation = F.col(name)
    count = F.count(name) - 1
    variance = F.sum(deviation * deviation) / F.when(count > 0, count)
    return F.sqrt(variance)
