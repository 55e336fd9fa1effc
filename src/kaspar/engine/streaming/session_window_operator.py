"""Streaming session windows: ``groupBy(session_window(ts, gap), keys...).agg(...)``.

The sql facade turns each input row into a session of its own, ``struct(start = ts, end = ts +
gap)`` (the gap may differ per row), in the reserved column ``SESSION_COLUMN``, and groups by it
(``is_session_aggregate``). The state holds, per group of the other keys, the open sessions
with their partial aggregates (``aggregation.py``), keyed by (keys, session). Per batch, in
DuckDB:

1. the input stage pre-aggregates the batch per (keys, per-row session); in append mode the
   rows whose session ends at or before the watermark are late: dropped and counted;
2. the stored sessions of the groups the batch touches are read, and unioned with the batch's
   (stored first, ``__o`` = 0 then 1);
3. sorted per group by start, a session opens where its start is after every earlier end
   (``start <= end so far`` joins it: Spark's merge); the running count of openings numbers
   the merged sessions, and ``GROUP BY`` keys and number merges their partials;
4. in append mode, the sessions the watermark closed (merged or stored, ``end <= watermark``)
   are emitted and leave the state; in complete mode nothing leaves and every session is
   emitted (and no row is late, as in Spark);
5. the state commit: the changed sessions upserted, the stored ones merged away or closed
   removed.

Spark refuses the update output mode for session windows, and a session window without other
keys; so does kaspar (``check_session_output_mode``). kaspar.ksql's ``EMIT CHANGES`` groups
by ``SESSION_CHANGES_COLUMN`` instead, which runs in update mode as a changelog: a batch emits
the stored sessions a merge replaced, aggregates NULL (tombstones to ksql), then the changed
sessions (``_changes``).
"""

# The SQL here is built from generated identifiers (__k0, __state_1, ...), never user text.
# ruff: noqa: S608

from __future__ import annotations

import time
from typing import Any

import duckdb
import pyarrow as pa
from sqlglot import exp

from kaspar.engine.arrow_holder import register_rows
from kaspar.engine.plan import logical as L
from kaspar.engine.streaming.aggregate_operator import AggregateOperator
from kaspar.engine.streaming.aggregation import partial_name
from kaspar.engine.streaming.stages import (
    BatchContext,
    as_leaf_table,
    elapsed_ms,
    release,
)
from kaspar.engine.streaming.state_store import execute, quote
from kaspar.errors import AnalysisException

SESSION_COLUMN = "__kaspar_session_window"  # the per-row session the facade groups by
# the same, for a changelog of sessions (kaspar.ksql's EMIT CHANGES): update mode, where the
# sessions a merge replaced are emitted too, as retractions (keys and window, partials NULL)
SESSION_CHANGES_COLUMN = "__kaspar_session_changes"


def session_key_index(node: L.Aggregate) -> int | None:
    """The position of the session key among ``node``'s grouping keys, or None."""
    for i, key in enumerate(node.grouping):
        body = key.this if isinstance(key, exp.Alias) else key
        if isinstance(body, exp.Column) and body.name in (SESSION_COLUMN, SESSION_CHANGES_COLUMN):
            return i
    return None


def is_session_changelog(node: L.Aggregate) -> bool:
    """Whether the session key asks for a changelog (retractions in update mode)."""
    index = session_key_index(node)
    if index is None:
        return False
    key = node.grouping[index]
    body = key.this if isinstance(key, exp.Alias) else key
    return isinstance(body, exp.Column) and body.name == SESSION_CHANGES_COLUMN


def is_session_aggregate(node: L.LogicalPlan) -> bool:
    return isinstance(node, L.Aggregate) and session_key_index(node) is not None


def check_session_output_mode(output_mode: str, watermarked: bool, changelog: bool) -> None:
    """Spark's checks: session windows run in append (with a watermark) and complete modes
    (and a changelog of sessions in update mode)."""
    if output_mode == "update" and not changelog:
        raise AnalysisException(
            "Invalid streaming output mode: update. This output mode is not supported for "
            "session window streaming aggregations on streaming DataFrames/DataSets.",
            "STREAMING_OUTPUT_MODE.UNSUPPORTED_OPERATION",
        )
    if output_mode == "append" and not watermarked:
        raise AnalysisException(
            "Invalid streaming output mode: append. This output mode is not supported for "
            "streaming aggregations without watermark on streaming DataFrames/DataSets.",
            "STREAMING_OUTPUT_MODE.UNSUPPORTED_OPERATION",
        )


