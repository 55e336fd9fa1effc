"""An ASGI app served by uvicorn on a thread of its own, started and stopped from code.

``kaspar up`` runs several services in one process and tests start them on free ports, so a
service is not ``uvicorn.run`` (which owns the main thread and its signals) but an
``AsgiServer``:

1. ``start()`` binds the socket first (so a port in use fails at once with ``OSError``, and port
   0 picks a free one), then runs uvicorn's server loop on a daemon thread with its own event
   loop, and returns the address once uvicorn says it has started.
   The loop is uvloop's where it is installed (a dependency on Linux and macOS: accepting,
   reading and writing run in C, about twice the requests/s of asyncio's selector loop), the
   HTTP protocol uvicorn's httptools one, keeping HTTP/1.0 connections that ask for it
   (`http10_keep_alive`), and there is no access log (a log record per request) and no
   `X-Forwarded-*` rewriting of the client address (no service reads it).
2. ``stop()`` asks uvicorn to exit (it finishes the requests in flight, up to a grace period)
   and joins the thread. It is idempotent.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from typing import Any

import uvicorn

from kaspar.service.http10_keep_alive import Http10KeepAliveProtocol

START_TIMEOUT_S = 30.0
STOP_GRACE_S = 5.0


def bind(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` (``OSError`` if it cannot be), not yet listening."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets whose proto says TCP
    # (proto 0 would leave Nagle on: 40 ms per keep-alive request, the delayed ACK)
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


class AsgiServer:
    """``app`` served on ``host:port`` (port 0: a free one) by uvicorn on a daemon thread."""

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0, name: str = "http"):
        self.app, self.host, self.port, self.name = app, host, port, name
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.address}"

    def start(self) -> str:
        """Step 1; returns ``host:port``. Raises ``OSError`` if the address cannot be bound."""
        sock = bind(self.host, self.port)
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app,
            log_level="warning",
            access_log=False,
            proxy_headers=False,
            http=Http10KeepAliveProtocol,
            loop="auto",
            lifespan="on",
            timeout_graceful_shutdown=int(STOP_GRACE_S),
        )
        self._server = uvicorn.Server(config)
        started = threading.Event()

        loop_factory = config.get_loop_factory()  # uvloop if installed, else asyncio's

        def run() -> None:
            try:
                with asyncio.Runner(loop_factory=loop_factory) as runner:
                    runner.run(self._serve(sock, started))
            except (Exception, SystemExit) as exc:  # noqa: BLE001 (kept: start() reports it)
                self._error = exc
            finally:
                started.set()

        self._thread = threading.Thread(target=run, name=f"kaspar-{self.name}", daemon=True)
        self._thread.start()
        if not started.wait(START_TIMEOUT_S) or not self._server.started:
            self.stop()
            raise RuntimeError(f"{self.name} did not start on {self.address}: {self._error}")
        return self.address

    async def _serve(self, sock: socket.socket, started: threading.Event) -> None:
        assert self._server is not None
        server = self._server
        task = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started and not task.done():  # noqa: ASYNC110 (a bool, no event)
            await asyncio.sleep(0.005)
        started.set()
        await task

    def stop(self) -> None:
        """Step 2."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(STOP_GRACE_S + 5)
            self._thread = None
