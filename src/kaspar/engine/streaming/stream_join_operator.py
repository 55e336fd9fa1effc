"""The stream-stream join operator: Spark's symmetric hash join, in DuckDB.

Both sides keep the rows they have seen in a state store each (``left``, ``right``): every
input column, a row id (``__id``, the key) and whether the row has matched (``__matched``,
for outer and semi joins). A batch (``run``), in the order of Spark's
``StreamingSymmetricHashJoinExec``:

1. Each side's new rows: those at or behind the watermark on the side's watermarked column are
   dropped (late); the rest are *kept* for the state unless its watermark predicate would
   evict them at once.
2. New left rows join the right state as it was before the batch (pairs ``p1``).
3. New right rows join the left state plus the kept new left rows (pairs ``p2``): so
   ``new-left x (old-right + new-right) + old-left x new-right``, each pair once.
4. The output: every pair (inner, outer); a left row once, at its first match (left semi).
5. Outer joins: the rows of the outer side(s) that the watermark evicts now and that never
   matched, padded with nulls (only now does the watermark guarantee no match can come).
6. Each state store commits one version: the kept new rows, the stored rows that matched for
   the first time (``__matched``), the evicted rows removed (``join_state_watermark.py``).

Everything is set operations over the batch's Arrow tables and the state tables; the condition
and the output columns are the analysed join's, generated once as DuckDB SQL.
"""

# The SQL here is built from generated identifiers and the analysed join's own expressions.
# ruff: noqa: S608

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from sqlglot import exp

from kaspar.engine import types as T
from kaspar.engine.arrow_holder import register_rows
from kaspar.engine.compile.dialect import generate
from kaspar.engine.compile.typed_rewrites import TYPED, resolve_typed
from kaspar.engine.execution import Executor
from kaspar.engine.plan import logical as L
from kaspar.engine.plan.analyzer import analyze
from kaspar.engine.streaming.join_state_watermark import (
    attribute_id,
    conjuncts,
    equi_pairs,
    state_value_watermark,
)
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
from kaspar.engine.streaming.state_store import StateStore, execute, quote
from kaspar.errors import AnalysisException

_SPARK_JOIN_TYPES = {
    "inner": "Inner",
    "cross": "Inner",
    "left": "LeftOuter",
    "right": "RightOuter",
    "full": "FullOuter",
    "left_semi": "LeftSemi",
}


@dataclass
class JoinSide:
    """One input of the join: its stage, its attributes and its state."""

    name: str  # "left" or "right"
    stage: Stage
    columns: list[str]  # the analysed attributes' SQL names ("_12"), in input order
    order: list[int]  # their attribute ids, in input order
    watermark: tuple[int, bool] | None  # the input column carrying the watermark (is a window)
    time_ids: set[int] = field(default_factory=set)  # watermarked timestamp attributes
    windows: set[int] = field(default_factory=set)  # time-window attributes (with a watermark)
    key_column: tuple[int, bool] | None = None  # (column, is a window) of a watermarked key
    pre_filter: str | None = None  # the condition's conjuncts on this side only (SQL)
    store: StateStore | None = None

    @property
    def ids(self) -> set[int]:
        return set(self.order)

    @property
    def tag(self) -> str:
        return self.name[0]  # "l" / "r": __lid, __lm, ...

    def state_schema(self) -> pa.Schema:
        values = arrow_schema(self.stage.schema)
        return pa.schema(
            [
                pa.field("__id", pa.int64()),
                pa.field("__matched", pa.bool_()),
                *(pa.field(f"__c{i}", f.type) for i, f in enumerate(values)),
            ]
        )

    def view(self, source: str) -> str:
        """SQL: ``source``'s rows under the attribute names the condition uses."""
        values = ", ".join(f"__c{i} AS {quote(c)}" for i, c in enumerate(self.columns))
        return (
            f"(SELECT __id AS __{self.tag}id, __matched AS __{self.tag}m, {values} FROM {source})"
        )

    @property
    def raw(self) -> str:
        return ", ".join(["__id", "__matched", *(f"__c{i}" for i in range(len(self.columns)))])


