"""``df.randomSplit``: disjoint random parts whose sizes follow the weights.

Steps:
1. Check the weights as PySpark does (none negative, a positive sum).
2. Read the rows once (the parts are local relations, so every row lands in exactly one part,
   however often the parts are evaluated).
3. Draw one uniform number per row from a generator seeded by ``seed`` (a random seed when
   none is given) and give the row to the part whose share of ``[0, 1)`` holds the number.

The rows of each part differ from Spark's (Spark samples each partition with its own XORShift
generator); for one seed kaspar always splits the same rows the same way.
"""

from __future__ import annotations

import itertools
import random
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from kaspar.errors import IllegalArgumentException, PySparkTypeError, PySparkValueError

if TYPE_CHECKING:
    from kaspar.sql.dataframe import DataFrame


def random_split(df: DataFrame, weights: list[float], seed: int | None) -> list[DataFrame]:
    bounds = _bounds(weights)
    table = df.toArrow()
    if seed is None:
        seed = random.randint(0, 2**63 - 1)  # noqa: S311 - sampling, not security
    draws = np.random.default_rng(seed).random(table.num_rows)
    schema = df.schema
    session = df.sparkSession
    parts = []
    for low, high in itertools.pairwise(bounds):
        mask = (draws >= low) & (draws < high)
        parts.append(session.createDataFrame(table.filter(pa.array(mask)), schema))
    return parts


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
    bounds[-1] = float("inf")  # rounding never leaves a row out
    return bounds
