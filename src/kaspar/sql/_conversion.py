"""Arrow results → Python values as PySpark returns them (Rows for structs, dicts for maps,
naive local datetimes for timestamps)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pyarrow as pa

from kaspar.engine import types as T
from kaspar.engine.geo_types import SRID_FIELD, Geography, GeographyType, Geometry, GeometryType
from kaspar.engine.type_conversion import to_arrow
from kaspar.engine.variant.value import VariantVal
from kaspar.sql.row import Row

Converter = Callable[[Any], Any] | None


def converter(dtype: T.DataType) -> Converter:
    """A function fixing up one value of ``dtype`` (None when Arrow's value is already right)."""
    if isinstance(dtype, T.TimestampType):
        return _timestamp
    if isinstance(dtype, T.StructType):
        names = dtype.names
        convs = [converter(f.dataType) for f in dtype.fields]
        return lambda v: (
            None
            if v is None
            else Row.from_fields(
                names, [_apply(c, v.get(n)) for c, n in zip(convs, names, strict=True)]
            )
        )
    if isinstance(dtype, T.ArrayType):
        inner = converter(dtype.elementType)
        if inner is None:
            return None
        return lambda v: None if v is None else [_apply(inner, x) for x in v]
    if isinstance(dtype, T.MapType):
        kc, vc = converter(dtype.keyType), converter(dtype.valueType)
        return lambda v: None if v is None else {_apply(kc, k): _apply(vc, x) for k, x in v}
    if isinstance(dtype, T.BinaryType):
        return lambda v: None if v is None else bytes(v)  # PySpark 4 returns bytes
    if isinstance(dtype, T.DayTimeIntervalType):  # a struct of microseconds (type_conversion)
        return lambda v: None if v is None else dt.timedelta(microseconds=_carried(v))
    if isinstance(dtype, T.YearMonthIntervalType):  # months (PySpark cannot collect these)
        return _carried
    if isinstance(dtype, T.TimestampLTZNanosType):  # its UTC wall time, a pandas Timestamp
        return _carried
    if isinstance(dtype, GeometryType | GeographyType):  # WKB and SRID (geo_types)
        value_class = Geometry if isinstance(dtype, GeometryType) else Geography
        return lambda v: (
            None if v is None else value_class(bytearray(next(iter(v.values()))), v[SRID_FIELD])
        )
    if isinstance(dtype, T.VariantType):  # DuckDB's Arrow form: struct<metadata, value>
        return lambda v: None if v is None else VariantVal(v["value"], v["metadata"])
    return None


def _carried(value: Any) -> Any:
    """The months or microseconds of an ANSI interval's carrier (its one field)."""
    return None if value is None else next(iter(value.values()))


def _apply(conv: Converter, value: Any) -> Any:
    return value if conv is None or value is None else conv(value)


def _timestamp(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone().replace(tzinfo=None)
    return value


def to_rows(table: pa.Table, schema: T.StructType) -> list[Row]:
    """Rows of ``table`` (column-wise conversion; duplicate names allowed)."""
    names = schema.names
    columns = []
    for column, field in zip(table.columns, schema.fields, strict=True):
        values = column.to_pylist()
        conv = converter(field.dataType)
        if conv is not None:
            values = [_apply(conv, v) for v in values]
        columns.append(values)
    if not columns:
        return [Row.from_fields([], []) for _ in range(table.num_rows)]
    return [Row.from_fields(names, list(values)) for values in zip(*columns, strict=True)]


def to_python_input(value: Any, dtype: T.DataType) -> Any:
    """A Python value shaped for ``pa.array`` of ``dtype`` (Rows → dicts, dicts → map items)."""
    if value is None:
        return None
    if isinstance(dtype, T.StructType):
        if isinstance(value, dict):
            items = [value.get(f.name) for f in dtype.fields]
        else:
            items = list(value)
        return {
            f.name: to_python_input(v, f.dataType) for f, v in zip(dtype.fields, items, strict=True)
        }
    if isinstance(dtype, T.AnsiIntervalType):  # kaspar's carrier (type_conversion.to_arrow)
        field = to_arrow(dtype)[0].name
        if isinstance(value, dt.timedelta):
            return {field: value // dt.timedelta(microseconds=1)}
        return {field: value}
    if isinstance(dtype, T.ArrayType):
        return [to_python_input(v, dtype.elementType) for v in value]
    if isinstance(dtype, T.MapType):
        return [
            (to_python_input(k, dtype.keyType), to_python_input(v, dtype.valueType))
            for k, v in value.items()
        ]
    return value
