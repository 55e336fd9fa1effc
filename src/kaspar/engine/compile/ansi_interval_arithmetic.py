"""Arithmetic with intervals, Spark's way: ``x + interval``, ``interval * n``, ``-interval``.

The SQL depends on the operands' types, so each operation with an interval operand (an
interval literal, an ANSI interval, or arithmetic of them) is a typed rewrite
(``kaspar.engine.compile.typed_rewrites``):

* A date plus or minus a year-month interval, or a day-time interval of whole days
  (``interval day``), stays a DATE; plus a finer day-time interval it is a TIMESTAMP.
* A timestamp plus or minus an ANSI interval adds its months or microseconds (same type).
* A TIME plus or minus a day-time interval stays a TIME; a result outside the day raises
  Spark's ``DATETIME_OVERFLOW`` (DuckDB's TIME arithmetic wraps around midnight).
* Two ANSI intervals of one kind add up to that kind from the earlier start field to the later
  end field (``interval day`` + ``interval hour`` is ``interval day to hour``).
* An ANSI interval times or divided by a number is ``interval year to month`` or ``interval
  day to second``, rounded half up; negation keeps the type.
* Beyond Spark's range (an int of months, a long of microseconds) Spark raises; the ``try_*``
  functions (``tolerant``) give NULL there and for a division by zero.
* Anything else (DuckDB's INTERVAL, Spark's ``CalendarIntervalType``) is DuckDB's own operator.
"""

from __future__ import annotations

from duckdb.sqltypes import DuckDBPyType
from sqlglot import exp

from kaspar.engine import types as T
from kaspar.engine.compile.ansi_interval_carrier import (
    ANSI_INTERVAL,
    LITERAL_VALUE,
    carried_type,
    carried_value,
    carrier,
)
from kaspar.engine.compile.cast_templates import error_message, fill
from kaspar.engine.compile.typed_rewrites import Rewrite, typed_call
from kaspar.engine.plan.nullability import NULL_INTOLERANT
from kaspar.errors import AnalysisException

INTERVAL_SOURCE = "kaspar_interval_source"  # meta key: "+" or "-", the typed call's operator
_DAY_US = 86_400_000_000
_RANGES = {T.YearMonthIntervalType: 32, T.DayTimeIntervalType: 64}
_OVERFLOW = (
    "[INTERVAL_ARITHMETIC_OVERFLOW.WITHOUT_SUGGESTION] Integer overflow while operating "
    "with intervals. Try devising appropriate values for the interval parameters."
)
# an addition or subtraction of two intervals (Spark suggests ``try_add``)
SUM_OVERFLOW = (
    "[INTERVAL_ARITHMETIC_OVERFLOW.WITH_SUGGESTION] Integer overflow while operating with "
    "intervals. Use `try_add` to tolerate overflow and return NULL instead."
)
_DIVIDED_BY_ZERO = (
    "[INTERVAL_DIVIDED_BY_ZERO] Division by zero. Use `try_divide` to tolerate divisor being 0 "
    "and return NULL instead."
)
_INTEGRAL = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT")


def is_interval(e: exp.Expr) -> bool:
    """An interval literal, an ANSI interval function call or interval arithmetic (``Paren``
    looked through)."""
    inner = e.unnest() if isinstance(e, exp.Paren) else e
    return isinstance(inner, exp.Interval) or bool(inner.meta.get(ANSI_INTERVAL))


def _failure(message: str, tolerant: bool) -> str:
    if tolerant:
        return "NULL"
    return "error('" + message.replace("'", "''") + "')"


def _checked(
    total: exp.Expr, dtype: T.AnsiIntervalType, tolerant: bool, message: str = _OVERFLOW
) -> exp.Expr:
    """The carrier of ``total`` (a HUGEINT); Spark's overflow error (``message``) outside the
    type's range."""
    bits = _RANGES[type(dtype)]
    low, high = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    template = (
        f"CASE WHEN _x_ IS NULL THEN NULL WHEN _x_ < {low} OR _x_ > {high} "
        f"THEN {_failure(message, tolerant)} ELSE _y_ END"
    )
    return fill(template, total).transform(lambda n: _slot(n, {"_y_": carrier(total, dtype)}))


def _slot(n: exp.Expr, slots: dict[str, exp.Expr]) -> exp.Expr:
    if isinstance(n, exp.Column) and not n.table and n.name in slots:
        return slots[n.name].copy()
    return n


def _wide(value: exp.Expr) -> exp.Expr:
    return fill("CAST(_x_ AS HUGEINT)", carried_value(value))


checked_interval = _checked  # for the typed operations on interval columns
wide_value = _wide  # the months or microseconds an interval carries, as a HUGEINT


def _duckdb_interval(value: exp.Expr, dtype: T.AnsiIntervalType) -> exp.Expr:
    unit = "to_months" if isinstance(dtype, T.YearMonthIntervalType) else "to_microseconds"
    converted = exp.Anonymous(this=unit, expressions=[carried_value(value)])
    if LITERAL_VALUE in value.meta:  # still a constant (a streaming join's bound reads it)
        converted.meta[LITERAL_VALUE] = value.meta[LITERAL_VALUE]
    return converted


