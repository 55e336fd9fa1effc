"""A versioned state store: one stateful operator's keyed rows, in DuckDB, checkpointed as files.

The rows live in a table of a DuckDB connection private to the query, so merging a batch into
millions of keys is a join and a few set operations, not a Python loop. Version ``v`` is the
state after batch ``v - 1``; batch ``b`` starts from version ``b`` and commits ``b + 1``.

On disk, under ``<checkpoint>/state/<operator id>/0/`` (Spark's layout; the files are Parquet):

```
<v>.delta      the rows batch v - 1 wrote (``__op = 'u'``) and the keys it removed (``'d'``)
<v>.snapshot   every row at version v, written every ``minDeltasForSnapshot`` versions
```

Every file is written to a temporary name, fsynced and renamed, before the batch's ``commits``
entry, so a committed batch's state is always on disk. Loading version ``v`` reads the latest
snapshot at or below ``v`` and replays the deltas after it; files above ``v`` (a batch that
crashed before its commit) are ignored and overwritten when the batch runs again.
"""

# The SQL here is built from generated identifiers (__k0, __state_1, ...), never user text.
# ruff: noqa: S608

from __future__ import annotations

import logging
import os
import re
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from kaspar.errors import SparkRuntimeException

_DELTA = re.compile(r"^(\d+)\.delta$")
_SNAPSHOT = re.compile(r"^(\d+)\.snapshot$")
MIN_DELTAS_FOR_SNAPSHOT = 10  # spark.sql.streaming.stateStore.minDeltasForSnapshot
logger = logging.getLogger(__name__)


def _affected(rows: list[tuple[Any, ...]]) -> int:
    """The row count a DELETE or INSERT reports."""
    return int(rows[0][0]) if rows and rows[0] else 0


