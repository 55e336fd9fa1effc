"""Reading consecutive offset ranges of Kafka partitions with one long-lived consumer.

A streaming query reads ``[start, end)`` per partition every batch, and each batch starts where
the previous one ended. Re-assigning the consumer every batch would throw away librdkafka's
prefetched records and restart fetching (and wait behind the Fetch in flight). This reader keeps
partitions assigned instead: a partition is (re)positioned only when a range does not start
where the reader already is (the first batch, a restart, a rewind), records fetched past a
range's end are kept for the next batch. A partition whose range is complete keeps fetching
(pausing and resuming costs librdkafka about a second before the next fetch), unless more than
``_AHEAD_LIMIT`` records are already waiting for it: then it is paused, so a large backlog read
with a small ``maxOffsetsPerTrigger`` does not pile up in memory.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from confluent_kafka import KafkaError, KafkaException
from confluent_kafka import TopicPartition as KafkaTopicPartition

from kaspar.engine.sources.kafka import KAFKA_COLUMNS, columns_table
from kaspar.engine.sources.kafka_options import TopicPartition
from kaspar.errors import SparkRuntimeException

_CONSUME_BATCH = 10_000
_AHEAD_LIMIT = 50_000
_TIMESTAMP_TYPES = {0: -1, 1: 0, 2: 1}  # librdkafka's -> Spark's codes


class _Chunk:
    """Consumed messages and their topic/partition/offset columns, extracted once."""

    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.topics: list[str] = []
        self.partitions: list[int] = []
        self.offsets: list[int] = []

    def add(self, messages: list[Any]) -> dict[TopicPartition, int]:
        """Append ``messages``; the last offset each partition reached in them."""
        topics = [m.topic() for m in messages]
        partitions = [m.partition() for m in messages]
        offsets = [m.offset() for m in messages]
        self.messages += messages
        self.topics += topics
        self.partitions += partitions
        self.offsets += offsets
        return dict(zip(zip(topics, partitions, strict=True), offsets, strict=True))

    def table(self, include_headers: bool) -> pa.Table:
        messages = self.messages
        stamps = [m.timestamp() for m in messages]
        columns: dict[str, list[Any]] = {
            "key": [m.key() for m in messages],
            "value": [m.value() for m in messages],
            "topic": self.topics,
            "partition": self.partitions,
            "offset": self.offsets,
            "timestamp": [ms for _, ms in stamps],
            "timestampType": [_TIMESTAMP_TYPES.get(kind, -1) for kind, _ in stamps],
            "headers": [m.headers() for m in messages] if include_headers else [],
        }
        assert set(columns) == {*KAFKA_COLUMNS, "headers"}
        return columns_table(columns, include_headers, ordered=False)


class ContinuousReader:
    """Consecutive ranges of many partitions, read with ``consumer`` (assigned, no group)."""

    def __init__(self, consumer: Any, poll_timeout_ms: int) -> None:
        self.consumer = consumer
        self.poll_timeout_ms = poll_timeout_ms
        self.position: dict[TopicPartition, int] = {}  # next offset the consumer delivers
        self.ahead: dict[TopicPartition, list[Any]] = {}  # fetched past the last range's end
        self.paused: set[TopicPartition] = set()

    def read(
        self, ranges: dict[TopicPartition, tuple[int, int]], include_headers: bool
    ) -> pa.Table:
        """The records of every ``[start, end)`` range as a table with Spark's Kafka schema."""
        wanted = {tp: r for tp, r in ranges.items() if r[1] > r[0]}
        self._position(wanted)
        chunk = _Chunk()
        pending: dict[TopicPartition, int] = {}
        reached: dict[TopicPartition, int] = {}  # the next offset to come, per pending range
        for tp, (start, end) in wanted.items():
            ahead = self.ahead.pop(tp, [])
            chunk.add(ahead)
            after = ahead[-1].offset() + 1 if ahead else start
            if after < end:
                pending[tp], reached[tp] = end, max(start, after)
        if pending:
            self._resume(list(pending))
            self._consume(pending, reached, chunk)
        for tp, (_, end) in wanted.items():
            self.position[tp] = max(self.position.get(tp, end), end)
        return self._split(chunk, wanted, include_headers)

    def _split(
        self, chunk: _Chunk, wanted: dict[TopicPartition, tuple[int, int]], include_headers: bool
    ) -> pa.Table:
        """The rows inside the ranges; records past a range's end are kept for later."""
        table = chunk.table(include_headers)
        if table.num_rows == 0:
            return table
        bounds = pa.table(
            {
                "topic": pa.array([t for t, _ in wanted], pa.string()),
                "partition": pa.array([p for _, p in wanted], pa.int32()),
                "__start": pa.array([r[0] for r in wanted.values()], pa.int64()),
                "__end": pa.array([r[1] for r in wanted.values()], pa.int64()),
            }
        )
        keys = table.select(["topic", "partition", "offset"]).append_column(
            "__row", pa.array(np.arange(table.num_rows, dtype=np.int64))
        )
        joined = keys.join(bounds, keys=["topic", "partition"], join_type="left outer")
        offset, start, end = joined["offset"], joined["__start"], joined["__end"]
        inside = pc.and_(pc.greater_equal(offset, start), pc.less(offset, end))
        beyond = pc.or_kleene(pc.is_null(end), pc.greater_equal(offset, end))
        for row in joined.filter(pc.fill_null(beyond, True))["__row"].to_pylist():
            message = chunk.messages[row]
            self.ahead.setdefault((message.topic(), message.partition()), []).append(message)
        for kept in self.ahead.values():
            kept.sort(key=lambda m: m.offset())
        rows = joined.filter(pc.fill_null(inside, False))["__row"]
        order = [("topic", "ascending"), ("partition", "ascending"), ("offset", "ascending")]
        return table.take(rows).sort_by(order)

    def _position(self, wanted: dict[TopicPartition, tuple[int, int]]) -> None:
        fresh = []
        for tp, (start, _) in wanted.items():
            where = self.position.get(tp)
            if where is None:
                fresh.append(KafkaTopicPartition(tp[0], tp[1], start))
            elif where != start:
                self.ahead.pop(tp, None)
                self._resume([tp])
                self.consumer.seek(KafkaTopicPartition(tp[0], tp[1], start))
            self.position[tp] = start
        if fresh:
            self.consumer.incremental_assign(fresh)

    def _resume(self, partitions: list[TopicPartition]) -> None:
        paused = [tp for tp in partitions if tp in self.paused]
        if paused:
            self.consumer.resume([KafkaTopicPartition(t, p) for t, p in paused])
            self.paused.difference_update(paused)

    def _pause(self, tp: TopicPartition) -> None:
        if tp not in self.paused and len(self.ahead.get(tp, ())) > _AHEAD_LIMIT:
            self.consumer.pause([KafkaTopicPartition(*tp)])
            self.paused.add(tp)

    def _consume(
        self, pending: dict[TopicPartition, int], reached: dict[TopicPartition, int], chunk: _Chunk
    ) -> None:
        deadline = time.monotonic() + self.poll_timeout_ms / 1000
        while pending:
            # consume() waits for as many messages as asked for: ask for what is left, no more
            left = sum(end - reached[tp] for tp, end in pending.items())
            messages = self.consumer.consume(max(1, min(_CONSUME_BATCH, left)), timeout=0.5)
            if messages:
                deadline = time.monotonic() + self.poll_timeout_ms / 1000
            elif time.monotonic() > deadline:
                raise SparkRuntimeException(
                    f"Timed out after {self.poll_timeout_ms} ms reading offsets of "
                    f"{sorted(pending)} (kafkaConsumer.pollTimeoutMs)"
                )
            if any(m.error() is not None for m in messages):
                messages = self._without_errors(messages, pending)
            last = chunk.add(messages)
            for tp, offset in last.items():
                end = pending.get(tp)
                if end is None:
                    continue
                reached[tp] = offset + 1
                if offset >= end - 1:
                    del pending[tp]
                    self._pause(tp)

    def _without_errors(self, messages: list[Any], pending: dict[TopicPartition, int]) -> list[Any]:
        kept = []
        for message in messages:
            error = message.error()
            if error is None:
                kept.append(message)
                continue
            if error.code() != KafkaError._PARTITION_EOF:
                raise SparkRuntimeException(f"Kafka source failed: {KafkaException(error)}")
            tp = (message.topic(), message.partition())
            if tp in pending and message.offset() >= pending[tp]:
                del pending[tp]  # nothing is left below the end (e.g. a control record)
        return kept

    def close(self) -> None:
        self.consumer.close()
