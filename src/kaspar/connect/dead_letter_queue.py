"""Connect's error handling: `errors.tolerance` and the sink dead letter queue.

* `errors.tolerance=none` (the default): the first record that fails conversion or a transform
  fails the task.
* `errors.tolerance=all`: such a record is skipped (logged when `errors.log.enable=true`); on a
  sink with `errors.deadletterqueue.topic.name`, the original record (key, value and headers as
  consumed) is produced to that topic, with the `__connect.errors.*` headers describing the
  failure when `errors.deadletterqueue.context.headers.enable=true`.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Mapping
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Producer
from confluent_kafka.admin import (  # type: ignore[attr-defined]  # re-exported, no __all__
    AdminClient,
    NewTopic,
)

from kaspar.connect.config import WorkerConfig
from kaspar.connect.kafka_store import client_config

log = logging.getLogger(__name__)
HEADER_PREFIX = "__connect.errors."
ADMIN_TIMEOUT_S = 10.0


class ErrorPolicy:
    """How a task treats a record that fails in a stage (`tolerate` returns False: fail)."""

    def __init__(
        self, props: Mapping[str, str], worker: WorkerConfig, connector: str, task: int
    ) -> None:
        self.tolerate_all = props.get("errors.tolerance", "none").strip().lower() == "all"
        self.log_errors = props.get("errors.log.enable", "false").strip().lower() == "true"
        self.topic = props.get("errors.deadletterqueue.topic.name", "").strip()
        self.context_headers = (
            props.get("errors.deadletterqueue.context.headers.enable", "false").lower() == "true"
        )
        self.connector, self.task = connector, task
        self.skipped = 0
        self._producer: Producer | None = None
        if self.topic:
            replicas = int(props.get("errors.deadletterqueue.topic.replication.factor", "3"))
            self._create_topic(worker, replicas)
            self._producer = Producer(
                {**client_config(worker, "producer"), "enable.idempotence": True, "acks": "all"}
            )

    def _create_topic(self, worker: WorkerConfig, replicas: int) -> None:
        admin = AdminClient(client_config(worker, "admin"))
        metadata = admin.list_topics(timeout=ADMIN_TIMEOUT_S)
        if self.topic in metadata.topics:
            return
        new = NewTopic(self.topic, 1, max(1, min(replicas, len(metadata.brokers))))
        try:
            admin.create_topics([new])[self.topic].result(ADMIN_TIMEOUT_S)
        except KafkaException as exc:
            if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                raise

    def tolerate(self, stage: str, error: Exception, message: Any = None) -> bool:
        """True if the failed record is skipped (and sent to the DLQ); False: fail the task."""
        if not self.tolerate_all:
            return False
        self.skipped += 1
        if self.log_errors:
            log.error(
                "connect: %s-%d skipped a record in %s: %s", self.connector, self.task, stage, error
            )
        if self._producer is not None and message is not None:
            headers = list(message.headers() or [])
            if self.context_headers:
                headers += self._context(stage, error, message)
            self._producer.produce(
                self.topic, key=message.key(), value=message.value(), headers=headers
            )
            self._producer.poll(0)
        return True

    def _context(self, stage: str, error: Exception, message: Any) -> list[tuple[str, bytes]]:
        trace = "".join(traceback.format_exception(error))
        values = {
            "topic": message.topic(),
            "partition": str(message.partition()),
            "offset": str(message.offset()),
            "connector.name": self.connector,
            "task.id": str(self.task),
            "stage": stage,
            "class.name": type(error).__qualname__,
            "exception.class.name": type(error).__qualname__,
            "exception.message": str(error),
            "exception.stacktrace": trace,
        }
        return [(HEADER_PREFIX + k, v.encode()) for k, v in values.items()]

    def flush(self, timeout: float) -> None:
        """Every DLQ record produced so far delivered (before the sink commits its offsets)."""
        if self._producer is not None:
            self._producer.flush(timeout)
