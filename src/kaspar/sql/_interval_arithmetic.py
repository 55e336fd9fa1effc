"""``x + interval`` and ``x - interval`` where the interval is an interval literal or an ANSI
interval (``make_dt_interval`` / ``make_ym_interval``): the SQL depends on ``x``'s type, so the
sum is a typed rewrite (``kaspar.engine.compile.typed_rewrites``).

* A TIME plus or minus a day-time interval stays a TIME; a result outside the day raises
  Spark's ``DATETIME_OVERFLOW`` (DuckDB's TIME arithmetic wraps around midnight).
* A timestamp or date plus an ANSI interval adds its microseconds or months.
* Anything else is DuckDB's own ``+`` / ``-``.
"""

from __future__ import annotations

from duckdb.sqltypes import DuckDBPyType
from sqlglot import exp

from kaspar.engine.compile.cast_templates import error_message, fill
from kaspar.engine.compile.typed_rewrites import typed_call
from kaspar.engine.type_conversion import DAY_TIME_FIELD, YEAR_MONTH_FIELD

ANSI_INTERVAL = "kaspar_ansi_interval"  # meta key: a make_dt_interval / make_ym_interval call
_DAY_US = 86_400_000_000


def is_interval(e: exp.Expr) -> bool:
    """An interval literal or an ANSI interval function call (``Paren`` looked through)."""
    inner = e.unnest() if isinstance(e, exp.Paren) else e
    return isinstance(inner, exp.Interval) or bool(inner.meta.get(ANSI_INTERVAL))


def _as_duckdb_interval(value: exp.Expr, kind: DuckDBPyType) -> exp.Expr:
    name = str(kind)
    if DAY_TIME_FIELD in name:
        return fill(f"to_microseconds(struct_extract(_x_, '{DAY_TIME_FIELD}'))", value)
    if YEAR_MONTH_FIELD in name:
        return fill(f"to_months(struct_extract(_x_, '{YEAR_MONTH_FIELD}'))", value)
    return value


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


def interval_arithmetic(left: exp.Expr, right: exp.Expr, subtract: bool) -> exp.Expr:
    """``left + right`` (``-`` when ``subtract``), one of them an interval."""

    def rewrite(operands: list[exp.Expr], types: list[DuckDBPyType]) -> exp.Expr:
        a, b = (_as_duckdb_interval(o, t) for o, t in zip(operands, types, strict=True))
        kinds = [str(t) for t in types]
        if kinds[0] == "TIME" and kinds[1] != "TIME":
            return _time_shift(operands[0], b, subtract)
        if kinds[1] == "TIME" and not subtract:
            return _time_shift(operands[1], a, subtract=False)
        return (exp.Sub if subtract else exp.Add)(this=exp.paren(a), expression=exp.paren(b))

    return typed_call([left, right], rewrite)


__all__ = ["ANSI_INTERVAL", "interval_arithmetic", "is_interval"]
