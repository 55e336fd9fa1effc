"""PySpark's ``pyspark.sql.avro.functions``: ``from_avro`` and ``to_avro``, with Spark's
semantics (plain Avro binary, ``mode`` FAILFAST or PERMISSIVE), plus Databricks' schema
registry options (``schema.registry.address`` / ``schemaRegistryAddress`` /
``schema.registry.url`` and ``schema.registry.subject``), under which values are in
Confluent's wire format. The work is ``kaspar.engine.formats`` over Arrow batches."""

from __future__ import annotations

from sqlglot import exp

from kaspar.engine.formats.avro_decoding import AvroDecoder, reader_schema_text
from kaspar.engine.formats.avro_encoding import AvroEncoder
from kaspar.engine.formats.parse_mode import parse_mode
from kaspar.engine.formats.registry_options import registry_options
from kaspar.engine.types import BinaryType
from kaspar.engine.udf import PythonUDF, register
from kaspar.sql.column import Column, to_expr
from kaspar.sql.functions._invoke import ColumnOrName, names, node


def _registry_settings(
    options: dict[str, str] | None, subject: str | None, address: str | None
) -> dict[str, str]:
    settings = dict(options or {})
    if subject is not None:
        settings["schema.registry.subject"] = subject
    if address is not None:
        settings["schema.registry.address"] = address
    return settings


def from_avro(
    data: ColumnOrName,
    jsonFormatSchema: str | None = None,
    options: dict[str, str] | None = None,
    *,
    subject: str | None = None,
    schemaRegistryAddress: str | None = None,
) -> Column:
    """Avro binary values decoded with ``jsonFormatSchema`` (or, with a registry, with the
    schema each value names, resolved to ``jsonFormatSchema`` or the subject's latest)."""
    settings = _registry_settings(options, subject, schemaRegistryAddress)
    registry = registry_options(settings)
    schema = reader_schema_text(jsonFormatSchema, registry)
    decoder = AvroDecoder(schema, parse_mode("from_avro", settings), registry)
    udf = register(PythonUDF(decoder, decoder.data_type, name="from_avro", arrow=True))
    e = to_expr(data)
    return node(exp.Anonymous(this=udf, expressions=[e]), f"from_avro({names(e)})")


def to_avro(
    data: ColumnOrName,
    jsonFormatSchema: str = "",
    options: dict[str, str] | None = None,
    *,
    subject: str | None = None,
    schemaRegistryAddress: str | None = None,
) -> Column:
    """Values encoded as Avro binary (registry-framed when a registry and subject are named)."""
    settings = _registry_settings(options, subject, schemaRegistryAddress)
    encoder = AvroEncoder(jsonFormatSchema or None, registry_options(settings))
    udf = register(PythonUDF(encoder, BinaryType(), name="to_avro", arrow=True))
    e = to_expr(data)
    return node(exp.Anonymous(this=udf, expressions=[e]), f"to_avro({names(e)})")


__all__ = ["from_avro", "to_avro"]
