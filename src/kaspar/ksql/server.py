"""A ksql server process: the engine and the HTTP server, started together.

1. Start the engine: create the command topic if needed and replay it, so the metastore and
   the persistent queries are back before the first request.
2. Serve HTTP/2 cleartext and HTTP/1.1 on one port (``Http2AsgiServer``: ksqlDB's
   ``/query-stream`` and ``/inserts-stream`` are HTTP/2 endpoints; port 0 picks a free one).
``stop()`` undoes them in reverse order: no new requests, then the queries stop (each at a
batch boundary, its checkpoint committed).
"""

from __future__ import annotations

from kaspar.ksql.app import create_app
from kaspar.ksql.config import KsqlConfig
from kaspar.ksql.engine import KsqlEngine
from kaspar.service.h2_server import Http2AsgiServer
from kaspar.sql import SparkSession


class KsqlServer:
    """Steps 1-2 of the module docstring."""

    def __init__(self, config: KsqlConfig, spark: SparkSession | None = None) -> None:
        self.config = config
        self.engine = KsqlEngine(config, spark)
        self.http = Http2AsgiServer(None, config.listen_host, config.listen_port, name="ksql")

    @property
    def url(self) -> str:
        return self.http.url

    def start(self) -> str:
        """Steps 1-2; returns the URL clients use."""
        self.engine.start()
        try:
            self.http.app = create_app(self.engine)
            self.http.start()
        except BaseException:
            self.engine.stop()
            raise
        return self.url

    def stop(self) -> None:
        self.http.stop()
        self.engine.stop()
