"""``extract``/``date_part``, ``timestamp_add``/``timestamp_diff`` and ``make_timestamp_ntz``."""

from __future__ import annotations

from duckdb.sqltypes import DuckDBPyType
from sqlglot import exp

from kaspar.engine.compile.cast_templates import raw_cast
from kaspar.engine.compile.typed_rewrites import typed_call
from kaspar.errors import PySparkValueError
from kaspar.sql.column import Column, literal, to_expr
from kaspar.sql.functions._invoke import ColumnOrName, build, names, node

__all__ = [
    "clock_part",
    "date_part",
    "datepart",
    "extract",
    "make_timestamp_ltz",
    "make_timestamp_ntz",
    "timestamp_add",
    "timestamp_diff",
    "try_make_timestamp",
    "try_make_timestamp_ltz",
    "try_make_timestamp_ntz",
    "try_to_date",
]

# Spark field name → the Spark function computing it (all return int).
_FIELDS = {
    "YEAR": "year",
    "Y": "year",
    "YEARS": "year",
    "YR": "year",
    "YRS": "year",
    "QUARTER": "quarter",
    "QTR": "quarter",
    "MONTH": "month",
    "MON": "month",
    "MONS": "month",
    "MONTHS": "month",
    "WEEK": "weekofyear",
    "W": "weekofyear",
    "WEEKS": "weekofyear",
    "DAY": "day",
    "D": "day",
    "DAYS": "day",
    "DAYOFWEEK": "dayofweek",
    "DOY": "dayofyear",
    "HOUR": "hour",
    "H": "hour",
    "HOURS": "hour",
    "HR": "hour",
    "HRS": "hour",
    "MINUTE": "minute",
    "M": "minute",
    "MIN": "minute",
    "MINS": "minute",
    "MINUTES": "minute",
}
_SECONDS = {"SECOND", "S", "SEC", "SECONDS", "SECS"}


def _field(field: Column | str) -> str:
    e = field.expr if isinstance(field, Column) else literal(field)
    if not (isinstance(e, exp.Literal) and e.is_string):
        raise NotImplementedError("extract: the field must be a string literal")
    return str(e.this)


def _part_value(field: str, source: exp.Expr) -> exp.Expr:
    key = field.upper()
    if key in _SECONDS:
        micros = exp.Anonymous(this="date_part", expressions=[literal("microseconds"), source])
        seconds = exp.Div(this=exp.cast(micros, "DECIMAL(38,6)"), expression=literal(1000000))
        return exp.cast(seconds, "DECIMAL(8,6)")
    if key not in _FIELDS:
        raise NotImplementedError(f"extract: field {field!r} is not supported")
    return build(_FIELDS[key], [source])


def extract(field: Column | str, source: ColumnOrName) -> Column:
    f, e = _field(field), to_expr(source)
    return node(_part_value(f, e), f"extract({f} FROM {names(e)})")


def clock_part(fn: str, col: ColumnOrName) -> Column:
    """``hour``/``minute``/``second`` of a timestamp or a time. A string (or an untyped NULL)
    is cast to a timestamp first, as Spark casts it: DuckDB's functions take no VARCHAR, and a
    TIME cannot become a timestamp, so the cast waits for the operand's type."""
    e = to_expr(col)

    def rewrite(operands: list[exp.Expr], types: list[DuckDBPyType]) -> exp.Expr:
        source = operands[0]
        if str(types[0]) in {"VARCHAR", '"NULL"', "NULL"}:
            source = exp.cast(source, "TIMESTAMPTZ")
        return build(fn, [source])

    return node(typed_call([e], rewrite), f"{fn}({names(e)})")


def date_part(field: Column | str, source: ColumnOrName) -> Column:
    f, e = _field(field), to_expr(source)
    return node(_part_value(f, e), f"date_part({f}, {names(e)})")


def datepart(field: Column | str, source: ColumnOrName) -> Column:
    f, e = _field(field), to_expr(source)
    return node(_part_value(f, e), f"datepart({f} FROM {names(e)})")


_ADD_UNITS = {
    "YEAR": ("to_months", 12),
    "QUARTER": ("to_months", 3),
    "MONTH": ("to_months", 1),
    "WEEK": ("to_days", 7),
    "DAY": ("to_days", 1),
    "HOUR": ("to_microseconds", 3_600_000_000),
    "MINUTE": ("to_microseconds", 60_000_000),
    "SECOND": ("to_microseconds", 1_000_000),
    "MILLISECOND": ("to_microseconds", 1000),
    "MICROSECOND": ("to_microseconds", 1),
}


def timestamp_add(unit: str, quantity: ColumnOrName, ts: ColumnOrName) -> Column:
    key = unit.upper()
    if key not in _ADD_UNITS:
        raise NotImplementedError(f"timestamp_add: unit {unit!r} is not supported")
    fn, factor = _ADD_UNITS[key]
    q, t = to_expr(quantity), to_expr(ts)
    amount = exp.Mul(this=exp.cast(q, "BIGINT"), expression=literal(factor))
    interval = exp.Anonymous(this=fn, expressions=[amount])
    return node(exp.Add(this=t, expression=interval), f"timestampadd({unit}, {names(q, t)})")


def timestamp_diff(unit: str, start: ColumnOrName, end: ColumnOrName) -> Column:
    key = unit.upper()
    if key not in _ADD_UNITS:
        raise NotImplementedError(f"timestamp_diff: unit {unit!r} is not supported")
    s, e = to_expr(start), to_expr(end)
    part = key.lower()
    diff = exp.Anonymous(this="date_sub", expressions=[literal(part), s, e])
    return node(exp.cast(diff, "BIGINT"), f"timestampdiff({unit}, {names(s, e)})")