class SessionWindowOperator(AggregateOperator):
    """An aggregation grouped by a session window: ``AggregateOperator``'s layout, stage and
    output, with the sessions merged per batch as the module's docstring says."""

    operator_name = "sessionWindowStateStoreSaveExec"

    def __init__(self, node: L.Aggregate, *parts: Any) -> None:
        """``AggregateOperator``'s parts; the keys split into the session and the others."""
        super().__init__(node, *parts)
        index = session_key_index(node)
        assert index is not None
        if len(self.key_names) == 1:
            raise AnalysisException(
                "Global aggregation with session window in streaming query is not supported.",
                "STREAMING_SESSION_WINDOW_GLOBAL_AGGREGATION",
            )
        self.session = quote(self.key_names[index])
        self.others = [quote(k) for i, k in enumerate(self.key_names) if i != index]
        self.columns = ", ".join(quote(n) for n in self.state_names)

    def run(self, context: BatchContext) -> None:
        store = self.store
        assert store is not None
        con = store.con
        clock = time.monotonic()
        partial = self.stage.run(self.executor, context)
        if partial.num_rows:
            store.row_bytes = max(16, partial.nbytes // partial.num_rows)
        register_rows(con, "__batch", partial)
        self._merge(con, self._late(con, context.watermark_ms))
        self.update_ms = elapsed_ms(clock)
        clock = time.monotonic()
        expired = self._expired_predicate(context.watermark_ms)
        out = self._emit_and_commit(con, expired)
        self.removal_ms = elapsed_ms(clock)
        release(con, "__batch", partial)
        context.tables[self.leaf.name] = as_leaf_table(out, self.leaf)

    def _late(self, con: duckdb.DuckDBPyConnection, watermark_ms: int) -> str:
        """The filter of the batch's non-late sessions (late ones counted in ``dropped``)."""
        late = None if self.output_mode == "complete" else self._late_predicate(watermark_ms)
        if late is None:
            self.dropped = 0
            return ""
        row = execute(con, f"SELECT coalesce(sum(__n), 0) FROM __batch WHERE {late}")[0]
        self.dropped = int(row[0]) if row else 0
        return f"WHERE NOT ({late})"

    def _merge(self, con: duckdb.DuckDBPyConnection, where: str) -> None:
        """``__touched``: the stored sessions of the batch's groups; ``__sessions``: those and
        the batch's merged, with ``__changed`` (holds a row of this batch)."""
        assert self.store is not None
        columns, session = self.columns, self.session
        same = " AND ".join(f"s.{k} IS NOT DISTINCT FROM b.{k}" for k in self.others) or "TRUE"
        execute(con, f"CREATE OR REPLACE TEMP TABLE __in AS SELECT {columns} FROM __batch {where}")
        execute(
            con,
            f"CREATE OR REPLACE TEMP TABLE __touched AS SELECT {columns} FROM "
            f"{quote(self.store.table)} s WHERE EXISTS (SELECT 1 FROM __in b WHERE {same})",
        )
        partition = f"PARTITION BY {', '.join(self.others)} " if self.others else ""
        start, end = f'{session}."start"', f'{session}."end"'
        order = f"{partition}ORDER BY {start}, __r"
        keys = ", ".join(self.others)
        merges = ", ".join(
            f"{m} AS {quote(partial_name(i))}" for i, m in enumerate(self.layout.merges)
        )
        window = f'struct_pack("start" := min({start}), "end" := max({end}))'
        select = ", ".join(
            window + f" AS {session}" if quote(n) == session else quote(n) for n in self.key_names
        )
        execute(
            con,
            "CREATE OR REPLACE TEMP TABLE __sessions AS "
            f"WITH __all AS (SELECT *, row_number() OVER () AS __r FROM ("
            f"SELECT 0 AS __o, {columns} FROM __touched "
            f"UNION ALL SELECT 1 AS __o, {columns} FROM __in)), "
            f"__bounded AS (SELECT *, max({end}) OVER ({order} ROWS BETWEEN "
            f"UNBOUNDED PRECEDING AND 1 PRECEDING) AS __previous_end FROM __all), "
            f"__numbered AS (SELECT *, sum(CASE WHEN __previous_end IS NULL OR "
            f"{start} > __previous_end THEN 1 ELSE 0 END) OVER ({order} ROWS "
            f"UNBOUNDED PRECEDING) AS __sid FROM __bounded) "
            f"SELECT {select}, {merges}, bool_or(__o = 1) AS __changed FROM __numbered "
            f"GROUP BY {keys + ', ' if keys else ''}__sid",
        )

    def _emit_and_commit(self, con: duckdb.DuckDBPyConnection, expired: str | None) -> pa.Table:
        """The rows the output mode emits; the state commit (module docstring, steps 4-5)."""
        store = self.store
        assert store is not None
        columns, table = self.columns, quote(store.table)
        open_ = f"NOT ({expired})" if expired is not None else "TRUE"
        same = store.match("t", "m")
        execute(
            con,
            f"CREATE OR REPLACE TEMP TABLE __upserts AS SELECT {columns} FROM __sessions "
            f"WHERE __changed AND {open_}",
        )
        closed = ""
        if expired is not None:
            untouched = store.match("s", "t")
            closed = (
                f" UNION ALL SELECT {columns} FROM {table} s WHERE {expired} AND NOT EXISTS "
                f"(SELECT 1 FROM __touched t WHERE {untouched})"
            )
        execute(
            con,
            f"CREATE OR REPLACE TEMP TABLE __removals AS SELECT {columns} FROM __touched t "
            f"WHERE NOT EXISTS (SELECT 1 FROM __sessions m WHERE {open_} AND {same}){closed}",
        )
        out = None
        if self.output_mode == "update":
            out = self._changes(con)
        if self.output_mode == "append":
            emitted = (
                f"SELECT {columns} FROM __sessions WHERE {expired}{closed}"
                if expired is not None
                else f"SELECT {columns} FROM __sessions LIMIT 0"
            )
            out = con.sql(emitted).to_arrow_table()
        store.commit("__upserts", "__removals")
        self._count_as_spark(con, open_)
        if out is None:  # complete: every session
            out = con.sql(f"SELECT {columns} FROM {table}").to_arrow_table()
        return out

    def _count_as_spark(self, con: duckdb.DuckDBPyConnection, open_: str) -> None:
        """Spark's progress counts: its state keeps a group's sessions by start, so every
        open session of a group the batch touched is updated (rewritten), and a session is
        removed when it closed or no session of its group starts where it did any more."""
        assert self.store is not None
        same = " AND ".join(f"r.{k} IS NOT DISTINCT FROM m.{k}" for k in self.others)
        start = f'r.{self.session}."start" = m.{self.session}."start"'
        row = execute(
            con,
            f"SELECT (SELECT count(*) FROM __sessions WHERE {open_}), (SELECT count(*) FROM "
            f"__removals r WHERE NOT EXISTS (SELECT 1 FROM __sessions m WHERE {open_} AND "
            f"{same + ' AND ' if same else ''}{start}))",
        )[0]
        self.store.metrics["numRowsUpdated"], self.store.metrics["numRowsRemoved"] = row

    def _changes(self, con: duckdb.DuckDBPyConnection) -> pa.Table:
        """Update mode (a changelog): as retractions (partials NULL) the stored sessions
        that a changed session replaced (contains, not equal), then the changed sessions."""
        keys = ", ".join(quote(k) for k in self.key_names)
        nulls = ", ".join(
            f"NULL AS {quote(partial_name(i))}" for i in range(len(self.layout.merges))
        )
        same = " AND ".join(f"t.{k} IS NOT DISTINCT FROM m.{k}" for k in self.others) or "TRUE"
        start, end = '."start"', '."end"'
        session = self.session
        within = (
            f"m.{session}{start} <= t.{session}{start} AND t.{session}{end} <= m.{session}{end}"
        )
        query = (  # retractions first: a merged session may keep a replaced one's start
            f"SELECT {self.columns} FROM (SELECT 0 AS __c, {keys}, {nulls} FROM __removals t "
            f"WHERE EXISTS (SELECT 1 FROM __sessions m WHERE m.__changed AND {same} AND "
            f"{within} AND m.{session} <> t.{session}) "
            f"UNION ALL SELECT 1 AS __c, {self.columns} FROM __sessions WHERE __changed) "
            "ORDER BY __c"
        )
        return con.sql(query).to_arrow_table()
