"""Integration fixtures: a raw Kafka-protocol client over a real socket to a real broker."""

from __future__ import annotations

import itertools
import socket
import struct
from collections.abc import Iterator
from typing import Any

import pytest

from kaspar.protocol.frames import decode_response, encode_request


class RawClient:
    """Sends one request at a time and reads its response; for protocol-level tests."""

    def __init__(self, bootstrap_servers: str, timeout: float = 10.0) -> None:
        host, port = bootstrap_servers.rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)), timeout=timeout)
        self._ids = itertools.count(1)

    def send_bytes(self, data: bytes) -> None:
        self.sock.sendall(data)

    def read_frame(self) -> bytes | None:
        """The next response frame without its size prefix; None if the broker closed."""
        head = self._read_exactly(4)
        if head is None:
            return None
        (size,) = struct.unpack(">i", head)
        return self._read_exactly(size)

    def _read_exactly(self, count: int) -> bytes | None:
        chunks = bytearray()
        while len(chunks) < count:
            try:
                chunk = self.sock.recv(count - len(chunks))
            except ConnectionResetError:
                return None
            if not chunk:
                return None
            chunks += chunk
        return bytes(chunks)

    def request(self, body: Any, version: int) -> Any:
        correlation_id = next(self._ids)
        self.send_bytes(
            encode_request(body, api_version=version, correlation_id=correlation_id, client_id="t")
        )
        frame = self.read_frame()
        assert frame is not None, "broker closed the connection"
        got_id, response = decode_response(body.API_KEY, version, frame)
        assert got_id == correlation_id
        return response

    def is_closed_by_peer(self) -> bool:
        """True if the broker closed the connection (reads EOF within the timeout)."""
        try:
            return self.sock.recv(1) == b""
        except (ConnectionResetError, BrokenPipeError):
            return True
        except TimeoutError:
            return False

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def raw_client(kaspar_broker: Any) -> Iterator[RawClient]:
    client = RawClient(kaspar_broker.bootstrap_servers)
    yield client
    client.close()
