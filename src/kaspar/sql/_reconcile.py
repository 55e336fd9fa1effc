"""``df.to(schema)``: columns picked by name, in the schema's order, cast to its types.

Spark's ``Project.reconcileColumnType`` rules: a field missing from the DataFrame is NULL when
the schema lets it be (an error otherwise), a nullable column cannot fill a non-nullable field,
and a type changes only by ANSI store assignment (numbers to numbers, atomic values to
strings, dates and timestamps to each other).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kaspar.engine import types as T
from kaspar.errors import AnalysisException, PySparkTypeError, unresolved_column
from kaspar.sql import functions as F
from kaspar.sql.column import Column

if TYPE_CHECKING:
    from kaspar.sql.dataframe import DataFrame

_DATETIME = (T.DateType, T.TimestampType, T.TimestampNTZType)


def reconcile(df: DataFrame, schema: T.StructType) -> DataFrame:
    from kaspar.sql.dataframe import attribute_column

    if not isinstance(schema, T.StructType):
        raise PySparkTypeError(
            f"Argument `schema` should be a StructType, got {type(schema).__name__}.",
            "NOT_STRUCT",
        )
    attrs = {a.name.lower(): a for a in df._attributes()}
    fields = {f.name.lower(): f for f in df.schema.fields}
    columns: list[Column] = []
    for target in schema.fields:
        attr = attrs.get(target.name.lower())
        if attr is None:
            if not target.nullable:
                raise unresolved_column(target.name, [a.name for a in attrs.values()])
            columns.append(F.lit(None).cast(target.dataType).alias(target.name))
            continue
        source = fields[target.name.lower()]
        _check(source, target)
        column = attribute_column(attr)
        if source.dataType != target.dataType:
            column = column.cast(target.dataType)
        columns.append(column.alias(target.name))
    return df.select(*columns)


def _check(source: T.StructField, target: T.StructField) -> None:
    if source.nullable and not target.nullable:
        raise AnalysisException(
            f"Column or field `{target.name}` is nullable while it's required to be non-nullable.",
            "NULLABLE_COLUMN_OR_FIELD",
        )
    if not _can_store(source.dataType, target.dataType):
        raise AnalysisException(
            f'Column or field `{target.name}` is of type "{_sql(source.dataType)}" while '
            f'it\'s required to be "{_sql(target.dataType)}".',
            "INVALID_COLUMN_OR_FIELD_DATA_TYPE",
        )


def _can_store(source: T.DataType, target: T.DataType) -> bool:
    """Spark's ``Cast.canANSIStoreAssign`` for atomic types (others must match)."""
    if source == target or isinstance(source, T.NullType):
        return True
    if isinstance(source, T.NumericType) and isinstance(target, T.NumericType):
        return True
    if isinstance(target, T.StringType):
        return isinstance(source, T.AtomicType)
    return isinstance(source, _DATETIME) and isinstance(target, _DATETIME)


def _sql(dtype: T.DataType) -> str:
    return dtype.simpleString().upper()
