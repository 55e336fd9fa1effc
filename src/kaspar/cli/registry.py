"""`kaspar registry`: Confluent's Schema Registry API in the foreground, against any Kafka.

`RegistryService` is the same registry as a service of `kaspar up` (kaspar.cli.platform):
started after the broker, its state in the broker's `_schemas` topic, its URL given to the
services started after it (the REST proxy).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated

import typer
from confluent_kafka import KafkaException

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
    from kaspar.registry import RegistryConfig, SchemaRegistryServer

DEFAULT_REGISTRY_PORT = 8081
DEFAULT_REGISTRY_LISTEN = f"127.0.0.1:{DEFAULT_REGISTRY_PORT}"


def registry_config(
    bootstrap_servers: str, listen: str, properties: Mapping[str, str]
) -> RegistryConfig:
    """The registry's config; a bad property is a `--config` error naming it."""
    from kaspar.registry import RegistryConfig, RegistryConfigError  # imported when used

    host, port = parse_listen(listen)
    base = RegistryConfig(bootstrap_servers=bootstrap_servers, listeners=f"http://{host}:{port}")
    try:
        return base.with_properties(properties)
    except RegistryConfigError as exc:
        raise CliError(f"--config: {exc}", exit_code=2) from exc


class RegistryService:
    """The schema registry of `kaspar up`: on the broker's host, port 8081 (a free port when
    the broker was asked for a free one, so platforms can run side by side)."""

    name = "registry"
    option = "--listen"

    def __init__(self, settings: PlatformSettings) -> None:
        port = 0 if settings.broker_port == 0 else DEFAULT_REGISTRY_PORT
        self.requested_address = f"{settings.broker_host}:{port}"
        self._server: SchemaRegistryServer | None = None

    def start(self, started: Mapping[str, str]) -> str:
        from kaspar.registry import SchemaRegistryServer

        config = registry_config(started["broker"], self.requested_address, {})
        self._server = SchemaRegistryServer(config)
        return self._server.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()


def registry(
    *,
    listen: Annotated[
        str, typer.Option("--listen", "-l", help="HOST:PORT to serve the registry API on.")
    ] = DEFAULT_REGISTRY_LISTEN,
    bootstrap_servers: ServiceBootstrapServers = DEFAULT_BOOTSTRAP_SERVERS,
    config: ConfigOption = None,
) -> None:
    """Run the Schema Registry (Confluent's API, state in `_schemas`) until SIGTERM or Ctrl-C.

    -c takes Confluent Schema Registry properties: kafkastore.topic,
    schema.compatibility.level, leader.eligibility, host.name, schema.registry.group.id, ...
    """
    from kaspar.registry import SchemaRegistryServer

    settings = registry_config(bootstrap_servers, listen, parse_key_values(config, "--config"))
    server = SchemaRegistryServer(settings)
    try:
        url = server.start()
    except OSError as exc:
        raise CliError(f"cannot serve the registry on {listen} (--listen): {exc}") from exc
    except KafkaException as exc:
        raise CliError(
            f"cannot reach Kafka at {bootstrap_servers} (--bootstrap-servers): {exc.args[0].str()}"
        ) from exc
    wait_for_stop_signal(
        lambda: status(f"kaspar registry on {url}, Kafka at {bootstrap_servers} (Ctrl-C to stop)")
    )
    if stop_within(server.stop, STOP_TIMEOUT_S):
        status("kaspar registry stopped")
    else:
        status(f"kaspar registry: stopping took over {STOP_TIMEOUT_S:.0f} s; exiting")