def _time_shift(time: exp.Expr, interval: exp.Expr, subtract: bool) -> exp.Expr:
    """A TIME moved by a day-time interval; Spark's overflow outside 00:00..24:00."""
    shift = fill("epoch_us(_x_)", interval)
    total = (exp.Sub if subtract else exp.Add)(this=fill("epoch_us(_x_)", time), expression=shift)
    verb = "subtract" if subtract else "add"
    error = error_message(
        "DATETIME_OVERFLOW",
        f"Datetime operation overflow: {verb} ",
        exp.cast(interval.copy(), "VARCHAR"),
        " to the time value TIME '",
        exp.cast(time.copy(), "VARCHAR"),
        "'.",
    )
    outside = fill(f"_x_ < 0 OR _x_ >= {_DAY_US}", exp.paren(total))
    value = fill("TIME '00:00:00' + to_microseconds(CAST(_x_ AS BIGINT))", exp.paren(total))
    return exp.Case(ifs=[exp.If(this=outside, true=error)], default=value)


def _shift(
    moment: exp.Expr, kind: str, interval: exp.Expr, dtype: T.AnsiIntervalType, subtract: bool
) -> exp.Expr:
    """A date, timestamp or time moved by an ANSI interval."""
    op = exp.Sub if subtract else exp.Add
    if kind == "TIME":
        return _time_shift(moment, _duckdb_interval(interval, dtype), subtract)
    if kind == "DATE" and isinstance(dtype, T.DayTimeIntervalType) and dtype.endField == 0:
        days = fill(f"CAST(_x_ // {_DAY_US} AS INTEGER)", carried_value(interval))
        return op(this=exp.paren(moment.copy()), expression=days)
    if kind == "DATE" and isinstance(dtype, T.DayTimeIntervalType):
        moment = fill("CAST(_x_ AS TIMESTAMPTZ)", moment)
    shifted = op(this=exp.paren(moment.copy()), expression=_duckdb_interval(interval, dtype))
    year_month = isinstance(dtype, T.YearMonthIntervalType)
    return fill("CAST(_x_ AS DATE)", shifted) if kind == "DATE" and year_month else shifted


def _sum(
    operands: list[exp.Expr], dtypes: list[T.AnsiIntervalType], subtract: bool, tolerant: bool
) -> exp.Expr:
    a, b = dtypes
    kind = type(a)
    if type(b) is not kind:
        day_time_first = subtract and isinstance(a, T.DayTimeIntervalType)
        condition = "BINARY_OP_DIFF_TYPES" if day_time_first else "UNEXPECTED_INPUT_TYPE"
        raise AnalysisException(
            f"Cannot resolve the {'subtraction' if subtract else 'addition'} of "
            f'"{a.simpleString().upper()}" and "{b.simpleString().upper()}": year-month and '
            "day-time intervals do not mix.",
            f"DATATYPE_MISMATCH.{condition}",
        )
    widened = kind(min(a.startField, b.startField), max(a.endField, b.endField))
    op = exp.Sub if subtract else exp.Add
    total = op(this=_wide(operands[0]), expression=_wide(operands[1]))
    return _checked(total, widened, tolerant, SUM_OVERFLOW)


def arithmetic_rewrite(subtract: bool, tolerant: bool = False) -> Rewrite:
    """The typed rewrite of ``a + b`` (``-`` when ``subtract``) with an interval operand."""

    def rewrite(operands: list[exp.Expr], types: list[DuckDBPyType]) -> exp.Expr:
        dtypes = [carried_type(t) for t in types]
        kinds = [str(t) for t in types]
        first, second = dtypes
        if first is not None and second is not None:
            return _sum(operands, [first, second], subtract, tolerant)
        if second is not None:
            return _shift(operands[0], kinds[0], operands[1], second, subtract)
        if first is not None and not subtract:
            return _shift(operands[1], kinds[1], operands[0], first, subtract=False)
        if kinds[0] == "TIME" and kinds[1] == "INTERVAL":
            return _time_shift(operands[0], operands[1], subtract)
        if kinds[1] == "TIME" and kinds[0] == "INTERVAL" and not subtract:
            return _time_shift(operands[1], operands[0], subtract=False)
        op = exp.Sub if subtract else exp.Add
        return op(this=exp.paren(operands[0].copy()), expression=exp.paren(operands[1].copy()))

    return rewrite


def interval_arithmetic(left: exp.Expr, right: exp.Expr, subtract: bool) -> exp.Expr:
    """``left + right`` (``-`` when ``subtract``), one of them an interval."""
    call = typed_call([left, right], arithmetic_rewrite(subtract))
    call.meta[NULL_INTOLERANT] = True
    call.meta[INTERVAL_SOURCE] = "-" if subtract else "+"
    if is_interval(left) and is_interval(right):
        call.meta[ANSI_INTERVAL] = True
    return call


