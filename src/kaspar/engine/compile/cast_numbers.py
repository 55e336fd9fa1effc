"""Spark's casts between numbers, booleans, dates, timestamps and binary, as DuckDB trees.

Each builder returns the ``try_cast`` value (ANSI semantics, null where Spark's ANSI cast fails),
the legacy value (``spark.sql.ansi.enabled=false``) and the error class an ANSI failure raises.
Spark's rules, checked against PySpark by ``tests/conformance/pyspark/test_cast_matrix.py``:

* fraction -> integral truncates; legacy mode saturates ``int``/``bigint`` like Java (NaN is 0)
  and wraps ``tinyint``/``smallint`` from the saturated int; integral -> narrower integral wraps.
* numbers -> timestamp are seconds since the epoch (fractions truncate to microseconds);
  timestamp -> integral is ``floor(seconds)``, -> double the exact seconds.
* NaN and infinities: null as decimal (even in ANSI mode), null or CAST_INVALID_INPUT as
  timestamp; double -> float overflows to an infinity.
"""

from __future__ import annotations

from typing import NamedTuple

from sqlglot import exp

from kaspar.engine.compile.cast_rules import FRACTIONAL, INTEGRAL
from kaspar.engine.compile.cast_templates import fill, not_null, raw_cast


def _put(tree: exp.Expr, name: str, part: exp.Expr) -> None:
    """Put ``part`` in place of the template column ``name``."""
    for column in list(tree.find_all(exp.Column)):
        if column.name == name:
            column.replace(part.copy())


_BITS = {"i1": 8, "i2": 16, "i4": 32, "i8": 64}
_DUCKDB = {"i1": "TINYINT", "i2": "SMALLINT", "i4": "INTEGER", "i8": "BIGINT"}
_OVERFLOW = "CAST_OVERFLOW"
_DECIMAL_RANGE = "NUMERIC_VALUE_OUT_OF_RANGE.WITH_SUGGESTION"
_INVALID = "CAST_INVALID_INPUT"
_US = "epoch_us(_x_)"
_SECONDS = f"({_US} - ((({_US} % 1000000) + 1000000) % 1000000)) // 1000000"


class Built(NamedTuple):
    """A cast's values: ``tried`` (ANSI, null on failure) and ``legacy``; an ANSI failure is
    where ``tried`` is null and the operand is not (or the first of ``checks`` holds), raising
    ``error_class`` (or that check's class)."""

    tried: exp.Expr
    legacy: exp.Expr
    error_class: str
    checks: tuple[tuple[exp.Expr, str], ...] = ()  # (fails, error class), first match raises


def wrap(value: exp.Expr, dst: str) -> exp.Expr:
    """An integer value wrapped into ``dst``'s range, as Java's narrowing conversion does."""
    bits = _BITS[dst]
    modulus, half = 2**bits, 2 ** (bits - 1)
    template = (
        f"CAST(((CAST(_x_ AS HUGEINT) % {modulus}) + {modulus + half}) % {modulus} - {half} "
        "AS {t})"
    )
    return fill(template, value, t=_DUCKDB[dst])


def _range(dst: str) -> tuple[int, int]:
    half = 2 ** (_BITS[dst] - 1)
    return -half, half - 1


def _saturated(x: exp.Expr, dst: str) -> exp.Expr:
    """Java's ``(int)``/``(long)`` of a double: truncation, saturation, NaN is 0."""
    low, high = _range(dst)
    return fill(
        f"CASE WHEN isnan(_x_) THEN CAST(0 AS {{t}}) WHEN _x_ >= {high} THEN CAST({high} AS {{t}}) "
        f"WHEN _x_ <= {low} THEN CAST({low} AS {{t}}) ELSE CAST(trunc(_x_) AS {{t}}) END",
        x,
        t=_DUCKDB[dst],
    )


def to_integral(x: exp.Expr, src: str, dst: str) -> Built | None:
    t = _DUCKDB[dst]
    if src in INTEGRAL or src == "bool":
        narrowing = src in INTEGRAL and _BITS[src] > _BITS[dst]
        legacy = wrap(x, dst) if narrowing else raw_cast(x, t)
        return Built(raw_cast(x, t, safe=True), legacy, _OVERFLOW)
    if src in ("f4", "f8"):
        tried = raw_cast(fill("trunc(_x_)", x), t, safe=True)
        if dst in ("i4", "i8"):
            return Built(tried, _saturated(x, dst), _OVERFLOW)
        return Built(tried, wrap(_saturated(x, "i4"), dst), _OVERFLOW)
    if src == "dec":
        truncated = fill("trunc(_x_)", x)
        return Built(raw_cast(truncated, t, safe=True), wrap(truncated, dst), _OVERFLOW)
    if src == "ts":
        seconds = fill(_SECONDS, x)
        tried = raw_cast(seconds, t, safe=True)
        if dst == "i8":
            return Built(tried, seconds, _OVERFLOW)
        return Built(tried, wrap(seconds, dst) if dst == "i4" else tried, _OVERFLOW)
    if src == "date":
        return Built(exp.Null(), raw_cast(exp.Null(), t), _OVERFLOW)
    return None


