"""The ksql server under test: one `kaspar.ksql` server per module on a free port, over the
session's broker, with short triggers (100 ms) so outputs come fast; helpers to run statements,
produce inputs and read sink topics back (read_committed, every wait bounded)."""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition

from kaspar.ksql import KsqlConfig, KsqlServer

WAIT_S = 30.0


def ksql_config(servers: str, data_dir: Path, service_id: str) -> KsqlConfig:
    return KsqlConfig(
        bootstrap_servers=servers,
        listen_port=0,
        data_dir=data_dir,
        trigger_ms=100,
    ).with_properties({"ksql.service.id": service_id})


@contextlib.contextmanager
def ksql_serving(servers: str, data_dir: Path, stem: str, **properties: str) -> Iterator[Ksql]:
    """A ksql server of its own (service id from `stem`) with `properties`, as a `Ksql`."""
    config = ksql_config(servers, data_dir, f"{stem}_{uuid.uuid4().hex[:6]}_")
    server = KsqlServer(config.with_properties(properties))
    server.start()
    try:
        with httpx.Client(base_url=server.url, timeout=WAIT_S) as http:
            yield Ksql(http, servers)
    finally:
        server.stop()


@pytest.fixture(scope="module")
def ksql_server(kaspar_broker: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    config = ksql_config(
        kaspar_broker.bootstrap_servers,
        tmp_path_factory.mktemp("ksql"),
        f"test_{uuid.uuid4().hex[:8]}_",
    )
    server = KsqlServer(config)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def http(ksql_server: Any) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=ksql_server.url, timeout=WAIT_S) as client:
        yield client


class Ksql:
    """Statements through the REST API, inputs and outputs through Kafka."""

    def __init__(self, http: httpx.Client, servers: str) -> None:
        self.http, self.servers = http, servers

    def run(self, text: str, **properties: str) -> list[dict[str, Any]]:
        response = self.http.post("/ksql", json={"ksql": text, "streamsProperties": properties})
        assert response.status_code == 200, response.text
        result: list[dict[str, Any]] = response.json()
        return result

    def fail(self, text: str) -> tuple[int, dict[str, Any]]:
        response = self.http.post("/ksql", json={"ksql": text, "streamsProperties": {}})
        return response.status_code, response.json()

    def produce(self, topic: str, records: list[tuple[Any, Any, int]]) -> None:
        """(key, value, timestamp ms) per record; dict values as JSON."""
        producer = Producer({"bootstrap.servers": self.servers})
        for key, value, timestamp in records:
            data = json.dumps(value) if isinstance(value, dict) else value
            producer.produce(
                topic,
                None if data is None else str(data).encode(),
                None if key is None else str(key).encode(),
                timestamp=timestamp,
            )
        assert producer.flush(WAIT_S) == 0

    def read(self, topic: str, count: int) -> list[tuple[bytes | None, Any, int]]:
        """The first `count` committed records of `topic`: (key, value, timestamp); fails
        after WAIT_S, and when more records than `count` are there 0.3 s later."""
        consumer = Consumer(
            {
                "bootstrap.servers": self.servers,
                "group.id": f"read-{uuid.uuid4().hex}",
                "auto.offset.reset": "earliest",
                "isolation.level": "read_committed",
                "enable.auto.commit": False,
            }
        )
        partitions = _partitions(consumer, topic)
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
        found: list[tuple[bytes | None, Any, int]] = []
        deadline = time.monotonic() + WAIT_S
        try:
            while len(found) < count and time.monotonic() < deadline:
                found += _records(consumer.consume(100, 0.2))
            extra_until = time.monotonic() + 0.3
            while time.monotonic() < extra_until:
                found += _records(consumer.consume(100, 0.1))
        finally:
            consumer.close()
        assert len(found) == count, found
        return found


def _partitions(consumer: Consumer, topic: str) -> list[int]:
    """The topic's partitions, once it exists (a query creates its sink topic)."""
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        metadata = consumer.list_topics(topic, timeout=5).topics.get(topic)
        if metadata is not None and metadata.error is None and metadata.partitions:
            return sorted(metadata.partitions)
        time.sleep(0.1)
    raise TimeoutError(f"topic {topic} does not exist")


def _records(messages: list[Any]) -> list[tuple[bytes | None, Any, int]]:
    found = []
    for message in messages:
        if message.error() is not None:
            continue
        value = message.value()
        parsed = json.loads(value) if value is not None and value[:1] == b"{" else value
        found.append((message.key(), parsed, message.timestamp()[1]))
    return found


def create_stream(ksql: Ksql, name: str, columns: str, value_format: str = "JSON") -> str:
    """CREATE STREAM `name` (`columns`) over a new one-partition topic; returns the topic."""
    topic = f"{name.lower()}-input"
    ksql.run(
        f"CREATE STREAM {name} ({columns}) WITH (kafka_topic='{topic}', "
        f"value_format='{value_format}', partitions=1);"
    )
    return topic


@pytest.fixture(scope="module")
def ksql(http: httpx.Client, kaspar_broker: Any) -> Ksql:
    return Ksql(http, kaspar_broker.bootstrap_servers)


@pytest.fixture
def name() -> str:
    """A unique stream/table name stem (upper-case, as ksqlDB names them)."""
    return f"S{uuid.uuid4().hex[:6].upper()}"
