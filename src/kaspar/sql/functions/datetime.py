"""Date and time functions (timestamps are interpreted in ``spark.sql.session.timeZone``)."""

from __future__ import annotations

from sqlglot import exp

from kaspar.sql.column import Column, literal, to_expr
from kaspar.sql.functions._invoke import (
    ColumnOrName,
    as_date,
    build,
    call,
    names,
    node,
    operand,
    renamed,
)
from kaspar.sql.functions.date_parts import clock_part


def current_date() -> Column:
    return node(exp.CurrentDate(), "current_date()")


def current_timestamp() -> Column:
    return node(exp.CurrentTimestamp(), "current_timestamp()")


def now() -> Column:
    return renamed(current_timestamp(), "now")


def date_format(date: ColumnOrName, format: str) -> Column:
    return call("date_format", date, args=(format,))


def to_date(col: ColumnOrName, format: str | None = None) -> Column:
    if format is None:
        e = to_expr(col)
        return node(exp.Cast(this=e, to=exp.DataType.build("DATE")), f"to_date({names(e)})")
    return call("to_date", col, args=(format,))


def to_timestamp(col: ColumnOrName, format: str | None = None) -> Column:
    if format is None:
        e = to_expr(col)
        to = exp.DataType.build("TIMESTAMPTZ")
        return node(exp.Cast(this=e, to=to), f"to_timestamp({names(e)})")
    return call("to_timestamp", col, args=(format,))


def _part(fn: str, col: ColumnOrName) -> Column:
    return call(fn, col)


def year(col: ColumnOrName) -> Column:
    return _part("year", col)


def quarter(col: ColumnOrName) -> Column:
    return _part("quarter", as_date(col))  # DuckDB's quarter takes no string


def month(col: ColumnOrName) -> Column:
    return _part("month", col)


def dayofmonth(col: ColumnOrName) -> Column:
    return _part("dayofmonth", col)


def day(col: ColumnOrName) -> Column:
    return _part("day", col)


def dayofweek(col: ColumnOrName) -> Column:
    return _part("dayofweek", col)


def dayofyear(col: ColumnOrName) -> Column:
    return _part("dayofyear", col)


def weekofyear(col: ColumnOrName) -> Column:
    return _part("weekofyear", col)


def hour(col: ColumnOrName) -> Column:
    return clock_part("hour", col)


def minute(col: ColumnOrName) -> Column:
    return clock_part("minute", col)


def second(col: ColumnOrName) -> Column:
    return clock_part("second", col)


def date_add(start: ColumnOrName, days: ColumnOrName | int) -> Column:
    return call("date_add", start, operand(days))


def date_sub(start: ColumnOrName, days: ColumnOrName | int) -> Column:
    return call("date_sub", start, operand(days))


def datediff(end: ColumnOrName, start: ColumnOrName) -> Column:
    return call("datediff", end, start)


def add_months(start: ColumnOrName, months: ColumnOrName | int) -> Column:
    return call("add_months", as_date(start), operand(months))


def months_between(date1: ColumnOrName, date2: ColumnOrName, roundOff: bool = True) -> Column:
    a, b = to_expr(date1), to_expr(date2)
    e = build("months_between", [a, b, exp.Boolean(this=roundOff)])
    return node(e, f"months_between({names(a, b)}, {str(roundOff).lower()})")


def last_day(date: ColumnOrName) -> Column:
    return call("last_day", as_date(date))


def trunc(date: ColumnOrName, format: str) -> Column:
    return call("trunc", date, args=(format,))


def convert_timezone(sourceTz: Column | None, targetTz: Column, sourceTs: ColumnOrName) -> Column:
    """A local (NTZ) timestamp in ``sourceTz`` (default: the session time zone) as the local
    time in ``targetTz``; a timestamp with time zone is first made local to the session."""
    ts = to_expr(sourceTs)
    target = to_expr(targetTz)
    if sourceTz is None:
        source: exp.Expr = exp.Anonymous(
            this="current_setting", expressions=[exp.Literal.string("TimeZone")]
        )
        source_name = "current_timezone()"
    else:
        source = to_expr(sourceTz)
        source_name = names(source)
    local = exp.cast(ts.copy(), "TIMESTAMP")
    instant = exp.Anonymous(this="timezone", expressions=[source, local])
    value = exp.Anonymous(this="timezone", expressions=[target, instant])
    return node(value, f"convert_timezone({source_name}, {names(target, ts)})")


def date_trunc(format: str, timestamp: ColumnOrName) -> Column:
    """Spark's units (``yyyy``, ``mon``, ``dd``... too); any other gives NULL."""
    e = to_expr(timestamp)
    unit = _TRUNC_UNITS.get(format.upper())
    if unit is None:
        return node(exp.cast(exp.Null(), "TIMESTAMPTZ"), f"date_trunc({format}, {names(e)})")
    inner = exp.TimestampTrunc(this=e, unit=exp.var(unit))
    return node(inner, f"date_trunc({format}, {names(e)})")


_TRUNC_UNITS = {
    **dict.fromkeys(("YEAR", "YYYY", "YY"), "YEAR"),
    **dict.fromkeys(("MONTH", "MON", "MM"), "MONTH"),
    **dict.fromkeys(("DAY", "DD"), "DAY"),
    **{u: u for u in ("QUARTER", "WEEK", "HOUR", "MINUTE", "SECOND", "MILLISECOND")},
    "MICROSECOND": "MICROSECOND",
}


def unix_timestamp(
    timestamp: ColumnOrName | None = None, format: str = "yyyy-MM-dd HH:mm:ss"
) -> Column:
    if timestamp is None:
        seconds = exp.Anonymous(this="epoch", expressions=[exp.CurrentTimestamp()])
        now = exp.cast(exp.Anonymous(this="floor", expressions=[seconds]), "BIGINT")
        return node(now, "unix_timestamp(current_timestamp(), yyyy-MM-dd HH:mm:ss)")
    return call("unix_timestamp", timestamp, args=(format,))


def from_unixtime(timestamp: ColumnOrName, format: str = "yyyy-MM-dd HH:mm:ss") -> Column:
    return call("from_unixtime", timestamp, args=(format,))


def timestamp_seconds(col: ColumnOrName) -> Column:
    e = to_expr(col)
    return node(exp.UnixToTime(this=e), f"timestamp_seconds({names(e)})")


def make_date(year: ColumnOrName, month: ColumnOrName, day: ColumnOrName) -> Column:
    return call("make_date", year, month, day)


def from_utc_timestamp(timestamp: ColumnOrName, tz: str) -> Column:
    return call("from_utc_timestamp", timestamp, args=(tz,))


def to_utc_timestamp(timestamp: ColumnOrName, tz: str) -> Column:
    return call("to_utc_timestamp", timestamp, args=(tz,))


_ = literal

__all__ = [
    "add_months",
    "convert_timezone",
    "current_date",
    "current_timestamp",
    "date_add",
    "date_format",
    "date_sub",
    "date_trunc",
    "datediff",
    "day",
    "dayofmonth",
    "dayofweek",
    "dayofyear",
    "from_unixtime",
    "from_utc_timestamp",
    "hour",
    "last_day",
    "make_date",
    "minute",
    "month",
    "months_between",
    "now",
    "quarter",
    "second",
    "timestamp_seconds",
    "to_date",
    "to_timestamp",
    "to_utc_timestamp",
    "trunc",
    "unix_timestamp",
    "weekofyear",
    "year",
]
