"""The kaspar platform: its services, started together in one process over one data directory.

A service is one registration in `SERVICES`: a factory taking the `PlatformSettings` and
returning an object with a `name`, the `option` that sets its address (named in errors), `start`
(returns the address clients use) and `stop`. `kaspar up` runs every registered service in the
foreground; `kaspar demo` embeds the same platform. Each service keeps its data in its own
folder of the data directory (the broker in `broker/`, with `kaspar broker`'s layout).

The platform is the broker, the schema registry, the REST proxy, Connect and ksql. A service is
a class like `BrokerService` and one entry in `SERVICES` (its module imported only when it
starts, so the `kaspar` command starts fast); a service started later finds the addresses of
those started before it (the registry needs the broker's, ksql the registry's and Connect's).

`Platform.start` follows these steps:

1. Start the services in the order of `SERVICES`, each given the addresses started so far.
2. If one fails, stop those already started, newest first, and raise `ServiceStartError`
   naming the service, its option and address, and the cause.
3. `Platform.stop` stops the started services newest first; it is idempotent.
"""

from __future__ import annotations

import errno
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Protocol

from kaspar.cli.broker import EmbeddedBroker, load_broker_class
from kaspar.cli.errors import CliError


@dataclass(frozen=True)
class PlatformSettings:
    """What the services are started with: one data directory, and each service's address."""

    data_dir: Path
    broker_host: str = "127.0.0.1"
    broker_port: int = 0
    broker_config: Mapping[str, str] = field(default_factory=dict)
    rest_port: int | None = None  # None: 8082, or a free port when broker_port is 0


class Service(Protocol):
    """One service of the platform, as `Platform` starts and stops it."""

    @property
    def name(self) -> str: ...

    @property
    def option(self) -> str:
        """The command-line option that sets the service's address (`--listen`)."""
        ...

    @property
    def requested_address(self) -> str:
        """The address asked for (`host:0` picks a free port), for error messages."""
        ...

    def start(self, started: Mapping[str, str]) -> str:
        """Start serving; returns the address clients use. `started`: earlier services."""
        ...

    def stop(self) -> None: ...


ServiceFactory = Callable[[PlatformSettings], Service]


class BrokerService:
    """The Kafka-compatible broker, its log in `<data dir>/broker`."""

    name = "broker"
    option = "--listen"

    def __init__(self, settings: PlatformSettings) -> None:
        self.requested_address = f"{settings.broker_host}:{settings.broker_port}"
        try:
            self._broker: EmbeddedBroker = load_broker_class()(
                settings.data_dir / "broker",
                host=settings.broker_host,
                port=settings.broker_port,
                config=settings.broker_config,
            )
        except ValueError as exc:  # kaspar.broker's BrokerConfigError names the setting
            raise CliError(f"--config: {exc}", exit_code=2) from exc

    def start(self, started: Mapping[str, str]) -> str:
        self._broker.start()
        return self._broker.bootstrap_servers

    def stop(self) -> None:
        self._broker.stop()


def _registry(settings: PlatformSettings) -> Service:
    from kaspar.cli.registry import RegistryService  # imports the HTTP stack only when started

    return RegistryService(settings)


def _rest_proxy(settings: PlatformSettings) -> Service:
    from kaspar.cli.rest import RestProxyService  # imports the HTTP stack only when started

    return RestProxyService(settings)


def _connect(settings: PlatformSettings) -> Service:
    from kaspar.cli.connect import ConnectService  # imports the HTTP stack only when started

    return ConnectService(settings)


def _ksql(settings: PlatformSettings) -> Service:
    from kaspar.cli.ksql import KsqlService  # imports the engine only when started

    return KsqlService(settings)


SERVICES: tuple[ServiceFactory, ...] = (BrokerService, _registry, _rest_proxy, _connect, _ksql)
"""Every service of the platform, in start order."""


class ServiceStartError(CliError):
    """A service did not start: the message names it, its option and the cause."""

    def __init__(self, service: Service, cause: BaseException) -> None:
        address = service.requested_address
        if isinstance(cause, OSError) and cause.errno == errno.EADDRINUSE:
            reason = (
                f"{address} is already in use (another Kafka broker or kaspar running?); "
                f"stop it or pick a free port with {service.option} HOST:PORT"
            )
        else:
            reason = f"cannot start on {address} ({service.option}): {cause}"
        super().__init__(f"{service.name}: {reason}")
        self.cause = cause


class Platform:
    """The services of `SERVICES` (or the given ones), started and stopped together."""

    def __init__(
        self, settings: PlatformSettings, services: tuple[ServiceFactory, ...] = SERVICES
    ) -> None:
        self.settings = settings
        self._factories = services
        self._started: list[Service] = []
        self.addresses: dict[str, str] = {}

    @property
    def bootstrap_servers(self) -> str:
        """The broker's address, for a Kafka client's `bootstrap.servers`."""
        return self.addresses["broker"]

    def start(self) -> dict[str, str]:
        """Steps 1-2 of the module docstring; returns service name -> address."""
        for factory in self._factories:
            service = factory(self.settings)
            try:
                address = service.start(dict(self.addresses))
            except (OSError, RuntimeError, ValueError, TimeoutError) as exc:
                self.stop()
                raise ServiceStartError(service, exc) from exc
            except BaseException:
                self.stop()
                raise
            self._started.append(service)
            self.addresses[service.name] = address
        return dict(self.addresses)

    def stop(self) -> None:
        """Step 3: stop the started services, newest first."""
        while self._started:
            self._started.pop().stop()
        self.addresses.clear()

    def __enter__(self) -> Platform:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