class StreamJoinOperator(StatefulOperator):
    operator_name = "symmetricHashJoin"

    def __init__(
        self,
        node: L.Join,
        executor: Executor,
        cuts: dict[L.LogicalPlan, L.LogicalPlan],
        watermarks: tuple[list[str], list[str]],
    ) -> None:
        super().__init__()
        self.node = node
        self.executor = executor
        self.how = "inner" if node.how == "cross" else node.how
        schema = executor.schema(node)  # analyses the join (cached) under the executor's lock
        resolved = analyze(node)
        plan: Any = resolved.plan
        self.sides = tuple(
            _side(name, executor.prepare_stage(child, cuts), r.output, marks)
            for name, child, r, marks in zip(
                ("left", "right"), node.children, resolved.children, watermarks, strict=True
            )
        )
        condition: exp.Expr | None = plan.condition
        if condition is not None:
            condition = self._typed(condition)
        outputs = [self._typed(e) for e in plan.outputs]
        self.condition = "TRUE" if condition is None else self._sql(condition)
        self.outputs = ", ".join(f"{self._sql(e)} AS __o{i}" for i, e in enumerate(outputs))
        self._find_key_watermark(condition)
        self._condition = condition
        self._split_pre_filters(condition)
        self._check_watermarks()
        self.leaf = leaf_for(arrow_schema(schema))
        self.replacement = self.leaf

    def _sql(self, e: exp.Expr) -> str:
        return generate(e.copy(), ansi=self.executor.ansi, utc=self.executor.utc)

    def _typed(self, e: exp.Expr) -> exp.Expr:
        """``e`` with its typed calls (``typed_rewrites``: e.g. ``ts + interval``) written for
        their operands' types, probed over empty tables of both sides' columns, so the join's
        SQL and its watermark analysis see the real expression."""
        if not any(n.meta.get(TYPED) for n in e.find_all(exp.Anonymous)):
            return e
        con = duckdb.connect()
        try:
            for side in self.sides:
                values = arrow_schema(side.stage.schema)
                fields = [pa.field(c, f.type) for c, f in zip(side.columns, values, strict=True)]
                con.register(f"__probe_{side.tag}", pa.schema(fields).empty_table())
            probe = exp.select(e.copy()).from_("__probe_l").join("__probe_r", join_type="cross")
            resolve_typed(probe, con, lambda x: generate(x, ansi=self.executor.ansi))
            resolved: exp.Expr = probe.expressions[0]
            return resolved
        finally:
            con.close()

    def _split_pre_filters(self, condition: exp.Expr | None) -> None:
        """Spark's pre-join filters: the conjuncts that read one side only (those that read
        no column count as the left's). A new row failing its side's can match nothing: it is
        not stored, and on an outer side it is emitted with nulls at once."""
        left, right = self.sides
        parts: dict[str, list[str]] = {"left": [], "right": []}
        for part in conjuncts(condition):
            ids = {attribute_id(c) for c in part.find_all(exp.Column)}
            if ids <= left.ids:
                parts["left"].append(self._sql(part))
            elif ids <= right.ids:
                parts["right"].append(self._sql(part))
        for side in self.sides:
            if parts[side.name]:
                side.pre_filter = " AND ".join(f"({p})" for p in parts[side.name])

    def _find_key_watermark(self, condition: exp.Expr | None) -> None:
        """Spark's key watermark: an equi-join key that is a side's watermarked column (or a
        window over it) evicts both sides' rows by that key."""
        left, right = self.sides
        for x, y in equi_pairs(condition):
            a, b = (y, x) if x in right.ids and y in left.ids else (x, y)
            if a not in left.ids or b not in right.ids:
                continue
            ka, kb = _key_column(left, a), _key_column(right, b)
            if ka is not None or kb is not None:
                la, rb = left.order.index(a), right.order.index(b)
                window = (ka or kb or (0, False))[1]
                left.key_column, right.key_column = (la, window), (rb, window)
                return

    def _value_watermark(self, side: JoinSide, other: JoinSide, watermark_ms: int) -> int | None:
        if side.watermark is None:
            return None
        return state_value_watermark(self._condition, side.ids, other.time_ids, watermark_ms)

    def _check_watermarks(self) -> None:
        """Spark's ``checkForStreamStreamJoinWatermark``: an outer or semi join needs a
        watermark in the join keys, or a watermark on the other side and a range condition
        that bounds the state of the side(s) whose rows it emits unmatched."""
        if self.how == "inner" or self.sides[0].key_column is not None:
            return
        left, right = self.sides
        need = {
            "left": [(left, right)],
            "left_semi": [(left, right)],
            "right": [(right, left)],
            "full": [(left, right), (right, left)],
        }[self.how]
        if all(
            state_value_watermark(self._condition, s.ids, o.time_ids, 1_000_000) is not None
            for s, o in need
        ):
            return
        raise AnalysisException(
            f"Stream-stream {_SPARK_JOIN_TYPES[self.how]} join between two streaming "
            "DataFrame/Datasets is not supported without a watermark in the join keys, or a "
            "watermark on the nullable side and an appropriate range condition",
            "_LEGACY_ERROR_TEMP_3102",
        )

    # -- state ----------------------------------------------------------------------------------
    @property
    def stores(self) -> list[StateStore]:
        return [s.store for s in self.sides if s.store is not None]

    @property
    def evicts_by_watermark(self) -> bool:
        return any(
            s.key_column is not None or self._value_watermark(s, o, 0) is not None
            for s, o in (self.sides, self.sides[::-1])
        )

    def emits_leaf_as_is(self, schema: T.StructType) -> bool:
        return [f.type for f in arrow_schema(schema)] == [f.type for f in self.leaf.table.schema]

    def attach(self, con: duckdb.DuckDBPyConnection, folder: Path, index: int) -> None:
        for side in self.sides:
            table = f"__state_{index}_{side.name}"
            side.store = StateStore(con, folder / side.name, table, side.state_schema(), ["__id"])
        self.store = self.sides[0].store

    def progress(self) -> dict[str, Any] | None:
        stores = self.stores
        if not stores:
            return None
        report = super().progress()
        assert report is not None
        for key in ("numRowsUpdated", "numRowsRemoved", "commitTimeMs"):
            report[key] = sum(s.metrics.get(key, 0) for s in stores)
        report["numRowsTotal"] = sum(s.rows for s in stores)
        report["memoryUsedBytes"] = sum(s.memory_bytes() for s in stores)
        return report

    # -- one batch ------------------------------------------------------------------------------
    def run(self, context: BatchContext) -> None:
        """The numbered steps of the module docstring."""
        left, right = self.sides
        assert left.store is not None and right.store is not None
        con = left.store.con
        clock = time.monotonic()
        wm = context.watermark_ms
        self.dropped = 0
        for index, side in enumerate(self.sides):  # 1
            self._new_rows(con, side, index, context)
        semi = self.how == "left_semi"
        tables = {s.name: quote(s.store.table) for s in self.sides if s.store is not None}
        execute(
            con,
            f"CREATE OR REPLACE TEMP TABLE __sj_p1 AS SELECT * FROM {left.view(_PASSING[0])} "
            f"JOIN {right.view(tables['right'])} ON {self.condition}",
        )  # 2
        fresh_left = f"SELECT {left.raw} FROM __sj_n0 WHERE __keep"
        if semi:  # a left row matched at once is emitted, never stored
            fresh_left += " AND __id NOT IN (SELECT __lid FROM __sj_p1)"
        stored_left = f"(SELECT {left.raw} FROM {tables['left']} UNION ALL {fresh_left})"
        execute(
            con,
            f"CREATE OR REPLACE TEMP TABLE __sj_p2 AS SELECT * FROM {left.view(stored_left)} "
            f"JOIN {right.view(_PASSING[1])} ON {self.condition}",
        )  # 3
        output = self._pairs_output()  # 4
        for index, side in enumerate(self.sides):  # 5
            if self.how not in ("full", side.name):
                continue
            failed = f"(SELECT {side.raw} FROM __sj_n{index} WHERE NOT __pass)"
            output += f" UNION ALL {self._null_padded(side, failed, tables)}"
            unmatched = self._outer_rows(side, wm, tables)
            output += "" if unmatched is None else f" UNION ALL {unmatched}"
        rows = con.sql(output).to_arrow_table()
        self.update_ms = elapsed_ms(clock)
        clock = time.monotonic()
        for index, side in enumerate(self.sides):  # 6
            self._commit(con, side, index, wm, tables[side.name])
        self.removal_ms = elapsed_ms(clock)
        for name in ("__sj_p1", "__sj_p2", "__sj_n0", "__sj_n1"):
            execute(con, f"DROP TABLE IF EXISTS {name}")
        context.tables[self.leaf.name] = as_leaf_table(rows, self.leaf)

    def _new_rows(
        self, con: duckdb.DuckDBPyConnection, side: JoinSide, index: int, context: BatchContext
    ) -> None:
        """``__sj_n<index>``: the side's new rows that are not late, with their row ids,
        whether they pass the side's pre-join filter (``__pass``) and whether the state keeps
        them (``__keep``)."""
        rows = side.stage.run(self.executor, context)
        if rows.num_rows and side.store is not None:
            side.store.row_bytes = max(16, rows.nbytes // rows.num_rows)
        named = rows.rename_columns([f"__c{i}" for i in range(rows.num_columns)])
        first = (context.batch_id << 32) | (index << 31)
        named = named.append_column(
            "__id", pa.array(range(first, first + rows.num_rows), pa.int64())
        )
        name = f"__sj_batch{index}"
        register_rows(con, name, named)
        late = _late(side, context.watermark_ms)
        expired = self._expired(side, context.watermark_ms)
        values = ", ".join(f"__c{i}" for i in range(len(side.columns)))
        passes = f"coalesce({side.pre_filter}, FALSE)" if side.pre_filter else "TRUE"
        named_values = ", ".join(f"__c{i} AS {quote(c)}" for i, c in enumerate(side.columns))
        execute(
            con,
            f"CREATE OR REPLACE TEMP TABLE __sj_n{index} AS SELECT __id, FALSE AS __matched, "
            f"{values}, {passes} AS __pass, {passes} AND NOT ({expired or 'FALSE'}) AS __keep "
            f"FROM (SELECT *, {named_values} FROM {name}) WHERE NOT ({late or 'FALSE'})",
        )
        kept = execute(con, f"SELECT count(*) FROM __sj_n{index}")[0][0]
        self.dropped += rows.num_rows - int(kept)
        release(con, name, named)

    def _pairs_output(self) -> str:
        if self.how != "left_semi":
            return (
                f"SELECT {self.outputs} FROM __sj_p1 UNION ALL SELECT {self.outputs} FROM __sj_p2"
            )
        once = "QUALIFY row_number() OVER (PARTITION BY __lid) = 1"
        return (
            f"SELECT * FROM (SELECT {self.outputs} FROM __sj_p1 {once}) UNION ALL "
            f"SELECT * FROM (SELECT {self.outputs} FROM __sj_p2 WHERE NOT __lm {once})"
        )

    def _matched_now(self, side: JoinSide) -> str:
        """SQL: the ids of ``side``'s rows some pair of this batch matched."""
        column = f"__{side.tag}id"
        return f"(SELECT {column} FROM __sj_p1 UNION SELECT {column} FROM __sj_p2)"

    def _outer_rows(self, side: JoinSide, wm: int, tables: dict[str, str]) -> str | None:
        """SQL: ``side``'s stored rows the watermark evicts now that never matched, joined to
        no row of the other side (its columns null)."""
        expired = self._expired(side, wm)
        if expired is None:
            return None
        unmatched = (
            f"(SELECT {side.raw} FROM {tables[side.name]} WHERE ({expired}) AND NOT __matched "
            f"AND __id NOT IN {self._matched_now(side)})"
        )
        return self._null_padded(side, unmatched, tables)

    def _null_padded(self, side: JoinSide, rows: str, tables: dict[str, str]) -> str:
        """SQL: the output of ``rows`` of ``side`` joined to no row of the other side."""
        unmatched = rows
        left, right = self.sides
        other = right if side is left else left
        nothing = f"(SELECT * FROM {other.view(tables[other.name])} LIMIT 0)"
        if side is left:
            source = f"{left.view(unmatched)} LEFT JOIN {nothing} ON FALSE"
        else:
            source = f"{nothing} RIGHT JOIN {right.view(unmatched)} ON FALSE"
        return f"SELECT {self.outputs} FROM {source}"

    def _commit(
        self, con: duckdb.DuckDBPyConnection, side: JoinSide, index: int, wm: int, table: str
    ) -> None:
        """One state version: kept new rows (matched or not), stored rows matched for the
        first time, evicted rows removed. A left semi join forgets a left row once it matched
        (it is emitted once), as Spark's does."""
        assert side.store is not None
        values = ", ".join(f"__c{i}" for i in range(len(side.columns)))
        tracks = self.how in ("left", "right", "full")  # outer rows need "never matched"
        semi_left = self.how == "left_semi" and side.name == "left"
        matched = f"__id IN {self._matched_now(side)}" if tracks else "FALSE"
        fresh = f"SELECT __id, {matched} AS __matched, {values} FROM __sj_n{index} WHERE __keep"
        if semi_left:
            fresh += f" AND __id NOT IN {self._matched_now(side)}"
        expired = self._expired(side, wm)
        parts = [fresh]
        if tracks:
            parts.append(
                f"SELECT __id, TRUE AS __matched, {values} FROM {table} WHERE NOT __matched "
                f"AND __id IN {self._matched_now(side)}"
                + (f" AND NOT ({expired})" if expired else "")
            )
        execute(con, f"CREATE OR REPLACE TEMP TABLE __sj_u AS {' UNION ALL '.join(parts)}")
        gone = [f"({expired})"] if expired is not None else []
        if semi_left:
            gone.append("__id IN (SELECT __lid FROM __sj_p2)")
        removals = None
        if gone:
            execute(
                con,
                f"CREATE OR REPLACE TEMP TABLE __sj_x AS SELECT __id FROM {table} "
                f"WHERE {' OR '.join(gone)}",
            )
            removals = "__sj_x"
        side.store.commit("__sj_u", removals)

    def _expired(self, side: JoinSide, watermark_ms: int) -> str | None:
        """SQL over a side's raw columns (``__c*``): the row leaves the state at this
        watermark (Spark's state key or value watermark predicate)."""
        if watermark_ms <= 0:
            return None
        if side.key_column is not None:
            return _at_or_before(side.key_column, watermark_ms)
        other = self.sides[1] if side is self.sides[0] else self.sides[0]
        bound = self._value_watermark(side, other, watermark_ms)
        if bound is None or side.watermark is None:
            return None
        return _at_or_before(side.watermark, bound)


_PASSING = ("(SELECT * FROM __sj_n0 WHERE __pass)", "(SELECT * FROM __sj_n1 WHERE __pass)")


def _late(side: JoinSide, watermark_ms: int) -> str | None:
    """SQL over the raw columns: the new row is behind the watermark (dropped)."""
    if side.watermark is None or watermark_ms <= 0:
        return None
    return _at_or_before(side.watermark, watermark_ms)


def _at_or_before(column: tuple[int, bool], watermark_ms: int) -> str:
    """SQL over the raw columns: the event time (a window's end) is at or before the mark."""
    index, window = column
    ref = f'__c{index}."end"' if window else f"__c{index}"
    return f"epoch_us({ref}) <= {int(watermark_ms) * 1000}"


def _side(
    name: str, stage: tuple[str, T.StructType], attributes: Iterable[Any], watermarks: list[str]
) -> JoinSide:
    sql, schema = stage
    attrs = list(attributes)
    marks = {w.lower() for w in watermarks}
    time_ids = {
        a.id
        for a, f in zip(attrs, schema.fields, strict=True)
        if a.name.lower() in marks and isinstance(f.dataType, T.TimestampType)
    }
    windows = {
        a.id
        for a, f in zip(attrs, schema.fields, strict=True)
        if marks
        and isinstance(f.dataType, T.StructType)
        and [g.name for g in f.dataType.fields] == ["start", "end"]
    }
    # A time window over the watermarked column carries the watermark instead of it (Spark
    # drops late rows and evicts by the window's end then).
    order = [a.id for a in attrs]
    watermark: tuple[int, bool] | None = None
    if windows:
        watermark, time_ids = (order.index(min(windows, key=order.index)), True), set()
    elif time_ids:
        watermark = (order.index(min(time_ids, key=order.index)), False)
    return JoinSide(
        name,
        Stage(sql, schema),
        [a.column_name for a in attrs],
        order,
        watermark,
        time_ids,
        windows,
    )


def _key_column(side: JoinSide, attr: int) -> tuple[int, bool] | None:
    """Whether the join key ``attr`` of ``side`` carries event time: (column, is a window)."""
    if attr in side.time_ids:
        return side.order.index(attr), False
    if attr in side.windows:
        return side.order.index(attr), True
    return None
