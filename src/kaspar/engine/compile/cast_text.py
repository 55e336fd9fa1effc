"""Spark's casts from and to strings, as DuckDB trees (see ``cast_numbers`` for the layout).

Parsing trims whitespace first, then follows Spark's grammars: integral ``[+-]?digits`` (legacy
mode also takes a fraction and truncates it: ``'3.7'`` is 3), fractional Java's
``Double.parseDouble`` (``'1e3'``, ``'1.5d'``, ``'Infinity'``, ``'-inf'``, ``'NaN'``), decimal
Java's ``BigDecimal``; booleans ``t true y yes 1`` / ``f false n no 0`` in any case; dates
``yyyy[-m[m][-d[d][( |T)anything]]]``; timestamps a date with an optional ``( |T)h[h]:m[m][:s[s]
[.fraction]]`` and zone (``Z``, ``+01:00``, ``UTC``, a region id; timestamp_ntz ignores it).

Formatting: doubles and floats as Java's ``toString`` (``1.0E10``, ``1.0E-5``, ``NaN``,
``Infinity``), timestamps as ``yyyy-MM-dd HH:mm:ss`` with the fraction's trailing zeros cut.
"""

from __future__ import annotations

from sqlglot import exp

from kaspar.engine.compile.cast_numbers import Built
from kaspar.engine.compile.cast_rules import INTEGRAL
from kaspar.engine.compile.cast_templates import fill, not_null, raw_cast

_INVALID = "CAST_INVALID_INPUT"
_WHITESPACE = "chr(32) || chr(9) || chr(10) || chr(13) || chr(11) || chr(12)"
_INTEGRAL_TYPES = {"i1": "TINYINT", "i2": "SMALLINT", "i4": "INTEGER", "i8": "BIGINT"}
_NUMBER = r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?"
_DATE = r"[0-9]{4}(-[0-9]{1,2}(-[0-9]{1,2})?)?"
_TIME = r"([ T][0-9]{1,2}:[0-9]{1,2}(:[0-9]{1,2}(\.[0-9]{0,9})?)?)?"
_OFFSET = r"[+-][0-9]{1,2}(:?[0-9]{2})?"
_ZONE = rf"(Z|{_OFFSET}|(UTC|GMT|UT)({_OFFSET})?|[A-Za-z_]+/[A-Za-z_/+-]+)"
_TIMESTAMP = rf"^{_DATE}{_TIME}\s*{_ZONE}?$"
_CANONICAL = r"[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?)?"


def trimmed(x: exp.Expr) -> exp.Expr:
    return fill(f"trim(_x_, {_WHITESPACE})", x)


def from_string(x: exp.Expr, dst: str, to: exp.DataType) -> Built | None:
    t = trimmed(x)
    if dst in INTEGRAL:
        return _integral(t, _INTEGRAL_TYPES[dst])
    if dst in ("f4", "f8"):
        return _fractional(t, "FLOAT" if dst == "f4" else "DOUBLE")
    if dst == "dec":
        return _decimal(x, t, to)
    if dst == "bool":
        value = fill(
            "CASE WHEN lower(_x_) IN ('t', 'true', 'y', 'yes', '1') THEN true "
            "WHEN lower(_x_) IN ('f', 'false', 'n', 'no', '0') THEN false END",
            t,
        )
        return Built(value, value, _INVALID)
    if dst == "date":
        return _date(t)
    if dst in ("ts", "ntz"):
        return _timestamp(t, dst)
    if dst == "bin":
        value = fill("encode(_x_)", x)
        return Built(value, value, _INVALID)
    return None


def _integral(t: exp.Expr, duckdb_type: str) -> Built:
    tried = fill(
        "TRY_CAST(CASE WHEN regexp_full_match(_x_, '[+-]?[0-9]+') THEN _x_ END AS {t})",
        t,
        t=duckdb_type,
    )
    legacy = fill(
        r"TRY_CAST(CASE WHEN regexp_full_match(_x_, '[+-]?[0-9]+(\.[0-9]*)?') "
        r"THEN split_part(_x_, '.', 1) WHEN regexp_full_match(_x_, '[+-]?\.[0-9]+') THEN '0' "
        "END AS {t})",
        t,
        t=duckdb_type,
    )
    return Built(tried, legacy, _INVALID)


