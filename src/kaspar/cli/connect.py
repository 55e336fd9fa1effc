"""`kaspar connect`: a Kafka Connect worker (Connect's REST API) in the foreground, against any
Kafka.

`ConnectService` is the same worker as a service of `kaspar up` (kaspar.cli.platform): started
after the broker, its state in the broker's `connect-configs` / `connect-offsets` /
`connect-status` topics.
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
    from kaspar.connect import ConnectWorker, WorkerConfig

DEFAULT_CONNECT_PORT = 8083
DEFAULT_CONNECT_LISTEN = f"127.0.0.1:{DEFAULT_CONNECT_PORT}"


def connect_config(
    bootstrap_servers: str, listen: str, properties: Mapping[str, str]
) -> WorkerConfig:
    """The worker's config; a bad property is a `--config` error naming it."""
    from kaspar.connect import WorkerConfig, WorkerConfigError  # imported when used: fast start

    host, port = parse_listen(listen)
    base = WorkerConfig(bootstrap_servers=bootstrap_servers, listeners=f"http://{host}:{port}")
    try:
        return base.with_properties(properties)
    except WorkerConfigError as exc:
        raise CliError(f"--config: {exc}", exit_code=2) from exc


class ConnectService:
    """The Connect worker of `kaspar up`: on the broker's host, port 8083 (a free port when the
    broker was asked for a free one, so platforms can run side by side)."""

    name = "connect"
    option = "--listen"

    def __init__(self, settings: PlatformSettings) -> None:
        port = 0 if settings.broker_port == 0 else DEFAULT_CONNECT_PORT
        self.requested_address = f"{settings.broker_host}:{port}"
        self._worker: ConnectWorker | None = None

    def start(self, started: Mapping[str, str]) -> str:
        from kaspar.connect import ConnectWorker

        config = connect_config(started["broker"], self.requested_address, {})
        self._worker = ConnectWorker(config)
        return self._worker.start()

    def stop(self) -> None:
        if self._worker is not None:
            self._worker.stop()


def connect(
    *,
    listen: Annotated[
        str, typer.Option("--listen", "-l", help="HOST:PORT to serve Connect's REST API on.")
    ] = DEFAULT_CONNECT_LISTEN,
    bootstrap_servers: ServiceBootstrapServers = DEFAULT_BOOTSTRAP_SERVERS,
    config: ConfigOption = None,
) -> None:
    """Run a Kafka Connect worker (Connect's REST API, state in Connect's topics) until
    SIGTERM or Ctrl-C.

    -c takes Connect worker properties: group.id, config.storage.topic,
    offset.storage.topic, status.storage.topic, key.converter, value.converter,
    offset.flush.interval.ms, producer.*, consumer.*, ...
    """
    from kaspar.connect import ConnectWorker

    settings = connect_config(bootstrap_servers, listen, parse_key_values(config, "--config"))
    worker = ConnectWorker(settings)
    try:
        url = worker.start()
    except OSError as exc:
        raise CliError(f"cannot serve Connect on {listen} (--listen): {exc}") from exc
    except KafkaException as exc:
        raise CliError(
            f"cannot reach Kafka at {bootstrap_servers} (--bootstrap-servers): {exc.args[0].str()}"
        ) from exc
    wait_for_stop_signal(
        lambda: status(f"kaspar connect on {url}, Kafka at {bootstrap_servers} (Ctrl-C to stop)")
    )
    if stop_within(worker.stop, STOP_TIMEOUT_S):
        status("kaspar connect stopped")
    else:
        status(f"kaspar connect: stopping took over {STOP_TIMEOUT_S:.0f} s; exiting")
