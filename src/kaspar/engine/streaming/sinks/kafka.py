"""The Kafka streaming sink, exactly-once: one Kafka transaction per batch.

Columns as in Spark: ``value`` (required, string or binary), ``key``, ``headers``, ``partition``
and ``topic`` (or the ``topic`` option, which wins); and, beyond Spark, ``timestamp`` (a timestamp
column) sets the records' timestamps (kaspar.ksql keeps ksqlDB's ROWTIME so). The producer's
``transactional.id`` is derived from the query id, so a restarted query fences the old producer and
aborts its open transaction. Each transaction also commits, for the consumer group
``kaspar-sink-<query id>``, offset ``batch_id + 1`` on partition 0 of every topic the batch writes
(``TxnOffsetCommit``): that marker becomes visible atomically with the records, and a re-run batch
whose marker is already there is skipped, so no record is written twice.
"""

from __future__ import annotations

import contextlib
from typing import Any

import pyarrow as pa
from confluent_kafka import Consumer, KafkaException, Producer
from confluent_kafka import TopicPartition as KafkaTopicPartition

from kaspar.errors import AnalysisException, IllegalArgumentException, SparkRuntimeException

_TIMEOUT_S = 30.0
_ANY_PARTITION: dict[str, Any] = {}  # produce's keyword arguments: the partitioner picks


class KafkaSink:
    def __init__(self, options: dict[str, str], query_id: str) -> None:
        config = {k.removeprefix("kafka."): v for k, v in options.items() if k.startswith("kafka.")}
        if "bootstrap.servers" not in config:
            raise IllegalArgumentException(
                "Option 'kafka.bootstrap.servers' must be specified for configuring Kafka producer"
            )
        self.topic = options.get("topic")
        self.description = f"KafkaSink[{self.topic or 'topic column'}]"
        self._group = f"kaspar-sink-{query_id}"
        try:
            self._producer = Producer({**config, "transactional.id": f"kaspar-{query_id}"})
            self._producer.init_transactions(_TIMEOUT_S)
            self._consumer = Consumer(
                {**config, "group.id": self._group, "enable.auto.commit": False}
            )
        except KafkaException as e:
            raise SparkRuntimeException(f"Kafka sink failed to start: {e.args[0]}") from None

    def add_batch(self, batch_id: int, table: pa.Table) -> None:
        records = self._records(table)
        topics = sorted({r[0] for r in records})
        if not topics or self._committed_batch(topics) >= batch_id:
            return
        try:
            self._producer.begin_transaction()
            for topic, key, value, headers, extra in records:
                self._produce(topic, key, value, headers, extra)
            markers = [KafkaTopicPartition(t, 0, batch_id + 1) for t in topics]
            metadata = self._consumer.consumer_group_metadata()
            self._producer.send_offsets_to_transaction(markers, metadata, _TIMEOUT_S)
            self._producer.commit_transaction(_TIMEOUT_S)
        except KafkaException as e:
            self._abort()
            raise SparkRuntimeException(f"Kafka sink failed in batch {batch_id}: {e}") from None

    def _produce(self, topic: str, key: Any, value: Any, headers: Any, extra: Any) -> None:
        while True:
            try:
                self._producer.produce(topic, value=value, key=key, headers=headers, **extra)
                return
            except BufferError:
                self._producer.poll(0.05)

    def _abort(self) -> None:
        with contextlib.suppress(KafkaException):
            self._producer.abort_transaction(_TIMEOUT_S)

    def _committed_batch(self, topics: list[str]) -> int:
        """The last batch id whose transaction committed (-1 if none)."""
        found = self._consumer.committed([KafkaTopicPartition(t, 0) for t in topics], _TIMEOUT_S)
        return max((tp.offset for tp in found if tp.offset >= 0), default=0) - 1

    def _records(self, table: pa.Table) -> list[tuple[Any, ...]]:
        return kafka_records(table, self.topic)

    def stop(self) -> None:
        self._producer.flush(_TIMEOUT_S)
        self._consumer.close()
        close = getattr(self._producer, "close", None)  # newer confluent-kafka only
        if close is not None:  # else the client lives on, reconnecting, until collected
            close()


