"""Logical plan nodes: frozen dataclasses whose expressions are sqlglot trees.

Nodes compare and hash by identity (``eq=False``), so analysis results can be cached per node
and a DataFrame's plan is never re-analysed.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlglot import exp

if TYPE_CHECKING:
    from collections.abc import Callable

    import pyarrow as pa

    from kaspar.engine.types import StructType

_relation_ids = itertools.count()


def next_relation_name() -> str:
    """A fresh name under which a local Arrow table is registered in DuckDB."""
    return f"__kaspar_local_{next(_relation_ids)}"


@dataclass(frozen=True, eq=False)
class LogicalPlan:
    """Base of every plan node."""

    @property
    def children(self) -> tuple[LogicalPlan, ...]:
        return ()

    @property
    def is_streaming(self) -> bool:
        return any(c.is_streaming for c in self.children)


@dataclass(frozen=True, eq=False)
class LocalRelation(LogicalPlan):
    """An in-memory Arrow table (``createDataFrame``)."""

    table: pa.Table  # columns named c0, c1, ... (``names`` are the user's names)
    names: tuple[str, ...]
    name: str = field(default_factory=next_relation_name)
    num_partitions: int = 1  # the rows sliced as Spark's parallelize does (docs/partitions.md)
    # the Spark schema ``createDataFrame`` made (nullability inside nested types, which the
    # Arrow types do not keep)
    schema: StructType | None = None


@dataclass(frozen=True, eq=False)
class StreamingRelation(LocalRelation):
    """A streaming source (``spark.readStream``): ``table`` is empty, with the source's schema.

    Each micro-batch runs the plan with the batch's rows registered under ``name``.
    """

    source: object = None  # the engine's stream source (``engine.streaming.sources``)

    @property
    def is_streaming(self) -> bool:
        return True


@dataclass(frozen=True, eq=False)
class DeferredRelation(LocalRelation):
    """A table a Python function computes when a query first needs it (``applyInPandas``,
    ``mapInArrow``, ...): ``table`` is empty, with the declared schema, so analysis never runs
    the function; the executor registers ``materialize()`` instead."""

    compute: Callable[[], pa.Table] | None = None
    _result: list[pa.Table] = field(default_factory=list)

    def materialize(self) -> pa.Table:
        """The computed table (columns ``c0..cn``), computed once per plan node."""
        if not self._result:
            assert self.compute is not None
            self._result.append(self.compute())
        return self._result[0]


FILE_COLUMN = "__kaspar_file"  # a file read's hidden column: the path of each row's file
ROW_INDEX_COLUMN = "__kaspar_row_index"  # parquet's: the row's index in its file


@dataclass(frozen=True, eq=False)
class Scan(LogicalPlan):
    """A file or table source, as a DuckDB table function call (``read_parquet([...])``)."""

    source: exp.Expr
    names: tuple[str, ...]
    description: str = ""
    # What the source reads by name, registered on the connection when the query runs: Arrow
    # datasets (ORC files) and DuckDB SQL text (a view: CSV and text reads, run as written).
    tables: tuple[tuple[str, object], ...] = ()
    # The files read, and a builder of the same read with the file each row came from as one
    # more column (``engine/plan/file_metadata.py``): built only when a query asks for it.
    files: tuple[str, ...] = ()
    with_file: Callable[[], Scan] | None = None
    _file_scans: list[Scan] = field(default_factory=list)

    def file_scan(self) -> Scan | None:
        """The read with its file column (built once), or None for a source without files."""
        if self.with_file is None:
            return None
        if not self._file_scans:
            self._file_scans.append(self.with_file())
        return self._file_scans[0]


@dataclass(frozen=True, eq=False)
class Range(LogicalPlan):
    """``spark.range``: one ``id`` bigint column."""

    start: int
    end: int
    step: int = 1
    num_partitions: int = 1  # contiguous slices of the ids, as Spark's (docs/partitions.md)


@dataclass(frozen=True, eq=False)
class SqlQuery(LogicalPlan):
    """A Spark SQL query (parsed) over temp views, which are plans themselves."""

    query: exp.Query
    names: tuple[str, ...]
    views: tuple[tuple[str, LogicalPlan], ...] = ()

    @property
    def children(self) -> tuple[LogicalPlan, ...]:
        return tuple(plan for _, plan in self.views)


@dataclass(frozen=True, eq=False)
class UnaryNode(LogicalPlan):
    """A node with one child."""

    child: LogicalPlan

    @property
    def children(self) -> tuple[LogicalPlan, ...]:
        return (self.child,)


@dataclass(frozen=True, eq=False)
class FlatMapGroupsWithState(UnaryNode):
    """``applyInPandasWithState``: a Python function per group, with a state per key kept
    across micro-batches. ``child`` is the input with the grouping keys as its first
    ``n_keys`` columns; ``process(key, rows, slot)`` calls the user's function (the SQL layer
    builds it) and returns its output as Arrow tables in ``output``'s columns."""

    n_keys: int
    output: StructType
    state: StructType
    process: Callable[..., list[pa.Table]]
    output_mode: str  # append | update
    timeout: str  # NoTimeout | ProcessingTimeTimeout | EventTimeTimeout


@dataclass(frozen=True, eq=False)
class TransformWithState(UnaryNode):
    """``transformWithStateInPandas`` / ``transformWithState``: a stateful processor per key
    (the SQL layer wraps it in these callables). ``child`` has the grouping keys first."""

    n_keys: int
    output: StructType
    process: Callable[..., list[pa.Table]]  # (key, rows, state, timer values) -> output
    expire: Callable[..., list[pa.Table]]  # (key, expiry ms, state, timer values) -> output
    start: Callable[[], None]  # the processor's init(handle)
    stop: Callable[[], None]  # its close()
    output_mode: str  # append | update
    time_mode: str  # none | processingtime | eventtime
    # initialState=: its rows (grouping keys first, cast to the input's) and the processor's
    # handleInitialState per key, (key, rows, state, timer values) -> output; first batch only
    initial_rows: Callable[[], pa.Table] | None = None
    initial: Callable[..., list[pa.Table]] | None = None
    uses_ttl: Callable[[], bool] | None = None  # a state declared with ttlDurationMs


