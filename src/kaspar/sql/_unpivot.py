"""``df.unpivot`` / ``df.melt``: value columns turned into (variable, value) rows.

Each input row becomes one row per value column, in the value columns' order (Spark's
``Expand``): ``inline(array(struct(name, value), ...))``. The values are cast to their least
common type, found by Spark's widening rules without string promotion.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlglot import exp

from kaspar.engine import types as T
from kaspar.engine.plan.naming import output_name
from kaspar.errors import AnalysisException
from kaspar.sql import functions as F
from kaspar.sql.column import Column, aliased, to_columns

if TYPE_CHECKING:
    from kaspar.sql.dataframe import DataFrame

_NUMERIC_ORDER = (T.ByteType, T.ShortType, T.IntegerType, T.LongType, T.FloatType, T.DoubleType)
_INTEGRAL_DIGITS: dict[type[T.DataType], int] = {
    T.ByteType: 3,
    T.ShortType: 5,
    T.IntegerType: 10,
    T.LongType: 20,
}


def unpivot(df: DataFrame, ids: Any, values: Any, variable: str, value: str) -> DataFrame:
    id_cols = _columns(ids)
    if values is None:
        taken = {output_name(c.expr).lower() for c in id_cols}
        value_cols = [Column(F.col(n).expr) for n in df.columns if n.lower() not in taken]
    else:
        value_cols = _columns(values)
    if not value_cols:
        raise AnalysisException(
            "At least one value column needs to be specified "
            "for UNPIVOT, all columns specified as ids.",
            "UNPIVOT_REQUIRES_VALUE_COLUMNS",
        )
    names = [output_name(c.expr) for c in value_cols]
    fields = df.select(*value_cols).schema.fields
    common = _common_type([f.dataType for f in fields], names)
    entries = [
        F.struct(F.lit(name).alias(variable), _unaliased(c).cast(common).alias(value))
        for name, c in zip(names, value_cols, strict=True)
    ]
    keys = [Column(aliased(c.expr, output_name(c.expr))) for c in id_cols]
    return df.select(*keys, F.inline(F.array(*entries)))


def _columns(cols: Any) -> list[Column]:
    if isinstance(cols, Column | str):
        cols = [cols]
    return to_columns([list(cols)])


def _unaliased(column: Column) -> Column:
    e = column.expr
    return Column(e.this) if isinstance(e, exp.Alias) else column


def _common_type(types: list[T.DataType], names: list[str]) -> T.DataType:
    result: T.DataType | None = types[0]
    for t in types[1:]:
        result = wider_type(result, t) if result is not None else None
    if result is None:
        listed = ", ".join(
            f'"{t.simpleString().upper()}" (`{n}`)' for t, n in zip(types, names, strict=True)
        )
        raise AnalysisException(
            f"Unpivot value columns must share a least common type, some types do not: [{listed}].",
            "UNPIVOT_VALUE_DATA_TYPE_MISMATCH",
        )
    return result


def wider_type(a: T.DataType, b: T.DataType) -> T.DataType | None:
    """Spark's ``findWiderTypeWithoutStringPromotion`` for two atomic types (None: no type)."""
    if a == b:
        return a
    if isinstance(a, T.NullType):
        return b
    if isinstance(b, T.NullType):
        return a
    if isinstance(a, T.DecimalType) or isinstance(b, T.DecimalType):
        return _wider_decimal(a, b)
    if isinstance(a, T.NumericType) and isinstance(b, T.NumericType):
        order = [_NUMERIC_ORDER.index(type(t)) for t in (a, b)]
        return _NUMERIC_ORDER[max(order)]()
    kinds = {type(a), type(b)}
    if kinds in ({T.DateType, T.TimestampType}, {T.TimestampType, T.TimestampNTZType}):
        return T.TimestampType()
    if kinds == {T.DateType, T.TimestampNTZType}:
        return T.TimestampNTZType()
    return None


def _wider_decimal(a: T.DataType, b: T.DataType) -> T.DataType | None:
    pair = [_as_decimal(t) for t in (a, b)]
    if isinstance(a, T.FloatType | T.DoubleType) or isinstance(b, T.FloatType | T.DoubleType):
        return T.DoubleType()
    first, second = pair
    if first is None or second is None:
        return None
    scale = max(first.scale, second.scale)
    digits = max(first.precision - first.scale, second.precision - second.scale)
    return T.DecimalType(min(digits + scale, 38), scale)


def _as_decimal(t: T.DataType) -> T.DecimalType | None:
    if isinstance(t, T.DecimalType):
        return t
    digits = _INTEGRAL_DIGITS.get(type(t))
    return T.DecimalType(digits, 0) if digits is not None else None
