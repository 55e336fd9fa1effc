"""PROTOBUF: the columns as a proto3 message (``ConnectDefault1`` in package
``io.confluent.ksql.proto``, as ksqlDB names it), built as a descriptor (no .proto text to
parse) for the engine's ``from_protobuf`` / ``to_protobuf``: values framed with the registry
id of the file, which ``to_protobuf`` registers under ``<topic>-value``. proto3 fields have no
presence: a null is written as the type's default, as ksqlDB's default nullable representation
does."""

from __future__ import annotations

from google.protobuf import descriptor_pb2

from kaspar.ksql.errors import KsqlError
from kaspar.ksql.statements import ColumnDef
from kaspar.ksql.types import struct_fields

PACKAGE = "io.confluent.ksql.proto"
MESSAGE = "ConnectDefault1"
Field = descriptor_pb2.FieldDescriptorProto
SCALARS = {
    "BOOLEAN": Field.TYPE_BOOL,
    "INTEGER": Field.TYPE_INT32,
    "BIGINT": Field.TYPE_INT64,
    "DOUBLE": Field.TYPE_DOUBLE,
    "STRING": Field.TYPE_STRING,
    "BYTES": Field.TYPE_BYTES,
}


def descriptor_set(columns: list[ColumnDef] | tuple[ColumnDef, ...]) -> bytes:
    """A serialized FileDescriptorSet holding the message of ``columns``."""
    file = descriptor_pb2.FileDescriptorProto(
        name="ksql_value.proto", package=PACKAGE, syntax="proto3"
    )
    message = file.message_type.add(name=MESSAGE)
    for number, column in enumerate(columns, start=1):
        _add_field(message, column.name, column.type.ksql, number, f".{PACKAGE}.{MESSAGE}")
    serialized: bytes = descriptor_pb2.FileDescriptorSet(file=[file]).SerializeToString()
    return serialized


def _add_field(
    message: descriptor_pb2.DescriptorProto, name: str, ksql: str, number: int, scope: str
) -> None:
    field = message.field.add(name=name, number=number, label=Field.LABEL_OPTIONAL)
    if ksql.startswith("ARRAY<"):
        field.label = Field.LABEL_REPEATED
        ksql = ksql[6:-1]
        if ksql.startswith(("ARRAY<", "MAP<")):
            raise KsqlError(f"PROTOBUF has no nested repeated fields: {name} {ksql}")
    if ksql in SCALARS:
        field.type = SCALARS[ksql]
        return
    nested = message.nested_type.add(name=f"{name.capitalize()}Type")
    field.type, field.type_name = Field.TYPE_MESSAGE, f"{scope}.{nested.name}"
    if ksql.startswith("MAP<STRING, "):
        field.label = Field.LABEL_REPEATED
        nested.name = f"{name.capitalize()}Entry"
        field.type_name = f"{scope}.{nested.name}"
        nested.options.map_entry = True
        _add_field(nested, "key", "STRING", 1, f"{scope}.{nested.name}")
        _add_field(nested, "value", ksql[12:-1], 2, f"{scope}.{nested.name}")
    elif ksql.startswith("STRUCT<"):
        for i, (field_name, field_type) in enumerate(struct_fields(ksql[7:-1]), start=1):
            _add_field(nested, field_name, field_type, i, f"{scope}.{nested.name}")
    else:
        raise KsqlError(f"kaspar.ksql has no PROTOBUF type for {ksql} yet ({name})")
