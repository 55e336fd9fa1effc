"""Calendar intervals: ``make_interval`` and ``try_make_interval`` (DuckDB ``INTERVAL``)."""

from __future__ import annotations

import decimal
import functools

from sqlglot import exp

from kaspar.engine.compile.cast_templates import raw_cast
from kaspar.engine.plan.naming import output_name
from kaspar.sql.column import Column, literal, to_expr
from kaspar.sql.functions._invoke import ColumnOrName, names, node

_MICROS = {"hours": 3_600_000_000, "mins": 60_000_000}


def _fn(name: str, value: exp.Expr) -> exp.Expr:
    return exp.Anonymous(this=name, expressions=[value])


def _scaled(value: exp.Expr, factor: int) -> exp.Expr:
    return exp.Mul(this=exp.paren(value.copy()), expression=exp.Literal.number(factor))


def _interval(parts: dict[str, exp.Expr]) -> exp.Expr:
    """``to_months(12 y + m) + to_days(7 w + d) + to_microseconds(h, min, s in µs)``."""
    months = exp.Add(this=_scaled(parts["years"], 12), expression=exp.paren(parts["months"]))
    days = exp.Add(this=_scaled(parts["weeks"], 7), expression=exp.paren(parts["days"]))
    seconds = raw_cast(_scaled(parts["secs"], 1_000_000), "BIGINT")
    micros = exp.Add(
        this=exp.Add(
            this=_scaled(raw_cast(parts["hours"], "BIGINT"), _MICROS["hours"]),
            expression=_scaled(raw_cast(parts["mins"], "BIGINT"), _MICROS["mins"]),
        ),
        expression=seconds,
    )
    total = exp.Add(
        this=exp.Add(this=_fn("to_months", months), expression=_fn("to_days", days)),
        expression=_fn("to_microseconds", micros),
    )
    return total


def make_interval(  # noqa: PLR0917 (PySpark's signature)
    years: ColumnOrName | None = None,
    months: ColumnOrName | None = None,
    weeks: ColumnOrName | None = None,
    days: ColumnOrName | None = None,
    hours: ColumnOrName | None = None,
    mins: ColumnOrName | None = None,
    secs: ColumnOrName | None = None,
) -> Column:
    """An interval of the given parts (missing parts are 0); overflow raises."""
    given = {"years": years, "months": months, "weeks": weeks, "days": days, "hours": hours}
    parts = {
        key: to_expr(v) if v is not None else literal(decimal.Decimal(0) if key == "secs" else 0)
        for key, v in {**given, "mins": mins, "secs": secs}.items()
    }
    return node(_interval(parts), f"make_interval({names(*parts.values())})")


@functools.wraps(make_interval)
def try_make_interval(*args: ColumnOrName | None, **kwargs: ColumnOrName | None) -> Column:
    """``make_interval`` that gives NULL on overflow."""
    made = make_interval(*args, **kwargs).expr
    value = exp.Anonymous(this="try", expressions=[made])
    return node(value, f"try_{output_name(made)}")


__all__ = ["make_interval", "try_make_interval"]
