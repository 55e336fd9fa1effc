"""Compatibility levels: which earlier versions a new schema is checked against, which way.

BACKWARD: the new schema reads data of the old (reader = new); FORWARD: the old reads the new;
FULL: both. Without `_TRANSITIVE` only the latest version counts, with it every version; NONE
checks nothing. Soft-deleted versions are never checked against (the caller leaves them out).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from google.protobuf import descriptor_pb2

from kaspar.registry.compatibility.avro import check_avro
from kaspar.registry.compatibility.incompatibility import Incompatibility
from kaspar.registry.compatibility.json_schema import check_json_schema
from kaspar.registry.compatibility.protobuf import check_protobuf
from kaspar.registry.formats.avro import AvroSchema
from kaspar.registry.formats.json_schema import JsonSchemaDocument


def check_pair(reader: Any, writer: Any, reader_is_new: bool) -> list[Incompatibility]:
    """Why `reader` cannot read `writer`'s data; both parsed in the same format."""
    if isinstance(reader, AvroSchema) and isinstance(writer, AvroSchema):
        return check_avro(reader, writer, reader_is_new)
    if isinstance(reader, JsonSchemaDocument) and isinstance(writer, JsonSchemaDocument):
        return check_json_schema(reader, writer, reader_is_new)
    if isinstance(reader, descriptor_pb2.FileDescriptorProto) and isinstance(
        writer, descriptor_pb2.FileDescriptorProto
    ):
        return check_protobuf(reader, writer, reader_is_new)
    return [Incompatibility("TYPE_MISMATCH", "/", "schema type changed", "schemaType")]


def check_compatibility(level: str, new: Any, previous: Sequence[Any]) -> list[Incompatibility]:
    """Incompatibilities of `new` with `previous` (oldest first, parsed) under `level`."""
    if level == "NONE" or not previous:
        return []
    against = previous if level.endswith("_TRANSITIVE") else previous[-1:]
    direction = level.removesuffix("_TRANSITIVE")
    found: list[Incompatibility] = []
    for old in reversed(against):
        if direction in ("BACKWARD", "FULL"):
            found += check_pair(new, old, reader_is_new=True)
        if direction in ("FORWARD", "FULL"):
            found += check_pair(old, new, reader_is_new=False)
        if found:
            break
    return found
