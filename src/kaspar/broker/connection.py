"""One client connection: frames in, pipelined handling, responses out in request order.

Each complete frame is decoded and handed to its handler at once, so appends happen in arrival
order. A handler may answer later (acks=all waiting for fsync, a long-polling fetch); responses
still leave in request order, because they queue behind the oldest unanswered request.

Anything malformed (a size below 1 or above ``socket.request.max.bytes``, a header or body that
does not decode, an API version the broker does not answer other than ApiVersions) closes this
connection only, as Apache Kafka does. The buffer never holds more than one frame being read.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import socket
from collections import deque
from dataclasses import dataclass
from typing import Any

from kaspar.broker.context import REQUEST_CLIENT, BrokerContext, RequestClient
from kaspar.broker.dispatch import HANDLERS
from kaspar.broker.handlers.api_versions import unsupported_version_response
from kaspar.broker.versions import supports
from kaspar.protocol.api_index import ApiKey, api_spec
from kaspar.protocol.codec import DecodeError, decode
from kaspar.protocol.frames import decode_request_header, encode_response_parts
from kaspar.protocol.wire import Buffer

__all__ = ["Connection"]

log = logging.getLogger(__name__)

_SIZE_BYTES = 4
_MAX_QUEUED = 64
_RESUME_BELOW = 16
_WRITE_CHUNK = 1 << 20  # a large part goes out in slices written while the socket has room


@dataclass(slots=True)
class _Pending:
    correlation_id: int
    api_key: int
    api_version: int
    result: Any  # a response, None (no response), or an asyncio.Future of either


class Connection(asyncio.Protocol):
    """Kafka protocol over one TCP connection."""

    def __init__(self, ctx: BrokerContext, registry: set[Connection]) -> None:
        self._ctx = ctx
        self._registry = registry
        self._transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._queue: deque[_Pending] = deque()
        self._reading_paused = False
        self._writing_paused = False
        self._closed = False
        self._waiting_on: asyncio.Future[Any] | None = None
        self._out: deque[Buffer] = deque()  # response parts not handed to the transport yet
        self._host = ""

    # -- asyncio.Protocol -------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._registry.add(self)
        peer = transport.get_extra_info("peername")
        self._host = f"/{peer[0]}" if peer else ""
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # Told as soon as the transport buffers anything, and again once it has sent it all:
        # parts are handed over only while nothing is buffered, so megabytes of records go
        # from the segment read to the socket without a copy into the transport's buffer.
        transport.set_write_buffer_limits(high=0, low=0)

    def connection_lost(self, exc: Exception | None) -> None:
        self._closed = True
        self._registry.discard(self)
        for pending in self._queue:
            if isinstance(pending.result, asyncio.Future):
                pending.result.cancel()
        self._queue.clear()
        self._buffer.clear()
        self._out.clear()

    def pause_writing(self) -> None:
        self._writing_paused = True
        self._update_reading()

    def resume_writing(self) -> None:
        self._writing_paused = False
        self._pump()
        self._update_reading()

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        buffer = self._buffer
        start = 0
        while not self._closed and len(buffer) - start >= _SIZE_BYTES:
            size = int.from_bytes(buffer[start : start + _SIZE_BYTES], "big", signed=True)
            if size < 1 or size > self._ctx.config.socket_request_max_bytes:
                self.abort(f"invalid frame size {size}")
                return
            end = start + _SIZE_BYTES + size
            if len(buffer) < end:
                break
            self._on_frame(bytes(buffer[start + _SIZE_BYTES : end]))
            start = end
        if start:
            del buffer[:start]

    # -- requests ---------------------------------------------------------------------------
    def abort(self, reason: str) -> None:
        """Close this connection at once (malformed input); other clients are unaffected."""
        if self._closed:
            return
        log.info("closing connection %s: %s", self._peer(), reason)
        self._closed = True
        if self._transport is not None:
            self._transport.abort()

    def _on_frame(self, frame: bytes) -> None:
        try:
            header, pos = decode_request_header(frame)
        except (DecodeError, ValueError) as exc:
            self.abort(f"malformed request header: {exc}")
            return
        key, version = header.api_key, header.api_version
        if not supports(key, version):
            if key == ApiKey.API_VERSIONS:
                body = unsupported_version_response()
                self._enqueue(_Pending(header.correlation_id, key, 0, body))
            else:
                self.abort(f"unsupported api key {key} version {version}")
            return
        spec = api_spec(key)
        assert spec is not None
        try:
            request, _ = decode(spec.request, version, frame, pos)
        except (DecodeError, ValueError) as exc:
            self.abort(f"malformed {spec.name} v{version} request: {exc}")
            return
        token = REQUEST_CLIENT.set(RequestClient(header.client_id or "", self._host))
        try:
            result = HANDLERS[ApiKey(key)](self._ctx, request, version)
            if inspect.isawaitable(result):
                result = asyncio.ensure_future(result)  # the task copies REQUEST_CLIENT
        except Exception:
            log.exception("handler for %s v%d failed", spec.name, version)
            self.abort("internal error")
            return
        finally:
            REQUEST_CLIENT.reset(token)
        self._enqueue(_Pending(header.correlation_id, key, version, result))

    def _enqueue(self, pending: _Pending) -> None:
        self._queue.append(pending)
        self._write_ready()
        self._update_reading()

    def _write_ready(self) -> None:
        """Write every answered response at the head of the queue, in request order."""
        queue = self._queue
        while queue and not self._closed:
            head = queue[0]
            result = head.result
            if isinstance(result, asyncio.Future):
                if not result.done():
                    if self._waiting_on is not result:
                        self._waiting_on = result
                        result.add_done_callback(self._on_answered)
                    return
                if result.cancelled() or result.exception() is not None:
                    error = None if result.cancelled() else result.exception()
                    log.error("handler for api key %d failed", head.api_key, exc_info=error)
                    self.abort("internal error")
                    return
                result = result.result()
            queue.popleft()
            if result is not None and self._transport is not None:
                try:
                    frame = encode_response_parts(
                        head.correlation_id, head.api_key, head.api_version, result
                    )
                except ValueError:
                    log.exception("cannot encode the response to api key %d", head.api_key)
                    self.abort("internal error")
                    return
                self._out.extend(frame)
                self._pump()
        self._update_reading()

    def _pump(self) -> None:
        """Hand response parts to the transport while it holds nothing unsent (a slice of a
        large part at a time), in order; ``resume_writing`` goes on once it has sent it all."""
        out, transport = self._out, self._transport
        while out and transport is not None and not self._closed:
            if self._writing_paused or transport.get_write_buffer_size() > 0:
                return
            part = out.popleft()
            if len(part) > _WRITE_CHUNK:
                view = memoryview(part)
                out.appendleft(view[_WRITE_CHUNK:])
                part = view[:_WRITE_CHUNK]
            transport.write(part)

    def _on_answered(self, future: asyncio.Future[Any]) -> None:
        self._waiting_on = None
        if self._queue and self._queue[0].result is future:
            self._write_ready()

    def _update_reading(self) -> None:
        if self._transport is None or self._closed:
            return
        busy = self._writing_paused or len(self._queue) >= _MAX_QUEUED
        if busy and not self._reading_paused:
            self._transport.pause_reading()
            self._reading_paused = True
        elif self._reading_paused and not self._writing_paused and len(self._queue) < _RESUME_BELOW:
            self._transport.resume_reading()
            self._reading_paused = False

    def _peer(self) -> str:
        if self._transport is None:
            return "?"
        return str(self._transport.get_extra_info("peername"))
