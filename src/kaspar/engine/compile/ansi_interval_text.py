"""Spark's text of an ANSI interval (``INTERVAL '1 02:03:04.5' DAY TO SECOND``), in Python
(``show``) and in DuckDB SQL (a cast to string), from the interval's type and value.

The first field holds the whole leading count (``INTERVAL '100' HOUR``); the fields after it
the remainders, hours and minutes in two digits, seconds with their fraction without trailing
zeros; fields past the type's end field are not shown. A negative interval is signed once.
"""

from __future__ import annotations

from sqlglot import exp

from kaspar.engine import types as T
from kaspar.engine.compile.cast_templates import fill

_DAY_TIME_NAMES = ("DAY", "HOUR", "MINUTE", "SECOND")
_YEAR_MONTH_NAMES = ("YEAR", "MONTH")
_SIZES = (86_400_000_000, 3_600_000_000, 60_000_000, 1_000_000)


def _units(dtype: T.AnsiIntervalType) -> str:
    names = _YEAR_MONTH_NAMES if isinstance(dtype, T.YearMonthIntervalType) else _DAY_TIME_NAMES
    start, end = names[dtype.startField], names[dtype.endField]
    return start if start == end else f"{start} TO {end}"


def _seconds(micros: int) -> str:
    whole, fraction = divmod(micros, 1_000_000)
    return f"{whole:02d}" + (f".{fraction:06d}".rstrip("0") if fraction else "")


def interval_text(value: int, dtype: T.AnsiIntervalType) -> str:
    """Spark's text of ``value`` (months or microseconds) of the interval type ``dtype``."""
    sign, rest = ("-" if value < 0 else ""), abs(value)
    if isinstance(dtype, T.YearMonthIntervalType):
        years, months = divmod(rest, 12)
        if dtype.startField == 1:
            body = str(rest)
        else:
            body = str(years) if dtype.endField == 0 else f"{years}-{months}"
        return f"INTERVAL '{sign}{body}' {_units(dtype)}"
    body = ""
    for field in range(dtype.startField, dtype.endField + 1):
        size = _SIZES[field]
        part = rest if field == dtype.startField else rest % _SIZES[field - 1]
        if field == 3:
            text = _seconds(part)
        else:
            count = part // size
            text = str(count) if field == 0 else f"{count:02d}"
        body += text if field == dtype.startField else (" " if field == 1 else ":") + text
    return f"INTERVAL '{sign}{body}' {_units(dtype)}"


def _year_month_sql(dtype: T.AnsiIntervalType) -> str:
    if dtype.startField == 1:
        return "CAST(_r_ AS VARCHAR)"
    if dtype.endField == 0:
        return "CAST(_r_ // 12 AS VARCHAR)"
    return "CAST(_r_ // 12 AS VARCHAR) || '-' || CAST(_r_ % 12 AS VARCHAR)"


def _day_time_sql(dtype: T.AnsiIntervalType) -> str:
    parts = []
    for field in range(dtype.startField, dtype.endField + 1):
        size = _SIZES[field]
        part = "_r_" if field == dtype.startField else f"(_r_ % {_SIZES[field - 1]})"
        if field == 3:
            text = (
                f"format('{{:02d}}', {part} // {size}) || CASE WHEN {part} % {size} = 0 "
                f"THEN '' ELSE '.' || rtrim(format('{{:06d}}', {part} % {size}), '0') END"
            )
        elif field == 0:
            text = f"CAST({part} // {size} AS VARCHAR)"
        else:
            text = f"format('{{:02d}}', {part} // {size})"
        separator = "" if field == dtype.startField else "' ' || " if field == 1 else "':' || "
        parts.append(f"{separator}{text}")
    return " || ".join(parts)


def interval_text_sql(value: exp.Expr, dtype: T.AnsiIntervalType) -> exp.Expr:
    """DuckDB SQL for ``interval_text`` of ``value`` (months or microseconds; NULL stays
    NULL)."""
    year_month = isinstance(dtype, T.YearMonthIntervalType)
    body = _year_month_sql(dtype) if year_month else _day_time_sql(dtype)
    template = (
        "'INTERVAL ''' || CASE WHEN _x_ < 0 THEN '-' ELSE '' END || "
        f"{body.replace('_r_', 'abs(CAST(_x_ AS HUGEINT))')} || ''' {_units(dtype)}'"
    )
    return fill(template, value)


def interval_cast(cast: exp.Cast, source: str) -> exp.Expr | None:
    """A cast of an ANSI interval to a string: Spark's text of it (None: not such a cast)."""
    from kaspar.engine.compile.ansi_interval_carrier import carried_type, carried_value

    dtype = carried_type(source)
    if dtype is None or cast.to.this not in exp.DataType.TEXT_TYPES:
        return None
    return interval_text_sql(carried_value(cast.this), dtype)


__all__ = ["interval_cast", "interval_text", "interval_text_sql"]
