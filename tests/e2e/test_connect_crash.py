"""kill -9 of a Connect worker running the PostgreSQL CDC source with exactly-once source
support: once during the snapshot, once while changes stream. After each restart every row
is in the topic exactly once (read_committed), in commit order."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from confluent_kafka import Consumer, KafkaException, TopicPartition

from tests.conftest import free_port
from tests.e2e.test_cli_registry import wait_for
from tests.integration.connect.conftest import read_topic
from tests.integration.connect.postgres_fixture import PostgresServer, postgres  # noqa: F401

SNAPSHOT_ROWS = 8_000
STREAMED_ROWS = 1_500
# `kaspar connect` without the rest of the CLI's imports (ksql's take seconds per start)
CONNECT_MAIN = "import typer; from kaspar.cli.connect import connect; typer.run(connect)"


class WorkerProcess:
    """`kaspar connect` as a child process of the test, killed with SIGKILL."""

    def __init__(self, bootstrap: str, cluster: str, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [
            *(sys.executable, "-c", CONNECT_MAIN, "--listen", f"127.0.0.1:{self.port}"),
            *("--bootstrap-servers", bootstrap, "-c", f"group.id={cluster}"),
            *("-c", f"config.storage.topic={cluster}-configs"),
            *("-c", f"offset.storage.topic={cluster}-offsets", "-c", "offset.storage.partitions=2"),
            *("-c", f"status.storage.topic={cluster}-status", "-c", "status.storage.partitions=1"),
            *("-c", "exactly.once.source.support=enabled", "-c", "session.timeout.ms=6000"),
        ]
        self.log = log.open("a")
        self.process = subprocess.Popen(command, stdout=self.log, stderr=self.log, text=True)
        wait_for(f"{self.url}/", self.process)  # type: ignore[arg-type]

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)
        self.log.close()


def uncommitted_count(bootstrap: str, topic: str) -> int:
    """The high watermark of `topic` (one partition): records of open transactions count."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"peek-{uuid.uuid4().hex}"})
    try:
        _, high = consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=5)
    except KafkaException:
        high = 0  # the topic does not exist yet
    consumer.close()
    return int(high)


def wait_for_uncommitted(bootstrap: str, topic: str, minimum: int) -> None:
    deadline = time.monotonic() + 60
    while uncommitted_count(bootstrap, topic) < minimum:
        assert time.monotonic() < deadline, f"no {minimum} records in {topic}"
        time.sleep(0.2)


@pytest.mark.timeout(180)
def test_kill_9_during_snapshot_and_streaming(
    kaspar_broker: Any,
    postgres: PostgresServer,  # noqa: F811 (the fixture imported above)
    tmp_path: Path,
) -> None:
    tag = uuid.uuid4().hex[:6]
    with postgres.connect() as connection, connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE crash_{tag} (id serial PRIMARY KEY, v int NOT NULL)")
        cursor.execute(
            f"INSERT INTO crash_{tag} (v) SELECT g FROM generate_series(1, {SNAPSHOT_ROWS}) g"
        )
    bootstrap, cluster, log = kaspar_broker.bootstrap_servers, f"crash-{tag}", tmp_path / "w.log"
    topic = f"crash{tag}.public.crash_{tag}"
    config = postgres.connector_config(
        **{
            "topic.prefix": f"crash{tag}",
            "slot.name": f"crash_{tag}",
            "publication.name": f"crash_{tag}",
            "table.include.list": f"public.crash_{tag}",
            "publication.autocreate.mode": "filtered",
            "snapshot.fetch.size": "500",
            "transaction.boundary": "connector",
            "key.converter": "org.apache.kafka.connect.json.JsonConverter",
            "key.converter.schemas.enable": "false",
            "value.converter": "org.apache.kafka.connect.json.JsonConverter",
            "value.converter.schemas.enable": "false",
        }
    )
    worker = WorkerProcess(bootstrap, cluster, log)
    try:
        httpx.post(f"{worker.url}/connectors", json={"name": "crash", "config": config}, timeout=30)
        wait_for_uncommitted(bootstrap, topic, 1000)
    finally:
        worker.kill()  # 1: in the middle of the snapshot (its transaction never commits)

    worker = WorkerProcess(bootstrap, cluster, log)
    inserted = threading.Event()

    def insert_rows() -> None:
        with postgres.connect() as connection, connection.cursor() as cursor:
            for _ in range(STREAMED_ROWS // 10):
                cursor.execute(
                    f"INSERT INTO crash_{tag} (v) SELECT g FROM generate_series(1, 10) g"
                )
                time.sleep(0.002)
        inserted.set()

    try:
        read_topic(bootstrap, topic, SNAPSHOT_ROWS, timeout=90)
        inserter = threading.Thread(target=insert_rows)
        inserter.start()
        wait_for_uncommitted(bootstrap, topic, SNAPSHOT_ROWS + STREAMED_ROWS // 4)
    finally:
        worker.kill()  # 2: while changes stream
    worker = WorkerProcess(bootstrap, cluster, log)
    try:
        inserter.join(60)
        assert inserted.is_set()
        total = SNAPSHOT_ROWS + STREAMED_ROWS
        records = read_topic(bootstrap, topic, total, timeout=90)
        time.sleep(1)
        records = read_topic(bootstrap, topic, total, timeout=5)
        ids = [json.loads(r.key())["id"] for r in records]
        ops = [json.loads(r.value())["op"] for r in records]
        assert len(records) == total and len(set(ids)) == total, "lost or repeated rows"
        assert ids[:SNAPSHOT_ROWS] == list(range(1, SNAPSHOT_ROWS + 1))
        assert ids[SNAPSHOT_ROWS:] == list(range(SNAPSHOT_ROWS + 1, total + 1))
        assert set(ops[:SNAPSHOT_ROWS]) == {"r"} and set(ops[SNAPSHOT_ROWS:]) == {"c"}
    finally:
        worker.kill()
