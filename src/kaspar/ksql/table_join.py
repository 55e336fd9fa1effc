"""Table-table joins: ``FROM t1 [INNER | LEFT | RIGHT | FULL OUTER] JOIN t2 ON t1.id = t2.id``
(primary keys) and ``ON t1.fk = t2.id`` (a foreign key of ``t1``, INNER or LEFT; ksqlDB
0.19+), a TABLE whose changelog follows both sides.

One streaming query reads both tables' topics; each micro-batch, per side:

1. the batch's records become changes (``table_state``): the last per key, or a delete;
2. the affected result keys: a primary-key join's changed keys; a foreign-key join's changed
   left keys and the left keys (old or new) whose foreign key names a changed right key;
3. both sides' stored rows for those keys are read (old), the changes committed to the state
   stores, and read again (new);
4. the join, ``WHERE`` and projection run in the engine over the old and over the new rows;
5. each new result row is emitted, its ROWTIME the later of its rows' and the change's (Kafka
   Streams' rule: the change's time or the other side's); a key whose row was in the old
   result and is not in the new one gets a tombstone (its inner-join partner gone, its row
   deleted or filtered out), with the time of the change that removed it.

The output per batch is the net change per key (ksqlDB's record cache has the same effect).
A FULL OUTER join is keyed by ksqlDB's synthetic ``ROWKEY`` (the first non-null of the two
keys), which the projection must include.
"""

# The SQL here is built from quoted column names of the metastore, never from values.
# ruff: noqa: S608

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pyarrow as pa
from sqlglot import exp

from kaspar.engine.streaming.state_store import quote
from kaspar.ksql import table_state as changelog
from kaspar.ksql.errors import KsqlError
from kaspar.ksql.expressions import column_name, rewrite
from kaspar.ksql.metastore import Source
from kaspar.ksql.table_state import DELETED, ChangelogState, Stages
from kaspar.sql import functions as F
from kaspar.sql.column import Column
from kaspar.sql.dataframe import DataFrame

HOW = {"": "inner", "INNER": "inner", "LEFT": "left", "RIGHT": "right", "FULL": "full"}
JOIN_KEY = "__JK"  # the result row's identity: the join key, or the left key of an FK join
ROWTIME = "__ROWTIME"
SYNTHETIC_KEY = "ROWKEY"


@dataclass(frozen=True)
class Side:
    source: Source
    alias: str
    key: str  # its primary key column
    schema: pa.Schema  # its stored columns

    def column(self, name: str) -> exp.Column:
        return exp.column(name, table=self.alias, quoted=True)


@dataclass(frozen=True)
class TableTableJoin:
    left: Side
    right: Side
    left_on: str  # the left column joined with the right key: its key, or a foreign key
    how: str
    items: tuple[tuple[str, exp.Expr], ...]  # the projection, ROWKEY resolved
    where: exp.Expr | None
    key_names: tuple[str, ...]  # the result's key columns

    @property
    def foreign(self) -> bool:
        return self.left_on != self.left.key

    def identity(self) -> exp.Expr:
        """The result row's key: the join key (a FULL OUTER join's first non-null one), or
        an FK join's left key."""
        if self.how == "full":
            return exp.func(
                "coalesce", self.left.column(self.left.key), self.right.column(self.right.key)
            )
        if self.how == "right":
            return self.right.column(self.right.key)
        return self.left.column(self.left.key)

    def evaluate(self, spark: Any, left: pa.Table, right: pa.Table) -> pa.Table:
        """``frame`` over these rows of both sides."""
        return self.frame(spark.createDataFrame(left), spark.createDataFrame(right)).toArrow()

    def frame(self, left: DataFrame, right: DataFrame) -> DataFrame:
        """The join, WHERE and projection over rows of both sides, with ROWTIME (the later
        of the two) and the row's identity."""
        lf, rf = left.alias(self.left.alias), right.alias(self.right.alias)
        condition = F.col(f"`{self.left.alias}`.`{self.left_on}`") == F.col(
            f"`{self.right.alias}`.`{self.right.key}`"
        )
        joined = lf.join(rf, condition, self.how)
        if self.where is not None:
            joined = joined.filter(Column(self.where))
        rowtime = F.greatest(
            F.col(f"`{self.left.alias}`.ROWTIME"), F.col(f"`{self.right.alias}`.ROWTIME")
        )
        columns = [Column(tree).alias(name) for name, tree in self.items]
        return joined.select(
            *columns, rowtime.alias(ROWTIME), Column(self.identity()).alias(JOIN_KEY)
        )

    def runner(self, folder: Path) -> JoinRunner:
        return JoinRunner(self, folder)


