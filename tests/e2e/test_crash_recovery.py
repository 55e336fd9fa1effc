"""kill -9 the broker while producing with acks=all; every acknowledged record survives.

Each round: start `kaspar broker` as a subprocess on the same data directory, produce with
confluent-kafka (acks=all) from a background thread, SIGKILL the broker after a random delay,
then restart it and read the partitions back. Every record whose delivery report said "ok"
must be there, at the offset the report gave, in order; offsets stay dense.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from tests.conftest import free_port, wait_until_ready

TOPIC = "crash-orders"
PARTITIONS = 3
ROUNDS = 4


def _start(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    """Start `kaspar broker` with its output appended to broker.log beside the data dir."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with (data_dir.parent / "broker.log").open("ab") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kaspar",
                "broker",
                "--data-dir",
                str(data_dir),
                "--listen",
                f"127.0.0.1:{port}",
                "--config",
                "transaction.abort.timed.out.transaction.cleanup.interval.ms=500",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    wait_until_ready(f"127.0.0.1:{port}", process)
    return process


def _produce_until_killed(
    bootstrap: str, acked: dict[tuple[int, int], bytes], stop: threading.Event
) -> None:
    producer = Producer(
        {
            "bootstrap.servers": bootstrap,
            "acks": "all",
            "linger.ms": 2,
            "message.timeout.ms": 3000,
            "retries": 0,
            "socket.timeout.ms": 2000,
        }
    )

    def report(err: object, msg: object) -> None:
        if err is None:
            acked[(msg.partition(), msg.offset())] = msg.value()  # type: ignore[attr-defined]

    sequence = 0
    while not stop.is_set():
        value = f"order-{os.getpid()}-{time.monotonic_ns()}-{sequence}".encode()
        try:
            producer.produce(TOPIC, value=value, key=str(sequence).encode(), on_delivery=report)
        except BufferError:
            producer.poll(0.05)
        sequence += 1
        producer.poll(0)
        if sequence % 200 == 0:
            time.sleep(0.001)
    producer.flush(5)


def _read_all(bootstrap: str) -> dict[int, list[tuple[int, bytes]]]:
    consumer = Consumer(
        {"bootstrap.servers": bootstrap, "group.id": "crash-check", "enable.auto.commit": False}
    )
    try:
        result: dict[int, list[tuple[int, bytes]]] = {}
        for partition in range(PARTITIONS):
            _, high = consumer.get_watermark_offsets(TopicPartition(TOPIC, partition), timeout=10)
            consumer.assign([TopicPartition(TOPIC, partition, 0)])
            rows: list[tuple[int, bytes]] = []
            deadline = time.monotonic() + 30
            while len(rows) < high and time.monotonic() < deadline:
                for msg in consumer.consume(1000, timeout=1):
                    if msg.error() is None:
                        rows.append((msg.offset(), msg.value()))
            result[partition] = rows
        return result
    finally:
        consumer.close()


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "data"


@pytest.mark.slow
def test_acknowledged_records_survive_kill_minus_9(data_dir: Path) -> None:
    rng = random.Random(20261122)
    port = free_port()
    acked: dict[tuple[int, int], bytes] = {}
    process = _start(data_dir, port)
    bootstrap = f"127.0.0.1:{port}"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(TOPIC, PARTITIONS, 1)])[TOPIC].result(timeout=10)
    for _ in range(ROUNDS):
        stop = threading.Event()
        worker = threading.Thread(target=_produce_until_killed, args=(bootstrap, acked, stop))
        worker.start()
        time.sleep(rng.uniform(0.5, 1.5))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        stop.set()
        worker.join(timeout=30)
        process = _start(data_dir, port)
    try:
        stored = _read_all(bootstrap)
    finally:
        process.terminate()
        assert process.wait(timeout=20) == 0
    assert acked, "the producer never got an acknowledgement"
    for partition, rows in stored.items():
        offsets = [offset for offset, _ in rows]
        assert offsets == list(range(len(rows))), f"offsets of partition {partition} not dense"
    by_position = {(p, offset): value for p, rows in stored.items() for offset, value in rows}
    missing = [key for key in acked if by_position.get(key) != acked[key]]
    assert not missing, f"{len(missing)} acknowledged records lost or changed, e.g. {missing[:3]}"
