"""The streaming deduplication operator (``dropDuplicates``, ``distinct``,
``dropDuplicatesWithinWatermark``): the first row per key not seen before.

Keys seen are the state; with the watermarked column in the key (or ``withinWatermark``), late
rows are dropped and keys the watermark passed are evicted.
"""

# The SQL here is built from generated identifiers (__k0, __state_1, ...), never user text.
# ruff: noqa: S608

from __future__ import annotations

import time
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from kaspar.engine import types as T
from kaspar.engine.arrow_holder import register_rows
from kaspar.engine.execution import Executor
from kaspar.engine.plan import logical as L
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
from kaspar.errors import AnalysisException


class DeduplicateOperator(StatefulOperator):
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
        # the new-keys query as a relation, bound once while its text (the watermark) holds
        self._new_keys: tuple[str, duckdb.DuckDBPyRelation] | None = None
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

    def emits_leaf_as_is(self, schema: T.StructType) -> bool:
        """Whether the leaf's rows are the output ``schema`` (the replacement is the leaf)."""
        return [f.type for f in arrow_schema(schema)] == [f.type for f in self.leaf.table.schema]

    def attach(self, con: duckdb.DuckDBPyConnection, folder: Path, index: int) -> None:
        self.store = StateStore(con, folder, f"__state_{index}", self.state_schema, self.key_names)

    def run(self, context: BatchContext) -> None:
        """One query finds the batch's rows whose key is new (late rows left out, the first
        per key), then ``StateStore.add``: expired keys deleted, the new keys inserted."""
        store = self.store
        assert store is not None
        con = store.con
        clock = time.monotonic()
        rows = self.stage.run(self.executor, context)
        if self._late(context.watermark_ms) is None and self.within is None:
            firsts = self._first_per_key(rows)
            if firsts is not None:
                self._run_new_keys(rows, firsts, context)
                self.update_ms = elapsed_ms(clock)
                return
        width = rows.num_columns
        named = rows.rename_columns([f"__c{i}" for i in range(width)])
        named = named.append_column("__r", pa.array(range(rows.num_rows), pa.int64()))
        register_rows(con, "__dd_batch", named)
        keyed = ", ".join(
            f"__c{c} AS {quote(k)}" for k, c in zip(self.key_names, self.key_columns, strict=True)
        )
        late, stored = self._late(context.watermark_ms), keyed
        if self.within is not None:
            column, delay = self.within
            stored += f", epoch_ms(__c{column}) + {delay} AS __expires"
        batch = f"WITH i AS (SELECT *, {stored} FROM __dd_batch) "
        self.dropped = 0
        if late is not None:
            row = execute(con, f"{batch}SELECT count(*) FROM i WHERE {late}")[0]
            self.dropped = int(row[0]) if row else 0
        keys = ", ".join(quote(k) for k in self.key_names)
        query = (
            f"{batch}SELECT * FROM i WHERE {'TRUE' if late is None else f'NOT ({late})'} "
            f"AND NOT EXISTS (SELECT 1 FROM {quote(store.table)} s WHERE {store.match('s', 'i')}) "
            f"QUALIFY row_number() OVER (PARTITION BY {keys} ORDER BY __r) = 1 ORDER BY __r"
        )
        if self._new_keys is None or self._new_keys[0] != query:  # the watermark moved
            self._new_keys = (query, con.sql(query))
        new = self._new_keys[1].to_arrow_table()
        release(con, "__dd_batch", named)
        self.update_ms = elapsed_ms(clock)
        clock = time.monotonic()
        store.add(new.select(self.state_schema.names), self._expired(context.watermark_ms))
        self.removal_ms = elapsed_ms(clock)
        table = new.select([f"__c{i}" for i in range(width)]).rename_columns(rows.column_names)
        context.tables[self.leaf.name] = as_leaf_table(table, self.leaf)

    def _first_per_key(self, rows: pa.Table) -> pa.Table | None:
        """The keys of ``rows`` (``__k*``) and the index of each key's first row (``__r``),
        by Arrow's hash aggregation; None where keys are NULL or of a type Arrow's hash join
        does not take (then the SQL above finds them)."""
        keys = [rows.column(c).combine_chunks() for c in self.key_columns]
        if not keys or any(k.null_count or not _joinable(k.type) for k in keys):
            return None
        table = pa.table(
            {**dict(zip(self.key_names, keys, strict=True)), "__r": pa.array(range(len(rows)))}
        )
        firsts = table.group_by(self.key_names, use_threads=False).aggregate([("__r", "min")])
        return firsts.select([*self.key_names, "__r_min"]).rename_columns([*self.key_names, "__r"])

    def _run_new_keys(self, rows: pa.Table, firsts: pa.Table, context: BatchContext) -> None:
        """The first row of each key the state did not hold, in one statement
        (``StateStore.insert_new``): no window over the batch, no separate insert."""
        store = self.store
        assert store is not None
        self.dropped = 0
        inserted = store.insert_new(firsts.select(self.key_names))
        found = firsts.join(inserted, self.key_names, join_type="inner", use_threads=False)
        order = pc.sort_indices(found.column("__r"))
        table = rows.take(pc.take(found.column("__r"), order))
        self.removal_ms = 0
        context.tables[self.leaf.name] = as_leaf_table(table, self.leaf)

    def _late(self, watermark_ms: int) -> str | None:
        """SQL over the batch's rows (``__c*``, keys): the row is behind the watermark."""
        if watermark_ms <= 0:
            return None
        if self.within is not None:
            return f"epoch_ms(__c{self.within[0]}) <= {int(watermark_ms)}"
        if self.event_key is not None:
            return at_or_before(self.event_key, watermark_ms)
        return None

    def _expired(self, watermark_ms: int) -> str | None:
        """SQL over the stored keys: the key leaves the state."""
        if watermark_ms <= 0:
            return None
        if self.within is not None:
            return f"__expires <= {int(watermark_ms)}"
        if self.event_key is not None:
            return at_or_before(self.event_key, watermark_ms)
        return None


def _joinable(kind: pa.DataType) -> bool:
    t = pa.types
    checks = (t.is_integer, t.is_string, t.is_large_string, t.is_binary)
    return any(check(kind) for check in (*checks, t.is_timestamp, t.is_date))


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
