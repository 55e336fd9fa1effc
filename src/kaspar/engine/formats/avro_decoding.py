"""``from_avro``: a binary column of Avro values decoded into a column of Spark's type, one
Arrow batch at a time.

Steps per batch (an Arrow UDF call, or a Kafka source batch):

1. When the reader schema has a program (``avro_columns``) and the C extension is built, decode
   the whole column in C; framed values must name ids whose writer schema is the reader's
   (an id met for the first time is looked up, then the column decoded again). That is the
   result, unless a value is malformed or an id is not the reader's: then steps 2-4.
2. Take the column's bytes as one buffer with offsets (``binary_column``).
3. For each value: when a registry is named, read the 5-byte header (magic byte 0, schema id)
   and take the writer schema with that id (fetched once per id, references included);
   otherwise the writer schema is the reader schema. Read the value with fastavro's
   C-accelerated ``schemaless_reader`` from the shared buffer, resolving the writer schema to
   the reader schema (Avro schema resolution) when they differ. A value that fails, or whose
   read goes past its end, is malformed: FAILFAST raises Spark's error, PERMISSIVE gives NULL.
4. Give the values Spark's shapes (``avro_values``) and build the Arrow column in one call.
"""

from __future__ import annotations

import io
from typing import Any

import fastavro
import pyarrow as pa

from kaspar.engine import types as T
from kaspar.engine.formats.avro_columns import compile_program, decode_column
from kaspar.engine.formats.avro_schema import parse_avro, to_spark_type
from kaspar.engine.formats.avro_values import shape_for_spark
from kaspar.engine.formats.binary_column import binary_parts
from kaspar.engine.formats.parse_mode import FAILFAST, malformed_record
from kaspar.engine.formats.registry_client import RegisteredSchema, SchemaNotFoundError
from kaspar.engine.formats.registry_options import RegistryOptions
from kaspar.engine.formats.wire_format import HEADER_SIZE, FramingError, schema_id_at
from kaspar.engine.type_conversion import to_arrow
from kaspar.errors import AnalysisException

# What fastavro raises on bytes that are not a value of the schema.
DECODE_ERRORS = (
    ValueError,
    EOFError,
    IndexError,
    KeyError,
    TypeError,
    OverflowError,
    StopIteration,
    FramingError,
    SchemaNotFoundError,
)
_UNKNOWN = None  # a schema id the registry does not have (cached as such)


def reader_schema_text(json_format_schema: str | None, registry: RegistryOptions | None) -> str:
    """The reader schema: the one given, else the latest of the registry subject."""
    if json_format_schema:
        return json_format_schema
    if registry is None or registry.subject is None:
        raise AnalysisException(
            "from_avro needs jsonFormatSchema, or the options 'schema.registry.address' and "
            "'schema.registry.subject' to take the subject's latest schema.",
            "AVRO_OPTIONS",
        )
    return registry.client().version(registry.subject).schema


def parse_registered(registered: RegisteredSchema, registry: RegistryOptions) -> Any:
    """A registered Avro schema parsed with the named types of its references."""
    named: dict[str, Any] = {}
    _add_references(registered, registry, named, set())
    return parse_avro(registered.schema, named)


def _add_references(
    registered: RegisteredSchema, registry: RegistryOptions, named: dict[str, Any], seen: set[str]
) -> None:
    for _, subject, version in registered.references:
        key = f"{subject}/{version}"
        if key in seen:
            continue
        seen.add(key)
        reference = registry.client().version(subject, version)
        _add_references(reference, registry, named, seen)
        parse_avro(reference.schema, named)


class AvroDecoder:
    """Decodes binary Avro values (registry-framed when ``registry`` is given)."""

    def __init__(self, reader_schema: str, mode: str, registry: RegistryOptions | None) -> None:
        self.reader = parse_avro(reader_schema)
        self.data_type: T.DataType = to_spark_type(self.reader)
        self.arrow_type = to_arrow(self.data_type)
        self.mode = mode
        self.registry = registry
        self._shape = shape_for_spark(self.reader)
        self._writers: dict[int, Any] = {}
        self._program = compile_program(self.reader)
        self._reader_ids: tuple[int, ...] = ()  # schema ids whose writer schema is the reader

    def __call__(self, column: pa.Array | pa.ChunkedArray) -> pa.Array:
        if self._program is not None:
            decoded = self._decode_in_bulk(column)
            if decoded is not None:
                return decoded
        data, offsets, valid = binary_parts(column)
        records = self._read(data, offsets, valid)
        shape = self._shape
        if shape is not None:
            records = [shape(r) for r in records]
        return pa.array(records, type=self.arrow_type)

    def _decode_in_bulk(self, column: pa.Array | pa.ChunkedArray) -> pa.Array | None:
        """The column decoded in C, or None: fastavro decides (malformed values, other ids)."""
        assert self._program is not None
        framed = self.registry is not None
        while True:
            result = decode_column(self._program, self.arrow_type, column, framed, self._reader_ids)
            if not isinstance(result, int):
                return result
            try:
                if self._writer(result) is not self.reader:
                    return None
            except SchemaNotFoundError:
                return None
            self._reader_ids = (*self._reader_ids, result)

    def _read(self, data: bytes, offsets: list[int], valid: list[bool]) -> list[Any]:
        buffer = io.BytesIO(data)
        read = fastavro.schemaless_reader
        framed = self.registry is not None
        reader, failfast, writers = self.reader, self.mode == FAILFAST, self._writers
        records: list[Any] = []
        append = records.append
        for i, is_valid in enumerate(valid):
            if not is_valid:
                append(None)
                continue
            start, end = offsets[i], offsets[i + 1]
            try:
                writer = reader
                if framed:
                    schema_id = schema_id_at(data, start, end)
                    writer = writers.get(schema_id) or self._writer(schema_id)
                    start += HEADER_SIZE
                buffer.seek(start)
                record = read(buffer, writer, None if writer is reader else reader)
                if buffer.tell() > end:
                    raise EOFError(f"the value ends after its {end - start} bytes")
            except DECODE_ERRORS as e:
                if failfast:
                    raise malformed_record(_reason(e)) from None
                record = None
            append(record)
        return records

    def _writer(self, schema_id: int) -> Any:
        if schema_id in self._writers:
            writer = self._writers[schema_id]
        else:
            assert self.registry is not None
            try:
                registered = self.registry.client().schema_by_id(schema_id)
                writer = parse_registered(registered, self.registry)
            except SchemaNotFoundError:
                writer = _UNKNOWN
            if writer is not _UNKNOWN and _canonical(writer) == _canonical(self.reader):
                writer = self.reader  # the same binary form: no resolution per value
            self._writers[schema_id] = writer
        if writer is _UNKNOWN:
            url = self.registry.address if self.registry else ""
            raise SchemaNotFoundError(
                f"schema id {schema_id} is not in the schema registry at {url}"
            )
        return writer


def _canonical(schema: Any) -> str:
    return str(fastavro.schema.to_parsing_canonical_form(schema))


def _reason(error: BaseException) -> str:
    if isinstance(error, SchemaNotFoundError | FramingError):
        return str(error)
    return f"the value is not Avro of the reader schema ({type(error).__name__}: {error})"
