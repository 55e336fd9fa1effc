"""The REST proxy under test: `kaspar.rest` on a free port against the session's kaspar broker."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from kaspar.rest import RestProxyConfig, create_app
from kaspar.service.asgi_server import AsgiServer


@pytest.fixture(scope="module")
def rest_url(kaspar_broker: Any) -> Iterator[str]:
    config = RestProxyConfig.from_properties(
        {"consumer.instance.timeout.ms": "60000", "consumer.session.timeout.ms": "6000"},
        bootstrap_servers=kaspar_broker.bootstrap_servers,
    )
    server = AsgiServer(create_app(config), name="rest")
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def http(rest_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=rest_url, timeout=30) as client:
        yield client
