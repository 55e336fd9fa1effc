"""``DataFrame.cache/persist/unpersist/storageLevel`` and ``explain``'s text.

kaspar keeps no executor memory between queries: DuckDB reads the sources again, so a
persisted DataFrame answers as the same query would. What Spark reports about it is kept: the
storage level asked for (``storageLevel``) and, in ``explain``, the in-memory scan Spark's plan
would start from. ``explain`` prints the plan's DuckDB SQL (the analysed and optimised query)
and DuckDB's physical plan with its row estimates, in Spark's sections.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING

from kaspar.storagelevel import StorageLevel

if TYPE_CHECKING:
    from kaspar.engine.plan import logical as L
    from kaspar.sql.dataframe import DataFrame

_LEVELS: weakref.WeakKeyDictionary[L.LogicalPlan, StorageLevel] = weakref.WeakKeyDictionary()
_MODES = ("simple", "extended", "codegen", "cost", "formatted")


def persist(
    df: DataFrame, storageLevel: StorageLevel = StorageLevel.MEMORY_AND_DISK_DESER
) -> DataFrame:
    _LEVELS[df.plan] = storageLevel
    return df


def cache(df: DataFrame) -> DataFrame:
    return persist(df)


def unpersist(df: DataFrame, blocking: bool = False) -> DataFrame:
    _LEVELS.pop(df.plan, None)
    return df


def storage_level(df: DataFrame) -> StorageLevel:
    return _LEVELS.get(df.plan, StorageLevel.NONE)


def _mode(extended: bool | str | None, mode: str | None) -> str:
    from kaspar.errors import PySparkValueError

    if isinstance(extended, str):
        extended, mode = None, extended
    chosen = (mode or ("extended" if extended else "simple")).lower()
    if chosen not in _MODES:
        raise PySparkValueError(
            f"Unknown explain mode: '{chosen}'. Accepted explain modes are 'simple', "
            "'extended', 'codegen', 'cost', 'formatted'.",
            "UNKNOWN_EXPLAIN_MODE",
        )
    return chosen


def plan_tree(plan: L.LogicalPlan, depth: int = 0) -> str:
    """The logical plan's nodes, one a line, children indented under ``+-`` as Spark shows."""
    line = ("   " * (depth - 1) + "+- " if depth else "") + type(plan).__name__
    return "\n".join([line, *(plan_tree(c, depth + 1) for c in plan.children)])


def explain_string(df: DataFrame, extended: bool | str | None, mode: str | None) -> str:
    executor = df.sparkSession._executor
    chosen = _mode(extended, mode)
    sql = executor.sql(df.plan)
    # a streaming plan runs per micro-batch: its SQL is what each batch runs
    physical = sql if df.isStreaming else executor.physical_plan(df.plan)
    level = _LEVELS.get(df.plan)
    if level is not None:
        columns = ", ".join(df.columns)
        scan = f"InMemoryTableScan [{columns}]\n   +- InMemoryRelation [{columns}], {level}"
        physical = f"{scan}\n{physical}"
    physical_section = f"== Physical Plan ==\n{physical}\n"
    if chosen in ("simple", "formatted", "codegen"):
        return physical_section
    schema = ", ".join(f"{f.name}: {f.dataType.simpleString()}" for f in df.schema.fields)
    if chosen == "cost":
        statistics = "Statistics(row estimates: DuckDB's, in the physical plan)"
        return f"== Optimized Logical Plan ==\n{sql}, {statistics}\n\n{physical_section}"
    tree = plan_tree(df.plan)
    return (
        f"== Parsed Logical Plan ==\n{tree}\n\n"
        f"== Analyzed Logical Plan ==\n{schema}\n{tree}\n\n"
        f"== Optimized Logical Plan ==\n{sql}\n\n{physical_section}"
    )
