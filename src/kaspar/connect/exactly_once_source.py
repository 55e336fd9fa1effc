"""Exactly-once source support (KIP-618): a source task's records and their offsets written in
one Kafka transaction, so a crash at any point leaves either both or neither.

With the worker's `exactly.once.source.support=enabled`, every source task runs here:

1. The producer has the transactional id `<group.id>-<connector>-<task>`: `init_transactions`
   fences a previous incarnation of the task (a worker killed, its producer still open).
2. The first record after a commit begins a transaction; records are produced into it.
3. At a boundary (`transaction.boundary`: `poll`, after each non-empty poll, the default;
   `interval`, every `transaction.boundary.interval.ms`; `connector`, when the task calls its
   context's `transaction_context.commit_transaction()`), the pending offsets are produced to
   the offset topic in the same transaction, the transaction is committed, and then the task's
   `commit()` runs (the PostgreSQL task acknowledges its slot there).
4. A failure aborts the transaction; at stop, an open transaction is committed if the boundary
   is `poll` or `interval` and aborted if the connector defines the boundaries (it did not say
   the transaction was complete).

The offset and record topics are read with `isolation.level=read_committed`.
"""

from __future__ import annotations

import time
from typing import Any

from kaspar.connect.connector import SourceTaskContext, TransactionContext
from kaspar.connect.data import SourceRecord
from kaspar.connect.kafka_store import offset_records
from kaspar.connect.source_worker import SourceWorker

BOUNDARIES = ("poll", "interval", "connector")
TRANSACTION_TIMEOUT_MS = 900_000  # a snapshot may be one transaction: Kafka's maximum default


class ExactlyOnceSourceWorker(SourceWorker):
    """Steps 1-4 of the module docstring."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.boundary = self.props.get("transaction.boundary", "poll").strip().lower()
        if self.boundary not in BOUNDARIES:
            raise ValueError(
                f"Invalid value {self.boundary} for configuration transaction.boundary:"
                f" must be one of {', '.join(BOUNDARIES)}"
            )
        self.interval_s = int(self.props.get("transaction.boundary.interval.ms", "1000")) / 1000
        self.transactions = TransactionContext() if self.boundary == "connector" else None
        self.in_transaction = False
        self.polled = False

    def producer_config(self) -> dict[str, Any]:
        """Step 1."""
        group = self.context.config.group_id
        return {
            **super().producer_config(),
            "transactional.id": f"{group}-{self.connector}-{self.index}",
            "transaction.timeout.ms": TRANSACTION_TIMEOUT_MS,
        }

    def task_context(self) -> SourceTaskContext:
        state = self.context.store.state
        return SourceTaskContext(
            self.props, lambda p: state.offset(self.connector, p), self.transactions
        )

    def initialize(self) -> None:
        super().initialize()
        assert self.producer is not None
        self.producer.init_transactions(self.context.config.offset_flush_timeout_ms / 1000 * 6)

    def send(self, records: list[SourceRecord]) -> None:
        """Step 2."""
        assert self.producer is not None
        if not self.in_transaction:
            self.producer.begin_transaction()
            self.in_transaction = True
        self.polled = True
        super().send(records)

    def commit_due(self) -> bool:
        """Step 3's boundaries."""
        if self.transactions is not None:
            if self.transactions.abort_requested:
                self.abort()
            requested = self.transactions.commit_requested
            self.transactions.commit_requested = False
            return requested
        if self.boundary == "poll":
            due, self.polled = self.polled, False
            return due
        now = time.monotonic()
        if now < self.next_commit:
            return False
        self.next_commit = now + self.interval_s
        return True

    def commit_offsets(self) -> None:
        """Step 3."""
        assert self.producer is not None and self.task is not None
        if not self.in_transaction and not self.pending:
            return
        if not self.in_transaction:
            self.producer.begin_transaction()
        offsets, self.pending = list(self.pending.values()), {}
        topic = self.context.config.offset_storage_topic
        for key, value in offset_records(self.connector, offsets):
            self.producer.produce(topic, key=key, value=value)
        self.producer.commit_transaction(self.context.config.offset_flush_timeout_ms / 1000 * 6)
        self.in_transaction = False
        for partition, offset in offsets:
            self.context.store.state.apply_offset([self.connector, partition], offset)
        self.task.commit()

    def abort(self) -> None:
        assert self.producer is not None
        if self.in_transaction:
            self.producer.abort_transaction(10)
        self.in_transaction, self.pending = False, {}
        if self.transactions is not None:
            self.transactions.abort_requested = False

    def close(self) -> None:
        """Step 4."""
        try:
            if self.state == "FAILED" or self.transactions is not None:
                if self.producer is not None:
                    self.abort()
            elif self.task is not None:
                self.commit_offsets()
        finally:
            if self.task is not None:
                self.task.stop()
