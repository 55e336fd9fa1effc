"""`kaspar rest` and `kaspar up` serve the REST proxy; signals stop them cleanly."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import free_port, signal_and_wait

START_TIMEOUT_S = 30


def wait_for(url: str, process: subprocess.Popen[str]) -> httpx.Response:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        try:
            return httpx.get(url, timeout=5)
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    pytest.fail(f"nothing answered at {url}")


@pytest.mark.timeout(60)
def test_rest_serves_and_stops_on_sigterm(kaspar_broker: Any) -> None:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "kaspar",
        "rest",
        "--listen",
        f"127.0.0.1:{port}",
        "--bootstrap-servers",
        kaspar_broker.bootstrap_servers,
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        clusters = wait_for(f"http://127.0.0.1:{port}/v3/clusters", process)
        assert clusters.json()["kind"] == "KafkaClusterList"
        assert httpx.get(f"http://127.0.0.1:{port}/brokers").json() == {"brokers": [0]}
    finally:
        _, err = signal_and_wait(process, signal.SIGTERM)
    assert process.returncode == 0, err
    assert "Traceback" not in err


def test_rest_refuses_unknown_properties() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "kaspar", "rest", "-c", "no.such.key=1"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert "unknown property 'no.such.key'" in result.stderr


@pytest.mark.timeout(60)
def test_up_prints_the_rest_proxy_address(tmp_path: Path) -> None:
    out = tmp_path / "up.out"
    command = [
        sys.executable,
        "-m",
        "kaspar",
        "up",
        "-d",
        str(tmp_path / "data"),
        "-l",
        "127.0.0.1:0",
    ]
    with out.open("w") as stdout:
        process = subprocess.Popen(command, stdout=stdout, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        match = None
        while match is None and time.monotonic() < deadline and process.poll() is None:
            match = re.search(r"rest\s+│\s+(http://127\.0\.0\.1:\d+)", out.read_text())
            time.sleep(0.05)
        assert match is not None, out.read_text()
        rest = match.group(1)
        clusters = httpx.get(f"{rest}/v3/clusters", timeout=10).json()
        assert len(clusters["data"]) == 1
        cluster = f"{rest}/v3/clusters/{clusters['data'][0]['cluster_id']}"
        created = httpx.post(f"{cluster}/topics", json={"topic_name": "avro"}, timeout=10)
        assert created.status_code == 201, created.text
        schema = json.dumps(
            {"type": "record", "name": "R", "fields": [{"name": "n", "type": "int"}]}
        )
        value = {"type": "AVRO", "schema": schema, "data": {"n": 1}}
        produced = httpx.post(f"{cluster}/topics/avro/records", json={"value": value}, timeout=30)
        assert produced.json()["error_code"] == 200, produced.text  # the platform's registry
    finally:
        signal_and_wait(process, signal.SIGTERM)
    assert process.returncode == 0