class JoinRunner:
    """One running query's join: its state stores and the per-batch steps of the module
    docstring."""

    def __init__(self, join: TableTableJoin, folder: Path) -> None:
        self.join = join
        self.state = ChangelogState(folder)
        left, right = join.left, join.right
        self.left = self.state.store("left", left.schema, [left.key])
        self.right = self.state.store("right", right.schema, [right.key])
        self.stages = Stages()

    def process(self, batch: DataFrame, batch_id: int) -> DataFrame:
        join, state = self.join, self.state
        spark, raw = batch.sparkSession, batch.toArrow()
        for view, side, store in (("__lc", join.left, self.left), ("__rc", join.right, self.right)):
            names = [f"`{n}`" for n in (*side.schema.names, DELETED)]

            def decode(
                frame: DataFrame, source: Source = side.source, names: list[str] = names
            ) -> DataFrame:
                return changelog.decoded_changes(source, frame).select(*names)

            state.changes(view, self.stages.run(spark, view, decode, raw), store)
        state.begin(batch_id)
        self._affected()
        old_left, old_right = self._rows()
        state.apply("__lc", self.left)
        state.apply("__rc", self.right)
        new_left, new_right = self._rows()
        old = self.stages.run(spark, "join", join.frame, old_left, old_right)
        new = self.stages.run(spark, "join", join.frame, new_left, new_right)
        result = self._emitted(old, new)
        state.durable()
        return spark.createDataFrame(result)

    def _affected(self) -> None:
        """``__k``: the affected result keys (``k``) and the time of the change (``t``)."""
        join = self.join
        lk, fk, rk = quote(join.left.key), quote(join.left_on), quote(join.right.key)
        if not join.foreign:
            parts = (
                f"SELECT {lk} AS k, ROWTIME AS t FROM __lc UNION ALL SELECT {rk}, ROWTIME FROM __rc"
            )
        else:
            stored = quote(self.left.table)
            parts = (
                f"SELECT {lk} AS k, ROWTIME AS t FROM __lc UNION ALL "
                f"SELECT l.{lk}, r.ROWTIME FROM {stored} l JOIN __rc r ON l.{fk} = r.{rk} "
                f"UNION ALL SELECT l.{lk}, r.ROWTIME FROM __lc l JOIN __rc r "
                f"ON l.{fk} = r.{rk} WHERE NOT l.{DELETED}"
            )
        self.state.sql(
            f"CREATE OR REPLACE TEMP TABLE __k AS SELECT k, max(t) AS t FROM ({parts}) GROUP BY k"
        )

    def _rows(self) -> tuple[pa.Table, pa.Table]:
        """Both sides' stored rows for the affected keys."""
        join, state = self.join, self.state
        lk, fk, rk = quote(join.left.key), quote(join.left_on), quote(join.right.key)
        left = state.rows(self.left, f"{lk} IN (SELECT k FROM __k)")
        if join.foreign:
            state.con.register("__lrows", left)
            right = state.rows(self.right, f"{rk} IN (SELECT {fk} FROM __lrows)")
            state.con.unregister("__lrows")
        else:
            right = state.rows(self.right, f"{rk} IN (SELECT k FROM __k)")
        return left, right

    def _emitted(self, old: pa.Table, new: pa.Table) -> pa.Table:
        """The new rows, and a tombstone per key in ``old`` but not in ``new``."""
        con = self.state.con
        con.register("__old", old)
        con.register("__new", new)
        keys = ", ".join(f"o.{quote(n)}" for n in self.join.key_names)
        jk = quote(JOIN_KEY)
        result = con.sql(
            f"SELECT n.* REPLACE (greatest(n.{ROWTIME}, k.t) AS {ROWTIME}), "
            f"false AS __TOMBSTONE FROM __new n LEFT JOIN __k k ON n.{jk} = k.k UNION ALL BY NAME "
            f"SELECT {keys}{', ' if keys else ''}o.{jk}, k.t AS {ROWTIME}, true AS __TOMBSTONE "
            f"FROM __old o JOIN __k k ON o.{jk} = k.k "
            f"WHERE NOT EXISTS (SELECT 1 FROM __new n WHERE n.{jk} = o.{jk})"
        ).to_arrow_table()
        con.unregister("__old")
        con.unregister("__new")
        return result.drop_columns([JOIN_KEY])

    def close(self) -> None:
        self.state.close()


