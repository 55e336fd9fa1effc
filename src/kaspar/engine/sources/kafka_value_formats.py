"""``valueFormat`` / ``keyFormat`` of the Kafka source: registry-framed values decoded into
columns as the records are read, so ``value`` (or ``key``) is a struct, not binary.

Options (names matched case-insensitively, as Spark's source options):

* ``valueFormat`` / ``keyFormat``: ``avro`` or ``protobuf`` (default ``binary``: unchanged).
  ksqlDB's ``VALUE_FORMAT`` / ``KEY_FORMAT``, in the camel case of Spark's Kafka options.
* ``schema.registry.url`` (Confluent's clients, ksqlDB), or Databricks' ``schema.registry.address``
  / ``schemaRegistryAddress``: the registry whose schema ids the values carry. Required.
* ``valueSubject`` / ``keySubject``: the subject whose latest schema is the reader schema (it
  gives the column's type); default ``<topic>-value`` / ``<topic>-key`` (Confluent's
  TopicNameStrategy) for one subscribed topic.
* ``valueSchema`` / ``keySchema`` (Avro): a reader schema given as JSON instead of a subject;
  ``valueMessageName`` / ``keyMessageName`` (Protobuf): the message of the subject's file.
* ``mode``: FAILFAST (default, as ``from_avro``) or PERMISSIVE (a value that does not decode is
  NULL).

Each value is decoded with the writer schema its id names, resolved to the reader schema
(``formats/avro_decoding.py``, ``formats/protobuf_codec.py``), one Arrow batch at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import pyarrow as pa

from kaspar.engine.formats.avro_decoding import AvroDecoder
from kaspar.engine.formats.parse_mode import parse_mode
from kaspar.engine.formats.protobuf_codec import ProtobufDecoder, reader_message
from kaspar.engine.formats.registry_options import RegistryOptions, registry_options
from kaspar.errors import IllegalArgumentException

Decoder = Callable[[pa.Array | pa.ChunkedArray], pa.Array]
FORMATS = ("binary", "avro", "protobuf")


@dataclass(frozen=True)
class RecordDecoding:
    """The decoders of the ``key`` and ``value`` columns (those with a format)."""

    decoders: dict[str, tuple[Decoder, pa.DataType]]

    def schema(self, schema: pa.Schema) -> pa.Schema:
        """The source's schema with the decoded columns' types."""
        for name, (_, arrow_type) in self.decoders.items():
            index = schema.get_field_index(name)
            schema = schema.set(index, pa.field(name, arrow_type))
        return schema

    def apply(self, table: pa.Table) -> pa.Table:
        """``table`` (the Kafka source's columns) with the key / value columns decoded."""
        for name, (decode, arrow_type) in self.decoders.items():
            index = table.schema.get_field_index(name)
            column = table.column(index)
            values = decode(column) if len(column) else pa.array([], arrow_type)
            table = table.set_column(index, pa.field(name, arrow_type), values)
        return table


def record_decoding(options: dict[str, str], topics: tuple[str, ...]) -> RecordDecoding | None:
    """The decoding the options ask for (keys lower-cased), or None."""
    decoders = {}
    for column in ("key", "value"):
        fmt = options.get(f"{column}format", "binary").lower()
        if fmt not in FORMATS:
            raise IllegalArgumentException(
                f"Unsupported {column}Format '{fmt}'. Supported: {', '.join(FORMATS)}."
            )
        if fmt != "binary":
            decoders[column] = _decoder(fmt, column, options, topics)
    return RecordDecoding(decoders) if decoders else None


def _decoder(
    fmt: str, column: str, options: dict[str, str], topics: tuple[str, ...]
) -> tuple[Decoder, pa.DataType]:
    registry = registry_options(options)
    if registry is None:
        raise IllegalArgumentException(
            f"{column}Format '{fmt}' needs the option 'schema.registry.url' (the registry "
            "whose schema ids the records carry)."
        )
    mode = parse_mode(f"the Kafka source's {column}Format", options)
    registry = replace(registry, subject=_subject(column, options, topics, registry))
    if fmt == "avro":
        reader = options.get(f"{column}schema")
        if reader is None:
            assert registry.subject is not None
            reader = registry.client().version(registry.subject).schema
        avro = AvroDecoder(reader, mode, registry)
        return avro, avro.arrow_type
    message = reader_message(options.get(f"{column}messagename"), None, None, registry)
    protobuf = ProtobufDecoder(message, mode, registry)
    return protobuf, protobuf.arrow_type


def _subject(
    column: str, options: dict[str, str], topics: tuple[str, ...], registry: RegistryOptions
) -> str | None:
    subject = options.get(f"{column}subject")
    if subject:
        return subject
    if len(topics) == 1:
        return f"{topics[0]}-{column}"
    if options.get(f"{column}schema"):
        return None
    raise IllegalArgumentException(
        f"{column}Format needs the option '{column}Subject' (the subject of the reader schema) "
        f"when the source does not subscribe to exactly one topic (registry {registry.address})."
    )
