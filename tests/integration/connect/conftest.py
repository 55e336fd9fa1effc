"""Connect under test: one kaspar broker per module (groups form at once), Connect workers on
free ports with small internal topics and a short offset flush, httpx as the client, and
confluent-kafka consumers to read what the connectors wrote."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from confluent_kafka import Consumer

from kaspar.connect import ConnectWorker, WorkerConfig
from tests.integration import registry_fixture
from tests.integration.connect.postgres_fixture import postgres  # noqa: F401 (a fixture)

WAIT_S = 30.0


# the registry's broker: groups form at once (group.initial.rebalance.delay.ms=0); a registry
# on it for the Avro converter
connect_broker = registry_fixture.registry_broker
registry_broker, registry_url = registry_fixture.registry_broker, registry_fixture.registry_url


def worker_config(bootstrap_servers: str, cluster: str, **properties: str) -> WorkerConfig:
    """A worker on a free port whose state topics are named after `cluster`."""
    return WorkerConfig(
        bootstrap_servers=bootstrap_servers, listeners="http://127.0.0.1:0"
    ).with_properties(
        {
            "group.id": cluster,
            "config.storage.topic": f"{cluster}-configs",
            "offset.storage.topic": f"{cluster}-offsets",
            "status.storage.topic": f"{cluster}-status",
            "offset.storage.partitions": "3",
            "status.storage.partitions": "2",
            "offset.flush.interval.ms": "200",
            **properties,
        }
    )


@pytest.fixture(scope="module")
def worker_factory(connect_broker: Any) -> Iterator[Callable[..., ConnectWorker]]:
    """Starts workers (stopped at the end of the module); `cluster` names their topics."""
    started: list[ConnectWorker] = []

    def start(cluster: str, **properties: str) -> ConnectWorker:
        worker = ConnectWorker(
            worker_config(connect_broker.bootstrap_servers, cluster, **properties)
        )
        worker.start()
        started.append(worker)
        return worker

    yield start
    for worker in reversed(started):
        worker.stop()


@pytest.fixture(scope="module")
def worker(worker_factory: Callable[..., ConnectWorker]) -> ConnectWorker:
    return worker_factory(f"connect-{uuid.uuid4().hex[:8]}")


@pytest.fixture
def http(worker: ConnectWorker) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=worker.url, timeout=30) as client:
        yield client


def wait_until(check: Callable[[], Any], what: str, timeout: float = WAIT_S) -> Any:
    """Poll `check` until it returns something truthy; fail naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def wait_for_state(
    http: httpx.Client, name: str, state: str, tasks: int | None = 1
) -> dict[str, Any]:
    """The connector's status once it and (at least `tasks` of) its tasks are in `state`."""

    def reached() -> dict[str, Any] | None:
        response = http.get(f"/connectors/{name}/status")
        if response.status_code != 200:
            return None
        status = response.json()
        task_states = [t["state"] for t in status["tasks"]]
        if status["connector"]["state"] != state:
            return None
        if tasks is not None and (len(task_states) != tasks or set(task_states) - {state}):
            return None
        return status

    return wait_until(reached, f"{name} to be {state}")


def read_topic(
    bootstrap_servers: str, topic: str, count: int, timeout: float = WAIT_S
) -> list[Any]:
    """The first `count` records of `topic` (all partitions, from the beginning)."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap_servers,
            "group.id": f"reader-{uuid.uuid4().hex}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([topic])
    messages: list[Any] = []
    deadline = time.monotonic() + timeout
    try:
        while len(messages) < count and time.monotonic() < deadline:
            for message in consumer.consume(count - len(messages), 0.2):
                if message.error() is None:
                    messages.append(message)
    finally:
        consumer.close()
    assert len(messages) >= count, f"{topic}: {len(messages)} of {count} records"
    return messages


def payload(data: bytes | None) -> Any:
    """The payload of JsonConverter's schema envelope."""
    return None if data is None else json.loads(data)["payload"]
