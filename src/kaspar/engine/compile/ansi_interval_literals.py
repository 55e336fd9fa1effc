"""Spark SQL's interval literals as ANSI intervals (``INTERVAL '1-2' YEAR TO MONTH``).

Spark types a literal of year and month units as a year-month interval and one of day to
second units as a day-time interval, their start and end fields the literal's first and last
unit (``INTERVAL 1 DAY 2 HOURS`` is ``interval day to hour``). kaspar holds one in its carrier
struct (``ansi_interval_carrier``); the literal's Spark name (``INTERVAL '1 02' DAY TO HOUR``)
rides in the node's meta. A literal that mixes the two kinds is Spark's parse error.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from sqlglot import exp

from kaspar.engine import types as T
from kaspar.engine.compile.ansi_interval_carrier import ANSI_INTERVAL, LITERAL_VALUE, carrier
from kaspar.engine.compile.ansi_interval_text import interval_text
from kaspar.engine.plan.naming import SPARK_NAME
from kaspar.errors import IllegalArgumentException, ParseException

_DAY, _HOUR, _MINUTE, _SECOND = 86_400_000_000, 3_600_000_000, 60_000_000, 1_000_000
# unit -> (year-month?, field, size in months or microseconds)
_UNITS: dict[str, tuple[bool, int, int]] = {
    "YEAR": (True, 0, 12),
    "MONTH": (True, 1, 1),
    "WEEK": (False, 0, 7 * _DAY),
    "DAY": (False, 0, _DAY),
    "HOUR": (False, 1, _HOUR),
    "MINUTE": (False, 2, _MINUTE),
    "SECOND": (False, 3, _SECOND),
    "MILLISECOND": (False, 3, 1_000),
    "MICROSECOND": (False, 3, 1),
}
_NUMBER = r"(\d+(?:\.\d*)?|\.\d+)"
# span (start unit, end unit) -> its text's pattern (after the sign)
_SPANS: dict[tuple[str, str], str] = {
    ("YEAR", "MONTH"): r"(\d+)-(\d+)",
    ("DAY", "HOUR"): r"(\d+) (\d+)",
    ("DAY", "MINUTE"): r"(\d+) (\d+):(\d+)",
    ("DAY", "SECOND"): rf"(\d+) (\d+):(\d+):{_NUMBER}",
    ("HOUR", "MINUTE"): r"(\d+):(\d+)",
    ("HOUR", "SECOND"): rf"(\d+):(\d+):{_NUMBER}",
    ("MINUTE", "SECOND"): rf"(\d+):{_NUMBER}",
}


def _unit(var: exp.Expr) -> str:
    name = var.name.upper()
    return name[:-1] if name.endswith("S") else name


def _error(text: str) -> ParseException:
    return ParseException(
        f"Cannot parse the INTERVAL value: {text}.", "INVALID_INTERVAL_FORMAT.INPUT_IS_NULL"
    )


def _single(text: str, unit: str) -> tuple[bool, int, int]:
    """(year-month?, field, value) of ``INTERVAL <text> <unit>``."""
    if unit not in _UNITS:
        raise ParseException(f"Invalid interval unit: {unit}.", "INVALID_INTERVAL_FORMAT")
    year_month, field, size = _UNITS[unit]
    try:
        number = Decimal(text.strip())
    except InvalidOperation:
        raise _error(text) from None
    if unit != "SECOND" and number != number.to_integral_value():
        raise IllegalArgumentException(
            f"Error parsing '{text} {unit}' to interval. Please ensure that the value provided "
            "is in a valid format for defining an interval. You can reference the documentation "
            f"for the correct format. {unit.lower()} cannot have fractional part.",
            "INVALID_INTERVAL_FORMAT.INVALID_FRACTION",
        )
    return year_month, field, int(number * size)


def _span(text: str, start: str, end: str) -> tuple[bool, int, int, int]:
    """(year-month?, start field, end field, value) of ``INTERVAL '<text>' <start> TO <end>``."""
    pattern = _SPANS.get((start, end))
    match = re.fullmatch(rf"\s*([+-]?){pattern}\s*", text) if pattern else None
    if match is None:
        raise ParseException(
            f"Interval string does not match {start.lower()}-{end.lower()} format: {text}",
            "INVALID_INTERVAL_FORMAT",
        )
    sign = -1 if match.group(1) == "-" else 1
    year_month = start == "YEAR"
    units = [u for u in _UNITS if _UNITS[u][0] == year_month and u != "WEEK"]
    names = units[units.index(start) : units.index(end) + 1]
    value = sum(
        Decimal(part) * _UNITS[u][2] for part, u in zip(match.groups()[1:], names, strict=True)
    )
    return year_month, _UNITS[start][1], _UNITS[end][1], sign * int(value)


def _parts(e: exp.Expr) -> list[tuple[bool, int, int, int]]:
    """Each unit of a (multi-unit) literal: (year-month?, start, end, value)."""
    if isinstance(e, exp.Add):
        return [*_parts(e.this), *_parts(e.expression)]
    if not isinstance(e, exp.Interval):
        raise ParseException("Cannot parse the INTERVAL value.", "INVALID_INTERVAL_FORMAT")
    unit = e.args.get("unit")
    text = e.this.name if isinstance(e.this, exp.Literal) else e.this.sql()
    if isinstance(unit, exp.IntervalSpan):
        return [_span(text, _unit(unit.this), _unit(unit.expression))]
    if unit is None:  # INTERVAL '1 day 2 hours'
        pairs = re.findall(r"([+-]?[\d.]+)\s*([a-zA-Z]+)", text)
        if not pairs or re.sub(r"([+-]?[\d.]+)\s*([a-zA-Z]+)|\s", "", text):
            raise _error(text)
        return [(ym, f, f, v) for ym, f, v in (_single(n, u.upper().rstrip("S")) for n, u in pairs)]
    year_month, field, value = _single(text, _unit(unit))
    return [(year_month, field, field, value)]


def ansi_interval_literal(e: exp.Expr) -> exp.Expr:
    """The ANSI interval a parsed interval literal (``Interval`` or a multi-unit sum) stands
    for, in kaspar's carrier, named as Spark names it."""
    parts = _parts(e)
    kinds = {p[0] for p in parts}
    if len(kinds) > 1:
        raise ParseException(
            f"Cannot mix year-month and day-time fields: {e.sql(dialect='spark')}.",
            "_LEGACY_ERROR_TEMP_0029",
        )
    start, end = min(p[1] for p in parts), max(p[2] for p in parts)
    value = sum(p[3] for p in parts)
    dtype: T.AnsiIntervalType = (
        T.YearMonthIntervalType(start, end)
        if kinds == {True}
        else T.DayTimeIntervalType(start, end)
    )
    node = carrier(exp.Literal.number(value), dtype)
    node.meta[ANSI_INTERVAL] = True
    node.meta[LITERAL_VALUE] = (dtype, value)
    node.meta[SPARK_NAME] = interval_text(value, dtype)
    return node


def is_interval_literal(e: exp.Expr) -> bool:
    """A parsed interval literal whose value is a constant (Spark allows no other)."""
    if isinstance(e, exp.Add):
        return is_interval_literal(e.this) and is_interval_literal(e.expression)
    return isinstance(e, exp.Interval) and isinstance(e.this, exp.Literal | exp.Neg)


__all__ = ["ansi_interval_literal", "is_interval_literal"]
