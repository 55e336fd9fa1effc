"""Change events as records: Debezium's key, envelope and offset for each row change, the
tombstone after a delete, truncates and heartbeats. Pure functions of the decoded change."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from kaspar.connect.connectors.postgres.catalog import Table
from kaspar.connect.connectors.postgres.envelope import Position, envelope, now_us, tombstone
from kaspar.connect.connectors.postgres.pgoutput import Change
from kaspar.connect.data import Schema, SourceRecord, struct

HEARTBEAT_KEY = struct(
    "io.debezium.connector.common.ServerNameKey", {"serverName": Schema("string")}
)
HEARTBEAT_VALUE = struct("io.debezium.connector.common.Heartbeat", {"ts_ms": Schema("int64")})


class EventFactory:
    """Builds the records of one connector (`topic.prefix` = server name, database name)."""

    def __init__(self, server: str, db: str, tombstones: bool, skipped: set[str]) -> None:
        self.server, self.db = server, db
        self.tombstones, self.skipped = tombstones, skipped
        self.partition = {"server": server}
        self._last: tuple[Table, Position, dict[str, Any], dict[str, Any]] | None = None

    def offset(self, position: Position) -> dict[str, Any]:
        if position.snapshot != "false":
            return {
                "lsn": position.lsn,
                "txId": position.tx_id,
                "ts_usec": position.ts_us,
                "snapshot": True,
                "last_snapshot_record": position.snapshot == "last",
            }
        return {
            "lsn_proc": position.lsn,
            "lsn_commit": position.commit_lsn,
            "lsn": position.lsn,
            "txId": position.tx_id,
            "ts_usec": position.ts_us,
        }

    def record(
        self, table: Table, op: str, before: Any, after: Any, position: Position
    ) -> SourceRecord:
        source, offset = self._source(table, position)
        key = table.key(after if after is not None else before or {})
        return SourceRecord(
            self.partition,
            offset,
            table.topic,
            key_schema=table.key_schema,
            key=key,
            value_schema=table.value_schema,
            value=envelope(op, before, after, source, now_us()),
        )

    def _source(self, table: Table, position: Position) -> tuple[dict[str, Any], dict[str, Any]]:
        """The `source` block and offset of `position`; the rows of a snapshot (one position
        per table) share them (treated as read-only)."""
        if self._last is not None and self._last[0] is table and self._last[1] is position:
            return self._last[2], self._last[3]
        source = position.source(self.server, self.db, table.schema, table.name)
        offset = self.offset(position)
        self._last = (table, position, source, offset)
        return source, offset

    def snapshot_record(
        self, table: Table, values: list[object], position: Position
    ) -> SourceRecord:
        return self.record(table, "r", None, table.row(values), position)

    def mark_snapshot(self, record: SourceRecord, position: Position) -> SourceRecord:
        """`record` with its `source.snapshot` (and offset) changed to `position.snapshot`."""
        value = dict(record.value)
        value["source"] = {**value["source"], "snapshot": position.snapshot}
        return replace(record, value=value, source_offset=self.offset(position))

    def changes(self, table: Table, change: Change, position: Position) -> list[SourceRecord]:
        """The records of one insert, update or delete (a key change: delete, tombstone,
        create, as Debezium emits it)."""
        if change.op in self.skipped:
            return []
        after = table.row(change.new) if change.new is not None else None
        before = table.row(change.old) if change.old is not None else None
        if change.op == "d":
            return self._delete(table, before or {}, position)
        key_changed = (
            change.op == "u"
            and change.old_kind == "K"
            and before is not None
            and table.key(before) != table.key(after or {})
        )
        if key_changed and before is not None:
            created = self.record(table, "c", None, after, position)
            return [*self._delete(table, before, position), created]
        if change.op == "u" and change.old_kind != "O":
            before = None
        return [self.record(table, change.op, before, after, position)]

    def _delete(
        self, table: Table, before: dict[str, Any], position: Position
    ) -> list[SourceRecord]:
        record = self.record(table, "d", before, None, position)
        return [record, tombstone(record)] if self.tombstones else [record]

    def truncate(self, table: Table, position: Position) -> list[SourceRecord]:
        if "t" in self.skipped:
            return []
        source = position.source(self.server, self.db, table.schema, table.name)
        return [
            SourceRecord(
                self.partition,
                self.offset(position),
                table.topic,
                value_schema=table.value_schema,
                value=envelope("t", None, None, source, now_us()),
            )
        ]

    def heartbeat(self, topic: str, offset: dict[str, Any]) -> SourceRecord:
        return SourceRecord(
            self.partition,
            offset,
            topic,
            key_schema=HEARTBEAT_KEY,
            key={"serverName": self.server},
            value_schema=HEARTBEAT_VALUE,
            value={"ts_ms": now_us() // 1000},
        )
