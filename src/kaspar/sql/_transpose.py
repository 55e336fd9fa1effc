"""``DataFrame.transpose`` (Spark 4.0): the index column's values become the columns.

1. The index column is ``indexColumn`` or the first column; every other column is a value
   column, and their values are cast to their least common type (``unpivot``'s rules).
2. The distinct non-NULL index values, in ascending order, name the new columns (their text).
3. Each value column becomes one row: ``key`` holds its name, and the new columns its value in
   the row of each index value (``unpivot`` then ``pivot``), rows in the columns' order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kaspar.engine import types as T
from kaspar.engine.plan.naming import output_name
from kaspar.errors import AnalysisException
from kaspar.sql import functions as F
from kaspar.sql.column import Column, to_expr

if TYPE_CHECKING:
    from kaspar.sql.dataframe import DataFrame

_ATOMIC_INDEX = (T.ArrayType, T.MapType, T.StructType, T.VariantType)


def transpose(df: DataFrame, index_column: Column | str | None) -> DataFrame:
    index = F.col(df.columns[0]) if index_column is None else _column(index_column)
    index_name = output_name(index.expr)
    field = next(f for f in df.schema.fields if f.name.lower() == index_name.lower())
    if isinstance(field.dataType, _ATOMIC_INDEX):
        raise AnalysisException(
            f"Invalid index column for TRANSPOSE because: "
            f"Index column must be of atomic type, but found: {field.dataType.simpleString()}.",
            "TRANSPOSE_INVALID_INDEX_COLUMN",
        )
    values = [name for name in df.columns if name.lower() != index_name.lower()]
    present = df.where(F.col(field.name).isNotNull())
    keys = [r[0] for r in present.select(field.name).distinct().orderBy(field.name).collect()]
    long = df.unpivot([F.col(field.name)], [F.col(v) for v in values], "key", "value")
    wide = long.groupBy("key").pivot(field.name, keys).agg(F.first("value"))
    order = F.array_position(F.array(*[F.lit(v) for v in values]), F.col("key"))
    return wide.orderBy(order)


def _column(value: Column | str) -> Column:
    return value if isinstance(value, Column) else Column(to_expr(value))


__all__ = ["transpose"]
