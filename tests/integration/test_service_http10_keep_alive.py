"""The services' HTTP server keeps an HTTP/1.0 connection open when the client asks for it."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from kaspar.service.asgi_server import AsgiServer


async def hello(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    headers = [(b"content-length", b"2"), (b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b"{}"})


@pytest.fixture
def address() -> Iterator[tuple[str, int]]:
    server = AsgiServer(hello, name="hello")
    server.start()
    try:
        yield server.host, server.port
    finally:
        server.stop()


def answer(connection: socket.socket) -> bytes:
    data = b""
    while not data.endswith(b"{}"):
        chunk = connection.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def test_keep_alive_asked_is_kept(address: tuple[str, int]) -> None:
    with socket.create_connection(address, timeout=10) as connection:
        for _ in range(2):
            connection.sendall(b"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n")
            head = answer(connection).lower()
            assert head.startswith(b"http/1.1 200")
            assert b"connection: keep-alive\r\n" in head


def test_without_keep_alive_the_connection_closes(address: tuple[str, int]) -> None:
    with socket.create_connection(address, timeout=10) as connection:
        connection.sendall(b"GET / HTTP/1.0\r\n\r\n")
        assert b"connection: close\r\n" in answer(connection).lower()
        assert connection.recv(4096) == b""
