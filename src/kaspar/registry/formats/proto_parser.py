"""A parser for the `.proto` text schemas are written in, producing a `FileDescriptorProto`.

The `protobuf` package reads descriptors but not `.proto` text (that is `protoc`'s job), so
this covers the proto2/proto3 subset registry schemas use: `syntax`/`edition`, `package`,
`import`, `message` (nested), `enum`, fields with labels, scalar and named types and numbers,
`map<K, V>`, `oneof`, `reserved`. Options, `extensions`, `extend` and `service` blocks are
skipped. Named field types are resolved to messages or enums with protobuf's scoping rules
(innermost scope first) over this file and the given imported files.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from google.protobuf import descriptor_pb2

FieldProto = descriptor_pb2.FieldDescriptorProto

SCALARS = {
    "double": FieldProto.TYPE_DOUBLE,
    "float": FieldProto.TYPE_FLOAT,
    "int64": FieldProto.TYPE_INT64,
    "uint64": FieldProto.TYPE_UINT64,
    "int32": FieldProto.TYPE_INT32,
    "fixed64": FieldProto.TYPE_FIXED64,
    "fixed32": FieldProto.TYPE_FIXED32,
    "bool": FieldProto.TYPE_BOOL,
    "string": FieldProto.TYPE_STRING,
    "bytes": FieldProto.TYPE_BYTES,
    "uint32": FieldProto.TYPE_UINT32,
    "sfixed32": FieldProto.TYPE_SFIXED32,
    "sfixed64": FieldProto.TYPE_SFIXED64,
    "sint32": FieldProto.TYPE_SINT32,
    "sint64": FieldProto.TYPE_SINT64,
}
LABELS = {
    "optional": FieldProto.LABEL_OPTIONAL,
    "required": FieldProto.LABEL_REQUIRED,
    "repeated": FieldProto.LABEL_REPEATED,
}
TOKEN = re.compile(
    r"""\s+|//[^\n]*|/\*.*?\*/
    |(?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
    |(?P<word>\.?[A-Za-z_][\w.]*|[-+]?(?:0[xX][0-9a-fA-F]+|\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|inf|nan))
    |(?P<symbol>[{}\[\]()<>;,=:-])""",
    re.VERBOSE | re.DOTALL,
)


class ProtoSyntaxError(ValueError):
    """The text is not a `.proto` file this parser understands; the message says where."""


def tokenize(text: str) -> list[str]:
    tokens, position = [], 0
    while position < len(text):
        match = TOKEN.match(text, position)
        if match is None:
            raise ProtoSyntaxError(f"unexpected character {text[position]!r} at {position}")
        position = match.end()
        if match.lastgroup is not None:
            tokens.append(match.group())
    return tokens


class _Tokens:
    def __init__(self, tokens: list[str]) -> None:
        self.tokens, self.index = tokens, 0

    def peek(self) -> str:
        return self.tokens[self.index] if self.index < len(self.tokens) else ""

    def next(self) -> str:
        word = self.peek()
        if not word:
            raise ProtoSyntaxError("unexpected end of schema")
        self.index += 1
        return word

    def expect(self, word: str) -> None:
        got = self.next()
        if got != word:
            raise ProtoSyntaxError(f"expected {word!r}, got {got!r}")

    def skip_statement(self) -> None:
        """Up to and including the next `;` at this nesting, or a balanced `{...}` block."""
        depth = 0
        while True:
            word = self.next()
            if word in ("{", "[", "("):
                depth += 1
            elif word in ("}", "]", ")"):
                depth -= 1
                if depth == 0 and word == "}":
                    return
            elif word == ";" and depth == 0:
                return


def parse_proto(
    text: str, imports: Iterable[descriptor_pb2.FileDescriptorProto] = ()
) -> descriptor_pb2.FileDescriptorProto:
    """`text` as a FileDescriptorProto; raises ProtoSyntaxError."""
    tokens = _Tokens(tokenize(text))
    file = descriptor_pb2.FileDescriptorProto()
    while tokens.peek():
        _parse_file_statement(tokens, file)
    if not file.syntax:
        file.syntax = "proto2"
    _resolve_types(file, list(imports))
    return file


def _parse_file_statement(tokens: _Tokens, file: descriptor_pb2.FileDescriptorProto) -> None:
    keyword = tokens.next()
    if keyword in ("syntax", "edition"):
        tokens.expect("=")
        file.syntax = "editions" if keyword == "edition" else _unquote(tokens.next())
        tokens.expect(";")
    elif keyword == "package":
        file.package = tokens.next()
        tokens.expect(";")
    elif keyword == "import":
        name = tokens.next()
        if name in ("public", "weak"):
            name = tokens.next()
        file.dependency.append(_unquote(name))
        tokens.expect(";")
    elif keyword == "message":
        _parse_message(tokens, file.message_type.add(), file.syntax)
    elif keyword == "enum":
        _parse_enum(tokens, file.enum_type.add())
    elif keyword in ("option", "service", "extend"):
        tokens.skip_statement()
    elif keyword != ";":
        raise ProtoSyntaxError(f"unexpected {keyword!r} at file level")


def _parse_message(tokens: _Tokens, message: descriptor_pb2.DescriptorProto, syntax: str) -> None:
    message.name = tokens.next()
    tokens.expect("{")
    while (word := tokens.peek()) != "}":
        if word == "message":
            tokens.next()
            _parse_message(tokens, message.nested_type.add(), syntax)
        elif word == "enum":
            tokens.next()
            _parse_enum(tokens, message.enum_type.add())
        elif word == "oneof":
            tokens.next()
            _parse_oneof(tokens, message, syntax)
        elif word in ("option", "reserved", "extensions", "extend"):
            tokens.skip_statement()
        elif word == ";":
            tokens.next()
        else:
            _parse_field(tokens, message, syntax, oneof_index=None)
    tokens.expect("}")


def _parse_oneof(tokens: _Tokens, message: descriptor_pb2.DescriptorProto, syntax: str) -> None:
    index = len(message.oneof_decl)
    message.oneof_decl.add().name = tokens.next()
    tokens.expect("{")
    while tokens.peek() != "}":
        if tokens.peek() == "option":
            tokens.skip_statement()
        else:
            _parse_field(tokens, message, syntax, oneof_index=index)
    tokens.expect("}")


def _parse_field(
    tokens: _Tokens, message: descriptor_pb2.DescriptorProto, syntax: str, oneof_index: int | None
) -> None:
    field = message.field.add()
    label = LABELS.get(tokens.peek())
    if label is not None:
        tokens.next()
        if label == FieldProto.LABEL_OPTIONAL and syntax == "proto3":
            field.proto3_optional = True
    field.label = label or FieldProto.LABEL_OPTIONAL
    type_name = tokens.next()
    if type_name == "map":
        type_name = _parse_map_entry(tokens, message)
        field.label = FieldProto.LABEL_REPEATED
    field.name = tokens.next()
    tokens.expect("=")
    field.number = int(tokens.next(), 0)
    if tokens.peek() == "[":
        tokens.skip_statement()
    else:
        tokens.expect(";")
    _set_type(field, type_name)
    if oneof_index is not None:
        field.oneof_index = oneof_index


def _parse_map_entry(tokens: _Tokens, message: descriptor_pb2.DescriptorProto) -> str:
    tokens.expect("<")
    key_type = tokens.next()
    tokens.expect(",")
    value_type = tokens.next()
    tokens.expect(">")
    field_name = tokens.peek()
    entry = message.nested_type.add()
    entry.name = "".join(part.capitalize() for part in field_name.split("_")) + "Entry"
    entry.options.map_entry = True
    for number, (name, type_name) in enumerate((("key", key_type), ("value", value_type)), 1):
        entry_field = entry.field.add(name=name, number=number, label=FieldProto.LABEL_OPTIONAL)
        _set_type(entry_field, type_name)
    return str(entry.name)


def _set_type(field: descriptor_pb2.FieldDescriptorProto, type_name: str) -> None:
    if type_name in SCALARS:
        field.type = SCALARS[type_name]
    else:
        field.type_name = type_name  # resolved by _resolve_types


def _parse_enum(tokens: _Tokens, enum: descriptor_pb2.EnumDescriptorProto) -> None:
    enum.name = tokens.next()
    tokens.expect("{")
    while (word := tokens.peek()) != "}":
        if word in ("option", "reserved"):
            tokens.skip_statement()
        elif word == ";":
            tokens.next()
        else:
            value = enum.value.add(name=tokens.next())
            tokens.expect("=")
            value.number = int(tokens.next(), 0)
            if tokens.peek() == "[":
                tokens.skip_statement()
            else:
                tokens.expect(";")
    tokens.expect("}")


def declared_types(file: descriptor_pb2.FileDescriptorProto) -> dict[str, int]:
    """Full name (with a leading dot) -> TYPE_MESSAGE or TYPE_ENUM, for every type declared."""
    prefix = f".{file.package}" if file.package else ""
    found: dict[str, int] = {}

    def walk(messages: Iterable[descriptor_pb2.DescriptorProto], scope: str) -> None:
        for message in messages:
            name = f"{scope}.{message.name}"
            found[name] = FieldProto.TYPE_MESSAGE
            for enum in message.enum_type:
                found[f"{name}.{enum.name}"] = FieldProto.TYPE_ENUM
            walk(message.nested_type, name)

    for enum in file.enum_type:
        found[f"{prefix}.{enum.name}"] = FieldProto.TYPE_ENUM
    walk(file.message_type, prefix)
    return found


def _resolve_types(
    file: descriptor_pb2.FileDescriptorProto, imports: list[descriptor_pb2.FileDescriptorProto]
) -> None:
    known = declared_types(file)
    for imported in imports:
        known.update(declared_types(imported))
    prefix = f".{file.package}" if file.package else ""

    def walk(messages: Iterable[descriptor_pb2.DescriptorProto], scope: str) -> None:
        for message in messages:
            name = f"{scope}.{message.name}"
            for field in message.field:
                if field.type_name and not field.type_name.startswith("."):
                    field.type_name = _resolve(field.type_name, name, known)
                if field.type_name:
                    field.type = known.get(field.type_name, FieldProto.TYPE_MESSAGE)
            walk(message.nested_type, name)

    walk(file.message_type, prefix)


def _resolve(name: str, scope: str, known: dict[str, int]) -> str:
    parts = scope.split(".")
    while parts:
        candidate = ".".join([*parts, name])
        if candidate in known:
            return candidate
        parts.pop()
    return f".{name}"


def _unquote(word: str) -> str:
    if len(word) < 2 or word[0] not in "\"'" or word[-1] != word[0]:
        raise ProtoSyntaxError(f"expected a quoted string, got {word!r}")
    return str(word[1:-1])
