"""`kaspar ksql`: ksqlDB's REST API (streaming SQL on kaspar's engine) in the foreground,
against any Kafka; `kaspar ksql --shell` is the interactive shell for such a server.

`KsqlService` is the same server as a service of `kaspar up` (kaspar.cli.platform): started
after the broker, its command topic in the broker, its query checkpoints in `<data dir>/ksql`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
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
    from kaspar.ksql import KsqlConfig, KsqlServer

DEFAULT_KSQL_PORT = 8088
DEFAULT_KSQL_LISTEN = f"127.0.0.1:{DEFAULT_KSQL_PORT}"
PLATFORM_URLS = (("ksql.schema.registry.url", "registry"), ("ksql.connect.url", "connect"))


def ksql_config(
    bootstrap_servers: str, listen: str, data_dir: Path, properties: Mapping[str, str]
) -> KsqlConfig:
    """The server's config; a bad property is a `--config` error naming it."""
    from kaspar.ksql import KsqlConfig, KsqlConfigError  # imported when used: fast start

    host, port = parse_listen(listen)
    base = KsqlConfig(
        bootstrap_servers=bootstrap_servers, listen_host=host, listen_port=port, data_dir=data_dir
    )
    try:
        return base.with_properties(properties)
    except KsqlConfigError as exc:
        raise CliError(f"--config: {exc}", exit_code=2) from exc


class KsqlService:
    """The ksql server of `kaspar up`: on the broker's host, port 8088 (a free port when the
    broker was asked for a free one), its checkpoints in `<data dir>/ksql`."""

    name = "ksql"
    option = "--listen"

    def __init__(self, settings: PlatformSettings) -> None:
        port = 0 if settings.broker_port == 0 else DEFAULT_KSQL_PORT
        self.requested_address = f"{settings.broker_host}:{port}"
        self._data_dir = settings.data_dir / "ksql"
        self._server: KsqlServer | None = None

    def start(self, started: Mapping[str, str]) -> str:
        """The platform's schema registry and Connect worker, when it runs them, are ksql's
        (``ksql.schema.registry.url``, ``ksql.connect.url``)."""
        properties = {
            key: _url(started[service]) for key, service in PLATFORM_URLS if service in started
        }
        from kaspar.ksql import KsqlServer

        config = ksql_config(started["broker"], self.requested_address, self._data_dir, properties)
        self._server = KsqlServer(config)
        self._server.start()
        return _url(self._server.http.address)

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()


def _url(address: str) -> str:
    return address if address.startswith(("http://", "https://")) else f"http://{address}"


def ksql(
    *,
    listen: Annotated[
        str,
        typer.Option(
            "--listen", "-l", help="HOST:PORT to serve on (with --shell: the server to use)."
        ),
    ] = DEFAULT_KSQL_LISTEN,
    bootstrap_servers: ServiceBootstrapServers = DEFAULT_BOOTSTRAP_SERVERS,
    data_dir: Annotated[
        Path, typer.Option("--data-dir", "-d", help="Where persistent queries keep checkpoints.")
    ] = Path("ksql-data"),
    config: ConfigOption = None,
    shell: Annotated[
        bool, typer.Option("--shell", help="Open the interactive shell on a running server.")
    ] = False,
) -> None:
    """Run the ksql server (ksqlDB's REST API and statements) until SIGTERM or Ctrl-C.

    -c takes ksqlDB server properties: ksql.service.id, listeners, auto.offset.reset,
    ksql.streams.state.dir, ksql.streams.*, ...
    """
    if shell:
        from kaspar.cli.ksql_shell import run_shell

        run_shell(_url(listen))
        return
    from kaspar.ksql import KsqlServer

    settings = ksql_config(
        bootstrap_servers, listen, data_dir, parse_key_values(config, "--config")
    )
    server = KsqlServer(settings)
    try:
        url = server.start()
    except OSError as exc:
        raise CliError(f"cannot serve ksql on {listen} (--listen): {exc}") from exc
    except KafkaException as exc:
        raise CliError(
            f"cannot reach Kafka at {bootstrap_servers} (--bootstrap-servers): {exc.args[0].str()}"
        ) from exc
    wait_for_stop_signal(
        lambda: status(f"kaspar ksql on {url}, Kafka at {bootstrap_servers} (Ctrl-C to stop)")
    )
    if stop_within(server.stop, STOP_TIMEOUT_S):
        status("kaspar ksql stopped")
    else:
        status(f"kaspar ksql: stopping took over {STOP_TIMEOUT_S:.0f} s; exiting")
