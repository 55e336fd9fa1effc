"""The `.proto` parser: the proto2/proto3 subset registry schemas use, as FileDescriptorProto."""

from __future__ import annotations

import pytest
from google.protobuf import descriptor_pb2

from kaspar.registry.formats.proto_parser import ProtoSyntaxError, parse_proto

FieldProto = descriptor_pb2.FieldDescriptorProto
SCHEMA = """
// a comment
syntax = "proto3";
package shop.v1;
import "google/protobuf/timestamp.proto";
option java_package = "shop";

message Order {
  /* nested */
  message Line { string sku = 1; int32 qty = 2 [deprecated = true]; }
  enum Status { NEW = 0; PAID = 1; }
  repeated Line lines = 1;
  map<string, int64> totals = 2;
  oneof payment { string card = 3; Status status = 4; }
  google.protobuf.Timestamp at = 5;
  optional bool gift = 6;
  reserved 9, 10;
}
service Shop { rpc Get (Order) returns (Order); }
"""


def test_parses_messages_fields_and_types() -> None:
    file = parse_proto(SCHEMA)
    assert (file.syntax, file.package) == ("proto3", "shop.v1")
    assert list(file.dependency) == ["google/protobuf/timestamp.proto"]
    order = file.message_type[0]
    fields = {f.name: f for f in order.field}
    assert fields["lines"].label == FieldProto.LABEL_REPEATED
    assert fields["lines"].type_name == ".shop.v1.Order.Line"
    assert fields["totals"].type_name == ".shop.v1.Order.TotalsEntry"
    assert fields["status"].type == FieldProto.TYPE_ENUM
    assert fields["status"].oneof_index == 0
    assert fields["at"].type_name == ".google.protobuf.Timestamp"
    assert fields["gift"].proto3_optional
    assert [n.name for n in order.nested_type] == ["Line", "TotalsEntry"]
    assert order.nested_type[1].options.map_entry


@pytest.mark.parametrize("text", ["message {", "message M { int32 a = ; }", "syntax = proto3;"])
def test_malformed_text_is_an_error(text: str) -> None:
    with pytest.raises((ProtoSyntaxError, ValueError)):
        parse_proto(text)
