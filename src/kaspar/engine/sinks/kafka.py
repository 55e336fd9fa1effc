"""The Kafka batch sink: ``df.write.format("kafka")...save()``.

Columns as in the streaming sink (``value`` required; ``key``, ``headers``, ``partition``, and
``topic`` or the ``topic`` option). As in Spark, a batch write is at-least-once (a plain,
idempotent producer, no transaction) and appends: the save modes ``append`` and
``errorifexists`` (the default) both add the rows to the topic; any other mode is refused.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
from confluent_kafka import KafkaError, KafkaException, Message, Producer

from kaspar.engine.streaming.sinks.kafka import kafka_records
from kaspar.errors import AnalysisException, IllegalArgumentException, SparkRuntimeException

_TIMEOUT_S = 30.0
_SAVE_MODES = ("append", "error", "errorifexists")


def write_kafka(table: pa.Table, options: dict[str, str], mode: str) -> None:
    """Produce every row of ``table``; return once all are acknowledged, or raise."""
    if mode not in _SAVE_MODES:
        raise AnalysisException(
            f"Save mode {mode} not allowed for Kafka. Allowed save modes are Append and "
            "ErrorIfExists (default)."
        )
    config = {k.removeprefix("kafka."): v for k, v in options.items() if k.startswith("kafka.")}
    if "bootstrap.servers" not in config:
        raise IllegalArgumentException(
            "Option 'kafka.bootstrap.servers' must be specified for configuring Kafka producer"
        )
    records = kafka_records(table, options.get("topic"))
    failures: list[str] = []

    def delivered(error: KafkaError | None, message: Message) -> None:
        if error is not None:
            failures.append(f"{message.topic()}: {error}")

    producer = Producer(config)
    try:
        for topic, key, value, headers, extra in records:
            _produce(producer, delivered, topic, key, value, headers, extra)
        undelivered = producer.flush(_TIMEOUT_S)
    except KafkaException as e:
        raise SparkRuntimeException(f"Kafka write failed: {e.args[0]}") from None
    if undelivered or failures:
        reason = failures[0] if failures else f"{undelivered} records not acknowledged in time"
        raise SparkRuntimeException(f"Kafka write failed: {reason}")


def _produce(producer: Any, delivered: Any, topic: str, *fields: Any) -> None:
    key, value, headers, extra = fields
    while True:
        try:
            producer.produce(
                topic, value=value, key=key, headers=headers, on_delivery=delivered, **extra
            )
            return
        except BufferError:
            producer.poll(0.05)
