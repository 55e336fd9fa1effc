"""Which registry process writes: the member of the registry group assigned the leader topic's
one partition (docs/registry.md, Leader election).

1. An eligible process (`leader.eligibility=true`) joins group `schema.registry.group.id`
   subscribed to the leader topic, and polls on a thread to stay a member.
2. On assignment of partition 0 it becomes leader: it fences the previous leader out
   (`KafkaStore.fence`: the broker bumps the producer epoch of the registry's transactional
   id, so whoever led before can no longer write, even if it has not noticed yet), publishes
   its URL on the leader topic, writes a NOOP to `_schemas` and waits to read it back (its
   state then holds every id ever assigned), and only then says `is_leader`. A failed step is
   tried again every half second, up to `kafkastore.init.timeout.ms`.
3. On revocation or loss it stops being leader at once and gives up its producer; so it does
   when a write finds it fenced by a newer leader. `stop()` leaves the group, so another
   member is assigned the partition in the next rebalance.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from confluent_kafka import Consumer, KafkaException

from kaspar.registry.config import RegistryConfig
from kaspar.registry.kafka_store import KafkaStore, kafka_client_config
from kaspar.registry.records import NOOP_KEY

log = logging.getLogger(__name__)
TAKE_OVER_RETRY_S = 0.5


class LeaderElection:
    """Steps 1-3 of the module docstring."""

    def __init__(self, config: RegistryConfig, store: KafkaStore, url: str) -> None:
        self.config, self.store, self.url = config, store, url
        self.is_leader = False
        self._running = False
        self._thread: threading.Thread | None = None
        self._consumer: Consumer | None = None
        store.on_fenced = self._on_fenced

    def start(self) -> None:
        if not self.config.leader_eligibility:
            return
        self._consumer = Consumer(
            {
                **kafka_client_config(self.config),
                "group.id": self.config.group_id,
                "enable.auto.commit": False,
                "session.timeout.ms": 10_000,
                "heartbeat.interval.ms": 1_000,
                "partition.assignment.strategy": "range",
            }
        )
        self._consumer.subscribe(
            [self.config.leader_topic],
            on_assign=self._on_assign,
            on_revoke=self._on_revoke,
            on_lost=self._on_revoke,
        )
        self._running = True
        self._thread = threading.Thread(
            target=self._poll, name="kaspar-registry-election", daemon=True
        )
        self._thread.start()

    def _poll(self) -> None:
        assert self._consumer is not None
        while self._running:
            try:
                self._consumer.poll(0.1)
            except (KafkaException, RuntimeError):
                if self._running:
                    log.exception("registry election: poll failed")

    def _on_assign(self, consumer: Any, partitions: list[Any]) -> None:
        if not any(p.topic == self.config.leader_topic and p.partition == 0 for p in partitions):
            return
        deadline = time.monotonic() + self.config.init_timeout_ms / 1000
        while not self._take_over():
            if not self._running or time.monotonic() > deadline:
                return
            time.sleep(TAKE_OVER_RETRY_S)  # a fresh broker's transaction coordinator, say
        self.is_leader = True
        log.info("registry %s is the leader", self.url)

    def _take_over(self) -> bool:
        """Step 2's fence, URL and NOOP; False (logged) if any of them failed."""
        try:
            self.store.fence()
            self.store.write(
                {"keytype": "LEADER", "magic": 0}, {"url": self.url}, self.config.leader_topic
            )
            self.store.write(NOOP_KEY, None)
        except Exception:
            log.exception("registry election: could not take over as leader")
            self.store.release()
            return False
        return True

    def _on_revoke(self, consumer: Any, partitions: list[Any]) -> None:
        if any(p.topic == self.config.leader_topic for p in partitions):
            self.is_leader = False
            self.store.release()

    def _on_fenced(self) -> None:
        if self.is_leader:
            log.warning("registry %s: a newer leader fenced this one out", self.url)
        self.is_leader = False

    def stop(self) -> None:
        self._running = False
        self.is_leader = False
        self.store.release()
        stuck = False
        if self._thread is not None:
            self._thread.join(5)
            stuck = self._thread.is_alive()  # inside a callback that waits (a write)
            self._thread = None
        if self._consumer is not None and not stuck:
            self._consumer.close()  # leaves the group: another member takes over at once
        elif stuck:  # closing under a poll in progress can hang: the session timeout expires it
            log.warning("registry election: poll thread still busy at stop; not leaving the group")
        self._consumer = None
