"""``spark.readStream`` and ``df.writeStream``: options collected here, run by
``kaspar.engine.streaming`` (sources and sinks resolve through the ``STREAM_SOURCES`` and
``STREAM_SINKS`` dicts)."""

from __future__ import annotations

import functools
import re
import tempfile
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from kaspar.activation import StandInRepr
from kaspar.engine import types as T
from kaspar.engine.plan import logical as L
from kaspar.engine.streaming.check_streaming_support import check_output_mode, check_streaming_plan
from kaspar.engine.streaming.checkpoint import Checkpoint
from kaspar.engine.streaming.microbatch import MicroBatchExecution, QueryIdentity
from kaspar.engine.streaming.query import StreamExecution
from kaspar.engine.streaming.realtime import RealTimeExecution
from kaspar.engine.streaming.sinks import MemorySink, StreamSink
from kaspar.engine.streaming.sinks.delta import DeltaStreamSink
from kaspar.engine.streaming.sinks.kafka import KafkaRealTimeSink, KafkaSink
from kaspar.engine.streaming.sinks.kafka_epochs import KafkaEpochSink
from kaspar.engine.streaming.sources.kafka_stream import KafkaStreamSource
from kaspar.engine.streaming.sources.rate import RatePerMicroBatchSource, RateSource
from kaspar.engine.streaming.sources.socket import SocketSource
from kaspar.engine.streaming.trigger import Trigger, make_trigger
from kaspar.errors import (
    AnalysisException,
    IllegalArgumentException,
    PySparkTypeError,
    PySparkValueError,
)
from kaspar.sql.readwriter import OptionsBuilder, ReaderOptions
from kaspar.sql.streaming.files import FILE_SOURCE_FORMATS, delta_source, file_source, stream_table
from kaspar.sql.streaming.query import StreamingQuery

if TYPE_CHECKING:
    from kaspar.sql.dataframe import DataFrame
    from kaspar.sql.session import SparkSession


def streaming_relation(source: Any) -> L.StreamingRelation:
    """A plan leaf for ``source``: an empty table with its schema, columns ``c0, c1, ...``."""
    schema: pa.Schema = source.schema
    empty = schema.empty_table().rename_columns([f"c{i}" for i in range(len(schema))])
    return L.StreamingRelation(empty, tuple(schema.names), source=source)


def _kafka(session: SparkSession, options: dict[str, str], schema: T.StructType | None) -> Any:
    if schema is not None:
        raise IllegalArgumentException(
            "Kafka source has a fixed schema and cannot be set with a custom one"
        )
    return KafkaStreamSource(options)


SourceFactory = Callable[["SparkSession", dict[str, str], T.StructType | None], Any]
STREAM_SOURCES: dict[str, SourceFactory] = {
    "kafka": _kafka,
    "rate": lambda _session, options, _: RateSource(options),
    "rate-micro-batch": lambda _session, options, _: RatePerMicroBatchSource(options),
    "socket": lambda _session, options, _: SocketSource(options),
    "delta": delta_source,
    **{fmt: functools.partial(file_source, fmt) for fmt in FILE_SOURCE_FORMATS},
}


