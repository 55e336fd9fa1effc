"""The streaming aggregation operator: partials per group merged into the state store.

Per batch: the input stage computes the batch's partial aggregates per group
(``aggregation.py``); late groups (event-time key at or behind the watermark) are dropped and
counted; the rest is merged into the state store and the output mode picks the rows to emit.

* Without evictions this batch, merge and upsert are **one** ``MERGE INTO ... RETURNING``
  (``StateStore.merge``). When every aggregate's merge has a row-by-row form (``_PAIRWISE``:
  ``sum``, ``count``, ``min``/``max``, ``first``/``last``, ``collect_*``, ``bool_*``, and what
  is built from them: ``avg``, ``stddev``...), the batch's rows (one per group) are merged
  with the stored row directly; otherwise (``max_by``/``min_by``) through a ``GROUP BY`` over
  the stored and the batch's partials, stored first.
* With evictions (a watermark on a grouping key, append/update), the merge is kept in Arrow,
  the groups the watermark closed are taken out, then ``StateStore.commit``.
"""

# The SQL here is built from generated identifiers (__k0, __state_1, ...), never user text.
# ruff: noqa: S608

from __future__ import annotations

import time
from pathlib import Path

import duckdb
import pyarrow as pa
from sqlglot import exp

from kaspar.engine import types as T
from kaspar.engine.arrow_holder import register_rows
from kaspar.engine.execution import Executor
from kaspar.engine.plan import logical as L
from kaspar.engine.streaming.aggregation import key_name, layout_aggregate, partial_name
from kaspar.engine.streaming.stages import (
    BatchContext,
    Stage,
    StatefulOperator,
    arrow_schema,
    as_leaf_table,
    at_or_before,
    elapsed_ms,
    leaf_for,
    release,
)
from kaspar.engine.streaming.state_store import StateStore, execute, quote
from kaspar.engine.type_conversion import to_sqlglot
from kaspar.errors import AnalysisException

_ROWS = "__n"  # a count(*) partial: input rows per group (for numRowsDroppedByWatermark)
SMALL_BATCH_ROWS = 1024  # merged rows fetched as Python values up to this many groups


class AggregateOperator(StatefulOperator):
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

    def emits_leaf_as_is(self, schema: T.StructType) -> bool:
        """Whether the rows of the leaf are already the output ``schema`` of this operator's
        replacement: each output is its state column, in order, at most cast to the type the
        column has (``count``, ``sum``, ``min``/``max``, ``first``/``last``, ``collect_*``)."""
        assert isinstance(self.replacement, L.Project)
        outputs = self.replacement.expressions
        if len(outputs) != len(self.state_names):
            return False
        for output, name in zip(outputs, self.state_names, strict=True):
            body = output.this if isinstance(output, exp.Alias) else output
            body = body.this if isinstance(body, exp.Cast) else body
            if not (isinstance(body, exp.Column) and body.name == name):
                return False
        wanted = [f.type for f in arrow_schema(schema)]
        return wanted == [f.type for f in self.leaf.table.schema]

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
        register_rows(con, "__batch", partial)
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
            self.update_ms, self.removal_ms = elapsed_ms(clock), 0
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
        register_rows(con, "__merged", merged)
        self.update_ms = elapsed_ms(clock)
        clock = time.monotonic()
        evicted = self._evict(con, wm)
        self.removal_ms = elapsed_ms(clock)
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
        return at_or_before(self.event_key, watermark_ms)

    def _expired_predicate(self, watermark_ms: int) -> str | None:
        if not self.evicts_by_watermark or watermark_ms <= 0:
            return None
        assert self.event_key is not None
        return at_or_before(self.event_key, watermark_ms)


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
