"""A versioned state store: one stateful operator's keyed rows, in DuckDB, checkpointed as files.

The rows live in a table of a DuckDB connection private to the query, so merging a batch into
millions of keys is a join and a few set operations, not a Python loop. Version ``v`` is the
state after batch ``v - 1``; batch ``b`` starts from version ``b`` and commits ``b + 1``.

On disk, under ``<checkpoint>/state/<operator id>/0/`` (Spark's layout; the files are Parquet):

```
<v>.delta      the rows batch v - 1 wrote (``__op = 'u'``) and the keys it removed (``'d'``)
<v>.snapshot   every row at version v, written every ``minDeltasForSnapshot`` versions
```

A delta is written by pyarrow under its own name from the rows the batch already has in Arrow,
and fsynced in the background (``durable_write``); the micro-batch loop waits for it
(``wait_durable``) before the batch's ``commits`` entry, so a committed batch's state is always
on disk. A snapshot is written to a temporary name, fsynced and renamed, on its own thread.
Loading version ``v`` reads the latest snapshot at or below ``v`` and replays the deltas after
it; files above ``v`` (a batch that crashed before its commit, perhaps cut short) are ignored
and overwritten when the batch runs again.

Under a low-latency trigger (``realtime.py``) the versions of one epoch (one per chunk) are
kept in memory (``begin_epoch``) and written as **one** delta at the epoch's close
(``end_epoch``), named by the epoch's last version: every entry of its versions, ranked
(``__seq``: by version, a version's upserts after its removals); loading keeps the last entry
per key, so the file replays as the epoch's last version. Its Parquet metadata names the
first version it covers (``kaspar.firstVersion``), so loading knows the versions in between
are not missing. Only the epoch's commit needs the state durable, and a crash mid-epoch
replays the whole epoch from its start version: the chunks' versions were never worth a file
and an fsync each. Nothing but an Arrow concatenation runs on the query's thread at the
close. An epoch writes a snapshot every ``MIN_DELTAS_FOR_SNAPSHOT`` delta files, at its close.
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
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from kaspar.engine.arrow_holder import register_rows, release_rows
from kaspar.engine.streaming.durable_write import (
    PendingSyncs,
    sync_directory,
    write_parquet_durably,
)
from kaspar.errors import SparkRuntimeException

_DELTA = re.compile(r"^(\d+)\.delta$")
_SNAPSHOT = re.compile(r"^(\d+)\.snapshot$")
MIN_DELTAS_FOR_SNAPSHOT = 10  # spark.sql.streaming.stateStore.minDeltasForSnapshot
FIRST_VERSION = b"kaspar.firstVersion"  # a delta's metadata: the first version it covers
logger = logging.getLogger(__name__)


def _affected(rows: list[tuple[Any, ...]]) -> int:
    """The row count a DELETE or INSERT reports."""
    return int(rows[0][0]) if rows and rows[0] else 0


def execute(
    con: duckdb.DuckDBPyConnection, sql: str, parameters: list[Any] | None = None
) -> list[tuple[Any, ...]]:
    """Run one statement and fetch its rows (DuckDB wants results consumed before the next)."""
    return con.execute(sql, parameters).fetchall()


def _plain(dtype: pa.DataType) -> bool:
    """Types whose Python values (as DuckDB returns them) convert back to Arrow unchanged."""
    if pa.types.is_struct(dtype):
        return all(_plain(dtype.field(i).type) for i in range(dtype.num_fields))
    return bool(
        pa.types.is_integer(dtype)
        or pa.types.is_floating(dtype)
        or pa.types.is_boolean(dtype)
        or pa.types.is_string(dtype)
        or pa.types.is_large_string(dtype)
        or pa.types.is_timestamp(dtype)
        or pa.types.is_date(dtype)
        or pa.types.is_decimal(dtype)
    )


def _first_version(delta: Path) -> int:
    """The first version a delta file covers: its own, or an epoch's first (``end_epoch``)."""
    metadata = pq.read_schema(delta).metadata or {}
    first = metadata.get(FIRST_VERSION)
    return int(first) if first is not None else int(delta.name.split(".")[0])


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
        self.last_snapshot_version = -1
        # Files needed to load this version are never cleaned: the state of a real-time
        # query's last committed epoch, many versions back (``realtime.py``).
        self.retained_version = 0
        self.cache_hits = self.cache_misses = 0
        self.metrics: dict[str, int] = {}
        self._snapshotting: threading.Thread | None = None
        self._syncs = PendingSyncs()
        self._delta_schema = pa.schema(
            [pa.field("__op", pa.string()), *(f.with_nullable(True) for f in schema)]
        )
        self._changed_since_snapshot = False
        self._epoch_parts: list[pa.Table] | None = None  # an epoch's deltas, not yet written
        self._epoch_first = 0  # the first version of the epoch
        self._epoch_deltas = 0  # epoch deltas written since the last snapshot
        self._epoch_schema = self._delta_schema.append(pa.field("__seq", pa.int64()))
        self._returned = pa.schema([pa.field("__action", pa.string()), *schema])
        self._plain = all(_plain(f.type) for f in schema)
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
        self.cache_misses += 1
        snapshots = sorted(v for v in self._versions(_SNAPSHOT) if v <= version)
        start = snapshots[-1] if snapshots else 0
        if start:
            execute(
                self.con,
                f"INSERT INTO {t} SELECT * FROM read_parquet(?)",
                [str(self._path(start, "snapshot"))],
            )
        expected = start + 1  # the next version to replay
        for v in sorted(d for d in self._versions(_DELTA) if start < d <= version):
            path = self._path(v, "delta")
            if v > expected and _first_version(path) > expected:
                break
            self._apply_delta(path)
            expected = v + 1
        if expected != version + 1:
            raise SparkRuntimeException(
                f"State of version {version} cannot be rebuilt: {self._path(expected, 'delta')} "
                "is missing from the checkpoint",
                "CANNOT_LOAD_STATE_STORE.UNCATEGORIZED",
            )
        self.rows = int(execute(self.con, f"SELECT count(*) FROM {t}")[0][0])

    def _apply_delta(self, path: Path) -> None:
        """Remove the delta's keys, insert its upserts. An epoch's delta (``end_epoch``) holds
        every entry of its versions, ranked by ``__seq``: only the last one per key counts."""
        t = quote(self.table)
        columns = ", ".join(quote(n) for n in self.schema.names)
        execute(
            self.con,
            "CREATE OR REPLACE TEMP TABLE __delta AS SELECT * FROM read_parquet(?)",
            [str(path)],
        )
        entries = "__delta"
        if "__seq" in self.con.table("__delta").columns:
            keys = ", ".join(quote(k) for k in self.keys)
            window = f"PARTITION BY {keys} ORDER BY __seq DESC" if keys else "ORDER BY __seq DESC"
            entries = f"(SELECT * FROM __delta QUALIFY row_number() OVER ({window}) = 1)"
        execute(self.con, f"DELETE FROM {t} USING __delta d WHERE {self.match(t, 'd')}")
        execute(self.con, f"INSERT INTO {t} SELECT {columns} FROM {entries} WHERE __op = 'u'")
        execute(self.con, "DROP TABLE __delta")

    # -- one batch ----------------------------------------------------------------------------
    def match(self, left: str, right: str) -> str:
        """SQL: the rows ``left`` and ``right`` have the same keys (NULL equal to NULL)."""
        if not self.keys:
            return "TRUE"
        return " AND ".join(
            f"{left}.{quote(k)} IS NOT DISTINCT FROM {right}.{quote(k)}" for k in self.keys
        )

    def commit(
        self, upserts: str | None, removals: str | None, upsert_rows: pa.Table | None = None
    ) -> None:
        """Apply this batch's changes and write version ``self.version + 1``.

        ``upserts`` names a table (or view) of whole rows that replace the rows with the same
        keys (``upsert_rows``: the same rows in Arrow, if the caller has them already);
        ``removals`` one whose key columns name rows to delete. Either may be None. The delta
        file's fsync runs in the background until ``wait_durable``. Every
        ``MIN_DELTAS_FOR_SNAPSHOT`` versions a snapshot is written in the background, from its
        own transaction, so a large state never stalls the stream.
        """
        started = time.monotonic()
        t = quote(self.table)
        columns = ", ".join(quote(n) for n in self.schema.names)
        updated = removed = 0
        written: pa.Table | None = None
        removed_keys: pa.Table | None = None
        if upserts is not None:
            replaced = _affected(
                execute(self.con, f"DELETE FROM {t} USING {upserts} u WHERE {self.match(t, 'u')}")
            )
            updated = _affected(
                execute(self.con, f"INSERT INTO {t} SELECT {columns} FROM {upserts}")
            )
            self.rows += updated - replaced
            written = upsert_rows
            if written is None and updated:
                written = self.con.sql(f"SELECT {columns} FROM {upserts}").to_arrow_table()
        if removals is not None:
            removed = _affected(
                execute(self.con, f"DELETE FROM {t} USING {removals} r WHERE {self.match(t, 'r')}")
            )
            self.rows -= removed
            if removed:
                keys = ", ".join(quote(k) for k in self.keys)
                removed_keys = self.con.sql(f"SELECT {keys} FROM {removals}").to_arrow_table()
        self._next_version(written, removed_keys, updated, removed, started)

    def merge(
        self, source: str, values: list[tuple[str, str]] | None = None, small: bool = False
    ) -> pa.Table | None:
        """Upsert the rows of the query ``source`` (one per key) in one ``MERGE INTO ...
        RETURNING`` and write version ``self.version + 1``; the rows as stored, or None when
        the state has no column besides its keys (use ``commit``).

        ``values``, per non-key column, the SQL of its new value for a stored row and for a new
        one, over the stored row ``s`` and the source row ``m`` (default: the source's). With
        ``small`` (few rows), they are fetched as Python values: one round trip less."""
        names = [n for n in self.schema.names if n not in self.keys]
        if not names:
            return None
        started = time.monotonic()
        t = quote(self.table)
        columns = ", ".join(quote(n) for n in self.schema.names)
        given = dict(zip(names, values, strict=True)) if values is not None else {}
        default = {n: (f"m.{quote(n)}", f"m.{quote(n)}") for n in self.schema.names}
        chosen = {**default, **given}
        updates = ", ".join(f"{quote(n)} = {chosen[n][0]}" for n in names)
        inserted = ", ".join(chosen[n][1] for n in self.schema.names)
        statement = (
            f"MERGE INTO {t} AS s USING ({source}) AS m ON {self.match('s', 'm')} "
            f"WHEN MATCHED THEN UPDATE SET {updates} "
            f"WHEN NOT MATCHED THEN INSERT ({columns}) VALUES ({inserted}) "
            f"RETURNING merge_action AS __action, {columns}"
        )
        if small and self._plain:
            values_by_column = list(zip(*execute(self.con, statement), strict=False))
            if not values_by_column:
                values_by_column = [() for _ in range(len(self.schema) + 1)]
            fields = list(self._returned)
            arrays = [pa.array(v, f.type) for v, f in zip(values_by_column, fields, strict=True)]
            returned = pa.Table.from_arrays(arrays, schema=self._returned)
        else:
            returned = self.con.sql(statement).to_arrow_table()
        actions = returned.column("__action")
        self.rows += pc.sum(pc.equal(actions, "INSERT").cast(pa.int64())).as_py() or 0
        rows = returned.drop_columns(["__action"])
        self._next_version(rows, None, rows.num_rows, 0, started)
        return rows

    def insert_new(self, rows: pa.Table) -> pa.Table:
        """Insert the ``rows`` (whole rows, one per key) whose keys are not stored, in one
        statement, and write version ``self.version + 1``; the rows inserted."""
        started = time.monotonic()
        t = quote(self.table)
        columns = ", ".join(quote(n) for n in self.schema.names)
        register_rows(self.con, "__added", rows)
        inserted = self.con.sql(
            f"INSERT INTO {t} SELECT {columns} FROM __added a WHERE NOT EXISTS "
            f"(SELECT 1 FROM {t} s WHERE {self.match('s', 'a')}) RETURNING {columns}"
        ).to_arrow_table()
        if rows.nbytes >= 1 << 20:
            release_rows(self.con, "__added", rows.schema)
        self.rows += inserted.num_rows
        self._next_version(inserted, None, inserted.num_rows, 0, started)
        return inserted

    def add(self, rows: pa.Table, expired: str | None = None) -> None:
        """Delete the rows matching the SQL predicate ``expired``, insert ``rows`` (whole
        rows whose keys are not stored), and write version ``self.version + 1``."""
        started = time.monotonic()
        t = quote(self.table)
        removed_keys = None
        if expired is not None:
            keys = ", ".join(quote(k) for k in self.keys)
            removed_keys = self.con.sql(
                f"DELETE FROM {t} WHERE {expired} RETURNING {keys}"
            ).to_arrow_table()
            self.rows -= removed_keys.num_rows
        if rows.num_rows:
            columns = ", ".join(quote(n) for n in self.schema.names)
            register_rows(self.con, "__added", rows)
            execute(self.con, f"INSERT INTO {t} SELECT {columns} FROM __added")
            if rows.nbytes >= 1 << 20:
                release_rows(self.con, "__added", rows.schema)
            self.rows += rows.num_rows
        removed = 0 if removed_keys is None else removed_keys.num_rows
        self._next_version(rows, removed_keys, rows.num_rows, removed, started)

    def _next_version(
        self,
        written: pa.Table | None,
        removed_keys: pa.Table | None,
        updated: int,
        removed: int,
        started: float,
    ) -> None:
        version = self.version + 1
        self.cache_hits += 1
        self._write_delta(version, written, removed_keys)
        self._changed_since_snapshot |= bool(updated or removed)
        in_epoch = self._epoch_parts is not None  # snapshots at the epoch's close
        if version % MIN_DELTAS_FOR_SNAPSHOT == 0 and self._changed_since_snapshot and not in_epoch:
            self._snapshot_in_background(version)  # none when no row changed since the last
        self.version = version
        self.metrics = {
            "numRowsUpdated": updated,
            "numRowsRemoved": removed,
            "commitTimeMs": int((time.monotonic() - started) * 1000),
            "snapshotTimeMs": self.last_snapshot_ms,
        }

    def _write_delta(
        self, version: int, upserts: pa.Table | None, removed_keys: pa.Table | None
    ) -> None:
        """``<version>.delta``: the upserted rows (``__op = 'u'``), then the removed keys
        (``'d'``, other columns null); written and fsynced on a background thread (the
        batch's commit waits for it, ``take_syncs``), or kept for ``end_epoch``."""
        parts = []
        rank = None if self._epoch_parts is None else 2 * (version - self._epoch_first)
        if upserts is not None and upserts.num_rows:
            parts.append(self._delta_part("u", upserts, None if rank is None else rank + 1))
        if removed_keys is not None and removed_keys.num_rows:
            parts.append(self._delta_part("d", removed_keys, rank))
        if self._epoch_parts is not None:
            self._epoch_parts.extend(parts)
            return
        delta = pa.concat_tables(parts) if parts else self._delta_schema.empty_table()
        self._syncs.add(write_parquet_durably(delta, self._path(version, "delta")))

    # -- epochs of a low-latency trigger ------------------------------------------------------
    def begin_epoch(self) -> None:
        """Keep the deltas of the versions written from now on in memory, for ``end_epoch``."""
        self._epoch_parts = []
        self._epoch_first = self.version + 1

    def end_epoch(self) -> None:
        """Write the epoch's versions as one delta named by its last version, every entry
        ranked (``__seq``: the version, upserts after removals) so that loading keeps the last
        one per key; fsynced in the background, like a delta (``take_syncs``). A snapshot
        every ``MIN_DELTAS_FOR_SNAPSHOT`` such files."""
        parts, self._epoch_parts = self._epoch_parts, None
        if parts is None or self.version < self._epoch_first:
            return  # no version written in this epoch
        delta = pa.concat_tables(parts) if parts else self._epoch_schema.empty_table()
        delta = delta.replace_schema_metadata({FIRST_VERSION: str(self._epoch_first)})
        self._syncs.add(write_parquet_durably(delta, self._path(self.version, "delta")))
        self._epoch_deltas += 1
        if self._epoch_deltas >= MIN_DELTAS_FOR_SNAPSHOT and self._changed_since_snapshot:
            self._snapshot_in_background(self.version)

    def _delta_part(self, op: str, rows: pa.Table, rank: int | None = None) -> pa.Table:
        n = rows.num_rows
        columns = [pa.repeat(pa.scalar(op, pa.string()), n)]
        for f in self.schema:
            index = rows.schema.get_field_index(f.name)
            column = rows.column(index) if index >= 0 else pa.nulls(n, f.type)
            columns.append(column.cast(f.type) if column.type != f.type else column)
        if rank is None:
            return pa.Table.from_arrays(columns, schema=self._delta_schema)
        columns.append(pa.repeat(pa.scalar(rank, pa.int64()), n))
        return pa.Table.from_arrays(columns, schema=self._epoch_schema)

    def wait_durable(self) -> None:
        """Wait until the delta files written so far are on disk."""
        self._syncs.wait()

    def take_syncs(self) -> list[Future[None]]:
        """The fsyncs of the delta files written so far, for the caller to wait for."""
        return self._syncs.take()

    def _snapshot_in_background(self, version: int) -> None:
        """Write ``<version>.snapshot`` from a transaction that sees exactly this version."""
        if self._snapshotting is not None and self._snapshotting.is_alive():
            return  # the previous one is still writing: the next interval will try again
        self._changed_since_snapshot = False
        self._epoch_deltas = 0
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
                self.last_snapshot_version = version
            except (duckdb.Error, OSError):
                logger.exception("state snapshot %s failed (the deltas still cover it)", version)
            finally:
                cursor.close()

        self._snapshotting = threading.Thread(target=write, name="state-snapshot", daemon=True)
        self._snapshotting.start()

    def wait_for_snapshot(self) -> None:
        if self._snapshotting is not None:
            self._snapshotting.join()

    def custom_metrics(self) -> dict[str, int]:
        """The ``customMetrics`` of Spark's default (HDFS-backed) state store provider: its
        map cache is this table (a hit per batch after the first load from files)."""
        return {
            "SnapshotLastUploaded.partition_0_default": self.last_snapshot_version,
            "forceSnapshotCount": 0,
            "loadedMapCacheHitCount": self.cache_hits,
            "loadedMapCacheMissCount": self.cache_misses,
            "numSnapshotsAutoRepaired": 0,
            "stateOnCurrentVersionSizeBytes": self.memory_bytes(),
        }

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
        sync_directory(path.parent)

    def _clean(self) -> None:
        """Keep the two latest snapshots and the deltas after the older one."""
        snapshots = sorted(self._versions(_SNAPSHOT))
        if len(snapshots) < 2:
            return
        keep_from = snapshots[-2]
        if self.retained_version:
            below = [v for v in snapshots if v <= self.retained_version]
            keep_from = min(keep_from, below[-1] if below else 0)
        for v in self._versions(_SNAPSHOT):
            if v < keep_from:
                self._path(v, "snapshot").unlink(missing_ok=True)
        for v in self._versions(_DELTA):
            if v <= keep_from:
                self._path(v, "delta").unlink(missing_ok=True)
