"""`.proto` text rendered from descriptors reads back as the same schema."""

from __future__ import annotations

from google.protobuf import descriptor_pb2, timestamp_pb2

from kaspar.registry.compatibility import check_compatibility
from kaspar.registry.formats.proto_parser import parse_proto
from kaspar.registry.formats.proto_printer import print_proto
from tests.unit.registry.test_proto_parser import SCHEMA


def same_schema(
    a: descriptor_pb2.FileDescriptorProto, b: descriptor_pb2.FileDescriptorProto
) -> bool:
    return not check_compatibility("FULL", a, [b])


def test_parsed_text_printed_and_parsed_again() -> None:
    file = parse_proto(SCHEMA)
    text = print_proto(file)
    assert "map<string, int64> totals = 2;" in text
    assert "oneof payment {" in text
    assert "optional bool gift = 6;" in text
    assert same_schema(parse_proto(text), file)


def test_a_protoc_descriptor_renders() -> None:
    file = descriptor_pb2.FileDescriptorProto()
    timestamp_pb2.DESCRIPTOR.CopyToProto(file)
    text = print_proto(file)
    assert "package google.protobuf;" in text
    assert "int64 seconds = 1;" in text
    assert same_schema(parse_proto(text), file)