def _fractional(t: exp.Expr, duckdb_type: str) -> Built:
    number = fill(rf"regexp_replace(_x_, '^({_NUMBER})[dDfF]$', '\1')", t)
    value = fill(
        f"CASE WHEN regexp_full_match(_x_, '{_NUMBER}') "
        "OR regexp_full_match(lower(_x_), '[+-]?(inf|infinity)|nan') "
        "THEN TRY_CAST(_x_ AS {t}) END",
        number,
        t=duckdb_type,
    )
    return Built(value, value, _INVALID)


def _decimal(x: exp.Expr, t: exp.Expr, to: exp.DataType) -> Built:
    """Java's ``BigDecimal`` syntax; a number too large is NUMERIC_VALUE_OUT_OF_RANGE."""
    valid = fill(f"regexp_full_match(_x_, '{_NUMBER}')", t)
    tried = exp.Case(ifs=[exp.If(this=valid, true=raw_cast(t, to, safe=True))])
    huge = fill("abs(TRY_CAST(_x_ AS DOUBLE)) >= 1e38", t)
    checks = (
        (exp.and_(valid.copy(), huge), "NUMERIC_OUT_OF_SUPPORTED_RANGE"),
        (valid.copy(), "NUMERIC_VALUE_OUT_OF_RANGE.WITH_SUGGESTION"),
        (not_null(x), _INVALID),
    )
    return Built(tried, tried, _INVALID, checks)


def _date(t: exp.Expr) -> Built:
    padded = fill(
        f"regexp_extract(_x_, '^{_DATE}') || CASE length(regexp_extract(_x_, '^{_DATE}')) "
        "- length(replace(regexp_extract(_x_, '^" + _DATE + "'), '-', '')) "
        "WHEN 0 THEN '-01-01' WHEN 1 THEN '-01' ELSE '' END",
        t,
    )
    value = fill(
        f"CASE WHEN regexp_full_match(_x_, '{_DATE}([ T].*)?') THEN TRY_CAST(_y_ AS DATE) END",
        t,
    )
    for column in list(value.find_all(exp.Column)):
        if column.name == "_y_":
            column.replace(padded)
    return Built(value, value, _INVALID)


def _group(t: exp.Expr, pattern: str, group: int = 1) -> exp.Expr:
    return fill(f"regexp_extract(_x_, '{pattern}', {group})", t)


def _timestamp(t: exp.Expr, dst: str) -> Built:
    """Spark's timestamp strings: a fast path for DuckDB's own layout, the grammar otherwise."""
    date = _date(t).tried
    hours = _group(t, rf"^{_DATE}[ T]([0-9]{{1,2}}):", 3)
    minutes = _group(t, rf"^{_DATE}[ T][0-9]{{1,2}}:([0-9]{{1,2}})", 3)
    seconds = _group(t, rf"^{_DATE}[ T][0-9]{{1,2}}:[0-9]{{1,2}}:([0-9]{{1,2}})", 3)
    fraction = _group(t, r"^[^.]*\.([0-9]{0,9})")
    local = fill(
        "TRY_CAST(CAST(_d_ AS VARCHAR) || ' ' || lpad(coalesce(nullif(_h_, ''), '0'), 2, '0') "
        "|| ':' || lpad(coalesce(nullif(_m_, ''), '0'), 2, '0') || ':' "
        "|| lpad(coalesce(nullif(_s_, ''), '0'), 2, '0') || '.' "
        "|| rpad(substr(_f_, 1, 6), 6, '0') AS TIMESTAMP)",
        t,
    )
    for name, part in (("_d_", date), ("_h_", hours), ("_m_", minutes), ("_s_", seconds)):
        _put(local, name, part)
    _put(local, "_f_", fraction)
    parsed = fill(
        f"CASE WHEN regexp_full_match(_x_, '{_CANONICAL}') THEN TRY_CAST(_x_ AS TIMESTAMP) "
        f"WHEN regexp_matches(_x_, '{_TIMESTAMP}') THEN _l_ END",
        t,
    )
    _put(parsed, "_l_", local)
    value = parsed if dst == "ntz" else _zoned(t, parsed)
    return Built(value, value, _INVALID)


