"""The ``socket`` source: UTF-8 lines read from a TCP server (Spark's ``TextSocketSource``).

For testing, as in Spark: lines are kept in memory as they arrive and a restarted query cannot
read them again, so it is not fault tolerant. The offset is the number of lines received; with
``includeTimestamp`` each line carries the time it arrived.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from typing import Any

import pyarrow as pa

from kaspar.errors import IllegalArgumentException, SparkRuntimeException

_TIMESTAMP = pa.timestamp("us", tz="UTC")


class SocketSource:
    def __init__(self, options: dict[str, str]) -> None:
        self._options = dict(options)
        host, port = options.get("host"), options.get("port")
        if not host:
            raise IllegalArgumentException('Set a host to read from with option("host", ...).')
        if not port:
            raise IllegalArgumentException('Set a port to read from with option("port", ...).')
        try:
            self.port = int(port)
        except ValueError:
            raise IllegalArgumentException(f"Port must be an integer, got '{port}'") from None
        self.host = host
        self.include_timestamp = options.get("includetimestamp", "false").lower() == "true"
        fields = [("value", pa.string())]
        if self.include_timestamp:
            fields.append(("timestamp", _TIMESTAMP))
        self.schema = pa.schema(fields)
        self.description = f"TextSocketV2[host: {host}, port: {self.port}]"
        self._lines: list[str] = []
        self._stamps: list[int] = []
        self._lock = threading.Lock()
        self._error: Exception | None = None
        self._closed = threading.Event()
        self._socket: socket.socket | None = None
        self._reader: threading.Thread | None = None

    def _start(self) -> None:
        if self._reader is not None:
            return
        try:
            self._socket = socket.create_connection((self.host, self.port), timeout=30)
        except OSError as e:
            raise SparkRuntimeException(
                f"Cannot connect to {self.host}:{self.port} for the socket source: {e}"
            ) from None
        self._socket.settimeout(None)
        self._reader = threading.Thread(target=self._read, name="socket-source", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self._socket is not None
        try:
            with self._socket.makefile("r", encoding="utf-8", newline="\n") as lines:
                for line in lines:
                    with self._lock:
                        self._lines.append(line.rstrip("\n").rstrip("\r"))
                        self._stamps.append(time.time_ns() // 1000)
        except OSError as e:
            if not self._closed.is_set():
                self._error = e

    def for_query(self) -> SocketSource:
        """A new connection per query, as in Spark (each query's stream opens its own)."""
        return SocketSource(self._options)

    def initial_offset(self) -> Any:
        self._start()
        return 0

    def latest_offset(self, start: Any, limited: bool, until: Any | None) -> Any:
        self._start()
        if self._error is not None:
            raise SparkRuntimeException(f"Socket source failed: {self._error}")
        with self._lock:
            latest = len(self._lines)
        return latest if until is None else min(latest, int(until))

    def get_batch(self, start: Any, end: Any) -> pa.Table:
        with self._lock:
            if int(end) > len(self._lines):
                raise SparkRuntimeException(
                    "The socket source lost lines a restarted query asked for: it keeps lines "
                    "in memory only (use it for testing, as in Spark)"
                )
            lines = self._lines[int(start) : int(end)]
            stamps = self._stamps[int(start) : int(end)]
        columns: dict[str, pa.Array] = {"value": pa.array(lines, pa.string())}
        if self.include_timestamp:
            columns["timestamp"] = pa.array(stamps, pa.int64()).cast(_TIMESTAMP)
        return pa.table(columns)

    def commit(self, end: Any) -> None:
        pass

    def stop(self) -> None:
        self._closed.set()
        if self._socket is not None:
            with contextlib.suppress(OSError):  # the server may have gone already
                self._socket.shutdown(socket.SHUT_RDWR)
            self._socket.close()
