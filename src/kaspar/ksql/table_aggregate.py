"""Aggregations over a TABLE: ``SELECT region, COUNT(*), SUM(amount) FROM users GROUP BY
region``. A row of the source table that changes leaves its old group and joins its new one;
a deleted row (or one ``WHERE`` no longer passes, or whose grouping is NULL) leaves its
group: ksqlDB's undo.

The state is the source table's rows that pass ``WHERE``, with their grouping values
(``__G<i>``) stored beside them (``table_state``). Each micro-batch:

1. the batch's records become changes (the last per key, or a delete);
2. the affected groups: the stored (old) groups of the changed keys and their new groups,
   each with the time of its latest change;
3. the changes are committed to the state, and the affected groups' rows (all of them, as
   stored now) aggregated again in the engine, ``HAVING`` and the projection applied;
4. each aggregated group is emitted; an affected group with no row left, or whose row
   ``HAVING`` drops, gets a tombstone.

Aggregating a group's rows again, rather than undoing one value, makes every aggregate
function right on a table, MIN and MAX included (ksqlDB refuses those on a table: they cannot
be undone without the group's values); LATEST_BY_OFFSET and EARLIEST_BY_OFFSET are refused
as ksqlDB refuses them (offsets order a stream, not a table's rows). The cost per batch is the
size of the groups it touches. The emitted row's ROWTIME is its group's latest change.
"""

# The SQL here is built from quoted column names of the metastore, never from values.
# ruff: noqa: S608

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
from sqlglot import exp

from kaspar.engine.streaming.state_store import quote
from kaspar.ksql.errors import KsqlError
from kaspar.ksql.metastore import Source
from kaspar.ksql.table_state import DELETED, ChangelogState, decoded_changes
from kaspar.sql import functions as F
from kaspar.sql.column import Column
from kaspar.sql.dataframe import DataFrame

ROWTIME = "__ROWTIME"
STREAM_ONLY = ("LATEST_BY_OFFSET", "EARLIEST_BY_OFFSET")


def group_column(i: int) -> str:
    return f"__G{i}"


def check_table_aggregate(select: exp.Select, window: object) -> None:
    """ksqlDB's refusals for an aggregation over a table."""
    if window is not None:
        raise KsqlError("WINDOW clause is not supported on a TABLE source.")
    if select.args.get("group") is None:
        raise KsqlError("An aggregation over a TABLE needs a GROUP BY clause.")
    names = {str(f.this).upper() for f in select.find_all(exp.Anonymous)}
    used = [n for n in STREAM_ONLY if n in names]
    if used:  # ksqlDB's words: "function" or "functions A, B and C"
        listed = used[0] if len(used) == 1 else f"{', '.join(used[:-1])} and {used[-1]}"
        raise KsqlError(
            f"The aggregation function{'s' if len(used) > 1 else ''} {listed} cannot be "
            "applied to a table source, only to a stream source."
        )


@dataclass(frozen=True)
class TableAggregate:
    source: Source
    schema: pa.Schema  # the stored rows: the source's columns and the grouping values
    live: exp.Expr | None  # WHERE
    groups: tuple[exp.Expr, ...]
    aggregate: Callable[[DataFrame], DataFrame]  # rows -> the query's rows, __ROWTIME, __G<i>
    key_groups: tuple[tuple[str, int], ...]  # (result key column, its grouping's index)

    def runner(self, folder: Path) -> AggregateRunner:
        return AggregateRunner(self, folder)

    def grouped(self, frame: DataFrame) -> DataFrame:
        """Decoded rows with their grouping values, ``DELETED`` for rows out of the table."""
        out = F.col(DELETED)
        if self.live is not None:
            out = out | ~F.coalesce(Column(self.live), F.lit(False))
        columns = [Column(g).alias(group_column(i)) for i, g in enumerate(self.groups)]
        for i in range(len(self.groups)):  # ksqlDB drops rows with a NULL grouping
            out = out | F.col(group_column(i)).isNull()
        return frame.select("*", *columns).withColumn(DELETED, out)


class AggregateRunner:
    """One running aggregation's state store and per-batch steps (module docstring)."""

    def __init__(self, spec: TableAggregate, folder: Path) -> None:
        self.spec = spec
        self.state = ChangelogState(folder)
        keys = [c.name for c in spec.source.key_columns]
        self.store = self.state.store("source", spec.schema, keys)

    def process(self, batch: DataFrame, batch_id: int) -> DataFrame:
        spec, state, store = self.spec, self.state, self.store
        spark = batch.sparkSession
        names = [*spec.schema.names, DELETED]
        changes = spec.grouped(decoded_changes(spec.source, batch))
        rows = changes.select(*[f"`{n}`" for n in names]).toArrow()
        state.changes("__c", rows, store)
        state.begin(batch_id)
        table = quote(store.table)
        groups = [quote(group_column(i)) for i in range(len(spec.groups))]
        listed = ", ".join(groups)
        state.sql(
            f"CREATE OR REPLACE TEMP TABLE __old AS SELECT s.*, c.ROWTIME AS __T FROM {table} s "
            f"JOIN __c c ON {store.match('s', 'c')}"
        )
        state.apply("__c", store)
        state.sql(
            f"CREATE OR REPLACE TEMP TABLE __g AS SELECT {listed}, max(t) AS t FROM ("
            f"SELECT {listed}, __T AS t FROM __old UNION ALL "
            f"SELECT {listed}, ROWTIME FROM __c WHERE NOT {DELETED}) GROUP BY {listed}"
        )
        same = " AND ".join(f"s.{g} IS NOT DISTINCT FROM g.{g}" for g in groups)
        members = state.arrow(
            f"SELECT s.* REPLACE (g.t AS ROWTIME) FROM {table} s JOIN __g g ON {same}"
        )
        new = spec.aggregate(spark.createDataFrame(members)).toArrow()
        result = self._emitted(new, groups)
        state.durable()
        return spark.createDataFrame(result)

    def _emitted(self, new: pa.Table, groups: list[str]) -> pa.Table:
        """The aggregated groups, and a tombstone per affected group not among them."""
        con = self.state.con
        con.register("__new", new)
        keys = "".join(
            f"g.{quote(group_column(i))} AS {quote(n)}, " for n, i in self.spec.key_groups
        )
        same = " AND ".join(f"n.{g} IS NOT DISTINCT FROM g.{g}" for g in groups)
        result = con.sql(
            f"SELECT *, false AS __TOMBSTONE FROM __new UNION ALL BY NAME "
            f"SELECT {keys}g.t AS {ROWTIME}, true AS __TOMBSTONE FROM __g g "
            f"WHERE NOT EXISTS (SELECT 1 FROM __new n WHERE {same})"
        ).to_arrow_table()
        con.unregister("__new")
        return result.drop_columns([group_column(i) for i in range(len(groups))])

    def close(self) -> None:
        self.state.close()
