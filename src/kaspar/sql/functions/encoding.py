"""Functions that encode values: Base32, number bases (``conv``), Soundex codes and HMACs, and
the Jaro-Winkler similarity of strings (DuckDB's counts bytes, Spark's characters).

DuckDB has none of them with Spark's results, so each runs as a built-in Arrow function
(``kaspar.engine.builtins``) inside the query.
"""

from __future__ import annotations

from sqlglot import exp

from kaspar.engine import arrow_builtins as B
from kaspar.engine.builtins import BUILTINS
from kaspar.sql.column import Column, literal, to_expr
from kaspar.sql.functions._invoke import ColumnOrName, names, node

_SOUNDEX = BUILTINS["soundex"]
_CONV = BUILTINS["conv"]
_TO_BASE32 = BUILTINS["to_base32"]
_FROM_BASE32 = BUILTINS["from_base32"]
_HMAC = BUILTINS["hmac"]
_JARO_WINKLER = BUILTINS["jaro_winkler_similarity"]


def _builtin(udf: str, name: str, *args: exp.Expr) -> Column:
    return node(exp.Anonymous(this=udf, expressions=list(args)), f"{name}({names(*args)})")


def soundex(col: ColumnOrName) -> Column:
    return _builtin(_SOUNDEX, "soundex", to_expr(col))


def to_base32(col: ColumnOrName) -> Column:
    return _builtin(_TO_BASE32, "to_base32", to_expr(col))


def from_base32(col: ColumnOrName) -> Column:
    return _builtin(_FROM_BASE32, "from_base32", to_expr(col))


def conv(col: ColumnOrName, fromBase: int, toBase: int) -> Column:
    """Spark's ``conv``; a value past 2^64 raises ARITHMETIC_OVERFLOW (ANSI mode's answer)."""
    args = (to_expr(col), literal(fromBase), literal(toBase))
    value = exp.Anonymous(this=_CONV, expressions=[a.copy() for a in args])
    overflow = exp.EQ(this=value.copy(), expression=literal(B.CONV_OVERFLOW))
    message = "[ARITHMETIC_OVERFLOW] Overflow in function conv()."
    error = exp.Anonymous(this="error", expressions=[literal(message)])
    checked = exp.Case(ifs=[exp.If(this=overflow, true=error)], default=value)
    return node(checked, f"conv({names(*args)})")


def hmac(key: ColumnOrName, message: ColumnOrName, algorithm: ColumnOrName | None = None) -> Column:
    algo = literal("SHA-256") if algorithm is None else to_expr(algorithm)
    return _builtin(_HMAC, "hmac", to_expr(key), to_expr(message), algo)


def jaro_winkler_similarity(left: ColumnOrName, right: ColumnOrName) -> Column:
    a, b = to_expr(left), to_expr(right)
    return _builtin(_JARO_WINKLER, "jaro_winkler_similarity", a, b)


__all__ = [
    "conv",
    "from_base32",
    "hmac",
    "jaro_winkler_similarity",
    "soundex",
    "to_base32",
]
