"""``df.mapInPandas`` / ``df.mapInArrow``: a Python function over the batches of the input.

The input is one partition: ``func`` gets an iterator over its batches (one pandas DataFrame, or
the Arrow record batches of the result; nothing for an empty input) and yields the output
batches, which are read by name into ``schema``. Nothing runs until an action reads the result
(a deferred relation, as ``applyInPandas``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from kaspar.sql.group_map import conform, deferred_frame, result_struct

if TYPE_CHECKING:
    from kaspar.sql.dataframe import DataFrame


def map_in_pandas(df: DataFrame, func: Callable[..., Any], schema: Any) -> DataFrame:
    from kaspar.sql._pandas import to_pandas

    struct = result_struct(func, schema, "mapInPandas")

    def compute() -> Iterator[pa.Table]:
        table = df.toArrow()
        frames = iter([to_pandas(table)] if table.num_rows else [])
        for result in func(frames):
            yield conform(result, struct, "pandas")

    return deferred_frame(df, struct, compute)


def map_in_arrow(df: DataFrame, func: Callable[..., Any], schema: Any) -> DataFrame:
    struct = result_struct(func, schema, "mapInArrow")

    def compute() -> Iterator[pa.Table]:
        for batch in func(iter(df.toArrow().to_batches())):
            yield conform(batch, struct, "arrow_cast")

    return deferred_frame(df, struct, compute)
