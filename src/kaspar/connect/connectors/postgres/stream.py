"""The database side of the PostgreSQL task, on a thread of its own:

1. Connect: an ordinary connection for the catalog, a replication connection for the slot.
2. Create the publication if missing.
3. Decide on a snapshot (`snapshot.mode`, see `needs_snapshot`). A snapshot drops the slot if
   it exists and creates it again with EXPORT_SNAPSHOT, then reads the tables in that snapshot
   (snapshot.py). Without a snapshot, a missing slot is created without one. With
   `initial_only` nothing is streamed after the snapshot.
4. Stream from the slot's confirmed point with pgoutput: each transaction's events go to the
   queue with the transaction's end LSN; events at or before the stored offset (a transaction
   half-sent before a crash) are skipped. Relation messages refresh a table's columns (schema
   changes are picked up); truncates become `t` events.
5. Acknowledge to the slot the LSN the task confirmed (`confirm`, called once the events are in
   Kafka and their offsets stored), with the standby status updates of the protocol.
6. At stop, close the replication connection, then drop the slot if `slot.drop.on.stop`.
A failure goes to the queue as the exception, for the task to raise.
"""

from __future__ import annotations

import logging
import queue
import select
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from kaspar.connect.connectors.postgres.catalog import Catalog, Table, TableFilter
from kaspar.connect.connectors.postgres.config import PostgresConfig
from kaspar.connect.connectors.postgres.envelope import Position
from kaspar.connect.connectors.postgres.events import EventFactory
from kaspar.connect.connectors.postgres.pgoutput import (
    Begin,
    Change,
    Commit,
    Relation,
    Truncate,
    decode,
)
from kaspar.connect.connectors.postgres.snapshot import (
    create_slot,
    drop_slot,
    ensure_publication,
    read_snapshot,
    slot_exists,
    snapshot_tables,
)
from kaspar.connect.data import SourceRecord

log = logging.getLogger(__name__)
IDLE_WAIT_S = 0.2
FEEDBACK_INTERVAL_S = 1.0
CHUNK = 1024


@dataclass
class Batch:
    """Events for the task; `flush_lsn`: the slot may be acknowledged up to it once they are
    durable."""

    records: list[SourceRecord]
    flush_lsn: int | None = None


@dataclass
class Transaction:
    position: Position
    records: list[SourceRecord] = field(default_factory=list)


def needs_snapshot(mode: str, stored: dict[str, Any] | None, slot_exists: bool) -> bool:
    """`snapshot.mode`: `initial` / `initial_only` until a snapshot completed, `when_needed`
    also when the slot is gone (changes may be lost), `always`, `never` / `no_data` never."""
    if mode in ("never", "no_data"):
        return False
    if mode == "always" or (mode == "when_needed" and not slot_exists):
        return True
    complete = stored is not None and (
        not stored.get("snapshot") or stored.get("last_snapshot_record")
    )
    return not complete


