"""The streaming operator of ``transformWithStateInPandas`` / ``transformWithState`` (Spark 4's
arbitrary state API): a stateful processor's ``handleInputRows`` once per group of the batch,
then ``handleExpiredTimer`` once per timer that expired, with any number of named state
variables per key (value, list and map states) and timers.

Every entry lives in one versioned state store (``state_store.py``) keyed by the grouping keys,
the variable's name and an item (``""`` for a value or a list, the map key's encoding for a map
entry, the expiry for a timer, under the name ``__timer``); the value is the entry pickled. A
batch reads the entries of its keys (and of the keys whose timers expired) in one query, the
processor changes them through the SQL layer's handle, and the changed and removed entries are
written as one state version, so a restart resumes from the last committed batch.

Timers fire, in expiry order, once the batch's processing time (``ProcessingTime``) or the
watermark (``EventTime``) reaches them; a timer is deleted before its handler runs. Batches
without data run when the watermark moves or a processing-time timer is due.

``initialState=`` rows are handed to ``handleInitialState`` per key in batch 0 only (before
any ``handleInputRows``), so a restart from a checkpoint never reads them again. A state
declared with a TTL stores its expiry (the writing batch's processing time plus the TTL) in
``__expires``: an entry is hidden from the batch whose processing time reaches it, and every
batch removes the expired entries of all keys in the same commit as its own changes (one
query), so the delta files carry the removals across restarts.
"""

# The SQL here is built from generated identifiers (__k0, __name, __state_1, ...), never user
# text.
# ruff: noqa: S608

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from kaspar.engine.arrow_groups import key_values, split_groups
from kaspar.engine.arrow_holder import register_rows
from kaspar.engine.execution import Executor
from kaspar.engine.plan import logical as L
from kaspar.engine.streaming.group_state_operator import KeyedFunctionOperator, drop_late
from kaspar.engine.streaming.stages import (
    BatchContext,
    arrow_schema,
    as_leaf_table,
    elapsed_ms,
    release,
)
from kaspar.engine.streaming.state_store import StateStore, quote

TIMER = "__timer"
Entry = tuple[str, str]  # (variable name, item)
# (key, variable name, item, pickled value, expiry ms): one entry to write or remove
Row = tuple[tuple[pa.Scalar, ...], str, str, bytes | None, int | None]


@dataclass
class KeyedState:
    """One key's state entries while its handlers run (pickled values by (name, item)), with
    the expiry (ms) of the entries written with a TTL; ``now_ms`` is the batch's processing
    time, at or after which an entry's expiry hides it."""

    entries: dict[Entry, bytes] = field(default_factory=dict)
    changed: set[Entry] = field(default_factory=set)
    removed: set[Entry] = field(default_factory=set)
    expires: dict[Entry, int] = field(default_factory=dict)
    now_ms: int = 0

    def get(self, name: str, item: str = "") -> bytes | None:
        if self.expired(name, item):
            return None
        return self.entries.get((name, item))

    def expired(self, name: str, item: str = "") -> bool:
        expiry = self.expires.get((name, item))
        return expiry is not None and expiry <= self.now_ms

    def put(self, name: str, item: str, value: bytes, expires: int | None = None) -> None:
        self.entries[name, item] = value
        if expires is None:
            self.expires.pop((name, item), None)
        else:
            self.expires[name, item] = expires
        self.changed.add((name, item))
        self.removed.discard((name, item))

    def delete(self, name: str, item: str = "") -> None:
        self.expires.pop((name, item), None)
        if self.entries.pop((name, item), None) is not None or (name, item) in self.changed:
            self.removed.add((name, item))
        self.changed.discard((name, item))

    def items(self, name: str) -> list[tuple[str, bytes]]:
        """The variable's live entries (expired ones left out)."""
        return sorted(
            (i, v) for (n, i), v in self.entries.items() if n == name and not self.expired(n, i)
        )

    def drop(self, name: str) -> None:
        for item in [i for (n, i) in self.entries if n == name]:
            self.delete(name, item)


@dataclass
class TimerValues:
    processing_ms: int
    watermark_ms: int


