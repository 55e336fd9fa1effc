"""The REST proxy's settings, under Confluent REST Proxy's property names.

An existing `kafka-rest.properties` carries over: `bootstrap.servers`, `schema.registry.url`,
`consumer.instance.timeout.ms`, `consumer.request.timeout.ms`, `id`, and the `producer.*`,
`consumer.*`, `admin.*` and `client.*` prefixes, whose rest is handed to the confluent-kafka
client of that kind (`client.*` to all three). Any other key is refused with the list of the
accepted ones.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

DEFAULT_INSTANCE_TIMEOUT_MS = 300_000
DEFAULT_REQUEST_TIMEOUT_MS = 1_000
DEFAULT_MAX_BYTES = 64 * 1024 * 1024

PASSTHROUGH_PREFIXES = ("producer.", "consumer.", "admin.", "client.")
INTEGER_KEYS = ("consumer.instance.timeout.ms", "consumer.request.timeout.ms")
PLAIN_KEYS = ("bootstrap.servers", "schema.registry.url", "id", "listeners", *INTEGER_KEYS)

_EMPTY: Mapping[str, str] = MappingProxyType({})

#: librdkafka's logs of the proxy's clients go to Python logging under this name (not stderr).
CLIENT_LOG = logging.getLogger("kaspar.rest.kafka")


class RestConfigError(ValueError):
    """A property the REST proxy does not know, or a bad value; the message names the key."""


@dataclass(frozen=True)
class RestProxyConfig:
    """What the proxy runs with; `from_properties` builds it from Confluent property names."""

    bootstrap_servers: str
    schema_registry_url: str | None = None
    instance_timeout_ms: int = DEFAULT_INSTANCE_TIMEOUT_MS
    request_timeout_ms: int = DEFAULT_REQUEST_TIMEOUT_MS
    proxy_id: str = ""
    producer: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    consumer: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    admin: Mapping[str, str] = field(default_factory=lambda: _EMPTY)

    @classmethod
    def from_properties(
        cls, properties: Mapping[str, str], bootstrap_servers: str | None = None
    ) -> RestProxyConfig:
        """Validate `properties`; `bootstrap_servers` wins over the property of that name."""
        clients: dict[str, dict[str, str]] = {"producer.": {}, "consumer.": {}, "admin.": {}}
        for key, value in properties.items():
            prefix = next((p for p in PASSTHROUGH_PREFIXES if key.startswith(p)), None)
            if key in PLAIN_KEYS:
                continue
            if prefix is None or key == prefix:
                accepted = ", ".join((*PLAIN_KEYS, *(f"{p}*" for p in PASSTHROUGH_PREFIXES)))
                raise RestConfigError(f"unknown property {key!r}; accepted: {accepted}")
            targets = clients.values() if prefix == "client." else [clients[prefix]]
            for target in targets:
                target[key[len(prefix) :]] = value
        servers = bootstrap_servers or properties.get("bootstrap.servers")
        if not servers:
            raise RestConfigError("bootstrap.servers is required (or --bootstrap-servers)")
        return cls(
            bootstrap_servers=servers,
            schema_registry_url=properties.get("schema.registry.url") or None,
            instance_timeout_ms=_positive(properties, INTEGER_KEYS[0], DEFAULT_INSTANCE_TIMEOUT_MS),
            request_timeout_ms=_positive(properties, INTEGER_KEYS[1], DEFAULT_REQUEST_TIMEOUT_MS),
            proxy_id=properties.get("id", ""),
            producer=MappingProxyType(clients["producer."]),
            consumer=MappingProxyType(clients["consumer."]),
            admin=MappingProxyType(clients["admin."]),
        )


def _positive(properties: Mapping[str, str], key: str, default: int) -> int:
    text = properties.get(key)
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value <= 0:
        raise RestConfigError(f"{key} must be a positive integer (milliseconds), got {text!r}")
    return value
