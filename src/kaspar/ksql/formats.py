"""ksqlDB's serialization formats as DataFrame expressions, at both ends of a plan: a topic's
raw ``key``/``value`` bytes into typed columns (``decode``), and columns back into bytes
(``encode``). Everything runs in the engine, in bulk.

* ``JSON``: a value is an object of the value columns (``from_json`` / ``to_json``); a key is
  the bare JSON of its one column.
* ``DELIMITED``: the columns joined by ``VALUE_DELIMITER`` (``,``), empty for null.
* ``KAFKA``: Kafka's primitive serializers: STRING as UTF-8, INTEGER and BIGINT big-endian
  two's complement, DOUBLE as 8 big-endian IEEE 754 bytes, BYTES as they are (keys and values).
* A windowed key (a windowed aggregation's output) is the key's bytes and the window start as
  8 big-endian bytes, as Kafka Streams' time-windowed serde writes it.
"""

from __future__ import annotations

import json
import re

from sqlglot import exp

from kaspar.engine.builtins import BUILTINS
from kaspar.ksql import json_sr, protobuf_schema
from kaspar.ksql.avro_schema import avro_schema
from kaspar.ksql.errors import SCHEMA_REGISTRY_NOT_CONFIGURED, KsqlError
from kaspar.ksql.metastore import Source
from kaspar.ksql.statements import ColumnDef
from kaspar.sql import functions as F
from kaspar.sql.avro.functions import from_avro, to_avro
from kaspar.sql.column import Column
from kaspar.sql.dataframe import DataFrame
from kaspar.sql.protobuf.functions import from_protobuf, to_protobuf

KAFKA_TYPES = ("STRING", "INTEGER", "BIGINT", "DOUBLE", "BYTES")
TS = "__TS"  # the event time as a timestamp, for windows; never shown
TOMBSTONE = "__TOMBSTONE"
PARSED = "__PARSED"


def decode(source: Source, raw: DataFrame) -> DataFrame:
    """Kafka's columns (``key``, ``value``, ``timestamp``, ``partition``, ``offset``) into
    the source's columns, ``ROWTIME`` / ``ROWPARTITION`` / ``ROWOFFSET``, the window bounds of
    a windowed key, and the hidden event time and tombstone flag."""
    text = F.col("value").cast("string")
    columns: list[Column] = []
    key_hex = F.hex(F.col("key"))
    if source.window is not None:  # a session's key holds its end, then its start
        session = source.window.kind == "SESSION"
        inner = F.expr(f"substring(hex(key), 1, length(hex(key)) - {32 if session else 16})")
        start = F.conv(F.expr("substring(hex(key), -16, 16)"), 16, 10).cast("bigint")
        end = F.conv(F.expr("substring(hex(key), -32, 16)"), 16, 10).cast("bigint")
        key_hex = inner
        end = end if session else window_end(source, start)
        columns += [start.alias("WINDOWSTART"), end.alias("WINDOWEND")]
    for column in source.key_columns:
        columns.append(decode_key(source.key_format, column, key_hex).alias(column.name))
    columns += decode_values(source, text)
    columns += [decode_header(c).alias(c.name) for c in source.header_columns]
    columns += [
        F.unix_millis(F.col("timestamp")).alias("ROWTIME"),
        F.col("partition").alias("ROWPARTITION"),
        F.col("offset").alias("ROWOFFSET"),
        F.col("value").isNull().alias(TOMBSTONE),
    ]
    parsed = parse_value(source, text)
    if parsed is not None:  # parsed once, in a projection of its own, then taken apart
        kept = ["key", "value", "timestamp", "partition", "offset"]
        kept += ["headers"] if source.header_columns else []
        raw = raw.select(*kept, parsed.alias(PARSED))
    decoded = raw.select(*columns)
    if source.timestamp is not None:  # from a decoded column
        decoded = decoded.withColumn("ROWTIME", _timestamp_column(source))
    return decoded.withColumn(TS, F.timestamp_millis(F.col("ROWTIME")))


def latest_per_key(frame: DataFrame, source: Source) -> DataFrame:
    """The last record per key (and window) by offset; keys whose last record is a tombstone
    are gone."""
    keys = [c.name for c in source.key_columns]
    if source.window is not None:
        keys += ["WINDOWSTART", "WINDOWEND"] if source.window.kind == "SESSION" else ["WINDOWSTART"]
    names = [f.name for f in frame.schema.fields if f.name not in keys]
    row = F.struct(*[F.col(f"`{n}`") for n in names])
    latest = frame.groupBy(*[F.col(f"`{k}`") for k in keys]).agg(
        F.max_by(row, F.col("ROWOFFSET")).alias("__LATEST")
    )
    expanded = latest.select(
        *[F.col(f"`{k}`") for k in keys],
        *[F.col("__LATEST").getField(n).alias(n) for n in names],
    )
    return expanded.filter(~F.col(TOMBSTONE))


