"""`kaspar registry` and `kaspar up` serve the schema registry; signals stop them cleanly."""

from __future__ import annotations

import json
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

from tests.conftest import free_port, signal_and_wait

START_TIMEOUT_S = 30
SCHEMA = json.dumps({"type": "record", "name": "R", "fields": [{"name": "a", "type": "int"}]})


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
def test_registry_serves_and_stops_on_sigterm(kaspar_broker: Any) -> None:
    port, topic = free_port(), f"_schemas-{uuid.uuid4().hex[:8]}"
    command = [
        *(sys.executable, "-m", "kaspar", "registry", "--listen", f"127.0.0.1:{port}"),
        *(
            "--bootstrap-servers",
            kaspar_broker.bootstrap_servers,
            "-c",
            f"kafkastore.topic={topic}",
        ),
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        assert wait_for(f"{url}/", process).json() == {}
        registered = httpx.post(
            f"{url}/subjects/s-value/versions", json={"schema": SCHEMA}, timeout=30
        )
        assert registered.json()["id"] == 1
        assert httpx.get(f"{url}/subjects").json() == ["s-value"]
    finally:
        _, err = signal_and_wait(process, signal.SIGTERM)
    assert process.returncode == 0, err
    assert "Traceback" not in err


def test_registry_refuses_unknown_properties() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "kaspar", "registry", "-c", "no.such.key=1"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert "unknown registry property 'no.such.key'" in result.stderr
    assert "kafkastore.topic" in result.stderr


@pytest.mark.timeout(60)
def test_up_prints_the_registry_address(tmp_path: Path) -> None:
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
            match = re.search(r"registry\s+│\s+(http://127\.0\.0\.1:\d+)", out.read_text())
            time.sleep(0.05)
        assert match is not None, out.read_text()
        assert httpx.get(f"{match.group(1)}/schemas/types", timeout=10).json() == [
            "JSON",
            "PROTOBUF",
            "AVRO",
        ]
    finally:
        signal_and_wait(process, signal.SIGTERM)
    assert process.returncode == 0
