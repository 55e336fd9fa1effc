"""More date and time functions: epoch conversions, names of days and months, parts."""

from __future__ import annotations

from sqlglot import exp

from kaspar.engine.compile.cast_templates import fill, raw_cast
from kaspar.sql.column import Column, literal, to_expr
from kaspar.sql.functions._format_column import is_column_pattern, parsed_timestamp
from kaspar.sql.functions._invoke import ColumnOrName, as_date, call, names, node


def _fn(name: str, *args: exp.Expr) -> exp.Expr:
    return exp.Anonymous(this=name, expressions=list(args))


def _epoch(fn: str, col: ColumnOrName, duck: str) -> Column:
    e = to_expr(col)
    return node(_fn(duck, exp.cast(e, "TIMESTAMPTZ")), f"{fn}({names(e)})")


def unix_seconds(timestamp: ColumnOrName) -> Column:
    e = to_expr(timestamp)
    value = exp.cast(exp.Floor(this=_fn("epoch", exp.cast(e, "TIMESTAMPTZ"))), "BIGINT")
    return node(value, f"unix_seconds({names(e)})")


def unix_millis(timestamp: ColumnOrName) -> Column:
    return _epoch("unix_millis", timestamp, "epoch_ms")


def unix_micros(timestamp: ColumnOrName) -> Column:
    return _epoch("unix_micros", timestamp, "epoch_us")


def unix_date(col: ColumnOrName) -> Column:
    e = to_expr(col)
    days = exp.Sub(
        this=exp.cast(e, "DATE"), expression=exp.cast(exp.Literal.string("1970-01-01"), "DATE")
    )
    return node(exp.cast(days, "INT"), f"unix_date({names(e)})")


def date_from_unix_date(days: ColumnOrName) -> Column:
    e = to_expr(days)
    value = exp.Add(
        this=exp.cast(exp.Literal.string("1970-01-01"), "DATE"), expression=exp.cast(e, "INT")
    )
    return node(exp.cast(value, "DATE"), f"date_from_unix_date({names(e)})")


def _from_epoch(fn: str, col: ColumnOrName, micros_per_unit: int) -> Column:
    """Epoch + n units as a TIMESTAMPTZ (independent of the session time zone)."""
    e = to_expr(col)
    micros = exp.Mul(this=exp.cast(e, "BIGINT"), expression=exp.Literal.number(micros_per_unit))
    value = exp.Add(
        this=_fn("to_timestamp", exp.Literal.number(0)), expression=_fn("to_microseconds", micros)
    )
    return node(value, f"{fn}({names(e)})")


def timestamp_millis(col: ColumnOrName) -> Column:
    return _from_epoch("timestamp_millis", col, 1000)


def timestamp_micros(col: ColumnOrName) -> Column:
    return _from_epoch("timestamp_micros", col, 1)


def dayname(col: ColumnOrName) -> Column:
    e = to_expr(col)
    return node(
        _fn("strftime", exp.cast(e, "DATE"), exp.Literal.string("%a")), f"dayname({names(e)})"
    )


def monthname(col: ColumnOrName) -> Column:
    e = to_expr(col)
    return node(
        _fn("strftime", exp.cast(e, "DATE"), exp.Literal.string("%b")), f"monthname({names(e)})"
    )


def weekday(col: ColumnOrName) -> Column:
    e = to_expr(col)
    value = exp.Sub(this=_fn("isodow", exp.cast(e, "DATE")), expression=exp.Literal.number(1))
    return node(exp.cast(value, "INT"), f"weekday({names(e)})")


def next_day(date: ColumnOrName, dayOfWeek: str) -> Column:
    return call("next_day", as_date(date), args=(dayOfWeek,))


def curdate() -> Column:
    return node(exp.CurrentDate(), "current_date()")


def current_timezone() -> Column:
    return node(_fn("current_setting", exp.Literal.string("TimeZone")), "current_timezone()")


def localtimestamp() -> Column:
    return node(exp.cast(exp.CurrentTimestamp(), "TIMESTAMP"), "localtimestamp()")


def date_diff(end: ColumnOrName, start: ColumnOrName) -> Column:
    a, b = to_expr(end), to_expr(start)
    value = exp.Sub(this=exp.cast(a, "DATE"), expression=exp.cast(b, "DATE"))
    return node(exp.cast(value, "INT"), f"date_diff({names(a, b)})")


def dateadd(start: ColumnOrName, days: ColumnOrName | int) -> Column:
    e = to_expr(start)
    n = literal(days) if isinstance(days, int) else to_expr(days)
    value = exp.Add(this=exp.cast(e, "DATE"), expression=exp.cast(n, "INT"))
    return node(exp.cast(value, "DATE"), f"date_add({names(e, n)})")


def make_timestamp(  # noqa: PLR0917 - PySpark signature
    years: ColumnOrName | None = None,
    months: ColumnOrName | None = None,
    days: ColumnOrName | None = None,
    hours: ColumnOrName | None = None,
    mins: ColumnOrName | None = None,
    secs: ColumnOrName | None = None,
    timezone: ColumnOrName | None = None,
    date: ColumnOrName | None = None,
    time: ColumnOrName | None = None,
) -> Column:
    """The timestamp of six fields (or a date and a time) in the session time zone, or in
    ``timezone`` (a zone name per row)."""
    from kaspar.sql.functions.date_parts import timestamp_of

    fields = [years, months, days, hours, mins, secs]
    return timestamp_of("make_timestamp", fields, "TIMESTAMPTZ", False, timezone, date, time)


def to_unix_timestamp(timestamp: ColumnOrName, format: ColumnOrName | None = None) -> Column:
    """Seconds since the epoch of ``timestamp`` (a string parsed by ``format``, a literal or
    a column of Spark datetime patterns; ``yyyy-MM-dd HH:mm:ss`` by default)."""
    from kaspar.sql.functions.datetime import unix_timestamp

    e = to_expr(timestamp)
    f = literal("yyyy-MM-dd HH:mm:ss") if format is None else to_expr(format)
    if is_column_pattern(f):
        moment = raw_cast(parsed_timestamp(e, f), "TIMESTAMPTZ")
        seconds = fill("CAST(FLOOR(EPOCH(_x_)) AS BIGINT)", moment)
        return node(seconds, f"to_unix_timestamp({names(e, f)})")
    column = unix_timestamp(timestamp, f.this)
    column.expr.meta["spark_name"] = f"to_unix_timestamp({names(e, f)})"
    return column


def try_to_timestamp(col: ColumnOrName, format: ColumnOrName | None = None) -> Column:
    e = to_expr(col)
    if format is None:
        return node(
            exp.TryCast(this=e, to=exp.DataType.build("TIMESTAMPTZ")),
            f"try_to_timestamp({names(e)})",
        )
    f = to_expr(format)
    from kaspar.engine.compile.datetime_patterns import spark_to_strftime

    pattern = exp.Literal.string(spark_to_strftime(f.this)) if isinstance(f, exp.Literal) else f
    value = exp.cast(_fn("try_strptime", e, pattern), "TIMESTAMPTZ")
    return node(value, f"try_to_timestamp({names(e, f)})")


__all__ = [
    "curdate",
    "current_timezone",
    "date_diff",
    "date_from_unix_date",
    "dateadd",
    "dayname",
    "localtimestamp",
    "make_timestamp",
    "monthname",
    "next_day",
    "timestamp_micros",
    "timestamp_millis",
    "to_unix_timestamp",
    "try_to_timestamp",
    "unix_date",
    "unix_micros",
    "unix_millis",
    "unix_seconds",
    "weekday",
]
