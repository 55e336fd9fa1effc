"""The streaming benchmark's input: the engine bench's events, as a Kafka topic and as JSON files.

* Kafka: one record per event line, keyed by the event's user (so a consumer that keys its
  state by message key, like Quix, needs no repartition for the per-user query), on a topic
  with ``retention.ms=-1`` (the events are dated 2026-01-01 and must not age out).
* Files: the same lines split into ``BATCHES`` files in one folder, in order, for PySpark's file
  source with ``maxFilesPerTrigger=1``; the Kafka side uses ``maxOffsetsPerTrigger = n /
  BATCHES``, so both engines see the same events in the same number of micro-batches.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

from confluent_kafka.admin import AdminClient, NewTopic

from bench.workloads import make_producer

BATCHES = 10
TOPIC_TIMEOUT_S = 30.0
PRODUCE_TIMEOUT_S = 300.0


def batch_size(n: int) -> int:
    return math.ceil(n / BATCHES)


def json_chunks(events: Path, n: int) -> Path:
    """A folder holding the ``n`` event lines in ``BATCHES`` files (cached next to ``events``)."""
    folder = events.with_name(f"{events.stem}-chunks{BATCHES}")
    if folder.exists():
        return folder
    partial = folder.with_name(folder.name + ".tmp")
    partial.mkdir(parents=True, exist_ok=True)
    size = batch_size(n)
    with events.open("rb") as lines:
        for index in range(BATCHES):
            with (partial / f"part-{index:05d}.json").open("wb") as out:
                for _, line in zip(range(size), lines, strict=False):
                    out.write(line)
    partial.rename(folder)
    return folder


def create_topic(bootstrap: str, name: str, partitions: int) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    topic = NewTopic(name, partitions, 1, config={"retention.ms": "-1"})
    admin.create_topics([topic], operation_timeout=10)[name].result(timeout=TOPIC_TIMEOUT_S)
    deadline = time.monotonic() + TOPIC_TIMEOUT_S
    while len(admin.list_topics(name, timeout=5).topics[name].partitions) != partitions:
        if time.monotonic() > deadline:
            raise TimeoutError(f"topic {name} never showed {partitions} partitions")
        time.sleep(0.1)


def _user_key(line: bytes) -> bytes:
    start = line.index(b'"user":"') + 8
    return line[start : line.index(b'"', start)]


def produce_events(bootstrap: str, topic: str, events: Path, partitions: int) -> dict[str, float]:
    """Create ``topic`` and produce every line of ``events`` to it, keyed by user."""
    create_topic(bootstrap, topic, partitions)
    producer = make_producer(bootstrap)
    started = time.perf_counter()
    records = 0
    with events.open("rb") as lines:
        for raw in lines:
            line = raw.rstrip(b"\n")
            while True:
                try:
                    producer.produce(topic, line, _user_key(line))
                    break
                except BufferError:
                    producer.poll(0.01)
            records += 1
    if producer.flush(PRODUCE_TIMEOUT_S):
        raise TimeoutError(f"records of {topic} not acknowledged in {PRODUCE_TIMEOUT_S:.0f} s")
    seconds = time.perf_counter() - started
    return {"records": records, "seconds": seconds, "records_per_s": records / seconds}