class DataStreamReader(ReaderOptions, StandInRepr):
    """``spark.readStream``."""

    _pyspark_module = "pyspark.sql.streaming.readwriter"

    def __init__(self, session: SparkSession) -> None:
        super().__init__(session, "")
        self._source_name: str | None = None

    def name(self, source_name: str) -> DataStreamReader:
        """Spark 4.2's name for the source in checkpoint metadata (ASCII letters, digits and
        underscores). kaspar keeps its sources by position in the checkpoint, as Spark does
        without names, so the name is checked and kept but does not move state."""
        if not isinstance(source_name, str):
            raise PySparkTypeError(
                f"Argument `source_name` should be a str, got {type(source_name).__name__}.",
                "NOT_STR",
            )
        if not re.fullmatch(r"[A-Za-z0-9_]+", source_name):
            raise PySparkValueError(
                f"Invalid streaming source name '{source_name}'. Source names must contain "
                "only ASCII letters, digits, and underscores.",
                "INVALID_STREAMING_SOURCE_NAME",
            )
        self._source_name = source_name
        return self

    def changes(self, tableName: str) -> DataFrame:
        """Spark 4.2's stream of a table's row-level changes: a Delta table's change data
        feed (``kaspar.engine.streaming.sources.delta_changes``)."""
        from kaspar.engine.sources.delta import is_delta_table

        catalog = self._session.catalog
        if not catalog.tableExists(tableName):
            raise AnalysisException(
                f"The table or view `{tableName}` cannot be found. Verify the spelling and "
                "correctness of the schema and catalog.",
                "TABLE_OR_VIEW_NOT_FOUND",
            )
        location = str(catalog._warehouse.location(tableName))
        if not is_delta_table(location):
            raise AnalysisException(
                f"Table `{tableName}` does not support reading its changes (kaspar reads the "
                "change data feed of Delta tables).",
                "UNSUPPORTED_FEATURE.TABLE_OPERATION",
            )
        return self.format("delta").option("readChangeFeed", "true").load(location)

    def load(
        self, path: str | None = None, format: str | None = None, schema: Any = None, **options: Any
    ) -> DataFrame:
        from kaspar.sql.dataframe import DataFrame

        if format:
            self.format(format)
        if schema is not None:
            self.schema(schema)
        self.options(**{k: v for k, v in options.items() if v is not None})
        if path is not None:
            self._options["path"] = path
        python_source = self._session._python_sources.get(self._format)
        if python_source is not None:
            from kaspar.sql._python_source import stream_source

            made = stream_source(python_source, self._options, self._schema)
            return DataFrame(self._session, streaming_relation(made))
        factory = STREAM_SOURCES.get(self._format)
        if factory is None:
            raise AnalysisException(
                f"Data source {self._format or '(none)'} does not support streamed reading "
                f"yet in kaspar (streaming sources: {', '.join(sorted(STREAM_SOURCES))}).",
                "DATA_SOURCE_NOT_FOUND",
            )
        source = factory(self._session, self._options, self._schema)
        return DataFrame(self._session, streaming_relation(source))

    def json(
        self, path: str, schema: Any = None, multiLine: Any = None, **options: Any
    ) -> DataFrame:
        return self.format("json").load(path, schema=schema, multiLine=multiLine, **options)

    def csv(
        self,
        path: str,
        schema: Any = None,
        sep: str | None = None,
        header: Any = None,
        **options: Any,
    ) -> DataFrame:
        return self.format("csv").load(path, schema=schema, sep=sep, header=header, **options)

    def parquet(self, path: str, **options: Any) -> DataFrame:
        return self.format("parquet").load(path, **options)

    def orc(self, path: str, **options: Any) -> DataFrame:
        return self.format("orc").load(path, **options)

    def text(self, path: str, lineSep: str | None = None, **options: Any) -> DataFrame:
        return self.format("text").load(path, lineSep=lineSep, **options)

    def xml(
        self, path: str, rowTag: str | None = None, schema: Any = None, **options: Any
    ) -> DataFrame:
        """A stream of the XML files arriving under ``path`` (``rowTag`` records)."""
        return self.format("xml").load(path, schema=schema, rowTag=rowTag, **options)

    def table(self, tableName: str) -> DataFrame:
        return stream_table(self, tableName)


