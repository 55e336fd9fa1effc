"""The server's settings, by ksqlDB's property names (``ksql-server.properties``).

``kaspar ksql -c key=value`` takes them; ``ksql.*`` and ``ksql.streams.*`` keys the server does
not act on are kept and shown by ``SHOW PROPERTIES``; a key outside those namespaces, or a bad
value, is refused naming the key.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

OFFSET_RESETS = ("earliest", "latest")


class KsqlConfigError(ValueError):
    """A property the server refuses: the message names it and what is accepted."""


@dataclass(frozen=True)
class KsqlConfig:
    bootstrap_servers: str = "localhost:9092"
    listen_host: str = "127.0.0.1"
    listen_port: int = 8088
    data_dir: Path = Path("ksql-data")
    service_id: str = "default_"
    offset_reset: str = "latest"
    trigger_ms: int = 200
    schema_registry_url: str | None = None
    connect_url: str | None = None
    properties: Mapping[str, str] = field(default_factory=dict)

    @property
    def command_topic(self) -> str:
        """ksqlDB's name for it: ``_confluent-ksql-<service id>_command_topic``."""
        return f"_confluent-ksql-{self.service_id}_command_topic"

    @property
    def state_dir(self) -> Path:
        return self.data_dir / self.service_id

    def with_properties(self, properties: Mapping[str, str]) -> KsqlConfig:
        config = self
        for key, value in properties.items():
            config = config._with(key, value)
        return replace(config, properties={**self.properties, **properties})

    def _with(self, key: str, value: str) -> KsqlConfig:
        setter = SETTERS.get(key)
        if setter is not None:
            return setter(self, key, value)
        if key.startswith(("ksql.", "ksql.streams.")):
            return self
        raise KsqlConfigError(
            f"unknown property {key}: kaspar ksql takes ksqlDB's (ksql.service.id, listeners, "
            "bootstrap.servers, auto.offset.reset, ksql.schema.registry.url, ksql.streams.*, "
            "ksql.*)"
        )


def _service_id(config: KsqlConfig, key: str, value: str) -> KsqlConfig:
    if not value:
        raise KsqlConfigError(f"{key} must not be empty")
    return replace(config, service_id=value)


def _offset_reset(config: KsqlConfig, key: str, value: str) -> KsqlConfig:
    if value not in OFFSET_RESETS:
        raise KsqlConfigError(f"{key} must be one of {', '.join(OFFSET_RESETS)}: {value}")
    return replace(config, offset_reset=value)


def _trigger_ms(config: KsqlConfig, key: str, value: str) -> KsqlConfig:
    if not value.isdigit() or int(value) < 1:
        raise KsqlConfigError(f"{key} must be a positive number of ms: {value}")
    return replace(config, trigger_ms=int(value))


def _listeners(config: KsqlConfig, key: str, value: str) -> KsqlConfig:
    host, _, port = value.split(",", maxsplit=1)[0].removeprefix("http://").rpartition(":")
    if not port.isdigit():
        raise KsqlConfigError(f"{key} must be http://HOST:PORT: {value}")
    return replace(config, listen_host=host or "0.0.0.0", listen_port=int(port))  # noqa: S104


SETTERS: dict[str, Callable[[KsqlConfig, str, str], KsqlConfig]] = {
    "ksql.service.id": _service_id,
    "auto.offset.reset": _offset_reset,
    "ksql.streams.auto.offset.reset": _offset_reset,
    "bootstrap.servers": lambda c, k, v: replace(c, bootstrap_servers=v),
    "ksql.streams.bootstrap.servers": lambda c, k, v: replace(c, bootstrap_servers=v),
    "ksql.schema.registry.url": lambda c, k, v: replace(
        c, schema_registry_url=v.split(",", maxsplit=1)[0] or None
    ),
    "ksql.streams.state.dir": lambda c, k, v: replace(c, data_dir=Path(v)),
    "ksql.connect.url": lambda c, k, v: replace(c, connect_url=v or None),
    "ksql.kaspar.trigger.ms": _trigger_ms,
    "listeners": _listeners,
}
