"""Casts to Spark's ANSI interval types (``cast('1-2' as interval year to month)``).

A string is read in the form Spark writes the type (``[+|-]y-m``, ``[+|-]d h:m:s.f``, the
leading field's whole count alone), bare or wrapped as ``INTERVAL '...' UNITS``; other text is
Spark's ``INVALID_INTERVAL_FORMAT`` error in ANSI mode and NULL otherwise. An interval of the
same kind keeps its months or microseconds down to the target's end field (cut toward zero).
"""

from __future__ import annotations

from sqlglot import exp

from kaspar.engine import types as T
from kaspar.engine.compile.ansi_interval_carrier import carried_type, carried_value, carrier
from kaspar.engine.compile.cast_templates import ansi_only, error_message, fill

_DAY_TIME_UNITS = ("DAY", "HOUR", "MINUTE", "SECOND")
_DAY_TIME_SIZES = (86_400_000_000, 3_600_000_000, 60_000_000, 1_000_000)
_NUMBER = r"(\d+(?:\.\d*)?|\.\d+)"


def _fields(dtype: T.AnsiIntervalType) -> list[tuple[str, int]]:
    """(unit, size in months or microseconds) of each field of ``dtype``, first to last."""
    if isinstance(dtype, T.YearMonthIntervalType):
        both = [("YEAR", 12), ("MONTH", 1)]
        return both[dtype.startField : dtype.endField + 1]
    units = list(zip(_DAY_TIME_UNITS, _DAY_TIME_SIZES, strict=True))
    return units[dtype.startField : dtype.endField + 1]


def _units(fields: list[tuple[str, int]]) -> str:
    if len(fields) == 1:
        return fields[0][0]
    return rf"{fields[0][0]}\s+TO\s+{fields[-1][0]}"


def _pattern(fields: list[tuple[str, int]]) -> str:
    """RE2 pattern of the type's text: group 1 the sign, then one group per field."""
    parts = []
    for i, (unit, _) in enumerate(fields):
        digits = _NUMBER if unit == "SECOND" else r"(\d+)"
        separator = "" if i == 0 else "-" if unit == "MONTH" else " " if unit == "HOUR" else ":"
        parts.append(separator + digits)
    return rf"^\s*([+-]?){''.join(parts)}\s*$"


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _from_text(text: exp.Expr, dtype: T.AnsiIntervalType, tolerant: bool) -> exp.Expr:
    fields = _fields(dtype)
    wrapped = rf"(?i)^\s*INTERVAL\s+'(.*)'\s+{_units(fields)}\s*$"
    bare = fill(f"regexp_replace(_x_, {_sql_string(wrapped)}, '\\1')", text)
    pattern = _sql_string(_pattern(fields))
    terms = []
    for i, (unit, size) in enumerate(fields, start=2):
        kind = "DECIMAL(38, 6)" if unit == "SECOND" else "HUGEINT"
        terms.append(
            f"CAST(CAST(regexp_extract(_x_, {pattern}, {i}) AS {kind}) * {size} AS HUGEINT)"
        )
    sign = f"CASE WHEN regexp_extract(_x_, {pattern}, 1) = '-' THEN -1 ELSE 1 END"
    total = fill(f"{sign} * ({' + '.join(terms)})", bare)
    matched = fill(f"regexp_full_match(_x_, {pattern})", bare)
    message = error_message(
        "INVALID_INTERVAL_FORMAT.UNMATCHED_FORMAT_STRING_WITH_NOTICE",
        "Error parsing '",
        text.copy(),
        f"' to interval. Interval string does not match the format of {dtype.simpleString()}.",
    )
    failed: exp.Expr = exp.null() if tolerant else ansi_only(message)
    return exp.Case(
        ifs=[
            exp.If(this=exp.Is(this=text.copy(), expression=exp.null()), true=exp.null()),
            exp.If(this=exp.Not(this=matched), true=failed),
        ],
        default=carrier(total, dtype),
    )


def _narrowed(value: exp.Expr, source: T.AnsiIntervalType, dtype: T.AnsiIntervalType) -> exp.Expr:
    size = _fields(dtype)[-1][1]
    amount = carried_value(value)
    kept = amount if size == 1 else fill(f"_x_ - _x_ % {size}", amount)
    del source
    return fill("CASE WHEN _x_ IS NULL THEN NULL ELSE _y_ END", value).transform(
        lambda n: (
            carrier(kept, dtype).copy() if isinstance(n, exp.Column) and n.name == "_y_" else n
        )
    )


def cast_to_interval(cast: exp.Cast, source: str, tolerant: bool) -> exp.Expr | None:
    """Spark's cast of a string, NULL or ANSI interval to an ANSI interval type (None: not
    such a cast)."""
    from kaspar.engine.type_conversion import from_sqlglot

    if not isinstance(cast.to.this, exp.Interval) or cast.to.this.args.get("unit") is None:
        return None
    dtype = from_sqlglot(cast.to)
    if not isinstance(dtype, T.AnsiIntervalType):
        return None
    given = carried_type(source)
    if given is not None and type(given) is type(dtype):
        return _narrowed(cast.this, given, dtype)
    if source in {"VARCHAR", '"NULL"', "NULL"} or not source:
        text = fill("CAST(_x_ AS VARCHAR)", cast.this)
        return _from_text(text, dtype, tolerant)
    return None


__all__ = ["cast_to_interval"]
