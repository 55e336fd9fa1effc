"""``df.randomSplit``: disjoint random parts whose sizes follow the weights.

Steps:
1. Check the weights as PySpark does (none negative, a positive sum).
2. Sort each partition by every sortable column, so that each part sees the rows in the same
   order (Spark's way of making the parts disjoint).
3. Keep, in part ``i``, the rows whose draw from the partition's seeded generator falls in
   the part's share of ``[0, 1)`` (Spark's Bernoulli cell sampler: the rows equal Spark's for
   the same seed and partitioning, docs/partitions.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kaspar.errors import IllegalArgumentException, PySparkTypeError, PySparkValueError

if TYPE_CHECKING:
    from kaspar.sql.dataframe import DataFrame


def random_split(df: DataFrame, weights: list[float], seed: int | None) -> list[DataFrame]:
    from kaspar.sql._partitions import random_split as split

    return split(df, _bounds(weights), seed)


def _bounds(weights: list[float]) -> list[float]:
    if not isinstance(weights, list | tuple):
        raise PySparkTypeError(
            f"Argument `weights` should be a list, got {type(weights).__name__}.",
            "NOT_LIST",
        )
    for w in weights:
        if w < 0.0:
            raise PySparkValueError(
                f"Value for `weights` must be positive, got '{w}'.",
                "VALUE_NOT_POSITIVE",
            )
    total = float(sum(weights))
    if total <= 0:
        raise IllegalArgumentException(
            f"requirement failed: Sum of weights must be positive, but got {weights}"
        )
    bounds = [0.0]
    for w in weights:
        bounds.append(bounds[-1] + w / total)
    return bounds
