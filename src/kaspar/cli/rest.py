"""`kaspar rest`: Confluent's REST Proxy API (v2 and v3) in the foreground, against any Kafka.

`RestProxyService` is the same proxy as a service of `kaspar up` (kaspar.cli.platform): it is
started after the broker (and the schema registry, when the platform has one) and given their
addresses.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated

import typer

from kaspar.cli.broker import parse_listen
from kaspar.cli.client_config import (
    DEFAULT_BOOTSTRAP_SERVERS,
    ConfigOption,
    ServiceBootstrapServers,
    parse_key_values,
)
from kaspar.cli.errors import CliError
from kaspar.cli.stop_signals import STOP_TIMEOUT_S, stop_within, wait_for_stop_signal
from kaspar.cli.terminal import status

if TYPE_CHECKING:
    from kaspar.cli.platform import PlatformSettings
    from kaspar.rest import RestProxyConfig
    from kaspar.service.asgi_server import AsgiServer

DEFAULT_REST_PORT = 8082
DEFAULT_REST_LISTEN = f"127.0.0.1:{DEFAULT_REST_PORT}"


def rest_config(bootstrap_servers: str, properties: Mapping[str, str]) -> RestProxyConfig:
    """The proxy's config, a bad property refused as a `--config` error naming it."""
    from kaspar.rest import RestConfigError, RestProxyConfig  # imported when used: fast start

    try:
        return RestProxyConfig.from_properties(properties, bootstrap_servers=bootstrap_servers)
    except RestConfigError as exc:
        raise CliError(f"--config: {exc}", exit_code=2) from exc


class RestProxyService:
    """The REST proxy of `kaspar up`: on the broker's host, port `--rest-port` (default 8082, or
    a free port when the broker was asked for a free one, so platforms can run side by side)."""

    name = "rest"
    option = "--rest-port"

    def __init__(self, settings: PlatformSettings) -> None:
        port = settings.rest_port
        if port is None:
            port = 0 if settings.broker_port == 0 else DEFAULT_REST_PORT
        self._host = settings.broker_host
        self.requested_address = f"{self._host}:{port}"
        self._server: AsgiServer | None = None
        self._port = port

    def start(self, started: Mapping[str, str]) -> str:
        properties = {}
        if "registry" in started:
            registry = started["registry"]
            properties["schema.registry.url"] = (
                registry if registry.startswith("http") else f"http://{registry}"
            )
        from kaspar.rest import create_app
        from kaspar.service.asgi_server import AsgiServer

        config = rest_config(started["broker"], properties)
        self._server = AsgiServer(create_app(config), self._host, self._port, name="rest")
        self._server.start()
        return self._server.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()


def rest(
    *,
    listen: Annotated[
        str, typer.Option("--listen", "-l", help="HOST:PORT to serve the REST API on.")
    ] = DEFAULT_REST_LISTEN,
    bootstrap_servers: ServiceBootstrapServers = DEFAULT_BOOTSTRAP_SERVERS,
    config: ConfigOption = None,
) -> None:
    """Run the REST Proxy (Confluent's v2 and v3 API) until SIGTERM or Ctrl-C.

    -c takes Confluent REST Proxy properties: schema.registry.url, consumer.instance.timeout.ms,
    consumer.request.timeout.ms, producer.*, consumer.*, admin.*, client.*.
    """
    from kaspar.rest import create_app
    from kaspar.service.asgi_server import AsgiServer

    host, port = parse_listen(listen)
    settings = rest_config(bootstrap_servers, parse_key_values(config, "--config"))
    server = AsgiServer(create_app(settings), host, port, name="rest")
    try:
        server.start()
    except OSError as exc:
        raise CliError(f"cannot serve the REST proxy on {listen} (--listen): {exc}") from exc
    wait_for_stop_signal(
        lambda: status(
            f"kaspar rest on {server.url}, Kafka at {bootstrap_servers} (Ctrl-C to stop)"
        )
    )
    if stop_within(server.stop, STOP_TIMEOUT_S):
        status("kaspar rest stopped")
    else:
        status(f"kaspar rest: stopping took over {STOP_TIMEOUT_S:.0f} s; exiting")
