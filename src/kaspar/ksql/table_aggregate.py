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
4. each aggregated group is emitted; one ``HAVING`` drops gets a tombstone if it was in the
   table before (with ``HAVING``, the groups are aggregated before the changes too).

A group whose last row leaves stays, with the aggregates of no rows (a COUNT of 0), as ksqlDB
keeps it (``HAVING COUNT(*) > 0`` removes it): the aggregation groups by the stored grouping
values, and such a group is aggregated over one phantom row (``__PHANTOM``) whose values every
aggregate call skips (its argument is NULL there, and aggregates skip NULLs).

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
from typing import Any

import pyarrow as pa
from sqlglot import exp

from kaspar.engine.streaming.state_store import quote
from kaspar.ksql.dialect import Ksql
from kaspar.ksql.errors import KsqlError
from kaspar.ksql.expressions import column_name, is_aggregate, rewrite
from kaspar.ksql.metastore import Source
from kaspar.ksql.statements import ColumnDef, Query
from kaspar.ksql.table_state import (
    DELETED,
    ChangelogState,
    Stages,
    arrow_schema,
    decoded_changes,
    stored_columns,
)
from kaspar.ksql.types import from_spark
from kaspar.sql import functions as F
from kaspar.sql.column import Column
from kaspar.sql.dataframe import DataFrame

ROWTIME = "__ROWTIME"
PHANTOM = "__PHANTOM"  # the one row of a group left empty: its aggregates see no value
STREAM_ONLY = ("LATEST_BY_OFFSET", "EARLIEST_BY_OFFSET")
Items = list[tuple[str, exp.Expr]]
# the compiler's aggregation: (rows, projection, select) -> (rows, projection, key names)
Aggregator = Callable[[DataFrame, Items, exp.Select], tuple[DataFrame, Items, set[str]]]


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
    having: bool = False

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
        self.stages = Stages()
        self.groups = [quote(group_column(i)) for i in range(len(spec.groups))]

    def changes(self, raw: DataFrame) -> DataFrame:
        """A batch's records as changes, with their grouping values."""
        names = [f"`{n}`" for n in (*self.spec.schema.names, DELETED)]
        return self.spec.grouped(decoded_changes(self.spec.source, raw)).select(*names)

    def process(self, batch: DataFrame, batch_id: int) -> DataFrame:
        spec, state, store = self.spec, self.state, self.store
        spark = batch.sparkSession
        rows = self.stages.run(spark, "changes", self.changes, batch.toArrow())
        state.changes("__c", rows, store)
        state.begin(batch_id)
        table = quote(store.table)
        listed = ", ".join(self.groups)
        state.sql(
            f"CREATE OR REPLACE TEMP TABLE __g AS SELECT {listed}, max(t) AS t FROM ("
            f"SELECT s.{', s.'.join(self.groups)}, c.ROWTIME AS t FROM {table} s "
            f"JOIN __c c ON {store.match('s', 'c')} UNION ALL "
            f"SELECT {listed}, ROWTIME FROM __c WHERE NOT {DELETED}) GROUP BY {listed}"
        )
        # with HAVING, the groups' old rows: a group HAVING drops now was it in the table?
        old = None if not spec.having else self._aggregated(spark)
        state.apply("__c", store)
        result = self._emitted(self._aggregated(spark), old)
        state.durable()
        return spark.createDataFrame(result)

    def _aggregated(self, spark: Any) -> pa.Table:
        """The affected groups aggregated from their stored rows (a phantom row for a group
        with none), each stamped with its latest change."""
        table, groups = quote(self.store.table), self.groups
        same = " AND ".join(f"s.{g} IS NOT DISTINCT FROM g.{g}" for g in groups)
        members = self.state.arrow(
            f"SELECT s.* REPLACE (g.t AS ROWTIME), false AS {PHANTOM} FROM {table} s "
            f"JOIN __g g ON {same} UNION ALL BY NAME "
            f"SELECT {', '.join(f'g.{g}' for g in groups)}, g.t AS ROWTIME, true AS {PHANTOM} "
            f"FROM __g g WHERE NOT EXISTS (SELECT 1 FROM {table} s WHERE {same})"
        )
        return self.stages.run(spark, "aggregate", self.spec.aggregate, members)

    def _emitted(self, new: pa.Table, old: pa.Table | None) -> pa.Table:
        """The aggregated groups, and a tombstone per affected group not among them (with
        HAVING: one that was in ``old``, the table before the batch; ksqlDB 0.13+ sends no
        tombstone for a row the table never had)."""
        con, groups = self.state.con, self.groups
        con.register("__new", new)
        con.register("__was", new.slice(0, 0) if old is None else old)
        keys = "".join(
            f"g.{quote(group_column(i))} AS {quote(n)}, " for n, i in self.spec.key_groups
        )
        same = " AND ".join(f"n.{g} IS NOT DISTINCT FROM g.{g}" for g in groups)
        was = "" if old is None else f"AND EXISTS (SELECT 1 FROM __was n WHERE {same})"
        result = con.sql(
            f"SELECT *, false AS __TOMBSTONE FROM __new UNION ALL BY NAME "
            f"SELECT {keys}g.t AS {ROWTIME}, true AS __TOMBSTONE FROM __g g "
            f"WHERE NOT EXISTS (SELECT 1 FROM __new n WHERE {same}) {was}"
        ).to_arrow_table()
        con.unregister("__new")
        con.unregister("__was")
        return result.drop_columns([group_column(i) for i in range(len(groups))])

    def close(self) -> None:
        self.state.close()


