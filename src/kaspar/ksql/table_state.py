"""What a query over TABLE changelogs keeps between micro-batches: the latest row per key of
each table it reads, in the engine's versioned state store (``StateStore``: a DuckDB table,
checkpointed as a Parquet delta per batch under the query's checkpoint).

A changelog topic holds new values only; the old value of a changed row (to undo in an
aggregation, to know which joined row disappears) is the stored one. Batch ``b`` starts from
version ``b`` and commits ``b + 1`` before the batch's output is written, so a batch run
again after a crash starts from the same state and writes the same records (the Kafka sink
skips a batch id it already committed).

Each batch's records of a table become *changes*: the last record per key in the batch
(by offset), a tombstone (or a row a pre-filter drops) marking the key deleted.
"""

# The SQL here is built from column names of the metastore, quoted, never from values.
# ruff: noqa: S608

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import duckdb
import pyarrow as pa

from kaspar.engine.streaming.state_store import StateStore, quote
from kaspar.ksql import formats
from kaspar.ksql.metastore import Source
from kaspar.sql import functions as F
from kaspar.sql.dataframe import DataFrame

DELETED = "__DELETED"  # a change that removes its key
HIDDEN = (formats.TOMBSTONE, formats.TS)  # decoded columns not kept in the state


def stored_columns(frame: DataFrame) -> list[str]:
    """The decoded columns a table's state keeps (its columns and pseudo columns)."""
    return [f.name for f in frame.schema.fields if f.name not in HIDDEN]


def arrow_schema(frame: DataFrame, names: list[str]) -> pa.Schema:
    """The Arrow schema of ``names`` of ``frame`` (no rows are computed)."""
    empty = frame.sparkSession.createDataFrame([], frame.schema)
    return empty.select(*[f"`{n}`" for n in names]).toArrow().schema


class Runner(Protocol):
    """A running query's per-batch step over changelogs (``table_join``, ``table_aggregate``):
    a batch of the source topics' records in, the query's rows out (``__TOMBSTONE`` marking
    a deleted key), its state committed."""

    def process(self, batch: DataFrame, batch_id: int) -> DataFrame: ...

    def close(self) -> None: ...


class Stage:
    """A computation over Arrow tables, planned and compiled once by the engine (a stage, as
    its streaming operators run them) and run on each batch's tables: ``build`` makes the
    result from DataFrames of the inputs' schemas. Compiling a plan costs more than running it
    on a small batch, so each batch only registers its tables and runs the bound query."""

    def __init__(
        self, spark: Any, schemas: list[pa.Schema], build: Callable[..., DataFrame]
    ) -> None:
        inputs = [spark.createDataFrame(schema.empty_table()) for schema in schemas]
        self.leaves = [frame.plan for frame in inputs]
        self.plan = build(*inputs).plan  # kept: the engine drops a plan's tables with it
        self.executor = spark._executor
        self.sql, schema = self.executor.prepare_stage(self.plan, {})
        self.names: list[str] = schema.names

    def run(self, *tables: pa.Table) -> pa.Table:
        named = {
            leaf.name: table.rename_columns([f"c{i}" for i in range(table.num_columns)]).cast(
                leaf.table.schema
            )
            for leaf, table in zip(self.leaves, tables, strict=True)
        }
        return self.executor.run_stage(self.sql, named).rename_columns(self.names)


class Stages:
    """The stages of one runner, made on first use for the tables' schemas."""

    def __init__(self) -> None:
        self.made: dict[tuple[str, tuple[pa.Schema, ...]], Stage] = {}

    def run(
        self, spark: Any, name: str, build: Callable[..., DataFrame], *tables: pa.Table
    ) -> pa.Table:
        key = (name, tuple(t.schema for t in tables))
        if key not in self.made:
            self.made[key] = Stage(spark, [t.schema for t in tables], build)
        return self.made[key].run(*tables)


class ChangelogState:
    """The stores of one query (one per table read, by name) on a DuckDB connection of its
    own; ``begin`` puts every store at the version a batch starts from."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.con = duckdb.connect()
        self.stores: dict[str, StateStore] = {}

    def store(self, name: str, schema: pa.Schema, keys: list[str]) -> StateStore:
        if name not in self.stores:
            folder = self.folder / "state" / name / "0"
            self.stores[name] = StateStore(self.con, folder, f"__state_{name}", schema, keys)
        return self.stores[name]

    def begin(self, batch_id: int) -> None:
        for store in self.stores.values():
            if store.version != batch_id:
                store.load(batch_id)

    def changes(self, view: str, rows: pa.Table, store: StateStore) -> None:
        """Register ``rows`` (the store's columns and ``DELETED``) as ``view``: the last one
        per key (by ``ROWOFFSET``), rows with a null key dropped (ksqlDB ignores them)."""
        rows = rows.select([*store.schema.names, DELETED]).cast(
            pa.schema([*store.schema, pa.field(DELETED, pa.bool_())])
        )
        self.con.register(f"{view}_raw", rows)
        keys = ", ".join(quote(k) for k in store.keys)
        present = " AND ".join(f"{quote(k)} IS NOT NULL" for k in store.keys)
        self.sql(
            f"CREATE OR REPLACE TEMP TABLE {view} AS SELECT * FROM {view}_raw WHERE {present} "
            f"QUALIFY row_number() OVER (PARTITION BY {keys} ORDER BY ROWOFFSET DESC) = 1"
        )
        self.con.unregister(f"{view}_raw")

    def apply(self, view: str, store: StateStore) -> None:
        """Commit the changes ``view`` to ``store``: upserts and deletes, one new version."""
        columns = ", ".join(quote(n) for n in store.schema.names)
        keys = ", ".join(quote(k) for k in store.keys)
        self.sql(
            f"CREATE OR REPLACE TEMP VIEW {view}_up AS SELECT {columns} FROM {view} "
            f"WHERE NOT {DELETED}"
        )
        self.sql(
            f"CREATE OR REPLACE TEMP VIEW {view}_del AS SELECT {keys} FROM {view} WHERE {DELETED}"
        )
        store.commit(f"{view}_up", f"{view}_del")

    def rows(self, store: StateStore, where: str) -> pa.Table:
        """The stored rows matching the SQL predicate ``where`` (over the store's columns)."""
        return self.con.sql(f"SELECT * FROM {quote(store.table)} WHERE {where}").to_arrow_table()

    def sql(self, text: str) -> None:
        self.con.execute(text).fetchall()

    def arrow(self, text: str) -> pa.Table:
        return self.con.sql(text).to_arrow_table()

    def durable(self) -> None:
        """Wait for the batch's state files: the batch commits after this."""
        for store in self.stores.values():
            store.wait_durable()

    def close(self) -> None:
        for store in self.stores.values():
            store.wait_for_snapshot()
        self.con.close()


def decoded_changes(source: Source, raw: DataFrame) -> DataFrame:
    """The batch's records of ``source`` (its topic's) decoded, ``DELETED`` for tombstones."""
    frame = formats.decode(source, raw.filter(F.col("topic") == F.lit(source.topic)))
    return frame.withColumn(DELETED, F.col(formats.TOMBSTONE))
