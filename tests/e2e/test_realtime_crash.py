"""kill -9 a real-time query (``trigger(realTime="2 seconds")``) writing to Kafka with
``deliveryGuarantee`` exactly-once, while a producer keeps writing; restart it from its
checkpoint each time. A read_committed consumer finds every id exactly once.

The broker and the producer run in the test process; the query runs in a child process
(``tests/e2e/realtime_job.py``), SIGKILLed at random moments (while starting, in the middle
of an epoch, while an epoch commits) several times, then run once more to drain. ``map``
filters out the second copy of every id; ``dedup`` drops it with ``dropDuplicates`` (its
state must be exactly-once across the kills too: the copies are far apart, in different
epochs and runs); ``count`` counts records per ``id % 10`` in update mode: the last update
of each group read_committed is the exact count (state written once per epoch, as one delta
file at its close, and replayed after each kill).
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition

KILLS = 4
IDS = 1200
COPY_LAG = 300  # the second copy of id i is produced with id i + COPY_LAG
ROOT = Path(__file__).resolve().parents[2]


def _produce(servers: str, topic: str, seconds: float) -> None:
    """Every id twice (copy 0, then copy 1 much later), spread over ``seconds``."""
    producer = Producer({"bootstrap.servers": servers, "linger.ms": 2})
    pause = seconds / (IDS + COPY_LAG)
    for i in range(IDS + COPY_LAG):
        for value, copy in ((i, 0), (i - COPY_LAG, 1)):
            if 0 <= value < IDS:
                record = json.dumps({"id": value, "copy": copy}).encode()
                producer.produce(topic, record, partition=value % 3)
        producer.poll(0)
        time.sleep(pause)
    assert producer.flush(30) == 0


def _job(log: Path, *args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with log.open("ab") as stderr:  # the child keeps its own descriptor
        return subprocess.Popen(
            [sys.executable, str(ROOT / "tests" / "e2e" / "realtime_job.py"), *args],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )


def _crash_loop(args: list[str], seed: int, log: Path, producing: threading.Thread) -> None:
    rng = random.Random(seed)
    for _ in range(KILLS):
        process = _job(log, *args, "run")
        time.sleep(rng.uniform(1.5, 4.5))  # start-up ~1 s, epochs of 2 s
        assert process.poll() is None, log.read_text()[-3000:]
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    producing.join(60)
    drain = _job(log, *args, "drain")
    drain.wait(60)
    assert drain.returncode == 0, log.read_text()[-3000:]


def _read_committed(servers: str, topic: str, count: int = IDS) -> list[bytes]:
    consumer = Consumer(
        {
            "bootstrap.servers": servers,
            "group.id": "realtime-crash-check",
            "isolation.level": "read_committed",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.assign([TopicPartition(topic, 0, 0)])
    seen: list[bytes] = []
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        messages = consumer.consume(500, 0.5)
        seen.extend(m.value() for m in messages if m.error() is None)
        if not messages and len(seen) >= count:
            break
    consumer.close()
    return seen


@pytest.mark.timeout(120)
@pytest.mark.parametrize(("kind", "seed"), [("map", 3), ("dedup", 8), ("count", 5)])
def test_kill9_realtime_to_transactional_kafka_sink(
    kind: str,
    seed: int,
    kaspar_broker: Any,
    topic_factory: Callable[..., str],
    tmp_path: Path,
) -> None:
    servers = kaspar_broker.bootstrap_servers
    source, sink = topic_factory(partitions=3), topic_factory(partitions=1)
    producing = threading.Thread(target=_produce, args=(servers, source, 12.0))
    producing.start()
    args = [kind, servers, source, str(tmp_path / "ckpt"), sink]
    try:
        _crash_loop(args, seed, tmp_path / "log", producing)
    finally:
        producing.join(60)
    if kind == "count":
        latest = {}
        for value in _read_committed(servers, sink, 10):
            update = json.loads(value)
            latest[update["g"]] = update["count"]
        assert latest == dict.fromkeys(range(10), 2 * IDS // 10)  # both copies of every id
        return
    seen = Counter(int(v) for v in _read_committed(servers, sink))
    assert {k: v for k, v in seen.items() if v > 1} == {}
    assert sorted(seen) == list(range(IDS))
