"""The parts of an incremental plan: stages of batch SQL and the operators between them.

A *stage* is a DuckDB query compiled once by the batch engine over streaming leaves; an
*operator* (``WatermarkOperator`` here, ``aggregate_operator.py``, ``deduplicate_operator.py``)
runs its input stage over the batch's tables and puts its output in ``BatchContext.tables``
under its own leaf's name, for the stages above (``stateful.py`` wires them).
"""

# The SQL here is built from generated identifiers (__k0, __state_1, ...), never user text.

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from kaspar.engine import types as T
from kaspar.engine.arrow_holder import release_rows
from kaspar.engine.execution import Executor
from kaspar.engine.plan import logical as L
from kaspar.engine.streaming.state_store import StateStore, quote
from kaspar.engine.type_conversion import to_arrow
from kaspar.errors import AnalysisException

RELEASE_BYTES = 1 << 20  # batch tables this big are unregistered after use (memory)


def leaf_for(schema: pa.Schema) -> L.StreamingRelation:
    """A streaming leaf with ``schema`` (columns ``c0, c1, ...``, the user's names kept)."""
    empty = schema.empty_table().rename_columns([f"c{i}" for i in range(len(schema))])
    return L.StreamingRelation(empty, tuple(schema.names))


def arrow_schema(schema: T.StructType) -> pa.Schema:
    return pa.schema([pa.field(f.name, to_arrow(f.dataType)) for f in schema.fields])


def as_leaf_table(table: pa.Table, leaf: L.StreamingRelation) -> pa.Table:
    renamed = table.rename_columns([f"c{i}" for i in range(table.num_columns)])
    return renamed.cast(leaf.table.schema)


@dataclass
class BatchContext:
    """What operators share during one batch."""

    tables: dict[str, pa.Table]  # leaf name -> rows (sources, then operator outputs)
    watermark_ms: int
    batch_id: int
    registered: set[str] = field(default_factory=set)  # names registered with the executor
    timestamp_ms: int = 0  # the batch's processing time (``batchTimestampMs`` of its offsets)


@dataclass
class Stage:
    """A compiled query over streaming leaves."""

    sql: str
    schema: T.StructType

    def run(self, executor: Executor, context: BatchContext) -> pa.Table:
        def in_duckdb() -> pa.Table:
            fresh = {n: t for n, t in context.tables.items() if n not in context.registered}
            context.registered.update(fresh)
            return executor.run_stage(self.sql, fresh)

        arrow = executor.arrow_stage(self.sql)  # small chunks without DuckDB: arrow_eval.py
        return in_duckdb() if arrow is None else arrow.run(context.tables, in_duckdb)


class Operator:
    node: L.LogicalPlan
    replacement: L.LogicalPlan  # computes the node's output in the stages above
    leaf: L.StreamingRelation  # the leaf the replacement reads

    def run(self, context: BatchContext) -> None:
        raise NotImplementedError

    def progress(self) -> dict[str, Any] | None:
        return None

    @property
    def evicts_by_watermark(self) -> bool:
        return False

    def emits_leaf_as_is(self, schema: T.StructType) -> bool:
        """Whether, at the root of the plan, the rows this operator leaves in its leaf are the
        query's output ``schema`` as they are (then no output stage runs)."""
        return False


@dataclass
class EventTimeStats:
    max_ms: int | None = None
    min_ms: int | None = None
    avg_ms: float | None = None


class WatermarkOperator(Operator):
    def __init__(self, node: L.EventTimeWatermark, stage: Stage) -> None:
        self.node = node
        self.delay_ms = node.delay_ms
        self.stage = stage
        self.leaf = leaf_for(arrow_schema(stage.schema))
        self.replacement = self.leaf
        names = [n.lower() for n in stage.schema.names]
        if node.event_time.lower() not in names:
            raise AnalysisException(f"Cannot find event time column {node.event_time}")
        self.column = names.index(node.event_time.lower())
        self.max_event_ms: int | None = None  # this operator's maximum over all batches
        self.stats = EventTimeStats()
        self.executor: Executor | None = None

    def run(self, context: BatchContext) -> None:
        assert self.executor is not None
        rows = self.stage.run(self.executor, context)
        self.stats = _event_time_stats(rows.column(self.column))
        if self.stats.max_ms is not None:
            self.max_event_ms = max(self.max_event_ms or self.stats.max_ms, self.stats.max_ms)
        context.tables[self.leaf.name] = as_leaf_table(rows, self.leaf)

    def watermark(self) -> int | None:
        if self.max_event_ms is None:
            return None
        return self.max_event_ms - self.delay_ms


def _event_time_stats(column: pa.ChunkedArray) -> EventTimeStats:
    if len(column) == 0 or column.null_count == len(column):
        return EventTimeStats()
    micros = pc.cast(column, pa.timestamp("us", tz="UTC")).cast(pa.int64())
    low, high = pc.min_max(micros).values()
    mean = pc.mean(micros).as_py()
    return EventTimeStats(high.as_py() // 1000, low.as_py() // 1000, mean / 1000)


class StatefulOperator(Operator):
    operator_name = ""

    def __init__(self) -> None:
        self.store: StateStore | None = None
        self.dropped = 0
        self.update_ms = 0
        self.removal_ms = 0

    @property
    def stores(self) -> list[StateStore]:
        """The operator's state stores (one; a stream-stream join has one per side)."""
        return [] if self.store is None else [self.store]

    def progress(self) -> dict[str, Any] | None:
        store = self.store
        if store is None:
            return None
        metrics = store.metrics
        return {
            "operatorName": self.operator_name,
            "numRowsTotal": store.rows,
            "numRowsUpdated": metrics.get("numRowsUpdated", 0),
            "allUpdatesTimeMs": self.update_ms,
            "numRowsRemoved": metrics.get("numRowsRemoved", 0),
            "allRemovalsTimeMs": self.removal_ms,
            "commitTimeMs": metrics.get("commitTimeMs", 0),
            "memoryUsedBytes": store.memory_bytes(),
            "numRowsDroppedByWatermark": self.dropped,
            "numShufflePartitions": 1,
            "numStateStoreInstances": 1,
            "customMetrics": store.custom_metrics(),
        }


def at_or_before(key: tuple[str, bool], watermark_ms: int) -> str:
    column, is_window = key
    ref = f'{quote(column)}."end"' if is_window else quote(column)
    return f"epoch_ms({ref}) <= {int(watermark_ms)}"


def release(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table) -> None:
    """Let a batch's table (``register_rows``) go once used, if it is big enough for its memory
    to matter (a small one stays until the next batch swaps its own in under the name)."""
    if table.nbytes >= RELEASE_BYTES:
        release_rows(con, name, table.schema)


def elapsed_ms(since: float) -> int:
    return int((time.monotonic() - since) * 1000)


def iso_ms(epoch_ms: float) -> str:
    moment = datetime.fromtimestamp(epoch_ms / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
