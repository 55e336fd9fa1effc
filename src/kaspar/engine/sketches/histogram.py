"""Spark's ``histogram_numeric``: Hive's ``NumericHistogram`` (Ben-Haim and Tom-Tov's streaming
histogram), fed value by value in input order as Spark's one-partition aggregation feeds it.

Each value lands in its own bin (or increments a bin at the same x); when there are more than
``nb`` bins the two closest are merged into their weighted mean. Ties between equally close pairs
are broken with ``java.util.Random(31183)``, as Hive does. The result's x keeps the input's type
(integers truncated, which the facade casts back); an empty group gives NULL. The C extension
``_numeric_histogram`` runs the same steps (about 10x faster); this module is its fallback.
"""

from __future__ import annotations

import bisect

import numpy as np
import pyarrow as pa

from kaspar.engine import types as T
from kaspar.engine.sketches.arrow_values import constant, group_values, is_integer
from kaspar.engine.sketches.java_random import JavaRandom

RESULT_TYPE = T.ArrayType(
    T.StructType([T.StructField("x", T.DoubleType()), T.StructField("y", T.DoubleType())])
)
_SEED = 31183

try:
    from kaspar.engine.sketches import _numeric_histogram
except ImportError:  # the optional extension was not built: the same algorithm in Python
    ACCELERATED = False
else:
    ACCELERATED = True


class NumericHistogram:
    def __init__(self, bins: int) -> None:
        self.bins = bins
        self.xs: list[float] = []
        self.ys: list[float] = []
        self._random = JavaRandom(_SEED)

    def add(self, value: float) -> None:
        at = bisect.bisect_left(self.xs, value)
        if at < len(self.xs) and self.xs[at] == value:
            self.ys[at] += 1.0
            return
        self.xs.insert(at, value)
        self.ys.insert(at, 1.0)
        if len(self.xs) > self.bins:
            self._trim()

    def _closest(self) -> int:
        xs = self.xs
        smallest, where, count = xs[1] - xs[0], 0, 1
        for i in range(1, len(xs) - 1):
            diff = xs[i + 1] - xs[i]
            if diff < smallest:
                smallest, where, count = diff, i, 1
            elif diff == smallest:
                count += 1
                if self._random.next_double() <= 1.0 / count:
                    where = i
        return where

    def _trim(self) -> None:
        while len(self.xs) > self.bins:
            i = self._closest()
            total = self.ys[i] + self.ys[i + 1]
            x = self.xs[i] * (self.ys[i] / total)
            x += self.xs[i + 1] / total * self.ys[i + 1]
            self.xs[i], self.ys[i] = x, total
            del self.xs[i + 1], self.ys[i + 1]


def _bins(values: pa.Array, bins: int) -> tuple[list[float], list[float]]:
    """The histogram of ``values`` in order: in C when the extension is built."""
    doubles = np.ascontiguousarray(values.cast(pa.float64()).to_numpy(zero_copy_only=False))
    if ACCELERATED:
        return _numeric_histogram.histogram(doubles, bins)
    histogram = NumericHistogram(bins)
    for value in doubles.tolist():
        histogram.add(value)
    return histogram.xs, histogram.ys


def histogram_numeric(lists: pa.Array, bins_column: pa.Array) -> pa.Array:
    """One histogram per group, as ``[{x, y}, ...]`` ordered by x."""
    bins = int(constant(bins_column))
    integral = is_integer(lists.type.value_type)
    out: list[list[dict[str, float]] | None] = []
    for values in group_values(lists):
        if values is None or len(values) == 0:
            out.append(None)
            continue
        xs, ys = _bins(values, bins)
        if integral:
            xs = [float(int(x)) for x in xs]
        out.append([{"x": x, "y": y} for x, y in zip(xs, ys, strict=True)])
    struct = pa.struct([("x", pa.float64()), ("y", pa.float64())])
    return pa.array(out, pa.list_(struct))
