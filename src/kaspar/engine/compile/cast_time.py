"""Spark's casts to and from ``TIME`` (Spark 4.1+) as DuckDB trees.

A TIME is DuckDB's ``TIME`` (microseconds since midnight). Spark casts a string in the forms
``[T]H:m[:s[.fraction]]`` (fields of one or two digits, fraction cut at microseconds, spaces
trimmed), a timestamp (its time of day in the session time zone) and another TIME (cut to the
target's precision). A TIME casts to a string (``HH:mm:ss`` and the fraction without trailing
zeros, as DuckDB writes it), to an integral number (whole seconds since midnight), and to a
timestamp (today's date at that time). Everything else is refused at analysis, as Spark does.
"""

from __future__ import annotations

from sqlglot import exp

from kaspar.engine.compile.cast_templates import ansi, error_message, fill, not_null, raw_cast
from kaspar.engine.compile.cast_text import string_value
from kaspar.errors import AnalysisException

_T = exp.DataType.Type
_TIME_TEXT = r"^[0-9]{1,2}:[0-9]{1,2}(:[0-9]{1,2}(\.[0-9]+)?)?$"
FROM_STRING = (
    "CASE WHEN regexp_matches(regexp_replace(trim(_x_), '^T', ''), '" + _TIME_TEXT + "') "
    "THEN TRY_CAST(regexp_replace(trim(_x_), '^T', '') AS TIME) END"
)
_INTEGRAL = {_T.TINYINT: "TINYINT", _T.SMALLINT: "SMALLINT", _T.INT: "INTEGER", _T.BIGINT: "BIGINT"}
_SOURCE_NAMES = {
    "TINYINT": "TINYINT",
    "SMALLINT": "SMALLINT",
    "INTEGER": "INT",
    "BIGINT": "BIGINT",
    "FLOAT": "FLOAT",
    "DOUBLE": "DOUBLE",
    "BOOLEAN": "BOOLEAN",
    "DATE": "DATE",
    "BLOB": "BINARY",
    "TIMESTAMP WITH TIME ZONE": "TIMESTAMP",
    "TIMESTAMP": "TIMESTAMP_NTZ",
}


def precision(to: exp.DataType) -> int:
    """The ``p`` of ``TIME(p)`` (6 when not given)."""
    if not to.expressions:
        return 6
    arg = to.expressions[0]
    return int(arg.this.this if isinstance(arg, exp.DataTypeParam) else arg.this)


def truncated(value: exp.Expr, digits: int) -> exp.Expr:
    """A TIME cut to ``digits`` fractional digits of a second."""
    if digits >= 6:
        return value
    step = 10 ** (6 - digits)
    return fill(f"TIME '00:00:00' + to_microseconds(epoch_us(_x_) // {step} * {step})", value)


def time_cast(operand: exp.Expr, source: str, to: exp.DataType, mode: str) -> exp.Expr | None:
    """The cast of ``operand`` (DuckDB type ``source``) to ``to`` when either is a TIME; None
    when neither is."""
    if to.this == _T.TIME:
        return _to_time(operand, source, to, mode)
    if source == "TIME":
        return _from_time(operand, to)
    return None


def _to_time(operand: exp.Expr, source: str, to: exp.DataType, mode: str) -> exp.Expr:
    digits = precision(to)
    if source == "TIME":
        return truncated(operand, digits)
    if source in ("TIMESTAMP WITH TIME ZONE", "TIMESTAMP"):
        value = raw_cast(raw_cast(operand, "TIMESTAMP"), "TIME")
        return truncated(value, digits)
    if not source:  # not known (the operand did not bind alone): DuckDB's own cast
        return raw_cast(operand, "TIME")
    if source != "VARCHAR":
        _refuse(operand, _SOURCE_NAMES.get(source, source), f"TIME({digits})")
    tried = truncated(fill(FROM_STRING, operand), digits)
    if mode != "ansi":
        return tried
    error = error_message(
        "CAST_INVALID_INPUT",
        "The value ",
        string_value(operand),
        f' of the type "STRING" cannot be cast to "TIME({digits})" because it is malformed. '
        "Correct the value as per the syntax, or change its target type. Use `try_cast` to "
        "tolerate malformed input and return NULL instead.",
    )
    return ansi(tried, not_null(operand), error)


def _from_time(operand: exp.Expr, to: exp.DataType) -> exp.Expr:
    if to.this in (_T.TEXT, _T.VARCHAR):
        return raw_cast(operand, "VARCHAR")
    if to.this in _INTEGRAL:
        return raw_cast(fill("epoch_us(_x_) // 1000000", operand), _INTEGRAL[to.this])
    if to.this in (_T.TIMESTAMP, _T.TIMESTAMPNTZ):
        return fill("current_date + _x_", operand)
    if to.this in (_T.TIMESTAMPTZ, _T.TIMESTAMPLTZ):
        return raw_cast(fill("current_date + _x_", operand), "TIMESTAMPTZ")
    _refuse(operand, "TIME(6)", to.sql("spark").upper())
    return operand


def _refuse(operand: exp.Expr, source: str, target: str) -> None:
    name = operand.name if isinstance(operand, exp.Column) else operand.sql(dialect="spark")
    raise AnalysisException(
        f'Cannot resolve "CAST({name} AS {target})" due to data type mismatch: cannot cast '
        f'"{source}" to "{target}".',
        "DATATYPE_MISMATCH.CAST_WITHOUT_SUGGESTION",
    )


__all__ = ["FROM_STRING", "precision", "time_cast", "truncated"]
