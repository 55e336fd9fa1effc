"""``createDataFrame`` input (rows, tuples, dicts, Rows, scalars, pandas, Arrow) → Arrow."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

import pyarrow as pa

from kaspar.engine import types as T
from kaspar.engine.type_conversion import (
    from_arrow,
    infer_type,
    merge_types,
    parse_data_type,
    to_arrow,
)
from kaspar.errors import PySparkTypeError, PySparkValueError
from kaspar.sql._conversion import to_python_input
from kaspar.sql._show import cell_string
from kaspar.sql.row import Row


def local_table(data: Any, schema: Any) -> tuple[pa.Table, T.StructType]:
    """The Arrow table (columns ``c0..cn``) and Spark schema for ``createDataFrame`` input."""
    if isinstance(data, pa.Table):
        return _from_arrow(data, schema)
    if type(data).__module__.startswith("pandas"):
        return _from_arrow(pa.Table.from_pandas(data, preserve_index=False), schema)
    rows = list(data)
    struct, scalar = _schema_for(rows, schema)
    if scalar:
        rows = [(r,) for r in rows]
    columns = [_column(rows, i, f, struct) for i, f in enumerate(struct.fields)]
    _check_not_null(columns, struct)
    fields = [
        pa.field(f"c{i}", c.type, f.nullable)
        for i, (c, f) in enumerate(zip(columns, struct.fields, strict=True))
    ]
    return pa.Table.from_arrays(columns, schema=pa.schema(fields)), struct


def _check_not_null(columns: list[pa.Array], struct: T.StructType) -> None:
    """Spark's schema verification: a field declared not nullable gets no None."""
    for column, field in zip(columns, struct.fields, strict=True):
        if not field.nullable and column.null_count:
            raise PySparkValueError(
                f"field {field.name}: This field is not nullable, but got None.",
                "FIELD_NOT_NULLABLE_WITH_NAME",
            )


def _from_arrow(table: pa.Table, schema: Any) -> tuple[pa.Table, T.StructType]:
    struct = T.StructType([T.StructField(f.name, from_arrow(f.type), True) for f in table.schema])
    if schema is not None:
        target = _as_struct(schema, struct)
        table = table.rename_columns([f"c{i}" for i in range(table.num_columns)]).cast(
            pa.schema([pa.field(f"c{i}", to_arrow(f.dataType)) for i, f in enumerate(target)])
        )
        struct = target
    return table.rename_columns([f"c{i}" for i in range(table.num_columns)]), struct


def _as_struct(schema: Any, inferred: T.StructType | None) -> T.StructType:
    if isinstance(schema, str):
        schema = parse_data_type(schema)
    if isinstance(schema, list | tuple) and inferred is not None:
        return T.StructType(
            [
                T.StructField(n, f.dataType, True)
                for n, f in zip(schema, inferred.fields, strict=False)
            ]
        )
    if isinstance(schema, T.StructType):
        return schema
    if isinstance(schema, T.DataType):
        return T.StructType([T.StructField("value", schema, True)])
    raise PySparkTypeError(f"schema should be StructType, DDL string or list, got {schema!r}")


def _schema_for(rows: list[Any], schema: Any) -> tuple[T.StructType, bool]:
    """The schema and whether rows are bare scalars (a one-column ``value`` schema)."""
    if isinstance(schema, str):
        schema = parse_data_type(schema)
    if isinstance(schema, T.DataType) and not isinstance(schema, T.StructType):
        return T.StructType([T.StructField("value", schema, True)]), True
    if isinstance(schema, T.StructType):
        return schema, False
    inferred = _infer(rows)
    if isinstance(schema, list | tuple):
        if inferred is None:
            return T.StructType([T.StructField(n, T.StringType()) for n in schema]), False
        return _as_struct(schema, inferred), False
    if inferred is None:
        raise PySparkValueError(
            "[CANNOT_INFER_EMPTY_SCHEMA] Can not infer schema from an empty dataset.",
            "CANNOT_INFER_EMPTY_SCHEMA",
        )
    return inferred, False


