"""The demo's sample events: orders, sensor readings and feedback, endless and reproducible.

* Orders (seed 001): `{"order_id", "customerId", "amount", "ts"}` keyed by customer.
* Sensor readings (seed 000): `{"sensorId", "temperature", "timestamp"}` keyed by sensor, every
  sensor once per `SENSOR_STEP_S` seconds of event time. The demo produces them faster than that
  (event time runs about 30 times faster than the wall clock), so that one-minute windows close
  every second or two while it runs.
* Feedback (seed 003): the bundled Slack and Twitter messages of examples/feedback_sentiment,
  replayed in rounds, each round with new ids.
"""

from __future__ import annotations

import itertools
import json
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any

CUSTOMERS = ("ada", "grace", "linus", "margaret", "ken", "barbara")
SENSORS = ("s1", "s2", "s3", "s4", "s5")
SENSOR_BASE_TEMPERATURE = {"s1": 21.0, "s2": 18.5, "s3": 24.0, "s4": 16.0, "s5": 30.0}
SENSOR_STEP_S = 6
"""Event-time seconds between two readings of a sensor."""


def order_events(count: int | None, seed: int = 7) -> Iterator[tuple[str, bytes]]:
    """(customer, JSON order event) pairs: order_id, customer, amount, ts (epoch ms).

    `count=None`: endless.
    """
    rng = random.Random(seed)  # noqa: S311 (sample data, not cryptography)
    now_ms = int(time.time() * 1000)
    numbers = range(count) if count is not None else itertools.count()
    for number in numbers:
        customer = rng.choice(CUSTOMERS)
        order = {
            "order_id": f"order-{number + 1:06d}",
            "customerId": customer,
            "amount": round(rng.uniform(5, 250), 2),
            "ts": now_ms + number,
        }
        yield customer, json.dumps(order).encode()


def sensor_readings(start: datetime, seed: int = 11) -> Iterator[tuple[str, bytes]]:
    """(sensor, JSON reading) pairs: every sensor once per `SENSOR_STEP_S` of event time."""
    rng = random.Random(seed)  # noqa: S311
    start = start.replace(second=0, microsecond=0)
    for tick in itertools.count():
        moment = (start + timedelta(seconds=tick * SENSOR_STEP_S)).strftime("%Y-%m-%dT%H:%M:%SZ")
        for sensor in SENSORS:
            drift = 2.0 * ((tick // 20) % 5) / 4  # a slow rise and fall, every 100 readings
            temperature = SENSOR_BASE_TEMPERATURE[sensor] + drift + rng.uniform(-0.5, 0.5)
            reading = {
                "sensorId": sensor,
                "temperature": round(temperature, 2),
                "timestamp": moment,
            }
            yield sensor, json.dumps(reading).encode()


def replayed(
    events: Callable[[], Iterable[dict[str, Any]]], stop: threading.Event
) -> Callable[[], Iterator[dict[str, Any]]]:
    """`events` replayed round after round (ids suffixed `-r<round>`) until `stop` is set."""

    def rounds() -> Iterator[dict[str, Any]]:
        for round_number in itertools.count(1):
            for event in events():
                if stop.is_set():
                    return
                yield {**event, "id": f"{event['id']}-r{round_number}"}

    return rounds
