"""One blocking connection to one Kafka broker, speaking ``kaspar.protocol`` frames.

Requests may be pipelined: :meth:`BrokerConnection.send` returns a correlation id and
:meth:`BrokerConnection.receive` reads the responses back in order (Kafka answers the requests
of a connection in the order they were sent). Versions are negotiated once with ApiVersions v0,
which every broker since 0.10 answers.
"""

from __future__ import annotations

import itertools
import select
import socket
import struct
from collections import deque
from typing import Any

from kaspar.protocol.errors import ErrorCode
from kaspar.protocol.frames import decode_response, encode_request
from kaspar.protocol.messages.api_versions import ApiVersionsRequest, ApiVersionsResponse

_SIZE = struct.Struct(">i")
_CLIENT_ID = "kaspar-columnar"


class KafkaReadError(Exception):
    """Reading from Kafka failed (every error of this package is one)."""


class KafkaConnectionError(KafkaReadError):
    """The connection failed or the broker closed it; the caller may reconnect and retry."""


class UnsupportedBrokerError(KafkaReadError):
    """The broker lacks an API version this client needs."""


class BrokerConnection:
    """A socket to ``host:port`` with the versions the broker and this client share."""

    def __init__(self, host: str, port: int, timeout_s: float) -> None:
        self.address = f"{host}:{port}"
        try:
            self._sock = socket.create_connection((host, port), timeout=timeout_s)
        except OSError as e:
            raise KafkaConnectionError(f"cannot connect to {self.address}: {e}") from None
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._ids = itertools.count(1)
        self._in_flight: deque[tuple[int, int, int]] = deque()  # (id, api key, version)
        self.versions: dict[int, tuple[int, int]] = {}
        self.versions = self._api_versions()

    def _api_versions(self) -> dict[int, tuple[int, int]]:
        response: ApiVersionsResponse = self.request(ApiVersionsRequest(), 0)
        if response.error_code != ErrorCode.NONE:
            raise UnsupportedBrokerError(f"ApiVersions failed with error {response.error_code}")
        return {k.api_key: (k.min_version, k.max_version) for k in response.api_keys}

    def version(self, api_key: int, lowest: int, highest: int) -> int:
        """The highest version of ``api_key`` in ``[lowest, highest]`` the broker answers."""
        low, high = self.versions.get(api_key, (-1, -1))
        chosen = min(high, highest)
        if chosen < max(low, lowest):
            raise UnsupportedBrokerError(
                f"{self.address} answers api key {api_key} at versions {low}-{high}, this "
                f"client needs {lowest}-{highest}"
            )
        return chosen

    def send(self, body: Any, version: int) -> int:
        correlation_id = next(self._ids)
        frame = encode_request(
            body, api_version=version, correlation_id=correlation_id, client_id=_CLIENT_ID
        )
        try:
            self._sock.sendall(frame)
        except OSError as e:
            self.close()
            raise KafkaConnectionError(f"cannot send to {self.address}: {e}") from None
        self._in_flight.append((correlation_id, body.API_KEY, version))
        return correlation_id

    def receive(self) -> Any:
        """The response to the oldest request in flight."""
        correlation_id, api_key, version = self._in_flight.popleft()
        frame = self._read_frame()
        got, response = decode_response(api_key, version, frame)
        if got != correlation_id:
            self.close()
            raise KafkaConnectionError(
                f"{self.address} answered correlation id {got}, expected {correlation_id}"
            )
        return response

    def request(self, body: Any, version: int) -> Any:
        self.send(body, version)
        return self.receive()

    def _read_frame(self) -> memoryview:
        (size,) = _SIZE.unpack(self._read_exactly(4))
        return memoryview(self._read_exactly(size))

    def _read_exactly(self, count: int) -> bytearray:
        buf = bytearray(count)
        view = memoryview(buf)
        got = 0
        try:
            while got < count:
                n = self._sock.recv_into(view[got:], count - got)
                if n == 0:
                    self.close()
                    raise KafkaConnectionError(f"{self.address} closed the connection")
                got += n
        except OSError as e:
            self.close()
            raise KafkaConnectionError(f"cannot read from {self.address}: {e}") from None
        return buf

    @property
    def closed(self) -> bool:
        return self._sock.fileno() < 0

    def readable(self) -> bool:
        """Whether bytes of an answer are here already (``receive`` would not wait for them)."""
        if self.closed:
            return False
        # poll(), not select(): select() refuses descriptors >= FD_SETSIZE (1024), which a
        # process with many files and connections open reaches
        poller = select.poll()
        poller.register(self._sock, select.POLLIN)
        return bool(poller.poll(0))

    def close(self) -> None:
        self._in_flight.clear()
        self._sock.close()
