"""Spark 4.1's TIME functions (``to_time``, ``make_time``, ``time_diff``, ``time_trunc``, ...)
in DuckDB SQL over its ``TIME`` type: a TIME is handled as microseconds since midnight
(``epoch_us``) and built back with ``TIME '00:00:00' + to_microseconds(us)``."""

from __future__ import annotations

from sqlglot import exp

from kaspar.engine.compile.cast_templates import ansi, error_message, fill, not_null, raw_cast
from kaspar.engine.compile.cast_text import string_value
from kaspar.engine.compile.cast_time import FROM_STRING, truncated
from kaspar.engine.compile.datetime_patterns import spark_to_strftime
from kaspar.engine.pattern_parse import ON_BAD_PATTERN_NULL, ON_BAD_PATTERN_RUNTIME
from kaspar.errors import IllegalArgumentException
from kaspar.sql.column import Column, literal, to_expr
from kaspar.sql.functions._format_column import is_column_pattern, parsed
from kaspar.sql.functions._invoke import ColumnOrName, names, node

_DAY_US = 86_400_000_000
_UNITS_US = {
    "HOUR": 3_600_000_000,
    "MINUTE": 60_000_000,
    "SECOND": 1_000_000,
    "MILLISECOND": 1_000,
    "MICROSECOND": 1,
}
_DEFAULT_FORMAT = "HH:mm:ss.SSSSSS"


def _from_micros(micros: exp.Expr) -> exp.Expr:
    """The TIME ``micros`` after midnight; Spark's error outside one day."""
    error = error_message(
        "DATETIME_FIELD_OUT_OF_BOUNDS.WITHOUT_SUGGESTION",
        "Invalid TIME value: must be between 00:00:00 and 23:59:59.999999999, but got ",
        fill("CAST(_x_ * 1000 AS VARCHAR)", micros),
        " nanoseconds. ",
    )
    outside = fill(f"_x_ < 0 OR _x_ >= {_DAY_US}", micros)
    value = fill("TIME '00:00:00' + to_microseconds(CAST(_x_ AS BIGINT))", micros)
    return exp.Case(ifs=[exp.If(this=outside, true=error)], default=value)


def _micros(time: exp.Expr) -> exp.Expr:
    return fill("epoch_us(_x_)", time)


def _unit_message(function: str) -> str:
    """Spark's message for a unit that is not one of ``_UNITS_US``, up to the unit's text."""
    allowed = ", ".join(f"'{u}'" for u in _UNITS_US)
    return (
        f"The value of parameter(s) `unit` in `{function}` is invalid: expects one of the "
        f"units {allowed}, but got ''"
    )


def _unit(unit: ColumnOrName, function: str, *operands: exp.Expr) -> tuple[exp.Expr, exp.Expr]:
    """The unit and its length in microseconds: a number for a literal unit (Spark's error
    at once for another), else a ``CASE`` on the row's unit whose other values raise
    ``INVALID_PARAMETER_VALUE.TIME_UNIT`` (NULL when the unit or a time is NULL)."""
    e = to_expr(unit)
    if isinstance(e, exp.Literal | exp.Null):
        text = e.this if isinstance(e, exp.Literal) and e.is_string else None
        if text is None or text.upper() not in _UNITS_US:
            shown = text if text is not None else e.sql("spark")
            raise IllegalArgumentException(
                f"{_unit_message(function)}{shown}''.", "INVALID_PARAMETER_VALUE.TIME_UNIT"
            )
        return e, exp.Literal.number(_UNITS_US[text.upper()])
    upper = exp.Upper(this=e.copy())
    ifs = [
        exp.If(this=exp.EQ(this=upper.copy(), expression=literal(u)), true=literal(us))
        for u, us in _UNITS_US.items()
    ]
    present = exp.and_(*(not_null(o) for o in (e, *operands)))
    error = error_message(
        "INVALID_PARAMETER_VALUE.TIME_UNIT", _unit_message(function), e.copy(), "''."
    )
    return e, exp.Case(ifs=[*ifs, exp.If(this=present, true=error)], default=exp.null())


def _parsed(
    text: exp.Expr, format: ColumnOrName | None, on_bad_pattern: str
) -> tuple[exp.Expr, exp.Expr | str, str]:
    """The TIME ``text`` parses to (NULL if it does not), the pattern (a column's value or a
    literal's text), and the call's argument names."""
    if format is None:
        return fill(FROM_STRING, text), _DEFAULT_FORMAT, names(text)
    f = to_expr(format)
    if is_column_pattern(f):
        value = raw_cast(parsed(text, f, on_bad_pattern), "TIME")
        return value, string_value(f), names(text, f)
    fmt = spark_to_strftime(f.this).replace("'", "''")
    return fill(f"CAST(TRY_STRPTIME(_x_, '{fmt}') AS TIME)", text), f.this, names(text, f)


def to_time(str: ColumnOrName, format: ColumnOrName | None = None) -> Column:
    """A string parsed as a TIME (by ``format``, a Spark datetime pattern, when given);
    Spark's ``CANNOT_PARSE_TIME`` when it does not parse."""
    e = to_expr(str)
    value, pattern, label = _parsed(e, format, ON_BAD_PATTERN_RUNTIME)
    quoted = [pattern, "."] if isinstance(pattern, exp.Expr) else [f"'{pattern}'."]
    error = error_message(
        "CANNOT_PARSE_TIME",
        "The input string ",
        string_value(e),
        " cannot be parsed to a TIME value because it does not match to the datetime format ",
        *quoted,
    )
    fails = not_null(e)
    if format is not None and isinstance(pattern, exp.Expr):
        fails = exp.and_(fails, not_null(to_expr(format)))
    return node(ansi(value, fails, error), f"to_time({label})")