class ChangeStream:
    """Steps 1-5 of the module docstring."""

    def __init__(
        self, config: PostgresConfig, stored: dict[str, Any] | None, out: queue.Queue[Any]
    ) -> None:
        self.config, self.stored, self.out = config, stored, out
        self.events = EventFactory(
            config["topic.prefix"],
            config["database.dbname"],
            config["tombstones.on.delete"],
            config.skipped,
        )
        self.accept = TableFilter(dict(config.props))
        self.tables: dict[int, Table | None] = {}
        self._confirmed = 0
        self._acknowledged = 0
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_commit: int | None = None
        self._resume = (
            (stored.get("lsn_commit") or 0, stored.get("lsn_proc") or 0)
            if stored and stored.get("lsn_commit") is not None
            else None
        )

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._run, name="kaspar-connect-pgoutput", daemon=True
        )
        self._thread.start()

    def confirm(self, lsn: int) -> None:
        """Step 5: events up to `lsn` are durable in Kafka."""
        self._confirmed = max(self._confirmed, lsn)

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(10)

    def _connect(self, replication: bool = False) -> Any:
        import psycopg2
        import psycopg2.extras

        factory = psycopg2.extras.LogicalReplicationConnection if replication else None
        return psycopg2.connect(connection_factory=factory, **self.config.connect_args())

    def _put(self, item: Any) -> None:
        while not self._stopping.is_set():
            try:
                self.out.put(item, timeout=IDLE_WAIT_S)
                return
            except queue.Full:
                continue

    def _run(self) -> None:
        connections: list[Any] = []
        try:
            catalog_connection = self._connect()
            catalog_connection.autocommit = True
            connections.append(catalog_connection)
            replication = self._connect(replication=True)
            connections.append(replication)
            catalog = Catalog(catalog_connection, self.config["topic.prefix"])
            self.catalog = catalog
            cursor = replication.cursor()
            self._prepare(catalog, cursor)
            if self.config["snapshot.mode"] == "initial_only":
                self._stopping.wait()  # the snapshot is all this connector does
            else:
                self._stream(cursor, replication)
        except Exception as exc:  # noqa: BLE001 (reported through the queue: the task fails)
            log.warning("connect: PostgreSQL change stream failed: %s", exc)
            self._put(exc)
        finally:
            self._close(connections)

    def _close(self, connections: list[Any]) -> None:
        """Step 6: the replication connection first, so that the slot is free to drop."""
        for connection in reversed(connections):
            drop = self._stopping.is_set() and self.config["slot.drop.on.stop"]
            if drop and connection is connections[0] and len(connections) == 2:
                drop_slot(self.catalog, self.config["slot.name"])
            connection.close()

    def _prepare(self, catalog: Catalog, cursor: Any) -> None:
        """Steps 2-3."""
        tables = snapshot_tables(catalog, self.config)
        ensure_publication(catalog, self.config, tables)
        slot = self.config["slot.name"]
        exists = slot_exists(catalog, slot)
        if needs_snapshot(self.config["snapshot.mode"], self.stored, exists):
            drop_slot(catalog, slot)
            lsn, snapshot_name = create_slot(cursor, slot, export=True)
            assert snapshot_name is not None
            read_snapshot(
                self._connect,
                tables=tables,
                snapshot_name=snapshot_name,
                lsn=lsn,
                events=self.events,
                emit=lambda records: self._put(Batch(records)),
                fetch_size=self.config["snapshot.fetch.size"],
            )
            self._put(Batch([], lsn))
            self._resume = None
        elif not exists:
            create_slot(cursor, slot, export=False)

    def _stream(self, cursor: Any, connection: Any) -> None:
        """Steps 4-5."""
        cursor.start_replication(
            slot_name=self.config["slot.name"],
            decode=False,
            options={"proto_version": "1", "publication_names": self.config["publication.name"]},
            status_interval=10,
        )
        heartbeat_s = self.config["heartbeat.interval.ms"] / 1000
        next_heartbeat = time.monotonic() + heartbeat_s
        transaction: Transaction | None = None
        while not self._stopping.is_set():
            message = cursor.read_message()
            if message is not None:
                transaction = self._handle(decode(message.payload), message.data_start, transaction)
                continue
            self._acknowledge(cursor)
            if heartbeat_s and time.monotonic() >= next_heartbeat and transaction is None:
                self._heartbeat(cursor)
                next_heartbeat = time.monotonic() + heartbeat_s
            _wait_readable(connection, IDLE_WAIT_S)

    def _acknowledge(self, cursor: Any) -> None:
        if self._confirmed > self._acknowledged:
            cursor.send_feedback(write_lsn=self._confirmed, flush_lsn=self._confirmed, reply=True)
            self._acknowledged = self._confirmed

    def _heartbeat(self, cursor: Any) -> None:
        topic = f"{self.config['topic.heartbeat.prefix']}.{self.config['topic.prefix']}"
        lsn = int(cursor.wal_end or 0)
        record = self.events.heartbeat(topic, {"lsn": lsn, "ts_usec": time.time_ns() // 1000})
        self._put(Batch([record], lsn or None))

    def _handle(
        self, message: Any, lsn: int, transaction: Transaction | None
    ) -> Transaction | None:
        if isinstance(message, Begin):
            position = Position(
                message.commit_ts_us, message.xid, lsn, message.final_lsn, self._last_commit
            )
            return Transaction(position)
        if isinstance(message, Relation):
            accepted = self.accept(message.namespace, message.name)
            self.tables[message.oid] = self.catalog.table(message.oid) if accepted else None
        elif transaction is not None and isinstance(message, Change | Truncate):
            transaction.records.extend(self._records(message, lsn, transaction.position))
            if len(transaction.records) >= CHUNK:
                self._put(Batch(transaction.records))
                transaction.records = []
        elif isinstance(message, Commit):
            self._put(Batch(transaction.records if transaction else [], message.end_lsn))
            self._last_commit = message.commit_lsn
            return None
        return transaction

    def _records(self, message: Change | Truncate, lsn: int, base: Position) -> list[SourceRecord]:
        commit_lsn = base.commit_lsn or 0
        if self._resume is not None and (commit_lsn, lsn) <= self._resume:
            return []  # sent before the restart
        position = Position(base.ts_us, base.tx_id, lsn, commit_lsn, base.last_commit_lsn)
        if isinstance(message, Truncate):
            tables = [self.tables.get(oid) for oid in message.relations]
            return [r for t in tables if t is not None for r in self.events.truncate(t, position)]
        table = self.tables.get(message.relation)
        return [] if table is None else self.events.changes(table, message, position)


def _wait_readable(connection: Any, timeout_s: float) -> None:
    """Until the replication connection has bytes, at most ``timeout_s``. ``poll``, not
    ``select``: select refuses descriptors >= FD_SETSIZE (1024), which a worker with many
    connections and files open reaches."""
    poller = select.poll()
    poller.register(connection.fileno(), select.POLLIN)
    poller.poll(int(timeout_s * 1000))
