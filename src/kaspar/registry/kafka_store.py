"""The `_schemas` topic as the registry's store: written by one producer, followed by one reader.

1. `start()` creates the topics if missing (`kafkastore.topic`: one partition, compacted; the
   leader topic likewise), starts the reader thread (both topics assigned from the beginning,
   every record applied to `RegistryState` in offset order), and returns once the reader has
   reached the high watermark the topic had at start: the state is then the topic's.
2. `fence()` (the new leader, before its first write) makes this process the one writer: it
   opens a transactional producer whose `transactional.id` every registry process of the
   cluster shares (`<schema.registry.group.id>-<kafkastore.topic>`). Its `init_transactions`
   makes the broker bump the producer epoch of that id, abort whatever transaction the
   previous holder left open, and from then on refuse that holder's writes (PRODUCER_FENCED):
   a deposed leader that still believes it leads cannot write any more, whatever its clock or
   its view of the group says. `release()` (leadership revoked) drops the producer.
3. `write(key, value)` produces one record in a transaction of its own (`acks=all`), waits for
   its delivery offset, then until the reader (read_committed, librdkafka's default) has
   applied that offset, so every read after the write sees it. Fenced, it releases the
   producer, calls `on_fenced` and raises 50004 (the forwarder or the client retries on the
   new leader); without the producer (not leading) it raises 50004 at once.
4. `wait_caught_up()` waits until the reader reaches the current high watermark (a follower
   calls it after forwarding a write, so its own reads see the leader's write).
5. `stop()` stops the reader and closes the clients.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, Producer
from confluent_kafka import TopicPartition as KafkaPartition
from confluent_kafka.admin import (  # type: ignore[attr-defined]  # re-exported, no __all__
    AdminClient,
    NewTopic,
)

from kaspar.registry import errors
from kaspar.registry.config import RegistryConfig
from kaspar.registry.records import decode, encode
from kaspar.registry.state import RegistryState

log = logging.getLogger(__name__)
POLL_S = 0.05
FENCED = (KafkaError._FENCED, KafkaError.PRODUCER_FENCED, KafkaError.INVALID_PRODUCER_EPOCH)
client_log = logging.getLogger("kaspar.registry.librdkafka")  # not stderr: logging decides


def kafka_client_config(config: RegistryConfig) -> dict[str, Any]:
    """What every Kafka client of the registry is created with."""
    return {
        "bootstrap.servers": config.bootstrap_servers,
        "logger": client_log,
        **config.client_config,
    }


class KafkaStore:
    """Steps 1-5 of the module docstring."""

    def __init__(self, config: RegistryConfig, state: RegistryState) -> None:
        self.config, self.state = config, state
        self.cluster_id = ""
        client = kafka_client_config(config)
        self._client = client
        self.transactional_id = f"{config.group_id}-{config.topic}"
        self.on_fenced: Callable[[], None] = lambda: None
        self._producer: Producer | None = None  # the leader's, transactional (step 2)
        self._write_lock = threading.Lock()  # one transaction at a time
        self._consumer = Consumer(
            {
                **client,
                "group.id": f"kaspar-registry-reader-{uuid.uuid4().hex}",
                "enable.auto.commit": False,
                "fetch.wait.max.ms": 50,
                "fetch.error.backoff.ms": 50,
            }
        )
        # the high watermarks are asked on a consumer of their own: the reader's is busy polling
        self._watermarks = Consumer(
            {**client, "group.id": f"kaspar-registry-watermarks-{uuid.uuid4().hex}"}
        )
        self._positions: dict[str, int] = {config.topic: 0, config.leader_topic: 0}
        self._progress = threading.Condition()
        self._running = self._closed = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Step 1."""
        timeout = self.config.init_timeout_ms / 1000
        self._create_topics(timeout)
        self._consumer.assign(
            [KafkaPartition(topic, 0, OFFSET_BEGINNING) for topic in self._positions]
        )
        self._running = True
        self._thread = threading.Thread(
            target=self._follow, name="kaspar-registry-reader", daemon=True
        )
        self._thread.start()
        self.wait_caught_up(timeout)

    def _create_topics(self, timeout: float) -> None:
        admin = AdminClient(self._client)  # dropped once done: no idle connections kept
        metadata = admin.list_topics(timeout=timeout)
        self.cluster_id = metadata.cluster_id or ""
        replicas = max(1, min(self.config.topic_replication_factor, len(metadata.brokers)))
        missing = [
            NewTopic(topic, 1, replicas, config={"cleanup.policy": "compact"})
            for topic in self._positions
            if topic not in metadata.topics
        ]
        if not missing:
            return
        for future in admin.create_topics(missing, request_timeout=timeout).values():
            try:
                future.result(timeout)
            except KafkaException as exc:
                if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                    raise

    def _follow(self) -> None:
        while self._running:
            try:  # wait for one record, then take what else is there without waiting
                first = self._consumer.poll(POLL_S)
                messages = [] if first is None else [first, *self._consumer.consume(500, 0)]
            except (KafkaException, RuntimeError):
                log.exception("registry reader: consume failed")
                time.sleep(POLL_S)
                continue
            for message in messages:
                if message.error() is None:
                    self._apply(message)
            if not messages:
                self._update_positions()

    def _apply(self, message: Any) -> None:
        topic, offset = message.topic(), message.offset()
        try:
            key, value = decode(message.key()), decode(message.value())
            if topic == self.config.topic and isinstance(key, dict):
                self.state.apply(key, value)
            elif isinstance(value, dict):
                self.state.leader_url = value.get("url")
        except (ValueError, KeyError, TypeError):
            log.warning("registry reader: skipped a malformed record at %s@%d", topic, offset)
        with self._progress:
            self._positions[topic] = offset + 1
            self._progress.notify_all()

    def _update_positions(self) -> None:
        try:
            positions = self._consumer.position(
                [KafkaPartition(topic, 0) for topic in self._positions]
            )
        except (KafkaException, RuntimeError):
            return
        with self._progress:
            for partition in positions:
                self._positions[partition.topic] = max(
                    self._positions[partition.topic], partition.offset
                )
            self._progress.notify_all()

    def wait_applied(self, topic: str, offset: int, timeout: float) -> None:
        """Until the reader has applied `offset` of `topic`; raises a 50002 error on timeout."""
        with self._progress:
            if not self._progress.wait_for(lambda: self._positions[topic] > offset, timeout):
                raise errors.store_timeout(
                    f"Timed out waiting for the registry to read back offset {offset} of {topic}"
                )

    def wait_caught_up(self, timeout: float | None = None) -> None:
        """Step 4."""
        timeout = self.config.timeout_ms / 1000 if timeout is None else timeout
        for topic in self._positions:
            _, high = self._watermarks.get_watermark_offsets(
                KafkaPartition(topic, 0), timeout=timeout, cached=False
            )
            if high > 0:
                self.wait_applied(topic, high - 1, timeout)

    def fence(self) -> None:
        """Step 2; raises KafkaException if the broker does not grant the transactional id."""
        producer = Producer(
            {
                **self._client,
                "transactional.id": self.transactional_id,
                "enable.idempotence": True,
                "acks": "all",
                "linger.ms": 0,
            }
        )
        producer.init_transactions(self.config.timeout_ms / 1000)
        with self._write_lock:
            previous, self._producer = self._producer, producer
        if previous is not None:
            previous.flush(0)

    def release(self) -> None:
        """Step 2: no more writes from this process until it is fenced in again."""
        self._producer = None

    def write(self, key: dict[str, Any], value: dict[str, Any] | None, topic: str = "") -> None:
        """Step 3; raises 50004 if this process may not write, 50001/50002 if it failed."""
        topic = topic or self.config.topic
        with self._write_lock:
            producer = self._producer
            if producer is None:
                raise errors.unknown_leader()
            try:
                offset = self._write_transaction(producer, topic, key, value)
            except KafkaException as exc:
                self._abort_or_release(producer, exc.args[0])
                raise errors.store_error(f"Error while writing to {topic}: {exc}") from exc
        self.wait_applied(topic, offset, self.config.timeout_ms / 1000)

    def _write_transaction(
        self, producer: Producer, topic: str, key: dict[str, Any], value: dict[str, Any] | None
    ) -> int:
        """The record in a transaction of its own, committed; returns its offset."""
        timeout = self.config.timeout_ms / 1000
        delivered: list[Any] = []
        producer.begin_transaction()
        try:
            producer.produce(
                topic,
                value=encode(value),
                key=encode(key),
                partition=0,
                on_delivery=lambda error, message: delivered.append((error, message)),
            )
        except BufferError as exc:
            producer.abort_transaction(timeout)
            raise errors.store_error(f"Error while writing to {topic}: {exc}") from exc
        producer.commit_transaction(timeout)
        if not delivered:
            raise errors.store_timeout(f"Timed out writing to {topic}")
        error, message = delivered[0]
        if error is not None:
            raise errors.store_error(f"Error while writing to {topic}: {error.str()}")
        return int(message.offset())

    def _abort_or_release(self, producer: Producer, error: KafkaError) -> None:
        """After a failed transaction: fenced (or any fatal error), give up the leadership and
        raise 50004; otherwise abort the transaction so the next write can begin one."""
        if error.fatal() or error.code() in FENCED:
            log.warning("registry store: fenced by a newer leader (%s)", error.str())
            self.release()
            self.on_fenced()
            raise errors.unknown_leader() from KafkaException(error)
        if error.txn_requires_abort():
            try:
                producer.abort_transaction(self.config.timeout_ms / 1000)
            except KafkaException:
                log.exception("registry store: could not abort a failed transaction")

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
            self._thread = None
        if not stuck:  # a consumer closed under a poll in progress can hang
            self._consumer.close()
        self._watermarks.close()
        if self._producer is not None:
            self._producer.flush(1)
            self._producer = None
