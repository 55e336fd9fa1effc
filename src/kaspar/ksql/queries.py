"""Running compiled queries on the engine: persistent queries writing to a topic, and the
readers of a source's topic (streaming from ``auto.offset.reset``, or a batch to the end).

A persistent query is a streaming query with the Kafka sink (one transaction per batch, so
exactly once) and a checkpoint of its own, ``<data dir>/queries/<query id>``: restarted with the
same id, it resumes after its last committed batch, its state included.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kaspar.engine.streaming.sinks.kafka import KafkaSink
from kaspar.ksql import formats
from kaspar.ksql.compiler import ROWTIME, CompiledQuery
from kaspar.ksql.metastore import Source
from kaspar.ksql.windows import windowed_sink
from kaspar.sql import SparkSession
from kaspar.sql import functions as F
from kaspar.sql.dataframe import DataFrame

# Java's producer partitioner (murmur2 of the key), as ksqlDB's: a key lands in the partition
# a Java client, Kafka Streams or ksqlDB puts it in (co-partitioning for joins holds)
PARTITIONER = "murmur2_random"


def stream_reader(
    spark: SparkSession, servers: str, offset_reset: str
) -> Callable[[Source], DataFrame]:
    def read(source: Source) -> DataFrame:
        return (
            spark.readStream.format("kafka")
            .option("kafka.bootstrap.servers", servers)
            .option("subscribe", source.topic)
            .option("includeHeaders", str(bool(source.header_columns)).lower())
            .option("startingOffsets", offset_reset)
            .option("failOnDataLoss", "false")
            .load()
        )

    return read


def batch_reader(spark: SparkSession, servers: str) -> Callable[[Source], DataFrame]:
    def read(source: Source) -> DataFrame:
        return (
            spark.read.format("kafka")
            .option("kafka.bootstrap.servers", servers)
            .option("subscribe", source.topic)
            .option("includeHeaders", str(bool(source.header_columns)).lower())
            .option("startingOffsets", "earliest")
            .option("endingOffsets", "latest")
            .load()
        )

    return read


def sink_frame(compiled: CompiledQuery, sink: Source, frame: DataFrame | None = None) -> DataFrame:
    """The query's rows (of ``frame``, a batch, for a join) as Kafka records of ``sink``: key,
    value, and ROWTIME as timestamp."""
    key = formats.encode_key(sink.key_format, [(c.name, c.type.ksql) for c in compiled.key_columns])
    value = formats.encode_value(sink, [c.name for c in compiled.value_columns])
    rowtime = F.col(ROWTIME)
    if compiled.window is not None:
        key, value, rowtime = windowed_sink(key, value, compiled.window, ROWTIME)
    table_rows = not compiled.aggregate and compiled.per_batch is None
    if compiled.source.kind == "TABLE" and (table_rows or compiled.changelog is not None):
        value = F.when(~F.col(formats.TOMBSTONE), value)  # a tombstone stays one
    columns = [value.alias("value"), F.timestamp_millis(rowtime).alias("timestamp")]
    if key is not None:
        columns.append(key.alias("key"))
    return compiled.rows(compiled.frame if frame is None else frame).select(*columns)


def output_mode(compiled: CompiledQuery) -> str:
    """Aggregations emit every change to a row (a table's changelog), or with ``EMIT FINAL``
    each window once, when the watermark (event time less the grace period) passes its end:
    Spark's append mode; the rest append."""
    if compiled.emit_final:
        return "append"
    return "update" if compiled.aggregate else "append"


@dataclass
class PersistentQuery:
    """A running CSAS / CTAS / INSERT INTO ... SELECT."""

    id: str
    statement: str
    sink: str
    sink_topic: str
    sources: list[str]
    checkpoint: Path
    compiled: CompiledQuery
    properties: dict[str, Any] = field(default_factory=dict)
    query: Any = None
    paused: bool = False
    _batch_sink: Any = None
    _changelog: Any = None

    @property
    def state(self) -> str:
        if self.paused:
            return "PAUSED"
        if self.query is None:
            return "PENDING"
        if self.query.exception() is not None:
            return "ERROR"
        return "RUNNING" if self.query.isActive else "NOT_RUNNING"

    def start(self, sink: Source, servers: str, trigger_ms: int) -> None:
        compiled = self.compiled
        if compiled.per_batch is not None or compiled.changelog is not None:
            self._start_per_batch(sink, servers, trigger_ms)
            return
        self.query = (
            sink_frame(compiled, sink)
            .writeStream.format("kafka")
            .option("kafka.bootstrap.servers", servers)
            .option("kafka.partitioner", PARTITIONER)
            .option("topic", sink.topic)
            .outputMode(output_mode(compiled))
            .option("checkpointLocation", str(self.checkpoint))
            .queryName(self.id)
            .trigger(processingTime=f"{trigger_ms} milliseconds")
            .start()
        )

    def _start_per_batch(self, sink: Source, servers: str, trigger_ms: int) -> None:
        """A join, or a query over changelogs (its state beside the checkpoint's): each
        batch's rows go through the engine's exactly-once Kafka sink (one transaction per
        batch id, a batch re-run after a crash is skipped)."""
        options = {
            "kafka.bootstrap.servers": servers,
            "kafka.partitioner": PARTITIONER,
            "topic": sink.topic,
        }
        self._batch_sink = KafkaSink(options, self.id)
        batch_sink, compiled = self._batch_sink, self.compiled
        if compiled.changelog is not None:
            self._changelog = compiled.changelog(self.checkpoint / "changelog")
        changelog = self._changelog

        def write(batch: DataFrame, batch_id: int) -> None:
            if changelog is not None:
                batch = changelog.process(batch, batch_id)
            batch_sink.add_batch(batch_id, sink_frame(compiled, sink, batch).toArrow())

        self.query = (
            compiled.frame.writeStream.foreachBatch(write)
            .option("checkpointLocation", str(self.checkpoint))
            .queryName(self.id)
            .trigger(processingTime=f"{trigger_ms} milliseconds")
            .start()
        )

    def stop(self) -> None:
        if self.query is not None:
            self.query.stop()
        if self._batch_sink is not None:
            self._batch_sink.stop()
            self._batch_sink = None
        if self._changelog is not None:
            self._changelog.close()
            self._changelog = None

    def terminate(self) -> None:
        """Stop for good: its checkpoint (offsets and state) is deleted, as ksqlDB deletes a
        terminated query's internal topics."""
        self.stop()
        shutil.rmtree(self.checkpoint, ignore_errors=True)
