"""Two workers of one cluster share the connectors' tasks through Kafka's group protocol; when
one stops, the other runs them all, from the stored offsets."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from kaspar.connect import ConnectWorker
from tests.integration.connect.conftest import read_topic, wait_until

CONNECTORS = [f"files-{i}" for i in range(4)]  # their tasks hash to odd and even partitions


def task_owners(http: httpx.Client) -> dict[str, str] | None:
    """connector -> the worker running its task, once every task is RUNNING."""
    owners = {}
    for name in CONNECTORS:
        response = http.get(f"/connectors/{name}/status")
        tasks = response.json().get("tasks", []) if response.status_code == 200 else []
        if not tasks or tasks[0]["state"] != "RUNNING":
            return None
        owners[name] = tasks[0]["worker_id"]
    return owners


def test_tasks_are_shared_and_move_when_a_worker_stops(
    worker_factory: Callable[..., ConnectWorker], connect_broker: Any, tmp_path: Path
) -> None:
    cluster = f"shared-{uuid.uuid4().hex[:8]}"
    first = worker_factory(cluster, **{"session.timeout.ms": "6000"})
    second = worker_factory(cluster, **{"session.timeout.ms": "6000"})
    files = {name: tmp_path / f"{name}.txt" for name in CONNECTORS}
    with httpx.Client(base_url=first.url, timeout=30) as http:
        for name, path in files.items():
            path.write_text("a\n")
            config = {
                "connector.class": "FileStreamSource",
                "file": str(path),
                "topic": f"{cluster}-{name}",
            }
            assert (
                http.post("/connectors", json={"name": name, "config": config}).status_code == 201
            )
        owners = wait_until(
            lambda: (found := task_owners(http)) and len(set(found.values())) == 2 and found,
            "tasks running on both workers",
        )
    assert set(owners.values()) == {first.worker_id, second.worker_id}
    with httpx.Client(base_url=second.url, timeout=30) as other:  # from the same topics, once
        wait_until(lambda: task_owners(other) == owners, "the other worker's view")  # read
    for name in CONNECTORS:
        read_topic(connect_broker.bootstrap_servers, f"{cluster}-{name}", 1)
    first.stop()
    with httpx.Client(base_url=second.url, timeout=30) as http:
        wait_until(
            lambda: (found := task_owners(http)) and set(found.values()) == {second.worker_id},
            "every task on the remaining worker",
        )
    for path in files.values():
        with path.open("a") as out:
            out.write("b\n")
    for name in CONNECTORS:
        records = read_topic(connect_broker.bootstrap_servers, f"{cluster}-{name}", 2)
        assert [json.loads(r.value())["payload"] for r in records] == ["a", "b"]
        assert (
            len(read_topic(connect_broker.bootstrap_servers, f"{cluster}-{name}", 2, timeout=0.5))
            == 2
        )
