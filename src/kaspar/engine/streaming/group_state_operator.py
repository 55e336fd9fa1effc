"""The streaming operator of ``applyInPandasWithState`` (Spark's ``FlatMapGroupsWithState``):
the user's function once per group of the batch, with the group's state, then once per key
whose timeout expired and that had no rows in the batch.

The state is a state store (``state_store.py``) keyed by the grouping keys: the state's columns
as the user declared them, plus ``__timeout`` (epoch milliseconds, -1 for none). Per batch the
stored states of the batch's keys are read in one query, the functions run (Python per group:
the API's contract), and the changed states are written back in one ``commit`` (upserts and
removals), as one state version per batch like every stateful operator, so a restarted query
resumes from the state of its last committed batch and re-runs the batch after it exactly.

Timeouts, as Spark's: with ``ProcessingTimeTimeout`` a key's timeout is the batch's timestamp
(``batchTimestampMs`` of its offsets entry, so a re-run batch sees the same time) plus the
duration set; with ``EventTimeTimeout`` the timestamp set, compared with the watermark. A
timed-out key (its timeout before the time or the watermark) is called with no rows and
``hasTimedOut``; its timeout is cleared first, so it
fires once unless the function sets a new one. Batches without data run when a watermark
move or the clock makes a timeout due.
"""

# The SQL here is built from generated identifiers (__k0, __s0, __state_1, ...), never user text.
# ruff: noqa: S608

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from kaspar.engine.arrow_groups import key_values, split_groups
from kaspar.engine.arrow_holder import register_rows
from kaspar.engine.execution import Executor
from kaspar.engine.plan import logical as L
from kaspar.engine.streaming.stages import (
    BatchContext,
    Stage,
    StatefulOperator,
    arrow_schema,
    as_leaf_table,
    elapsed_ms,
    leaf_for,
    release,
)
from kaspar.engine.streaming.state_store import StateStore, quote

NO_TIMESTAMP = -1
PROCESSING_TIME = "ProcessingTimeTimeout"
EVENT_TIME = "EventTimeTimeout"


@dataclass
class StateSlot:
    """One key's state while its function runs; the SQL layer's ``GroupState`` reads and
    writes it."""

    value: tuple[Any, ...] | None
    timeout_ms: int
    has_timed_out: bool
    watermark_ms: int
    watermark_present: bool
    processing_ms: int
    timeout_conf: str
    updated: bool = False
    removed: bool = False

    def __post_init__(self) -> None:
        self.stored_timeout_ms = self.timeout_ms

    @property
    def to_store(self) -> bool:
        """The key's row is written: its value or its timeout changed, and it stays."""
        if self.removed or self.value is None:
            return False
        return self.updated or self.timeout_ms != self.stored_timeout_ms


class KeyedFunctionOperator(StatefulOperator):
    """What the operators running a Python function per key share: the input stage (keys
    first), the watermark's column, the output leaf and the key columns of the state."""

    def __init__(
        self,
        node: L.FlatMapGroupsWithState | L.TransformWithState,
        executor: Executor,
        cuts: dict[L.LogicalPlan, L.LogicalPlan],
        watermarks: list[str],
    ) -> None:
        super().__init__()
        self.node = node
        self.executor = executor
        sql, schema = executor.prepare_stage(node.child, cuts)
        self.stage = Stage(sql, schema)
        self.watermark_present = bool(watermarks)
        # rows behind the watermark are late and dropped before the function sees them
        self.event_time = event_time_column(schema.names, node.n_keys, watermarks)
        self.input_schema = arrow_schema(schema)
        self.key_names = [f"__k{i}" for i in range(node.n_keys)]
        self.key_fields = [
            pa.field(k, self.input_schema.field(i).type) for i, k in enumerate(self.key_names)
        ]
        self.leaf = leaf_for(arrow_schema(node.output))
        self.replacement = self.leaf


