"""Which connectors and tasks this worker runs, when several workers share a cluster.

Kafka's own group protocol spreads the work, so a worker joining or leaving moves work to or
from the others without any coordinator of ours:

1. Every worker of a cluster subscribes, in the consumer group `group.id`, to the topic
   `<group.id>-assignments` (PARTITIONS partitions, created if missing, never written to);
   the round-robin assignor gives each live worker a share of its partitions.
2. A unit of work (a connector by its name, a task as `<name>-<index>`) belongs to the worker
   assigned partition `crc32(unit) % PARTITIONS`.
3. `poll()` (on every herder pass) runs the rebalance callbacks: on revocation the herder stops
   the units it no longer owns before the group moves on (so no unit runs on two workers); on
   assignment the next pass starts the new ones.
A worker that stops leaves the group at once; one that dies is dropped after
`session.timeout.ms` (Connect's default: 10 s), and its units start elsewhere.
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Callable
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException
from confluent_kafka.admin import (  # type: ignore[attr-defined]  # re-exported, no __all__
    AdminClient,
    NewTopic,
)

from kaspar.connect.config import WorkerConfig
from kaspar.connect.kafka_store import client_config

PARTITIONS = 32
ADMIN_TIMEOUT_S = 15.0


def partition_of(unit: str) -> int:
    return zlib.crc32(unit.encode()) % PARTITIONS


class WorkAssignment:
    """Steps 1-3 of the module docstring."""

    def __init__(self, config: WorkerConfig, on_revoke: Callable[[], None]) -> None:
        self.config, self.on_revoke = config, on_revoke
        self.topic = f"{config.group_id}-assignments"
        self.owned: frozenset[int] = frozenset()
        self.assigned = threading.Event()
        self._consumer: Consumer | None = None

    def start(self) -> None:
        self._create_topic()
        self._consumer = Consumer(
            {
                **client_config(self.config, "consumer"),
                "group.id": self.config.group_id,
                "enable.auto.commit": False,
                "partition.assignment.strategy": "roundrobin",
                "session.timeout.ms": self.config.session_timeout_ms,
                "heartbeat.interval.ms": self.config.heartbeat_interval_ms,
            }
        )
        self._consumer.subscribe([self.topic], on_assign=self._assigned, on_revoke=self._revoked)

    def _create_topic(self) -> None:
        admin = AdminClient(client_config(self.config, "admin"))
        if self.topic in admin.list_topics(timeout=ADMIN_TIMEOUT_S).topics:
            return
        try:
            admin.create_topics([NewTopic(self.topic, PARTITIONS, 1)])[self.topic].result(
                ADMIN_TIMEOUT_S
            )
        except KafkaException as exc:
            if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                raise

    def _assigned(self, consumer: Any, partitions: list[Any]) -> None:
        self.owned = frozenset(p.partition for p in partitions)
        self.assigned.set()

    def _revoked(self, consumer: Any, partitions: list[Any]) -> None:
        self.owned = self.owned - {p.partition for p in partitions}
        self.on_revoke()

    def owns(self, unit: str) -> bool:
        return partition_of(unit) in self.owned

    def poll(self) -> None:
        """Step 3: rebalance callbacks run here, on the herder's thread."""
        if self._consumer is not None:
            self._consumer.poll(0)

    def stop(self) -> None:
        """Leave the group (after the herder stopped everything it ran)."""
        if self._consumer is not None:
            self._consumer.close()
            self._consumer = None