def execute(
    con: duckdb.DuckDBPyConnection, sql: str, parameters: list[Any] | None = None
) -> list[tuple[Any, ...]]:
    """Run one statement and fetch its rows (DuckDB wants results consumed before the next)."""
    return con.execute(sql, parameters).fetchall()


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class StateStore:
    """The rows of one operator: ``table`` in ``con``, keyed by ``keys`` (null-safe equality)."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        folder: Path,
        table: str,
        schema: pa.Schema,
        keys: list[str],
    ) -> None:
        self.con = con
        self.folder = folder
        self.table = table
        self.schema = schema
        self.keys = keys
        self.version = 0
        self.rows = 0
        self.row_bytes = 64
        self.last_snapshot_ms = 0
        self.metrics: dict[str, int] = {}
        self._snapshotting: threading.Thread | None = None
        folder.mkdir(parents=True, exist_ok=True)
        self._empty = schema.empty_table()
        con.register("__state_schema", self._empty)
        execute(con, f"CREATE OR REPLACE TABLE {quote(table)} AS SELECT * FROM __state_schema")
        con.unregister("__state_schema")

    # -- loading ----------------------------------------------------------------------------
    def load(self, version: int) -> None:
        """Make the table hold version ``version`` (0 = empty)."""
        t = quote(self.table)
        self.wait_for_snapshot()
        execute(self.con, f"DELETE FROM {t}")
        self.version = version
        self.rows = 0
        if version == 0:
            return
        snapshots = sorted(v for v in self._versions(_SNAPSHOT) if v <= version)
        start = snapshots[-1] if snapshots else 0
        if start:
            execute(
                self.con,
                f"INSERT INTO {t} SELECT * FROM read_parquet(?)",
                [str(self._path(start, "snapshot"))],
            )
        deltas = set(self._versions(_DELTA))
        for v in range(start + 1, version + 1):
            if v not in deltas:
                raise SparkRuntimeException(
                    f"State of version {version} cannot be rebuilt: {self._path(v, 'delta')} "
                    "is missing from the checkpoint",
                    "CANNOT_LOAD_STATE_STORE.UNCATEGORIZED",
                )
            self._apply_delta(self._path(v, "delta"))
        self.rows = int(execute(self.con, f"SELECT count(*) FROM {t}")[0][0])

    def _apply_delta(self, path: Path) -> None:
        t = quote(self.table)
        columns = ", ".join(quote(n) for n in self.schema.names)
        execute(
            self.con,
            "CREATE OR REPLACE TEMP TABLE __delta AS SELECT * FROM read_parquet(?)",
            [str(path)],
        )
        execute(self.con, f"DELETE FROM {t} USING __delta d WHERE {self.match(t, 'd')}")
        execute(
            self.con,
            f"INSERT INTO {t} SELECT {columns} FROM __delta WHERE __op = 'u'",
        )
        execute(self.con, "DROP TABLE __delta")

    # -- one batch ----------------------------------------------------------------------------
    def match(self, left: str, right: str) -> str:
        """SQL: the rows ``left`` and ``right`` have the same keys (NULL equal to NULL)."""
        if not self.keys:
            return "TRUE"
        return " AND ".join(
            f"{left}.{quote(k)} IS NOT DISTINCT FROM {right}.{quote(k)}" for k in self.keys
        )

    def commit(self, upserts: str | None, removals: str | None) -> None:
        """Apply this batch's changes and write version ``self.version + 1``.

        ``upserts`` names a table (or view) of whole rows that replace the rows with the same
        keys; ``removals`` one whose key columns name rows to delete. Either may be None.
        Every ``MIN_DELTAS_FOR_SNAPSHOT`` versions a snapshot is written in the background,
        from its own transaction, so a large state never stalls the stream.
        """
        started = time.monotonic()
        t = quote(self.table)
        columns = ", ".join(quote(n) for n in self.schema.names)
        updated = removed = 0
        parts = []
        if upserts is not None:
            replaced = _affected(
                execute(self.con, f"DELETE FROM {t} USING {upserts} u WHERE {self.match(t, 'u')}")
            )
            updated = _affected(
                execute(self.con, f"INSERT INTO {t} SELECT {columns} FROM {upserts}")
            )
            self.rows += updated - replaced
            parts.append(f"SELECT 'u' AS __op, {columns} FROM {upserts}")
        if removals is not None:
            removed = _affected(
                execute(self.con, f"DELETE FROM {t} USING {removals} r WHERE {self.match(t, 'r')}")
            )
            self.rows -= removed
            if removed:
                nulls = ", ".join(
                    quote(n) if n in self.keys else f"NULL AS {quote(n)}" for n in self.schema.names
                )
                parts.append(f"SELECT 'd' AS __op, {nulls} FROM {removals}")
        version = self.version + 1
        query = " UNION ALL BY NAME ".join(parts) if parts else None
        if query is None:
            query = f"SELECT 'u' AS __op, {columns} FROM {t} LIMIT 0"
        self._write(self.con, f"SELECT * FROM ({query})", self._path(version, "delta"))
        if version % MIN_DELTAS_FOR_SNAPSHOT == 0:
            self._snapshot_in_background(version)
        self.version = version
        self.metrics = {
            "numRowsUpdated": updated,
            "numRowsRemoved": removed,
            "commitTimeMs": int((time.monotonic() - started) * 1000),
            "snapshotTimeMs": self.last_snapshot_ms,
        }

    def _snapshot_in_background(self, version: int) -> None:
        """Write ``<version>.snapshot`` from a transaction that sees exactly this version."""
        if self._snapshotting is not None and self._snapshotting.is_alive():
            return  # the previous one is still writing: the next interval will try again
        cursor = self.con.cursor()
        execute(cursor, "BEGIN TRANSACTION")
        execute(cursor, f"SELECT count(*) FROM {quote(self.table)}")  # pins the snapshot
        columns = ", ".join(quote(n) for n in self.schema.names)

        def write() -> None:
            clock = time.monotonic()
            try:
                query = f"SELECT {columns} FROM {quote(self.table)}"
                self._write(cursor, query, self._path(version, "snapshot"))
                execute(cursor, "COMMIT")
                self._clean()
                self.last_snapshot_ms = int((time.monotonic() - clock) * 1000)
            except (duckdb.Error, OSError):
                logger.exception("state snapshot %s failed (the deltas still cover it)", version)
            finally:
                cursor.close()

        self._snapshotting = threading.Thread(target=write, name="state-snapshot", daemon=True)
        self._snapshotting.start()

    def wait_for_snapshot(self) -> None:
        if self._snapshotting is not None:
            self._snapshotting.join()

    def memory_bytes(self) -> int:
        """An estimate: rows times the average row size of the last rows this store saw."""
        return self.rows * self.row_bytes

    # -- files --------------------------------------------------------------------------------
    def _path(self, version: int, kind: str) -> Path:
        return self.folder / f"{version}.{kind}"

    def _versions(self, pattern: re.Pattern[str]) -> list[int]:
        found = []
        for entry in self.folder.iterdir():
            m = pattern.match(entry.name)
            if m:
                found.append(int(m.group(1)))
        return found

    def _write(self, con: duckdb.DuckDBPyConnection, query: str, path: Path) -> None:
        temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        execute(con, f"COPY ({query}) TO '{temporary}' (FORMAT parquet)")
        fd = os.open(temporary, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        temporary.replace(path)

    def _clean(self) -> None:
        """Keep the two latest snapshots and the deltas after the older one."""
        snapshots = sorted(self._versions(_SNAPSHOT))
        if len(snapshots) < 2:
            return
        keep_from = snapshots[-2]
        for v in self._versions(_SNAPSHOT):
            if v < keep_from:
                self._path(v, "snapshot").unlink(missing_ok=True)
        for v in self._versions(_DELTA):
            if v <= keep_from:
                self._path(v, "delta").unlink(missing_ok=True)
