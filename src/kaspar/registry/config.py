"""The registry's settings, by Confluent Schema Registry's property names.

`kaspar registry -c key=value` and `kaspar up` take the keys of a Confluent
`schema-registry.properties` file, so an existing file carries over. An unknown key or a bad
value is refused with a message naming the key and the accepted values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

COMPATIBILITY_LEVELS = (
    "NONE",
    "BACKWARD",
    "BACKWARD_TRANSITIVE",
    "FORWARD",
    "FORWARD_TRANSITIVE",
    "FULL",
    "FULL_TRANSITIVE",
)
MODES = ("READWRITE", "READONLY", "READONLY_OVERRIDE", "IMPORT")


class RegistryConfigError(ValueError):
    """A property the registry refuses: the message names it and what is accepted."""


@dataclass(frozen=True)
class RegistryConfig:
    """Everything a registry process is started with."""

    bootstrap_servers: str = "localhost:9092"
    listeners: str = "http://127.0.0.1:8081"
    host_name: str = ""
    topic: str = "_schemas"
    topic_replication_factor: int = 3
    timeout_ms: int = 30_000
    init_timeout_ms: int = 60_000
    compatibility_level: str = "BACKWARD"
    mode_mutability: bool = True
    leader_eligibility: bool = True
    group_id: str = "schema-registry"
    client_config: Mapping[str, str] = field(default_factory=dict)

    @property
    def leader_topic(self) -> str:
        """The one-partition topic whose assignment elects the leader (docs/registry.md)."""
        return f"{self.topic}_leader"

    @property
    def listen_host(self) -> str:
        return urlsplit(self.listeners.split(",")[0]).hostname or "127.0.0.1"

    @property
    def listen_port(self) -> int:
        port = urlsplit(self.listeners.split(",")[0]).port
        return 8081 if port is None else port

    def with_properties(self, properties: Mapping[str, str]) -> RegistryConfig:
        """This config with `properties` (Confluent names) applied; raises RegistryConfigError."""
        config = self
        for key, value in properties.items():
            if key.startswith("kafkastore.") and key.removeprefix("kafkastore.") in PASSTHROUGH:
                client = dict(config.client_config)
                client[key.removeprefix("kafkastore.")] = value
                config = replace(config, client_config=client)
                continue
            setter = PROPERTIES.get(key)
            if setter is None:
                accepted = ", ".join(sorted(PROPERTIES))
                raise RegistryConfigError(
                    f"unknown registry property {key!r}; accepted: {accepted}"
                )
            config = setter(config, key, value.strip())
        return config


def _int(key: str, value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise RegistryConfigError(f"{key} must be an integer, got {value!r}") from None
    if number < 1:
        raise RegistryConfigError(f"{key} must be at least 1, got {number}")
    return number


def _bool(key: str, value: str) -> bool:
    if value.lower() not in ("true", "false"):
        raise RegistryConfigError(f"{key} must be true or false, got {value!r}")
    return value.lower() == "true"


def _level(key: str, value: str) -> str:
    if value.upper() not in COMPATIBILITY_LEVELS:
        accepted = ", ".join(level.lower() for level in COMPATIBILITY_LEVELS)
        raise RegistryConfigError(f"{key} must be one of {accepted}; got {value!r}")
    return value.upper()


def _listeners(key: str, value: str) -> str:
    parts = urlsplit(value.split(",", maxsplit=1)[0])
    if parts.scheme != "http" or parts.hostname is None:
        raise RegistryConfigError(f"{key} must be like http://HOST:PORT, got {value!r}")
    return value


PROPERTIES = {
    "kafkastore.bootstrap.servers": lambda c, k, v: replace(c, bootstrap_servers=v),
    "listeners": lambda c, k, v: replace(c, listeners=_listeners(k, v)),
    "host.name": lambda c, k, v: replace(c, host_name=v),
    "kafkastore.topic": lambda c, k, v: replace(c, topic=v),
    "kafkastore.topic.replication.factor": lambda c, k, v: replace(
        c, topic_replication_factor=_int(k, v)
    ),
    "kafkastore.timeout.ms": lambda c, k, v: replace(c, timeout_ms=_int(k, v)),
    "kafkastore.init.timeout.ms": lambda c, k, v: replace(c, init_timeout_ms=_int(k, v)),
    "schema.compatibility.level": lambda c, k, v: replace(c, compatibility_level=_level(k, v)),
    "avro.compatibility.level": lambda c, k, v: replace(c, compatibility_level=_level(k, v)),
    "mode.mutability": lambda c, k, v: replace(c, mode_mutability=_bool(k, v)),
    "leader.eligibility": lambda c, k, v: replace(c, leader_eligibility=_bool(k, v)),
    "master.eligibility": lambda c, k, v: replace(c, leader_eligibility=_bool(k, v)),
    "schema.registry.group.id": lambda c, k, v: replace(c, group_id=v),
}
"""Confluent property name -> how it sets the config."""

PASSTHROUGH = frozenset(
    {"security.protocol", "sasl.mechanism", "sasl.username", "sasl.password", "client.id"}
)
"""`kafkastore.<librdkafka property>` keys handed to the Kafka clients as they are."""
