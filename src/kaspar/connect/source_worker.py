"""The source runtime: a source task's records into Kafka, then its offsets, then its commit.

1. Start the plugin's task with its config and a context that reads the stored offsets.
2. Loop until stopped (while paused, wait): `poll()` a batch; each record goes through the
   transforms and the converters (a failure fails the task, or with `errors.tolerance=all` skips
   the record) and is produced with an idempotent `acks=all` producer. The latest source offset
   of each source partition is kept as pending.
3. Every `offset.flush.interval.ms` (and at stop): wait until every produced record is
   delivered (a delivery error fails the task: the offsets are then not stored), write the
   pending offsets to the offset topic, and only then call the task's `commit()`; a task that
   acknowledges its source (a replication slot) does it there, so nothing is released before
   it is durable in Kafka.
4. At stop: step 3 once more, `stop()` the plugin's task, close the producer.
"""

from __future__ import annotations

import time
from typing import Any

from confluent_kafka import KafkaException, Producer

from kaspar.connect.connector import SourceTask, SourceTaskContext
from kaspar.connect.data import SourceRecord
from kaspar.connect.kafka_store import client_config
from kaspar.connect.state import partition_key
from kaspar.connect.worker_task import WorkerTask


class SourceWorker(WorkerTask):
    """Steps 1-4 of the module docstring."""

    task_class: type[SourceTask]

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.pending: dict[str, tuple[Any, Any]] = {}
        self.delivery_errors: list[str] = []
        self.task: SourceTask | None = None
        self.producer: Producer | None = None
        self.records_sent = 0
        self._partition_keys: dict[int, tuple[Any, str]] = {}
        self.next_commit = time.monotonic() + self.context.config.offset_flush_interval_ms / 1000

    def producer_config(self) -> dict[str, Any]:
        return {
            **client_config(self.context.config, "producer"),
            "enable.idempotence": True,
            "acks": "all",
            "linger.ms": 5,
            "partitioner": "murmur2_random",
        }

    def task_context(self) -> SourceTaskContext:
        state = self.context.store.state
        return SourceTaskContext(self.props, lambda p: state.offset(self.connector, p))

    def initialize(self) -> None:
        """Step 1."""
        self.producer = Producer(self.producer_config())
        task = self.task_instance(self.task_class)
        task.initialize(self.task_context())
        task.start(self.props)
        self.task = task

    def execute(self) -> None:
        """Step 2, with step 3 when `commit_due`."""
        assert self.task is not None
        while not self.stopping:
            records = self.task.poll() if self.wait_if_paused() else None
            if records:
                self.send(records)
            if self.commit_due():
                self.commit_offsets()

    def commit_due(self) -> bool:
        """Every `offset.flush.interval.ms`."""
        now = time.monotonic()
        if now < self.next_commit:
            return False
        self.next_commit = now + self.context.config.offset_flush_interval_ms / 1000
        return True

    def send(self, records: list[SourceRecord]) -> None:
        assert self.producer is not None
        produce, on_delivery = self.producer.produce, self._delivered
        for original in records:
            try:
                record = self.transform(original)
                if not isinstance(record, SourceRecord):
                    self.pending[self._partition_key(original.source_partition)] = (
                        original.source_partition,
                        original.source_offset,
                    )
                    continue
                key = self.key_converter.from_connect_data(
                    record.topic, record.key_schema, record.key
                )
                value = self.value_converter.from_connect_data(
                    record.topic, record.value_schema, record.value
                )
            except Exception as exc:
                if not self.errors.tolerate("VALUE_CONVERTER", exc):
                    raise
                continue
            self._produce(produce, record, key, value, on_delivery)
            self.pending[self._partition_key(original.source_partition)] = (
                original.source_partition,
                original.source_offset,
            )
        self.records_sent += len(records)
        self.producer.poll(0)

    def _partition_key(self, partition: Any) -> str:
        """`partition_key`, cached for the partition object a task reuses for its records."""
        cached = self._partition_keys.get(id(partition))
        if cached is None or cached[0] is not partition:
            cached = self._partition_keys[id(partition)] = (partition, partition_key(partition))
            if len(self._partition_keys) > 1024:
                self._partition_keys.clear()
        return cached[1]

    def _produce(
        self, produce: Any, record: SourceRecord, key: Any, value: Any, on_delivery: Any
    ) -> None:
        extra: dict[str, Any] = {}
        if record.kafka_partition is not None:
            extra["partition"] = record.kafka_partition
        if record.timestamp is not None:
            extra["timestamp"] = record.timestamp
        while True:
            try:
                produce(
                    record.topic,
                    value=value,
                    key=key,
                    headers=record.headers or None,
                    on_delivery=on_delivery,
                    **extra,
                )
                return
            except BufferError:  # the queue is full: let deliveries drain it
                assert self.producer is not None
                self.producer.poll(0.1)

    def _delivered(self, error: Any, message: Any) -> None:
        if error is not None:
            self.delivery_errors.append(f"{message.topic()}: {error.str()}")

    def commit_offsets(self) -> None:
        """Step 3."""
        assert self.producer is not None and self.task is not None
        timeout = self.context.config.offset_flush_timeout_ms / 1000
        while self.producer.flush(timeout) > 0:
            if self.stopping:
                return  # not delivered: the offsets stay unstored, the records are resent
        if self.delivery_errors:
            raise KafkaException(
                f"Unrecoverable exception from producer send callback: {self.delivery_errors[0]}"
            )
        offsets, self.pending = list(self.pending.values()), {}
        self.context.store.write_offsets(self.connector, offsets, timeout)
        self.task.commit()

    def close(self) -> None:
        """Step 4."""
        try:
            if self.task is not None and self.state != "FAILED":
                self.commit_offsets()
        finally:
            if self.task is not None:
                self.task.stop()
            if self.producer is not None:
                self.producer.flush(1)
