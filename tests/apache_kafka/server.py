"""A single Apache Kafka 4.x node (KRaft, broker and controller in one JVM) on 127.0.0.1.

Starting one:

1. Jars: ``org.apache.kafka:kafka_2.13`` and its runtime dependencies (``maven.resolve``:
   ``$KASPAR_APACHE_KAFKA_JARS``, the cache, or a Maven fetch into the cache).
2. ``server.properties`` in the data directory: ``process.roles=broker,controller``, a static
   quorum of this one node, a PLAINTEXT listener on a free loopback port and a CONTROLLER one
   on another, internal topics with one replica and one partition (a test cluster).
3. ``kafka.tools.StorageTool format`` (what ``bin/kafka-storage.sh format`` runs) with a fresh
   cluster id.
4. ``java -cp <jars> kafka.Kafka server.properties`` (``bin/kafka-server-start.sh``), output
   to ``kafka.log`` in the data directory.
5. Wait until it answers Metadata with itself as a broker.

Stopping sends SIGTERM (a controlled shutdown) and kills the JVM if it is still there 30 s on.

By hand: ``.venv/bin/python -m tests.apache_kafka.server [--data-dir DIR]`` starts one and prints
its bootstrap servers until Ctrl-C.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import os
import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from confluent_kafka.admin import AdminClient

from tests.apache_kafka.maven import Artifact, JarsUnavailableError, resolve
from tests.conftest import free_port

KAFKA_VERSION = os.environ.get("KASPAR_APACHE_KAFKA_VERSION", "4.1.1")
START_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 30.0
JVM_OPTIONS = [
    "-Xms256m",
    "-Xmx768m",
    "-XX:+UseG1GC",
    "-XX:TieredStopAtLevel=1",  # C1 only: a test broker lives minutes, start-up CPU matters more
    "-Djava.awt.headless=true",
]
# Internal topics of a one-node test cluster; fast transaction clean-up, no rebalance delay.
TEST_SETTINGS = {
    "num.partitions": "1",
    "auto.create.topics.enable": "true",
    "offsets.topic.replication.factor": "1",
    "offsets.topic.num.partitions": "1",
    "transaction.state.log.replication.factor": "1",
    "transaction.state.log.min.isr": "1",
    "transaction.state.log.num.partitions": "1",
    "share.coordinator.state.topic.replication.factor": "1",
    "share.coordinator.state.topic.min.isr": "1",
    "group.initial.rebalance.delay.ms": "0",
    "transaction.abort.timed.out.transaction.cleanup.interval.ms": "500",
    "log.retention.check.interval.ms": "1000",
    "num.network.threads": "2",
    "num.io.threads": "2",
}


class ApacheKafkaUnavailableError(Exception):
    """No Apache Kafka node can be started here (the message says why)."""


@dataclass(frozen=True)
class ApacheKafka:
    """A running node: its JVM, where clients connect, its data directory and log."""

    process: subprocess.Popen[bytes]
    bootstrap_servers: str
    data_dir: Path

    @property
    def log_path(self) -> Path:
        return self.data_dir / "kafka.log"


def kafka_jars() -> Path:
    """Step 1."""
    if shutil.which("java") is None:
        raise ApacheKafkaUnavailableError("Apache Kafka needs Java 17 (java is not on PATH)")
    try:
        return resolve("apache-kafka", [Artifact("org.apache.kafka", "kafka_2.13", KAFKA_VERSION)])
    except JarsUnavailableError as e:
        raise ApacheKafkaUnavailableError(f"Apache Kafka {KAFKA_VERSION}: {e}") from None


def server_properties(
    data_dir: Path, port: int, controller_port: int, overrides: Mapping[str, str]
) -> str:
    """Step 2."""
    settings = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.voters": f"1@127.0.0.1:{controller_port}",
        "listeners": f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}",
        "advertised.listeners": f"PLAINTEXT://127.0.0.1:{port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "log.dirs": str(data_dir / "log"),
        **TEST_SETTINGS,
        **overrides,
    }
    return "".join(f"{key}={value}\n" for key, value in settings.items())


def cluster_id() -> str:
    """A random Kafka ``Uuid`` as ``kafka-storage random-uuid`` prints it (URL-safe base64 of
    16 bytes, no padding), never starting with ``-`` (it would read as an option)."""
    while True:
        text = base64.urlsafe_b64encode(secrets.token_bytes(16)).decode().rstrip("=")
        if not text.startswith("-"):
            return text


def java(libs: Path, main_class: str, *args: str) -> list[str]:
    return ["java", *JVM_OPTIONS, "-cp", f"{libs}/*", main_class, *args]


def start(data_dir: Path, overrides: Mapping[str, str] | None = None) -> ApacheKafka:
    """Steps 1-5; the node runs until :func:`stop`."""
    libs = kafka_jars()
    data_dir.mkdir(parents=True, exist_ok=True)
    port, controller_port = free_port(), free_port()
    config = data_dir / "server.properties"
    config.write_text(server_properties(data_dir, port, controller_port, overrides or {}))
    formatted = subprocess.run(
        java(libs, "kafka.tools.StorageTool", "format", "-t", cluster_id(), "-c", str(config)),
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT_S,
        check=False,
    )
    if formatted.returncode != 0:
        raise ApacheKafkaUnavailableError(
            f"kafka-storage format failed: {formatted.stdout[-800:]} {formatted.stderr[-800:]}"
        )
    with (data_dir / "kafka.log").open("wb") as log:
        process = subprocess.Popen(
            java(libs, "kafka.Kafka", str(config)), stdout=log, stderr=subprocess.STDOUT
        )
    node = ApacheKafka(process, f"127.0.0.1:{port}", data_dir)
    try:
        wait_until_ready(node)
    except BaseException:
        stop(node)
        raise
    return node


def wait_until_ready(node: ApacheKafka) -> None:
    """Step 5: Metadata names this node as a broker."""
    deadline = time.monotonic() + START_TIMEOUT_S
    admin = AdminClient({"bootstrap.servers": node.bootstrap_servers, "log_level": 0})
    while time.monotonic() < deadline:
        if node.process.poll() is not None:
            tail = node.log_path.read_text(errors="replace")[-2000:]
            raise ApacheKafkaUnavailableError(
                f"Apache Kafka exited with code {node.process.returncode} while starting:\n{tail}"
            )
        try:
            if admin.list_topics(timeout=2).brokers:
                return
        except Exception:
            time.sleep(0.2)
    raise ApacheKafkaUnavailableError(
        f"Apache Kafka at {node.bootstrap_servers} did not answer Metadata in {START_TIMEOUT_S} s"
    )


def stop(node: ApacheKafka) -> None:
    if node.process.poll() is not None:
        return
    node.process.terminate()
    try:
        node.process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        node.process.kill()
        node.process.wait(timeout=STOP_TIMEOUT_S)


@contextlib.contextmanager
def running(data_dir: Path, overrides: Mapping[str, str] | None = None) -> Iterator[ApacheKafka]:
    node = start(data_dir, overrides)
    try:
        yield node
    finally:
        stop(node)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--data-dir", type=Path, help="default: a new temporary directory")
    args = parser.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="apache-kafka-"))
    with running(data_dir) as node:
        print(f"Apache Kafka {KAFKA_VERSION} at {node.bootstrap_servers}, data in {data_dir}")
        print(f"log: {node.log_path}; Ctrl-C stops it")
        with contextlib.suppress(KeyboardInterrupt):
            node.process.wait()


if __name__ == "__main__":
    main()
