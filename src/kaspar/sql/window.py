"""``Window`` and ``WindowSpec`` (PySpark ``pyspark.sql.window``)."""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace
from typing import Any

from sqlglot import exp

from kaspar.engine.compile.dialect import USER_WINDOW
from kaspar.engine.plan.naming import SPARK_FRAME, SPARK_NAME, output_name
from kaspar.sql.column import Column, to_columns

_PRECEDING = -sys.maxsize - 1
_FOLLOWING = sys.maxsize


def _ordered(c: Column) -> exp.Ordered:
    e = c.expr
    if isinstance(e, exp.Ordered):
        return e
    return exp.Ordered(this=e, desc=False, nulls_first=True)


def _bound(value: int, side_if_negative: str) -> tuple[exp.Expr | str, str | None]:
    if value <= _PRECEDING:
        return "UNBOUNDED", "PRECEDING"
    if value >= _FOLLOWING:
        return "UNBOUNDED", "FOLLOWING"
    if value == 0:
        return "CURRENT ROW", None
    side = side_if_negative if value < 0 else "FOLLOWING"
    return exp.Literal.number(abs(value)), side


@dataclass(frozen=True)
class WindowSpec:
    """Partitioning, ordering and frame of a window function."""

    partition: tuple[exp.Expr, ...] = ()
    order: tuple[exp.Ordered, ...] = ()
    frame: tuple[str, int, int] | None = None

    def partitionBy(self, *cols: Any) -> WindowSpec:
        return replace(self, partition=tuple(c.expr for c in to_columns(cols)))

    def orderBy(self, *cols: Any) -> WindowSpec:
        return replace(self, order=tuple(_ordered(c) for c in to_columns(cols)))

    def rowsBetween(self, start: int, end: int) -> WindowSpec:
        return replace(self, frame=("ROWS", start, end))

    def rangeBetween(self, start: int, end: int) -> WindowSpec:
        return replace(self, frame=("RANGE", start, end))

    def apply(self, func: exp.Expr) -> exp.Window:
        """``func OVER (this spec)``."""
        window = exp.Window(this=func)
        window.meta[USER_WINDOW] = True
        if self.partition:
            window.set("partition_by", list(self.partition))
        if self.order:
            window.set("order", exp.Order(expressions=list(self.order)))
        if self.frame is not None:
            kind, start, end = self.frame
            s, s_side = _bound(start, "PRECEDING")
            e, e_side = _bound(end, "PRECEDING")
            window.set(
                "spec",
                exp.WindowSpec(kind=kind, start=s, start_side=s_side, end=e, end_side=e_side),
            )
        frame = func.meta.get(SPARK_FRAME) if self.frame is None else None
        window.meta[SPARK_NAME] = f"{output_name(func)} OVER ({self._describe(frame)})"
        return window

    def _describe(self, frame: str | None = None) -> str:
        parts = []
        if self.partition:
            parts.append("PARTITION BY " + ", ".join(output_name(p) for p in self.partition))
        if self.order:
            parts.append("ORDER BY " + ", ".join(_order_name(o) for o in self.order))
        parts.append(frame or self._frame_name())
        return " ".join(parts)

    def _frame_name(self) -> str:
        if self.frame is None:
            if self.order:
                return "RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW"
            return "ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING"
        kind, start, end = self.frame
        return f"{kind} BETWEEN {_bound_name(start)} AND {_bound_name(end)}"


def _order_name(o: exp.Ordered) -> str:
    direction = "DESC" if o.args.get("desc") else "ASC"
    nulls = "FIRST" if o.args.get("nulls_first") else "LAST"
    return f"{output_name(o.this)} {direction} NULLS {nulls}"


def _bound_name(value: int) -> str:
    if value <= _PRECEDING:
        return "UNBOUNDED PRECEDING"
    if value >= _FOLLOWING:
        return "UNBOUNDED FOLLOWING"
    if value == 0:
        return "CURRENT ROW"
    return f"{-value} PRECEDING" if value < 0 else f"{value} FOLLOWING"


class Window:
    """Entry points that start a ``WindowSpec`` (PySpark ``Window``)."""

    unboundedPreceding: int = _PRECEDING
    unboundedFollowing: int = _FOLLOWING
    currentRow: int = 0

    @staticmethod
    def partitionBy(*cols: Any) -> WindowSpec:
        return WindowSpec().partitionBy(*cols)

    @staticmethod
    def orderBy(*cols: Any) -> WindowSpec:
        return WindowSpec().orderBy(*cols)

    @staticmethod
    def rowsBetween(start: int, end: int) -> WindowSpec:
        return WindowSpec().rowsBetween(start, end)

    @staticmethod
    def rangeBetween(start: int, end: int) -> WindowSpec:
        return WindowSpec().rangeBetween(start, end)