def _naive(
    fields: list[ColumnOrName | None], date: ColumnOrName | None, time: ColumnOrName | None
) -> tuple[exp.Expr, list[exp.Expr]]:
    """The wall-clock TIMESTAMP of six fields or of a date and a time, and their names."""
    if date is not None or time is not None:
        if date is None or time is None or any(f is not None for f in fields):
            raise PySparkValueError(
                "make_timestamp takes either years, months, days, hours, mins and secs, or "
                "date and time.",
                "CANNOT_SET_TOGETHER",
            )
        d, t = to_expr(date), to_expr(time)
        value = exp.Add(this=raw_cast(d, "DATE"), expression=raw_cast(t, "TIME"))
        return value, [d, t]
    if any(f is None for f in fields):
        raise PySparkValueError(
            "make_timestamp needs years, months, days, hours, mins and secs (or date and time).",
            "CANNOT_BE_NONE",
        )
    parts = [to_expr(f) for f in fields if f is not None]
    made = exp.Anonymous(
        this="make_timestamp",
        expressions=[*[exp.cast(p, "BIGINT") for p in parts[:5]], exp.cast(parts[5], "DOUBLE")],
    )
    return made, parts


def timestamp_of(  # noqa: PLR0917 - PySpark's arguments
    fn: str,
    fields: list[ColumnOrName | None],
    to: str,
    safe: bool,
    timezone: ColumnOrName | None = None,
    date: ColumnOrName | None = None,
    time: ColumnOrName | None = None,
) -> Column:
    """``fn``'s timestamp (``to``: TIMESTAMP or TIMESTAMPTZ); the local time is in
    ``timezone`` (a column: each row's zone) when given, else in the session's."""
    value, args = _naive(fields, date, time)
    if safe:
        value = exp.Anonymous(this="try", expressions=[value])
    if timezone is not None and to == "TIMESTAMPTZ":
        tz = to_expr(timezone)
        if fn != "try_make_timestamp" or date is not None:  # Spark leaves it out there
            args.append(tz)
        # both operands typed: DuckDB's timezone() has a TIMESTAMPTZ overload too
        local = raw_cast(value, "TIMESTAMP")
        zoned = exp.Anonymous(this="timezone", expressions=[raw_cast(tz, "VARCHAR"), local])
        return node(zoned, f"{fn}({names(*args)})")
    if fn == "try_make_timestamp_ntz" and date is not None:  # Spark's name of this form
        return node(exp.cast(value, to), f"{fn}(make_timestamp_ntz({names(*args)}))")
    return node(exp.cast(value, to), f"{fn}({names(*args)})")


def make_timestamp_ntz(  # noqa: PLR0917 - PySpark signature
    years: ColumnOrName | None = None,
    months: ColumnOrName | None = None,
    days: ColumnOrName | None = None,
    hours: ColumnOrName | None = None,
    mins: ColumnOrName | None = None,
    secs: ColumnOrName | None = None,
    date: ColumnOrName | None = None,
    time: ColumnOrName | None = None,
) -> Column:
    fields = [years, months, days, hours, mins, secs]
    return timestamp_of("make_timestamp_ntz", fields, "TIMESTAMP", False, None, date, time)


def make_timestamp_ltz(  # noqa: PLR0917 - PySpark signature
    years: ColumnOrName,
    months: ColumnOrName,
    days: ColumnOrName,
    hours: ColumnOrName,
    mins: ColumnOrName,
    secs: ColumnOrName,
    timezone: ColumnOrName | None = None,
) -> Column:
    fields: list[ColumnOrName | None] = [years, months, days, hours, mins, secs]
    return timestamp_of("make_timestamp_ltz", fields, "TIMESTAMPTZ", False, timezone)


def try_make_timestamp(  # noqa: PLR0917 - PySpark signature
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
    fields = [years, months, days, hours, mins, secs]
    return timestamp_of("try_make_timestamp", fields, "TIMESTAMPTZ", True, timezone, date, time)


def try_make_timestamp_ltz(  # noqa: PLR0917 - PySpark signature
    years: ColumnOrName,
    months: ColumnOrName,
    days: ColumnOrName,
    hours: ColumnOrName,
    mins: ColumnOrName,
    secs: ColumnOrName,
    timezone: ColumnOrName | None = None,
) -> Column:
    fields: list[ColumnOrName | None] = [years, months, days, hours, mins, secs]
    return timestamp_of("try_make_timestamp_ltz", fields, "TIMESTAMPTZ", True, timezone)


def try_make_timestamp_ntz(  # noqa: PLR0917 - PySpark signature
    years: ColumnOrName | None = None,
    months: ColumnOrName | None = None,
    days: ColumnOrName | None = None,
    hours: ColumnOrName | None = None,
    mins: ColumnOrName | None = None,
    secs: ColumnOrName | None = None,
    date: ColumnOrName | None = None,
    time: ColumnOrName | None = None,
) -> Column:
    fields = [years, months, days, hours, mins, secs]
    return timestamp_of("try_make_timestamp_ntz", fields, "TIMESTAMP", True, None, date, time)


def try_to_date(col: ColumnOrName, format: str | None = None) -> Column:
    e = to_expr(col)
    if format is None:
        return node(exp.TryCast(this=e, to=exp.DataType.build("DATE")), f"try_to_date({names(e)})")
    from kaspar.engine.compile.datetime_patterns import spark_to_strftime

    pattern = literal(spark_to_strftime(format))
    value = exp.cast(exp.Anonymous(this="try_strptime", expressions=[e, pattern]), "DATE")
    return node(value, f"try_to_date({names(e, literal(format))})")
