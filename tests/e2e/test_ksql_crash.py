"""`kaspar ksql` killed with SIGKILL while a persistent query runs, then started again: the
command topic brings the query back, its checkpoint resumes it, and the sink topic (read
committed) holds every output exactly once."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition

from tests.conftest import free_port, signal_and_wait

START_TIMEOUT_S = 30
READ_TIMEOUT_S = 30


def start_ksql(servers: str, port: int, data_dir: Path, service_id: str) -> Any:
    command = [
        sys.executable, "-m", "kaspar", "ksql",
        "--listen", f"127.0.0.1:{port}",
        "--bootstrap-servers", servers,
        "--data-dir", str(data_dir),
        "-c", f"ksql.service.id={service_id}",
        "-c", "ksql.kaspar.trigger.ms=100",
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        try:
            httpx.get(f"http://127.0.0.1:{port}/info", timeout=5)
            return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    pytest.fail("kaspar ksql did not start")


def produce(servers: str, topic: str, ids: range) -> None:
    producer = Producer({"bootstrap.servers": servers})
    for i in ids:
        producer.produce(topic, json.dumps({"N": i}).encode(), f"k{i}".encode(), timestamp=1 + i)
        producer.poll(0)
        time.sleep(0.002)  # spread over several batches
    assert producer.flush(15) == 0


def read_committed(servers: str, topic: str) -> Consumer:
    """A consumer of `topic`'s partition 0 from the beginning, committed records only."""
    consumer = Consumer(
        {
            "bootstrap.servers": servers,
            "group.id": f"check-{uuid.uuid4().hex}",
            "isolation.level": "read_committed",
            "enable.auto.commit": False,
        }
    )
    consumer.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
    return consumer


def run_statements(port: int, statements: str) -> None:
    """POST /ksql from the earliest offsets; the statements must succeed."""
    body = {"ksql": statements, "streamsProperties": {"auto.offset.reset": "earliest"}}
    response = httpx.post(f"http://127.0.0.1:{port}/ksql", json=body, timeout=30)
    assert response.status_code == 200, response.text


def committed(servers: str, topic: str, count: int) -> list[int]:
    """The N values of `topic`'s first `count` committed records (and any beyond them)."""
    consumer = read_committed(servers, topic)
    found: list[int] = []
    deadline = time.monotonic() + READ_TIMEOUT_S
    settle_until = None
    try:
        while time.monotonic() < deadline:
            for message in consumer.consume(500, 0.2):
                if message.error() is None:
                    found.append(json.loads(message.value() or b"{}")["N"])
            if len(found) >= count and settle_until is None:
                settle_until = time.monotonic() + 0.5
            if settle_until is not None and time.monotonic() > settle_until:
                break
    finally:
        consumer.close()
    return found


def sigkill_then_restart(
    servers: str,
    data_dir: Path,
    running: Callable[[int], None],
    while_down: Callable[[], None],
    restarted: Callable[[], None],
) -> None:
    """Start `kaspar ksql` and run `running` (given its port), kill it with SIGKILL, run
    `while_down`, start it again (same service id and data dir) and run `restarted`; the
    restarted server then stops cleanly."""
    port, service_id = free_port(), f"crash_{uuid.uuid4().hex[:6]}_"
    process = start_ksql(servers, port, data_dir, service_id)
    try:
        running(port)
    finally:
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=10)
    while_down()
    process = start_ksql(servers, port, data_dir, service_id)
    try:
        restarted()
    finally:
        _, err = signal_and_wait(process, signal.SIGTERM)
    assert "Traceback" not in err


@pytest.mark.timeout(120)
def test_sigkill_and_restart_is_exactly_once(kaspar_broker: Any, tmp_path: Path) -> None:
    servers, name = kaspar_broker.bootstrap_servers, f"C{uuid.uuid4().hex[:6].upper()}"
    topic = f"{name.lower()}-in"

    def running(port: int) -> None:
        run_statements(
            port,
            f"CREATE STREAM {name} (id STRING KEY, n INT) WITH (kafka_topic='{topic}', "
            "value_format='JSON', partitions=1);"
            f"CREATE STREAM {name}_EVEN AS SELECT id, n FROM {name} WHERE n % 2 = 0;",
        )
        produce(servers, topic, range(300))
        assert len(committed(servers, f"{name}_EVEN", 1)) >= 1  # the query is writing

    def restarted() -> None:
        assert committed(servers, f"{name}_EVEN", 200) == list(range(0, 400, 2))

    # records 300..399 come while it is down
    sigkill_then_restart(
        servers, tmp_path, running, lambda: produce(servers, topic, range(300, 400)), restarted
    )