class DataStreamWriter(OptionsBuilder):
    """``df.writeStream``: sink, output mode, trigger, checkpoint; ``start()`` runs it."""

    def __init__(self, df: DataFrame) -> None:
        self._df = df
        self._session = df.sparkSession
        self._format = ""
        self._options: dict[str, str] = {}
        self._mode = "append"
        self._name: str | None = None
        self._trigger = Trigger()
        self._foreach_batch: Callable[[DataFrame, int], None] | None = None
        self._partition_by: list[str] = []
        if not df.isStreaming:
            raise AnalysisException(
                "'writeStream' can be called only on streaming Dataset/DataFrame",
                "WRITE_STREAM_NOT_ALLOWED",
            )

    def outputMode(self, outputMode: str) -> DataStreamWriter:
        self._mode = check_output_mode(outputMode)
        return self

    def queryName(self, queryName: str) -> DataStreamWriter:
        self._name = queryName
        return self

    def partitionBy(self, *cols: str | list[str]) -> DataStreamWriter:
        self._partition_by = [c for col in cols for c in ([col] if isinstance(col, str) else col)]
        return self

    def clusterBy(self, *cols: str | list[str]) -> DataStreamWriter:
        """Clustering columns, kept as ``DataFrameWriter.clusterBy`` keeps them: kaspar's file
        and Delta sinks do not lay records out by them."""
        self._cluster_by = [c for col in cols for c in ([col] if isinstance(col, str) else col)]
        return self

    def trigger(
        self,
        *,
        processingTime: str | None = None,
        once: bool | None = None,
        continuous: str | None = None,
        availableNow: bool | None = None,
        realTime: str | None = None,
    ) -> DataStreamWriter:
        """Exactly one of the keywords, checked as PySpark checks them; ``continuous`` and
        ``realTime`` run the query in epochs (``engine/streaming/realtime.py``)."""
        self._trigger = make_trigger(processingTime, once, availableNow, continuous, realTime)
        return self

    def foreach(self, f: Any) -> DataStreamWriter:
        """``f(row)`` per row, or an object with ``process(row)`` and optional
        ``open(partition_id, epoch_id)`` / ``close(error)`` (PySpark's ForeachWriter)."""
        from kaspar.sql.streaming.sinks import foreach_function

        self._foreach_batch = foreach_function(f)
        self._format = "foreach"
        return self

    def foreachBatch(self, func: Callable[[DataFrame, int], None]) -> DataStreamWriter:
        self._foreach_batch = func
        self._format = "foreachbatch"
        return self

    def toTable(self, tableName: str, **options: Any) -> StreamingQuery:
        path = self._session.catalog._warehouse.location(tableName)
        return self.format(self._format or "delta").start(str(path), **options)

    def start(
        self,
        path: str | None = None,
        format: str | None = None,
        outputMode: str | None = None,
        partitionBy: Any = None,
        queryName: str | None = None,
        **options: Any,
    ) -> StreamingQuery:
        if format:
            self.format(format)
        if outputMode:
            self.outputMode(outputMode)
        if partitionBy:
            self.partitionBy(partitionBy)
        if queryName:
            self.queryName(queryName)
        self.options(**{k: v for k, v in options.items() if v is not None})
        if path is not None:
            self._options["path"] = path
        check_streaming_plan(self._df.plan, self._mode)
        return self._launch()

    def _launch(self) -> StreamingQuery:
        manager = self._session.streams
        checkpoint = Checkpoint(self._checkpoint_location())
        identity = QueryIdentity(checkpoint.query_id, str(uuid.uuid4()), self._name)
        sink = self._sink(identity.id)
        kind = RealTimeExecution if self._trigger.is_low_latency else MicroBatchExecution
        execution = kind(
            identity,
            self._df.plan,
            self._session._executor,
            checkpoint,
            sink,
            self._trigger,
            self._mode,
        )
        stream = StreamExecution(execution, manager._terminated_callback)
        query = StreamingQuery(stream, self._session)
        manager._add(query)
        stream.start()
        return query

    def _checkpoint_location(self) -> str:
        location = self._options.get("checkpointlocation")
        if location is None:
            root = self._session.conf.get("spark.sql.streaming.checkpointLocation", None)
            if root and self._name:
                return f"{root}/{self._name}"
        if location is None:
            if self._format not in ("memory", "console", "foreach", "foreachbatch"):
                raise AnalysisException(
                    "checkpointLocation must be specified either through option("
                    '"checkpointLocation", ...) or SparkSession.conf.set("spark.sql.streaming.'
                    'checkpointLocation", ...)',
                    "CHECKPOINT_LOCATION_REQUIRED",
                )
            return tempfile.mkdtemp(prefix="kaspar-checkpoint-")
        return location

    def _sink(self, query_id: str) -> StreamSink:
        from kaspar.sql.streaming.sinks import SINKS

        python_source = self._session._python_sources.get(self._format or "")
        if python_source is not None and not self._trigger.is_low_latency:
            from kaspar.sql._python_source import stream_sink

            return stream_sink(python_source, self._options, self._df.schema, self._mode)
        factory = SINKS.get(self._format or "parquet")
        if self._trigger.is_low_latency and self._format not in _LOW_LATENCY_SINKS:
            # their idempotence is per batch id, and a crashed epoch's replay cuts its chunks
            # (batch ids) differently: a chunk would be skipped as already written
            raise AnalysisException(
                f"Data source {self._format or 'parquet'} does not support the realTime and "
                f"continuous triggers (sinks: {', '.join(_LOW_LATENCY_SINKS)}); use a "
                "processingTime or availableNow trigger.",
                None,
            )
        if factory is None:
            raise AnalysisException(
                f"Data source {self._format} does not support streamed writing yet in kaspar "
                f"(streaming sinks: {', '.join(sorted(SINKS))}).",
                "DATA_SOURCE_NOT_FOUND",
            )
        return factory(self, query_id)