def _zoned(t: exp.Expr, local: exp.Expr) -> exp.Expr:
    """The local time in the string's zone, or the session's when it names none."""
    zone = _group(t, _TIMESTAMP, 6)
    offset = fill(
        "CASE WHEN _x_ IN ('Z', 'UTC', 'GMT', 'UT') THEN 0 "
        rf"WHEN regexp_matches(_x_, '{_OFFSET}$') THEN "
        rf"(CASE WHEN regexp_matches(_x_, '-[0-9:]+$') THEN -1 ELSE 1 END) * "
        r"(CAST(regexp_extract(_x_, '([0-9]{1,2}):?([0-9]{2})?$', 1) AS INTEGER) * 60 + "
        r"coalesce(TRY_CAST(regexp_extract(_x_, '([0-9]{1,2}):?([0-9]{2})?$', 2) AS INTEGER), 0)) "
        "END",
        zone,
    )
    value = fill(
        "CASE WHEN _z_ = '' THEN CAST(_x_ AS TIMESTAMPTZ) "
        "WHEN _o_ IS NOT NULL THEN timezone('UTC', _x_ - to_minutes(_o_)) "
        "ELSE try(timezone(_z_, _x_)) END",
        local,
    )
    _put(value, "_z_", zone)
    _put(value, "_o_", offset)
    return value


def _put(tree: exp.Expr, name: str, part: exp.Expr) -> None:
    for column in list(tree.find_all(exp.Column)):
        if column.name == name:
            column.replace(part.copy())


def to_string(x: exp.Expr, src: str) -> exp.Expr | None:
    if src in INTEGRAL or src in ("dec", "bool", "str", "date"):
        return raw_cast(x, "VARCHAR")
    if src in ("f4", "f8"):
        return _java_number(x)
    if src in ("ts", "ntz"):
        return fill(
            "strftime(_x_, '%Y-%m-%d %H:%M:%S') || CASE WHEN strftime(_x_, '%f') = '000000' "
            "THEN '' ELSE '.' || rtrim(strftime(_x_, '%f'), '0') END",
            x,
        )
    if src == "bin":
        return fill("decode(_x_)", x)
    return None


def _java_number(x: exp.Expr) -> exp.Expr:
    """Java's ``Double.toString``/``Float.toString`` from DuckDB's shortest digits."""
    text = "CAST(abs(_x_) AS VARCHAR)"
    whole = f"regexp_extract({text}, '^([0-9]+)', 1)"
    digits = f"({whole} || regexp_extract({text}, '^[0-9]+[.]([0-9]*)', 1))"
    significant = f"rtrim(ltrim({digits}, '0'), '0')"
    exponent = (
        f"length({whole}) - 1 - (length({digits}) - length(ltrim({digits}, '0'))) "
        f"+ coalesce(TRY_CAST(regexp_extract({text}, 'e([+-]?[0-9]+)$', 1) AS INTEGER), 0)"
    )
    scientific = (
        f"CASE WHEN _x_ < 0 THEN '-' ELSE '' END || substr({significant}, 1, 1) || '.' || "
        f"coalesce(nullif(substr({significant}, 2), ''), '0') || 'E' || "
        f"CAST({exponent} AS VARCHAR)"
    )
    return fill(
        "CASE WHEN isnan(_x_) THEN 'NaN' WHEN isinf(_x_) AND _x_ > 0 THEN 'Infinity' "
        "WHEN isinf(_x_) THEN '-Infinity' "
        "WHEN _x_ = 0 OR (abs(_x_) >= 0.001 AND abs(_x_) < 10000000) THEN CAST(_x_ AS VARCHAR) "
        f"ELSE {scientific} END",
        x,
    )


def string_value(x: exp.Expr) -> exp.Expr:
    """The operand quoted for an error message."""
    return fill("'''' || _x_ || ''''", x)


__all__ = ["from_string", "not_null", "string_value", "to_string"]
