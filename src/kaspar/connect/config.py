"""The worker's settings, by Apache Connect's worker property names.

`kaspar connect -c key=value` takes the keys of a `connect-distributed.properties` file
(`group.id`, `config.storage.topic`, `offset.storage.topic`, `status.storage.topic`, the
`*.replication.factor` and `*.partitions` of those topics, `key.converter`, `value.converter`
and their `.schemas.enable`, `offset.flush.interval.ms`, `listeners`, ...). An unknown key or a
bad value is refused with a message naming the key and the accepted values. Keys with the
`producer.`, `consumer.` or `admin.` prefix are handed to those clients (librdkafka names).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

JSON_CONVERTER = "org.apache.kafka.connect.json.JsonConverter"


class WorkerConfigError(ValueError):
    """A worker property refused: the message names it and what is accepted."""


@dataclass(frozen=True)
class WorkerConfig:
    """Everything a Connect worker is started with."""

    bootstrap_servers: str = "localhost:9092"
    listeners: str = "http://127.0.0.1:8083"
    advertised_host: str = ""
    group_id: str = "connect-cluster"
    config_storage_topic: str = "connect-configs"
    offset_storage_topic: str = "connect-offsets"
    status_storage_topic: str = "connect-status"
    config_storage_replication_factor: int = 3
    offset_storage_replication_factor: int = 3
    status_storage_replication_factor: int = 3
    offset_storage_partitions: int = 25
    status_storage_partitions: int = 5
    key_converter: str = JSON_CONVERTER
    value_converter: str = JSON_CONVERTER
    converter_config: Mapping[str, str] = field(default_factory=dict)
    offset_flush_interval_ms: int = 60_000
    offset_flush_timeout_ms: int = 5_000
    task_shutdown_graceful_timeout_ms: int = 5_000
    exactly_once_source_support: str = "disabled"
    session_timeout_ms: int = 10_000
    heartbeat_interval_ms: int = 3_000
    client_config: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    @property
    def listen_host(self) -> str:
        return urlsplit(self.listeners.split(",")[0]).hostname or "127.0.0.1"

    @property
    def listen_port(self) -> int:
        port = urlsplit(self.listeners.split(",")[0]).port
        return 8083 if port is None else port

    def client(self, kind: str) -> dict[str, Any]:
        """Extra settings for the `producer`, `consumer` or `admin` clients."""
        return dict(self.client_config.get(kind, {}))

    def with_properties(self, properties: Mapping[str, str]) -> WorkerConfig:
        """This config with `properties` (Connect's names) applied; raises WorkerConfigError."""
        config = self
        for key, raw in properties.items():
            value = raw.strip()
            prefix = key.split(".", 1)[0]
            if prefix in ("producer", "consumer", "admin") and "." in key:
                clients = {k: dict(v) for k, v in config.client_config.items()}
                clients.setdefault(prefix, {})[key.split(".", 1)[1]] = value
                config = replace(config, client_config=clients)
            elif key.startswith(("key.converter.", "value.converter.")):
                config = replace(config, converter_config={**config.converter_config, key: value})
            elif key in PROPERTIES:
                config = PROPERTIES[key](config, key, value)
            elif key not in IGNORED:
                accepted = ", ".join(sorted(PROPERTIES))
                raise WorkerConfigError(
                    f"unknown Connect worker property {key!r}; accepted: {accepted},"
                    " and producer.*, consumer.*, admin.*, key.converter.*, value.converter.*"
                )
        return config


def _int(key: str, value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise WorkerConfigError(f"{key} must be an integer, got {value!r}") from None
    if number < 1:
        raise WorkerConfigError(f"{key} must be at least 1, got {number}")
    return number


def _listeners(key: str, value: str) -> str:
    parts = urlsplit(value.split(",", maxsplit=1)[0])
    if parts.scheme != "http" or parts.hostname is None:
        raise WorkerConfigError(f"{key} must be like http://HOST:PORT, got {value!r}")
    return value


def _one_of(*accepted: str) -> Callable[[str, str], str]:
    def parse(key: str, value: str) -> str:
        if value.lower() not in accepted:
            raise WorkerConfigError(f"{key} must be one of {', '.join(accepted)}, got {value!r}")
        return value.lower()

    return parse


def _setter(attr: str, parse: Callable[[str, str], Any] | None = None) -> Any:
    def set_value(config: WorkerConfig, key: str, value: str) -> WorkerConfig:
        parsed: Any = value if parse is None else parse(key, value)
        return replace(config, **{attr: parsed})

    return set_value


PROPERTIES: dict[str, Callable[[WorkerConfig, str, str], WorkerConfig]] = {
    "bootstrap.servers": _setter("bootstrap_servers"),
    "listeners": _setter("listeners", _listeners),
    "rest.advertised.host.name": _setter("advertised_host"),
    "group.id": _setter("group_id"),
    "config.storage.topic": _setter("config_storage_topic"),
    "offset.storage.topic": _setter("offset_storage_topic"),
    "status.storage.topic": _setter("status_storage_topic"),
    "config.storage.replication.factor": _setter("config_storage_replication_factor", _int),
    "offset.storage.replication.factor": _setter("offset_storage_replication_factor", _int),
    "status.storage.replication.factor": _setter("status_storage_replication_factor", _int),
    "offset.storage.partitions": _setter("offset_storage_partitions", _int),
    "status.storage.partitions": _setter("status_storage_partitions", _int),
    "key.converter": _setter("key_converter"),
    "value.converter": _setter("value_converter"),
    "offset.flush.interval.ms": _setter("offset_flush_interval_ms", _int),
    "offset.flush.timeout.ms": _setter("offset_flush_timeout_ms", _int),
    "task.shutdown.graceful.timeout.ms": _setter("task_shutdown_graceful_timeout_ms", _int),
    "session.timeout.ms": _setter("session_timeout_ms", _int),
    "heartbeat.interval.ms": _setter("heartbeat_interval_ms", _int),
    "exactly.once.source.support": _setter(
        "exactly_once_source_support", _one_of("disabled", "enabled", "preparing")
    ),
}
"""Connect worker property -> how it sets the config."""

IGNORED = frozenset({"plugin.path", "plugin.discovery", "rest.advertised.port"})
"""Properties of Java workers that mean nothing here (plugins come from entry points)."""
