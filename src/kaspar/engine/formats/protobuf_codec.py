"""``from_protobuf`` / ``to_protobuf``: binary Protobuf values ↔ a struct column, per Arrow
batch.

Decoding steps per batch:

1. Take the column's bytes as one buffer with offsets (``binary_column``).
2. For each value: with a registry, read the header (magic byte 0, schema id: the id must be
   registered) and the message indexes, and keep the payload after them. Parse the payload with
   the reader message's class (Protobuf's own resolution: fields by number, unknown fields
   skipped). A value that does not parse is malformed: FAILFAST raises Spark's error,
   PERMISSIVE gives NULL.
3. Turn the messages into dicts (``protobuf_values``) and build the Arrow column in one call.

The reader message comes from a descriptor set (``descFilePath`` / ``binaryDescriptorSet``) or,
with a registry and no descriptor set, from the subject's latest schema.
"""

from __future__ import annotations

import base64
from typing import Any

import pyarrow as pa
from google.protobuf import descriptor_pb2, message_factory
from google.protobuf.descriptor import Descriptor
from google.protobuf.message import DecodeError

from kaspar.engine.formats import protobuf_schema as S
from kaspar.engine.formats.binary_column import binary_array, binary_parts
from kaspar.engine.formats.parse_mode import FAILFAST, malformed_record
from kaspar.engine.formats.protobuf_values import fill_message, message_reader
from kaspar.engine.formats.registry_client import RegisteredSchema, SchemaNotFoundError
from kaspar.engine.formats.registry_options import RegistryOptions
from kaspar.engine.formats.wire_format import (
    HEADER_SIZE,
    FramingError,
    frame_header,
    message_indexes,
    message_indexes_at,
    schema_id_at,
)
from kaspar.engine.type_conversion import to_arrow
from kaspar.errors import AnalysisException, SparkRuntimeException

_ERRORS = (DecodeError, FramingError, SchemaNotFoundError, ValueError, RuntimeError)


def registered_files(
    registered: RegisteredSchema, registry: RegistryOptions
) -> list[descriptor_pb2.FileDescriptorProto]:
    """The registered schema's file and its references' files (imports first)."""
    files: list[descriptor_pb2.FileDescriptorProto] = []
    for name, subject, version in registered.references:
        for f in registered_files(registry.client().version(subject, version), registry):
            if f.name not in {g.name for g in files}:
                files.append(f)
        del name
    proto = descriptor_pb2.FileDescriptorProto()
    proto.ParseFromString(base64.b64decode(registered.schema))
    if not proto.name:
        proto.name = f"schema-{registered.schema_id}.proto"
    files.append(proto)
    return files


def reader_message(
    message_name: str | None,
    desc_file_path: str | None,
    binary_descriptor_set: bytes | None,
    registry: RegistryOptions | None,
) -> Descriptor:
    """The message values are read as (or written from)."""
    if desc_file_path is not None or binary_descriptor_set is not None:
        files = list(S.descriptor_set(desc_file_path, binary_descriptor_set).file)
    elif registry is not None and registry.subject is not None:
        latest = registry.client().version(registry.subject)
        files = registered_files(latest, registry)
    else:
        raise AnalysisException(
            "from_protobuf / to_protobuf need descFilePath or binaryDescriptorSet, or the "
            "options 'schema.registry.address' and 'schema.registry.subject'.",
            "PROTOBUF_DESCRIPTOR_NOT_FOUND",
        )
    pool = S.build_pool(files)
    return S.find_message(pool, [f.name for f in files], message_name)


class ProtobufDecoder:
    """Decodes binary Protobuf values as ``message`` (registry-framed with ``registry``)."""

    def __init__(self, message: Descriptor, mode: str, registry: RegistryOptions | None) -> None:
        self.data_type = S.to_spark_type(message)
        self.arrow_type = to_arrow(self.data_type)
        self._parse = message_factory.GetMessageClass(message).FromString
        self._read = message_reader(message)
        self.mode = mode
        self.registry = registry
        self._known: dict[int, bool] = {}

    def __call__(self, column: pa.Array | pa.ChunkedArray) -> pa.Array:
        data, offsets, valid = binary_parts(column)
        rows: list[Any] = []
        for i, is_valid in enumerate(valid):
            row = None
            if is_valid:
                try:
                    row = self._read(self._parse(self._payload(data, offsets[i], offsets[i + 1])))
                except _ERRORS as e:
                    if self.mode == FAILFAST:
                        raise malformed_record(_reason(e)) from None
            rows.append(row)
        return pa.array(rows, type=self.arrow_type)

    def _payload(self, data: bytes, start: int, end: int) -> bytes:
        if self.registry is None:
            return data[start:end]
        schema_id = schema_id_at(data, start, end)
        self._check_registered(schema_id)
        _, position = message_indexes_at(data, start + HEADER_SIZE, end)
        return data[position:end]

    def _check_registered(self, schema_id: int) -> None:
        known = self._known.get(schema_id)
        if known is None:
            assert self.registry is not None
            try:
                self.registry.client().schema_by_id(schema_id)
                known = True
            except SchemaNotFoundError:
                known = False
            self._known[schema_id] = known
        if not known:
            url = self.registry.address if self.registry else ""
            raise SchemaNotFoundError(
                f"schema id {schema_id} is not in the schema registry at {url}"
            )


def _reason(error: BaseException) -> str:
    if isinstance(error, SchemaNotFoundError | FramingError):
        return str(error)
    return f"the value is not a Protobuf message of the reader type ({error})"


def _indexes(message: Descriptor) -> list[int]:
    """The message's path of indexes in its file (Confluent's message indexes)."""
    path: list[int] = []
    current: Any = message
    while current.containing_type is not None:
        parent = current.containing_type
        path.append(list(parent.nested_types).index(current))
        current = parent
    path.append(list(current.file.message_types_by_name.values()).index(current))
    return path[::-1]


class ProtobufEncoder:
    """Encodes a struct column as ``message`` (registry-framed when a subject is named: the
    message's file is registered there as a serialized descriptor)."""

    def __init__(self, message: Descriptor, registry: RegistryOptions | None) -> None:
        self.message = message
        self._class = message_factory.GetMessageClass(message)
        self.registry = registry
        self._header: bytes | None = None

    def _frame(self) -> bytes:
        if self._header is None:
            self._header = b""
            if self.registry is not None and self.registry.subject is not None:
                proto = descriptor_pb2.FileDescriptorProto()
                self.message.file.CopyToProto(proto)
                text = base64.b64encode(proto.SerializeToString()).decode()
                schema_id = self.registry.client().register(self.registry.subject, text, "PROTOBUF")
                self._header = frame_header(schema_id) + message_indexes(_indexes(self.message))
        return self._header

    def __call__(self, column: pa.Array | pa.ChunkedArray) -> pa.Array:
        header = self._frame()
        chunks, offsets, valid, size = [], [0], [], 0
        for row in column.to_pylist():
            if row is not None:
                target = self._class()
                try:
                    fill_message(target, row)
                except (ValueError, TypeError, KeyError, AttributeError) as e:
                    raise SparkRuntimeException(
                        f"Cannot write {row!r} as Protobuf {self.message.full_name}: {e}"
                    ) from None
                value = header + target.SerializeToString()
                chunks.append(value)
                size += len(value)
            valid.append(row is not None)
            offsets.append(size)
        return binary_array(b"".join(chunks), offsets, valid)
