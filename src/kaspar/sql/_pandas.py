"""Arrow → pandas as PySpark's ``toPandas`` shapes it (naive timestamps)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyarrow as pa

if TYPE_CHECKING:
    import pandas as pd


def to_pandas(table: pa.Table) -> pd.DataFrame:
    columns = []
    for column in table.columns:
        if pa.types.is_timestamp(column.type) and column.type.tz is not None:
            columns.append(column.cast(pa.timestamp(column.type.unit)))
        else:
            columns.append(column)
    return pa.Table.from_arrays(columns, names=table.column_names).to_pandas()
