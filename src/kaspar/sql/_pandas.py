"""Arrow → pandas as PySpark's ``toPandas`` shapes it (naive timestamps)."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from kaspar.engine.variant.arrow import is_spark_variant, variant_values


def to_pandas(table: pa.Table) -> pd.DataFrame:
    columns = []
    variants = []
    for column, name in zip(table.columns, table.column_names, strict=True):
        if pa.types.is_timestamp(column.type) and column.type.tz is not None:
            columns.append(column.cast(pa.timestamp(column.type.unit)))
        else:
            columns.append(column)
        if is_spark_variant(column.type):  # PySpark: VariantVal objects
            variants.append(name)
    frame = pa.Table.from_arrays(columns, names=table.column_names).to_pandas()
    for name in variants:
        frame[name] = pd.Series(variant_values(table.column(name)), dtype=object)
    return frame
