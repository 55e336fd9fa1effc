"""The three topics of the worker (`config.storage.topic`, `offset.storage.topic`,
`status.storage.topic`) as its store: written by one producer, followed by one reader.

1. `start()` creates the topics if missing (compacted; configs with one partition, offsets and
   status with `*.storage.partitions`), assigns every partition of the three from the beginning
   to the reader thread (read_committed), which applies each record to `ConnectState`, and
   returns once the reader has reached the high watermarks the topics had at start.
2. `write_config(key, value)` produces one record to the config topic, waits for its delivery,
   then until the reader has applied it, so what a REST call wrote is visible to the next.
3. `write_offsets(records)` produces offset records and waits for their delivery (the source
   runtime calls it after the task's records are delivered: steps of `source_worker`).
4. `write_status(key, value)` applies the status at once and produces it without waiting.
5. `stop()` stops the reader and closes the clients.

Keys are strings (configs, status) or compact JSON (offsets), values JSON without schemas, and
the producer partitions with murmur2 like the Java producer: the topics are Apache Connect's.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, Producer
from confluent_kafka import TopicPartition as KafkaPartition
from confluent_kafka.admin import (  # type: ignore[attr-defined]  # re-exported, no __all__
    AdminClient,
    NewTopic,
)

from kaspar.connect.config import WorkerConfig
from kaspar.connect.state import ConnectState

log = logging.getLogger(__name__)
client_log = logging.getLogger("kaspar.connect.librdkafka")
POLL_S = 0.05


class StoreError(RuntimeError):
    """A store record that could not be written or read back in time."""


def client_config(config: WorkerConfig, kind: str) -> dict[str, Any]:
    """What a Kafka client of the worker is created with (`kind`: producer, consumer, admin)."""
    return {
        "bootstrap.servers": config.bootstrap_servers,
        "logger": client_log,
        **config.client(kind),
    }


def encode(value: Any) -> bytes | None:
    return None if value is None else json.dumps(value, separators=(",", ":")).encode()


def offset_records(
    connector: str, offsets: list[tuple[Any, Any]]
) -> list[tuple[bytes, bytes | None]]:
    """(key, value) of the offset topic's records for (source partition, source offset)."""
    return [(encode([connector, p]) or b"", encode(o)) for p, o in offsets]


