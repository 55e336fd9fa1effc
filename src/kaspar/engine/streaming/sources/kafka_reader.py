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

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka import TopicPartition as KafkaTopicPartition

from kaspar.engine.sources.kafka_options import TopicPartition
from kaspar.errors import SparkRuntimeException

_CONSUME_BATCH = 10_000
_AHEAD_LIMIT = 50_000


class ContinuousReader:
    """Consecutive ranges of many partitions, read with ``consumer`` (assigned, no group)."""

    def __init__(self, consumer: Any, poll_timeout_ms: int) -> None:
        self.consumer = consumer
        self.poll_timeout_ms = poll_timeout_ms
        self.position: dict[TopicPartition, int] = {}  # next offset the consumer delivers
        self.ahead: dict[TopicPartition, list[Any]] = {}  # fetched past the last range's end
        self.paused: set[TopicPartition] = set()

    def read(self, ranges: dict[TopicPartition, tuple[int, int]]) -> list[Any]:
        """The messages of every ``[start, end)`` range, in no particular order."""
        wanted = {tp: r for tp, r in ranges.items() if r[1] > r[0]}
        out: list[Any] = []
        pending: dict[TopicPartition, int] = {}
        self._position(wanted)
        for tp, (start, end) in wanted.items():
            kept, highest = [], -1
            for message in self.ahead.pop(tp, []):
                offset = message.offset()
                highest = max(highest, offset)
                if start <= offset < end:
                    out.append(message)
                elif offset >= end:
                    kept.append(message)
            if kept:
                self.ahead[tp] = kept
            if highest < end - 1:
                pending[tp] = end
        if pending:
            self._resume(list(pending))
            self._consume(wanted, pending, out)
        for tp, (_, end) in wanted.items():
            self.position[tp] = max(self.position.get(tp, end), end)
        return out

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
        self,
        wanted: dict[TopicPartition, tuple[int, int]],
        pending: dict[TopicPartition, int],
        out: list[Any],
    ) -> None:
        deadline = time.monotonic() + self.poll_timeout_ms / 1000
        while pending:
            left = sum(end - wanted[tp][0] for tp, end in pending.items())
            messages = self.consumer.consume(max(1, min(_CONSUME_BATCH, left)), timeout=0.2)
            if messages:
                deadline = time.monotonic() + self.poll_timeout_ms / 1000
            elif time.monotonic() > deadline:
                raise SparkRuntimeException(
                    f"Timed out after {self.poll_timeout_ms} ms reading offsets of "
                    f"{sorted(pending)} (kafkaConsumer.pollTimeoutMs)"
                )
            for message in messages:
                tp = (message.topic(), message.partition())
                error = message.error()
                if error is not None:
                    if error.code() != KafkaError._PARTITION_EOF:
                        raise SparkRuntimeException(f"Kafka source failed: {KafkaException(error)}")
                    if tp in pending and message.offset() >= pending[tp]:
                        del pending[tp]  # nothing left below the end (e.g. a control record)
                        self._pause(tp)
                    continue
                offset = message.offset()
                bounds = wanted.get(tp)
                if bounds is not None and bounds[0] <= offset < bounds[1]:
                    out.append(message)
                elif bounds is None or offset >= bounds[1]:
                    self.ahead.setdefault(tp, []).append(message)
                if tp in pending and offset >= pending[tp] - 1:
                    del pending[tp]
                    self._pause(tp)

    def close(self) -> None:
        self.consumer.close()
