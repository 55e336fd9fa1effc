"""PySpark's ``pyspark.sql.protobuf.functions``: ``from_protobuf`` and ``to_protobuf`` with a
descriptor set (``descFilePath`` or ``binaryDescriptorSet``), ``mode`` FAILFAST or PERMISSIVE,
plus Databricks' schema registry options (``schema.registry.address`` / ``schema.registry.url``,
``schema.registry.subject``), under which values are in Confluent's wire format. The work is
``kaspar.engine.formats.protobuf_codec`` over Arrow batches."""

from __future__ import annotations

from sqlglot import exp

from kaspar.engine.formats.parse_mode import parse_mode
from kaspar.engine.formats.protobuf_codec import ProtobufDecoder, ProtobufEncoder, reader_message
from kaspar.engine.formats.registry_options import registry_options
from kaspar.engine.types import BinaryType
from kaspar.engine.udf import PythonUDF, register
from kaspar.sql.column import Column, to_expr
from kaspar.sql.functions._invoke import ColumnOrName, names, node


def from_protobuf(
    data: ColumnOrName,
    messageName: str | None = None,
    descFilePath: str | None = None,
    options: dict[str, str] | None = None,
    binaryDescriptorSet: bytes | None = None,
) -> Column:
    """Protobuf binary values parsed as ``messageName`` into a struct."""
    registry = registry_options(options)
    message = reader_message(messageName, descFilePath, binaryDescriptorSet, registry)
    decoder = ProtobufDecoder(message, parse_mode("from_protobuf", options), registry)
    udf = register(PythonUDF(decoder, decoder.data_type, name="from_protobuf", arrow=True))
    e = to_expr(data)
    return node(exp.Anonymous(this=udf, expressions=[e]), f"from_protobuf({names(e)})")


def to_protobuf(
    data: ColumnOrName,
    messageName: str | None = None,
    descFilePath: str | None = None,
    options: dict[str, str] | None = None,
    binaryDescriptorSet: bytes | None = None,
) -> Column:
    """A struct column serialized as Protobuf ``messageName``."""
    registry = registry_options(options)
    message = reader_message(messageName, descFilePath, binaryDescriptorSet, registry)
    encoder = ProtobufEncoder(message, registry)
    udf = register(PythonUDF(encoder, BinaryType(), name="to_protobuf", arrow=True))
    e = to_expr(data)
    return node(exp.Anonymous(this=udf, expressions=[e]), f"to_protobuf({names(e)})")


__all__ = ["from_protobuf", "to_protobuf"]