def _registry(source: Source) -> str:
    if source.schema_registry is None:
        raise KsqlError(
            f"Cannot use the {source.value_format} format of {source.name}: "
            "'ksql.schema.registry.url' is not "
            "set in the server's config.",
            SCHEMA_REGISTRY_NOT_CONFIGURED,
        )
    return source.schema_registry


def window_end(source: Source, start: Column) -> Column:
    assert source.window is not None
    return start + F.lit(source.window.size_ms)


def _timestamp_column(source: Source) -> Column:
    assert source.timestamp is not None
    names = {c.name: c for c in source.columns}
    column = names.get(source.timestamp)
    if column is None:
        raise KsqlError(
            "The TIMESTAMP column set in the WITH clause does not exist in the schema: "
            f"'{source.timestamp}'"
        )
    if column.type.ksql == "BIGINT":
        return F.col(f"`{column.name}`")
    if column.type.ksql == "TIMESTAMP":
        return F.unix_millis(F.col(f"`{column.name}`"))
    if column.type.ksql == "STRING" and source.timestamp_format:
        return F.unix_millis(F.to_timestamp(F.col(f"`{column.name}`"), source.timestamp_format))
    raise KsqlError(
        f"Timestamp column, `{column.name}`, should be LONG(INT64), TIMESTAMP, or a String with "
        "a timestamp_format specified."
    )


def decode_header(column: ColumnDef) -> Column:
    """A HEADERS column (every header, in order) or HEADER('k') (the last value of k)."""
    headers = F.col("headers")
    if column.header == "":  # ksqlDB's field names: KEY, VALUE
        return F.transform(
            headers,
            lambda h: F.struct(h.getField("key").alias("KEY"), h.getField("value").alias("VALUE")),
        )
    matching = F.filter(headers, lambda h: h.getField("key") == F.lit(column.header))
    return F.element_at(matching, -1).getField("value")


_KAFKA_SERDE = {"INTEGER": "int", "BIGINT": "bigint", "DOUBLE": "double"}


def _serde(name: str, value: Column) -> Column:
    """A call of one of kaspar.engine.kafka_serde's built-in Arrow functions."""
    return Column(exp.Anonymous(this=BUILTINS[name], expressions=[value.expr]))


def _kafka_decode(column: ColumnDef, raw: Column) -> Column:
    """A value of Kafka's serializers (``KAFKA`` format) from its bytes."""
    ksql_type = column.type.ksql
    if ksql_type not in KAFKA_TYPES:
        raise KsqlError(f"The 'KAFKA' format does not support type '{ksql_type}'")
    if ksql_type == "STRING":
        return raw.cast("string")
    if ksql_type == "BYTES":
        return raw
    return _serde(f"kafka_bytes_{_KAFKA_SERDE[ksql_type]}", raw)


def _kafka_encode(ksql_type: str, value: Column) -> Column:
    """Kafka's serializers' bytes of a value (``KAFKA`` format)."""
    if ksql_type not in KAFKA_TYPES:
        raise KsqlError(f"The 'KAFKA' format does not support type '{ksql_type}'")
    if ksql_type == "STRING":
        return value.cast("binary")
    if ksql_type == "BYTES":
        return value
    spark_type = {"INTEGER": "int", "BIGINT": "bigint", "DOUBLE": "double"}[ksql_type]
    return _serde(f"kafka_{_KAFKA_SERDE[ksql_type]}_bytes", value.cast(spark_type))


def decode_key(key_format: str, column: ColumnDef, key_hex: Column) -> Column:
    raw = F.unhex(key_hex)
    if key_format == "KAFKA":
        return _kafka_decode(column, raw)
    if key_format == "JSON":
        wrapped = F.concat(F.lit('{"k":'), raw.cast("string"), F.lit("}"))
        return F.from_json(wrapped, f"k {column.type.spark}").getField("k")
    if key_format == "DELIMITED":
        return raw.cast("string").cast(column.type.spark)
    raise KsqlError(f"The key format {key_format} cannot hold key columns")


def parse_value(source: Source, text: Column) -> Column | None:
    """The value parsed once (a struct for JSON and AVRO, an array for DELIMITED), or None.
    AVRO values are framed with a registry schema id: each is read with the schema it names,
    resolved to the columns' schema."""
    if source.value_format == "AVRO":
        return from_avro(
            F.col("value"),
            avro_schema(source.value_columns),
            {"mode": "PERMISSIVE"},
            schemaRegistryAddress=_registry(source),
        )
    if source.value_format == "PROTOBUF":
        return from_protobuf(
            F.col("value"),
            protobuf_schema.MESSAGE,
            options={"schema.registry.address": _registry(source), "mode": "PERMISSIVE"},
            binaryDescriptorSet=protobuf_schema.descriptor_set(source.value_columns),
        )
    if source.value_format in ("JSON", "JSON_SR"):
        schema = ", ".join(f"`{c.name}` {c.type.spark}" for c in source.value_columns)
        if source.value_format == "JSON_SR":
            text = json_sr.unframed(F.col("value"))
        return F.from_json(text, schema)
    if source.value_format == "DELIMITED":
        return F.split(text, re.escape(source.value_delimiter))
    return None


