"""Several ksql servers on one ``ksql.service.id``: one command log, each query run by one of
them, taken over when its server dies.

ksqlDB's servers sharing a service id share the command topic and split each persistent
query's partitions through the query's Kafka Streams consumer group. kaspar's streaming engine
reads Kafka as Spark does (it assigns itself every partition and keeps offsets in its
checkpoint, with no consumer group), so the work is split per query instead:

1. ``CommandFollower`` reads the command topic after the replay, for as long as the server
   runs, and hands each new command to the engine: a statement accepted by any server is
   applied by all (the server that accepted it skips its own). Before a request, the engine
   waits (bounded) until every command up to the topic's end is applied, so a statement sent
   to one server right after another server accepted one sees it (ksqlDB's servers wait for
   the command sequence number so).
2. ``QueryLeases`` is a member of the consumer group ``_kaspar-ksql-<service id>_query_leases``
   over the lease topic of the same name (``LEASE_PARTITIONS`` partitions): Kafka's group
   coordinator divides the partitions among the live servers, and a server runs the persistent
   queries whose lease partition (``lease_of``: a hash of the query id) it holds. The
   assignment is cooperative-sticky, so a server joining or leaving moves only the partitions it
   gains or loses: the old holder stops those queries (at a batch boundary, checkpoint
   committed) before the new one starts them. A server killed outright loses its partitions
   when its session times out (``ksql.kaspar.lease.session.timeout.ms``, 10 s by default).
   The query's checkpoint is ``<ksql.streams.state.dir>/<service id>/queries/<query id>``, so
   the servers must share that directory (one host, or a shared filesystem) for the new holder
   to resume where the old one stopped; the Kafka sink's transactional id is the query id, so
   the new holder fences the old one's open transaction, and its batch markers make a re-run
   batch write nothing twice: every record reaches the sink once.
"""

from __future__ import annotations

import logging
import threading
import zlib
from collections.abc import Callable
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]

from kaspar.ksql.command_topic import Command, command_of

log = logging.getLogger(__name__)
LEASE_PARTITIONS = 16
POLL_S = 0.2
TIMEOUT_S = 30.0
SESSION_TIMEOUT_MS = "10000"


def lease_of(query_id: str) -> int:
    """The lease partition of a query: the same on every server."""
    return zlib.crc32(query_id.encode()) % LEASE_PARTITIONS


class CommandFollower:
    """Step 1: ``apply`` gets each command from ``start`` on, on a thread of its own."""

    def __init__(
        self, servers: str, topic: str, start: int, apply: Callable[[Command], None]
    ) -> None:
        self._consumer = Consumer(
            {
                "bootstrap.servers": servers,
                "group.id": f"{topic}-follower",
                "enable.auto.commit": False,
            }
        )
        self._consumer.assign([TopicPartition(topic, 0, start)])
        self._ends = Consumer({"bootstrap.servers": servers, "group.id": f"{topic}-follower"})
        self._topic = topic
        self.position = start  # every command before it was handed to ``apply``
        self._apply = apply
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ksql-commands", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stopped.is_set():
            try:
                message = self._consumer.poll(POLL_S)
            except RuntimeError:  # closed under it
                return
            if message is None:
                continue
            if message.error() is not None:
                log.warning("ksql: reading the command topic: %s", message.error())
                continue
            try:
                self._apply(command_of(message))
            except Exception:  # the next commands still apply
                log.exception("ksql: command at offset %s not applied", message.offset())
            self.position = (message.offset() or 0) + 1

    def end(self) -> int:
        """The command topic's end offset now."""
        _, end = self._ends.get_watermark_offsets(TopicPartition(self._topic, 0), TIMEOUT_S)
        return int(end)

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(TIMEOUT_S)
        self._consumer.close()
        self._ends.close()


class QueryLeases:
    """Step 2: ``assigned`` / ``revoked`` get lease partitions as the group moves them."""

    def __init__(
        self,
        servers: str,
        service_id: str,
        assigned: Callable[[set[int]], None],
        revoked: Callable[[set[int]], None],
        session_timeout_ms: str = SESSION_TIMEOUT_MS,
    ) -> None:
        self.topic = f"_kaspar-ksql-{service_id}_query_leases"
        self._servers = servers
        self._assigned, self._revoked = assigned, revoked
        self._session_timeout_ms = session_timeout_ms
        self._consumer: Consumer | None = None
        self._first = threading.Event()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, wait_s: float = TIMEOUT_S) -> None:
        """Join the group; returns once it gave this server its first partitions (or none)."""
        _create(self._servers, self.topic)
        self._consumer = Consumer(
            {
                "bootstrap.servers": self._servers,
                "group.id": self.topic,
                "partition.assignment.strategy": "cooperative-sticky",
                "session.timeout.ms": self._session_timeout_ms,
                "heartbeat.interval.ms": str(max(100, int(self._session_timeout_ms) // 5)),
                "enable.auto.commit": False,
                "auto.offset.reset": "latest",
            }
        )
        self._consumer.subscribe([self.topic], on_assign=self._on_assign, on_revoke=self._on_revoke,
                                 on_lost=self._on_revoke)  # fmt: skip
        self._thread = threading.Thread(target=self._run, name="ksql-leases", daemon=True)
        self._thread.start()
        if not self._first.wait(wait_s):
            log.warning("ksql: no query leases after %.0f s; queries wait for them", wait_s)

    def _run(self) -> None:
        assert self._consumer is not None
        while not self._stopped.is_set():
            self._consumer.poll(POLL_S)  # heartbeats; the callbacks run in here

    def _on_assign(self, _consumer: Any, partitions: list[TopicPartition]) -> None:
        # the lease topic carries no records: only which partitions this server holds counts
        self._assigned({tp.partition for tp in partitions})
        self._first.set()

    def _on_revoke(self, _consumer: Any, partitions: list[TopicPartition]) -> None:
        self._revoked({tp.partition for tp in partitions})

    def stop(self) -> None:
        """Leave the group (its partitions go to the other servers at once)."""
        self._stopped.set()
        if self._thread is not None:
            self._thread.join(TIMEOUT_S)
        if self._consumer is not None:
            self._consumer.close()  # revokes: the callback stops this server's queries
            self._consumer = None


def _create(servers: str, topic: str) -> None:
    admin = AdminClient({"bootstrap.servers": servers})
    futures = admin.create_topics([NewTopic(topic, LEASE_PARTITIONS, 1)])
    try:
        futures[topic].result(TIMEOUT_S)
    except KafkaException as exc:
        if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
            raise
