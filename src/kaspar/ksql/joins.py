"""Stream-table joins: ``FROM stream [AS s] [LEFT] JOIN table [AS t] ON s.x = t.key``.

A stream record meets the table as it is when the record is processed (ksqlDB's rule for
stream-table joins). The engine reads a batch DataFrame of a Kafka topic once, so the join
cannot be a stream-static join in the plan; instead it runs per micro-batch: the stream's
batch is joined with a fresh read of the table's topic, latest row per key
(``formats.latest_per_key``). Everything after the join (WHERE, projection) runs on the
joined batch, in the engine.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlglot import exp

from kaspar.ksql import formats
from kaspar.ksql.errors import KsqlError
from kaspar.ksql.expressions import rewrite
from kaspar.ksql.metastore import Metastore, Source
from kaspar.sql import functions as F
from kaspar.sql.column import Column
from kaspar.sql.dataframe import DataFrame

HOW = {"": "inner", "INNER": "inner", "LEFT": "left"}
STREAM_HOW = {**HOW, "RIGHT": "right", "FULL": "full", "OUTER": "full"}


@dataclass(frozen=True)
class TableJoin:
    left: Source
    left_alias: str
    right: Source
    right_alias: str
    on: exp.Expr
    how: str
    read_table: Callable[[Source], DataFrame]

    def apply(self, batch: DataFrame) -> DataFrame:
        """The stream's batch (decoded) joined with the table as it is now."""
        table = formats.latest_per_key(
            formats.decode(self.right, self.read_table(self.right)), self.right
        )
        names = [c.name for c in self.right.columns]
        table = table.select(*[F.col(f"`{n}`") for n in names]).alias(self.right_alias)
        return batch.alias(self.left_alias).join(table, Column(self.on), self.how)

    def star(self) -> list[tuple[str, exp.Expr]]:
        """``SELECT *`` of a join: every column of both sides, named ``<ALIAS>_<COLUMN>``."""
        return [
            (f"{alias}_{c.name}", exp.column(c.name, table=alias, quoted=True))
            for alias, source in ((self.left_alias, self.left), (self.right_alias, self.right))
            for c in source.columns
        ]

    def key_trees(self) -> set[str]:
        """The join's columns as SQL: a projected one is the result's key."""
        if not isinstance(self.on, exp.EQ):
            return set()
        return {self.on.this.sql(), self.on.expression.sql()}


def source_name(table: exp.Table) -> tuple[str, str]:
    """(source name, alias) of a FROM/JOIN item; the alias defaults to the name."""
    identifier = table.this
    name = identifier.this if identifier.quoted else str(identifier.this).upper()
    alias_node = table.args.get("alias")
    if alias_node is None:
        return name, name
    alias_id = alias_node.this
    return name, alias_id.this if alias_id.quoted else str(alias_id.this).upper()


def table_join(
    metastore: Metastore,
    left: tuple[Source, str],
    join: exp.Join,
    read_table: Callable[[Source], DataFrame],
) -> TableJoin:
    right, right_alias, side = _right_side(metastore, join, "table")
    source, left_alias = left
    if source.kind == "STREAM" and right.kind == "STREAM":
        raise KsqlError(
            "Stream-Stream joins must have a WITHIN clause specified. None was provided."
        )
    if source.kind != "STREAM" or right.kind != "TABLE":
        raise KsqlError(
            "kaspar.ksql joins a STREAM with a TABLE so far; "
            f"{source.name} is a {source.kind} and {right.name} a {right.kind}."
        )
    if side not in HOW:
        raise KsqlError(f"{side} JOIN is not supported for a stream-table join (INNER, LEFT).")
    return TableJoin(source, left_alias, right, right_alias, _on(join), HOW[side], read_table)


def stream_join(
    metastore: Metastore,
    left: tuple[Source, str],
    join: exp.Join,
    read: Callable[[Source], DataFrame],
) -> TableJoin:
    """A stream-stream join (``WITHIN``): both sides are streams; the engine's stream-stream
    join runs it (``compiler._compile_stream_join``)."""
    right, right_alias, side = _right_side(metastore, join, "stream")
    source, left_alias = left
    if source.kind != "STREAM" or right.kind != "STREAM":
        raise KsqlError(f"WITHIN joins two streams; {right.name} is a {right.kind}.")
    if side not in STREAM_HOW:
        raise KsqlError(f"{side} JOIN is not supported for a stream-stream join.")
    return TableJoin(source, left_alias, right, right_alias, _on(join), STREAM_HOW[side], read)


def _right_side(metastore: Metastore, join: exp.Join, what: str) -> tuple[Source, str, str]:
    """The joined source, its alias and the join's side (``LEFT``, ``""`` ...)."""
    if not isinstance(join.this, exp.Table):
        raise KsqlError(f"A join needs a {what} name on its right.")
    right_name, right_alias = source_name(join.this)
    side = str(join.args.get("side") or join.args.get("kind") or "").upper()
    return metastore.get(right_name), right_alias, side


def _on(join: exp.Join) -> exp.Expr:
    on = join.args.get("on")
    if on is None:
        raise KsqlError("A join needs an ON clause.")
    return rewrite(on)