def _memory(writer: DataStreamWriter, query_id: str) -> StreamSink:
    if writer._name is None:
        raise AnalysisException("queryName must be specified for memory sink", None)
    name, session = writer._name, writer._session

    def publish(table: pa.Table) -> None:
        renamed = table.rename_columns([f"c{i}" for i in range(table.num_columns)])
        relation = L.LocalRelation(renamed, tuple(table.column_names))
        session.catalog._register(name, relation, replace=True)

    return MemorySink(_arrow_schema(writer), publish, replace=writer._mode == "complete")


def _arrow_schema(writer: DataStreamWriter) -> pa.Schema:
    from kaspar.engine.type_conversion import to_arrow

    schema = writer._df.schema
    return pa.schema([pa.field(f.name, to_arrow(f.dataType)) for f in schema.fields])


def _delta(writer: DataStreamWriter, query_id: str) -> StreamSink:
    path = writer._options.get("path")
    if path is None:
        raise IllegalArgumentException("'path' is not specified")
    return DeltaStreamSink(path, query_id, writer._options, writer._partition_by, writer._mode)


_DELIVERY_GUARANTEES = ("at-least-once", "exactly-once")
_LOW_LATENCY_SINKS = ("kafka", "foreach", "foreachbatch", "memory", "console")


def _kafka_sink(writer: DataStreamWriter, query_id: str) -> StreamSink:
    """Micro-batch queries: exactly-once, one transaction per batch (``sinks/kafka.py``).
    Low-latency triggers: the ``deliveryGuarantee`` option, ``at-least-once`` by default (an
    idempotent producer, records visible at once to every consumer) or ``exactly-once`` (one
    transaction per epoch, ``sinks/kafka_epochs.py``)."""
    trigger = writer._trigger
    default = "at-least-once" if trigger.is_low_latency else "exactly-once"
    guarantee = writer._options.get("deliveryguarantee", default).strip().lower()
    if guarantee not in _DELIVERY_GUARANTEES:
        raise IllegalArgumentException(
            f"Invalid value '{guarantee}' for option 'deliveryGuarantee': expected one of "
            f"{', '.join(_DELIVERY_GUARANTEES)}"
        )
    if not trigger.is_low_latency:
        return KafkaSink(writer._options, query_id)  # always exactly-once
    if guarantee == "exactly-once":
        return KafkaEpochSink(writer._options, query_id, trigger.interval_ms)
    return KafkaRealTimeSink(writer._options)
