"""The DataFrame's partitioning methods and Spark's samplers (docs/partitions.md).

``repartition``, ``coalesce``, ``repartitionByRange``, ``repartitionById`` and
``sortWithinPartitions`` add plan nodes that give rows new partitions; ``sample``,
``randomSplit`` and ``sampleBy`` filter rows with the partition's seeded generator, as Spark's
samplers do, so that the same seed keeps the same rows.
"""

from __future__ import annotations

import itertools
import os
import random
import re
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from kaspar.engine.plan import logical as L
from kaspar.engine.seeded import calls
from kaspar.errors import IllegalArgumentException, PySparkTypeError, PySparkValueError
from kaspar.sql.column import Column, to_expr

if TYPE_CHECKING:
    from kaspar.sql.dataframe import DataFrame

_LOCAL = re.compile(r"local(?:\[(\*|\d+)(?:,\s*\d+)?\])?$")


def default_parallelism(conf: Any) -> int:
    """``spark.default.parallelism``, else the cores of a ``local[N]`` master (``local[*]``:
    this machine's), else 1 (kaspar's default when no master is set)."""
    configured = conf.get("spark.default.parallelism", None)
    if configured is not None:
        return max(int(configured), 1)
    match = _LOCAL.match(str(conf.get("spark.master", "") or "").strip())
    if match is None:
        return 1
    cores = match.group(1)
    if cores is None:
        return 1
    return max(os.cpu_count() or 1, 1) if cores == "*" else max(int(cores), 1)


def random_seed() -> int:
    """The seed Spark draws when none is given."""
    return random.getrandbits(63)


def _check_count(n: Any) -> int:
    if not isinstance(n, int) or isinstance(n, bool):
        raise PySparkTypeError(
            "[NOT_COLUMN_OR_STR] Argument `numPartitions` should be a Column or str, "
            f"got {type(n).__name__}.",
            "NOT_COLUMN_OR_STR",
        )
    if n <= 0:
        raise IllegalArgumentException(
            f"requirement failed: Number of partitions ({n}) must be positive."
        )
    return n


def _split_count(df: DataFrame, numPartitions: Any, cols: tuple[Any, ...]) -> tuple[int, list[Any]]:
    """``(n, cols)`` from PySpark's ``(numPartitions | col, *cols)``. Without a count, Spark
    shuffles into ``spark.sql.shuffle.partitions``, which adaptive execution (on by default)
    then coalesces: for data of a local session's size, into one partition."""
    if isinstance(numPartitions, str | Column):
        conf = df._session.conf
        if str(conf.get("spark.sql.adaptive.enabled", "true")).lower() == "true":
            return 1, [numPartitions, *cols]
        return int(conf.get("spark.sql.shuffle.partitions", "200")), [numPartitions, *cols]
    return _check_count(numPartitions), list(cols)


def repartition(df: DataFrame, numPartitions: Any, *cols: Any) -> DataFrame:
    from kaspar.sql import functions as F

    n, columns = _split_count(df, numPartitions, cols)
    if not columns:
        row = [a.reference() for a in df._attributes()]
        hashed = (calls.row_hash(row),) if row else ()
        return df._with(L.Repartition(df._plan, n, "round_robin", hashed))
    key = to_expr(F.hash(*columns))
    return df._with(L.Repartition(df._plan, n, "hash", (key,)))


def coalesce(df: DataFrame, numPartitions: Any) -> DataFrame:
    return df._with(L.Repartition(df._plan, _check_count(numPartitions), "coalesce"))


def repartition_by_range(df: DataFrame, numPartitions: Any, *cols: Any) -> DataFrame:
    n, columns = _split_count(df, numPartitions, cols)
    if not columns:
        raise PySparkValueError(
            "[CANNOT_BE_EMPTY] At least one partition-by expression must be specified.",
            "CANNOT_BE_EMPTY",
        )
    orders = df.orderBy(*columns)._plan
    assert isinstance(orders, L.Sort)
    return df._with(L.Repartition(df._plan, n, "range", orders.orders))


def repartition_by_id(df: DataFrame, numPartitions: int, partitionIdCol: Any) -> DataFrame:
    from kaspar.sql import functions as F

    column = F.col(partitionIdCol) if isinstance(partitionIdCol, str) else partitionIdCol
    return df._with(L.Repartition(df._plan, numPartitions, "id", (to_expr(column),)))


def sort_within_partitions(df: DataFrame, *cols: Any, **kwargs: Any) -> DataFrame:
    orders = df.orderBy(*cols, **kwargs)._plan
    assert isinstance(orders, L.Sort)
    return df._with(L.SortWithinPartitions(df._plan, orders.orders))


def _rand(seed: int) -> exp.Expr:
    return calls.seeded("rand", seed)


def bernoulli(df: DataFrame, lower: float, upper: float, seed: int) -> DataFrame:
    """The rows whose draw falls in ``[lower, upper)`` (Spark's ``BernoulliCellSampler``)."""
    if upper - lower <= 0:
        return df._with(L.Filter(df._plan, exp.false()))
    x = _rand(seed)
    keep = exp.And(
        this=exp.GTE(this=x, expression=exp.Literal.number(lower)),
        expression=exp.LT(this=x.copy(), expression=exp.Literal.number(upper)),
    )
    return df._with(L.Filter(df._plan, keep))


def poisson(df: DataFrame, fraction: float, seed: int) -> DataFrame:
    """Each row repeated a Poisson(``fraction``) number of times (Spark's ``PoissonSampler``)."""
    if fraction <= 0:
        return df._with(L.Filter(df._plan, exp.false()))
    if fraction >= 40:
        raise NotImplementedError("sample with replacement: fractions of 40 or more")
    counts = calls.seeded("poisson", seed, exp.cast(exp.Literal.number(fraction), "DOUBLE"))
    return df._with(L.PoissonSample(df._plan, counts))


def random_split(df: DataFrame, bounds: list[float], seed: int | None) -> list[DataFrame]:
    """Spark's ``randomSplit`` over the cumulative normalised weights ``bounds``: each
    partition sorted by every sortable column, then one Bernoulli range per split."""
    seed = random_seed() if seed is None else int(seed)
    sortable = [df[i] for i, field in enumerate(df.schema.fields) if _orderable(field)]
    plan = sort_within_partitions(df, *sortable) if sortable else df
    return [bernoulli(plan, lo, hi, seed) for lo, hi in itertools.pairwise(bounds)]


def _orderable(field: Any) -> bool:
    from kaspar.sql import types as T

    def check(t: Any) -> bool:
        if isinstance(t, T.MapType | T.VariantType):
            return False
        if isinstance(t, T.ArrayType):
            return check(t.elementType)
        if isinstance(t, T.StructType):
            return all(check(f.dataType) for f in t.fields)
        return True

    return check(field.dataType)
