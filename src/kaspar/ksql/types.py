"""ksqlDB's SQL types, as written in ``CREATE`` column lists and shown in schemas, and their
Spark counterparts (the engine's types)."""

from __future__ import annotations

from dataclasses import dataclass

from kaspar.engine.types import (
    ArrayType,
    BinaryType,
    BooleanType,
    DataType,
    DateType,
    DecimalType,
    DoubleType,
    FloatType,
    IntegerType,
    LongType,
    MapType,
    ShortType,
    StringType,
    StructType,
    TimestampType,
)

# ksqlDB's name -> (the name it shows, Spark's DDL name)
PRIMITIVES = {
    "BOOLEAN": ("BOOLEAN", "BOOLEAN"),
    "INT": ("INTEGER", "INT"),
    "INTEGER": ("INTEGER", "INT"),
    "BIGINT": ("BIGINT", "BIGINT"),
    "DOUBLE": ("DOUBLE", "DOUBLE"),
    "STRING": ("STRING", "STRING"),
    "VARCHAR": ("STRING", "STRING"),
    "BYTES": ("BYTES", "BINARY"),
    "DATE": ("DATE", "DATE"),
    "TIME": ("TIME", "STRING"),
    "TIMESTAMP": ("TIMESTAMP", "TIMESTAMP"),
}


@dataclass(frozen=True)
class KsqlType:
    """A column type: ``ksql`` as ksqlDB shows it (``ARRAY<INTEGER>``), ``spark`` as a DDL
    type the engine parses (``ARRAY<INT>``)."""

    ksql: str
    spark: str


def primitive(name: str) -> KsqlType | None:
    found = PRIMITIVES.get(name.upper())
    return None if found is None else KsqlType(*found)


def array_of(element: KsqlType) -> KsqlType:
    return KsqlType(f"ARRAY<{element.ksql}>", f"ARRAY<{element.spark}>")


def map_of(key: KsqlType, value: KsqlType) -> KsqlType:
    return KsqlType(f"MAP<{key.ksql}, {value.ksql}>", f"MAP<{key.spark}, {value.spark}>")


def struct_of(fields: list[tuple[str, KsqlType]]) -> KsqlType:
    ksql = ", ".join(f"`{n}` {t.ksql}" for n, t in fields)
    spark = ", ".join(f"`{n}`: {t.spark}" for n, t in fields)
    return KsqlType(f"STRUCT<{ksql}>", f"STRUCT<{spark}>")


def decimal(precision: int, scale: int) -> KsqlType:
    return KsqlType(f"DECIMAL({precision}, {scale})", f"DECIMAL({precision},{scale})")


def from_spark(data_type: DataType) -> KsqlType:
    """The ksqlDB type of an engine type (a derived column's type in a schema)."""
    simple: list[tuple[type[DataType], str]] = [
        (BooleanType, "BOOLEAN"),
        (IntegerType, "INTEGER"),
        (ShortType, "INTEGER"),
        (LongType, "BIGINT"),
        (DoubleType, "DOUBLE"),
        (FloatType, "DOUBLE"),
        (StringType, "STRING"),
        (BinaryType, "BYTES"),
        (DateType, "DATE"),
        (TimestampType, "TIMESTAMP"),
    ]
    for cls, name in simple:
        if isinstance(data_type, cls):
            return KsqlType(name, data_type.simpleString().upper())
    if isinstance(data_type, DecimalType):
        return decimal(data_type.precision, data_type.scale)
    if isinstance(data_type, ArrayType):
        return array_of(from_spark(data_type.elementType))
    if isinstance(data_type, MapType):
        return map_of(from_spark(data_type.keyType), from_spark(data_type.valueType))
    if isinstance(data_type, StructType):
        return struct_of([(f.name, from_spark(f.dataType)) for f in data_type.fields])
    return KsqlType("STRING", "STRING")


def struct_fields(inner: str) -> list[tuple[str, str]]:
    """``\\`A\\` INTEGER, \\`B\\` STRUCT<...>`` -> [(A, INTEGER), (B, STRUCT<...>)]."""
    fields, depth, current = [], 0, ""
    for char in inner + ",":
        if char == "," and depth == 0:
            name, _, field_type = current.strip().partition(" ")
            fields.append((name.strip("`"), field_type.strip()))
            current = ""
            continue
        depth += {"<": 1, ">": -1, "(": 1, ")": -1}.get(char, 0)
        current += char
    return fields