@dataclass(frozen=True, eq=False)
class Project(UnaryNode):
    """``select``: one output column per expression (window functions allowed)."""

    expressions: tuple[exp.Expr, ...]


@dataclass(frozen=True, eq=False)
class Filter(UnaryNode):
    """``filter`` / ``where``."""

    condition: exp.Expr


@dataclass(frozen=True, eq=False)
class Aggregate(UnaryNode):
    """``groupBy(grouping).agg(aggregates)``; ``aggregates`` lists every output column."""

    grouping: tuple[exp.Expr, ...]
    aggregates: tuple[exp.Expr, ...]
    grouping_sets: str = ""  # "", "ROLLUP", "CUBE" or "GROUPING SETS"
    sets: tuple[tuple[exp.Expr, ...], ...] = ()  # the sets of "GROUPING SETS"


@dataclass(frozen=True, eq=False)
class Sort(UnaryNode):
    """``orderBy``: ``orders`` are ``exp.Ordered`` with explicit null placement."""

    orders: tuple[exp.Ordered, ...]


@dataclass(frozen=True, eq=False)
class Limit(UnaryNode):
    """``limit(n)`` (and ``offset``)."""

    n: int | None
    offset: int = 0


@dataclass(frozen=True, eq=False)
class Distinct(UnaryNode):
    """``distinct()``."""


@dataclass(frozen=True, eq=False)
class Deduplicate(UnaryNode):
    """``dropDuplicates(subset)``: keep one row per distinct ``subset``.

    ``within_watermark`` (``dropDuplicatesWithinWatermark``): on a stream, a key is remembered
    only until the watermark passes its first row's event time plus the watermark delay.
    """

    subset: tuple[str, ...]
    within_watermark: bool = False


@dataclass(frozen=True, eq=False)
class SubqueryAlias(UnaryNode):
    """``df.alias(name)``: columns may then be qualified as ``name.col``."""

    alias: str


@dataclass(frozen=True, eq=False)
class EventTimeWatermark(UnaryNode):
    """``withWatermark(event_time, delay)``: a no-op in batch queries; in a streaming query it
    tracks the maximum event time and drives late-data dropping and state eviction."""

    event_time: str
    delay_ms: int


@dataclass(frozen=True, eq=False)
class Repartition(UnaryNode):
    """``repartition``, ``coalesce``, ``repartitionByRange``, ``repartitionById``: the rows
    moved to ``num_partitions`` partitions. ``kind`` is "round_robin", "hash" (``expressions``
    holds the one hash of the columns), "range" (``expressions`` are ``exp.Ordered``), "id"
    (``expressions`` holds the partition id) or "coalesce" (docs/partitions.md)."""

    num_partitions: int
    kind: str
    expressions: tuple[exp.Expr, ...] = ()


@dataclass(frozen=True, eq=False)
class SortWithinPartitions(UnaryNode):
    """``sortWithinPartitions`` (and ``randomSplit``'s sort): each partition's rows sorted."""

    orders: tuple[exp.Ordered, ...]


@dataclass(frozen=True, eq=False)
class PoissonSample(UnaryNode):
    """``sample(withReplacement=True)``: each row repeated ``counts`` times, a per-row Poisson
    draw from the partition's seeded generator (a call of ``kaspar.engine.seeded``)."""

    counts: exp.Expr


@dataclass(frozen=True, eq=False)
class Join(LogicalPlan):
    """``join``: ``how`` is Spark's normalised join type, ``using`` the ``on=[names]`` form."""

    left: LogicalPlan
    right: LogicalPlan
    how: str
    condition: exp.Expr | None = None
    using: tuple[str, ...] = ()
    outputs: tuple[exp.Expr, ...] = ()  # set by the analyzer: one per output column

    @property
    def children(self) -> tuple[LogicalPlan, ...]:
        return (self.left, self.right)


@dataclass(frozen=True, eq=False)
class LateralJoin(LogicalPlan):
    """``lateralJoin``: ``right`` is evaluated per row of ``left`` (its ``outer()`` columns are
    ``left``'s); ``how`` is inner, left or cross."""

    left: LogicalPlan
    right: LogicalPlan
    how: str
    condition: exp.Expr | None = None

    @property
    def children(self) -> tuple[LogicalPlan, ...]:
        return (self.left, self.right)


@dataclass(frozen=True, eq=False)
class SetOperation(LogicalPlan):
    """``union`` / ``unionByName`` / ``intersect`` / ``subtract`` / ``exceptAll``."""

    left: LogicalPlan
    right: LogicalPlan
    kind: str  # "union", "intersect" or "except"
    distinct: bool = False
    by_name: bool = False
    allow_missing: bool = False

    @property
    def children(self) -> tuple[LogicalPlan, ...]:
        return (self.left, self.right)


JOIN_TYPES = {
    "inner": "inner",
    "cross": "cross",
    "outer": "full",
    "full": "full",
    "fullouter": "full",
    "full_outer": "full",
    "left": "left",
    "leftouter": "left",
    "left_outer": "left",
    "right": "right",
    "rightouter": "right",
    "right_outer": "right",
    "semi": "left_semi",
    "leftsemi": "left_semi",
    "left_semi": "left_semi",
    "anti": "left_anti",
    "leftanti": "left_anti",
    "left_anti": "left_anti",
}
