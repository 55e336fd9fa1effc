"""``make_dt_interval`` and ``make_ym_interval``: Spark's ANSI intervals.

A day-time interval is a count of microseconds and a year-month interval a count of months;
kaspar holds each in a one-field DuckDB struct whose field name marks the Spark type
(``kaspar.engine.type_conversion``). Parts are added in 128-bit integers and checked against
Spark's range (a long of microseconds, an int of months): beyond it Spark raises
``INTERVAL_ARITHMETIC_OVERFLOW``, and so do these.
"""

from __future__ import annotations

import decimal

from sqlglot import exp

from kaspar.engine.compile.ansi_interval_carrier import ANSI_INTERVAL
from kaspar.engine.compile.cast_templates import fill
from kaspar.engine.type_conversion import DAY_TIME_FIELD, YEAR_MONTH_FIELD
from kaspar.sql.column import Column, literal, to_expr
from kaspar.sql.functions._invoke import ColumnOrName, names, node

_OVERFLOW = (
    "error('[INTERVAL_ARITHMETIC_OVERFLOW.WITHOUT_SUGGESTION] Integer overflow while operating "
    "with intervals. Try devising appropriate values for the interval parameters.')"
)
_DAY_TIME = (
    "CAST(_a_ AS HUGEINT) * 86400000000 + CAST(_b_ AS HUGEINT) * 3600000000 "
    "+ CAST(_c_ AS HUGEINT) * 60000000 + CAST(CAST(_d_ AS DECIMAL(18, 6)) * 1000000 AS HUGEINT)"
)
_YEAR_MONTH = "CAST(_a_ AS HUGEINT) * 12 + CAST(_b_ AS HUGEINT)"


def _filled(template: str, parts: list[exp.Expr]) -> exp.Expr:
    tree = fill(template, exp.Null())
    slots = dict(zip(("_a_", "_b_", "_c_", "_d_"), parts, strict=False))
    for column in list(tree.find_all(exp.Column)):
        if column.name in slots:
            column.replace(slots[column.name].copy())
    return tree


def _interval(total: exp.Expr, field: str, bits: int, sql_type: str) -> exp.Expr:
    """``{field := total}`` (NULL when a part is NULL); Spark's overflow error past ``bits``."""
    low, high = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    checked = fill(
        f"CASE WHEN _x_ < {low} OR _x_ > {high} THEN {_OVERFLOW} "
        f"ELSE struct_pack({field} := CAST(_x_ AS {sql_type})) END",
        total,
    )
    return fill("CASE WHEN _x_ IS NULL THEN NULL ELSE _y_ END", total).transform(
        lambda n: checked.copy() if isinstance(n, exp.Column) and n.name == "_y_" else n
    )


def make_dt_interval(
    days: ColumnOrName | None = None,
    hours: ColumnOrName | None = None,
    mins: ColumnOrName | None = None,
    secs: ColumnOrName | None = None,
) -> Column:
    """The day-time interval of the given parts (0 when not given; seconds with a fraction)."""
    parts = [to_expr(p) if p is not None else literal(0) for p in (days, hours, mins)]
    parts.append(to_expr(secs) if secs is not None else literal(decimal.Decimal(0)))
    total = _filled(_DAY_TIME, parts)
    value = _interval(total, DAY_TIME_FIELD, 64, "BIGINT")
    shown = [*parts[:3], literal(0) if secs is None else parts[3]]
    column = node(value, f"make_dt_interval({names(*shown)})")
    column.expr.meta[ANSI_INTERVAL] = True
    return column


def make_ym_interval(
    years: ColumnOrName | None = None, months: ColumnOrName | None = None
) -> Column:
    """The year-month interval of ``years`` and ``months`` (0 when not given)."""
    parts = [to_expr(p) if p is not None else literal(0) for p in (years, months)]
    value = _interval(_filled(_YEAR_MONTH, parts), YEAR_MONTH_FIELD, 32, "INTEGER")
    column = node(value, f"make_ym_interval({names(*parts)})")
    column.expr.meta[ANSI_INTERVAL] = True
    return column


__all__ = ["make_dt_interval", "make_ym_interval"]
