"""Protobuf compatibility: can the reader's messages parse bytes the writer's produce?

Confluent's rules, checked on `FileDescriptorProto`s (writer's declarations against the
reader's, matched by full name and field number):

1. The package must not change; a message or enum the writer declares must still exist.
2. A field kept (same number) keeps its kind (scalar, message, enum), its named type, and a
   scalar type within one wire-compatible group; `repeated` is neither added nor removed.
3. A field must not move into a oneof the writer already had; required fields are neither
   added nor removed. Added, removed (optional) and renamed fields are compatible.
"""

from __future__ import annotations

from collections.abc import Iterator

from google.protobuf import descriptor_pb2

from kaspar.registry.compatibility.incompatibility import Incompatibility

FieldProto = descriptor_pb2.FieldDescriptorProto
WIRE_GROUPS: tuple[set[int], ...] = (
    # int32/uint32/int64/uint64/bool share the varint encoding; Confluent accepts them as one
    {
        FieldProto.TYPE_INT32,
        FieldProto.TYPE_UINT32,
        FieldProto.TYPE_INT64,
        FieldProto.TYPE_UINT64,
        FieldProto.TYPE_BOOL,
    },
    {FieldProto.TYPE_SINT32, FieldProto.TYPE_SINT64},
    {FieldProto.TYPE_FIXED32, FieldProto.TYPE_SFIXED32},
    {FieldProto.TYPE_FIXED64, FieldProto.TYPE_SFIXED64},
    {FieldProto.TYPE_STRING, FieldProto.TYPE_BYTES},
)
NAMED = (FieldProto.TYPE_MESSAGE, FieldProto.TYPE_ENUM, FieldProto.TYPE_GROUP)


def _messages(
    file: descriptor_pb2.FileDescriptorProto,
) -> Iterator[tuple[str, descriptor_pb2.DescriptorProto]]:
    def walk(
        messages: list[descriptor_pb2.DescriptorProto], scope: str
    ) -> Iterator[tuple[str, descriptor_pb2.DescriptorProto]]:
        for message in messages:
            name = f"{scope}.{message.name}" if scope else message.name
            yield name, message
            yield from walk(list(message.nested_type), name)

    yield from walk(list(file.message_type), file.package)


def _enums(file: descriptor_pb2.FileDescriptorProto) -> set[str]:
    prefix = f"{file.package}." if file.package else ""
    found = {prefix + enum.name for enum in file.enum_type}
    for name, message in _messages(file):
        found.update(f"{name}.{enum.name}" for enum in message.enum_type)
    return found


def check_protobuf(
    reader: descriptor_pb2.FileDescriptorProto,
    writer: descriptor_pb2.FileDescriptorProto,
    reader_is_new: bool,
) -> list[Incompatibility]:
    """Every reason `reader` cannot parse what `writer` wrote (empty: compatible)."""
    found: list[Incompatibility] = []
    if reader.package != writer.package:
        found.append(Incompatibility("PACKAGE_CHANGED", "#/", "package changed", reader.package))
    read_messages = dict(_messages(reader))
    for name, message in _messages(writer):
        if name not in read_messages:
            found.append(Incompatibility("MESSAGE_REMOVED", f"#/{name}", "message removed", name))
        else:
            found.extend(_check_message(read_messages[name], message, name))
    for name in sorted(_enums(writer) - _enums(reader)):
        found.append(Incompatibility("ENUM_REMOVED", f"#/{name}", "enum removed", name))
    return found


def _check_message(
    reader: descriptor_pb2.DescriptorProto, writer: descriptor_pb2.DescriptorProto, name: str
) -> Iterator[Incompatibility]:
    read_fields = {field.number: field for field in reader.field}
    written_fields = {field.number: field for field in writer.field}
    writer_oneofs = {oneof.name for oneof in writer.oneof_decl}
    for number, field in read_fields.items():
        path = f"#/{name}/{number}"
        old = written_fields.get(number)
        if old is None:
            if field.label == FieldProto.LABEL_REQUIRED:
                yield Incompatibility(
                    "REQUIRED_FIELD_ADDED", path, "required field added", field.name
                )
            continue
        yield from _check_field(field, old, path)
        if field.HasField("oneof_index") and not old.HasField("oneof_index"):
            oneof = reader.oneof_decl[field.oneof_index].name
            if oneof in writer_oneofs:
                yield Incompatibility(
                    "FIELD_MOVED_TO_EXISTING_ONEOF",
                    path,
                    "field moved into an existing oneof",
                    field.name,
                )
    for number, old in written_fields.items():
        if number not in read_fields and old.label == FieldProto.LABEL_REQUIRED:
            yield Incompatibility(
                "REQUIRED_FIELD_REMOVED", f"#/{name}/{number}", "required field removed", old.name
            )


def _check_field(
    field: descriptor_pb2.FieldDescriptorProto, old: descriptor_pb2.FieldDescriptorProto, path: str
) -> Iterator[Incompatibility]:
    new_named, old_named = field.type in NAMED, old.type in NAMED
    if new_named != old_named or (new_named and field.type != old.type):
        yield Incompatibility("FIELD_KIND_CHANGED", path, "field kind changed", field.name)
    elif new_named and field.type_name.lstrip(".") != old.type_name.lstrip("."):
        yield Incompatibility("FIELD_NAMED_TYPE_CHANGED", path, "field type changed", field.name)
    elif not new_named and field.type != old.type and not _same_wire_group(field.type, old.type):
        yield Incompatibility("FIELD_SCALAR_KIND_CHANGED", path, "field type changed", field.name)
    if (field.label == FieldProto.LABEL_REPEATED) != (old.label == FieldProto.LABEL_REPEATED):
        yield Incompatibility("FIELD_LABEL_CHANGED", path, "repeated added or removed", field.name)


def _same_wire_group(a: int, b: int) -> bool:
    return any(a in group and b in group for group in WIRE_GROUPS)