def _scaled(
    interval: exp.Expr,
    dtype: T.AnsiIntervalType,
    number: exp.Expr,
    kind: str,
    *,
    divide: bool,
    tolerant: bool,
) -> exp.Expr:
    """An ANSI interval times or divided by a number (rounded half up)."""
    full = type(dtype)()
    value = _wide(interval)
    if divide:
        quotient = fill("round(CAST(_x_ AS DOUBLE) / NULLIF(_y_, 0))", value).transform(
            lambda n: _slot(n, {"_y_": number})
        )
        total = fill("CAST(_x_ AS HUGEINT)", quotient)
        zero = fill(f"CASE WHEN _x_ = 0 THEN {_failure(_DIVIDED_BY_ZERO, tolerant)} END", number)
        checked = _checked(total, full, tolerant)
        return exp.Case(ifs=[exp.If(this=fill("_x_ = 0", number), true=zero)], default=checked)
    if kind in _INTEGRAL:
        product: exp.Expr = exp.Mul(this=value, expression=fill("CAST(_x_ AS HUGEINT)", number))
    else:
        product = fill("CAST(round(_x_) AS HUGEINT)", exp.Mul(this=value, expression=number))
    return _checked(product, full, tolerant)


def scaling_rewrite(divide: bool, tolerant: bool = False) -> Rewrite:
    """The typed rewrite of ``a * b`` or ``a / b`` with an ANSI interval operand."""

    def rewrite(operands: list[exp.Expr], types: list[DuckDBPyType]) -> exp.Expr:
        dtypes = [carried_type(t) for t in types]
        kinds = [str(t) for t in types]
        if dtypes[0] is not None and dtypes[1] is None:
            return _scaled(
                operands[0], dtypes[0], operands[1], kinds[1], divide=divide, tolerant=tolerant
            )
        if dtypes[1] is not None and dtypes[0] is None and not divide:
            return _scaled(
                operands[1], dtypes[1], operands[0], kinds[0], divide=divide, tolerant=tolerant
            )
        op = exp.Div if divide else exp.Mul
        return op(this=exp.paren(operands[0].copy()), expression=exp.paren(operands[1].copy()))

    return rewrite


def interval_scaling(left: exp.Expr, right: exp.Expr, divide: bool) -> exp.Expr:
    """``left * right`` or ``left / right`` with an ANSI interval operand."""
    call = typed_call([left, right], scaling_rewrite(divide))
    call.meta[NULL_INTOLERANT] = True
    call.meta[ANSI_INTERVAL] = True
    return call


def try_arithmetic(op: type[exp.Binary], left: exp.Expr, right: exp.Expr) -> exp.Expr:
    """Spark's ``try_add`` / ``try_subtract`` / ``try_multiply`` / ``try_divide``: NULL where
    the operation fails; with an ANSI interval operand Spark's interval arithmetic (NULL where
    it would overflow or divide by zero)."""
    interval = (
        arithmetic_rewrite(op is exp.Sub, tolerant=True)
        if op in (exp.Add, exp.Sub)
        else scaling_rewrite(op is exp.Div, tolerant=True)
    )

    def rewrite(operands: list[exp.Expr], types: list[DuckDBPyType]) -> exp.Expr:
        if any(carried_type(t) is not None for t in types):
            return interval(operands, types)
        x, y = (exp.paren(o.copy()) for o in operands)
        if op is exp.Div:
            divisor = exp.Nullif(this=y, expression=exp.Literal.number(0))
            return exp.Div(this=x, expression=divisor, typed=False, safe=True)
        return exp.Anonymous(this="try", expressions=[op(this=x, expression=y)])

    return typed_call([left, right], rewrite)


def interval_comparison(op: type[exp.Binary], left: exp.Expr, right: exp.Expr) -> exp.Expr:
    """``left op right`` of two intervals: ANSI intervals of one kind compare by their months
    or microseconds, whatever their start and end fields."""

    def rewrite(operands: list[exp.Expr], types: list[DuckDBPyType]) -> exp.Expr:
        dtypes = [carried_type(t) for t in types]
        a, b = (o.copy() for o in operands)
        if dtypes[0] is not None and dtypes[1] is not None:
            a, b = carried_value(a), carried_value(b)
        return op(this=a, expression=b)

    call = typed_call([left, right], rewrite)
    call.meta[NULL_INTOLERANT] = True
    return call


def interval_negation(operand: exp.Expr) -> exp.Expr:
    """``-operand`` of an interval."""

    def rewrite(operands: list[exp.Expr], types: list[DuckDBPyType]) -> exp.Expr:
        dtype = carried_type(types[0])
        if dtype is None:
            return exp.Neg(this=exp.paren(operands[0].copy()))
        return _checked(exp.Neg(this=exp.paren(_wide(operands[0]))), dtype, tolerant=False)

    call = typed_call([operand], rewrite)
    call.meta[NULL_INTOLERANT] = True
    call.meta[ANSI_INTERVAL] = True
    return call


__all__ = [
    "INTERVAL_SOURCE",
    "SUM_OVERFLOW",
    "arithmetic_rewrite",
    "checked_interval",
    "interval_arithmetic",
    "interval_comparison",
    "interval_negation",
    "interval_scaling",
    "is_interval",
    "scaling_rewrite",
    "try_arithmetic",
    "wide_value",
]
