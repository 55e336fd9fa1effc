"""``Broker``: a kaspar broker embedded in a Python process, or run in the foreground.

>>> from kaspar.broker import Broker
>>> with Broker("/tmp/kaspar-doctest") as broker:   # doctest: +SKIP
...     print(broker.bootstrap_servers)
127.0.0.1:40123
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

from kaspar.broker.broker_config import BrokerConfig
from kaspar.broker.server import BrokerNode

__all__ = ["Broker"]

_START_TIMEOUT_S = 60.0


class Broker:
    """A single-node Kafka-compatible broker storing its logs under ``data_dir``.

    ``start()`` runs it on a background thread (embedding, tests); ``run()`` runs it in the
    foreground until SIGINT or SIGTERM. ``port=0`` picks a free port.
    """

    def __init__(
        self,
        data_dir: str | Path,
        host: str = "127.0.0.1",
        port: int = 0,
        config: Mapping[str, str] | None = None,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.host = host
        self.port = port
        self.config = BrokerConfig.from_settings(config)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stopping: asyncio.Event | None = None
        self._node: BrokerNode | None = None

    @property
    def bootstrap_servers(self) -> str:
        """``host:port`` for a Kafka client's ``bootstrap.servers``."""
        return f"{self.host}:{self.port}"

    def start(self) -> Broker:
        """Start serving on a background thread; returns once the port is listening."""
        if self._thread is not None:
            return self
        ready = threading.Event()
        failure: list[BaseException] = []
        self._thread = threading.Thread(
            target=self._thread_main, args=(ready, failure), name="kaspar-broker", daemon=True
        )
        self._thread.start()
        if not ready.wait(_START_TIMEOUT_S):
            msg = f"broker did not start within {_START_TIMEOUT_S} s"
            raise TimeoutError(msg)
        if failure:
            self._thread.join()
            self._thread = None
            raise failure[0]
        return self

    def stop(self) -> None:
        """Stop serving, fsync everything and mark the data directory as cleanly shut down."""
        thread, loop, stopping = self._thread, self._loop, self._stopping
        if thread is None or loop is None or stopping is None:
            return
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(stopping.set)
        thread.join()
        self._thread = None

    def run(self) -> None:
        """Serve in the foreground until SIGINT or SIGTERM, then stop cleanly."""
        asyncio.run(self._serve(ready=None, failure=[], handle_signals=True))

    def __enter__(self) -> Broker:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _thread_main(self, ready: threading.Event, failure: list[BaseException]) -> None:
        asyncio.run(self._serve(ready=ready, failure=failure, handle_signals=False))

    async def _serve(
        self,
        *,
        ready: threading.Event | None,
        failure: list[BaseException],
        handle_signals: bool,
    ) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        node = BrokerNode(self.data_dir, self.host, self.port, self.config)
        try:
            await node.start()
        except BaseException as exc:
            failure.append(exc)
            await node.stop()
            if ready is None:
                raise
            ready.set()
            return
        self._node = node
        self.port = node.port
        if handle_signals:
            for signum in (signal.SIGINT, signal.SIGTERM):
                self._loop.add_signal_handler(signum, self._stopping.set)
        if ready is not None:
            ready.set()
        try:
            await self._stopping.wait()
        finally:
            await node.stop()