def plan_table_join(
    left: tuple[Source, str],
    right: tuple[Source, str],
    join: exp.Join,
    select: exp.Select,
    *,
    project: Any,
    decoded: Any,
) -> tuple[TableTableJoin, list[tuple[str, exp.Expr]]]:
    """The join of two tables and the projection's items (``project(star)`` names them, as
    the compiler names any projection); ``decoded(source)`` is a source's decoded frame."""
    sides = []
    for source, alias in (left, right):
        if source.is_windowed:
            raise KsqlError(f"kaspar.ksql does not join windowed tables yet: {source.name}.")
        if len(source.key_columns) != 1:
            raise KsqlError(f"A table-table join needs one PRIMARY KEY column in {source.name}.")
        frame = decoded(source)
        names = changelog.stored_columns(frame)
        sides.append(
            Side(source, alias, source.key_columns[0].name, changelog.arrow_schema(frame, names))
        )
    lside, rside = sides
    side = str(join.args.get("side") or join.args.get("kind") or "").upper()
    if side not in HOW:
        raise KsqlError(f"{side} JOIN is not supported for a table-table join.")
    how = HOW[side]
    left_on = _condition(join, lside, rside)
    if left_on != lside.key and how not in ("inner", "left"):
        raise KsqlError(
            f"Invalid join type: {'full-outer' if how == 'full' else 'right'} join not supported "
            f"for foreign-key table-table join. Got {lside.source.name} "
            f"{'FULL OUTER' if how == 'full' else 'RIGHT'} JOIN {rside.source.name}."
        )
    spec = TableTableJoin(lside, rside, left_on, how, (), None, ())
    synthetic = spec.identity() if how == "full" else None
    star = [
        (f"{s.alias}_{c.name}", s.column(c.name)) for s in (lside, rside) for c in s.source.columns
    ]
    if synthetic is not None:
        star.insert(0, (SYNTHETIC_KEY, exp.column(SYNTHETIC_KEY, quoted=True)))
    items = [(n, _resolve(t, synthetic)) for n, t in project(star)]
    where = select.args.get("where")
    condition = None if where is None else _resolve(rewrite(where.this), synthetic)
    identity = spec.identity().sql()
    keys = tuple(n for n, tree in items if tree.sql() == identity or _same(tree, spec))
    spec = replace(spec, items=tuple(items), where=condition, key_names=keys)
    return spec, items


def _same(tree: exp.Expr, spec: TableTableJoin) -> bool:
    """A projected primary-key join column of the other side is the key too (inner join)."""
    if spec.how != "inner" or spec.foreign or not isinstance(tree, exp.Column):
        return False
    return tree.sql() == spec.right.column(spec.right.key).sql()


def _resolve(tree: exp.Expr, synthetic: exp.Expr | None) -> exp.Expr:
    """``ROWKEY`` of a FULL OUTER join as the first non-null join key."""
    if synthetic is None:
        return tree

    def swap(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Column) and not node.table and column_name(node) == SYNTHETIC_KEY:
            return synthetic.copy()
        return node

    return tree.transform(swap)


def _condition(join: exp.Join, left: Side, right: Side) -> str:
    """The left column the ON clause joins with the right table's key."""
    on = join.args.get("on")
    if on is None:
        raise KsqlError("A join needs an ON clause.")
    tree = rewrite(on)
    if isinstance(tree, exp.EQ):
        ends = [_side_column(t, left, right) for t in (tree.this, tree.expression)]
        by_alias = {alias: name for alias, name in ends if alias is not None}
        lname, rname = by_alias.get(left.alias), by_alias.get(right.alias)
        if lname is not None and rname == right.key:
            return lname
    raise KsqlError(
        "Invalid join condition: table-table joins require to join on the primary key of the "
        f"right input table. Got {tree.sql()}."
    )


def _side_column(tree: exp.Expr, left: Side, right: Side) -> tuple[str | None, str]:
    """(alias, column) of a column reference to one side, (None, "") for anything else."""
    name = column_name(tree)
    if name is None or not isinstance(tree, exp.Column):
        return None, ""
    table = tree.table
    if table:
        for side in (left, right):
            if table.upper() == side.alias.upper():
                return side.alias, name
        return None, ""
    owners = [s for s in (left, right) if any(c.name == name for c in s.source.columns)]
    return (owners[0].alias, name) if len(owners) == 1 else (None, "")


def stream_of_both(left: Source, right: Source) -> Source:
    """A source whose topic is both tables' topics: the one stream the join reads."""
    topics = left.topic if left.topic == right.topic else f"{left.topic},{right.topic}"
    return replace(left, topic=topics, columns=(*left.columns, *right.header_columns))
