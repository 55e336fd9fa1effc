"""Debezium's change event envelope for PostgreSQL: `before`, `after`, `source`,
`transaction`, `op`, `ts_ms` (and `ts_us`, `ts_ns`), with the schemas Debezium gives them."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any

from kaspar import __version__
from kaspar.connect.data import OPTIONAL_STRING, STRING, Schema, SourceRecord, struct

SNAPSHOT_VALUES = (
    "true,first,first_in_data_collection,last_in_data_collection,last,false,incremental"
)
CONNECTOR_VERSION = f"{__version__}-kaspar"
OPTIONAL_INT64 = Schema("int64", optional=True)
SOURCE_SCHEMA = struct(
    "io.debezium.connector.postgresql.Source",
    {
        "version": STRING,
        "connector": STRING,
        "name": STRING,
        "ts_ms": Schema("int64"),
        "snapshot": Schema(
            "string",
            optional=True,
            name="io.debezium.data.Enum",
            version=1,
            parameters={"allowed": SNAPSHOT_VALUES},
            default="false",
        ),
        "db": STRING,
        "sequence": OPTIONAL_STRING,
        "ts_us": OPTIONAL_INT64,
        "ts_ns": OPTIONAL_INT64,
        "schema": STRING,
        "table": STRING,
        "txId": OPTIONAL_INT64,
        "lsn": OPTIONAL_INT64,
        "xmin": OPTIONAL_INT64,
    },
)
TRANSACTION_SCHEMA = replace(
    struct(
        "event.block",
        {"id": STRING, "total_order": Schema("int64"), "data_collection_order": Schema("int64")},
        optional=True,
    ),
    version=1,
)


def envelope_schema(base: str, row: Schema) -> Schema:
    """`<prefix>.<schema>.<table>.Envelope`."""
    fields = {
        "before": row,
        "after": row,
        "source": SOURCE_SCHEMA,
        "transaction": TRANSACTION_SCHEMA,
        "op": STRING,
        "ts_ms": OPTIONAL_INT64,
        "ts_us": OPTIONAL_INT64,
        "ts_ns": OPTIONAL_INT64,
    }
    return replace(struct(f"{base}.Envelope", fields), version=1)


@dataclass(frozen=True)
class Position:
    """Where an event is: its transaction, LSNs and commit (or snapshot) time."""

    ts_us: int
    tx_id: int | None
    lsn: int | None
    commit_lsn: int | None = None
    last_commit_lsn: int | None = None
    snapshot: str = "false"

    def source(self, server: str, db: str, schema: str, table: str) -> dict[str, Any]:
        # Debezium's sequence: a JSON array of the last commit's LSN and this event's, as strings
        sequence = f"[{_quoted(self.last_commit_lsn)},{_quoted(self.lsn)}]"
        return {
            "version": CONNECTOR_VERSION,
            "connector": "postgresql",
            "name": server,
            "ts_ms": self.ts_us // 1000,
            "snapshot": self.snapshot,
            "db": db,
            "sequence": sequence,
            "ts_us": self.ts_us,
            "ts_ns": self.ts_us * 1000,
            "schema": schema,
            "table": table,
            "txId": self.tx_id,
            "lsn": self.lsn,
            "xmin": None,
        }


def _quoted(lsn: int | None) -> str:
    return "null" if lsn is None else f'"{lsn}"'


def now_us() -> int:
    return time.time_ns() // 1000


def envelope(
    op: str, before: Any, after: Any, source: dict[str, Any], processed_us: int
) -> dict[str, Any]:
    return {
        "before": before,
        "after": after,
        "source": source,
        "transaction": None,
        "op": op,
        "ts_ms": processed_us // 1000,
        "ts_us": processed_us,
        "ts_ns": processed_us * 1000,
    }


def tombstone(record: SourceRecord) -> SourceRecord:
    """The record that follows a delete: same key, null value (compaction drops the key)."""
    return replace(record, value_schema=None, value=None)
