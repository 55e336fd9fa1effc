"""Variant columns in Arrow as PySpark's ``toArrow`` gives them: ``struct<value: binary not
null, metadata: binary not null>`` (DuckDB's Arrow form is ``struct<metadata, value>``, marked
``arrow.parquet.variant``), and as ``toPandas`` gives them: ``VariantVal`` objects."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from kaspar.engine.variant.value import VariantVal

SPARK_VARIANT = pa.struct(
    [
        pa.field("value", pa.binary(), nullable=False),
        pa.field("metadata", pa.binary(), nullable=False),
    ]
)
_DUCKDB_NAMES = ["metadata", "value"]


def _is_duckdb_variant(field: pa.Field) -> bool:
    names = [f.name for f in field.type] if pa.types.is_struct(field.type) else []
    return names == _DUCKDB_NAMES and all(pa.types.is_binary(f.type) for f in field.type)


def _spark_column(column: pa.ChunkedArray) -> pa.Array:
    array = column.combine_chunks()
    value = pa.compute.fill_null(array.field("value"), b"")
    metadata = pa.compute.fill_null(array.field("metadata"), b"")
    return pa.StructArray.from_arrays(
        [value.cast(pa.binary()), metadata.cast(pa.binary())],
        fields=list(SPARK_VARIANT),
        mask=array.is_null(),
    )


def spark_variants(table: pa.Table) -> pa.Table:
    """``table`` with its DuckDB variant columns in PySpark's Arrow shape."""
    for i, field in enumerate(table.schema):
        if _is_duckdb_variant(field):
            table = table.set_column(i, field.name, _spark_column(table.column(i)))
    return table


def is_spark_variant(arrow_type: pa.DataType) -> bool:
    return bool(arrow_type.equals(SPARK_VARIANT))


def variant_values(column: pa.ChunkedArray) -> list[Any]:
    """A Spark-shaped variant column's values as ``VariantVal`` (None for NULL)."""
    return [
        None if v is None else VariantVal(v["value"], v["metadata"]) for v in column.to_pylist()
    ]
