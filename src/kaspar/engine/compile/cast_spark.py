"""Spark's ``CAST`` between atomic types as a DuckDB tree, in the session's mode.

``spark_cast(operand, source_type, to, mode)`` checks the cast is allowed (``cast_rules``) and
builds its value (``cast_numbers``, ``cast_text``): ``legacy`` takes the legacy value, ``try``
the ``try_cast`` value, and ``ansi`` the ``try_cast`` value or, where it fails, Spark's error.
None means the types are not both atomic: the dialect writes DuckDB's own cast.
"""

from __future__ import annotations

import re

from sqlglot import exp

from kaspar.engine.compile import cast_numbers as N
from kaspar.engine.compile.cast_rules import (
    INTEGRAL,
    NUMERIC,
    SPARK_NAMES,
    check,
    source_kind,
    target_kind,
)
from kaspar.engine.compile.cast_templates import error_message, not_null, raw_cast
from kaspar.engine.compile.cast_text import from_string, string_value, to_string

_MESSAGES = {
    "CAST_INVALID_INPUT": (
        "because it is malformed. Correct the value as per the syntax, or change its target "
        "type. Use `try_cast` to tolerate malformed input and return NULL instead."
    ),
    "NUMERIC_OUT_OF_SUPPORTED_RANGE": "as it has more than 38 digits.",
    "CAST_OVERFLOW": (
        "due to an overflow. Use `try_cast` to tolerate overflow and return NULL instead."
    ),
}


def spark_cast(operand: exp.Expr, source_type: str, to: exp.DataType, mode: str) -> exp.Expr | None:
    """The cast of ``operand`` (of DuckDB type ``source_type``) to ``to`` in ``mode``
    (``legacy``, ``ansi`` or ``try``); raises Spark's analysis error if it is not allowed."""
    src, dst = source_kind(source_type), target_kind(to)
    if src is None or dst is None:
        return None
    check(src, dst, mode, operand)
    if src == dst and (dst != "dec" or source_type == to.sql("duckdb").replace(" ", "")):
        return raw_cast(operand, to)  # kept: it types literals (DuckDB's are polymorphic)
    if src == "str" and _plain_literal(operand, dst):
        return raw_cast(operand, to, safe=mode != "ansi")
    built = _build(operand, src, dst, to)
    if built is None:
        return None
    if mode == "legacy":
        return built.legacy
    if mode == "try" or _total(src, dst):
        return built.tried
    checks = built.checks or ((not_null(operand), built.error_class),)
    raised = exp.Case(
        ifs=[
            exp.If(this=fails, true=_error(error_class, operand, src, dst, to))
            for fails, error_class in checks
        ]
    )
    return exp.Coalesce(this=built.tried, expressions=[raised])


_PLAIN_LITERALS = {
    "i1": r"[+-]?[0-9]+",
    "i2": r"[+-]?[0-9]+",
    "i4": r"[+-]?[0-9]+",
    "i8": r"[+-]?[0-9]+",
    "f4": r"[+-]?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?",
    "f8": r"[+-]?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?",
    "dec": r"[+-]?[0-9]+(\.[0-9]+)?",
    "bool": r"true|false",
    "date": r"[0-9]{4}-[0-9]{2}-[0-9]{2}",
    "ts": r"[0-9]{4}-[0-9]{2}-[0-9]{2}( [0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?)?",
    "ntz": r"[0-9]{4}-[0-9]{2}-[0-9]{2}( [0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?)?",
}


def _plain_literal(operand: exp.Expr, dst: str) -> bool:
    """A string literal DuckDB's own cast reads as Spark does (kept constant: ``literal()``
    writes numbers as ``CAST('0.5' AS DOUBLE)``, and some DuckDB arguments must be constant)."""
    pattern = _PLAIN_LITERALS.get(dst)
    if pattern is None or not isinstance(operand, exp.Literal) or not operand.is_string:
        return False
    return re.fullmatch(pattern, operand.this) is not None


def _build(x: exp.Expr, src: str, dst: str, to: exp.DataType) -> N.Built | None:
    if src == "str":
        return from_string(x, dst, to)
    if dst == "str":
        value = to_string(x, src)
        return None if value is None else N.Built(value, value, "CAST_INVALID_INPUT")
    if dst in INTEGRAL:
        return N.to_integral(x, src, dst)
    if dst in ("f4", "f8"):
        return N.to_fractional(x, src, dst)
    if dst == "dec":
        return N.to_decimal(x, src, to)
    if dst == "bool":
        return N.to_boolean(x, src)
    if dst == "ts":
        return N.to_timestamp(x, src)
    if dst in ("date", "ntz"):
        return N.to_datetime(x, src, dst)
    if dst == "bin":
        return N.to_binary(x, src)
    return None


def _total(src: str, dst: str) -> bool:
    """Casts that never fail (ANSI mode needs no check)."""
    if src == "str":
        return dst == "bin"
    if dst in ("str", "f4", "f8", "bool", "bin", "date", "ntz"):
        return True
    if dst == "ts":
        return src not in {"f4", "f8"}
    if dst in INTEGRAL and src in INTEGRAL:
        return N.narrower_or_equal(src, dst)
    return src == "bool"


def _error(error_class: str, x: exp.Expr, src: str, dst: str, to: exp.DataType) -> exp.Expr:
    value = string_value(x) if src == "str" else raw_cast(x, "VARCHAR")
    target = to.sql("spark").upper() if dst == "dec" else SPARK_NAMES[dst]
    if error_class.startswith("NUMERIC_VALUE_OUT_OF_RANGE"):
        return error_message(
            error_class,
            " ",
            value,
            f' cannot be represented as {target}. If necessary set "spark.sql.ansi.enabled" '
            'to "false" to bypass this error, and return NULL instead.',
        )
    source = "DECIMAL" if src == "dec" else SPARK_NAMES[src]
    return error_message(
        error_class,
        "The value ",
        value,
        f' of the type "{source}" cannot be cast to "{target}" {_MESSAGES[error_class]}',
    )


__all__ = ["NUMERIC", "spark_cast"]