class GroupStateOperator(KeyedFunctionOperator):
    operator_name = "flatMapGroupsWithState"

    def __init__(
        self,
        node: L.FlatMapGroupsWithState,
        executor: Executor,
        cuts: dict[L.LogicalPlan, L.LogicalPlan],
        watermarks: list[str],
    ) -> None:
        super().__init__(node, executor, cuts, watermarks)
        self.spec = node
        state_fields = arrow_schema(node.state)
        self.value_names = [f"__s{i}" for i in range(len(state_fields))]
        self.state_schema = pa.schema(
            self.key_fields
            + [pa.field(n, f.type) for n, f in zip(self.value_names, state_fields, strict=True)]
            + [pa.field("__timeout", pa.int64())]
        )

    @property
    def evicts_by_watermark(self) -> bool:
        return self.spec.timeout == EVENT_TIME

    def attach(self, con: duckdb.DuckDBPyConnection, folder: Path, index: int) -> None:
        self.store = StateStore(con, folder, f"__state_{index}", self.state_schema, self.key_names)

    def timeouts_due(self) -> bool:
        """A processing-time timeout is due now: worth a batch without data."""
        store = self.store
        if self.spec.timeout != PROCESSING_TIME or store is None or not store.rows:
            return False
        now = int(time.time() * 1000)
        found = store.con.sql(
            f"SELECT 1 FROM {quote(store.table)} WHERE __timeout <> {NO_TIMESTAMP} "
            f"AND __timeout < {now} LIMIT 1"
        ).fetchall()
        return len(found) > 0

    def run(self, context: BatchContext) -> None:
        store = self.store
        assert store is not None
        clock = time.monotonic()
        rows = self._on_time(self.stage.run(self.executor, context), context.watermark_ms)
        n = self.spec.n_keys
        groups = split_groups(rows, n)
        stored = self._stored(rows.select(list(range(n))) if groups else None)
        outputs: list[pa.Table] = []
        changed: list[tuple[tuple[pa.Scalar, ...], StateSlot]] = []
        for key, group in groups:
            value, timeout = stored.pop(key_values(key), (None, NO_TIMESTAMP))
            slot = self._slot(context, value, timeout, timed_out=False)
            outputs.extend(self.spec.process(key, group, slot))
            changed.append((key, slot))
        for key, value in self._timed_out(context, {key_values(k) for k, _ in groups}):
            slot = self._slot(context, value, NO_TIMESTAMP, timed_out=True)
            slot.stored_timeout_ms = 0  # the cleared timeout is written even if nothing changes
            empty = rows.select(list(range(n, rows.num_columns))).schema.empty_table()
            outputs.extend(self.spec.process(key, empty, slot))
            changed.append((key, slot))
        self.update_ms = elapsed_ms(clock)
        clock = time.monotonic()
        self._write(changed)
        self.removal_ms = elapsed_ms(clock)
        target = arrow_schema(self.spec.output)
        table = pa.concat_tables(outputs) if outputs else target.empty_table()
        context.tables[self.leaf.name] = as_leaf_table(table, self.leaf)

    def _on_time(self, rows: pa.Table, watermark_ms: int) -> pa.Table:
        kept = drop_late(rows, self.event_time, watermark_ms)
        self.dropped = rows.num_rows - kept.num_rows
        return kept

    def _slot(
        self, context: BatchContext, value: tuple[Any, ...] | None, timeout: int, timed_out: bool
    ) -> StateSlot:
        return StateSlot(
            value=value,
            timeout_ms=timeout,
            has_timed_out=timed_out,
            watermark_ms=context.watermark_ms if self.watermark_present else NO_TIMESTAMP,
            watermark_present=self.watermark_present,
            processing_ms=context.timestamp_ms,
            timeout_conf=self.spec.timeout,
        )

    def _stored(self, keys: pa.Table | None) -> dict[tuple[object, ...], tuple[Any, int]]:
        """The stored state and timeout of each of the batch's keys (one query)."""
        store = self.store
        assert store is not None
        if keys is None or not store.rows:
            return {}
        named = keys.rename_columns(self.key_names)
        register_rows(store.con, "__gs_keys", named)
        found = store.con.sql(
            f"SELECT s.* FROM {quote(store.table)} s "
            f"WHERE EXISTS (SELECT 1 FROM __gs_keys b WHERE {store.match('s', 'b')})"
        ).to_arrow_table()
        release(store.con, "__gs_keys", named)
        return self._by_key(found)

    def _timed_out(
        self, context: BatchContext, seen: set[tuple[object, ...]]
    ) -> list[tuple[tuple[pa.Scalar, ...], tuple[Any, ...] | None]]:
        """Keys whose timeout passed (the clock, or the watermark) and had no rows now."""
        store = self.store
        assert store is not None
        if self.spec.timeout == PROCESSING_TIME:
            limit = context.timestamp_ms
        elif self.spec.timeout == EVENT_TIME and self.watermark_present:
            limit = context.watermark_ms
        else:
            return []
        if not store.rows:
            return []
        due = store.con.sql(
            f"SELECT * FROM {quote(store.table)} WHERE __timeout <> {NO_TIMESTAMP} "
            f"AND __timeout < {int(limit)}"
        ).to_arrow_table()
        out: list[tuple[tuple[pa.Scalar, ...], tuple[Any, ...] | None]] = []
        for i in range(due.num_rows):
            key = tuple(due.column(k)[i] for k in self.key_names)
            if key_values(key) not in seen:
                out.append((key, tuple(due.column(v)[i].as_py() for v in self.value_names)))
        return out

    def _by_key(self, table: pa.Table) -> dict[tuple[object, ...], tuple[Any, int]]:
        found: dict[tuple[object, ...], tuple[Any, int]] = {}
        values = [table.column(v).to_pylist() for v in self.value_names]
        timeouts = table.column("__timeout").to_pylist()
        for i in range(table.num_rows):
            key = tuple(table.column(k)[i] for k in self.key_names)
            found[key_values(key)] = (tuple(v[i] for v in values), timeouts[i])
        return found

    def _write(self, changed: list[tuple[tuple[pa.Scalar, ...], StateSlot]]) -> None:
        """The batch's state changes as one state version: upserts and removals."""
        store = self.store
        assert store is not None
        upserts = [(k, s) for k, s in changed if s.to_store]
        removals = [k for k, s in changed if s.removed]
        up_rows = self._rows(upserts)
        gone = pa.Table.from_arrays(
            [pa.array([k[i].as_py() for k in removals], f.type) for i, f in enumerate(self._keys)],
            schema=pa.schema(self._keys),
        )
        if up_rows.num_rows:
            register_rows(store.con, "__gs_upserts", up_rows)
        if gone.num_rows:
            register_rows(store.con, "__gs_removals", gone)
        store.commit(
            "__gs_upserts" if up_rows.num_rows else None,
            "__gs_removals" if gone.num_rows else None,
            up_rows if up_rows.num_rows else None,
        )

    @property
    def _keys(self) -> list[pa.Field]:
        return [self.state_schema.field(k) for k in self.key_names]

    def _rows(self, upserts: list[tuple[tuple[pa.Scalar, ...], StateSlot]]) -> pa.Table:
        columns: list[pa.Array] = []
        for i, f in enumerate(self._keys):
            columns.append(pa.array([k[i].as_py() for k, _ in upserts], f.type))
        for j, name in enumerate(self.value_names):
            f = self.state_schema.field(name)
            columns.append(pa.array([s.value[j] if s.value else None for _, s in upserts], f.type))
        timeouts = [s.timeout_ms for _, s in upserts]
        columns.append(pa.array(timeouts, pa.int64()))
        return pa.Table.from_arrays(columns, schema=self.state_schema)


def event_time_column(names: list[str], n_keys: int, watermarks: list[str]) -> int | None:
    """Which input column (after the keys) carries the watermark, if any."""
    lowered = [n.lower() for n in names[n_keys:]]
    return next(
        (n_keys + lowered.index(w.lower()) for w in watermarks if w.lower() in lowered), None
    )


def drop_late(rows: pa.Table, column: int | None, watermark_ms: int) -> pa.Table:
    """``rows`` without those at or behind the watermark (Spark's late rows)."""
    if column is None or watermark_ms <= 0 or not rows.num_rows:
        return rows
    moment = pa.scalar(watermark_ms * 1000, pa.timestamp("us", tz="UTC"))
    times = rows.column(column).cast(pa.timestamp("us", tz="UTC"))
    late = pc.fill_null(pc.less_equal(times, moment), False)
    return rows.filter(pc.invert(late))
