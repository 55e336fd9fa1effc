"""A `FileDescriptorProto` written back as `.proto` text.

confluent-kafka's serializer registers a base64 descriptor; Confluent's registry answers with
`.proto` text unless `format=serialized` is asked, so the registry renders it: syntax, package,
imports, messages (nested), enums, fields with labels, `map<K, V>` (entries folded back), and
oneofs. Type names are written fully qualified (`.pkg.Type`), which protobuf accepts anywhere.
"""

from __future__ import annotations

from google.protobuf import descriptor_pb2

from kaspar.registry.formats.proto_parser import SCALARS

FieldProto = descriptor_pb2.FieldDescriptorProto
SCALAR_NAMES = {number: name for name, number in SCALARS.items()}
INDENT = "  "


def print_proto(file: descriptor_pb2.FileDescriptorProto) -> str:
    lines = [f'syntax = "{file.syntax or "proto2"}";']
    if file.package:
        lines.append(f"package {file.package};")
    lines += [f'import "{dependency}";' for dependency in file.dependency]
    for enum in file.enum_type:
        lines += _enum(enum, 0)
    for message in file.message_type:
        lines += _message(message, file.syntax or "proto2", 0)
    return "\n".join(lines) + "\n"


def _enum(enum: descriptor_pb2.EnumDescriptorProto, depth: int) -> list[str]:
    pad = INDENT * depth
    body = [f"{pad}{INDENT}{value.name} = {value.number};" for value in enum.value]
    return [f"{pad}enum {enum.name} {{", *body, f"{pad}}}"]


def _message(message: descriptor_pb2.DescriptorProto, syntax: str, depth: int) -> list[str]:
    pad = INDENT * depth
    entries = {nested.name: nested for nested in message.nested_type if nested.options.map_entry}
    lines = [f"{pad}message {message.name} {{"]
    for nested in message.nested_type:
        if nested.name not in entries:
            lines += _message(nested, syntax, depth + 1)
    for enum in message.enum_type:
        lines += _enum(enum, depth + 1)
    real_oneofs = {
        f.oneof_index for f in message.field if f.HasField("oneof_index") and not f.proto3_optional
    }
    for field in message.field:
        if not field.HasField("oneof_index") or field.proto3_optional:
            lines.append(f"{pad}{INDENT}{_field(field, syntax, entries)}")
    for index in sorted(real_oneofs):
        lines.append(f"{pad}{INDENT}oneof {message.oneof_decl[index].name} {{")
        for field in message.field:
            if field.HasField("oneof_index") and field.oneof_index == index:
                lines.append(f"{pad}{INDENT * 2}{_field(field, syntax, entries, in_oneof=True)}")
        lines.append(f"{pad}{INDENT}}}")
    return [*lines, f"{pad}}}"]


def _field(
    field: descriptor_pb2.FieldDescriptorProto,
    syntax: str,
    entries: dict[str, descriptor_pb2.DescriptorProto],
    in_oneof: bool = False,
) -> str:
    entry = entries.get(field.type_name.rsplit(".", 1)[-1]) if field.type_name else None
    if entry is not None and field.label == FieldProto.LABEL_REPEATED:
        key, value = entry.field[0], entry.field[1]
        return f"map<{_type(key)}, {_type(value)}> {field.name} = {field.number};"
    label = ""
    if field.label == FieldProto.LABEL_REPEATED:
        label = "repeated "
    elif field.label == FieldProto.LABEL_REQUIRED:
        label = "required "
    elif not in_oneof and (syntax == "proto2" or field.proto3_optional):
        label = "optional "
    return f"{label}{_type(field)} {field.name} = {field.number};"


def _type(field: descriptor_pb2.FieldDescriptorProto) -> str:
    if field.type_name:
        return str(field.type_name)
    return SCALAR_NAMES.get(field.type, "bytes")