class KafkaRealTimeSink:
    """The Kafka sink under a low-latency trigger (``realtime.py``): an idempotent producer
    without transactions that sends each chunk at once (``linger.ms`` 0), so consumers see a
    record within milliseconds, whatever their isolation level. At least once: ``flush`` (at
    the end of each epoch, before its commit) waits for every record to be acknowledged; a
    crash replays the epoch, whose records may then be written twice. Delivery reports come
    for failed records only (``delivery.report.only.error``): no Python call per record
    acknowledged."""

    def __init__(
        self, options: dict[str, str], producer_config: dict[str, Any] | None = None
    ) -> None:
        config = {k.removeprefix("kafka."): v for k, v in options.items() if k.startswith("kafka.")}
        if "bootstrap.servers" not in config:
            raise IllegalArgumentException(
                "Option 'kafka.bootstrap.servers' must be specified for configuring Kafka producer"
            )
        self.topic = options.get("topic")
        self.description = f"KafkaSink[{self.topic or 'topic column'}]"
        self._config = config
        self._failures: list[str] = []
        defaults = {
            "enable.idempotence": True,
            "linger.ms": 0,
            "delivery.report.only.error": True,
            "on_delivery": self._delivered,
        }
        try:
            self._producer = Producer({**defaults, **config, **(producer_config or {})})
        except KafkaException as e:
            raise SparkRuntimeException(f"Kafka sink failed to start: {e.args[0]}") from None

    def add_batch(self, batch_id: int, table: pa.Table) -> None:
        self._send(kafka_records(table, self.topic))

    def _send(self, records: list[tuple[Any, ...]]) -> None:
        produce = self._producer.produce
        for topic, key, value, headers, extra in records:
            while True:
                try:
                    produce(topic, value, key, headers=headers, **extra)
                    break
                except BufferError:
                    self._producer.poll(0.05)
        self._producer.poll(0)

    def _delivered(self, error: Any, _message: Any) -> None:
        if error is not None:
            self._failures.append(str(error))

    def flush(self) -> None:
        left = self._producer.flush(_TIMEOUT_S)
        if left or self._failures:
            reason = self._failures[0] if self._failures else f"{left} records not acknowledged"
            raise SparkRuntimeException(f"Kafka sink failed: {reason}")

    def stop(self) -> None:
        self._producer.flush(_TIMEOUT_S)
        close = getattr(self._producer, "close", None)
        if close is not None:
            close()


def kafka_records(table: pa.Table, topic: str | None) -> list[tuple[Any, ...]]:
    """(topic, key, value, headers, produce's extra keyword arguments: ``partition``,
    ``timestamp``) per row of ``table``, as Spark's Kafka writer reads them; ``topic`` (the
    option) wins over a ``topic`` column."""
    names = {n.lower(): n for n in table.column_names}
    if "value" not in names:
        raise AnalysisException(
            "Required attribute 'value' not found", "KAFKA_REQUIRED_ATTRIBUTE_NOT_FOUND"
        )
    if topic is None and "topic" not in names:
        raise AnalysisException(
            "topic option required when no 'topic' attribute is present. Use the topic "
            "option for setting a topic.",
            "KAFKA_TOPIC_REQUIRED",
        )
    rows = table.num_rows

    def column(name: str) -> list[Any]:
        return table[names[name]].to_pylist() if name in names else [None] * rows

    topics = [topic] * rows if topic else column("topic")
    keys = _bytes(table, names.get("key"))
    values = _bytes(table, names["value"])
    headers: list[list[tuple[Any, Any]] | None] = [None] * rows
    if "headers" in names:
        headers = [[(h["key"], h["value"]) for h in hs] if hs else None for hs in column("headers")]
    return list(zip(topics, keys, values, headers, _extras(table, names), strict=True))


def _extras(table: pa.Table, names: dict[str, str]) -> list[dict[str, Any]]:
    """Per row, the ``partition`` and ``timestamp`` (ms) to produce with, when set."""
    rows = table.num_rows
    columns: dict[str, list[Any]] = {}
    if "partition" in names:
        columns["partition"] = table[names["partition"]].to_pylist()
    if "timestamp" in names and pa.types.is_timestamp(table[names["timestamp"]].type):
        millis = table[names["timestamp"]].cast(pa.timestamp("ms")).cast(pa.int64())
        columns["timestamp"] = millis.to_pylist()
    if not columns:
        return [_ANY_PARTITION] * rows
    return [{k: v[i] for k, v in columns.items() if v[i] is not None} for i in range(rows)]


def _bytes(table: pa.Table, name: str | None) -> list[bytes | None]:
    """A column's values as bytes (text as UTF-8, anything else as its string), in bulk."""
    if name is None:
        return [None] * table.num_rows
    values = table[name]
    if not (pa.types.is_binary(values.type) or pa.types.is_large_binary(values.type)):
        if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
            return [None if v is None else str(v).encode() for v in values.to_pylist()]
        values = values.cast(pa.binary() if pa.types.is_string(values.type) else pa.large_binary())
    found: list[bytes | None] = values.to_pylist()
    return found
