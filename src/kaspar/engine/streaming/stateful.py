"""A streaming plan run incrementally: stages of batch SQL between stateful operators.

``IncrementalPlan`` cuts the user's plan at its streaming ``withWatermark``, aggregation and
deduplication nodes. Each cut node becomes an *operator*; the plan between operators becomes
*stages*: DuckDB queries compiled once by the batch engine, where each operator's output is read
from a registered Arrow table instead of being computed (``Executor.prepare_stage``). The nodes
above a cut keep their analysis (attribute ids), so nothing is re-resolved per batch.

Per batch, operators run bottom-up: each runs its input stage over the batch's source rows and
the tables of the operators below it, then does its part:

* ``WatermarkOperator`` passes rows through and records their event-time statistics; after the
  batch the query's watermark becomes ``max(watermark, min over operators(max event time -
  delay))`` (Spark's default ``min`` policy).
* ``AggregateOperator`` computes partial aggregates of the batch per group (``aggregation.py``),
  drops groups whose event-time key is behind the watermark (late rows), merges the rest into
  the state store and emits rows by output mode: every group (complete), the groups this batch
  changed (update) or the groups the watermark closed (append). With a watermark on a grouping
  key, closed groups leave the state (append and update).
* ``DeduplicateOperator`` keeps the first row per key not seen before; keys behind the watermark
  (when the event-time column is part of the key) are dropped from the state and late rows are
  dropped from the input.

The state of all operators lives in one private DuckDB connection (``state_store.py``).
"""

# The SQL here is built from generated identifiers (__k0, __state_1, ...), never user text.
# ruff: noqa: S608

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
from sqlglot import exp

from kaspar.engine import types as T
from kaspar.engine.execution import Executor
from kaspar.engine.plan import logical as L
from kaspar.engine.streaming.aggregation import key_name, layout_aggregate, partial_name
from kaspar.engine.streaming.state_store import StateStore, execute, quote
from kaspar.engine.type_conversion import to_arrow, to_sqlglot
from kaspar.errors import AnalysisException

_CUTS = (L.EventTimeWatermark, L.Aggregate, L.Deduplicate, L.Distinct)
_ROWS = "__n"  # a count(*) partial: input rows per group (for numRowsDroppedByWatermark)
RELEASE_BYTES = 1 << 20  # batch tables this big are unregistered after use (memory)
SMALL_BATCH_ROWS = 1024  # merged rows fetched as Python values up to this many groups


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


@dataclass
class Stage:
    """A compiled query over streaming leaves."""

    sql: str
    schema: T.StructType

    def run(self, executor: Executor, context: BatchContext) -> pa.Table:
        fresh = {n: t for n, t in context.tables.items() if n not in context.registered}
        context.registered.update(fresh)
        return executor.run_stage(self.sql, fresh)


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


class _StatefulOperator(Operator):
    operator_name = ""

    def __init__(self) -> None:
        self.store: StateStore | None = None
        self.dropped = 0
        self.update_ms = 0
        self.removal_ms = 0

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


