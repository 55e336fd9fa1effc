"""``DataFrame.observe`` and ``pyspark.sql.Observation``: named metrics of a batch DataFrame.

``df.observe(observation, *metrics)`` returns a DataFrame over a plan node of its own (a
``select("*")`` of ``df``) and remembers it. The first action whose plan contains that node
(``collect``, ``count``, ``show``, a write) computes the metrics when it finishes:

1. The executor calls its action listeners with the finished action's plan.
2. The listener looks for observed nodes in that plan; each one found is forgotten (Spark keeps
   the metrics of the first action only).
3. The metrics are aggregated over the observed node, the rows that flowed into the action,
   and stored as a dict in the ``Observation``; ``Observation.get`` returns it.

The metrics are one more query over the observed DataFrame, not the same pass as the action:
DuckDB returns one result per query. ``observe`` with a name instead of an ``Observation``
reports nowhere for a batch query (Spark sends the metrics to JVM listeners), so it leaves the
DataFrame as it is; on a streaming DataFrame Spark shows them in the query progress's
``observedMetrics``, which kaspar does not compute yet.
"""

from __future__ import annotations

import threading
import uuid
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from kaspar.errors import (
    AnalysisException,
    PySparkAssertionError,
    PySparkTypeError,
    PySparkValueError,
)

if TYPE_CHECKING:
    from kaspar.engine.plan.logical import LogicalPlan
    from kaspar.sql.column import Column
    from kaspar.sql.dataframe import DataFrame

_LOCK = threading.Lock()
# Observed plan nodes by id (each entry holds its node, so the id stays its own until used)
_PENDING: dict[int, tuple[LogicalPlan, Observation, DataFrame, tuple[Column, ...]]] = {}


class Observation:
    """Named metrics of a DataFrame, computed by the first action on it (PySpark's
    ``Observation``)."""

    def __init__(self, name: str | None = None) -> None:
        if name is not None:
            if not isinstance(name, str):
                raise PySparkTypeError(
                    f"Argument `name` should be str, got {type(name).__name__}.",
                    "NOT_EXPECTED_TYPE",
                )
            if name == "":
                raise PySparkValueError(
                    "Value for `name` must be a non-empty string, got ''.",
                    "VALUE_NOT_NON_EMPTY_STR",
                )
        self._name = name if name is not None else str(uuid.uuid4())
        self._attached = False
        self._done = threading.Event()
        self._metrics: dict[str, Any] = {}

    @property
    def get(self) -> dict[str, Any]:
        """The metrics, once the first action on the observed DataFrame has finished (waits
        for it, as PySpark does)."""
        if not self._attached:
            raise PySparkAssertionError(
                "Should observe by calling `DataFrame.observe` before `get`.",
                "NO_OBSERVE_BEFORE_GET",
            )
        self._done.wait()
        return dict(self._metrics)

    def _on(self, df: DataFrame, *exprs: Column) -> DataFrame:
        if self._attached:
            raise PySparkAssertionError(
                "An Observation can be used with a DataFrame only once.", "REUSE_OBSERVATION"
            )
        observed = df.select("*")
        self._attached = True
        executor = df.sparkSession._executor
        with _LOCK:
            _PENDING[id(observed._plan)] = (observed._plan, self, observed, exprs)
            if _report not in executor.action_listeners:
                executor.action_listeners.append(_report)
        return observed

    def _collect(self, df: DataFrame, exprs: tuple[Column, ...]) -> None:
        try:
            row = df.agg(*exprs).collect()[0]
            self._metrics = row.asDict()
        finally:
            self._done.set()


def _report(plan: LogicalPlan) -> None:
    """The executor's action listener: the metrics of every observed node in ``plan``."""
    found = []
    with _LOCK:
        stack = [plan]
        while stack:
            node = stack.pop()
            entry = _PENDING.get(id(node))
            if entry is not None and entry[0] is node:
                found.append(_PENDING.pop(id(node)))
            stack.extend(node.children)
    for _, observation, df, exprs in found:
        observation._collect(df, exprs)


def check_metrics(exprs: tuple[Column, ...]) -> None:
    """Spark's rule: a column of the DataFrame only inside an aggregate function."""
    if not exprs:
        raise PySparkValueError("At least one exprs must be specified.", "CANNOT_BE_EMPTY")
    for column in exprs:
        for ref in column.expr.find_all(exp.Column):
            if ref.find_ancestor(exp.AggFunc, exp.Anonymous, exp.Window) is None:
                raise AnalysisException(
                    f'Invalid observed metrics. Attribute "{ref.name}" can only be used as an '
                    "argument to an aggregate function.",
                    "INVALID_OBSERVED_METRICS.NON_AGGREGATE_FUNC_ARG_IS_ATTRIBUTE",
                )


def observe(df: DataFrame, observation: Observation | str, *exprs: Column) -> DataFrame:
    """``DataFrame.observe``."""
    if not isinstance(observation, Observation | str):
        raise PySparkTypeError(
            "Argument `observation` should be a Observation or str, got "
            f"{type(observation).__name__}.",
            "NOT_OBSERVATION_OR_STR",
        )
    check_metrics(exprs)
    if isinstance(observation, str):
        return df
    return observation._on(df, *exprs)


__all__ = ["Observation", "observe"]
