"""Broker-level settings, with Apache Kafka's names and defaults.

Settings that have a topic-level counterpart (``log.retention.ms`` -> ``retention.ms``) become
the default of every topic that does not override it, exactly as Kafka's synonyms work.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["TOPIC_SYNONYMS", "BrokerConfig", "BrokerConfigError"]

#: broker setting -> the topic config it provides the default for (Kafka's synonyms).
TOPIC_SYNONYMS: Mapping[str, str] = {
    "log.retention.ms": "retention.ms",
    "log.retention.bytes": "retention.bytes",
    "log.segment.bytes": "segment.bytes",
    "log.roll.ms": "segment.ms",
    "log.cleanup.policy": "cleanup.policy",
    "log.flush.interval.messages": "flush.messages",
    "log.flush.interval.ms": "flush.ms",
    "log.index.interval.bytes": "index.interval.bytes",
    "log.message.timestamp.type": "message.timestamp.type",
    "log.cleaner.delete.retention.ms": "delete.retention.ms",
    "log.cleaner.min.compaction.lag.ms": "min.compaction.lag.ms",
    "log.cleaner.min.cleanable.ratio": "min.cleanable.dirty.ratio",
    "message.max.bytes": "max.message.bytes",
    "compression.type": "compression.type",
    "min.insync.replicas": "min.insync.replicas",
}

_BOOLEANS = {"true": True, "false": False}


class BrokerConfigError(ValueError):
    """A broker setting is unknown or has a value outside what it accepts."""


@dataclass(frozen=True, slots=True, kw_only=True)
class BrokerConfig:
    """The broker's own settings; ``topic_defaults`` feeds every topic's config."""

    auto_create_topics_enable: bool = True
    num_partitions: int = 1
    default_replication_factor: int = 1
    delete_topic_enable: bool = True
    socket_request_max_bytes: int = 104_857_600
    log_retention_check_interval_ms: int = 300_000
    log_cleaner_backoff_ms: int = 15_000
    transaction_max_timeout_ms: int = 900_000
    transaction_abort_timed_out_transaction_cleanup_interval_ms: int = 10_000
    group_initial_rebalance_delay_ms: int = 3000
    advertised_host: str | None = None
    advertised_port: int | None = None
    cluster_id: str | None = None
    topic_defaults: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Mapping[str, str] | None) -> BrokerConfig:
        """Parse ``key=value`` settings as a user gives them (``--config``, Broker(config=...))."""
        values: dict[str, object] = {}
        topic_defaults: dict[str, str] = {}
        for key, raw in (settings or {}).items():
            value = str(raw)
            if key == "advertised.listeners":
                host, port = _parse_listener(key, value)
                values["advertised_host"], values["advertised_port"] = host, port
            elif key in TOPIC_SYNONYMS:
                topic_defaults[TOPIC_SYNONYMS[key]] = value
            elif key in _PARSERS:
                attr, parse = _PARSERS[key]
                values[attr] = parse(key, value)
            else:
                accepted = ", ".join(sorted([*_PARSERS, *TOPIC_SYNONYMS, "advertised.listeners"]))
                msg = f"unknown broker setting {key!r}; accepted settings: {accepted}"
                raise BrokerConfigError(msg)
        return cls(topic_defaults=topic_defaults, **values)  # type: ignore[arg-type]


def _parse_listener(key: str, value: str) -> tuple[str, int]:
    """``PLAINTEXT://host:port`` (one listener): what clients are told to connect to."""
    scheme, sep, address = value.strip().partition("://")
    host, colon, port = address.rpartition(":")
    if not sep or scheme.upper() != "PLAINTEXT" or not colon or not host or not port.isdigit():
        msg = f"broker setting {key!r} must look like PLAINTEXT://host:port, got {value!r}"
        raise BrokerConfigError(msg)
    return host, int(port)


def _parse_bool(key: str, value: str) -> bool:
    try:
        return _BOOLEANS[value.strip().lower()]
    except KeyError:
        msg = f"broker setting {key!r} must be true or false, got {value!r}"
        raise BrokerConfigError(msg) from None


def _parse_positive_int(key: str, value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        msg = f"broker setting {key!r} must be an integer >= 1, got {value!r}"
        raise BrokerConfigError(msg)
    return number


def _parse_non_negative_int(key: str, value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = -1
    if number < 0:
        msg = f"broker setting {key!r} must be an integer >= 0, got {value!r}"
        raise BrokerConfigError(msg)
    return number


def _parse_str(key: str, value: str) -> str:
    if not value.strip():
        msg = f"broker setting {key!r} must not be empty"
        raise BrokerConfigError(msg)
    return value.strip()


_PARSERS = {
    "auto.create.topics.enable": ("auto_create_topics_enable", _parse_bool),
    "num.partitions": ("num_partitions", _parse_positive_int),
    "default.replication.factor": ("default_replication_factor", _parse_positive_int),
    "delete.topic.enable": ("delete_topic_enable", _parse_bool),
    "socket.request.max.bytes": ("socket_request_max_bytes", _parse_positive_int),
    "log.retention.check.interval.ms": ("log_retention_check_interval_ms", _parse_positive_int),
    "log.cleaner.backoff.ms": ("log_cleaner_backoff_ms", _parse_positive_int),
    "transaction.max.timeout.ms": ("transaction_max_timeout_ms", _parse_positive_int),
    "transaction.abort.timed.out.transaction.cleanup.interval.ms": (
        "transaction_abort_timed_out_transaction_cleanup_interval_ms",
        _parse_positive_int,
    ),
    "group.initial.rebalance.delay.ms": (
        "group_initial_rebalance_delay_ms",
        _parse_non_negative_int,
    ),
    "advertised.host.name": ("advertised_host", _parse_str),
    "advertised.port": ("advertised_port", _parse_positive_int),
    "cluster.id": ("cluster_id", _parse_str),
}