def _row_items(row: Any) -> tuple[list[str], list[Any]]:
    if isinstance(row, Row) and hasattr(row, "__fields__"):
        return list(row.__fields__), list(row)
    if isinstance(row, dict):
        items = sorted(row.items())
        return [k for k, _ in items], [v for _, v in items]
    if isinstance(row, list | tuple):
        return [f"_{i + 1}" for i in range(len(row))], list(row)
    raise PySparkTypeError(
        f"[CANNOT_INFER_SCHEMA_FOR_TYPE] Can not infer schema for type: `{type(row).__name__}`.",
        "CANNOT_INFER_SCHEMA_FOR_TYPE",
    )


def _infer(rows: list[Any]) -> T.StructType | None:
    if not rows:
        return None
    names, _ = _row_items(rows[0])
    types: list[T.DataType] = [T.NullType()] * len(names)
    for row in rows:
        _, values = _row_items(row)
        types = [merge_types(t, infer_type(v)) for t, v in zip(types, values, strict=False)]
    for name, t in zip(names, types, strict=True):
        if isinstance(t, T.NullType):
            raise PySparkValueError(
                f"[CANNOT_DETERMINE_TYPE] Some of types cannot be determined after inferring "
                f"(column `{name}`).",
                "CANNOT_DETERMINE_TYPE",
            )
    return T.StructType([T.StructField(n, t, True) for n, t in zip(names, types, strict=True)])


def _column(rows: list[Any], index: int, field: T.StructField, struct: T.StructType) -> pa.Array:
    values = []
    for row in rows:
        if isinstance(row, dict):
            value = row.get(field.name)
        elif isinstance(row, Row) and hasattr(row, "__fields__") and field.name in row.__fields__:
            value = row[field.name]
        else:
            value = row[index]
        values.append(_spark_input(to_python_input(value, field.dataType), field.dataType))
    atype = to_arrow(field.dataType)
    if isinstance(field.dataType, T.DoubleType | T.FloatType):
        values = [float(v) if isinstance(v, int) else v for v in values]
    try:
        return pa.array(values, type=atype)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError) as e:
        raise _unacceptable(field, values, atype, e) from None


def _unacceptable(
    field: T.StructField, values: list[Any], atype: pa.DataType, error: Exception
) -> PySparkTypeError:
    """PySpark's error for the first value ``field`` cannot take (the error path only)."""
    for value in values:
        try:
            pa.array([value], type=atype)
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
            return PySparkTypeError(
                f"field {field.name}: {field.dataType!r} can not accept object {value!r} "
                f"in type {type(value)}.",
                "FIELD_DATA_TYPE_UNACCEPTABLE_WITH_NAME",
            )
    return PySparkTypeError(
        f"field {field.name}: {field.dataType!r} can not accept the given values ({error}).",
        "FIELD_DATA_TYPE_UNACCEPTABLE_WITH_NAME",
    )


def _spark_input(value: Any, dtype: T.DataType) -> Any:
    """A value as PySpark reads it into ``dtype``: a naive datetime is local time (PySpark's
    ``time.mktime``), a number or boolean in a string field its text (as the JVM's
    ``toString``), at any depth (``value`` is shaped by ``to_python_input``)."""
    if value is None:
        return None
    if isinstance(dtype, T.TimestampType) and isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            return value
        # a pandas Timestamp is a datetime whose astimezone() wants a zone: use the datetime's
        plain = value.to_pydatetime() if hasattr(value, "to_pydatetime") else value
        return plain.astimezone()
    if isinstance(dtype, T.StringType) and not isinstance(value, str):
        return _java_text(value)
    if isinstance(dtype, T.ArrayType):
        return [_spark_input(v, dtype.elementType) for v in value]
    if isinstance(dtype, T.StructType) and isinstance(value, dict):
        return {f.name: _spark_input(value.get(f.name), f.dataType) for f in dtype.fields}
    if isinstance(dtype, T.MapType):
        return [
            (_spark_input(k, dtype.keyType), _spark_input(v, dtype.valueType)) for k, v in value
        ]
    return value


def _java_text(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | decimal.Decimal):
        return str(value)
    if isinstance(value, float):
        return cell_string(value)
    return value
