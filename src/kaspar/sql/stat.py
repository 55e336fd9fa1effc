"""``df.stat`` (PySpark ``DataFrameStatFunctions``), ``df.summary`` and ``df.sample``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlglot import exp

from kaspar.engine import types as T
from kaspar.errors import IllegalArgumentException, PySparkTypeError, PySparkValueError
from kaspar.sql import functions as F
from kaspar.sql._describe import deviations, nullable_columns, stddev_of_deviations
from kaspar.sql.column import Column, to_expr
from kaspar.sql.group import pivot_label

if TYPE_CHECKING:
    from kaspar.sql.dataframe import DataFrame

_DEFAULT_SUMMARY = ("count", "mean", "stddev", "min", "25%", "50%", "75%", "max")


def _quantile(name: str, q: float) -> Column:
    call = exp.Anonymous(
        this="quantile_disc", expressions=[exp.column(name, quoted=True), exp.Literal.number(q)]
    )
    return Column(call)


def _zero_if_null(name: str) -> Column:
    """Spark's ``stat.corr``/``stat.cov`` read a NULL as 0 (they fold the rows' doubles)."""
    return F.coalesce(F.col(name).cast("double"), F.lit(0.0))


def _statistic(stat: str, name: str, numeric: bool) -> Column:
    if stat == "count":
        return F.count(name)
    if stat in ("min", "max"):
        return F.min(name) if stat == "min" else F.max(name)
    if stat == "count_distinct":
        return F.count_distinct(F.col(name))
    if stat == "approx_count_distinct":
        return F.approx_count_distinct(name)
    if not numeric:
        return F.max(F.lit(None).cast("string"))  # an aggregate: one row
    if stat.endswith("%"):
        return _quantile(name, float(stat[:-1]) / 100)
    if stat == "stddev":
        return stddev_of_deviations(name)
    fn = {"mean": F.avg}.get(stat)
    if fn is None:
        raise PySparkValueError(f"{stat} is not a recognised statistic.")
    return fn(name)


def summary(df: DataFrame, statistics: tuple[str, ...]) -> DataFrame:
    stats = statistics or _DEFAULT_SUMMARY
    fields = [f for f in df.schema.fields if isinstance(f.dataType, T.NumericType | T.StringType)]
    result: DataFrame | None = None
    for stat in stats:
        values = [
            _statistic(stat, f.name, isinstance(f.dataType, T.NumericType))
            .cast("string")
            .alias(f.name)
            for f in fields
        ]
        base = df
        if stat == "stddev":
            numeric = {f.name for f in fields if isinstance(f.dataType, T.NumericType)}
            base = deviations(df, [f.name for f in fields], numeric)
        part = base.agg(F.lit(stat).alias("summary"), *values)
        result = part if result is None else result.union(part)
    assert result is not None
    return nullable_columns(result)


def sample(df: DataFrame, *args: Any, **kwargs: Any) -> DataFrame:
    """``sample([withReplacement], fraction, [seed])``: Spark's samplers, so a seed keeps the
    rows Spark keeps (docs/partitions.md)."""
    params = [a for a in args if not isinstance(a, bool) and a is not None]
    fraction = kwargs.get("fraction", params[0] if params else None)
    if not isinstance(fraction, int | float) or isinstance(fraction, bool):
        raise PySparkTypeError(
            f"[NOT_FLOAT] Argument `fraction` should be a float, got {type(fraction).__name__}.",
            "NOT_FLOAT",
        )
    from kaspar.sql import _partitions

    seed = kwargs.get("seed", params[1] if len(params) > 1 else None)
    seed = _partitions.random_seed() if seed is None else int(seed)
    flags = [a for a in args if isinstance(a, bool)]
    replace = kwargs.get("withReplacement", flags[0] if flags else False)
    fraction = float(fraction)
    if replace and fraction < -_EPSILON:
        raise IllegalArgumentException(
            f"requirement failed: Sampling fraction ({fraction}) must be nonnegative with "
            "replacement"
        )
    if not replace and not -_EPSILON <= fraction <= 1.0 + _EPSILON:
        raise IllegalArgumentException(
            f"requirement failed: Sampling fraction ({fraction}) must be on interval [0, 1] "
            "without replacement"
        )
    if replace:
        return _partitions.poisson(df, fraction, seed)
    return _partitions.bernoulli(df, 0.0, fraction, seed)


_EPSILON = 1e-6  # Spark's RandomSampler.roundingEpsilon


class DataFrameStatFunctions:
    """Statistics over one DataFrame."""

    __module__ = "kaspar.sql.dataframe"  # its public home, as PySpark's is pyspark.sql.dataframe

    def __init__(self, df: DataFrame) -> None:
        self._df = df

    def _value(self, column: Column) -> Any:
        return self._df.agg(column).collect()[0][0]

    def corr(self, col1: str, col2: str, method: str | None = None) -> float | None:
        if method not in (None, "pearson"):
            raise PySparkValueError(
                f"[VALUE_NOT_PEARSON] Value for `method` only supports 'pearson', got '{method}'.",
                "VALUE_NOT_PEARSON",
            )
        result: float | None = self._value(F.corr(_zero_if_null(col1), _zero_if_null(col2)))
        return result

    def cov(self, col1: str, col2: str) -> float | None:
        x, y = _zero_if_null(col1), _zero_if_null(col2)
        result: float | None = self._value(F.covar_samp(x, y))
        return result

    def crosstab(self, col1: str, col2: str) -> DataFrame:
        # Spark orders the new columns by the text of col2's values ("10" < "8")
        values = [r[0] for r in self._df.select(col2).distinct().collect()]
        ordered = sorted(values, key=pivot_label)
        counts = self._df.groupBy(col1).pivot(col2, ordered).count().na.fill(0)
        first = counts.columns[0]
        key = F.coalesce(F.col(first).cast("string"), F.lit("null"))  # Spark's text of the key
        keyed = counts.select(key.alias(f"{col1}_{col2}"), *counts.columns[1:])
        return nullable_columns(keyed).select(keyed.columns)

    def sampleBy(self, col: Any, fractions: Any, seed: int | None = None) -> DataFrame:
        return sample_by(self._df, col, fractions, seed)

    def freqItems(self, cols: Any, support: float | None = None) -> DataFrame:
        return freq_items(self._df, cols, support)

    def approxQuantile(
        self, col: str | list[str], probabilities: list[float], relativeError: float
    ) -> list[Any]:
        cols = [col] if isinstance(col, str) else list(col)
        per_column = []
        for name in cols:
            row = self._df.agg(
                *(_quantile(name, p).cast("double") for p in probabilities)
            ).collect()[0]
            per_column.append([v for v in row if v is not None])
        return per_column[0] if isinstance(col, str) else per_column


def sample_by(df: DataFrame, col: Any, fractions: Any, seed: int | None = None) -> DataFrame:
    """Keeps each row whose ``rand(seed)`` is below the fraction of its stratum (0 for values
    not in ``fractions``), as Spark does."""
    if not isinstance(col, str | Column):
        raise PySparkTypeError(
            f"Argument `col` should be a Column or str, got {type(col).__name__}.",
            "NOT_COLUMN_OR_STR",
        )
    if not isinstance(fractions, dict):
        raise PySparkTypeError(
            f"Argument `fractions` should be dict, got {type(fractions).__name__}.",
            "NOT_EXPECTED_TYPE",
        )
    if any(not 0.0 <= float(f) <= 1.0 for f in fractions.values()):
        shown = ", ".join(f"{k} -> {float(f)}" for k, f in fractions.items())
        raise IllegalArgumentException(
            f"requirement failed: Fractions must be in [0, 1], but got Map({shown})."
        )
    stratum = Column(to_expr(col))
    share: Any = None
    for key, fraction in fractions.items():
        test = stratum == F.lit(key)
        value = F.lit(float(fraction))
        share = F.when(test, value) if share is None else share.when(test, value)
    share = F.lit(0.0) if share is None else share.otherwise(F.lit(0.0))
    from kaspar.engine.seeded import calls
    from kaspar.sql._partitions import random_seed

    draw = Column(calls.seeded("rand", random_seed() if seed is None else int(seed)))
    return df.filter(draw < share)


def freq_items(df: DataFrame, cols: Any, support: float | None = None) -> DataFrame:
    """Spark's frequent items (Misra-Gries with ``1 / support`` counters, nulls counted): a
    superset of the values in more than ``support`` of the rows, one array column each."""
    if not isinstance(cols, list | tuple):
        raise PySparkTypeError(
            f"Argument `cols` should be list or tuple, got {type(cols).__name__}.",
            "NOT_EXPECTED_TYPE",
        )
    support = 0.01 if support is None else support
    if not 1e-4 <= support <= 1.0:
        raise IllegalArgumentException(
            f"requirement failed: Support must be in [1e-4, 1], but got {_java_double(support)}."
        )
    selected = df.select(*cols)
    rows = selected.collect()
    size = int(1 / support)
    items = [_frequent([r[i] for r in rows], size) for i in range(len(selected.columns))]
    fields = [
        T.StructField(f"{f.name}_freqItems", T.ArrayType(f.dataType))
        for f in selected.schema.fields
    ]
    return df.sparkSession.createDataFrame([tuple(items)], T.StructType(fields))


def _frequent(values: list[Any], size: int) -> list[Any]:
    counts: dict[Any, int] = {}
    for v in values:
        if v in counts:
            counts[v] += 1
        elif len(counts) < size:
            counts[v] = 1
        else:  # every count drops by one; the new value and those at one are dropped
            counts = {k: c - 1 for k, c in counts.items() if c > 1}
    return list(counts)


def _java_double(value: float) -> str:
    text = repr(float(value))
    if "e" in text:
        mantissa, exponent = text.split("e")
        mantissa = mantissa if "." in mantissa else f"{mantissa}.0"
        return f"{mantissa}E{int(exponent)}"
    return text
