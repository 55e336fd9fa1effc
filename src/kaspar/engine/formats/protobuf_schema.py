"""Protobuf descriptors: loaded from a descriptor set (``protoc --descriptor_set_out
--include_imports``) or from the registry's serialized ``FileDescriptorProto``, and their Spark
types as Spark's ``SchemaConverters`` (spark-protobuf) gives them.

Types: int32/sint32/sfixed32/uint32/fixed32 → int, the 64-bit ones → bigint, float, double,
bool, string, bytes → binary, enum → string, a message → struct, repeated → array, a map field
→ map, ``google.protobuf.Timestamp`` → timestamp. Every field is nullable. A recursive message is
refused, as Spark refuses it by default (``recursive.fields.max.depth`` unset).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import DecodeError

from kaspar.engine import types as T
from kaspar.errors import AnalysisException

TIMESTAMP = "google.protobuf.Timestamp"
_SCALARS: dict[int, T.DataType] = {
    FieldDescriptor.TYPE_INT32: T.IntegerType(),
    FieldDescriptor.TYPE_SINT32: T.IntegerType(),
    FieldDescriptor.TYPE_SFIXED32: T.IntegerType(),
    FieldDescriptor.TYPE_UINT32: T.IntegerType(),
    FieldDescriptor.TYPE_FIXED32: T.IntegerType(),
    FieldDescriptor.TYPE_INT64: T.LongType(),
    FieldDescriptor.TYPE_SINT64: T.LongType(),
    FieldDescriptor.TYPE_SFIXED64: T.LongType(),
    FieldDescriptor.TYPE_UINT64: T.LongType(),
    FieldDescriptor.TYPE_FIXED64: T.LongType(),
    FieldDescriptor.TYPE_FLOAT: T.FloatType(),
    FieldDescriptor.TYPE_DOUBLE: T.DoubleType(),
    FieldDescriptor.TYPE_BOOL: T.BooleanType(),
    FieldDescriptor.TYPE_STRING: T.StringType(),
    FieldDescriptor.TYPE_BYTES: T.BinaryType(),
    FieldDescriptor.TYPE_ENUM: T.StringType(),
}


def descriptor_set(path: str | None, binary: bytes | None) -> descriptor_pb2.FileDescriptorSet:
    """The descriptor set in ``binary`` or in the file at ``path``."""
    data = binary if binary is not None else Path(path or "").read_bytes()
    files = descriptor_pb2.FileDescriptorSet()
    try:
        files.ParseFromString(data)
    except DecodeError as e:
        raise AnalysisException(
            f"Error parsing the Protobuf descriptor set: {e}", "CANNOT_PARSE_PROTOBUF_DESCRIPTOR"
        ) from None
    return files


def build_pool(files: list[descriptor_pb2.FileDescriptorProto]) -> descriptor_pool.DescriptorPool:
    """A pool holding ``files`` (their imports first; imports missing from ``files``, such as
    the well-known types, from protobuf's default pool)."""
    pool = descriptor_pool.DescriptorPool()
    by_name = {f.name: f for f in files}
    added: set[str] = set()

    def add(name: str) -> None:
        if name in added:
            return
        added.add(name)
        proto = by_name.get(name)
        if proto is None:
            proto = descriptor_pb2.FileDescriptorProto()
            descriptor_pool.Default().FindFileByName(name).CopyToProto(proto)
        for dependency in proto.dependency:
            add(dependency)
        pool.Add(proto)

    for f in files:
        add(f.name)
    return pool


def find_message(
    pool: descriptor_pool.DescriptorPool, names: list[str], name: str | None
) -> Descriptor:
    """The message ``name`` (full or simple name) among the files ``names``; the first
    message of the last file when ``name`` is None."""
    if name is None:
        return pool.FindFileByName(names[-1]).message_types_by_name.values()[0]
    try:
        return pool.FindMessageTypeByName(name)
    except KeyError:
        pass
    for file_name in names:
        for message in pool.FindFileByName(file_name).message_types_by_name.values():
            if message.name == name:
                return message
    raise AnalysisException(
        f"Unable to locate Message '{name}' in Descriptor.", "PROTOBUF_DESCRIPTOR_NOT_FOUND"
    )


def is_map(field: FieldDescriptor) -> bool:
    message = field.message_type
    return message is not None and message.GetOptions().map_entry


def to_spark_type(message: Descriptor, stack: tuple[str, ...] = ()) -> T.StructType:
    """The Spark struct of ``message``."""
    if message.full_name in stack:
        raise AnalysisException(
            f"Found recursive reference in Protobuf schema, which can not be processed by "
            f"Spark by default: {message.full_name}",
            "RECURSIVE_PROTOBUF_SCHEMA",
        )
    inner = (*stack, message.full_name)
    return T.StructType(
        [T.StructField(f.name, _field_type(f, inner), True) for f in message.fields]
    )


def _field_type(field: FieldDescriptor, stack: tuple[str, ...]) -> T.DataType:
    if is_map(field):
        key, value = (
            field.message_type.fields_by_name["key"],
            field.message_type.fields_by_name["value"],
        )
        return T.MapType(_single_type(key, stack), _single_type(value, stack), True)
    single = _single_type(field, stack)
    return T.ArrayType(single, True) if is_repeated(field) else single


def is_repeated(field: FieldDescriptor) -> bool:
    return bool(field.is_repeated)


def _single_type(field: FieldDescriptor, stack: tuple[str, ...]) -> T.DataType:
    if field.type in _SCALARS:
        return _SCALARS[field.type]
    message: Any = field.message_type
    if message.full_name == TIMESTAMP:
        return T.TimestampType()
    return to_spark_type(message, stack)
