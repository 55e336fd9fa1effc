"""The schema registry under test: `kaspar.registry` processes on free ports, on a broker whose
groups form at once (`group.initial.rebalance.delay.ms=0`, so leader elections take no 3 s)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from kaspar.registry import RegistryConfig, SchemaRegistryServer


@pytest.fixture(scope="module")
def registry_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from kaspar.broker import Broker

    broker = Broker(
        Path(tmp_path_factory.mktemp("registry-broker")),
        config={"group.initial.rebalance.delay.ms": "0"},
    )
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


def registry_config(bootstrap_servers: str, topic: str, **properties: str) -> RegistryConfig:
    """A registry on a free port, its state in `topic` (one cluster per topic)."""
    return RegistryConfig(
        bootstrap_servers=bootstrap_servers, listeners="http://127.0.0.1:0"
    ).with_properties(
        {"kafkastore.topic": topic, "schema.registry.group.id": f"{topic}-group", **properties}
    )


@pytest.fixture(scope="module")
def registry_url(registry_broker: Any) -> Iterator[str]:
    topic = f"_schemas-{uuid.uuid4().hex[:8]}"
    server = SchemaRegistryServer(registry_config(registry_broker.bootstrap_servers, topic))
    url = server.start()
    try:
        yield url
    finally:
        server.stop()


@pytest.fixture
def http(registry_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=registry_url, timeout=30) as client:
        yield client


@pytest.fixture
def subject() -> str:
    return f"subject-{uuid.uuid4().hex[:8]}-value"
