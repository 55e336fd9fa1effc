"""Avro schemas ↔ Spark types, as Spark's ``SchemaConverters`` (spark-avro) maps them.

Avro → Spark: record → struct (a field is nullable when its type is a union with null), array,
map (string keys), a union of null and one type → that type, nullable; ``[int, long]`` → long,
``[float, double]`` → double; other unions → ``struct<member0, member1, ...>`` (one field per
non-null branch, the one written is set); enum → string; bytes and fixed → binary; logical types
``date``, ``timestamp-millis``/``-micros`` (timestamp), ``local-timestamp-*`` (timestamp_ntz),
``decimal``. ``time-*`` and ``uuid`` are read as their underlying int, long and string, as Spark
reads them. Recursive records are refused, as Spark refuses them.

Spark → Avro (``to_avro`` without a schema): Spark's ``toAvroType``: a nullable type becomes
``[type, "null"]``, structs are records named ``topLevelRecord`` (nested ones after their field,
in the parent's namespace), decimals ``fixed`` with the ``decimal`` logical type, timestamps
``timestamp-micros``.
"""

from __future__ import annotations

import json
from typing import Any

import fastavro

from kaspar.engine import types as T
from kaspar.errors import AnalysisException

_PRIMITIVES: dict[str, T.DataType] = {
    "null": T.NullType(),
    "boolean": T.BooleanType(),
    "int": T.IntegerType(),
    "long": T.LongType(),
    "float": T.FloatType(),
    "double": T.DoubleType(),
    "bytes": T.BinaryType(),
    "string": T.StringType(),
}
_LOGICAL: dict[str, T.DataType] = {
    "date": T.DateType(),
    "timestamp-millis": T.TimestampType(),
    "timestamp-micros": T.TimestampType(),
    "local-timestamp-millis": T.TimestampNTZType(),
    "local-timestamp-micros": T.TimestampNTZType(),
}
_IGNORED_LOGICAL = ("time-millis", "time-micros", "uuid")  # Spark reads the underlying type


def parse_avro(
    schema: str | dict[str, Any] | list[Any], named: dict[str, Any] | None = None
) -> Any:
    """``schema`` (Avro JSON text or its parsed JSON) parsed by fastavro, with the logical types
    Spark does not convert left out (so fastavro returns what Spark returns)."""
    value = json.loads(schema) if isinstance(schema, str) else schema
    try:
        return fastavro.parse_schema(_without_ignored(value), named_schemas=named)
    except (fastavro.schema.SchemaParseException, ValueError, TypeError, KeyError) as e:
        raise AnalysisException(f"Invalid Avro schema: {e}", "AVRO_INVALID_SCHEMA") from None


