"""`kaspar up`: the whole platform in the foreground, one process, one data directory.

1. Take SIGINT and SIGTERM: from now on they ask for a clean stop (a signal that arrives while
   the services start stops them as soon as they are up).
2. Start every service of `kaspar.cli.platform.SERVICES`; a port already taken is an error
   naming the option that sets it.
3. Print each service's address and the data directory.
4. Wait for SIGINT or SIGTERM, then stop the services newest first (the broker flushes its log
   and marks a clean shutdown) and exit 0.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer
from rich.table import Table

from kaspar.cli.broker import DEFAULT_DATA_DIR, DEFAULT_LISTEN, parse_listen
from kaspar.cli.client_config import ConfigOption, parse_key_values
from kaspar.cli.platform import Platform, PlatformSettings
from kaspar.cli.stop_signals import StopRequest, handling_stop_signals
from kaspar.cli.terminal import status, stdout

ADDRESS_HINTS = {
    "broker": "Kafka bootstrap.servers",
    "registry": "Schema Registry (Confluent API)",
    "rest": "REST Proxy (Confluent v2/v3)",
    "connect": "Kafka Connect REST API",
    "ksql": "ksqlDB REST API (kaspar ksql --shell -l URL)",
}


@contextlib.contextmanager
def stop_requested_by_signals() -> Iterator[StopRequest]:
    """A request set by SIGINT or SIGTERM while the block runs (the old handlers come back)."""
    requested = StopRequest()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        requested.set()

    with handling_stop_signals(request_stop):
        yield requested


def address_table(addresses: dict[str, str], data_dir: Path) -> Table:
    """One row per service: its name, its address, what the address is for."""
    table = Table("service", "address", "use as", title=f"kaspar is up, data in {data_dir}")
    for name, address in addresses.items():
        table.add_row(name, address, ADDRESS_HINTS.get(name, ""))
    return table


def up(
    *,
    data_dir: Annotated[
        Path,
        typer.Option(
            "--data-dir", "-d", help="Directory holding every service's data (broker/ ...)."
        ),
    ] = DEFAULT_DATA_DIR,
    listen: Annotated[
        str,
        typer.Option("--listen", "-l", help="HOST:PORT of the broker (port 0: a free one)."),
    ] = DEFAULT_LISTEN,
    config: ConfigOption = None,
    rest_port: Annotated[
        int | None,
        typer.Option(
            "--rest-port", help="Port of the REST proxy (default 8082; a free one with port 0)."
        ),
    ] = None,
) -> None:
    """Start the kaspar platform (broker, schema registry, REST proxy, Connect, ksql) until
    SIGTERM or Ctrl-C."""
    host, port = parse_listen(listen)
    settings = PlatformSettings(
        data_dir=data_dir.resolve(),
        broker_host=host,
        broker_port=port,
        broker_config=parse_key_values(config, "--config"),
        rest_port=rest_port,
    )
    with stop_requested_by_signals() as stop, Platform(settings) as platform:
        stdout.print(address_table(platform.addresses, settings.data_dir), soft_wrap=True)
        status("Ctrl-C or SIGTERM stops every service")
        while not stop.wait(0.2):
            pass
        status("stopping ...")
    status("kaspar stopped")