def try_to_time(str: ColumnOrName, format: ColumnOrName | None = None) -> Column:
    """``to_time`` that gives NULL for a string that does not parse."""
    value, _, label = _parsed(to_expr(str), format, ON_BAD_PATTERN_NULL)
    return node(value, f"try_to_time(to_time({label}))")


def make_time(hour: ColumnOrName, minute: ColumnOrName, second: ColumnOrName) -> Column:
    """The TIME ``hour:minute:second`` (seconds with a fraction); Spark's error for a field
    out of its range."""
    h, m, s = (to_expr(c) for c in (hour, minute, second))
    checks = [
        (h, "HourOfDay", "0 - 23", "_x_ < 0 OR _x_ > 23"),
        (m, "MinuteOfHour", "0 - 59", "_x_ < 0 OR _x_ > 59"),
        (s, "SecondOfMinute", "0 - 59", "_x_ < 0 OR _x_ >= 60"),
    ]
    micros = fill(
        "CAST(_x_ AS BIGINT) * 3600000000 + CAST(_y_ AS BIGINT) * 60000000 "
        "+ CAST(trunc(CAST(_z_ AS DECIMAL(16, 6)) * 1000000) AS BIGINT)",
        h,
    )
    for column in list(micros.find_all(exp.Column)):
        if column.name in ("_y_", "_z_"):
            column.replace((m if column.name == "_y_" else s).copy())
    ifs = [
        exp.If(
            this=fill(condition, value),
            true=error_message(
                "DATETIME_FIELD_OUT_OF_BOUNDS.WITHOUT_SUGGESTION",
                f"Invalid value for {field} (valid values {valid}): ",
                fill("CAST(_x_ AS VARCHAR)", value),
                ". ",
            ),
        )
        for value, field, valid, condition in checks
    ]
    value = exp.Case(ifs=ifs, default=fill("TIME '00:00:00' + to_microseconds(_x_)", micros))
    return node(value, f"make_time({names(h, m, s)})")


def current_time(precision: int | None = None) -> Column:
    """The time of day now in the session time zone, cut to ``precision`` digits (6)."""
    digits = 6 if precision is None else precision
    now = fill("CAST(CAST(current_timestamp AS TIMESTAMP) AS TIME)", exp.Null())
    return node(truncated(now, digits), f"current_time({digits})")


def time_diff(unit: ColumnOrName, start: ColumnOrName, end: ColumnOrName) -> Column:
    """Whole ``unit``s from ``start`` to ``end`` (negative when ``end`` is earlier)."""
    a, b = to_expr(start), to_expr(end)
    u, step = _unit(unit, "time_diff", a, b)
    diff = exp.Sub(this=_micros(b), expression=_micros(a))
    value = fill("CAST(trunc(_x_) AS BIGINT)", exp.Div(this=exp.paren(diff), expression=step))
    return node(value, f"time_diff({names(u, a, b)})")


def time_trunc(unit: ColumnOrName, time: ColumnOrName) -> Column:
    """``time`` cut down to a whole ``unit``."""
    t = to_expr(time)
    u, step = _unit(unit, "time_trunc", t)
    floor = exp.IntDiv(this=_micros(t), expression=step)
    truncated = exp.Mul(this=floor, expression=step.copy())
    value = fill("TIME '00:00:00' + to_microseconds(_x_)", truncated)
    return node(value, f"time_trunc({names(u, t)})")


def _from(col: ColumnOrName, function: str, scale: str) -> Column:
    e = to_expr(col)
    return node(_from_micros(fill(scale, e)), f"{function}({names(e)})")


def time_from_seconds(col: ColumnOrName) -> Column:
    """The TIME ``col`` seconds (a fraction allowed) after midnight."""
    return _from(col, "time_from_seconds", "trunc(CAST(_x_ AS DECIMAL(38, 6)) * 1000000)")


def time_from_millis(col: ColumnOrName) -> Column:
    return _from(col, "time_from_millis", "CAST(_x_ AS BIGINT) * 1000")


def time_from_micros(col: ColumnOrName) -> Column:
    return _from(col, "time_from_micros", "CAST(_x_ AS BIGINT)")


def time_to_seconds(col: ColumnOrName) -> Column:
    """Seconds since midnight, as ``decimal(14,6)``."""
    e = to_expr(col)
    value = fill("CAST(epoch_us(_x_) / 1000000 AS DECIMAL(14, 6))", e)
    return node(value, f"time_to_seconds({names(e)})")


def time_to_millis(col: ColumnOrName) -> Column:
    e = to_expr(col)
    return node(fill("epoch_us(_x_) // 1000", e), f"time_to_millis({names(e)})")


def time_to_micros(col: ColumnOrName) -> Column:
    e = to_expr(col)
    return node(fill("epoch_us(_x_)", e), f"time_to_micros({names(e)})")


__all__ = [
    "current_time",
    "make_time",
    "time_diff",
    "time_from_micros",
    "time_from_millis",
    "time_from_seconds",
    "time_to_micros",
    "time_to_millis",
    "time_to_seconds",
    "time_trunc",
    "to_time",
    "try_to_time",
]
