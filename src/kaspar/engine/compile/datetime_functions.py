"""Spark datetime functions whose DuckDB namesakes differ, built as DuckDB trees when parsed.

The Spark SQL parser (``KasparSpark``) builds these for ``F.*`` and SQL text alike:

* ``months_between(a, b[, roundOff])`` (Spark's ``DateTimeUtils.monthsBetween``): whole months
  when both days of month are equal or both are the last of their month; otherwise the month
  difference plus the difference of the seconds into the month (time of day included, whole
  seconds) over 31 days, rounded half up to 8 decimals unless ``roundOff`` is false.
* ``from_utc_timestamp(ts, tz)``: the wall-clock time of ``ts`` in ``tz``, read as UTC;
  ``to_utc_timestamp(ts, tz)``: the wall-clock time of ``ts`` in UTC, read as a time in
  ``tz``. Neither depends on the session time zone. A fixed offset (``+02:00``, ``GMT-5``),
  which DuckDB's zone names lack, is added or subtracted as an interval.
"""

from __future__ import annotations

import re

from duckdb.sqltypes import DuckDBPyType
from sqlglot import exp

from kaspar.engine.compile.cast_templates import raw_cast
from kaspar.engine.compile.typed_rewrites import typed_call
from kaspar.engine.plan.naming import SPARK_NAME, output_name

_SECONDS_PER_DAY = 86_400
_SECONDS_IN_31_DAYS = 31 * _SECONDS_PER_DAY


def _fn(name: str, *args: exp.Expr) -> exp.Anonymous:
    return exp.Anonymous(this=name, expressions=[a.copy() for a in args])


def _op(cls: type[exp.Binary], left: exp.Expr | float, right: exp.Expr | float) -> exp.Expr:
    """``left <op> right`` with compound operands in parentheses."""

    def operand(x: exp.Expr | float) -> exp.Expr:
        if not isinstance(x, exp.Expr):
            return exp.Literal.number(x)
        return exp.paren(x.copy()) if isinstance(x, exp.Binary) else x.copy()

    return cls(this=operand(left), expression=operand(right))


def _named(e: exp.Expr, fn: str, args: list[exp.Expr]) -> exp.Expr:
    e.meta[SPARK_NAME] = f"{fn}({', '.join(output_name(a) for a in args)})"
    return e


def _wall_clock(value: exp.Expr) -> exp.Expr:
    """The session-local wall-clock time of a timestamp, date or timestamp string."""
    instant = exp.Cast(this=value.copy(), to=exp.DataType.build("TIMESTAMPTZ"))
    return raw_cast(instant, "TIMESTAMP")


def _month_index(date: exp.Expr) -> exp.Expr:
    return _op(exp.Add, _op(exp.Mul, _fn("YEAR", date), 12), _fn("MONTH", date))


def _seconds_into_month(local: exp.Expr, date: exp.Expr) -> exp.Expr:
    """``day * 86400 + whole seconds since midnight`` (the day's offset cancels out)."""
    since = _op(exp.Sub, _fn("EPOCH", local), _fn("EPOCH", raw_cast(date, "TIMESTAMP")))
    return _op(exp.Add, _op(exp.Mul, _fn("DAY", date), _SECONDS_PER_DAY), _fn("FLOOR", since))


def _is_last_day(date: exp.Expr) -> exp.Expr:
    return exp.EQ(this=date.copy(), expression=_fn("LAST_DAY", date))


def months_between(args: list[exp.Expr]) -> exp.Expr:
    round_off = args[2].copy() if len(args) > 2 else exp.true()

    def rewrite(operands: list[exp.Expr], types: list[DuckDBPyType]) -> exp.Expr:
        a, b = _wall_clock(operands[0]), _wall_clock(operands[1])
        if all(str(t).startswith(("TIMESTAMP", "DATE")) for t in types):
            return _months_between(a, b, round_off)
        # a string's conversion to a timestamp is long SQL: converted once, not once per
        # reading in the formula (which multiplies the query's size and its per-row work)
        value = _bound_once([a, b], ("a", "b"))
        first, second = (
            _fn("struct_extract", exp.column(_BOUND), exp.Literal.string(v)) for v in "ab"
        )
        body = _months_between(first, second, round_off)
        value.find(exp.Lambda).set("this", body)  # type: ignore[union-attr]
        return value

    return _named(typed_call(args[:2], rewrite), "months_between", [*args[:2], round_off])