class TransformWithStateOperator(KeyedFunctionOperator):
    operator_name = "transformWithStateExec"

    def __init__(
        self,
        node: L.TransformWithState,
        executor: Executor,
        cuts: dict[L.LogicalPlan, L.LogicalPlan],
        watermarks: list[str],
    ) -> None:
        super().__init__(node, executor, cuts, watermarks)
        self.spec = node
        self.state_schema = pa.schema(
            [
                *self.key_fields,
                pa.field("__name", pa.string()),
                pa.field("__item", pa.string()),
                pa.field("__value", pa.binary()),
                pa.field("__expires", pa.int64()),  # ms, for a state with a TTL
            ]
        )

    @property
    def evicts_by_watermark(self) -> bool:
        return self.spec.time_mode == "eventtime"

    def attach(self, con: duckdb.DuckDBPyConnection, folder: Path, index: int) -> None:
        keys = [*self.key_names, "__name", "__item"]
        self.store = StateStore(con, folder, f"__state_{index}", self.state_schema, keys)

    def timeouts_due(self) -> bool:
        """A processing-time timer is due now: worth a batch without data."""
        if self.spec.time_mode != "processingtime":
            return False
        return bool(self._due(int(time.time() * 1000)).num_rows)

    def run(self, context: BatchContext) -> None:
        store = self.store
        assert store is not None
        self.spec.start()  # the processor's init(), per batch as Spark's tasks call it
        try:
            self._run(context)
        finally:
            self.spec.stop()  # its close()

    def _run(self, context: BatchContext) -> None:
        clock = time.monotonic()
        rows = self.stage.run(self.executor, context)
        kept = drop_late(rows, self.event_time, context.watermark_ms)
        self.dropped = rows.num_rows - kept.num_rows
        n = self.spec.n_keys
        groups = split_groups(kept, n)
        values = self._timer_values(context)
        now = context.timestamp_ms
        due = self._due(self._timer_limit(context))
        initial = self._initial_groups(context)
        wanted = [kept.select(list(range(n))).rename_columns(self.key_names)]
        wanted.append(due.select(self.key_names))
        if initial:
            wanted.append(self._key_table([k for k, _ in initial]))
        states = self._load(pa.concat_tables(wanted), now)
        outputs: list[pa.Table] = []
        assert self.spec.initial is not None or not initial
        for key, rows in initial:  # initialState=, in the query's first batch only
            state = states.setdefault(key_values(key), KeyedState(now_ms=now))
            outputs.extend(self.spec.initial(key, rows, state, values))  # type: ignore[misc]
        for key, group in groups:
            state = states.setdefault(key_values(key), KeyedState(now_ms=now))
            outputs.extend(self.spec.process(key, group, state, values))
        for i in range(due.num_rows):
            key = tuple(due.column(k)[i] for k in self.key_names)
            expiry = due.column("__item")[i].as_py()
            state = states.setdefault(key_values(key), KeyedState(now_ms=now))
            if (TIMER, expiry) not in state.entries:  # deleted by an earlier handler
                continue
            state.delete(TIMER, expiry)
            outputs.extend(self.spec.expire(key, int(expiry), state, values))
        self.update_ms = elapsed_ms(clock)
        clock = time.monotonic()
        self._write(states, [k for k, _ in [*initial, *groups]], due, now)
        self.removal_ms = elapsed_ms(clock)
        target = arrow_schema(self.spec.output)
        table = pa.concat_tables(outputs) if outputs else target.empty_table()
        context.tables[self.leaf.name] = as_leaf_table(table, self.leaf)

    def _timer_values(self, context: BatchContext) -> TimerValues:
        """What the handlers see: -1 for both without a time mode, as in Spark."""
        if self.spec.time_mode == "none":
            return TimerValues(-1, -1)
        watermark = context.watermark_ms if self.watermark_present else -1
        return TimerValues(context.timestamp_ms, watermark)

    def _initial_groups(
        self, context: BatchContext
    ) -> list[tuple[tuple[pa.Scalar, ...], pa.Table]]:
        """``initialState=``'s rows by key, in the query's first batch (none after it, so a
        restart from a checkpoint does not read them again)."""
        if self.spec.initial_rows is None or context.batch_id != 0:
            return []
        return split_groups(self.spec.initial_rows(), self.spec.n_keys)

    def _key_table(self, keys: list[tuple[pa.Scalar, ...]]) -> pa.Table:
        columns = [
            pa.array([k[j].as_py() for k in keys], self.state_schema.field(name).type)
            for j, name in enumerate(self.key_names)
        ]
        return pa.Table.from_arrays(columns, names=self.key_names)

    def _timer_limit(self, context: BatchContext) -> int | None:
        if self.spec.time_mode == "processingtime":
            return context.timestamp_ms
        if self.spec.time_mode == "eventtime" and self.watermark_present:
            return context.watermark_ms
        return None

    def _due(self, limit: int | None) -> pa.Table:
        """The timers at or before ``limit``, in expiry order."""
        store = self.store
        assert store is not None
        if limit is None or not store.rows:
            return self.state_schema.empty_table()
        return store.con.sql(
            f"SELECT * FROM {quote(store.table)} WHERE __name = '{TIMER}' "
            f"AND TRY_CAST(__item AS BIGINT) <= {int(limit)} ORDER BY TRY_CAST(__item AS BIGINT)"
        ).to_arrow_table()

    def _load(self, keys: pa.Table, now: int) -> dict[tuple[object, ...], KeyedState]:
        """Every stored entry of ``keys`` (one query), by key."""
        store = self.store
        assert store is not None
        states: dict[tuple[object, ...], KeyedState] = {}
        if not keys.num_rows or not store.rows:
            return states
        register_rows(store.con, "__tws_keys", keys)
        match = " AND ".join(
            f"s.{quote(k)} IS NOT DISTINCT FROM b.{quote(k)}" for k in self.key_names
        )
        found = store.con.sql(
            f"SELECT s.* FROM {quote(store.table)} s "
            f"WHERE EXISTS (SELECT 1 FROM __tws_keys b WHERE {match})"
        ).to_arrow_table()
        release(store.con, "__tws_keys", keys)
        names = found.column("__name").to_pylist()
        items = found.column("__item").to_pylist()
        blobs = found.column("__value").to_pylist()
        expires = found.column("__expires").to_pylist()
        for i in range(found.num_rows):
            key = tuple(found.column(k)[i] for k in self.key_names)
            state = states.setdefault(key_values(key), KeyedState(now_ms=now))
            state.entries[names[i], items[i]] = blobs[i]
            if expires[i] is not None:
                state.expires[names[i], items[i]] = expires[i]
        return states

    def _write(
        self,
        states: dict[tuple[object, ...], KeyedState],
        keys: list[tuple[pa.Scalar, ...]],
        due: pa.Table,
        now: int,
    ) -> None:
        """The batch's changed and removed entries as one state version, and every entry
        whose TTL expired by ``now`` removed (those the batch rewrote excepted)."""
        store = self.store
        assert store is not None
        scalars = {key_values(k): k for k in keys}
        for i in range(due.num_rows):
            key = tuple(due.column(k)[i] for k in self.key_names)
            scalars.setdefault(key_values(key), key)
        upserts: list[Row] = []
        removals: list[Row] = []
        for value_key, state in states.items():
            found = scalars.get(value_key)
            if found is None:
                continue
            key = found
            upserts += [
                (key, n, i, state.entries[n, i], state.expires.get((n, i)))
                for n, i in sorted(state.changed)
            ]
            removals += [(key, n, i, None, None) for n, i in sorted(state.removed)]
        up, gone = self._table(upserts), self._table(removals)
        if up.num_rows:
            register_rows(store.con, "__tws_upserts", up)
        gone = self._with_expired(gone, now, bool(up.num_rows))
        if gone.num_rows:
            register_rows(store.con, "__tws_removals", gone)
        store.commit(
            "__tws_upserts" if up.num_rows else None,
            "__tws_removals" if gone.num_rows else None,
            up if up.num_rows else None,
        )

    def _with_expired(self, removals: pa.Table, now: int, upserted: bool) -> pa.Table:
        """``removals`` and the stored entries whose TTL expired by ``now`` (one query; none
        unless the processor declared a state with a TTL), less those the batch rewrote."""
        store = self.store
        assert store is not None
        uses_ttl = self.spec.uses_ttl
        if not store.rows or uses_ttl is None or not uses_ttl():
            return removals
        match = " AND ".join(f"s.{quote(k)} IS NOT DISTINCT FROM u.{quote(k)}" for k in store.keys)
        rewritten = (
            f" AND NOT EXISTS (SELECT 1 FROM __tws_upserts u WHERE {match})" if upserted else ""
        )
        expired = store.con.sql(
            f"SELECT s.* FROM {quote(store.table)} s WHERE s.__expires <= {int(now)}{rewritten}"
        ).to_arrow_table()
        return pa.concat_tables([removals, expired]) if expired.num_rows else removals

    def _table(self, entries: list[Row]) -> pa.Table:
        columns = [
            pa.array([e[0][j].as_py() for e in entries], self.state_schema.field(k).type)
            for j, k in enumerate(self.key_names)
        ]
        columns.append(pa.array([e[1] for e in entries], pa.string()))
        columns.append(pa.array([e[2] for e in entries], pa.string()))
        columns.append(pa.array([e[3] for e in entries], pa.binary()))
        columns.append(pa.array([e[4] for e in entries], pa.int64()))
        return pa.Table.from_arrays(columns, schema=self.state_schema)
