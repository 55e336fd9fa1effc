"""kill -9 the process running a streaming query, again and again; restart it from its
checkpoint each time. Nothing is lost and nothing is counted or written twice.

The broker runs in the test process; the query runs in a child process
(``tests/e2e/streaming_job.py``) that is SIGKILLed at a random moment (while starting,
planning, writing state, committing to Delta or to Kafka) ten times, then run once more with
``availableNow`` to drain. The Delta case checks the per-customer sums *and* counts (a record
processed twice would change a count); the Kafka case reads the output with read_committed
and finds every input id exactly once.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from deltalake import DeltaTable

KILLS = 10
ORDERS = 1500
ROOT = Path(__file__).resolve().parents[2]


def _produce(servers: str, topic: str) -> list[dict[str, Any]]:
    orders = [{"id": i, "customerId": f"c{i % 13}", "amount": i % 97} for i in range(ORDERS)]
    producer = Producer({"bootstrap.servers": servers, "linger.ms": 5})
    for order in orders:
        producer.produce(topic, json.dumps(order).encode(), partition=order["id"] % 3)
    assert producer.flush(30) == 0
    return orders


def _job(log: Path, *args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with log.open("ab") as stderr:  # the child keeps its own descriptor
        return subprocess.Popen(
            [sys.executable, str(ROOT / "tests" / "e2e" / "streaming_job.py"), *args],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )


def _crash_loop(args: list[str], seed: int, log: Path) -> None:
    rng = random.Random(seed)
    for _ in range(KILLS):
        process = _job(log, *args, "run")
        time.sleep(rng.uniform(1.0, 3.5))  # start-up takes ~1 s: some kills land during it
        assert process.poll() is None, log.read_text()[-3000:]
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    drain = _job(log, *args, "drain")
    drain.wait(120)
    assert drain.returncode == 0, log.read_text()[-3000:]


@pytest.mark.timeout(300)
def test_kill9_kafka_to_aggregation_to_delta(
    kaspar_broker: Any, topic_factory: Callable[..., str], tmp_path: Path
) -> None:
    servers, topic = kaspar_broker.bootstrap_servers, topic_factory(partitions=3)
    orders = _produce(servers, topic)
    table = str(tmp_path / "totals")
    _crash_loop(["delta", servers, topic, str(tmp_path / "ckpt"), table], 5, tmp_path / "log")
    expected: dict[str, tuple[int, int]] = {}
    for order in orders:
        total, count = expected.get(order["customerId"], (0, 0))
        expected[order["customerId"]] = (total + order["amount"], count + 1)
    rows = DeltaTable(table).to_pyarrow_table().to_pylist()
    assert {r["customerId"]: (r["total"], r["orders"]) for r in rows} == expected


@pytest.mark.timeout(300)
def test_kill9_kafka_to_kafka_sink_exactly_once(
    kaspar_broker: Any, topic_factory: Callable[..., str], tmp_path: Path
) -> None:
    servers = kaspar_broker.bootstrap_servers
    source, sink = topic_factory(partitions=3), topic_factory(partitions=1)
    _produce(servers, source)
    _crash_loop(["kafka", servers, source, str(tmp_path / "ckpt"), sink], 11, tmp_path / "log")
    consumer = Consumer(
        {
            "bootstrap.servers": servers,
            "group.id": "crash-check",
            "isolation.level": "read_committed",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.assign([TopicPartition(sink, 0, 0)])
    seen: Counter[int] = Counter()
    deadline = time.monotonic() + 30
    while sum(seen.values()) < ORDERS and time.monotonic() < deadline:
        for message in consumer.consume(500, 0.5):
            if message.error() is None:
                seen[int(message.value())] += 1
    consumer.close()
    duplicates = {k: v for k, v in seen.items() if v > 1}
    assert not duplicates
    assert sorted(seen) == list(range(ORDERS))
