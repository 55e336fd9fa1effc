"""Spark's common type of two types (ANSI mode's widening, string promotion included), over the
DuckDB types a query's columns have.

Where DuckDB and Spark disagree on the type two values meet at (a ``UNION`` of a string and a
``bigint`` column, ``coalesce(int, string)``, ``string_column > 30``), kaspar casts each side to
Spark's common type before DuckDB sees them. The rules, as PySpark 4.3 applies them:

* integers widen to the wider; any integer or decimal with a ``float``/``double`` gives
  ``double`` (two ``float``\\ s stay ``float``); an integer with a decimal is the decimal wide
  enough for both (``int`` is ``decimal(10,0)``, ``bigint`` ``decimal(20,0)``);
* a string meets an integer as ``bigint``, a fractional number as ``double``, and a date,
  timestamp, boolean or binary as that type (ANSI mode; a malformed string raises when cast);
* a date meets a timestamp as that timestamp; ``timestamp`` and ``timestamp_ntz`` as
  ``timestamp``;
* ``NULL`` meets anything as it; arrays, maps and structs (same field names) widen inside.

``UNKNOWN`` answers for types outside these families (intervals, variants...): DuckDB's own
rules are left to decide those.
"""

from __future__ import annotations

from sqlglot import exp

T = exp.DataType.Type

_INTEGER_DIGITS = {T.TINYINT: 3, T.SMALLINT: 5, T.INT: 10, T.BIGINT: 20}
_FRACTIONAL = frozenset({T.FLOAT, T.DOUBLE})
_STRINGS = frozenset({T.TEXT, T.VARCHAR})
_DATETIMES = frozenset({T.DATE, T.TIMESTAMPTZ, T.TIMESTAMPNTZ})
_SIMPLE = frozenset(
    {*_INTEGER_DIGITS, *_FRACTIONAL, *_STRINGS, *_DATETIMES, T.DECIMAL, T.BOOLEAN, T.VARBINARY}
)
_NESTED = frozenset({T.ARRAY, T.MAP, T.STRUCT})
MAX_PRECISION = 38


class Unknown:
    """A pair of types outside the families Spark's rules are written for here."""


UNKNOWN = Unknown()


def parse_duckdb(type_name: str) -> exp.DataType:
    """A DuckDB result type name (``DECIMAL(10,2)``, ``INTEGER[]``, ``"NULL"``) as a tree."""
    return exp.DataType.build(type_name.replace('"NULL"', "NULL"), dialect="duckdb")


def known(t: exp.DataType) -> bool:
    """Whether ``t`` is (made of) types these rules cover."""
    if t.this in _NESTED:
        return all(known(c) for c in _children(t))
    return t.this in _SIMPLE or t.this == T.NULL


def common_type(
    a: exp.DataType, b: exp.DataType, *, ansi: bool = True
) -> exp.DataType | Unknown | None:
    """Spark's common type of ``a`` and ``b``; ``None`` when Spark refuses the pair,
    ``UNKNOWN`` when it is not one these rules cover."""
    if not (known(a) and known(b)):
        return UNKNOWN
    return _common(a, b, ansi)


def _common(a: exp.DataType, b: exp.DataType, ansi: bool) -> exp.DataType | None:
    if a == b or b.this == T.NULL:
        return a
    if a.this == T.NULL:
        return b
    if a.this in _NESTED or b.this in _NESTED:
        return _nested(a, b, ansi) if a.this == b.this else None
    numeric = _numeric(a, b)
    if numeric is not None:
        return numeric
    if a.this in _STRINGS or b.this in _STRINGS:
        return _with_string(b if a.this in _STRINGS else a, ansi)
    if a.this in _DATETIMES and b.this in _DATETIMES:
        if T.TIMESTAMPTZ in (a.this, b.this):
            return exp.DataType.build("TIMESTAMPTZ")
        return exp.DataType.build("TIMESTAMP", dialect="duckdb")
    return None


def _numeric(a: exp.DataType, b: exp.DataType) -> exp.DataType | None:
    numbers = {*_INTEGER_DIGITS, *_FRACTIONAL, T.DECIMAL}
    if a.this not in numbers or b.this not in numbers:
        return None
    if a.this in _FRACTIONAL or b.this in _FRACTIONAL:
        both_float = a.this == T.FLOAT and b.this == T.FLOAT
        return exp.DataType.build("FLOAT" if both_float else "DOUBLE")
    if a.this in _INTEGER_DIGITS and b.this in _INTEGER_DIGITS:
        return a if _INTEGER_DIGITS[a.this] >= _INTEGER_DIGITS[b.this] else b
    (pa, sa), (pb, sb) = _decimal(a), _decimal(b)
    scale = max(sa, sb)
    precision = min(max(pa - sa, pb - sb) + scale, MAX_PRECISION)
    return exp.DataType.build(f"DECIMAL({precision}, {min(scale, precision)})")


def _decimal(t: exp.DataType) -> tuple[int, int]:
    """(precision, scale) of a decimal, or of the decimal an integer type fits."""
    if t.this in _INTEGER_DIGITS:
        return _INTEGER_DIGITS[t.this], 0
    params = [int(p.name) for p in t.expressions]
    return (params[0], params[1]) if len(params) == 2 else (params[0] if params else 18, 0)


def _with_string(other: exp.DataType, ansi: bool) -> exp.DataType | None:
    """A string's common type with ``other`` (not a string)."""
    if not ansi:
        return exp.DataType.build("VARCHAR")
    if other.this in _INTEGER_DIGITS:
        return exp.DataType.build("BIGINT")
    if other.this in _FRACTIONAL or other.this == T.DECIMAL:
        return exp.DataType.build("DOUBLE")
    if other.this in _DATETIMES or other.this in (T.BOOLEAN, T.VARBINARY):
        return other
    return None


def _children(t: exp.DataType) -> list[exp.DataType]:
    if t.this == T.STRUCT:
        return [c.args["kind"] for c in t.expressions]
    return [c for c in t.expressions if isinstance(c, exp.DataType)]


def _nested(a: exp.DataType, b: exp.DataType, ansi: bool) -> exp.DataType | None:
    if a.this == T.STRUCT:
        names_a = [c.name.lower() for c in a.expressions]
        if names_a != [c.name.lower() for c in b.expressions]:
            return None
    pairs = list(zip(_children(a), _children(b), strict=False))
    if len(pairs) != len(_children(a)) or len(pairs) != len(_children(b)):
        return None
    widened = [_common(x, y, ansi) for x, y in pairs]
    if any(w is None for w in widened):
        return None
    out = a.copy()
    if a.this == T.STRUCT:
        for column, kind in zip(out.expressions, widened, strict=True):
            column.set("kind", kind)
    else:
        out.set("expressions", widened)
    return out


def spark_name(t: exp.DataType) -> str:
    """Spark's upper-case name of a type in an error message (``"BIGINT"``)."""
    from kaspar.engine.type_conversion import from_sqlglot  # -> dialect -> here

    try:
        return from_sqlglot(t).simpleString().upper()
    except (ValueError, KeyError, TypeError, AttributeError):
        return t.sql("duckdb")


__all__ = ["UNKNOWN", "Unknown", "common_type", "known", "parse_duckdb", "spark_name"]