def _without_ignored(schema: Any) -> Any:
    if isinstance(schema, list):
        return [_without_ignored(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _without_ignored(v) for k, v in schema.items()}
    if out.get("logicalType") in _IGNORED_LOGICAL:
        del out["logicalType"]
    return out


def to_spark_type(schema: Any) -> T.DataType:
    """The Spark type of values of the parsed Avro ``schema`` (fastavro's parsed form)."""
    return _SparkType({}, ()).convert(schema)[0]


class _SparkType:
    """One conversion: the named types seen so far, and the records being converted (to
    refuse recursion)."""

    def __init__(self, named: dict[str, Any], stack: tuple[str, ...]) -> None:
        self.named = named
        self.stack = stack

    def convert(self, schema: Any) -> tuple[T.DataType, bool]:
        """(type, nullable)."""
        if isinstance(schema, list):
            return self._union(schema)
        if isinstance(schema, str):
            if schema in _PRIMITIVES:
                return _PRIMITIVES[schema], schema == "null"
            return self.convert(self.named[schema])
        kind = schema["type"]
        logical = _logical_type(schema)
        if logical is not None:
            return logical, False
        if kind == "record":
            return self._record(schema), False
        if kind == "enum":
            self.named.setdefault(schema["name"], schema)
            return T.StringType(), False
        if kind == "fixed":
            self.named.setdefault(schema["name"], schema)
            return T.BinaryType(), False
        if kind == "array":
            element, nullable = self.convert(schema["items"])
            return T.ArrayType(element, nullable), False
        if kind == "map":
            value, nullable = self.convert(schema["values"])
            return T.MapType(T.StringType(), value, nullable), False
        return self.convert(kind)

    def _record(self, schema: dict[str, Any]) -> T.DataType:
        name = schema["name"]
        if name in self.stack:
            raise AnalysisException(
                f"Found recursive reference in Avro schema, which can not be processed by "
                f"Spark: {name}",
                "AVRO_INCOMPATIBLE_READ_TYPE",
            )
        self.named.setdefault(name, schema)
        inner = _SparkType(self.named, (*self.stack, name))
        fields = []
        for f in schema["fields"]:
            dtype, nullable = inner.convert(f["type"])
            fields.append(T.StructField(f["name"], dtype, nullable))
        return T.StructType(fields)

    def _union(self, branches: list[Any]) -> tuple[T.DataType, bool]:
        others = [b for b in branches if b != "null"]
        nullable = len(others) < len(branches)
        if len(others) == 1:
            return self.convert(others[0])[0], True
        if sorted(map(str, others)) == ["int", "long"]:
            return T.LongType(), nullable
        if sorted(map(str, others)) == ["double", "float"]:
            return T.DoubleType(), nullable
        members = [
            T.StructField(f"member{i}", self.convert(b)[0], True) for i, b in enumerate(others)
        ]
        return T.StructType(members), nullable


def _logical_type(schema: dict[str, Any]) -> T.DataType | None:
    logical = schema.get("logicalType")
    if logical == "decimal":
        return T.DecimalType(int(schema["precision"]), int(schema.get("scale", 0)))
    return _LOGICAL.get(str(logical)) if logical else None


def to_avro_type(
    dtype: T.DataType, nullable: bool, name: str = "topLevelRecord", namespace: str = ""
) -> Any:
    """Spark's ``SchemaConverters.toAvroType``: the Avro schema ``to_avro`` writes ``dtype`` in."""
    schema = _avro_type(dtype, name, namespace)
    return [schema, "null"] if nullable and not isinstance(dtype, T.NullType) else schema


def _avro_type(dtype: T.DataType, name: str, namespace: str) -> Any:
    simple: dict[type, Any] = {
        T.BooleanType: "boolean",
        T.ByteType: "int",
        T.ShortType: "int",
        T.IntegerType: "int",
        T.LongType: "long",
        T.FloatType: "float",
        T.DoubleType: "double",
        T.StringType: "string",
        T.BinaryType: "bytes",
        T.NullType: "null",
        T.DateType: {"type": "int", "logicalType": "date"},
        T.TimestampType: {"type": "long", "logicalType": "timestamp-micros"},
        T.TimestampNTZType: {"type": "long", "logicalType": "local-timestamp-micros"},
    }
    if type(dtype) in simple:
        return simple[type(dtype)]
    qualified = f"{namespace}.{name}" if namespace else name
    if isinstance(dtype, T.DecimalType):
        return {
            "type": "fixed",
            "name": f"{qualified}.fixed",
            "size": _decimal_bytes(dtype.precision),
            "logicalType": "decimal",
            "precision": dtype.precision,
            "scale": dtype.scale,
        }
    if isinstance(dtype, T.ArrayType):
        items = to_avro_type(dtype.elementType, dtype.containsNull, name, namespace)
        return {"type": "array", "items": items}
    if isinstance(dtype, T.MapType):
        values = to_avro_type(dtype.valueType, dtype.valueContainsNull, name, namespace)
        return {"type": "map", "values": values}
    if isinstance(dtype, T.StructType):
        fields = [
            {"name": f.name, "type": to_avro_type(f.dataType, f.nullable, f.name, qualified)}
            for f in dtype.fields
        ]
        record: dict[str, Any] = {"type": "record", "name": name, "fields": fields}
        if namespace:
            record["namespace"] = namespace
        return record
    raise AnalysisException(
        f"Cannot convert SQL type {dtype.simpleString()} to Avro.", "UNSUPPORTED_DATA_TYPE"
    )


def _decimal_bytes(precision: int) -> int:
    """The fewest bytes whose two's complement holds ``precision`` decimal digits (Spark's
    ``minBytesForPrecision``)."""
    size = 1
    while 2 ** (8 * size - 1) < 10**precision:
        size += 1
    return size
