"""``window(timeColumn, windowDuration, slideDuration, startTime)``: Spark's time buckets.

Spark computes buckets on microseconds since the epoch: the last window that contains ``t``
starts at ``t - ((t - startTime) mod slide)``, and ``ceil(window / slide)`` windows overlap each
timestamp. Each row becomes one row per window containing it (a generator, like Spark's
``Expand``), with the struct ``window: struct<start: timestamp, end: timestamp>``. Rows whose
time is NULL produce no window, as Spark filters them out.
"""

from __future__ import annotations

import math
import re

import sqlglot
from sqlglot import exp

from kaspar.engine.plan.naming import output_name
from kaspar.engine.plan.nullability import NOT_NULL
from kaspar.errors import AnalysisException, IllegalArgumentException
from kaspar.sql._session_window import SESSION_WINDOW
from kaspar.sql.column import Column, named, to_expr
from kaspar.sql.functions._invoke import ColumnOrName

_UNITS_US = {
    "microsecond": 1,
    "millisecond": 1_000,
    "second": 1_000_000,
    "minute": 60_000_000,
    "hour": 3_600_000_000,
    "day": 86_400_000_000,
    "week": 7 * 86_400_000_000,
}
_PART = re.compile(r"(-?\d+)\s*([a-z]+?)s?\b")

_TEMPLATE = """
unnest(list_filter(
  list_transform(range({n}), lambda i: {{
    'start': __w - to_microseconds(i * {slide}),
    'end': __w - to_microseconds(i * {slide}) + to_microseconds({size})}}),
  lambda x: x.start <= __t AND __t < x.end))
"""
_LAST_START = "__t - to_microseconds((((epoch_us(__t) - {start}) % {slide}) + {slide}) % {slide})"


def duration_us(text: str, argument: str = "windowDuration") -> int:
    """Microseconds in a Spark interval string such as ``10 minutes`` or ``1 hour 30 minutes``."""
    spec = text.strip().lower().removeprefix("interval").strip()
    total, matched = 0, 0
    for amount, unit in _PART.findall(spec):
        if unit not in _UNITS_US:
            raise IllegalArgumentException(
                f"Intervals greater than a month is not supported ({text})."
                if unit in {"month", "year"}
                else f"The interval ({text}) did not correspond to a valid interval string."
            )
        total += int(amount) * _UNITS_US[unit]
        matched += 1
    if not matched:
        raise AnalysisException(
            f"Cannot parse the interval string '{text}' for `{argument}`.",
            "CANNOT_PARSE_INTERVAL",
        )
    return total


def _check_positive(value: int, argument: str) -> None:
    if value <= 0:
        raise AnalysisException(
            f"The `{argument}` must be greater than 0, but got {value}.",
            "DATATYPE_MISMATCH.VALUE_OUT_OF_RANGE",
        )


def _substitute(template: str, t: exp.Expr, **numbers: int) -> exp.Expr:
    tree = sqlglot.parse_one(template.format(**numbers), read="duckdb")

    def put(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Column) and node.name in {"__t", "__w"}:
            if node.name == "__t":
                return t.copy()
            return _substitute(_LAST_START, t, start=numbers["start"], slide=numbers["slide"])
        return node

    return tree.transform(put)


def window(
    timeColumn: ColumnOrName,
    windowDuration: str,
    slideDuration: str | None = None,
    startTime: str | None = None,
) -> Column:
    size = duration_us(windowDuration)
    slide = duration_us(slideDuration, "slideDuration") if slideDuration else size
    start = duration_us(startTime, "startTime") if startTime else 0
    _check_positive(size, "windowDuration")
    _check_positive(slide, "slideDuration")
    if slide > size:
        raise AnalysisException(
            f"The slide duration ({slide}) must be less than or equal to the windowDuration "
            f"({size}).",
            "DATATYPE_MISMATCH.PARAMETER_CONSTRAINT_VIOLATION",
        )
    t = exp.Cast(this=to_expr(timeColumn), to=exp.DataType.build("TIMESTAMPTZ"))
    n = math.ceil(size / slide)
    tree = _substitute(_TEMPLATE, t, n=n, slide=slide, size=size, start=start % slide)
    tree.meta[NOT_NULL] = True  # Spark's window struct is never NULL (its fields may be)
    return Column(named(tree, "window"))


def window_time(windowColumn: ColumnOrName) -> Column:
    """The event time of a ``window`` row: its end minus one microsecond (a timestamp)."""
    w = to_expr(windowColumn)
    end = exp.Dot(this=w.copy(), expression=exp.to_identifier("end"))
    value = exp.Sub(
        this=end, expression=exp.Interval(this=exp.Literal.string("1"), unit=exp.var("MICROSECOND"))
    )
    return Column(named(value, f"window_time({output_name(w)})"))


def session_window(timeColumn: ColumnOrName, gapDuration: Column | str) -> Column:
    """Spark's session windows, for ``groupBy``: rows of a group whose sessions ``[t, t +
    gap)`` meet share one window ``struct<start, end>`` (``_session_window.py``). The gap is
    a constant (``'10 minutes'``) or a column (a string or an interval per row)."""
    gap: int | exp.Expr
    if isinstance(gapDuration, str):
        gap = duration_us(gapDuration, "gapDuration")
        _check_positive(gap, "gapDuration")
    else:
        gap = to_expr(gapDuration)
    placeholder = exp.Column(this=exp.to_identifier(SESSION_WINDOW))
    placeholder.meta[SESSION_WINDOW] = (to_expr(timeColumn), gap)
    placeholder.meta[NOT_NULL] = True
    return Column(named(placeholder, SESSION_WINDOW))


__all__ = ["duration_us", "session_window", "window", "window_time"]
