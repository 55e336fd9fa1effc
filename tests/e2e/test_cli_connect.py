"""`kaspar connect` and `kaspar up` serve Connect's REST API; signals stop them cleanly."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from confluent_kafka.admin import AdminClient

from kaspar.cli.connect import connect_config
from kaspar.cli.errors import CliError
from tests.conftest import free_port, signal_and_wait
from tests.e2e.test_cli_registry import wait_for
from tests.e2e.test_cli_up import start_up

CONNECT_ADDRESS = re.compile(r"connect\s+│\s+(http://127\.0\.0\.1:\d+)")


@pytest.mark.timeout(90)
def test_connect_runs_a_connector_and_stops_on_sigterm(kaspar_broker: Any, tmp_path: Path) -> None:
    port, cluster = free_port(), f"cli-{uuid.uuid4().hex[:8]}"
    source = tmp_path / "in.txt"
    source.write_text("hello\n")
    command = [
        *(sys.executable, "-m", "kaspar", "connect", "--listen", f"127.0.0.1:{port}"),
        *("--bootstrap-servers", kaspar_broker.bootstrap_servers),
        *("-c", f"group.id={cluster}", "-c", f"config.storage.topic={cluster}-configs"),
        *("-c", f"offset.storage.topic={cluster}-offsets"),
        *("-c", f"status.storage.topic={cluster}-status", "-c", "offset.storage.partitions=2"),
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        assert set(wait_for(f"{url}/", process).json()) == {"version", "commit", "kafka_cluster_id"}
        config = {"connector.class": "FileStreamSource", "file": str(source), "topic": cluster}
        created = httpx.post(
            f"{url}/connectors", json={"name": "files", "config": config}, timeout=30
        )
        assert created.status_code == 201
        topics = (
            AdminClient({"bootstrap.servers": kaspar_broker.bootstrap_servers})
            .list_topics(timeout=10)
            .topics
        )
        assert {f"{cluster}-configs", f"{cluster}-offsets", f"{cluster}-status"} <= set(topics)
    finally:
        _, err = signal_and_wait(process, signal.SIGTERM)
    assert process.returncode == 0, err
    assert "Traceback" not in err


def test_connect_refuses_an_unknown_property() -> None:
    with pytest.raises(CliError) as refused:
        connect_config("localhost:9092", "127.0.0.1:0", {"no.such.key": "1"})
    assert refused.value.exit_code == 2
    assert "no.such.key" in refused.value.message and "group.id" in refused.value.message


@pytest.mark.timeout(90)
def test_up_serves_connect(tmp_path: Path) -> None:
    up = start_up(tmp_path, "--listen", "127.0.0.1:0")
    up.wait_for_address()
    deadline = time.monotonic() + 30
    match = None
    while match is None and time.monotonic() < deadline:
        match = CONNECT_ADDRESS.search(up.out.read_text())
        time.sleep(0.05)
    try:
        assert match is not None, up.output()
        assert httpx.get(f"{match.group(1)}/connectors", timeout=10).json() == []
    finally:
        assert up.stop(signal.SIGTERM) == 0, up.output()
