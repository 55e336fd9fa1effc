"""Protobuf schemas: `.proto` text, or a base64 `FileDescriptorProto` as confluent-kafka sends."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence

from google.protobuf import descriptor_pb2
from google.protobuf.message import DecodeError

from kaspar.registry.formats.proto_parser import ProtoSyntaxError, parse_proto
from kaspar.registry.formats.proto_printer import print_proto


def parse_protobuf(
    text: str, imports: Sequence[descriptor_pb2.FileDescriptorProto] = ()
) -> descriptor_pb2.FileDescriptorProto:
    """`text` as a FileDescriptorProto; raises ValueError if it is neither form."""
    if "{" not in text and ";" not in text:
        try:
            file = descriptor_pb2.FileDescriptorProto.FromString(
                base64.b64decode(text.strip(), validate=True)
            )
        except (binascii.Error, DecodeError, ValueError) as exc:
            raise ValueError(f"Invalid schema: not .proto text nor a descriptor ({exc})") from exc
        return file
    try:
        return parse_proto(text, imports)
    except ProtoSyntaxError as exc:
        raise ValueError(f"Invalid schema: {exc}") from exc


def protobuf_canonical_form(text: str) -> str:
    """The parsed file without its name, serialised deterministically, in base64."""
    try:
        file = parse_protobuf(text)
    except ValueError:
        return text
    file.ClearField("name")
    return base64.b64encode(file.SerializeToString(deterministic=True)).decode()


def as_text(text: str) -> str:
    """The schema as `.proto` text: as registered, or rendered from a base64 descriptor."""
    if "{" in text or ";" in text:
        return text
    try:
        return print_proto(parse_protobuf(text))
    except ValueError:
        return text


def serialized(text: str) -> str:
    """The schema in `format=serialized`: a base64 FileDescriptorProto."""
    return base64.b64encode(parse_protobuf(text).SerializeToString()).decode()
