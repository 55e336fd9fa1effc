"""An ASGI app served over HTTP/2 cleartext and HTTP/1.1 on one port, by hypercorn.

ksqlDB's ``/query-stream`` and ``/inserts-stream`` are HTTP/2 endpoints: its Java client speaks
h2c with prior knowledge, ``curl --http2-prior-knowledge`` too, while other clients use HTTP/1.1
on the same port. uvicorn (``AsgiServer``) serves HTTP/1.1 only; hypercorn serves both: a
connection opening with HTTP/2's preface is HTTP/2 (prior knowledge), an HTTP/1.1 request with
``Upgrade: h2c`` is switched to HTTP/2 (RFC 7540 3.2), anything else is HTTP/1.1.

``Http2AsgiServer`` has ``AsgiServer``'s life cycle, so a service picks one or the other:

1. ``start()`` binds first (a port in use fails at once; port 0 picks a free one), then runs
   hypercorn's worker loop on a daemon thread with its own event loop (uvloop's where it is
   installed) and returns once the app's lifespan has started and the socket listens.
2. ``stop()`` sets the shutdown event: hypercorn stops accepting, gives the requests in flight
   the grace period, then the thread ends. It is idempotent.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Callable
from typing import Any

from hypercorn.asyncio.run import worker_serve
from hypercorn.config import Config, Sockets
from hypercorn.utils import wrap_app

from kaspar.service.asgi_server import START_TIMEOUT_S, STOP_GRACE_S, AsgiServer, bind


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop
    except ImportError:  # not on Windows
        return None
    return uvloop.new_event_loop


class Http2AsgiServer(AsgiServer):
    """``app`` served on ``host:port`` (port 0: a free one), h2c and HTTP/1.1, on a thread."""

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0, name: str = "http"):
        super().__init__(app, host, port, name)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._shutdown: asyncio.Event | None = None

    def start(self) -> str:
        """Step 1; returns ``host:port``. Raises ``OSError`` if the address cannot be bound."""
        sock = bind(self.host, self.port)
        sock.setblocking(False)
        self.port = sock.getsockname()[1]
        config = Config()
        config.loglevel = "WARNING"
        config.accesslog = None
        config.graceful_timeout = STOP_GRACE_S
        config.keep_alive_timeout = 75.0  # HTTP/1.1 keep-alive between requests (Jetty's idle)
        started = threading.Event()

        def run() -> None:
            try:
                with asyncio.Runner(loop_factory=_loop_factory()) as runner:
                    runner.run(self._serve_h2(config, sock, started))
            except (Exception, SystemExit) as exc:  # noqa: BLE001 (kept: start() reports it)
                self._error = exc
            finally:
                sock.close()
                started.set()

        self._thread = threading.Thread(target=run, name=f"kaspar-{self.name}", daemon=True)
        self._thread.start()
        if not started.wait(START_TIMEOUT_S) or self._error is not None or self._loop is None:
            self.stop()
            raise RuntimeError(f"{self.name} did not start on {self.address}: {self._error}")
        return self.address

    async def _serve_h2(
        self, config: Config, sock: socket.socket, started: threading.Event
    ) -> None:
        self._shutdown = shutdown = asyncio.Event()
        app = wrap_app(self.app, config.wsgi_max_body_size, "asgi")
        sockets = Sockets([], [sock], [])
        task = asyncio.create_task(
            worker_serve(app, config, sockets=sockets, shutdown_trigger=shutdown.wait)
        )
        # listening once the lifespan has started and asyncio has bound the server to the socket
        while not task.done() and not _listening(sock):  # noqa: ASYNC110 (no event to wait on)
            await asyncio.sleep(0.005)
        if not task.done():
            self._loop = asyncio.get_running_loop()
        started.set()
        await task

    def stop(self) -> None:
        """Step 2."""
        loop, shutdown = self._loop, self._shutdown
        if loop is not None and shutdown is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(shutdown.set)
        if self._thread is not None:
            self._thread.join(STOP_GRACE_S + 5)
            self._thread = None
        self._loop = None


def _listening(sock: socket.socket) -> bool:
    return bool(sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN))
