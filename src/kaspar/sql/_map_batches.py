"""``df.mapInPandas`` / ``df.mapInArrow``: a Python function over the batches of the input.

The input is one partition: ``func`` gets an iterator over its batches (one pandas DataFrame, or
the Arrow record batches of the result; nothing for an empty input) and yields the output
batches, which are read by name into ``schema``. The input is read when the method is called
(the result is a local relation), as ``applyInPandas`` does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from kaspar.engine import types as T
from kaspar.engine.type_conversion import parse_data_type, to_arrow
from kaspar.errors import PySparkTypeError

if TYPE_CHECKING:
    from kaspar.sql.dataframe import DataFrame


def map_in_pandas(df: DataFrame, func: Callable[..., Any], schema: Any) -> DataFrame:
    from kaspar.sql.group import _concat

    struct = _struct(func, schema)
    data = df.toPandas()
    batches: Iterator[Any] = iter([data] if len(data) else [])
    return df.sparkSession.createDataFrame(_concat(list(func(batches)), struct), struct)


def map_in_arrow(df: DataFrame, func: Callable[..., Any], schema: Any) -> DataFrame:
    struct = _struct(func, schema)
    batches = iter(df.toArrow().to_batches())
    parts: Iterable[pa.RecordBatch] = func(batches)
    target = pa.schema([pa.field(f.name, to_arrow(f.dataType)) for f in struct.fields])
    tables = [pa.Table.from_batches([b]).select(struct.names).cast(target) for b in parts]
    table = pa.concat_tables(tables) if tables else target.empty_table()
    return df.sparkSession.createDataFrame(table, struct)


def _struct(func: Any, schema: Any) -> T.StructType:
    if not callable(func):
        raise PySparkTypeError(
            f"Argument `func` should be a function, got {type(func).__name__}.",
            "NOT_CALLABLE",
        )
    struct = parse_data_type(schema) if isinstance(schema, str) else schema
    if not isinstance(struct, T.StructType):
        raise PySparkTypeError(
            "Pandas UDF should return StructType for SQL_MAP_PANDAS_ITER_UDF or "
            f"SQL_MAP_ARROW_ITER_UDF, got {struct!r}.",
            "INVALID_RETURN_TYPE_FOR_PANDAS_UDF",
        )
    return struct
