"""The demo's producers: each a thread writing its events to one topic at a steady rate.

A `SteadyProducer` produces `rate` records a second (plus a burst of `burst` records every
`burst_every_s` seconds) until its stop event is set, then flushes: every record it produced
is acknowledged (acks=all) or counted in `errors`. The feedback sources are the
`FeedbackProducer`s of examples/feedback_sentiment, started by `pipelines.py`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

from confluent_kafka import KafkaError, Message, Producer

from kaspar.cli.client_config import client_config

TICK_S = 0.1
FLUSH_TIMEOUT_S = 30.0


class SteadyProducer(threading.Thread):
    """Produces (key, value) pairs from `events` to `topic`, `rate` a second, until `stop`."""

    def __init__(
        self,
        bootstrap_servers: str,
        topic: str,
        events: Iterator[tuple[str, bytes]],
        rate: float,
        stop: threading.Event,
        *,
        burst: int = 0,
        burst_every_s: float = 10.0,
    ) -> None:
        super().__init__(name=f"demo-producer-{topic}", daemon=True)
        self.topic = topic
        self.events = events
        self.rate = rate
        self.burst = burst
        self.burst_every_s = burst_every_s
        self.stop_event = stop
        self.produced = 0
        self.delivered = 0
        self.errors: list[str] = []
        self._producer = Producer(client_config(bootstrap_servers, acks="all", **{"linger.ms": 5}))

    def run(self) -> None:
        started = next_tick = time.monotonic()
        bursts_done = 0
        owed = 0.0
        while not self.stop_event.is_set():
            owed += self.rate * TICK_S
            count, owed = int(owed), owed - int(owed)
            if self.burst and time.monotonic() - started >= (bursts_done + 1) * self.burst_every_s:
                bursts_done += 1
                count += self.burst
            self._produce(count)
            next_tick += TICK_S
            self.stop_event.wait(max(0.0, next_tick - time.monotonic()))
        self._producer.flush(FLUSH_TIMEOUT_S)
        if len(self._producer):
            self.errors.append(f"{len(self._producer)} record(s) not delivered to {self.topic}")
        del self._producer  # closes its connections now, not when the thread object goes

    def _produce(self, count: int) -> None:
        for key, value in (next(self.events) for _ in range(count)):
            while True:
                try:
                    self._producer.produce(
                        self.topic, value=value, key=key, on_delivery=self._delivered
                    )
                    break
                except BufferError:
                    self._producer.poll(0.1)
            self.produced += 1
        self._producer.poll(0)

    def _delivered(self, error: KafkaError | None, _message: Message) -> None:
        if error is None:
            self.delivered += 1
        else:
            self.errors.append(f"{self.topic}: {error.str()}")