def to_fractional(x: exp.Expr, src: str, dst: str) -> Built | None:
    t = "FLOAT" if dst == "f4" else "DOUBLE"
    if src == "f8" and dst == "f4":
        value = fill(
            "COALESCE(TRY_CAST(_x_ AS FLOAT), CASE WHEN _x_ > 0 THEN CAST('inf' AS FLOAT) "
            "WHEN _x_ < 0 THEN CAST('-inf' AS FLOAT) END)",
            x,
        )
        return Built(value, value, _OVERFLOW)
    if src in INTEGRAL | FRACTIONAL or src == "bool":
        return Built(raw_cast(x, t), raw_cast(x, t), _OVERFLOW)
    if src == "ts":
        value = raw_cast(fill("epoch(_x_)", x), t)
        return Built(value, value, _OVERFLOW)
    if src == "date":
        return Built(exp.Null(), raw_cast(exp.Null(), t), _OVERFLOW)
    return None


def to_decimal(x: exp.Expr, src: str, to: exp.DataType) -> Built | None:
    if src in ("f4", "f8"):
        tried = fill("CASE WHEN isfinite(_x_) THEN TRY_CAST(_x_ AS {t}) END", x, t=to.sql("duckdb"))
        return Built(tried, tried, _DECIMAL_RANGE, ((fill("isfinite(_x_)", x), _DECIMAL_RANGE),))
    if src in INTEGRAL or src in ("dec", "bool"):
        tried = raw_cast(x, to, safe=True)
        return Built(tried, tried, _DECIMAL_RANGE)
    if src == "ts":
        exact = fill(f"CAST({_US} AS DECIMAL(26, 0)) * CAST(0.000001 AS DECIMAL(7, 6))", x)
        tried = raw_cast(exact, to, safe=True)
        return Built(tried, tried, _DECIMAL_RANGE)
    if src == "date":
        return Built(exp.Null(), raw_cast(exp.Null(), to), _DECIMAL_RANGE)
    return None


def to_boolean(x: exp.Expr, src: str) -> Built | None:
    if src in INTEGRAL | FRACTIONAL:
        value = fill("_x_ <> 0", x)
    elif src == "ts":
        value = fill(f"{_US} <> 0", x)
    elif src == "date":
        value = raw_cast(exp.Null(), "BOOLEAN")
    else:
        return None
    return Built(value, value, _INVALID)


def to_timestamp(x: exp.Expr, src: str) -> Built | None:
    """Seconds since the epoch (numbers), one microsecond for true, dates at midnight."""
    if src in INTEGRAL:
        template = (
            "make_timestamptz(CASE WHEN _x_ > 9223372036854 THEN 9223372036854 "
            "WHEN _x_ < -9223372036854 THEN -9223372036854 ELSE CAST(_x_ AS BIGINT) END * 1000000)"
        )
        value = fill(template, x)
    elif src in ("f4", "f8"):
        fits = fill("isfinite(_x_) AND abs(CAST(_x_ AS DOUBLE)) < 9223372036854.775807", x)
        template = (
            "CASE WHEN _fits_ THEN make_timestamptz(CAST(trunc(CAST(_x_ AS DOUBLE) * 1000000.0) "
            "AS BIGINT)) END"
        )
        tried = fill(template, x)
        _put(tried, "_fits_", fits)
        legacy = fill(
            "CASE WHEN isfinite(_x_) THEN make_timestamptz(CASE WHEN _x_ > 0 THEN "
            "9223372036854775806 ELSE -9223372036854775806 END) END",
            x,
        )
        saturated = exp.Case(ifs=[exp.If(this=fits.copy(), true=tried.copy())], default=legacy)
        checks = ((fill("isfinite(_x_)", x), _OVERFLOW), (not_null(x), _INVALID))
        return Built(tried, saturated, _INVALID, checks)
    elif src == "dec":
        value = fill("make_timestamptz(CAST(trunc(_x_ * 1000000) AS BIGINT))", x)
    elif src == "bool":
        value = fill("make_timestamptz(CAST(_x_ AS BIGINT))", x)
    elif src in ("date", "ntz"):
        value = raw_cast(x, "TIMESTAMPTZ")
    else:
        return None
    return Built(value, value, _INVALID)


def to_datetime(x: exp.Expr, src: str, dst: str) -> Built | None:
    """date <-> timestamp <-> timestamp_ntz (in the session time zone)."""
    if src not in ("date", "ts", "ntz"):
        return None
    value = raw_cast(x, "DATE" if dst == "date" else "TIMESTAMP")
    return Built(value, value, _INVALID)


def to_binary(x: exp.Expr, src: str) -> Built | None:
    """Integral values as their big-endian two's complement bytes (legacy mode only)."""
    if src not in INTEGRAL:
        return None
    digits = _BITS[src] // 4
    if src == "i8":
        hexed = fill(f"lpad(to_hex(_x_), {digits}, '0')", x)
    else:
        mask = 2 ** _BITS[src] - 1
        hexed = fill(f"lpad(to_hex(CAST(_x_ AS BIGINT) & {mask}), {digits}, '0')", x)
    value = fill("unhex(_x_)", hexed)
    return Built(value, value, _INVALID)


def narrower_or_equal(src: str, dst: str) -> bool:
    """Whether every ``src`` value fits ``dst`` (both integral)."""
    return _BITS[src] <= _BITS[dst]
