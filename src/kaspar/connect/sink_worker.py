"""The sink runtime: records of `topics` / `topics.regex` consumed in the group
`connect-<connector>`, converted, transformed and `put` into the task.

1. Start the plugin's task; subscribe; assigned and revoked partitions are passed to its
   `open` / `close` (a revocation first flushes and commits what was put).
2. Loop until stopped: consume a batch (paused: the assignment is paused and nothing comes);
   convert and transform each record (failures fail the task, or with `errors.tolerance=all`
   go to the dead letter queue); `put` the batch.
3. Every `offset.flush.interval.ms` (and at stop): the task's `flush(offsets)`, the DLQ
   producer's deliveries, then the consumer offsets committed synchronously: a record is
   committed only once the task made it durable.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from confluent_kafka import Consumer, KafkaException
from confluent_kafka import TopicPartition as KafkaPartition

from kaspar.connect.connector import SinkTask, SinkTaskContext
from kaspar.connect.data import SinkRecord
from kaspar.connect.kafka_store import client_config
from kaspar.connect.worker_task import WorkerTask

log = logging.getLogger(__name__)
BATCH = 500
POLL_S = 0.2


def subscription(props: Mapping[str, str]) -> list[str]:
    """The topics of `topics` or, as a librdkafka regex subscription, `topics.regex`."""
    regex = props.get("topics.regex", "").strip()
    if regex:
        return [regex if regex.startswith("^") else f"^{regex}"]
    return [t.strip() for t in props.get("topics", "").split(",") if t.strip()]


class SinkWorker(WorkerTask):
    """Steps 1-3 of the module docstring."""

    task_class: type[SinkTask]

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.consumer: Consumer | None = None
        self.task: SinkTask | None = None
        self.next_offsets: dict[tuple[str, int], int] = {}
        self.paused_assignment = False

    def initialize(self) -> None:
        """Step 1."""
        task = self.task_instance(self.task_class)
        task.initialize(SinkTaskContext(self.props))
        task.start(self.props)
        self.task = task
        self.consumer = Consumer(
            {
                **client_config(self.context.config, "consumer"),
                "group.id": f"connect-{self.connector}",
                "enable.auto.commit": False,
                "auto.offset.reset": "earliest",
                "fetch.wait.max.ms": 100,
            }
        )
        self.consumer.subscribe(
            subscription(self.props), on_assign=self._assigned, on_revoke=self._revoked
        )

    def _assigned(self, consumer: Any, partitions: list[Any]) -> None:
        """`open` the partitions; start from the offsets the task asks for, if any."""
        assert self.task is not None
        assigned = [(p.topic, p.partition) for p in partitions]
        self.task.context.assignment.update(assigned)
        try:
            self.task.open(assigned)
        except Exception:
            log.exception("connect: %s-%d: opening partitions failed", self.connector, self.index)
            return
        requested = self.task.context.offsets
        if any(key in requested for key in assigned):
            for partition in partitions:
                key = (partition.topic, partition.partition)
                if key in requested:
                    partition.offset = requested.pop(key)
            consumer.assign(partitions)

    def _revoked(self, consumer: Any, partitions: list[Any]) -> None:
        """Commit what was put, then close the partitions; an exception must not escape into
        librdkafka's callback (the task is failing already when one is raised here)."""
        assert self.task is not None
        revoked = [(p.topic, p.partition) for p in partitions]
        try:
            if self.state != "FAILED":
                self.commit_offsets()
            self.task.context.assignment.difference_update(revoked)
            self.task.close(revoked)
        except Exception:
            log.exception("connect: %s-%d: revoking partitions failed", self.connector, self.index)

    def execute(self) -> None:
        """Step 2, with step 3 on its interval."""
        assert self.consumer is not None and self.task is not None
        interval = self.context.config.offset_flush_interval_ms / 1000
        next_commit = time.monotonic() + interval
        while not self.stopping:
            self._follow_pause()
            messages = self.consumer.consume(BATCH, POLL_S)
            records = self.convert([m for m in messages if m.error() is None])
            if records:
                self.task.put(records)
            if time.monotonic() >= next_commit:
                self.commit_offsets()
                next_commit = time.monotonic() + interval

    def _follow_pause(self) -> None:
        """Paused: the assignment (also one that came since) is paused; resumed: resumed."""
        assert self.consumer is not None
        if not self._resumed.is_set():
            self.consumer.pause(self.consumer.assignment())
            self.paused_assignment = True
        elif self.paused_assignment:
            self.consumer.resume(self.consumer.assignment())
            self.paused_assignment = False

    def convert(self, messages: list[Any]) -> list[SinkRecord]:
        records = []
        for message in messages:
            topic, partition, offset = message.topic(), message.partition(), message.offset()
            self.next_offsets[(topic, partition)] = offset + 1
            stage = "KEY_CONVERTER"
            try:
                key_schema, key = self.key_converter.to_connect_data(topic, message.key())
                stage = "VALUE_CONVERTER"
                value_schema, value = self.value_converter.to_connect_data(topic, message.value())
                stage = "TRANSFORMATION"
                _, timestamp = message.timestamp()
                record = self.transform(
                    SinkRecord(
                        topic,
                        partition,
                        offset,
                        key_schema=key_schema,
                        key=key,
                        value_schema=value_schema,
                        value=value,
                        timestamp=timestamp,
                        headers=list(message.headers() or []),
                    )
                )
            except Exception as exc:
                if not self.errors.tolerate(stage, exc, message):
                    raise
                continue
            if isinstance(record, SinkRecord):
                records.append(record)
        return records

    def commit_offsets(self) -> None:
        """Step 3."""
        if not self.next_offsets or self.task is None or self.consumer is None:
            return
        offsets = dict(self.next_offsets)
        self.task.flush(offsets)
        self.errors.flush(self.context.config.offset_flush_timeout_ms / 1000)
        try:
            self.consumer.commit(
                offsets=[KafkaPartition(t, p, o) for (t, p), o in offsets.items()],
                asynchronous=False,
            )
        except KafkaException:
            return  # a rebalance in progress: committed by the next owner's flush instead
        for key, offset in offsets.items():
            if self.next_offsets.get(key) == offset:
                del self.next_offsets[key]

    def close(self) -> None:
        try:
            if self.state != "FAILED":
                self.commit_offsets()
        finally:
            if self.task is not None:
                self.task.stop()
            if self.consumer is not None:
                self.consumer.close()