class KafkaStore:
    """Steps 1-5 of the module docstring."""

    def __init__(self, config: WorkerConfig, state: ConnectState) -> None:
        self.config, self.state = config, state
        self.cluster_id = ""
        self._producer = Producer(
            {
                **client_config(config, "producer"),
                "enable.idempotence": True,
                "acks": "all",
                "linger.ms": 0,
                "partitioner": "murmur2_random",
            }
        )
        reader = {
            **client_config(config, "consumer"),
            "group.id": f"kaspar-connect-reader-{uuid.uuid4().hex}",
            "enable.auto.commit": False,
            "isolation.level": "read_committed",
            "fetch.wait.max.ms": 50,
            "fetch.error.backoff.ms": 50,
        }
        self._consumer = Consumer(reader)
        self._watermarks = Consumer({**reader, "group.id": f"{reader['group.id']}-hw"})
        self._positions: dict[tuple[str, int], int] = {}
        self._progress = threading.Condition()
        self._running = self._closed = False
        self._thread: threading.Thread | None = None

    @property
    def topics(self) -> dict[str, tuple[int, int]]:
        """topic -> (partitions, replication factor)."""
        c = self.config
        return {
            c.config_storage_topic: (1, c.config_storage_replication_factor),
            c.offset_storage_topic: (
                c.offset_storage_partitions,
                c.offset_storage_replication_factor,
            ),
            c.status_storage_topic: (
                c.status_storage_partitions,
                c.status_storage_replication_factor,
            ),
        }

    def start(self, timeout: float = 60.0) -> None:
        """Step 1."""
        partitions = self._create_topics(timeout)
        self._positions = dict.fromkeys(partitions, 0)
        self._consumer.assign([KafkaPartition(t, p, OFFSET_BEGINNING) for t, p in partitions])
        self._running = True
        self._thread = threading.Thread(
            target=self._follow, name="kaspar-connect-store", daemon=True
        )
        self._thread.start()
        self.wait_caught_up(timeout)
        self.state.live = True

    def _create_topics(self, timeout: float) -> list[tuple[str, int]]:
        admin = AdminClient(client_config(self.config, "admin"))
        metadata = admin.list_topics(timeout=timeout)
        self.cluster_id = metadata.cluster_id or ""
        brokers = max(1, len(metadata.brokers))
        missing = [
            NewTopic(topic, count, min(replicas, brokers), config={"cleanup.policy": "compact"})
            for topic, (count, replicas) in self.topics.items()
            if topic not in metadata.topics
        ]
        for future in (
            admin.create_topics(missing, request_timeout=timeout) if missing else {}
        ).values():
            try:
                future.result(timeout)
            except KafkaException as exc:
                if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                    raise
        metadata = admin.list_topics(timeout=timeout)
        return [
            (topic, partition)
            for topic in self.topics
            for partition in metadata.topics[topic].partitions
        ]

    def _follow(self) -> None:
        while self._running:
            try:
                first = self._consumer.poll(POLL_S)
                messages = [] if first is None else [first, *self._consumer.consume(500, 0)]
            except (KafkaException, RuntimeError):
                log.exception("connect store: consume failed")
                time.sleep(POLL_S)
                continue
            for message in messages:
                if message.error() is None:
                    self._apply(message)
            if not messages:
                self._update_positions()

    def _apply(self, message: Any) -> None:
        topic, partition, offset = message.topic(), message.partition(), message.offset()
        try:
            raw_key, raw_value = message.key(), message.value()
            value = None if raw_value is None else json.loads(raw_value)
            if topic == self.config.offset_storage_topic:
                self.state.apply_offset(json.loads(raw_key), value)
            elif topic == self.config.status_storage_topic:
                self.state.apply_status(raw_key.decode(), value)
            else:
                self.state.apply_config(raw_key.decode(), value)
        except (ValueError, AttributeError, TypeError):
            log.warning(
                "connect store: skipped a malformed record at %s-%d@%d", topic, partition, offset
            )
        with self._progress:
            self._positions[(topic, partition)] = offset + 1
            self._progress.notify_all()

    def _update_positions(self) -> None:
        try:
            positions = self._consumer.position([KafkaPartition(t, p) for t, p in self._positions])
        except (KafkaException, RuntimeError):
            return
        with self._progress:
            for tp in positions:
                key = (tp.topic, tp.partition)
                self._positions[key] = max(self._positions[key], tp.offset)
            self._progress.notify_all()

    def _wait_applied(self, partition: tuple[str, int], offset: int, timeout: float) -> None:
        with self._progress:
            if not self._progress.wait_for(lambda: self._positions[partition] > offset, timeout):
                raise StoreError(f"Timed out reading back offset {offset} of {partition[0]}")

    def wait_caught_up(self, timeout: float) -> None:
        for topic, partition in list(self._positions):
            _, high = self._watermarks.get_watermark_offsets(
                KafkaPartition(topic, partition), timeout=timeout, cached=False
            )
            if high > 0:
                self._wait_applied((topic, partition), high - 1, timeout)

    def _produce(
        self, topic: str, records: list[tuple[bytes, bytes | None]], timeout: float
    ) -> list[Any]:
        delivered: list[Any] = []

        def report(error: Any, message: Any) -> None:
            delivered.append((error, message))

        try:
            for key, value in records:
                self._producer.produce(topic, value=value, key=key, on_delivery=report)
        except (KafkaException, BufferError) as exc:
            raise StoreError(f"Error while writing to {topic}: {exc}") from exc
        self._producer.flush(timeout)
        if len(delivered) < len(records):
            raise StoreError(f"Timed out writing to {topic}")
        for error, _ in delivered:
            if error is not None:
                raise StoreError(f"Error while writing to {topic}: {error.str()}")
        return [message for _, message in delivered]

    def write_config(self, key: str, value: dict[str, Any] | None, timeout: float = 30.0) -> None:
        """Step 2."""
        topic = self.config.config_storage_topic
        (message,) = self._produce(topic, [(key.encode(), encode(value))], timeout)
        self._wait_applied((topic, message.partition()), message.offset(), timeout)

    def write_offsets(self, connector: str, offsets: list[tuple[Any, Any]], timeout: float) -> None:
        """Step 3: `offsets` as (source partition, source offset or None)."""
        records = offset_records(connector, offsets)
        if records:
            self._produce(self.config.offset_storage_topic, records, timeout)
            for partition, offset in offsets:
                self.state.apply_offset([connector, partition], offset)

    def write_status(self, key: str, value: dict[str, Any] | None) -> None:
        """Step 4."""
        self.state.apply_status(key, value)
        try:
            self._producer.produce(
                self.config.status_storage_topic, value=encode(value), key=key.encode()
            )
            self._producer.poll(0)
        except (KafkaException, BufferError):
            log.exception("connect store: status %s not written", key)

    def stop(self) -> None:
        """Step 5; idempotent."""
        if self._closed:
            return
        self._closed = True
        self._running = False
        stuck = False
        if self._thread is not None:
            self._thread.join(5)
            stuck = self._thread.is_alive()
        if not stuck:
            self._consumer.close()
        self._watermarks.close()
        self._producer.flush(2)