_BOUND = "__kaspar_bound"


def _bound_once(values: list[exp.Expr], names: tuple[str, ...]) -> exp.Expr:
    """``list_transform([{names: values}], lambda bound: <body>)[1]``: a DuckDB expression in
    which the body (set by the caller on the Lambda) reads each value as
    ``struct_extract(bound, name)``,
    computed once (a string operand's conversion to a timestamp is long SQL: repeated in a
    formula it multiplies the query's size and its per-row work)."""
    pairs = [
        exp.PropertyEQ(this=exp.to_identifier(n), expression=v)
        for n, v in zip(names, values, strict=True)
    ]
    packed = exp.Anonymous(this="struct_pack", expressions=pairs)
    lam = exp.Lambda(this=exp.Null(), expressions=[exp.to_identifier(_BOUND)])
    listed = exp.Anonymous(
        this="list_transform", expressions=[exp.Array(expressions=[packed]), lam]
    )
    return exp.Bracket(this=listed, expressions=[exp.Literal.number(1)], offset=1)


def _months_between(a: exp.Expr, b: exp.Expr, round_off: exp.Expr) -> exp.Expr:
    da, db = raw_cast(a, "DATE"), raw_cast(b, "DATE")
    months = raw_cast(_op(exp.Sub, _month_index(da), _month_index(db)), "DOUBLE")
    whole = exp.or_(
        exp.EQ(this=_fn("DAY", da), expression=_fn("DAY", db)),
        exp.and_(_is_last_day(da), _is_last_day(db)),
    )
    seconds = _op(exp.Sub, _seconds_into_month(a, da), _seconds_into_month(b, db))
    diff = _op(exp.Add, months, _op(exp.Div, seconds, float(_SECONDS_IN_31_DAYS)))
    rounded = _op(exp.Div, _fn("FLOOR", _op(exp.Add, _op(exp.Mul, diff, 1e8), 0.5)), 1e8)
    fraction = exp.Case(ifs=[exp.If(this=round_off.copy(), true=rounded)], default=diff)
    return exp.Case(ifs=[exp.If(this=whole, true=months)], default=fraction)


_OFFSET = re.compile(r"(?:UTC|GMT|UT)?([+-])(\d{1,2})(?::?(\d{2}))?", re.IGNORECASE)


def _offset_seconds(tz: exp.Expr) -> int | None:
    """The seconds east of UTC of a literal fixed-offset zone (``+02:00``), else None."""
    if not (isinstance(tz, exp.Literal) and tz.is_string):
        return None
    match = _OFFSET.fullmatch(str(tz.this).strip())
    if match is None:
        return None
    sign, hours, minutes = match.groups()
    seconds = int(hours) * 3600 + int(minutes or 0) * 60
    return -seconds if sign == "-" else seconds


def _shift(instant: exp.Expr, seconds: int) -> exp.Expr:
    interval = exp.Interval(this=exp.Literal.string(str(seconds)), unit=exp.var("SECOND"))
    return exp.Add(this=instant, expression=interval)


def from_utc_timestamp(args: list[exp.Expr]) -> exp.Expr:
    ts, tz = args
    instant = exp.Cast(this=ts.copy(), to=exp.DataType.build("TIMESTAMPTZ"))
    offset = _offset_seconds(tz)
    if offset is not None:
        return _named(_shift(instant, offset), "from_utc_timestamp", args)
    local = exp.AtTimeZone(this=instant, zone=tz.copy())  # the wall clock in tz
    value = exp.AtTimeZone(this=local, zone=exp.Literal.string("UTC"))
    return _named(value, "from_utc_timestamp", args)


def to_utc_timestamp(args: list[exp.Expr]) -> exp.Expr:
    ts, tz = args
    instant = exp.Cast(this=ts.copy(), to=exp.DataType.build("TIMESTAMPTZ"))
    offset = _offset_seconds(tz)
    if offset is not None:
        return _named(_shift(instant, -offset), "to_utc_timestamp", args)
    utc = exp.AtTimeZone(this=instant, zone=exp.Literal.string("UTC"))  # the wall clock in UTC
    value = exp.AtTimeZone(this=utc, zone=tz.copy())
    return _named(value, "to_utc_timestamp", args)