def plan_table_aggregate(
    query: Query, source: Source, items: Items, decoded: DataFrame, aggregator: Aggregator
) -> tuple[TableAggregate, tuple[ColumnDef, ...]]:
    """The aggregation of ``query`` over the table ``decoded`` (its rows as the compiler
    decodes them) and the result's columns; ``items`` the projection, named."""
    select = query.select
    check_table_aggregate(select, query.window)
    if source.is_windowed:
        raise KsqlError(f"kaspar.ksql does not aggregate a windowed table yet: {source.name}.")
    groups = tuple(rewrite(g) for g in select.args["group"].expressions)
    where = select.args.get("where")
    live = None if where is None else rewrite(where.this)
    plan = TableAggregate(source, pa.schema([]), live, groups, lambda rows: rows, ())
    grouped = plan.grouped(decoded.withColumn(DELETED, F.lit(False)))
    names = [*stored_columns(decoded), *[group_column(i) for i in range(len(groups))]]
    stored = grouped.select(*[f"`{n}`" for n in names])
    texts = [g.sql(dialect=Ksql) for g in groups]
    regrouped = select.copy()
    stored_groups = [exp.column(group_column(i), quoted=True) for i in range(len(groups))]
    regrouped.set("group", exp.Group(expressions=stored_groups))
    having = select.args.get("having")
    if having is not None:  # raw: the compiler rewrites it
        regrouped.set("having", exp.Having(this=_by_stored(having.this, texts, raw=True)))
    projection = [(n, _by_stored(t, texts, raw=False)) for n, t in items]

    def aggregate(rows: DataFrame) -> DataFrame:
        result, out, _ = aggregator(rows, projection, regrouped)
        hidden = [F.col(f"__K{i}").alias(group_column(i)) for i in range(len(groups))]
        return result.select(
            *[Column(t).alias(n) for n, t in out], F.col("ROWTIME").alias(ROWTIME), *hidden
        )

    empty = stored.sparkSession.createDataFrame([], stored.schema)
    empty = empty.withColumn(PHANTOM, F.lit(False))
    _, out, key_names = aggregator(empty, projection, regrouped)
    key_groups = tuple((n, int(str(column_name(t))[3:])) for n, t in out if n in key_names)
    schema = arrow_schema(stored, names)
    plan = TableAggregate(
        source, schema, live, groups, aggregate, key_groups, having=having is not None
    )
    types = {f.name: f.dataType for f in aggregate(empty).schema.fields}
    output = tuple(ColumnDef(n, from_spark(types[n]), n in key_names) for n, _ in items)
    return plan, tuple(sorted(output, key=lambda c: not c.key))


def _by_stored(tree: exp.Expr, texts: list[str], *, raw: bool) -> exp.Expr:
    """``tree`` with each grouping expression (its SQL among ``texts``) as its stored value
    ``__G<i>``, and each aggregate call's argument NULL on a phantom row. ``raw``: a tree not
    yet rewritten (HAVING), compared once rewritten."""

    def swap(node: exp.Expr) -> exp.Expr:
        text = (rewrite(node.copy()) if raw else node).sql(dialect=Ksql)
        if text in texts:
            return exp.column(group_column(texts.index(text)), quoted=True)
        if is_aggregate(node):
            return _skipping_phantom(node.copy())
        return node

    return tree.copy().transform(swap)


def _skipping_phantom(call: exp.Expr) -> exp.Expr:
    """``agg(x)`` as ``agg(CASE WHEN NOT __PHANTOM THEN x END)``; ``COUNT(*)`` counts 1s."""
    key = "this" if isinstance(call, exp.AggFunc) else None
    argument = call.this if key else (call.expressions[0] if call.expressions else None)
    if isinstance(argument, exp.Distinct):
        for value in argument.expressions:
            value.replace(_unless_phantom(value.copy()))
        return call
    if argument is None or isinstance(argument, exp.Star):
        replacement = _unless_phantom(exp.Literal.number(1))
        if key:
            call.set("this", replacement)
        else:
            call.set("expressions", [replacement])
        return call
    argument.replace(_unless_phantom(argument.copy()))
    return call


def _unless_phantom(value: exp.Expr) -> exp.Expr:
    phantom = exp.column(PHANTOM, quoted=True)
    return exp.Case(ifs=[exp.If(this=exp.Not(this=phantom), true=value)])