class AggregateOperator(_StatefulOperator):
    operator_name = "stateStoreSave"

    def __init__(  # noqa: PLR0917 - the parts of one operator
        self,
        node: L.Aggregate,
        executor: Executor,
        cuts: dict[L.LogicalPlan, L.LogicalPlan],
        output_mode: str,
        watermarks: list[str],
        aggregate_names: set[str],
    ) -> None:
        super().__init__()
        if node.grouping_sets:
            raise AnalysisException(
                f"{node.grouping_sets.lower()}() is not supported on streaming DataFrames "
                "by kaspar yet",
                "STREAMING_OPERATOR_NOT_SUPPORTED_YET",
            )
        self.node = node
        self.executor = executor
        self.output_mode = output_mode
        original = executor.schema(node)
        self.layout = layout_aggregate(
            node.aggregates, node.grouping, original.names, lambda n: n.lower() in aggregate_names
        )
        keys = [g.this if isinstance(g, exp.Alias) else g for g in node.grouping]
        named_keys = [
            exp.Alias(this=k.copy(), alias=exp.to_identifier(key_name(i), quoted=True))
            for i, k in enumerate(keys)
        ]
        partials = [
            exp.Alias(this=p, alias=exp.to_identifier(partial_name(i), quoted=True))
            for i, p in enumerate(self.layout.partials)
        ]
        rows = exp.Alias(this=exp.Count(this=exp.Star()), alias=exp.to_identifier(_ROWS))
        partial_plan = L.Aggregate(node.child, tuple(keys), (*named_keys, *partials, rows))
        sql, schema = executor.prepare_stage(partial_plan, cuts)
        self.stage = Stage(sql, schema)
        self.key_names = [key_name(i) for i in range(len(keys))]
        self.state_names = [*self.key_names, *(partial_name(i) for i in range(len(partials)))]
        full = arrow_schema(schema)
        self.state_schema = pa.schema([full.field(n) for n in self.state_names])
        self.leaf = leaf_for(self.state_schema)
        key_names = (
            executor.schema(L.Project(node.child, tuple(k.copy() for k in keys))).names
            if keys
            else []
        )
        self.event_key = _event_time_key(schema, key_names, watermarks)
        if output_mode == "append" and self.event_key is None:
            raise AnalysisException(
                "Append output mode not supported when there are streaming aggregations on "
                "streaming DataFrames/DataSets without watermark (the watermarked column, or a "
                "window over it, must be a grouping key)"
            )
        self._out: pa.Table | None = None  # what the batch emits (None: the whole state)
        self.pairwise = _pairwise(self.layout.merges)
        outputs = []
        for out, target in zip(self.layout.outputs, original.fields, strict=True):
            body = out.this
            if not (isinstance(body, exp.Column) and body.name.startswith("__k")):
                body = exp.Cast(this=body, to=to_sqlglot(target.dataType))
            outputs.append(exp.Alias(this=body, alias=out.args["alias"]))
        self.replacement = L.Project(self.leaf, tuple(outputs))

    @property
    def evicts_by_watermark(self) -> bool:
        return self.event_key is not None and self.output_mode != "complete"

    def attach(self, con: duckdb.DuckDBPyConnection, folder: Path, index: int) -> None:
        self.store = StateStore(con, folder, f"__state_{index}", self.state_schema, self.key_names)

    def run(self, context: BatchContext) -> None:
        """Partials of the batch merged with the stored ones of the same groups, evictions,
        the state commit, and the rows for the stages above. Without evictions, the merge and
        the upsert are one ``MERGE INTO`` (``StateStore.merge``)."""
        store = self.store
        assert store is not None
        con = store.con
        clock = time.monotonic()
        partial = self.stage.run(self.executor, context)
        if partial.num_rows:
            store.row_bytes = max(16, partial.nbytes // partial.num_rows)
        con.register("__batch", partial)
        merge = self._merge_query(con, context.watermark_ms)
        merged = None
        if self._expired_predicate(context.watermark_ms) is None:
            small = partial.num_rows <= SMALL_BATCH_ROWS
            if self.pairwise is not None:  # stored row and batch row combined, no GROUP BY
                late = self._late_predicate(context.watermark_ms)
                where = f" WHERE NOT ({late})" if late is not None else ""
                batch = f"SELECT * FROM __batch{where}"
                merged = store.merge(batch, self.pairwise, small)
            else:
                merged = store.merge(merge, small=small)
        if merged is None:
            self._merge_and_evict(con, merge, context.watermark_ms)
        else:
            self.update_ms, self.removal_ms = _ms(clock), 0
            self._out = merged if self.output_mode == "update" else None
            if self.output_mode == "append":  # nothing closed: nothing to emit
                self._out = merged.slice(0, 0)
        release(con, "__batch", partial)
        out = self._out
        if out is None:  # complete: every group
            columns = ", ".join(quote(n) for n in self.state_names)
            out = con.sql(f"SELECT {columns} FROM {quote(store.table)}").to_arrow_table()
        context.tables[self.leaf.name] = as_leaf_table(out, self.leaf)

    def _merge_and_evict(self, con: duckdb.DuckDBPyConnection, merge: str, wm: int) -> None:
        """The merge kept in Arrow as ``__merged``, the groups the watermark closed taken out
        (``__evicted``), then ``StateStore.commit``; ``_out`` is what the mode emits."""
        store = self.store
        assert store is not None
        clock = time.monotonic()
        merged = con.sql(merge).to_arrow_table()
        con.register("__merged", merged)
        self.update_ms = _ms(clock)
        clock = time.monotonic()
        evicted = self._evict(con, wm)
        self.removal_ms = _ms(clock)
        columns = ", ".join(quote(n) for n in self.state_names)
        self._out = merged if self.output_mode == "update" else None
        if self.output_mode == "append":
            source = "__evicted" if evicted else "__merged LIMIT 0"
            self._out = con.sql(f"SELECT {columns} FROM {source}").to_arrow_table()
        if evicted is None:
            store.commit("__merged", None, merged)
        else:
            execute(
                con,
                f"CREATE OR REPLACE TEMP TABLE __kept AS SELECT * FROM __merged m WHERE NOT EXISTS "
                f"(SELECT 1 FROM __evicted e WHERE {store.match('m', 'e')})",
            )
            store.commit("__kept", evicted)
        release(con, "__merged", merged)

    def _merge_query(self, con: duckdb.DuckDBPyConnection, watermark_ms: int) -> str:
        """SQL: the batch's partials (``__batch``; late groups dropped and counted) merged
        with the stored partials of the same groups, stored first: one row per group."""
        assert self.store is not None
        late = self._late_predicate(watermark_ms)
        columns = ", ".join(quote(n) for n in self.state_names)
        if late is not None:
            row = execute(con, f"SELECT coalesce(sum({_ROWS}), 0) FROM __batch WHERE {late}")[0]
            self.dropped = int(row[0]) if row else 0
            where = f"WHERE NOT ({late})"
        else:
            self.dropped, where = 0, ""
        keys = ", ".join(quote(k) for k in self.key_names)
        merges = ", ".join(
            f"{m} AS {quote(partial_name(i))}" for i, m in enumerate(self.layout.merges)
        )
        group = f"GROUP BY {keys}" if keys else ""
        select_keys = f"{keys}, " if keys else ""
        return (
            f"WITH __in AS (SELECT {columns} FROM __batch {where}) "
            f"SELECT {select_keys}{merges} FROM ("
            f"SELECT 0 AS __o, {columns} FROM {quote(self.store.table)} s "
            f"WHERE EXISTS (SELECT 1 FROM __in b WHERE {self.store.match('s', 'b')}) "
            f"UNION ALL SELECT 1 AS __o, {columns} FROM __in) {group}"
        )

    def _evict(self, con: duckdb.DuckDBPyConnection, watermark_ms: int) -> str | None:
        """``__evicted``: the groups (merged or stored) the watermark closed, if any can be."""
        expired = self._expired_predicate(watermark_ms)
        if expired is None:
            return None
        assert self.store is not None
        columns = ", ".join(quote(n) for n in self.state_names)
        execute(
            con,
            f"CREATE OR REPLACE TEMP TABLE __evicted AS SELECT {columns} FROM __merged "
            f"WHERE {expired} UNION ALL SELECT {columns} FROM {quote(self.store.table)} s "
            f"WHERE {expired} AND NOT EXISTS (SELECT 1 FROM __merged m WHERE "
            f"{self.store.match('s', 'm')})",
        )
        return "__evicted"

    def _late_predicate(self, watermark_ms: int) -> str | None:
        if self.event_key is None or watermark_ms <= 0:
            return None
        return _at_or_before(self.event_key, watermark_ms)

    def _expired_predicate(self, watermark_ms: int) -> str | None:
        if not self.evicts_by_watermark or watermark_ms <= 0:
            return None
        assert self.event_key is not None
        return _at_or_before(self.event_key, watermark_ms)


# How a merge template (aggregation.py) combines one stored row ``s`` and one batch row ``m``
# of a group: (for a stored group, for a new group); {0} is the partial column.
_PAIRWISE = {
    "SUM({0})": ("coalesce(s.{0} + m.{0}, s.{0}, m.{0})", "m.{0}"),
    "MIN({0})": ("least(s.{0}, m.{0})", "m.{0}"),
    "MAX({0})": ("greatest(s.{0}, m.{0})", "m.{0}"),
    "BOOL_AND({0})": ("coalesce(s.{0} AND m.{0}, s.{0}, m.{0})", "m.{0}"),
    "BOOL_OR({0})": ("coalesce(s.{0} OR m.{0}, s.{0}, m.{0})", "m.{0}"),
    "FIRST({0} ORDER BY __o)": ("s.{0}", "m.{0}"),
    "LAST({0} ORDER BY __o)": ("m.{0}", "m.{0}"),
    "FIRST({0} ORDER BY __o) FILTER (WHERE {0} IS NOT NULL)": ("coalesce(s.{0}, m.{0})", "m.{0}"),
    "LAST({0} ORDER BY __o) FILTER (WHERE {0} IS NOT NULL)": ("coalesce(m.{0}, s.{0})", "m.{0}"),
    "FLATTEN(LIST(COALESCE({0}, []) ORDER BY __o))": (
        "list_concat(coalesce(s.{0}, []), coalesce(m.{0}, []))",
        "coalesce(m.{0}, [])",
    ),
    "LIST_DISTINCT(FLATTEN(LIST(COALESCE({0}, []) ORDER BY __o)))": (
        "list_distinct(list_concat(coalesce(s.{0}, []), coalesce(m.{0}, [])))",
        "list_distinct(coalesce(m.{0}, []))",
    ),
}


def _pairwise(merges: list[str]) -> list[tuple[str, str]] | None:
    """The merges as expressions over one stored and one batch row, when every one has such
    a form (the batch's partials are one row per group); None otherwise (``max_by`` ...)."""
    out = []
    for i, merge in enumerate(merges):
        column = quote(partial_name(i))
        pair = _PAIRWISE.get(merge.replace(column, "{0}"))
        if pair is None:
            return None
        out.append((pair[0].format(column), pair[1].format(column)))
    return out


def _at_or_before(key: tuple[str, bool], watermark_ms: int) -> str:
    column, is_window = key
    ref = f'{quote(column)}."end"' if is_window else quote(column)
    return f"epoch_ms({ref}) <= {int(watermark_ms)}"


def _event_time_key(
    schema: T.StructType, names: list[str], watermarks: list[str]
) -> tuple[str, bool] | None:
    """The grouping key carrying event time: a time window, or the watermarked column."""
    if not watermarks:
        return None
    lowered = {w.lower() for w in watermarks}
    for i in range(len(names)):
        dtype = schema.fields[i].dataType
        if isinstance(dtype, T.StructType) and [f.name for f in dtype.fields] == ["start", "end"]:
            return key_name(i), True
    for i, name in enumerate(names):
        if isinstance(schema.fields[i].dataType, T.TimestampType) and name.lower() in lowered:
            return key_name(i), False
    return None


class DeduplicateOperator(_StatefulOperator):
    operator_name = "dedupe"

    def __init__(
        self,
        node: L.Deduplicate | L.Distinct,
        executor: Executor,
        cuts: dict[L.LogicalPlan, L.LogicalPlan],
        watermarks: list[str],
        delays: dict[str, int] | None = None,
    ) -> None:
        super().__init__()
        self.node = node
        self.executor = executor
        sql, schema = executor.prepare_stage(node.child, cuts)
        self.stage = Stage(sql, schema)
        names = schema.names
        lowered = [n.lower() for n in names]
        subset = list(node.subset) if isinstance(node, L.Deduplicate) else names
        self.key_columns: list[int] = []
        for name in subset:
            if name.lower() not in lowered:
                raise AnalysisException(
                    f'Cannot resolve column name "{name}" among ({", ".join(names)})',
                    "UNRESOLVED_COLUMN.WITH_SUGGESTION",
                )
            self.key_columns.append(lowered.index(name.lower()))
        full = arrow_schema(schema)
        self.leaf = leaf_for(full)
        self.replacement = self.leaf
        self.key_names = [f"__k{i}" for i in range(len(self.key_columns))]
        self.state_schema = pa.schema(
            [
                pa.field(k, full.field(c).type)
                for k, c in zip(self.key_names, self.key_columns, strict=True)
            ]
        )
        self.event_key: tuple[str, bool] | None = None
        wm = {w.lower() for w in watermarks}
        self.within: tuple[int, int] | None = None  # (event-time column, delay ms)
        if isinstance(node, L.Deduplicate) and node.within_watermark:
            self.within = _within_watermark(lowered, delays or {})
            self.state_schema = self.state_schema.append(pa.field("__expires", pa.int64()))
            return
        for k, c in zip(self.key_names, self.key_columns, strict=True):
            if lowered[c] in wm and isinstance(schema.fields[c].dataType, T.TimestampType):
                self.event_key = (k, False)

    @property
    def evicts_by_watermark(self) -> bool:
        return self.event_key is not None or self.within is not None

    def attach(self, con: duckdb.DuckDBPyConnection, folder: Path, index: int) -> None:
        self.store = StateStore(con, folder, f"__state_{index}", self.state_schema, self.key_names)

    def run(self, context: BatchContext) -> None:
        store = self.store
        assert store is not None
        con = store.con
        clock = time.monotonic()
        rows = self.stage.run(self.executor, context)
        width = rows.num_columns
        named = rows.rename_columns([f"__c{i}" for i in range(width)])
        named = named.append_column("__r", pa.array(range(rows.num_rows), pa.int64()))
        con.register("__dd_batch", named)
        keyed = ", ".join(
            f"__c{c} AS {quote(k)}" for k, c in zip(self.key_names, self.key_columns, strict=True)
        )
        late = None
        if self.event_key is not None and context.watermark_ms > 0:
            late = _at_or_before(self.event_key, context.watermark_ms)
        stored = keyed
        if self.within is not None:
            column, delay = self.within
            stored += f", epoch_ms(__c{column}) + {delay} AS __expires"
            if context.watermark_ms > 0:
                late = f"epoch_ms(__c{column}) <= {int(context.watermark_ms)}"
        execute(con, f"CREATE OR REPLACE TEMP TABLE __dd_in AS SELECT *, {stored} FROM __dd_batch")
        release(con, "__dd_batch", named)
        if late is not None:
            row = execute(con, f"SELECT count(*) FROM __dd_in WHERE {late}")[0]
            self.dropped = int(row[0]) if row else 0
            execute(con, f"DELETE FROM __dd_in WHERE {late}")
        else:
            self.dropped = 0
        keys = ", ".join(quote(k) for k in self.key_names)
        state = quote(store.table)
        execute(
            con,
            "CREATE OR REPLACE TEMP TABLE __dd_new AS SELECT * FROM __dd_in i "
            f"WHERE NOT EXISTS (SELECT 1 FROM {state} s WHERE {store.match('s', 'i')}) "
            f"QUALIFY row_number() OVER (PARTITION BY {keys} ORDER BY __r) = 1 ORDER BY __r",
        )
        original = ", ".join(f"__c{i}" for i in range(width))
        out = con.sql(f"SELECT {original} FROM __dd_new ORDER BY __r").to_arrow_table()
        kept = f"{keys}, __expires" if self.within is not None else keys
        execute(con, f"CREATE OR REPLACE TEMP TABLE __dd_keys AS SELECT {kept} FROM __dd_new")
        self.update_ms = _ms(clock)
        clock = time.monotonic()
        removals = None
        expired = None
        if self.event_key is not None and context.watermark_ms > 0:
            expired = _at_or_before(self.event_key, context.watermark_ms)
        if self.within is not None and context.watermark_ms > 0:
            expired = f"__expires <= {int(context.watermark_ms)}"
        if expired is not None:
            execute(
                con,
                f"CREATE OR REPLACE TEMP TABLE __dd_expired AS "
                f"SELECT {keys} FROM {state} WHERE {expired}",
            )
            removals = "__dd_expired"
        self.removal_ms = _ms(clock)
        store.commit("__dd_keys", removals)
        table = out.rename_columns(rows.column_names)
        context.tables[self.leaf.name] = as_leaf_table(table, self.leaf)


def release(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table) -> None:
    """Unregister a batch's table once used, if it is big enough for its memory to matter (a
    small one stays until the next batch registers its own under the name)."""
    if table.nbytes >= RELEASE_BYTES:
        con.unregister(name)


def _within_watermark(columns: list[str], delays: dict[str, int]) -> tuple[int, int]:
    """The event-time column and delay that ``dropDuplicatesWithinWatermark`` keys expire by."""
    for name, delay in delays.items():
        if name in columns:
            return columns.index(name), delay
    raise AnalysisException(
        "dropDuplicatesWithinWatermark is not supported on streaming DataFrames/DataSets "
        "without watermark",
        "STREAMING_DEDUPLICATION_WITHIN_WATERMARK_WITHOUT_WATERMARK",
    )


def _ms(since: float) -> int:
    return int((time.monotonic() - since) * 1000)


def iso_ms(epoch_ms: float) -> str:
    moment = datetime.fromtimestamp(epoch_ms / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass
class IncrementalPlan:
    """The operators and the output stage of one streaming query."""

    executor: Executor
    output: Stage
    operators: list[Operator] = field(default_factory=list)
    con: duckdb.DuckDBPyConnection | None = None

    sources: dict[L.StreamingRelation, L.StreamingRelation] = field(default_factory=dict)

    @staticmethod
    def build(plan: L.LogicalPlan, executor: Executor, output_mode: str) -> IncrementalPlan:
        """Compile the stages of one query. Each of the plan's streaming relations is read from
        a leaf of this query's own (``sources``), so queries started from the same DataFrame
        never register their batches under the same name nor share a compiled stage."""
        sources = {r: _own_leaf(r) for r in _relations(plan)}
        cuts: dict[L.LogicalPlan, L.LogicalPlan] = dict(sources.items())
        operators: list[Operator] = []
        aggregate_names = _aggregate_function_names()
        for node in _post_order(plan):
            if not isinstance(node, _CUTS) or not node.is_streaming:
                continue
            marks = [w for w in _post_order(node) if isinstance(w, L.EventTimeWatermark)]
            watermarks = [w.event_time for w in marks]
            delays = {w.event_time.lower(): w.delay_ms for w in marks}
            operator: Operator
            if isinstance(node, L.EventTimeWatermark):
                sql, schema = executor.prepare_stage(node.child, cuts)
                operator = WatermarkOperator(node, Stage(sql, schema))
                operator.executor = executor
            elif isinstance(node, L.Aggregate):
                operator = AggregateOperator(
                    node, executor, cuts, output_mode, watermarks, aggregate_names
                )
            else:
                operator = DeduplicateOperator(node, executor, cuts, watermarks, delays)
            cuts[node] = operator.replacement
            operators.append(operator)
        sql, schema = executor.prepare_stage(plan, cuts)
        return IncrementalPlan(executor, Stage(sql, schema), operators, sources=sources)

    @property
    def stateful(self) -> list[_StatefulOperator]:
        return [o for o in self.operators if isinstance(o, _StatefulOperator)]

    @property
    def watermark_operators(self) -> list[WatermarkOperator]:
        return [o for o in self.operators if isinstance(o, WatermarkOperator)]

    def open_state(self, folder: Path, version: int) -> None:
        """Load every stateful operator's state at ``version`` (the batch about to run)."""
        if not self.stateful:
            return
        if self.con is None:
            self.con = duckdb.connect(":memory:")
            execute(self.con, "SET TimeZone = 'UTC'")
            execute(self.con, "SET preserve_insertion_order = true")
            for index, operator in enumerate(self.stateful):
                operator.attach(self.con, folder / str(index) / "0", index)  # type: ignore[attr-defined]
        for operator in self.stateful:
            assert operator.store is not None
            operator.store.load(version)

    def run(self, tables: dict[str, pa.Table], watermark_ms: int, batch_id: int) -> pa.Table:
        context = BatchContext(dict(tables), watermark_ms, batch_id)
        try:
            for operator in self.operators:
                operator.run(context)
            return self.output.run(self.executor, context)
        finally:
            registered = {n: context.tables[n] for n in context.registered}
            big = {n: t for n, t in registered.items() if t.nbytes >= RELEASE_BYTES}
            if big:
                self.executor.release_stage_tables(big)

    def take_syncs(self) -> list[Future[None]]:
        """The fsyncs of every operator's state files written so far (the commit waits)."""
        return [f for o in self.stateful if o.store is not None for f in o.store.take_syncs()]

    def next_watermark(self, current_ms: int) -> int:
        marks = [m for m in (o.watermark() for o in self.watermark_operators) if m is not None]
        if not marks:
            return current_ms
        return max(current_ms, min(marks))

    def wants_batch_without_data(self, current_ms: int, next_ms: int) -> bool:
        """Spark's no-data batch: the watermark moved and some state is evicted by it."""
        return next_ms > current_ms and any(o.evicts_by_watermark for o in self.stateful)

    def event_time(self, watermark_ms: int) -> dict[str, str]:
        if not self.watermark_operators:
            return {}
        report: dict[str, str] = {}
        stats = [o.stats for o in self.watermark_operators if o.stats.max_ms is not None]
        if stats:
            report["avg"] = iso_ms(sum(s.avg_ms or 0 for s in stats) / len(stats))
            report["max"] = iso_ms(max(s.max_ms or 0 for s in stats))
            report["min"] = iso_ms(min(s.min_ms or 0 for s in stats))
        report["watermark"] = iso_ms(watermark_ms)
        return report

    def state_progress(self) -> list[dict[str, Any]]:
        return [p for p in (o.progress() for o in self.stateful) if p is not None]

    def close(self) -> None:
        stages = [getattr(o, "stage", None) for o in self.operators]
        sqls = [self.output.sql, *(s.sql for s in stages if isinstance(s, Stage))]
        self.executor.forget_stages(sqls)
        for operator in self.stateful:
            if operator.store is not None:
                operator.store.wait_for_snapshot()
                with contextlib.suppress(OSError):
                    operator.store.wait_durable()
        if self.con is not None:
            with contextlib.suppress(duckdb.Error):
                self.con.close()
            self.con = None


def _own_leaf(relation: L.StreamingRelation) -> L.StreamingRelation:
    schema = relation.table.schema
    return leaf_for(
        pa.schema([f.with_name(n) for f, n in zip(schema, relation.names, strict=True)])
    )


def _relations(plan: L.LogicalPlan) -> list[L.StreamingRelation]:
    return [n for n in _post_order(plan) if isinstance(n, L.StreamingRelation)]


def _post_order(plan: L.LogicalPlan) -> Iterator[L.LogicalPlan]:
    seen: set[int] = set()

    def visit(node: L.LogicalPlan) -> Iterator[L.LogicalPlan]:
        if id(node) in seen:
            return
        seen.add(id(node))
        for child in node.children:
            yield from visit(child)
        yield node

    yield from visit(plan)


_AGGREGATE_NAMES: set[str] = set()


def _aggregate_function_names() -> set[str]:
    if not _AGGREGATE_NAMES:
        con = duckdb.connect(":memory:")
        try:
            rows = execute(
                con,
                "SELECT DISTINCT lower(function_name) FROM duckdb_functions() "
                "WHERE function_type = 'aggregate'",
            )
        finally:
            con.close()
        _AGGREGATE_NAMES.update(r[0] for r in rows)
        _AGGREGATE_NAMES.update(
            {
                "percentile",
                "percentile_approx",
                "approx_percentile",
                "collect_list",
                "collect_set",
                "count_min_sketch",
                "hll_sketch_agg",
                "try_avg",
                "try_sum",
                "regr_count",
            }
        )
    return _AGGREGATE_NAMES
