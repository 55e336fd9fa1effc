"""A registry process: the store, the leader election and the HTTP server, started together.

1. Replay `_schemas` into the state (`KafkaStore.start`): reads are right from the first request.
2. Serve HTTP (`AsgiServer`; port 0 picks a free one); writes wait for a leader.
3. Join the leader election with this process's URL (`host.name` or the bound address).
`stop()` undoes them in reverse order.
"""

from __future__ import annotations

import socket

from kaspar.registry.app import create_app
from kaspar.registry.config import RegistryConfig
from kaspar.registry.kafka_store import KafkaStore
from kaspar.registry.leader_election import LeaderElection
from kaspar.registry.routes import Forwarder
from kaspar.registry.schema_registry import SchemaRegistry
from kaspar.registry.state import RegistryState
from kaspar.service.asgi_server import AsgiServer

WILDCARDS = ("0.0.0.0", "::", "")  # noqa: S104 (names, not a bind)


class SchemaRegistryServer:
    """Steps 1-3 of the module docstring."""

    def __init__(self, config: RegistryConfig) -> None:
        self.config = config
        self.state = RegistryState()
        self.store = KafkaStore(config, self.state)
        self.registry = SchemaRegistry(config, self.state, self.store)
        self.registry.is_leader = lambda: self.is_leader
        self.http = AsgiServer(None, config.listen_host, config.listen_port, name="registry")
        self.election: LeaderElection | None = None

    @property
    def url(self) -> str:
        host = self.config.host_name or self.http.host
        if host in WILDCARDS:
            host = socket.getfqdn()
        return f"http://{host}:{self.http.port}"

    @property
    def is_leader(self) -> bool:
        return self.election is not None and self.election.is_leader

    def start(self) -> str:
        """Steps 1-3; returns the URL clients use."""
        self.store.start()
        try:
            self.election = LeaderElection(self.config, self.store, "")
            self.http.app = create_app(
                self.registry, Forwarder(self.election, self.state, self.store)
            )
            self.http.start()
            self.election.url = self.url
            self.election.start()
        except BaseException:
            self.stop()
            raise
        return self.url

    def stop(self) -> None:
        """No new requests first, then leave the election, then stop reading the store."""
        self.http.stop()
        if self.election is not None:
            self.election.stop()
        self.store.stop()
