"""``extract``/``date_part``, ``timestamp_add``/``timestamp_diff`` and ``make_timestamp_ntz``."""

from __future__ import annotations

from duckdb.sqltypes import DuckDBPyType
from sqlglot import exp

from kaspar.engine.compile.typed_rewrites import typed_call
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


def make_timestamp_ntz(  # noqa: PLR0917 - PySpark signature
    years: ColumnOrName,
    months: ColumnOrName,
    days: ColumnOrName,
    hours: ColumnOrName,
    mins: ColumnOrName,
    secs: ColumnOrName,
) -> Column:
    parts = [to_expr(c) for c in (years, months, days, hours, mins, secs)]
    value = exp.Anonymous(
        this="make_timestamp",
        expressions=[*[exp.cast(p, "BIGINT") for p in parts[:5]], exp.cast(parts[5], "DOUBLE")],
    )
    return node(exp.cast(value, "TIMESTAMP"), f"make_timestamp_ntz({names(*parts)})")


def _make_timestamp(fn: str, parts: list[exp.Expr], to: str, safe: bool) -> Column:
    value: exp.Expr = exp.Anonymous(
        this="make_timestamp",
        expressions=[*[exp.cast(p, "BIGINT") for p in parts[:5]], exp.cast(parts[5], "DOUBLE")],
    )
    if safe:
        value = exp.Anonymous(this="try", expressions=[value])
    return node(exp.cast(value, to), f"{fn}({names(*parts)})")


def make_timestamp_ltz(  # noqa: PLR0917 - PySpark signature
    years: ColumnOrName,
    months: ColumnOrName,
    days: ColumnOrName,
    hours: ColumnOrName,
    mins: ColumnOrName,
    secs: ColumnOrName,
) -> Column:
    parts = [to_expr(c) for c in (years, months, days, hours, mins, secs)]
    return _make_timestamp("make_timestamp_ltz", parts, "TIMESTAMPTZ", safe=False)


def try_make_timestamp(  # noqa: PLR0917 - PySpark signature
    years: ColumnOrName,
    months: ColumnOrName,
    days: ColumnOrName,
    hours: ColumnOrName,
    mins: ColumnOrName,
    secs: ColumnOrName,
) -> Column:
    parts = [to_expr(c) for c in (years, months, days, hours, mins, secs)]
    return _make_timestamp("try_make_timestamp", parts, "TIMESTAMPTZ", safe=True)


def try_make_timestamp_ltz(  # noqa: PLR0917 - PySpark signature
    years: ColumnOrName,
    months: ColumnOrName,
    days: ColumnOrName,
    hours: ColumnOrName,
    mins: ColumnOrName,
    secs: ColumnOrName,
) -> Column:
    parts = [to_expr(c) for c in (years, months, days, hours, mins, secs)]
    return _make_timestamp("try_make_timestamp_ltz", parts, "TIMESTAMPTZ", safe=True)


def try_make_timestamp_ntz(  # noqa: PLR0917 - PySpark signature
    years: ColumnOrName,
    months: ColumnOrName,
    days: ColumnOrName,
    hours: ColumnOrName,
    mins: ColumnOrName,
    secs: ColumnOrName,
) -> Column:
    parts = [to_expr(c) for c in (years, months, days, hours, mins, secs)]
    return _make_timestamp("try_make_timestamp_ntz", parts, "TIMESTAMP", safe=True)


def try_to_date(col: ColumnOrName, format: str | None = None) -> Column:
    e = to_expr(col)
    if format is None:
        return node(exp.TryCast(this=e, to=exp.DataType.build("DATE")), f"try_to_date({names(e)})")
    from kaspar.engine.compile.datetime_patterns import spark_to_strftime

    pattern = literal(spark_to_strftime(format))
    value = exp.cast(exp.Anonymous(this="try_strptime", expressions=[e, pattern]), "DATE")
    return node(value, f"try_to_date({names(e, literal(format))})")
