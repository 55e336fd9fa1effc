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

The state of all operators lives in one private DuckDB connection (``state_store.py``). The
operators live in ``stages.py`` (the watermark), ``aggregate_operator.py`` and
``deduplicate_operator.py``. When the plan ends with a deduplication, or an aggregation whose
outputs are its state columns as they are (``count``, ``sum``, ``min``/``max`` ...), the output
stage is skipped: the operator's rows are the batch's output (``direct_output``).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from kaspar.engine.execution import Executor
from kaspar.engine.plan import logical as L
from kaspar.engine.streaming.aggregate_operator import AggregateOperator
from kaspar.engine.streaming.deduplicate_operator import DeduplicateOperator
from kaspar.engine.streaming.group_state_operator import GroupStateOperator
from kaspar.engine.streaming.session_window_operator import (
    SessionWindowOperator,
    is_session_aggregate,
)
from kaspar.engine.streaming.stages import (
    RELEASE_BYTES,
    BatchContext,
    Operator,
    Stage,
    StatefulOperator,
    WatermarkOperator,
    iso_ms,
    leaf_for,
)
from kaspar.engine.streaming.state_store import execute
from kaspar.engine.streaming.stream_join_operator import StreamJoinOperator
from kaspar.engine.streaming.transform_state_operator import TransformWithStateOperator

__all__ = [
    "AggregateOperator",
    "DeduplicateOperator",
    "IncrementalPlan",
    "SessionWindowOperator",
    "StreamJoinOperator",
    "WatermarkOperator",
]

_CUTS = (
    L.EventTimeWatermark,
    L.Aggregate,
    L.Deduplicate,
    L.Distinct,
    L.Join,
    L.FlatMapGroupsWithState,
    L.TransformWithState,
)


@dataclass
class IncrementalPlan:
    """The operators and the output stage of one streaming query."""

    executor: Executor
    output: Stage
    operators: list[Operator] = field(default_factory=list)
    con: duckdb.DuckDBPyConnection | None = None

    sources: dict[L.StreamingRelation, L.StreamingRelation] = field(default_factory=dict)
    direct_output: str | None = None  # the leaf whose rows are the output (aggregate at the root)

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
            if isinstance(node, L.Join) and not all(c.is_streaming for c in node.children):
                continue  # a stream-static join is a stage
            marks = [w for w in _post_order(node) if isinstance(w, L.EventTimeWatermark)]
            watermarks = [w.event_time for w in marks]
            delays = {w.event_time.lower(): w.delay_ms for w in marks}
            operator: Operator
            if isinstance(node, L.EventTimeWatermark):
                sql, schema = executor.prepare_stage(node.child, cuts)
                operator = WatermarkOperator(node, Stage(sql, schema))
                operator.executor = executor
            elif isinstance(node, L.Join):
                sides = tuple(_watermarks(c) for c in node.children)
                operator = StreamJoinOperator(node, executor, cuts, (sides[0], sides[1]))
            elif isinstance(node, L.FlatMapGroupsWithState):
                operator = GroupStateOperator(node, executor, cuts, watermarks)
            elif isinstance(node, L.TransformWithState):
                operator = TransformWithStateOperator(node, executor, cuts, watermarks)
            elif isinstance(node, L.Aggregate):
                kind = SessionWindowOperator if is_session_aggregate(node) else AggregateOperator
                operator = kind(node, executor, cuts, output_mode, watermarks, aggregate_names)
            else:
                operator = DeduplicateOperator(node, executor, cuts, watermarks, delays)
            cuts[node] = operator.replacement
            operators.append(operator)
        sql, schema = executor.prepare_stage(plan, cuts)
        incremental = IncrementalPlan(executor, Stage(sql, schema), operators, sources=sources)
        last = operators[-1] if operators else None
        if last is not None and last.node is plan and last.emits_leaf_as_is(schema):
            incremental.direct_output = last.leaf.name  # no output stage: one DuckDB trip less
        return incremental

    @property
    def stateful(self) -> list[StatefulOperator]:
        return [o for o in self.operators if isinstance(o, StatefulOperator)]

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
            for store in operator.stores:
                store.load(version)

    def run(
        self,
        tables: dict[str, pa.Table],
        watermark_ms: int,
        batch_id: int,
        timestamp_ms: int | None = None,
    ) -> pa.Table:
        now = int(time.time() * 1000) if timestamp_ms is None else timestamp_ms
        context = BatchContext(dict(tables), watermark_ms, batch_id, timestamp_ms=now)
        try:
            for operator in self.operators:
                operator.run(context)
            if self.direct_output is not None:
                return context.tables[self.direct_output]
            return self.output.run(self.executor, context)
        finally:
            registered = {n: context.tables[n] for n in context.registered}
            big = {n: t for n, t in registered.items() if t.nbytes >= RELEASE_BYTES}
            if big:
                self.executor.release_stage_tables(big)

    def take_syncs(self) -> list[Future[None]]:
        """The fsyncs of every operator's state files written so far (the commit waits)."""
        return [f for o in self.stateful for s in o.stores for f in s.take_syncs()]

    def next_watermark(self, current_ms: int) -> int:
        """Spark's ``WatermarkTracker`` with the ``min`` policy: an operator that has seen no
        row since the query (re)started counts as 0, so the watermark waits for every input."""
        marks = [o.watermark() for o in self.watermark_operators]
        if not marks:
            return current_ms
        return max(current_ms, min(m or 0 for m in marks))

    def wants_batch_without_data(self, current_ms: int, next_ms: int) -> bool:
        """Spark's no-data batch: the watermark moved and some state is evicted by it, or a
        group's processing-time timeout is due."""
        if next_ms > current_ms and any(o.evicts_by_watermark for o in self.stateful):
            return True
        timed = (GroupStateOperator, TransformWithStateOperator)
        return any(o.timeouts_due() for o in self.stateful if isinstance(o, timed))

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
        for store in (s for o in self.stateful for s in o.stores):
            store.wait_for_snapshot()
            with contextlib.suppress(OSError):
                store.wait_durable()
        if self.con is not None:
            with contextlib.suppress(duckdb.Error):
                self.con.close()
            self.con = None


def _watermarks(plan: L.LogicalPlan) -> list[str]:
    return [w.event_time for w in _post_order(plan) if isinstance(w, L.EventTimeWatermark)]


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
