"""File and Delta streams on the facade side: what ``load()``, ``table()`` and ``start()`` take
from the session (its executor, time zone and ``spark.sql.streaming.*`` settings) before the
engine's sources and sinks (``engine/streaming/sources/files.py``, ``delta_stream.py``,
``sinks/files.py``) take over."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kaspar.engine import types as T
from kaspar.engine.streaming.sinks import StreamSink
from kaspar.engine.streaming.sinks.files import FileStreamSink
from kaspar.engine.streaming.sources import files as file_sources
from kaspar.engine.streaming.sources.delta_stream import DeltaStreamSource
from kaspar.engine.xml.options import xml_options
from kaspar.errors import AnalysisException, IllegalArgumentException

if TYPE_CHECKING:
    from kaspar.sql.dataframe import DataFrame
    from kaspar.sql.session import SparkSession
    from kaspar.sql.streaming.readwriter import DataStreamReader, DataStreamWriter

FILE_SOURCE_FORMATS = file_sources.FORMATS
FILE_SINK_FORMATS = ("parquet", "json", "csv", "orc", "text")


def _conf(session: SparkSession, key: str, default: str) -> str:
    return str(session.conf.get(key, default))


def _interval(session: SparkSession, key: str) -> int:
    text = _conf(session, key, "10")
    if not text.strip().isdigit() or int(text) <= 0:
        raise IllegalArgumentException(f"{key} must be a positive integer, got '{text}'")
    return int(text)


def file_source(
    fmt: str, session: SparkSession, options: dict[str, str], schema: T.StructType | None
) -> Any:
    if fmt == "xml":  # Spark checks the record tag when the stream is defined
        xml_options(options, require_row_tag=True)
    inference = _conf(session, "spark.sql.streaming.schemaInference", "false").lower() == "true"
    interval = _interval(session, "spark.sql.streaming.fileSource.log.compactInterval")
    executor = session._executor
    return file_sources.file_stream_source(
        executor, fmt, options, schema, schema_inference=inference, compact_interval=interval
    )


def delta_source(
    session: SparkSession, options: dict[str, str], schema: T.StructType | None
) -> Any:
    path = options.get("path")
    if path is None:
        raise IllegalArgumentException("'path' is not specified")
    time_zone = _conf(session, "spark.sql.session.timeZone", "UTC")
    if options.get("readchangefeed", "false").lower() == "true":
        from kaspar.engine.streaming.sources.delta_changes import DeltaChangeFeedSource

        return DeltaChangeFeedSource(path, options, time_zone)
    return DeltaStreamSource(path, options, time_zone)


def stream_table(reader: DataStreamReader, name: str) -> DataFrame:
    """``spark.readStream.table(name)``: a streaming temp view as it is, a Delta table as a
    Delta stream, a parquet table as a file stream over its directory with the table's schema."""
    from kaspar.sql.dataframe import DataFrame

    session = reader._session
    catalog = session.catalog
    plan = catalog._lookup(name)  # TABLE_OR_VIEW_NOT_FOUND when there is none
    if plan.is_streaming:
        return DataFrame(session, plan)
    if name.lower() in catalog._views:
        raise AnalysisException(
            f"`{name}` is a temporary view over a batch DataFrame, not a streaming source.",
            "UNSUPPORTED_STREAMING_TABLE",
        )
    warehouse = catalog._warehouse
    location = str(warehouse.location(name))
    if warehouse.table_format(name) == "delta":
        return reader.format("delta").load(location)
    return reader.format("parquet").schema(DataFrame(session, plan).schema).load(location)


def file_sink(writer: DataStreamWriter, query_id: str) -> StreamSink:
    session = writer._session
    return FileStreamSink(
        session._executor,
        writer._format or "parquet",
        writer._options,
        writer._partition_by,
        writer._mode,
        _interval(session, "spark.sql.streaming.fileSink.log.compactInterval"),
    )
