"""The Kafka source's options, validated with Spark's rules and messages.

Spark's option names are case-insensitive; the reader hands them over lower-cased. ``kafka.*``
options go to the client (confluent-kafka / librdkafka) without the prefix.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from kaspar.errors import IllegalArgumentException

TopicPartition = tuple[str, int]

EARLIEST = -2
LATEST = -1

_STRATEGIES = ("subscribe", "subscribepattern", "assign")
_OFFSETS_EXAMPLE = '{"topicA":{"0":23,"1":-1},"topicB":{"0":-2}}'
_TIMESTAMPS_EXAMPLE = '{"topicA":{"0":1000,"1":1000},"topicB":{"0":2000}}'
_ASSIGN_EXAMPLE = '{"topicA":[0,1],"topicB":[2,4]}'

# Kafka consumer settings the source owns (Spark's KafkaSourceProvider rejects them).
_UNSUPPORTED_CLIENT_OPTIONS = {
    "auto.offset.reset": "Instead set the source option 'startingoffsets' to 'earliest' or "
    "'latest' to specify where to start.",
    "key.deserializer": "All keys are returned as binary; use DataFrame operations to "
    "deserialize them.",
    "value.deserializer": "All values are returned as binary; use DataFrame operations to "
    "deserialize them.",
    "enable.auto.commit": "The source tracks offsets itself and commits none to Kafka.",
    "interceptor.classes": "Interceptors are not supported by the Kafka source.",
}


@dataclass(frozen=True)
class OffsetSpec:
    """Where a read starts or ends: ``earliest``, ``latest``, per-partition offsets or times.

    ``kind`` is one of ``earliest``, ``latest``, ``offsets`` (``offsets`` maps partitions to
    offsets, -2 meaning earliest and -1 latest), ``timestamps`` (``offsets`` maps partitions to
    epoch milliseconds) and ``timestamp`` (one ``timestamp`` for every partition).
    """

    kind: str
    offsets: dict[TopicPartition, int] = field(default_factory=dict)
    timestamp: int = 0


@dataclass(frozen=True)
class KafkaReadOptions:
    """A batch read: which partitions, which offset range, and the client configuration."""

    strategy: str  # "subscribe", "subscribepattern" or "assign"
    topics: tuple[str, ...] = ()
    pattern: str = ""
    assigned: tuple[TopicPartition, ...] = ()
    starting: OffsetSpec = OffsetSpec("earliest")
    ending: OffsetSpec = OffsetSpec("latest")
    include_headers: bool = False
    fail_on_data_loss: bool = True
    poll_timeout_ms: int = 120_000
    client_config: dict[str, str] = field(default_factory=dict)


def parse_kafka_options(options: dict[str, str], streaming: bool = False) -> KafkaReadOptions:
    """Validate ``spark.read.format("kafka")`` (or ``readStream``) options."""
    strategy, value = _strategy(options)
    starting = _offset_spec(options, "starting", default="latest" if streaming else "earliest")
    ending = _offset_spec(options, "ending", default="latest")
    if not streaming:
        _check_batch_bounds(starting, ending)
    elif "endingoffsets" in options or "endingtimestamp" in options:
        raise IllegalArgumentException("Ending offset not valid in streaming queries")
    return KafkaReadOptions(
        strategy=strategy,
        topics=_topics(value) if strategy == "subscribe" else (),
        pattern=_pattern(value) if strategy == "subscribepattern" else "",
        assigned=_assignment(value) if strategy == "assign" else (),
        starting=starting,
        ending=ending,
        include_headers=options.get("includeheaders", "false").lower() == "true",
        fail_on_data_loss=options.get("failondataloss", "true").lower() == "true",
        poll_timeout_ms=_int_option(options, "kafkaconsumer.polltimeoutms", 120_000),
        client_config=_client_config(options),
    )


def _strategy(options: dict[str, str]) -> tuple[str, str]:
    given = [s for s in _STRATEGIES if s in options]
    if not given:
        raise IllegalArgumentException(
            "One of the following options must be specified for Kafka source: subscribe, "
            "subscribePattern, assign. See the docs for more details."
        )
    if len(given) > 1:
        raise IllegalArgumentException(
            "Only one of the following options can be specified for Kafka source: subscribe, "
            "subscribePattern, assign. See the docs for more details."
        )
    return given[0], options[given[0]]


def _topics(value: str) -> tuple[str, ...]:
    topics = tuple(t.strip() for t in value.split(",") if t.strip())
    if not topics:
        raise IllegalArgumentException(
            f"No topics to subscribe to as specified value for option 'subscribe' is '{value}'"
        )
    return topics


def _pattern(value: str) -> str:
    if not value.strip():
        raise IllegalArgumentException(
            f"Pattern to subscribe is empty as specified value for option 'subscribePattern' "
            f"is '{value}'"
        )
    try:
        re.compile(value)
    except re.error as e:
        raise IllegalArgumentException(
            f"Option 'subscribePattern' is not a valid regular expression: {value} ({e})"
        ) from None
    return value


def _assignment(value: str) -> tuple[TopicPartition, ...]:
    parsed = _json(value, "assign", _ASSIGN_EXAMPLE)
    ok = isinstance(parsed, dict) and all(
        isinstance(ps, list) and all(isinstance(p, int) for p in ps) for ps in parsed.values()
    )
    if not ok or not parsed:
        raise IllegalArgumentException(f"Expected e.g. {_ASSIGN_EXAMPLE}, got {value}")
    return tuple((topic, p) for topic, ps in parsed.items() for p in ps)


def _offset_spec(options: dict[str, str], side: str, default: str) -> OffsetSpec:
    """``{side}Timestamp`` wins over ``{side}OffsetsByTimestamp``, which wins over offsets."""
    if f"{side}timestamp" in options:
        ts = _int_option(options, f"{side}timestamp", 0)
        return OffsetSpec("timestamp", timestamp=ts)
    if f"{side}offsetsbytimestamp" in options:
        text = options[f"{side}offsetsbytimestamp"]
        return OffsetSpec("timestamps", _partition_numbers(text, _TIMESTAMPS_EXAMPLE))
    text = options.get(f"{side}offsets", default).strip()
    if text.lower() in ("earliest", "latest"):
        return OffsetSpec(text.lower())
    return OffsetSpec("offsets", _partition_numbers(text, _OFFSETS_EXAMPLE))


def _partition_numbers(text: str, example: str) -> dict[TopicPartition, int]:
    parsed = _json(text, "offsets", example)
    ok = isinstance(parsed, dict) and all(
        isinstance(ps, dict)
        and all(k.lstrip("-").isdigit() and isinstance(v, int) for k, v in ps.items())
        for ps in parsed.values()
    )
    if not ok:
        raise IllegalArgumentException(f"Expected e.g. {example}, got {text}")
    return {(topic, int(p)): n for topic, ps in parsed.items() for p, n in ps.items()}


def _json(text: str, what: str, example: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise IllegalArgumentException(f"Expected e.g. {example}, got {text}") from None


def _check_batch_bounds(starting: OffsetSpec, ending: OffsetSpec) -> None:
    if starting.kind == "latest":
        raise IllegalArgumentException("starting offset can't be latest for batch queries on Kafka")
    if ending.kind == "earliest":
        raise IllegalArgumentException("ending offset can't be earliest for batch queries on Kafka")
    for (topic, p), offset in starting.offsets.items() if starting.kind == "offsets" else ():
        if offset == LATEST:
            raise IllegalArgumentException(
                f"startingOffsets for {topic}-{p} can't be latest for batch queries on Kafka"
            )
    for (topic, p), offset in ending.offsets.items() if ending.kind == "offsets" else ():
        if offset == EARLIEST:
            raise IllegalArgumentException(
                f"endingOffsets for {topic}-{p} can't be earliest for batch queries on Kafka"
            )


def _int_option(options: dict[str, str], name: str, default: int) -> int:
    text = options.get(name)
    if text is None:
        return default
    try:
        return int(text)
    except ValueError:
        raise IllegalArgumentException(
            f"Option '{name}' must be an integer (epoch milliseconds or a count), got '{text}'"
        ) from None


def _client_config(options: dict[str, str]) -> dict[str, str]:
    config = {k.removeprefix("kafka."): v for k, v in options.items() if k.startswith("kafka.")}
    if "bootstrap.servers" not in config:
        raise IllegalArgumentException(
            "Option 'kafka.bootstrap.servers' must be specified for configuring Kafka consumer"
        )
    for name, advice in _UNSUPPORTED_CLIENT_OPTIONS.items():
        if name in config:
            raise IllegalArgumentException(f"Kafka option '{name}' is not supported. {advice}")
    return config
