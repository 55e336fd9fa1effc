"""The demo's checks: what the pipelines wrote, against the topics read back independently.

Each topic is read back from its first offset to its log end with a plain Kafka consumer
(read_committed), and the expected results are computed from those records in Python:

1. orders: the Delta totals per customer equal the sum of the orders' amounts per customer,
   and the orders topic grew by exactly the orders the producer had acknowledged;
2. sensors: every window in the Delta table has the count and average of its readings, and
   every window the final watermark has closed is there;
3. feedback: the routing query wrote exactly the feedback VADER scores below 0.3 (negative) or
   above 0.9 (positive) to the alert topics, and the reaction query sent one notification per
   alert in them.
"""

from __future__ import annotations

import importlib
import json
import math
import time
from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from confluent_kafka import Consumer, TopicPartition

from kaspar.cli.client_config import consumer_config
from kaspar.cli.demo.monitor import Offsets

READ_DEADLINE_S = 30.0
WINDOW = timedelta(minutes=1)
SLIDE = timedelta(seconds=30)


@dataclass(frozen=True)
class Check:
    """One check: what was expected, what the pipeline wrote, and whether they agree."""

    name: str
    expected: Any
    actual: Any
    ok: bool

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def read_back(
    bootstrap: str, topic: str, ends: dict[int, int], starts: dict[int, int] | None = None
) -> list[bytes]:
    """The values of `topic` from `starts` (default: offset 0) up to `ends`, every partition."""
    consumer = Consumer({**consumer_config(bootstrap), "isolation.level": "read_committed"})
    positions = dict(starts) if starts is not None else dict.fromkeys(ends, 0)
    consumer.assign([TopicPartition(topic, p, positions[p]) for p in ends])
    values: list[bytes] = []
    deadline = time.monotonic() + READ_DEADLINE_S
    try:
        while any(positions[p] < ends[p] for p in ends) and time.monotonic() < deadline:
            for message in consumer.consume(num_messages=1000, timeout=0.2):
                partition, offset = message.partition(), message.offset()
                if message.error() is not None or partition is None or offset is None:
                    continue
                positions[partition] = offset + 1
                if offset < ends[partition]:
                    values.append(message.value() or b"")
            for partition in ends:  # past a trailing transaction marker there is no record
                position = consumer.position([TopicPartition(topic, partition)])[0].offset
                positions[partition] = max(positions[partition], position)
    finally:
        consumer.close()
    return values


def close(expected: float, actual: float) -> bool:
    return math.isclose(expected, actual, rel_tol=1e-9, abs_tol=1e-6)


def check_orders(
    values: list[bytes], delta_rows: list[dict[str, Any]], grown_by: int, delivered: int
) -> list[Check]:
    expected: defaultdict[str, float] = defaultdict(float)
    for value in values:
        order = json.loads(value)
        expected[order["customerId"]] += order["amount"]
    actual = {row["customerId"]: row["total"] for row in delta_rows}
    same = set(expected) == set(actual) and all(close(expected[c], actual[c]) for c in expected)
    return [
        Check("orders topic grew by the orders acknowledged", delivered, grown_by,
              delivered == grown_by),
        Check("Delta order totals = sum of the orders in the topic, per customer",
              {c: round(v, 2) for c, v in sorted(expected.items())},
              {c: round(v, 2) for c, v in sorted(actual.items())}, same),
    ]  # fmt: skip


def window_starts(moment: datetime) -> list[datetime]:
    """The starts of the sliding 1-minute windows (every 30 s) that contain `moment`."""
    first = moment - timedelta(seconds=moment.timestamp() % SLIDE.total_seconds())
    return [
        first - SLIDE * i for i in range(int(WINDOW / SLIDE)) if first - SLIDE * i + WINDOW > moment
    ]


def check_sensors(
    values: list[bytes], delta_rows: list[dict[str, Any]], watermark: str | None
) -> list[Check]:
    readings: defaultdict[tuple[str, datetime], list[float]] = defaultdict(list)
    for value in values:
        reading = json.loads(value)
        moment = _timestamp(reading)
        for start in window_starts(moment):
            readings[reading["sensorId"], start].append(reading["temperature"])
    wrong = [
        f"{row['sensorId']} {row['window_start']:%H:%M:%S}"
        for row in delta_rows
        if not _same_window(readings.get((row["sensorId"], _utc(row["window_start"]))), row)
    ]
    written = {(row["sensorId"], _utc(row["window_start"])) for row in delta_rows}
    closed_by = datetime.fromisoformat(watermark.replace("Z", "+00:00")) if watermark else None
    closed = {key for key in readings if closed_by is not None and key[1] + WINDOW <= closed_by}
    return [
        Check("each Delta window = count and average of its readings in the topic",
              len(delta_rows), len(delta_rows) - len(wrong), not wrong),
        Check(f"every window closed by the watermark ({watermark}) is written",
              len(closed), len(closed & written), closed <= written),
    ]  # fmt: skip


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _same_window(temperatures: list[float] | None, row: dict[str, Any]) -> bool:
    if not temperatures or len(temperatures) != row["readings"]:
        return False
    return close(sum(temperatures) / len(temperatures), row["avg_temperature"])


def check_feedback(
    feedback: list[bytes],
    routed: tuple[int, int],
    alerts: int,
    notifications: int,
    thresholds: tuple[float, float],
) -> list[Check]:
    """`routed`: (negative, positive) alerts this run wrote; `alerts`: all in the topics."""
    vader = importlib.import_module("vaderSentiment.vaderSentiment")  # no type hints
    analyzer = vader.SentimentIntensityAnalyzer()
    below, above = thresholds
    scores = [
        round((analyzer.polarity_scores(json.loads(v)["text"] or "")["compound"] + 1) / 2, 3)
        for v in feedback
    ]
    expected = (sum(s < below for s in scores), sum(s > above for s in scores))
    return [
        Check(f"alerts routed = feedback scored < {below} (negative) or > {above} (positive)",
              list(expected), list(routed), expected == routed),
        Check("notifications sent = alerts in the alert topics", alerts, notifications,
              notifications == alerts),
    ]  # fmt: skip


def sensor_clock_start(bootstrap: str, ends: dict[int, int]) -> datetime:
    """Now, or 2 minutes past the latest reading already in the topic (a demo run before):
    the new readings are then never late for the watermark."""
    last = read_back(bootstrap, "sensors", ends, {p: max(0, end - 1) for p, end in ends.items()})
    times = [_timestamp(json.loads(value)) + timedelta(minutes=2) for value in last]
    return max([datetime.now(UTC), *times])


def _timestamp(reading: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(reading["timestamp"].replace("Z", "+00:00"))


def grown(before: Offsets, after: Offsets, topic: str) -> int:
    return sum(after[topic].values()) - sum(before.get(topic, {}).values())
