"""One idempotent `acks=all` producer for the whole proxy, whose deliveries are awaited.

`DeliveringProducer.send` hands a record to librdkafka and returns an asyncio future resolved by
the record's delivery report, so a request is answered only once its records are durable (or
failed, each with its own error). How reports travel:

1. `send` calls `Producer.produce` on the event loop's thread (it only queues the record); when
   librdkafka's queue is full it waits for room and tries again.
2. A poll thread calls `Producer.poll`; librdkafka runs the delivery callbacks there, which only
   append `(future, error, message)` to a list.
3. After each `poll`, the list is handed to each event loop in one `call_soon_threadsafe`, where
   the futures are resolved: one thread hop per poll, not per record.
4. `close` stops the poll thread, then flushes what is queued (up to a timeout).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from confluent_kafka import KafkaError, Message, Producer

from kaspar.rest.config import CLIENT_LOG

POLL_TIMEOUT_S = 0.05
FULL_QUEUE_WAIT_S = 0.002
CLOSE_FLUSH_S = 10.0

PRODUCER_DEFAULTS = {
    "acks": "all",
    "enable.idempotence": "true",
    "linger.ms": "5",
    "queue.buffering.max.messages": "1000000",
}


@dataclass(frozen=True, slots=True)
class Delivery:
    """Where a record landed (error None), or why it did not."""

    partition: int
    offset: int
    timestamp_ms: int | None
    error: KafkaError | None


Report = tuple["asyncio.Future[Delivery]", KafkaError | None, Message]


class DeliveringProducer:
    """A confluent-kafka `Producer` whose `send` returns an awaitable delivery report."""

    def __init__(self, bootstrap_servers: str, overrides: Mapping[str, str]) -> None:
        config: dict[str, Any] = {
            "bootstrap.servers": bootstrap_servers,
            "logger": CLIENT_LOG,
            **PRODUCER_DEFAULTS,
        }
        config.update(overrides)
        self._producer = Producer(config)
        self._reports: list[Report] = []
        self._running = True
        self._thread = threading.Thread(target=self._poll_loop, name="kaspar-rest-poll")
        self._thread.daemon = True
        self._thread.start()

    def send_nowait(
        self,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        *,
        partition: int | None = None,
        timestamp_ms: int | None = None,
        headers: Sequence[tuple[str, bytes | None]] | None = None,
    ) -> asyncio.Future[Delivery]:
        """Step 1: queue one record; the future resolves with its delivery report. Raises
        `BufferError` when librdkafka's queue is full (`send` waits for room)."""
        future: asyncio.Future[Delivery] = asyncio.get_running_loop().create_future()
        on_delivery = self._callback(future)
        if partition is None and timestamp_ms is None and not headers:
            self._producer.produce(topic, value, key, on_delivery=on_delivery)
            return future
        kwargs: dict[str, Any] = {"on_delivery": on_delivery}
        if partition is not None:
            kwargs["partition"] = partition
        if timestamp_ms is not None:
            kwargs["timestamp"] = timestamp_ms
        if headers:
            kwargs["headers"] = list(headers)
        self._producer.produce(topic, value, key, **kwargs)
        return future

    async def send(
        self,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        *,
        partition: int | None = None,
        timestamp_ms: int | None = None,
        headers: Sequence[tuple[str, bytes | None]] | None = None,
    ) -> asyncio.Future[Delivery]:
        """`send_nowait`, waiting for room in a full queue."""
        while True:
            try:
                return self.send_nowait(
                    topic,
                    key,
                    value,
                    partition=partition,
                    timestamp_ms=timestamp_ms,
                    headers=headers,
                )
            except BufferError:
                await asyncio.sleep(FULL_QUEUE_WAIT_S)

    def _callback(self, future: asyncio.Future[Delivery]) -> Any:
        def on_delivery(error: KafkaError | None, message: Message) -> None:  # step 2
            self._reports.append((future, error, message))

        return on_delivery

    def _poll_loop(self) -> None:
        while self._running:
            self._producer.poll(POLL_TIMEOUT_S)
            self._hand_over()

    def _hand_over(self) -> None:
        """Step 3: give the collected reports to their event loops, one call per loop."""
        if not self._reports:
            return
        reports, self._reports = self._reports, []
        by_loop: dict[asyncio.AbstractEventLoop, list[Report]] = {}
        for report in reports:
            by_loop.setdefault(report[0].get_loop(), []).append(report)
        for loop, batch in by_loop.items():
            with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits for these
                loop.call_soon_threadsafe(_resolve, batch)

    def close(self) -> None:
        """Step 4 (the poll thread stops first, so callbacks run on one thread at a time)."""
        self._running = False
        self._thread.join()
        self._producer.flush(CLOSE_FLUSH_S)
        self._hand_over()


def _resolve(batch: list[Report]) -> None:
    for future, error, message in batch:
        if future.done():
            continue
        timestamp_type, timestamp = message.timestamp()
        future.set_result(
            Delivery(
                partition=message.partition() or 0 if error is None else -1,
                offset=message.offset() or 0 if error is None else -1,
                timestamp_ms=timestamp if timestamp_type else None,
                error=error,
            )
        )
