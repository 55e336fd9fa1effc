"""``df.describe()``: count, mean, stddev, min and max as strings, one row per statistic."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

from kaspar.engine import types as T
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
        names = [str(c.expr.meta.get("spark_name") or c.expr.name) for c in cols]
    numeric = {f.name for f in fields if isinstance(f.dataType, T.NumericType)}
    result: DataFrame | None = None
    for stat in _STATS:
        row = [F.lit(stat).alias("summary")]
        for name in names:
            row.append(_statistic(stat, name, name in numeric).cast("string").alias(name))
        part = df.agg(*row[1:]).select(F.lit(stat).alias("summary"), *names) if names else None
        if part is None:
            part = df.limit(1).select(F.lit(stat).alias("summary"))
        result = part if result is None else result.union(part)
    assert result is not None
    return result


def _statistic(stat: str, name: str, numeric: bool) -> Column:
    if stat == "count":
        return F.count(name)
    if stat in ("mean", "stddev") and not numeric:
        return Column(exp.Null())
    fn = {"mean": F.avg, "stddev": F.stddev, "min": F.min, "max": F.max}[stat]
    return fn(name)
