"""`kaspar broker`: run a kaspar broker in the foreground until SIGTERM or Ctrl-C."""

import importlib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Protocol, Self, cast

import typer

from kaspar.cli.client_config import ConfigOption, parse_key_values
from kaspar.cli.errors import CliError
from kaspar.cli.terminal import status

DEFAULT_LISTEN = "127.0.0.1:9092"
DEFAULT_DATA_DIR = Path("kaspar-data")


def parse_listen(listen: str) -> tuple[str, int]:
    """Split `HOST:PORT` (IPv6 hosts in brackets: `[::1]:9092`)."""
    host, sep, port_text = listen.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port_text.isdigit() or int(port_text) > 65535:
        raise CliError(f"--listen expects HOST:PORT, e.g. {DEFAULT_LISTEN}, got {listen!r}", 2)
    return host, int(port_text)


class EmbeddedBroker(Protocol):
    """The part of `kaspar.broker.Broker` the CLI uses."""

    @property
    def bootstrap_servers(self) -> str: ...

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def run(self) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(self, *exc_info: object) -> None: ...


class BrokerFactory(Protocol):
    """The `kaspar.broker.Broker` constructor."""

    def __call__(
        self,
        data_dir: str | Path,
        host: str = ...,
        port: int = ...,
        config: Mapping[str, str] | None = ...,
    ) -> EmbeddedBroker: ...


def load_broker_class() -> BrokerFactory:
    """`kaspar.broker.Broker`, imported only when a command runs a broker."""
    try:
        module = importlib.import_module("kaspar.broker")
    except ModuleNotFoundError as exc:
        if exc.name in {"kaspar.broker", "kaspar"}:
            raise CliError("this kaspar install has no broker (kaspar.broker is missing)") from exc
        raise CliError(f"cannot load kaspar.broker: {exc}") from exc
    except ImportError as exc:
        raise CliError(f"cannot load kaspar.broker: {exc}") from exc
    return cast(BrokerFactory, module.Broker)


def broker(
    *,
    data_dir: Annotated[
        Path, typer.Option("--data-dir", "-d", help="Directory holding the topic logs.")
    ] = DEFAULT_DATA_DIR,
    listen: Annotated[
        str, typer.Option("--listen", "-l", help="HOST:PORT to accept Kafka clients on.")
    ] = DEFAULT_LISTEN,
    config: ConfigOption = None,
) -> None:
    """Run a kaspar broker in the foreground; SIGTERM or Ctrl-C stops it cleanly."""
    host, port = parse_listen(listen)
    settings = parse_key_values(config, "--config")
    broker_class = load_broker_class()
    data_dir = data_dir.resolve()
    try:
        server = broker_class(data_dir, host=host, port=port, config=settings)
    except ValueError as exc:  # kaspar.broker's BrokerConfigError names the setting
        raise CliError(f"--config: {exc}", exit_code=2) from exc
    status(f"kaspar broker listening on {host}:{port}, data in {data_dir} (Ctrl-C to stop)")
    try:
        server.run()
    except KeyboardInterrupt:
        server.stop()
    except OSError as exc:
        raise CliError(f"cannot run the broker on {listen} with data in {data_dir}: {exc}") from exc
    status("kaspar broker stopped")
