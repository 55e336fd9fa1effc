"""Spark 4.3's nanosecond timestamps in DuckDB: casts to and from ``timestamp_ntz(p)`` and
``timestamp_ltz(p)`` (``p`` in 7..9).

``timestamp_ntz(9)`` is DuckDB's ``TIMESTAMP_NS``; ``timestamp_ltz(9)`` is an instant, held as
its UTC wall time in a one-field struct of ``TIMESTAMP_NS`` (``type_conversion``). A cast to
precision ``p`` keeps ``p`` fractional digits (cut toward the past, as Spark does); precision 6
is the microsecond type, and Spark refuses any other precision. Wall times move between UTC
and the session time zone by the zone's offset at that moment, as DuckDB's ``TIMESTAMPTZ``
gives it. Spark allows these types only with ``spark.sql.timestampNanosTypes.enabled``
(``NANOS_TYPES``, set by the session); without it they are its ``FEATURE_NOT_ENABLED`` error.
"""

from __future__ import annotations

from contextvars import ContextVar

from sqlglot import exp

from kaspar.engine.compile.cast_templates import fill
from kaspar.engine.type_conversion import LTZ_NANOS_FIELD
from kaspar.errors import ParseException, SparkException

NANOS_TYPES: ContextVar[bool] = ContextVar("timestamp_nanos_types", default=False)
NANOS_CONF = "spark.sql.timestampNanosTypes.enabled"
LTZ_NANOS = f"STRUCT({LTZ_NANOS_FIELD} TIMESTAMP_NS)"
_NTZ_KINDS = (exp.DataType.Type.TIMESTAMPNTZ, exp.DataType.Type.TIMESTAMP)
_LTZ_KINDS = (exp.DataType.Type.TIMESTAMPLTZ, exp.DataType.Type.TIMESTAMPTZ)

# epoch nanoseconds <-> wall times; floor division as Spark's Math.floorDiv
_FLOOR_DIV = "((_x_) - (((_x_) % {d}) + {d}) % {d}) // {d}"
_UTC_NANOS = "epoch_ns(struct_extract_at(_x_, 1))"  # a timestamp_ltz(9)'s instant


def feature_not_enabled() -> SparkException:
    return SparkException(
        "The feature Nanosecond-precision timestamp types is not enabled. Consider setting the "
        f"config {NANOS_CONF} to true to enable this capability.",
        "FEATURE_NOT_ENABLED",
    )


def _precision(to: exp.DataType) -> int | None:
    """The ``p`` of ``timestamp_ntz(p)`` / ``timestamp_ltz(p)`` (None: none given)."""
    if to.this not in (*_NTZ_KINDS, *_LTZ_KINDS) or not to.expressions:
        return None
    arg = to.expressions[0]
    return int(arg.this.this if isinstance(arg, exp.DataTypeParam) else arg.this)


def _truncated(nanos: exp.Expr, precision: int) -> exp.Expr:
    if precision == 9:
        return nanos
    step = 10 ** (9 - precision)
    return fill(f"({_FLOOR_DIV.format(d=step)}) * {step}", nanos)


def _wall_to_utc(local_nanos: exp.Expr) -> exp.Expr:
    """Epoch nanoseconds of a session-zone wall time given as epoch nanoseconds."""
    micros = fill(_FLOOR_DIV.format(d=1000), local_nanos)
    offset = fill(
        "epoch_us(CAST(make_timestamp(_x_) AS TIMESTAMPTZ)) - (_x_)", micros
    )  # wall - utc, negated
    return exp.Add(this=exp.paren(local_nanos), expression=fill("(_x_) * 1000", offset))


def _utc_to_wall(utc_nanos: exp.Expr) -> exp.Expr:
    """Epoch nanoseconds (as a wall time) of an instant in the session zone."""
    micros = fill(_FLOOR_DIV.format(d=1000), utc_nanos)
    offset = fill("epoch_us(CAST(make_timestamptz(_x_) AS TIMESTAMP)) - (_x_)", micros)
    return exp.Add(this=exp.paren(utc_nanos), expression=fill("(_x_) * 1000", offset))


def ltz_nanos(utc_nanos: exp.Expr) -> exp.Expr:
    """The ``timestamp_ltz(9)`` of an instant's epoch nanoseconds."""
    packed = f"struct_pack({LTZ_NANOS_FIELD} := make_timestamp_ns(CAST(_x_ AS BIGINT)))"
    return fill(f"CASE WHEN _x_ IS NULL THEN NULL ELSE {packed} END", utc_nanos)


