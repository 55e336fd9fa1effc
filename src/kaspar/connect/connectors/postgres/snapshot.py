"""The replication slot, the publication, and the initial snapshot read consistently with the
slot.

`create_slot(..., export=True)` creates the slot with `EXPORT_SNAPSHOT`: PostgreSQL answers
with the slot's consistent point and the name of a snapshot of the database at exactly that
point, valid while the replication connection runs no other command. `read_snapshot` reads
every table in a REPEATABLE READ transaction that imports that snapshot, so the rows read plus
the changes streamed from the consistent point are every change exactly once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

from psycopg2 import sql

from kaspar.connect.connectors.postgres.catalog import Catalog, Table, TableFilter
from kaspar.connect.connectors.postgres.config import PostgresConfig
from kaspar.connect.connectors.postgres.envelope import Position, now_us
from kaspar.connect.connectors.postgres.events import EventFactory
from kaspar.connect.data import SourceRecord

SLOT_RELEASE_WAIT_S = 10.0


def parse_lsn(text: str) -> int:
    high, low = text.split("/")
    return (int(high, 16) << 32) + int(low, 16)


def ensure_publication(catalog: Catalog, config: PostgresConfig, tables: list[Table]) -> None:
    """Create the publication when missing (`publication.autocreate.mode`)."""
    name, mode = config["publication.name"], config["publication.autocreate.mode"]
    with catalog.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_publication WHERE pubname = %s", (name,))
        if cursor.fetchone() is not None or mode == "disabled":
            return
        if mode == "filtered":
            listed = sql.SQL(", ").join(sql.Identifier(t.schema, t.name) for t in tables)
            statement = sql.SQL("CREATE PUBLICATION {} FOR TABLE {}").format(
                sql.Identifier(name), listed
            )
        else:
            statement = sql.SQL("CREATE PUBLICATION {} FOR ALL TABLES").format(sql.Identifier(name))
        cursor.execute(statement)


def slot_exists(catalog: Catalog, slot: str) -> bool:
    with catalog.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_replication_slots WHERE slot_name = %s", (slot,))
        return cursor.fetchone() is not None


def drop_slot(catalog: Catalog, slot: str) -> None:
    """Drop `slot`, waiting (bounded) for a dead worker's connection to release it."""
    deadline = time.monotonic() + SLOT_RELEASE_WAIT_S
    with catalog.connection.cursor() as cursor:
        while True:
            cursor.execute("SELECT active FROM pg_replication_slots WHERE slot_name = %s", (slot,))
            row = cursor.fetchone()
            if row is None:
                return
            if not row[0] or time.monotonic() > deadline:
                cursor.execute("SELECT pg_drop_replication_slot(%s)", (slot,))
                return
            time.sleep(0.2)


def create_slot(replication_cursor: Any, slot: str, export: bool) -> tuple[int, str | None]:
    """Create `slot`; returns its consistent point and, with `export`, the snapshot's name."""
    mode = "EXPORT_SNAPSHOT" if export else "NOEXPORT_SNAPSHOT"
    replication_cursor.execute(
        f"CREATE_REPLICATION_SLOT {sql_identifier(slot)} LOGICAL pgoutput {mode}"
    )
    _, consistent_point, snapshot_name, _ = replication_cursor.fetchone()
    return parse_lsn(consistent_point), snapshot_name


def sql_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _rows(connection: Any, table: Table, fetch_size: int) -> Iterator[list[tuple[Any, ...]]]:
    columns = sql.SQL(", ").join(
        sql.SQL("{}::text").format(sql.Identifier(c.name)) for c in table.columns
    )
    query = sql.SQL("SELECT {} FROM {}").format(columns, sql.Identifier(table.schema, table.name))
    with connection.cursor(name=f"kaspar_snapshot_{table.oid}") as cursor:
        cursor.itersize = fetch_size
        cursor.execute(query)
        while rows := cursor.fetchmany(fetch_size):
            yield rows


def read_snapshot(
    connect: Callable[[], Any],
    *,
    tables: list[Table],
    snapshot_name: str,
    lsn: int,
    events: EventFactory,
    emit: Callable[[list[SourceRecord]], None],
    fetch_size: int,
) -> None:
    """Every row of `tables` as a read (`r`) event, the first marked `first`, the last `last`
    (its offset says the snapshot is complete); `emit` receives them in batches."""
    connection = connect()
    try:
        connection.set_session(isolation_level="REPEATABLE READ", readonly=False)
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION SNAPSHOT %s", (snapshot_name,))
            cursor.execute("SELECT txid_current()")
            (tx_id,) = cursor.fetchone()
        position = Position(now_us(), tx_id, lsn, snapshot="true")
        first, held = True, None
        for table in tables:
            for rows in _rows(connection, table, fetch_size):
                batch = [events.snapshot_record(table, list(row), position) for row in rows]
                if first:
                    batch[0] = events.mark_snapshot(batch[0], replace(position, snapshot="first"))
                    first = False
                if held is not None:
                    batch.insert(0, held)
                held = batch.pop()
                if batch:
                    emit(batch)
        if held is not None:
            emit([events.mark_snapshot(held, replace(position, snapshot="last"))])
        connection.commit()
    finally:
        connection.close()


def snapshot_tables(catalog: Catalog, config: PostgresConfig) -> list[Table]:
    return catalog.tables(TableFilter(dict(config.props)))