def decode_values(source: Source, text: Column) -> list[Column]:
    """The value columns from ``PARSED`` (``parse_value``'s column) or the value's text."""
    values = source.value_columns
    parsed = F.col(PARSED)
    if source.value_format in ("JSON", "JSON_SR", "AVRO", "PROTOBUF"):
        return [parsed.getField(c.name).alias(c.name) for c in values]
    if source.value_format == "DELIMITED":
        return [
            F.nullif(F.element_at(parsed, i + 1), F.lit("")).cast(c.type.spark).alias(c.name)
            for i, c in enumerate(values)
        ]
    if source.value_format == "KAFKA":
        if len(values) > 1:
            raise KsqlError("The 'KAFKA' format only supports a single field.")
        return [_kafka_decode(c, F.col("value")).alias(c.name) for c in values]
    return []


def encode_key(key_format: str, columns: list[tuple[str, str]]) -> Column | None:
    """The key bytes of ``columns`` (name, ksql type), or None without key columns."""
    if not columns:
        return None
    if len(columns) > 1 and key_format != "JSON":
        raise KsqlError(f"The '{key_format}' format only supports a single field.")
    name, ksql_type = columns[0]
    value = F.col(f"`{name}`")
    if key_format == "KAFKA":
        return _kafka_encode(ksql_type, value)
    if key_format == "JSON":
        if len(columns) == 1:
            return json_value(value).cast("binary")
        return F.to_json(F.struct(*[F.col(f"`{n}`") for n, _ in columns])).cast("binary")
    return value.cast("string").cast("binary")


def json_value(column: Column) -> Column:
    """A column's value as JSON text, ``null`` included (the engine's ``to_json`` leaves null
    fields out of objects; ksqlDB writes them)."""
    return F.regexp_extract(F.to_json(F.array(column)), r"^\[(.*)\]$", 1)


def json_object(columns: list[str]) -> Column:
    """The columns as one JSON object, every field written, nulls as ``null``."""
    parts: list[Column] = []
    for i, name in enumerate(columns):
        label = json.dumps(name) + ":"
        parts += [F.lit(("," if i else "{") + label), json_value(F.col(f"`{name}`"))]
    return F.concat(*parts, F.lit("}")) if parts else F.lit("{}")


def windowed_key(key: Column | None, *bounds: str) -> Column:
    """The key bytes followed by each window bound (ms: the start; a session's end and start)
    as 8 big-endian bytes."""
    parts = [F.lpad(F.hex(F.col(b).cast("bigint")), 16, "0") for b in bounds]
    inner = F.lit("") if key is None else F.hex(key)
    return F.unhex(F.concat(inner, *parts))


def encode_value(sink: Source, columns: list[str]) -> Column:
    """The value bytes of ``columns`` in ``sink``'s value format; AVRO registers the schema of
    the sink's value columns under ``<topic>-value`` and frames each value with its id."""
    value_format, delimiter = sink.value_format, sink.value_delimiter
    fields = [F.col(f"`{n}`") for n in columns]
    if value_format == "AVRO":
        return to_avro(
            F.struct(*fields),
            avro_schema(sink.value_columns),
            subject=f"{sink.topic}-value",
            schemaRegistryAddress=_registry(sink),
        )
    if value_format == "PROTOBUF":
        options = {"schema.registry.address": _registry(sink)}
        return to_protobuf(
            F.struct(*fields),
            protobuf_schema.MESSAGE,
            options={**options, "schema.registry.subject": f"{sink.topic}-value"},
            binaryDescriptorSet=protobuf_schema.descriptor_set(sink.value_columns),
        )
    if value_format == "JSON":
        return json_object(columns).cast("binary")
    if value_format == "JSON_SR":
        schema = json_sr.json_schema(sink.value_columns)
        schema_id = json_sr.register(_registry(sink), f"{sink.topic}-value", schema)
        return json_sr.framed(schema_id, json_object(columns))
    if value_format == "DELIMITED":
        texts = [F.coalesce(f.cast("string"), F.lit("")) for f in fields]
        return F.concat_ws(delimiter, *texts).cast("binary")
    if value_format == "KAFKA":
        if len(fields) != 1:
            raise KsqlError("The 'KAFKA' format only supports a single field.")
        return _kafka_encode(sink.value_columns[0].type.ksql, fields[0])
    raise KsqlError(f"The value format {value_format} cannot hold value columns")
