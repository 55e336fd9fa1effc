"""A Connect worker process: the store, the herder and the HTTP server, started together.

1. Replay the config, offset and status topics (`KafkaStore.start`).
2. Serve Connect's REST API (`AsgiServer`; port 0 picks a free one).
3. Start the herder: the connectors of the config topic start in their target states, their
   source tasks from their stored offsets, their sink tasks from their group's offsets.
`stop()` undoes them in reverse order: tasks commit what they have and stop.
"""

from __future__ import annotations

import socket

from kaspar.connect.app import create_app
from kaspar.connect.config import WorkerConfig
from kaspar.connect.herder import Herder
from kaspar.connect.kafka_store import KafkaStore
from kaspar.connect.state import ConnectState
from kaspar.service.asgi_server import AsgiServer

WILDCARDS = ("0.0.0.0", "::", "")  # noqa: S104 (names, not a bind)


class ConnectWorker:
    """Steps 1-3 of the module docstring."""

    def __init__(self, config: WorkerConfig) -> None:
        self.config = config
        self.state = ConnectState()
        self.store = KafkaStore(config, self.state)
        self.http = AsgiServer(None, config.listen_host, config.listen_port, name="connect")
        self.herder: Herder | None = None

    @property
    def url(self) -> str:
        return f"http://{self.worker_id}"

    @property
    def worker_id(self) -> str:
        host = self.config.advertised_host or self.http.host
        if host in WILDCARDS:
            host = socket.getfqdn()
        return f"{host}:{self.http.port}"

    def start(self) -> str:
        """Steps 1-3; returns the URL of the REST API."""
        self.store.start()
        try:
            self.herder = Herder(self.config, self.store)
            self.http.app = create_app(self.herder)
            self.http.start()  # binds first: the worker id names the bound port
            self.herder.start(self.worker_id)
        except BaseException:
            self.stop()
            raise
        return self.url

    def stop(self) -> None:
        self.http.stop()
        if self.herder is not None:
            self.herder.stop()
        self.store.stop()