def _source_nanos(value: exp.Expr, source: str) -> tuple[exp.Expr, bool] | None:
    """(epoch nanoseconds, whether they are UTC rather than a wall time) of a castable value."""
    if source == LTZ_NANOS:
        return fill(_UTC_NANOS, value), True
    if source == "TIMESTAMP_NS":
        return fill("epoch_ns(_x_)", value), False
    if source == "TIMESTAMP":
        return fill("epoch_us(_x_) * 1000", value), False
    if source == "TIMESTAMP WITH TIME ZONE":
        return fill("epoch_us(_x_) * 1000", value), True
    if source == "DATE":
        return fill("epoch_us(CAST(_x_ AS TIMESTAMP)) * 1000", value), False
    if source == "VARCHAR":
        return fill("epoch_ns(CAST(trim(_x_) AS TIMESTAMP_NS))", value), False
    if not source:  # not annotated yet (a typed call probing its operand's type)
        return fill("epoch_ns(CAST(_x_ AS TIMESTAMP_NS))", value), False
    return None


def _to_nanos(value: exp.Expr, source: str, ltz: bool, precision: int) -> exp.Expr | None:
    found = _source_nanos(value, source)
    if source in {'"NULL"', "NULL"}:
        return fill(f"CAST(NULL AS {LTZ_NANOS if ltz else 'TIMESTAMP_NS'})", value)
    if found is None:
        return None
    nanos, utc = found
    if ltz:
        instant = nanos if utc else _wall_to_utc(nanos)
        return ltz_nanos(_truncated(instant, precision))
    wall = _utc_to_wall(nanos) if utc else nanos
    return fill("make_timestamp_ns(CAST(_x_ AS BIGINT))", _truncated(wall, precision))


def _wall_text(wall_nanos: exp.Expr) -> exp.Expr:
    """Spark's text of a wall time: seconds, then the fraction without trailing zeros."""
    template = (
        "strftime(make_timestamp(" + _FLOOR_DIV.format(d=1000) + "), '%Y-%m-%d %H:%M:%S') || "
        "CASE WHEN (((_x_) % 1000000000) + 1000000000) % 1000000000 = 0 THEN '' ELSE '.' || "
        "rtrim(format('{:09d}', (((_x_) % 1000000000) + 1000000000) % 1000000000), '0') END"
    )
    return fill(template, wall_nanos)


def _from_nanos(value: exp.Expr, source: str, to: exp.DataType) -> exp.Expr | None:
    """A cast of a nanosecond timestamp to a string, a microsecond timestamp or a date."""
    if source not in (LTZ_NANOS, "TIMESTAMP_NS"):
        return None
    found = _source_nanos(value, source)
    assert found is not None
    nanos, utc = found
    wall = _utc_to_wall(nanos) if utc else nanos
    if to.this in exp.DataType.TEXT_TYPES:
        return _wall_text(wall)
    micros = fill(_FLOOR_DIV.format(d=1000), wall)
    if to.this in _NTZ_KINDS:
        return fill("make_timestamp(_x_)", micros)
    if to.this in _LTZ_KINDS:
        return fill("CAST(make_timestamp(_x_) AS TIMESTAMPTZ)", micros)
    if to.this == exp.DataType.Type.DATE:
        return fill("CAST(make_timestamp(_x_) AS DATE)", micros)
    return None


def nanos_cast(cast: exp.Cast, source: str) -> exp.Expr | None:
    """Spark's cast to or from a nanosecond timestamp (None: not such a cast)."""
    precision = _precision(cast.to)
    if precision is None or precision == 6:
        if precision == 6:
            plain = cast.copy()
            plain.set("to", exp.DataType(this=cast.to.this))
            return plain
        return _from_nanos(cast.this, source, cast.to)
    if not 7 <= precision <= 9:
        kind = "TIMESTAMP_LTZ" if cast.to.this in _LTZ_KINDS else "TIMESTAMP_NTZ"
        raise ParseException(
            f"The seconds precision {precision} of {kind} is invalid. Expected an integer in "
            "[7, 9] for nanosecond precision; use precision 6 or parameterless "
            f"{kind} for the standard microsecond type.",
            "INVALID_TIMESTAMP_PRECISION",
        )
    if not NANOS_TYPES.get():
        raise feature_not_enabled()
    return _to_nanos(cast.this, source, cast.to.this in _LTZ_KINDS, precision)


def nanos_literal(cast: exp.Expr) -> exp.Expr:
    """``TIMESTAMP_NTZ '... .123456789'`` (more than 6 fractional digits) is a nanosecond
    timestamp when Spark's nanosecond types are enabled."""
    if not (
        NANOS_TYPES.get()
        and isinstance(cast, exp.Cast)
        and isinstance(cast.this, exp.Literal)
        and cast.this.is_string
        and cast.to.this in (*_NTZ_KINDS, *_LTZ_KINDS)
        and not cast.to.expressions
    ):
        return cast
    fraction = cast.this.this.strip().rpartition(".")[2]
    if "." not in cast.this.this or not fraction.isdigit() or len(fraction) <= 6:
        return cast
    typed = cast.copy()
    nine = exp.DataTypeParam(this=exp.Literal.number(9))
    typed.set("to", exp.DataType(this=cast.to.this, expressions=[nine]))
    return typed


__all__ = [
    "LTZ_NANOS",
    "NANOS_CONF",
    "NANOS_TYPES",
    "feature_not_enabled",
    "ltz_nanos",
    "nanos_cast",
    "nanos_literal",
]
