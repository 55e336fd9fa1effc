"""Kafka as a batch source: ``spark.read.format("kafka")`` over the Kafka wire protocol.

Lazy, as Spark's ``KafkaRelation``: the plan leaf (``kafka_relation``) reads nothing; each query
over it runs these steps when DuckDB scans it. 1 list the partitions the options name (subscribe /
subscribePattern / assign); 2 resolve the starting and ending offsets of each
(``get_watermark_offsets``, ``offsets_for_times``); 3 read each range with the columnar reader
(``engine/kafka_fetch``: Fetch requests decoded into Arrow in bulk), or, when a ``kafka.*`` option
needs librdkafka, with an assigned consumer (no consumer group, nothing committed); 4 build one
Arrow table with Spark's Kafka schema.

It talks to any Kafka broker over the wire (confluent-kafka or ``kaspar.protocol``), never to
kaspar's broker directly.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from confluent_kafka import Consumer, KafkaError, KafkaException
from confluent_kafka import TopicPartition as KafkaTopicPartition
from sqlglot import exp

from kaspar.engine.deferred_errors import defer
from kaspar.engine.kafka_fetch import KafkaReadError, columnar_reader
from kaspar.engine.plan import logical as L
from kaspar.engine.sources.kafka_options import (
    EARLIEST,
    LATEST,
    KafkaReadOptions,
    OffsetSpec,
    TopicPartition,
    parse_kafka_options,
)
from kaspar.engine.sources.kafka_value_formats import RecordDecoding, record_decoding
from kaspar.errors import IllegalArgumentException, PySparkException, SparkRuntimeException
from kaspar.protocol.records import RecordsError
from kaspar.protocol.wire import ProtocolError

KAFKA_COLUMNS = ("key", "value", "topic", "partition", "offset", "timestamp", "timestampType")
_HEADERS_TYPE = pa.list_(pa.struct([("key", pa.string()), ("value", pa.binary())]))
_METADATA_TIMEOUT_S = 30.0
_CONSUME_BATCH = 10_000
# librdkafka timestamp types (NOT_AVAILABLE, CREATE_TIME, LOG_APPEND_TIME) -> Spark's codes.
_TIMESTAMP_TYPES = {0: -1, 1: 0, 2: 1}

OffsetRanges = dict[TopicPartition, tuple[int, int]]


def kafka_relation(options: dict[str, str]) -> L.Scan:
    """The plan leaf for a batch read: lazy, as Spark's ``KafkaRelation``. The options are
    checked now (and a registry's reader schemas fetched), but the offsets are resolved and the
    records read each time a query over the DataFrame runs (``_KafkaRead``): ``load()`` reads
    nothing, and an action after more records arrived sees them."""
    parsed = parse_kafka_options(options)
    decoding = record_decoding(options, parsed.topics)  # valueFormat, keyFormat
    read = _KafkaRead(parsed, decoding)
    name = L.next_relation_name()
    names = tuple(read.schema.names)
    return L.Scan(exp.to_table(f'"{name}"'), names, "kafka", tables=((name, read),))


class _KafkaRead:
    """What DuckDB scans for a Kafka batch read: the schema at once, the records (steps 1-4 of
    the module docstring) each time a query asks for its Arrow stream."""

    def __init__(self, options: KafkaReadOptions, decoding: RecordDecoding | None) -> None:
        self.options, self.decoding = options, decoding
        schema = empty_kafka_table(options.include_headers).schema
        self.schema = schema if decoding is None else decoding.schema(schema)

    def __arrow_c_schema__(self) -> object:
        return self.schema.__arrow_c_schema__()

    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object:
        try:
            table = read_kafka(self.options)
            if self.decoding is not None:
                table = self.decoding.apply(table)
        except PySparkException as e:  # DuckDB keeps only the text: carried back whole
            raise defer(e) from None
        except Exception as e:  # noqa: BLE001 - any failure of the read fails the query
            raise defer(SparkRuntimeException(f"Kafka source failed: {e}")) from None
        return table.cast(self.schema).__arrow_c_stream__(requested_schema)


def read_kafka(options: KafkaReadOptions) -> pa.Table:
    """Read the offset ranges the options describe into a table with Spark's Kafka schema."""
    try:
        consumer = Consumer(consumer_config(options))
    except KafkaException as e:
        raise IllegalArgumentException(f"Invalid 'kafka.*' option: {e.args[0]}") from None
    try:
        ranges = offset_ranges(consumer, options)
        columnar = columnar_reader(options, prefetch=False)
        if columnar is None:
            return read_ranges(consumer, ranges, options)
    finally:
        consumer.close()
    try:
        return columnar.read(ranges, options.include_headers)
    except (KafkaReadError, RecordsError, ProtocolError) as e:
        raise SparkRuntimeException(f"Kafka source failed: {e.args[0]}") from None
    finally:
        columnar.close()


def read_ranges(consumer: Any, ranges: OffsetRanges, options: KafkaReadOptions) -> pa.Table:
    """Read ``[start, end)`` of each partition with ``consumer`` (assigned, no group)."""
    try:
        consumer.resume([KafkaTopicPartition(t, p) for t, p in ranges])
        columns = _consume(consumer, ranges, options)
    except KafkaException as e:
        raise SparkRuntimeException(f"Kafka source failed: {e.args[0]}") from None
    table = _within_ranges(columns_table(columns, options.include_headers), ranges)
    return table.sort_by([(c, "ascending") for c in ("topic", "partition", "offset")])


def empty_kafka_table(include_headers: bool) -> pa.Table:
    """No records, with Spark's Kafka schema."""
    columns: dict[str, list[Any]] = {name: [] for name in (*KAFKA_COLUMNS, "headers")}
    return columns_table(columns, include_headers)


def consumer_config(options: KafkaReadOptions) -> dict[str, Any]:
    config: dict[str, Any] = {
        "group.id": f"spark-kafka-relation-{uuid.uuid4()}-driver",
        "enable.auto.commit": False,
        "enable.partition.eof": True,
        "isolation.level": "read_uncommitted",  # Spark's (the Java client's) default
        "auto.offset.reset": "earliest",
    }
    config.update(options.client_config)
    return config


def topic_partitions(consumer: Any, options: KafkaReadOptions) -> list[TopicPartition]:
    """The partitions to read, sorted by topic and partition."""
    if options.strategy == "assign":
        return sorted(set(options.assigned))
    metadata = consumer.list_topics(timeout=_METADATA_TIMEOUT_S)
    if options.strategy == "subscribe":
        names = [t for t in options.topics if t in metadata.topics]
    else:
        pattern = re.compile(options.pattern)
        names = [t for t in metadata.topics if not t.startswith("__") and pattern.fullmatch(t)]
    return sorted((t, p) for t in set(names) for p in metadata.topics[t].partitions)


def offset_ranges(consumer: Any, options: KafkaReadOptions) -> OffsetRanges:
    """``[start, end)`` per partition, with the broker's watermarks applied."""
    partitions = topic_partitions(consumer, options)
    watermarks = {
        tp: consumer.get_watermark_offsets(KafkaTopicPartition(*tp), _METADATA_TIMEOUT_S)
        for tp in partitions
    }
    starts = _resolve(consumer, options.starting, watermarks, "startingOffsets")
    ends = _resolve(consumer, options.ending, watermarks, "endingOffsets")
    ranges: OffsetRanges = {}
    for tp in partitions:
        low, _ = watermarks[tp]
        start, end = starts[tp], ends[tp]
        if start < low:
            if options.fail_on_data_loss:
                raise IllegalArgumentException(
                    f"Cannot fetch offset {start} of {tp[0]}-{tp[1]}: the earliest available "
                    f"offset is {low} (some data may have been lost). Set the source option "
                    "'failOnDataLoss' to 'false' to start from the earliest offset instead."
                )
            start = low
        if end < start:
            raise IllegalArgumentException(
                f"Ending offset {end} of {tp[0]}-{tp[1]} is before its starting offset {start}"
            )
        ranges[tp] = (start, end)
    return ranges


def _resolve(
    consumer: Any,
    spec: OffsetSpec,
    watermarks: dict[TopicPartition, tuple[int, int]],
    option: str,
) -> dict[TopicPartition, int]:
    if spec.kind in ("earliest", "latest"):
        return {tp: wm[0 if spec.kind == "earliest" else 1] for tp, wm in watermarks.items()}
    if spec.kind == "timestamp":
        return _offsets_for_times(consumer, dict.fromkeys(watermarks, spec.timestamp), watermarks)
    missing = sorted(set(watermarks) - set(spec.offsets))
    if missing:
        raise IllegalArgumentException(
            f"If {option} contains specific offsets, you must specify all TopicPartitions. "
            f"Use -1 for latest, -2 for earliest. Specified: {sorted(spec.offsets)}, "
            f"assigned: {sorted(watermarks)}"
        )
    wanted = {tp: spec.offsets[tp] for tp in watermarks}
    if spec.kind == "timestamps":
        return _offsets_for_times(consumer, wanted, watermarks)
    named = {EARLIEST: 0, LATEST: 1}
    return {tp: watermarks[tp][named[n]] if n in named else n for tp, n in wanted.items()}


def _offsets_for_times(
    consumer: Any,
    times: dict[TopicPartition, int],
    watermarks: dict[TopicPartition, tuple[int, int]],
) -> dict[TopicPartition, int]:
    """The first offset whose timestamp is >= the given time; the end of log if none is."""
    if not times:
        return {}
    query = [KafkaTopicPartition(t, p, ts) for (t, p), ts in times.items()]
    found = consumer.offsets_for_times(query, timeout=_METADATA_TIMEOUT_S)
    return {
        (tp.topic, tp.partition): tp.offset
        if tp.offset >= 0
        else watermarks[(tp.topic, tp.partition)][1]
        for tp in found
    }


def _consume(
    consumer: Any, ranges: OffsetRanges, options: KafkaReadOptions
) -> dict[str, list[Any]]:
    """Read every range into per-column Python lists (records past a range's end included)."""
    columns: dict[str, list[Any]] = {name: [] for name in (*KAFKA_COLUMNS, "headers")}
    pending = {tp: end for tp, (start, end) in ranges.items() if end > start}
    if not pending:
        return columns
    consumer.assign([KafkaTopicPartition(t, p, ranges[(t, p)][0]) for t, p in pending])
    deadline = time.monotonic() + options.poll_timeout_ms / 1000
    # consume() waits for as many messages as asked for: ask for what is left, not more
    wanted = sum(end - ranges[tp][0] for tp, end in pending.items())
    while pending:
        messages = consumer.consume(max(1, min(_CONSUME_BATCH, wanted)), timeout=0.5)
        wanted -= len(messages)
        if messages:
            deadline = time.monotonic() + options.poll_timeout_ms / 1000
        elif time.monotonic() > deadline:
            raise SparkRuntimeException(
                f"Timed out after {options.poll_timeout_ms} ms reading offsets of "
                f"{sorted(pending)} (kafkaConsumer.pollTimeoutMs)"
            )
        done = _completed(_without_errors(messages, pending), pending, columns, options)
        if done:
            consumer.pause([KafkaTopicPartition(t, p) for t, p in done])
    return columns


def _without_errors(messages: list[Any], pending: dict[TopicPartition, int]) -> list[Any]:
    """Drop end-of-partition events (completing their partition); raise on real errors."""
    errors = [m.error() for m in messages]
    if not any(errors):
        return messages
    kept = []
    for message, error in zip(messages, errors, strict=True):
        if error is None:
            kept.append(message)
        elif error.code() == KafkaError._PARTITION_EOF:
            pending[(message.topic(), message.partition())] = -1  # complete: nothing is left
        else:
            raise KafkaException(error)
    return kept


def _completed(
    messages: list[Any],
    pending: dict[TopicPartition, int],
    columns: dict[str, list[Any]],
    options: KafkaReadOptions,
) -> list[TopicPartition]:
    """Append a batch column by column; return the partitions whose range is now read."""
    topics = [m.topic() for m in messages]
    partitions = [m.partition() for m in messages]
    offsets = [m.offset() for m in messages]
    stamps = [m.timestamp() for m in messages]
    columns["key"] += [m.key() for m in messages]
    columns["value"] += [m.value() for m in messages]
    columns["topic"] += topics
    columns["partition"] += partitions
    columns["offset"] += offsets
    columns["timestamp"] += [ms for _, ms in stamps]
    columns["timestampType"] += [_TIMESTAMP_TYPES.get(kind, -1) for kind, _ in stamps]
    if options.include_headers:
        columns["headers"] += [m.headers() for m in messages]
    last = dict(zip(zip(topics, partitions, strict=True), offsets, strict=True))
    done = [tp for tp, end in pending.items() if end < 0 or last.get(tp, -1) >= end - 1]
    for tp in done:
        del pending[tp]
    return done


def _within_ranges(table: pa.Table, ranges: OffsetRanges) -> pa.Table:
    """Drop records a consume call returned past their range's end offset."""
    ends = pa.table(
        {
            "topic": pa.array([t for t, _ in ranges], pa.string()),
            "partition": pa.array([p for _, p in ranges], pa.int32()),
            "__end": pa.array([end for _, end in ranges.values()], pa.int64()),
        }
    )
    keys = table.select(["topic", "partition", "offset"]).append_column(
        "__row", pa.array(np.arange(table.num_rows, dtype=np.int64))
    )
    joined = keys.join(ends, keys=["topic", "partition"])
    kept = joined.filter(pc.less(joined["offset"], joined["__end"]))["__row"]
    return table.take(kept)  # read_kafka sorts the rows afterwards


def columns_table(
    columns: dict[str, list[Any]], include_headers: bool, ordered: bool = True
) -> pa.Table:
    """Spark's Kafka schema from per-column lists, sorted by topic, partition and offset
    unless ``ordered`` is False."""
    timestamps = pa.array(columns["timestamp"], pa.int64()).cast(pa.timestamp("ms", tz="UTC"))
    arrays = {
        "key": pa.array(columns["key"], pa.binary()),
        "value": pa.array(columns["value"], pa.binary()),
        "topic": pa.array(columns["topic"], pa.string()),
        "partition": pa.array(columns["partition"], pa.int32()),
        "offset": pa.array(columns["offset"], pa.int64()),
        "timestamp": timestamps.cast(pa.timestamp("us", tz="UTC")),
        "timestampType": pa.array(columns["timestampType"], pa.int32()),
    }
    if include_headers:
        arrays["headers"] = pa.array(
            [[{"key": k, "value": v} for k, v in h] if h else None for h in columns["headers"]],
            _HEADERS_TYPE,
        )
    table = pa.table(arrays)
    if not ordered:
        return table
    return table.sort_by(
        [("topic", "ascending"), ("partition", "ascending"), ("offset", "ascending")]
    )
